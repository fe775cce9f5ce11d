//! `RoomId`: a room, `!opaque:server_name`, named after the server that created it.

use rand::distr::{Alphanumeric, SampleString};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{IdError, Parts, ServerName};

/// Maximum length of the opaque part.
const MAX_OPAQUE_LEN: usize = 64;
/// Length of the opaque part of a freshly generated room id.
const RANDOM_OPAQUE_LEN: usize = 18;

/// A room: `!Xk3f9aQm2LpZr8TbWc:example.org`.
///
/// The opaque part is 1 to 64 ASCII letters and digits (case-sensitive); the server name, which is
/// normalised to lowercase, is the server that created the room. The length is bounded by its two
/// parts, not by an overall limit, so that every valid server name can create rooms.
///
/// Cheap to clone (one shared allocation): ids are copied into every event, fan-out list and
/// map key. Compared, ordered and hashed by the whole id.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoomId(Arc<Parts>);

string_identifier!(RoomId, IdError);
shared_identifier!(RoomId);

impl RoomId {
    /// Parses a room id such as `!abc123:example.org`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        let rest = s
            .strip_prefix('!')
            .ok_or(IdError::MissingSigil { expected: '!' })?;
        let (opaque, server) = rest
            .split_once(':')
            .filter(|(_, server)| !server.is_empty())
            .ok_or(IdError::MissingServerName)?;
        validate_opaque(opaque)?;
        let server = ServerName::parse(server)?;
        Ok(Self(Arc::new(Parts {
            full: format!("!{opaque}:{server}"),
            server,
        })))
    }

    /// A new room id on `server` with 18 random alphanumeric characters (about 107 bits).
    pub fn new_random(server: &ServerName) -> Self {
        let opaque = Alphanumeric.sample_string(&mut rand::rng(), RANDOM_OPAQUE_LEN);
        Self(Arc::new(Parts {
            full: format!("!{opaque}:{server}"),
            server: server.clone(),
        }))
    }

    /// The whole id, as in `!abc123:example.org`.
    pub fn as_str(&self) -> &str {
        &self.0.full
    }

    /// The opaque part: `abc123` in `!abc123:example.org`.
    pub fn opaque_id(&self) -> &str {
        &self.0.full[1..self.0.full.len() - self.0.server.as_str().len() - 1]
    }

    /// The server that created the room.
    pub fn server_name(&self) -> &ServerName {
        &self.0.server
    }
}

fn validate_opaque(opaque: &str) -> Result<(), IdError> {
    if opaque.is_empty() {
        return Err(IdError::InvalidOpaqueId {
            reason: "empty opaque part",
        });
    }
    if opaque.len() > MAX_OPAQUE_LEN {
        return Err(IdError::InvalidOpaqueId {
            reason: "opaque part longer than 64 characters",
        });
    }
    if !opaque.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(IdError::InvalidOpaqueId {
            reason: "opaque part may contain only A-Z, a-z and 0-9",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAD_CHARS: IdError = IdError::InvalidOpaqueId {
        reason: "opaque part may contain only A-Z, a-z and 0-9",
    };

    #[test]
    fn parses_valid_ids() {
        let id = RoomId::parse("!AbC123:example.org").unwrap();
        assert_eq!(id.as_str(), "!AbC123:example.org");
        assert_eq!(id.opaque_id(), "AbC123");
        assert_eq!(id.server_name().as_str(), "example.org");

        let id = RoomId::parse("!x:127.0.0.1:8448").unwrap();
        assert_eq!(id.opaque_id(), "x");
        assert_eq!(id.server_name().port(), Some(8448));

        let longest = format!("!{}:[::1]", "Z".repeat(64));
        assert_eq!(RoomId::parse(&longest).unwrap().opaque_id(), "Z".repeat(64));
    }

    #[test]
    fn keeps_opaque_case_and_lowercases_server() {
        let id = RoomId::parse("!AbC:EXAMPLE.org").unwrap();
        assert_eq!(id.as_str(), "!AbC:example.org");
        assert_ne!(id, RoomId::parse("!abc:example.org").unwrap());
    }

    #[test]
    fn rejects_invalid_ids() {
        let cases = [
            ("", IdError::Empty),
            ("abc:example.org", IdError::MissingSigil { expected: '!' }),
            ("@abc:example.org", IdError::MissingSigil { expected: '!' }),
            ("!abc", IdError::MissingServerName),
            ("!abc:", IdError::MissingServerName),
            (
                "!:example.org",
                IdError::InvalidOpaqueId {
                    reason: "empty opaque part",
                },
            ),
            ("!ab_c:example.org", BAD_CHARS),
            ("!ab-c:example.org", BAD_CHARS),
            ("!abé:example.org", BAD_CHARS),
            (
                "!abc:exa mple.org",
                IdError::InvalidServerName {
                    reason: "hostname may contain only letters, digits, '-' and '.'",
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(RoomId::parse(input), Err(expected), "{input:?}");
        }
        assert_eq!(
            RoomId::parse(&format!("!{}:example.org", "a".repeat(65))),
            Err(IdError::InvalidOpaqueId {
                reason: "opaque part longer than 64 characters"
            })
        );
    }

    #[test]
    fn new_random_is_valid_and_unique() {
        let server = ServerName::parse("localhost:8008").unwrap();
        let a = RoomId::new_random(&server);
        let b = RoomId::new_random(&server);
        assert_ne!(a, b);
        assert_eq!(a.opaque_id().len(), 18);
        assert!(a.opaque_id().bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(a.server_name(), &server);
        assert_eq!(RoomId::parse(a.as_str()).unwrap(), a);
    }

    #[test]
    fn string_conversions() {
        let id: RoomId = "!abc:example.org".parse().unwrap();
        assert_eq!(id.to_string(), "!abc:example.org");
        assert_eq!(format!("{id:?}"), r#"RoomId("!abc:example.org")"#);
        assert_eq!(AsRef::<str>::as_ref(&id), "!abc:example.org");
        assert_eq!(String::from(id), "!abc:example.org");
    }

    #[test]
    fn serde_round_trip_and_rejection() {
        let id = RoomId::parse("!abc:example.org").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, r#""!abc:example.org""#);
        assert_eq!(serde_json::from_str::<RoomId>(&json).unwrap(), id);

        let err = serde_json::from_str::<RoomId>(r#""!a-b:example.org""#).unwrap_err();
        assert!(err.to_string().contains("invalid room id"), "{err}");
        assert!(serde_json::from_str::<RoomId>(r#""abc:example.org""#).is_err());
    }
}
