//! The federation API's error codes and error body: `{"code": "<STABLE_CODE>", "message": "…"}`.
//!
//! Every error of this crate that a peer can cause says which [`ErrorCode`] it is
//! ([`ProtocolError`]), and only those become an [`ErrorBody`]. What a peer answered us is a
//! [`RemoteErrorBody`], a different type with no conversion into ours: a peer's internal error
//! is never relayed as ours by accident.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The most characters of a peer's error message that are kept (for logs).
const MAX_REMOTE_MESSAGE_CHARS: usize = 512;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = ($name:literal, $status:literal), )*) => {
        /// A stable, machine-readable reason for a refusal. Peers match on it, never on the
        /// message. The set only grows; a code never changes its meaning.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )*
        }

        impl ErrorCode {
            /// Every code, in the order of this list.
            pub const ALL: &'static [ErrorCode] = &[$(Self::$variant),*];

            /// The code as written on the wire, e.g. `BAD_SIGNATURE`.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }

            /// The HTTP status a response with this code has.
            pub fn status(self) -> u16 {
                match self { $(Self::$variant => $status,)* }
            }

            /// The code written `s` on the wire, if it is one of ours.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($name => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

error_codes! {
    /// The body, query or path is not what the endpoint takes.
    MalformedRequest = ("MALFORMED_REQUEST", 400),
    /// No `Authorization` header: every federation request but the key document is signed.
    MissingAuthorization = ("MISSING_AUTHORIZATION", 401),
    /// The `Authorization` header is not a well-formed Convo request signature.
    MalformedAuthorization = ("MALFORMED_AUTHORIZATION", 401),
    /// The request was signed for another server.
    WrongDestination = ("WRONG_DESTINATION", 401),
    /// The request's timestamp is older than the accepted clock skew (a replay, or a bad clock).
    StaleTimestamp = ("STALE_TIMESTAMP", 401),
    /// The request's timestamp is further in the future than the accepted clock skew.
    FutureTimestamp = ("FUTURE_TIMESTAMP", 401),
    /// The signing key is not among the signer's published keys, even after refetching them.
    UnknownKey = ("UNKNOWN_KEY", 401),
    /// The signing key was no longer valid when the thing was signed.
    KeyExpired = ("KEY_EXPIRED", 401),
    /// The signer's keys could not be fetched (it may be down): try again later.
    KeysUnavailable = ("KEYS_UNAVAILABLE", 401),
    /// A signature does not verify.
    BadSignature = ("BAD_SIGNATURE", 401),
    /// The body is larger than this server accepts.
    BodyTooLarge = ("BODY_TOO_LARGE", 413),
    /// This server does not federate with the requesting server.
    DeniedServer = ("DENIED_SERVER", 403),
    /// An event's sender is not on the server that signed or submitted it.
    WrongOrigin = ("WRONG_ORIGIN", 403),
    /// An event is not what its id names: its content was changed.
    TamperedContent = ("TAMPERED_CONTENT", 400),
    /// An event is not a well-formed event of the protocol.
    MalformedEvent = ("MALFORMED_EVENT", 400),
    /// An event lacks its origin server's signature.
    NotSignedByOrigin = ("NOT_SIGNED_BY_ORIGIN", 403),
    /// A sequenced event lacks the room host's countersignature.
    NotSignedByHost = ("NOT_SIGNED_BY_HOST", 403),
    /// An event carries signatures of servers that have no business signing it.
    UnexpectedSignature = ("UNEXPECTED_SIGNATURE", 400),
    /// The server that sequenced (or was asked to sequence) an event is not the room's host.
    NotHost = ("NOT_HOST", 403),
    /// The requesting server (or the event's sender) is not a member of the room.
    NotAMember = ("NOT_A_MEMBER", 403),
    /// The sender is a member but may not do this (their role does not allow it).
    Forbidden = ("FORBIDDEN", 403),
    /// No such room here.
    UnknownRoom = ("UNKNOWN_ROOM", 404),
    /// No such user here.
    UnknownUser = ("UNKNOWN_USER", 404),
    /// No such endpoint or resource.
    NotFound = ("NOT_FOUND", 404),
    /// A backfill range is empty, reversed or longer than this server serves at once.
    InvalidRange = ("INVALID_RANGE", 400),
    /// A transaction carries more events or updates than this server accepts at once.
    TooManyEvents = ("TOO_MANY_EVENTS", 413),
    /// The requesting server sends too many requests: slow down.
    RateLimited = ("RATE_LIMITED", 429),
    /// Something failed on this server; the cause is in its logs, never in the answer.
    InternalError = ("INTERNAL_ERROR", 500),
    /// This server cannot answer now (starting, stopping, overloaded): try again later.
    Unavailable = ("UNAVAILABLE", 503),
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error a peer caused, with the code it is answered with.
pub trait ProtocolError: fmt::Display {
    /// The stable code of this error.
    fn code(&self) -> ErrorCode;

    /// What the peer is told. By default the error's text, which in this crate never holds
    /// secrets or internal causes; errors with an internal cause override it.
    fn public_message(&self) -> String {
        self.to_string()
    }
}

/// Our error body, as we answer it: `{"code": "BAD_SIGNATURE", "message": "…"}`.
///
/// Built only from one of our codes ([`ErrorBody::new`], [`ErrorBody::from_error`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    code: ErrorCode,
    message: String,
}

impl ErrorBody {
    /// A body with `code` and a message (which must not hold internal causes).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The body answering `error`.
    pub fn from_error<E: ProtocolError + ?Sized>(error: &E) -> Self {
        Self::new(error.code(), error.public_message())
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status of this body's code.
    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

/// What a peer answered when it refused a request of ours. Its code is the peer's word, kept
/// as text (a newer peer may have codes we do not know); its message is for our logs only.
///
/// There is deliberately no conversion from this into an [`ErrorBody`]: what we answer is
/// decided by us ([`RemoteErrorBody::known_code`] helps to decide, e.g. whether to retry).
///
/// Unknown fields are allowed here (and ignored): it is a peer's answer, read only to log it
/// and to decide what to do next, never stored, signed or relayed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteErrorBody {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

impl RemoteErrorBody {
    /// Reads a peer's error body, if it is one; the message is cut to 512 characters.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let mut parsed: Self = serde_json::from_slice(body).ok()?;
        if let Some((cut, _)) = parsed.message.char_indices().nth(MAX_REMOTE_MESSAGE_CHARS) {
            parsed.message.truncate(cut);
        }
        Some(parsed)
    }

    /// The peer's code, if it is one this version of the protocol defines.
    pub fn known_code(&self) -> Option<ErrorCode> {
        ErrorCode::parse(&self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_text_and_round_trip() {
        assert_eq!(ErrorCode::BadSignature.as_str(), "BAD_SIGNATURE");
        assert_eq!(ErrorCode::BodyTooLarge.status(), 413);
        for &code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert!(
                code.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_')
            );
            assert!((400..600).contains(&code.status()));
        }
        let names: std::collections::BTreeSet<_> =
            ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len(), "codes are distinct");
    }

    #[test]
    fn the_body_round_trips_and_refuses_unknown_codes() {
        let fixture = r#"{"code":"DENIED_SERVER","message":"this server does not federate with evil.example"}"#;
        let body: ErrorBody = serde_json::from_str(fixture).unwrap();
        assert_eq!(body.code(), ErrorCode::DeniedServer);
        assert_eq!(body.status(), 403);
        assert_eq!(serde_json::to_string(&body).unwrap(), fixture);
        assert!(serde_json::from_str::<ErrorBody>(r#"{"code":"PEER_SAYS","message":""}"#).is_err());
    }

    #[test]
    fn a_peers_body_stays_the_peers() {
        let long = "x".repeat(2_000);
        let body = format!(r#"{{"code":"DATABASE_ON_FIRE","message":"{long}","extra":1}}"#);
        let remote = RemoteErrorBody::parse(body.as_bytes()).unwrap();
        assert_eq!(remote.code, "DATABASE_ON_FIRE");
        assert_eq!(remote.known_code(), None);
        assert_eq!(remote.message.chars().count(), 512);
        let ours = RemoteErrorBody::parse(br#"{"code":"NOT_A_MEMBER"}"#).unwrap();
        assert_eq!(ours.known_code(), Some(ErrorCode::NotAMember));
        assert!(RemoteErrorBody::parse(b"<html>502</html>").is_none());
    }
}
