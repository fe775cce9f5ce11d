//! The wire types of every federation endpoint, one file each, under `/_convo/federation/v1/`.
//!
//! | endpoint | file |
//! |---|---|
//! | `GET /keys` (unsigned) | [`get_server_keys`] |
//! | `PUT /send/{txn_id}` | [`send_transaction`] (events, proposals, [`ephemeral`] updates) |
//! | `GET /make_join/{room_id}/{user_id}` | [`make_join`] |
//! | `PUT /send_join/{room_id}/{event_id}` | [`send_join`] (state [`snapshot`] + recent history) |
//! | `PUT /invite/{room_id}/{event_id}` | [`invite`] |
//! | `PUT /send_leave/{room_id}/{event_id}` | [`send_leave`] |
//! | `GET /backfill/{room_id}?from=&to=` | [`backfill`] |
//! | `GET /profile/{user_id}` | [`get_profile`] |
//! | `GET /state/{room_id}` | [`get_room_state`] |
//!
//! Every request but `GET /keys` is signed ([`crate::request`]); errors are an
//! [`ErrorBody`](crate::ErrorBody). Bodies refuse unknown fields (`deny_unknown_fields`),
//! except where a file says why not. Signed items inside bodies travel as [`Raw`](crate::Raw)
//! JSON, so that each is verified (and refused) on its own. Path segments are percent-encoded
//! where needed ([`encode_segment`]: only `[`, `]` of IPv6 server names in practice); the
//! signature covers the target as sent.

pub mod backfill;
pub mod ephemeral;
pub mod get_profile;
pub mod get_room_state;
pub mod get_server_keys;
pub mod invite;
pub mod make_join;
pub mod send_join;
pub mod send_leave;
pub mod send_transaction;
pub mod snapshot;

#[cfg(test)]
mod fixtures;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Where every endpoint lives.
pub const PREFIX: &str = "/_convo/federation/v1";

/// The methods federation uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
            Self::Post => "POST",
        }
    }
}

/// One endpoint's request: how it is sent, and what it answers.
pub trait FederationEndpoint {
    const METHOD: Method;
    /// The path with `{name}` placeholders, e.g. `/_convo/federation/v1/send/{txn_id}`.
    const PATH: &'static str;
    /// Whether the request is signed (all but the key document).
    const SIGNED: bool = true;
    /// The successful answer.
    type Response: Serialize + DeserializeOwned;

    /// The request target: the path with its segments filled in, and the query.
    fn uri(&self) -> String;

    /// The JSON body, if the endpoint takes one.
    fn body(&self) -> Result<Option<Vec<u8>>, serde_json::Error> {
        Ok(None)
    }
}

/// Percent-encodes a path segment: everything but RFC 3986's unreserved characters,
/// sub-delimiters, `:` and `@` (so `@alice:hs1`, `!room:hs1` and `$id` stay as they are).
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&byte);
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_only_where_needed() {
        assert_eq!(encode_segment("@alice:hs1.example"), "@alice:hs1.example");
        assert_eq!(encode_segment("!Room1:hs1"), "!Room1:hs1");
        assert_eq!(
            encode_segment("$7cOh2dBoHdSNjNe4jvMEA5XlyICuA3BJKvoBL7kSC3M"),
            "$7cOh2dBoHdSNjNe4jvMEA5XlyICuA3BJKvoBL7kSC3M"
        );
        assert_eq!(encode_segment("@a:[::1]:8448"), "@a:%5B::1%5D:8448");
        assert_eq!(encode_segment("a/b?c#d%e f"), "a%2Fb%3Fc%23d%25e%20f");
    }
}
