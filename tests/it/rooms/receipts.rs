//! Read positions and receipts over REST: `POST /rooms/{id}/read` and
//! `GET /rooms/{id}/messages/{event_id}/receipts`, with their answers' shapes and refusals.

use std::time::Instant;

use serde_json::{Value, json};

use super::{
    UNKNOWN_EVENT, UNKNOWN_ROOM, create_group, event_path, id_of, room_path, send, seq_of, token,
};
use crate::helpers::{TestServer, TestUser, WAIT};

async fn receipts(server: &TestServer, user: &TestUser, room: &str, event_id: &str) -> Value {
    server
        .get(&event_path(room, event_id, "/receipts"), token(user))
        .await
        .assert_status(200)
        .clone()
}

#[tokio::test]
async fn reading_moves_the_position_forward_only_and_shows_in_receipts() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Club", &[&bob]).await;
    let first = send(&server, &alice, &room, "one").await;
    let second = send(&server, &alice, &room, "two").await;

    let unread = receipts(&server, &alice, &room, id_of(&first)).await;
    assert_eq!(
        unread,
        json!({ "receipts": [{ "user_id": bob.user_id, "delivered_at": null, "read_at": null }] })
    );

    let read = |seq: i64| {
        let (server, bob, room) = (&server, &bob, &room);
        async move {
            server
                .post(&room_path(room, "/read"), token(bob), json!({ "seq": seq }))
                .await
        }
    };
    let at = read(seq_of(&second)).await;
    assert_eq!(
        at.assert_status(200),
        &json!({ "read_up_to": seq_of(&second) })
    );

    // Receipts are written in batches: wait for this one.
    let started = Instant::now();
    loop {
        let body = receipts(&server, &alice, &room, id_of(&first)).await;
        if body["receipts"][0]["read_at"].is_i64() {
            break;
        }
        assert!(
            started.elapsed() < WAIT,
            "the read receipt never came: {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Once written, the position never moves back, nor past the end. (Until the batch is
    // written, an answer shows the older stored position: see `mark_read`.)
    let back = read(seq_of(&first)).await;
    assert_eq!(back.assert_status(200)["read_up_to"], seq_of(&second));
    let past = read(seq_of(&second) + 100).await;
    assert_eq!(past.assert_status(200)["read_up_to"], seq_of(&second));
}

#[tokio::test]
async fn read_and_receipts_refuse_what_they_cannot_do() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let eve = server.user("eve").await;
    let room = create_group(&server, &alice, "Club", &[]).await;
    let message = send(&server, &alice, &room, "one").await;

    let read = |user: &TestUser, room: &str, body: Value| {
        let (server, token, path) = (&server, user.access_token.clone(), room_path(room, "/read"));
        async move { server.post(&path, Some(&token), body).await }
    };
    read(&alice, &room, json!({ "seq": -1 }))
        .await
        .assert_error(400, "INVALID_REQUEST");
    read(&alice, &room, json!({ "seq": "1" }))
        .await
        .assert_error(400, "INVALID_REQUEST");
    read(&alice, &room, json!({ "seq": null }))
        .await
        .assert_error(400, "INVALID_REQUEST");
    read(&alice, "nope", json!({ "seq": 1 }))
        .await
        .assert_error(400, "INVALID_REQUEST");
    read(&eve, &room, json!({ "seq": 1 }))
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
    read(&alice, UNKNOWN_ROOM, json!({ "seq": 1 }))
        .await
        .assert_error(404, "ROOM_NOT_FOUND");

    let get = |user: &TestUser, room: &str, event_id: &str| {
        let (server, token) = (&server, user.access_token.clone());
        let path = event_path(room, event_id, "/receipts");
        async move { server.get(&path, Some(&token)).await }
    };
    get(&eve, &room, id_of(&message))
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
    get(&alice, &room, UNKNOWN_EVENT)
        .await
        .assert_error(404, "EVENT_NOT_FOUND");
    get(&alice, &room, "not-an-event")
        .await
        .assert_error(400, "INVALID_REQUEST");
    server
        .get(&event_path(&room, id_of(&message), "/receipts"), None)
        .await
        .assert_error(401, "MISSING_TOKEN");
}
