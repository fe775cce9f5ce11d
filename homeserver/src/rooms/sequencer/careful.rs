//! The careful path: a job that is not a plain message (a reply, an edit, membership,
//! settings, a new room, muting) is decided against the database inside the batch's
//! transaction and written in a savepoint of its own, so that a database error fails that
//! job alone: the staged room state and the stream position go back to before it.

use std::collections::HashMap;
use std::sync::Arc;

use convo_federation::RoomId;

use super::deliver::{Reply, reply};
use super::known::{self, Known, remember, repeat};
use super::sequence::{Origin, append};
use super::tx::{Write, WriterTx};
use super::writer::{Writer, staged_state};
use super::{Created, Job, Outcome, RoomState, decide};
use crate::error::{Error, ErrorCode, Result};
use crate::rooms::model::{Committed, NewRoom, Proposal};

/// Where to go back to when writes in a savepoint fail: the staged state of each room they
/// touched (`None`: not staged yet) and the next stream position, from before them.
pub(super) struct Checkpoint {
    rooms: HashMap<RoomId, Option<RoomState>>,
    pos: i64,
}

impl Checkpoint {
    pub(super) fn at(next_pos: i64) -> Self {
        Self {
            rooms: HashMap::new(),
            pos: next_pos,
        }
    }

    /// Records `room` as it is now, unless it was recorded already.
    pub(super) fn touch(&mut self, staged: &HashMap<RoomId, RoomState>, room: &RoomId) {
        self.rooms
            .entry(room.clone())
            .or_insert_with(|| staged.get(room).cloned());
    }

    pub(super) fn restore(self, staged: &mut HashMap<RoomId, RoomState>, next_pos: &mut i64) {
        for (room, before) in self.rooms {
            match before {
                Some(state) => staged.insert(room, state),
                None => staged.remove(&room),
            };
        }
        *next_pos = self.pos;
    }
}

/// Plain messages decided since the transaction was last written to: their rows go in
/// together, and their answers wait for that.
pub(super) struct Pending {
    pub(super) jobs: Vec<(Job, Outcome)>,
    /// From before the first of these jobs: where to go back to if their rows cannot be
    /// written.
    pub(super) before: Checkpoint,
}

impl Pending {
    pub(super) fn at(next_pos: i64) -> Self {
        Self {
            jobs: Vec::new(),
            before: Checkpoint::at(next_pos),
        }
    }
}

impl Writer {
    /// Decides on and writes one job in a savepoint: a database error fails this job only.
    pub(super) async fn careful(
        &mut self,
        tx: &mut WriterTx,
        staged: &mut HashMap<RoomId, RoomState>,
        known: &mut Known,
        job: Job,
        now: i64,
    ) -> Result<Reply, sqlx::Error> {
        let mut before = Checkpoint::at(self.next_pos);
        before.touch(staged, job.room());
        tx.savepoint().await?;
        let outcome = match self.one(tx, staged, known, &job, now).await {
            Ok(outcome) => {
                tx.release_savepoint().await?;
                outcome
            }
            Err(err) => {
                tx.rollback_to_savepoint().await?;
                before.restore(staged, &mut self.next_pos);
                let err = Error::internal(err);
                match &job {
                    Job::Propose(..) => Outcome::Propose(Err(err)),
                    Job::Create(..) => Outcome::Create(Err(err)),
                    Job::Mute(..) => Outcome::Mute(Err(err)),
                }
            }
        };
        Ok(reply(job, outcome))
    }

    /// Decides on and writes one job.
    async fn one(
        &mut self,
        tx: &mut WriterTx,
        staged: &mut HashMap<RoomId, RoomState>,
        known: &mut Known,
        job: &Job,
        now: i64,
    ) -> Result<Outcome, sqlx::Error> {
        Ok(match job {
            Job::Propose(proposal, _) => {
                Outcome::Propose(self.propose(tx, staged, known, proposal, now).await?)
            }
            Job::Create(room, _) => Outcome::Create(self.create(tx, staged, room, now).await?),
            Job::Mute(room_id, user, muted, _) => {
                Outcome::Mute(match staged_state(&self.rooms, staged, room_id) {
                    Some(state) if state.member(user).is_some() => {
                        tx.set_muted(room_id, user, *muted).await?;
                        state.set_muted(user, *muted);
                        Ok(())
                    }
                    _ => Err(Error::new(ErrorCode::RoomNotFound, "no such room")),
                })
            }
        })
    }

    async fn propose(
        &mut self,
        tx: &mut WriterTx,
        staged: &mut HashMap<RoomId, RoomState>,
        known: &mut Known,
        proposal: &Proposal,
        now: i64,
    ) -> Result<Result<Arc<Committed>>, sqlx::Error> {
        let Some(state) = staged_state(&self.rooms, staged, &proposal.room_id) else {
            return Ok(Err(Error::new(ErrorCode::RoomNotFound, "no such room")));
        };
        let key = known::txn_key(proposal);
        if let Some(answer) = repeat(known, key.as_ref()) {
            return Ok(Ok(answer));
        }
        let plan = decide::decide(
            tx,
            &proposal.room_id,
            state,
            &proposal.sender,
            &proposal.action,
            self.config.max_members,
        )
        .await?;
        let plan = match plan {
            Ok(plan) => plan,
            Err(refused) => return Ok(Err(refused)),
        };
        let origin = Origin {
            room_id: &proposal.room_id,
            sender: &proposal.sender,
            txn_id: proposal.txn_id.clone(),
        };
        let committed = append(tx, state, origin, plan, &mut self.next_pos, now).await?;
        remember(known, key, &committed);
        Ok(Ok(committed))
    }

    async fn create(
        &mut self,
        tx: &mut WriterTx,
        staged: &mut HashMap<RoomId, RoomState>,
        room: &NewRoom,
        now: i64,
    ) -> Result<Result<Created>, sqlx::Error> {
        if let Some(key) = &room.direct_key
            && let Some(existing) = tx.find_direct(key).await?
        {
            return Ok(Ok(Created::Existing(existing)));
        }
        tx.apply(&Write::InsertRoom {
            room_id: room.room_id.clone(),
            kind: room.kind,
            direct_key: room.direct_key.clone(),
            name: room.name.clone(),
            topic: room.topic.clone(),
            avatar_url: room.avatar_url.clone(),
            created_by: room.creator.clone(),
            created_at: now,
        })
        .await?;
        let state = staged
            .entry(room.room_id.clone())
            .or_insert_with(|| RoomState::new(room.kind, 0, false, Default::default()));
        let mut events = Vec::with_capacity(room.members.len() + 1);
        for plan in decide::create_room(room) {
            let origin = Origin {
                room_id: &room.room_id,
                sender: &room.creator,
                txn_id: None,
            };
            events.push(append(tx, state, origin, plan, &mut self.next_pos, now).await?);
        }
        Ok(Ok(Created::New {
            room_id: room.room_id.clone(),
            events,
        }))
    }
}
