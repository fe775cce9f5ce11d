//! Giving a decided event its place: the room's next `seq`, the server's next stream
//! position, its id (the protocol's hash of its body), and the writes its effects come to.
//! The room's staged state changes with it.

use std::sync::Arc;

use convo_federation::events::{self, EventBody};
use convo_federation::{RoomId, UserId};

use super::decide::{Effect, Plan};
use super::state::{MemberState, RoomState};
use super::tx::{Write, WriterTx};
use crate::rooms::model::{Committed, Event};

/// Who proposed the event, and the transaction it answers.
pub struct Origin<'a> {
    pub room_id: &'a RoomId,
    pub sender: &'a UserId,
    pub txn_id: Option<String>,
}

/// Gives the planned event its positions and id, writes it and its effects, and updates the
/// staged room state.
pub async fn append(
    tx: &mut WriterTx,
    state: &mut RoomState,
    origin: Origin<'_>,
    plan: Plan,
    next_pos: &mut i64,
    now: i64,
) -> Result<Arc<Committed>, sqlx::Error> {
    let (committed, writes) = sequence(state, origin, plan, next_pos, now);
    tx.insert_new_event(&committed.event).await?;
    for write in &writes {
        tx.apply(write).await?;
    }
    Ok(committed)
}

/// Gives the planned event its positions and id and updates the staged room state; returns
/// the event and the writes its effects need besides the event's own row.
pub fn sequence(
    state: &mut RoomState,
    origin: Origin<'_>,
    plan: Plan,
    next_pos: &mut i64,
    now: i64,
) -> (Arc<Committed>, Vec<Write>) {
    let Origin {
        room_id,
        sender,
        txn_id,
    } = origin;
    let seq = state.last_seq + 1;
    let nonce = EventBody::new_nonce();
    let event = Event {
        event_id: events::event_id(room_id, sender, &plan.content, now, &nonce),
        room_id: room_id.clone(),
        seq,
        pos: *next_pos,
        sender: sender.clone(),
        kind: plan.content.kind(),
        content: Some(plan.content),
        ts: now,
        txn_id,
        nonce: Some(nonce),
    };
    let members_before = state.joined_ids().clone();
    let writes = plan
        .effects
        .into_iter()
        .map(|effect| effect_write(state, room_id, sender, seq, now, effect))
        .collect();
    state.last_seq = seq;
    *next_pos += 1;
    let recipients = state.joined_ids().clone();
    let also = plan
        .also_notify
        .into_iter()
        .filter(|user| !recipients.contains(user))
        .collect();
    let committed = Arc::new(Committed {
        event,
        members_changed: !Arc::ptr_eq(&members_before, &recipients),
        recipients,
        also,
        muted: state.muted_ids().clone(),
        duplicate: false,
    });
    (committed, writes)
}

/// Applies one effect to the staged state and says what to write for it.
fn effect_write(
    state: &mut RoomState,
    room_id: &RoomId,
    sender: &UserId,
    seq: i64,
    now: i64,
    effect: Effect,
) -> Write {
    match effect {
        Effect::Join { user, role } => {
            state.join(
                user.clone(),
                MemberState {
                    role,
                    joined: true,
                    joined_at: now,
                    joined_seq: seq,
                    muted: false,
                },
            );
            Write::JoinMember {
                room_id: room_id.clone(),
                user_id: user,
                role,
                joined_at: now,
                joined_seq: seq,
            }
        }
        Effect::Leave { user } => {
            state.leave(&user);
            Write::LeaveMember {
                room_id: room_id.clone(),
                user_id: user,
                left_seq: seq,
            }
        }
        Effect::SetRole { user, role } => {
            state.set_role(&user, role);
            Write::SetRole {
                room_id: room_id.clone(),
                user_id: user,
                role,
            }
        }
        Effect::Settings { setting, value } => Write::Settings {
            room_id: room_id.clone(),
            setting,
            value,
        },
        Effect::DeleteRoom => {
            state.deleted = true;
            Write::DeleteRoom {
                room_id: room_id.clone(),
                at: now,
            }
        }
        Effect::Edit { target, content } => Write::EditMessage {
            target,
            content,
            at: now,
        },
        Effect::Tombstone { target } => Write::TombstoneMessage { target, at: now },
        Effect::SetReaction { target, emoji } => Write::SetReaction {
            target,
            user_id: sender.clone(),
            emoji,
        },
        Effect::RemoveReaction { target } => Write::RemoveReaction {
            target,
            user_id: sender.clone(),
        },
    }
}
