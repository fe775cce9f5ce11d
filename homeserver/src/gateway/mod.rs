//! The real-time gateway: the WebSocket at `/api/v1/ws` and what stands behind it: the
//! fan-out hub, receipts, typing and presence.

pub mod connection;
pub mod hub;
pub mod presence;
pub mod protocol;
pub mod receipts;
pub mod typing;
pub mod ws;

use std::sync::Arc;
use std::time::Duration;

pub use hub::Hub;

use crate::config::GatewayConfig;
use crate::db::Db;

/// The gateway's shared parts.
#[derive(Clone, Debug)]
pub struct Gateway {
    /// Open connections and fan-out to them.
    pub hub: Arc<Hub>,
    /// Delivery and read positions, gathered and written in batches.
    pub receipts: receipts::Receipts,
    /// Typing indicators with expiry.
    pub typing: Arc<typing::Typing>,
    /// Online/offline and last seen.
    pub presence: Arc<presence::Presence>,
}

impl Gateway {
    pub fn start(db: Db, hub: Arc<Hub>, config: &GatewayConfig) -> Self {
        Self {
            receipts: receipts::Receipts::start(
                db.clone(),
                hub.clone(),
                Duration::from_millis(config.receipt_flush_ms.max(1)),
            ),
            typing: typing::Typing::start(
                db.clone(),
                hub.clone(),
                Duration::from_secs(config.typing_ttl_secs.max(1)),
            ),
            presence: presence::Presence::new(
                db,
                hub.clone(),
                Duration::from_secs(config.presence_grace_secs),
            ),
            hub,
        }
    }
}
