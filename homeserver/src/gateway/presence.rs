//! Presence: a user is online while any of their devices is connected, and offline with a
//! `last_seen` time once the last one has been gone for a short grace period (so a reconnect
//! does not flicker). It lives in memory; `last_seen` is stored with the account. Only users
//! who share a room hear about it, and a user who hides their last seen shows only
//! online/offline.
//!
//! The grace timers are tracked: on shutdown ([`Presence::shutdown`]) whoever is still
//! waiting out their grace is recorded as last seen at once, and the timers end.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use convo_federation::UserId;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Hub, frames};
use crate::accounts::Accounts;
use crate::db::now_ms;
use crate::rooms::Rooms;

#[derive(Debug)]
pub struct Presence {
    rooms: Rooms,
    accounts: Accounts,
    hub: Arc<Hub>,
    grace: Duration,
    /// Per user, a counter bumped on every first connect and last disconnect: an offline
    /// timer only announces if nothing happened since it started.
    generations: Mutex<HashMap<UserId, u64>>,
    /// The grace timers.
    timers: TaskTracker,
    /// Cancelled on shutdown: timers record at once.
    stopping: CancellationToken,
    /// Set on shutdown: users who go away now are recorded at once.
    closing: AtomicBool,
}

impl Presence {
    pub fn new(rooms: Rooms, accounts: Accounts, hub: Arc<Hub>, grace: Duration) -> Arc<Self> {
        Arc::new(Self {
            rooms,
            accounts,
            hub,
            grace,
            generations: Mutex::new(HashMap::new()),
            timers: TaskTracker::new(),
            stopping: CancellationToken::new(),
            closing: AtomicBool::new(false),
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
        self.announce(user, frames::presence(user, true, None))
            .await;
    }

    /// The user's last connection closed: after the grace period, if they have not come back,
    /// they are offline and their last seen is stored.
    pub fn went_away(self: &Arc<Self>, user: UserId) {
        let presence = self.clone();
        let generation = self.bump(&user);
        let closing = self.closing.load(Ordering::Relaxed);
        self.timers.spawn(async move {
            if !closing {
                tokio::select! {
                    () = tokio::time::sleep(presence.grace) => {}
                    () = presence.stopping.cancelled() => {}
                }
            }
            let still_away =
                !presence.hub.is_online(&user) || presence.closing.load(Ordering::Relaxed);
            if !still_away || !presence.still_current(&user, generation) {
                return;
            }
            presence.offline(&user).await;
        });
    }

    async fn offline(&self, user: &UserId) {
        let now = now_ms();
        let visible = match self.accounts.record_last_seen(user, now).await {
            Ok(visible) => visible,
            Err(err) => {
                tracing::error!(cause = %err.message, "cannot store last seen");
                true
            }
        };
        let frame = frames::presence(user, false, visible.then_some(now));
        self.announce(user, frame).await;
    }

    async fn announce(&self, user: &UserId, frame: Value) {
        let contacts = match self.rooms.contacts(user).await {
            Ok(contacts) => contacts,
            Err(err) => {
                tracing::warn!(cause = %err.message, "cannot load contacts for presence");
                return;
            }
        };
        let frame = Utf8Bytes::from(frame.to_string());
        self.hub.send_to_users(&contacts, &frame, None);
    }

    /// Presence of the people a user shares rooms with, as `presence` frames: online, or
    /// offline with `last_seen` when they let others see it (absent: never seen, or hidden).
    pub async fn of_contacts(&self, user: &UserId) -> crate::error::Result<Vec<Value>> {
        let contacts = self.rooms.contacts(user).await?;
        let offline: Vec<UserId> = contacts
            .iter()
            .filter(|c| !self.hub.is_online(c))
            .cloned()
            .collect();
        let last_seen = self.accounts.visible_last_seen(&offline).await?;
        Ok(contacts
            .iter()
            .map(|contact| {
                let online = self.hub.is_online(contact);
                let seen = (!online).then(|| last_seen.get(contact).copied()).flatten();
                frames::presence(contact, online, seen)
            })
            .collect())
    }

    /// Shutdown: everyone going away from now on, and everyone in their grace period, is
    /// recorded as last seen at once; waits for that.
    pub async fn shutdown(&self) {
        self.closing.store(true, Ordering::Relaxed);
        self.stopping.cancel();
        self.timers.close();
        self.timers.wait().await;
    }
}
