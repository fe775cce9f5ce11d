//! Canonical JSON (RFC 8785, through `serde_jcs`): one byte sequence per value, whatever the
//! order of object keys or the spelling of numbers, so that signatures and hashes agree
//! between servers.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The canonical JSON of `value`.
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    serde_jcs::to_vec(value)
}

/// The SHA-256 of the canonical JSON of `value`, written straight into the hash.
pub fn canonical_sha256<T: Serialize + ?Sized>(value: &T) -> Result<[u8; 32], serde_json::Error> {
    let mut hashing = Hashing(Sha256::new());
    serde_jcs::to_writer(&mut hashing, value)?;
    Ok(hashing.0.finalize().into())
}

/// Feeds whatever is written to it into the hash.
struct Hashing(Sha256);

impl std::io::Write for Hashing {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_and_whitespace_dropped() {
        let value = json!({ "b": [1, 2.5, "x"], "a": { "d": null, "c": true }, "é": "\u{1F600}" });
        assert_eq!(
            String::from_utf8(canonical_json(&value).unwrap()).unwrap(),
            r#"{"a":{"c":true,"d":null},"b":[1,2.5,"x"],"é":"😀"}"#
        );
    }

    #[test]
    fn the_hash_is_the_hash_of_the_canonical_bytes() {
        let value = json!({ "z": 1, "a": "text" });
        let bytes = canonical_json(&value).unwrap();
        let expected: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(canonical_sha256(&value).unwrap(), expected);
    }

    #[test]
    fn numbers_are_written_as_ecmascript_does() {
        // RFC 8785 section 3.2.2.3: numbers as ECMAScript's Number.prototype.toString.
        let value = json!([1.0, 1e21, 0.000001, -0.0, 123456789012345u64]);
        assert_eq!(
            String::from_utf8(canonical_json(&value).unwrap()).unwrap(),
            "[1,1e+21,0.000001,0,123456789012345]"
        );
    }
}
