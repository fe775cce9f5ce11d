//! The connection's loop once it is caught up: client frames in, answers and queued frames
//! out, kicks and heartbeats, all in one `select!` whose branches never wait for the socket
//! to take a write (see `outgoing.rs`). The loop stops reading while many answers or frames
//! wait to be written, so a client that does not read cannot make it buffer without bound.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_util::stream::FuturesUnordered;
use futures_util::{Sink, Stream, StreamExt as _};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::error::Error as WsError;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::outgoing::Outgoing;
use super::{Connection, Ending, read_error_close};
use crate::error::{Error, ErrorCode};
use crate::gateway::hub::{ConnHandle, Outbound};
use crate::gateway::protocol::{self, close};

/// Most queued frames moved to the socket's queue at once, and the most frames waiting to
/// be written before the loop stops reading and taking queued frames.
const WRITE_BURST: usize = 256;

pub(super) type Pending = Pin<Box<dyn Future<Output = String> + Send>>;

impl Connection {
    /// Serves until either side ends; returns the close frame to send, if any.
    pub(super) async fn run<W, R>(
        &mut self,
        sink: &mut W,
        stream: &mut R,
        out: &mut Outgoing,
        mut queue: mpsc::Receiver<Outbound>,
        handle: &ConnHandle,
    ) -> Ending
    where
        W: Sink<Message> + Unpin,
        R: Stream<Item = Result<Message, WsError>> + Unpin,
    {
        let config = &self.state.config.gateway;
        let max_in_flight = config.max_in_flight;
        let heartbeat_every = Duration::from_secs(config.heartbeat_secs.max(1));
        let mut heartbeat =
            tokio::time::interval_at(Instant::now() + heartbeat_every, heartbeat_every);
        let mut last_heard = Instant::now();
        let mut pending: FuturesUnordered<Pending> = FuturesUnordered::new();
        // Made once: a `Notified` made anew each turn would join and leave the waiters' list
        // under its lock every time.
        let kicked = handle.kick.notified();
        tokio::pin!(kicked);
        // The write deadline, checked lazily: it never lies after the real one (which only
        // moves later), and when it fires early it moves to the real one.
        let stall = tokio::time::sleep(self.write_timeout);
        tokio::pin!(stall);
        loop {
            // What the branches queued goes to the socket now if it takes it.
            if out.write_now(sink).is_err() {
                return None;
            }
            let room_to_write = out.len() < WRITE_BURST;
            tokio::select! {
                message = stream.next(), if pending.len() < max_in_flight && room_to_write => {
                    last_heard = Instant::now();
                    match message {
                        None | Some(Ok(Message::Close(_))) => return None,
                        Some(Err(err)) => return read_error_close(&err),
                        Some(Ok(Message::Text(text))) => {
                            if let Some(reply) = self.request(text.as_str(), &mut pending) {
                                out.push(Message::text(reply));
                            }
                        }
                        Some(Ok(Message::Binary(_))) => {
                            let err = Error::new(ErrorCode::InvalidRequest, "frames are JSON text");
                            out.push(Message::text(protocol::error(None, &err)));
                        }
                        Some(Ok(_)) => {}
                    }
                }
                Some(reply) = pending.next(), if !pending.is_empty() => {
                    out.push(Message::text(reply));
                }
                item = queue.recv(), if room_to_write => {
                    // Take everything already queued (up to a burst): one write to the socket
                    // per burst rather than per frame.
                    let mut item = Some(item?);
                    let mut taken = 0;
                    while let Some(next) = item {
                        if let Some(text) = self.outbound(next) {
                            out.push(Message::Text(text));
                        }
                        taken += 1;
                        item = if taken < WRITE_BURST { queue.try_recv().ok() } else { None };
                    }
                }
                written = std::future::poll_fn(|cx| out.poll_write(cx, sink)), if !out.is_idle() => {
                    if written.is_err() {
                        return None;
                    }
                }
                () = &mut stall, if !out.is_idle() => {
                    match out.deadline(self.write_timeout) {
                        Some(deadline) if deadline <= Instant::now() => {
                            return Some((close::RESUME, super::NOT_READING));
                        }
                        // The socket took something since: wait until the real deadline.
                        Some(deadline) => stall.as_mut().reset(deadline),
                        None => {}
                    }
                }
                () = &mut kicked => {
                    if handle.kick_reason() == close::RESTARTING {
                        // Answer what is in flight first: the server commits it anyway.
                        let answered = async {
                            while let Some(reply) = pending.next().await {
                                out.push(Message::text(reply));
                            }
                        };
                        let _ = tokio::time::timeout(self.write_timeout, answered).await;
                    }
                    return Some(match handle.kick_reason() {
                        close::UNAUTHORIZED => (close::UNAUTHORIZED, "logged out"),
                        close::RESTARTING => (close::RESTARTING, "the server is restarting: reconnect and resume"),
                        _ => (close::RESUME, "too slow: reconnect and resume"),
                    });
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > heartbeat_every * 2 {
                        return Some((close::HEARTBEAT_TIMEOUT, "no heartbeat"));
                    }
                    out.push(Message::Ping(Vec::new().into()));
                }
            }
        }
    }

    /// The frame to write for a queued item; none for an event a catch-up already sent.
    fn outbound(&mut self, item: Outbound) -> Option<Utf8Bytes> {
        let (event, variant) = match item {
            Outbound::Frame(frame) => return Some(frame),
            Outbound::Event(event, variant) => (event, variant),
        };
        if event.pos <= self.last_pos {
            return None;
        }
        self.sent(event.pos, event.room_id.clone(), event.seq);
        Some(event.text(variant).clone())
    }
}
