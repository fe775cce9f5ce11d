//! One logical connection to the gateway: connect and say `hello`, wait for the snapshot,
//! then a task (`socket`) that records every delivery and resumes, as a real client does,
//! when the server closes the socket as too slow. A sender, if the connection has one, runs
//! `send::send` beside it.

mod receive;
mod send;
mod socket;
mod ticks;

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;
use serde::Deserialize;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

pub use receive::Received;
use receive::Receiver;
pub use send::{SendPlan, Sent, send};

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
    /// Connections the server closed or that broke during the run (and did not resume).
    pub disconnects: AtomicU64,
    /// Times a connection was closed as too slow and resumed.
    pub resumes: AtomicU64,
    /// Microseconds since `start` of the last ack.
    pub last_ack_us: AtomicU64,
    /// `start` on the wall clock, in nanoseconds since the Unix epoch: deliveries are timed
    /// on that clock (the send time travels in the message). Read together with `start`, so
    /// times on either clock compare unless the wall clock is stepped during the run.
    start_unix_ns: u64,
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
            resumes: AtomicU64::new(0),
            last_ack_us: AtomicU64::new(0),
            start_unix_ns: crate::message::unix_nanos(),
        }
    }

    /// Microseconds since the counters were created.
    pub fn now_us(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// Microseconds since `start` of a wall-clock time (nanoseconds since the Unix epoch).
    pub fn us_since_start(&self, unix_ns: u64) -> u64 {
        unix_ns.saturating_sub(self.start_unix_ns) / 1000
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
    /// How devices acknowledge what they received.
    pub receipts: ReceiptMode,
    /// Whether `received` frames carry an `id`.
    pub received_ids: bool,
}

/// When a device sends `received`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptMode {
    /// After this many events.
    Every(u32),
    /// After each burst of frames read (and senders time delivery to every member).
    EveryBurst,
}

/// What a sender hears from its connection.
#[derive(Debug)]
pub enum Ack {
    /// The server's answer to request `req`: `Ok(duplicate)` or `Err(error code)`.
    Answer {
        req: u64,
        at: Instant,
        outcome: Result<bool, String>,
    },
    /// The socket was replaced: answers to earlier requests will not come; send them again.
    Reconnected,
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
    /// A snapshot's stream position.
    #[serde(default)]
    pos: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct EventBody<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default)]
    pos: i64,
    #[serde(default)]
    seq: i64,
    #[serde(default, borrow)]
    room_id: Option<Cow<'a, str>>,
    /// Present only on the sender's own devices' copies.
    #[serde(default, borrow)]
    txn_id: Option<Cow<'a, str>>,
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
    /// Answers to `send` frames, for the connection's sender (taken by it).
    pub acks: Option<mpsc::UnboundedReceiver<Ack>>,
    task: JoinHandle<Received>,
}

impl Connection {
    /// Once `stop` is set: what the connection received; the socket is then closed.
    pub async fn finish(self) -> Received {
        drop(self.out);
        self.task.await.unwrap_or_default()
    }
}

/// Opens a connection, authenticates with `token` and waits for the snapshot.
pub async fn connect(url: &str, token: &str, shared: &Shared) -> Result<Connection> {
    let (out, queue) = mpsc::unbounded_channel();
    let (acks_tx, acks) = mpsc::unbounded_channel();
    let mut receiver = Receiver::new(shared, out.clone(), acks_tx);
    let socket = socket::open(url, token, None, &mut receiver).await?;
    let task = tokio::spawn(socket::drive(
        socket,
        queue,
        receiver,
        socket::Login {
            url: url.to_owned(),
            token: token.to_owned(),
        },
        shared.stop.clone(),
    ));
    Ok(Connection {
        out,
        acks: Some(acks),
        task,
    })
}
