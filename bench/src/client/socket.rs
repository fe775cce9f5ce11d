//! The socket under a connection: open it and say `hello` (resuming from a stream position
//! after the first time), then read and write until the run stops, resuming whenever the
//! server closes the socket as too slow (code 4000) or the socket breaks, as a real client
//! does.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::receive::{Received, Receiver};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// tungstenite's default read buffer (128 KiB, zero-filled on every read) costs memory and
/// CPU; 4 KiB is plenty for chat frames.
const READ_BUFFER: usize = 4096;

/// How long `hello` may take to be answered with the snapshot (or the resumed events).
const HELLO_TIMEOUT: Duration = Duration::from_secs(60);

/// The server's close code for "too slow: reconnect and resume".
const RESUME: u16 = 4000;

/// Resumes one connection may make before giving up.
const MAX_RESUMES: u64 = 1000;

/// Where and as whom to reconnect.
#[derive(Debug)]
pub(super) struct Login {
    pub url: String,
    pub token: String,
}

/// Connects and authenticates; resumes after `since` if given. Frames that arrive before
/// the snapshot (or `synced`) go to `receiver`.
pub(super) async fn open(
    url: &str,
    token: &str,
    since: Option<i64>,
    receiver: &mut Receiver,
) -> Result<Ws> {
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let hello = serde_json::json!({ "type": "hello", "id": "h", "token": token, "since": since });
    ws.send(Message::text(hello.to_string())).await?;
    receiver.expect_hello();
    tokio::time::timeout(HELLO_TIMEOUT, async {
        while let Some(message) = ws.next().await {
            match message? {
                Message::Text(text) => receiver.frame(text.as_str())?,
                Message::Close(close) => bail!("closed during hello: {close:?}"),
                _ => {}
            }
            if receiver.synced() {
                return Ok(());
            }
        }
        bail!("connection ended during hello")
    })
    .await
    .context("no snapshot in time after hello")??;
    Ok(ws)
}

/// How a socket's life ended.
enum End {
    Stopped,
    /// Closed with 4000, or broken: resume on a new socket.
    Resume(String),
    /// Closed for another reason: give up.
    Closed(String),
}

/// Serves the connection until `stop`; returns what it received.
pub(super) async fn drive(
    mut ws: Ws,
    mut queue: mpsc::UnboundedReceiver<Message>,
    mut receiver: Receiver,
    login: Login,
    mut stop: watch::Receiver<bool>,
) -> Received {
    loop {
        let (sink, mut stream) = ws.split();
        let closing = Arc::new(Notify::new());
        let writer = tokio::spawn(write(sink, queue, closing.clone()));
        let end = read(&mut stream, &mut receiver, &mut stop).await;
        closing.notify_one();
        let Ok(returned) = writer.await else {
            receiver.ended("the writer failed".to_owned());
            break;
        };
        queue = returned;
        match end {
            End::Stopped => break,
            End::Closed(why) => {
                receiver.ended(why);
                break;
            }
            End::Resume(why) => {
                let Some(since) = receiver.resuming(&why, MAX_RESUMES) else {
                    receiver.ended(format!("gave up after {MAX_RESUMES} resumes: {why}"));
                    break;
                };
                match open(&login.url, &login.token, Some(since), &mut receiver).await {
                    Ok(socket) => {
                        ws = socket;
                        receiver.reconnected();
                    }
                    Err(err) => {
                        receiver.ended(format!("could not resume: {err:#}"));
                        break;
                    }
                }
            }
        }
    }
    receiver.finish()
}

/// Reads frames into `receiver` until the run stops or the socket ends. After each burst
/// (the frames that were ready), the receiver may acknowledge them.
async fn read(
    stream: &mut SplitStream<Ws>,
    receiver: &mut Receiver,
    stop: &mut watch::Receiver<bool>,
) -> End {
    loop {
        tokio::select! {
            biased;
            message = stream.next() => {
                if let Some(end) = take(message, receiver) {
                    return end;
                }
                while let Some(message) = stream.next().now_or_never() {
                    if let Some(end) = take(message, receiver) {
                        return end;
                    }
                }
                receiver.burst_end();
            }
            _ = stop.wait_for(|stop| *stop) => return End::Stopped,
        }
    }
}

/// Handles one frame; how the socket ended, if it did.
fn take(
    message: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    receiver: &mut Receiver,
) -> Option<End> {
    match message {
        Some(Ok(Message::Text(text))) => {
            if let Err(err) = receiver.frame(text.as_str()) {
                receiver.error(&format!("{err:#}"));
            }
            None
        }
        Some(Ok(Message::Close(Some(close)))) if close.code == CloseCode::from(RESUME) => Some(
            End::Resume(format!("closed by the server: {}", close.reason)),
        ),
        Some(Ok(Message::Close(close))) => {
            Some(End::Closed(format!("closed by the server: {close:?}")))
        }
        Some(Ok(_)) => None,
        Some(Err(err)) => Some(End::Resume(format!("connection error: {err}"))),
        None => Some(End::Resume("connection ended".to_owned())),
    }
}

/// Sends queued frames, one flush per batch, until told to close; gives the queue back.
async fn write(
    mut sink: SplitSink<Ws, Message>,
    mut queue: mpsc::UnboundedReceiver<Message>,
    closing: Arc<Notify>,
) -> mpsc::UnboundedReceiver<Message> {
    loop {
        let first = tokio::select! {
            first = queue.recv() => first,
            () = closing.notified() => None,
        };
        let Some(first) = first else { break };
        let mut ok = sink.feed(first).await.is_ok();
        while ok && let Ok(next) = queue.try_recv() {
            ok = sink.feed(next).await.is_ok();
        }
        if !ok || sink.flush().await.is_err() {
            // The socket is gone: wait for the reader to notice, keeping the queue.
            closing.notified().await;
            break;
        }
    }
    let _ = sink.close().await;
    queue
}
