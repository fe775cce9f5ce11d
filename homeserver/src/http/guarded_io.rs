//! `GuardedIo`: a connection's socket, closed (reads and writes fail with `TimedOut`) when a
//! client is too slow: a request head (request line and headers) not complete within
//! `http.header_read_timeout_secs` of the connection or of the next request's first byte, or
//! no byte either way for `http.idle_timeout_secs` (kept alive between requests, a request
//! body that stops coming, a response the client stops reading). Once the server answers
//! `101 Switching Protocols` the socket is a WebSocket's, and none of this applies any more.
//!
//! poem does not expose hyper's own header timeout (and hyper's also runs while a kept-alive
//! connection waits for its next request), so the socket follows the HTTP/1 exchange itself,
//! cheaply: it looks for the blank line that ends each request head in what it reads, and at
//! the first 12 bytes of each response (`HTTP/1.1 101`) in what it writes.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::acceptor::Slot;
use super::metrics::Metrics;

/// How long a client may take.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// For a request head, from the connection or from the request's first byte.
    pub header: Duration,
    /// Without a byte either way.
    pub idle: Duration,
}

/// Where the connection is in the HTTP/1 exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Reading a request head: closed at `since + header`, however the bytes trickle in.
    Head,
    /// Past a request head: closed after `idle` without a byte either way. `responded`: the
    /// response to the last request has begun, so the next byte read begins a new request.
    Active { responded: bool },
    /// Not HTTP/1 (an HTTP/2 connection): closed after `idle` without a byte.
    Opaque,
    /// Switched protocols (a WebSocket): no deadline of ours.
    Upgraded,
}

/// A socket with the HTTP timeouts enforced; see the module documentation.
pub struct GuardedIo<T> {
    inner: T,
    timeouts: Timeouts,
    phase: Phase,
    /// When the head being read began (`Head`), or when the last byte moved.
    since: Instant,
    /// Fires at the deadline, or earlier if activity has moved the deadline since it was
    /// set; then it is set again. Made when first needed, dropped on upgrade.
    timer: Option<Pin<Box<Sleep>>>,
    head: HeadScanner,
    response: ResponseScanner,
    timed_out: bool,
    metrics: Arc<Metrics>,
    /// Keeps the connection counted against its address until it closes.
    _slot: Option<Slot>,
}

impl<T> std::fmt::Debug for GuardedIo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedIo")
            .field("phase", &self.phase)
            .field("since", &self.since)
            .finish_non_exhaustive()
    }
}

impl<T> GuardedIo<T> {
    pub fn new(inner: T, timeouts: Timeouts, slot: Option<Slot>, metrics: Arc<Metrics>) -> Self {
        let now = Instant::now();
        metrics.open_connections.fetch_add(1, Ordering::Relaxed);
        Self {
            inner,
            timeouts,
            phase: Phase::Head,
            since: now,
            timer: None,
            head: HeadScanner::default(),
            response: ResponseScanner::default(),
            timed_out: false,
            metrics,
            _slot: slot,
        }
    }

    fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Head => Some(self.since + self.timeouts.header),
            Phase::Active { .. } | Phase::Opaque => Some(self.since + self.timeouts.idle),
            Phase::Upgraded => None,
        }
    }

    fn on_read(&mut self, bytes: &[u8]) {
        match self.phase {
            Phase::Head => self.scan_head(bytes),
            Phase::Active { responded: true } => {
                // The client's next request.
                self.phase = Phase::Head;
                self.since = Instant::now();
                self.head = HeadScanner::default();
                self.scan_head(bytes);
            }
            Phase::Active { responded: false } | Phase::Opaque => self.since = Instant::now(),
            Phase::Upgraded => {}
        }
    }

    fn scan_head(&mut self, bytes: &[u8]) {
        // What follows the head in `bytes` is its body (or a pipelined request): not ours to
        // look at.
        if self.head.feed(bytes).is_some() {
            self.phase = Phase::Active { responded: false };
            self.since = Instant::now();
            self.response = ResponseScanner::default();
        }
    }

    fn on_write(&mut self, bytes: &[u8]) {
        match self.phase {
            Phase::Active { responded } => {
                self.since = Instant::now();
                if !responded {
                    self.phase = match self.response.feed(bytes) {
                        Verdict::Pending => self.phase,
                        Verdict::Responded => Phase::Active { responded: true },
                        Verdict::Upgraded => {
                            self.timer = None;
                            Phase::Upgraded
                        }
                        Verdict::NotHttp1 => Phase::Opaque,
                    };
                }
            }
            Phase::Opaque => self.since = Instant::now(),
            // Nothing written moves a head's deadline (hyper only writes there to refuse it).
            Phase::Head | Phase::Upgraded => {}
        }
    }

    /// Ready with the error once the deadline has passed; else pending, woken at the deadline.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let Some(deadline) = self.deadline() else {
            return Poll::Pending;
        };
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        loop {
            if timer.deadline() > deadline {
                timer.as_mut().reset(deadline);
            }
            ready!(timer.as_mut().poll(cx));
            if Instant::now() >= deadline {
                return Poll::Ready(self.time_out());
            }
            // Activity moved the deadline since the timer was set.
            timer.as_mut().reset(deadline);
        }
    }

    fn time_out(&mut self) -> io::Error {
        if !self.timed_out {
            self.timed_out = true;
            self.metrics
                .connections_timed_out
                .fetch_add(1, Ordering::Relaxed);
            tracing::debug!(phase = ?self.phase, "closing a slow or idle connection");
        }
        io::Error::new(io::ErrorKind::TimedOut, "HTTP client too slow or idle")
    }

    fn expired(&self) -> bool {
        self.deadline().is_some_and(|d| Instant::now() >= d)
    }
}

impl<T> Drop for GuardedIo<T> {
    fn drop(&mut self) {
        self.metrics
            .open_connections
            .fetch_sub(1, Ordering::Relaxed);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.phase == Phase::Upgraded {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        if this.timed_out {
            return Poll::Ready(Err(this.time_out()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let read = &buf.filled()[before..];
                if !read.is_empty() {
                    this.on_read(read);
                    // A head trickling in a byte at a time still has its deadline.
                    if this.expired() {
                        return Poll::Ready(Err(this.time_out()));
                    }
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => this.poll_deadline(cx).map(Err),
            failed => failed,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.phase == Phase::Upgraded {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        }
        if this.timed_out {
            return Poll::Ready(Err(this.time_out()));
        }
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(written)) => {
                this.on_write(&buf[..written]);
                Poll::Ready(Ok(written))
            }
            // A client that stops reading its response.
            Poll::Pending => this.poll_deadline(cx).map(Err),
            failed => failed,
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.phase == Phase::Upgraded {
            return Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        }
        if this.timed_out {
            return Poll::Ready(Err(this.time_out()));
        }
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(written)) => {
                let mut left = written;
                for buf in bufs {
                    if left == 0 {
                        break;
                    }
                    let part = &buf[..buf.len().min(left)];
                    left -= part.len();
                    this.on_write(part);
                }
                Poll::Ready(Ok(written))
            }
            Poll::Pending => this.poll_deadline(cx).map(Err),
            failed => failed,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Finds the blank line that ends an HTTP/1 head (`\r\n\r\n`, or bare `\n`s, which parsers
/// accept too). Blank lines before a request line do not end anything: a client cannot skip
/// the head's deadline by sending them.
#[derive(Clone, Copy, Debug, Default)]
struct HeadScanner {
    /// A byte other than CR or LF has been seen.
    started: bool,
    /// The current line holds nothing but CRs so far.
    blank: bool,
}

impl HeadScanner {
    /// A scanner for a head whose first line is already under way.
    fn started() -> Self {
        Self {
            started: true,
            blank: false,
        }
    }

    /// The index just past the head's end in `bytes`, if it ends there.
    fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        for (i, &byte) in bytes.iter().enumerate() {
            if !self.started {
                if byte == b'\r' || byte == b'\n' {
                    continue;
                }
                self.started = true;
            }
            match byte {
                b'\n' if self.blank => return Some(i + 1),
                b'\n' => self.blank = true,
                b'\r' => {}
                _ => self.blank = false,
            }
        }
        None
    }
}

/// What the start of a response says about the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// Not enough written yet to tell.
    Pending,
    /// A final response (2xx–5xx) has begun.
    Responded,
    /// `101 Switching Protocols`.
    Upgraded,
    /// Not an HTTP/1 response.
    NotHttp1,
}

/// Reads the status line at the start of each response: `HTTP/1.x NNN`. Interim responses
/// (`100 Continue`) are skipped to the final one after them.
#[derive(Clone, Copy, Debug)]
enum ResponseScanner {
    StatusLine { start: [u8; 12], len: usize },
    Interim(HeadScanner),
    Done,
}

impl Default for ResponseScanner {
    fn default() -> Self {
        Self::StatusLine {
            start: [0; 12],
            len: 0,
        }
    }
}

impl ResponseScanner {
    fn feed(&mut self, mut bytes: &[u8]) -> Verdict {
        while !bytes.is_empty() {
            match self {
                Self::StatusLine { start, len } => {
                    let take = (start.len() - *len).min(bytes.len());
                    start[*len..*len + take].copy_from_slice(&bytes[..take]);
                    *len += take;
                    bytes = &bytes[take..];
                    if !looks_like_status_line(&start[..*len]) {
                        *self = Self::Done;
                        return Verdict::NotHttp1;
                    }
                    if *len < start.len() {
                        return Verdict::Pending;
                    }
                    let code = &start[9..12];
                    if code == b"101" {
                        *self = Self::Done;
                        return Verdict::Upgraded;
                    }
                    if code[0] == b'1' {
                        *self = Self::Interim(HeadScanner::started());
                        continue;
                    }
                    *self = Self::Done;
                    return Verdict::Responded;
                }
                Self::Interim(head) => match head.feed(bytes) {
                    Some(end) => {
                        bytes = &bytes[end..];
                        *self = Self::default();
                    }
                    None => return Verdict::Pending,
                },
                Self::Done => return Verdict::Responded,
            }
        }
        Verdict::Pending
    }
}

/// Whether `start` (up to 12 bytes) can begin `HTTP/1.x NNN`.
fn looks_like_status_line(start: &[u8]) -> bool {
    const PREFIX: &[u8] = b"HTTP/1.";
    start.iter().enumerate().all(|(i, &byte)| {
        if i < PREFIX.len() {
            byte == PREFIX[i]
        } else if i == 8 {
            byte == b' '
        } else {
            // The minor version (7), then the three digits of the status (9 to 11).
            byte.is_ascii_digit()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head_end(chunks: &[&[u8]]) -> Option<(usize, usize)> {
        let mut scanner = HeadScanner::default();
        chunks
            .iter()
            .enumerate()
            .find_map(|(n, chunk)| scanner.feed(chunk).map(|at| (n, at)))
    }

    #[test]
    fn heads_end_at_their_blank_line_however_they_are_split() {
        let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nbody";
        assert_eq!(head_end(&[request]), Some((0, request.len() - 4)));
        let (a, b) = request.split_at(33);
        assert_eq!(head_end(&[a, b]), Some((1, 1)));
        let bytes: Vec<&[u8]> = request.chunks(1).collect();
        assert_eq!(head_end(&bytes), Some((33, 1)));
        assert_eq!(head_end(&[b"GET / HTTP/1.1\nHost: x\n\n"]), Some((0, 24)));
        assert_eq!(head_end(&[b"GET / HTTP/1.1\r\nHost: x\r\n"]), None);
        assert_eq!(head_end(&[b"GET /heal"]), None);
        // Blank lines before the request line are not a head.
        assert_eq!(head_end(&[b"\r\n\r\n\r\n", b"\n\n"]), None);
        assert_eq!(
            head_end(&[b"\r\n\r\nGET / HTTP/1.1\r\n\r\n"]),
            Some((0, 22))
        );
    }

    fn verdicts(chunks: &[&[u8]]) -> Vec<Verdict> {
        let mut scanner = ResponseScanner::default();
        chunks.iter().map(|chunk| scanner.feed(chunk)).collect()
    }

    #[test]
    fn responses_tell_finals_upgrades_and_other_protocols_apart() {
        use Verdict::*;
        assert_eq!(verdicts(&[b"HTTP/1.1 200 OK\r\n\r\nok"]), [Responded]);
        assert_eq!(verdicts(&[b"HTTP/1.0 404 Not Found\r\n"]), [Responded]);
        assert_eq!(
            verdicts(&[b"HTTP/1.1 101 Switching Protocols\r\n\r\n"]),
            [Upgraded]
        );
        assert_eq!(
            verdicts(&[b"HTTP/", b"1.1 1", b"01 Sw"]),
            [Pending, Pending, Upgraded]
        );
        assert_eq!(
            verdicts(&[
                b"HTTP/1.1 100 Continue\r\n\r\n",
                b"HTTP/1.1 201 Created\r\n"
            ]),
            [Pending, Responded]
        );
        assert_eq!(
            verdicts(&[b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching"]),
            [Upgraded]
        );
        assert_eq!(
            verdicts(&[b"HTTP/1.1 100 Continue\r", b"\n\r\n"]),
            [Pending, Pending]
        );
        // An HTTP/2 SETTINGS frame.
        assert_eq!(verdicts(&[&[0, 0, 18, 4, 0]]), [NotHttp1]);
        assert_eq!(verdicts(&[b"HTTP/2 200"]), [NotHttp1]);
    }
}
