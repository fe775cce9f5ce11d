//! `snapshot`: a user in many rooms connects as a new device (no `since`): how long from
//! opening the socket until the snapshot of their chats has arrived, and how large it is.
//! Every room has a message from someone else, so each entry carries a last message, an
//! unread count and the other member's receipt positions.

use anyhow::{Context as _, Result, bail, ensure};
use futures_util::{SinkExt as _, StreamExt as _, TryStreamExt as _, stream};
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::{Context, Report};
use crate::cli::SnapshotArgs;
use crate::setup;
use crate::stats::Summary;

pub async fn run(ctx: &Context, args: SnapshotArgs) -> Result<Report> {
    ensure!(
        args.rooms >= 1 && args.connects >= 1,
        "--rooms and --connects must be at least 1"
    );
    let users = setup::create_users(&ctx.api, &ctx.prefix, 2, ctx.setup_concurrency).await?;
    let (me, other) = (&users[0], &users[1]);
    let rooms: Vec<Vec<usize>> = (0..args.rooms).map(|_| vec![1, 0]).collect();
    let room_ids =
        setup::create_groups(&ctx.api, &ctx.prefix, &users, &rooms, ctx.setup_concurrency).await?;
    eprintln!("setup: one message in each of {} rooms", room_ids.len());
    stream::iter(room_ids.iter().enumerate())
        .map(|(i, room)| async move {
            ctx.api
                .send_message(other, room, &format!("{}-m{i}", ctx.prefix), "hello")
                .await
        })
        .buffered(ctx.setup_concurrency)
        .try_collect::<Vec<_>>()
        .await?;
    let mut times = Vec::with_capacity(args.connects);
    let mut bytes = 0;
    let mut entries = 0;
    for _ in 0..args.connects {
        let started = Instant::now();
        let snapshot = connect_for_snapshot(&ctx.ws_url, &me.token).await?;
        times.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
        bytes = snapshot.len();
        let value: Value = serde_json::from_str(&snapshot)?;
        entries = value["rooms"].as_array().map_or(0, Vec::len);
    }
    ensure!(
        entries >= args.rooms,
        "the snapshot listed {entries} rooms, {} expected",
        args.rooms
    );
    let summary = Summary::of(times);
    eprintln!(
        "run: {} connects, snapshot of {entries} rooms ({bytes} bytes): p50 {:?} ms, p99 {:?} ms",
        args.connects, summary.p50, summary.p99
    );
    let json = json!({
        "scenario": "snapshot",
        "run": ctx.prefix,
        "rooms": entries,
        "connects": args.connects,
        "snapshot_bytes": bytes,
        "snapshot_p50_ms": summary.p50,
        "snapshot_p99_ms": summary.p99,
        "snapshot_max_ms": summary.max,
        "server_rss_kib": ctx.server_rss_kib(),
    });
    Ok(Report {
        json,
        failed: false,
    })
}

/// Opens a socket, says `hello` without `since`, and returns the snapshot frame's text.
async fn connect_for_snapshot(url: &str, token: &str) -> Result<String> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let hello = json!({ "type": "hello", "id": "h", "token": token });
    ws.send(Message::text(hello.to_string())).await?;
    while let Some(message) = ws.next().await {
        if let Message::Text(text) = message? {
            let kind = serde_json::from_str::<Value>(text.as_str())?["type"].clone();
            match kind.as_str() {
                Some("snapshot") => {
                    let _ = ws.close(None).await;
                    return Ok(text.as_str().to_owned());
                }
                Some("error") => bail!("hello refused: {text}"),
                _ => {}
            }
        }
    }
    bail!("the connection closed before the snapshot")
}
