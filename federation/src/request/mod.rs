//! Signed server-to-server requests.
//!
//! Every federation request but `GET /_convo/federation/v1/keys` carries
//!
//! ```text
//! Authorization: Convo-Ed25519 origin="hs1.example",destination="hs2.example",key="ed25519:abc",ts="1700000000000",sig="<unpadded base64>"
//! ```
//!
//! where `sig` is the origin's ed25519 signature, with key `key`, of the canonical JSON
//! (RFC 8785) of
//!
//! ```json
//! {"body_sha256":"<unpadded base64url of SHA-256(body)>","destination":"hs2.example",
//!  "method":"PUT","origin":"hs1.example","ts":1700000000000,"uri":"/_convo/federation/v1/send/t1"}
//! ```
//!
//! `uri` is the request target exactly as sent (path and query, percent-encoding untouched),
//! `method` the method in capitals, `ts` the origin's clock in ms since the Unix epoch, and
//! the body hash covers the exact body bytes (empty for a GET). The parameters may come in any
//! order, each exactly once, separated by commas (optional spaces after them); values are
//! always quoted and never contain quotes or backslashes. The scheme name is matched without
//! regard to case.
//!
//! The receiver ([`RequestVerifier`]) checks, before doing anything else and in this order:
//! the header's form, the body's size (before hashing it), that it is the destination, that the
//! origin is not denied, that `ts` is within the clock skew, and then the signature with the
//! origin's key (which may cause one key fetch: the ACL and the clock are checked first so that
//! denied or stale requests cost nothing).

mod acl;
mod header;
mod verify;

pub use acl::{ServerAcl, ServerPattern};
pub use header::{AUTH_SCHEME, RequestAuth, sign_request, signed_request_bytes};
pub use verify::{RequestError, RequestLimits, RequestVerifier, VerifiedRequest};
