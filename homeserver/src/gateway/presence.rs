//! Presence: a user is online while any of their devices is connected, and offline with a
//! `last_seen` time once the last one has been gone for a short grace period (so a reconnect
//! does not flicker). It lives in memory; `last_seen` is stored. Only users who share a room
//! hear about it, and a user who hides their last seen shows only online/offline.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use convo_federation::UserId;
use serde_json::{Value, json};

use super::Hub;
use crate::db::{Db, now_ms};
use crate::rooms::store;
use crate::{with_db, with_writer};

#[derive(Debug)]
pub struct Presence {
    db: Db,
    hub: Arc<Hub>,
    grace: Duration,
    /// Per user, a counter bumped on every first connect and last disconnect: an offline
    /// timer only announces if nothing happened since it started.
    generations: Mutex<HashMap<UserId, u64>>,
}

impl Presence {
    pub fn new(db: Db, hub: Arc<Hub>, grace: Duration) -> Arc<Self> {
        Arc::new(Self {
            db,
            hub,
            grace,
            generations: Mutex::new(HashMap::new()),
        })
    }

    fn bump(&self, user: &UserId) -> u64 {
        let mut generations = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        let generation = generations.entry(user.clone()).or_default();
        *generation += 1;
        *generation
    }

    /// True (and forgotten) if `generation` is still the user's latest.
    fn still_current(&self, user: &UserId, generation: u64) -> bool {
        let mut generations = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        if generations.get(user) == Some(&generation) {
            generations.remove(user);
            true
        } else {
            false
        }
    }

    /// The user's first connection opened.
    pub async fn came_online(&self, user: &UserId) {
        self.bump(user);
        self.announce(
            user,
            json!({ "type": "presence", "user_id": user.as_str(), "online": true }),
        )
        .await;
    }

    /// The user's last connection closed: after the grace period, if they have not come back,
    /// they are offline and their last seen is stored.
    pub fn went_away(self: &Arc<Self>, user: UserId) {
        let presence = self.clone();
        let generation = self.bump(&user);
        tokio::spawn(async move {
            tokio::time::sleep(presence.grace).await;
            if presence.hub.is_online(&user) || !presence.still_current(&user, generation) {
                return;
            }
            let now = now_ms();
            let visible = match store_last_seen(&presence.db, &user, now).await {
                Ok(visible) => visible,
                Err(err) => {
                    tracing::error!(cause = %err, "cannot store last seen");
                    true
                }
            };
            let mut frame =
                json!({ "type": "presence", "user_id": user.as_str(), "online": false });
            if visible {
                frame["last_seen"] = json!(now);
            }
            presence.announce(&user, frame).await;
        });
    }

    async fn announce(&self, user: &UserId, frame: Value) {
        let contacts = match store::contacts(&self.db, user.as_str()).await {
            Ok(contacts) => contacts,
            Err(err) => {
                tracing::warn!(cause = %err, "cannot load contacts for presence");
                return;
            }
        };
        let contacts: Vec<UserId> = contacts
            .iter()
            .filter_map(|c| UserId::parse(c).ok())
            .collect();
        let frame: Arc<str> = Arc::from(frame.to_string());
        self.hub.send_to_users(&contacts, &frame, None);
    }

    /// Presence of the people a user shares rooms with, for a snapshot.
    pub async fn of_contacts(&self, user: &UserId) -> Result<Vec<Value>, sqlx::Error> {
        let contacts = store::contacts(&self.db, user.as_str()).await?;
        let mut out = Vec::with_capacity(contacts.len());
        for contact in contacts {
            let Ok(id) = UserId::parse(&contact) else {
                continue;
            };
            let online = self.hub.is_online(&id);
            let mut entry = json!({ "user_id": contact, "online": online });
            if !online && let Some(last_seen) = last_seen(&self.db, &contact).await? {
                entry["last_seen"] = json!(last_seen);
            }
            out.push(entry);
        }
        Ok(out)
    }
}

/// Stores the time; returns whether the user lets others see it.
async fn store_last_seen(db: &Db, user: &UserId, now: i64) -> Result<bool, sqlx::Error> {
    use sqlx::Row as _;
    with_writer!(db, pool => {
        let row = sqlx::query("UPDATE users SET last_seen_at = $2 WHERE user_id = $1 RETURNING last_seen_visible")
            .bind(user.as_str())
            .bind(now)
            .fetch_optional(pool)
            .await?;
        row.map_or(Ok(true), |r| r.try_get::<bool, _>("last_seen_visible"))
    })
}

/// A user's last seen time, if they let others see it.
async fn last_seen(db: &Db, user: &str) -> Result<Option<i64>, sqlx::Error> {
    use sqlx::Row as _;
    with_db!(db, pool => {
        let row = sqlx::query("SELECT last_seen_at FROM users WHERE user_id = $1 AND last_seen_visible")
            .bind(user)
            .fetch_optional(pool)
            .await?;
        match row {
            Some(r) => r.try_get::<Option<i64>, _>("last_seen_at"),
            None => Ok(None),
        }
    })
}
