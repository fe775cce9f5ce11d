//! The WebSocket gateway over real sockets: hello, sending, fan-out, resume, receipts,
//! typing, presence, notifications, limits. The tests are in the submodules; the helpers they
//! share are here.

mod actions;
mod backpressure;
mod bad_input;
mod basics;
mod close_codes;
mod fanout;
mod groups;
mod hello;
mod member_directory;
mod notifications;
mod nul_frames;
mod presence;
mod resume;
mod sessions;
mod slow_reader;
mod snapshot_failure;
mod typing;
mod unread;

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestServer, TestUser, Ws};

const ROOMS: &str = "/api/v1/rooms";

/// How long a test listens to be sure that a frame does not come.
const QUIET: Duration = Duration::from_millis(400);

/// How much later than due a server timer (typing TTL, presence grace, hello timeout) may
/// fire on a loaded machine. Tests assert that a timer fires no earlier than due, measured
/// from before the request that starts it, and no later than this after (well within
/// [`crate::helpers::WAIT`]).
const LATE: Duration = Duration::from_secs(5);

/// An id percent-encoded for a path segment (`!`, `:`, `@`, `$` and friends).
fn enc(id: &str) -> String {
    let mut out = String::with_capacity(id.len() * 3);
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `/api/v1/rooms/{room_id}` followed by `rest` (which starts with `/` or is empty).
fn room_path(room_id: &str, rest: &str) -> String {
    format!("{ROOMS}/{}{rest}", enc(room_id))
}

/// The direct chat between `a` and `b`, opened by `a`.
async fn direct(server: &TestServer, a: &TestUser, b: &TestUser) -> String {
    let reply = server
        .post(
            &format!("{ROOMS}/direct"),
            Some(&a.access_token),
            json!({ "user_id": b.user_id }),
        )
        .await;
    reply.assert_status(200)["room_id"]
        .as_str()
        .expect("room_id")
        .to_owned()
}

/// A group owned by `owner` with `members`.
async fn group(server: &TestServer, owner: &TestUser, members: &[&TestUser]) -> String {
    let ids: Vec<&str> = members.iter().map(|m| m.user_id.as_str()).collect();
    let reply = server
        .post(
            ROOMS,
            Some(&owner.access_token),
            json!({ "name": "Gateway group", "members": ids }),
        )
        .await;
    reply.assert_status(201)["room_id"]
        .as_str()
        .expect("room_id")
        .to_owned()
}

/// Another device of `user`: a second login.
async fn device(server: &TestServer, user: &TestUser) -> TestUser {
    server.login(&user.username, &user.password).await
}

/// A connection of `user` without a position: checks the hello's answer and returns the
/// connection with its snapshot.
async fn online(server: &TestServer, user: &TestUser) -> (Ws, Value) {
    let (mut ws, hello) = Ws::connect(server, &user.access_token, None).await;
    assert_eq!(hello["type"], "ack", "{hello}");
    assert_eq!(hello["user_id"], user.user_id.as_str());
    assert_eq!(hello["device_id"], user.device_id.as_str());
    let snapshot = ws.next("snapshot").await;
    (ws, snapshot)
}

/// Sends a message over the gateway; returns the ack, checked to be one.
async fn send(ws: &mut Ws, room: &str, txn_id: &str, text: &str) -> Value {
    let ack = ws
        .request(json!({ "type": "send", "room_id": room, "txn_id": txn_id, "text": text }))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    ack
}

/// Sends a message over REST; returns the answer, checked to be a success.
async fn post_message(
    server: &TestServer,
    user: &TestUser,
    room: &str,
    txn_id: &str,
    text: &str,
) -> Value {
    server
        .post(
            &room_path(room, "/messages"),
            Some(&user.access_token),
            json!({ "txn_id": txn_id, "text": text }),
        )
        .await
        .assert_status(200)
        .clone()
}

/// The next `n` room events on `ws` (the `event` objects inside the frames).
async fn events(ws: &mut Ws, n: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(ws.next("event").await["event"].clone());
    }
    out
}

/// Whether `frame` is the event frame of `event_id`.
fn is_event(frame: &Value, event_id: &Value) -> bool {
    frame["type"] == "event" && frame["event"]["event_id"] == *event_id
}

/// Whether `frame` is any room event frame.
fn any_event(frame: &Value) -> bool {
    frame["type"] == "event"
}
