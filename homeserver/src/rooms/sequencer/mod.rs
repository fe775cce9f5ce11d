//! The sequencer: the one writer of room events. Every change to a room (from a local client
//! now, from other servers once federation lands) is proposed here. It decides on each
//! proposal against the room's in-memory state, gives accepted ones the room's next `seq`
//! (gap-free) and the server's next stream position, and commits them in batches: one
//! transaction for everything that arrived while the previous batch was being written (group
//! commit). Only after the commit does it answer the proposer and hand the events to fan-out.
//!
//! - `writer.rs`: the batch loop and the careful path (one job at a time, in savepoints);
//! - `pipeline.rs`: plain messages, decided while the batch before commits;
//! - `decide.rs`: who may do what, and what it changes; `sequence.rs`: positions, ids and
//!   the writes an event comes to; `tx.rs`: the reads and writes themselves;
//! - `state.rs` and `cache.rs`: room states in memory, bounded; `known.rs`: transactions
//!   answered; `deliver.rs`: answers and fan-out after each commit.

mod cache;
mod careful;
mod decide;
mod deliver;
mod known;
mod pipeline;
mod recent;
mod sequence;
mod state;
mod tx;
mod writer;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use convo_federation::{RoomId, UserId};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::RoomsConfig;
use crate::db::Db;
use crate::error::{Error, ErrorCode, Result};
use crate::rooms::Fanout;
use crate::rooms::members::MemberDirectory;
use crate::rooms::model::{Committed, NewRoom, Proposal};
use crate::rooms::store;
pub use state::{MemberState, RoomState};
pub use tx::txn_hash;

/// How many proposals may wait for the sequencer before proposers wait too.
const QUEUE: usize = 8192;

/// Committed batches waiting to be answered and published before commits wait too.
const DELIVERIES: usize = 4;

/// The result of creating a room.
#[derive(Debug)]
pub enum Created {
    New {
        room_id: RoomId,
        events: Vec<Arc<Committed>>,
    },
    /// A direct chat between these two people already existed.
    Existing(RoomId),
}

enum Job {
    Propose(Proposal, oneshot::Sender<Result<Arc<Committed>>>),
    Create(NewRoom, oneshot::Sender<Result<Created>>),
    Mute(RoomId, UserId, bool, oneshot::Sender<Result<()>>),
}

impl Job {
    fn room(&self) -> &RoomId {
        match self {
            Job::Propose(p, _) => &p.room_id,
            Job::Create(r, _) => &r.room_id,
            Job::Mute(room, _, _, _) => room,
        }
    }

    /// A text message without a reply: decided from memory alone.
    fn is_plain(&self) -> bool {
        matches!(self, Job::Propose(p, _) if decide::is_plain_message(&p.action))
    }

    fn txn_key(&self) -> Option<tx::TxnKey> {
        match self {
            Job::Propose(p, _) => known::txn_key(p),
            _ => None,
        }
    }
}

/// What one job came to.
enum Outcome {
    Propose(Result<Arc<Committed>>),
    Create(Result<Created>),
    Mute(Result<()>),
}

/// A handle to the sequencer task; cheap to clone.
#[derive(Clone, Debug)]
pub struct Sequencer {
    jobs: mpsc::Sender<Job>,
    /// Turned true on shutdown: the writer takes no new proposals, commits the queued ones
    /// and stops.
    stop: Arc<watch::Sender<bool>>,
    /// Room states held in memory, for `/metrics`.
    cached_rooms: Arc<AtomicUsize>,
}

/// The sequencer's tasks. After [`Sequencer::stop`] (or once every handle is dropped) the
/// writer commits what it accepted and ends, then the delivery task answers and publishes
/// the last of it and ends.
#[derive(Debug)]
pub struct SequencerTasks {
    pub writer: JoinHandle<()>,
    pub delivery: JoinHandle<()>,
}

fn stopped() -> Error {
    Error::new(ErrorCode::Unavailable, "the server is shutting down")
}

impl Sequencer {
    /// Starts the sequencer's tasks. They stop when every handle is dropped.
    pub async fn start(
        db: Db,
        config: RoomsConfig,
        fanout: Arc<dyn Fanout>,
        members: Arc<MemberDirectory>,
    ) -> Result<(Self, SequencerTasks), sqlx::Error> {
        let keyed = tx::key_old_transactions(&db).await?;
        if keyed > 0 {
            tracing::info!(
                events = keyed,
                "computed the transaction keys of older events"
            );
        }
        let next_pos = store::max_stream_pos(&db).await? + 1;
        let (jobs, rx) = mpsc::channel(QUEUE);
        let (deliveries, committed) = mpsc::channel(DELIVERIES);
        let cached_rooms = Arc::new(AtomicUsize::new(0));
        let delivery = tokio::spawn(deliver::deliver_all(committed, fanout, members));
        let (stop, stopping) = watch::channel(false);
        let writer = writer::Writer::new(db, config, deliveries, next_pos, cached_rooms.clone());
        let writer = tokio::spawn(writer.run(rx, stopping));
        let sequencer = Self {
            jobs,
            stop: Arc::new(stop),
            cached_rooms,
        };
        Ok((sequencer, SequencerTasks { writer, delivery }))
    }

    /// Appends an action to a room; answers once it is durably stored.
    pub async fn propose(&self, proposal: Proposal) -> Result<Arc<Committed>> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Propose(proposal, reply), answer).await
    }

    /// Queues a proposal at once, behind those queued before it: proposals queued one after
    /// another in a room get increasing `seq`s in that order. The answer comes once it is
    /// committed. Refused (`UNAVAILABLE`) if the queue is full or the server is stopping.
    pub fn propose_now(
        &self,
        proposal: Proposal,
    ) -> Result<impl Future<Output = Result<Arc<Committed>>> + Send + use<>> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .try_send(Job::Propose(proposal, reply))
            .map_err(|err| match err {
                mpsc::error::TrySendError::Full(_) => Error::new(
                    ErrorCode::Unavailable,
                    "the server is busy; send it again (the same txn_id is safe)",
                ),
                mpsc::error::TrySendError::Closed(_) => stopped(),
            })?;
        Ok(async move {
            answer
                .await
                .unwrap_or_else(|_| Err(Error::internal("sequencer batch failed")))
        })
    }

    /// Creates a room with its first members.
    pub async fn create(&self, room: NewRoom) -> Result<Created> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Create(room, reply), answer).await
    }

    /// Mutes or unmutes a room's notifications for one member.
    pub async fn set_muted(&self, room_id: RoomId, user: UserId, muted: bool) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Mute(room_id, user, muted, reply), answer)
            .await
    }

    async fn submit<T>(&self, job: Job, answer: oneshot::Receiver<Result<T>>) -> Result<T> {
        self.jobs.send(job).await.map_err(|_| stopped())?;
        answer
            .await
            .unwrap_or_else(|_| Err(Error::internal("sequencer batch failed")))
    }

    /// Stops taking proposals (they are answered `UNAVAILABLE`); those already queued are
    /// still decided and committed. Wait for [`SequencerTasks`] to know when that is done.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// How many room states the sequencer holds in memory now.
    pub fn cached_rooms(&self) -> usize {
        self.cached_rooms.load(Ordering::Relaxed)
    }
}
