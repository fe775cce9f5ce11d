//! Unread counts across devices: reading on one device clears the count on the others, in
//! the room list and in later snapshots.

use serde_json::json;

use super::{QUIET, device, direct, online, post_message};
use crate::helpers::TestServer;

#[tokio::test]
async fn reading_on_one_device_clears_unread_on_all() {
    let server = TestServer::spawn_with(|c| c.gateway.receipt_flush_ms = 10).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let bob_laptop = device(&server, &bob).await;
    let room = direct(&server, &alice, &bob).await;
    let (mut phone, _) = online(&server, &bob).await;
    let (mut laptop, _) = online(&server, &bob_laptop).await;

    let mut sent = Vec::new();
    for i in 0..3 {
        sent.push(
            post_message(
                &server,
                &alice,
                &room,
                &format!("m{i}"),
                &format!("unread {i}"),
            )
            .await,
        );
    }
    let (first, last) = (
        sent[0]["seq"].as_i64().unwrap(),
        sent[2]["seq"].as_i64().unwrap(),
    );
    let (_, snapshot) = online(&server, &bob).await;
    assert_eq!(snapshot["rooms"][0]["unread_count"], 3, "{snapshot}");

    // Reading the first on the phone: both devices count two.
    let ack = phone
        .request(json!({ "type": "read", "room_id": room, "seq": first }))
        .await;
    assert_eq!(ack["read_up_to"], first, "{ack}");
    for ws in [&mut laptop, &mut phone] {
        let unread = ws.next("unread").await;
        assert_eq!(unread["room_id"], room.as_str());
        assert_eq!(unread["read_up_to"], first);
        assert_eq!(unread["unread_count"], 2);
    }

    // Reading past the end stops at the last message, and clears everything everywhere.
    let ack = phone
        .request(json!({ "type": "read", "room_id": room, "seq": last + 1000 }))
        .await;
    assert_eq!(ack["read_up_to"], last, "{ack}");
    let unread = laptop.next("unread").await;
    assert_eq!(unread["read_up_to"], last);
    assert_eq!(unread["unread_count"], 0);
    assert_eq!(phone.next("unread").await["unread_count"], 0);

    let list = server
        .get("/api/v1/rooms", Some(&bob_laptop.access_token))
        .await;
    let list = list.assert_status(200);
    assert_eq!(list["rooms"][0]["unread_count"], 0, "{list}");
    assert_eq!(list["rooms"][0]["read_up_to"], last);
    let (_, snapshot) = online(&server, &bob_laptop).await;
    assert_eq!(snapshot["rooms"][0]["unread_count"], 0, "{snapshot}");
    assert_eq!(snapshot["rooms"][0]["read_up_to"], last);

    // Alice is told Bob read, but gets no unread frame of his.
    let (mut a, _) = online(&server, &alice).await;
    let again = phone
        .request(json!({ "type": "read", "room_id": room, "seq": last }))
        .await;
    assert_eq!(again["read_up_to"], last);
    laptop.assert_none(QUIET, |f| f["type"] == "unread").await;
    a.assert_none(QUIET, |f| f["type"] == "unread").await;
}

#[tokio::test]
async fn a_read_position_only_counts_what_others_sent() {
    let server = TestServer::spawn_with(|c| c.gateway.receipt_flush_ms = 10).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct(&server, &alice, &bob).await;
    let (mut b, _) = online(&server, &bob).await;
    let theirs = post_message(&server, &alice, &room, "a1", "from alice").await;
    post_message(&server, &bob, &room, "b1", "from bob").await;
    post_message(&server, &alice, &room, "a2", "from alice again").await;

    let ack = b
        .request(json!({ "type": "read", "room_id": room, "seq": theirs["seq"] }))
        .await;
    assert_eq!(ack["read_up_to"], theirs["seq"]);
    let unread = b.next("unread").await;
    assert_eq!(unread["unread_count"], 1, "{unread}");
}

/// Reads are written in batches (`gateway.receipt_flush_ms`): a lower `read` right after a
/// higher one, before that is stored, is still answered with the higher position, never with
/// a position that moved back.
#[tokio::test]
async fn a_read_is_never_answered_below_one_already_accepted() {
    // A long gathering interval: nothing is stored while the test reads.
    let server = TestServer::spawn_with(|c| c.gateway.receipt_flush_ms = 3_000).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct(&server, &alice, &bob).await;
    let mut seqs = Vec::new();
    for i in 0..3 {
        let sent = post_message(&server, &alice, &room, &format!("r{i}"), "hi").await;
        seqs.push(sent["seq"].as_i64().unwrap());
    }
    let (mut phone, _) = online(&server, &bob).await;
    let high = phone
        .request(json!({ "type": "read", "room_id": room, "seq": seqs[2] }))
        .await;
    assert_eq!(high["read_up_to"], seqs[2], "{high}");
    let low = phone
        .request(json!({ "type": "read", "room_id": room, "seq": seqs[0] }))
        .await;
    assert_eq!(low["read_up_to"], seqs[2], "{low}");
    // Once stored, REST agrees.
    let unread = phone.next("unread").await;
    assert_eq!(unread["read_up_to"], seqs[2], "{unread}");
    let read = server
        .post(
            &format!("/api/v1/rooms/{room}/read"),
            Some(&bob.access_token),
            json!({ "seq": seqs[1] }),
        )
        .await;
    assert_eq!(read.assert_status(200)["read_up_to"], seqs[2]);
}
