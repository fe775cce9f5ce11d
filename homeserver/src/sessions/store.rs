//! The sessions service's queries on `devices` and `refresh_tokens`.

use sqlx::Row as _;

use crate::db::Db;
use crate::error::Result;
use crate::{with_db, with_writer};

/// A device session as listed to its owner.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Device {
    pub device_id: String,
    pub name: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub last_seen_ip: Option<String>,
}

pub struct NewDevice<'a> {
    pub device_id: &'a str,
    pub user_id: &'a str,
    pub name: &'a str,
    pub ip: Option<&'a str>,
    pub refresh_hash: &'a str,
    pub now: i64,
    pub refresh_expires_at: i64,
}

pub async fn insert_device(db: &Db, new: NewDevice<'_>) -> Result<()> {
    with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO devices (device_id, user_id, name, created_at, last_seen_at, last_seen_ip)
             VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(new.device_id)
        .bind(new.user_id)
        .bind(new.name)
        .bind(new.now)
        .bind(new.ip)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO refresh_tokens (token_hash, device_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(new.refresh_hash)
            .bind(new.device_id)
            .bind(new.now)
            .bind(new.refresh_expires_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    });
    Ok(())
}

/// What happened to a presented refresh token.
#[derive(Debug)]
pub enum Rotation {
    Rotated {
        user_id: String,
        device_id: String,
    },
    /// Used before: the device is now revoked.
    Reused {
        device_id: String,
    },
    Expired,
    Revoked,
    Unknown,
}

/// Marks `old_hash` used and stores `new_hash` for the same device, atomically. A second
/// use of `old_hash` (even a concurrent one) revokes the device.
///
/// The claim is the transaction's first statement, a write: on SQLite a deferred transaction
/// that reads first and writes later cannot wait for another process's writer (it fails at
/// once with "database is locked"), while one that starts by writing waits its turn under the
/// busy timeout. Within the server, writers take turns on the one writing connection. A claim
/// on a token that turns out to be revoked or expired is rolled back.
pub async fn rotate_refresh_token(
    db: &Db,
    old_hash: &str,
    new_hash: &str,
    now: i64,
    new_expires_at: i64,
    ip: Option<&str>,
) -> Result<Rotation> {
    let rotation = with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        let claimed = sqlx::query("UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL")
            .bind(old_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        let row = sqlx::query(
            "SELECT t.device_id, t.expires_at, d.user_id, d.revoked_at
             FROM refresh_tokens t JOIN devices d ON d.device_id = t.device_id
             WHERE t.token_hash = $1",
        )
        .bind(old_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(Rotation::Unknown);
        };
        let device_id: String = row.try_get("device_id")?;
        let user_id: String = row.try_get("user_id")?;
        let expires_at: i64 = row.try_get("expires_at")?;
        let revoked_at: Option<i64> = row.try_get("revoked_at")?;
        if revoked_at.is_some() {
            return Ok(Rotation::Revoked);
        }
        if !claimed {
            sqlx::query("UPDATE devices SET revoked_at = $2 WHERE device_id = $1 AND revoked_at IS NULL")
                .bind(&device_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(Rotation::Reused { device_id });
        }
        if expires_at <= now {
            return Ok(Rotation::Expired);
        }
        sqlx::query("INSERT INTO refresh_tokens (token_hash, device_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(new_hash)
            .bind(&device_id)
            .bind(now)
            .bind(new_expires_at)
            .execute(&mut *tx)
            .await?;
        // Used tokens are kept until they expire, to catch their reuse; then they go.
        sqlx::query("DELETE FROM refresh_tokens WHERE device_id = $1 AND expires_at <= $2")
            .bind(&device_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE devices SET last_seen_at = $2, last_seen_ip = $3 WHERE device_id = $1")
            .bind(&device_id)
            .bind(now)
            .bind(ip)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Rotation::Rotated { user_id, device_id }
    });
    Ok(rotation)
}

pub async fn is_active(db: &Db, device_id: &str) -> Result<bool> {
    let row = with_db!(db, pool => {
        sqlx::query("SELECT 1 FROM devices WHERE device_id = $1 AND revoked_at IS NULL")
            .bind(device_id)
            .fetch_optional(pool)
            .await?
            .is_some()
    });
    Ok(row)
}

pub async fn list_devices(db: &Db, user_id: &str) -> Result<Vec<Device>> {
    Ok(with_db!(db, pool => {
        sqlx::query_as::<_, Device>(
            "SELECT device_id, name, created_at, last_seen_at, last_seen_ip FROM devices
             WHERE user_id = $1 AND revoked_at IS NULL ORDER BY last_seen_at DESC, device_id",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?
    }))
}

/// Revokes one active device of `user_id`; false if there is none such.
pub async fn revoke_device(db: &Db, user_id: &str, device_id: &str, now: i64) -> Result<bool> {
    Ok(with_writer!(db, pool => {
        sqlx::query("UPDATE devices SET revoked_at = $3 WHERE device_id = $1 AND user_id = $2 AND revoked_at IS NULL")
            .bind(device_id)
            .bind(user_id)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
            == 1
    }))
}

/// Revokes every active device of `user_id` except `keep`; returns the ones it ended.
pub async fn revoke_all(
    db: &Db,
    user_id: &str,
    keep: Option<&str>,
    now: i64,
) -> Result<Vec<String>> {
    let keep = keep.unwrap_or("");
    Ok(with_writer!(db, pool => {
        let rows = sqlx::query(
            "UPDATE devices SET revoked_at = $3
             WHERE user_id = $1 AND device_id <> $2 AND revoked_at IS NULL
             RETURNING device_id",
        )
        .bind(user_id)
        .bind(keep)
        .bind(now)
        .fetch_all(pool)
        .await?;
        rows.iter().map(|row| row.try_get("device_id")).collect::<Result<Vec<String>, _>>()?
    }))
}
