//! Accounts: registration (validation, normalisation, uniqueness, policies, registration
//! tokens, concurrency), password login, deactivation, and the rate limits on both. The tests
//! are in the submodules; the helpers they share are here.

mod hostile_input;
mod login;
mod rate_limits;
mod register;
mod register_validation;
mod registration_policy;

use serde_json::Value;

use crate::helpers::{Reply, TestServer, TestUser};

const REGISTER: &str = "/api/v1/auth/register";
const LOGIN: &str = "/api/v1/auth/login";
const TOKENS: &str = "/api/v1/admin/registration-tokens";
const ME: &str = "/api/v1/users/me";

/// Posts a registration and returns the answer, whatever it is.
async fn register(server: &TestServer, body: Value) -> Reply {
    server.post(REGISTER, None, body).await
}

/// Posts a login and returns the answer, whatever it is.
async fn login(server: &TestServer, body: Value) -> Reply {
    server.post(LOGIN, None, body).await
}

/// Asserts that no account `@name:localhost` exists, as `viewer` sees it.
async fn assert_no_account(server: &TestServer, viewer: &TestUser, name: &str) {
    server
        .get(
            &format!("/api/v1/users/@{name}:localhost"),
            Some(&viewer.access_token),
        )
        .await
        .assert_error(404, "USER_NOT_FOUND");
}

/// Asserts a client error (4xx) with exactly our error body: a non-empty `code` and `message`.
#[track_caller]
fn assert_client_error(reply: &Reply, what: &str) {
    assert!(
        (400..500).contains(&reply.status),
        "{what}: status {} {:?}",
        reply.status,
        reply.body
    );
    let body = reply.body.as_object();
    let shaped = body.is_some_and(|o| {
        o.len() == 2
            && o["code"].as_str().is_some_and(|c| !c.is_empty())
            && o["message"].as_str().is_some_and(|m| !m.is_empty())
    });
    assert!(shaped, "{what}: not our error body: {:?}", reply.body);
}

/// The `Retry-After` header as a number of seconds.
#[track_caller]
fn retry_after(reply: &Reply) -> u64 {
    let value = reply
        .headers
        .get("retry-after")
        .unwrap_or_else(|| panic!("429 without Retry-After: {:?}", reply.headers));
    value
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After is not a whole number: {value:?}"))
}

/// An admin (the first account) and a token they created with `body`.
async fn admin_and_token(server: &TestServer, body: Value) -> (TestUser, String) {
    let admin = server.user("admin").await;
    let reply = server.post(TOKENS, Some(&admin.access_token), body).await;
    let token = reply.assert_status(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    (admin, token)
}

/// Sends all `bodies` to `path` at once (on separate tasks) and returns the answers.
async fn post_concurrently(server: &TestServer, path: &str, bodies: Vec<Value>) -> Vec<Reply> {
    let mut tasks = tokio::task::JoinSet::new();
    for body in bodies {
        let request = server.client.post(server.url(path)).json(&body);
        tasks.spawn(Reply::send(request));
    }
    tasks.join_all().await
}

/// Milliseconds since the Unix epoch, as the server stamps times.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}
