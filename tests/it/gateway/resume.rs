//! Resuming by stream position: a reconnecting device gets exactly what it missed, in order,
//! then `synced`; live events racing the catch-up come once; too far behind, a snapshot.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{QUIET, any_event, direct, events, group, online, post_message, room_path};
use crate::helpers::{TestServer, Ws};

/// Connects with `since` and checks the hello was accepted.
async fn resume(server: &TestServer, token: &str, since: i64) -> Ws {
    let (ws, hello) = Ws::connect(server, token, Some(since)).await;
    assert_eq!(hello["type"], "ack", "{hello}");
    ws
}

#[tokio::test]
async fn a_reconnecting_device_gets_exactly_what_it_missed_in_order() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let chat = direct(&server, &alice, &bob).await;
    let team = group(&server, &bob, &[&alice, &carol]).await;
    let (mut a, _) = online(&server, &alice).await;
    let seen = post_message(&server, &bob, &chat, "seen", "you saw this").await;
    let last = a.next("event").await["event"].clone();
    assert_eq!(last["event_id"], seen["event_id"]);
    let since = last["pos"].as_i64().unwrap();
    a.close().await;

    // While Alice is away: messages in two rooms and an edit of the one she saw.
    let mut missed = Vec::new();
    for (i, (who, room)) in [(&bob, &chat), (&carol, &team), (&bob, &team), (&bob, &chat)]
        .into_iter()
        .enumerate()
    {
        missed.push(
            post_message(
                &server,
                who,
                room,
                &format!("away{i}"),
                &format!("while away {i}"),
            )
            .await,
        );
    }
    let edit = server
        .call(
            reqwest::Method::PUT,
            &room_path(
                &chat,
                &format!(
                    "/messages/{}",
                    super::enc(seen["event_id"].as_str().unwrap())
                ),
            ),
            Some(&bob.access_token),
            Some(json!({ "txn_id": "edit1", "text": "you saw this (edited)" })),
        )
        .await;
    missed.push(edit.assert_status(200).clone());

    let mut a = resume(&server, &alice.access_token, since).await;
    let got = events(&mut a, missed.len()).await;
    let synced = a.next("synced").await;
    let ids: Vec<&Value> = got.iter().map(|e| &e["event_id"]).collect();
    let expected: Vec<&Value> = missed.iter().map(|m| &m["event_id"]).collect();
    assert_eq!(ids, expected);
    let positions: Vec<i64> = got.iter().map(|e| e["pos"].as_i64().unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert!(positions[0] > since);
    assert_eq!(got[4]["type"], "message.edit", "{}", got[4]);
    assert_eq!(synced["pos"], *positions.last().unwrap());
    assert_eq!(synced["resumed"], true);
    a.assert_none(QUIET, |f| any_event(f) || f["type"] == "snapshot")
        .await;

    // Resuming from the very end: nothing, then synced at the same place.
    a.close().await;
    let end = *positions.last().unwrap();
    let mut a = resume(&server, &alice.access_token, end).await;
    assert_eq!(a.next("synced").await["pos"], end);
    a.assert_none(QUIET, any_event).await;
}

#[tokio::test]
async fn messages_sent_during_the_reconnect_arrive_exactly_once() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct(&server, &alice, &bob).await;
    let (a, snapshot) = online(&server, &alice).await;
    let since = snapshot["pos"].as_i64().unwrap();
    a.close().await;
    let mut expected = BTreeSet::new();
    for i in 0..5 {
        let sent = post_message(&server, &bob, &room, &format!("before{i}"), "missed").await;
        expected.insert(sent["event_id"].as_str().unwrap().to_owned());
    }

    // A sender keeps going while Alice reconnects.
    let (client, url, token) = (
        server.client.clone(),
        server.url(&room_path(&room, "/messages")),
        bob.access_token.clone(),
    );
    let sender = tokio::spawn(async move {
        let mut ids = Vec::new();
        for i in 0..30 {
            let reply = client
                .post(&url)
                .bearer_auth(&token)
                .json(&json!({ "txn_id": format!("during{i}"), "text": format!("live {i}") }))
                .send()
                .await
                .expect("send");
            assert_eq!(reply.status().as_u16(), 200);
            let body: Value = reply.json().await.expect("json");
            ids.push(body["event_id"].as_str().unwrap().to_owned());
        }
        ids
    });
    let mut a = resume(&server, &alice.access_token, since).await;
    let live = sender.await.expect("sender task");
    expected.extend(live);

    let mut got = Vec::new();
    let mut synced = false;
    while got.len() < expected.len() {
        let frame = a
            .wait_for(|f| any_event(f) || f["type"] == "synced" || f["type"] == "snapshot")
            .await;
        match frame["type"].as_str() {
            Some("event") => got.push(frame["event"].clone()),
            Some("synced") => {
                assert!(!synced, "synced twice");
                synced = true;
            }
            _ => panic!("unexpected {frame}"),
        }
    }
    assert!(synced || a.next("synced").await["resumed"] == true);
    let ids: Vec<String> = got
        .iter()
        .map(|e| e["event_id"].as_str().unwrap().to_owned())
        .collect();
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "an event came twice");
    assert_eq!(unique, expected);
    let positions: Vec<i64> = got.iter().map(|e| e["pos"].as_i64().unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    a.assert_none(QUIET, any_event).await;
}

#[tokio::test]
async fn too_far_behind_gets_a_snapshot_instead() {
    let server = TestServer::spawn_with(|c| c.gateway.max_resume_events = 3).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct(&server, &alice, &bob).await;
    let (a, snapshot) = online(&server, &alice).await;
    let since = snapshot["pos"].as_i64().unwrap();
    a.close().await;

    // Exactly the limit behind: still a resume.
    for i in 0..3 {
        post_message(
            &server,
            &bob,
            &room,
            &format!("a{i}"),
            &format!("first {i}"),
        )
        .await;
    }
    let mut a = resume(&server, &alice.access_token, since).await;
    events(&mut a, 3).await;
    let synced = a.next("synced").await;
    a.close().await;

    // Five more behind than that: a snapshot, and no events before or after it.
    let mut last = Value::Null;
    for i in 0..5 {
        last = post_message(
            &server,
            &bob,
            &room,
            &format!("b{i}"),
            &format!("second {i}"),
        )
        .await;
    }
    let mut a = resume(
        &server,
        &alice.access_token,
        synced["pos"].as_i64().unwrap(),
    )
    .await;
    let snapshot = a.next("snapshot").await;
    assert_eq!(snapshot["pos"], last["pos"]);
    let summary = &snapshot["rooms"][0];
    assert_eq!(summary["room_id"], room.as_str());
    assert_eq!(summary["last_seq"], last["seq"]);
    assert_eq!(summary["unread_count"], 8);
    assert_eq!(summary["last_message"]["event_id"], last["event_id"]);
    assert_eq!(summary["last_message"]["content"]["text"], "second 4");
    a.assert_none(QUIET, |f| any_event(f) || f["type"] == "synced")
        .await;
    assert!(a.drain().is_empty());

    // From the snapshot on, live events flow.
    let next = post_message(&server, &bob, &room, "c", "live again").await;
    assert_eq!(a.next("event").await["event"]["event_id"], next["event_id"]);
}

#[tokio::test]
async fn a_position_beyond_the_stream_does_not_lose_later_events() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct(&server, &alice, &bob).await;
    let (a, snapshot) = online(&server, &alice).await;
    let now = snapshot["pos"].as_i64().unwrap();
    a.close().await;

    // A device claiming a position the server never handed out (say, after a restore).
    let mut a = resume(&server, &alice.access_token, now + 1000).await;
    let caught_up = a
        .wait_for(|f| f["type"] == "synced" || f["type"] == "snapshot")
        .await;
    // Known bug (reported): the server answers `synced` at the claimed position and then
    // skips every live event up to it, so this message never arrives.
    let sent = post_message(&server, &bob, &room, "after", "do you get this?").await;
    let event = a.next("event").await;
    assert_eq!(event["event"]["event_id"], sent["event_id"]);
    if caught_up["type"] == "synced" {
        assert!(
            caught_up["pos"].as_i64().unwrap() <= now,
            "synced at a position the server never reached: {caught_up}"
        );
    }
    let pong = a.request(json!({ "type": "ping" })).await;
    assert_eq!(pong["pong"], true);
}
