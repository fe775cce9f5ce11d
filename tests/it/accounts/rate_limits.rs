//! Rate limits on logins (per address, failures per account) and registrations (per
//! address): exact under concurrency, with `Retry-After`, lifted after the window.

use std::time::Duration;

use serde_json::json;

use super::{LOGIN, assert_no_account, login, post_concurrently, register, retry_after};
use crate::helpers::{PASSWORD, TestServer};

#[tokio::test]
async fn logins_are_limited_per_address() {
    let server = TestServer::spawn_with(|config| config.rate_limits.login_per_address = 3).await;
    server.register("alice").await;
    // Failures and successes both count.
    login(
        &server,
        json!({ "username": "alice", "password": "wrong password" }),
    )
    .await
    .assert_error(401, "INVALID_CREDENTIALS");
    server.login("alice", PASSWORD).await;
    login(
        &server,
        json!({ "username": "nobody", "password": PASSWORD }),
    )
    .await
    .assert_error(401, "INVALID_CREDENTIALS");
    for body in [
        json!({ "username": "alice", "password": PASSWORD }),
        json!({ "email": "someone@example.org", "password": PASSWORD }),
    ] {
        let reply = login(&server, body).await;
        reply.assert_error(429, "RATE_LIMITED");
        let seconds = retry_after(&reply);
        assert!((1..=300).contains(&seconds), "Retry-After: {seconds}");
    }
    // Registration has its own limit.
    server.register("bob").await;
}

#[tokio::test]
async fn failed_logins_lock_that_account_only() {
    let server = TestServer::spawn_with(|config| {
        config.rate_limits.login_failures_per_account = 2;
    })
    .await;
    register(
        &server,
        json!({ "username": "alice", "password": PASSWORD, "email": "alice@example.org" }),
    )
    .await
    .assert_status(201);
    server.register("bob").await;
    // Successes do not count as failures.
    for _ in 0..3 {
        server.login("alice", PASSWORD).await;
    }
    for _ in 0..2 {
        login(
            &server,
            json!({ "username": "alice", "password": "wrong password" }),
        )
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    }
    // Now even the right password is refused for alice, under every name she goes by…
    for body in [
        json!({ "username": "alice", "password": PASSWORD }),
        json!({ "username": " Alice ", "password": PASSWORD }),
        json!({ "username": "@alice:localhost", "password": PASSWORD }),
        json!({ "email": "ALICE@example.org", "password": PASSWORD }),
    ] {
        let reply = login(&server, body.clone()).await;
        assert_eq!(reply.code(), "RATE_LIMITED", "{body}: {:?}", reply.body);
        reply.assert_error(429, "RATE_LIMITED");
        assert!(retry_after(&reply) >= 1);
    }
    // …while bob still logs in.
    server.login("bob", PASSWORD).await;
}

#[tokio::test]
async fn failures_under_another_identifier_count_for_the_same_account() {
    let server = TestServer::spawn_with(|config| {
        config.rate_limits.login_failures_per_account = 2;
    })
    .await;
    register(
        &server,
        json!({ "username": "alice", "password": PASSWORD, "email": "alice@example.org" }),
    )
    .await
    .assert_status(201);
    // One failure by user id, one by email: two failures for alice.
    login(
        &server,
        json!({ "username": "@alice:localhost", "password": "wrong password" }),
    )
    .await
    .assert_error(401, "INVALID_CREDENTIALS");
    login(
        &server,
        json!({ "email": "alice@example.org", "password": "wrong password" }),
    )
    .await
    .assert_error(401, "INVALID_CREDENTIALS");
    login(
        &server,
        json!({ "username": "alice", "password": PASSWORD }),
    )
    .await
    .assert_error(429, "RATE_LIMITED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_passwords_do_not_exceed_the_account_limit() {
    let server = TestServer::spawn_with(|config| {
        config.rate_limits.login_failures_per_account = 3;
    })
    .await;
    server.register("alice").await;
    let bodies = (0..20)
        .map(|_| json!({ "username": "alice", "password": "wrong password" }))
        .collect();
    let replies = post_concurrently(&server, LOGIN, bodies).await;
    let guessed = replies.iter().filter(|r| r.status == 401).count();
    for reply in replies.iter().filter(|r| r.status != 401) {
        reply.assert_error(429, "RATE_LIMITED");
    }
    assert_eq!(guessed, 3, "passwords tried for one account: {guessed}");
    login(
        &server,
        json!({ "username": "alice", "password": PASSWORD }),
    )
    .await
    .assert_error(429, "RATE_LIMITED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_logins_do_not_exceed_the_address_limit() {
    let server = TestServer::spawn_with(|config| config.rate_limits.login_per_address = 5).await;
    server.register("alice").await;
    let bodies = (0..30)
        .map(|_| json!({ "username": "alice", "password": PASSWORD }))
        .collect();
    let replies = post_concurrently(&server, LOGIN, bodies).await;
    let admitted = replies.iter().filter(|r| r.status == 200).count();
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.assert_error(429, "RATE_LIMITED");
    }
    assert_eq!(admitted, 5);
}

#[tokio::test]
async fn login_limits_lift_after_the_window() {
    let server = TestServer::spawn_with(|config| {
        config.rate_limits.login_window_secs = 2;
        config.rate_limits.login_per_address = 2;
        config.rate_limits.login_failures_per_account = 1;
    })
    .await;
    server.register("alice").await;
    login(
        &server,
        json!({ "username": "alice", "password": "wrong password" }),
    )
    .await
    .assert_error(401, "INVALID_CREDENTIALS");
    let locked = login(
        &server,
        json!({ "username": "alice", "password": PASSWORD }),
    )
    .await;
    locked.assert_error(429, "RATE_LIMITED");
    assert!((1..=2).contains(&retry_after(&locked)));
    let limited = login(&server, json!({ "username": "bob", "password": PASSWORD })).await;
    limited.assert_error(429, "RATE_LIMITED");
    assert!((1..=2).contains(&retry_after(&limited)));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    server.login("alice", PASSWORD).await;
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let server = TestServer::spawn_with(|config| {
        config.rate_limits.login_window_secs = 2;
        config.rate_limits.register_per_address = 2;
    })
    .await;
    server.register("alice").await;
    // A refused registration counts too.
    register(
        &server,
        json!({ "username": "alice", "password": PASSWORD }),
    )
    .await
    .assert_error(409, "USERNAME_TAKEN");
    let reply = register(&server, json!({ "username": "bob", "password": PASSWORD })).await;
    reply.assert_error(429, "RATE_LIMITED");
    assert!((1..=2).contains(&retry_after(&reply)));
    // Logging in is not affected, and bob was not created.
    let alice = server.login("alice", PASSWORD).await;
    assert_no_account(&server, &alice, "bob").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    server.register("bob").await;
}
