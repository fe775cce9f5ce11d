//! A group of three talking at once: every member gets every event exactly once and in seq
//! order, and the sender sees each recipient's delivered and read positions.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{QUIET, any_event, events, group, online};
use crate::helpers::{TestServer, Ws};

/// Messages each member sends.
const EACH: usize = 6;

#[tokio::test]
async fn three_members_sending_at_once_all_see_one_gap_free_order() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = group(&server, &alice, &[&bob, &carol]).await;
    let mut conns: Vec<Ws> = Vec::new();
    let mut last_seq = 0;
    for user in [&alice, &bob, &carol] {
        let (ws, snapshot) = online(&server, user).await;
        last_seq = snapshot["rooms"][0]["last_seq"].as_i64().unwrap();
        conns.push(ws);
    }

    // Everyone pipelines their messages before reading anything.
    for (who, ws) in conns.iter_mut().enumerate() {
        for i in 0..EACH {
            let frame = json!({
                "type": "send", "id": format!("s{i}"), "room_id": room,
                "txn_id": format!("t{i}"), "text": format!("{who}:{i}"),
            });
            ws.send_text(frame.to_string()).await;
        }
    }
    let mut acked = BTreeSet::new();
    for ws in &mut conns {
        for i in 0..EACH {
            let id = format!("s{i}");
            let ack = ws.wait_for(|f| f["id"] == id.as_str()).await;
            assert_eq!(ack["type"], "ack", "{ack}");
            assert!(
                acked.insert(ack["seq"].as_i64().unwrap()),
                "seq given twice"
            );
        }
    }
    let total = 3 * EACH;
    let expected: BTreeSet<i64> = (last_seq + 1..=last_seq + total as i64).collect();
    assert_eq!(acked, expected, "seqs are gap-free");

    let mut orders = Vec::new();
    for ws in &mut conns {
        let got = events(ws, total).await;
        ws.assert_none(QUIET, any_event).await;
        let seqs: Vec<i64> = got.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, expected.iter().copied().collect::<Vec<_>>());
        let positions: Vec<i64> = got.iter().map(|e| e["pos"].as_i64().unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
        // A sender's own messages keep the order it sent them in.
        for who in 0..3 {
            let mine: Vec<&str> = got
                .iter()
                .filter_map(|e| e["content"]["text"].as_str())
                .filter(|t| t.starts_with(&format!("{who}:")))
                .collect();
            let sent: Vec<String> = (0..EACH).map(|i| format!("{who}:{i}")).collect();
            assert_eq!(mine, sent);
        }
        // Everyone sees the same events (a sender's own copies also carry its txn_id).
        let mut got = got;
        for event in &mut got {
            event.as_object_mut().map(|e| e.remove("txn_id"));
        }
        orders.push(got);
    }
    assert_eq!(orders[0], orders[1]);
    assert_eq!(orders[1], orders[2]);
}

/// The update for `user_id` in a `receipts` frame, if any.
fn update_for<'a>(frame: &'a Value, user_id: &str) -> Option<&'a Value> {
    if frame["type"] != "receipts" {
        return None;
    }
    frame["updates"]
        .as_array()?
        .iter()
        .find(|u| u["user_id"] == user_id)
}

#[tokio::test]
async fn the_sender_sees_each_recipients_delivered_and_read_positions() {
    let server = TestServer::spawn_with(|c| c.gateway.receipt_flush_ms = 10).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = group(&server, &alice, &[&bob, &carol]).await;
    let (mut a, _) = online(&server, &alice).await;
    let (mut b, _) = online(&server, &bob).await;
    let (mut c, _) = online(&server, &carol).await;

    let first = super::send(&mut a, &room, "r1", "one").await;
    let second = super::send(&mut a, &room, "r2", "two").await;
    let (seq1, seq2) = (
        first["seq"].as_i64().unwrap(),
        second["seq"].as_i64().unwrap(),
    );

    // Bob's device got both: one frame acknowledges everything up to the last position.
    let got = events(&mut b, 2).await;
    let ack = b
        .request(json!({ "type": "received", "pos": got[1]["pos"] }))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let frame = a.wait_for(|f| update_for(f, &bob.user_id).is_some()).await;
    assert_eq!(frame["room_id"], room.as_str());
    let update = update_for(&frame, &bob.user_id).unwrap();
    assert_eq!(update["delivered_up_to"], seq2);
    assert_eq!(update["read_up_to"], 0);
    assert!(update["ts"].as_i64().unwrap() > 0);

    // Carol reads the first only: read implies delivered, and stops there.
    events(&mut c, 2).await;
    let read = c
        .request(json!({ "type": "read", "room_id": room, "seq": seq1 }))
        .await;
    assert_eq!(read["read_up_to"], seq1, "{read}");
    let frame = a
        .wait_for(|f| update_for(f, &carol.user_id).is_some())
        .await;
    let update = update_for(&frame, &carol.user_id).unwrap();
    assert_eq!(update["delivered_up_to"], seq1);
    assert_eq!(update["read_up_to"], seq1);
    // Bob, whose messages Carol's positions did not pass, is not told: a member hears of the
    // positions that change ticks of their own messages only.
    b.assert_none(QUIET, |f| update_for(f, &carol.user_id).is_some())
        .await;

    // Positions never move back, and an acknowledgement that moves nothing sends nothing.
    let read = c
        .request(json!({ "type": "read", "room_id": room, "seq": 0 }))
        .await;
    assert_eq!(read["read_up_to"], seq1, "{read}");
    b.request(json!({ "type": "received", "pos": got[1]["pos"] }))
        .await;
    a.assert_none(QUIET, |f| f["type"] == "receipts").await;
}

/// A `received` without an `id` gets no answer at all (devices acknowledge often), and still
/// moves the position; the sender hears of it, a member whose messages it did not pass does
/// not.
#[tokio::test]
async fn a_received_without_an_id_is_not_answered_and_only_the_sender_hears() {
    let server = TestServer::spawn_with(|c| c.gateway.receipt_flush_ms = 10).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = group(&server, &alice, &[&bob, &carol]).await;
    let (mut a, _) = online(&server, &alice).await;
    let (mut b, _) = online(&server, &bob).await;
    let (mut c, _) = online(&server, &carol).await;
    let sent = super::send(&mut a, &room, "q1", "anyone there?").await;
    let got = events(&mut b, 1).await;
    b.send_text(json!({ "type": "received", "pos": got[0]["pos"] }).to_string())
        .await;
    let frame = a.wait_for(|f| update_for(f, &bob.user_id).is_some()).await;
    assert_eq!(
        update_for(&frame, &bob.user_id).unwrap()["delivered_up_to"],
        sent["seq"]
    );
    b.assert_none(QUIET, |f| f["type"] == "ack" || f["type"] == "error")
        .await;
    c.assert_none(QUIET, |f| f["type"] == "receipts").await;
}
