//! Snapshots of the wire JSON: scenarios that walk realistic flows and snapshot every REST
//! answer (status and body) and every gateway frame they receive, so that a field cannot
//! appear, disappear or change type unnoticed. Each step is one `.snap` file under
//! `tests/it/snapshots/<scenario>/`, with what varies between runs replaced by placeholders
//! ([`crate::helpers::transcript`]). Accept a change with
//! `INSTA_UPDATE=always cargo test -p convo-tests snapshots::` and review it with `git diff`.
//!
//! Frames are waited for one by one (their order between connections, and between kinds of
//! frame, is not guaranteed); a frame nobody waited for fails the step that finds it.

mod accounts;
mod admin;
mod direct_chat;
mod group;

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::transcript::{Step, Transcript};
use crate::helpers::{PASSWORD, Reply, TestServer, Ws};

/// How long the end of a scenario listens for frames nobody waited for.
const QUIET: Duration = Duration::from_millis(300);

/// A server for snapshots: typing indicators that do not lapse during a scenario, presence
/// offline at once (no grace period), receipts announced quickly.
async fn spawn() -> TestServer {
    TestServer::spawn_with(|c| {
        c.gateway.typing_ttl_secs = 600;
        c.gateway.presence_grace_secs = 0;
        c.gateway.receipt_flush_ms = 10;
    })
    .await
}

/// A logged-in device, named in the transcript as `user/device`.
#[derive(Debug, Clone)]
struct Session {
    who: String,
    user_id: String,
    token: String,
    refresh_token: String,
    device_id: String,
}

/// Registers `username` (unless it is already) and logs in a device called `device`, outside the transcript
/// (scenarios that show registration and login record them themselves).
async fn session(server: &TestServer, t: &mut Transcript, username: &str, device: &str) -> Session {
    let registered = server
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "username": username, "password": PASSWORD }),
        )
        .await;
    assert!(
        matches!(registered.status, 201 | 409),
        "register {username}: {:?}",
        registered.body
    );
    log_in(server, t, username, device).await
}

/// Logs in a device called `device` of `username`, outside the transcript.
async fn log_in(server: &TestServer, t: &mut Transcript, username: &str, device: &str) -> Session {
    let login = server
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "username": username, "password": PASSWORD, "device_name": device }),
        )
        .await;
    let body = login.assert_status(200);
    session_from(t, &format!("{username}/{device}"), body)
}

/// The session a login answered with, its device and tokens named after `who`.
fn session_from(t: &mut Transcript, who: &str, body: &Value) -> Session {
    t.name_session(who, body);
    let text = |key: &str| body[key].as_str().expect(key).to_owned();
    Session {
        who: who.to_owned(),
        user_id: text("user_id"),
        token: text("access_token"),
        refresh_token: text("refresh_token"),
        device_id: text("device_id"),
    }
}

/// An id percent-encoded for a path segment.
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

/// A path with its percent-escapes decoded, as the transcript shows it.
fn decoded(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = path
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("a UTF-8 path")
}

/// `/api/v1/rooms/{room_id}` followed by `rest`.
fn room_path(room_id: &str, rest: &str) -> String {
    format!("/api/v1/rooms/{}{rest}", enc(room_id))
}

/// One REST call, recorded with its answer: `who` (or nobody) calls `method path` with
/// `body`.
async fn call(
    server: &TestServer,
    step: &mut Step,
    who: Option<&Session>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let caller = who.map_or("anonymous", |s| s.who.as_str());
    step.record(
        format!("{caller} → {method} {}", decoded(path)),
        body.clone(),
    );
    let reply = server
        .call(method, path, who.map(|s| s.token.as_str()), body)
        .await;
    let answer = (!reply.body.is_null()).then(|| reply.body.clone());
    step.record(format!("{caller} ← {}", reply.status), answer);
    reply
}

/// One gateway connection, recorded as `who`.
#[derive(Debug)]
struct Conn {
    who: String,
    ws: Ws,
    /// The number of the next request id.
    next: u64,
}

impl Conn {
    /// Opens a connection and says hello (resuming after `since`); records the hello and its
    /// answer. What follows (snapshot or catch-up) is for the caller to wait for.
    async fn open(
        server: &TestServer,
        step: &mut Step,
        session: &Session,
        since: Option<i64>,
    ) -> Self {
        let mut conn = Self::socket(server, &session.who).await;
        let mut hello = json!({ "type": "hello", "token": session.token });
        if let Some(since) = since {
            hello["since"] = json!(since);
        }
        let ack = conn.request(step, hello).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        conn
    }

    /// Opens a connection without saying hello.
    async fn socket(server: &TestServer, who: &str) -> Self {
        Self {
            who: who.to_owned(),
            ws: Ws::open(server).await,
            next: 0,
        }
    }

    /// Sends `frame` with the next id and waits for its `ack` or `error`; records both.
    async fn request(&mut self, step: &mut Step, mut frame: Value) -> Value {
        self.next += 1;
        frame["id"] = json!(format!("r{}", self.next));
        let kind = frame["type"].as_str().unwrap_or("?").to_owned();
        step.record(format!("{} → {kind}", self.who), Some(frame.clone()));
        let answer = self.ws.request(frame).await;
        self.received(step, &answer);
        answer
    }

    /// Sends a text frame as it is (not JSON, say); records it.
    async fn send_raw(&mut self, step: &mut Step, text: &str) {
        step.record(format!("{} → {text:?}", self.who), None);
        self.ws.send_text(text.to_owned()).await;
    }

    /// Waits for the frame matching `pred`; records it.
    async fn expect(&mut self, step: &mut Step, pred: impl Fn(&Value) -> bool) -> Value {
        let frame = self.ws.wait_for(pred).await;
        self.received(step, &frame);
        frame
    }

    /// Waits for the event frame of `room`'s `seq`; records it.
    async fn event(&mut self, step: &mut Step, room: &str, seq: i64) -> Value {
        self.expect(step, |f| {
            f["type"] == "event" && f["event"]["room_id"] == room && f["event"]["seq"] == seq
        })
        .await
    }

    fn received(&self, step: &mut Step, frame: &Value) {
        step.frame(&self.who, frame);
    }

    /// Fails if a frame arrived that nobody waited for.
    #[track_caller]
    fn settled(&mut self) {
        let left = self.ws.drain();
        assert!(
            left.is_empty(),
            "{} received frames no step waited for: {left:?}",
            self.who
        );
    }

    /// Fails if a frame arrives within [`QUIET`] that nobody waited for.
    async fn quiet(&mut self) {
        self.settled();
        self.ws.assert_none(QUIET, |_| true).await;
    }

    async fn close(self) {
        self.ws.close().await;
    }
}

/// Fails if any of `conns` received a frame that nobody waited for.
#[track_caller]
fn settled(conns: &mut [&mut Conn]) {
    for conn in conns {
        conn.settled();
    }
}

/// The `pos` of a frame or answer.
fn pos(value: &Value) -> i64 {
    value["pos"].as_i64().expect("pos")
}

/// The `seq` of a frame or answer.
fn seq(value: &Value) -> i64 {
    value["seq"].as_i64().expect("seq")
}

/// The `event_id` of an answer.
fn event_id(value: &Value) -> String {
    value["event_id"].as_str().expect("event_id").to_owned()
}
