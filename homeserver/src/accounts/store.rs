//! The accounts service's queries on `users`, `registration_tokens` and `server_flags`.

use crate::config::RegistrationPolicy;
use crate::db::{Db, now_ms, unique_violation};
use crate::error::{Error, ErrorCode, Result};
use crate::{with_db, with_writer};

use super::Account;

const COLUMNS: &str = "user_id, localpart, password_hash, email, phone, display_name, about, \
                       avatar_url, is_admin, created_at, deactivated_at, last_seen_visible";

/// Inserts `account` in one transaction with the checks that must be atomic with it: the
/// first-account-becomes-admin claim and the registration token's use count.
pub async fn insert(
    db: &Db,
    mut account: Account,
    policy: RegistrationPolicy,
    token_hash: Option<&str>,
) -> Result<Account> {
    let now = now_ms();
    let outcome: Result<Account> = with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        // Exactly one registration can flip the flag, so exactly one first admin exists.
        let first = sqlx::query("UPDATE server_flags SET value = 1 WHERE name = 'admin_claimed' AND value = 0")
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if !first {
            match policy {
                RegistrationPolicy::Open => {}
                RegistrationPolicy::Closed => {
                    return Err(Error::new(ErrorCode::RegistrationClosed, "this server does not accept new accounts"));
                }
                RegistrationPolicy::Token => {
                    let Some(token_hash) = token_hash else {
                        return Err(Error::new(
                            ErrorCode::InvalidRegistrationToken,
                            "this server needs a registration token to register",
                        ));
                    };
                    let used = sqlx::query(
                        "UPDATE registration_tokens SET uses = uses + 1
                         WHERE token_hash = $1
                           AND (uses_allowed IS NULL OR uses < uses_allowed)
                           AND (expires_at IS NULL OR expires_at > $2)",
                    )
                    .bind(token_hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if used != 1 {
                        return Err(Error::new(
                            ErrorCode::InvalidRegistrationToken,
                            "the registration token is unknown, used up or expired",
                        ));
                    }
                }
            }
        }
        account.is_admin = first;
        let inserted = sqlx::query(
            "INSERT INTO users (user_id, localpart, password_hash, email, phone, display_name, about,
                                avatar_url, is_admin, created_at, deactivated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)",
        )
        .bind(&account.user_id)
        .bind(&account.localpart)
        .bind(&account.password_hash)
        .bind(&account.email)
        .bind(&account.phone)
        .bind(&account.display_name)
        .bind(&account.about)
        .bind(&account.avatar_url)
        .bind(account.is_admin)
        .bind(account.created_at)
        .execute(&mut *tx)
        .await;
        if let Err(err) = inserted {
            return Err(conflict_or(err));
        }
        tx.commit().await?;
        Ok(account)
    });
    outcome
}

/// Maps a unique violation on `users` to the field that clashed.
fn conflict_or(err: sqlx::Error) -> Error {
    match unique_violation(&err) {
        Some(what) if what.contains("email") => Error::new(
            ErrorCode::EmailTaken,
            "another account uses this email address",
        ),
        Some(what) if what.contains("phone") => Error::new(
            ErrorCode::PhoneTaken,
            "another account uses this phone number",
        ),
        Some(_) => Error::new(ErrorCode::UsernameTaken, "this username is taken"),
        None => err.into(),
    }
}

pub async fn find_by_user_id(db: &Db, user_id: &str) -> Result<Option<Account>> {
    find(db, "user_id", user_id).await
}

pub async fn find_by_localpart(db: &Db, localpart: &str) -> Result<Option<Account>> {
    find(db, "localpart", localpart).await
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<Account>> {
    find(db, "email", email).await
}

async fn find(db: &Db, column: &'static str, value: &str) -> Result<Option<Account>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE {column} = $1");
    let sql = sqlx::AssertSqlSafe(sql);
    Ok(with_db!(db, pool => {
        sqlx::query_as::<_, Account>(sql).bind(value).fetch_optional(pool).await?
    }))
}

/// Changes to apply: `None` keeps a column, `Some(None)` clears it, `Some(Some(v))` sets it.
#[derive(Debug, Default)]
pub struct ProfileChanges {
    pub display_name: Option<Option<String>>,
    pub about: Option<Option<String>>,
    pub avatar_url: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
}

pub async fn update_profile(db: &Db, user_id: &str, changes: &ProfileChanges) -> Result<()> {
    let fields = [
        ("display_name", &changes.display_name),
        ("about", &changes.about),
        ("avatar_url", &changes.avatar_url),
        ("email", &changes.email),
        ("phone", &changes.phone),
    ];
    let set: Vec<_> = fields
        .iter()
        .filter(|(_, change)| change.is_some())
        .collect();
    if set.is_empty() {
        return Ok(());
    }
    let assignments: Vec<String> = set
        .iter()
        .enumerate()
        .map(|(i, (column, _))| format!("{column} = ${}", i + 2))
        .collect();
    let sql = format!(
        "UPDATE users SET {} WHERE user_id = $1 AND deactivated_at IS NULL",
        assignments.join(", ")
    );
    let result = with_writer!(db, pool => {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id);
        for (_, change) in &set {
            query = query.bind(change.as_ref().and_then(|v| v.as_deref()));
        }
        query.execute(pool).await.map(|_| ())
    });
    result.map_err(conflict_or)
}

pub async fn set_password_hash(db: &Db, user_id: &str, hash: &str) -> Result<()> {
    with_writer!(db, pool => {
        sqlx::query("UPDATE users SET password_hash = $2 WHERE user_id = $1")
            .bind(user_id)
            .bind(hash)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Deactivates the account and forgets what identifies the person, so that the email address
/// and phone number can be used again; the username stays taken.
pub async fn deactivate(db: &Db, user_id: &str, now: i64) -> Result<()> {
    with_writer!(db, pool => {
        sqlx::query(
            "UPDATE users SET deactivated_at = $2, email = NULL, phone = NULL, display_name = NULL,
                              about = NULL, avatar_url = NULL, password_hash = ''
             WHERE user_id = $1 AND deactivated_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(pool)
        .await?;
    });
    Ok(())
}

pub async fn set_last_seen_visible(db: &Db, user_id: &str, visible: bool) -> Result<()> {
    with_writer!(db, pool => {
        sqlx::query("UPDATE users SET last_seen_visible = $2 WHERE user_id = $1")
            .bind(user_id)
            .bind(visible)
            .execute(pool)
            .await?;
    });
    Ok(())
}
