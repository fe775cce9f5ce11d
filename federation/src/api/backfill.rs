//! `GET /_convo/federation/v1/backfill/{room_id}?from={seq}&to={seq}`: the room's events with
//! `from <= seq <= to`, in order, from its host (to fill a gap, or to scroll back). At most
//! [`MAX_BACKFILL`] events per request; `to` past the room's last event is fine (fewer come).

use serde::{Deserialize, Serialize};

use super::{FederationEndpoint, Method, PREFIX, encode_segment};
use crate::error::{ErrorCode, ProtocolError};
use crate::events::{MAX_SEQ, Pdu};
use crate::{Raw, RoomId};

/// Most events one backfill request asks for.
pub const MAX_BACKFILL: u64 = 1_000;

/// The request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub room_id: RoomId,
    pub from: u64,
    pub to: u64,
}

/// The answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    pub room_id: RoomId,
    /// In ascending `seq`.
    pub events: Vec<Raw<Pdu>>,
}

/// Why a range was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RangeError {
    /// The query is not `from=<n>&to=<n>`.
    #[error("the query must be from=<seq>&to=<seq>")]
    Malformed,
    /// `from` is 0, `to` is below `from`, or the range is too long.
    #[error("invalid range {from}..={to}: 1 <= from <= to, at most {MAX_BACKFILL} events")]
    Invalid { from: u64, to: u64 },
}

impl ProtocolError for RangeError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Malformed => ErrorCode::MalformedRequest,
            Self::Invalid { .. } => ErrorCode::InvalidRange,
        }
    }
}

impl Request {
    /// Checks the range: `1 <= from <= to <= 2^53-1`, at most [`MAX_BACKFILL`] events.
    pub fn check_range(from: u64, to: u64) -> Result<(), RangeError> {
        if from == 0 || to < from || to > MAX_SEQ || to - from >= MAX_BACKFILL {
            return Err(RangeError::Invalid { from, to });
        }
        Ok(())
    }

    /// Reads `from=<n>&to=<n>` (in either order, each once, decimal without sign or leading
    /// zeros) and checks the range.
    pub fn parse_query(query: &str) -> Result<(u64, u64), RangeError> {
        let (mut from, mut to) = (None, None);
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').ok_or(RangeError::Malformed)?;
            let slot = match name {
                "from" => &mut from,
                "to" => &mut to,
                _ => return Err(RangeError::Malformed),
            };
            let canonical = !value.is_empty()
                && value.bytes().all(|b| b.is_ascii_digit())
                && (value == "0" || !value.starts_with('0'));
            let number = value.parse().ok().filter(|_| canonical);
            if slot.replace(number.ok_or(RangeError::Malformed)?).is_some() {
                return Err(RangeError::Malformed);
            }
        }
        let (Some(from), Some(to)) = (from, to) else {
            return Err(RangeError::Malformed);
        };
        Self::check_range(from, to)?;
        Ok((from, to))
    }
}

impl FederationEndpoint for Request {
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/_convo/federation/v1/backfill/{room_id}";
    type Response = Response;

    fn uri(&self) -> String {
        format!(
            "{PREFIX}/backfill/{}?from={}&to={}",
            encode_segment(self.room_id.as_str()),
            self.from,
            self.to
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_checked() {
        assert_eq!(Request::parse_query("from=1&to=50"), Ok((1, 50)));
        assert_eq!(Request::parse_query("to=1000&from=1"), Ok((1, 1000)));
        for bad in [
            "",
            "from=1",
            "from=1&to=2&to=3",
            "from=01&to=2",
            "from=-1&to=2",
            "from=1&to=2&x=1",
            "from=1;to=2",
            "from=+1&to=2",
        ] {
            assert_eq!(
                Request::parse_query(bad),
                Err(RangeError::Malformed),
                "{bad}"
            );
        }
        for (from, to) in [(0, 5), (5, 4), (1, 1001), (1, MAX_SEQ + 1)] {
            let err = Request::check_range(from, to).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidRange, "{from} {to}");
        }
        let room = RoomId::parse("!r:hs1").unwrap();
        let uri = Request {
            room_id: room,
            from: 3,
            to: 9,
        }
        .uri();
        assert_eq!(uri, "/_convo/federation/v1/backfill/!r:hs1?from=3&to=9");
        assert_eq!(
            Request::parse_query(uri.split_once('?').unwrap().1),
            Ok((3, 9))
        );
    }
}
