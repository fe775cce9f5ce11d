//! One WebSocket connection to the gateway: connect and say `hello`, wait for the snapshot,
//! then run a writer task (frames go out in batches, one flush per batch) and a receiver task
//! that records every delivery. A sender, if the connection has one, runs `send::send`.

mod receive;
mod send;

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use receive::Received;
pub use send::{SendPlan, Sent, send};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// tungstenite's default read buffer (128 KiB, zero-filled on every read) costs memory and
/// CPU; 4 KiB is plenty for chat frames.
const READ_BUFFER: usize = 4096;

/// How long `hello` may take to be answered with the snapshot.
const HELLO_TIMEOUT: Duration = Duration::from_secs(60);

/// Run-wide counters, for the progress line and for knowing when the drain is done.
#[derive(Debug)]
pub struct Progress {
    start: Instant,
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    /// Deliveries of this run's messages, first copy per connection only.
    pub delivered: AtomicU64,
    pub duplicated: AtomicU64,
    /// Deliveries owed: acked messages times the connections in their room.
    pub expected: AtomicU64,
    /// Error frames, refused sends, duplicate acks.
    pub errors: AtomicU64,
    /// Connections the server closed or that broke during the run.
    pub disconnects: AtomicU64,
    /// Microseconds since `start` of the last ack and the last delivery.
    pub last_ack_us: AtomicU64,
    pub last_delivery_us: AtomicU64,
}

impl Progress {
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            sent: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            duplicated: AtomicU64::new(0),
            expected: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            disconnects: AtomicU64::new(0),
            last_ack_us: AtomicU64::new(0),
            last_delivery_us: AtomicU64::new(0),
        }
    }

    /// Microseconds since the counters were created.
    pub fn now_us(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    fn stamp(&self, field: &AtomicU64) {
        field.fetch_max(self.now_us(), Ordering::Relaxed);
    }
}

/// What every connection of a run shares.
#[derive(Debug, Clone)]
pub struct Shared {
    /// Recognises this run's messages.
    pub prefix: Arc<str>,
    pub progress: Arc<Progress>,
    /// Becomes true when the receivers should stop and report.
    pub stop: watch::Receiver<bool>,
}

/// A server acknowledgement (or refusal) of one `send`, for its sender.
#[derive(Debug)]
pub struct Ack {
    pub req: u64,
    pub at: Instant,
    /// `Ok(duplicate)` or `Err(error code)`.
    pub outcome: Result<bool, String>,
}

/// The frames the bench reads; every other field is skipped.
#[derive(Debug, Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    event: Option<EventBody<'a>>,
    #[serde(default)]
    duplicate: Option<bool>,
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default, borrow)]
    message: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
struct EventBody<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default)]
    pos: i64,
    #[serde(default, borrow)]
    content: Option<Content<'a>>,
}

#[derive(Debug, Deserialize)]
struct Content<'a> {
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
}

/// An open, authenticated connection.
#[derive(Debug)]
pub struct Connection {
    /// Frames to send.
    pub out: mpsc::UnboundedSender<Message>,
    /// Acks of `send` frames, for the connection's sender (taken by it).
    pub acks: Option<mpsc::UnboundedReceiver<Ack>>,
    reader: JoinHandle<Received>,
    writer: JoinHandle<()>,
}

impl Connection {
    /// Once `stop` is set: the receiver's record; the connection is then closed.
    pub async fn finish(self) -> Received {
        let Self {
            out,
            reader,
            writer,
            ..
        } = self;
        let received = reader.await.unwrap_or_default();
        drop(out);
        let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
        received
    }
}

/// Opens a connection, authenticates with `token` and waits for the snapshot.
pub async fn connect(url: &str, token: &str, shared: &Shared) -> Result<Connection> {
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let (mut sink, mut stream) = ws.split();
    let hello = serde_json::json!({ "type": "hello", "id": "h", "token": token });
    sink.send(Message::text(hello.to_string())).await?;
    tokio::time::timeout(HELLO_TIMEOUT, await_snapshot(&mut stream))
        .await
        .context("no snapshot in time after hello")??;
    let (out, out_rx) = mpsc::unbounded_channel();
    let (acks_tx, acks) = mpsc::unbounded_channel();
    let writer = tokio::spawn(write(sink, out_rx));
    let reader = tokio::spawn(receive::receive(
        stream,
        out.clone(),
        acks_tx,
        shared.clone(),
    ));
    Ok(Connection {
        out,
        acks: Some(acks),
        reader,
        writer,
    })
}

/// Reads the `hello` ack and then the snapshot.
async fn await_snapshot(stream: &mut SplitStream<Ws>) -> Result<()> {
    let mut acked = false;
    while let Some(message) = stream.next().await {
        match message? {
            Message::Text(text) => {
                let frame: Frame = serde_json::from_str(text.as_str())
                    .with_context(|| format!("unreadable frame: {}", text.as_str()))?;
                match &*frame.kind {
                    "ack" if frame.id.as_deref() == Some("h") => acked = true,
                    "error" => bail!("hello refused: {}", text.as_str()),
                    "snapshot" | "synced" if acked => return Ok(()),
                    _ => {}
                }
            }
            Message::Close(close) => bail!("closed during hello: {close:?}"),
            _ => {}
        }
    }
    bail!("connection ended during hello")
}

/// Sends queued frames, flushing once per batch; closes the socket when the queue closes.
async fn write(mut sink: SplitSink<Ws, Message>, mut queue: mpsc::UnboundedReceiver<Message>) {
    while let Some(first) = queue.recv().await {
        if sink.feed(first).await.is_err() {
            return;
        }
        while let Ok(next) = queue.try_recv() {
            if sink.feed(next).await.is_err() {
                return;
            }
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
    let _ = sink.close().await;
}
