//! The sequencer: the one writer of room events. Every change to a room (from a local client
//! now, from other servers once federation lands) is proposed here. It decides on each
//! proposal against the room's in-memory state, gives accepted ones the room's next `seq`
//! (gap-free) and the server's next stream position, and commits them in batches: one
//! transaction for everything that arrived while the previous batch was being written (group
//! commit). Only after the commit does it answer the proposer and hand the events to fan-out.

mod decide;
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
use crate::rooms::model::{Committed, Event, NewRoom, Proposal, Role};
use crate::rooms::store;
use decide::{Effect, Plan};
pub use state::{MemberState, RoomState};
use tx::{Write, WriterTx};

/// Receives every batch of committed events, in commit order.
pub trait Fanout: Send + Sync + 'static {
    fn publish(&self, batch: &[Arc<Committed>]);
}

/// How many proposals may wait for the sequencer before proposers wait too.
const QUEUE: usize = 8192;

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
        let next_pos = store::max_stream_pos(&db).await? + 1;
        let (jobs, rx) = mpsc::channel(QUEUE);
        let writer = Writer {
            db,
            config,
            fanout,
            rooms: HashMap::new(),
            next_pos,
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
    fanout: Arc<dyn Fanout>,
    /// Rooms decided on so far; loaded from the database on first use.
    rooms: HashMap<RoomId, RoomState>,
    next_pos: i64,
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        let mut jobs = Vec::with_capacity(self.config.max_batch);
        while rx.recv_many(&mut jobs, self.config.max_batch.max(1)).await > 0 {
            let batch = std::mem::take(&mut jobs);
            self.batch(batch).await;
        }
        tracing::debug!("sequencer stopped");
    }

    async fn batch(&mut self, jobs: Vec<Job>) {
        for job in &jobs {
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
        let first_pos = self.next_pos;
        let mut staged: HashMap<RoomId, RoomState> = HashMap::new();
        match self.write(jobs, &mut staged).await {
            Ok(replies) => {
                self.rooms.extend(staged);
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
                    self.fanout.publish(&published);
                }
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
    async fn write(
        &mut self,
        jobs: Vec<Job>,
        staged: &mut HashMap<RoomId, RoomState>,
    ) -> Result<Vec<Reply>, sqlx::Error> {
        let mut tx = WriterTx::begin(&self.db).await?;
        let mut replies = Vec::with_capacity(jobs.len());
        let now = now_ms();
        for job in jobs {
            // Each job in a savepoint: a database error in one fails that one only.
            let room = job.room().clone();
            let saved_room = staged.get(&room).cloned();
            let saved_pos = self.next_pos;
            tx.savepoint().await?;
            let outcome = self.one(&mut tx, staged, &job, now).await;
            let outcome = match outcome {
                Ok(outcome) => {
                    tx.release_savepoint().await?;
                    outcome
                }
                Err(err) => {
                    tx.rollback_to_savepoint().await?;
                    match saved_room {
                        Some(state) => staged.insert(room, state),
                        None => staged.remove(&room),
                    };
                    self.next_pos = saved_pos;
                    let err = Error::internal(err);
                    match &job {
                        Job::Propose(..) => Outcome::Propose(Err(err)),
                        Job::Create(..) => Outcome::Create(Err(err)),
                        Job::Mute(..) => Outcome::Mute(Err(err)),
                    }
                }
            };
            replies.push(match (job, outcome) {
                (Job::Propose(_, reply), Outcome::Propose(outcome)) => {
                    Reply::Propose(reply, outcome)
                }
                (Job::Create(_, reply), Outcome::Create(outcome)) => Reply::Create(reply, outcome),
                (Job::Mute(.., reply), Outcome::Mute(outcome)) => Reply::Mute(reply, outcome),
                _ => unreachable!("an outcome always matches its job"),
            });
        }
        tx.commit().await?;
        Ok(replies)
    }

    /// Decides on and writes one job.
    async fn one(
        &mut self,
        tx: &mut WriterTx,
        staged: &mut HashMap<RoomId, RoomState>,
        job: &Job,
        now: i64,
    ) -> Result<Outcome, sqlx::Error> {
        Ok(match job {
            Job::Propose(proposal, _) => {
                Outcome::Propose(self.propose(tx, staged, proposal, now).await?)
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
        proposal: &Proposal,
        now: i64,
    ) -> Result<Result<Arc<Committed>>, sqlx::Error> {
        let Some(state) = self.state(staged, &proposal.room_id) else {
            return Ok(Err(Error::new(ErrorCode::RoomNotFound, "no such room")));
        };
        if let Some(txn_id) = &proposal.txn_id
            && let Some(event) = tx
                .find_txn(proposal.room_id.as_str(), proposal.sender.as_str(), txn_id)
                .await?
        {
            return Ok(Ok(Arc::new(Committed {
                json: Arc::from(serde_json::to_string(&event).unwrap_or_default()),
                event,
                recipients: Vec::new(),
                muted: Vec::new(),
                duplicate: true,
            })));
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
    tx.apply(&Write::InsertEvent(event.clone())).await?;
    let room = room_id.to_string();
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
        tx.apply(&write).await?;
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
    Ok(Arc::new(Committed {
        json: Arc::from(serde_json::to_string(&event).unwrap_or_default()),
        event,
        recipients,
        muted,
        duplicate: false,
    }))
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
    let nonce = URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 9]>());
    let body = serde_json::json!({
        "content": content,
        "nonce": nonce,
        "room_id": room_id.as_str(),
        "sender": sender.as_str(),
        "ts": ts,
        "type": kind,
    });
    let digest = Sha256::digest(body.to_string().as_bytes());
    format!("${}", URL_SAFE_NO_PAD.encode(digest))
}
