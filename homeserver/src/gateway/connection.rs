//! One WebSocket connection, from `hello` to close. Generic over any `Sink`/`Stream` of
//! messages, so it runs on a real socket or on channels alike.
//!
//! Order of business: authenticate the `hello`; register with the hub (from then on live
//! events queue up); catch the device up — the events after its `since` position, or a
//! snapshot — then serve requests and queued frames until either side closes. Events already
//! sent during the catch-up are skipped when they come round again from the queue, by their
//! stream position, so nothing is lost and nothing doubled.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use convo_federation::UserId;
use futures_util::stream::FuturesUnordered;
use futures_util::{Sink, SinkExt as _, Stream, StreamExt as _};
use poem::web::websocket::{CloseCode, Message};
use serde_json::json;

use super::hub::Outbound;
use super::protocol::{self, ClientFrame, close};
use crate::error::{Error, ErrorCode};
use crate::rooms::model::{Action, Event};
use crate::rooms::store;
use crate::sessions::AuthSession;
use crate::state::AppState;

/// Most queued frames written before one flush.
const WRITE_BURST: usize = 256;

/// How many delivered-but-unacknowledged events a connection remembers for receipts.
const DELIVERED_MEMORY: usize = 8192;

type Pending = Pin<Box<dyn Future<Output = String> + Send>>;

/// Serves one connection until it closes.
pub async fn serve<S>(socket: S, state: AppState)
where
    S: Stream<Item = std::io::Result<Message>> + Sink<Message> + Unpin + Send,
{
    let (mut sink, mut stream) = socket.split();
    let config = state.config.gateway.clone();
    let hello = tokio::time::timeout(
        Duration::from_secs(config.hello_timeout_secs),
        stream.next(),
    )
    .await;
    let (id, token, since) = match hello {
        Ok(Some(Ok(Message::Text(text)))) => match protocol::parse(&text) {
            Ok(ClientFrame::Hello { id, token, since }) => (id, token, since),
            Ok(other) => {
                let err = Error::new(ErrorCode::InvalidRequest, "the first frame must be `hello`");
                let _ = sink
                    .send(Message::text(protocol::error(Some(other.id()), &err)))
                    .await;
                let _ = sink
                    .send(close_frame(close::UNAUTHORIZED, "hello first"))
                    .await;
                return;
            }
            Err((id, err)) => {
                let _ = sink
                    .send(Message::text(protocol::error(id.as_deref(), &err)))
                    .await;
                let _ = sink
                    .send(close_frame(close::UNAUTHORIZED, "hello first"))
                    .await;
                return;
            }
        },
        Err(_) => {
            let _ = sink
                .send(close_frame(close::HELLO_TIMEOUT, "no hello"))
                .await;
            return;
        }
        _ => return,
    };
    let session = match Box::pin(state.sessions.authenticate(&token)).await {
        Ok(session) => session,
        Err(err) => {
            let _ = sink
                .send(Message::text(protocol::error(Some(&id), &err)))
                .await;
            let _ = sink
                .send(close_frame(close::UNAUTHORIZED, "unauthorized"))
                .await;
            return;
        }
    };
    let gateway = state.gateway.clone();
    let (handle, queue, first) =
        gateway
            .hub
            .connect(&session.user_id, &session.device_id, config.outbound_queue);
    state
        .metrics
        .open_websockets
        .fetch_add(1, Ordering::Relaxed);
    if first {
        Box::pin(gateway.presence.came_online(&session.user_id)).await;
    }
    let mut conn = Connection {
        state: state.clone(),
        session: session.clone(),
        last_pos: 0,
        delivered: VecDeque::new(),
    };
    let ready = protocol::ack(
        &id,
        json!({ "user_id": session.user_id.as_str(), "device_id": session.device_id }),
    );
    let outcome = match sink.send(Message::text(ready)).await {
        Ok(()) => {
            conn.run(&mut sink, &mut stream, queue, &handle, since)
                .await
        }
        Err(_) => None,
    };
    if let Some((code, reason)) = outcome {
        let _ = sink.send(close_frame(code, reason)).await;
    }
    let _ = sink.close().await;
    state
        .metrics
        .open_websockets
        .fetch_sub(1, Ordering::Relaxed);
    if gateway.hub.disconnect(&session.user_id, handle.id) {
        Box::pin(gateway.typing.stop_all(&session.user_id)).await;
        gateway.presence.went_away(session.user_id.clone());
    }
}

fn close_frame(code: u16, reason: &str) -> Message {
    Message::Close(Some((CloseCode::from(code), reason.to_owned())))
}

struct Connection {
    state: AppState,
    session: AuthSession,
    /// The stream position of the last event sent.
    last_pos: i64,
    /// (pos, room, seq) of events sent and not yet acknowledged as received.
    delivered: VecDeque<(i64, Arc<str>, i64)>,
}

impl Connection {
    /// Catches up, then serves until the end; returns the close frame to send, if any.
    async fn run<W, R>(
        &mut self,
        sink: &mut W,
        stream: &mut R,
        mut queue: tokio::sync::mpsc::Receiver<Outbound>,
        handle: &super::hub::ConnHandle,
        since: Option<i64>,
    ) -> Option<(u16, &'static str)>
    where
        W: Sink<Message> + Unpin,
        R: Stream<Item = std::io::Result<Message>> + Unpin,
    {
        // One-off work is boxed: a future is as large as its largest await point, and this
        // one lives as long as the connection.
        if Box::pin(self.catch_up(sink, since)).await.is_err() {
            return None;
        }
        let config = self.state.config.gateway.clone();
        let heartbeat_every = Duration::from_secs(config.heartbeat_secs.max(1));
        let mut heartbeat = tokio::time::interval_at(
            tokio::time::Instant::now() + heartbeat_every,
            heartbeat_every,
        );
        let mut last_heard = Instant::now();
        let mut pending: FuturesUnordered<Pending> = FuturesUnordered::new();
        loop {
            tokio::select! {
                message = stream.next(), if pending.len() < config.max_in_flight => {
                    last_heard = Instant::now();
                    match message {
                        None | Some(Ok(Message::Close(_))) => return None,
                        Some(Err(err)) => {
                            return err.to_string().contains("too long").then_some((1009, "frame too large"));
                        }
                        Some(Ok(Message::Text(text))) => {
                            if let Some(reply) = self.request(&text, &mut pending)
                                && sink.send(Message::text(reply)).await.is_err()
                            {
                                return None;
                            }
                        }
                        Some(Ok(Message::Binary(_))) => {
                            let err = Error::new(ErrorCode::InvalidRequest, "frames are JSON text");
                            if sink.send(Message::text(protocol::error(None, &err))).await.is_err() {
                                return None;
                            }
                        }
                        Some(Ok(_)) => {}
                    }
                }
                Some(reply) = pending.next(), if !pending.is_empty() => {
                    if sink.send(Message::text(reply)).await.is_err() {
                        return None;
                    }
                }
                item = queue.recv() => {
                    // Write everything already queued, then flush once: one write to the
                    // socket per burst rather than per frame.
                    let mut item = Some(item?);
                    let mut written = 0;
                    while let Some(next) = item {
                        if let Some(text) = self.outbound(next)
                            && sink.feed(Message::text(text.to_string())).await.is_err()
                        {
                            return None;
                        }
                        written += 1;
                        item = if written < WRITE_BURST { queue.try_recv().ok() } else { None };
                    }
                    if sink.flush().await.is_err() {
                        return None;
                    }
                }
                () = handle.kick.notified() => {
                    return Some(match handle.kick_reason() {
                        close::UNAUTHORIZED => (close::UNAUTHORIZED, "logged out"),
                        _ => (close::RESUME, "too slow: reconnect and resume"),
                    });
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > heartbeat_every * 2 {
                        return Some((close::HEARTBEAT_TIMEOUT, "no heartbeat"));
                    }
                    if sink.send(Message::Ping(Vec::new())).await.is_err() {
                        return None;
                    }
                }
            }
        }
    }

    /// The frame to write for a queued item; none for an event a catch-up already sent.
    fn outbound(&mut self, item: Outbound) -> Option<Arc<str>> {
        let (event, notify) = match item {
            Outbound::Frame(frame) => return Some(frame),
            Outbound::Event(event) => (event, false),
            Outbound::NotifyingEvent(event) => (event, true),
        };
        if event.pos <= self.last_pos {
            return None;
        }
        self.sent(event.pos, event.room_id.clone(), event.seq);
        let frame = if notify {
            event.notifying.as_ref()
        } else {
            None
        };
        Some(frame.unwrap_or(&event.frame).clone())
    }

    fn sent(&mut self, pos: i64, room_id: Arc<str>, seq: i64) {
        self.last_pos = pos;
        if self.delivered.len() >= DELIVERED_MEMORY {
            self.delivered.pop_front();
        }
        self.delivered.push_back((pos, room_id, seq));
    }

    /// Sends what the device missed after `since`, or a snapshot when it has no position or
    /// is too far behind.
    async fn catch_up<W: Sink<Message> + Unpin>(
        &mut self,
        sink: &mut W,
        since: Option<i64>,
    ) -> Result<(), ()> {
        let max = self.state.config.gateway.max_resume_events;
        let user = &self.session.user_id;
        let resumed = match since {
            // A position past the end of the stream is not one this server gave out (a
            // restored database, a confused client): start over with a snapshot.
            Some(since)
                if since >= 0
                    && store::max_stream_pos(&self.state.db)
                        .await
                        .is_ok_and(|end| since <= end) =>
            {
                match store::events_since(&self.state.db, user.as_str(), since, max + 1).await {
                    Ok(events) if events.len() <= max as usize => Some((since, events)),
                    Ok(_) => None,
                    Err(err) => {
                        tracing::error!(cause = %err, "resume query failed");
                        None
                    }
                }
            }
            _ => None,
        };
        match resumed {
            Some((since, events)) => {
                self.last_pos = since;
                for event in events {
                    let frame = event_frame(&event);
                    self.sent(event.pos, Arc::from(event.room_id.as_str()), event.seq);
                    sink.send(Message::text(frame)).await.map_err(|_| ())?;
                }
                // Presence is not in the stream: what changed while the device was away is
                // told as it is now (changes from here on are queued for this connection).
                let me = &self.session.user_id;
                let presence = self.state.gateway.presence.of_contacts(me).await;
                for mut entry in presence.unwrap_or_else(|err| {
                    tracing::error!(cause = %err, "presence for a resume failed");
                    Vec::new()
                }) {
                    entry["type"] = json!("presence");
                    sink.send(Message::text(entry.to_string()))
                        .await
                        .map_err(|_| ())?;
                }
                let synced = json!({ "type": "synced", "pos": self.last_pos, "resumed": true });
                sink.send(Message::text(synced.to_string()))
                    .await
                    .map_err(|_| ())?;
            }
            None => {
                let snapshot = self.snapshot().await.unwrap_or_else(|err| {
                    tracing::error!(cause = %err.message, "snapshot failed");
                    json!({ "type": "snapshot", "pos": 0, "rooms": [], "presence": [] })
                });
                self.last_pos = snapshot["pos"].as_i64().unwrap_or(0);
                sink.send(Message::text(snapshot.to_string()))
                    .await
                    .map_err(|_| ())?;
            }
        }
        Ok(())
    }

    async fn snapshot(&self) -> Result<serde_json::Value, Error> {
        let user = &self.session.user_id;
        let pos = store::max_stream_pos(&self.state.db).await?;
        let rooms = self.state.rooms.list(user).await?;
        let rooms: Vec<_> = rooms
            .into_iter()
            .map(|r| {
                json!({
                    "room_id": r.room_id,
                    "kind": r.kind,
                    "name": r.name,
                    "topic": r.topic,
                    "avatar_url": r.avatar_url,
                    "peer": r.peer,
                    "role": r.membership.role,
                    "joined": r.membership.joined,
                    "muted": r.membership.muted,
                    "last_seq": r.last_seq,
                    "unread_count": r.unread_count,
                    "read_up_to": r.membership.read_up_to,
                    "last_message": r.last_message.map(|m| serde_json::to_value(&m.event).unwrap_or_default()),
                })
            })
            .collect();
        let presence = self.state.gateway.presence.of_contacts(user).await?;
        Ok(json!({ "type": "snapshot", "pos": pos, "rooms": rooms, "presence": presence }))
    }

    /// Handles one client frame. Quick ones are answered at once (the returned string);
    /// ones that wait for the database join `pending` and are answered when done.
    fn request(&mut self, text: &str, pending: &mut FuturesUnordered<Pending>) -> Option<String> {
        let frame = match protocol::parse(text) {
            Ok(frame) => frame,
            Err((id, err)) => return Some(protocol::error(id.as_deref(), &err)),
        };
        let state = self.state.clone();
        let user = self.session.user_id.clone();
        match frame {
            ClientFrame::Hello { id, .. } => Some(protocol::error(
                Some(&id),
                &Error::new(ErrorCode::InvalidRequest, "already said hello"),
            )),
            ClientFrame::Ping { id } => Some(protocol::ack(&id, json!({ "pong": true }))),
            ClientFrame::Received { id, pos } => {
                let mut rooms: BTreeMap<Arc<str>, i64> = BTreeMap::new();
                while self.delivered.front().is_some_and(|(p, _, _)| *p <= pos) {
                    if let Some((_, room, seq)) = self.delivered.pop_front() {
                        let entry = rooms.entry(room).or_default();
                        *entry = (*entry).max(seq);
                    }
                }
                for (room, seq) in rooms {
                    state.gateway.receipts.delivered(&room, &user, seq);
                }
                Some(protocol::ack(&id, json!({})))
            }
            ClientFrame::Send {
                id,
                room_id,
                txn_id,
                text,
                reply_to,
            } => {
                let action = reply_to
                    .as_deref()
                    .map(crate::api::rooms::types::event_id)
                    .transpose()
                    .map(|reply_to| Action::Message { text, reply_to });
                self.act(pending, id, room_id, Some(txn_id), action);
                None
            }
            ClientFrame::Edit {
                id,
                room_id,
                txn_id,
                event_id,
                text,
            } => {
                let action = crate::api::rooms::types::event_id(&event_id)
                    .map(|target| Action::Edit { target, text });
                self.act(pending, id, room_id, Some(txn_id), action);
                None
            }
            ClientFrame::Delete {
                id,
                room_id,
                txn_id,
                event_id,
            } => {
                let action = crate::api::rooms::types::event_id(&event_id)
                    .map(|target| Action::Delete { target });
                self.act(pending, id, room_id, Some(txn_id), action);
                None
            }
            ClientFrame::React {
                id,
                room_id,
                txn_id,
                event_id,
                emoji,
            } => {
                let action = crate::api::rooms::types::event_id(&event_id)
                    .map(|target| Action::React { target, emoji });
                self.act(pending, id, room_id, Some(txn_id), action);
                None
            }
            ClientFrame::Read { id, room_id, seq } => {
                pending.push(Box::pin(async move {
                    match mark_read(&state, &user, &room_id, seq).await {
                        Ok(read_up_to) => protocol::ack(&id, json!({ "read_up_to": read_up_to })),
                        Err(err) => protocol::error(Some(&id), &err),
                    }
                }));
                None
            }
            ClientFrame::Typing {
                id,
                room_id,
                typing,
            } => {
                pending.push(Box::pin(async move {
                    match joined_room(&state, &user, &room_id).await {
                        Ok(()) => {
                            state.gateway.typing.set(&room_id, &user, typing).await;
                            protocol::ack(&id, json!({}))
                        }
                        Err(err) => protocol::error(Some(&id), &err),
                    }
                }));
                None
            }
        }
    }

    fn act(
        &self,
        pending: &mut FuturesUnordered<Pending>,
        id: String,
        room_id: String,
        txn_id: Option<String>,
        action: Result<Action, Error>,
    ) {
        let state = self.state.clone();
        let user = self.session.user_id.clone();
        pending.push(Box::pin(async move {
            let outcome = async {
                let room_id = crate::api::rooms::types::room_id(&room_id)?;
                state.rooms.act(&user, &room_id, txn_id, action?).await
            }
            .await;
            match outcome {
                Ok(committed) => {
                    let e = &committed.event;
                    protocol::ack(
                        &id,
                        json!({ "event_id": e.event_id, "room_id": e.room_id, "seq": e.seq, "pos": e.pos, "ts": e.ts, "duplicate": committed.duplicate }),
                    )
                }
                Err(err) => protocol::error(Some(&id), &err),
            }
        }));
    }
}

/// The frame for one event, as the hub sends it.
pub fn event_frame(event: &Event) -> String {
    json!({ "type": "event", "event": event }).to_string()
}

/// Checks that `user` is a joined member of `room_id`.
async fn joined_room(state: &AppState, user: &UserId, room_id: &str) -> Result<(), Error> {
    let room = crate::api::rooms::types::room_id(room_id)?;
    match state.rooms.membership(user, &room).await? {
        m if m.joined => Ok(()),
        _ => Err(Error::new(
            ErrorCode::NotAMember,
            "you are no longer a member of this room",
        )),
    }
}

/// Moves the read position (never backwards, never past what the member can see).
pub async fn mark_read(
    state: &AppState,
    user: &UserId,
    room_id: &str,
    seq: i64,
) -> Result<i64, Error> {
    if seq < 0 {
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            "seq must not be negative",
        ));
    }
    let room = crate::api::rooms::types::room_id(room_id)?;
    let membership = state.rooms.membership(user, &room).await?;
    let last = store::max_seq(&state.db, room.as_str())
        .await?
        .min(membership.last_visible());
    let seq = seq.min(last);
    if seq > membership.read_up_to {
        state.gateway.receipts.read(room.as_str(), user, seq);
    }
    Ok(seq.max(membership.read_up_to))
}
