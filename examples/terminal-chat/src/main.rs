//! `convo-chat`: chat with one person from a terminal, over the Convo gateway. It shows the
//! protocol at work: sent → delivered → read ticks, typing, presence, and resuming after a
//! lost connection without losing or doubling anything.
//!
//! Type a line to send it; `/typing` tells the other side you are typing; `/quit` leaves.

#![allow(clippy::print_stdout, reason = "a terminal program prints")]

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Parser;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio_tungstenite::tungstenite::Message;

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let args = Args::parse();
    let http = reqwest::Client::new();
    let api = |path: &str| format!("{}/api/v1{path}", args.server.trim_end_matches('/'));
    if args.register {
        let reply = http
            .post(api("/auth/register"))
            .json(&json!({ "username": args.username, "password": args.password }))
            .send()
            .await?;
        if !reply.status().is_success() && reply.status() != 409 {
            bail!("register: {}", reply.text().await?);
        }
    }
    let login: Value = http
        .post(api("/auth/login"))
        .json(&json!({ "username": args.username, "password": args.password, "device_name": "convo-chat" }))
        .send()
        .await?
        .error_for_status()
        .context("login")?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .context("no access token")?
        .to_owned();
    let me = login["user_id"].as_str().context("no user id")?.to_owned();
    let server_name = me.split_once(':').map(|(_, s)| s).unwrap_or_default();
    let peer = format!("@{}:{server_name}", args.with);
    // The other person may not have registered yet (the README starts alice first): wait.
    let mut waiting = false;
    let room: Value = loop {
        let reply = http
            .post(api("/rooms/direct"))
            .bearer_auth(&token)
            .json(&json!({ "user_id": peer }))
            .send()
            .await?;
        if reply.status() != reqwest::StatusCode::NOT_FOUND {
            break reply
                .error_for_status()
                .context("opening the chat")?
                .json()
                .await?;
        }
        if !waiting {
            println!("(waiting for {peer} to register…)");
            waiting = true;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let room_id = room["room_id"].as_str().context("no room id")?.to_owned();
    println!("chatting with {peer} in {room_id}. Type to send; /typing, /quit.");

    let ws_url = format!("{}/api/v1/ws", args.server.replacen("http", "ws", 1));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut since: Option<i64> = None;
    // seq of my messages → tick shown so far
    let mut mine: BTreeMap<i64, &str> = BTreeMap::new();
    let mut next_id = 0u64;
    loop {
        let (mut socket, _) = match tokio_tungstenite::connect_async(&ws_url).await {
            Ok(socket) => socket,
            Err(err) => {
                println!("(cannot connect: {err}; retrying)");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        let mut hello = json!({ "type": "hello", "id": "hello", "token": token });
        if let Some(since) = since {
            hello["since"] = json!(since);
        }
        socket.send(Message::text(hello.to_string())).await?;
        loop {
            tokio::select! {
                line = lines.next_line() => {
                    let Some(line) = line? else { return Ok(()) };
                    next_id += 1;
                    let frame = match line.trim() {
                        "/quit" => return Ok(()),
                        "/typing" => json!({ "type": "typing", "id": next_id.to_string(), "room_id": room_id, "typing": true }),
                        "" => continue,
                        text => json!({ "type": "send", "id": next_id.to_string(), "room_id": room_id, "txn_id": format!("{me}-{next_id}-{}", std::process::id()), "text": text }),
                    };
                    socket.send(Message::text(frame.to_string())).await?;
                }
                frame = socket.next() => {
                    let Some(Ok(Message::Text(text))) = frame else {
                        if matches!(frame, Some(Ok(Message::Ping(_)) | Ok(Message::Pong(_)))) { continue; }
                        println!("(connection lost; resuming)");
                        break;
                    };
                    let frame: Value = serde_json::from_str(&text)?;
                    show(&frame, &me, &room_id, &mut mine, &mut since, &mut socket).await?;
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Prints one server frame; acknowledges and reads incoming messages as they are shown.
async fn show(
    frame: &Value,
    me: &str,
    room_id: &str,
    mine: &mut BTreeMap<i64, &'static str>,
    since: &mut Option<i64>,
    socket: &mut Socket,
) -> anyhow::Result<()> {
    match frame["type"].as_str().unwrap_or("") {
        "ack" if frame.get("seq").is_some() => {
            let seq = frame["seq"].as_i64().unwrap_or(0);
            mine.insert(seq, "✓");
            println!("  ✓ sent (#{seq})");
        }
        "snapshot" => {
            *since = frame["pos"].as_i64();
            let unread = frame["rooms"]
                .as_array()
                .and_then(|rooms| rooms.iter().find(|r| r["room_id"] == room_id))
                .and_then(|r| r["unread_count"].as_i64())
                .unwrap_or(0);
            println!("(connected; {unread} unread)");
        }
        "synced" => println!("(reconnected; caught up)"),
        "event" => {
            let event = &frame["event"];
            *since = event["pos"].as_i64().or(*since);
            if event["room_id"] != room_id {
                return Ok(());
            }
            let seq = event["seq"].as_i64().unwrap_or(0);
            let sender = event["sender"].as_str().unwrap_or("?");
            match event["type"].as_str().unwrap_or("") {
                "message" if sender != me => {
                    println!(
                        "[{sender}] {}",
                        event["content"]["text"].as_str().unwrap_or("")
                    );
                    let pos = event["pos"].clone();
                    for reply in [
                        json!({ "type": "received", "id": "recv", "pos": pos }),
                        json!({ "type": "read", "id": "read", "room_id": room_id, "seq": seq }),
                    ] {
                        socket.send(Message::text(reply.to_string())).await?;
                    }
                }
                "message" => {}
                other => println!("  ({other} by {sender})"),
            }
        }
        "receipts" => {
            for update in frame["updates"].as_array().into_iter().flatten() {
                if update["user_id"] == me {
                    continue;
                }
                let (delivered, read) = (
                    update["delivered_up_to"].as_i64().unwrap_or(0),
                    update["read_up_to"].as_i64().unwrap_or(0),
                );
                for (seq, tick) in mine.iter_mut() {
                    let new = if *seq <= read {
                        "✓✓ read"
                    } else if *seq <= delivered {
                        "✓✓ delivered"
                    } else {
                        *tick
                    };
                    if new != *tick {
                        *tick = new;
                        println!("  {new} (#{seq})");
                    }
                }
            }
        }
        "typing" if frame["room_id"] == room_id => {
            let who = frame["user_id"].as_str().unwrap_or("?");
            println!(
                "  {who} {}",
                if frame["typing"] == true {
                    "is typing…"
                } else {
                    "stopped typing"
                }
            );
        }
        "presence" => {
            let who = frame["user_id"].as_str().unwrap_or("?");
            match (frame["online"].as_bool(), frame["last_seen"].as_i64()) {
                (Some(true), _) => println!("  {who} is online"),
                (_, Some(ms)) => {
                    println!("  {who} went offline (last seen {ms} ms after the epoch)")
                }
                _ => println!("  {who} went offline"),
            }
        }
        "error" => println!(
            "  error: {} ({})",
            frame["message"].as_str().unwrap_or(""),
            frame["code"].as_str().unwrap_or("")
        ),
        _ => {}
    }
    Ok(())
}
