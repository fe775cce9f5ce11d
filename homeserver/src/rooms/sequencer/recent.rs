//! The transactions of the most recently sequenced messages, as their 64-bit keys. A plain
//! message is decided without a database lookup of its transaction: the unique `txn_key`
//! index refuses a batch that repeats an earlier transaction, and the batch is then done
//! again the careful way, which looks every transaction up. Retries usually come soon after
//! a reconnect, so a proposal whose key is among the recent ones is looked up before
//! deciding: a retry seldom costs its batch that second pass.

use std::collections::{HashSet, VecDeque};

#[derive(Debug)]
pub struct RecentTxns {
    keys: HashSet<i64>,
    order: VecDeque<i64>,
    capacity: usize,
}

impl RecentTxns {
    pub fn new(capacity: usize) -> Self {
        Self {
            keys: HashSet::with_capacity(capacity),
            order: VecDeque::with_capacity(capacity),
            capacity: capacity.max(1),
        }
    }

    pub fn contains(&self, key: i64) -> bool {
        self.keys.contains(&key)
    }

    /// Remembers `key`, forgetting the oldest one beyond the capacity.
    pub fn insert(&mut self, key: i64) {
        if !self.keys.insert(key) {
            return;
        }
        self.order.push_back(key);
        if self.order.len() > self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.keys.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_keys_up_to_its_capacity() {
        let mut recent = RecentTxns::new(3);
        for key in 1..=5 {
            recent.insert(key);
        }
        recent.insert(5);
        assert!(!recent.contains(1) && !recent.contains(2));
        assert!(recent.contains(3) && recent.contains(4) && recent.contains(5));
    }
}
