//! Typing indicators: ephemeral, never stored. A `typing: true` lasts a few seconds unless
//! renewed; when it lapses (or the typist stops or disconnects) the room hears `typing: false`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use convo_federation::UserId;
use serde_json::json;

use super::Hub;
use crate::db::Db;
use crate::rooms::store;

/// Who is typing where, until when.
#[derive(Debug)]
pub struct Typing {
    db: Db,
    hub: Arc<Hub>,
    ttl: Duration,
    active: Mutex<HashMap<(String, UserId), Instant>>,
}

impl Typing {
    /// Starts the expiry sweeper; it stops when the last handle is dropped.
    pub fn start(db: Db, hub: Arc<Hub>, ttl: Duration) -> Arc<Self> {
        let typing = Arc::new(Self {
            db,
            hub,
            ttl,
            active: Mutex::new(HashMap::new()),
        });
        let weak = Arc::downgrade(&typing);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tick.tick().await;
                let Some(typing) = weak.upgrade() else { break };
                typing.sweep().await;
            }
        });
        typing
    }

    /// Records a start or stop and tells the room's other members.
    pub async fn set(&self, room_id: &str, user: &UserId, typing: bool) {
        let changed = {
            let mut active = self.active.lock().unwrap_or_else(|e| e.into_inner());
            let key = (room_id.to_owned(), user.clone());
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
        let rooms: Vec<String> = {
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
        let expired: Vec<(String, UserId)> = {
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

    async fn announce(&self, room_id: &str, user: &UserId, typing: bool) {
        let members = match store::joined_members(&self.db, room_id).await {
            Ok(members) => members,
            Err(err) => {
                tracing::warn!(cause = %err, "cannot load members for typing");
                return;
            }
        };
        let others: Vec<UserId> = members
            .iter()
            .filter(|m| m.as_str() != user.as_str())
            .filter_map(|m| UserId::parse(m).ok())
            .collect();
        let frame: Arc<str> =
            Arc::from(json!({ "type": "typing", "room_id": room_id, "user_id": user.as_str(), "typing": typing }).to_string());
        self.hub.send_to_users(&others, &frame, None);
    }
}
