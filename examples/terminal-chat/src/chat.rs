//! What the chat shows and what it answers: every server frame is printed as one line (or
//! none), and turned into the frames it calls for (`received` for a message that arrived,
//! `read` once it has been seen). Kept apart from the socket, so it can be reasoned about
//! frame by frame.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// How far a message of mine has come. Ordered: each state implies the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tick {
    /// The server stored it.
    Sent,
    /// One of the other person's devices has it.
    Delivered,
    /// The other person saw it.
    Read,
}

/// Someone who has not typed for this long is not looking: what arrives meanwhile is read
/// when they next type.
const AWAY_AFTER: Duration = Duration::from_secs(5 * 60);

/// The chat with one person, in one room.
#[derive(Debug)]
pub struct Chat {
    me: String,
    peer: String,
    room_id: String,
    /// How long a message is on screen (while the user is there) before it counts as read.
    read_delay: Duration,
    /// Blue read ticks (a terminal that is not told `NO_COLOR`).
    color: bool,
    /// The `pos` of the last event received: where to resume.
    pub since: Option<i64>,
    next_id: u64,
    /// Starts the `txn_id` of every message sent by this run.
    txn_prefix: String,
    /// Messages sent and not answered yet, by request id: sent again, with the same
    /// `txn_id` (so never stored twice), after a reconnect.
    unanswered: BTreeMap<String, Value>,
    /// My messages of this run, by `seq`, with the tick shown.
    mine: BTreeMap<i64, Tick>,
    /// The highest `seq` of the other person's messages printed.
    shown: i64,
    /// When to report what is on screen as read (None: nothing to report, or the user is
    /// away and it waits until they type).
    read_at: Option<Instant>,
    /// The highest `seq` a `read` was sent for on this connection.
    read_sent: i64,
    /// The highest `seq` the server has as read (what is sent again after a reconnect).
    read_acked: i64,
    /// When the user last typed (or started the program).
    last_active: Instant,
    /// The other person's presence as last shown.
    peer_online: Option<bool>,
}

impl Chat {
    pub fn new(me: String, peer: String, room_id: String, read_delay: Duration) -> Self {
        use std::io::IsTerminal as _;
        let started = now_ms();
        Self {
            me,
            peer,
            room_id,
            read_delay,
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            since: None,
            next_id: 0,
            txn_prefix: format!("chat-{}-{started}-", std::process::id()),
            unanswered: BTreeMap::new(),
            mine: BTreeMap::new(),
            shown: 0,
            read_at: None,
            read_sent: 0,
            read_acked: 0,
            last_active: Instant::now(),
            peer_online: None,
        }
    }

    pub fn room_id(&self) -> &str {
        &self.room_id
    }

    fn id(&mut self, kind: &str) -> String {
        self.next_id += 1;
        format!("{kind}-{}", self.next_id)
    }

    /// A line the user typed (not `/quit`): the frames to send.
    pub fn typed(&mut self, line: &str) -> Vec<Value> {
        self.last_active = Instant::now();
        // Whoever types is looking at the chat: what is on screen has been seen.
        let mut frames: Vec<Value> = self.read_now().into_iter().collect();
        match line.trim() {
            "" => {}
            "/typing" => {
                let id = self.id("typing");
                frames.push(
                    json!({ "type": "typing", "id": id, "room_id": self.room_id, "typing": true }),
                );
            }
            text => {
                let id = self.id("send");
                let txn_id = format!("{}{}", self.txn_prefix, self.next_id);
                let frame = json!({ "type": "send", "id": id, "room_id": self.room_id, "txn_id": txn_id, "text": text });
                self.unanswered.insert(id, frame.clone());
                frames.push(frame);
            }
        }
        frames
    }

    /// The connection said hello back: what to send again.
    pub fn connected(&mut self) -> Vec<Value> {
        // A read sent on the connection that was lost may never have arrived.
        self.read_sent = self.read_acked;
        if self.shown > self.read_sent {
            self.read_at = Some(Instant::now());
        }
        self.unanswered.values().cloned().collect()
    }

    /// When the next `read` is due, if one is.
    pub fn read_due(&self) -> Option<Instant> {
        self.read_at
    }

    /// The read delay is over: what is on screen is read if the user is there; otherwise it
    /// waits until they type.
    pub fn read_timer(&mut self) -> Option<Value> {
        self.read_at = None;
        if self.last_active.elapsed() < AWAY_AFTER {
            self.read_now()
        } else {
            None
        }
    }

    fn read_now(&mut self) -> Option<Value> {
        self.read_at = None;
        let seq = self.shown;
        if seq <= self.read_sent {
            return None;
        }
        self.read_sent = seq;
        let id = self.id("read");
        Some(json!({ "type": "read", "id": id, "room_id": self.room_id, "seq": seq }))
    }

    /// A message of the other person's is on screen now.
    fn displayed(&mut self, seq: i64) {
        self.shown = self.shown.max(seq);
        self.read_at = Some(Instant::now() + self.read_delay);
    }

    /// Prints one of the other person's messages (once, by `seq`).
    fn print_message(&mut self, event: &Value) {
        let seq = event["seq"].as_i64().unwrap_or(0);
        if seq <= self.shown {
            return;
        }
        println!(
            "[{}] {}",
            self.peer,
            event["content"]["text"].as_str().unwrap_or("")
        );
        self.displayed(seq);
    }

    /// Messages fetched over REST (the unread ones, after a snapshot), in `seq` order.
    pub fn history(&mut self, events: &[Value]) {
        for event in events {
            if event["type"] == "message" && event["sender"] == self.peer.as_str() {
                if event["deleted"] == true {
                    continue;
                }
                self.print_message(event);
            }
        }
    }

    /// One server frame: prints it and returns the frames it calls for. A snapshot also
    /// returns my read position in the room, after which the unread messages are to be
    /// fetched ([`Self::history`]).
    pub fn frame(&mut self, frame: &Value) -> (Vec<Value>, Option<i64>) {
        let mut out = Vec::new();
        match frame["type"].as_str().unwrap_or("") {
            "ack" => self.ack(frame),
            "error" => {
                let text = format!(
                    "{} ({})",
                    frame["message"].as_str().unwrap_or(""),
                    frame["code"].as_str().unwrap_or("")
                );
                match frame["id"].as_str() {
                    Some(id) if self.unanswered.remove(id).is_some() => {
                        println!("  ✗ not sent: {text}");
                    }
                    _ => println!("  error: {text}"),
                }
            }
            "snapshot" => {
                self.since = frame["pos"].as_i64();
                let room = frame["rooms"]
                    .as_array()
                    .and_then(|rooms| rooms.iter().find(|r| r["room_id"] == self.room_id.as_str()));
                let unread = room.and_then(|r| r["unread_count"].as_i64()).unwrap_or(0);
                let read_up_to = room.and_then(|r| r["read_up_to"].as_i64()).unwrap_or(0);
                self.read_acked = self.read_acked.max(read_up_to);
                self.read_sent = self.read_sent.max(read_up_to);
                println!("(connected; {unread} unread)");
                for entry in frame["presence"].as_array().into_iter().flatten() {
                    self.presence(entry);
                }
                return (out, (unread > 0).then_some(read_up_to));
            }
            "synced" => println!("(reconnected; caught up)"),
            "event" => out.extend(self.event(&frame["event"])),
            "receipts" if frame["room_id"] == self.room_id.as_str() => {
                for update in frame["updates"].as_array().into_iter().flatten() {
                    if update["user_id"] == self.peer.as_str() {
                        self.receipt(update);
                    }
                }
            }
            "typing"
                if frame["room_id"] == self.room_id.as_str()
                    && frame["user_id"] == self.peer.as_str() =>
            {
                let what = if frame["typing"] == true {
                    "is typing…"
                } else {
                    "stopped typing"
                };
                println!("  {} {what}", self.peer);
            }
            "presence" => self.presence(frame),
            _ => {}
        }
        (out, None)
    }

    fn ack(&mut self, ack: &Value) {
        let Some(id) = ack["id"].as_str() else { return };
        if id.starts_with("read-") {
            let up_to = ack["read_up_to"].as_i64().unwrap_or(0);
            self.read_acked = self.read_acked.max(up_to);
        }
        if self.unanswered.remove(id).is_none() {
            return;
        }
        if let Some(seq) = ack["seq"].as_i64()
            && !self.mine.contains_key(&seq)
        {
            self.mine.insert(seq, Tick::Sent);
            println!("  ✓ sent (#{seq})");
        }
    }

    /// A room event: the frames it calls for.
    fn event(&mut self, event: &Value) -> Option<Value> {
        self.since = event["pos"].as_i64().or(self.since);
        if event["room_id"] != self.room_id.as_str() {
            return None;
        }
        let sender = event["sender"].as_str().unwrap_or("?");
        match event["type"].as_str().unwrap_or("") {
            "message" if sender == self.peer => {
                self.print_message(event);
                // This device has it: the other side's delivered tick.
                let id = self.id("received");
                Some(json!({ "type": "received", "id": id, "pos": event["pos"] }))
            }
            "message" => {
                // Mine. Sent by this run, the ack shows it; from another of my devices, it
                // is news here.
                let ours = event["txn_id"]
                    .as_str()
                    .is_some_and(|t| t.starts_with(&self.txn_prefix));
                if !ours {
                    println!(
                        "[{}] {}",
                        self.me,
                        event["content"]["text"].as_str().unwrap_or("")
                    );
                }
                None
            }
            other => {
                println!("  ({other} by {sender})");
                None
            }
        }
    }

    /// The other person's delivered/read positions moved: ticks of my messages move on.
    fn receipt(&mut self, update: &Value) {
        let delivered = update["delivered_up_to"].as_i64().unwrap_or(0);
        let read = update["read_up_to"].as_i64().unwrap_or(0);
        for (seq, tick) in self.mine.iter_mut() {
            let now = if *seq <= read {
                Tick::Read
            } else if *seq <= delivered {
                Tick::Delivered
            } else {
                continue;
            };
            if now > *tick {
                *tick = now;
                println!("  {} (#{seq})", marker(now, self.color));
            }
        }
    }

    /// A presence frame or snapshot entry: shown when the other person's state changes.
    fn presence(&mut self, entry: &Value) {
        if entry["user_id"] != self.peer.as_str() {
            return;
        }
        let online = entry["online"] == true;
        if self.peer_online == Some(online) {
            return;
        }
        self.peer_online = Some(online);
        match (online, entry["last_seen"].as_i64()) {
            (true, _) => println!("  {} is online", self.peer),
            (false, Some(at)) => println!(
                "  {} is offline (last seen {})",
                self.peer,
                ago(at, now_ms())
            ),
            (false, None) => println!("  {} is offline", self.peer),
        }
    }
}

/// A tick as shown: ✓ sent, ✓✓ delivered, ✓✓ read (blue ticks on a colour terminal).
fn marker(tick: Tick, color: bool) -> &'static str {
    match (tick, color) {
        (Tick::Sent, _) => "✓ sent",
        (Tick::Delivered, _) => "✓✓ delivered",
        (Tick::Read, false) => "✓✓ read",
        (Tick::Read, true) => "\x1b[34m✓✓\x1b[0m read",
    }
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// How long ago `then` was, for a person: "just now", "3 min ago", "2 h 5 min ago",
/// "4 days ago". Relative, so that it needs no time zone.
fn ago(then_ms: i64, now_ms: i64) -> String {
    let minutes = (now_ms - then_ms).max(0) / 60_000;
    match minutes {
        0 => "just now".to_owned(),
        1..60 => format!("{minutes} min ago"),
        60..1440 if minutes % 60 == 0 => format!("{} h ago", minutes / 60),
        60..1440 => format!("{} h {} min ago", minutes / 60, minutes % 60),
        1440..2880 => "yesterday".to_owned(),
        _ => format!("{} days ago", minutes / 1440),
    }
}

#[cfg(test)]
mod tests {
    use super::ago;

    #[test]
    fn last_seen_reads_as_a_person_says_it() {
        let now = 1_800_000_000_000;
        let min = 60_000;
        assert_eq!(ago(now - 20_000, now), "just now");
        assert_eq!(ago(now + 5_000, now), "just now", "a clock a little ahead");
        assert_eq!(ago(now - 3 * min, now), "3 min ago");
        assert_eq!(ago(now - 59 * min, now), "59 min ago");
        assert_eq!(ago(now - 120 * min, now), "2 h ago");
        assert_eq!(ago(now - 125 * min, now), "2 h 5 min ago");
        assert_eq!(ago(now - 30 * 60 * min, now), "yesterday");
        assert_eq!(ago(now - 4 * 1440 * min, now), "4 days ago");
    }
}
