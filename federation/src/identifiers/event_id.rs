//! `EventId`: an event, named by the digest of its canonical form.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::IdError;

/// Length of the unpadded base64url encoding of a 32-byte digest.
const ENCODED_DIGEST_LEN: usize = 43;

/// An event: `$` followed by the unpadded base64url encoding of the SHA-256 digest of the canonical
/// event without its signatures, so the same event always has the same id.
///
/// Only the canonical encoding is accepted (43 characters, no padding, zero trailing bits), so two
/// different strings never name the same digest.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventId {
    /// The whole id, `$` included.
    full: String,
    /// The decoded digest, kept so that `digest()` is free.
    digest: [u8; 32],
}

string_identifier!(EventId, IdError);

impl EventId {
    /// Parses an event id such as `$7cOh2dBoHdSNjNe4jvMEA5XlyICuA3BJKvoBL7kSC3M`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        let encoded = s
            .strip_prefix('$')
            .ok_or(IdError::MissingSigil { expected: '$' })?;
        let digest = decode_digest(encoded)?;
        Ok(Self {
            full: s.to_owned(),
            digest,
        })
    }

    /// The id of the event whose canonical form has this SHA-256 digest.
    pub fn from_digest(digest: &[u8; 32]) -> Self {
        Self {
            full: format!("${}", URL_SAFE_NO_PAD.encode(digest)),
            digest: *digest,
        }
    }

    /// The whole id, `$` included.
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The digest this id encodes.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }
}

fn decode_digest(encoded: &str) -> Result<[u8; 32], IdError> {
    if encoded.len() != ENCODED_DIGEST_LEN {
        return Err(IdError::InvalidEventId {
            reason: "expected 43 base64url characters after '$'",
        });
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| IdError::InvalidEventId {
            reason: "not canonical unpadded base64url",
        })?;
    bytes.try_into().map_err(|_| IdError::InvalidEventId {
        reason: "digest is not 32 bytes",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "$7cOh2dBoHdSNjNe4jvMEA5XlyICuA3BJKvoBL7kSC3M";

    #[test]
    fn from_digest_round_trips() {
        let digest: [u8; 32] = std::array::from_fn(|i| (i * 7 + 250) as u8);
        let id = EventId::from_digest(&digest);
        assert_eq!(id.as_str().len(), 44);
        assert!(id.as_str().starts_with('$'));
        assert!(!id.as_str().contains(['+', '/', '=']));
        assert_eq!(id.digest(), &digest);
        assert_eq!(EventId::parse(id.as_str()).unwrap(), id);
    }

    #[test]
    fn known_encoding() {
        assert_eq!(
            EventId::from_digest(&[0; 32]).as_str(),
            "$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        );
        assert_eq!(
            EventId::from_digest(&[0xff; 32]).as_str(),
            "$__________________________________________8"
        );
    }

    #[test]
    fn parses_valid_id() {
        let id = EventId::parse(VALID).unwrap();
        assert_eq!(id.as_str(), VALID);
        assert_eq!(EventId::from_digest(id.digest()), id);
    }

    #[test]
    fn rejects_invalid_ids() {
        let wrong_len = IdError::InvalidEventId {
            reason: "expected 43 base64url characters after '$'",
        };
        let not_b64 = IdError::InvalidEventId {
            reason: "not canonical unpadded base64url",
        };
        let cases = [
            (String::new(), IdError::Empty),
            (
                VALID[1..].to_owned(),
                IdError::MissingSigil { expected: '$' },
            ),
            ("$".to_owned(), wrong_len.clone()),
            (VALID[..43].to_owned(), wrong_len.clone()),
            (format!("{VALID}A"), wrong_len.clone()),
            (format!("{VALID}="), wrong_len),
            // Standard-alphabet characters are not base64url.
            (VALID.replace('h', "+"), not_b64.clone()),
            (VALID.replace('h', "/"), not_b64.clone()),
            (VALID.replace('h', "!"), not_b64.clone()),
            // Non-zero trailing bits: decodes to the same digest as "...AAA", so not canonical.
            (format!("${}B", "A".repeat(42)), not_b64),
        ];
        for (input, expected) in cases {
            assert_eq!(EventId::parse(&input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn string_conversions() {
        let id: EventId = VALID.parse().unwrap();
        assert_eq!(id.to_string(), VALID);
        assert_eq!(format!("{id:?}"), format!("EventId({VALID:?})"));
        assert_eq!(AsRef::<str>::as_ref(&id), VALID);
        assert_eq!(String::from(id), VALID);
    }

    #[test]
    fn serde_round_trip_and_rejection() {
        let id = EventId::parse(VALID).unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{VALID}\""));
        assert_eq!(serde_json::from_str::<EventId>(&json).unwrap(), id);

        let err = serde_json::from_str::<EventId>(r#""$abc""#).unwrap_err();
        assert!(err.to_string().contains("invalid event id"), "{err}");
        assert!(serde_json::from_str::<EventId>("42").is_err());
    }
}
