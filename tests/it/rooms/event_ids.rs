//! Event ids are the protocol's: for every event made through the API, the id recomputed
//! from the stored row (room, sender, type, the content as sent, origin_ts, nonce) is the
//! stored id, whether computed by `convo_federation::events::event_id` or as the SHA-256 of
//! the canonical JSON of the stored fields. And events stored before ids were the protocol's
//! (migration 0006 left them with no nonce and ids that are no hash of theirs) keep their
//! ids: they are found, answered, edited, reacted to and deleted by them.

use std::collections::BTreeSet;

use convo_federation::events::{EventContent, EventKind, canonical_sha256, event_id};
use convo_federation::{EventId, RoomId, UserId};
use rand::RngExt as _;
use serde_json::{Map, Value, json};

use super::{
    create_group, event, event_path, history, id_of, post_message, remove_member, send, set_role,
    token, txn, update_room,
};
use crate::helpers::sql::{self, Param};
use crate::helpers::{TestServer, Ws};

/// Every stored event of `room`, in seq order.
async fn stored_events(server: &TestServer, room: &str) -> Vec<Map<String, Value>> {
    sql::rows(
        server,
        "SELECT event_id, room_id, seq, stream_pos, sender, kind, content, original_content,
                origin_ts, nonce, deleted_at
         FROM events WHERE room_id = $1 ORDER BY seq",
        &[Param::from(room)],
    )
    .await
}

fn text<'a>(row: &'a Map<String, Value>, column: &str) -> &'a str {
    row[column]
        .as_str()
        .unwrap_or_else(|| panic!("{column} of {row:?}"))
}

/// The id the protocol gives the event in `row`, two ways: through the federation crate's
/// typed content, and as the digest of the canonical JSON of the stored fields themselves.
fn recomputed(row: &Map<String, Value>) -> (EventId, EventId) {
    let content_json = row["original_content"]
        .as_str()
        .unwrap_or_else(|| text(row, "content"));
    let kind = EventKind::parse(text(row, "kind")).expect("a known kind");
    let content = EventContent::from_parts(kind, content_json).expect("stored content parses");
    let room_id = RoomId::parse(text(row, "room_id")).expect("room id");
    let sender = UserId::parse(text(row, "sender")).expect("user id");
    let origin_ts = row["origin_ts"].as_i64().expect("origin_ts");
    let nonce = text(row, "nonce");
    let typed = event_id(&room_id, &sender, &content, origin_ts, nonce);
    let body = json!({
        "room_id": room_id.as_str(),
        "sender": sender.as_str(),
        "type": kind.as_str(),
        "content": serde_json::from_str::<Value>(content_json).expect("content is JSON"),
        "origin_ts": origin_ts,
        "nonce": nonce,
    });
    let raw = EventId::from_digest(&canonical_sha256(&body).expect("canonical JSON"));
    (typed, raw)
}

#[tokio::test]
async fn stored_events_carry_the_protocols_ids() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = create_group(&server, &alice, "Hashes", &[&bob, &carol]).await;
    let mut acked = BTreeSet::new();
    let mut note = |ack: &Value| {
        acked.insert(id_of(ack).to_owned());
    };
    let hello = send(&server, &alice, &room, "hello, héllo, 👋").await;
    note(&hello);
    let reply = post_message(
        &server,
        &bob,
        &room,
        json!({ "txn_id": txn(), "text": "a reply", "reply_to": id_of(&hello) }),
    )
    .await;
    note(reply.assert_status(200));
    let edit = server
        .put(
            &event_path(&room, id_of(&hello), ""),
            token(&alice),
            json!({ "txn_id": txn(), "text": "hello, edited" }),
        )
        .await;
    note(edit.assert_status(200));
    let reaction = server
        .put(
            &event_path(&room, id_of(&hello), "/reaction"),
            token(&carol),
            json!({ "txn_id": txn(), "emoji": "🎉" }),
        )
        .await;
    note(reaction.assert_status(200));
    let (mut ws, _) = Ws::connect(&server, &bob.access_token, None).await;
    let over_ws = ws
        .request(json!({ "type": "send", "room_id": room, "txn_id": "ws-1", "text": "over the gateway" }))
        .await;
    assert_eq!(over_ws["type"], "ack", "{over_ws}");
    note(&over_ws);
    let doomed = send(&server, &bob, &room, "to be deleted").await;
    note(&doomed);
    let deletion = server
        .delete(&event_path(&room, id_of(&doomed), ""), token(&bob))
        .await;
    note(deletion.assert_status(200));
    let settings = update_room(&server, &alice, &room, json!({ "topic": "ids" })).await;
    note(settings.assert_status(200));
    let role = set_role(&server, &alice, &room, &carol.user_id, "admin").await;
    note(role.assert_status(200));
    let removal = remove_member(&server, &alice, &room, &bob.user_id).await;
    note(removal.assert_status(200));

    let rows = stored_events(&server, &room).await;
    let stored: BTreeSet<String> = rows
        .iter()
        .map(|r| text(r, "event_id").to_owned())
        .collect();
    assert!(acked.is_subset(&stored), "every answered id is stored");
    let mut kinds = BTreeSet::new();
    let mut edited = 0;
    for row in &rows {
        if !row["deleted_at"].is_null() {
            // Deleted for everyone: the content its id is the hash of is gone on purpose.
            assert_eq!(text(row, "content"), "{}");
            continue;
        }
        let id = text(row, "event_id");
        let (typed, raw) = recomputed(row);
        assert_eq!(typed.as_str(), id, "event_id() of {row:?}");
        assert_eq!(raw.as_str(), id, "the canonical JSON's digest of {row:?}");
        kinds.insert(text(row, "kind").to_owned());
        edited += usize::from(!row["original_content"].is_null());
    }
    assert_eq!(
        edited, 1,
        "the edited message is checked by its content as sent"
    );
    for kind in [
        "room.created",
        "room.member",
        "room.settings",
        "message",
        "message.edit",
        "message.reaction",
        "message.delete",
    ] {
        assert!(kinds.contains(kind), "no {kind} was checked: {kinds:?}");
    }
}

#[tokio::test]
async fn events_stored_before_protocol_ids_keep_their_ids() {
    let mut server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Old times", &[&bob]).await;
    send(&server, &alice, &room, "stored the new way").await;

    // A row as the server stored it before migration 0006: no nonce, no original content,
    // and an id that is not the protocol's hash of it.
    let legacy = EventId::from_digest(&rand::rng().random::<[u8; 32]>());
    let ts = 1_700_000_000_000i64;
    let content = json!({ "text": "from before 0006" }).to_string();
    let next = sql::rows(
        &server,
        "SELECT (SELECT MAX(seq) FROM events WHERE room_id = $1) AS seq,
                (SELECT MAX(stream_pos) FROM events) AS pos",
        &[Param::from(room.as_str())],
    )
    .await;
    let seq = next[0]["seq"].as_i64().unwrap() + 1;
    let pos = next[0]["pos"].as_i64().unwrap() + 1;
    let key: String = legacy.as_str().chars().take(12).collect();
    sql::execute(
        &server,
        "INSERT INTO events (stream_pos, room_id, seq, event_id, event_key, sender, txn_id,
                             txn_key, kind, content, origin_ts)
         VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, 'message', $7, $8)",
        &[
            Param::Int(pos),
            Param::from(room.as_str()),
            Param::Int(seq),
            Param::from(legacy.as_str()),
            Param::from(key),
            Param::from(alice.user_id.as_str()),
            Param::from(content),
            Param::Int(ts),
        ],
    )
    .await;
    let rows = stored_events(&server, &room).await;
    let row = rows.last().expect("the legacy row");
    assert!(row["nonce"].is_null(), "{row:?}");
    // The sequencer holds the room's state in memory: a restart reloads it with this row.
    server.restart().await;
    let alice = server.login("alice", &alice.password).await;
    let bob = server.login("bob", &bob.password).await;

    let events = history(&server, &bob, &room).await;
    let shown = event(&events, legacy.as_str());
    assert_eq!(shown["seq"], seq);
    assert_eq!(shown["content"]["text"], "from before 0006");

    // Answered by its id; the next event takes the next seq.
    let answer = post_message(
        &server,
        &bob,
        &room,
        json!({ "txn_id": txn(), "text": "replying to history", "reply_to": legacy.as_str() }),
    )
    .await;
    let answer = answer.assert_status(200).clone();
    assert_eq!(answer["seq"], seq + 1, "{answer}");
    // Edited, reacted to.
    server
        .put(
            &event_path(&room, legacy.as_str(), ""),
            token(&alice),
            json!({ "txn_id": txn(), "text": "from before 0006, edited" }),
        )
        .await
        .assert_status(200);
    server
        .put(
            &event_path(&room, legacy.as_str(), "/reaction"),
            token(&bob),
            json!({ "txn_id": txn(), "emoji": "🏺" }),
        )
        .await
        .assert_status(200);
    let events = history(&server, &alice, &room).await;
    let shown = event(&events, legacy.as_str());
    assert_eq!(
        shown["content"]["text"], "from before 0006, edited",
        "{shown}"
    );
    assert!(shown["edited_at"].is_i64(), "{shown}");
    assert_eq!(
        shown["reactions"],
        json!([{ "emoji": "🏺", "users": [bob.user_id] }])
    );
    assert_eq!(
        event(&events, id_of(&answer))["content"]["reply_to"],
        legacy.as_str()
    );
    let rows = stored_events(&server, &room).await;
    let row = rows
        .iter()
        .find(|r| r["event_id"] == legacy.as_str())
        .expect("still stored under its id");
    assert_eq!(
        row["original_content"],
        json!(json!({ "text": "from before 0006" }).to_string())
    );
    assert!(row["nonce"].is_null());

    // Deleted by its id.
    server
        .delete(&event_path(&room, legacy.as_str(), ""), token(&alice))
        .await
        .assert_status(200);
    let events = history(&server, &bob, &room).await;
    let shown = event(&events, legacy.as_str());
    assert_eq!(shown["deleted"], true, "{shown}");
    assert!(shown["content"].is_null(), "{shown}");
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "gap-free around the old row: {seqs:?}"
    );
}
