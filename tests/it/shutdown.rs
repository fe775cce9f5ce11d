//! A clean shutdown of the real `convo serve` process on SIGTERM: open WebSocket connections
//! are told to reconnect (1012); every message the server acknowledged is stored; the
//! delivery and read receipts it was still gathering are written (the gathering interval is
//! set far longer than the test, so only the shutdown can write them); last seen is
//! recorded; the process exits 0. Started again on the same data, all of it is there.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::binary::{convo, wait_for_listen_line};
use crate::helpers::db::TestDb;
use crate::helpers::{PASSWORD, Ws};

/// How long the process may take to exit after SIGTERM: far more than it needs.
const EXIT_BOUND: Duration = Duration::from_secs(30);

/// A `convo serve` process, killed if the test ends while it still runs.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts `convo serve` on `dir` and `database_url`, gathering receipts for 5 s.
fn start(dir: &Path, database_url: &str) -> (Process, std::net::SocketAddr) {
    let mut child = convo(dir)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--server-name",
            "localhost",
            "--database-url",
            database_url,
        ])
        .env("CONVO__AUTH__ARGON2_MEMORY_KIB", "64")
        .env("CONVO__AUTH__ARGON2_ITERATIONS", "1")
        .env("CONVO__GATEWAY__RECEIPT_FLUSH_MS", "5000")
        .env("CONVO__HTTP__SHUTDOWN_GRACE_SECS", "2")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start convo");
    let addr = wait_for_listen_line(&mut child)
        .parse()
        .expect("listen address");
    (Process(child), addr)
}

/// A small REST client of one server.
struct Api {
    http: reqwest::Client,
    addr: std::net::SocketAddr,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let mut request = self
            .http
            .request(method, format!("http://{}/api/v1{path}", self.addr));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    async fn get(&self, path: &str, token: &str) -> Value {
        self.call(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    /// Registers and logs in `name`; returns the access token.
    async fn user(&self, name: &str) -> String {
        self.post(
            "/auth/register",
            None,
            json!({ "username": name, "password": PASSWORD }),
        )
        .await;
        let login = self
            .post(
                "/auth/login",
                None,
                json!({ "username": name, "password": PASSWORD }),
            )
            .await;
        login["access_token"].as_str().expect("token").to_owned()
    }
}

/// An id percent-encoded for a path segment.
fn enc(id: &str) -> String {
    id.replace('!', "%21")
        .replace(':', "%3A")
        .replace('$', "%24")
        .replace('@', "%40")
}

/// Sends SIGTERM to `child` at once.
fn sigterm(process: &Process) {
    let child = &process.0;
    let sent = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(sent.success());
}

/// Waits for `child` to exit, without blocking the runtime; panics after [`EXIT_BOUND`].
async fn exited(process: &mut Process) -> std::process::ExitStatus {
    let child = &mut process.0;
    let deadline = Instant::now() + EXIT_BOUND;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not exit within {EXIT_BOUND:?} of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sigterm_stores_what_was_accepted_and_the_receipts_it_held() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::create(dir.path()).await;
    let (mut child, addr) = start(dir.path(), &db.url);
    let api = Api {
        http: reqwest::Client::new(),
        addr,
    };
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let room = api
        .post(
            "/rooms/direct",
            Some(&alice),
            json!({ "user_id": "@bob:localhost" }),
        )
        .await["room_id"]
        .as_str()
        .expect("room_id")
        .to_owned();
    let (mut b, _) = Ws::connect_at(addr, &bob, None).await;
    b.next("snapshot").await;
    let (mut a, _) = Ws::connect_at(addr, &alice, None).await;
    a.next("snapshot").await;

    // Alice's messages, each acknowledged; Bob gets them, says so, and reads them.
    for i in 0..5 {
        a.send_text(
            json!({ "type": "send", "id": format!("s{i}"), "room_id": room, "txn_id": format!("t{i}"), "text": format!("message {i}") })
                .to_string(),
        )
        .await;
    }
    let mut acked = Vec::new();
    for i in 0..5 {
        let id = json!(format!("s{i}"));
        let ack = a.wait_for(|f| f["id"] == id).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        acked.push(ack);
    }
    let last = acked.last().unwrap().clone();
    b.wait_for(|f| f["type"] == "event" && f["event"]["event_id"] == last["event_id"])
        .await;
    let received = b
        .request(json!({ "type": "received", "pos": last["pos"] }))
        .await;
    assert_eq!(received["type"], "ack", "{received}");
    let read = b
        .request(json!({ "type": "read", "room_id": room, "seq": last["seq"] }))
        .await;
    assert_eq!(
        (&read["type"], &read["read_up_to"]),
        (&json!("ack"), &last["seq"]),
        "{read}"
    );

    // More messages still on their way when the signal comes.
    for i in 5..10 {
        a.send_text(
            json!({ "type": "send", "id": format!("s{i}"), "room_id": room, "txn_id": format!("t{i}"), "text": format!("message {i}") })
                .to_string(),
        )
        .await;
    }
    let before_stop = convo_homeserver::db::now_ms();
    sigterm(&child);

    // Both connections are told to reconnect; answers in flight come first.
    assert_eq!(a.closed_with().await, Some(1012));
    assert_eq!(b.closed_with().await, Some(1012));
    for frame in a.drain() {
        if frame["type"] == "ack" && frame["event_id"].is_string() {
            acked.push(frame);
        }
    }
    let status = exited(&mut child).await;
    assert!(status.success(), "exit status {status:?}");

    // Started again on the same data: everything acknowledged is there.
    let (mut child, addr) = start(dir.path(), &db.url);
    let api = Api {
        http: reqwest::Client::new(),
        addr,
    };
    let history = api
        .get(&format!("/rooms/{}/messages", enc(&room)), &alice)
        .await;
    let stored: Vec<&Value> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"] == "message")
        .collect();
    for ack in &acked {
        let event = stored
            .iter()
            .find(|e| e["event_id"] == ack["event_id"])
            .unwrap_or_else(|| panic!("acknowledged, yet not stored: {ack}"));
        assert_eq!(event["seq"], ack["seq"]);
    }

    // Bob's read position, and Alice's ticks of her last acknowledged-before-the-receipts
    // message: delivered and read.
    let rooms = api.get("/rooms", &bob).await;
    let entry = rooms["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .find(|r| r["room_id"] == room.as_str())
        .expect("Bob's chat")
        .clone();
    assert_eq!(entry["read_up_to"], last["seq"], "{entry}");
    let receipts = api
        .get(
            &format!(
                "/rooms/{}/messages/{}/receipts",
                enc(&room),
                enc(last["event_id"].as_str().unwrap())
            ),
            &alice,
        )
        .await;
    let bobs = &receipts["receipts"][0];
    assert_eq!(bobs["user_id"], "@bob:localhost", "{receipts}");
    assert!(bobs["delivered_at"].is_i64(), "{receipts}");
    assert!(bobs["read_at"].is_i64(), "{receipts}");

    // Last seen was recorded on the way out.
    let (mut a, _) = Ws::connect_at(addr, &alice, None).await;
    let snapshot = a.next("snapshot").await;
    let presence = snapshot["presence"]
        .as_array()
        .expect("presence")
        .iter()
        .find(|p| p["user_id"] == "@bob:localhost")
        .expect("Bob's presence")
        .clone();
    assert_eq!(presence["online"], false, "{presence}");
    let seen = presence["last_seen"].as_i64().expect("a last seen time");
    assert!(
        seen >= before_stop,
        "last seen {seen}, stopped at {before_stop}"
    );
    a.close().await;

    sigterm(&child);
    assert!(exited(&mut child).await.success());
}
