//! `KeyId`: the id of a server signing key, `ed25519:<id>`.

use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};

use super::KeyError;

/// The only supported algorithm.
const ALGORITHM: &str = "ed25519";
/// Maximum length of the part after `ed25519:`.
const MAX_VERSION_LEN: usize = 32;
/// Length of the random part of a generated key id.
const RANDOM_VERSION_LEN: usize = 6;

/// The id of a signing key: `ed25519:` followed by 1 to 32 characters of `A-Z a-z 0-9 _`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId {
    /// The whole id, `ed25519:` included.
    full: String,
}

string_identifier!(KeyId, KeyError);

impl KeyId {
    /// Parses a key id such as `ed25519:a_Ab12`.
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        let (algorithm, version) = s.split_once(':').ok_or(KeyError::InvalidKeyId {
            reason: "expected '<algorithm>:<id>'",
        })?;
        if algorithm != ALGORITHM {
            return Err(KeyError::UnsupportedAlgorithm);
        }
        Self::ed25519(version)
    }

    /// The ed25519 key id with this version, as in `ed25519:<version>`.
    pub fn ed25519(version: &str) -> Result<Self, KeyError> {
        validate_version(version)?;
        Ok(Self {
            full: format!("{ALGORITHM}:{version}"),
        })
    }

    /// A new key id with 6 random alphanumeric characters.
    pub fn random() -> Self {
        let version = Alphanumeric.sample_string(&mut rand::rng(), RANDOM_VERSION_LEN);
        Self {
            full: format!("{ALGORITHM}:{version}"),
        }
    }

    /// The whole id, as in `ed25519:abc123`.
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The algorithm: always `ed25519`.
    pub fn algorithm(&self) -> &str {
        ALGORITHM
    }

    /// The part after the colon: `abc123` in `ed25519:abc123`.
    pub fn version(&self) -> &str {
        &self.full[ALGORITHM.len() + 1..]
    }
}

fn validate_version(version: &str) -> Result<(), KeyError> {
    if version.is_empty() {
        return Err(KeyError::InvalidKeyId {
            reason: "empty id after the algorithm",
        });
    }
    if version.len() > MAX_VERSION_LEN {
        return Err(KeyError::InvalidKeyId {
            reason: "id longer than 32 characters",
        });
    }
    if !version
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(KeyError::InvalidKeyId {
            reason: "id may contain only A-Z, a-z, 0-9 and '_'",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_ids() {
        for input in [
            "ed25519:a",
            "ed25519:a_Ab12",
            &format!("ed25519:{}", "Z".repeat(32)),
        ] {
            let id = KeyId::parse(input).unwrap();
            assert_eq!(id.as_str(), input);
            assert_eq!(id.algorithm(), "ed25519");
            assert_eq!(id.version(), &input[8..]);
        }
        assert_eq!(KeyId::ed25519("abc").unwrap().as_str(), "ed25519:abc");
    }

    #[test]
    fn rejects_invalid_ids() {
        let cases = [
            ("", "expected '<algorithm>:<id>'"),
            ("ed25519", "expected '<algorithm>:<id>'"),
            ("ed25519:", "empty id after the algorithm"),
            ("ed25519:a-b", "id may contain only A-Z, a-z, 0-9 and '_'"),
            ("ed25519:a:b", "id may contain only A-Z, a-z, 0-9 and '_'"),
            ("ed25519:é", "id may contain only A-Z, a-z, 0-9 and '_'"),
        ];
        for (input, expected) in cases {
            match KeyId::parse(input) {
                Err(KeyError::InvalidKeyId { reason }) => assert_eq!(reason, expected, "{input:?}"),
                other => panic!("{input:?}: unexpected {other:?}"),
            }
        }
        let too_long = format!("ed25519:{}", "a".repeat(33));
        assert!(matches!(
            KeyId::parse(&too_long),
            Err(KeyError::InvalidKeyId {
                reason: "id longer than 32 characters"
            })
        ));
        for input in ["curve25519:abc", "ED25519:abc", ":abc"] {
            assert!(
                matches!(KeyId::parse(input), Err(KeyError::UnsupportedAlgorithm)),
                "{input:?}"
            );
        }
    }

    #[test]
    fn random_ids_are_valid() {
        let a = KeyId::random();
        assert_eq!(a.version().len(), 6);
        assert_eq!(KeyId::parse(a.as_str()).unwrap(), a);
        assert_ne!(a, KeyId::random());
    }

    #[test]
    fn string_conversions_and_serde() {
        let id: KeyId = "ed25519:abc".parse().unwrap();
        assert_eq!(id.to_string(), "ed25519:abc");
        assert_eq!(format!("{id:?}"), r#"KeyId("ed25519:abc")"#);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, r#""ed25519:abc""#);
        assert_eq!(serde_json::from_str::<KeyId>(&json).unwrap(), id);
        let err = serde_json::from_str::<KeyId>(r#""rsa:abc""#).unwrap_err();
        assert!(
            err.to_string().contains("unsupported key algorithm"),
            "{err}"
        );
    }
}
