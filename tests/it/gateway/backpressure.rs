//! Backpressure: a connection that does not read while a room floods is closed with 4000
//! instead of being buffered for without bound; the server stays healthy and the device
//! resumes from the last position it saw, missing nothing.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{QUIET, any_event, direct, online, room_path};
use crate::helpers::{TestServer, Ws};

/// Messages in the flood, sent by this many concurrent senders.
const FLOOD: usize = 800;
const SENDERS: usize = 8;

#[tokio::test]
async fn a_slow_consumer_is_closed_with_4000_and_resumes() {
    let server = TestServer::spawn_with(|c| {
        c.gateway.outbound_queue = 8;
        c.rooms.max_message_length = 8192;
        // This is about a full queue: the close frame may wait for Bob to read again (he
        // reads only after the flood), not for a socket that takes nothing.
        c.gateway.write_timeout_secs = 120;
    })
    .await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct(&server, &alice, &bob).await;
    let (mut slow, snapshot) = online(&server, &bob).await;
    let start = snapshot["pos"].as_i64().unwrap();

    // Alice floods over REST while Bob's connection reads nothing.
    let padding = "z".repeat(8000);
    let mut tasks = Vec::new();
    for s in 0..SENDERS {
        let (client, url, token) = (
            server.client.clone(),
            server.url(&room_path(&room, "/messages")),
            alice.access_token.clone(),
        );
        let padding = padding.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in (s..FLOOD).step_by(SENDERS) {
                let body = json!({ "txn_id": format!("f{i}"), "text": format!("{i} {padding}") });
                let reply = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                let reply = reply.expect("the server answers during the flood");
                assert_eq!(reply.status().as_u16(), 200);
                let body: Value = reply.json().await.expect("json");
                ids.push(body["event_id"].as_str().unwrap().to_owned());
            }
            ids
        }));
    }
    let mut sent = BTreeSet::new();
    for task in tasks {
        sent.extend(task.await.expect("sender"));
    }
    assert_eq!(sent.len(), FLOOD);

    // The server gave up on the slow connection; what it did deliver is in order.
    assert_eq!(slow.closed_with().await, Some(4000));
    let delivered: Vec<Value> = slow
        .drain()
        .into_iter()
        .filter(any_event)
        .map(|f| f["event"].clone())
        .collect();
    assert!(
        delivered.len() < FLOOD,
        "all {} delivered anyway",
        delivered.len()
    );
    let mut last = start;
    for event in &delivered {
        let pos = event["pos"].as_i64().unwrap();
        assert!(pos > last, "out of order: {pos} after {last}");
        last = pos;
    }

    // Healthy: it answers HTTP and other connections.
    server.get("/healthz", None).await.assert_status(200);
    let (mut fresh, _) = online(&server, &alice).await;
    let pong = fresh.request(json!({ "type": "ping" })).await;
    assert_eq!(pong["pong"], true);

    // Bob resumes from the last position he saw and gets the rest, each once, in order.
    let (mut again, hello) = Ws::connect(&server, &bob.access_token, Some(last)).await;
    assert_eq!(hello["type"], "ack");
    let mut rest = Vec::new();
    loop {
        let frame = again
            .wait_for(|f| any_event(f) || f["type"] == "synced" || f["type"] == "snapshot")
            .await;
        match frame["type"].as_str() {
            Some("event") => rest.push(frame["event"].clone()),
            Some("synced") => break,
            _ => panic!("a snapshot instead of a resume: {frame}"),
        }
    }
    let mut seen = BTreeSet::new();
    for event in delivered.iter().chain(&rest) {
        let pos = event["pos"].as_i64().unwrap();
        assert!(pos > start);
        assert!(
            seen.insert(event["event_id"].as_str().unwrap().to_owned()),
            "{} came twice",
            event["event_id"]
        );
    }
    assert_eq!(seen, sent);
    assert!(
        rest.windows(2)
            .all(|w| w[0]["pos"].as_i64() < w[1]["pos"].as_i64())
    );
    again.assert_none(QUIET, any_event).await;
}
