//! Rooms: direct chats and groups, their members and messages. Every change goes through the
//! [`Sequencer`]; this service checks what clients send (`input.rs`), creates rooms and acts
//! in them (`act.rs`), answers reads with what the caller may see (`read.rs`), and takes
//! devices' delivered and read positions (`ticks.rs`). REST and the WebSocket gateway both
//! call it; neither calls the other.
//!
//! Who writes what: the sequencer writes events and membership (`rooms`, `room_members`'s
//! membership columns, `events`, `reactions`); the receipts task (`receipts.rs`) writes
//! positions and the receipt log; `personal.rs` a member's own view (hidden chats, cleared
//! history, messages deleted for them).

mod act;
pub mod fanout;
mod input;
pub mod members;
pub mod model;
pub mod personal;
mod read;
pub mod receipts;
pub mod sequencer;
pub mod store;
mod ticks;

use std::sync::Arc;
use std::time::Duration;

use convo_federation::{RoomId, ServerName, UserId};
use tokio::task::JoinHandle;

use crate::accounts::Accounts;
use crate::config::{GatewayConfig, RoomsConfig};
use crate::db::Db;
use crate::error::Result;
pub use fanout::{Fanout, PositionUpdate};
use members::MemberDirectory;
pub use read::HistoryPage;
use receipts::Receipts;
pub use sequencer::{Created, Sequencer, SequencerTasks};

/// Longest client transaction id.
pub const TXN_ID_MAX: usize = 64;
pub const ROOM_NAME_MAX: usize = 64;
pub const ROOM_TOPIC_MAX: usize = 512;

/// The rooms service.
#[derive(Clone, Debug)]
pub struct Rooms {
    db: Db,
    sequencer: Sequencer,
    accounts: Accounts,
    server_name: ServerName,
    config: RoomsConfig,
    /// Joined members per room, kept current by the sequencer.
    members: Arc<MemberDirectory>,
    /// Delivered and read positions, gathered and written in batches.
    receipts: Receipts,
}

/// The rooms service's background tasks, for a clean shutdown ([`Rooms::stop`]).
#[derive(Debug)]
pub struct RoomsTasks {
    pub sequencer: SequencerTasks,
    pub receipts: JoinHandle<()>,
}

impl RoomsTasks {
    /// Waits for the tasks to finish what they accepted: the sequencer's commits and their
    /// fan-out, then the receipts it holds.
    pub async fn finished(self) {
        let _ = self.sequencer.writer.await;
        let _ = self.sequencer.delivery.await;
        let _ = self.receipts.await;
    }
}

impl Rooms {
    /// Starts the sequencer and the receipts task; `fanout` carries what they commit to
    /// connected clients.
    pub async fn start(
        db: Db,
        accounts: Accounts,
        server_name: ServerName,
        config: RoomsConfig,
        gateway: &GatewayConfig,
        fanout: Arc<dyn Fanout>,
    ) -> Result<(Self, RoomsTasks), sqlx::Error> {
        let members = Arc::new(MemberDirectory::new(db.clone(), config.cached_rooms as u64));
        let (sequencer, sequencer_tasks) =
            Sequencer::start(db.clone(), config.clone(), fanout.clone(), members.clone()).await?;
        let (receipts, receipts_task) = Receipts::start(
            db.clone(),
            fanout,
            members.clone(),
            Duration::from_millis(gateway.receipt_flush_ms.max(1)),
        );
        let rooms = Self {
            db,
            sequencer,
            accounts,
            server_name,
            config,
            members,
            receipts,
        };
        let tasks = RoomsTasks {
            sequencer: sequencer_tasks,
            receipts: receipts_task,
        };
        Ok((rooms, tasks))
    }

    pub fn config(&self) -> &RoomsConfig {
        &self.config
    }

    /// Stops taking changes and receipts; what was accepted is still committed (wait for
    /// [`RoomsTasks::finished`]).
    pub fn stop(&self) {
        self.sequencer.stop();
        self.receipts.stop();
    }

    /// How many room states the sequencer holds in memory.
    pub fn cached_rooms(&self) -> usize {
        self.sequencer.cached_rooms()
    }

    /// The joined members of a room, from memory when possible.
    pub async fn joined_members(&self, room_id: &RoomId) -> Result<Arc<[UserId]>> {
        Ok(self.members.joined(room_id).await?)
    }
}
