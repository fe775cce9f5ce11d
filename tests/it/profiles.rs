//! Profiles: the caller's own (`GET`/`PUT /users/me`) and other users' public ones.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestServer, TestUser};

const ME: &str = "/api/v1/users/me";

async fn update(server: &TestServer, user: &TestUser, body: Value) -> Reply {
    server.put(ME, Some(&user.access_token), body).await
}

async fn me(server: &TestServer, user: &TestUser) -> Value {
    server
        .get(ME, Some(&user.access_token))
        .await
        .assert_status(200)
        .clone()
}

/// `/api/v1/users/{user_id}` with the id percent-encoded.
fn user_path(user_id: &str) -> String {
    format!(
        "/api/v1/users/{}",
        user_id.replace('@', "%40").replace(':', "%3A")
    )
}

#[tokio::test]
async fn own_profile_has_every_field() {
    let server = TestServer::spawn().await;
    let admin = server.user("admin").await;
    let alice = server.user("alice").await;
    let body = me(&server, &alice).await;
    let created_at = body["created_at"].as_i64().expect("created_at");
    assert!(created_at > 1_600_000_000_000, "{body}");
    assert_eq!(
        body,
        json!({
            "user_id": "@alice:localhost",
            "username": "alice",
            "display_name": null,
            "about": null,
            "avatar_url": null,
            "email": null,
            "phone": null,
            "is_admin": false,
            "created_at": created_at,
            "last_seen": "everyone",
        })
    );
    assert_eq!(alice.user_id, format!("@alice:{}", server.server_name));
    // The first account on a server administers it.
    assert_eq!(me(&server, &admin).await["is_admin"], true);
    server
        .get(ME, None)
        .await
        .assert_error(401, "MISSING_TOKEN");
}

#[tokio::test]
async fn a_partial_update_changes_only_the_fields_given() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let all = json!({
        "display_name": "Alice",
        "about": "Down the rabbit hole",
        "avatar_url": "https://example.org/alice.png",
        "email": "alice@example.org",
        "phone": "+442079460958",
    });
    let reply = update(&server, &alice, all.clone()).await;
    let returned = reply.assert_status(200).clone();
    for (field, value) in all.as_object().expect("object") {
        assert_eq!(&returned[field], value, "{field}");
    }
    assert_eq!(me(&server, &alice).await, returned);

    let reply = update(
        &server,
        &alice,
        json!({ "about": "Through the looking glass" }),
    )
    .await;
    let mut expected = returned.clone();
    expected["about"] = json!("Through the looking glass");
    assert_eq!(reply.assert_status(200), &expected);

    // An empty body changes nothing and still answers with the profile.
    let reply = update(&server, &alice, json!({})).await;
    assert_eq!(reply.assert_status(200), &expected);
    assert_eq!(me(&server, &alice).await, expected);
}

#[tokio::test]
async fn null_clears_a_field_and_leaving_it_out_keeps_it() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let all = json!({
        "display_name": "Alice",
        "about": "hi",
        "avatar_url": "convo://localhost/media/abc",
        "email": "alice@example.org",
        "phone": "+442079460958",
    });
    update(&server, &alice, all.clone())
        .await
        .assert_status(200);
    let reply = update(
        &server,
        &alice,
        json!({ "display_name": null, "phone": null }),
    )
    .await;
    let body = reply.assert_status(200).clone();
    assert_eq!(body["display_name"], Value::Null);
    assert_eq!(body["phone"], Value::Null);
    for field in ["about", "avatar_url", "email"] {
        assert_eq!(body[field], all[field], "{field}");
    }
    assert_eq!(me(&server, &alice).await, body);
    let reply = update(
        &server,
        &alice,
        json!({ "about": null, "avatar_url": null, "email": null }),
    )
    .await;
    let body = reply.assert_status(200).clone();
    for field in ["display_name", "about", "avatar_url", "email", "phone"] {
        assert_eq!(body[field], Value::Null, "{field}");
    }
    // The phone and email are free for someone else again.
    let bob = server.user("bob").await;
    update(&server, &bob, all.clone()).await.assert_status(200);
}

#[tokio::test]
async fn an_empty_string_clears_a_field() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    update(
        &server,
        &alice,
        json!({
            "display_name": "Alice",
            "about": "hi",
            "avatar_url": "convo://localhost/media/abc",
            "email": "alice@example.org",
            "phone": "+442079460958",
        }),
    )
    .await
    .assert_status(200);
    let reply = update(
        &server,
        &alice,
        json!({ "display_name": "", "about": "   ", "avatar_url": "", "email": "", "phone": "" }),
    )
    .await;
    let body = reply.assert_status(200).clone();
    for field in ["display_name", "about", "avatar_url", "email", "phone"] {
        assert_eq!(body[field], Value::Null, "{field}");
    }
    assert_eq!(me(&server, &alice).await, body);
}

#[tokio::test]
async fn values_are_trimmed_and_normalised() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let reply = update(
        &server,
        &alice,
        json!({
            "display_name": "  Alice Liddell \n",
            "about": "\tline one\nline two  ",
            "avatar_url": " http://example.org/a.png ",
            "email": "  Alice.Liddell@Example.ORG ",
            "phone": " +44 (20) 7946-0958 ",
        }),
    )
    .await;
    let body = reply.assert_status(200);
    assert_eq!(body["display_name"], "Alice Liddell");
    assert_eq!(body["about"], "line one\nline two");
    assert_eq!(body["avatar_url"], "http://example.org/a.png");
    assert_eq!(body["email"], "alice.liddell@example.org");
    assert_eq!(body["phone"], "+442079460958");
    // The stored form is the normalised one: logging in by email finds it.
    server
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "ALICE.LIDDELL@example.org", "password": crate::helpers::PASSWORD }),
        )
        .await
        .assert_status(200);
}

#[tokio::test]
async fn over_long_text_is_refused() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    // Limits count characters, not bytes, and apply after trimming.
    let ok = json!({
        "display_name": format!("  {}  ", "🦊".repeat(64)),
        "about": "é".repeat(280),
    });
    update(&server, &alice, ok).await.assert_status(200);
    let before = me(&server, &alice).await;
    for body in [
        json!({ "display_name": "a".repeat(65) }),
        json!({ "display_name": "🦊".repeat(65) }),
        json!({ "about": "a".repeat(281) }),
        json!({ "about": "🦊".repeat(281) }),
        // Also over the request schema's own bound.
        json!({ "display_name": "a".repeat(257) }),
        json!({ "about": "a".repeat(1025) }),
    ] {
        update(&server, &alice, body)
            .await
            .assert_error(400, "INVALID_REQUEST");
    }
    assert_eq!(me(&server, &alice).await, before);
}

#[tokio::test]
async fn control_characters_are_refused() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    for body in [
        json!({ "display_name": "Al\u{0}ice" }),
        json!({ "display_name": "Al\u{7}ice" }),
        json!({ "display_name": "Al\tice" }),
        json!({ "about": "bell \u{1b}[31m red" }),
        json!({ "about": "\u{7f}" }),
        json!({ "avatar_url": "https://example.org/a\u{0}.png" }),
    ] {
        update(&server, &alice, body)
            .await
            .assert_error(400, "INVALID_REQUEST");
    }
    assert_eq!(me(&server, &alice).await["display_name"], Value::Null);
}

#[tokio::test]
async fn bad_avatar_urls_are_refused() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    for url in [
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "ftp://example.org/a.png",
        "https://",
        "example.org/a.png",
        "https://example.org/a b.png",
    ] {
        update(&server, &alice, json!({ "avatar_url": url }))
            .await
            .assert_error(400, "INVALID_REQUEST");
    }
    let long = format!("https://example.org/{}", "a".repeat(1_010));
    update(&server, &alice, json!({ "avatar_url": long }))
        .await
        .assert_error(400, "INVALID_REQUEST");
    assert_eq!(me(&server, &alice).await["avatar_url"], Value::Null);
}

#[tokio::test]
async fn bad_email_addresses_and_phone_numbers_are_refused() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    for email in [
        "alice",
        "alice@",
        "@example.org",
        "alice@example",
        "a b@example.org",
        "alice@ex..org",
    ] {
        update(&server, &alice, json!({ "email": email }))
            .await
            .assert_error(400, "INVALID_EMAIL");
    }
    for phone in [
        "07946 0958",
        "+12",
        "+0123456789",
        "+44 20 79x6 0958",
        "+1234567890123456",
    ] {
        update(&server, &alice, json!({ "phone": phone }))
            .await
            .assert_error(400, "INVALID_PHONE");
    }
    // One bad field spoils the whole update.
    update(
        &server,
        &alice,
        json!({ "display_name": "Alice", "email": "not an email" }),
    )
    .await
    .assert_error(400, "INVALID_EMAIL");
    let body = me(&server, &alice).await;
    for field in ["display_name", "email", "phone"] {
        assert_eq!(body[field], Value::Null, "{field}");
    }
}

#[tokio::test]
async fn email_and_phone_used_by_another_account_are_refused() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    update(
        &server,
        &alice,
        json!({ "email": "alice@example.org", "phone": "+442079460958" }),
    )
    .await
    .assert_status(200);
    update(&server, &bob, json!({ "display_name": "Bob" }))
        .await
        .assert_status(200);
    let bob_before = me(&server, &bob).await;

    // Compared in normalised form, and nothing else in the request is applied.
    update(
        &server,
        &bob,
        json!({ "display_name": "Robert", "email": "ALICE@example.org" }),
    )
    .await
    .assert_error(409, "EMAIL_TAKEN");
    update(
        &server,
        &bob,
        json!({ "display_name": "Robert", "phone": "+44 20 7946 0958" }),
    )
    .await
    .assert_error(409, "PHONE_TAKEN");
    assert_eq!(me(&server, &bob).await, bob_before);

    // Setting one's own values again is no conflict.
    update(
        &server,
        &alice,
        json!({ "email": "alice@example.org", "phone": "+442079460958" }),
    )
    .await
    .assert_status(200);
    // Once Alice lets go of them, Bob may have them.
    update(&server, &alice, json!({ "email": "", "phone": "" }))
        .await
        .assert_status(200);
    let reply = update(
        &server,
        &bob,
        json!({ "email": "alice@example.org", "phone": "+442079460958" }),
    )
    .await;
    let body = reply.assert_status(200);
    assert_eq!(
        (&body["email"], &body["phone"]),
        (&json!("alice@example.org"), &json!("+442079460958"))
    );
}

#[tokio::test]
async fn malformed_or_non_json_bodies_are_refused() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let token = Some(alice.access_token.as_str());
    for raw in [
        &b"{\"display_name\": "[..],
        b"not json",
        b"[]",
        b"{\"display_name\": [\"Alice\"]}",
        b"{\"display_name\": {}}",
        b"",
    ] {
        server
            .call_raw(Method::PUT, ME, token, "application/json", raw.to_vec())
            .await
            .assert_error(400, "INVALID_REQUEST");
    }
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        server
            .call_raw(
                Method::PUT,
                ME,
                token,
                content_type,
                br#"{"display_name": "Alice"}"#.to_vec(),
            )
            .await
            .assert_error(415, "UNSUPPORTED_CONTENT_TYPE");
    }
    server
        .call_raw(
            Method::PUT,
            ME,
            token,
            "",
            br#"{"display_name": "Alice"}"#.to_vec(),
        )
        .await
        .assert_error(415, "UNSUPPORTED_CONTENT_TYPE");
    assert_eq!(me(&server, &alice).await["display_name"], Value::Null);
    // Numbers and booleans are not strings, whatever the framework would coerce.
    update(&server, &alice, json!({ "display_name": 5 }))
        .await
        .assert_error(400, "INVALID_REQUEST");
    update(&server, &alice, json!({ "about": true }))
        .await
        .assert_error(400, "INVALID_REQUEST");
    assert_eq!(me(&server, &alice).await["display_name"], Value::Null);
    server
        .put(ME, None, json!({ "display_name": "Alice" }))
        .await
        .assert_error(401, "MISSING_TOKEN");
}

#[tokio::test]
async fn public_profiles_show_public_fields_only() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    update(
        &server,
        &alice,
        json!({
            "display_name": "Alice",
            "about": "hi",
            "avatar_url": "https://example.org/alice.png",
            "email": "alice@example.org",
            "phone": "+442079460958",
        }),
    )
    .await
    .assert_status(200);
    let expected = json!({
        "user_id": "@alice:localhost",
        "display_name": "Alice",
        "about": "hi",
        "avatar_url": "https://example.org/alice.png",
        "deactivated": false,
    });
    for path in [
        user_path(&alice.user_id),
        format!("/api/v1/users/{}", alice.user_id),
        "/api/v1/users/%40alice:localhost".to_owned(),
        // Server names are case-insensitive.
        "/api/v1/users/@alice:LOCALHOST".to_owned(),
    ] {
        let reply = server.get(&path, Some(&bob.access_token)).await;
        assert_eq!(reply.assert_status(200), &expected, "{path}");
    }
    // One's own public profile looks the same as anyone else's view of it.
    let reply = server
        .get(&user_path(&alice.user_id), Some(&alice.access_token))
        .await;
    assert_eq!(reply.assert_status(200), &expected);
    let body = reply.body.as_object().expect("object");
    assert!(!body.contains_key("email") && !body.contains_key("phone"));
}

#[tokio::test]
async fn unknown_users_are_not_found() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    for user_id in ["@nobody:localhost", "@alice:example.org"] {
        server
            .get(&user_path(user_id), Some(&alice.access_token))
            .await
            .assert_error(404, "USER_NOT_FOUND");
    }
}

#[tokio::test]
async fn malformed_user_ids_are_refused() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    for user_id in [
        "alice",
        "@:x",
        "@alice",
        "@alice:",
        "@Alice:localhost",
        "%40al%20ice%3Alocalhost",
    ] {
        let path = format!("/api/v1/users/{}", user_id.replace(':', "%3A"));
        server
            .get(&path, Some(&alice.access_token))
            .await
            .assert_error(400, "INVALID_USER_ID");
    }
    let too_long = format!("@{}:localhost", "a".repeat(300));
    server
        .get(&user_path(&too_long), Some(&alice.access_token))
        .await
        .assert_error(400, "INVALID_REQUEST");
}

#[tokio::test]
async fn public_profiles_need_a_token() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    server
        .get(&user_path(&alice.user_id), None)
        .await
        .assert_error(401, "MISSING_TOKEN");
    server
        .get(&user_path(&alice.user_id), Some("garbage"))
        .await
        .assert_error(401, "INVALID_TOKEN");
}

#[tokio::test]
async fn non_ascii_and_emoji_round_trip_exactly() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    for name in [
        "Zoë Ångström",
        "山田 太郎",
        "مرحبا",
        "👩‍👩‍👧‍👦 family",
        "🏳️‍🌈",
        "e\u{301}", // decomposed: not normalised to é
    ] {
        let about = format!("{name}\n{name}");
        let reply = update(
            &server,
            &alice,
            json!({ "display_name": name, "about": about }),
        )
        .await;
        assert_eq!(reply.assert_status(200)["display_name"], name);
        let mine = me(&server, &alice).await;
        assert_eq!(
            (&mine["display_name"], &mine["about"]),
            (&json!(name), &json!(about))
        );
        let public = server
            .get(&user_path(&alice.user_id), Some(&bob.access_token))
            .await;
        assert_eq!(public.assert_status(200)["display_name"], name);
    }
}

#[tokio::test]
async fn last_seen_can_be_hidden_and_shown_again() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let privacy = "/api/v1/users/me/privacy";
    let hidden = server
        .put(
            privacy,
            Some(&alice.access_token),
            json!({ "last_seen": "nobody" }),
        )
        .await;
    assert_eq!(hidden.assert_status(200)["last_seen"], "nobody");
    assert_eq!(me(&server, &alice).await["last_seen"], "nobody");
    server
        .put(
            privacy,
            Some(&alice.access_token),
            json!({ "last_seen": "contacts" }),
        )
        .await
        .assert_error(400, "INVALID_REQUEST");
    server
        .put(
            privacy,
            Some(&alice.access_token),
            json!({ "last_seen": "everyone" }),
        )
        .await
        .assert_status(200);
    assert_eq!(me(&server, &alice).await["last_seen"], "everyone");
    server
        .put(privacy, None, json!({ "last_seen": "nobody" }))
        .await
        .assert_error(401, "MISSING_TOKEN");
}
