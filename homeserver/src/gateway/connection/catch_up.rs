//! Catching a device up after `hello`: the events after its `since` position, in stream
//! order, then `synced` — or, for a new device (no `since`), one too far behind (more than
//! `gateway.max_resume_events` missed), or a `since` this server never gave out, a
//! `snapshot` of its chats to continue from. A snapshot that cannot be made is an `error`
//! and the connection closes (1011); the client reconnects.

use futures_util::Sink;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::outgoing::Outgoing;
use super::{Connection, Ending};
use crate::error::{Error, ErrorCode};
use crate::gateway::frames;
use crate::gateway::protocol::{self, close};
use crate::rooms::store;
use crate::wire::RoomSummary;

/// Events written between two writes to the socket during a catch-up.
const CHUNK: usize = 256;

impl Connection {
    pub(super) async fn catch_up<W>(
        &mut self,
        sink: &mut W,
        out: &mut Outgoing,
        since: Option<i64>,
    ) -> Result<(), Ending>
    where
        W: Sink<Message> + Unpin,
    {
        let too_slow = Some((close::RESUME, "too slow: reconnect and resume"));
        let resumed = self.missed(since).await;
        match resumed {
            Some((since, events)) => {
                self.last_pos = since;
                for chunk in events.chunks(CHUNK) {
                    for event in chunk {
                        let own = event.sender == self.session.user_id;
                        let json = frames::event_json(event, own);
                        self.sent(event.pos, event.room_id.clone(), event.seq);
                        out.push(Message::text(frames::event_frame(&json, false)));
                    }
                    out.write_all(sink, self.write_timeout)
                        .await
                        .map_err(|_| too_slow)?;
                }
                // Presence is not in the stream: what changed while the device was away is
                // told as it is now (changes from here on are queued for this connection).
                match self
                    .state
                    .gateway
                    .presence
                    .of_contacts(&self.session.user_id)
                    .await
                {
                    Ok(frames) => {
                        for frame in frames {
                            out.push(Message::text(frame.to_string()));
                        }
                    }
                    Err(err) => {
                        tracing::error!(cause = %err.message, "presence for a resume failed")
                    }
                }
                let synced = json!({ "type": "synced", "pos": self.last_pos, "resumed": true });
                out.push(Message::text(synced.to_string()));
            }
            None => match self.snapshot().await {
                Ok((pos, frame)) => {
                    self.last_pos = pos;
                    out.push(Message::text(frame));
                }
                Err(err) => {
                    tracing::error!(cause = %err.message, "snapshot failed");
                    let err = Error::new(
                        ErrorCode::Unavailable,
                        "your chats could not be loaded; reconnect in a moment",
                    );
                    out.push(Message::text(protocol::error(None, &err)));
                    return Err(Some((close::INTERNAL_ERROR, "snapshot failed")));
                }
            },
        }
        out.write_all(sink, self.write_timeout)
            .await
            .map_err(|_| too_slow)
    }

    /// The events after `since`, if the device can resume from there.
    async fn missed(&self, since: Option<i64>) -> Option<(i64, Vec<crate::rooms::model::Event>)> {
        let since = since?;
        let max = self.state.config.gateway.max_resume_events;
        let db = &self.state.db;
        // A position past the end of the stream is not one this server gave out (a restored
        // database, a confused client): start over with a snapshot.
        let end = store::max_stream_pos(db).await.ok()?;
        if since < 0 || since > end {
            return None;
        }
        match store::events_since(db, &self.session.user_id, since, max + 1).await {
            Ok(events) if events.len() <= max as usize => Some((since, events)),
            Ok(_) => None,
            Err(err) => {
                tracing::error!(cause = %err, "resume query failed");
                None
            }
        }
    }

    /// The snapshot frame and the position it continues from.
    async fn snapshot(&self) -> Result<(i64, String), Error> {
        let user = &self.session.user_id;
        let pos = store::max_stream_pos(&self.state.db).await?;
        let rooms: Vec<RoomSummary> = self
            .state
            .rooms
            .list(user)
            .await?
            .into_iter()
            .map(|r| RoomSummary::new(r, user))
            .collect();
        let mut presence = self.state.gateway.presence.of_contacts(user).await?;
        for entry in &mut presence {
            if let Some(entry) = entry.as_object_mut() {
                entry.remove("type");
            }
        }
        let rooms: Vec<serde_json::Value> = rooms
            .iter()
            .map(|r| poem_openapi::types::ToJSON::to_json(r).unwrap_or_default())
            .collect();
        let frame = json!({ "type": "snapshot", "pos": pos, "rooms": rooms, "presence": presence });
        Ok((pos, frame.to_string()))
    }
}
