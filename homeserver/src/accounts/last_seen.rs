//! Last seen: when a user's last device went offline, stored with their account, and shown
//! to others only if the user lets them (`last_seen_visible`). Presence records it.

use std::collections::BTreeMap;

use convo_federation::UserId;
use sqlx::Row as _;

use super::Accounts;
use crate::error::Result;
use crate::rooms::store::decode;
use crate::{with_db, with_writer};

impl Accounts {
    /// Stores `at` as `user`'s last seen time; returns whether others may see it.
    pub async fn record_last_seen(&self, user: &UserId, at: i64) -> Result<bool> {
        with_writer!(&self.db, pool => {
            let row = sqlx::query("UPDATE users SET last_seen_at = $2 WHERE user_id = $1 RETURNING last_seen_visible")
                .bind(user.as_str())
                .bind(at)
                .fetch_optional(pool)
                .await?;
            Ok(row.map_or(Ok(true), |r| r.try_get::<bool, _>("last_seen_visible"))?)
        })
    }

    /// The last seen times of those of `users` who let others see theirs (one query).
    pub async fn visible_last_seen(&self, users: &[UserId]) -> Result<BTreeMap<UserId, i64>> {
        let mut out = BTreeMap::new();
        // A few hundred ids per statement keeps well under every backend's parameter limit.
        for chunk in users.chunks(500) {
            let placeholders = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT user_id, last_seen_at FROM users
                 WHERE user_id IN ({placeholders}) AND last_seen_visible AND last_seen_at IS NOT NULL"
            );
            with_db!(&self.db, pool => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for user in chunk {
                    query = query.bind(user.as_str());
                }
                for row in query.fetch_all(pool).await? {
                    let user = decode(UserId::parse(&row.try_get::<String, _>("user_id")?))?;
                    out.insert(user, row.try_get::<i64, _>("last_seen_at")?);
                }
            });
        }
        Ok(out)
    }
}
