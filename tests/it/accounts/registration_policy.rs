//! Registration policies (`closed`, `token`) and the registration tokens admins create.

use std::time::Duration;

use serde_json::{Value, json};

use super::{
    REGISTER, TOKENS, admin_and_token, assert_no_account, now_ms, post_concurrently, register,
};
use crate::helpers::{PASSWORD, TestServer};

#[tokio::test]
async fn closed_registration_allows_only_the_first_account() {
    let server = TestServer::spawn_with(|config| {
        config.registration.policy = convo_homeserver::config::RegistrationPolicy::Closed;
    })
    .await;
    let first = register(
        &server,
        json!({ "username": "alice", "password": PASSWORD }),
    )
    .await;
    assert_eq!(first.assert_status(201)["is_admin"], true);
    let alice = server.login("alice", PASSWORD).await;
    for name in ["bob", "carol"] {
        register(&server, json!({ "username": name, "password": PASSWORD }))
            .await
            .assert_error(403, "REGISTRATION_CLOSED");
        assert_no_account(&server, &alice, name).await;
    }
}

#[tokio::test]
async fn a_refused_first_registration_does_not_use_up_the_admin_role() {
    let server = TestServer::spawn_with(|config| {
        config.registration.policy = convo_homeserver::config::RegistrationPolicy::Closed;
    })
    .await;
    register(&server, json!({ "username": "alice", "password": "short" }))
        .await
        .assert_error(400, "WEAK_PASSWORD");
    register(
        &server,
        json!({ "username": "alice", "password": PASSWORD, "email": "nope" }),
    )
    .await
    .assert_error(400, "INVALID_EMAIL");
    let reply = register(
        &server,
        json!({ "username": "alice", "password": PASSWORD }),
    )
    .await;
    assert_eq!(reply.assert_status(201)["is_admin"], true);
}

#[tokio::test]
async fn token_registration_needs_a_valid_token() {
    let server = TestServer::spawn_with(|config| {
        config.registration.policy = convo_homeserver::config::RegistrationPolicy::Token;
    })
    .await;
    // The first account needs no token.
    let first = register(
        &server,
        json!({ "username": "admin", "password": PASSWORD }),
    )
    .await;
    assert_eq!(first.assert_status(201)["is_admin"], true);
    let admin = server.login("admin", PASSWORD).await;

    register(&server, json!({ "username": "bob", "password": PASSWORD }))
        .await
        .assert_error(403, "INVALID_REGISTRATION_TOKEN");
    for bogus in ["", "nope", "AAAAAAAAAAAAAAAAAAAAAAAA"] {
        register(
            &server,
            json!({ "username": "bob", "password": PASSWORD, "registration_token": bogus }),
        )
        .await
        .assert_error(403, "INVALID_REGISTRATION_TOKEN");
    }
    assert_no_account(&server, &admin, "bob").await;

    let reply = server
        .post(
            TOKENS,
            Some(&admin.access_token),
            json!({ "uses_allowed": 1 }),
        )
        .await;
    let created = reply.assert_status(201);
    let token = created["token"].as_str().expect("token").to_owned();
    assert!(token.len() >= 16, "token too short to be secret: {token}");
    assert_eq!(created["uses_allowed"], 1);
    assert_eq!(created["expires_at"], Value::Null);

    let bob = register(
        &server,
        json!({ "username": "bob", "password": PASSWORD, "registration_token": token }),
    )
    .await;
    assert_eq!(bob.assert_status(201)["is_admin"], false);
    // Used up.
    register(
        &server,
        json!({ "username": "carol", "password": PASSWORD, "registration_token": token }),
    )
    .await
    .assert_error(403, "INVALID_REGISTRATION_TOKEN");
    assert_no_account(&server, &admin, "carol").await;
}

#[tokio::test]
async fn registration_tokens_count_their_uses_and_may_be_unlimited() {
    let server = TestServer::spawn_with(|config| {
        config.registration.policy = convo_homeserver::config::RegistrationPolicy::Token;
    })
    .await;
    let (admin, three) = admin_and_token(&server, json!({ "uses_allowed": 3 })).await;
    let reply = server
        .post(TOKENS, Some(&admin.access_token), json!({}))
        .await;
    let unlimited = reply.assert_status(201);
    assert_eq!(unlimited["uses_allowed"], Value::Null);
    assert_eq!(unlimited["expires_at"], Value::Null);
    // `null` is the same as leaving a limit out.
    let reply = server
        .post(
            TOKENS,
            Some(&admin.access_token),
            json!({ "uses_allowed": null, "expires_in_secs": null }),
        )
        .await;
    let also_unlimited = reply.assert_status(201);
    assert_eq!(also_unlimited["uses_allowed"], Value::Null);
    assert_eq!(also_unlimited["expires_at"], Value::Null);
    let unlimited = unlimited["token"].as_str().expect("token").to_owned();
    assert_ne!(unlimited, three, "tokens must be random");

    for i in 0..3 {
        register(
            &server,
            json!({ "username": format!("three{i}"), "password": PASSWORD, "registration_token": three }),
        )
        .await
        .assert_status(201);
    }
    register(
        &server,
        json!({ "username": "three3", "password": PASSWORD, "registration_token": three }),
    )
    .await
    .assert_error(403, "INVALID_REGISTRATION_TOKEN");
    for i in 0..5 {
        register(
            &server,
            json!({ "username": format!("many{i}"), "password": PASSWORD, "registration_token": unlimited }),
        )
        .await
        .assert_status(201);
    }
}

#[tokio::test]
async fn a_failed_registration_does_not_use_up_a_token() {
    let server = TestServer::spawn_with(|config| {
        config.registration.policy = convo_homeserver::config::RegistrationPolicy::Token;
    })
    .await;
    register(
        &server,
        json!({ "username": "admin", "password": PASSWORD, "email": "admin@example.org", "phone": "+15551234567" }),
    )
    .await
    .assert_status(201);
    let admin = server.login("admin", PASSWORD).await;
    let reply = server
        .post(
            TOKENS,
            Some(&admin.access_token),
            json!({ "uses_allowed": 1 }),
        )
        .await;
    let token = reply.assert_status(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let attempts = [
        (
            json!({ "username": "bob", "password": "short" }),
            400,
            "WEAK_PASSWORD",
        ),
        (
            json!({ "username": "b!b", "password": PASSWORD }),
            400,
            "INVALID_USERNAME",
        ),
        (
            json!({ "username": "bob", "password": PASSWORD, "email": "x" }),
            400,
            "INVALID_EMAIL",
        ),
        (
            json!({ "username": "ADMIN", "password": PASSWORD }),
            409,
            "USERNAME_TAKEN",
        ),
        (
            json!({ "username": "bob", "password": PASSWORD, "email": "Admin@example.org" }),
            409,
            "EMAIL_TAKEN",
        ),
        (
            json!({ "username": "bob", "password": PASSWORD, "phone": "+1 555 123 4567" }),
            409,
            "PHONE_TAKEN",
        ),
    ];
    for (mut body, status, code) in attempts {
        body["registration_token"] = json!(token);
        let reply = register(&server, body.clone()).await;
        assert_eq!(reply.code(), code, "{body}: {:?}", reply.body);
        reply.assert_error(status, code);
    }
    // The one use is still there, and only one.
    register(
        &server,
        json!({ "username": "bob", "password": PASSWORD, "registration_token": token }),
    )
    .await
    .assert_status(201);
    register(
        &server,
        json!({ "username": "carol", "password": PASSWORD, "registration_token": token }),
    )
    .await
    .assert_error(403, "INVALID_REGISTRATION_TOKEN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_uses_of_a_single_use_token_admit_one() {
    let server = TestServer::spawn_with(|config| {
        config.registration.policy = convo_homeserver::config::RegistrationPolicy::Token;
    })
    .await;
    let (admin, token) = admin_and_token(&server, json!({ "uses_allowed": 1 })).await;
    let bodies = (0..6)
        .map(|i| {
            json!({ "username": format!("user{i}"), "password": PASSWORD, "registration_token": token })
        })
        .collect();
    let replies = post_concurrently(&server, REGISTER, bodies).await;
    let created: Vec<_> = replies.iter().filter(|r| r.status == 201).collect();
    assert_eq!(created.len(), 1, "{replies:?}");
    for reply in replies.iter().filter(|r| r.status != 201) {
        reply.assert_error(403, "INVALID_REGISTRATION_TOKEN");
    }
    let winner = created[0].body["username"].as_str().expect("username");
    for i in 0..6 {
        let name = format!("user{i}");
        if name != winner {
            assert_no_account(&server, &admin, &name).await;
        }
    }
}

#[tokio::test]
async fn an_expired_registration_token_is_refused() {
    let server = TestServer::spawn_with(|config| {
        config.registration.policy = convo_homeserver::config::RegistrationPolicy::Token;
    })
    .await;
    let admin = server.user("admin").await;
    let before = now_ms();
    let reply = server
        .post(
            TOKENS,
            Some(&admin.access_token),
            json!({ "expires_in_secs": 2, "uses_allowed": 5 }),
        )
        .await;
    let created = reply.assert_status(201);
    let expires_at = created["expires_at"].as_i64().expect("expires_at");
    assert!(
        (before + 2000..=now_ms() + 2000).contains(&expires_at),
        "expires_at {expires_at} is not two seconds from now ({before})"
    );
    let token = created["token"].as_str().expect("token").to_owned();
    register(
        &server,
        json!({ "username": "bob", "password": PASSWORD, "registration_token": token }),
    )
    .await
    .assert_status(201);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    register(
        &server,
        json!({ "username": "carol", "password": PASSWORD, "registration_token": token }),
    )
    .await
    .assert_error(403, "INVALID_REGISTRATION_TOKEN");
}

#[tokio::test]
async fn only_admins_create_registration_tokens() {
    let server = TestServer::spawn().await;
    let admin = server.user("admin").await;
    let bob = server.user("bob").await;
    server
        .post(TOKENS, Some(&bob.access_token), json!({}))
        .await
        .assert_error(403, "FORBIDDEN");
    server
        .post(TOKENS, None, json!({}))
        .await
        .assert_error(401, "MISSING_TOKEN");
    server
        .post(TOKENS, Some("not-a-token"), json!({}))
        .await
        .assert_error(401, "INVALID_TOKEN");
    for body in [
        json!({ "uses_allowed": 0 }),
        json!({ "uses_allowed": -1 }),
        json!({ "uses_allowed": 1_000_001 }),
        json!({ "uses_allowed": 4_294_967_296_u64 }),
        json!({ "uses_allowed": 1.5 }),
        json!({ "uses_allowed": "3" }),
        json!({ "expires_in_secs": 0 }),
        json!({ "expires_in_secs": -5 }),
        json!({ "expires_in_secs": 31_536_001 }),
        json!({ "expires_in_secs": u64::MAX }),
        json!([]),
        json!(null),
    ] {
        let reply = server
            .post(TOKENS, Some(&admin.access_token), body.clone())
            .await;
        assert_eq!(reply.code(), "INVALID_REQUEST", "{body}: {:?}", reply.body);
        reply.assert_error(400, "INVALID_REQUEST");
    }
    // The largest values are fine.
    let reply = server
        .post(
            TOKENS,
            Some(&admin.access_token),
            json!({ "uses_allowed": 1_000_000, "expires_in_secs": 31_536_000 }),
        )
        .await;
    assert_eq!(reply.assert_status(201)["uses_allowed"], 1_000_000);
}
