//! No client input, however malformed, and no database outage makes registration or
//! login answer with a server error.

use reqwest::Method;
use serde_json::json;

use super::{LOGIN, REGISTER, TOKENS, assert_client_error, login, register};
use crate::helpers::{PASSWORD, TestServer};

#[tokio::test]
async fn a_database_outage_is_unavailable_not_an_internal_error() {
    let server = TestServer::spawn().await;
    server.register("alice").await;
    server.stop_database().await;
    register(&server, json!({ "username": "bob", "password": PASSWORD }))
        .await
        .assert_error(503, "UNAVAILABLE");
    login(
        &server,
        json!({ "username": "alice", "password": PASSWORD }),
    )
    .await
    .assert_error(503, "UNAVAILABLE");
    // Refusals that need no database still answer as usual.
    register(&server, json!({ "username": "b!b", "password": PASSWORD }))
        .await
        .assert_error(400, "INVALID_USERNAME");
}

#[tokio::test]
async fn garbage_bodies_get_client_errors_never_server_errors() {
    let server = TestServer::spawn().await;
    let admin = server.user("admin").await;
    let nested_arrays = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let nested_objects = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    let nested_in_field = format!(
        r#"{{"username": {}"alice"{}, "password": "x"}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    let raw: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("whitespace", b"  \n ".to_vec()),
        ("null", b"null".to_vec()),
        ("array", b"[]".to_vec()),
        ("string", br#""str""#.to_vec()),
        ("number", b"42".to_vec()),
        ("true", b"true".to_vec()),
        ("numeric username", br#"{"username": 5, "password": 5}"#.to_vec()),
        ("huge number", br#"{"username": 1e400, "password": "x"}"#.to_vec()),
        ("nested arrays", nested_arrays.into_bytes()),
        ("nested objects", nested_objects.into_bytes()),
        ("nested in a field", nested_in_field.into_bytes()),
        ("invalid UTF-8", b"{\"username\": \"\xff\xfe\", \"password\": \"\xc3\x28\"}".to_vec()),
        ("lone surrogate", br#"{"username": "\ud800", "password": "x"}"#.to_vec()),
        ("byte order mark", b"\xef\xbb\xbf{\"username\": \"alice\"}".to_vec()),
        ("two documents", br#"{}{}"#.to_vec()),
        ("unterminated string", br#"{"username": "alice"#.to_vec()),
        ("NUL bytes", b"\0\0\0\0".to_vec()),
        (
            "escaped NULs everywhere",
            br#"{"username": "\u0000", "email": null, "password": "\u0000", "device_name": "\u0000", "uses_allowed": "\u0000"}"#
                .to_vec(),
        ),
        (
            "escaped NUL in the identifier",
            br#"{"email": "a\u0000@example.org", "password": "correct horse battery staple"}"#
                .to_vec(),
        ),
    ];
    // Registration and login need fields that none of these bodies has right; the token
    // endpoint has only optional fields, so some of them are valid there.
    let paths = [
        (REGISTER, None, true),
        (LOGIN, None, true),
        (TOKENS, Some(admin.access_token.as_str()), false),
    ];
    for (path, token, all_invalid) in paths {
        for (what, body) in &raw {
            let reply = server
                .call_raw(Method::POST, path, token, "application/json", body.clone())
                .await;
            if all_invalid || reply.status != 201 {
                assert_client_error(&reply, &format!("{path} {what}"));
            }
        }
        // Other content types, and other methods.
        let reply = server
            .call_raw(Method::POST, path, token, "text/plain", b"hello".to_vec())
            .await;
        assert_client_error(&reply, &format!("{path} text/plain"));
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            let reply = server.call(method.clone(), path, token, None).await;
            assert_client_error(&reply, &format!("{method} {path}"));
        }
    }
    // A NUL in a field the database would store is refused, not passed to it.
    let reply = login(
        &server,
        json!({ "username": "admin", "password": PASSWORD, "device_name": "a\u{0}b" }),
    )
    .await;
    assert_client_error(&reply, "NUL in device_name");
    // The server is still fine.
    server.login("admin", PASSWORD).await;
}
