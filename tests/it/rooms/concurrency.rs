//! Concurrent senders: the room's sequencer gives every message its own seq, without gaps or
//! repeats, and keeps each sender's messages in the order they were sent.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Value, json};

use super::{assert_gap_free_from, create_group, history, room_path, seq_of, texts, txn};
use crate::helpers::{Reply, TestServer, TestUser};

const SENDERS: usize = 5;
const EACH: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_users_sending_twenty_messages_each_at_once_get_gap_free_seqs() {
    let server = Arc::new(TestServer::spawn().await);
    let mut users: Vec<TestUser> = Vec::new();
    for i in 0..SENDERS {
        users.push(server.user(&format!("user{i}")).await);
    }
    let others: Vec<&TestUser> = users[1..].iter().collect();
    let room = create_group(&server, &users[0], "Busy", &others).await;
    let path = room_path(&room, "/messages");

    let mut tasks = tokio::task::JoinSet::new();
    for user in &users {
        let (server, path, user) = (server.clone(), path.clone(), user.clone());
        tasks.spawn(async move {
            let mut acks = Vec::with_capacity(EACH);
            for i in 0..EACH {
                let text = format!("{} #{i}", user.username);
                let reply = server
                    .post(
                        &path,
                        Some(&user.access_token),
                        json!({ "txn_id": txn(), "text": text }),
                    )
                    .await;
                acks.push(reply.assert_status(200).clone());
            }
            (user.username, acks)
        });
    }
    let results = tasks.join_all().await;

    let mut seqs = HashSet::new();
    for (username, acks) in &results {
        let own: Vec<i64> = acks.iter().map(seq_of).collect();
        assert!(
            own.windows(2).all(|w| w[0] < w[1]),
            "{username}'s messages out of order: {own:?}"
        );
        for seq in own {
            assert!(seqs.insert(seq), "seq {seq} given twice");
        }
    }
    // Creation took 1 and adding the others 2..=SENDERS.
    let first = SENDERS as i64 + 1;
    let total = (SENDERS * EACH) as i64;
    assert_eq!(seqs, (first..first + total).collect::<HashSet<_>>());

    let events = history(&server, &users[0], &room).await;
    assert_eq!(events.len(), SENDERS + SENDERS * EACH);
    assert_gap_free_from(&events, 1);
    let ids: HashSet<&str> = events
        .iter()
        .map(|e| e["event_id"].as_str().expect("event_id"))
        .collect();
    assert_eq!(ids.len(), events.len(), "event ids repeat");
    let positions: Vec<i64> = events.iter().map(|e| e["pos"].as_i64().unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    for (username, acks) in &results {
        let stored: Vec<&Value> = events
            .iter()
            .filter(|e| e["sender"] == format!("@{username}:localhost"))
            .filter(|e| e["type"] == "message")
            .collect();
        let texts: Vec<&str> = stored
            .iter()
            .map(|e| e["content"]["text"].as_str().unwrap_or(""))
            .collect();
        let expected: Vec<String> = (0..EACH).map(|i| format!("{username} #{i}")).collect();
        assert_eq!(texts, expected, "{username}");
        for (event, ack) in stored.iter().zip(acks) {
            assert_eq!(event["event_id"], ack["event_id"]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_messages_fired_together_into_two_rooms_stay_gap_free() {
    let server = Arc::new(TestServer::spawn().await);
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let rooms = [
        create_group(&server, &alice, "Left", &[&bob]).await,
        create_group(&server, &alice, "Right", &[&bob]).await,
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..100 {
        let user = if i % 3 == 0 { &alice } else { &bob };
        let path = room_path(&rooms[i % 2], "/messages");
        let (server, access) = (server.clone(), user.access_token.clone());
        tasks.spawn(async move {
            server
                .post(
                    &path,
                    Some(&access),
                    json!({ "txn_id": txn(), "text": format!("m{i}") }),
                )
                .await
        });
    }
    for reply in tasks.join_all().await {
        reply.assert_status(200);
    }
    for room in &rooms {
        let events = history(&server, &alice, room).await;
        assert_eq!(events.len(), 2 + 50);
        assert_gap_free_from(&events, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_bad_request_does_not_fail_the_others_sent_with_it() {
    let server = Arc::new(TestServer::spawn().await);
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Batch", &[&bob]).await;
    // Every tenth request is malformed: a NUL in its transaction id.
    let bodies = (0..40).map(|i| {
        let txn_id = if i % 10 == 5 {
            format!("bad\u{0}{i}")
        } else {
            txn()
        };
        json!({ "txn_id": txn_id, "text": format!("m{i}") })
    });
    let replies = post_all(&server, &bob, &room, bodies).await;
    let (mut failed_good, mut failed_bad, mut stored) = (Vec::new(), Vec::new(), 0);
    for (i, reply) in replies.into_iter().enumerate() {
        stored += usize::from(reply.status == 200);
        if i % 10 == 5 && reply.status >= 500 {
            failed_bad.push((i, reply.status));
        } else if i % 10 != 5 && reply.status != 200 {
            failed_good.push((i, reply.status, reply.code().to_owned()));
        }
    }
    assert_eq!(
        failed_good,
        [],
        "good messages failed because of a bad neighbour"
    );
    assert_eq!(
        failed_bad,
        [],
        "a NUL in a transaction id is a client error"
    );
    let events = history(&server, &alice, &room).await;
    assert_eq!(texts(&events).len(), stored, "{events:#?}");
    assert_gap_free_from(&events, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_the_database_refuses_fails_alone_and_leaves_no_gap() {
    let server = Arc::new(TestServer::spawn().await);
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Poison", &[&bob]).await;
    // Messages are written many rows to a statement; this row makes such a statement fail.
    server
        .execute_sql(
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON events
             WHEN NEW.content LIKE '%poison%' BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
            "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.content LIKE '%poison%' THEN RAISE EXCEPTION 'poisoned'; END IF;
             RETURN NEW; END $$;
             CREATE TRIGGER refuse_poison BEFORE INSERT ON events
             FOR EACH ROW EXECUTE FUNCTION refuse_poison();",
        )
        .await;
    let sent: Vec<String> = (0..60)
        .map(|i| {
            if i % 10 == 3 {
                format!("poison {i}")
            } else {
                format!("m{i}")
            }
        })
        .collect();
    let bodies = sent
        .iter()
        .map(|text| json!({ "txn_id": txn(), "text": text }));
    let replies = post_all(&server, &bob, &room, bodies).await;
    let mut stored = HashSet::new();
    for (text, reply) in sent.into_iter().zip(replies) {
        if text.starts_with("poison") {
            reply.assert_error(500, "INTERNAL");
        } else {
            reply.assert_status(200);
            stored.insert(text);
        }
    }
    assert_eq!(stored.len(), 54);
    let events = history(&server, &alice, &room).await;
    assert_gap_free_from(&events, 1);
    let seen: HashSet<String> = texts(&events).into_iter().collect();
    assert_eq!(seen, stored, "exactly the accepted messages are stored");
    // The next message follows on without a gap.
    let ack = super::send(&server, &alice, &room, "after").await;
    assert_eq!(seq_of(&ack), seq_of(events.last().expect("events")) + 1);
}

/// Posts every body as a message from `user`, all at once; the replies in the bodies' order.
async fn post_all(
    server: &Arc<TestServer>,
    user: &TestUser,
    room: &str,
    bodies: impl IntoIterator<Item = Value>,
) -> Vec<Reply> {
    let path = room_path(room, "/messages");
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let (server, path, access) = (server.clone(), path.clone(), user.access_token.clone());
            tokio::spawn(async move { server.post(&path, Some(&access), body).await })
        })
        .collect();
    let mut replies = Vec::with_capacity(tasks.len());
    for task in tasks {
        replies.push(task.await.expect("request task"));
    }
    replies
}
