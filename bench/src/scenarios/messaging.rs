//! The message-sending run shared by `fanout` and `rooms`: groups, one connection per user,
//! senders, the drain, and the exactly-once check.

use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use futures_util::future::join_all;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{Context, Report, connect_all, report_progress, shared};
use crate::cli::LoadArgs;
use crate::client::{self, Progress, Received, SendPlan, Sent};
use crate::message::MessageId;
use crate::procfs::CpuSample;
use crate::setup::{self, User};
use crate::stats::{Summary, per_second};

/// Who is where: each room's members (indices into the users, the first is the owner) and
/// the senders as (room, user).
#[derive(Debug)]
pub struct Layout {
    pub rooms: Vec<Vec<usize>>,
    pub senders: Vec<(usize, usize)>,
}

/// Runs the load on `layout` and reports; `params` (an object) opens the report.
pub async fn run(
    ctx: &Context,
    users: &[User],
    layout: &Layout,
    load: &LoadArgs,
    params: Value,
) -> Result<Report> {
    ensure!(load.in_flight >= 1, "--in-flight must be at least 1");
    ensure!(load.rate.is_none_or(|r| r > 0.0), "--rate must be positive");
    let room_ids = setup::create_groups(
        &ctx.api,
        &ctx.prefix,
        users,
        &layout.rooms,
        ctx.setup_concurrency,
    )
    .await?;
    let (shared, stop) = shared(ctx);
    let tokens: Vec<&str> = users.iter().map(|u| u.token.as_str()).collect();
    let mut conns = Vec::with_capacity(users.len());
    for (i, conn) in connect_all(ctx, &tokens, &shared)
        .await
        .into_iter()
        .enumerate()
    {
        conns.push(conn.with_context(|| format!("connection of user {i}"))?.0);
    }
    let setup_secs = ctx.started.elapsed().as_secs_f64();

    let plans = plans(layout, &room_ids, load);
    eprintln!(
        "run: {} senders, {} connections, {}",
        plans.len(),
        conns.len(),
        match (load.messages, load.rate) {
            (Some(n), _) => format!("{n} messages"),
            (None, Some(rate)) => format!("{rate} msgs/s for {} s", load.duration),
            (None, None) => format!("as fast as possible for {} s", load.duration),
        }
    );
    let progress = shared.progress.clone();
    let ticker = report_progress(&shared);
    let cpu_before = CpuSample::take(ctx.server_pid);
    let server_secs_before = crate::procfs::cpu_secs_opt(ctx.server_pid);
    let db_secs_before = ctx
        .database_cpu
        .then(|| crate::procfs::cpu_secs_named("postgres"))
        .flatten();
    let start_us = progress.now_us();
    let senders: Vec<_> = plans
        .into_iter()
        .zip(&layout.senders)
        .map(|(plan, &(_, user))| {
            let conn = &mut conns[user];
            let acks = conn.acks.take().context("two senders on one connection")?;
            Ok(tokio::spawn(client::send(
                plan,
                shared.prefix.clone(),
                progress.clone(),
                conn.out.clone(),
                acks,
            )))
        })
        .collect::<Result<_>>()?;
    let sent: Vec<Sent> = join_all(senders)
        .await
        .into_iter()
        .map(Result::unwrap_or_default)
        .collect();
    let send_end_us = progress.now_us();

    eprintln!("run: sending done; waiting for deliveries");
    let drained = Instant::now() + Duration::from_secs_f64(load.drain_timeout);
    while Progress::get(&progress.delivered) < Progress::get(&progress.expected)
        && Instant::now() < drained
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let end_us = progress.now_us();
    let cpu = cpu_before.percent_since(CpuSample::take(ctx.server_pid), secs(end_us - start_us));
    let server_secs = crate::procfs::cpu_secs_opt(ctx.server_pid)
        .zip(server_secs_before)
        .map(|(after, before)| after - before);
    let db_secs = ctx
        .database_cpu
        .then(|| crate::procfs::cpu_secs_named("postgres"))
        .flatten()
        .zip(db_secs_before)
        .map(|(after, before)| after - before);
    let server_rss_kib = ctx.server_rss_kib();
    let _ = stop.send(true);
    let _ = ticker.await;
    let received: Vec<Received> = join_all(conns.into_iter().map(|c| c.finish())).await;

    let check = verify(layout, &sent, &received);
    let last_ack = Progress::get(&progress.last_ack_us).max(start_us);
    let last_delivery = received
        .iter()
        .map(|r| r.last_delivery_us)
        .max()
        .unwrap_or(0)
        .max(start_us);
    let accepted: u64 = sent.iter().map(|s| s.acked.len() as u64).sum();
    let delivery = Summary::of(
        received
            .iter()
            .flat_map(|r| r.latencies_us.iter().copied())
            .collect(),
    );
    let ack = Summary::of(
        sent.iter()
            .flat_map(|s| s.ack_latencies_us.iter().copied())
            .collect(),
    );
    let to_all = Summary::of(
        received
            .iter()
            .flat_map(|r| r.delivered_to_all_us.iter().copied())
            .collect(),
    );
    // CPU time per delivered copy, in microseconds (each message counts once per recipient
    // connection).
    let per_copy = |cpu_secs: Option<f64>| {
        cpu_secs
            .filter(|_| check.delivered > 0)
            .map(|s| (s * 1e6 / check.delivered as f64 * 100.0).round() / 100.0)
    };
    let mut report = params;
    let fields = json!({
        "run": ctx.prefix,
        "rate": load.rate,
        "duration": load.messages.is_none().then_some(load.duration),
        "messages": load.messages,
        "in_flight": load.in_flight,
        "connections": received.len(),
        "sent": sent.iter().map(|s| s.sent).sum::<u64>(),
        "accepted": accepted,
        "accepted_msgs_per_s": per_second(accepted, secs(last_ack - start_us)),
        "deliveries": check.delivered,
        "expected_deliveries": check.expected,
        "deliveries_per_s": per_second(check.delivered, secs(last_delivery - start_us)),
        "delivery_p50_ms": delivery.p50,
        "delivery_p90_ms": delivery.p90,
        "delivery_p99_ms": delivery.p99,
        "delivery_max_ms": delivery.max,
        "ack_p50_ms": ack.p50,
        "ack_p90_ms": ack.p90,
        "ack_p99_ms": ack.p99,
        "ack_max_ms": ack.max,
        "lost": check.lost,
        "duplicated": check.duplicated,
        "duplicate_acks": sent.iter().map(|s| s.duplicate_acks).sum::<u64>(),
        "refused": tally(sent.iter().flat_map(|s| &s.refused)),
        "unacked": sent.iter().map(|s| s.unacked).sum::<u64>(),
        "unexpected_deliveries": check.unexpected,
        "out_of_order": received.iter().map(|r| r.out_of_order).sum::<u64>(),
        "error_frames": received.iter().map(|r| r.errors).sum::<u64>(),
        "disconnects": received.iter().filter(|r| r.closed.is_some()).count(),
        "resumes": tally(received.iter().flat_map(|r| &r.resumes)),
        "resent": sent.iter().map(|s| s.resent).sum::<u64>(),
        "send_s": round3(secs(send_end_us - start_us)),
        "drain_s": round3(secs(end_us - send_end_us)),
        "setup_s": round3(setup_secs),
        "server_rss_kib": server_rss_kib,
        "server_peak_rss_kib": ctx.server_peak_rss_kib(),
        "server_cpu_pct": cpu.1,
        "bench_cpu_pct": cpu.0,
        "server_cpu_us_per_copy": per_copy(server_secs),
        "database_cpu_pct": db_secs.map(|s| (s / secs(end_us - start_us) * 1000.0).round() / 10.0),
        "database_cpu_us_per_copy": per_copy(db_secs),
        "receipts": ctx.receipts == client::ReceiptMode::EveryBurst,
        "delivered_to_all": to_all.count,
        "delivered_to_all_p50_ms": to_all.p50,
        "delivered_to_all_p99_ms": to_all.p99,
        "rss_per_connection_kib": null,
    });
    if let (Some(report), Value::Object(fields)) = (report.as_object_mut(), fields) {
        report.extend(fields);
    }
    let failed = check.lost > 0 || check.duplicated > 0;
    eprintln!(
        "result: accepted {accepted}, delivered {}/{}, lost {}, duplicated {}",
        check.delivered, check.expected, check.lost, check.duplicated
    );
    Ok(Report {
        json: report,
        failed,
    })
}

/// One plan per sender: its room, its share of the messages and of the rate.
fn plans(layout: &Layout, room_ids: &[String], load: &LoadArgs) -> Vec<SendPlan> {
    let count = layout.senders.len();
    let deadline = load
        .messages
        .is_none()
        .then(|| Instant::now() + Duration::from_secs_f64(load.duration));
    layout
        .senders
        .iter()
        .enumerate()
        .map(|(i, &(room, _))| {
            let quota = load.messages.map(|n| {
                let (share, rest) = (n / count as u64, n % count as u64);
                share + u64::from((i as u64) < rest)
            });
            let pace = load.rate.map(|rate| {
                let every = Duration::from_secs_f64(count as f64 / rate);
                (every, every.mul_f64(i as f64 / count as f64))
            });
            SendPlan {
                sender: u32::try_from(i).unwrap_or(u32::MAX),
                room_id: room_ids[room].clone(),
                recipients: layout.rooms[room].len() as u64,
                quota,
                deadline,
                pace,
                in_flight: load.in_flight,
                drain_timeout: Duration::from_secs_f64(load.drain_timeout),
            }
        })
        .collect()
}

/// The exactly-once check, in deliveries.
#[derive(Debug, Default)]
struct Check {
    expected: u64,
    delivered: u64,
    lost: u64,
    duplicated: u64,
    /// Arrivals of messages whose send was never acknowledged.
    unexpected: u64,
}

/// Every accepted message must have reached every connection in its room exactly once.
fn verify(layout: &Layout, sent: &[Sent], received: &[Received]) -> Check {
    let mut check = Check {
        duplicated: received.iter().map(|r| r.duplicated).sum(),
        ..Check::default()
    };
    for (sender, (sent, &(room, _))) in sent.iter().zip(&layout.senders).enumerate() {
        let sender = u32::try_from(sender).unwrap_or(u32::MAX);
        for &member in &layout.rooms[room] {
            let seen = &received[member].seen;
            let found = sent
                .acked
                .iter()
                .filter(|&&seq| seen.contains(&MessageId { sender, seq }.key()))
                .count() as u64;
            check.expected += sent.acked.len() as u64;
            check.delivered += found;
        }
    }
    check.lost = check.expected - check.delivered;
    let arrived: u64 = received.iter().map(|r| r.seen.len() as u64).sum();
    check.unexpected = arrived.saturating_sub(check.delivered);
    check
}

/// Sums counts by name, as a JSON object.
pub fn tally<'a>(counts: impl Iterator<Item = (&'a String, &'a u64)>) -> Value {
    let mut all = serde_json::Map::new();
    for (name, n) in counts {
        let total = all.get(name).and_then(Value::as_u64).unwrap_or(0) + n;
        all.insert(name.clone(), json!(total));
    }
    Value::Object(all)
}

fn secs(us: u64) -> f64 {
    us as f64 / 1e6
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
