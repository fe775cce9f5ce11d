//! A NUL character in any string of a gateway frame is refused with an `error`
//! (INVALID_REQUEST) before it reaches the rooms service or the database (PostgreSQL cannot
//! store one), and the connection keeps serving; nothing is stored and no seq is taken.

use serde_json::{Value, json};

use super::{direct, online, room_path, send};
use crate::helpers::TestServer;

#[tokio::test]
async fn nul_in_any_string_of_a_frame_gets_invalid_request_and_the_connection_stays() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct(&server, &alice, &bob).await;
    let (mut ws, _) = online(&server, &alice).await;
    let first = send(&mut ws, &room, "before", "fine").await;
    let target = first["event_id"].as_str().unwrap().to_owned();
    let nul_room = format!("{room}\0");
    let nul_event = format!("{target}\0");

    let cases = [
        json!({ "type": "send", "room_id": room, "txn_id": "n1", "text": "a\0b" }),
        json!({ "type": "send", "room_id": room, "txn_id": "n2", "text": "\0" }),
        json!({ "type": "send", "room_id": nul_room, "txn_id": "n3", "text": "hi" }),
        json!({ "type": "send", "room_id": room, "txn_id": "n\u{0}4", "text": "hi" }),
        json!({ "type": "send", "room_id": room, "txn_id": "n5", "text": "hi", "reply_to": nul_event }),
        json!({ "type": "edit", "room_id": room, "txn_id": "n6", "event_id": target, "text": "x\0" }),
        json!({ "type": "edit", "room_id": room, "txn_id": "n7", "event_id": nul_event, "text": "x" }),
        json!({ "type": "react", "room_id": room, "txn_id": "n8", "event_id": target, "emoji": "\0" }),
        json!({ "type": "delete", "room_id": room, "txn_id": "n\u{0}9", "event_id": target }),
        json!({ "type": "read", "room_id": nul_room, "seq": 1 }),
        json!({ "type": "typing", "room_id": nul_room, "typing": true }),
    ];
    for frame in cases {
        let answer = ws.request(frame.clone()).await;
        assert_eq!(answer["type"], "error", "{frame}: {answer}");
        assert_eq!(answer["code"], "INVALID_REQUEST", "{frame}: {answer}");
        let pong = ws.request(json!({ "type": "ping" })).await;
        assert_eq!(pong["pong"], true, "still serving after {frame}: {pong}");
    }

    // None of them took a seq or changed anything.
    let after = send(&mut ws, &room, "after", "still fine").await;
    assert_eq!(
        after["seq"].as_i64(),
        first["seq"].as_i64().map(|s| s + 1),
        "{after}"
    );
    let history = server
        .get(&room_path(&room, "/messages"), Some(&alice.access_token))
        .await;
    let events = history.assert_status(200)["events"].clone();
    let messages: Vec<&Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] != "room.created" && e["type"] != "room.member")
        .collect();
    assert_eq!(messages.len(), 2, "{events}");
    assert_eq!(messages[0]["content"]["text"], "fine");
    assert_eq!(messages[0]["edited_at"], Value::Null);
    assert_eq!(messages[0]["reactions"], json!([]));
    assert_eq!(messages[1]["content"]["text"], "still fine");
    assert!(!events.to_string().contains("\\u0000"), "{events}");
}
