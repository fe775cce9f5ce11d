//! Message texts: `<prefix>:<sender>:<seq> <unix-nanos>`. The id makes every message unique
//! (and recognisable as this run's); the timestamp is the sender's clock at send time, so a
//! receiver in the same process can measure delivery latency.

use std::time::{SystemTime, UNIX_EPOCH};

/// Which message: the sender's index in the run and its sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageId {
    pub sender: u32,
    pub seq: u32,
}

impl MessageId {
    /// One number for the id, for compact sets.
    pub fn key(self) -> u64 {
        (u64::from(self.sender) << 32) | u64::from(self.seq)
    }
}

/// Wall-clock time in nanoseconds since the Unix epoch.
pub fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

pub fn encode(prefix: &str, id: MessageId, sent_nanos: u64) -> String {
    format!("{prefix}:{}:{} {sent_nanos}", id.sender, id.seq)
}

/// The id and send time of one of this run's messages; `None` for any other text.
pub fn decode(prefix: &str, text: &str) -> Option<(MessageId, u64)> {
    let (id, nanos) = text.split_once(' ')?;
    let mut parts = id.split(':');
    if parts.next()? != prefix {
        return None;
    }
    let sender = parts.next()?.parse().ok()?;
    let seq = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some((MessageId { sender, seq }, nanos.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_other_texts() {
        let id = MessageId { sender: 7, seq: 41 };
        let text = encode("b1a2c3", id, 1_700_000_000_123_456_789);
        assert_eq!(text, "b1a2c3:7:41 1700000000123456789");
        assert_eq!(
            decode("b1a2c3", &text),
            Some((id, 1_700_000_000_123_456_789))
        );
        assert_eq!(decode("bffff0", &text), None);
        assert_eq!(decode("b1a2c3", "hello world"), None);
        assert_eq!(decode("b1a2c3", "b1a2c3:7:41:9 5"), None);
        assert_eq!(decode("b1a2c3", "b1a2c3:7:41"), None);
    }

    #[test]
    fn keys_are_distinct_per_sender_and_seq() {
        let a = MessageId { sender: 1, seq: 0 }.key();
        let b = MessageId { sender: 0, seq: 1 }.key();
        assert_ne!(a, b);
        assert_eq!(MessageId { sender: 2, seq: 3 }.key(), (2 << 32) | 3);
    }
}
