//! One WebSocket connection, from `hello` to close.
//!
//! Order of business: authenticate the `hello`; register with the hub (from then on live
//! events queue up); catch the device up (`catch_up.rs`: the events after its `since`
//! position, or a snapshot); then serve requests (`requests.rs`) and queued frames until
//! either side closes (`run.rs`). Events already sent during the catch-up are skipped when
//! they come round again from the queue, by their stream position, so nothing is lost and
//! nothing doubled. Writes never block the loop (`outgoing.rs`).
//!
//! Closing: frames not yet handed to the socket are dropped (the device resumes from its last
//! position) and the close frame is written within `gateway.write_timeout_secs` (a moment
//! only, for a socket closed because it took nothing); then what the client still sends is
//! read and dropped until it closes too (or a moment passes), so that the close frame arrives
//! instead of a TCP reset.

mod catch_up;
mod outgoing;
mod requests;
mod run;

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::Duration;

use convo_federation::RoomId;
use futures_util::StreamExt as _;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::protocol::{self, ClientFrame, close};
use crate::error::{Error, ErrorCode};
use crate::sessions::AuthSession;
use crate::state::AppState;
use outgoing::Outgoing;

/// How long the close frame may take to leave, and how long what the client still sends
/// is read and dropped after it.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Most bytes read and dropped after the close frame.
const DRAIN_MAX: usize = 1 << 20;

/// Why a connection ends: the close code and reason to send, if any.
pub(super) type Ending = Option<(u16, &'static str)>;

/// The reason of a connection closed because its socket took nothing for the write timeout:
/// its close frame gets only a moment, since the socket is not taking anything.
pub(super) const NOT_READING: &str = "not reading: reconnect and resume";

/// The close code for an error reading a frame, by its kind (RFC 6455 section 7.4.1).
fn read_error_close(err: &WsError) -> Ending {
    match err {
        WsError::Capacity(CapacityError::MessageTooLong { .. }) => {
            Some((close::TOO_LARGE, "frame too large"))
        }
        WsError::Utf8(_) => Some((close::INVALID_DATA, "text frames must be UTF-8")),
        WsError::Protocol(_) => Some((close::PROTOCOL_ERROR, "protocol error")),
        _ => None,
    }
}

/// Serves one connection until it closes.
pub async fn serve<T>(ws: WebSocketStream<T>, state: AppState)
where
    T: AsyncRead + AsyncWrite + Unpin + Send,
{
    let write_timeout = Duration::from_secs(state.config.gateway.write_timeout_secs.max(1));
    let (mut sink, mut stream) = ws.split();
    let mut out = Outgoing::default();
    let ending = hello_then_serve(&mut sink, &mut stream, &mut out, &state, write_timeout).await;
    let mut wait = write_timeout;
    if let Some((code, reason)) = ending {
        // Frames not yet handed to the socket are dropped: the client resumes from the last
        // position it got. The close frame goes next.
        out.discard_events();
        if reason == NOT_READING {
            wait = CLOSE_WAIT.min(write_timeout);
        }
        out.push(Message::Close(Some(CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        })));
    }
    let closed = out.write_all(&mut sink, wait).await;
    tracing::debug!(?ending, written = closed.is_ok(), "connection closed");
    let Ok(mut ws) = stream.reunite(sink) else {
        return;
    };
    if closed.is_ok() {
        drain(ws.get_mut()).await;
    }
}

/// Reads and drops what the client still sends, until it closes or a moment passes.
async fn drain<T: AsyncRead + Unpin>(io: &mut T) {
    // On the heap: an array here would be part of every connection's future, idle or not.
    let mut buf = vec![0u8; 4096];
    let mut total = 0;
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while total < DRAIN_MAX {
            match io.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    })
    .await;
}

/// The `hello`, then everything else; returns why the connection ends.
async fn hello_then_serve<W, R>(
    sink: &mut W,
    stream: &mut R,
    out: &mut Outgoing,
    state: &AppState,
    write_timeout: Duration,
) -> Ending
where
    W: futures_util::Sink<Message> + Unpin,
    R: futures_util::Stream<Item = Result<Message, WsError>> + Unpin,
{
    let config = &state.config.gateway;
    let hello = tokio::time::timeout(Duration::from_secs(config.hello_timeout_secs), async {
        loop {
            match stream.next().await {
                // Control frames before `hello` are answered by the socket itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => return other,
            }
        }
    })
    .await;
    let refuse = |out: &mut Outgoing, id: Option<&str>, err: &Error| {
        out.push(Message::text(protocol::error(id, err)));
        Some((close::UNAUTHORIZED, "hello first"))
    };
    let (id, token, since) = match hello {
        Err(_) => return Some((close::HELLO_TIMEOUT, "no hello")),
        Ok(None | Some(Ok(Message::Close(_)))) => return None,
        Ok(Some(Err(err))) => return read_error_close(&err),
        Ok(Some(Ok(Message::Text(text)))) => match protocol::parse(&text) {
            Ok(ClientFrame::Hello { id, token, since }) => (id, token, since),
            Ok(other) => {
                let err = Error::new(ErrorCode::InvalidRequest, "the first frame must be `hello`");
                return refuse(out, other.id(), &err);
            }
            Err((id, err)) => return refuse(out, id.as_deref(), &err),
        },
        Ok(Some(Ok(_))) => {
            let err = Error::new(ErrorCode::InvalidRequest, "frames are JSON text");
            return refuse(out, None, &err);
        }
    };
    let session = match Box::pin(state.sessions.authenticate(&token)).await {
        Ok(session) => session,
        Err(err) => {
            out.push(Message::text(protocol::error(Some(&id), &err)));
            return Some((close::UNAUTHORIZED, "unauthorized"));
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
        write_timeout,
    };
    out.push(Message::text(protocol::ack(
        &id,
        json!({ "user_id": session.user_id.as_str(), "device_id": session.device_id }),
    )));
    // One-off work is boxed: a future is as large as its largest await point, and this
    // one lives as long as the connection.
    let ending = match Box::pin(conn.catch_up(sink, out, since)).await {
        Ok(()) => conn.run(sink, stream, out, queue, &handle).await,
        Err(ending) => ending,
    };
    state
        .metrics
        .open_websockets
        .fetch_sub(1, Ordering::Relaxed);
    if gateway.hub.disconnect(&session.user_id, handle.id) {
        Box::pin(gateway.typing.stop_all(&session.user_id)).await;
        gateway.presence.went_away(session.user_id.clone());
    }
    ending
}

/// How many delivered-but-unacknowledged events a connection remembers for receipts.
const DELIVERED_MEMORY: usize = 8192;

struct Connection {
    state: AppState,
    session: AuthSession,
    /// The stream position of the last event sent.
    last_pos: i64,
    /// (pos, room, seq) of events sent and not yet acknowledged as received.
    delivered: VecDeque<(i64, RoomId, i64)>,
    /// How long the socket may take nothing before the connection is closed.
    write_timeout: Duration,
}

impl Connection {
    /// Notes an event sent, for the `received` that acknowledges it.
    fn sent(&mut self, pos: i64, room_id: RoomId, seq: i64) {
        self.last_pos = pos;
        if self.delivered.len() >= DELIVERED_MEMORY {
            self.delivered.pop_front();
        }
        self.delivered.push_back((pos, room_id, seq));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_errors_close_with_the_code_of_their_kind() {
        let too_long = WsError::Capacity(CapacityError::MessageTooLong {
            size: 10,
            max_size: 5,
        });
        assert_eq!(read_error_close(&too_long).map(|e| e.0), Some(1009));
        assert_eq!(
            read_error_close(&WsError::Utf8("bad".into())).map(|e| e.0),
            Some(1007)
        );
        assert_eq!(read_error_close(&WsError::ConnectionClosed), None);
    }
}
