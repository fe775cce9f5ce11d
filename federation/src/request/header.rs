//! The `Authorization` header of a signed request: [`RequestAuth`], its text form, and
//! [`sign_request`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::RequestError;
use crate::ServerName;
use crate::events::canonical_json;
use crate::keys::{KeyId, ServerSigningKey};

/// The authorization scheme.
pub const AUTH_SCHEME: &str = "Convo-Ed25519";

/// Longest header value accepted (a real one is about 250 bytes).
const MAX_HEADER_LEN: usize = 1024;

/// What the `Authorization` header of a signed request says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestAuth {
    pub origin: ServerName,
    pub destination: ServerName,
    pub key_id: KeyId,
    /// When the origin signed it, ms since the Unix epoch.
    pub ts: i64,
    /// Unpadded standard base64.
    pub signature: String,
}

/// The bytes a request's signature covers.
pub fn signed_request_bytes(
    origin: &ServerName,
    destination: &ServerName,
    method: &str,
    uri: &str,
    ts: i64,
    body: &[u8],
) -> Vec<u8> {
    #[derive(Serialize)]
    struct Signed<'a> {
        body_sha256: String,
        destination: &'a ServerName,
        method: &'a str,
        origin: &'a ServerName,
        ts: i64,
        uri: &'a str,
    }
    canonical_json(&Signed {
        body_sha256: URL_SAFE_NO_PAD.encode(Sha256::digest(body)),
        destination,
        method,
        origin,
        ts,
        uri,
    })
    .expect("a request description always serialises")
}

/// Signs a request from `origin` to `destination` at `now_ms`.
pub fn sign_request(
    key: &ServerSigningKey,
    origin: &ServerName,
    destination: &ServerName,
    method: &str,
    uri: &str,
    body: &[u8],
    now_ms: i64,
) -> RequestAuth {
    let bytes = signed_request_bytes(origin, destination, method, uri, now_ms, body);
    RequestAuth {
        origin: origin.clone(),
        destination: destination.clone(),
        key_id: key.key_id().clone(),
        ts: now_ms,
        signature: key.sign(&bytes),
    }
}

impl RequestAuth {
    /// The header value.
    pub fn to_header(&self) -> String {
        format!(
            r#"{AUTH_SCHEME} origin="{}",destination="{}",key="{}",ts="{}",sig="{}""#,
            self.origin, self.destination, self.key_id, self.ts, self.signature
        )
    }

    /// Parses a header value strictly (see the module's documentation).
    pub fn parse(header: &str) -> Result<Self, RequestError> {
        let malformed = |reason| RequestError::MalformedAuthorization { reason };
        if header.len() > MAX_HEADER_LEN {
            return Err(malformed("header too long"));
        }
        let (scheme, params) = header
            .split_once(' ')
            .ok_or(malformed("expected '<scheme> <parameters>'"))?;
        if !scheme.eq_ignore_ascii_case(AUTH_SCHEME) {
            return Err(malformed("not the Convo-Ed25519 scheme"));
        }
        let mut fields: [Option<&str>; 5] = [None; 5];
        const NAMES: [&str; 5] = ["origin", "destination", "key", "ts", "sig"];
        for param in params.split(',') {
            let param = param.trim_start_matches(' ');
            let (name, value) = param
                .split_once('=')
                .ok_or(malformed("a parameter is not name=\"value\""))?;
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .filter(|v| !v.contains(['"', '\\']))
                .ok_or(malformed(
                    "a parameter's value is not a plain quoted string",
                ))?;
            let slot = NAMES
                .iter()
                .position(|n| *n == name)
                .ok_or(malformed("unknown parameter"))?;
            if fields[slot].replace(value).is_some() {
                return Err(malformed("a parameter is repeated"));
            }
        }
        let [
            Some(origin),
            Some(destination),
            Some(key),
            Some(ts),
            Some(sig),
        ] = fields
        else {
            return Err(malformed(
                "origin, destination, key, ts and sig are all required",
            ));
        };
        let server = |s: &str| ServerName::parse(s).map_err(|_| malformed("invalid server name"));
        if ts.is_empty() || !ts.bytes().all(|b| b.is_ascii_digit()) || ts.len() > 16 {
            return Err(malformed("ts is not a timestamp in ms"));
        }
        Ok(Self {
            origin: server(origin)?,
            destination: server(destination)?,
            key_id: KeyId::parse(key).map_err(|_| malformed("invalid key id"))?,
            ts: ts
                .parse()
                .map_err(|_| malformed("ts is not a timestamp in ms"))?,
            signature: sig.to_owned(),
        })
    }
}
