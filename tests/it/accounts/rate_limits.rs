//! Rate limits on logins (per address, failures per account) and registrations (per
//! address): exact under concurrency, with `Retry-After`, lifted after the window; behind a
//! trusted reverse proxy, per forwarded client address, and forwarded headers from anyone
//! else ignored.

use std::time::Duration;

use serde_json::json;

use convo_homeserver::config::ForwardedHeader;
use serde_json::Value;

use super::{LOGIN, REGISTER, assert_no_account, login, post_concurrently, register, retry_after};
use crate::helpers::{PASSWORD, Reply, TestServer};

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

/// Posts `body` to `path` with one extra header, as a proxy in front of the server would.
async fn post_via(server: &TestServer, path: &str, header: (&str, &str), body: Value) -> Reply {
    let request = server
        .client
        .post(server.url(path))
        .header(header.0, header.1)
        .json(&body);
    Reply::send(request).await
}

fn alice() -> Value {
    json!({ "username": "alice", "password": PASSWORD })
}

#[tokio::test]
async fn forwarded_addresses_from_an_untrusted_peer_are_ignored() {
    let server = TestServer::spawn_with(|config| config.rate_limits.login_per_address = 2).await;
    server.register("alice").await;
    for (i, client) in ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
        .into_iter()
        .enumerate()
    {
        let reply = post_via(&server, LOGIN, ("x-forwarded-for", client), alice()).await;
        if i < 2 {
            reply.assert_status(200);
        } else {
            // Every "client" was the one TCP peer all along.
            reply.assert_error(429, "RATE_LIMITED");
        }
    }
    let reply = post_via(&server, LOGIN, ("forwarded", "for=203.0.113.4"), alice()).await;
    reply.assert_error(429, "RATE_LIMITED");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let server = TestServer::spawn_with(|config| {
        config.rate_limits.login_per_address = 2;
        config.rate_limits.register_per_address = 2;
        config.http.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let xff = "x-forwarded-for";
    post_via(&server, REGISTER, (xff, "203.0.113.1"), alice())
        .await
        .assert_status(201);
    for _ in 0..2 {
        post_via(&server, LOGIN, (xff, "203.0.113.1"), alice())
            .await
            .assert_status(200);
    }
    post_via(&server, LOGIN, (xff, "203.0.113.1"), alice())
        .await
        .assert_error(429, "RATE_LIMITED");
    // Prepending a made-up address does not make a new client: the proxy wrote the last one.
    post_via(&server, LOGIN, (xff, "198.51.100.9, 203.0.113.1"), alice())
        .await
        .assert_error(429, "RATE_LIMITED");
    // Another client behind the same proxy, seen through a second proxy of ours.
    let reply = post_via(&server, LOGIN, (xff, "203.0.113.2, 127.0.0.2"), alice()).await;
    let token = reply.assert_status(200)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The device list shows the client's address, not the proxy's.
    let devices = server.get("/api/v1/auth/devices", Some(&token)).await;
    let current = devices.assert_status(200)["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["current"] == true)
        .cloned()
        .unwrap();
    assert_eq!(current["last_seen_ip"], "203.0.113.2", "{current}");
    // Registration counts by the forwarded client too.
    let bob = json!({ "username": "bob", "password": PASSWORD });
    post_via(&server, REGISTER, (xff, "203.0.113.1"), bob.clone())
        .await
        .assert_status(201);
    let carol = json!({ "username": "carol", "password": PASSWORD });
    post_via(&server, REGISTER, (xff, "203.0.113.1"), carol.clone())
        .await
        .assert_error(429, "RATE_LIMITED");
    post_via(&server, REGISTER, (xff, "203.0.113.3"), carol)
        .await
        .assert_status(201);
}

#[tokio::test]
async fn a_proxy_sending_rfc_7239_forwarded_is_read_when_configured() {
    let server = TestServer::spawn_with(|config| {
        config.rate_limits.login_per_address = 1;
        config.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        config.http.forwarded_header = ForwardedHeader::Forwarded;
    })
    .await;
    server.register("alice").await;
    let first = "for=203.0.113.1;proto=https";
    post_via(&server, LOGIN, ("forwarded", first), alice())
        .await
        .assert_status(200);
    post_via(&server, LOGIN, ("forwarded", first), alice())
        .await
        .assert_error(429, "RATE_LIMITED");
    let v6 = "for=\"[2001:db8:cafe::17]:4711\"";
    post_via(&server, LOGIN, ("forwarded", v6), alice())
        .await
        .assert_status(200);
    // With `forwarded` configured, X-Forwarded-For is a client's word only.
    post_via(&server, LOGIN, ("x-forwarded-for", "203.0.113.9"), alice())
        .await
        .assert_status(200);
    post_via(&server, LOGIN, ("x-forwarded-for", "203.0.113.10"), alice())
        .await
        .assert_error(429, "RATE_LIMITED");
}
