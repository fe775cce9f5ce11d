//! Password login: by username, user id or email; refusals that say nothing about which
//! accounts exist; deactivated accounts.

use serde_json::json;

use super::{ME, login, register};
use crate::helpers::{PASSWORD, TestServer};

#[tokio::test]
async fn login_by_username_user_id_or_email() {
    let server = TestServer::spawn().await;
    register(
        &server,
        json!({ "username": "alice", "password": PASSWORD, "email": "alice@example.org" }),
    )
    .await
    .assert_status(201);
    let identifiers = [
        json!({ "username": "alice" }),
        json!({ "username": " ALICE " }),
        json!({ "username": "@alice:localhost" }),
        json!({ "email": "alice@example.org" }),
        json!({ "email": "ALICE@Example.ORG" }),
    ];
    let mut devices = Vec::new();
    for mut body in identifiers {
        body["password"] = json!(PASSWORD);
        body["device_name"] = json!("Firefox on Linux");
        let reply = login(&server, body.clone()).await;
        assert_eq!(reply.status, 200, "{body}: {:?}", reply.body);
        let tokens = &reply.body;
        assert_eq!(tokens["user_id"], "@alice:localhost");
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 900);
        for field in ["device_id", "access_token", "refresh_token"] {
            assert!(
                tokens[field].as_str().is_some_and(|v| !v.is_empty()),
                "{field} missing: {tokens}"
            );
        }
        assert_ne!(tokens["access_token"], tokens["refresh_token"]);
        let access = tokens["access_token"].as_str().expect("access_token");
        let me = server.get(ME, Some(access)).await;
        assert_eq!(me.assert_status(200)["user_id"], "@alice:localhost");
        devices.push(tokens["device_id"].as_str().expect("device_id").to_owned());
    }
    // Every login is a new device.
    devices.sort();
    devices.dedup();
    assert_eq!(devices.len(), 5, "{devices:?}");
}

#[tokio::test]
async fn login_reports_the_configured_token_lifetime() {
    let server = TestServer::spawn_with(|config| config.auth.access_token_ttl_secs = 120).await;
    server.register("alice").await;
    let reply = login(
        &server,
        json!({ "username": "alice", "password": PASSWORD }),
    )
    .await;
    assert_eq!(reply.assert_status(200)["expires_in"], 120);
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_are_indistinguishable() {
    let server = TestServer::spawn().await;
    register(
        &server,
        json!({ "username": "alice", "password": PASSWORD, "email": "alice@example.org" }),
    )
    .await
    .assert_status(201);
    let wrong_password = login(
        &server,
        json!({ "username": "alice", "password": "not the password" }),
    )
    .await;
    wrong_password.assert_error(401, "INVALID_CREDENTIALS");
    let attempts = [
        json!({ "username": "nobody", "password": "not the password" }),
        json!({ "username": "nobody", "password": PASSWORD }),
        json!({ "username": "@alice:elsewhere.example", "password": PASSWORD }),
        json!({ "username": "@nobody:localhost", "password": PASSWORD }),
        json!({ "username": "not a valid name!", "password": PASSWORD }),
        json!({ "username": "", "password": PASSWORD }),
        json!({ "email": "nobody@example.org", "password": PASSWORD }),
        json!({ "email": "not an email", "password": PASSWORD }),
        json!({ "email": "alice@example.org", "password": "not the password" }),
        json!({ "username": "alice", "password": "" }),
        json!({ "username": "alice", "password": PASSWORD.to_uppercase() }),
    ];
    for body in attempts {
        let reply = login(&server, body.clone()).await;
        assert_eq!(
            (reply.status, &reply.body),
            (wrong_password.status, &wrong_password.body),
            "{body}"
        );
    }
}

#[tokio::test]
async fn login_needs_exactly_one_identifier() {
    let server = TestServer::spawn().await;
    register(
        &server,
        json!({ "username": "alice", "password": PASSWORD, "email": "alice@example.org" }),
    )
    .await
    .assert_status(201);
    for body in [
        json!({ "username": "alice", "email": "alice@example.org", "password": PASSWORD }),
        json!({ "password": PASSWORD }),
        json!({ "username": null, "email": null, "password": PASSWORD }),
        json!({ "username": "alice" }),
        json!({ "username": "alice", "password": null }),
        json!({ "username": "alice", "password": [PASSWORD] }),
        json!({ "username": "alice", "password": PASSWORD, "device_name": [7] }),
        json!({ "username": "alice", "password": PASSWORD, "device_name": "x".repeat(65) }),
        json!({ "username": "a".repeat(256), "password": PASSWORD }),
        json!({ "username": "alice", "password": "p".repeat(513) }),
    ] {
        let reply = login(&server, body.clone()).await;
        assert_eq!(
            reply.code(),
            "INVALID_REQUEST",
            "{:.80}: {:?}",
            body.to_string(),
            reply.body
        );
        reply.assert_error(400, "INVALID_REQUEST");
    }
}

#[tokio::test]
async fn a_deactivated_account_cannot_log_in() {
    let server = TestServer::spawn().await;
    register(
        &server,
        json!({ "username": "alice", "password": PASSWORD, "email": "alice@example.org" }),
    )
    .await
    .assert_status(201);
    let alice = server.login("alice", PASSWORD).await;
    // A wrong password does not deactivate.
    server
        .post(
            "/api/v1/auth/deactivate",
            Some(&alice.access_token),
            json!({ "password": "not the password" }),
        )
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    server.login("alice", PASSWORD).await;
    server
        .post(
            "/api/v1/auth/deactivate",
            Some(&alice.access_token),
            json!({ "password": PASSWORD }),
        )
        .await
        .assert_status(204);
    for body in [
        json!({ "username": "alice", "password": PASSWORD }),
        json!({ "username": "@alice:localhost", "password": PASSWORD }),
        json!({ "username": "alice", "password": "not the password" }),
    ] {
        login(&server, body)
            .await
            .assert_error(403, "ACCOUNT_DEACTIVATED");
    }
    // Its email address was erased with it: logging in by it finds nobody.
    login(
        &server,
        json!({ "email": "alice@example.org", "password": PASSWORD }),
    )
    .await
    .assert_error(401, "INVALID_CREDENTIALS");
    // Its old token no longer works.
    let me = server.get(ME, Some(&alice.access_token)).await;
    assert_eq!(me.status, 401, "{:?}", me.body);
}

#[tokio::test]
async fn unknown_users_take_as_long_as_wrong_passwords() {
    // Real-ish hashing cost, so that the time is the hashing and not the noise.
    let server = TestServer::spawn_with(|config| {
        config.auth.argon2_memory_kib = 8 * 1024;
        config.auth.argon2_iterations = 2;
    })
    .await;
    server.register("alice").await;
    let timed = |username: &'static str| {
        let server = &server;
        async move {
            let start = std::time::Instant::now();
            login(
                server,
                json!({ "username": username, "password": "not the password" }),
            )
            .await
            .assert_error(401, "INVALID_CREDENTIALS");
            start.elapsed().as_secs_f64()
        }
    };
    // Pairs taken back to back (in alternating order) see the same load on a busy machine;
    // the median of their ratios ignores the pairs a hiccup fell on.
    let mut ratios = Vec::new();
    for i in 0..11 {
        let (unknown, wrong) = if i % 2 == 0 {
            let unknown = timed("nobody").await;
            (unknown, timed("alice").await)
        } else {
            let wrong = timed("alice").await;
            (timed("nobody").await, wrong)
        };
        ratios.push(unknown / wrong);
    }
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    assert!(
        (1.0 / 1.5..1.5).contains(&ratio),
        "an unknown user takes {ratio:.2} times as long as a wrong password: {ratios:.2?}"
    );
}
