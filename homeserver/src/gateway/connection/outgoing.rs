//! A connection's writes, which never block its loop. Frames wait in a short local queue
//! and are handed to the socket as fast as it takes them, from a branch of the loop that
//! only polls (so requests, kicks and heartbeats are served meanwhile). When the socket has
//! taken nothing for `gateway.write_timeout_secs`, the connection is closed (4000: resume).

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Sink;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

/// Frames waiting to be written, and how the socket's writes are going.
#[derive(Debug, Default)]
pub struct Outgoing {
    frames: VecDeque<Message>,
    /// Frames were handed to the socket and not flushed yet.
    unflushed: bool,
    /// Since when the socket has owed a write and taken nothing.
    stalled_since: Option<Instant>,
}

/// The socket took nothing for too long.
#[derive(Debug)]
pub struct Stalled;

impl Outgoing {
    pub fn push(&mut self, frame: Message) {
        if self.is_idle() {
            self.stalled_since = Some(Instant::now());
        }
        self.frames.push_back(frame);
    }

    /// Drops the event frames not yet handed to the socket (a connection about to close:
    /// its device resumes from the last event it got). Answers and control frames stay.
    pub fn discard_events(&mut self) {
        self.frames.retain(|frame| match frame {
            Message::Text(text) => !text.as_str().starts_with(r#"{"type":"event""#),
            _ => true,
        });
    }

    /// Nothing to write or flush.
    pub fn is_idle(&self) -> bool {
        self.frames.is_empty() && !self.unflushed
    }

    /// Frames not yet handed to the socket.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// When the connection is too slow if the socket takes nothing until then.
    pub fn deadline(&self, timeout: Duration) -> Option<Instant> {
        self.stalled_since.map(|since| since + timeout)
    }

    /// Hands the socket every frame it takes now and flushes; `Ready(Ok)` once all are
    /// written. Cancel-safe: what is not written stays queued.
    pub fn poll_write<W>(
        &mut self,
        cx: &mut Context<'_>,
        sink: &mut W,
    ) -> Poll<Result<(), W::Error>>
    where
        W: Sink<Message> + Unpin,
    {
        while !self.frames.is_empty() {
            match Pin::new(&mut *sink).poll_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return Poll::Pending,
            }
            if let Some(frame) = self.frames.pop_front() {
                Pin::new(&mut *sink).start_send(frame)?;
                self.unflushed = true;
                self.stalled_since = Some(Instant::now());
            }
        }
        if self.unflushed {
            match Pin::new(&mut *sink).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.stalled_since = None;
        Poll::Ready(Ok(()))
    }

    /// Hands the socket what it takes now, without waiting: `Ok(true)` if everything is
    /// written. Most bursts are written this way at once, so the loop needs no second turn
    /// and the write deadline no timer.
    pub fn write_now<W>(&mut self, sink: &mut W) -> Result<bool, W::Error>
    where
        W: Sink<Message> + Unpin,
    {
        if self.is_idle() {
            return Ok(true);
        }
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match self.poll_write(&mut cx, sink) {
            Poll::Ready(Ok(())) => Ok(true),
            Poll::Ready(Err(err)) => Err(err),
            // The loop's write branch polls again with its own waker.
            Poll::Pending => Ok(false),
        }
    }

    /// Writes everything queued, or gives up once the socket has taken nothing for
    /// `timeout` (outside the loop: the hello answer, a catch-up, the close frame).
    pub async fn write_all<W>(&mut self, sink: &mut W, timeout: Duration) -> Result<(), Stalled>
    where
        W: Sink<Message> + Unpin,
    {
        loop {
            let Some(deadline) = self.deadline(timeout) else {
                return Ok(());
            };
            let written = tokio::time::timeout_at(
                deadline,
                std::future::poll_fn(|cx| self.poll_write(cx, sink)),
            )
            .await;
            match written {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(_)) => return Err(Stalled),
                // Progress resets the deadline: give up only if there was none.
                Err(_) if self.deadline(timeout).is_some_and(|d| d <= Instant::now()) => {
                    return Err(Stalled);
                }
                Err(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio_util::sync::PollSender;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_socket_that_takes_nothing_stalls_within_the_timeout() {
        // A socket that takes one frame, then nothing: a channel of one that nobody reads.
        let (tx, _rx) = tokio::sync::mpsc::channel::<Message>(1);
        let mut sink = PollSender::new(tx);
        let mut out = Outgoing::default();
        for i in 0..4 {
            out.push(Message::text(format!("{i}")));
        }
        let started = Instant::now();
        assert!(
            out.write_all(&mut sink, Duration::from_secs(5))
                .await
                .is_err()
        );
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(5) && waited < Duration::from_secs(6),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_socket_that_takes_frames_slowly_is_not_stalled() {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Message>(1);
        let mut sink = PollSender::new(tx);
        // Reads one frame every 3 s: slower than the frames come, faster than the timeout.
        let reader = tokio::spawn(async move {
            let mut got = 0;
            while rx.recv().await.is_some() {
                got += 1;
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            got
        });
        let mut out = Outgoing::default();
        for i in 0..5 {
            out.push(Message::text(format!("{i}")));
        }
        out.write_all(&mut sink, Duration::from_secs(5))
            .await
            .unwrap();
        assert!(out.is_idle());
        drop(sink);
        assert_eq!(reader.await.unwrap(), 5);
    }
}
