//! Saying hello: the answer and the snapshot on success; a bad token, another first frame, a
//! malformed first frame or silence close the connection with our codes.

use serde_json::json;

use super::{QUIET, direct, online};
use crate::helpers::{TestServer, Ws};

#[tokio::test]
async fn hello_answers_with_user_and_device_then_a_snapshot() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct(&server, &alice, &bob).await;

    let (mut ws, hello) = Ws::connect(&server, &alice.access_token, None).await;
    assert_eq!(hello["type"], "ack", "{hello}");
    assert_eq!(hello["id"], "r1");
    assert_eq!(hello["user_id"], alice.user_id.as_str());
    assert_eq!(hello["device_id"], alice.device_id.as_str());
    let snapshot = ws.next("snapshot").await;
    assert!(snapshot["pos"].as_i64().unwrap() > 0, "{snapshot}");
    let rooms = snapshot["rooms"].as_array().expect("rooms");
    assert_eq!(rooms.len(), 1, "{snapshot}");
    let summary = &rooms[0];
    assert_eq!(summary["room_id"], room.as_str());
    assert_eq!(summary["kind"], "direct");
    assert_eq!(summary["peer"], bob.user_id.as_str());
    assert_eq!(summary["joined"], true);
    assert_eq!(summary["muted"], false);
    assert_eq!(summary["unread_count"], 0);
    assert!(summary["last_seq"].as_i64().unwrap() >= 1, "{summary}");

    // The connection serves requests, and a second hello is refused without closing it.
    let again = ws
        .request(json!({ "type": "hello", "token": alice.access_token }))
        .await;
    assert_eq!(
        (&again["type"], &again["code"]),
        (&json!("error"), &json!("INVALID_REQUEST"))
    );
    let pong = ws.request(json!({ "type": "ping" })).await;
    assert_eq!(pong["pong"], true, "{pong}");
    ws.assert_none(QUIET, |f| f["type"] == "snapshot").await;
    ws.close().await;
}

#[tokio::test]
async fn a_bad_token_is_refused_and_closed_with_4001() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    for token in ["nonsense", "", &format!("{}x", alice.access_token)] {
        let (mut ws, answer) = Ws::connect(&server, token, None).await;
        assert_eq!(answer["type"], "error", "{answer}");
        assert_eq!(answer["id"], "r1");
        assert!(
            matches!(
                answer["code"].as_str(),
                Some("INVALID_TOKEN" | "MISSING_TOKEN")
            ),
            "{answer}"
        );
        assert!(!answer["message"].as_str().unwrap_or("").is_empty());
        assert_eq!(ws.closed_with().await, Some(4001));
        assert!(ws.drain().iter().all(|f| f["type"] != "snapshot"));
    }
}

#[tokio::test]
async fn a_first_frame_other_than_hello_is_refused_and_closed() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct(&server, &alice, &bob).await;
    let (mut b, _) = online(&server, &bob).await;

    let mut ws = Ws::open(&server).await;
    let answer = ws.request(json!({ "type": "ping", "id": "p1" })).await;
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(answer["code"], "INVALID_REQUEST");
    assert_eq!(ws.closed_with().await, Some(4001));

    // A well-formed send before hello is not carried out either.
    let mut ws = Ws::open(&server).await;
    let answer = ws
        .request(json!({ "type": "send", "room_id": room, "txn_id": "t", "text": "hi" }))
        .await;
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(answer["id"], "r1");
    assert_eq!(ws.closed_with().await, Some(4001));
    b.assert_none(QUIET, |f| f["type"] == "event").await;
}

#[tokio::test]
async fn a_malformed_first_frame_is_refused_and_closed() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bad = [
        "{nope".to_owned(),
        "[]".to_owned(),
        json!({ "type": "hello", "token": alice.access_token }).to_string(), // no id
        json!({ "type": "hello", "id": "h", "token": 7 }).to_string(),
        json!({ "type": "hello", "id": "h", "token": alice.access_token, "since": "x" })
            .to_string(),
        json!({ "type": "hello", "id": "", "token": alice.access_token }).to_string(),
        json!({ "type": "hello", "id": "h", "token": alice.access_token, "extra": 1 }).to_string(),
    ];
    for frame in bad {
        let mut ws = Ws::open(&server).await;
        ws.send_text(frame.clone()).await;
        let error = ws.next("error").await;
        assert_eq!(error["code"], "INVALID_REQUEST", "{frame}: {error}");
        assert_eq!(ws.closed_with().await, Some(4001), "{frame}");
        assert!(ws.drain().iter().all(|f| f["type"] != "ack"), "{frame}");
    }
}

#[tokio::test]
async fn silence_after_opening_is_closed_with_4002() {
    const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);
    let server = TestServer::spawn_with(|c| c.gateway.hello_timeout_secs = TIMEOUT.as_secs()).await;
    // Before opening: the server's timer cannot start earlier.
    let started = std::time::Instant::now();
    let mut ws = Ws::open(&server).await;
    assert_eq!(ws.closed_with().await, Some(4002));
    let waited = started.elapsed();
    assert!(
        waited >= TIMEOUT && waited < TIMEOUT + super::LATE,
        "closed after {waited:?}"
    );
    assert!(ws.drain().is_empty());
}

#[tokio::test]
async fn a_negative_since_gets_a_snapshot() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let (mut ws, hello) = Ws::connect(&server, &alice.access_token, Some(-5)).await;
    assert_eq!(hello["type"], "ack", "{hello}");
    let snapshot = ws.next("snapshot").await;
    assert_eq!(snapshot["rooms"], json!([]));
    ws.assert_none(QUIET, |f| f["type"] == "synced").await;
}
