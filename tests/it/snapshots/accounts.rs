//! An account's life over REST: registering (and what is refused), logging in, the own
//! profile and others', privacy, devices, refreshing tokens (and a reused refresh token),
//! logging a device out, changing the password, logging out, missing and bad tokens,
//! deactivating, and the router's own answers.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::{Session, call, enc, session, session_from, spawn};
use crate::helpers::PASSWORD;
use crate::helpers::transcript::Transcript;

/// Long enough for two logins to be seen at different milliseconds (devices are listed most
/// recently used first).
const APART: Duration = Duration::from_millis(5);

#[tokio::test]
async fn accounts() {
    let server = spawn().await;
    let mut t = Transcript::new("accounts");
    let register = "/api/v1/auth/register";
    let login = "/api/v1/auth/login";

    // The first account administers the server.
    let mut s = t.step();
    call(
        &server,
        &mut s,
        None,
        Method::POST,
        register,
        Some(json!({
            "username": "alice",
            "password": PASSWORD,
            "email": "alice@example.org",
            "phone": "+44 20 7946 0958",
            "display_name": "Alice",
        })),
    )
    .await
    .assert_status(201);
    call(
        &server,
        &mut s,
        None,
        Method::POST,
        register,
        Some(json!({ "username": "bob", "password": PASSWORD })),
    )
    .await
    .assert_status(201);
    t.assert("register", s);

    let mut s = t.step();
    for body in [
        json!({ "username": "alice", "password": PASSWORD }),
        json!({ "username": "carol", "password": "carol" }),
        json!({ "username": "carol" }),
    ] {
        let reply = call(&server, &mut s, None, Method::POST, register, Some(body)).await;
        assert!(matches!(reply.status, 400 | 409), "{:?}", reply.body);
    }
    t.assert("register_refused", s);

    let mut s = t.step();
    let reply = call(
        &server,
        &mut s,
        None,
        Method::POST,
        login,
        Some(json!({ "username": "alice", "password": PASSWORD, "device_name": "phone" })),
    )
    .await;
    let alice = session_from(&mut t, "alice/phone", reply.assert_status(200));
    tokio::time::sleep(APART).await;
    let reply = call(
        &server,
        &mut s,
        None,
        Method::POST,
        login,
        Some(
            json!({ "email": "alice@example.org", "password": PASSWORD, "device_name": "laptop" }),
        ),
    )
    .await;
    let laptop = session_from(&mut t, "alice/laptop", reply.assert_status(200));
    call(
        &server,
        &mut s,
        None,
        Method::POST,
        login,
        Some(json!({ "username": "alice", "password": "not my password" })),
    )
    .await
    .assert_status(401);
    t.assert("login", s);
    let bob = session(&server, &mut t, "bob", "phone").await;

    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&alice),
        Method::GET,
        "/api/v1/users/me",
        None,
    )
    .await
    .assert_status(200);
    call(
        &server,
        &mut s,
        Some(&alice),
        Method::PUT,
        "/api/v1/users/me",
        Some(json!({
            "display_name": "Alice A.",
            "about": "Out hiking",
            "avatar_url": "https://example.org/alice.png",
            "phone": null,
        })),
    )
    .await
    .assert_status(200);
    call(
        &server,
        &mut s,
        Some(&alice),
        Method::PUT,
        "/api/v1/users/me/privacy",
        Some(json!({ "last_seen": "nobody" })),
    )
    .await
    .assert_status(200);
    t.assert("own_profile", s);

    let mut s = t.step();
    for user in [
        "@alice:localhost",
        "@bob:localhost",
        "@nobody:localhost",
        "alice",
    ] {
        let path = format!("/api/v1/users/{}", enc(user));
        call(&server, &mut s, Some(&bob), Method::GET, &path, None).await;
    }
    t.assert("public_profiles", s);

    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&alice),
        Method::GET,
        "/api/v1/auth/devices",
        None,
    )
    .await
    .assert_status(200);
    t.assert("list_devices", s);

    // A refresh token works once; presenting it again logs its device out.
    let mut s = t.step();
    let refresh = json!({ "refresh_token": laptop.refresh_token });
    let reply = call(
        &server,
        &mut s,
        None,
        Method::POST,
        "/api/v1/auth/refresh",
        Some(refresh.clone()),
    )
    .await;
    t.name_session("alice/laptop", reply.assert_status(200));
    call(
        &server,
        &mut s,
        None,
        Method::POST,
        "/api/v1/auth/refresh",
        Some(refresh),
    )
    .await
    .assert_status(401);
    call(
        &server,
        &mut s,
        Some(&alice),
        Method::GET,
        "/api/v1/auth/devices",
        None,
    )
    .await
    .assert_status(200);
    t.assert("refresh", s);

    let mut s = t.step();
    let tablet = session(&server, &mut t, "alice", "tablet").await;
    for device in [tablet.device_id.as_str(), "nosuchdevice"] {
        let path = format!("/api/v1/auth/devices/{}", enc(device));
        call(&server, &mut s, Some(&alice), Method::DELETE, &path, None).await;
    }
    call(
        &server,
        &mut s,
        Some(&tablet),
        Method::GET,
        "/api/v1/users/me",
        None,
    )
    .await
    .assert_status(401);
    t.assert("delete_device", s);

    let mut s = t.step();
    let new_password = "a brand new correct horse";
    for current in ["wrong password", PASSWORD] {
        call(
            &server,
            &mut s,
            Some(&alice),
            Method::POST,
            "/api/v1/auth/password",
            Some(json!({ "current_password": current, "new_password": new_password })),
        )
        .await;
    }
    t.assert("change_password", s);

    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&alice),
        Method::POST,
        "/api/v1/auth/logout",
        None,
    )
    .await
    .assert_status(204);
    call(
        &server,
        &mut s,
        Some(&alice),
        Method::GET,
        "/api/v1/users/me",
        None,
    )
    .await
    .assert_status(401);
    t.assert("logout", s);

    let mut s = t.step();
    call(&server, &mut s, None, Method::GET, "/api/v1/users/me", None)
        .await
        .assert_status(401);
    let forged = Session {
        who: "forger".into(),
        user_id: "@alice:localhost".into(),
        token: "not.a.token".into(),
        refresh_token: String::new(),
        device_id: String::new(),
    };
    call(
        &server,
        &mut s,
        Some(&forged),
        Method::GET,
        "/api/v1/users/me",
        None,
    )
    .await
    .assert_status(401);
    t.assert("bad_tokens", s);

    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&bob),
        Method::POST,
        "/api/v1/auth/deactivate",
        Some(json!({ "password": PASSWORD })),
    )
    .await
    .assert_status(204);
    call(
        &server,
        &mut s,
        None,
        Method::POST,
        login,
        Some(json!({ "username": "bob", "password": PASSWORD })),
    )
    .await
    .assert_status(403);
    let reply = call(
        &server,
        &mut s,
        None,
        Method::POST,
        login,
        Some(json!({ "username": "alice", "password": new_password, "device_name": "phone" })),
    )
    .await;
    let alice = session_from(&mut t, "alice/phone#2", reply.assert_status(200));
    call(
        &server,
        &mut s,
        Some(&alice),
        Method::GET,
        &format!("/api/v1/users/{}", enc("@bob:localhost")),
        None,
    )
    .await
    .assert_status(200);
    t.assert("deactivate", s);

    // The router's own answers have the same error body.
    let mut s = t.step();
    call(&server, &mut s, None, Method::GET, "/api/v1/nope", None)
        .await
        .assert_status(404);
    call(
        &server,
        &mut s,
        None,
        Method::PATCH,
        "/api/v1/users/me",
        None,
    )
    .await
    .assert_status(405);
    t.assert("router_errors", s);

    t.finish();
}
