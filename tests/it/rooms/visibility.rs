//! Who sees what: strangers find no room; removed and departed members keep what they saw
//! until then and nothing after; members added later see history from their add event on.

use reqwest::Method;
use serde_json::json;

use super::{
    UNKNOWN_ROOM, add_member, create_group, details, event_path, history, id_of, leave, messages,
    post_message, remove_member, room_path, send, seq_of, summary, texts, token, txn, update_room,
};
use crate::helpers::TestServer;

#[tokio::test]
async fn a_stranger_finds_no_room() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let dave = server.user("dave").await;
    let room = create_group(&server, &alice, "Private", &[&bob]).await;
    let hello = send(&server, &alice, &room, "hello").await;

    for room in [room.as_str(), UNKNOWN_ROOM] {
        messages(&server, &dave, room, "")
            .await
            .assert_error(404, "ROOM_NOT_FOUND");
        details(&server, &dave, room)
            .await
            .assert_error(404, "ROOM_NOT_FOUND");
        post_message(
            &server,
            &dave,
            room,
            json!({ "txn_id": txn(), "text": "hi" }),
        )
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
        leave(&server, &dave, room)
            .await
            .assert_error(404, "ROOM_NOT_FOUND");
        server
            .put(
                &room_path(room, "/mute"),
                token(&dave),
                json!({ "muted": true }),
            )
            .await
            .assert_error(404, "ROOM_NOT_FOUND");
        server
            .post(&room_path(room, "/delete-for-me"), token(&dave), json!({}))
            .await
            .assert_error(404, "ROOM_NOT_FOUND");
        server
            .put(
                &event_path(room, id_of(&hello), "/reaction"),
                token(&dave),
                json!({ "txn_id": txn(), "emoji": "👀" }),
            )
            .await
            .assert_error(404, "ROOM_NOT_FOUND");
        server
            .call(
                Method::POST,
                &event_path(room, id_of(&hello), "/delete-for-me"),
                token(&dave),
                None,
            )
            .await
            .assert_error(404, "ROOM_NOT_FOUND");
    }
    messages(&server, &alice, &room, "")
        .await
        .assert_status(200);
    // Without a token nothing is answered at all.
    server
        .get(&room_path(&room, "/messages"), None)
        .await
        .assert_error(401, "MISSING_TOKEN");
    assert!(summary(&server, &dave, &room).await.is_none());
}

#[tokio::test]
async fn a_removed_member_reads_up_to_the_removal_and_no_further() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = create_group(&server, &alice, "Club", &[&bob, &carol]).await;
    send(&server, &alice, &room, "one").await;
    let two = send(&server, &carol, &room, "two").await;
    let removed = remove_member(&server, &alice, &room, &carol.user_id).await;
    let removal_seq = seq_of(removed.assert_status(200));
    send(&server, &bob, &room, "three: carol is gone").await;
    update_room(&server, &alice, &room, json!({ "topic": "secret plans" }))
        .await
        .assert_status(200);
    send(&server, &alice, &room, "four").await;

    post_message(
        &server,
        &carol,
        &room,
        json!({ "txn_id": txn(), "text": "wait" }),
    )
    .await
    .assert_error(403, "NOT_A_MEMBER");
    server
        .put(
            &event_path(&room, id_of(&two), ""),
            token(&carol),
            json!({ "txn_id": txn(), "text": "two, edited" }),
        )
        .await
        .assert_error(403, "NOT_A_MEMBER");

    let events = history(&server, &carol, &room).await;
    assert_eq!(texts(&events), ["one", "two"]);
    let last = events.last().expect("events");
    assert_eq!(seq_of(last), removal_seq);
    assert_eq!(
        last["content"],
        json!({ "action": "remove", "user_id": carol.user_id })
    );
    // Whatever page is asked for, nothing after the removal.
    let after = messages(&server, &carol, &room, &format!("after={removal_seq}")).await;
    assert_eq!(after.assert_status(200)["events"], json!([]));
    let after = messages(
        &server,
        &carol,
        &room,
        &format!("after={}", removal_seq - 1),
    )
    .await;
    let page = after.assert_status(200)["events"]
        .as_array()
        .expect("events")
        .clone();
    assert_eq!(page.len(), 1);
    assert_eq!(seq_of(&page[0]), removal_seq);
    let before = messages(&server, &carol, &room, "before=1000").await;
    let page = before.assert_status(200)["events"]
        .as_array()
        .expect("events")
        .clone();
    assert_eq!(page.last().map(seq_of), Some(removal_seq));

    // Details and the room list still answer, as of the removal.
    details(&server, &carol, &room).await.assert_status(200);
    let listed = summary(&server, &carol, &room).await.expect("listed");
    assert_eq!(listed["joined"], false);
    assert_eq!(listed["last_seq"], removal_seq);
    assert_eq!(listed["last_message"]["content"]["text"], "two");
    assert_eq!(
        listed["unread_count"], 1,
        "only \"one\" came from someone else"
    );

    // Bob sees all of it.
    assert_eq!(
        texts(&history(&server, &bob, &room).await),
        ["one", "two", "three: carol is gone", "four"]
    );
}

#[tokio::test]
async fn a_member_who_left_reads_up_to_their_leaving() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Club", &[&bob]).await;
    send(&server, &alice, &room, "before").await;
    let left = leave(&server, &bob, &room).await;
    let left_seq = seq_of(left.assert_status(200));
    send(&server, &alice, &room, "after").await;

    let events = history(&server, &bob, &room).await;
    assert_eq!(texts(&events), ["before"]);
    assert_eq!(events.last().map(seq_of), Some(left_seq));
    post_message(
        &server,
        &bob,
        &room,
        json!({ "txn_id": txn(), "text": "hi" }),
    )
    .await
    .assert_error(403, "NOT_A_MEMBER");
}

#[tokio::test]
async fn a_member_added_later_sees_history_from_their_add_event_on() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = create_group(&server, &alice, "Club", &[&bob]).await;
    let old = send(&server, &alice, &room, "before carol").await;
    send(&server, &bob, &room, "also before carol").await;
    let added = add_member(&server, &alice, &room, &carol.user_id).await;
    let add_seq = seq_of(added.assert_status(200));
    let new = send(&server, &bob, &room, "welcome carol").await;

    let events = history(&server, &carol, &room).await;
    assert_eq!(events[0]["event_id"], added.body["event_id"]);
    assert_eq!(
        events[0]["content"],
        json!({ "action": "add", "user_id": carol.user_id })
    );
    assert_eq!(
        events.iter().map(seq_of).collect::<Vec<_>>(),
        [add_seq, add_seq + 1]
    );
    assert_eq!(texts(&events), ["welcome carol"]);
    let page = messages(&server, &carol, &room, "limit=1").await;
    let page = page.assert_status(200).clone();
    assert_eq!(page["prev_before"], seq_of(&new));
    let page = messages(&server, &carol, &room, &format!("before={add_seq}")).await;
    let page = page.assert_status(200).clone();
    assert_eq!(page["events"], json!([]));
    assert_eq!(page["prev_before"], json!(null));
    let page = messages(&server, &carol, &room, "after=0").await;
    assert_eq!(
        page.assert_status(200)["events"][0]["event_id"],
        added.body["event_id"]
    );

    // Earlier messages are out of reach for replies, reactions and hiding too.
    post_message(
        &server,
        &carol,
        &room,
        json!({ "txn_id": txn(), "text": "re", "reply_to": id_of(&old) }),
    )
    .await
    .assert_error(404, "EVENT_NOT_FOUND");
    server
        .put(
            &event_path(&room, id_of(&old), "/reaction"),
            token(&carol),
            json!({ "txn_id": txn(), "emoji": "👋" }),
        )
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    server
        .call(
            Method::POST,
            &event_path(&room, id_of(&old), "/delete-for-me"),
            token(&carol),
            None,
        )
        .await
        .assert_error(404, "EVENT_NOT_FOUND");

    let listed = summary(&server, &carol, &room).await.expect("listed");
    assert_eq!(listed["last_message"]["event_id"], new["event_id"]);
    assert_eq!(listed["unread_count"], 1);
}
