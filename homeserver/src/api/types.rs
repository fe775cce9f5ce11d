//! Types shared by several operations.

use std::net::IpAddr;

use poem::{FromRequest, Request, RequestBody};
use poem_openapi::{ApiResponse, Object};

use super::nullable::Nullable;
use crate::accounts::Account;
use crate::http::client_addr::client_ip;
use crate::sessions::TokenPair;
use crate::state::AppState;

/// An empty success.
#[derive(Debug, ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

/// The caller's own profile, with private fields.
#[derive(Debug, Object)]
pub struct OwnProfile {
    /// Full user id, `@username:server`.
    pub user_id: String,
    pub username: String,
    /// `null` when not set (as for the fields below).
    pub display_name: Nullable<String>,
    /// Status text shown under the name.
    pub about: Nullable<String>,
    pub avatar_url: Nullable<String>,
    pub email: Nullable<String>,
    /// E.164, e.g. `+442079460958`.
    pub phone: Nullable<String>,
    /// Whether this account administers the server.
    pub is_admin: bool,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Who sees when I was last online: `everyone` or `nobody`.
    pub last_seen: LastSeenVisibility,
}

/// Who may see a user's last-seen time. (Contacts-only comes with contacts.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "lowercase")]
pub enum LastSeenVisibility {
    Everyone,
    Nobody,
}

impl From<Account> for OwnProfile {
    fn from(account: Account) -> Self {
        Self {
            user_id: account.user_id,
            username: account.localpart,
            display_name: account.display_name.into(),
            about: account.about.into(),
            avatar_url: account.avatar_url.into(),
            email: account.email.into(),
            phone: account.phone.into(),
            is_admin: account.is_admin,
            created_at: account.created_at,
            last_seen: if account.last_seen_visible {
                LastSeenVisibility::Everyone
            } else {
                LastSeenVisibility::Nobody
            },
        }
    }
}

/// Tokens for one device session.
#[derive(Debug, Object)]
pub struct TokenResponse {
    pub user_id: String,
    /// The device session these tokens belong to.
    pub device_id: String,
    /// Short-lived; send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single use: swap it for new tokens at `POST /auth/refresh`. Using it twice logs the
    /// device out.
    pub refresh_token: String,
}

impl From<TokenPair> for TokenResponse {
    fn from(pair: TokenPair) -> Self {
        Self {
            user_id: pair.user_id,
            device_id: pair.device_id,
            access_token: pair.access_token,
            token_type: "Bearer".into(),
            expires_in: pair.expires_in_secs,
            refresh_token: pair.refresh_token,
        }
    }
}

/// The client's address, for rate limits and device lists: the TCP peer, or the address a
/// trusted proxy forwarded (see [`crate::http::client_addr`]). An extractor, so handlers
/// take it as a parameter.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    /// The address as text, as rate limits and device lists keep it.
    pub fn text(&self) -> Option<String> {
        self.0.map(|ip| ip.to_string())
    }
}

impl<'a> FromRequest<'a> for ClientIp {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let peer = req.remote_addr().as_socket_addr().map(|addr| addr.ip());
        let ip = match req.data::<AppState>() {
            Some(state) => client_ip(peer, req.headers(), &state.config.http),
            None => peer,
        };
        Ok(Self(ip))
    }
}
