//! `/healthz`, `/readyz`, `/metrics`, unknown routes and methods.

use reqwest::Method;

use crate::helpers::TestServer;

#[tokio::test]
async fn alive_and_ready() {
    let server = TestServer::spawn().await;
    let alive = server.get("/healthz", None).await;
    assert_eq!((alive.status, alive.body.as_str()), (200, Some("ok")));
    let ready = server.get("/readyz", None).await;
    assert_eq!((ready.status, ready.body.as_str()), (200, Some("ready")));
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let server = TestServer::spawn().await;
    server.get("/healthz", None).await;
    server
        .get("/api/v1/users/me", None)
        .await
        .assert_error(401, "MISSING_TOKEN");
    server.get("/no/such/route", None).await;
    let reply = server.get("/metrics", None).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = reply.body.as_str().expect("metrics are text");
    for expected in [
        r#"convo_http_requests_total{route="healthz",method="GET",status="200"} 1"#,
        r#"convo_http_requests_total{route="get_me",method="GET",status="401"} 1"#,
        r#"convo_http_requests_total{route="other",method="GET",status="404"} 1"#,
        r#"convo_http_request_duration_seconds_count{route="get_me"} 1"#,
        "# TYPE convo_http_request_duration_seconds histogram",
        "convo_open_websockets 0",
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_error_body() {
    let server = TestServer::spawn().await;
    server
        .get("/api/v1/nothing-here", None)
        .await
        .assert_error(404, "NOT_FOUND");
    server
        .get("/nothing-here", None)
        .await
        .assert_error(404, "NOT_FOUND");
    server
        .call(Method::PATCH, "/api/v1/auth/login", None, None)
        .await
        .assert_error(405, "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn readyz_fails_when_the_database_is_gone() {
    let server = TestServer::spawn().await;
    server.get("/readyz", None).await.assert_status(200);
    server.stop_database().await;
    let reply = server.get("/readyz", None).await;
    assert_eq!(reply.status, 503, "{:?}", reply.body);
}
