//! Registration tokens: what lets someone register when the policy is `token`.
//! Stored as SHA-256 hashes; the token itself is shown once, to the admin who made it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt as _;
use sha2::{Digest, Sha256};

use crate::db::{Db, now_ms};
use crate::error::Result;
use crate::with_writer;

/// A token just created, with the secret value that is never stored.
#[derive(Clone, Debug)]
pub struct NewRegistrationToken {
    pub token: String,
    pub uses_allowed: Option<u32>,
    pub expires_at: Option<i64>,
}

/// The hex SHA-256 under which a token is stored.
pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.trim().as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn create(
    db: &Db,
    created_by: &str,
    uses_allowed: Option<u32>,
    expires_in_secs: Option<u64>,
) -> Result<NewRegistrationToken> {
    let token = URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 18]>());
    let now = now_ms();
    let expires_at =
        expires_in_secs.map(|secs| now.saturating_add((secs as i64).saturating_mul(1000)));
    let token_hash = hash(&token);
    let uses = uses_allowed.map(i64::from);
    with_writer!(db, pool => {
        sqlx::query(
            "INSERT INTO registration_tokens (token_hash, uses_allowed, uses, expires_at, created_by, created_at)
             VALUES ($1, $2, 0, $3, $4, $5)",
        )
        .bind(&token_hash)
        .bind(uses)
        .bind(expires_at)
        .bind(created_by)
        .bind(now)
        .execute(pool)
        .await?;
    });
    Ok(NewRegistrationToken {
        token,
        uses_allowed,
        expires_at,
    })
}
