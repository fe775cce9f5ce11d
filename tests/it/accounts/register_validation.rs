//! Registration input that is refused, each with its status and code, and nothing
//! stored afterwards.

use reqwest::Method;
use serde_json::json;

use super::{REGISTER, assert_no_account, login, register};
use crate::helpers::{PASSWORD, Reply, TestServer};

#[tokio::test]
async fn malformed_register_bodies_are_invalid_requests() {
    let server = TestServer::spawn().await;
    let viewer = server.user("viewer").await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "truncated JSON",
            br#"{"username": "alice", "password": "#.to_vec(),
        ),
        ("trailing comma", br#"{"username": "alice",}"#.to_vec()),
        ("not JSON at all", b"username=alice&password=x".to_vec()),
    ];
    for (what, body) in cases {
        let reply = server
            .call_raw(Method::POST, REGISTER, None, "application/json", body)
            .await;
        assert_eq!(reply.code(), "INVALID_REQUEST", "{what}: {:?}", reply.body);
        reply.assert_error(400, "INVALID_REQUEST");
    }
    let typed = [
        json!({ "password": PASSWORD }),
        json!({ "username": "alice" }),
        json!({}),
        json!({ "username": null, "password": PASSWORD }),
        json!({ "username": ["alice"], "password": PASSWORD }),
        json!({ "username": { "name": "alice" }, "password": PASSWORD }),
        json!({ "username": "alice", "password": [PASSWORD] }),
        json!({ "username": "alice", "password": PASSWORD, "email": ["a@example.org"] }),
        json!({ "username": "alice", "password": PASSWORD, "display_name": {} }),
    ];
    for body in typed {
        let reply = register(&server, body.clone()).await;
        assert_eq!(reply.code(), "INVALID_REQUEST", "{body}: {:?}", reply.body);
        reply.assert_error(400, "INVALID_REQUEST");
    }
    assert_no_account(&server, &viewer, "alice").await;
}

#[tokio::test]
async fn json_numbers_and_booleans_are_not_strings() {
    // The schema says `type: string`; a client that sends a number has a bug, and silently
    // turning `12345` into the username "12345" hides it. (poem-openapi's `String` accepts
    // numbers and booleans; the request types need a strict string type.)
    let server = TestServer::spawn().await;
    let viewer = server.user("viewer").await;
    for body in [
        json!({ "username": 12345, "password": PASSWORD }),
        json!({ "username": "alice", "password": 1234567890123_u64 }),
        json!({ "username": "alice", "password": PASSWORD, "email": true }),
        json!({ "username": "alice", "password": PASSWORD, "phone": 442079460958_u64 }),
        json!({ "username": "alice", "password": PASSWORD, "display_name": 1 }),
        json!({ "username": "alice", "password": PASSWORD, "registration_token": false }),
    ] {
        let reply = register(&server, body.clone()).await;
        assert_eq!(
            (reply.status, reply.code()),
            (400, "INVALID_REQUEST"),
            "{body}: {:?}",
            reply.body
        );
    }
    assert_no_account(&server, &viewer, "12345").await;
    assert_no_account(&server, &viewer, "alice").await;
    for body in [
        json!({ "username": "viewer", "password": true }),
        json!({ "username": "viewer", "password": PASSWORD, "device_name": 7 }),
    ] {
        let reply = login(&server, body.clone()).await;
        assert_eq!(
            (reply.status, reply.code()),
            (400, "INVALID_REQUEST"),
            "{body}: {:?}",
            reply.body
        );
    }
}

#[tokio::test]
async fn register_needs_a_json_content_type() {
    let server = TestServer::spawn().await;
    let viewer = server.user("viewer").await;
    let body = json!({ "username": "alice", "password": PASSWORD }).to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
    ] {
        let reply = server
            .call_raw(
                Method::POST,
                REGISTER,
                None,
                content_type,
                body.clone().into_bytes(),
            )
            .await;
        assert_eq!(
            reply.code(),
            "UNSUPPORTED_CONTENT_TYPE",
            "{content_type}: {:?}",
            reply.body
        );
        reply.assert_error(415, "UNSUPPORTED_CONTENT_TYPE");
    }
    // No content type at all.
    let reply = Reply::send(server.client.post(server.url(REGISTER)).body(body.clone())).await;
    reply.assert_error(415, "UNSUPPORTED_CONTENT_TYPE");
    assert_no_account(&server, &viewer, "alice").await;

    // A charset parameter is still JSON.
    let reply = server
        .call_raw(
            Method::POST,
            REGISTER,
            None,
            "application/json; charset=utf-8",
            body.into_bytes(),
        )
        .await;
    reply.assert_status(201);
}

#[tokio::test]
async fn over_long_fields_are_refused_by_the_schema() {
    let server = TestServer::spawn().await;
    let viewer = server.user("viewer").await;
    let long = |n: usize| "x".repeat(n);
    let cases = [
        json!({ "username": long(65), "password": PASSWORD }),
        json!({ "username": "alice", "password": long(513) }),
        json!({ "username": "alice", "password": PASSWORD, "email": format!("{}@example.org", long(243)) }),
        json!({ "username": "alice", "password": PASSWORD, "phone": format!("+44{}", "1".repeat(31)) }),
        json!({ "username": "alice", "password": PASSWORD, "display_name": long(65) }),
        json!({ "username": "alice", "password": PASSWORD, "registration_token": long(129) }),
    ];
    for body in cases {
        let reply = register(&server, body.clone()).await;
        assert_eq!(
            reply.code(),
            "INVALID_REQUEST",
            "{:.80}: {:?}",
            body.to_string(),
            reply.body
        );
        reply.assert_error(400, "INVALID_REQUEST");
    }
    assert_no_account(&server, &viewer, "alice").await;

    // Just inside the limits: accepted (64 characters of display name, in any script).
    let reply = register(
        &server,
        json!({ "username": "alice", "password": PASSWORD, "display_name": "é".repeat(64) }),
    )
    .await;
    assert_eq!(
        reply.assert_status(201)["display_name"]
            .as_str()
            .map(|s| s.chars().count()),
        Some(64)
    );
}

#[tokio::test]
async fn bad_usernames_are_refused() {
    let server = TestServer::spawn().await;
    let viewer = server.user("viewer").await;
    let cases = [
        "",
        "   ",
        "al",
        " al ",
        &"a".repeat(33),
        &"a".repeat(64),
        "al ice",
        "alice!",
        "_alice",
        ".alice",
        "-alice",
        "ålice",
        "ａｌｉｃｅ",
        "a:b",
        "@alice:localhost",
        "alice@example.org",
        "al/ice",
        "al\nice",
    ];
    for name in cases {
        let reply = register(&server, json!({ "username": name, "password": PASSWORD })).await;
        assert_eq!(
            reply.code(),
            "INVALID_USERNAME",
            "{name:?}: {:?}",
            reply.body
        );
        reply.assert_error(400, "INVALID_USERNAME");
    }
    // A NUL is refused before any field is looked at, as everywhere (see nul_input.rs).
    let reply = register(
        &server,
        json!({ "username": "al\u{0}ice", "password": PASSWORD }),
    )
    .await;
    reply.assert_error(400, "INVALID_REQUEST");
    // None of them claimed a name or the admin role: the next account is an ordinary one.
    assert_no_account(&server, &viewer, "alice").await;
    let reply = register(
        &server,
        json!({ "username": "alice", "password": PASSWORD }),
    )
    .await;
    assert_eq!(reply.assert_status(201)["is_admin"], false);
}

#[tokio::test]
async fn weak_passwords_are_refused() {
    let server = TestServer::spawn_with(|config| config.auth.min_password_length = 10).await;
    let viewer = server.user("viewer").await;
    let cases = [
        ("", "too short"),
        ("Xy3!abcde", "9 characters, under the minimum of 10"),
        ("qwertyuiop", "common"),
        ("QwErTyUiOp", "common, in any case"),
        ("1234567890", "common digits"),
        ("my-ALICE-password", "contains the username"),
        ("xxalicexx!!", "contains the username"),
        ("abababababab", "two distinct characters"),
        ("abcabcabcabc", "three distinct characters"),
    ];
    for (password, why) in cases {
        let reply = register(
            &server,
            json!({ "username": "alice", "password": password }),
        )
        .await;
        assert_eq!(
            reply.code(),
            "WEAK_PASSWORD",
            "{password:?} ({why}): {:?}",
            reply.body
        );
        reply.assert_error(400, "WEAK_PASSWORD");
        assert_no_account(&server, &viewer, "alice").await;
    }
    // The username check compares the normalised name.
    let reply = register(
        &server,
        json!({ "username": " Carol ", "password": "i am carol, hello" }),
    )
    .await;
    reply.assert_error(400, "WEAK_PASSWORD");
    assert_no_account(&server, &viewer, "carol").await;
    // Exactly the minimum length, four distinct characters: accepted.
    let reply = register(
        &server,
        json!({ "username": "dave", "password": "abcdabcdab" }),
    )
    .await;
    reply.assert_status(201);
}

#[tokio::test]
async fn bad_emails_are_refused() {
    let server = TestServer::spawn().await;
    let viewer = server.user("viewer").await;
    for email in [
        "alice",
        "alice@",
        "@example.org",
        "alice@example",
        "a b@example.org",
        "alice@ex..org",
        "alice@example.org.",
        "alice@@example.org",
        "alice@exa_mple.org",
        &format!("{}@example.org", "a".repeat(65)),
    ] {
        let reply = register(
            &server,
            json!({ "username": "alice", "password": PASSWORD, "email": email }),
        )
        .await;
        assert_eq!(reply.code(), "INVALID_EMAIL", "{email:?}: {:?}", reply.body);
        reply.assert_error(400, "INVALID_EMAIL");
    }
    // A NUL is refused before any field is looked at, as everywhere (see nul_input.rs).
    let reply = register(
        &server,
        json!({ "username": "alice", "password": PASSWORD, "email": "alice\u{0}@example.org" }),
    )
    .await;
    reply.assert_error(400, "INVALID_REQUEST");
    assert_no_account(&server, &viewer, "alice").await;
}

#[tokio::test]
async fn bad_phone_numbers_are_refused() {
    let server = TestServer::spawn().await;
    let viewer = server.user("viewer").await;
    for phone in [
        "07946 0958",
        "442079460958",
        "+",
        "+123456",
        "+0123456789",
        "+44 20 79x6 0958",
        "+1234567890123456",
        "++442079460958",
        "+44/20/7946/0958",
        "tel:+442079460958",
    ] {
        let reply = register(
            &server,
            json!({ "username": "alice", "password": PASSWORD, "phone": phone }),
        )
        .await;
        assert_eq!(reply.code(), "INVALID_PHONE", "{phone:?}: {:?}", reply.body);
        reply.assert_error(400, "INVALID_PHONE");
    }
    assert_no_account(&server, &viewer, "alice").await;
    // The shortest and longest valid numbers.
    for (name, phone) in [("bob", "+1234567"), ("carol", "+123456789012345")] {
        let reply = register(
            &server,
            json!({ "username": name, "password": PASSWORD, "phone": phone }),
        )
        .await;
        assert_eq!(reply.assert_status(201)["phone"], phone);
    }
}

#[tokio::test]
async fn bad_display_names_are_refused() {
    let server = TestServer::spawn().await;
    let viewer = server.user("viewer").await;
    for name in ["bell\u{7}", "nul\u{0}byte", "esc\u{1b}[31m"] {
        let reply = register(
            &server,
            json!({ "username": "alice", "password": PASSWORD, "display_name": name }),
        )
        .await;
        reply.assert_error(400, "INVALID_REQUEST");
    }
    assert_no_account(&server, &viewer, "alice").await;
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_parsing() {
    let server = TestServer::spawn_with(|config| config.http.max_body_bytes = 2048).await;
    let viewer = server.user("viewer").await;
    let padding = "x".repeat(4096);
    let reply = register(
        &server,
        json!({ "username": "alice", "password": PASSWORD, "padding": padding }),
    )
    .await;
    reply.assert_error(413, "PAYLOAD_TOO_LARGE");
    // Also when the body is well-formed and only too long because of whitespace.
    let body = format!(
        r#"{{"username": "alice", "password": "{PASSWORD}"{}}}"#,
        " ".repeat(4096)
    );
    let reply = server
        .call_raw(
            Method::POST,
            REGISTER,
            None,
            "application/json",
            body.into_bytes(),
        )
        .await;
    reply.assert_error(413, "PAYLOAD_TOO_LARGE");
    // Login is under the same limit.
    let reply = login(
        &server,
        json!({ "username": "viewer", "password": "p".repeat(4096) }),
    )
    .await;
    reply.assert_error(413, "PAYLOAD_TOO_LARGE");
    assert_no_account(&server, &viewer, "alice").await;
    // Under the limit: fine.
    register(
        &server,
        json!({ "username": "alice", "password": PASSWORD }),
    )
    .await
    .assert_status(201);
}
