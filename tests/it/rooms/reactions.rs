//! Reactions (one per user: a new one replaces it, an empty one removes it, shown per emoji)
//! and deleting a single message for myself only.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    UNKNOWN_EVENT, create_group, event, event_path, history, id_of, send, summary, texts, token,
    txn,
};
use crate::helpers::{Reply, TestServer, TestUser};

async fn react(
    server: &TestServer,
    user: &TestUser,
    room: &str,
    target: &str,
    emoji: &str,
) -> Reply {
    server
        .put(
            &event_path(room, target, "/reaction"),
            token(user),
            json!({ "txn_id": txn(), "emoji": emoji }),
        )
        .await
}

/// The reactions to `target` as `viewer` sees them: (emoji, users), sorted by emoji.
async fn reactions(
    server: &TestServer,
    viewer: &TestUser,
    room: &str,
    target: &str,
) -> Vec<(String, Vec<String>)> {
    let events = history(server, viewer, room).await;
    let mut out: Vec<(String, Vec<String>)> = event(&events, target)["reactions"]
        .as_array()
        .expect("reactions")
        .iter()
        .map(|r| {
            let users = r["users"].as_array().expect("users");
            (
                r["emoji"].as_str().expect("emoji").to_owned(),
                users
                    .iter()
                    .map(|u| u.as_str().expect("user").to_owned())
                    .collect(),
            )
        })
        .collect();
    out.sort();
    out
}

fn shown(entries: &[(&str, &[&TestUser])]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = entries
        .iter()
        .map(|(emoji, users)| {
            let mut users: Vec<String> = users.iter().map(|u| u.user_id.clone()).collect();
            users.sort();
            ((*emoji).to_owned(), users)
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn each_user_has_one_reaction_which_a_new_one_replaces_and_an_empty_one_removes() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = create_group(&server, &alice, "Reacts", &[&bob, &carol]).await;
    let joke = send(&server, &alice, &room, "a joke").await;
    let target = id_of(&joke);

    for (user, emoji) in [(&bob, "👍"), (&carol, "👍"), (&alice, "❤️")] {
        react(&server, user, &room, target, emoji)
            .await
            .assert_status(200);
    }
    assert_eq!(
        reactions(&server, &carol, &room, target).await,
        shown(&[("👍", &[&bob, &carol]), ("❤️", &[&alice])])
    );

    let replaced = react(&server, &bob, &room, target, "😂").await;
    let replaced = replaced.assert_status(200).clone();
    assert_eq!(
        reactions(&server, &alice, &room, target).await,
        shown(&[("👍", &[&carol]), ("❤️", &[&alice]), ("😂", &[&bob])])
    );
    react(&server, &carol, &room, target, "")
        .await
        .assert_status(200);
    react(&server, &alice, &room, target, "❤️")
        .await
        .assert_status(200);
    assert_eq!(
        reactions(&server, &bob, &room, target).await,
        shown(&[("❤️", &[&alice]), ("😂", &[&bob])])
    );

    // Each change is an event of its own.
    let events = history(&server, &alice, &room).await;
    let changes: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "message.reaction")
        .collect();
    assert_eq!(changes.len(), 6);
    assert!(changes.iter().all(|e| e["content"]["target"] == target));
    let bob_change = event(&events, id_of(&replaced));
    assert_eq!(bob_change["content"]["emoji"], "😂");
    assert_eq!(bob_change["sender"], bob.user_id.as_str());
    // Reactions are not messages: the message itself is unchanged.
    assert_eq!(texts(&events), ["a joke"]);
}

#[tokio::test]
async fn a_reaction_is_one_emoji_on_a_message() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let room = create_group(&server, &alice, "Reacts", &[]).await;
    let note = send(&server, &alice, &room, "note").await;
    for bad in ["a b", "👍 👍", "\u{0007}", &"x".repeat(17)] {
        react(&server, &alice, &room, id_of(&note), bad)
            .await
            .assert_error(400, "INVALID_REQUEST");
    }
    react(&server, &alice, &room, UNKNOWN_EVENT, "👍")
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    let events = history(&server, &alice, &room).await;
    let created = events[0]["event_id"].as_str().expect("event_id").to_owned();
    react(&server, &alice, &room, &created, "👍")
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    assert_eq!(reactions(&server, &alice, &room, id_of(&note)).await, []);
}

async fn hide(server: &TestServer, user: &TestUser, room: &str, target: &str) -> Reply {
    server
        .call(
            Method::POST,
            &event_path(room, target, "/delete-for-me"),
            token(user),
            None,
        )
        .await
}

#[tokio::test]
async fn deleting_a_message_for_me_hides_it_only_for_me() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = create_group(&server, &alice, "Hide", &[&bob, &carol]).await;
    let other = create_group(&server, &alice, "Other", &[&bob]).await;
    send(&server, &alice, &room, "keep").await;
    let embarrassing = send(&server, &alice, &room, "embarrassing").await;

    hide(&server, &bob, &room, id_of(&embarrassing))
        .await
        .assert_status(204);
    // Hiding again changes nothing.
    hide(&server, &bob, &room, id_of(&embarrassing))
        .await
        .assert_status(204);
    assert_eq!(texts(&history(&server, &bob, &room).await), ["keep"]);
    for viewer in [&alice, &carol] {
        assert_eq!(
            texts(&history(&server, viewer, &room).await),
            ["keep", "embarrassing"]
        );
    }
    // The room list's last message is the newest one I can still see.
    let listed = summary(&server, &bob, &room).await.expect("listed");
    assert_eq!(listed["last_message"]["content"]["text"], "keep");
    let listed = summary(&server, &carol, &room).await.expect("listed");
    assert_eq!(listed["last_message"]["content"]["text"], "embarrassing");

    hide(&server, &bob, &room, UNKNOWN_EVENT)
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    let foreign = send(&server, &alice, &other, "elsewhere").await;
    hide(&server, &bob, &room, id_of(&foreign))
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    hide(&server, &bob, &room, "$nope")
        .await
        .assert_error(400, "INVALID_REQUEST");
    assert_eq!(texts(&history(&server, &bob, &other).await), ["elsewhere"]);
}
