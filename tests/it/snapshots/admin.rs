//! Registration by token: the first account (an admin) on a server whose policy is `token`,
//! registration tokens (limited and not), registering with one, without one and with a used
//! one, and a user who is not an admin asking for one.

use reqwest::Method;
use serde_json::json;

use super::{call, session_from};
use crate::helpers::transcript::Transcript;
use crate::helpers::{PASSWORD, TestServer};

#[tokio::test]
async fn admin() {
    let server = TestServer::spawn_with(|c| {
        c.registration.policy = convo_homeserver::config::RegistrationPolicy::Token;
    })
    .await;
    let mut t = Transcript::new("admin");
    let register = "/api/v1/auth/register";
    let tokens = "/api/v1/admin/registration-tokens";

    let mut s = t.step();
    call(
        &server,
        &mut s,
        None,
        Method::POST,
        register,
        Some(json!({ "username": "root", "password": PASSWORD })),
    )
    .await
    .assert_status(201);
    let reply = call(
        &server,
        &mut s,
        None,
        Method::POST,
        "/api/v1/auth/login",
        Some(json!({ "username": "root", "password": PASSWORD, "device_name": "console" })),
    )
    .await;
    let root = session_from(&mut t, "root/console", reply.assert_status(200));
    t.assert("first_account", s);

    let mut s = t.step();
    let once = call(
        &server,
        &mut s,
        Some(&root),
        Method::POST,
        tokens,
        Some(json!({ "uses_allowed": 1, "expires_in_secs": 3600 })),
    )
    .await;
    let once = once.assert_status(201)["token"]
        .as_str()
        .unwrap()
        .to_owned();
    t.name(&once, "[registration_token:once]");
    let open = call(
        &server,
        &mut s,
        Some(&root),
        Method::POST,
        tokens,
        Some(json!({})),
    )
    .await;
    let open = open.assert_status(201)["token"]
        .as_str()
        .unwrap()
        .to_owned();
    t.name(&open, "[registration_token:open]");
    t.assert("create_registration_tokens", s);

    let mut s = t.step();
    for (username, token) in [
        ("bob", Some(&once)),
        ("carol", Some(&once)),
        ("carol", None),
        ("carol", Some(&open)),
    ] {
        let mut body = json!({ "username": username, "password": PASSWORD });
        if let Some(token) = token {
            body["registration_token"] = json!(token);
        }
        call(&server, &mut s, None, Method::POST, register, Some(body)).await;
    }
    t.assert("register_with_tokens", s);

    let mut s = t.step();
    let bob = super::log_in(&server, &mut t, "bob", "phone").await;
    call(
        &server,
        &mut s,
        Some(&bob),
        Method::POST,
        tokens,
        Some(json!({})),
    )
    .await
    .assert_status(403);
    t.assert("not_an_admin", s);

    t.finish();
}
