//! [`ClientError`]: why a request to a peer failed.
//!
//! This type deliberately has no error code of ours and no conversion into an
//! [`ErrorBody`](crate::ErrorBody): what a peer did is not our answer to anyone. A peer's
//! refusal keeps the peer's own code as text ([`RemoteErrorBody`]).

use thiserror::Error;

use crate::RemoteErrorBody;

/// Why a request to a peer failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The client could not be built (a CA file could not be read, …).
    #[error("federation client configuration: {reason}")]
    Config { reason: String },
    /// The target is, or resolves only to, an address the policy refuses (SSRF).
    #[error("refusing to connect to {host}: {reason}")]
    ForbiddenTarget { host: String, reason: &'static str },
    /// The connection or the TLS handshake failed (the certificate may not be valid for the
    /// TLS name).
    #[error("could not connect: {reason}")]
    Connect { reason: String },
    /// No answer in time (connect, read or whole request).
    #[error("the peer did not answer in time")]
    Timeout,
    /// The peer answered with a redirect, which is never followed.
    #[error("the peer answered with a redirect ({status}), which is not followed")]
    Redirected { status: u16 },
    /// The answer is larger than the cap.
    #[error("the peer's answer is larger than {max} bytes")]
    ResponseTooLarge { max: usize },
    /// The peer refused the request.
    #[error("the peer refused the request with status {status}{}", .error.as_ref().map(|e| format!(" ({})", e.code)).unwrap_or_default())]
    Rejected {
        status: u16,
        /// The peer's error body, if it sent one we could read.
        error: Option<RemoteErrorBody>,
    },
    /// The answer is not what the endpoint returns.
    #[error("the peer's answer is malformed: {reason}")]
    InvalidResponse { reason: String },
    /// Some other transport failure.
    #[error("request failed: {reason}")]
    Transport { reason: String },
}

impl ClientError {
    /// Whether trying again later may succeed (the outbound queue backs off and retries).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Connect { .. } | Self::Timeout | Self::Transport { .. } => true,
            Self::Rejected { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}
