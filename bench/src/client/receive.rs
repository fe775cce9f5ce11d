//! The receiving half of a connection: records each of this run's messages once per
//! connection with its delivery latency, passes acks to the sender, and acknowledges
//! receipt (`received`) every so often, as a real client does.

use std::collections::HashSet;

use futures_util::StreamExt as _;
use futures_util::stream::SplitStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::{Ack, Frame, Progress, Shared, Ws};
use crate::message;

/// Send a `received` frame after this many events.
const RECEIPT_EVERY: u32 = 100;

/// Error frames reported on stderr per connection before going quiet.
const ERRORS_SHOWN: u64 = 3;

/// What one connection saw.
#[derive(Debug, Default)]
pub struct Received {
    /// Keys (`MessageId::key`) of this run's messages that arrived.
    pub seen: HashSet<u64>,
    /// Delivery latency of each first arrival, in microseconds.
    pub latencies_us: Vec<u32>,
    /// Arrivals of a message already seen.
    pub duplicated: u64,
    /// Events whose stream position did not increase.
    pub out_of_order: u64,
    /// Error frames not about a `send`.
    pub errors: u64,
    /// Why the connection ended before the run did, if it did.
    pub closed: Option<String>,
}

pub(super) async fn receive(
    mut stream: SplitStream<Ws>,
    out: mpsc::UnboundedSender<Message>,
    acks: mpsc::UnboundedSender<Ack>,
    mut shared: Shared,
) -> Received {
    let mut state = Receiver {
        received: Received::default(),
        progress: &shared.progress,
        prefix: &shared.prefix,
        out: &out,
        acks: &acks,
        last_pos: 0,
        unreceipted: 0,
        receipts: 0,
    };
    loop {
        tokio::select! {
            biased;
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => state.frame(text.as_str()),
                Some(Ok(Message::Close(close))) => {
                    state.ended(format!("closed by the server: {close:?}"));
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(err)) => {
                    state.ended(format!("connection error: {err}"));
                    break;
                }
                None => {
                    state.ended("connection ended".to_owned());
                    break;
                }
            },
            _ = shared.stop.wait_for(|stop| *stop) => break,
        }
    }
    state.received
}

struct Receiver<'a> {
    received: Received,
    progress: &'a Progress,
    prefix: &'a str,
    out: &'a mpsc::UnboundedSender<Message>,
    acks: &'a mpsc::UnboundedSender<Ack>,
    last_pos: i64,
    unreceipted: u32,
    receipts: u64,
}

impl Receiver<'_> {
    fn frame(&mut self, text: &str) {
        let Ok(frame) = serde_json::from_str::<Frame>(text) else {
            self.error(text);
            return;
        };
        match &*frame.kind {
            "event" => {
                if let Some(event) = frame.event {
                    let text = event.content.and_then(|c| c.text);
                    self.event(event.pos, &event.kind, text.as_deref());
                }
            }
            "ack" => {
                if let Some(req) = send_request(frame.id.as_deref()) {
                    let outcome = Ok(frame.duplicate.unwrap_or(false));
                    let _ = self.acks.send(Ack {
                        req,
                        at: Instant::now(),
                        outcome,
                    });
                }
            }
            "error" => match send_request(frame.id.as_deref()) {
                Some(req) => {
                    let code = match frame.code {
                        Some(serde_json::Value::String(code)) => code,
                        other => format!("{other:?}"),
                    };
                    if Progress::get(&self.progress.errors) < ERRORS_SHOWN {
                        let why = frame.message.unwrap_or_default();
                        eprintln!("warning: send refused: {code}: {why}");
                    }
                    let _ = self.acks.send(Ack {
                        req,
                        at: Instant::now(),
                        outcome: Err(code),
                    });
                }
                None => self.error(text),
            },
            _ => {}
        }
    }

    fn event(&mut self, pos: i64, kind: &str, text: Option<&str>) {
        if pos <= self.last_pos {
            self.received.out_of_order += 1;
        }
        self.last_pos = self.last_pos.max(pos);
        let ours = (kind == "message")
            .then_some(text)
            .flatten()
            .and_then(|text| message::decode(self.prefix, text));
        if let Some((id, sent_nanos)) = ours {
            let latency_us = message::unix_nanos().saturating_sub(sent_nanos) / 1000;
            if self.received.seen.insert(id.key()) {
                self.received
                    .latencies_us
                    .push(u32::try_from(latency_us).unwrap_or(u32::MAX));
                Progress::bump(&self.progress.delivered, 1);
                self.progress.stamp(&self.progress.last_delivery_us);
            } else {
                self.received.duplicated += 1;
                Progress::bump(&self.progress.duplicated, 1);
            }
        }
        self.unreceipted += 1;
        if self.unreceipted >= RECEIPT_EVERY {
            self.unreceipted = 0;
            self.receipts += 1;
            let frame = format!(
                r#"{{"type":"received","id":"r{}","pos":{}}}"#,
                self.receipts, self.last_pos
            );
            let _ = self.out.send(Message::text(frame));
        }
    }

    fn error(&mut self, text: &str) {
        self.received.errors += 1;
        Progress::bump(&self.progress.errors, 1);
        if self.received.errors <= ERRORS_SHOWN {
            eprintln!("warning: unexpected frame: {text}");
        }
    }

    fn ended(&mut self, why: String) {
        Progress::bump(&self.progress.disconnects, 1);
        eprintln!("warning: {why}");
        self.received.closed = Some(why);
    }
}

/// The request number of a `send` frame's id (`s<n>`).
fn send_request(id: Option<&str>) -> Option<u64> {
    id?.strip_prefix('s')?.parse().ok()
}
