//! Delivered-to-all times, as a sender sees them: each of its own messages is delivered to
//! everyone once every other member's `delivered_up_to` (from the snapshot, then `receipts`
//! frames) has reached the message's `seq`.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde_json::Value;

/// The other members' positions in each room, and this device's messages not yet delivered
/// to all of them.
#[derive(Debug, Default)]
pub struct Ticks {
    /// Room → other member → delivered_up_to.
    positions: HashMap<String, BTreeMap<String, i64>>,
    /// Room → (seq, send time in ns since the epoch) of own messages, in seq order.
    waiting: HashMap<String, VecDeque<(i64, u64)>>,
}

impl Ticks {
    /// Takes the other members' positions from a snapshot frame.
    pub fn snapshot(&mut self, frame: &Value) {
        for room in frame["rooms"].as_array().into_iter().flatten() {
            let Some(room_id) = room["room_id"].as_str() else {
                continue;
            };
            let positions = self.positions.entry(room_id.to_owned()).or_default();
            for member in room["receipts"].as_array().into_iter().flatten() {
                if let Some(user) = member["user_id"].as_str() {
                    let delivered = member["delivered_up_to"].as_i64().unwrap_or(0);
                    positions.insert(user.to_owned(), delivered);
                }
            }
        }
    }

    /// One of this device's messages arrived (its own copy): it now waits for everyone.
    pub fn own_message(&mut self, room_id: &str, seq: i64, sent_ns: u64) {
        self.waiting
            .entry(room_id.to_owned())
            .or_default()
            .push_back((seq, sent_ns));
    }

    /// A `receipts` frame: positions move; returns the send times of the messages now
    /// delivered to every other member.
    pub fn receipts(&mut self, frame: &Value) -> Vec<u64> {
        let Some(room_id) = frame["room_id"].as_str() else {
            return Vec::new();
        };
        let positions = self.positions.entry(room_id.to_owned()).or_default();
        for update in frame["updates"].as_array().into_iter().flatten() {
            if let (Some(user), Some(delivered)) = (
                update["user_id"].as_str(),
                update["delivered_up_to"].as_i64(),
            ) {
                let entry = positions.entry(user.to_owned()).or_default();
                *entry = (*entry).max(delivered);
            }
        }
        let everyone = positions.values().copied().min().unwrap_or(i64::MAX);
        let mut done = Vec::new();
        if let Some(waiting) = self.waiting.get_mut(room_id) {
            while waiting.front().is_some_and(|(seq, _)| *seq <= everyone) {
                if let Some((_, sent)) = waiting.pop_front() {
                    done.push(sent);
                }
            }
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_message_is_delivered_to_all_when_the_slowest_member_has_it() {
        let mut ticks = Ticks::default();
        ticks.snapshot(&json!({ "rooms": [{ "room_id": "!r", "receipts": [
            { "user_id": "@b", "delivered_up_to": 0 }, { "user_id": "@c", "delivered_up_to": 0 }
        ] }] }));
        ticks.own_message("!r", 3, 100);
        ticks.own_message("!r", 5, 200);
        let update = |user: &str, up_to: i64| json!({ "room_id": "!r", "updates": [{ "user_id": user, "delivered_up_to": up_to }] });
        assert!(ticks.receipts(&update("@b", 5)).is_empty());
        assert_eq!(ticks.receipts(&update("@c", 4)), [100]);
        assert_eq!(ticks.receipts(&update("@c", 9)), [200]);
    }
}
