//! Replies, edits, reactions and deletions over the gateway: each is acknowledged with its
//! event and reaches the other member as that event; retries of any of them commit once.

use serde_json::{Value, json};

use super::{QUIET, any_event, direct, online, send};
use crate::helpers::{TestServer, Ws};

/// Sends `frame` as a request and checks that it was acknowledged.
async fn acked(ws: &mut Ws, frame: Value) -> Value {
    let ack = ws.request(frame.clone()).await;
    assert_eq!(ack["type"], "ack", "{frame}: {ack}");
    ack
}

#[tokio::test]
async fn replies_edits_reactions_and_deletions_reach_the_other_member() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct(&server, &alice, &bob).await;
    let (mut a, _) = online(&server, &alice).await;
    let (mut b, _) = online(&server, &bob).await;

    let original = send(&mut a, &room, "o", "lunch at noon?").await;
    let target = original["event_id"].clone();
    assert_eq!(b.next("event").await["event"]["event_id"], target);

    let reply = acked(
        &mut b,
        json!({ "type": "send", "room_id": room, "txn_id": "r", "text": "yes", "reply_to": target }),
    )
    .await;
    let edit = acked(
        &mut a,
        json!({ "type": "edit", "room_id": room, "txn_id": "e", "event_id": target, "text": "lunch at one?" }),
    )
    .await;
    let react = acked(
        &mut b,
        json!({ "type": "react", "room_id": room, "txn_id": "x", "event_id": target, "emoji": "👍" }),
    )
    .await;
    let unreact = acked(
        &mut b,
        json!({ "type": "react", "room_id": room, "txn_id": "y", "event_id": target, "emoji": "" }),
    )
    .await;
    let delete = acked(
        &mut a,
        json!({ "type": "delete", "room_id": room, "txn_id": "d", "event_id": target }),
    )
    .await;

    let acks = [&reply, &edit, &react, &unreact, &delete];
    let seqs: Vec<i64> = acks.iter().map(|a| a["seq"].as_i64().unwrap()).collect();
    let first = original["seq"].as_i64().unwrap();
    assert_eq!(seqs, (first + 1..=first + 5).collect::<Vec<_>>());

    assert_eq!(a.next("event").await["event"]["event_id"], target);
    for ws in [&mut a, &mut b] {
        let got = super::events(ws, 5).await;
        let ids: Vec<&Value> = got.iter().map(|e| &e["event_id"]).collect();
        let expected: Vec<&Value> = acks.iter().map(|a| &a["event_id"]).collect();
        assert_eq!(ids, expected);
        assert_eq!(got[0]["type"], "message");
        assert_eq!(
            got[0]["content"],
            json!({ "text": "yes", "reply_to": target })
        );
        assert_eq!(got[1]["type"], "message.edit");
        assert_eq!(
            got[1]["content"],
            json!({ "target": target, "text": "lunch at one?" })
        );
        assert_eq!(got[2]["type"], "message.reaction");
        assert_eq!(
            got[2]["content"],
            json!({ "target": target, "emoji": "👍" })
        );
        assert_eq!(got[3]["content"], json!({ "target": target, "emoji": "" }));
        assert_eq!(got[4]["type"], "message.delete");
        assert_eq!(got[4]["content"], json!({ "target": target }));
    }

    // Retried, each answers with its first event and sends nothing.
    let retry = acked(
        &mut a,
        json!({ "type": "edit", "room_id": room, "txn_id": "e", "event_id": target, "text": "lunch at one?" }),
    )
    .await;
    assert_eq!(
        (&retry["event_id"], &retry["duplicate"]),
        (&edit["event_id"], &json!(true))
    );
    let retry = acked(
        &mut b,
        json!({ "type": "react", "room_id": room, "txn_id": "x", "event_id": target, "emoji": "👍" }),
    )
    .await;
    assert_eq!(
        (&retry["event_id"], &retry["duplicate"]),
        (&react["event_id"], &json!(true))
    );
    a.assert_none(QUIET, any_event).await;
    b.assert_none(QUIET, any_event).await;
}
