//! The storage boundary: one [`Db`] handle over SQLite or PostgreSQL. Services write their
//! queries once and run them on either backend through [`with_db!`] (reads), [`with_writer!`]
//! or [`WriteTx`] (writes); where the SQL dialects differ, they match on the variant.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::config::DatabaseConfig;
use crate::private_files;

pub mod multi_row;
mod write_tx;
pub use write_tx::WriteTx;

/// A connection pool for one of the two supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePools),
    Postgres(PgPool),
}

/// SQLite's pools: readers, and one connection that makes every write.
///
/// SQLite lets one connection write at a time. With a single writing connection, writers
/// queue for it in the pool, in order, instead of in SQLite's busy handler (which retries
/// after sleeps of milliseconds). And that connection's page cache stays valid: SQLite drops
/// a connection's whole cache when another connection has written since its last transaction.
#[derive(Clone, Debug)]
pub struct SqlitePools {
    pub read: SqlitePool,
    pub write: SqlitePool,
}

/// Runs the same code against whichever pool `$db` holds, for reads (on SQLite, one of the
/// reading connections). The body is compiled once per backend, so it may only use what
/// both support (`$1` placeholders work on both). Writes use [`with_writer!`].
#[macro_export]
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(pools) => {
                let $pool = &pools.read;
                $body
            }
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// As [`with_db!`], for statements and transactions that write (on SQLite, through the one
/// writing connection; see [`SqlitePools`]). The body must not wait for another write: on
/// SQLite it would wait for itself until `database.acquire_timeout_secs`, then fail.
#[macro_export]
macro_rules! with_writer {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(pools) => {
                let $pool = &pools.write;
                $body
            }
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database URL is not valid: {0}")]
    Url(sqlx::Error),
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot create the database file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot connect to the database: {0}")]
    Connect(sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Db {
    /// Opens (creating a SQLite file if needed) and migrates the database at `url`.
    pub async fn open(url: &str, config: &DatabaseConfig) -> Result<Self, DbError> {
        let acquire_timeout = Duration::from_secs(config.acquire_timeout_secs);
        let db = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(DbError::Url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // Savepoint and statement journals in memory, not in temporary files.
                .pragma("temp_store", "memory")
                .pragma(
                    "cache_size",
                    format!("-{}", u64::from(config.sqlite_cache_mib) * 1024),
                )
                .pragma(
                    "wal_autocheckpoint",
                    config.sqlite_wal_autocheckpoint_pages.to_string(),
                );
            if let Some(file) = sqlite_file(url) {
                if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
                    private_files::create_dir_all(parent).map_err(|source| DbError::Folder {
                        path: parent.display().to_string(),
                        source,
                    })?;
                }
                // Created here rather than by SQLite, so that it (and its -wal and -shm
                // files) are private to the server's user.
                private_files::create_file_if_missing(&file).map_err(|source| DbError::File {
                    path: file.display().to_string(),
                    source,
                })?;
            }
            // One connection, kept open for good: closing it would empty its page cache.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(acquire_timeout)
                .connect_with(options.clone())
                .await
                .map_err(DbError::Connect)?;
            let read = SqlitePoolOptions::new()
                .max_connections(config.max_connections.clamp(1, 8))
                .acquire_timeout(acquire_timeout)
                .connect_lazy_with(options);
            Db::Sqlite(SqlitePools { read, write })
        } else {
            // Multi-row statements (see `multi_row`) have many parameters; PostgreSQL's
            // generic plan for them can't see the values and may scan a whole table, so plan
            // each execution for its values.
            let options = PgConnectOptions::from_str(url)
                .map_err(DbError::Url)?
                .options([("plan_cache_mode", "force_custom_plan")]);
            let pool = PgPoolOptions::new()
                .max_connections(config.max_connections.max(1))
                .acquire_timeout(acquire_timeout)
                .connect_with(options)
                .await
                .map_err(DbError::Connect)?;
            Db::Postgres(pool)
        };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(pools) => {
                sqlx::migrate!("../migrations/sqlite")
                    .run(&pools.write)
                    .await?
            }
            Db::Postgres(pool) => sqlx::migrate!("../migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Checks that the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        with_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    /// `sqlite` or `postgres`, for logs and metrics.
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection (on shutdown).
    pub async fn close(&self) {
        match self {
            Db::Sqlite(pools) => {
                pools.read.close().await;
                pools.write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// The file of a SQLite database URL; `None` for an in-memory database or another backend.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    if !url.starts_with("sqlite:") || url.contains("mode=memory") {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    let name = file.to_string_lossy();
    if name.is_empty() || name == ":memory:" || name.starts_with("file:") {
        return None;
    }
    Some(file.to_path_buf())
}

/// Whether `err` is a unique-constraint violation, and on which constraint or column
/// (the message text differs between backends, so callers match on a column name in it).
pub fn unique_violation(err: &sqlx::Error) -> Option<String> {
    let db_err = err.as_database_error()?;
    db_err.is_unique_violation().then(|| {
        db_err
            .constraint()
            .map(str::to_owned)
            .unwrap_or_else(|| db_err.message().to_owned())
    })
}

/// Milliseconds since the Unix epoch: the one time format in the database.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_files_of_urls() {
        assert_eq!(
            sqlite_file("sqlite://./data/convo.db"),
            Some(PathBuf::from("./data/convo.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:///var/lib/convo/convo.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/convo/convo.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite://?mode=memory"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
    }
}
