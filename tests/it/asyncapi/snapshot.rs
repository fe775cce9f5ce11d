//! The snapshot's rooms are the room list: for the same user at the same moment, its `rooms`
//! are exactly what `GET /api/v1/rooms` answers (same JSON, same order), whatever the rooms
//! hold: direct chats and groups, replies, edits, deletions, reactions, receipts, unread
//! messages, a muted room, a room left.

use serde_json::{Value, json};

use super::{enc, online, rest};
use crate::helpers::{TestServer, TestUser, Ws};

async fn send(ws: &mut Ws, room: &str, txn_id: &str, text: &str) -> Value {
    let ack = ws
        .request(json!({ "type": "send", "room_id": room, "txn_id": txn_id, "text": text }))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    ack
}

/// The snapshot's rooms and the room list of `user`, taken one after the other with nothing
/// happening in between.
async fn both(server: &TestServer, user: &TestUser) -> (Value, Value) {
    let (ws, snapshot) = online(server, user).await;
    let listed = rest(server, user, "GET", "/api/v1/rooms", Value::Null).await;
    ws.close().await;
    (snapshot["rooms"].clone(), listed["rooms"].clone())
}

#[tokio::test]
async fn the_snapshots_rooms_are_the_room_list() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let (snapshot, listed) = both(&server, &alice).await;
    assert_eq!((snapshot, listed), (json!([]), json!([])));

    let direct = rest(
        &server,
        &alice,
        "POST",
        "/api/v1/rooms/direct",
        json!({ "user_id": bob.user_id }),
    )
    .await;
    let direct = direct["room_id"].as_str().unwrap().to_owned();
    let group = rest(
        &server,
        &alice,
        "POST",
        "/api/v1/rooms",
        json!({ "name": "Lunch", "topic": "Fridays", "members": [bob.user_id, carol.user_id] }),
    )
    .await;
    let group = group["room_id"].as_str().unwrap().to_owned();
    let left = rest(
        &server,
        &bob,
        "POST",
        "/api/v1/rooms",
        json!({ "name": "Gone", "members": [alice.user_id] }),
    )
    .await;
    let left = left["room_id"].as_str().unwrap().to_owned();

    let (mut a, _) = online(&server, &alice).await;
    let (mut b, _) = online(&server, &bob).await;
    let first = send(&mut a, &direct, "d1", "hello").await;
    send(&mut b, &direct, "d2", "hi").await;
    let reply = b
        .request(json!({ "type": "send", "room_id": direct, "txn_id": "d3", "text": "lunch?", "reply_to": first["event_id"] }))
        .await;
    b.request(json!({ "type": "edit", "room_id": direct, "txn_id": "d4", "event_id": reply["event_id"], "text": "lunch at one?" }))
        .await;
    b.request(json!({ "type": "react", "room_id": direct, "txn_id": "d5", "event_id": first["event_id"], "emoji": "👋" }))
        .await;
    let gone = send(&mut a, &group, "g1", "who is in?").await;
    a.request(
        json!({ "type": "delete", "room_id": group, "txn_id": "g2", "event_id": gone["event_id"] }),
    )
    .await;
    send(&mut b, &group, "g3", "me").await;
    send(&mut b, &left, "l1", "bye").await;
    rest(
        &server,
        &alice,
        "POST",
        &format!("/api/v1/rooms/{}/leave", enc(&left)),
        json!({}),
    )
    .await;
    rest(
        &server,
        &alice,
        "PUT",
        &format!("/api/v1/rooms/{}/mute", enc(&group)),
        json!({ "muted": true }),
    )
    .await;
    // Bob has received and read some: Alice's rooms carry his positions.
    let last = b
        .wait_for(|f| {
            f["type"] == "event"
                && f["event"]["room_id"] == group
                && f["event"]["type"] == "message.delete"
        })
        .await;
    b.request(json!({ "type": "received", "pos": last["event"]["pos"] }))
        .await;
    b.request(json!({ "type": "read", "room_id": direct, "seq": 3 }))
        .await;
    a.wait_for(|f| f["type"] == "receipts" && f["updates"][0]["read_up_to"] == 3)
        .await;
    // Wait until the receipts are stored (they are announced after).
    a.close().await;
    b.close().await;

    for user in [&alice, &bob, &carol] {
        let (snapshot, listed) = both(&server, user).await;
        assert!(
            snapshot.as_array().is_some_and(|r| !r.is_empty()),
            "{snapshot}"
        );
        assert_eq!(
            snapshot, listed,
            "{}'s snapshot and room list",
            user.username
        );
    }
}
