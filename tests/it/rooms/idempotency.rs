//! Idempotent retries: a transaction id used again by the same sender in the same room returns
//! the first answer and stores nothing new, whether the retries come one after another or all
//! at once; other senders and other rooms have transaction ids of their own.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{
    create_group, event_path, history, id_of, post_message, room_path, seq_of, texts, token,
};
use crate::helpers::TestServer;

/// The fields of an ack that a retry must repeat.
fn identity(ack: &Value) -> Value {
    json!([
        ack["event_id"],
        ack["room_id"],
        ack["seq"],
        ack["pos"],
        ack["ts"]
    ])
}

#[tokio::test]
async fn a_retry_returns_the_first_answer_and_stores_nothing_new() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Retries", &[&bob]).await;
    let body = json!({ "txn_id": "retry-1", "text": "only once" });

    let first = post_message(&server, &alice, &room, body.clone()).await;
    let first = first.assert_status(200).clone();
    assert_eq!(first["duplicate"], false);
    let again = post_message(&server, &alice, &room, body).await;
    let again = again.assert_status(200).clone();
    assert_eq!(again["duplicate"], true);
    assert_eq!(identity(&again), identity(&first));
    // Even with another text, the transaction id is what counts.
    let changed = post_message(
        &server,
        &alice,
        &room,
        json!({ "txn_id": "retry-1", "text": "something else" }),
    )
    .await;
    assert_eq!(identity(changed.assert_status(200)), identity(&first));

    let events = history(&server, &bob, &room).await;
    assert_eq!(texts(&events), ["only once"]);
    let next = post_message(
        &server,
        &alice,
        &room,
        json!({ "txn_id": "retry-2", "text": "next" }),
    )
    .await;
    assert_eq!(seq_of(next.assert_status(200)), seq_of(&first) + 1);
}

/// Events stored before `txn_key` existed (migration 0003) get it when the server starts, so
/// a retry of one is still recognised.
#[tokio::test]
async fn a_retry_after_an_upgrade_finds_a_message_stored_before_it() {
    let mut server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Upgrade", &[&bob]).await;
    let body = json!({ "txn_id": "before-upgrade", "text": "stored by an older server" });
    let first = post_message(&server, &alice, &room, body.clone()).await;
    let first = first.assert_status(200).clone();
    // As an older server left it: no keys.
    let forget = "UPDATE events SET txn_key = NULL";
    server.execute_sql(forget, forget).await;

    server.restart().await;
    let again = post_message(&server, &alice, &room, body).await;
    let again = again.assert_status(200).clone();
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(identity(&again), identity(&first));
    let events = history(&server, &bob, &room).await;
    assert_eq!(texts(&events), ["stored by an older server"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_identical_requests_at_once_make_one_event() {
    let server = Arc::new(TestServer::spawn().await);
    let alice = server.user("alice").await;
    let room = create_group(&server, &alice, "Stampede", &[]).await;
    let path = room_path(&room, "/messages");
    let body = json!({ "txn_id": "stampede", "text": "are you there?" });

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (server, path, body) = (server.clone(), path.clone(), body.clone());
        let access = alice.access_token.clone();
        tasks.spawn(async move { server.post(&path, Some(&access), body).await });
    }
    let acks: Vec<Value> = tasks
        .join_all()
        .await
        .into_iter()
        .map(|reply| reply.assert_status(200).clone())
        .collect();
    assert_eq!(acks.len(), 10);
    let first = identity(&acks[0]);
    assert!(acks.iter().all(|a| identity(a) == first), "{acks:#?}");
    let originals = acks.iter().filter(|a| a["duplicate"] == false).count();
    assert_eq!(originals, 1, "exactly one request stored it: {acks:#?}");

    let events = history(&server, &alice, &room).await;
    assert_eq!(texts(&events), ["are you there?"]);
    assert_eq!(events.len(), 2);
}

/// Messages are decided while the batch before them commits: a retry decided then must be
/// recognised from the batch in flight, not from the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retries_racing_their_first_try_across_batches_make_one_event_each() {
    const TXNS: usize = 60;
    const TRIES: usize = 4;
    let server = Arc::new(TestServer::spawn().await);
    let alice = server.user("alice").await;
    let room = create_group(&server, &alice, "Racing", &[]).await;
    let path = room_path(&room, "/messages");
    let mut tasks = Vec::new();
    for round in 0..TRIES {
        for i in 0..TXNS {
            let body = json!({ "txn_id": format!("race-{i}"), "text": format!("m{i}") });
            let (server, path, access) = (server.clone(), path.clone(), alice.access_token.clone());
            tasks.push((
                i,
                tokio::spawn(async move { server.post(&path, Some(&access), body).await }),
            ));
        }
        if round == 0 {
            // Let the first tries start committing before the retries arrive.
            tokio::task::yield_now().await;
        }
    }
    let mut acks: Vec<Vec<Value>> = vec![Vec::new(); TXNS];
    for (i, task) in tasks {
        acks[i].push(task.await.expect("request task").assert_status(200).clone());
    }
    for (i, tries) in acks.iter().enumerate() {
        let first = identity(&tries[0]);
        assert!(
            tries.iter().all(|a| identity(a) == first),
            "txn {i}: {tries:#?}"
        );
        let originals = tries.iter().filter(|a| a["duplicate"] == false).count();
        assert_eq!(originals, 1, "txn {i} was stored once: {tries:#?}");
    }
    let events = history(&server, &alice, &room).await;
    assert_eq!(texts(&events).len(), TXNS, "{events:#?}");
    super::assert_gap_free_from(&events, 1);
}

#[tokio::test]
async fn transaction_ids_belong_to_one_sender_in_one_room() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "One", &[&bob]).await;
    let other = create_group(&server, &alice, "Two", &[&bob]).await;
    let body = |text: &str| json!({ "txn_id": "shared", "text": text });

    let from_alice = post_message(&server, &alice, &room, body("alice here")).await;
    let from_bob = post_message(&server, &bob, &room, body("bob here")).await;
    let elsewhere = post_message(&server, &alice, &other, body("alice there")).await;
    let acks = [&from_alice, &from_bob, &elsewhere].map(|r| r.assert_status(200).clone());
    assert!(acks.iter().all(|a| a["duplicate"] == false), "{acks:?}");
    assert_ne!(acks[0]["event_id"], acks[1]["event_id"]);
    assert_eq!(seq_of(&acks[1]), seq_of(&acks[0]) + 1);
    assert_eq!(
        texts(&history(&server, &alice, &room).await),
        ["alice here", "bob here"]
    );
    assert_eq!(
        texts(&history(&server, &bob, &other).await),
        ["alice there"]
    );
}

#[tokio::test]
async fn edits_reactions_and_member_changes_are_not_repeated_either() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = create_group(&server, &alice, "Once", &[&bob]).await;
    let note = post_message(
        &server,
        &alice,
        &room,
        json!({ "txn_id": "note", "text": "note" }),
    )
    .await;
    let note = note.assert_status(200).clone();

    let calls: [(reqwest::Method, String, Value); 4] = [
        (
            reqwest::Method::PUT,
            event_path(&room, id_of(&note), ""),
            json!({ "txn_id": "edit", "text": "note!" }),
        ),
        (
            reqwest::Method::PUT,
            event_path(&room, id_of(&note), "/reaction"),
            json!({ "txn_id": "react", "emoji": "✅" }),
        ),
        (
            reqwest::Method::POST,
            room_path(&room, "/members"),
            json!({ "txn_id": "add", "user_id": carol.user_id }),
        ),
        (
            reqwest::Method::PUT,
            room_path(&room, ""),
            json!({ "txn_id": "topic", "topic": "once" }),
        ),
    ];
    for (method, path, body) in calls {
        let first = server
            .call(method.clone(), &path, token(&alice), Some(body.clone()))
            .await;
        let first = first.assert_status(200).clone();
        let again = server.call(method, &path, token(&alice), Some(body)).await;
        let again = again.assert_status(200).clone();
        assert_eq!(again["duplicate"], true, "{path}: {again}");
        assert_eq!(identity(&again), identity(&first), "{path}");
    }
    let events = history(&server, &alice, &room).await;
    let kinds: Vec<&str> = events[3..]
        .iter()
        .map(|e| e["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        [
            "message.edit",
            "message.reaction",
            "room.member",
            "room.settings"
        ]
    );
}

/// Plain messages are decided without looking their transactions up unless they are among
/// the newest few (`rooms.recent_transactions`): a retry of an older one is caught by the
/// database's unique index, and its batch is done again the careful way. The retry gets the
/// first answer; messages sent with it are stored once each, in order.
#[tokio::test]
async fn a_retry_of_an_old_transaction_is_still_the_first_answer() {
    let server = TestServer::spawn_with(|c| c.rooms.recent_transactions = 1).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Old retries", &[&bob]).await;
    let first = post_message(
        &server,
        &alice,
        &room,
        json!({ "txn_id": "old-1", "text": "the first" }),
    )
    .await
    .assert_status(200)
    .clone();
    // Newer messages push the first transaction out of memory.
    for i in 0..3 {
        post_message(
            &server,
            &alice,
            &room,
            json!({ "txn_id": format!("new-{i}"), "text": format!("newer {i}") }),
        )
        .await
        .assert_status(200);
    }
    // The retry, with two new messages at the same moment (often one batch).
    let server = Arc::new(server);
    let sends = [
        ("old-1", "the first, again"),
        ("late-1", "late one"),
        ("late-2", "late two"),
    ]
    .map(|(txn, text)| {
        let (server, alice, room) = (server.clone(), alice.clone(), room.clone());
        tokio::spawn(async move {
            post_message(
                &server,
                &alice,
                &room,
                json!({ "txn_id": txn, "text": text }),
            )
            .await
            .assert_status(200)
            .clone()
        })
    });
    let mut answers = Vec::new();
    for send in sends {
        answers.push(send.await.expect("send"));
    }
    assert_eq!(answers[0]["duplicate"], true, "{}", answers[0]);
    assert_eq!(identity(&answers[0]), identity(&first));
    assert!(answers[1..].iter().all(|a| a["duplicate"] == false));
    let events = history(&server, &bob, &room).await;
    let stored = texts(&events);
    assert_eq!(stored.iter().filter(|t| **t == "the first").count(), 1);
    assert!(!stored.iter().any(|t| t == "the first, again"));
    for text in ["late one", "late two"] {
        assert_eq!(
            stored.iter().filter(|t| **t == text).count(),
            1,
            "{stored:?}"
        );
    }
    super::assert_gap_free_from(&events, events[0]["seq"].as_i64().unwrap());
}

/// Transaction keys are 64-bit hashes: a new transaction whose key is already an older,
/// different transaction's is stored all the same (without a key), not refused.
#[tokio::test]
async fn a_transaction_whose_key_another_one_has_is_stored() {
    use crate::helpers::sql::{self, Param};

    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Collisions", &[&bob]).await;
    let before = post_message(
        &server,
        &alice,
        &room,
        json!({ "txn_id": "other", "text": "an earlier one" }),
    )
    .await
    .assert_status(200)
    .clone();
    // Give the earlier event the key the next transaction will have.
    let taken = convo_homeserver::rooms::sequencer::txn_hash(&room, &alice.user_id, "clash");
    let changed = sql::execute(
        &server,
        "UPDATE events SET txn_key = $1 WHERE event_id = $2",
        &[Param::Int(taken), Param::from(id_of(&before))],
    )
    .await;
    assert_eq!(changed, 1);
    let ack = post_message(
        &server,
        &alice,
        &room,
        json!({ "txn_id": "clash", "text": "same key, other transaction" }),
    )
    .await;
    let ack = ack.assert_status(200);
    assert_eq!(ack["duplicate"], false, "{ack}");
    assert_ne!(ack["event_id"], before["event_id"]);
    let events = history(&server, &bob, &room).await;
    assert_eq!(
        texts(&events)[texts(&events).len() - 2..],
        ["an earlier one", "same key, other transaction"]
    );
}
