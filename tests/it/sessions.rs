//! Device sessions: refresh-token rotation and reuse, access-token checks, logout, the device
//! list, password changes and deactivation.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Reply, TestServer, TestUser};

const ME: &str = "/api/v1/users/me";
const REFRESH: &str = "/api/v1/auth/refresh";
const LOGIN: &str = "/api/v1/auth/login";
const DEVICES: &str = "/api/v1/auth/devices";

async fn refresh(server: &TestServer, refresh_token: &str) -> Reply {
    server
        .post(REFRESH, None, json!({ "refresh_token": refresh_token }))
        .await
}

/// `user` after a successful refresh: same device, new tokens.
async fn refreshed(server: &TestServer, user: &TestUser) -> TestUser {
    let reply = refresh(server, &user.refresh_token).await;
    let body = reply.assert_status(200);
    TestUser {
        access_token: body["access_token"].as_str().expect("access_token").into(),
        refresh_token: body["refresh_token"]
            .as_str()
            .expect("refresh_token")
            .into(),
        device_id: body["device_id"].as_str().expect("device_id").into(),
        ..user.clone()
    }
}

/// Asserts that a `GET /users/me` answer is `user`'s profile: the token was accepted.
#[track_caller]
fn assert_accepted(reply: &Reply, user: &TestUser) {
    assert_eq!(reply.assert_status(200)["user_id"], user.user_id.as_str());
}

fn devices(body: &Value) -> &Vec<Value> {
    body["devices"].as_array().expect("devices array")
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWT with the given header and claims and `signature` as its third part.
fn jwt(header: &Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        b64(header.to_string()),
        b64(claims.to_string())
    )
}

/// The claims of a real access token, decoded without checking anything.
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url payload"))
        .expect("JSON claims")
}

// ---- refresh ----

#[tokio::test]
async fn refresh_rotates_both_tokens_and_keeps_the_device() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let reply = refresh(&server, &alice.refresh_token).await;
    let body = reply.assert_status(200);
    assert_eq!(body["user_id"], alice.user_id.as_str());
    assert_eq!(body["device_id"], alice.device_id.as_str());
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().is_some_and(|s| s > 0), "{body}");
    let access = body["access_token"].as_str().expect("access_token");
    let refresh_token = body["refresh_token"].as_str().expect("refresh_token");
    assert_ne!(refresh_token, alice.refresh_token);
    assert_eq!(claims_of(access)["sid"], alice.device_id.as_str());
    assert_accepted(&server.get(ME, Some(access)).await, &alice);
    // The new refresh token is good for one more rotation.
    refresh(&server, refresh_token).await.assert_status(200);
}

#[tokio::test]
async fn reusing_a_refresh_token_logs_its_device_out_and_only_that_device() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let phone = server.login("alice", PASSWORD).await;
    let rotated = refreshed(&server, &alice).await;
    // Used once, so the device's "active" answer is cached before the reuse.
    assert_accepted(&server.get(ME, Some(&rotated.access_token)).await, &alice);

    refresh(&server, &alice.refresh_token)
        .await
        .assert_error(401, "REFRESH_TOKEN_REUSED");

    server
        .get(ME, Some(&rotated.access_token))
        .await
        .assert_error(401, "SESSION_REVOKED");
    refresh(&server, &rotated.refresh_token)
        .await
        .assert_error(401, "SESSION_REVOKED");
    // Presenting the stolen token again finds a device that is already gone.
    refresh(&server, &alice.refresh_token)
        .await
        .assert_error(401, "SESSION_REVOKED");

    assert_accepted(&server.get(ME, Some(&phone.access_token)).await, &alice);
    refreshed(&server, &phone).await;
    let list = server.get(DEVICES, Some(&phone.access_token)).await;
    let ids: Vec<&str> = devices(list.assert_status(200))
        .iter()
        .map(|d| d["device_id"].as_str().expect("device_id"))
        .collect();
    assert_eq!(ids, [phone.device_id.as_str()]);
}

#[tokio::test]
async fn unknown_or_malformed_refresh_tokens_are_refused() {
    let server = TestServer::spawn().await;
    server.user("alice").await;
    refresh(&server, "no-such-refresh-token")
        .await
        .assert_error(401, "INVALID_TOKEN");
    refresh(&server, "")
        .await
        .assert_error(401, "INVALID_TOKEN");
    server
        .post(REFRESH, None, json!({}))
        .await
        .assert_error(400, "INVALID_REQUEST");
    server
        .post(REFRESH, None, json!({ "refresh_token": "x".repeat(129) }))
        .await
        .assert_error(400, "INVALID_REQUEST");
}

#[tokio::test]
async fn concurrent_refreshes_with_one_token_let_exactly_one_win() {
    let server = TestServer::spawn().await;
    server.register("alice").await;
    // A few rounds, each on a fresh device, so that the two requests really overlap in at
    // least one of them (on SQLite this once failed with a 500 "database is locked").
    for _ in 0..3 {
        let alice = server.login("alice", PASSWORD).await;
        let (a, b) = tokio::join!(
            refresh(&server, &alice.refresh_token),
            refresh(&server, &alice.refresh_token),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 401], "{:?} / {:?}", a.body, b.body);
        let (winner, loser) = if a.status == 200 { (a, b) } else { (b, a) };
        // Both requests presented the same token, and the server cannot tell the legitimate
        // client from a thief racing it: the second use is a reuse, so the device is logged
        // out and the pair the winner received is dead on arrival. This is the designed
        // behaviour (a client must serialise its refreshes), not an accident.
        loser.assert_error(401, "REFRESH_TOKEN_REUSED");
        let access = winner.body["access_token"].as_str().expect("access_token");
        let refresh_token = winner.body["refresh_token"]
            .as_str()
            .expect("refresh_token");
        server
            .get(ME, Some(access))
            .await
            .assert_error(401, "SESSION_REVOKED");
        refresh(&server, refresh_token)
            .await
            .assert_error(401, "SESSION_REVOKED");
    }
}

#[tokio::test]
async fn an_expired_refresh_token_is_refused_and_stays_refused() {
    // A zero lifetime is refused by the config loader; built in code it makes every refresh
    // token expire the moment it is issued.
    let server = TestServer::spawn_with(|config| config.auth.refresh_token_ttl_days = 0).await;
    let alice = server.user("alice").await;
    refresh(&server, &alice.refresh_token)
        .await
        .assert_error(401, "TOKEN_EXPIRED");
    // Not counted as a use: presenting it again is not a reuse.
    refresh(&server, &alice.refresh_token)
        .await
        .assert_error(401, "TOKEN_EXPIRED");
    assert_accepted(&server.get(ME, Some(&alice.access_token)).await, &alice);
}

// ---- access tokens ----

#[tokio::test]
async fn requests_without_a_bearer_token_are_refused() {
    let server = TestServer::spawn().await;
    server.user("alice").await;
    server
        .get(ME, None)
        .await
        .assert_error(401, "MISSING_TOKEN");
    let basic = server
        .client
        .get(server.url(ME))
        .header("authorization", "Basic YWxpY2U6cGFzc3dvcmQ=");
    Reply::send(basic).await.assert_error(401, "MISSING_TOKEN");
}

#[tokio::test]
async fn a_garbage_bearer_token_is_invalid() {
    let server = TestServer::spawn().await;
    server.user("alice").await;
    for token in ["garbage", "a.b.c", "..", "eyJhbGciOiJIUzI1NiJ9.e30."] {
        server
            .get(ME, Some(token))
            .await
            .assert_error(401, "INVALID_TOKEN");
    }
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_invalid() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let now = now_secs();
    let claims = json!({
        "sub": alice.user_id,
        "sid": alice.device_id,
        "iss": "localhost",
        "iat": now,
        "exp": now + 600,
    });
    let header = json!({ "alg": "HS256", "typ": "JWT" });
    let forged = jwt(&header, &claims, &b64(rand::random::<[u8; 32]>()));
    server
        .get(ME, Some(&forged))
        .await
        .assert_error(401, "INVALID_TOKEN");
}

#[tokio::test]
async fn a_real_token_with_altered_claims_is_invalid() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let mut parts = alice.access_token.split('.');
    let (header, _, signature) = (
        parts.next().expect("header"),
        parts.next(),
        parts.next().expect("signature"),
    );
    // Alice's signature over claims that now say Bob (on Bob's device), and over claims that
    // only extend the expiry.
    let mut as_bob = claims_of(&alice.access_token);
    as_bob["sub"] = json!(bob.user_id);
    as_bob["sid"] = json!(bob.device_id);
    let mut longer = claims_of(&alice.access_token);
    longer["exp"] = json!(now_secs() + 86_400);
    for claims in [as_bob, longer] {
        let token = format!("{header}.{}.{signature}", b64(claims.to_string()));
        server
            .get(ME, Some(&token))
            .await
            .assert_error(401, "INVALID_TOKEN");
    }
    assert_accepted(&server.get(ME, Some(&alice.access_token)).await, &alice);
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_invalid() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let claims = claims_of(&alice.access_token);
    for alg in ["none", "None", "NONE"] {
        let header = json!({ "alg": alg, "typ": "JWT" });
        for signature in ["", "AAAA"] {
            server
                .get(ME, Some(&jwt(&header, &claims, signature)))
                .await
                .assert_error(401, "INVALID_TOKEN");
        }
    }
}

#[tokio::test]
async fn an_expired_access_token_is_refused_and_refresh_still_works() {
    let server = TestServer::spawn_with(|config| config.auth.access_token_ttl_secs = 1).await;
    let alice = server.user("alice").await;
    assert_accepted(&server.get(ME, Some(&alice.access_token)).await, &alice);
    // `exp` is whole seconds after a truncated `iat`, and checked with no leeway.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    server
        .get(ME, Some(&alice.access_token))
        .await
        .assert_error(401, "TOKEN_EXPIRED");
    let fresh = refreshed(&server, &alice).await;
    assert_eq!(fresh.device_id, alice.device_id);
    assert_accepted(&server.get(ME, Some(&fresh.access_token)).await, &alice);
}

// ---- logout ----

#[tokio::test]
async fn logout_ends_the_device_at_once_and_only_that_device() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let laptop = server.login(&alice.username, &alice.password).await;
    assert_accepted(&server.get(ME, Some(&alice.access_token)).await, &alice);

    let reply = server
        .post("/api/v1/auth/logout", Some(&alice.access_token), json!({}))
        .await;
    assert_eq!(reply.status, 204, "{:?}", reply.body);
    assert_eq!(reply.body, Value::Null);

    server
        .get(ME, Some(&alice.access_token))
        .await
        .assert_error(401, "SESSION_REVOKED");
    refresh(&server, &alice.refresh_token)
        .await
        .assert_error(401, "SESSION_REVOKED");
    server
        .post("/api/v1/auth/logout", Some(&alice.access_token), json!({}))
        .await
        .assert_error(401, "SESSION_REVOKED");

    assert_accepted(&server.get(ME, Some(&laptop.access_token)).await, &alice);
    refreshed(&server, &laptop).await;
}

#[tokio::test]
async fn logout_needs_a_token() {
    let server = TestServer::spawn().await;
    server
        .post("/api/v1/auth/logout", None, json!({}))
        .await
        .assert_error(401, "MISSING_TOKEN");
}

// ---- devices ----

#[tokio::test]
async fn the_device_list_shows_every_active_device_and_marks_the_current_one() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let laptop = server.login(&alice.username, &alice.password).await;
    let gone = server.login("alice", PASSWORD).await;
    let bob = server.user("bob").await;
    server
        .delete(
            &format!("{DEVICES}/{}", gone.device_id),
            Some(&alice.access_token),
        )
        .await
        .assert_status(204);
    // A refresh counts as use: the refreshed device moves to the top.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let alice = refreshed(&server, &alice).await;

    let reply = server.get(DEVICES, Some(&laptop.access_token)).await;
    let list = devices(reply.assert_status(200));
    let ids: Vec<&str> = list
        .iter()
        .map(|d| d["device_id"].as_str().expect("device_id"))
        .collect();
    assert_eq!(ids, [alice.device_id.as_str(), laptop.device_id.as_str()]);
    assert!(!ids.contains(&bob.device_id.as_str()));
    for device in list {
        let current = device["device_id"] == laptop.device_id.as_str();
        assert_eq!(device["current"], current, "{device}");
        assert_eq!(device["name"], "test device");
        assert_eq!(device["last_seen_ip"], "127.0.0.1");
        let created = device["created_at"].as_i64().expect("created_at");
        let seen = device["last_seen_at"].as_i64().expect("last_seen_at");
        assert!(created > 1_600_000_000_000 && seen >= created, "{device}");
    }
    assert!(list[0]["last_seen_at"].as_i64() > list[0]["created_at"].as_i64());

    let reply = server.get(DEVICES, Some(&alice.access_token)).await;
    let current: Vec<&Value> = devices(reply.assert_status(200))
        .iter()
        .filter(|d| d["current"] == true)
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["device_id"], alice.device_id.as_str());

    server
        .get(DEVICES, None)
        .await
        .assert_error(401, "MISSING_TOKEN");
}

#[tokio::test]
async fn device_names_are_kept_trimmed_defaulted_and_bounded() {
    let server = TestServer::spawn().await;
    server.register("alice").await;
    let login = |name: Value| {
        let server = &server;
        async move {
            let mut body = json!({ "username": "alice", "password": PASSWORD });
            if !name.is_null() {
                body["device_name"] = name;
            }
            server.post(LOGIN, None, body).await
        }
    };
    let firefox = login(json!("  Firefox on Linux 🦊 ")).await;
    let token = firefox.assert_status(200)["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    login(json!("   ")).await.assert_status(200);
    login(Value::Null).await.assert_status(200);
    login(json!("x".repeat(65)))
        .await
        .assert_error(400, "INVALID_REQUEST");
    login(json!("bell\u{7}"))
        .await
        .assert_error(400, "INVALID_REQUEST");
    login(json!("é".repeat(64))).await.assert_status(200);

    let reply = server.get(DEVICES, Some(&token)).await;
    let mut names: Vec<&str> = devices(reply.assert_status(200))
        .iter()
        .map(|d| d["name"].as_str().expect("name"))
        .collect();
    names.sort_unstable();
    let long = "é".repeat(64);
    let mut expected = vec![
        "Firefox on Linux 🦊",
        "unnamed device",
        "unnamed device",
        long.as_str(),
    ];
    expected.sort_unstable();
    assert_eq!(names, expected);
}

#[tokio::test]
async fn deleting_a_device_refuses_its_tokens_at_once() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let laptop = server.login(&alice.username, &alice.password).await;
    assert_accepted(&server.get(ME, Some(&laptop.access_token)).await, &alice);

    let reply = server
        .delete(
            &format!("{DEVICES}/{}", laptop.device_id),
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(reply.status, 204, "{:?}", reply.body);

    server
        .get(ME, Some(&laptop.access_token))
        .await
        .assert_error(401, "SESSION_REVOKED");
    refresh(&server, &laptop.refresh_token)
        .await
        .assert_error(401, "SESSION_REVOKED");
    // Already gone.
    server
        .delete(
            &format!("{DEVICES}/{}", laptop.device_id),
            Some(&alice.access_token),
        )
        .await
        .assert_error(404, "DEVICE_NOT_FOUND");
    assert_accepted(&server.get(ME, Some(&alice.access_token)).await, &alice);

    // A device may end itself.
    server
        .delete(
            &format!("{DEVICES}/{}", alice.device_id),
            Some(&alice.access_token),
        )
        .await
        .assert_status(204);
    server
        .get(ME, Some(&alice.access_token))
        .await
        .assert_error(401, "SESSION_REVOKED");
}

#[tokio::test]
async fn deleting_an_unknown_or_foreign_device_is_not_found() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    for path in [
        format!("{DEVICES}/NOSUCHDEVICE"),
        format!("{DEVICES}/{}", bob.device_id),
    ] {
        server
            .delete(&path, Some(&alice.access_token))
            .await
            .assert_error(404, "DEVICE_NOT_FOUND");
    }
    assert_accepted(&server.get(ME, Some(&bob.access_token)).await, &bob);
    refreshed(&server, &bob).await;
    server
        .delete(&format!("{DEVICES}/{}", bob.device_id), None)
        .await
        .assert_error(401, "MISSING_TOKEN");
}

// ---- password ----

const PASSWORD_PATH: &str = "/api/v1/auth/password";
const NEW_PASSWORD: &str = "purple monkey dishwasher";

#[tokio::test]
async fn changing_the_password_needs_the_current_one() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    server
        .post(
            PASSWORD_PATH,
            Some(&alice.access_token),
            json!({ "current_password": "not the password", "new_password": NEW_PASSWORD }),
        )
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    // The wrong guess logged nobody out.
    assert_accepted(&server.get(ME, Some(&alice.access_token)).await, &alice);
    server.login("alice", PASSWORD).await;
    login_fails(&server, NEW_PASSWORD).await;
    server
        .post(
            PASSWORD_PATH,
            None,
            json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }),
        )
        .await
        .assert_error(401, "MISSING_TOKEN");
}

#[tokio::test]
async fn a_weak_new_password_is_refused_and_the_old_one_stays() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let laptop = server.login(&alice.username, &alice.password).await;
    for weak in ["short", "password123", "alice-rocks-99", "aaaaaaaaaaaa"] {
        server
            .post(
                PASSWORD_PATH,
                Some(&alice.access_token),
                json!({ "current_password": PASSWORD, "new_password": weak }),
            )
            .await
            .assert_error(400, "WEAK_PASSWORD");
    }
    server.login("alice", PASSWORD).await;
    assert_accepted(&server.get(ME, Some(&laptop.access_token)).await, &alice);
}

#[tokio::test]
async fn changing_the_password_logs_out_every_other_device() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let laptop = server.login(&alice.username, &alice.password).await;
    let bob = server.user("bob").await;
    assert_accepted(&server.get(ME, Some(&laptop.access_token)).await, &alice);

    let reply = server
        .post(
            PASSWORD_PATH,
            Some(&alice.access_token),
            json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }),
        )
        .await;
    assert_eq!(reply.status, 204, "{:?}", reply.body);

    assert_accepted(&server.get(ME, Some(&alice.access_token)).await, &alice);
    let alice = refreshed(&server, &alice).await;
    assert_accepted(&server.get(ME, Some(&alice.access_token)).await, &alice);
    server
        .get(ME, Some(&laptop.access_token))
        .await
        .assert_error(401, "SESSION_REVOKED");
    refresh(&server, &laptop.refresh_token)
        .await
        .assert_error(401, "SESSION_REVOKED");
    assert_accepted(&server.get(ME, Some(&bob.access_token)).await, &bob);

    login_fails(&server, PASSWORD).await;
    server.login("alice", NEW_PASSWORD).await;
    let reply = server.get(DEVICES, Some(&alice.access_token)).await;
    assert_eq!(devices(reply.assert_status(200)).len(), 2);
}

async fn login_fails(server: &TestServer, password: &str) {
    server
        .post(
            LOGIN,
            None,
            json!({ "username": "alice", "password": password }),
        )
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
}

// ---- deactivation ----

const DEACTIVATE: &str = "/api/v1/auth/deactivate";

#[tokio::test]
async fn deactivation_with_a_wrong_password_changes_nothing() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let laptop = server.login(&alice.username, &alice.password).await;
    server
        .post(
            DEACTIVATE,
            Some(&alice.access_token),
            json!({ "password": "not the password" }),
        )
        .await
        .assert_error(401, "INVALID_CREDENTIALS");
    server
        .post(DEACTIVATE, None, json!({ "password": PASSWORD }))
        .await
        .assert_error(401, "MISSING_TOKEN");
    assert_accepted(&server.get(ME, Some(&alice.access_token)).await, &alice);
    assert_accepted(&server.get(ME, Some(&laptop.access_token)).await, &alice);
    server.login("alice", PASSWORD).await;
}

#[tokio::test]
async fn deactivation_logs_out_everywhere_and_retires_the_username() {
    let server = TestServer::spawn().await;
    let bob = server.user("bob").await;
    server
        .post(
            "/api/v1/auth/register",
            None,
            json!({
                "username": "alice",
                "password": PASSWORD,
                "email": "alice@example.org",
                "phone": "+44 20 7946 0958",
                "display_name": "Alice",
            }),
        )
        .await
        .assert_status(201);
    let alice = server.login("alice", PASSWORD).await;
    let laptop = server.login(&alice.username, &alice.password).await;
    assert_accepted(&server.get(ME, Some(&laptop.access_token)).await, &alice);

    let reply = server
        .post(
            DEACTIVATE,
            Some(&alice.access_token),
            json!({ "password": PASSWORD }),
        )
        .await;
    assert_eq!(reply.status, 204, "{:?}", reply.body);

    for device in [&alice, &laptop] {
        server
            .get(ME, Some(&device.access_token))
            .await
            .assert_error(401, "SESSION_REVOKED");
        refresh(&server, &device.refresh_token)
            .await
            .assert_error(401, "SESSION_REVOKED");
    }
    for identifier in [
        json!({ "username": "alice" }),
        json!({ "username": alice.user_id }),
    ] {
        let mut body = identifier;
        body["password"] = json!(PASSWORD);
        server
            .post(LOGIN, None, body)
            .await
            .assert_error(403, "ACCOUNT_DEACTIVATED");
    }
    server
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "username": "alice", "password": PASSWORD }),
        )
        .await
        .assert_error(409, "USERNAME_TAKEN");

    // The email address and phone number were forgotten and are free again.
    server
        .post(
            "/api/v1/auth/register",
            None,
            json!({
                "username": "alice2",
                "password": PASSWORD,
                "email": "Alice@Example.org",
                "phone": "+442079460958",
            }),
        )
        .await
        .assert_status(201);

    let path = format!("/api/v1/users/{}", alice.user_id.replace('@', "%40"));
    let reply = server.get(&path, Some(&bob.access_token)).await;
    assert_eq!(
        reply.assert_status(200),
        &json!({
            "user_id": alice.user_id,
            "display_name": null,
            "about": null,
            "avatar_url": null,
            "deactivated": true,
        })
    );
}

/// Starts `n` concurrent logins of `username` with [`PASSWORD`], each a new device.
fn racing_logins(server: &TestServer, username: &str, n: usize) -> tokio::task::JoinSet<Reply> {
    let mut logins = tokio::task::JoinSet::new();
    for _ in 0..n {
        let request = server
            .client
            .post(server.url(LOGIN))
            .json(&json!({ "username": username, "password": PASSWORD }));
        logins.spawn(Reply::send(request));
    }
    logins
}

/// Asserts that a login answer is either `refused` or tokens that no longer work.
async fn assert_login_gave_nothing_usable(server: &TestServer, login: Reply, refused: (u16, &str)) {
    if login.status != 200 {
        login.assert_error(refused.0, refused.1);
        return;
    }
    let access = login.body["access_token"].as_str().expect("access_token");
    let refresh_token = login.body["refresh_token"].as_str().expect("refresh_token");
    server
        .get(DEVICES, Some(access))
        .await
        .assert_error(401, "SESSION_REVOKED");
    refresh(server, refresh_token)
        .await
        .assert_error(401, "SESSION_REVOKED");
}

// A login checks the password, then creates its device; a deactivation landing in between
// must not leave that device active. Login re-checks the account after creating the device,
// and deactivation sweeps the devices a second time (`api/auth/{login,deactivate}.rs`).
#[tokio::test]
async fn a_login_racing_deactivation_leaves_no_usable_device() {
    let server = TestServer::spawn().await;
    for round in 0..6 {
        let name = format!("racer{round}");
        server.register(&name).await;
        let user = server.login(&name, PASSWORD).await;
        let mut logins = racing_logins(&server, &name, 8);
        let deactivated = server
            .post(
                DEACTIVATE,
                Some(&user.access_token),
                json!({ "password": PASSWORD }),
            )
            .await;
        assert_eq!(deactivated.status, 204, "{:?}", deactivated.body);
        while let Some(login) = logins.join_next().await {
            let login = login.expect("login task");
            assert_login_gave_nothing_usable(&server, login, (403, "ACCOUNT_DEACTIVATED")).await;
        }
    }
}

// The same race with a password change: a login that checked the old password just before the
// change must not keep a device created after "every other device" was logged out.
#[tokio::test]
async fn a_login_with_the_old_password_racing_a_change_leaves_no_usable_device() {
    let server = TestServer::spawn().await;
    for round in 0..6 {
        let name = format!("racer{round}");
        server.register(&name).await;
        let user = server.login(&name, PASSWORD).await;
        let mut logins = racing_logins(&server, &name, 8);
        let changed = server
            .post(
                PASSWORD_PATH,
                Some(&user.access_token),
                json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }),
            )
            .await;
        assert_eq!(changed.status, 204, "{:?}", changed.body);
        while let Some(login) = logins.join_next().await {
            let login = login.expect("login task");
            assert_login_gave_nothing_usable(&server, login, (401, "INVALID_CREDENTIALS")).await;
        }
        assert_accepted(&server.get(ME, Some(&user.access_token)).await, &user);
    }
}
