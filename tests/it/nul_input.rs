//! NUL characters, which PostgreSQL cannot hold in text, are refused at the edge of the REST
//! API on both backends: in the path, the query or any string of a JSON body, with 400
//! `INVALID_REQUEST`, never a 500. An escaped backslash before `u0000` is no NUL.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Reply, TestServer};

#[track_caller]
fn assert_refused(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status, 400,
        "{what}: {} {:?}",
        reply.status, reply.body
    );
    assert_eq!(
        reply.body["code"], "INVALID_REQUEST",
        "{what}: {:?}",
        reply.body
    );
    let message = reply.body["message"].as_str().unwrap_or_default();
    assert!(message.contains("NUL"), "{what}: {message}");
}

#[tokio::test]
async fn nul_in_paths_queries_and_bodies_is_refused_on_every_route() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let token = Some(alice.access_token.as_str());
    let room = server
        .post(
            "/api/v1/rooms",
            token,
            json!({ "name": "NUL-free", "members": [] }),
        )
        .await
        .assert_status(201)["room_id"]
        .as_str()
        .unwrap()
        .replace('!', "%21")
        .replace(':', "%3A");

    let paths: &[(Method, String)] = &[
        (Method::DELETE, "/api/v1/auth/devices/a%00b".into()),
        (Method::GET, "/api/v1/users/%40al%00ice%3Alocalhost".into()),
        (Method::GET, "/api/v1/rooms/%21r%00%3Alocalhost".into()),
        (
            Method::GET,
            format!("/api/v1/rooms/{room}/messages?limit=5%00"),
        ),
        (Method::GET, "/api/v1/users/me?x=%00".into()),
        (Method::GET, "/api/v1/no-such-route%00".into()),
    ];
    for (method, path) in paths {
        let reply = server.call(method.clone(), path, token, None).await;
        assert_refused(&reply, path);
    }

    let bodies: &[(Method, String, Value)] = &[
        (
            Method::POST,
            "/api/v1/auth/register".into(),
            json!({ "username": "b\u{0}b", "password": PASSWORD }),
        ),
        (
            Method::POST,
            "/api/v1/auth/login".into(),
            json!({ "username": "alice", "password": "x\u{0}y", "device_name": "d" }),
        ),
        (
            Method::PUT,
            "/api/v1/users/me".into(),
            json!({ "display_name": "Alice\u{0}" }),
        ),
        (
            Method::PUT,
            "/api/v1/users/me".into(),
            json!({ "display_name": "Alice", "\u{0}": 1 }),
        ),
        (
            Method::POST,
            "/api/v1/rooms".into(),
            json!({ "name": "group", "members": ["@b\u{0}b:localhost"] }),
        ),
        (
            Method::POST,
            format!("/api/v1/rooms/{room}/messages"),
            json!({ "txn_id": "t1", "text": "hello\u{0}world" }),
        ),
    ];
    for (method, path, body) in bodies {
        let reply = server
            .call(method.clone(), path, token, Some(body.clone()))
            .await;
        assert_refused(&reply, &format!("{path} {body}"));
    }

    // A raw NUL byte is no JSON at all: refused too, as any malformed body.
    let raw = b"{\"display_name\":\"A\x00\"}".to_vec();
    let reply = server
        .call_raw(
            Method::PUT,
            "/api/v1/users/me",
            token,
            "application/json",
            raw,
        )
        .await;
    assert_eq!(reply.status, 400, "{:?}", reply.body);
    assert_eq!(reply.body["code"], "INVALID_REQUEST");

    // Nothing above was stored: the profile is as it was, and there is no bob.
    let me = server.get("/api/v1/users/me", token).await;
    assert!(me.assert_status(200)["display_name"].is_null());

    // A backslash followed by `u0000` is text, not a NUL.
    let name = "back\\u0000slash";
    server
        .put("/api/v1/users/me", token, json!({ "display_name": name }))
        .await
        .assert_status(200);
    let me = server.get("/api/v1/users/me", token).await;
    assert_eq!(me.assert_status(200)["display_name"], name);
}
