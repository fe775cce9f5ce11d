//! Bad input on an open connection: every broken request gets an `error` with the request's
//! id when it has one, and the connection keeps serving; only an over-size frame closes it.

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::{direct, online, send};
use crate::helpers::{TestServer, WAIT, Ws};

const FRAME_LIMIT: usize = 1024;

async fn server() -> TestServer {
    TestServer::spawn_with(|c| {
        c.gateway.max_frame_bytes = FRAME_LIMIT;
        c.rooms.max_message_length = 100;
    })
    .await
}

/// Asserts that `frame` is an error with `code` for request `id`.
#[track_caller]
fn assert_error(frame: &Value, id: Value, code: &str) {
    assert_eq!(frame["type"], "error", "{frame}");
    assert_eq!(frame["id"], id, "{frame}");
    assert_eq!(frame["code"], code, "{frame}");
    assert!(
        frame["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{frame}"
    );
}

async fn still_answers(ws: &mut Ws) {
    let pong = ws.request(json!({ "type": "ping" })).await;
    assert_eq!(pong["type"], "ack", "{pong}");
    assert_eq!(pong["pong"], true);
}

#[tokio::test]
async fn broken_frames_get_errors_and_the_connection_stays_open() {
    let server = server().await;
    let alice = server.user("alice").await;
    let (mut ws, _) = online(&server, &alice).await;
    let long_id = "i".repeat(65);
    // (frame, the id the error should carry)
    let cases: Vec<(String, Value)> = vec![
        ("{nope".into(), Value::Null),
        ("".into(), Value::Null),
        ("42".into(), Value::Null),
        ("null".into(), Value::Null),
        (r#"["ping"]"#.into(), Value::Null),
        (r#"{"id":"no-type"}"#.into(), json!("no-type")),
        (r#"{"type":"warp","id":"w1"}"#.into(), json!("w1")),
        (r#"{"type":"send","id":"s1"}"#.into(), json!("s1")),
        (
            r#"{"type":"send","id":"s2","room_id":"!a:localhost","txn_id":"t"}"#.into(),
            json!("s2"),
        ),
        (
            r#"{"type":"read","id":"r1","room_id":"!a:localhost","seq":"3"}"#.into(),
            json!("r1"),
        ),
        (
            r#"{"type":"read","id":"r2","room_id":"!a:localhost","seq":1.5}"#.into(),
            json!("r2"),
        ),
        (
            r#"{"type":"typing","id":"t1","room_id":"!a:localhost","typing":"yes"}"#.into(),
            json!("t1"),
        ),
        (
            r#"{"type":"received","id":"v1","pos":null}"#.into(),
            json!("v1"),
        ),
        (
            r#"{"type":"ping","id":"p1","extra":true}"#.into(),
            json!("p1"),
        ),
        (r#"{"type":"ping","id":7}"#.into(), Value::Null),
        (r#"{"type":"ping"}"#.into(), Value::Null),
        (r#"{"type":"ping","id":""}"#.into(), json!("")),
        (
            json!({ "type": "ping", "id": long_id }).to_string(),
            json!(long_id),
        ),
    ];
    for (frame, id) in cases {
        ws.send_text(frame.clone()).await;
        let error = ws.next("error").await;
        assert_error(&error, id, "INVALID_REQUEST");
        still_answers(&mut ws).await;
    }
    // The longest allowed id is fine.
    let id = "i".repeat(64);
    let pong = ws.request(json!({ "type": "ping", "id": id })).await;
    assert_eq!((&pong["type"], &pong["id"]), (&json!("ack"), &json!(id)));
    assert!(ws.drain().iter().all(|f| f["type"] != "ack"));
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text frame on a raw socket, as JSON, checked against the AsyncAPI document.
async fn next_text(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame in time")
            .expect("still open")
            .expect("readable");
        if let Message::Text(text) = message {
            return crate::helpers::asyncapi::gateway()
                .check_server_frame(&text)
                .unwrap_or_else(|e| panic!("a server frame breaks openapi/asyncapi.yaml: {e}"));
        }
    }
}

#[tokio::test]
async fn a_binary_frame_gets_an_error() {
    let server = server().await;
    let alice = server.user("alice").await;
    let url = format!("ws://{}/api/v1/ws", server.addr);
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connects");
    let hello = json!({ "type": "hello", "id": "h", "token": alice.access_token });
    socket.send(Message::text(hello.to_string())).await.unwrap();
    assert_eq!(next_text(&mut socket).await["type"], "ack");
    assert_eq!(next_text(&mut socket).await["type"], "snapshot");

    // Even a binary frame holding a valid request is refused, and the socket stays usable.
    let ping = br#"{"type":"ping","id":"b"}"#.to_vec();
    socket.send(Message::binary(ping)).await.unwrap();
    let after = json!({ "type": "ping", "id": "after" }).to_string();
    socket.send(Message::text(after)).await.unwrap();
    let error = next_text(&mut socket).await;
    assert_error(&error, Value::Null, "INVALID_REQUEST");
    let pong = next_text(&mut socket).await;
    assert_eq!(
        (&pong["type"], &pong["id"]),
        (&json!("ack"), &json!("after"))
    );
}

#[tokio::test]
async fn an_over_size_frame_closes_with_1009() {
    let server = server().await;
    let alice = server.user("alice").await;
    let (mut ws, _) = online(&server, &alice).await;
    // Just under the limit is served.
    let padding = "x".repeat(FRAME_LIMIT - 60);
    let pong = ws
        .request(json!({ "type": "ping", "id": "fits", "pad": padding }))
        .await;
    assert_eq!(pong["type"], "error", "an unknown field, but read: {pong}");
    ws.send_text(
        json!({ "type": "ping", "id": "big", "pad": "x".repeat(2 * FRAME_LIMIT) }).to_string(),
    )
    .await;
    assert_eq!(ws.closed_with().await, Some(1009));
    assert!(ws.drain().iter().all(|f| f["id"] != "big"));

    // The server is fine.
    let (mut again, _) = online(&server, &alice).await;
    still_answers(&mut again).await;
}

#[tokio::test]
async fn refused_actions_answer_with_their_codes() {
    let server = server().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = direct(&server, &alice, &bob).await;
    let elsewhere = direct(&server, &bob, &carol).await;
    let (mut ws, _) = online(&server, &alice).await;
    let (mut bob_ws, _) = online(&server, &bob).await;
    let bobs = send(&mut bob_ws, &room, "b", "mine").await;
    let mine = send(&mut ws, &room, "a", "hello").await;

    let cases = [
        (
            json!({ "type": "send", "room_id": elsewhere, "txn_id": "x1", "text": "hi" }),
            "ROOM_NOT_FOUND",
        ),
        (
            json!({ "type": "send", "room_id": "!NoSuchRoom:localhost", "txn_id": "x2", "text": "hi" }),
            "ROOM_NOT_FOUND",
        ),
        (
            json!({ "type": "send", "room_id": "not a room", "txn_id": "x3", "text": "hi" }),
            "INVALID_REQUEST",
        ),
        (
            json!({ "type": "send", "room_id": room, "txn_id": "x4", "text": "y".repeat(101) }),
            "INVALID_MESSAGE",
        ),
        (
            json!({ "type": "send", "room_id": room, "txn_id": "x5", "text": "   " }),
            "INVALID_MESSAGE",
        ),
        (
            json!({ "type": "send", "room_id": room, "txn_id": "", "text": "hi" }),
            "INVALID_REQUEST",
        ),
        (
            json!({ "type": "send", "room_id": room, "txn_id": "t".repeat(65), "text": "hi" }),
            "INVALID_REQUEST",
        ),
        (
            json!({ "type": "send", "room_id": room, "txn_id": "x6", "text": "hi", "reply_to": "nope" }),
            "INVALID_REQUEST",
        ),
        (
            json!({ "type": "edit", "room_id": room, "txn_id": "x7", "event_id": bobs["event_id"], "text": "hijack" }),
            "FORBIDDEN",
        ),
        (
            json!({ "type": "delete", "room_id": room, "txn_id": "x8", "event_id": bobs["event_id"] }),
            "FORBIDDEN",
        ),
        (
            json!({ "type": "react", "room_id": room, "txn_id": "x9", "event_id": "$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "emoji": "👍" }),
            "EVENT_NOT_FOUND",
        ),
        (
            json!({ "type": "react", "room_id": room, "txn_id": "x10", "event_id": mine["event_id"], "emoji": "not one emoji" }),
            "INVALID_REQUEST",
        ),
        (
            json!({ "type": "read", "room_id": room, "seq": -1 }),
            "INVALID_REQUEST",
        ),
        (
            json!({ "type": "read", "room_id": elsewhere, "seq": 1 }),
            "ROOM_NOT_FOUND",
        ),
    ];
    for (frame, code) in cases {
        let answer = ws.request(frame.clone()).await;
        assert_eq!(
            (&answer["type"], answer["code"].as_str()),
            (&json!("error"), Some(code)),
            "{frame}: {answer}"
        );
    }
    // None of it reached Bob.
    bob_ws
        .wait_for(|f| super::is_event(f, &mine["event_id"]))
        .await;
    bob_ws.drain();
    bob_ws.assert_none(super::QUIET, super::any_event).await;
    still_answers(&mut ws).await;
}
