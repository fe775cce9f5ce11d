//! Typing indicators: ephemeral, never stored. A `typing: true` lasts a few seconds unless
//! renewed; when it lapses (or the typist stops or disconnects) the room hears `typing: false`.
//! Rooms' members come from the rooms service's member directory (memory), not a query per
//! frame.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use convo_federation::{RoomId, UserId};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::{Hub, frames};
use crate::rooms::Rooms;

/// How often lapsed indicators are looked for.
const SWEEP_EVERY: Duration = Duration::from_millis(250);

/// Who is typing where, until when.
#[derive(Debug)]
pub struct Typing {
    rooms: Rooms,
    hub: Arc<Hub>,
    ttl: Duration,
    active: Mutex<HashMap<(RoomId, UserId), Instant>>,
}

impl Typing {
    /// Starts the expiry sweeper; it stops when the last handle is dropped or its handle is
    /// aborted (on shutdown: indicators are ephemeral).
    pub fn start(rooms: Rooms, hub: Arc<Hub>, ttl: Duration) -> (Arc<Self>, JoinHandle<()>) {
        let typing = Arc::new(Self {
            rooms,
            hub,
            ttl,
            active: Mutex::new(HashMap::new()),
        });
        let weak = Arc::downgrade(&typing);
        let sweeper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            loop {
                tick.tick().await;
                let Some(typing) = weak.upgrade() else { break };
                typing.sweep().await;
            }
        });
        (typing, sweeper)
    }

    /// Records a start or stop and tells the room's other members.
    pub async fn set(&self, room_id: &RoomId, user: &UserId, typing: bool) {
        let changed = {
            let mut active = self.active.lock().unwrap_or_else(|e| e.into_inner());
            let key = (room_id.clone(), user.clone());
            if typing {
                active.insert(key, Instant::now() + self.ttl).is_none()
            } else {
                active.remove(&key).is_some()
            }
        };
        if changed {
            self.announce(room_id, user, typing).await;
        }
    }

    /// A user's last connection closed: they stop typing everywhere.
    pub async fn stop_all(&self, user: &UserId) {
        let rooms: Vec<RoomId> = {
            let mut active = self.active.lock().unwrap_or_else(|e| e.into_inner());
            let rooms = active
                .keys()
                .filter(|(_, u)| u == user)
                .map(|(r, _)| r.clone())
                .collect();
            active.retain(|(_, u), _| u != user);
            rooms
        };
        for room in rooms {
            self.announce(&room, user, false).await;
        }
    }

    async fn sweep(&self) {
        let now = Instant::now();
        let expired: Vec<(RoomId, UserId)> = {
            let mut active = self.active.lock().unwrap_or_else(|e| e.into_inner());
            let expired = active
                .iter()
                .filter(|(_, until)| **until <= now)
                .map(|(k, _)| k.clone())
                .collect::<Vec<_>>();
            for key in &expired {
                active.remove(key);
            }
            expired
        };
        for (room, user) in expired {
            self.announce(&room, &user, false).await;
        }
    }

    async fn announce(&self, room_id: &RoomId, user: &UserId, typing: bool) {
        let members = match self.rooms.joined_members(room_id).await {
            Ok(members) => members,
            Err(err) => {
                tracing::warn!(cause = %err.message, "cannot load members for typing");
                return;
            }
        };
        let others = members.iter().filter(|m| *m != user);
        let frame = Utf8Bytes::from(frames::typing(room_id, user, typing));
        self.hub.send_to_users(others, &frame, None);
    }
}
