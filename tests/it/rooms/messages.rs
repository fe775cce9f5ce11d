//! Messages: replies to messages of the same room, edits by their sender, and deletion for
//! everyone by the sender or a group admin, after which the message takes nothing more.

use serde_json::{Value, json};

use super::{
    UNKNOWN_EVENT, create_group, direct_room, event, event_path, history, id_of, post_message,
    send, set_role, token, txn,
};
use crate::helpers::{Reply, TestServer, TestUser};

async fn edit(server: &TestServer, user: &TestUser, room: &str, target: &str, text: &str) -> Reply {
    server
        .put(
            &event_path(room, target, ""),
            token(user),
            json!({ "txn_id": txn(), "text": text }),
        )
        .await
}

async fn delete(server: &TestServer, user: &TestUser, room: &str, target: &str) -> Reply {
    server
        .delete(&event_path(room, target, ""), token(user))
        .await
}

async fn reply_to(server: &TestServer, user: &TestUser, room: &str, target: &str) -> Reply {
    post_message(
        server,
        user,
        room,
        json!({ "txn_id": txn(), "text": "a reply", "reply_to": target }),
    )
    .await
}

#[tokio::test]
async fn a_reply_names_a_message_of_the_same_room() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Here", &[&bob]).await;
    let elsewhere = create_group(&server, &alice, "There", &[&bob]).await;
    let question = send(&server, &alice, &room, "tea?").await;
    let foreign = send(&server, &alice, &elsewhere, "coffee?").await;

    let answer = post_message(
        &server,
        &bob,
        &room,
        json!({ "txn_id": txn(), "text": "yes please", "reply_to": id_of(&question) }),
    )
    .await;
    let answer = answer.assert_status(200).clone();
    let events = history(&server, &alice, &room).await;
    assert_eq!(
        event(&events, id_of(&answer))["content"],
        json!({ "text": "yes please", "reply_to": id_of(&question) })
    );

    // `null` is the same as no reply.
    let plain = post_message(
        &server,
        &bob,
        &room,
        json!({ "txn_id": txn(), "text": "just this", "reply_to": null }),
    )
    .await;
    let plain = plain.assert_status(200).clone();
    let events = history(&server, &alice, &room).await;
    assert_eq!(
        event(&events, id_of(&plain))["content"],
        json!({ "text": "just this" })
    );

    reply_to(&server, &bob, &room, id_of(&foreign))
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    reply_to(&server, &bob, &room, UNKNOWN_EVENT)
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    // Only messages can be answered, not membership or other events.
    let created = events[0]["event_id"].as_str().expect("event_id").to_owned();
    assert_eq!(events[0]["type"], "room.created");
    reply_to(&server, &alice, &room, &created)
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    for malformed in ["", "abc", "$short", "!room:localhost"] {
        reply_to(&server, &bob, &room, malformed)
            .await
            .assert_error(400, "INVALID_REQUEST");
    }
    assert_eq!(history(&server, &alice, &room).await.len(), events.len());
}

#[tokio::test]
async fn only_the_sender_edits_and_history_shows_the_new_text() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Edits", &[&bob]).await;
    let other = create_group(&server, &alice, "Other", &[]).await;
    let original = send(&server, &bob, &room, "helo").await;
    let untouched = send(&server, &bob, &room, "fine as it is").await;

    edit(&server, &alice, &room, id_of(&original), "hijacked")
        .await
        .assert_error(403, "FORBIDDEN");
    let first = edit(&server, &bob, &room, id_of(&original), "hello").await;
    first.assert_status(200);
    let second = edit(&server, &bob, &room, id_of(&original), "  hello!  ").await;
    let second = second.assert_status(200).clone();

    let events = history(&server, &alice, &room).await;
    let shown = event(&events, id_of(&original));
    assert_eq!(shown["content"]["text"], "hello!");
    assert_eq!(shown["type"], "message");
    assert_eq!(shown["edited_at"], second["ts"], "{shown}");
    assert_eq!(shown["deleted"], false);
    assert_eq!(shown["ts"], original["ts"], "the message keeps its time");
    assert_eq!(event(&events, id_of(&untouched))["edited_at"], json!(null));
    let edit_event = event(&events, id_of(&second));
    assert_eq!(edit_event["type"], "message.edit");
    assert_eq!(edit_event["sender"], bob.user_id.as_str());
    assert_eq!(
        edit_event["content"],
        json!({ "target": id_of(&original), "text": "hello!" })
    );

    // Edits target messages of this room only, and need a text.
    let created = events[0]["event_id"].as_str().expect("event_id").to_owned();
    edit(&server, &alice, &room, &created, "renamed")
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    edit(&server, &bob, &room, id_of(&second), "edit the edit")
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    edit(&server, &bob, &room, UNKNOWN_EVENT, "nothing")
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    let foreign = send(&server, &alice, &other, "mine").await;
    edit(&server, &alice, &room, id_of(&foreign), "wrong room")
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    edit(&server, &bob, &room, id_of(&original), " \n ")
        .await
        .assert_error(400, "INVALID_MESSAGE");
    edit(&server, &bob, &room, "not-an-event", "x")
        .await
        .assert_error(400, "INVALID_REQUEST");
}

#[tokio::test]
async fn editing_a_reply_keeps_what_it_answers() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Replies", &[&bob]).await;
    let question = send(&server, &alice, &room, "tea?").await;
    let answer = post_message(
        &server,
        &bob,
        &room,
        json!({ "txn_id": txn(), "text": "yse", "reply_to": id_of(&question) }),
    )
    .await;
    let answer = answer.assert_status(200).clone();
    edit(&server, &bob, &room, id_of(&answer), "yes")
        .await
        .assert_status(200);

    let events = history(&server, &alice, &room).await;
    assert_eq!(
        event(&events, id_of(&answer))["content"],
        json!({ "text": "yes", "reply_to": id_of(&question) })
    );
}

/// Asserts that `target` shows as deleted for everyone in `viewer`'s history.
async fn assert_tombstone(server: &TestServer, viewer: &TestUser, room: &str, target: &Value) {
    let events = history(server, viewer, room).await;
    let shown = event(&events, id_of(target));
    assert_eq!(shown["type"], "message");
    assert_eq!(shown["deleted"], true, "{shown}");
    assert!(shown["content"].is_null(), "the text is gone: {shown}");
    assert_eq!(shown["reactions"], json!([]), "{shown}");
    let deletion = events
        .iter()
        .find(|e| e["type"] == "message.delete" && e["content"]["target"] == target["event_id"])
        .expect("a message.delete event");
    assert!(deletion["seq"].as_i64() > shown["seq"].as_i64());
}

#[tokio::test]
async fn the_sender_deletes_a_message_for_everyone_and_it_takes_nothing_more() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Oops", &[&bob]).await;
    let oops = send(&server, &bob, &room, "wrong chat!").await;
    server
        .put(
            &event_path(&room, id_of(&oops), "/reaction"),
            token(&alice),
            json!({ "txn_id": txn(), "emoji": "😮" }),
        )
        .await
        .assert_status(200);

    let deleted = delete(&server, &bob, &room, id_of(&oops)).await;
    deleted.assert_status(200);
    for viewer in [&alice, &bob] {
        assert_tombstone(&server, viewer, &room, &oops).await;
    }

    delete(&server, &bob, &room, id_of(&oops))
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    edit(&server, &bob, &room, id_of(&oops), "fixed")
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    server
        .put(
            &event_path(&room, id_of(&oops), "/reaction"),
            token(&alice),
            json!({ "txn_id": txn(), "emoji": "👍" }),
        )
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    reply_to(&server, &alice, &room, id_of(&oops))
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    assert_tombstone(&server, &alice, &room, &oops).await;
}

#[tokio::test]
async fn a_group_admin_deletes_others_messages_but_a_plain_member_cannot() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = create_group(&server, &alice, "Moderated", &[&bob, &carol]).await;
    set_role(&server, &alice, &room, &bob.user_id, "admin")
        .await
        .assert_status(200);
    let spam = send(&server, &carol, &room, "buy now").await;
    let more_spam = send(&server, &carol, &room, "buy more").await;
    let from_bob = send(&server, &bob, &room, "please stop").await;

    delete(&server, &carol, &room, id_of(&from_bob))
        .await
        .assert_error(403, "FORBIDDEN");
    delete(&server, &bob, &room, id_of(&spam))
        .await
        .assert_status(200);
    delete(&server, &alice, &room, id_of(&more_spam))
        .await
        .assert_status(200);
    assert_tombstone(&server, &carol, &room, &spam).await;
    assert_tombstone(&server, &carol, &room, &more_spam).await;
    let events = history(&server, &carol, &room).await;
    assert_eq!(event(&events, id_of(&from_bob))["deleted"], false);
}

#[tokio::test]
async fn in_a_direct_chat_only_the_sender_deletes() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct_room(&server, &alice, &bob).await;
    let mine = send(&server, &alice, &room, "mine").await;
    delete(&server, &bob, &room, id_of(&mine))
        .await
        .assert_error(403, "FORBIDDEN");
    delete(&server, &alice, &room, id_of(&mine))
        .await
        .assert_status(200);
    assert_tombstone(&server, &bob, &room, &mine).await;
}
