//! `idle`: many authenticated idle connections; the server's memory per connection.

use std::time::Duration;

use anyhow::{Result, ensure};
use futures_util::future::join_all;
use serde_json::json;
use tokio::time::Instant;

use super::{Context, Report, connect_all, shared};
use crate::cli::IdleArgs;
use crate::setup;
use crate::stats::Summary;

/// Time for the server to settle before a memory sample.
const SETTLE: Duration = Duration::from_secs(2);

pub async fn run(ctx: &Context, args: IdleArgs) -> Result<Report> {
    ensure!(
        args.users >= 1 && args.connections >= 1,
        "--users and --connections must be at least 1"
    );
    let users = setup::create_users(
        &ctx.api,
        &ctx.prefix,
        args.users.min(args.connections),
        ctx.setup_concurrency,
    )
    .await?;
    tokio::time::sleep(SETTLE).await;
    let rss_before = ctx.server_rss_kib();
    let (shared, stop) = shared(ctx);
    let tokens: Vec<&str> = (0..args.connections)
        .map(|i| users[i % users.len()].token.as_str())
        .collect();
    let started = Instant::now();
    let results = connect_all(ctx, &tokens, &shared).await;
    let connect_secs = started.elapsed().as_secs_f64();
    let mut conns = Vec::with_capacity(results.len());
    let mut times = Vec::with_capacity(results.len());
    let mut failures = 0_u64;
    let mut first_failure = None;
    for result in results {
        match result {
            Ok((conn, took)) => {
                conns.push(conn);
                times.push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
            }
            Err(err) => {
                failures += 1;
                first_failure.get_or_insert_with(|| format!("{err:#}"));
            }
        }
    }
    if let Some(err) = &first_failure {
        eprintln!("warning: {failures} connections failed; the first: {err}");
    }
    eprintln!(
        "run: {} connections open (snapshot received) in {connect_secs:.1} s; settling",
        conns.len()
    );
    tokio::time::sleep(SETTLE).await;
    let rss_after = ctx.server_rss_kib();
    let open = conns.len();
    let per_connection = rss_before
        .zip(rss_after)
        .filter(|_| open > 0)
        .map(|(before, after)| {
            let per = (after as f64 - before as f64) / open as f64;
            (per * 10.0).round() / 10.0
        });
    if let Some(per) = per_connection {
        eprintln!("run: server RSS {rss_before:?} → {rss_after:?} KiB: {per} KiB per connection");
    }
    tokio::time::sleep(Duration::from_secs_f64(args.hold)).await;
    let _ = stop.send(true);
    let received = join_all(conns.into_iter().map(|c| c.finish())).await;
    let disconnects = received.iter().filter(|r| r.closed.is_some()).count();
    let connect = Summary::of(times);
    let json = json!({
        "scenario": "idle",
        "run": ctx.prefix,
        "connections": open,
        "requested_connections": args.connections,
        "failed_connections": failures,
        "first_failure": first_failure,
        "users": users.len(),
        "members": null,
        "senders": null,
        "rooms": null,
        "rate": null,
        "duration": null,
        "accepted_msgs_per_s": null,
        "deliveries_per_s": null,
        "delivery_p50_ms": null,
        "delivery_p99_ms": null,
        "ack_p50_ms": null,
        "ack_p99_ms": null,
        "lost": 0,
        "duplicated": 0,
        "disconnects": disconnects,
        "resumes": super::messaging::tally(received.iter().flat_map(|r| &r.resumes)),
        "connect_s": (connect_secs * 1000.0).round() / 1000.0,
        "connect_p50_ms": connect.p50,
        "connect_p99_ms": connect.p99,
        "connect_max_ms": connect.max,
        "server_rss_before_kib": rss_before,
        "server_rss_kib": rss_after,
        "server_peak_rss_kib": ctx.server_peak_rss_kib(),
        "rss_per_connection_kib": per_connection,
    });
    Ok(Report {
        json,
        failed: failures > 0 || disconnects > 0,
    })
}
