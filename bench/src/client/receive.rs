//! What a connection does with frames from the server: records each of this run's messages
//! once per connection with its delivery latency, passes answers to `send` frames on to the
//! sender, and acknowledges receipt (`received`) every so often, as a real client does.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::ticks::Ticks;
use super::{Ack, Frame, Progress, ReceiptMode, Shared};
use crate::message;

/// Unexpected frames reported on stderr per connection before going quiet.
const ERRORS_SHOWN: u64 = 3;

/// What one connection saw.
#[derive(Debug, Default)]
pub struct Received {
    /// Keys (`MessageId::key`) of this run's messages that arrived. The keys are the bench's
    /// own numbers, so a fast hash does (SipHash guards against chosen keys).
    pub seen: HashSet<u64, foldhash::fast::RandomState>,
    /// When the last of them arrived, in microseconds since the run's counters started.
    pub last_delivery_us: u64,
    /// Delivery latency of each first arrival, in microseconds.
    pub latencies_us: Vec<u32>,
    /// Arrivals of a message already seen.
    pub duplicated: u64,
    /// Events whose stream position did not increase.
    pub out_of_order: u64,
    /// Error frames not about a `send`, and unreadable frames.
    pub errors: u64,
    /// Times the connection resumed on a new socket, by why the old one ended.
    pub resumes: BTreeMap<String, u64>,
    /// Why the connection ended before the run did, if it did.
    pub closed: Option<String>,
    /// With `--receipts`: microseconds from sending each of this device's messages until
    /// every other member had it.
    pub delivered_to_all_us: Vec<u32>,
}

/// The receiving state of a connection, kept across resumes.
#[derive(Debug)]
pub(super) struct Receiver {
    received: Received,
    progress: Arc<Progress>,
    prefix: Arc<str>,
    out: mpsc::UnboundedSender<Message>,
    acks: mpsc::UnboundedSender<Ack>,
    /// Stream position of the last event: where a resume starts from.
    last_pos: i64,
    /// The `hello` was acknowledged, then the snapshot (or `synced`) arrived.
    hello_acked: bool,
    synced: bool,
    unreceipted: u32,
    receipts: u64,
    mode: ReceiptMode,
    received_ids: bool,
    ticks: Ticks,
}

impl Receiver {
    pub fn new(
        shared: &Shared,
        out: mpsc::UnboundedSender<Message>,
        acks: mpsc::UnboundedSender<Ack>,
    ) -> Self {
        Self {
            received: Received::default(),
            progress: shared.progress.clone(),
            prefix: shared.prefix.clone(),
            out,
            acks,
            last_pos: 0,
            hello_acked: false,
            synced: false,
            unreceipted: 0,
            receipts: 0,
            mode: shared.receipts,
            received_ids: shared.received_ids,
            ticks: Ticks::default(),
        }
    }

    /// A `hello` was just sent.
    pub fn expect_hello(&mut self) {
        self.hello_acked = false;
        self.synced = false;
    }

    /// The connection is ready: caught up after `hello`.
    pub fn synced(&self) -> bool {
        self.synced
    }

    /// The socket ended (`why`): counts it; returns the position to resume after, unless
    /// this connection has already resumed `max` times.
    pub fn resuming(&mut self, why: &str, max: u64) -> Option<i64> {
        let resumes: u64 = self.received.resumes.values().sum();
        if resumes >= max {
            return None;
        }
        *self.received.resumes.entry(why.to_owned()).or_default() += 1;
        Progress::bump(&self.progress.resumes, 1);
        Some(self.last_pos)
    }

    /// A new socket replaced the old one: the sender must repeat what was unanswered.
    pub fn reconnected(&self) {
        let _ = self.acks.send(Ack::Reconnected);
    }

    /// Handles one text frame; an error only for a refused `hello`.
    pub fn frame(&mut self, text: &str) -> Result<()> {
        let frame: Frame =
            serde_json::from_str(text).with_context(|| format!("unreadable frame: {text}"))?;
        let request = frame.id.as_deref();
        match (&*frame.kind, request) {
            ("event", _) => {
                if let Some(event) = frame.event {
                    let own = event.txn_id.is_some();
                    let text = event.content.and_then(|c| c.text);
                    let room = event.room_id.as_deref().unwrap_or("");
                    self.event(
                        event.pos,
                        &event.kind,
                        text.as_deref(),
                        own.then_some((room, event.seq)),
                    );
                }
            }
            ("receipts", _) if self.mode == ReceiptMode::EveryBurst => {
                let value: serde_json::Value = serde_json::from_str(text)?;
                let now = message::unix_nanos();
                for sent in self.ticks.receipts(&value) {
                    let us = now.saturating_sub(sent) / 1000;
                    self.received
                        .delivered_to_all_us
                        .push(u32::try_from(us).unwrap_or(u32::MAX));
                }
            }
            ("snapshot", _) if self.hello_acked => {
                if self.mode == ReceiptMode::EveryBurst {
                    self.ticks.snapshot(&serde_json::from_str(text)?);
                }
                self.synced = true;
                // A snapshot starts afresh: only later events are owed to this position.
                self.last_pos = self.last_pos.max(frame.pos.unwrap_or(0));
            }
            ("synced", _) if self.hello_acked => self.synced = true,
            ("ack", Some("h")) => self.hello_acked = true,
            ("error", Some("h")) => bail!("hello refused: {text}"),
            ("ack", Some(id)) => {
                if let Some(req) = send_request(id) {
                    self.answer(req, Ok(frame.duplicate.unwrap_or(false)));
                }
            }
            ("error", Some(id)) if send_request(id).is_some() => {
                let code = match frame.code {
                    Some(serde_json::Value::String(code)) => code,
                    other => format!("{other:?}"),
                };
                if Progress::get(&self.progress.errors) < ERRORS_SHOWN {
                    let why = frame.message.unwrap_or_default();
                    eprintln!("warning: send refused: {code}: {why}");
                }
                if let Some(req) = send_request(id) {
                    self.answer(req, Err(code));
                }
            }
            ("error", _) => self.error(text),
            _ => {}
        }
        Ok(())
    }

    fn answer(&self, req: u64, outcome: Result<bool, String>) {
        let at = Instant::now();
        let _ = self.acks.send(Ack::Answer { req, at, outcome });
    }

    /// An event; `own` is its room and seq when it is this device's own message.
    fn event(&mut self, pos: i64, kind: &str, text: Option<&str>, own: Option<(&str, i64)>) {
        if pos <= self.last_pos {
            self.received.out_of_order += 1;
        }
        self.last_pos = self.last_pos.max(pos);
        let ours = (kind == "message")
            .then_some(text)
            .flatten()
            .and_then(|text| message::decode(&self.prefix, text));
        if let Some((id, sent_nanos)) = ours {
            let now = message::unix_nanos();
            let latency_us = now.saturating_sub(sent_nanos) / 1000;
            if self.received.seen.insert(id.key()) {
                self.received
                    .latencies_us
                    .push(u32::try_from(latency_us).unwrap_or(u32::MAX));
                self.received.last_delivery_us = self.progress.us_since_start(now);
                Progress::bump(&self.progress.delivered, 1);
                if let (Some((room, seq)), ReceiptMode::EveryBurst) = (own, self.mode) {
                    self.ticks.own_message(room, seq, sent_nanos);
                }
            } else {
                self.received.duplicated += 1;
                Progress::bump(&self.progress.duplicated, 1);
            }
        }
        self.unreceipted += 1;
        if let ReceiptMode::Every(every) = self.mode
            && self.unreceipted >= every
        {
            self.acknowledge();
        }
    }

    /// The frames that were ready have been read: in `--receipts` mode, acknowledge them.
    pub fn burst_end(&mut self) {
        if self.mode == ReceiptMode::EveryBurst && self.unreceipted > 0 {
            self.acknowledge();
        }
    }

    /// Sends `received` up to the last position held.
    fn acknowledge(&mut self) {
        self.unreceipted = 0;
        self.receipts += 1;
        let frame = if self.received_ids {
            format!(
                r#"{{"type":"received","id":"r{}","pos":{}}}"#,
                self.receipts, self.last_pos
            )
        } else {
            format!(r#"{{"type":"received","pos":{}}}"#, self.last_pos)
        };
        let _ = self.out.send(Message::text(frame));
    }

    /// An unexpected frame.
    pub fn error(&mut self, text: &str) {
        self.received.errors += 1;
        Progress::bump(&self.progress.errors, 1);
        if self.received.errors <= ERRORS_SHOWN {
            eprintln!("warning: unexpected frame: {text}");
        }
    }

    /// The connection ended before the run did.
    pub fn ended(&mut self, why: String) {
        Progress::bump(&self.progress.disconnects, 1);
        eprintln!("warning: {why}");
        self.received.closed = Some(why);
    }

    pub fn finish(self) -> Received {
        self.received
    }
}

/// The request number of a `send` frame's id (`s<n>`).
fn send_request(id: &str) -> Option<u64> {
    id.strip_prefix('s')?.parse().ok()
}
