//! Sessions ending under an open socket: logging out, deleting a device or changing the password
//! closes the affected connections with 4001, and their tokens cannot reconnect.

use serde_json::json;

use super::{QUIET, device, direct, online, send};
use crate::helpers::{PASSWORD, TestServer, Ws};

#[tokio::test]
async fn logging_out_closes_the_socket_and_the_token_cannot_reconnect() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let phone = device(&server, &alice).await;
    let (mut ws, _) = online(&server, &alice).await;
    let (mut other, _) = online(&server, &phone).await;

    server
        .post("/api/v1/auth/logout", Some(&alice.access_token), json!({}))
        .await
        .assert_status(204);
    assert_eq!(ws.closed_with().await, Some(4001));

    let (mut again, answer) = Ws::connect(&server, &alice.access_token, None).await;
    assert_eq!(answer["type"], "error", "{answer}");
    assert!(
        matches!(
            answer["code"].as_str(),
            Some("SESSION_REVOKED" | "INVALID_TOKEN")
        ),
        "{answer}"
    );
    assert_eq!(again.closed_with().await, Some(4001));

    // The account's other device is untouched.
    let pong = other.request(json!({ "type": "ping" })).await;
    assert_eq!(pong["pong"], true, "{pong}");
    other.assert_none(QUIET, |_| true).await;
}

#[tokio::test]
async fn deleting_a_device_closes_only_its_connections() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct(&server, &alice, &bob).await;
    let laptop = device(&server, &alice).await;
    let (mut first, _) = online(&server, &alice).await;
    let (mut second, _) = online(&server, &alice).await;
    let (mut kept, _) = online(&server, &laptop).await;

    server
        .delete(
            &format!("/api/v1/auth/devices/{}", alice.device_id),
            Some(&laptop.access_token),
        )
        .await
        .assert_status(204);
    assert_eq!(first.closed_with().await, Some(4001));
    assert_eq!(second.closed_with().await, Some(4001));

    let (mut bob_ws, _) = online(&server, &bob).await;
    let ack = send(&mut bob_ws, &room, "after", "still there?").await;
    let event = kept.next("event").await;
    assert_eq!(event["event"]["event_id"], ack["event_id"]);
}

#[tokio::test]
async fn changing_the_password_closes_the_other_devices() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let laptop = device(&server, &alice).await;
    let (mut here, _) = online(&server, &alice).await;
    let (mut there, _) = online(&server, &laptop).await;

    server
        .post(
            "/api/v1/auth/password",
            Some(&alice.access_token),
            json!({ "current_password": PASSWORD, "new_password": "another long pass phrase 42" }),
        )
        .await
        .assert_status(204);
    assert_eq!(there.closed_with().await, Some(4001));
    let pong = here.request(json!({ "type": "ping" })).await;
    assert_eq!(pong["pong"], true, "{pong}");
    let (mut again, answer) = Ws::connect(&server, &laptop.access_token, None).await;
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(again.closed_with().await, Some(4001));
}
