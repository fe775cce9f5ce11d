//! The real-time gateway: the WebSocket at `/api/v1/ws` and what stands behind it: the
//! fan-out hub, typing and presence. (Receipts are the rooms service's; the hub carries
//! its frames.)

pub mod connection;
pub mod frames;
pub mod hub;
pub mod presence;
pub mod protocol;
pub mod typing;
pub mod ws;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use hub::Hub;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use crate::accounts::Accounts;
use crate::config::GatewayConfig;
use crate::rooms::Rooms;

/// The gateway's shared parts.
#[derive(Clone, Debug)]
pub struct Gateway {
    /// Open connections and fan-out to them.
    pub hub: Arc<Hub>,
    /// Typing indicators with expiry.
    pub typing: Arc<typing::Typing>,
    /// Online/offline and last seen.
    pub presence: Arc<presence::Presence>,
    /// Every connection's task, so that shutdown can wait for them.
    pub connections: TaskTracker,
    /// Set once shutdown began: no new connections.
    closing: Arc<AtomicBool>,
    /// The typing sweeper, stopped at shutdown.
    sweeper: Arc<JoinHandle<()>>,
}

impl Gateway {
    pub fn start(rooms: Rooms, accounts: Accounts, hub: Arc<Hub>, config: &GatewayConfig) -> Self {
        let (typing, sweeper) = typing::Typing::start(
            rooms.clone(),
            hub.clone(),
            Duration::from_secs(config.typing_ttl_secs.max(1)),
        );
        Self {
            typing,
            presence: presence::Presence::new(
                rooms,
                accounts,
                hub.clone(),
                Duration::from_secs(config.presence_grace_secs),
            ),
            hub,
            connections: TaskTracker::new(),
            closing: Arc::new(AtomicBool::new(false)),
            sweeper: Arc::new(sweeper),
        }
    }

    /// Whether shutdown has begun.
    pub fn closing(&self) -> bool {
        self.closing.load(Ordering::Relaxed)
    }

    /// Shutdown: takes no new connections, tells every open one to reconnect (1012) once
    /// its requests in flight are answered, waits up to `grace` for them to close, and
    /// records everyone's last seen.
    pub async fn shutdown(&self, grace: Duration) {
        self.closing.store(true, Ordering::Relaxed);
        self.hub.close_all(protocol::close::RESTARTING);
        self.connections.close();
        if tokio::time::timeout(grace, self.connections.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                open = self.hub.connections(),
                "some WebSocket connections did not close in time"
            );
        }
        self.presence.shutdown().await;
        self.sweeper.abort();
    }
}
