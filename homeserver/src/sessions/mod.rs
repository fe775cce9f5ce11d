//! Device sessions: login creates a device with a refresh token; access tokens are short JWTs
//! checked against the device's revocation on every use. Owns `devices` and `refresh_tokens`.

mod jwt;
mod store;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use convo_federation::UserId;
use moka::future::Cache;
use rand::RngExt as _;
use sha2::{Digest, Sha256};

use crate::accounts::validate;
use crate::config::AuthConfig;
use crate::db::{Db, now_ms};
use crate::error::{Error, ErrorCode, Result};
pub use jwt::JwtKeys;
pub use store::Device;

/// How long a device's "still active" answer is trusted before the database is asked again.
/// Revocations on this node invalidate it at once.
const ACTIVE_CACHE_TTL: Duration = Duration::from_secs(60);

/// Longest accepted device name.
pub const DEVICE_NAME_MAX: usize = 64;

/// An authenticated request's caller.
#[derive(Clone, Debug)]
pub struct AuthSession {
    pub user_id: UserId,
    pub device_id: String,
}

/// What login and refresh hand out.
#[derive(Clone, Debug)]
pub struct TokenPair {
    pub user_id: String,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in_secs: u64,
    pub device_id: String,
}

/// The sessions service.
#[derive(Clone)]
pub struct Sessions {
    db: Db,
    jwt: Arc<JwtKeys>,
    /// device id → whether it is still active.
    active: Cache<String, bool>,
    access_ttl_secs: u64,
    refresh_ttl_ms: i64,
    /// Told the id of every device that is revoked, so its live connections can be closed.
    on_revoke: Arc<std::sync::OnceLock<RevocationListener>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("access_ttl_secs", &self.access_ttl_secs)
            .finish_non_exhaustive()
    }
}

/// Called with a device id when that device is logged out.
pub type RevocationListener = Arc<dyn Fn(&str) + Send + Sync>;

impl Sessions {
    pub fn new(db: Db, jwt: JwtKeys, auth: &AuthConfig) -> Self {
        Self {
            db,
            jwt: Arc::new(jwt),
            active: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ACTIVE_CACHE_TTL)
                .build(),
            access_ttl_secs: auth.access_token_ttl_secs,
            refresh_ttl_ms: (auth.refresh_token_ttl_days as i64).saturating_mul(86_400_000),
            on_revoke: Arc::new(std::sync::OnceLock::new()),
        }
    }

    /// Sets who hears about revocations (the gateway). Only the first call counts.
    pub fn on_revoke(&self, listener: RevocationListener) {
        let _ = self.on_revoke.set(listener);
    }

    async fn forget(&self, device_id: &str) {
        self.active.invalidate(device_id).await;
        if let Some(listener) = self.on_revoke.get() {
            listener(device_id);
        }
    }

    /// Starts a new device session for `user_id`.
    pub async fn create_device(
        &self,
        user_id: &UserId,
        name: &str,
        ip: Option<String>,
    ) -> Result<TokenPair> {
        let name = validate::text(name, "device_name", DEVICE_NAME_MAX)?;
        let name = if name.is_empty() {
            "unnamed device".to_owned()
        } else {
            name
        };
        let device_id = URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 9]>());
        let refresh_token = new_refresh_token();
        let now = now_ms();
        store::insert_device(
            &self.db,
            store::NewDevice {
                device_id: &device_id,
                user_id: user_id.as_str(),
                name: &name,
                ip: ip.as_deref(),
                refresh_hash: &hash(&refresh_token),
                now,
                refresh_expires_at: now.saturating_add(self.refresh_ttl_ms),
            },
        )
        .await?;
        self.pair(user_id.as_str(), device_id, refresh_token)
    }

    /// Swaps a refresh token for a new pair. A token that was already used revokes its device:
    /// someone else has a copy of it.
    pub async fn refresh(&self, refresh_token: &str, ip: Option<String>) -> Result<TokenPair> {
        let next = new_refresh_token();
        let now = now_ms();
        let outcome = store::rotate_refresh_token(
            &self.db,
            &hash(refresh_token),
            &hash(&next),
            now,
            now.saturating_add(self.refresh_ttl_ms),
            ip.as_deref(),
        )
        .await?;
        match outcome {
            store::Rotation::Rotated { user_id, device_id } => self.pair(&user_id, device_id, next),
            store::Rotation::Reused { device_id } => {
                self.forget(&device_id).await;
                tracing::warn!(%device_id, "refresh token reused; device logged out");
                Err(Error::new(
                    ErrorCode::RefreshTokenReused,
                    "this refresh token was already used; the device has been logged out",
                ))
            }
            store::Rotation::Expired => Err(Error::new(
                ErrorCode::TokenExpired,
                "the refresh token has expired; log in again",
            )),
            store::Rotation::Revoked => Err(revoked()),
            store::Rotation::Unknown => Err(Error::new(
                ErrorCode::InvalidToken,
                "the refresh token is not valid",
            )),
        }
    }

    fn pair(&self, user_id: &str, device_id: String, refresh_token: String) -> Result<TokenPair> {
        let now_secs = (now_ms() / 1000) as u64;
        Ok(TokenPair {
            user_id: user_id.to_owned(),
            access_token: self
                .jwt
                .issue(user_id, &device_id, now_secs, self.access_ttl_secs)?,
            refresh_token,
            expires_in_secs: self.access_ttl_secs,
            device_id,
        })
    }

    /// Checks an access token: signature, expiry, and that its device is still active.
    pub async fn authenticate(&self, access_token: &str) -> Result<AuthSession> {
        let claims = self.jwt.verify(access_token)?;
        let user_id = UserId::parse(&claims.sub)
            .map_err(|_| Error::new(ErrorCode::InvalidToken, "the access token is not valid"))?;
        let db = self.db.clone();
        let device_id = claims.sid.clone();
        let active = self
            .active
            .try_get_with(claims.sid.clone(), async move {
                store::is_active(&db, &device_id).await
            })
            .await
            .map_err(|err: Arc<Error>| (*err).clone())?;
        if !active {
            return Err(revoked());
        }
        Ok(AuthSession {
            user_id,
            device_id: claims.sid,
        })
    }

    /// The user's active devices, most recently used first.
    pub async fn list(&self, user_id: &UserId) -> Result<Vec<Device>> {
        store::list_devices(&self.db, user_id.as_str()).await
    }

    /// Ends one of the user's device sessions.
    pub async fn revoke(&self, user_id: &UserId, device_id: &str) -> Result<()> {
        if !store::revoke_device(&self.db, user_id.as_str(), device_id, now_ms()).await? {
            return Err(Error::new(ErrorCode::DeviceNotFound, "no such device"));
        }
        self.forget(device_id).await;
        Ok(())
    }

    /// Ends every device session of the user except `keep`.
    pub async fn revoke_all(&self, user_id: &UserId, keep: Option<&str>) -> Result<()> {
        let ended = store::revoke_all(&self.db, user_id.as_str(), keep, now_ms()).await?;
        for device_id in ended {
            self.forget(&device_id).await;
        }
        Ok(())
    }
}

fn revoked() -> Error {
    Error::new(
        ErrorCode::SessionRevoked,
        "this device has been logged out; log in again",
    )
}

fn new_refresh_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 32]>())
}

/// Refresh tokens are stored as their hex SHA-256.
fn hash(token: &str) -> String {
    crate::accounts::hex(&Sha256::digest(token.as_bytes()))
}
