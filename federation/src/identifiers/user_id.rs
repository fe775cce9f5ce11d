//! `UserId`: a user, `@localpart:server_name`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{IdError, MAX_ID_LEN, Parts, ServerName};

/// Maximum length of a localpart, in characters (all ASCII, so also bytes).
const MAX_LOCALPART_LEN: usize = 64;

/// A user: `@alice:example.org`.
///
/// The localpart is 1 to 64 characters of `a-z 0-9 . _ -`; the whole id is at most 255 bytes.
/// The server name is normalised to lowercase.
///
/// Cheap to clone (one shared allocation): ids are copied into every event, fan-out list and
/// map key. Compared, ordered and hashed by the whole id.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(Arc<Parts>);

string_identifier!(UserId, IdError);
shared_identifier!(UserId);

impl UserId {
    /// Parses a user id such as `@alice:example.org`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        let rest = s
            .strip_prefix('@')
            .ok_or(IdError::MissingSigil { expected: '@' })?;
        if s.len() > MAX_ID_LEN {
            return Err(IdError::TooLong { max: MAX_ID_LEN });
        }
        let (localpart, server) = rest
            .split_once(':')
            .filter(|(_, server)| !server.is_empty())
            .ok_or(IdError::MissingServerName)?;
        validate_localpart(localpart)?;
        Ok(Self::from_parts(localpart, ServerName::parse(server)?))
    }

    /// Builds the id of user `localpart` on `server`.
    pub fn new(localpart: &str, server: &ServerName) -> Result<Self, IdError> {
        validate_localpart(localpart)?;
        let id = Self::from_parts(localpart, server.clone());
        if id.0.full.len() > MAX_ID_LEN {
            return Err(IdError::TooLong { max: MAX_ID_LEN });
        }
        Ok(id)
    }

    /// The whole id, as in `@alice:example.org`.
    pub fn as_str(&self) -> &str {
        &self.0.full
    }

    /// The localpart: `alice` in `@alice:example.org`.
    pub fn localpart(&self) -> &str {
        &self.0.full[1..self.0.full.len() - self.0.server.as_str().len() - 1]
    }

    /// The user's homeserver: `example.org` in `@alice:example.org`.
    pub fn server_name(&self) -> &ServerName {
        &self.0.server
    }

    fn from_parts(localpart: &str, server: ServerName) -> Self {
        Self(Arc::new(Parts {
            full: format!("@{localpart}:{server}"),
            server,
        }))
    }
}

/// Checks that `localpart` may be the localpart of a user id: 1 to 64 characters of
/// `a-z 0-9 . _ -`. Uppercase is rejected, not folded, so that a user picks one spelling.
pub fn validate_localpart(localpart: &str) -> Result<(), IdError> {
    if localpart.is_empty() {
        return Err(IdError::InvalidLocalpart { reason: "empty" });
    }
    if localpart.len() > MAX_LOCALPART_LEN {
        return Err(IdError::InvalidLocalpart {
            reason: "longer than 64 characters",
        });
    }
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b);
    if !localpart.bytes().all(allowed) {
        return Err(IdError::InvalidLocalpart {
            reason: "only a-z, 0-9, '.', '_' and '-' are allowed",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAD_CHARS: IdError = IdError::InvalidLocalpart {
        reason: "only a-z, 0-9, '.', '_' and '-' are allowed",
    };

    #[test]
    fn parses_valid_ids() {
        let id = UserId::parse("@alice:example.org").unwrap();
        assert_eq!(id.as_str(), "@alice:example.org");
        assert_eq!(id.localpart(), "alice");
        assert_eq!(id.server_name().as_str(), "example.org");

        let id = UserId::parse("@a.b_c-9:[::1]:8448").unwrap();
        assert_eq!(id.localpart(), "a.b_c-9");
        assert_eq!(id.server_name().host(), "[::1]");
        assert_eq!(id.server_name().port(), Some(8448));

        let id = UserId::parse("@bob:127.0.0.1:8008").unwrap();
        assert_eq!(id.localpart(), "bob");
        assert_eq!(id.server_name().as_str(), "127.0.0.1:8008");
    }

    #[test]
    #[expect(
        clippy::disallowed_types,
        reason = "the homeserver keys hash maps by user id"
    )]
    fn ids_compare_and_hash_by_their_text() {
        let alice = UserId::parse("@alice:example.org").unwrap();
        let same = UserId::parse("@alice:EXAMPLE.org").unwrap();
        let bob = UserId::parse("@bob:example.org").unwrap();
        let set: std::collections::HashSet<UserId> =
            [alice.clone(), same, bob.clone()].into_iter().collect();
        assert_eq!(set.len(), 2);
        assert!(set.contains(&alice));
        assert!(alice < bob);
        assert_eq!(alice.clone(), alice);
    }

    #[test]
    fn normalises_server_name_to_lowercase() {
        let id = UserId::parse("@alice:Example.ORG").unwrap();
        assert_eq!(id.as_str(), "@alice:example.org");
        assert_eq!(id, UserId::parse("@alice:example.org").unwrap());
    }

    #[test]
    fn rejects_invalid_ids() {
        let cases = [
            ("", IdError::Empty),
            ("alice:example.org", IdError::MissingSigil { expected: '@' }),
            (
                "!alice:example.org",
                IdError::MissingSigil { expected: '@' },
            ),
            ("@alice", IdError::MissingServerName),
            (
                "@:example.org",
                IdError::InvalidLocalpart { reason: "empty" },
            ),
            ("@Alice:example.org", BAD_CHARS),
            ("@al ice:example.org", BAD_CHARS),
            ("@al/ice:example.org", BAD_CHARS),
            ("@alicé:example.org", BAD_CHARS),
            ("@alice:", IdError::MissingServerName),
            (
                "@alice:exa_mple.org",
                IdError::InvalidServerName {
                    reason: "hostname may contain only letters, digits, '-' and '.'",
                },
            ),
            ("@alice:example.org:0", IdError::InvalidPort),
        ];
        for (input, expected) in cases {
            assert_eq!(UserId::parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn enforces_length_limits() {
        let longest_localpart = "a".repeat(64);
        assert!(UserId::parse(&format!("@{longest_localpart}:example.org")).is_ok());
        assert_eq!(
            UserId::parse(&format!("@{}:example.org", "a".repeat(65))),
            Err(IdError::InvalidLocalpart {
                reason: "longer than 64 characters"
            })
        );

        let server = ["a".repeat(63), "b".repeat(63), "c".repeat(61)].join(".");
        let at_limit = format!("@{}:{server}", "x".repeat(64));
        assert_eq!(at_limit.len(), 255);
        assert!(UserId::parse(&at_limit).is_ok());
        let over = format!("{at_limit}c");
        assert_eq!(UserId::parse(&over), Err(IdError::TooLong { max: 255 }));
        let server = ServerName::parse(&format!("{server}c")).unwrap();
        assert_eq!(
            UserId::new(&"x".repeat(64), &server),
            Err(IdError::TooLong { max: 255 })
        );
    }

    #[test]
    fn new_validates_localpart() {
        let server = ServerName::parse("localhost:8008").unwrap();
        let id = UserId::new("alice", &server).unwrap();
        assert_eq!(id.as_str(), "@alice:localhost:8008");
        assert_eq!(id.server_name(), &server);
        assert_eq!(UserId::new("Alice", &server), Err(BAD_CHARS));
        assert_eq!(
            UserId::new("", &server),
            Err(IdError::InvalidLocalpart { reason: "empty" })
        );
        assert_eq!(UserId::new("a:b", &server), Err(BAD_CHARS));
    }

    #[test]
    fn validate_localpart_alone() {
        assert_eq!(validate_localpart("alice.smith_2-x"), Ok(()));
        assert_eq!(validate_localpart("ALICE"), Err(BAD_CHARS));
    }

    #[test]
    fn string_conversions() {
        let id: UserId = "@alice:example.org".parse().unwrap();
        assert_eq!(id.to_string(), "@alice:example.org");
        assert_eq!(format!("{id:?}"), r#"UserId("@alice:example.org")"#);
        assert_eq!(AsRef::<str>::as_ref(&id), "@alice:example.org");
        assert_eq!(String::from(id.clone()), "@alice:example.org");
    }

    #[test]
    fn serde_round_trip_and_rejection() {
        let id = UserId::parse("@alice:example.org").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, r#""@alice:example.org""#);
        assert_eq!(serde_json::from_str::<UserId>(&json).unwrap(), id);

        let err = serde_json::from_str::<UserId>(r#""@Alice:example.org""#).unwrap_err();
        assert!(err.to_string().contains("invalid user localpart"), "{err}");
        assert!(serde_json::from_str::<UserId>(r#""alice""#).is_err());
        assert!(serde_json::from_str::<UserId>("null").is_err());
    }

    #[test]
    fn orders_by_text() {
        let mut ids = ["@b:x.org", "@a:y.org", "@a:x.org"].map(|s| UserId::parse(s).unwrap());
        ids.sort();
        let sorted: Vec<&str> = ids.iter().map(UserId::as_str).collect();
        assert_eq!(sorted, ["@a:x.org", "@a:y.org", "@b:x.org"]);
    }
}
