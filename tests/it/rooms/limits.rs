//! Limits and bad input: message length, blank messages, group size, malformed ids in paths,
//! transaction id length, mistyped JSON fields and history query parameters.

use serde_json::json;

use super::{
    ROOMS, add_member, create_group, event_path, history, id_of, messages, post_message,
    remove_member, room_path, send, texts, token, txn,
};
use crate::helpers::TestServer;

#[tokio::test]
async fn a_message_longer_than_the_limit_is_refused() {
    let server = TestServer::spawn_with(|config| config.rooms.max_message_length = 10).await;
    let alice = server.user("alice").await;
    let room = create_group(&server, &alice, "Short", &[]).await;

    send(&server, &alice, &room, &"x".repeat(10)).await;
    // Characters count, not bytes; surrounding blanks are trimmed first.
    send(&server, &alice, &room, &"é".repeat(10)).await;
    send(&server, &alice, &room, &format!("  {}\n", "y".repeat(10))).await;
    for long in [
        "x".repeat(11),
        "é".repeat(11),
        format!("{} z", "y".repeat(9)),
    ] {
        post_message(
            &server,
            &alice,
            &room,
            json!({ "txn_id": txn(), "text": long }),
        )
        .await
        .assert_error(400, "INVALID_MESSAGE");
    }
    let first = send(&server, &alice, &room, "short").await;
    server
        .put(
            &event_path(&room, id_of(&first), ""),
            token(&alice),
            json!({ "txn_id": txn(), "text": "much too long" }),
        )
        .await
        .assert_error(400, "INVALID_MESSAGE");
    assert_eq!(
        texts(&history(&server, &alice, &room).await),
        [
            "x".repeat(10),
            "é".repeat(10),
            "y".repeat(10),
            "short".into()
        ]
    );
}

#[tokio::test]
async fn blank_messages_are_refused() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let room = create_group(&server, &alice, "Blank", &[]).await;
    for blank in ["", " ", "\n\t  \r\n"] {
        post_message(
            &server,
            &alice,
            &room,
            json!({ "txn_id": txn(), "text": blank }),
        )
        .await
        .assert_error(400, "INVALID_MESSAGE");
    }
    post_message(&server, &alice, &room, json!({ "txn_id": txn() }))
        .await
        .assert_error(400, "INVALID_REQUEST");
    send(&server, &alice, &room, "  padded\n").await;
    assert_eq!(texts(&history(&server, &alice, &room).await), ["padded"]);
}

#[tokio::test]
async fn a_group_has_at_most_max_members() {
    let server = TestServer::spawn_with(|config| config.rooms.max_members = 3).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;

    let ids = [&bob, &carol, &dave].map(|u| u.user_id.clone());
    server
        .post(
            ROOMS,
            token(&alice),
            json!({ "name": "Crowd", "members": ids }),
        )
        .await
        .assert_error(409, "ROOM_FULL");
    let room = create_group(&server, &alice, "Trio", &[&bob, &carol]).await;
    add_member(&server, &alice, &room, &dave.user_id)
        .await
        .assert_error(409, "ROOM_FULL");
    remove_member(&server, &alice, &room, &carol.user_id)
        .await
        .assert_status(200);
    add_member(&server, &alice, &room, &dave.user_id)
        .await
        .assert_status(200);
    add_member(&server, &alice, &room, &carol.user_id)
        .await
        .assert_error(409, "ROOM_FULL");
}

#[tokio::test]
async fn malformed_ids_in_paths_are_refused() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let room = create_group(&server, &alice, "Ids", &[]).await;
    send(&server, &alice, &room, "note").await;

    for bad in ["not-a-room", "!no-server", "!bad_chars:localhost", "!abc:"] {
        messages(&server, &alice, bad, "")
            .await
            .assert_error(400, "INVALID_REQUEST");
        server
            .get(&room_path(bad, ""), token(&alice))
            .await
            .assert_error(400, "INVALID_REQUEST");
        post_message(
            &server,
            &alice,
            bad,
            json!({ "txn_id": txn(), "text": "x" }),
        )
        .await
        .assert_error(400, "INVALID_REQUEST");
    }
    for bad in [
        "not-an-event",
        "$short",
        "$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!",
    ] {
        server
            .put(
                &event_path(&room, bad, ""),
                token(&alice),
                json!({ "txn_id": txn(), "text": "x" }),
            )
            .await
            .assert_error(400, "INVALID_REQUEST");
        server
            .delete(&event_path(&room, bad, ""), token(&alice))
            .await
            .assert_error(400, "INVALID_REQUEST");
        server
            .put(
                &event_path(&room, bad, "/reaction"),
                token(&alice),
                json!({ "txn_id": txn(), "emoji": "👍" }),
            )
            .await
            .assert_error(400, "INVALID_REQUEST");
    }
    remove_member(&server, &alice, &room, "not-a-user")
        .await
        .assert_error(400, "INVALID_USER_ID");
    // None of it touched the room.
    assert_eq!(history(&server, &alice, &room).await.len(), 2);
    assert_eq!(texts(&history(&server, &alice, &room).await), ["note"]);
}

#[tokio::test]
async fn a_txn_id_has_one_to_64_characters() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let room = create_group(&server, &alice, "Txn", &[]).await;
    let longest = "t".repeat(64);
    post_message(
        &server,
        &alice,
        &room,
        json!({ "txn_id": longest, "text": "ok" }),
    )
    .await
    .assert_status(200);
    for bad in ["t".repeat(65), String::new()] {
        post_message(
            &server,
            &alice,
            &room,
            json!({ "txn_id": bad, "text": "no" }),
        )
        .await
        .assert_error(400, "INVALID_REQUEST");
    }
    server
        .post(
            &room_path(&room, "/members"),
            token(&alice),
            json!({ "txn_id": "t".repeat(65), "user_id": "@alice:localhost" }),
        )
        .await
        .assert_error(400, "INVALID_REQUEST");
    assert_eq!(texts(&history(&server, &alice, &room).await), ["ok"]);
}

#[tokio::test]
async fn a_txn_id_with_control_characters_is_refused() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let room = create_group(&server, &alice, "Txn", &[]).await;
    for bad in ["nul\u{0}byte", "bell\u{7}"] {
        post_message(
            &server,
            &alice,
            &room,
            json!({ "txn_id": bad, "text": "x" }),
        )
        .await
        .assert_error(400, "INVALID_REQUEST");
    }
    send(&server, &alice, &room, "still fine").await;
    assert_eq!(
        texts(&history(&server, &alice, &room).await),
        ["still fine"]
    );
}

#[tokio::test]
async fn strings_must_be_json_strings() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Types", &[&bob]).await;
    let note = send(&server, &alice, &room, "note").await;
    let cases = [
        (
            reqwest::Method::POST,
            ROOMS.to_owned(),
            json!({ "name": 5, "members": [] }),
        ),
        (
            reqwest::Method::POST,
            ROOMS.to_owned(),
            json!({ "name": "n", "members": [5] }),
        ),
        (
            reqwest::Method::POST,
            format!("{ROOMS}/direct"),
            json!({ "user_id": 5 }),
        ),
        (
            reqwest::Method::POST,
            room_path(&room, "/messages"),
            json!({ "txn_id": 1, "text": "x" }),
        ),
        (
            reqwest::Method::POST,
            room_path(&room, "/messages"),
            json!({ "txn_id": "a", "text": 5 }),
        ),
        (
            reqwest::Method::POST,
            room_path(&room, "/messages"),
            json!({ "txn_id": "b", "text": true }),
        ),
        (
            reqwest::Method::POST,
            room_path(&room, "/messages"),
            json!({ "txn_id": "c", "text": "x", "reply_to": 7 }),
        ),
        (
            reqwest::Method::PUT,
            room_path(&room, ""),
            json!({ "topic": 5 }),
        ),
        (
            reqwest::Method::POST,
            room_path(&room, "/members"),
            json!({ "user_id": 5 }),
        ),
        (
            reqwest::Method::PUT,
            room_path(
                &room,
                &format!("/members/{}/role", super::enc(&bob.user_id)),
            ),
            json!({ "role": 1 }),
        ),
        (
            reqwest::Method::PUT,
            event_path(&room, id_of(&note), ""),
            json!({ "txn_id": "d", "text": 1.5 }),
        ),
        (
            reqwest::Method::PUT,
            event_path(&room, id_of(&note), "/reaction"),
            json!({ "txn_id": "e", "emoji": 1 }),
        ),
    ];
    for (method, path, body) in cases {
        let reply = server
            .call(method, &path, token(&alice), Some(body.clone()))
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (400, "INVALID_REQUEST"),
            "{path} {body}: {:?}",
            reply.body
        );
    }
    assert_eq!(history(&server, &alice, &room).await.len(), 3);
}

#[tokio::test]
async fn history_queries_are_checked() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let room = create_group(&server, &alice, "Query", &[]).await;
    for query in [
        "before=2&after=1",
        "limit=0",
        "limit=-1",
        "limit=1001",
        "limit=many",
        "before=0",
        "after=-1",
        "before=x",
    ] {
        messages(&server, &alice, &room, query)
            .await
            .assert_error(400, "INVALID_REQUEST");
    }
    messages(&server, &alice, &room, "limit=1000")
        .await
        .assert_status(200);
}

#[tokio::test]
async fn a_page_has_at_most_max_history_page_events() {
    let server = TestServer::spawn_with(|config| config.rooms.max_history_page = 5).await;
    let alice = server.user("alice").await;
    let room = create_group(&server, &alice, "Pages", &[]).await;
    for i in 0..8 {
        send(&server, &alice, &room, &format!("m{i}")).await;
    }
    let page = messages(&server, &alice, &room, "limit=50").await;
    let page = page.assert_status(200).clone();
    let events = page["events"].as_array().expect("events");
    assert_eq!(texts(events), ["m3", "m4", "m5", "m6", "m7"]);
    assert_eq!(page["prev_before"], 5);
}
