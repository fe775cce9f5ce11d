//! Registration that succeeds: the first account is the admin, what is stored is
//! normalised, usernames, email addresses and phone numbers are unique, also under concurrency.

use serde_json::{Value, json};

use super::{ME, REGISTER, assert_no_account, now_ms, post_concurrently, register};
use crate::helpers::{PASSWORD, TestServer};

#[tokio::test]
async fn first_account_is_admin_and_later_ones_are_not() {
    let server = TestServer::spawn().await;
    let before = now_ms();
    let first = register(
        &server,
        json!({ "username": "alice", "password": PASSWORD }),
    )
    .await;
    let first = first.assert_status(201);
    assert_eq!(first["user_id"], "@alice:localhost");
    assert_eq!(first["username"], "alice");
    assert_eq!(first["is_admin"], true);
    assert_eq!(first["email"], Value::Null);
    assert_eq!(first["phone"], Value::Null);
    assert_eq!(first["display_name"], Value::Null);
    let created_at = first["created_at"].as_i64().expect("created_at");
    assert!(
        (before..=now_ms()).contains(&created_at),
        "created_at {created_at} is not now"
    );

    let second = register(&server, json!({ "username": "bob", "password": PASSWORD })).await;
    let second = second.assert_status(201);
    assert_eq!(second["user_id"], "@bob:localhost");
    assert_eq!(second["is_admin"], false);

    let bob = server.login("bob", PASSWORD).await;
    let me = server.get(ME, Some(&bob.access_token)).await;
    assert_eq!(me.assert_status(200)["is_admin"], false);
}

#[tokio::test]
async fn registration_normalises_username_email_phone_and_display_name() {
    let server = TestServer::spawn().await;
    let reply = register(
        &server,
        json!({
            "username": " Alice ",
            "password": PASSWORD,
            "email": " Alice@Example.ORG ",
            "phone": "+44 (20) 7946-0958",
            "display_name": "  Alice A.  ",
        }),
    )
    .await;
    let profile = reply.assert_status(201);
    assert_eq!(profile["user_id"], "@alice:localhost");
    assert_eq!(profile["username"], "alice");
    assert_eq!(profile["email"], "alice@example.org");
    assert_eq!(profile["phone"], "+442079460958");
    assert_eq!(profile["display_name"], "Alice A.");

    // What was stored is what was answered.
    let alice = server.login("ALICE", PASSWORD).await;
    assert_eq!(alice.user_id, "@alice:localhost");
    let me = server.get(ME, Some(&alice.access_token)).await;
    let me = me.assert_status(200);
    for field in ["user_id", "username", "email", "phone", "display_name"] {
        assert_eq!(me[field], profile[field], "{field}");
    }
}

#[tokio::test]
async fn empty_optional_fields_count_as_absent() {
    let server = TestServer::spawn().await;
    for name in ["alice", "bob"] {
        let reply = register(
            &server,
            json!({
                "username": name,
                "password": PASSWORD,
                "email": "",
                "phone": "  ",
                "display_name": "",
                "registration_token": "",
            }),
        )
        .await;
        let profile = reply.assert_status(201);
        assert_eq!(profile["email"], Value::Null, "{name}");
        assert_eq!(profile["phone"], Value::Null, "{name}");
        assert_eq!(profile["display_name"], Value::Null, "{name}");
    }
}

#[tokio::test]
async fn usernames_at_the_length_limits_are_accepted() {
    let server = TestServer::spawn().await;
    for name in ["abc", "0-1", &"z".repeat(32), "a.b_c-d9"] {
        let reply = register(&server, json!({ "username": name, "password": PASSWORD })).await;
        assert_eq!(reply.assert_status(201)["username"], name);
    }
}

#[tokio::test]
async fn a_username_is_taken_in_any_case() {
    let server = TestServer::spawn().await;
    server.register("alice").await;
    for name in ["alice", "ALICE", " Alice "] {
        let reply = register(
            &server,
            json!({ "username": name, "password": PASSWORD, "email": "other@example.org" }),
        )
        .await;
        assert_eq!(reply.code(), "USERNAME_TAKEN", "{name:?}: {:?}", reply.body);
        reply.assert_error(409, "USERNAME_TAKEN");
    }
    // The refused attempts stored nothing: their email address is still free.
    let reply = register(
        &server,
        json!({ "username": "bob", "password": PASSWORD, "email": "other@example.org" }),
    )
    .await;
    reply.assert_status(201);
    // And the original account is untouched.
    server.login("alice", PASSWORD).await;
}

#[tokio::test]
async fn an_email_address_is_taken_in_any_case() {
    let server = TestServer::spawn().await;
    let alice = register(
        &server,
        json!({ "username": "alice", "password": PASSWORD, "email": "alice@example.org" }),
    )
    .await;
    alice.assert_status(201);
    let viewer = server.user("viewer").await;
    for email in [
        "alice@example.org",
        "ALICE@Example.Org",
        " alice@EXAMPLE.org ",
    ] {
        let reply = register(
            &server,
            json!({ "username": "bob", "password": PASSWORD, "email": email }),
        )
        .await;
        assert_eq!(reply.code(), "EMAIL_TAKEN", "{email:?}: {:?}", reply.body);
        reply.assert_error(409, "EMAIL_TAKEN");
        assert_no_account(&server, &viewer, "bob").await;
    }
    // The name was not taken by the failures.
    let reply = register(&server, json!({ "username": "bob", "password": PASSWORD })).await;
    reply.assert_status(201);
}

#[tokio::test]
async fn a_phone_number_is_taken_in_any_formatting() {
    let server = TestServer::spawn().await;
    let alice = register(
        &server,
        json!({ "username": "alice", "password": PASSWORD, "phone": "+442079460958" }),
    )
    .await;
    alice.assert_status(201);
    let viewer = server.user("viewer").await;
    for phone in [
        "+442079460958",
        "+44 20 7946 0958",
        "+44-20-7946-0958",
        "+44 (20) 7946.0958",
    ] {
        let reply = register(
            &server,
            json!({ "username": "bob", "password": PASSWORD, "phone": phone }),
        )
        .await;
        assert_eq!(reply.code(), "PHONE_TAKEN", "{phone:?}: {:?}", reply.body);
        reply.assert_error(409, "PHONE_TAKEN");
        assert_no_account(&server, &viewer, "bob").await;
    }
    let reply = register(
        &server,
        json!({ "username": "bob", "password": PASSWORD, "phone": "+442079460959" }),
    )
    .await;
    reply.assert_status(201);
}

#[tokio::test]
async fn a_deactivated_username_stays_taken_but_its_email_is_freed() {
    let server = TestServer::spawn().await;
    register(
        &server,
        json!({ "username": "alice", "password": PASSWORD, "email": "alice@example.org", "phone": "+442079460958" }),
    )
    .await
    .assert_status(201);
    let alice = server.login("alice", PASSWORD).await;
    server
        .post(
            "/api/v1/auth/deactivate",
            Some(&alice.access_token),
            json!({ "password": PASSWORD }),
        )
        .await
        .assert_status(204);
    register(
        &server,
        json!({ "username": "Alice", "password": PASSWORD }),
    )
    .await
    .assert_error(409, "USERNAME_TAKEN");
    let reply = register(
        &server,
        json!({ "username": "alice2", "password": PASSWORD, "email": "alice@example.org", "phone": "+442079460958" }),
    )
    .await;
    reply.assert_status(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_registrations_make_exactly_one_admin() {
    let server = TestServer::spawn().await;
    let bodies = (0..10)
        .map(|i| json!({ "username": format!("user{i}"), "password": PASSWORD }))
        .collect();
    let replies = post_concurrently(&server, REGISTER, bodies).await;
    for reply in &replies {
        reply.assert_status(201);
    }
    let admins: Vec<_> = replies
        .iter()
        .filter(|r| r.body["is_admin"] == true)
        .map(|r| r.body["username"].clone())
        .collect();
    assert_eq!(admins.len(), 1, "admins: {admins:?}");
    // And the stored accounts agree with the answers.
    for reply in &replies {
        let name = reply.body["username"].as_str().expect("username");
        let user = server.login(name, PASSWORD).await;
        let me = server.get(ME, Some(&user.access_token)).await;
        assert_eq!(me.assert_status(200)["is_admin"], reply.body["is_admin"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_of_one_name_create_one_account() {
    let server = TestServer::spawn().await;
    let bodies = (0..5)
        .map(|i| {
            json!({
                "username": if i % 2 == 0 { "alice" } else { "ALICE" },
                "password": PASSWORD,
                "email": format!("alice{i}@example.org"),
            })
        })
        .collect();
    let replies = post_concurrently(&server, REGISTER, bodies).await;
    let created: Vec<_> = replies.iter().filter(|r| r.status == 201).collect();
    assert_eq!(created.len(), 1, "{replies:?}");
    assert_eq!(created[0].body["is_admin"], true);
    for reply in replies.iter().filter(|r| r.status != 201) {
        reply.assert_error(409, "USERNAME_TAKEN");
    }
    // The winner's email is the one stored; the losers' addresses are free.
    let winner = created[0].body["email"].as_str().expect("email").to_owned();
    for i in 0..5 {
        let email = format!("alice{i}@example.org");
        let reply = register(
            &server,
            json!({ "username": format!("other{i}"), "password": PASSWORD, "email": email }),
        )
        .await;
        if email == winner {
            reply.assert_error(409, "EMAIL_TAKEN");
        } else {
            reply.assert_status(201);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_of_one_email_create_one_account() {
    let server = TestServer::spawn().await;
    server.register("first").await;
    let bodies = (0..5)
        .map(|i| {
            json!({
                "username": format!("user{i}"),
                "password": PASSWORD,
                "email": "Same@Example.org",
                "phone": "+15551234567",
            })
        })
        .collect();
    let replies = post_concurrently(&server, REGISTER, bodies).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1, "{replies:?}");
    for reply in replies.iter().filter(|r| r.status != 201) {
        assert!(
            matches!(reply.code(), "EMAIL_TAKEN" | "PHONE_TAKEN"),
            "{reply:?}"
        );
        assert_eq!(reply.status, 409);
    }
}
