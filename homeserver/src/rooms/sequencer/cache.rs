//! The room states the sequencer keeps in memory: the most recently used ones, up to
//! `rooms.cached_rooms`, reloaded from the database on a miss. A room whose events are
//! decided but not yet committed (the batch in flight, the batch being decided) is never
//! evicted: its state in the database is behind, and reloading it would hand out its `seq`s
//! again.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use convo_federation::RoomId;
use lru::LruCache;

use super::RoomState;

#[derive(Debug)]
pub struct RoomCache {
    rooms: LruCache<RoomId, RoomState>,
    capacity: usize,
    /// How many rooms are held, for `/metrics`.
    held: Arc<AtomicUsize>,
}

impl RoomCache {
    pub fn new(capacity: usize, held: Arc<AtomicUsize>) -> Self {
        Self {
            rooms: LruCache::unbounded(),
            capacity: capacity.max(1),
            held,
        }
    }

    pub fn contains(&self, room: &RoomId) -> bool {
        self.rooms.contains(room)
    }

    /// The room's state, without counting as a use.
    pub fn peek(&self, room: &RoomId) -> Option<&RoomState> {
        self.rooms.peek(room)
    }

    pub fn get_mut(&mut self, room: &RoomId) -> Option<&mut RoomState> {
        self.rooms.get_mut(room)
    }

    pub fn put(&mut self, room: RoomId, state: RoomState) {
        self.rooms.put(room, state);
        self.count();
    }

    pub fn extend(&mut self, states: impl IntoIterator<Item = (RoomId, RoomState)>) {
        for (room, state) in states {
            self.rooms.put(room, state);
        }
        self.count();
    }

    /// Forgets every room (after a failed commit, everything decided on top of it).
    pub fn clear(&mut self) {
        self.rooms.clear();
        self.count();
    }

    /// Evicts the least recently used rooms down to the capacity, except `protected` ones
    /// (which may keep it above the capacity until they are committed).
    pub fn trim(&mut self, protected: impl Fn(&RoomId) -> bool) {
        let mut kept = Vec::new();
        while self.rooms.len() + kept.len() > self.capacity {
            match self.rooms.pop_lru() {
                Some((room, state)) if protected(&room) => kept.push((room, state)),
                Some(_) => {}
                None => break,
            }
        }
        for (room, state) in kept {
            self.rooms.put(room, state);
        }
        self.count();
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.rooms.len()
    }

    fn count(&self) {
        self.held.store(self.rooms.len(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use convo_federation::ServerName;

    use super::*;
    use crate::rooms::model::RoomKind;

    fn state() -> RoomState {
        RoomState::new(RoomKind::Group, 1, false, BTreeMap::new())
    }

    #[test]
    fn a_hundred_thousand_rooms_touched_once_keep_only_the_capacity() {
        let server = ServerName::parse("example.org").unwrap();
        let held = Arc::new(AtomicUsize::new(0));
        let mut cache = RoomCache::new(1_000, held.clone());
        let mut last = None;
        for _ in 0..100_000 {
            let room = RoomId::new_random(&server);
            cache.put(room.clone(), state());
            cache.trim(|_| false);
            last = Some(room);
        }
        assert_eq!(cache.len(), 1_000);
        assert_eq!(held.load(Ordering::Relaxed), 1_000);
        assert!(cache.contains(&last.unwrap()), "the newest stays");
    }

    #[test]
    fn protected_rooms_outlive_the_capacity_and_recent_ones_stay() {
        let server = ServerName::parse("example.org").unwrap();
        let mut cache = RoomCache::new(2, Arc::default());
        let rooms: Vec<RoomId> = (0..4).map(|_| RoomId::new_random(&server)).collect();
        for room in &rooms {
            cache.put(room.clone(), state());
        }
        // The oldest is protected (decided, not committed): it stays; the next oldest go.
        let first = rooms[0].clone();
        cache.trim(|room| *room == first);
        assert_eq!(cache.len(), 2);
        assert!(cache.contains(&rooms[0]) && cache.contains(&rooms[3]));
        // Using a room makes it recent.
        cache.get_mut(&rooms[0]);
        cache.put(rooms[1].clone(), state());
        cache.trim(|_| false);
        assert!(cache.contains(&rooms[0]) && cache.contains(&rooms[1]));
        assert!(!cache.contains(&rooms[3]));
    }
}
