//! [`RequestVerifier`]: the receiving side of a signed request, and why one is refused.

use thiserror::Error;

use super::{RequestAuth, ServerAcl, signed_request_bytes};
use crate::ServerName;
use crate::error::{ErrorCode, ProtocolError};
use crate::keys::{KeyId, KeyLookupError, KeyProvider};

/// Limits of incoming requests; both have defaults.
#[derive(Clone, Debug)]
pub struct RequestLimits {
    /// Largest body accepted, in bytes (checked before the body is hashed).
    pub max_body_bytes: usize,
    /// How far the origin's `ts` may be from our clock, either way, in ms.
    pub max_skew_ms: i64,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 4 * 1024 * 1024,
            max_skew_ms: 5 * 60_000,
        }
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RequestError {
    /// No `Authorization` header.
    #[error("the request is not signed (no Authorization header)")]
    MissingAuthorization,
    /// The header is not a well-formed request signature.
    #[error("malformed Authorization header: {reason}")]
    MalformedAuthorization { reason: &'static str },
    /// The method or request target cannot be what was signed.
    #[error("malformed request: {reason}")]
    MalformedRequest { reason: &'static str },
    /// The body is over the limit.
    #[error("the body is {size} bytes; at most {max} are accepted")]
    BodyTooLarge { size: usize, max: usize },
    /// Signed for another server.
    #[error("the request was signed for {destination}, not for this server")]
    WrongDestination { destination: ServerName },
    /// The origin is on the deny list (or not on the allow list).
    #[error("this server does not federate with {origin}")]
    DeniedServer { origin: ServerName },
    /// `ts` is older than the clock skew allows.
    #[error("the request's timestamp {ts} is too old (now {now})")]
    StaleTimestamp { ts: i64, now: i64 },
    /// `ts` is further ahead than the clock skew allows.
    #[error("the request's timestamp {ts} is in the future (now {now})")]
    FutureTimestamp { ts: i64, now: i64 },
    /// The origin's key could not be had.
    #[error(transparent)]
    Key(#[from] KeyLookupError),
    /// The signature does not verify.
    #[error("the request's signature by {origin} with {key_id} does not verify")]
    BadSignature { origin: ServerName, key_id: KeyId },
}

impl ProtocolError for RequestError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::MissingAuthorization => ErrorCode::MissingAuthorization,
            Self::MalformedAuthorization { .. } => ErrorCode::MalformedAuthorization,
            Self::MalformedRequest { .. } => ErrorCode::MalformedRequest,
            Self::BodyTooLarge { .. } => ErrorCode::BodyTooLarge,
            Self::WrongDestination { .. } => ErrorCode::WrongDestination,
            Self::DeniedServer { .. } => ErrorCode::DeniedServer,
            Self::StaleTimestamp { .. } => ErrorCode::StaleTimestamp,
            Self::FutureTimestamp { .. } => ErrorCode::FutureTimestamp,
            Self::Key(error) => error.code(),
            Self::BadSignature { .. } => ErrorCode::BadSignature,
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::Key(error) => error.public_message(),
            other => other.to_string(),
        }
    }
}

/// Who a verified request came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedRequest {
    /// The authenticated origin: the only name to trust for who sent it.
    pub origin: ServerName,
    pub key_id: KeyId,
    pub ts: i64,
}

/// Checks signed requests addressed to `server_name`.
#[derive(Clone, Debug)]
pub struct RequestVerifier {
    pub server_name: ServerName,
    pub limits: RequestLimits,
    pub acl: ServerAcl,
}

impl RequestVerifier {
    pub fn new(server_name: ServerName, limits: RequestLimits, acl: ServerAcl) -> Self {
        Self {
            server_name,
            limits,
            acl,
        }
    }

    /// Verifies a request: its `Authorization` header (if any), method, request target as
    /// received (path and query), body, at `now_ms`. See the module's documentation for the
    /// order of the checks.
    pub async fn verify(
        &self,
        authorization: Option<&str>,
        method: &str,
        uri: &str,
        body: &[u8],
        now_ms: i64,
        keys: &impl KeyProvider,
    ) -> Result<VerifiedRequest, RequestError> {
        let auth = RequestAuth::parse(authorization.ok_or(RequestError::MissingAuthorization)?)?;
        if body.len() > self.limits.max_body_bytes {
            return Err(RequestError::BodyTooLarge {
                size: body.len(),
                max: self.limits.max_body_bytes,
            });
        }
        check_target(method, uri)?;
        if auth.destination != self.server_name {
            return Err(RequestError::WrongDestination {
                destination: auth.destination,
            });
        }
        if !self.acl.is_allowed(&auth.origin) {
            return Err(RequestError::DeniedServer {
                origin: auth.origin,
            });
        }
        if auth.ts < now_ms.saturating_sub(self.limits.max_skew_ms) {
            return Err(RequestError::StaleTimestamp {
                ts: auth.ts,
                now: now_ms,
            });
        }
        if auth.ts > now_ms.saturating_add(self.limits.max_skew_ms) {
            return Err(RequestError::FutureTimestamp {
                ts: auth.ts,
                now: now_ms,
            });
        }
        let key = keys.key_at(&auth.origin, &auth.key_id, auth.ts).await?;
        let bytes =
            signed_request_bytes(&auth.origin, &self.server_name, method, uri, auth.ts, body);
        key.verify(&bytes, &auth.signature)
            .map_err(|_| RequestError::BadSignature {
                origin: auth.origin.clone(),
                key_id: auth.key_id.clone(),
            })?;
        Ok(VerifiedRequest {
            origin: auth.origin,
            key_id: auth.key_id,
            ts: auth.ts,
        })
    }
}

/// The method is an upper-case token; the target a path (with its query), nothing else.
fn check_target(method: &str, uri: &str) -> Result<(), RequestError> {
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(RequestError::MalformedRequest {
            reason: "the method must be an upper-case token",
        });
    }
    if !uri.starts_with('/') || uri.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'#') {
        return Err(RequestError::MalformedRequest {
            reason: "the request target must be a path with an optional query",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::ServerSigningKey;
    use crate::keys::{ServerKeys, StaticKeys};
    use crate::request::{ServerPattern, sign_request};

    const NOW: i64 = 1_700_000_000_000;
    const URI: &str = "/_convo/federation/v1/send/t1?x=%5B1%5D";
    const BODY: &[u8] = br#"{"pdus":[]}"#;

    fn name(s: &str) -> ServerName {
        ServerName::parse(s).unwrap()
    }

    fn key() -> ServerSigningKey {
        ServerSigningKey::from_seed(KeyId::ed25519("a").unwrap(), &[1; 32])
    }

    fn keys() -> StaticKeys {
        let mut keys = StaticKeys::new();
        let doc = ServerKeys::new_signed(
            name("hs1.example"),
            &[&key()],
            BTreeMap::new(),
            NOW + 86_400_000,
        );
        keys.insert_document(&doc).unwrap();
        keys
    }

    fn verifier() -> RequestVerifier {
        RequestVerifier::new(
            name("hs2.example"),
            RequestLimits::default(),
            ServerAcl {
                allow: None,
                deny: vec![ServerPattern::parse("evil.example").unwrap()],
            },
        )
    }

    fn header() -> String {
        sign_request(
            &key(),
            &name("hs1.example"),
            &name("hs2.example"),
            "PUT",
            URI,
            BODY,
            NOW,
        )
        .to_header()
    }

    async fn check(
        header: &str,
        method: &str,
        uri: &str,
        body: &[u8],
        now: i64,
    ) -> Result<VerifiedRequest, RequestError> {
        verifier()
            .verify(Some(header), method, uri, body, now, &keys())
            .await
    }

    #[tokio::test]
    async fn a_signed_request_verifies() {
        let verified = check(&header(), "PUT", URI, BODY, NOW).await.unwrap();
        assert_eq!(verified.origin, name("hs1.example"));
        assert_eq!(verified.key_id.as_str(), "ed25519:a");
        assert_eq!(verified.ts, NOW);
        // Within the skew either way.
        check(&header(), "PUT", URI, BODY, NOW + 300_000)
            .await
            .unwrap();
        check(&header(), "PUT", URI, BODY, NOW - 300_000)
            .await
            .unwrap();
    }

    #[test]
    fn the_header_and_the_signed_bytes_are_fixed() {
        // The body hash was computed apart from this code (Python's hashlib).
        let auth = sign_request(
            &key(),
            &name("hs1.example"),
            &name("hs2.example"),
            "PUT",
            URI,
            BODY,
            NOW,
        );
        assert_eq!(
            auth.to_header(),
            format!(
                r#"Convo-Ed25519 origin="hs1.example",destination="hs2.example",key="ed25519:a",ts="1700000000000",sig="{}""#,
                auth.signature
            )
        );
        let bytes = signed_request_bytes(
            &name("hs1.example"),
            &name("hs2.example"),
            "PUT",
            URI,
            NOW,
            BODY,
        );
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            r#"{"body_sha256":"1h9Sdo1692mOKkWgFJGqv_2g4IGILxcf2_RKMCnjuwc","destination":"hs2.example","method":"PUT","origin":"hs1.example","ts":1700000000000,"uri":"/_convo/federation/v1/send/t1?x=%5B1%5D"}"#
        );
        assert_eq!(auth.signature, key().sign(&bytes));
        assert_eq!(RequestAuth::parse(&auth.to_header()).unwrap(), auth);
    }

    #[tokio::test]
    async fn every_part_of_the_request_is_covered() {
        let h = header();
        for (method, uri, body) in [
            ("POST", URI, BODY),
            ("PUT", "/_convo/federation/v1/send/t2?x=%5B1%5D", BODY),
            ("PUT", "/_convo/federation/v1/send/t1", BODY),
            ("PUT", URI, br#"{"pdus":[1]}"#.as_slice()),
            ("PUT", URI, b"".as_slice()),
        ] {
            let err = check(&h, method, uri, body, NOW).await.unwrap_err();
            assert!(
                matches!(err, RequestError::BadSignature { .. }),
                "{method} {uri}: {err:?}"
            );
            assert_eq!(err.code(), ErrorCode::BadSignature);
        }
    }

    #[tokio::test]
    async fn every_rejection_has_its_code() {
        let v = verifier();
        let err = v
            .verify(None, "PUT", URI, BODY, NOW, &keys())
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::MissingAuthorization);

        let err = check(&header(), "PUT", URI, BODY, NOW + 300_001)
            .await
            .unwrap_err();
        assert!(
            matches!(err, RequestError::StaleTimestamp { .. }),
            "{err:?}"
        );
        assert_eq!(err.code(), ErrorCode::StaleTimestamp);
        let err = check(&header(), "PUT", URI, BODY, NOW - 300_001)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::FutureTimestamp);

        let big = vec![b' '; 4 * 1024 * 1024 + 1];
        let err = check(&header(), "PUT", URI, &big, NOW).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::BodyTooLarge);

        let elsewhere = sign_request(
            &key(),
            &name("hs1.example"),
            &name("hs3.example"),
            "PUT",
            URI,
            BODY,
            NOW,
        );
        let err = check(&elsewhere.to_header(), "PUT", URI, BODY, NOW)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::WrongDestination);

        let denied = sign_request(
            &key(),
            &name("evil.example:8448"),
            &name("hs2.example"),
            "PUT",
            URI,
            BODY,
            NOW,
        );
        let err = check(&denied.to_header(), "PUT", URI, BODY, NOW)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::DeniedServer);

        let other_key = ServerSigningKey::from_seed(KeyId::ed25519("b").unwrap(), &[2; 32]);
        let unknown = sign_request(
            &other_key,
            &name("hs1.example"),
            &name("hs2.example"),
            "PUT",
            URI,
            BODY,
            NOW,
        );
        let err = check(&unknown.to_header(), "PUT", URI, BODY, NOW)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnknownKey);

        // The right key id with another key's signature: a forgery.
        let mut forged = sign_request(
            &key(),
            &name("hs1.example"),
            &name("hs2.example"),
            "PUT",
            URI,
            BODY,
            NOW,
        );
        forged.signature = other_key.sign(b"anything");
        let err = check(&forged.to_header(), "PUT", URI, BODY, NOW)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadSignature);

        for (method, uri) in [
            ("put", URI),
            ("PUT", "http://x/y"),
            ("PUT", "/a b"),
            ("PUT", "/a#f"),
        ] {
            let err = check(&header(), method, uri, BODY, NOW).await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::MalformedRequest, "{method} {uri}");
        }
    }

    #[test]
    fn malformed_headers_are_refused() {
        let good = header();
        let sig = RequestAuth::parse(&good).unwrap().signature;
        let cases = [
            String::new(),
            "Bearer abc".to_owned(),
            good.replacen("Convo-Ed25519 ", "Convo-Ed25519", 1),
            good.replace("origin=", "origin=hs1,x="),
            format!(r#"{good},origin="hs1.example""#),
            format!(r#"{good},extra="1""#),
            good.replace(r#"ts="1700000000000""#, r#"ts="-1""#),
            good.replace(r#"ts="1700000000000""#, r#"ts="17e11""#),
            good.replace(r#"ts="1700000000000""#, r#"ts=1700000000000"#),
            good.replace(r#"key="ed25519:a""#, r#"key="rsa:a""#),
            good.replace(r#"origin="hs1.example""#, r#"origin="hs1_example""#),
            good.replace(&sig, &format!("{sig}\\\"")),
            good.replace(r#",sig=""#, r#",sgi=""#),
            format!("{good}{}", " ".repeat(1024)),
        ];
        for header in cases {
            let err = RequestAuth::parse(&header).unwrap_err();
            assert!(
                matches!(err, RequestError::MalformedAuthorization { .. }),
                "{header:?}: {err:?}"
            );
            assert_eq!(err.code(), ErrorCode::MalformedAuthorization);
        }
        // Parameter order, spaces after commas and the scheme's case are free.
        let reordered = format!(
            r#"convo-ed25519 sig="{sig}", ts="1700000000000", key="ed25519:a", destination="hs2.example", origin="hs1.example""#
        );
        assert_eq!(
            RequestAuth::parse(&reordered).unwrap(),
            RequestAuth::parse(&good).unwrap()
        );
    }
}
