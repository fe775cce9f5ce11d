//! A client's requests: each frame is parsed and answered by an `ack` or an `error` with its
//! `id`. Quick ones are answered at once; those that wait for the database or the sequencer
//! run beside the loop (`pending`) and are answered when done, possibly out of the order
//! they came in (the `id` pairs them). Sends, edits, deletes and reactions are queued to the
//! sequencer as they are read, so one connection's requests to a room get increasing `seq`s
//! in the order it sent them, even with many in flight.

use std::collections::BTreeMap;

use convo_federation::{RoomId, UserId};
use futures_util::stream::FuturesUnordered;
use serde_json::json;

use super::Connection;
use super::run::Pending;
use crate::error::{Error, ErrorCode, Result};
use crate::gateway::protocol::{self, ClientFrame};
use crate::ids;
use crate::rooms::model::Action;
use crate::state::AppState;

impl Connection {
    /// Handles one client frame; the returned string is an answer to write now.
    pub(super) fn request(
        &mut self,
        text: &str,
        pending: &mut FuturesUnordered<Pending>,
    ) -> Option<String> {
        let frame = match protocol::parse(text) {
            Ok(frame) => frame,
            Err((id, err)) => return Some(protocol::error(id.as_deref(), &err)),
        };
        let state = self.state.clone();
        let user = self.session.user_id.clone();
        match frame {
            ClientFrame::Hello { id, .. } => Some(protocol::error(
                Some(&id),
                &Error::new(ErrorCode::InvalidRequest, "already said hello"),
            )),
            ClientFrame::Ping { id } => Some(protocol::ack(&id, json!({ "pong": true }))),
            ClientFrame::Received { id, pos } => {
                // Every event sent up to `pos`, by room: the highest seq of each.
                let mut rooms: BTreeMap<RoomId, i64> = BTreeMap::new();
                while self.delivered.front().is_some_and(|(p, _, _)| *p <= pos) {
                    if let Some((_, room, seq)) = self.delivered.pop_front() {
                        let entry = rooms.entry(room).or_default();
                        *entry = (*entry).max(seq);
                    }
                }
                for (room, seq) in rooms {
                    state.rooms.delivered(&room, &user, seq);
                }
                id.map(|id| protocol::ack(&id, json!({})))
            }
            ClientFrame::Send {
                id,
                room_id,
                txn_id,
                text,
                reply_to,
            } => {
                let action = reply_to
                    .as_deref()
                    .map(ids::event_id)
                    .transpose()
                    .map(|reply_to| Action::Message { text, reply_to });
                act(pending, state, user, id, room_id, txn_id, action);
                None
            }
            ClientFrame::Edit {
                id,
                room_id,
                txn_id,
                event_id,
                text,
            } => {
                let action = ids::event_id(&event_id).map(|target| Action::Edit { target, text });
                act(pending, state, user, id, room_id, txn_id, action);
                None
            }
            ClientFrame::Delete {
                id,
                room_id,
                txn_id,
                event_id,
            } => {
                let action = ids::event_id(&event_id).map(|target| Action::Delete { target });
                act(pending, state, user, id, room_id, txn_id, action);
                None
            }
            ClientFrame::React {
                id,
                room_id,
                txn_id,
                event_id,
                emoji,
            } => {
                let action = ids::event_id(&event_id).map(|target| Action::React { target, emoji });
                act(pending, state, user, id, room_id, txn_id, action);
                None
            }
            ClientFrame::Read { id, room_id, seq } => {
                pending.push(Box::pin(async move {
                    let read = async {
                        let room_id = ids::room_id(&room_id)?;
                        state.rooms.mark_read(&user, &room_id, seq).await
                    };
                    match read.await {
                        Ok(read_up_to) => protocol::ack(&id, json!({ "read_up_to": read_up_to })),
                        Err(err) => protocol::error(Some(&id), &err),
                    }
                }));
                None
            }
            ClientFrame::Typing {
                id,
                room_id,
                typing,
            } => {
                pending.push(Box::pin(async move {
                    match set_typing(&state, &user, &room_id, typing).await {
                        Ok(()) => protocol::ack(&id, json!({})),
                        Err(err) => protocol::error(Some(&id), &err),
                    }
                }));
                None
            }
        }
    }
}

/// Sends an action; its answer joins `pending`.
fn act(
    pending: &mut FuturesUnordered<Pending>,
    state: AppState,
    user: UserId,
    id: String,
    room_id: String,
    txn_id: String,
    action: Result<Action>,
) {
    // Queued now, in the order the frames came; answered when committed.
    let queued = ids::room_id(&room_id)
        .and_then(|room_id| state.rooms.act_now(&user, &room_id, Some(txn_id), action?));
    pending.push(Box::pin(async move {
        let outcome = match queued {
            Ok(answer) => answer.await,
            Err(err) => Err(err),
        };
        match outcome {
            Ok(committed) => {
                let e = &committed.event;
                protocol::ack(
                    &id,
                    json!({ "event_id": e.event_id.as_str(), "room_id": e.room_id.as_str(), "seq": e.seq, "pos": e.pos, "ts": e.ts, "duplicate": committed.duplicate }),
                )
            }
            Err(err) => protocol::error(Some(&id), &err),
        }
    }));
}

/// Typing in a room the user is joined in (checked in memory; the database only says why
/// not).
async fn set_typing(state: &AppState, user: &UserId, room_id: &str, typing: bool) -> Result<()> {
    let room = ids::room_id(room_id)?;
    if !state.rooms.joined_members(&room).await?.contains(user) {
        // `ROOM_NOT_FOUND` for a stranger, `NOT_A_MEMBER` for someone who left.
        state.rooms.membership(user, &room).await?;
        return Err(Error::new(
            ErrorCode::NotAMember,
            "you are no longer a member of this room",
        ));
    }
    state.gateway.typing.set(&room, user, typing).await;
    Ok(())
}
