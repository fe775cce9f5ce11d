//! Direct chats: one per pair of people, whoever opens it and however often (even at once),
//! only with another existing user, and with no members or settings to manage.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{
    ROOMS, add_member, delete_group, details, direct_room, history, kinds, leave, open_direct,
    remove_member, room_list, send, set_role, texts, token, update_room,
};
use crate::helpers::TestServer;

#[tokio::test]
async fn opening_twice_from_either_side_gives_the_same_chat() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;

    let first = open_direct(&server, &alice, &bob.user_id).await;
    let first = first.assert_status(200).clone();
    assert_eq!(first["created"], true);
    let room = first["room_id"].as_str().expect("room_id").to_owned();
    for (user, other) in [(&alice, &bob), (&bob, &alice), (&bob, &alice)] {
        let again = open_direct(&server, user, &other.user_id).await;
        assert_eq!(
            again.assert_status(200),
            &json!({ "room_id": room, "created": false })
        );
    }

    for (user, other) in [(&alice, &bob), (&bob, &alice)] {
        let listed = room_list(&server, user).await;
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0]["room_id"], room.as_str());
        assert_eq!(listed[0]["kind"], "direct");
        assert_eq!(listed[0]["peer"], other.user_id.as_str());
        assert_eq!(listed[0]["name"], json!(null));
        assert_eq!(listed[0]["role"], "member");
    }
    let body = details(&server, &bob, &room)
        .await
        .assert_status(200)
        .clone();
    assert_eq!(body["kind"], "direct");
    let mut members: Vec<(&str, &str)> = body["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| (m["user_id"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    members.sort();
    assert_eq!(
        members,
        [
            (alice.user_id.as_str(), "member"),
            (bob.user_id.as_str(), "member")
        ]
    );

    send(&server, &alice, &room, "hi bob").await;
    send(&server, &bob, &room, "hi alice").await;
    assert_eq!(
        texts(&history(&server, &alice, &room).await),
        ["hi bob", "hi alice"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn opening_from_both_sides_at_once_makes_one_chat() {
    let server = Arc::new(TestServer::spawn().await);
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..10 {
        let (me, other) = if i % 2 == 0 {
            (&alice, &bob)
        } else {
            (&bob, &alice)
        };
        let (server, access, other_id) = (
            server.clone(),
            me.access_token.clone(),
            other.user_id.clone(),
        );
        tasks.spawn(async move {
            server
                .post(
                    &format!("{ROOMS}/direct"),
                    Some(&access),
                    json!({ "user_id": other_id }),
                )
                .await
        });
    }
    let answers: Vec<Value> = tasks
        .join_all()
        .await
        .into_iter()
        .map(|r| r.assert_status(200).clone())
        .collect();
    let room = answers[0]["room_id"].clone();
    assert!(answers.iter().all(|a| a["room_id"] == room), "{answers:#?}");
    let created = answers.iter().filter(|a| a["created"] == true).count();
    assert_eq!(created, 1, "{answers:#?}");
    assert_eq!(room_list(&server, &alice).await.len(), 1);
    assert_eq!(room_list(&server, &bob).await.len(), 1);
}

#[tokio::test]
async fn a_direct_chat_needs_another_existing_user() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    open_direct(&server, &alice, &alice.user_id)
        .await
        .assert_error(400, "INVALID_REQUEST");
    open_direct(&server, &alice, "@nobody:localhost")
        .await
        .assert_error(404, "USER_NOT_FOUND");
    open_direct(&server, &alice, "@bob:elsewhere.example")
        .await
        .assert_error(404, "USER_NOT_FOUND");
    for malformed in ["bob", "@", "@bob", "@Bob Smith:localhost", ""] {
        open_direct(&server, &alice, malformed)
            .await
            .assert_error(400, "INVALID_USER_ID");
    }
    server
        .post(
            &format!("{ROOMS}/direct"),
            token(&alice),
            json!({ "user_id": 42 }),
        )
        .await
        .assert_error(400, "INVALID_REQUEST");
    server
        .post(&format!("{ROOMS}/direct"), token(&alice), json!({}))
        .await
        .assert_error(400, "INVALID_REQUEST");
    assert_eq!(room_list(&server, &alice).await, Vec::<Value>::new());
}

#[tokio::test]
async fn a_direct_chat_has_no_members_or_settings_to_manage() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = direct_room(&server, &alice, &bob).await;

    add_member(&server, &alice, &room, &carol.user_id)
        .await
        .assert_error(403, "FORBIDDEN");
    remove_member(&server, &alice, &room, &bob.user_id)
        .await
        .assert_error(403, "FORBIDDEN");
    set_role(&server, &alice, &room, &bob.user_id, "admin")
        .await
        .assert_error(403, "FORBIDDEN");
    update_room(&server, &bob, &room, json!({ "name": "Us" }))
        .await
        .assert_error(403, "FORBIDDEN");
    leave(&server, &bob, &room)
        .await
        .assert_error(403, "FORBIDDEN");
    delete_group(&server, &alice, &room)
        .await
        .assert_error(403, "FORBIDDEN");

    assert_eq!(
        kinds(&history(&server, &alice, &room).await),
        [
            ("room.created".to_owned(), None),
            ("room.member".to_owned(), Some("add".to_owned())),
        ]
    );
    assert_eq!(
        details(&server, &alice, &room).await.assert_status(200)["members"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}
