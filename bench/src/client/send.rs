//! The send loop of one sender: as fast as the in-flight window allows, or paced, until the
//! deadline or the quota; then it waits (up to the drain timeout) for the outstanding acks.
//! When the connection resumes on a new socket, unanswered sends go again with the same
//! `txn_id`, so the server stores each message once (the repeat is acked as a duplicate).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

use super::{Ack, Progress};
use crate::message::{self, MessageId};

/// What one sender does.
#[derive(Debug, Clone)]
pub struct SendPlan {
    /// This sender's index in the run (part of every message id).
    pub sender: u32,
    pub room_id: String,
    /// Connections in the room, each owed one delivery per accepted message.
    pub recipients: u64,
    /// Stop after this many messages.
    pub quota: Option<u64>,
    /// Stop sending at this moment.
    pub deadline: Option<Instant>,
    /// Send one message per `.0`, starting `.1` from now; unpaced if `None`.
    pub pace: Option<(Duration, Duration)>,
    /// Most sends awaiting their ack.
    pub in_flight: usize,
    /// How long to wait for outstanding acks after the last send.
    pub drain_timeout: Duration,
}

/// What one sender did.
#[derive(Debug, Default)]
pub struct Sent {
    pub sent: u64,
    /// Sequence numbers of the messages the server accepted.
    pub acked: Vec<u32>,
    /// Send-to-ack time of each accepted message, in microseconds.
    pub ack_latencies_us: Vec<u32>,
    /// Acks that said `duplicate: true` to a message sent only once (never expected: every
    /// txn_id is new).
    pub duplicate_acks: u64,
    /// Sends repeated after a resume.
    pub resent: u64,
    /// Refused sends by error code.
    pub refused: BTreeMap<String, u64>,
    /// Sends never answered.
    pub unacked: u64,
}

/// Runs `plan`, writing frames to `out` and reading answers from `acks`.
pub async fn send(
    plan: SendPlan,
    prefix: Arc<str>,
    progress: Arc<Progress>,
    out: mpsc::UnboundedSender<Message>,
    mut acks: mpsc::UnboundedReceiver<Ack>,
) -> Sent {
    let mut sender = Sender {
        plan,
        prefix,
        progress,
        out,
        sent: Sent::default(),
        pending: HashMap::new(),
        seq: 0,
        resent: HashSet::new(),
    };
    let mut pacer = sender.plan.pace.map(|(every, offset)| {
        let mut pacer = tokio::time::interval_at(Instant::now() + offset, every);
        pacer.set_missed_tick_behavior(MissedTickBehavior::Burst);
        pacer
    });
    let far = Instant::now() + Duration::from_secs(365 * 86_400);
    let deadline = sender.plan.deadline.unwrap_or(far);
    while sender.sending() {
        let window_open = sender.pending.len() < sender.plan.in_flight;
        tokio::select! {
            biased;
            ack = acks.recv() => match ack {
                Some(ack) => sender.answered(ack),
                None => break,
            },
            () = tick(&mut pacer), if window_open => {
                if !sender.send_one() {
                    break;
                }
            }
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
    let drained = Instant::now() + sender.plan.drain_timeout;
    while !sender.pending.is_empty() {
        tokio::select! {
            ack = acks.recv() => match ack {
                Some(ack) => sender.answered(ack),
                None => break,
            },
            () = tokio::time::sleep_until(drained) => break,
        }
    }
    sender.sent.unacked = sender.pending.len() as u64;
    sender.sent
}

/// Waits for the next paced slot; at once when unpaced.
async fn tick(pacer: &mut Option<Interval>) {
    if let Some(pacer) = pacer {
        pacer.tick().await;
    }
}

struct Sender {
    plan: SendPlan,
    prefix: Arc<str>,
    progress: Arc<Progress>,
    out: mpsc::UnboundedSender<Message>,
    sent: Sent,
    /// Request number → (message seq, first send time, frame).
    pending: HashMap<u64, (u32, Instant, String)>,
    seq: u32,
    /// Requests sent more than once.
    resent: HashSet<u64>,
}

impl Sender {
    fn sending(&self) -> bool {
        self.plan.deadline.is_none_or(|d| Instant::now() < d)
            && self.plan.quota.is_none_or(|q| self.sent.sent < q)
    }

    /// Sends the next message; false if the connection is gone.
    fn send_one(&mut self) -> bool {
        let id = MessageId {
            sender: self.plan.sender,
            seq: self.seq,
        };
        self.seq += 1;
        let req = self.sent.sent;
        let text = message::encode(&self.prefix, id, message::unix_nanos());
        let frame = serde_json::json!({
            "type": "send",
            "id": format!("s{req}"),
            "room_id": self.plan.room_id,
            "txn_id": format!("{}-{}-{}", self.prefix, id.sender, id.seq),
            "text": text,
        });
        let frame = frame.to_string();
        self.pending
            .insert(req, (id.seq, Instant::now(), frame.clone()));
        self.sent.sent += 1;
        Progress::bump(&self.progress.sent, 1);
        self.out.send(Message::text(frame)).is_ok()
    }

    fn answered(&mut self, ack: Ack) {
        let (req, at, outcome) = match ack {
            Ack::Answer { req, at, outcome } => (req, at, outcome),
            Ack::Reconnected => {
                for (req, (_, _, frame)) in &self.pending {
                    self.resent.insert(*req);
                    self.sent.resent += 1;
                    let _ = self.out.send(Message::text(frame.clone()));
                }
                return;
            }
        };
        let Some((seq, sent_at, _)) = self.pending.remove(&req) else {
            return;
        };
        let outcome = match outcome {
            // A repeat after a resume: the first try had been stored.
            Ok(true) if self.resent.contains(&req) => Ok(false),
            other => other,
        };
        match outcome {
            Ok(false) => {
                self.sent.acked.push(seq);
                let latency = at.saturating_duration_since(sent_at).as_micros();
                self.sent
                    .ack_latencies_us
                    .push(u32::try_from(latency).unwrap_or(u32::MAX));
                Progress::bump(&self.progress.acked, 1);
                Progress::bump(&self.progress.expected, self.plan.recipients);
                self.progress.stamp(&self.progress.last_ack_us);
            }
            Ok(true) => {
                self.sent.duplicate_acks += 1;
                Progress::bump(&self.progress.errors, 1);
            }
            Err(code) => {
                *self.sent.refused.entry(code).or_default() += 1;
                Progress::bump(&self.progress.errors, 1);
            }
        }
    }
}
