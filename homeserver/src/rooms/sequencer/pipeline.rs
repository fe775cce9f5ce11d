//! The sequencer's pipeline for plain messages, most of the traffic: while one batch is being
//! written and committed (in its own task), the next is decided from memory, and the one
//! before is answered and published (`deliver_all`). At most one batch is in flight and one
//! task delivers, so batches commit, answer and publish in the order they were decided.
//!
//! A batch in flight is decided on top of the one before it. If a batch fails to commit, the
//! sequencer forgets everything it decided since that batch began (its room states are loaded
//! again, its positions handed out again) and does that batch's jobs and the next one's again
//! on the careful path ([`Writer::batch`]), where a message the database refuses fails alone.

use std::collections::HashMap;

use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinHandle};

use super::deliver::{Reply, reply};
use super::known::Known;
use super::writer::{Writer, new_events, plain};
use super::{Job, Outcome, tx};
use crate::db::multi_row::WHOLE_MAX;
use crate::db::{Db, now_ms};
use tx::WriterTx;

/// A batch decided and not yet written.
pub(super) struct Prepared {
    jobs: Vec<(Job, Outcome)>,
    /// The stream position of its first event.
    first_pos: i64,
    /// Its transactions (earlier tries found, and its new events).
    known: Known,
}

impl Prepared {
    /// The jobs, undecided again.
    pub(super) fn into_jobs(self) -> Vec<Job> {
        self.jobs.into_iter().map(|(job, _)| job).collect()
    }
}

/// The batch being written: its task gives the jobs back if the batch could not be stored.
pub(super) struct InFlight {
    task: JoinHandle<Result<(), Vec<Job>>>,
    first_pos: i64,
}

/// How a batch in flight ended.
pub(super) struct Landed {
    outcome: Result<Result<(), Vec<Job>>, JoinError>,
    first_pos: i64,
}

impl InFlight {
    /// Waits for the batch to be stored or to fail. Cancel-safe: the task keeps running.
    pub(super) async fn landing(&mut self) -> Landed {
        Landed {
            outcome: (&mut self.task).await,
            first_pos: self.first_pos,
        }
    }
}

impl Writer {
    /// Decides on a batch of plain messages from memory, on top of the batch in flight. Only
    /// transactions seen recently are looked up (see `recent.rs`); the jobs come back if that
    /// lookup fails.
    pub(super) async fn prepare(&mut self, jobs: Vec<Job>) -> Result<Prepared, Vec<Job>> {
        self.load_rooms(&jobs).await;
        // Transactions of the batch in flight are not in the database yet.
        let mut in_flight = HashMap::new();
        let mut likely_retries = Vec::new();
        for key in jobs.iter().filter_map(Job::txn_key) {
            match self.recent.get(&key) {
                Some(event) => {
                    in_flight.insert(key, event.clone());
                }
                None if self.recent_txns.contains(key.hash()) => likely_retries.push(key),
                None => {}
            }
        }
        let mut known = match tx::find_txns(&self.db, &likely_retries).await {
            Ok(found) => found,
            Err(err) => {
                tracing::error!(cause = %err, "cannot look up transactions");
                return Err(jobs);
            }
        };
        known.extend(in_flight);
        let first_pos = self.next_pos;
        let now = now_ms();
        // Decided in place: if this batch or the one in flight fails, every room is
        // forgotten anyway (`landed`).
        let mut decided = Vec::with_capacity(jobs.len());
        for job in jobs {
            let Job::Propose(proposal, to) = job else {
                unreachable!("only plain messages are prepared");
            };
            let state = self.rooms.get_mut(&proposal.room_id);
            let outcome = plain(state, &mut known, &proposal, &mut self.next_pos, now);
            decided.push((Job::Propose(proposal, to), Outcome::Propose(outcome)));
        }
        Ok(Prepared {
            jobs: decided,
            first_pos,
            known,
        })
    }

    /// Starts writing a prepared batch.
    pub(super) fn dispatch(&mut self, prepared: Prepared) -> InFlight {
        for event in new_events(&prepared.jobs) {
            if let Some(key) = tx::TxnKey::of(event) {
                self.recent_txns.insert(key.hash());
            }
        }
        self.recent = prepared.known;
        self.in_flight_rooms = prepared
            .jobs
            .iter()
            .map(|(job, _)| job.room().clone())
            .collect();
        let db = self.db.clone();
        let deliveries = self.deliveries.clone();
        let task = tokio::spawn(async move { commit(&db, &deliveries, prepared.jobs).await });
        InFlight {
            task,
            first_pos: prepared.first_pos,
        }
    }

    /// Waits for the batch in flight, if any, and takes note of how it ended ([`Self::landed`]).
    pub(super) async fn settle(&mut self, in_flight: Option<InFlight>) -> Vec<Job> {
        match in_flight {
            Some(mut flight) => {
                let landed = flight.landing().await;
                self.landed(landed)
            }
            None => Vec::new(),
        }
    }

    /// Takes note of how the batch in flight ended; if it failed, forgets everything decided
    /// since it began and returns its jobs, to be done again.
    pub(super) fn landed(&mut self, landed: Landed) -> Vec<Job> {
        let Landed { outcome, first_pos } = landed;
        self.recent.clear();
        self.in_flight_rooms.clear();
        let redo = match outcome {
            Ok(Ok(())) => return Vec::new(),
            Ok(Err(jobs)) => jobs,
            Err(panicked) => {
                // Its proposers were answered with an internal error (their replies dropped).
                tracing::error!(cause = %panicked, "a sequencer batch failed");
                Vec::new()
            }
        };
        self.rooms.clear();
        self.next_pos = first_pos;
        redo
    }
}

/// Writes a batch's new events in one transaction, then hands its answers on to be sent and
/// its events to be published. If it cannot be stored, nothing is answered and the jobs come
/// back.
async fn commit(
    db: &Db,
    deliveries: &mpsc::Sender<Vec<Reply>>,
    jobs: Vec<(Job, Outcome)>,
) -> Result<(), Vec<Job>> {
    let written = async {
        let events = new_events(&jobs);
        match events.len() {
            0 => Ok(()),
            // A batch this small is one statement, committed by itself.
            1..=WHOLE_MAX => tx::insert_events_whole(db, &events).await,
            _ => {
                let mut tx = WriterTx::begin(db).await?;
                tx.insert_events(&events).await?;
                tx.commit().await
            }
        }
    }
    .await;
    match written {
        Ok(()) => {
            let replies = jobs
                .into_iter()
                .map(|(job, outcome)| reply(job, outcome))
                .collect();
            let _ = deliveries.send(replies).await;
            Ok(())
        }
        Err(err) => {
            tracing::warn!(cause = %err, jobs = jobs.len(), "a batch of messages could not be written; doing it again the careful way");
            Err(jobs.into_iter().map(|(job, _)| job).collect())
        }
    }
}
