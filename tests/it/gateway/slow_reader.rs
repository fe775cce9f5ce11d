//! A client that stops reading is disconnected, however small its receive buffer: the
//! connection's loop never waits on a socket write, so the write timeout
//! (`gateway.write_timeout_secs`) and the heartbeat still run while a busy room fills the
//! socket, and the server stays healthy meanwhile. (With a full queue the hub closes it too:
//! `backpressure.rs`; here the queue is too large for that.)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde_json::json;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{direct, group, is_event, online, room_path, send};
use crate::helpers::metrics::metric;
use crate::helpers::raw_ws::{PING, RawWs};
use crate::helpers::{TestServer, TestUser, WAIT, Ws};

/// The slow reader's receive buffer: the kernel takes little for it.
const RECV_BUFFER: u32 = 4096;
/// Characters per flooding message.
const TEXT_LEN: usize = 30_000;
/// Most flooding messages: far more than any socket buffers hold (a few MiB), and a limit
/// to what a failing run stores.
const FLOOD_MAX: u64 = 3_000;
/// How long the server may take to drop the connection: far more than it needs.
const BOUND: Duration = Duration::from_secs(45);

/// Messages posted to a room over REST by a few concurrent senders until stopped, or
/// [`FLOOD_MAX`] are stored.
struct Flood {
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
    tasks: Vec<JoinHandle<()>>,
}

impl Flood {
    fn start(server: &TestServer, user: &TestUser, room: &str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let tasks = (0..4)
            .map(|sender| {
                let (client, url, token) = (
                    server.client.clone(),
                    server.url(&room_path(room, "/messages")),
                    user.access_token.clone(),
                );
                let (stop, sent) = (stop.clone(), sent.clone());
                tokio::spawn(async move {
                    let padding = "f".repeat(TEXT_LEN);
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) && sent.load(Ordering::Relaxed) < FLOOD_MAX
                    {
                        let body =
                            json!({ "txn_id": format!("flood-{sender}-{i}"), "text": padding });
                        let reply = client
                            .post(&url)
                            .bearer_auth(&token)
                            .json(&body)
                            .send()
                            .await;
                        let status = reply.expect("the server answers during the flood").status();
                        assert_eq!(status, 200, "a flood message was refused");
                        sent.fetch_add(1, Ordering::Relaxed);
                        i += 1;
                    }
                })
            })
            .collect();
        Self { stop, sent, tasks }
    }

    /// Stops the senders; returns how many messages were stored.
    async fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.expect("a flood sender");
        }
        self.sent.load(Ordering::Relaxed)
    }
}

/// A raw connection of `user` with a small receive buffer, past its hello and snapshot.
async fn slow_reader(server: &TestServer, user: &TestUser) -> RawWs {
    let mut ws = RawWs::connect_with(server.addr, Some(RECV_BUFFER)).await;
    let hello = json!({ "type": "hello", "id": "h", "token": user.access_token });
    ws.send_text(&hello.to_string()).await;
    assert_eq!(ws.next_json().await["type"], "ack");
    assert_eq!(ws.next_json().await["type"], "snapshot");
    ws
}

/// Carol pings and writes to Dave, who gets it: the server serves other connections.
async fn others_are_served(carol: &mut Ws, dave: &mut Ws, room: &str, n: usize) {
    let pong = carol.request(json!({ "type": "ping" })).await;
    assert_eq!(pong["pong"], true, "{pong}");
    let ack = send(carol, room, &format!("meanwhile-{n}"), "still here").await;
    dave.wait_for(|f| is_event(f, &ack["event_id"])).await;
}

#[tokio::test]
async fn a_socket_that_takes_nothing_is_closed_after_the_write_timeout() {
    let server = TestServer::spawn_with(|c| {
        c.gateway.write_timeout_secs = 2;
        // Neither a full queue nor a missed heartbeat can end it: only the write timeout.
        c.gateway.outbound_queue = 1_000_000;
        c.gateway.heartbeat_secs = 600;
        c.rooms.max_message_length = TEXT_LEN;
    })
    .await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    let busy = group(&server, &alice, &[&bob]).await;
    let quiet = direct(&server, &carol, &dave).await;
    let (mut c, _) = online(&server, &carol).await;
    let (mut d, _) = online(&server, &dave).await;
    let mut b = slow_reader(&server, &bob).await;
    let open = metric(&server, "convo_open_websockets").await;
    assert_eq!(open, 3);

    // Bob reads nothing more while Alice floods the room.
    let flood = Flood::start(&server, &alice, &busy);
    let started = Instant::now();
    let mut checks = 0;
    loop {
        others_are_served(&mut c, &mut d, &quiet, checks).await;
        checks += 1;
        if metric(&server, "convo_open_websockets").await == open - 1 {
            break;
        }
        assert!(
            started.elapsed() < BOUND,
            "Bob's connection still open after {BOUND:?} and {} messages",
            flood.sent.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sent = flood.stop().await;
    assert!(sent > 0);
    others_are_served(&mut c, &mut d, &quiet, checks).await;

    // The TCP connection ends: what the kernel holds comes, then EOF (or a reset).
    b.read_to_end(WAIT).await;
    server.get("/healthz", None).await.assert_status(200);
}

#[tokio::test]
async fn the_heartbeat_runs_while_writes_are_stuck() {
    let server = TestServer::spawn_with(|c| {
        c.gateway.heartbeat_secs = 1;
        // Far longer than the test: the write timeout does not end it.
        c.gateway.write_timeout_secs = 600;
        c.gateway.outbound_queue = 1_000_000;
        c.rooms.max_message_length = TEXT_LEN;
    })
    .await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let busy = group(&server, &alice, &[&bob]).await;
    let mut b = slow_reader(&server, &bob).await;
    assert_eq!(metric(&server, "convo_open_websockets").await, 1);

    // Bob keeps pinging, so he is heard from as long as the server reads him, but he reads
    // nothing. Once the server's writes back up it stops reading him, and only a heartbeat
    // that runs meanwhile can notice the silence.
    let flood = Flood::start(&server, &alice, &busy);
    let started = Instant::now();
    while metric(&server, "convo_open_websockets").await != 0 {
        assert!(
            started.elapsed() < BOUND,
            "Bob's connection still open after {BOUND:?} and {} messages",
            flood.sent.load(Ordering::Relaxed)
        );
        b.send_frame(PING, b"alive").await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    flood.stop().await;

    // Once Bob reads again, what was in the pipes arrives, then the heartbeat's close.
    assert_eq!(b.close_code().await, Ok(4003));
}
