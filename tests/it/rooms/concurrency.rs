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

/// Plain messages that reach the sequencer together are decided as one batch and written with
/// one multi-row `INSERT`. When the database refuses one row of it, that request alone fails
/// (500 `INTERNAL`); the others are stored, with gap-free seqs, in the order they came.
///
/// Requests over sockets reach the sequencer whenever the runtime gets to them, so they cannot
/// be made to arrive together. Calls to the service can: on this one-threaded runtime,
/// `join_all` polls each call once before anything else runs, and each poll puts its job in
/// the sequencer's queue, so the sequencer finds them all there when it next looks.
#[tokio::test(flavor = "current_thread")]
async fn one_bad_request_does_not_fail_the_others_sent_with_it() {
    use convo_federation::{RoomId, UserId};
    use convo_homeserver::error::ErrorCode;
    use convo_homeserver::rooms::model::{Action, EventContent};

    const REFUSED: usize = 5;
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Batch", &[&bob]).await;
    refuse_rows_containing_poison(&server).await;
    let sent: Vec<String> = (0..12)
        .map(|i| {
            if i == REFUSED {
                format!("poison {i}")
            } else {
                format!("m{i}")
            }
        })
        .collect();
    let sender = UserId::parse(&bob.user_id).expect("user id");
    let room_id = RoomId::parse(&room).expect("room id");
    let rooms = &server.state().rooms;
    let calls = sent.iter().enumerate().map(|(i, text)| {
        let action = Action::Message {
            text: text.clone(),
            reply_to: None,
        };
        rooms.act(&sender, &room_id, Some(format!("batch-{i}")), action)
    });
    let outcomes = futures_util::future::join_all(calls).await;

    let mut seqs = Vec::new();
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(committed) if i != REFUSED => {
                assert!(!committed.duplicate, "m{i}");
                let text = match &committed.event.content {
                    Some(EventContent::Message(message)) => message.text.as_str(),
                    other => panic!("m{i} is not a message: {other:?}"),
                };
                assert_eq!(text, sent[i].as_str());
                seqs.push(committed.event.seq);
            }
            Err(err) if i == REFUSED => {
                // What the API answers with for it.
                assert_eq!(err.code, ErrorCode::Internal, "{err:?}");
                assert_eq!(err.code.status().as_u16(), 500);
            }
            other => panic!("request {i} ({}): {other:?}", sent[i]),
        }
    }
    // Creation took 1 and adding Bob 2; the accepted messages follow, in the order sent.
    let first = 3;
    assert_eq!(seqs, (first..first + 11).collect::<Vec<_>>());
    let events = history(&server, &alice, &room).await;
    assert_gap_free_from(&events, 1);
    let stored: Vec<&str> = sent
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != REFUSED)
        .map(|(_, text)| text.as_str())
        .collect();
    assert_eq!(texts(&events), stored);
    // Over HTTP, the next message follows on without a gap.
    let ack = super::send(&server, &alice, &room, "after").await;
    assert_eq!(seq_of(&ack), first + 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_the_database_refuses_fails_alone_and_leaves_no_gap() {
    let server = Arc::new(TestServer::spawn().await);
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Poison", &[&bob]).await;
    // Messages are written many rows to a statement; this row makes such a statement fail.
    refuse_rows_containing_poison(&server).await;
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

/// Makes the database refuse to store any event whose content contains "poison".
async fn refuse_rows_containing_poison(server: &TestServer) {
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
