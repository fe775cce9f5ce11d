//! Room sequence numbers: every accepted action takes the next `seq` of its room, without a
//! gap, whatever its kind; refused actions take none; stream positions grow across rooms.

use serde_json::json;

use super::{
    UNKNOWN_EVENT, add_member, assert_gap_free_from, create_group, event_path, history, id_of,
    kinds, leave, messages, post_message, remove_member, send, seq_of, set_role, token, txn,
    update_room,
};
use crate::helpers::TestServer;

#[tokio::test]
async fn every_kind_of_action_takes_the_next_seq() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = create_group(&server, &alice, "Mixed", &[&bob]).await;

    let mut acks = Vec::new();
    let hello = send(&server, &alice, &room, "hello").await;
    acks.push(hello.clone());
    let edit = server
        .put(
            &event_path(&room, id_of(&hello), ""),
            token(&alice),
            json!({ "txn_id": txn(), "text": "hello, edited" }),
        )
        .await;
    acks.push(edit.assert_status(200).clone());
    let react = server
        .put(
            &event_path(&room, id_of(&hello), "/reaction"),
            token(&bob),
            json!({ "txn_id": txn(), "emoji": "👍" }),
        )
        .await;
    acks.push(react.assert_status(200).clone());
    let add = add_member(&server, &alice, &room, &carol.user_id).await;
    acks.push(add.assert_status(200).clone());
    let settings = update_room(&server, &alice, &room, json!({ "topic": "things" })).await;
    acks.push(settings.assert_status(200).clone());
    let promote = set_role(&server, &alice, &room, &bob.user_id, "admin").await;
    acks.push(promote.assert_status(200).clone());
    let from_carol = send(&server, &carol, &room, "hi all").await;
    acks.push(from_carol.clone());
    let delete = server
        .delete(&event_path(&room, id_of(&from_carol), ""), token(&bob))
        .await;
    acks.push(delete.assert_status(200).clone());
    let remove = remove_member(&server, &bob, &room, &carol.user_id).await;
    acks.push(remove.assert_status(200).clone());
    let left = leave(&server, &bob, &room).await;
    acks.push(left.assert_status(200).clone());

    // Creation took 1 and adding bob 2; every action after that took the next one.
    let ack_seqs: Vec<i64> = acks.iter().map(seq_of).collect();
    assert_eq!(ack_seqs, (3..3 + acks.len() as i64).collect::<Vec<_>>());
    let positions: Vec<i64> = acks
        .iter()
        .map(|a| a["pos"].as_i64().expect("pos"))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "stream positions must grow: {positions:?}"
    );
    for ack in &acks {
        assert_eq!(ack["room_id"], room.as_str());
        assert_eq!(ack["duplicate"], false);
        assert!(
            ack["ts"].as_i64().is_some_and(|ts| ts > 1_600_000_000_000),
            "{ack}"
        );
    }

    let events = history(&server, &alice, &room).await;
    assert_gap_free_from(&events, 1);
    for ack in &acks {
        let stored = &events[usize::try_from(seq_of(ack) - 1).expect("seq ≥ 1")];
        assert_eq!(stored["event_id"], ack["event_id"], "{stored}");
        assert_eq!(stored["pos"], ack["pos"], "{stored}");
        assert_eq!(stored["ts"], ack["ts"], "{stored}");
    }
    let expected = [
        ("room.created", None),
        ("room.member", Some("add")),
        ("message", None),
        ("message.edit", None),
        ("message.reaction", None),
        ("room.member", Some("add")),
        ("room.settings", None),
        ("room.member", Some("role")),
        ("message", None),
        ("message.delete", None),
        ("room.member", Some("remove")),
        ("room.member", Some("leave")),
    ]
    .map(|(kind, action)| (kind.to_owned(), action.map(str::to_owned)));
    assert_eq!(kinds(&events), expected);
}

#[tokio::test]
async fn refused_actions_take_no_seq() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = create_group(&server, &alice, "Strict", &[&bob]).await;
    let first = send(&server, &alice, &room, "first").await;
    assert_eq!(seq_of(&first), 3);

    add_member(&server, &bob, &room, &carol.user_id)
        .await
        .assert_error(403, "FORBIDDEN");
    update_room(&server, &bob, &room, json!({ "name": "Mine" }))
        .await
        .assert_error(403, "FORBIDDEN");
    server
        .put(
            &event_path(&room, id_of(&first), ""),
            token(&bob),
            json!({ "txn_id": txn(), "text": "not yours" }),
        )
        .await
        .assert_error(403, "FORBIDDEN");
    post_message(
        &server,
        &alice,
        &room,
        json!({ "txn_id": txn(), "text": "re", "reply_to": UNKNOWN_EVENT }),
    )
    .await
    .assert_error(404, "EVENT_NOT_FOUND");
    post_message(
        &server,
        &carol,
        &room,
        json!({ "txn_id": txn(), "text": "let me in" }),
    )
    .await
    .assert_error(404, "ROOM_NOT_FOUND");
    post_message(
        &server,
        &bob,
        &room,
        json!({ "txn_id": txn(), "text": "   " }),
    )
    .await
    .assert_error(400, "INVALID_MESSAGE");
    add_member(&server, &alice, &room, &bob.user_id)
        .await
        .assert_error(409, "ALREADY_MEMBER");

    let next = send(&server, &bob, &room, "second").await;
    assert_eq!(seq_of(&next), seq_of(&first) + 1, "{next}");
    let events = history(&server, &alice, &room).await;
    assert_gap_free_from(&events, 1);
    assert_eq!(events.len(), 4);
    // Nothing of the refusals reached the timeline.
    let page = messages(&server, &alice, &room, "after=3").await;
    let after = page.assert_status(200)["events"]
        .as_array()
        .expect("events")
        .clone();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0]["event_id"], next["event_id"]);
}

#[tokio::test]
async fn each_room_counts_from_one_and_stream_positions_span_rooms() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let first = create_group(&server, &alice, "First", &[&bob]).await;
    let second = create_group(&server, &alice, "Second", &[]).await;

    let a1 = send(&server, &alice, &first, "one").await;
    let b1 = send(&server, &alice, &second, "one").await;
    let a2 = send(&server, &bob, &first, "two").await;
    let b2 = send(&server, &alice, &second, "two").await;

    assert_eq!(
        [&a1, &a2, &b1, &b2].map(seq_of),
        [3, 4, 2, 3],
        "seq counts per room"
    );
    let positions = [&a1, &b1, &a2, &b2].map(|a| a["pos"].as_i64().expect("pos"));
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "stream positions grow in commit order across rooms: {positions:?}"
    );
    // Bob sees his room from the event that added him.
    assert_gap_free_from(&history(&server, &bob, &first).await, 2);
    assert_gap_free_from(&history(&server, &alice, &second).await, 1);
}
