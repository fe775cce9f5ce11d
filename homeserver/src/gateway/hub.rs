//! Fan-out: who is connected, and handing each committed event to every connection of every
//! recipient. Each connection has a bounded queue; one that is full is told to go away and
//! resume from its last position, so the server never buffers without bound.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use convo_federation::{RoomId, UserId};
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::frames;
use crate::rooms::model::{Committed, EventKind};
use crate::rooms::{Fanout, PositionUpdate};

/// A room event ready to send: built once, shared by every recipient (`Utf8Bytes` is
/// reference-counted: each connection's copy is a count, not a copy of the text).
#[derive(Debug)]
pub struct EventFrame {
    /// Stream position, to skip what a catch-up already sent.
    pub pos: i64,
    /// Room and seq, for delivery receipts.
    pub room_id: RoomId,
    pub seq: i64,
    pub frame: Utf8Bytes,
    /// For a new message: the same frame marked `"notify": true`, for the recipients who are
    /// notified of it.
    pub notifying: Option<Utf8Bytes>,
    /// For an event with a transaction id: the frame with it, for the sender's devices.
    pub own: Option<Utf8Bytes>,
}

/// Which of an event's frames a connection gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Plain,
    Notifying,
    Own,
}

/// Something to send on a connection. Kept small: every connection's queue holds these.
#[derive(Debug, Clone)]
pub enum Outbound {
    Event(Arc<EventFrame>, Variant),
    /// Any other frame (receipts, typing, presence, …).
    Frame(Utf8Bytes),
}

impl EventFrame {
    /// The text of one copy.
    pub fn text(&self, copy: Variant) -> &Utf8Bytes {
        let chosen = match copy {
            Variant::Plain => None,
            Variant::Notifying => self.notifying.as_ref(),
            Variant::Own => self.own.as_ref(),
        };
        chosen.unwrap_or(&self.frame)
    }
}

/// The hub's side of one connection.
#[derive(Debug, Clone)]
pub struct ConnHandle {
    pub id: u64,
    pub device_id: Arc<str>,
    queue: mpsc::Sender<Outbound>,
    /// Woken when the connection must close (queue full, device revoked).
    pub kick: Arc<Notify>,
    /// The close code to use once kicked.
    reason: Arc<AtomicU16>,
}

impl ConnHandle {
    /// Queues `item`, or kicks the connection if its queue is full.
    fn push(&self, item: Outbound) {
        if self.queue.try_send(item).is_err() {
            self.kick_with(super::protocol::close::RESUME);
        }
    }

    /// Asks the connection to close with `code` (the first reason given wins).
    pub fn kick_with(&self, code: u16) {
        let _ = self
            .reason
            .compare_exchange(0, code, Ordering::Relaxed, Ordering::Relaxed);
        self.kick.notify_one();
    }

    /// Why the connection was kicked.
    pub fn kick_reason(&self) -> u16 {
        self.reason.load(Ordering::Relaxed)
    }
}

/// Every open connection, by user.
#[derive(Debug, Default)]
pub struct Hub {
    users: RwLock<HashMap<UserId, Vec<ConnHandle>>>,
    next_id: AtomicU64,
}

impl Hub {
    /// Registers a connection of `user`; returns its handle and the receiving end of its queue.
    /// The second value is true if it is the user's first connection.
    pub fn connect(
        &self,
        user: &UserId,
        device_id: &str,
        capacity: usize,
    ) -> (ConnHandle, mpsc::Receiver<Outbound>, bool) {
        let (queue, rx) = mpsc::channel(capacity.max(1));
        let handle = ConnHandle {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            device_id: Arc::from(device_id),
            queue,
            kick: Arc::new(Notify::new()),
            reason: Arc::new(AtomicU16::new(0)),
        };
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        let conns = users.entry(user.clone()).or_default();
        let first = conns.is_empty();
        conns.push(handle.clone());
        (handle, rx, first)
    }

    /// Removes a connection; true if it was the user's last one.
    pub fn disconnect(&self, user: &UserId, id: u64) -> bool {
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        let Some(conns) = users.get_mut(user) else {
            return false;
        };
        conns.retain(|c| c.id != id);
        let last = conns.is_empty();
        if last {
            users.remove(user);
        }
        last
    }

    pub fn is_online(&self, user: &UserId) -> bool {
        self.users
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(user)
    }

    /// Sends `frame` to every connection of each of `users`, except connection `skip`.
    pub fn send_to_users<'a>(
        &self,
        users: impl IntoIterator<Item = &'a UserId>,
        frame: &Utf8Bytes,
        skip: Option<u64>,
    ) {
        let map = self.users.read().unwrap_or_else(|e| e.into_inner());
        for user in users {
            for conn in map.get(user).into_iter().flatten() {
                if Some(conn.id) != skip {
                    conn.push(Outbound::Frame(frame.clone()));
                }
            }
        }
    }

    /// Closes every connection of one device (it was logged out). Rare, so it scans.
    pub fn kick_device(&self, device_id: &str) {
        let map = self.users.read().unwrap_or_else(|e| e.into_inner());
        for conn in map.values().flatten() {
            if &*conn.device_id == device_id {
                conn.kick_with(super::protocol::close::UNAUTHORIZED);
            }
        }
    }
}

impl Hub {
    /// Asks every open connection to close with `code` (shutdown).
    pub fn close_all(&self, code: u16) {
        let map = self.users.read().unwrap_or_else(|e| e.into_inner());
        for conn in map.values().flatten() {
            conn.kick_with(code);
        }
    }

    /// How many connections are open.
    pub fn connections(&self) -> usize {
        let map = self.users.read().unwrap_or_else(|e| e.into_inner());
        map.values().map(Vec::len).sum()
    }
}

impl Fanout for Hub {
    fn publish(&self, batch: &[Arc<Committed>]) {
        let map = self.users.read().unwrap_or_else(|e| e.into_inner());
        for committed in batch {
            let event = &committed.event;
            let json = frames::event_json(event, false);
            let shared = Arc::new(EventFrame {
                pos: event.pos,
                room_id: event.room_id.clone(),
                seq: event.seq,
                frame: Utf8Bytes::from(frames::event_frame(&json, false)),
                notifying: (event.kind == EventKind::Message)
                    .then(|| Utf8Bytes::from(frames::event_frame(&json, true))),
                own: event.txn_id.as_deref().map(|txn_id| {
                    Utf8Bytes::from(frames::event_frame(
                        &frames::with_txn_id(&json, txn_id),
                        false,
                    ))
                }),
            });
            for user in committed.all_recipients() {
                let Some(conns) = map.get(user) else { continue };
                let copy = if *user == event.sender {
                    Variant::Own
                } else if shared.notifying.is_some() && !committed.muted.contains(user) {
                    Variant::Notifying
                } else {
                    Variant::Plain
                };
                for conn in conns {
                    conn.push(Outbound::Event(shared.clone(), copy));
                }
            }
        }
    }

    fn receipts(&self, room_id: &RoomId, to: &UserId, updates: &[PositionUpdate]) {
        let frame = Utf8Bytes::from(frames::receipts(room_id, updates));
        self.send_to_users([to], &frame, None);
    }

    fn unread(&self, user: &UserId, room_id: &RoomId, read_up_to: i64, unread_count: i64) {
        let frame = Utf8Bytes::from(frames::unread(room_id, read_up_to, unread_count));
        self.send_to_users([user], &frame, None);
    }
}
