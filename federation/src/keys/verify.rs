//! Verifying ed25519 signatures given as unpadded base64.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use ed25519_dalek::{Signature, VerifyingKey};

use super::KeyError;

/// Checks that `signature_b64` is a valid signature of `message` by `public_key_b64`.
///
/// Both are unpadded standard base64. Verification is strict: weak keys and malleable
/// (non-canonical) signatures are rejected.
pub fn verify(public_key_b64: &str, message: &[u8], signature_b64: &str) -> Result<(), KeyError> {
    verify_with_key(&decode_public_key(public_key_b64)?, message, signature_b64)
}

/// Like [`verify`], with a public key that was already decoded (for example from a key cache).
pub fn verify_with_key(
    key: &VerifyingKey,
    message: &[u8],
    signature_b64: &str,
) -> Result<(), KeyError> {
    let bytes =
        STANDARD_NO_PAD
            .decode(signature_b64)
            .map_err(|_| KeyError::SignatureMalformed {
                reason: "not unpadded base64",
            })?;
    let bytes: [u8; 64] = bytes.try_into().map_err(|_| KeyError::SignatureMalformed {
        reason: "not 64 bytes",
    })?;
    key.verify_strict(message, &Signature::from_bytes(&bytes))
        .map_err(|_| KeyError::SignatureInvalid)
}

/// Decodes a published ed25519 public key (unpadded standard base64 of 32 bytes).
pub fn decode_public_key(public_key_b64: &str) -> Result<VerifyingKey, KeyError> {
    let bytes = STANDARD_NO_PAD
        .decode(public_key_b64)
        .map_err(|_| KeyError::PublicKeyInvalid {
            reason: "not unpadded base64",
        })?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| KeyError::PublicKeyInvalid {
        reason: "not 32 bytes",
    })?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::PublicKeyInvalid {
        reason: "not a point on the curve",
    })?;
    if key.is_weak() {
        return Err(KeyError::PublicKeyInvalid {
            reason: "weak (small-order) key",
        });
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::ServerSigningKey;

    fn signed(message: &[u8]) -> (ServerSigningKey, String) {
        let key = ServerSigningKey::generate();
        let signature = key.sign(message);
        (key, signature)
    }

    #[test]
    fn valid_signature_verifies() {
        let (key, signature) = signed(b"message");
        verify(&key.public_key_base64(), b"message", &signature).unwrap();
        verify_with_key(&key.verifying_key(), b"message", &signature).unwrap();
        assert_eq!(
            decode_public_key(&key.public_key_base64()).unwrap(),
            key.verifying_key()
        );
    }

    #[test]
    fn tampered_message_fails() {
        let (key, signature) = signed(b"message");
        let result = verify(&key.public_key_base64(), b"messagE", &signature);
        assert!(
            matches!(result, Err(KeyError::SignatureInvalid)),
            "{result:?}"
        );
        let result = verify(&key.public_key_base64(), b"", &signature);
        assert!(
            matches!(result, Err(KeyError::SignatureInvalid)),
            "{result:?}"
        );
    }

    #[test]
    fn tampered_signature_fails() {
        let (key, signature) = signed(b"message");
        let mut bytes = STANDARD_NO_PAD.decode(&signature).unwrap();
        bytes[10] ^= 1;
        let tampered = STANDARD_NO_PAD.encode(&bytes);
        let result = verify(&key.public_key_base64(), b"message", &tampered);
        assert!(
            matches!(result, Err(KeyError::SignatureInvalid)),
            "{result:?}"
        );
    }

    #[test]
    fn malleated_signature_fails() {
        // The group order ℓ, little-endian. `s + ℓ` verifies under lax rules but is not canonical.
        const ELL: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let (key, signature) = signed(b"message");
        let mut bytes = STANDARD_NO_PAD.decode(&signature).unwrap();
        let mut carry = 0u16;
        for (byte, ell) in bytes[32..].iter_mut().zip(ELL) {
            let sum = u16::from(*byte) + u16::from(ell) + carry;
            *byte = sum.to_le_bytes()[0];
            carry = sum >> 8;
        }
        let malleated = STANDARD_NO_PAD.encode(&bytes);
        let result = verify(&key.public_key_base64(), b"message", &malleated);
        assert!(
            matches!(result, Err(KeyError::SignatureInvalid)),
            "{result:?}"
        );
    }

    #[test]
    fn malformed_signature_is_rejected() {
        let (key, signature) = signed(b"message");
        let public = key.public_key_base64();
        let cases = [
            (format!("{signature}=="), "not unpadded base64"),
            (format!("*{}", &signature[1..]), "not unpadded base64"),
            (signature[..84].to_owned(), "not 64 bytes"),
            (String::new(), "not 64 bytes"),
        ];
        for (input, expected) in cases {
            match verify(&public, b"message", &input) {
                Err(KeyError::SignatureMalformed { reason }) => assert_eq!(reason, expected),
                other => panic!("{input:?}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn malformed_public_key_is_rejected() {
        let (key, signature) = signed(b"message");
        let public = key.public_key_base64();
        let small_order_point = STANDARD_NO_PAD.encode([0u8; 32]);
        let mut identity = [0u8; 32];
        identity[0] = 1;
        // y = 2 is not the y-coordinate of any point: (y² - 1) / (d·y² + 1) has no square root.
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        let cases = [
            (format!("{public}="), "not unpadded base64"),
            (public[..40].to_owned(), "not 32 bytes"),
            (
                STANDARD_NO_PAD.encode(off_curve),
                "not a point on the curve",
            ),
            (small_order_point, "weak (small-order) key"),
            (STANDARD_NO_PAD.encode(identity), "weak (small-order) key"),
        ];
        for (input, expected) in cases {
            match verify(&input, b"message", &signature) {
                Err(KeyError::PublicKeyInvalid { reason }) => assert_eq!(reason, expected),
                other => panic!("{input:?}: unexpected {other:?}"),
            }
        }
    }
}
