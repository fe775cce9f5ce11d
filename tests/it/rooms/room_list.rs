//! The room list: most recently active first, with the last message and the count of unread
//! messages from others; muting; and deleting a chat for myself, which hides it and clears my
//! history of it until a new message brings it back.

use std::time::Duration;

use serde_json::{Value, json};

use super::{
    create_group, direct_room, event_path, history, id_of, messages, open_direct, room_list,
    room_path, send, seq_of, summary, texts, token,
};
use crate::helpers::{Reply, TestServer, TestUser};

/// Room ids of `user`'s list, in its order.
async fn order(server: &TestServer, user: &TestUser) -> Vec<String> {
    room_list(server, user)
        .await
        .iter()
        .map(|r| r["room_id"].as_str().expect("room_id").to_owned())
        .collect()
}

/// Lets the clock move on, so that activity times differ.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

#[tokio::test]
async fn the_list_has_the_last_message_and_unread_count_most_recent_first() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let group = create_group(&server, &alice, "Group", &[&bob, &carol]).await;
    tick().await;
    let direct = direct_room(&server, &alice, &bob).await;
    assert_eq!(
        order(&server, &alice).await,
        [direct.as_str(), group.as_str()]
    );

    tick().await;
    send(&server, &bob, &group, "g1").await;
    assert_eq!(
        order(&server, &alice).await,
        [group.as_str(), direct.as_str()]
    );
    tick().await;
    let d1 = send(&server, &bob, &direct, "d1").await;
    assert_eq!(
        order(&server, &alice).await,
        [direct.as_str(), group.as_str()]
    );
    tick().await;
    send(&server, &carol, &group, "g2").await;
    tick().await;
    let g3 = send(&server, &alice, &group, "g3").await;
    assert_eq!(
        order(&server, &alice).await,
        [group.as_str(), direct.as_str()]
    );
    assert_eq!(
        order(&server, &bob).await,
        [group.as_str(), direct.as_str()]
    );

    let listed = summary(&server, &alice, &group).await.expect("group");
    assert_eq!(listed["last_message"]["event_id"], g3["event_id"]);
    assert_eq!(listed["last_message"]["content"]["text"], "g3");
    assert_eq!(listed["last_message"]["sender"], alice.user_id.as_str());
    assert_eq!(listed["last_seq"], seq_of(&g3));
    assert_eq!(listed["unread_count"], 2, "g1 and g2, not my own g3");
    assert_eq!(listed["read_up_to"], 0);
    assert_eq!(listed["muted"], false);
    assert_eq!(listed["joined"], true);
    assert_eq!(listed["role"], "owner");
    let listed = summary(&server, &alice, &direct).await.expect("direct");
    assert_eq!(listed["last_message"]["event_id"], d1["event_id"]);
    assert_eq!(listed["unread_count"], 1);
    assert_eq!(
        summary(&server, &bob, &group).await.expect("group")["unread_count"],
        2
    );
    assert_eq!(
        summary(&server, &bob, &direct).await.expect("direct")["unread_count"],
        0
    );
    assert_eq!(
        summary(&server, &carol, &group).await.expect("group")["unread_count"],
        2
    );

    // A message deleted for everyone is no longer unread.
    server
        .delete(&event_path(&group, id_of(&g3), ""), token(&alice))
        .await
        .assert_status(200);
    assert_eq!(
        summary(&server, &bob, &group).await.expect("group")["unread_count"],
        1
    );
}

async fn mute(server: &TestServer, user: &TestUser, room: &str, muted: Value) -> Reply {
    server
        .put(
            &room_path(room, "/mute"),
            token(user),
            json!({ "muted": muted }),
        )
        .await
}

#[tokio::test]
async fn muting_shows_in_my_list_only() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Noisy", &[&bob]).await;

    mute(&server, &bob, &room, json!(true))
        .await
        .assert_status(204);
    assert_eq!(
        summary(&server, &bob, &room).await.expect("listed")["muted"],
        true
    );
    assert_eq!(
        summary(&server, &alice, &room).await.expect("listed")["muted"],
        false
    );
    mute(&server, &bob, &room, json!(false))
        .await
        .assert_status(204);
    assert_eq!(
        summary(&server, &bob, &room).await.expect("listed")["muted"],
        false
    );
    mute(&server, &bob, &room, json!("yes"))
        .await
        .assert_error(400, "INVALID_REQUEST");
    // Muting is not an event.
    assert_eq!(history(&server, &alice, &room).await.len(), 2);
}

async fn delete_for_me(server: &TestServer, user: &TestUser, room: &str) -> Reply {
    server
        .post(&room_path(room, "/delete-for-me"), token(user), json!({}))
        .await
}

#[tokio::test]
async fn a_chat_deleted_for_me_leaves_my_list_until_a_new_message_arrives() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct_room(&server, &alice, &bob).await;
    send(&server, &alice, &room, "old news").await;
    send(&server, &bob, &room, "older news").await;

    delete_for_me(&server, &alice, &room)
        .await
        .assert_status(204);
    assert!(summary(&server, &alice, &room).await.is_none());
    let page = messages(&server, &alice, &room, "").await;
    let page = page.assert_status(200).clone();
    assert_eq!(page["events"], json!([]));
    assert_eq!(page["prev_before"], json!(null));
    // Bob's side is untouched.
    assert_eq!(
        texts(&history(&server, &bob, &room).await),
        ["old news", "older news"]
    );
    assert!(summary(&server, &bob, &room).await.is_some());

    let fresh = send(&server, &bob, &room, "are you there?").await;
    let listed = summary(&server, &alice, &room)
        .await
        .expect("back in the list");
    assert_eq!(listed["last_message"]["event_id"], fresh["event_id"]);
    assert_eq!(listed["unread_count"], 1);
    let events = history(&server, &alice, &room).await;
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["event_id"], fresh["event_id"]);
}

#[tokio::test]
async fn a_group_deleted_for_me_comes_back_with_the_next_message() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Group", &[&bob]).await;
    send(&server, &alice, &room, "before").await;
    delete_for_me(&server, &bob, &room).await.assert_status(204);
    assert!(summary(&server, &bob, &room).await.is_none());
    // Bob is still a member: he can write, and his own message brings the chat back.
    send(&server, &bob, &room, "mine").await;
    let listed = summary(&server, &bob, &room)
        .await
        .expect("back in the list");
    assert_eq!(listed["last_message"]["content"]["text"], "mine");
    assert_eq!(listed["unread_count"], 0);
    assert_eq!(texts(&history(&server, &bob, &room).await), ["mine"]);
    assert_eq!(
        texts(&history(&server, &alice, &room).await),
        ["before", "mine"]
    );
}

#[tokio::test]
async fn opening_a_direct_chat_deleted_for_me_brings_it_back_empty() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct_room(&server, &alice, &bob).await;
    send(&server, &bob, &room, "gone for alice").await;
    delete_for_me(&server, &alice, &room)
        .await
        .assert_status(204);
    assert!(summary(&server, &alice, &room).await.is_none());

    let reopened = open_direct(&server, &alice, &bob.user_id).await;
    assert_eq!(
        reopened.assert_status(200),
        &json!({ "room_id": room, "created": false })
    );
    let listed = summary(&server, &alice, &room)
        .await
        .expect("back in the list");
    assert_eq!(listed["last_message"], json!(null));
    assert_eq!(listed["unread_count"], 0);
    assert_eq!(history(&server, &alice, &room).await, Vec::<Value>::new());
}

#[tokio::test]
async fn a_message_i_deleted_for_myself_is_not_unread() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct_room(&server, &alice, &bob).await;
    send(&server, &bob, &room, "keep").await;
    let unwanted = send(&server, &bob, &room, "unwanted").await;
    assert_eq!(
        summary(&server, &alice, &room).await.expect("listed")["unread_count"],
        2
    );

    server
        .call(
            reqwest::Method::POST,
            &event_path(&room, id_of(&unwanted), "/delete-for-me"),
            token(&alice),
            None,
        )
        .await
        .assert_status(204);
    let listed = summary(&server, &alice, &room).await.expect("listed");
    assert_eq!(listed["last_message"]["content"]["text"], "keep");
    assert_eq!(listed["unread_count"], 1, "{listed}");
}

#[tokio::test]
async fn a_removed_member_deletes_the_chat_for_good() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Group", &[&bob]).await;
    send(&server, &alice, &room, "bye bob").await;
    server
        .delete(
            &room_path(&room, &format!("/members/{}", super::enc(&bob.user_id))),
            token(&alice),
        )
        .await
        .assert_status(200);
    delete_for_me(&server, &bob, &room).await.assert_status(204);
    assert!(summary(&server, &bob, &room).await.is_none());
    // The group goes on without him; nothing of it reaches his list or history.
    send(&server, &alice, &room, "bob is gone").await;
    assert!(summary(&server, &bob, &room).await.is_none());
    assert_eq!(history(&server, &bob, &room).await, Vec::<Value>::new());
}

#[tokio::test]
async fn changes_to_messages_i_cleared_do_not_bring_the_chat_back() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct_room(&server, &alice, &bob).await;
    let old = send(&server, &bob, &room, "old").await;
    delete_for_me(&server, &alice, &room)
        .await
        .assert_status(204);

    server
        .put(
            &event_path(&room, id_of(&old), "/reaction"),
            token(&bob),
            json!({ "txn_id": "react", "emoji": "👍" }),
        )
        .await
        .assert_status(200);
    server
        .put(
            &event_path(&room, id_of(&old), ""),
            token(&bob),
            json!({ "txn_id": "edit", "text": "old, edited" }),
        )
        .await
        .assert_status(200);
    // Not a new message: the chat stays deleted for Alice.
    let listed = summary(&server, &alice, &room).await;
    assert!(listed.is_none(), "{listed:?}");

    send(&server, &bob, &room, "new").await;
    let listed = summary(&server, &alice, &room)
        .await
        .expect("back in the list");
    assert_eq!(listed["last_message"]["content"]["text"], "new");
    assert_eq!(texts(&history(&server, &alice, &room).await), ["new"]);
}
