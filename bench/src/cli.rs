//! Command-line arguments: the server, the scenario and its load shape.

use clap::{Args, Parser, Subcommand};

/// Load benchmark for the Convo homeserver. Progress goes to stderr; the result is one JSON
/// line on stdout. Exits non-zero if any message was lost or delivered twice.
#[derive(Debug, Parser)]
#[command(name = "convo-bench", version)]
pub struct Cli {
    /// Base URL of the homeserver (loopback addresses only).
    #[arg(long, global = true, default_value = "http://127.0.0.1:8008")]
    pub server: String,
    /// The server's process id, to sample its memory (VmRSS) and CPU time from /proc.
    #[arg(long, global = true)]
    pub server_pid: Option<u32>,
    /// Parallel registrations/logins/room creations during setup (each login costs ~50 ms
    /// of argon2 on the server).
    #[arg(long, global = true, default_value_t = 8)]
    pub setup_concurrency: usize,
    /// WebSocket connections opened at once.
    #[arg(long, global = true, default_value_t = 128)]
    pub connect_concurrency: usize,
    /// Every device acknowledges what it received after each burst of frames it reads (as a
    /// real client does), and senders time how long until each of their messages is
    /// delivered to every other member (from the `receipts` frames). Without it, a device
    /// acknowledges every 100 events and receipts are not timed.
    #[arg(long, global = true)]
    pub receipts: bool,
    /// Give `received` frames an `id` (servers before the answerless `received` need one).
    #[arg(long, global = true)]
    pub received_ids: bool,
    /// Also measure the CPU of every `postgres` process on this machine (the database the
    /// server uses, when it is local): database CPU per delivered copy.
    #[arg(long, global = true)]
    pub database_cpu: bool,
    #[command(subcommand)]
    pub scenario: Scenario,
}

#[derive(Debug, Subcommand)]
pub enum Scenario {
    /// One group; some members send, every member's connection receives.
    Fanout(FanoutArgs),
    /// Many small groups, each with its own senders.
    Rooms(RoomsArgs),
    /// Many authenticated idle connections: memory per connection.
    Idle(IdleArgs),
    /// A user in many rooms connects as a new device: time until the snapshot arrives.
    Snapshot(SnapshotArgs),
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Rooms the user is in (groups of two, each with a message from the other member).
    #[arg(long, default_value_t = 1000)]
    pub rooms: usize,
    /// Connections made one after another, each timed.
    #[arg(long, default_value_t = 20)]
    pub connects: usize,
}

#[derive(Debug, Args)]
pub struct FanoutArgs {
    /// Members of the group (one connection each).
    #[arg(long, default_value_t = 50)]
    pub members: usize,
    /// How many of the members send.
    #[arg(long, default_value_t = 10)]
    pub senders: usize,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Debug, Args)]
pub struct RoomsArgs {
    /// Number of groups.
    #[arg(long, default_value_t = 100)]
    pub rooms: usize,
    /// Members per group (distinct users, one connection each).
    #[arg(long, default_value_t = 10)]
    pub members: usize,
    /// Senders in each group.
    #[arg(long, default_value_t = 1)]
    pub senders_per_room: usize,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Debug, Args)]
pub struct IdleArgs {
    /// Idle connections to open.
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    /// Users whose tokens the connections share.
    #[arg(long, default_value_t = 100)]
    pub users: usize,
    /// Seconds to hold the connections open after the memory sample.
    #[arg(long, default_value_t = 1.0)]
    pub hold: f64,
}

/// How hard and how long to send.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Seconds to send for (ignored when --messages is given).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Send exactly this many messages in total instead of sending for a duration.
    #[arg(long)]
    pub messages: Option<u64>,
    /// Total messages per second, paced and spread over the senders; unlimited if absent.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Unacknowledged sends each sender may have outstanding.
    #[arg(long, default_value_t = 32)]
    pub in_flight: usize,
    /// Seconds to wait after sending for outstanding acks and deliveries.
    #[arg(long, default_value_t = 10.0)]
    pub drain_timeout: f64,
}
