//! A WebSocket client for the gateway tests: a real socket to `/api/v1/ws`, frames as JSON,
//! and helpers to wait for a frame of a given type (others are kept for later).
//!
//! Every text frame the server sends is checked against `openapi/asyncapi.yaml`
//! ([`super::asyncapi`]): a frame that matches no message of its `type`, or an answer that
//! is not one its request may get, panics, naming the frame, where and what is wrong.
//! (Frames tests send are not checked: some are broken on purpose.)

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::TestServer;
use super::asyncapi;

/// How long a test waits for an expected frame.
pub const WAIT: Duration = Duration::from_secs(10);

/// One connection to the gateway.
#[derive(Debug)]
pub struct Ws {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Frames received but not yet asked for.
    pending: VecDeque<Value>,
    next_id: u64,
    /// Requests sent and not answered yet, by id (the same id may be in flight twice).
    unanswered: HashMap<String, Vec<Value>>,
    /// The keys of the document's messages the frames received so far matched, and
    /// `event:<type>` for each type of room event received.
    pub matched: BTreeSet<String>,
    /// The close code, once the server closed.
    pub closed: Option<u16>,
}

impl Ws {
    /// Opens a socket without saying hello.
    pub async fn open(server: &TestServer) -> Self {
        Self::open_at(server.addr).await
    }

    /// Opens a socket to a server at `addr` (one not started by [`TestServer`]).
    pub async fn open_at(addr: std::net::SocketAddr) -> Self {
        let url = format!("ws://{addr}/api/v1/ws");
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connects");
        Self {
            socket,
            pending: VecDeque::new(),
            next_id: 0,
            unanswered: HashMap::new(),
            matched: BTreeSet::new(),
            closed: None,
        }
    }

    /// Opens a socket and says hello; returns it with the hello's answer.
    pub async fn connect(server: &TestServer, token: &str, since: Option<i64>) -> (Self, Value) {
        Self::connect_at(server.addr, token, since).await
    }

    /// [`Ws::connect`] to a server at `addr`.
    pub async fn connect_at(
        addr: std::net::SocketAddr,
        token: &str,
        since: Option<i64>,
    ) -> (Self, Value) {
        let mut ws = Self::open_at(addr).await;
        let mut hello = json!({ "type": "hello", "token": token });
        if let Some(since) = since {
            hello["since"] = json!(since);
        }
        let answer = ws.request(hello).await;
        (ws, answer)
    }

    /// Sends a raw text frame.
    pub async fn send_text(&mut self, text: String) {
        // A frame with an id is a request: its answer is checked against it.
        if let Ok(frame) = serde_json::from_str::<Value>(&text)
            && let Some(id) = frame.get("id").and_then(Value::as_str)
        {
            self.unanswered
                .entry(id.to_owned())
                .or_default()
                .push(frame);
        }
        self.socket
            .send(Message::text(text))
            .await
            .expect("send frame");
    }

    /// Sends `frame` with a fresh `id` (unless it has one) and waits for its `ack` or `error`.
    pub async fn request(&mut self, mut frame: Value) -> Value {
        if frame.get("id").is_none() {
            self.next_id += 1;
            frame["id"] = json!(format!("r{}", self.next_id));
        }
        let id = frame["id"].clone();
        self.send_text(frame.to_string()).await;
        self.wait_for(|f| f["id"] == id && (f["type"] == "ack" || f["type"] == "error"))
            .await
    }

    /// The next frame of type `kind`.
    pub async fn next(&mut self, kind: &str) -> Value {
        self.wait_for(|f| f["type"] == kind).await
    }

    /// The first frame matching `pred`, waiting up to [`WAIT`]; panics otherwise.
    pub async fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(found) = self.take(&pred) {
            return found;
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.read())
                .await
                .unwrap_or_else(|_| {
                    panic!("no matching frame in time; unmatched: {:?}", self.pending)
                });
            let Some(frame) = frame else {
                panic!(
                    "connection closed ({:?}) before a matching frame; unmatched: {:?}",
                    self.closed, self.pending
                );
            };
            if pred(&frame) {
                return frame;
            }
            self.pending.push_back(frame);
        }
    }

    /// Asserts that no frame matching `pred` arrives within `wait`.
    pub async fn assert_none(&mut self, wait: Duration, pred: impl Fn(&Value) -> bool) {
        assert!(
            self.take(&pred).is_none(),
            "unexpected frame among {:?}",
            self.pending
        );
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Some(frame)) = tokio::time::timeout_at(deadline, self.read()).await {
            assert!(!pred(&frame), "unexpected frame {frame}");
            self.pending.push_back(frame);
        }
    }

    /// Reads until the server closes; returns the close code.
    pub async fn closed_with(&mut self) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.closed.is_none() {
            match tokio::time::timeout_at(deadline, self.read()).await {
                Ok(Some(frame)) => self.pending.push_back(frame),
                Ok(None) => break,
                Err(_) => panic!("the server did not close the connection"),
            }
        }
        self.closed
    }

    /// Frames received so far and not asked for, removing them.
    pub fn drain(&mut self) -> Vec<Value> {
        self.pending.drain(..).collect()
    }

    fn take(&mut self, pred: &impl Fn(&Value) -> bool) -> Option<Value> {
        let index = self.pending.iter().position(pred)?;
        self.pending.remove(index)
    }

    /// The next JSON frame, or None once closed.
    async fn read(&mut self) -> Option<Value> {
        loop {
            match self.socket.next().await {
                Some(Ok(Message::Text(text))) => return Some(self.checked(&text)),
                Some(Ok(Message::Close(frame))) => {
                    self.closed = Some(frame.map_or(1005, |f| u16::from(f.code)));
                    return None;
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => {
                    self.closed.get_or_insert(1006);
                    return None;
                }
            }
        }
    }

    /// A frame the server sent, checked against the document: an answer against what its
    /// request may get, any other frame against the messages of its type. Panics otherwise.
    fn checked(&mut self, text: &str) -> Value {
        let gateway = asyncapi::gateway();
        let frame = asyncapi::parse(text).unwrap_or_else(|problem| {
            panic!("a server frame breaks openapi/asyncapi.yaml: {problem}")
        });
        let answered = match (&frame["type"], frame["id"].as_str()) {
            (Value::String(t), Some(id)) if t == "ack" || t == "error" => Some(id),
            _ => None,
        };
        let Some(id) = answered else {
            match gateway.check_frame(&frame) {
                Ok(key) => self.matched.insert(key.to_owned()),
                Err(problem) => panic!("a server frame breaks openapi/asyncapi.yaml: {problem}"),
            };
            if let Some(kind) = frame["event"]["type"].as_str() {
                self.matched.insert(format!("event:{kind}"));
            }
            return frame;
        };
        let requests = self
            .unanswered
            .get_mut(id)
            .unwrap_or_else(|| panic!("an answer to no request sent on this connection: {text}"));
        let checks: Vec<_> = requests
            .iter()
            .map(|request| gateway.check_answer(request, &frame))
            .collect();
        match checks.iter().position(Result::is_ok) {
            Some(i) => {
                if let Ok(key) = &checks[i] {
                    self.matched.insert((*key).to_owned());
                }
                requests.remove(i);
                if requests.is_empty() {
                    self.unanswered.remove(id);
                }
            }
            None => panic!(
                "the answer to a `{}` request breaks openapi/asyncapi.yaml: {}\n  request: {}\n  answer: {text}",
                requests[0]["type"].as_str().unwrap_or("?"),
                checks[0].as_ref().unwrap_err(),
                requests[0],
            ),
        }
        frame
    }

    /// Closes from the client side.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}
