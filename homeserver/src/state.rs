//! The state every request handler receives: cheap to clone (one reference count: every open
//! connection holds a copy), no globals, so several homeservers can run in one process (the
//! tests do).

use std::sync::Arc;

use convo_federation::{ServerName, ServerSigningKey};

use crate::accounts::Accounts;
use crate::config::Config;
use crate::db::Db;
use crate::gateway::Gateway;
use crate::http::metrics::Metrics;
use crate::ratelimit::Limits;
use crate::rooms::Rooms;
use crate::sessions::Sessions;

/// The server's services, shared: fields are reached through it (`state.rooms`).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// Everything a handler may need.
#[derive(Debug)]
pub struct Services {
    /// The configuration the server started with; read-only.
    pub config: Arc<Config>,
    /// This server's name, parsed once at start.
    pub server_name: ServerName,
    /// The database pool, for health checks; services hold their own clone.
    pub db: Db,
    /// Registration, credentials and profiles.
    pub accounts: Accounts,
    /// Device sessions and token checks.
    pub sessions: Sessions,
    /// Rooms, members and messages; writes go through its sequencer.
    pub rooms: Rooms,
    /// The real-time gateway: connections, fan-out, receipts, typing, presence.
    pub gateway: Gateway,
    /// Login and registration rate limits, in memory.
    pub limits: Arc<Limits>,
    /// Request counters and latency histograms for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The server's ed25519 key: federation signs with it; access tokens derive theirs from it.
    pub signing_key: Arc<ServerSigningKey>,
}
