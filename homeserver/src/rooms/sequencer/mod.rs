//! The sequencer: the one writer of room events. Every change to a room (from a local client
//! now, from other servers once federation lands) is proposed here. It decides on each
//! proposal against the room's in-memory state, gives accepted ones the room's next `seq`
//! (gap-free) and the server's next stream position, and commits them in batches: one
//! transaction for everything that arrived while the previous batch was being written (group
//! commit). Only after the commit does it answer the proposer and hand the events to fan-out.

mod decide;
mod pipeline;
mod state;
mod tx;

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use convo_federation::{RoomId, UserId};
use rand::RngExt as _;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use crate::config::RoomsConfig;
use crate::db::{Db, now_ms};
use crate::error::{Error, ErrorCode, Result};
use crate::rooms::model::{Action, Committed, Event, NewRoom, Proposal, Role};
use crate::rooms::store;
use decide::{Effect, Plan};
use pipeline::InFlight;
pub use state::{MemberState, RoomState};
use tx::{TxnKey, Write, WriterTx};

/// Transactions whose answers are known, by key: the first answer, or the repeat of one
/// found in the database.
type Known = HashMap<TxnKey, Arc<Committed>>;

/// Receives every batch of committed events, in commit order.
pub trait Fanout: Send + Sync + 'static {
    fn publish(&self, batch: &[Arc<Committed>]);
}

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

    fn txn_key(&self) -> Option<TxnKey> {
        match self {
            Job::Propose(p, _) => txn_key(p),
            _ => None,
        }
    }
}

/// A handle to the sequencer task; cheap to clone.
#[derive(Clone, Debug)]
pub struct Sequencer {
    jobs: mpsc::Sender<Job>,
}

fn stopped() -> Error {
    Error::new(ErrorCode::Unavailable, "the server is shutting down")
}

impl Sequencer {
    /// Starts the sequencer task. It stops when every handle is dropped.
    pub async fn start(
        db: Db,
        config: RoomsConfig,
        fanout: Arc<dyn Fanout>,
    ) -> Result<Self, sqlx::Error> {
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
        tokio::spawn(deliver_all(committed, fanout));
        let writer = Writer {
            db,
            config,
            deliveries,
            rooms: HashMap::new(),
            next_pos,
            recent: HashMap::new(),
        };
        tokio::spawn(writer.run(rx));
        Ok(Self { jobs })
    }

    /// Appends an action to a room; answers once it is durably stored.
    pub async fn propose(&self, proposal: Proposal) -> Result<Arc<Committed>> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Propose(proposal, reply))
            .await
            .map_err(|_| stopped())?;
        answer
            .await
            .unwrap_or_else(|_| Err(Error::internal("sequencer batch failed")))
    }

    /// Creates a room with its first members.
    pub async fn create(&self, room: NewRoom) -> Result<Created> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Create(room, reply))
            .await
            .map_err(|_| stopped())?;
        answer
            .await
            .unwrap_or_else(|_| Err(Error::internal("sequencer batch failed")))
    }

    /// Mutes or unmutes a room's notifications for one member.
    pub async fn set_muted(&self, room_id: RoomId, user: UserId, muted: bool) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Mute(room_id, user, muted, reply))
            .await
            .map_err(|_| stopped())?;
        answer
            .await
            .unwrap_or_else(|_| Err(Error::internal("sequencer batch failed")))
    }
}

/// What one job came to.
enum Outcome {
    Propose(Result<Arc<Committed>>),
    Create(Result<Created>),
    Mute(Result<()>),
}

/// Where to go back to when writes in a savepoint fail: the staged state of each room they
/// touched (`None`: not staged yet) and the next stream position, from before them.
struct Checkpoint {
    rooms: HashMap<RoomId, Option<RoomState>>,
    pos: i64,
}

impl Checkpoint {
    fn at(next_pos: i64) -> Self {
        Self {
            rooms: HashMap::new(),
            pos: next_pos,
        }
    }

    /// Records `room` as it is now, unless it was recorded already.
    fn touch(&mut self, staged: &HashMap<RoomId, RoomState>, room: &RoomId) {
        self.rooms
            .entry(room.clone())
            .or_insert_with(|| staged.get(room).cloned());
    }

    fn restore(self, staged: &mut HashMap<RoomId, RoomState>, next_pos: &mut i64) {
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
struct Pending {
    jobs: Vec<(Job, Outcome)>,
    /// From before the first of these jobs: where to go back to if their rows cannot be
    /// written.
    before: Checkpoint,
}

/// An answer to send once the batch is committed.
enum Reply {
    Propose(
        oneshot::Sender<Result<Arc<Committed>>>,
        Result<Arc<Committed>>,
    ),
    Create(oneshot::Sender<Result<Created>>, Result<Created>),
    Mute(oneshot::Sender<Result<()>>, Result<()>),
}

struct Writer {
    db: Db,
    config: RoomsConfig,
    /// Committed batches' answers, to [`deliver_all`].
    deliveries: mpsc::Sender<Vec<Reply>>,
    /// Rooms decided on so far, including by the batch in flight; loaded from the database
    /// on first use.
    rooms: HashMap<RoomId, RoomState>,
    next_pos: i64,
    /// The transactions of the batch in flight (not committed yet), so that a retry decided
    /// meanwhile is recognised.
    recent: Known,
}

impl Writer {
    /// Batches of plain messages go through a pipeline: each is decided from memory while the
    /// one before it commits ([`pipeline`]). Any other batch waits for the one in flight and
    /// is then decided and written in one go ([`Self::batch`]).
    async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        let mut jobs = Vec::with_capacity(self.config.max_batch);
        let mut in_flight: Option<InFlight> = None;
        let max = self.config.max_batch.max(1);
        loop {
            // A batch that lands while no new jobs come must still be settled: if it failed,
            // its proposers wait for it to be done again.
            let received = match in_flight.as_mut() {
                Some(flight) => tokio::select! {
                    received = rx.recv_many(&mut jobs, max) => Ok(received),
                    landed = flight.landing() => Err(landed),
                },
                None => Ok(rx.recv_many(&mut jobs, max).await),
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

    /// Loads the state of the rooms `jobs` touch that are not in memory yet.
    async fn load_rooms(&mut self, jobs: &[Job]) {
        for job in jobs {
            let room = job.room();
            if !self.rooms.contains_key(room) && !matches!(job, Job::Create(..)) {
                match store::load_room_state(&self.db, room).await {
                    Ok(Some(state)) => {
                        self.rooms.insert(room.clone(), state);
                    }
                    Ok(None) => {}
                    Err(err) => tracing::error!(cause = %err, "cannot load room state"),
                }
            }
        }
    }

    async fn batch(&mut self, jobs: Vec<Job>) {
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
        let keys: Vec<TxnKey> = jobs.iter().filter_map(Job::txn_key).collect();
        let mut known = tx::find_txns(&self.db, &keys).await?;
        let mut tx = WriterTx::begin(&self.db).await?;
        let now = now_ms();
        let mut replies = Vec::with_capacity(jobs.len());
        let mut pending = Pending {
            jobs: Vec::new(),
            before: Checkpoint::at(self.next_pos),
        };
        for job in jobs {
            match job {
                Job::Propose(proposal, reply) if decide::is_plain_message(&proposal.action) => {
                    pending.before.touch(staged, &proposal.room_id);
                    let outcome = self.plain(staged, &mut known, &proposal, now);
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

    /// Decides on a plain message from memory and sequences it; its row is written later.
    fn plain(
        &mut self,
        staged: &mut HashMap<RoomId, RoomState>,
        known: &mut Known,
        proposal: &Proposal,
        now: i64,
    ) -> Result<Arc<Committed>> {
        let Some(state) = self.state(staged, &proposal.room_id) else {
            return Err(Error::new(ErrorCode::RoomNotFound, "no such room"));
        };
        let key = txn_key(proposal);
        if let Some(answer) = repeat(known, key.as_ref()) {
            return Ok(answer);
        }
        let Action::Message { text, .. } = &proposal.action else {
            unreachable!("only plain messages are decided here");
        };
        let plan = decide::plain_message(state, &proposal.sender, text)?;
        let (committed, effects) = sequence(
            state,
            &proposal.room_id,
            &proposal.sender,
            proposal.txn_id.clone(),
            plan,
            &mut self.next_pos,
            now,
        );
        debug_assert!(effects.is_empty(), "a plain message has no effects");
        remember(known, key, &committed);
        Ok(committed)
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

    /// Decides on and writes one job in a savepoint: a database error fails this job only.
    async fn careful(
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
            Job::Create(room, _) => {
                Outcome::Create(self.create(tx, staged, room.clone(), now).await?)
            }
            Job::Mute(room_id, user, muted, _) => {
                Outcome::Mute(match self.state(staged, room_id) {
                    Some(state) if state.member(user).is_some() => {
                        tx.set_muted(room_id.as_str(), user.as_str(), *muted)
                            .await?;
                        if let Some(member) = state.members.get_mut(user) {
                            member.muted = *muted;
                        }
                        Ok(())
                    }
                    _ => Err(Error::new(ErrorCode::RoomNotFound, "no such room")),
                })
            }
        })
    }

    /// The staged copy of a room's state, taken from the cache on first touch in a batch.
    fn state<'a>(
        &self,
        staged: &'a mut HashMap<RoomId, RoomState>,
        room: &RoomId,
    ) -> Option<&'a mut RoomState> {
        if !staged.contains_key(room) {
            let state = self.rooms.get(room)?.clone();
            staged.insert(room.clone(), state);
        }
        staged.get_mut(room)
    }

    async fn propose(
        &mut self,
        tx: &mut WriterTx,
        staged: &mut HashMap<RoomId, RoomState>,
        known: &mut Known,
        proposal: &Proposal,
        now: i64,
    ) -> Result<Result<Arc<Committed>>, sqlx::Error> {
        let Some(state) = self.state(staged, &proposal.room_id) else {
            return Ok(Err(Error::new(ErrorCode::RoomNotFound, "no such room")));
        };
        let key = txn_key(proposal);
        if let Some(answer) = repeat(known, key.as_ref()) {
            return Ok(Ok(answer));
        }
        let plan = decide::decide(
            tx,
            proposal.room_id.as_str(),
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
        let committed = append(
            tx,
            state,
            &proposal.room_id,
            &proposal.sender,
            proposal.txn_id.clone(),
            plan,
            &mut self.next_pos,
            now,
        )
        .await?;
        remember(known, key, &committed);
        Ok(Ok(committed))
    }

    async fn create(
        &mut self,
        tx: &mut WriterTx,
        staged: &mut HashMap<RoomId, RoomState>,
        room: NewRoom,
        now: i64,
    ) -> Result<Result<Created>, sqlx::Error> {
        if let Some(key) = &room.direct_key
            && let Some(existing) = tx.find_direct(key).await?
        {
            return Ok(RoomId::parse(&existing)
                .map(Created::Existing)
                .map_err(Error::internal));
        }
        tx.apply(&Write::InsertRoom {
            room_id: room.room_id.to_string(),
            kind: room.kind.as_str(),
            direct_key: room.direct_key.clone(),
            name: room.name.clone(),
            topic: room.topic.clone(),
            avatar_url: room.avatar_url.clone(),
            created_by: room.creator.to_string(),
            created_at: now,
        })
        .await?;
        let state = staged.entry(room.room_id.clone()).or_insert(RoomState {
            kind: room.kind,
            last_seq: 0,
            deleted: false,
            members: Default::default(),
        });
        let creator_role = match room.kind {
            crate::rooms::model::RoomKind::Group => Role::Owner,
            crate::rooms::model::RoomKind::Direct => Role::Member,
        };
        let created = Plan {
            kind: "room.created",
            content: serde_json::json!({
                "kind": room.kind.as_str(),
                "name": room.name,
                "topic": room.topic,
                "avatar_url": room.avatar_url,
            }),
            effects: vec![Effect::Join {
                user: room.creator.clone(),
                role: creator_role,
            }],
            also_notify: Vec::new(),
        };
        let mut events = vec![
            append(
                tx,
                state,
                &room.room_id,
                &room.creator,
                None,
                created,
                &mut self.next_pos,
                now,
            )
            .await?,
        ];
        for member in &room.members {
            let added = Plan {
                kind: "room.member",
                content: serde_json::json!({ "action": "add", "user_id": member.as_str() }),
                effects: vec![Effect::Join {
                    user: member.clone(),
                    role: Role::Member,
                }],
                also_notify: Vec::new(),
            };
            events.push(
                append(
                    tx,
                    state,
                    &room.room_id,
                    &room.creator,
                    None,
                    added,
                    &mut self.next_pos,
                    now,
                )
                .await?,
            );
        }
        Ok(Ok(Created::New {
            room_id: room.room_id,
            events,
        }))
    }
}

/// Gives the planned event its positions and id, writes it and its effects, and updates the
/// staged room state.
#[allow(clippy::too_many_arguments)]
async fn append(
    tx: &mut WriterTx,
    state: &mut RoomState,
    room_id: &RoomId,
    sender: &UserId,
    txn_id: Option<String>,
    plan: Plan,
    next_pos: &mut i64,
    now: i64,
) -> Result<Arc<Committed>, sqlx::Error> {
    let (committed, effects) = sequence(state, room_id, sender, txn_id, plan, next_pos, now);
    tx.insert_events(&[&committed.event]).await?;
    for write in &effects {
        tx.apply(write).await?;
    }
    Ok(committed)
}

/// Gives the planned event its positions and id and updates the staged room state; returns
/// the event and the writes its effects need besides the event's own row.
fn sequence(
    state: &mut RoomState,
    room_id: &RoomId,
    sender: &UserId,
    txn_id: Option<String>,
    plan: Plan,
    next_pos: &mut i64,
    now: i64,
) -> (Arc<Committed>, Vec<Write>) {
    let seq = state.last_seq + 1;
    let pos = *next_pos;
    let event = Event {
        event_id: event_id(room_id, sender, plan.kind, &plan.content, now),
        room_id: room_id.to_string(),
        seq,
        pos,
        sender: sender.to_string(),
        kind: plan.kind.to_owned(),
        content: plan.content,
        ts: now,
        txn_id,
    };
    let room = room_id.to_string();
    let mut writes = Vec::with_capacity(plan.effects.len());
    for effect in plan.effects {
        let write = match effect {
            Effect::Join { user, role } => {
                let joined_seq = seq;
                let write = Write::JoinMember {
                    room_id: room.clone(),
                    user_id: user.to_string(),
                    role: role.as_str(),
                    joined_at: now,
                    joined_seq,
                };
                state.members.insert(
                    user,
                    MemberState {
                        role,
                        joined: true,
                        joined_at: now,
                        joined_seq,
                        muted: false,
                    },
                );
                write
            }
            Effect::Leave { user } => {
                if let Some(member) = state.members.get_mut(&user) {
                    member.joined = false;
                }
                Write::LeaveMember {
                    room_id: room.clone(),
                    user_id: user.to_string(),
                    left_seq: seq,
                }
            }
            Effect::SetRole { user, role } => {
                if let Some(member) = state.members.get_mut(&user) {
                    member.role = role;
                }
                Write::SetRole {
                    room_id: room.clone(),
                    user_id: user.to_string(),
                    role: role.as_str(),
                }
            }
            Effect::Settings { column, value } => Write::Settings {
                room_id: room.clone(),
                column,
                value,
            },
            Effect::DeleteRoom => {
                state.deleted = true;
                Write::DeleteRoom {
                    room_id: room.clone(),
                    at: now,
                }
            }
            Effect::Edit { event_id, content } => Write::EditMessage {
                event_id,
                content: content.to_string(),
                at: now,
            },
            Effect::Tombstone { event_id } => Write::TombstoneMessage { event_id, at: now },
            Effect::SetReaction { target, emoji } => Write::SetReaction {
                target,
                user_id: sender.to_string(),
                emoji,
            },
            Effect::RemoveReaction { target } => Write::RemoveReaction {
                target,
                user_id: sender.to_string(),
            },
        };
        writes.push(write);
    }
    state.last_seq = seq;
    *next_pos += 1;
    let mut recipients: Vec<UserId> = state.joined().map(|(user, _)| user.clone()).collect();
    for user in plan.also_notify {
        if !recipients.contains(&user) {
            recipients.push(user);
        }
    }
    let muted = state
        .joined()
        .filter(|(_, m)| m.muted)
        .map(|(user, _)| user.clone())
        .collect();
    let committed = Arc::new(Committed {
        json: Arc::from(serde_json::to_string(&event).unwrap_or_default()),
        event,
        recipients,
        muted,
        duplicate: false,
    });
    (committed, writes)
}

/// The answer to a retry: the first try's event, published to no one again.
fn duplicate(event: Event) -> Arc<Committed> {
    Arc::new(Committed {
        json: Arc::from(serde_json::to_string(&event).unwrap_or_default()),
        event,
        recipients: Vec::new(),
        muted: Vec::new(),
        duplicate: true,
    })
}

/// The answer to a retry, if `key`'s transaction has been answered before: the first answer,
/// marked as a repeat.
fn repeat(known: &Known, key: Option<&TxnKey>) -> Option<Arc<Committed>> {
    let first = known.get(key?)?;
    Some(if first.duplicate {
        first.clone()
    } else {
        duplicate(first.event.clone())
    })
}

/// Notes a new event's transaction, so that a retry later in the batch gets its answer.
fn remember(known: &mut Known, key: Option<TxnKey>, committed: &Arc<Committed>) {
    if let Some(key) = key {
        known.insert(key, committed.clone());
    }
}

fn txn_key(proposal: &Proposal) -> Option<TxnKey> {
    Some(TxnKey {
        room_id: proposal.room_id.clone(),
        sender: proposal.sender.clone(),
        txn_id: proposal.txn_id.clone()?,
    })
}

/// The events that decided jobs add.
fn new_events(jobs: &[(Job, Outcome)]) -> Vec<&Event> {
    jobs.iter()
        .filter_map(|(_, outcome)| match outcome {
            Outcome::Propose(Ok(committed)) if !committed.duplicate => Some(&committed.event),
            _ => None,
        })
        .collect()
}

/// Answers and publishes committed batches in commit order, beside the sequencer, so that
/// the next batch commits meanwhile.
async fn deliver_all(mut committed: mpsc::Receiver<Vec<Reply>>, fanout: Arc<dyn Fanout>) {
    while let Some(replies) = committed.recv().await {
        deliver(fanout.as_ref(), replies);
    }
}

/// Answers each job, then hands the new events to fan-out in the order they were decided.
fn deliver(fanout: &dyn Fanout, replies: Vec<Reply>) {
    let mut published = Vec::new();
    for reply in replies {
        match reply {
            Reply::Propose(to, outcome) => {
                if let Ok(committed) = &outcome
                    && !committed.duplicate
                {
                    published.push(committed.clone());
                }
                let _ = to.send(outcome);
            }
            Reply::Create(to, outcome) => {
                if let Ok(Created::New { events, .. }) = &outcome {
                    published.extend(events.iter().cloned());
                }
                let _ = to.send(outcome);
            }
            Reply::Mute(to, outcome) => {
                let _ = to.send(outcome);
            }
        }
    }
    if !published.is_empty() {
        fanout.publish(&published);
    }
}

/// Pairs a job's answer with its reply channel.
fn reply(job: Job, outcome: Outcome) -> Reply {
    match (job, outcome) {
        (Job::Propose(_, to), Outcome::Propose(outcome)) => Reply::Propose(to, outcome),
        (Job::Create(_, to), Outcome::Create(outcome)) => Reply::Create(to, outcome),
        (Job::Mute(.., to), Outcome::Mute(outcome)) => Reply::Mute(to, outcome),
        _ => unreachable!("an outcome always matches its job"),
    }
}

/// `$` + unpadded base64url of the SHA-256 of the event's identifying fields (keys sorted),
/// with a random nonce so that two identical messages in the same millisecond differ.
/// Federation will move this to RFC 8785 canonical JSON over the signed event.
fn event_id(
    room_id: &RoomId,
    sender: &UserId,
    kind: &str,
    content: &serde_json::Value,
    ts: i64,
) -> String {
    /// The hashed fields, declared in the order of their names: serialised as a JSON object
    /// with sorted keys, written straight into the hash.
    #[derive(serde::Serialize)]
    struct Fields<'a> {
        content: &'a serde_json::Value,
        nonce: &'a str,
        room_id: &'a str,
        sender: &'a str,
        ts: i64,
        #[serde(rename = "type")]
        kind: &'a str,
    }
    /// Feeds what is written to the hash.
    struct Hashing(Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let nonce = URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 9]>());
    let fields = Fields {
        content,
        nonce: &nonce,
        room_id: room_id.as_str(),
        sender: sender.as_str(),
        ts,
        kind,
    };
    let mut hashing = Hashing(Sha256::new());
    serde_json::to_writer(&mut hashing, &fields).expect("writing to a hash cannot fail");
    format!("${}", URL_SAFE_NO_PAD.encode(hashing.0.finalize()))
}
