//! `convo-chat`: chat with one person from a terminal, over the Convo gateway. It shows the
//! protocol at work: sent → delivered → read ticks, typing, presence, and resuming after a
//! lost connection without losing or doubling anything.
//!
//! Type a line to send it; `/typing` tells the other side you are typing; `/quit` leaves (at
//! any time, also while connecting or reconnecting).
//!
//! What the other side sees, and when:
//! - **✓ sent** (`✓ sent (#seq)`): the server stored the message (the answer to `send`).
//! - **✓✓ delivered** (`✓✓ delivered (#seq)`): a device of the other person has it. This
//!   program sends `received` with the event's `pos` as soon as an event arrives.
//! - **✓✓ read** (`✓✓ read (#seq)`, blue ticks on a colour terminal): the other person saw
//!   it. A terminal cannot tell whether anyone is looking, so this program counts a message
//!   as seen once it has been on screen for `--read-delay` seconds while its user is there,
//!   and sends `read` with the room's `seq` then. "There" means having typed a line in the
//!   last five minutes (or started the program); someone away longer reads what arrived when
//!   they next type a line.
//!
//! On start the program logs in as a new device and gets a snapshot: it prints the unread
//! messages (fetched with `GET /api/v1/rooms/{room_id}/messages`) before anything is marked
//! read. Those did not come over this connection, which is all that `received` can vouch for,
//! so the other side sees them go from ✓ straight to read. After a lost connection it resumes from the last `pos` it holds; messages typed
//! meanwhile, and ones whose answer was lost, are sent when it is back, with their first
//! `txn_id`, so none is stored twice. Ticks that moved while it was away show with the next
//! receipt, which carries the whole position. Access tokens are short-lived: it refreshes
//! them (`POST /api/v1/auth/refresh`) before they expire or when the server says they have,
//! and logs in again if the refresh token is refused.
//!
//! Every line it prints is one thing that happened, in a stable form, so that a script (or
//! a test) can follow a conversation.

#![allow(clippy::print_stdout, reason = "a terminal program prints")]

mod chat;
mod input;
mod session;

use std::time::Duration;

use anyhow::bail;
use clap::Parser;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use chat::Chat;
use input::{Input, is_quit};
use session::{Session, is_auth_error};

/// Chat with one person on a Convo homeserver.
#[derive(Debug, Parser)]
struct Args {
    /// The homeserver.
    #[arg(long, default_value = "http://127.0.0.1:8008")]
    server: String,
    /// Your username.
    #[arg(long)]
    username: String,
    /// Your password.
    #[arg(long, env = "CONVO_PASSWORD")]
    password: String,
    /// The username of the person to chat with.
    #[arg(long)]
    with: String,
    /// Create your account first (ignored if it exists).
    #[arg(long)]
    register: bool,
    /// Seconds a message is on screen before it counts as read.
    #[arg(long, default_value_t = 2.0)]
    read_delay: f64,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Why a connection ended.
enum End {
    Quit,
    /// Lost: reconnect and resume.
    Lost,
    /// The server refused the access token: sign in again, then reconnect.
    SignIn,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let args = Args::parse();
    let mut input = Input::start();
    let start = Session::start(&args.server, &args.username, &args.password, args.register);
    let Some(session) = input.unless_quit(start).await else {
        return Ok(());
    };
    let mut session = session?;
    let server_name = session
        .user_id
        .split_once(':')
        .map(|(_, s)| s.to_owned())
        .unwrap_or_default();
    let peer = format!("@{}:{server_name}", args.with);
    let Some(room_id) = open_chat(&mut session, &mut input, &peer).await? else {
        return Ok(());
    };
    println!("chatting with {peer} in {room_id}. Type to send; /typing, /quit.");
    let read_delay = Duration::try_from_secs_f64(args.read_delay).unwrap_or(Duration::ZERO);
    let mut chat = Chat::new(session.user_id.clone(), peer, room_id, read_delay);
    loop {
        let token = match input.unless_quit(session.token()).await {
            None => return Ok(()),
            Some(Ok(token)) => token,
            Some(Err(err)) => {
                println!("(cannot sign in: {err}; retrying)");
                if !input.pause(Duration::from_secs(2)).await {
                    return Ok(());
                }
                continue;
            }
        };
        let ws_url = session.ws_url();
        let mut socket = match input
            .unless_quit(tokio_tungstenite::connect_async(ws_url))
            .await
        {
            None => return Ok(()),
            Some(Ok((socket, _))) => socket,
            Some(Err(err)) => {
                println!("(cannot connect: {err}; retrying)");
                if !input.pause(Duration::from_secs(2)).await {
                    return Ok(());
                }
                continue;
            }
        };
        match serve(&mut socket, &token, &mut chat, &mut session, &mut input).await {
            End::Quit => {
                let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
                return Ok(());
            }
            End::Lost => {
                println!("(connection lost; resuming)");
                if !input.pause(Duration::from_secs(1)).await {
                    return Ok(());
                }
            }
            End::SignIn => match input.unless_quit(session.renew()).await {
                None => return Ok(()),
                Some(Ok(())) => {}
                Some(Err(err)) => {
                    println!("(cannot sign in: {err}; retrying)");
                    if !input.pause(Duration::from_secs(2)).await {
                        return Ok(());
                    }
                }
            },
        }
    }
}

/// The room of the direct chat with `peer`; waits for them to register (the README starts
/// alice first). `None` if the user quits meanwhile.
async fn open_chat(
    session: &mut Session,
    input: &mut Input,
    peer: &str,
) -> anyhow::Result<Option<String>> {
    let mut waiting = false;
    loop {
        let body = json!({ "user_id": peer });
        let Some(answer) = input
            .unless_quit(session.call("/rooms/direct", Some(&body)))
            .await
        else {
            return Ok(None);
        };
        let (status, answer) = answer?;
        if status.is_success()
            && let Some(room_id) = answer["room_id"].as_str()
        {
            return Ok(Some(room_id.to_owned()));
        }
        if status != reqwest::StatusCode::NOT_FOUND {
            bail!("opening the chat: {status} {answer}");
        }
        if !waiting {
            println!("(waiting for {peer} to register…)");
            waiting = true;
        }
        if !input.pause(Duration::from_secs(1)).await {
            return Ok(None);
        }
    }
}

/// Serves one connection: hello, then the user's lines, the server's frames and the read
/// timer, until it ends.
async fn serve(
    socket: &mut Socket,
    token: &str,
    chat: &mut Chat,
    session: &mut Session,
    input: &mut Input,
) -> End {
    let mut hello = json!({ "type": "hello", "id": "hello", "token": token });
    if let Some(since) = chat.since {
        hello["since"] = json!(since);
    }
    if !send(socket, [hello]).await {
        return End::Lost;
    }
    loop {
        let read_due = chat.read_due();
        tokio::select! {
            line = input.next() => {
                let Some(line) = line.filter(|line| !is_quit(line)) else { return End::Quit };
                if !send(socket, chat.typed(&line)).await {
                    return End::Lost;
                }
            }
            () = sleep_until(read_due), if read_due.is_some() => {
                if !send(socket, chat.read_timer()).await {
                    return End::Lost;
                }
            }
            message = socket.next() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(Some(close)))) if close.code == CloseCode::from(4001) => {
                        return End::SignIn;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_) | Message::Binary(_))) => continue,
                    _ => return End::Lost,
                };
                let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
                if frame["id"] == "hello" {
                    if frame["type"] == "error" {
                        if is_auth_error(&frame) {
                            return End::SignIn;
                        }
                        println!("  error: {}", frame["message"].as_str().unwrap_or(""));
                        return End::Lost;
                    }
                    if !send(socket, chat.connected()).await {
                        return End::Lost;
                    }
                    continue;
                }
                let (frames, unread_after) = chat.frame(&frame);
                if !send(socket, frames).await {
                    return End::Lost;
                }
                if let Some(after) = unread_after {
                    let fetched = match input.unless_quit(unread(session, chat, after)).await {
                        None => return End::Quit,
                        Some(fetched) => fetched,
                    };
                    match fetched {
                        Ok(events) => chat.history(&events),
                        Err(err) => println!("(cannot fetch the unread messages: {err})"),
                    }
                }
            }
        }
    }
}

async fn sleep_until(at: Option<std::time::Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at.into()).await;
    }
}

/// Sends frames; false if the connection is gone.
async fn send(socket: &mut Socket, frames: impl IntoIterator<Item = Value>) -> bool {
    for frame in frames {
        if socket.feed(Message::text(frame.to_string())).await.is_err() {
            return false;
        }
    }
    socket.flush().await.is_ok()
}

/// The room's events after `after` (my read position), over REST, oldest first.
async fn unread(session: &mut Session, chat: &Chat, after: i64) -> anyhow::Result<Vec<Value>> {
    let room = encode(chat.room_id());
    let mut events = Vec::new();
    let mut after = after;
    // A page at a time, until one comes back empty (bounded, for a server gone wrong).
    for _ in 0..100 {
        let path = format!("/rooms/{room}/messages?after={after}&limit=200");
        let (status, page) = session.call(&path, None).await?;
        if !status.is_success() {
            bail!("{status} {page}");
        }
        let page = page["events"].as_array().cloned().unwrap_or_default();
        let Some(last) = page.last().and_then(|e| e["seq"].as_i64()) else {
            break;
        };
        after = last;
        events.extend(page);
    }
    Ok(events)
}

/// An id percent-encoded for a path segment.
fn encode(id: &str) -> String {
    let mut out = String::with_capacity(id.len() * 3);
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
