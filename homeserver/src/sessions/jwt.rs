//! Short-lived access tokens: HS256 JWTs whose key is derived from the server's signing key,
//! naming the user and the device session they belong to.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorCode};

/// What an access token says.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The device (session) id; checked against revocation on every use.
    pub sid: String,
    /// The issuing server's name.
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
}

/// Signing and checking access tokens.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Derives the HMAC key from the server's secret key material, under a label of its own,
    /// so no second secret has to be kept and the signing key itself is never used for it.
    pub fn derive(secret: &[u8], issuer: &str) -> Self {
        let key = Sha256::new()
            .chain_update(b"convo access-token key v1\0")
            .chain_update(secret)
            .finalize();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            validation,
            issuer: issuer.to_owned(),
        }
    }

    pub fn issue(
        &self,
        user_id: &str,
        device_id: &str,
        now_secs: u64,
        ttl_secs: u64,
    ) -> Result<String, Error> {
        let claims = Claims {
            sub: user_id.to_owned(),
            sid: device_id.to_owned(),
            iss: self.issuer.clone(),
            iat: now_secs,
            exp: now_secs + ttl_secs,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(Error::internal)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => Error::new(
                    ErrorCode::TokenExpired,
                    "the access token has expired; refresh it",
                ),
                _ => Error::new(ErrorCode::InvalidToken, "the access token is not valid"),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_expiry_and_forgery() {
        let keys = JwtKeys::derive(b"secret", "example.org");
        let now = jsonwebtoken::get_current_timestamp();
        let token = keys.issue("@a:example.org", "DEV", now, 60).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.sid.as_str()),
            ("@a:example.org", "DEV")
        );

        let expired = keys.issue("@a:example.org", "DEV", now - 120, 60).unwrap();
        assert_eq!(
            keys.verify(&expired).unwrap_err().code,
            ErrorCode::TokenExpired
        );

        let other = JwtKeys::derive(b"other secret", "example.org");
        let forged = other.issue("@a:example.org", "DEV", now, 60).unwrap();
        assert_eq!(
            keys.verify(&forged).unwrap_err().code,
            ErrorCode::InvalidToken
        );

        let elsewhere = JwtKeys::derive(b"secret", "evil.example");
        let wrong_issuer = elsewhere.issue("@a:example.org", "DEV", now, 60).unwrap();
        assert_eq!(
            keys.verify(&wrong_issuer).unwrap_err().code,
            ErrorCode::InvalidToken
        );
        assert_eq!(
            keys.verify("not.a.jwt").unwrap_err().code,
            ErrorCode::InvalidToken
        );
    }
}
