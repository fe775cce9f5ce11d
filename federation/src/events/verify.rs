//! Verifying signed events: [`EventError`] says precisely why one is refused.
//!
//! A proposal ([`SignedEvent`]) is accepted from the server it names as origin only
//! ([`verify_proposal`]); a sequenced event ([`Pdu`]) must come from the room's host and carry
//! both signatures ([`verify_pdu`]). Keys are asked for at the event's `origin_ts`, so events
//! signed with a key that was rotated out since still verify.

use thiserror::Error;

use super::signed::{Pdu, SignedEvent, host_signed_bytes, origin_signed_bytes};
use super::{EventBody, MAX_SEQ};
use crate::error::{ErrorCode, ProtocolError};
use crate::keys::{KeyId, KeyLookupError, KeyProvider};
use crate::signatures::{MAX_SIGNATURES_PER_SERVER, Signatures};
use crate::{EventId, ServerName, UserId};

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EventError {
    /// Not a well-formed event of the protocol (see [`SignedEvent`]'s exact form).
    #[error("malformed event: {reason}")]
    Malformed { reason: String },
    /// The body does not hash to the event's id: its content was changed.
    #[error("event {claimed} does not match its content (which hashes to {computed})")]
    IdMismatch { claimed: EventId, computed: EventId },
    /// The sender is not a user of the server that signed or submitted the event.
    #[error("sender {sender} is not on {origin}")]
    WrongOrigin { sender: UserId, origin: ServerName },
    /// The sender's server did not sign the event.
    #[error("event is not signed by its origin {origin}")]
    NotSignedByOrigin { origin: ServerName },
    /// A server other than the origin signed the body (a server signs only its users' events).
    #[error("event carries a signature of {server}, which is not its origin")]
    UnexpectedSignature { server: ServerName },
    /// More signatures of one server than are ever needed.
    #[error("event carries too many signatures of {server}")]
    TooManySignatures { server: ServerName },
    /// The origin's signature does not verify.
    #[error("signature of {server} with {key_id} does not verify")]
    BadSignature { server: ServerName, key_id: KeyId },
    /// A key needed to verify could not be had.
    #[error(transparent)]
    Key(#[from] KeyLookupError),
    /// The event was sequenced by a server that is not the room's host.
    #[error("event was sequenced by {claimed}, but the room's host is {expected}")]
    WrongHost {
        expected: ServerName,
        claimed: ServerName,
    },
    /// A sequenced event came from a server other than the room's host.
    #[error("sequenced events of this room come from {host}, not {relayer}")]
    NotFromHost {
        relayer: ServerName,
        host: ServerName,
    },
    /// The host's countersignature is missing.
    #[error("event is not countersigned by the host {host}")]
    NotSignedByHost { host: ServerName },
    /// The event says it was made later than now (beyond the clock skew allowed).
    #[error("event is dated {origin_ts}, after now ({now})")]
    OriginTsInFuture { origin_ts: i64, now: i64 },
    /// The host's countersignature does not verify (its `seq`, room or id was changed).
    #[error("countersignature of {host} with {key_id} does not verify")]
    BadHostSignature { host: ServerName, key_id: KeyId },
}

impl EventError {
    pub(super) fn malformed(error: serde_json::Error) -> Self {
        Self::Malformed {
            reason: error.to_string(),
        }
    }
}

impl ProtocolError for EventError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Malformed { .. } | Self::TooManySignatures { .. } => ErrorCode::MalformedEvent,
            Self::IdMismatch { .. } => ErrorCode::TamperedContent,
            Self::WrongOrigin { .. } | Self::NotFromHost { .. } => ErrorCode::WrongOrigin,
            Self::NotSignedByOrigin { .. } => ErrorCode::NotSignedByOrigin,
            Self::UnexpectedSignature { .. } => ErrorCode::UnexpectedSignature,
            Self::BadSignature { .. } | Self::BadHostSignature { .. } => ErrorCode::BadSignature,
            Self::Key(error) => error.code(),
            Self::WrongHost { .. } => ErrorCode::NotHost,
            Self::NotSignedByHost { .. } => ErrorCode::NotSignedByHost,
            Self::OriginTsInFuture { .. } => ErrorCode::FutureTimestamp,
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::Key(error) => error.public_message(),
            other => other.to_string(),
        }
    }
}

/// Checks a signed event on its own: its id is its body's, and its origin (the sender's
/// server, the only signer) signed the body with a key valid at `origin_ts`.
pub async fn verify_signed_event(
    event: &SignedEvent,
    keys: &impl KeyProvider,
) -> Result<(), EventError> {
    verify_origin(&event.event_id, &event.body, &event.signatures, keys).await
}

/// Checks a proposal `submitter` sent: the sender must be one of the submitter's users (a
/// server proposes only its own users' events), then [`verify_signed_event`].
pub async fn verify_proposal(
    event: &SignedEvent,
    submitter: &ServerName,
    keys: &impl KeyProvider,
) -> Result<(), EventError> {
    if event.origin() != submitter {
        return Err(EventError::WrongOrigin {
            sender: event.body.sender.clone(),
            origin: submitter.clone(),
        });
    }
    verify_signed_event(event, keys).await
}

/// Refuses an event dated more than `max_skew_ms` after `now_ms`. The host calls it before
/// sequencing a proposal: keys are looked up at `origin_ts`, so a date in the future must not
/// be let in. (An old date is fine: a send queued while the host was down arrives late.)
pub fn check_origin_ts(body: &EventBody, now_ms: i64, max_skew_ms: i64) -> Result<(), EventError> {
    if body.origin_ts > now_ms.saturating_add(max_skew_ms) {
        return Err(EventError::OriginTsInFuture {
            origin_ts: body.origin_ts,
            now: now_ms,
        });
    }
    Ok(())
}

/// Checks a sequenced event of a room whose host is `room_host`: sequenced by it, with a
/// `seq` in range, the origin's signature and the host's countersignature.
pub async fn verify_pdu(
    pdu: &Pdu,
    room_host: &ServerName,
    keys: &impl KeyProvider,
) -> Result<(), EventError> {
    if &pdu.host != room_host {
        return Err(EventError::WrongHost {
            expected: room_host.clone(),
            claimed: pdu.host.clone(),
        });
    }
    if !(1..=MAX_SEQ).contains(&pdu.seq) {
        return Err(EventError::Malformed {
            reason: format!("seq {} is not in 1..=2^53-1", pdu.seq),
        });
    }
    verify_origin(&pdu.event_id, &pdu.body, &pdu.signatures, keys).await?;
    if pdu.host_signatures.is_empty() {
        return Err(EventError::NotSignedByHost {
            host: pdu.host.clone(),
        });
    }
    if pdu.host_signatures.len() > MAX_SIGNATURES_PER_SERVER {
        return Err(EventError::TooManySignatures {
            server: pdu.host.clone(),
        });
    }
    let bytes = host_signed_bytes(&pdu.event_id, &pdu.host, &pdu.body.room_id, pdu.seq);
    for (key_id, signature) in &pdu.host_signatures {
        let key = keys.key_at(&pdu.host, key_id, pdu.body.origin_ts).await?;
        key.verify(&bytes, signature)
            .map_err(|_| EventError::BadHostSignature {
                host: pdu.host.clone(),
                key_id: key_id.clone(),
            })?;
    }
    Ok(())
}

/// Checks a sequenced event `relayer` sent: only the room's host sends those, then
/// [`verify_pdu`]. (Events served by backfill or a join come from the host as well.)
pub async fn verify_pdu_from(
    pdu: &Pdu,
    relayer: &ServerName,
    room_host: &ServerName,
    keys: &impl KeyProvider,
) -> Result<(), EventError> {
    if relayer != room_host {
        return Err(EventError::NotFromHost {
            relayer: relayer.clone(),
            host: room_host.clone(),
        });
    }
    verify_pdu(pdu, room_host, keys).await
}

async fn verify_origin(
    event_id: &EventId,
    body: &EventBody,
    signatures: &Signatures,
    keys: &impl KeyProvider,
) -> Result<(), EventError> {
    let computed = body.event_id();
    if &computed != event_id {
        return Err(EventError::IdMismatch {
            claimed: event_id.clone(),
            computed,
        });
    }
    let origin = body.sender.server_name();
    if let Some(other) = signatures.servers().find(|server| *server != origin) {
        return Err(EventError::UnexpectedSignature {
            server: other.clone(),
        });
    }
    let Some(own) = signatures.by(origin) else {
        return Err(EventError::NotSignedByOrigin {
            origin: origin.clone(),
        });
    };
    if own.len() > MAX_SIGNATURES_PER_SERVER {
        return Err(EventError::TooManySignatures {
            server: origin.clone(),
        });
    }
    let bytes = origin_signed_bytes(body);
    for (key_id, signature) in own {
        let key = keys.key_at(origin, key_id, body.origin_ts).await?;
        key.verify(&bytes, signature)
            .map_err(|_| EventError::BadSignature {
                server: origin.clone(),
                key_id: key_id.clone(),
            })?;
    }
    Ok(())
}
