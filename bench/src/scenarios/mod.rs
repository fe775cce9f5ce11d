//! The scenarios, and what they share: the run context, opening many connections, and the
//! report.

mod fanout;
mod idle;
mod messaging;
mod rooms;
mod snapshot;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use futures_util::{StreamExt as _, stream};
use serde_json::Value;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::cli::{Cli, Scenario};
use crate::client::{self, Connection, Progress, Shared};
use crate::setup::{self, Api};

/// The outcome of a run.
#[derive(Debug)]
pub struct Report {
    /// The final JSON line.
    pub json: Value,
    /// Messages were lost or delivered twice.
    pub failed: bool,
}

/// What every scenario needs.
#[derive(Debug)]
pub struct Context {
    pub api: Api,
    pub ws_url: String,
    /// Prefix of this run's user names and message ids.
    pub prefix: String,
    pub server_pid: Option<u32>,
    pub setup_concurrency: usize,
    pub connect_concurrency: usize,
    /// How devices acknowledge what they received (see `--receipts`).
    pub receipts: client::ReceiptMode,
    /// Whether `received` frames carry an `id`.
    pub received_ids: bool,
    /// Whether to measure the local PostgreSQL's CPU.
    pub database_cpu: bool,
    /// When the run began (setup time is measured from here).
    pub started: Instant,
}

impl Context {
    /// The server's resident memory now, in KiB.
    pub fn server_rss_kib(&self) -> Option<u64> {
        self.server_pid
            .and_then(|pid| crate::procfs::status_kib(pid, "VmRSS"))
    }

    /// The server's peak resident memory so far, in KiB.
    pub fn server_peak_rss_kib(&self) -> Option<u64> {
        self.server_pid
            .and_then(|pid| crate::procfs::status_kib(pid, "VmHWM"))
    }
}

pub async fn run(cli: Cli) -> Result<Report> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => eprintln!("setup: open-file limit {limit}"),
        Err(err) => eprintln!("warning: could not raise the open-file limit: {err}"),
    }
    let api = Api::new(&cli.server)?;
    let ctx = Context {
        ws_url: api.ws_url()?,
        api,
        prefix: setup::run_prefix(),
        server_pid: cli.server_pid,
        setup_concurrency: cli.setup_concurrency.max(1),
        connect_concurrency: cli.connect_concurrency.max(1),
        receipts: if cli.receipts {
            client::ReceiptMode::EveryBurst
        } else {
            client::ReceiptMode::Every(100)
        },
        received_ids: cli.received_ids,
        database_cpu: cli.database_cpu,
        started: Instant::now(),
    };
    eprintln!("convo-bench: run {} against {}", ctx.prefix, cli.server);
    if ctx.server_pid.is_none() {
        eprintln!("note: no --server-pid, so no server memory or CPU figures");
    }
    match cli.scenario {
        Scenario::Fanout(args) => Box::pin(fanout::run(&ctx, args)).await,
        Scenario::Rooms(args) => Box::pin(rooms::run(&ctx, args)).await,
        Scenario::Idle(args) => Box::pin(idle::run(&ctx, args)).await,
        Scenario::Snapshot(args) => Box::pin(snapshot::run(&ctx, args)).await,
    }
}

/// Fresh run-wide state: the counters, and the switch that stops the receivers.
fn shared(ctx: &Context) -> (Shared, watch::Sender<bool>) {
    let (stop_tx, stop) = watch::channel(false);
    let shared = Shared {
        prefix: Arc::from(ctx.prefix.as_str()),
        progress: Arc::new(Progress::new()),
        stop,
        receipts: ctx.receipts,
        received_ids: ctx.received_ids,
    };
    (shared, stop_tx)
}

/// One connection per token, `connect_concurrency` at a time, in order; each with the time
/// it took from TCP connect to snapshot.
async fn connect_all(
    ctx: &Context,
    tokens: &[&str],
    shared: &Shared,
) -> Vec<Result<(Connection, Duration)>> {
    let total = tokens.len();
    eprintln!("setup: opening {total} WebSocket connections");
    let step = (total / 10).max(1);
    let mut done = 0;
    stream::iter(tokens)
        .map(|token| async move {
            let started = Instant::now();
            let conn = client::connect(&ctx.ws_url, token, shared).await?;
            Ok((conn, started.elapsed()))
        })
        .buffered(ctx.connect_concurrency)
        .inspect(|_| {
            done += 1;
            if done % step == 0 {
                eprintln!("setup: {done} connections ready");
            }
        })
        .collect()
        .await
}

/// Prints the counters every second until `stop`.
fn report_progress(shared: &Shared) -> tokio::task::JoinHandle<()> {
    let progress = shared.progress.clone();
    let mut stop = shared.stop.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.tick().await;
        let (mut sent_before, mut delivered_before) = (0, 0);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = stop.wait_for(|stop| *stop) => return,
            }
            let p = &progress;
            let sent = Progress::get(&p.sent);
            let delivered = Progress::get(&p.delivered);
            eprintln!(
                "[{:>4.0}s] sent {sent} (+{}/s)  acked {}  delivered {delivered}/{} (+{}/s)  \
                 duplicated {}  errors {}  resumes {}  disconnects {}",
                started.elapsed().as_secs_f64(),
                sent - sent_before,
                Progress::get(&p.acked),
                Progress::get(&p.expected),
                delivered - delivered_before,
                Progress::get(&p.duplicated),
                Progress::get(&p.errors),
                Progress::get(&p.resumes),
                Progress::get(&p.disconnects),
            );
            (sent_before, delivered_before) = (sent, delivered);
        }
    })
}
