//! A write transaction on either backend. On SQLite it runs on the one writing connection
//! ([`super::SqlitePools`]) and begins `IMMEDIATE`: a transaction that reads before it writes
//! must take the write lock up front, or it fails at once ("database is locked") if another
//! process writes the same file meanwhile.

use super::Db;

/// One open write transaction.
pub enum WriteTx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl std::fmt::Debug for WriteTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriteTx")
    }
}

/// Runs `$body` with `$conn` bound to the transaction's connection, whichever the backend.
/// The body is compiled once per backend.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::db::WriteTx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::db::WriteTx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

impl WriteTx {
    /// Waits for the writing connection (on SQLite) and begins. Nothing that writes may be
    /// awaited while the transaction is open: on SQLite it would wait for this transaction's
    /// own connection until `database.acquire_timeout_secs`, then fail.
    pub async fn begin(db: &Db) -> Result<Self, sqlx::Error> {
        Ok(match db {
            Db::Sqlite(pools) => WriteTx::Sqlite(pools.write.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => WriteTx::Postgres(pool.begin().await?),
        })
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            WriteTx::Sqlite(tx) => tx.commit().await,
            WriteTx::Postgres(tx) => tx.commit().await,
        }
    }
}

impl WriteTx {
    /// Marks a point to roll back to if the next piece of work fails, without losing the
    /// rest of the transaction.
    pub async fn savepoint(&mut self) -> Result<(), sqlx::Error> {
        crate::on_tx!(self, conn => sqlx::query("SAVEPOINT work").execute(conn).await.map(|_| ()))
    }

    /// Undoes everything since [`Self::savepoint`].
    pub async fn rollback_to_savepoint(&mut self) -> Result<(), sqlx::Error> {
        crate::on_tx!(self, conn => sqlx::query("ROLLBACK TO SAVEPOINT work").execute(conn).await.map(|_| ()))
    }

    /// Keeps everything since [`Self::savepoint`].
    pub async fn release_savepoint(&mut self) -> Result<(), sqlx::Error> {
        crate::on_tx!(self, conn => sqlx::query("RELEASE SAVEPOINT work").execute(conn).await.map(|_| ()))
    }
}
