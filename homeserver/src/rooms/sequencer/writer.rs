//! The sequencer's task: takes jobs in batches, decides on them and commits each batch in
//! one transaction. Batches of plain messages go through the pipeline ([`super::pipeline`]);
//! any other batch waits for the one in flight and is then written in one go, each job that
//! is not a plain message in a savepoint of its own ([`super::careful`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use convo_federation::RoomId;
use tokio::sync::{mpsc, watch};

use super::cache::RoomCache;
use super::careful::{Checkpoint, Pending};
use super::deliver::{Reply, reply};
use super::known::{self, Known, remember, repeat};
use super::pipeline::{InFlight, Landed};
use super::recent::RecentTxns;
use super::sequence::{Origin, sequence};
use super::tx::{self, WriterTx};
use super::{Job, Outcome, RoomState, decide};
use crate::config::RoomsConfig;
use crate::db::{Db, now_ms};
use crate::error::{Error, ErrorCode, Result};
use crate::rooms::model::{Action, Committed, Proposal};
use crate::rooms::store;

pub(super) struct Writer {
    pub(super) db: Db,
    pub(super) config: RoomsConfig,
    /// Committed batches' answers, to the delivery task.
    pub(super) deliveries: mpsc::Sender<Vec<Reply>>,
    /// Room states decided on so far, including by the batch in flight; loaded from the
    /// database on first use, the least recently used evicted.
    pub(super) rooms: RoomCache,
    pub(super) next_pos: i64,
    /// The transactions of the batch in flight (not committed yet), so that a retry decided
    /// meanwhile is recognised.
    pub(super) recent: Known,
    /// The rooms of the batch in flight: their states in the database are behind, so they
    /// must not be evicted.
    pub(super) in_flight_rooms: HashSet<RoomId>,
    /// The transactions of the newest messages (their keys): likely retries.
    pub(super) recent_txns: RecentTxns,
}

impl Writer {
    pub(super) fn new(
        db: Db,
        config: RoomsConfig,
        deliveries: mpsc::Sender<Vec<Reply>>,
        next_pos: i64,
        cached_rooms: Arc<AtomicUsize>,
    ) -> Self {
        Self {
            rooms: RoomCache::new(config.cached_rooms, cached_rooms),
            recent_txns: RecentTxns::new(config.recent_transactions),
            db,
            config,
            deliveries,
            next_pos,
            recent: Known::new(),
            in_flight_rooms: HashSet::new(),
        }
    }

    /// Takes jobs until `stop` turns true or every handle is gone; then commits what was
    /// accepted (the jobs already queued included) and returns.
    pub(super) async fn run(
        mut self,
        mut rx: mpsc::Receiver<Job>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut jobs = Vec::with_capacity(self.config.max_batch);
        let mut in_flight: Option<InFlight> = None;
        let max = self.config.max_batch.max(1);
        let mut stopping = false;
        loop {
            // A batch that lands while no new jobs come must still be settled: if it failed,
            // its proposers wait for it to be done again.
            let received = tokio::select! {
                received = rx.recv_many(&mut jobs, max) => Ok(received),
                landed = landing(&mut in_flight) => Err(landed),
                _ = stop.wait_for(|stop| *stop), if !stopping => {
                    // No new proposals; the ones queued are still taken.
                    stopping = true;
                    rx.close();
                    continue;
                }
            };
            match received {
                Ok(0) => break,
                Ok(_) => {}
                Err(landed) => {
                    in_flight = None;
                    let redo = self.landed(landed);
                    self.batch(redo).await;
                    continue;
                }
            }
            let batch = std::mem::take(&mut jobs);
            if !batch.iter().all(Job::is_plain) {
                // Deciding reads the database: everything before must be committed.
                let mut redo = self.settle(in_flight.take()).await;
                redo.extend(batch);
                self.batch(redo).await;
                continue;
            }
            let prepared = self.prepare(batch).await;
            let mut redo = self.settle(in_flight.take()).await;
            match prepared {
                Ok(prepared) if redo.is_empty() => in_flight = Some(self.dispatch(prepared)),
                // The batch in flight failed and this one was decided on top of it: both go
                // again, one job at a time where need be.
                Ok(prepared) => {
                    redo.extend(prepared.into_jobs());
                    self.batch(redo).await;
                }
                // This one could not be decided.
                Err(jobs) => {
                    redo.extend(jobs);
                    self.batch(redo).await;
                }
            }
        }
        let redo = self.settle(in_flight.take()).await;
        self.batch(redo).await;
        tracing::debug!("sequencer stopped");
    }

    /// Loads the state of the rooms `jobs` touch that are not in memory yet, then evicts
    /// rooms beyond the cache's capacity (never these, nor the batch in flight's).
    pub(super) async fn load_rooms(&mut self, jobs: &[Job]) {
        let mut wanted = HashSet::new();
        for job in jobs {
            let room = job.room();
            wanted.insert(room.clone());
            if !self.rooms.contains(room) && !matches!(job, Job::Create(..)) {
                match store::load_room_state(&self.db, room).await {
                    Ok(Some(state)) => self.rooms.put(room.clone(), state),
                    Ok(None) => {}
                    Err(err) => tracing::error!(cause = %err, "cannot load room state"),
                }
            }
        }
        let in_flight = &self.in_flight_rooms;
        self.rooms
            .trim(|room| wanted.contains(room) || in_flight.contains(room));
    }

    /// Decides on and commits `jobs` with nothing in flight.
    pub(super) async fn batch(&mut self, jobs: Vec<Job>) {
        if jobs.is_empty() {
            return;
        }
        self.load_rooms(&jobs).await;
        let first_pos = self.next_pos;
        let mut staged: HashMap<RoomId, RoomState> = HashMap::new();
        match self.write(jobs, &mut staged).await {
            Ok(replies) => {
                self.rooms.extend(staged);
                let _ = self.deliveries.send(replies).await;
            }
            Err(err) => {
                // Every proposer of the batch gets an internal error (their reply channels are
                // dropped); nothing of it was stored, so positions are handed out again.
                tracing::error!(cause = %err, "sequencer batch failed; rolled back");
                self.next_pos = first_pos;
            }
        }
    }

    /// Decides on and writes every job in one transaction; the replies wait for the commit.
    /// Plain messages, the bulk of the traffic, are decided from memory and their rows
    /// written together; anything else is written on its own, in a savepoint, so that a
    /// database error fails only that job.
    async fn write(
        &mut self,
        jobs: Vec<Job>,
        staged: &mut HashMap<RoomId, RoomState>,
    ) -> Result<Vec<Reply>, sqlx::Error> {
        // Nothing is in flight: every earlier batch is committed, and the lookup (on another
        // connection) sees all of them.
        let keys: Vec<_> = jobs.iter().filter_map(Job::txn_key).collect();
        let mut known = tx::find_txns(&self.db, &keys).await?;
        let mut tx = WriterTx::begin(&self.db).await?;
        let now = now_ms();
        let mut replies = Vec::with_capacity(jobs.len());
        let mut pending = Pending::at(self.next_pos);
        for job in jobs {
            match job {
                Job::Propose(proposal, reply) if decide::is_plain_message(&proposal.action) => {
                    pending.before.touch(staged, &proposal.room_id);
                    let state = staged_state(&self.rooms, staged, &proposal.room_id);
                    let outcome = plain(state, &mut known, &proposal, &mut self.next_pos, now);
                    pending
                        .jobs
                        .push((Job::Propose(proposal, reply), Outcome::Propose(outcome)));
                }
                job => {
                    self.flush(&mut tx, staged, &mut known, &mut pending, &mut replies, now)
                        .await?;
                    let reply = self.careful(&mut tx, staged, &mut known, job, now).await?;
                    replies.push(reply);
                }
            }
        }
        self.flush(&mut tx, staged, &mut known, &mut pending, &mut replies, now)
            .await?;
        tx.commit().await?;
        Ok(replies)
    }

    /// Writes the pending messages' rows and queues their answers. If that fails, goes back
    /// to the state before them and does each again on its own.
    async fn flush(
        &mut self,
        tx: &mut WriterTx,
        staged: &mut HashMap<RoomId, RoomState>,
        known: &mut Known,
        pending: &mut Pending,
        replies: &mut Vec<Reply>,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let jobs = std::mem::take(&mut pending.jobs);
        let before = std::mem::replace(&mut pending.before, Checkpoint::at(self.next_pos));
        let new_events = new_events(&jobs);
        if new_events.is_empty() {
            replies.extend(jobs.into_iter().map(|(job, outcome)| reply(job, outcome)));
            return Ok(());
        }
        tx.savepoint().await?;
        let written = tx.insert_events(&new_events).await;
        drop(new_events);
        match written {
            Ok(()) => {
                tx.release_savepoint().await?;
                replies.extend(jobs.into_iter().map(|(job, outcome)| reply(job, outcome)));
            }
            Err(err) => {
                tracing::warn!(cause = %err, jobs = jobs.len(), "writing messages together failed; writing each on its own");
                tx.rollback_to_savepoint().await?;
                before.restore(staged, &mut self.next_pos);
                for (job, outcome) in &jobs {
                    if let Outcome::Propose(Ok(committed)) = outcome
                        && !committed.duplicate
                        && let Some(key) = job.txn_key()
                    {
                        known.remove(&key);
                    }
                }
                for (job, _) in jobs {
                    let reply = self.careful(tx, staged, known, job, now).await?;
                    replies.push(reply);
                }
                pending.before = Checkpoint::at(self.next_pos);
            }
        }
        Ok(())
    }
}

/// How the batch in flight ended, once it has; never, if there is none.
async fn landing(in_flight: &mut Option<InFlight>) -> Landed {
    match in_flight {
        Some(flight) => flight.landing().await,
        None => std::future::pending().await,
    }
}

/// The staged copy of a room's state, taken from the cache on first touch in a batch.
pub(super) fn staged_state<'a>(
    cache: &RoomCache,
    staged: &'a mut HashMap<RoomId, RoomState>,
    room: &RoomId,
) -> Option<&'a mut RoomState> {
    if !staged.contains_key(room) {
        let state = cache.peek(room)?.clone();
        staged.insert(room.clone(), state);
    }
    staged.get_mut(room)
}

/// Decides on a plain message from memory and sequences it; its row is written later.
pub(super) fn plain(
    state: Option<&mut RoomState>,
    known: &mut Known,
    proposal: &Proposal,
    next_pos: &mut i64,
    now: i64,
) -> Result<Arc<Committed>> {
    let Some(state) = state else {
        return Err(Error::new(ErrorCode::RoomNotFound, "no such room"));
    };
    let key = known::txn_key(proposal);
    if let Some(answer) = repeat(known, key.as_ref()) {
        return Ok(answer);
    }
    let Action::Message { text, .. } = &proposal.action else {
        unreachable!("only plain messages are decided here");
    };
    let plan = decide::plain_message(state, &proposal.sender, text)?;
    let origin = Origin {
        room_id: &proposal.room_id,
        sender: &proposal.sender,
        txn_id: proposal.txn_id.clone(),
    };
    let (committed, writes) = sequence(state, origin, plan, next_pos, now);
    debug_assert!(writes.is_empty(), "a plain message has no effects");
    remember(known, key, &committed);
    Ok(committed)
}

/// The events that decided jobs add.
pub(super) fn new_events(jobs: &[(Job, Outcome)]) -> Vec<&crate::rooms::model::Event> {
    jobs.iter()
        .filter_map(|(_, outcome)| match outcome {
            Outcome::Propose(Ok(committed)) if !committed.duplicate => Some(&committed.event),
            _ => None,
        })
        .collect()
}
