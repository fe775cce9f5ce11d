//! The server sends every kind of frame the document describes (and every type of room
//! event) in one conversation, each checked against the document as it arrives; and what
//! the document promises about them holds: who gets a `txn_id`, what a resume sends and in
//! which order, how a read is clamped, how the other person finds a direct chat.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{enc, online, rest};
use crate::helpers::asyncapi::gateway;
use crate::helpers::{TestServer, Ws};

/// Sends `frame` and returns its answer, checked to be an ack.
async fn acked(ws: &mut Ws, frame: Value) -> Value {
    let ack = ws.request(frame.clone()).await;
    assert_eq!(ack["type"], "ack", "{frame}: {ack}");
    ack
}

/// The next `event` frame of `kind` in `room`.
async fn event_of(ws: &mut Ws, room: &str, kind: &str) -> Value {
    ws.wait_for(|f| {
        f["type"] == "event" && f["event"]["room_id"] == room && f["event"]["type"] == kind
    })
    .await
}

#[tokio::test]
async fn every_server_frame_and_event_type_is_sent_and_matches_the_document() {
    let server = TestServer::spawn_with(|c| c.gateway.presence_grace_secs = 0).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let (mut a, _) = online(&server, &alice).await;
    let (mut b, _) = online(&server, &bob).await;
    let start = a.request(json!({ "type": "ping" })).await;
    assert_eq!(start["pong"], true);

    // A group: room.created (only its creator sees it), then room.member (add), the first
    // event of the room that Bob sees.
    let created = rest(
        &server,
        &alice,
        "POST",
        "/api/v1/rooms",
        json!({ "name": "Lunch", "members": [bob.user_id] }),
    )
    .await;
    let room = created["room_id"].as_str().unwrap().to_owned();
    event_of(&mut a, &room, "room.created").await;
    let added = event_of(&mut b, &room, "room.member").await;
    assert_eq!(added["event"]["seq"], 2);
    let before = event_of(&mut a, &room, "room.member").await["event"]["pos"]
        .as_i64()
        .unwrap();

    // Messages and what happens to them.
    let first = acked(
        &mut a,
        json!({ "type": "send", "room_id": room, "txn_id": "m1", "text": "lunch?" }),
    )
    .await;
    let own = event_of(&mut a, &room, "message").await;
    assert_eq!(
        own["event"]["txn_id"], "m1",
        "the sender's devices get the txn_id: {own}"
    );
    assert!(own.get("notify").is_none(), "{own}");
    let theirs = event_of(&mut b, &room, "message").await;
    assert!(
        theirs["event"].get("txn_id").is_none(),
        "others never see it: {theirs}"
    );
    assert_eq!(theirs["notify"], true);
    let target = first["event_id"].clone();
    let kept = acked(&mut b, json!({ "type": "send", "room_id": room, "txn_id": "m2", "text": "at noon", "reply_to": target })).await;
    acked(&mut b, json!({ "type": "edit", "room_id": room, "txn_id": "m3", "event_id": kept["event_id"], "text": "at one" })).await;
    acked(&mut b, json!({ "type": "react", "room_id": room, "txn_id": "m4", "event_id": target, "emoji": "👍" })).await;
    acked(&mut a, json!({ "type": "edit", "room_id": room, "txn_id": "m5", "event_id": target, "text": "lunch today?" })).await;
    acked(
        &mut a,
        json!({ "type": "delete", "room_id": room, "txn_id": "m6", "event_id": target }),
    )
    .await;
    let retry = acked(
        &mut a,
        json!({ "type": "delete", "room_id": room, "txn_id": "m6", "event_id": target }),
    )
    .await;
    assert_eq!(retry["duplicate"], true);
    for kind in ["message.edit", "message.reaction", "message.delete"] {
        event_of(&mut a, &room, kind).await;
    }

    // Ticks: delivered, then read past the end (clamped), then read back (never moves back).
    // (A member hears of positions that pass their own messages: Alice's first is deleted,
    // so she writes another.)
    event_of(&mut b, &room, "message.delete").await;
    acked(
        &mut a,
        json!({ "type": "send", "room_id": room, "txn_id": "m7", "text": "see you there" }),
    )
    .await;
    let last = b
        .wait_for(|f| f["type"] == "event" && f["event"]["content"]["text"] == "see you there")
        .await["event"]
        .clone();
    acked(&mut b, json!({ "type": "received", "pos": last["pos"] })).await;
    let read = acked(
        &mut b,
        json!({ "type": "read", "room_id": room, "seq": 1000 }),
    )
    .await;
    assert_eq!(
        read["read_up_to"], last["seq"],
        "clamped to the last seq: {read}"
    );
    let unread = b.next("unread").await;
    assert_eq!(
        (&unread["read_up_to"], &unread["unread_count"]),
        (&last["seq"], &json!(0))
    );
    a.wait_for(|f| {
        f["type"] == "receipts"
            && f["updates"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|u| u["read_up_to"] == last["seq"])
    })
    .await;
    // Once the read is stored (it was announced), a lower one leaves it where it is. (Before,
    // within `gateway.receipt_flush_ms`, the ack may still say the lower one: see the
    // document.)
    let again = acked(&mut b, json!({ "type": "read", "room_id": room, "seq": 1 })).await;
    assert_eq!(
        again["read_up_to"], last["seq"],
        "never moves back: {again}"
    );

    // Typing, and a frame that cannot be read.
    acked(
        &mut b,
        json!({ "type": "typing", "room_id": room, "typing": true }),
    )
    .await;
    let typing = a.next("typing").await;
    assert_eq!(
        (&typing["user_id"], &typing["typing"]),
        (&json!(bob.user_id), &json!(true))
    );
    a.send_text("{nope".into()).await;
    assert_eq!(a.next("error").await["id"], Value::Null);
    let refused = a
        .request(json!({ "type": "read", "room_id": room, "seq": -1 }))
        .await;
    assert_eq!(refused["code"], "INVALID_REQUEST");

    // Settings and every kind of membership change.
    let room_path = format!("/api/v1/rooms/{}", enc(&room));
    rest(
        &server,
        &alice,
        "PUT",
        &room_path,
        json!({ "topic": "Fridays", "avatar_url": null }),
    )
    .await;
    let members = format!("{room_path}/members");
    let carol_path = format!("{members}/{}", enc(&carol.user_id));
    rest(
        &server,
        &alice,
        "POST",
        &members,
        json!({ "user_id": carol.user_id }),
    )
    .await;
    rest(
        &server,
        &alice,
        "PUT",
        &format!("{carol_path}/role"),
        json!({ "role": "admin" }),
    )
    .await;
    rest(&server, &alice, "DELETE", &carol_path, Value::Null).await;
    rest(
        &server,
        &alice,
        "POST",
        &members,
        json!({ "user_id": carol.user_id }),
    )
    .await;
    rest(
        &server,
        &carol,
        "POST",
        &format!("{room_path}/leave"),
        json!({}),
    )
    .await;
    event_of(&mut a, &room, "room.settings").await;
    let mut actions = BTreeSet::new();
    while actions.len() < 4 {
        let event = event_of(&mut a, &room, "room.member").await;
        actions.insert(
            event["event"]["content"]["action"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }

    // Carol, in a direct chat with Alice, comes online and goes away (a last seen).
    let direct = rest(
        &server,
        &carol,
        "POST",
        "/api/v1/rooms/direct",
        json!({ "user_id": alice.user_id }),
    )
    .await;
    event_of(&mut a, direct["room_id"].as_str().unwrap(), "room.member").await;
    let (c, _) = online(&server, &carol).await;
    a.wait_for(|f| f["type"] == "presence" && f["user_id"] == carol.user_id && f["online"] == true)
        .await;
    c.close().await;
    a.wait_for(|f| {
        f["type"] == "presence" && f["user_id"] == carol.user_id && f["online"] == false
    })
    .await;

    // A resume from before the first message: the events as they are now, then presence,
    // then `synced`.
    let (mut again, hello) = Ws::connect(&server, &alice.access_token, Some(before)).await;
    assert_eq!(hello["type"], "ack");
    let synced = again.next("synced").await;
    let caught_up = again.drain();
    let first_presence = caught_up.iter().position(|f| f["type"] == "presence");
    let last_event = caught_up.iter().rposition(|f| f["type"] == "event");
    assert!(
        first_presence.is_some() && last_event < first_presence,
        "{caught_up:?}"
    );
    assert!(
        caught_up
            .iter()
            .all(|f| f["type"] == "event" || f["type"] == "presence")
    );
    let event = |id: &Value| {
        caught_up
            .iter()
            .find(|f| f["event"]["event_id"] == *id)
            .unwrap_or_else(|| panic!("{id} in {caught_up:?}"))["event"]
            .clone()
    };
    assert_eq!(
        event(&target)["content"],
        Value::Null,
        "deleted for everyone"
    );
    assert_eq!(
        event(&kept["event_id"])["content"],
        json!({ "text": "at one", "reply_to": target }),
        "its newest text"
    );
    let removed: Vec<&Value> = caught_up
        .iter()
        .filter(|f| {
            matches!(
                f["event"]["type"].as_str(),
                Some("message.edit" | "message.reaction")
            )
        })
        .map(|f| &f["event"]["content"])
        .collect();
    let nulls = removed.iter().filter(|c| c.is_null()).count();
    assert_eq!(
        (nulls, removed.len()),
        (2, 3),
        "the deleted message's edit and reaction: {removed:?}"
    );
    let carol_seen = caught_up
        .iter()
        .find(|f| f["type"] == "presence" && f["user_id"] == carol.user_id)
        .expect("carol's presence");
    assert!(carol_seen["last_seen"].is_i64(), "{carol_seen}");
    let newest = caught_up
        .iter()
        .filter_map(|f| f["event"]["pos"].as_i64())
        .max();
    assert_eq!(synced["pos"].as_i64(), newest);

    // The group deleted.
    rest(&server, &alice, "DELETE", &room_path, Value::Null).await;
    event_of(&mut b, &room, "room.deleted").await;

    let mut matched = BTreeSet::new();
    for ws in [&a, &b, &again] {
        matched.extend(ws.matched.iter().cloned());
    }
    let mut expected: BTreeSet<String> = gateway().server.iter().map(|m| m.key.clone()).collect();
    let kinds = gateway().documents.root()
        ["components"]["x-schemas"]["StreamEvent"]["discriminator"]["mapping"]
        .as_object()
        .unwrap();
    expected.extend(kinds.keys().map(|k| format!("event:{k}")));
    assert_eq!(matched, expected);
}

#[tokio::test]
async fn since_zero_sends_every_event_from_the_beginning() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = rest(
        &server,
        &alice,
        "POST",
        "/api/v1/rooms/direct",
        json!({ "user_id": bob.user_id }),
    )
    .await;
    let room = room["room_id"].as_str().unwrap().to_owned();
    let (mut a, _) = online(&server, &alice).await;
    acked(
        &mut a,
        json!({ "type": "send", "room_id": room, "txn_id": "t", "text": "hi" }),
    )
    .await;
    a.close().await;

    let (mut again, _) = Ws::connect(&server, &alice.access_token, Some(0)).await;
    let synced = again.next("synced").await;
    let seqs: Vec<i64> = again
        .drain()
        .iter()
        .filter_map(|f| f["event"]["seq"].as_i64())
        .collect();
    assert_eq!(seqs, [1, 2, 3], "room.created, room.member, the message");
    assert!(synced["pos"].as_i64() > Some(0));
}

#[tokio::test]
async fn the_other_person_finds_a_direct_chat_on_their_stream_and_by_asking() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let (mut b, snapshot) = online(&server, &bob).await;
    assert_eq!(snapshot["rooms"], json!([]));

    let opened = rest(
        &server,
        &alice,
        "POST",
        "/api/v1/rooms/direct",
        json!({ "user_id": bob.user_id }),
    )
    .await;
    assert_eq!(opened["created"], true);
    let room = opened["room_id"].as_str().unwrap();
    // Bob's first event of the room is the one adding him (`room.created`, seq 1, is
    // before he joined): it names the room, the room list says what it is.
    let added = event_of(&mut b, room, "room.member").await;
    assert_eq!(
        (
            &added["event"]["seq"],
            &added["event"]["sender"],
            &added["event"]["content"]
        ),
        (
            &json!(2),
            &json!(alice.user_id),
            &json!({ "action": "add", "user_id": bob.user_id })
        )
    );

    let asked = rest(
        &server,
        &bob,
        "POST",
        "/api/v1/rooms/direct",
        json!({ "user_id": alice.user_id }),
    )
    .await;
    assert_eq!(asked, json!({ "room_id": room, "created": false }));
    let listed = rest(&server, &bob, "GET", "/api/v1/rooms", Value::Null).await;
    assert_eq!(listed["rooms"][0]["peer"], alice.user_id.as_str());
    assert_eq!(listed["rooms"][0]["kind"], "direct");
    // Nothing before the addition reaches him, on resume either.
    let (mut again, _) = Ws::connect(&server, &bob.access_token, Some(0)).await;
    again.next("synced").await;
    let seqs: Vec<Value> = again
        .drain()
        .iter()
        .filter(|f| f["type"] == "event")
        .map(|f| f["event"]["seq"].clone())
        .collect();
    assert_eq!(seqs, [json!(2)]);
}
