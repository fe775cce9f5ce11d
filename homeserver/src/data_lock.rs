//! One server per database: an exclusive lock, taken before anything is written and held for
//! the server's lifetime, since only one sequencer may write a database. SQLite: `flock` on a
//! `<database>.lock` file that holds the holder's pid. PostgreSQL: an advisory lock on a
//! connection of its own, named after the holder. Either ends with its process, however it
//! ends (the kernel drops the `flock`; PostgreSQL the session of a closed connection).

use std::fs::{File, TryLockError};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::config::DatabaseConfig;
use crate::{db, private_files};

/// The advisory lock key of a Convo database: "conv" in ASCII.
const ADVISORY_KEY: i64 = 0x636f_6e76;
/// Tries before a PostgreSQL lock is reported as held: a server that has just died holds it
/// until PostgreSQL notices that its connection is gone, which takes a moment.
const PG_TRIES: u32 = 8;
const PG_RETRY: Duration = Duration::from_millis(250);

/// Why the data could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum DataLockError {
    #[error(
        "the database is in use by another Convo server (pid {holder}, lock file {path}); \
         only one server may use a database at a time: stop that one first"
    )]
    HeldFile { path: PathBuf, holder: String },
    #[error(
        "the database is in use by another Convo server ({holder}); only one server may use \
         a database at a time: stop that one first"
    )]
    HeldPostgres { holder: String },
    #[error("cannot lock the database with {path}: {source}")]
    File { path: PathBuf, source: io::Error },
    #[error("cannot connect to the database to lock it: {0}")]
    Connect(sqlx::Error),
    #[error("cannot connect to the database to lock it: no answer within {0} s")]
    ConnectTimeout(u64),
    #[error("cannot lock the database: {0}")]
    Query(sqlx::Error),
}

/// The lock on this server's data; held until [`DataLock::release`] or drop.
pub struct DataLock(Held);

enum Held {
    File {
        file: File,
        path: PathBuf,
    },
    Postgres(PgConnection),
    /// An in-memory database: nobody else can reach it.
    Nothing,
}

impl std::fmt::Debug for DataLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Held::File { path, .. } => f.debug_tuple("DataLock").field(path).finish(),
            Held::Postgres(_) => f.write_str("DataLock(postgres advisory lock)"),
            Held::Nothing => f.write_str("DataLock(nothing)"),
        }
    }
}

impl DataLock {
    /// Locks the database at `url`, or says who holds it.
    pub async fn acquire(url: &str, config: &DatabaseConfig) -> Result<Self, DataLockError> {
        if url.starts_with("postgres") {
            let timeout = Duration::from_secs(config.acquire_timeout_secs);
            return lock_postgres(url, timeout).await.map(Self);
        }
        match db::sqlite_file(url) {
            Some(database) => lock_file(&lock_path(&database)).map(Self),
            None => Ok(Self(Held::Nothing)),
        }
    }

    /// Lets go of the lock (after the database is closed).
    pub async fn release(self) {
        match self.0 {
            Held::File { file, path } => {
                // The pid goes first, so that nobody reads a stale one; the file stays, since
                // removing it could let two servers lock two different files of that name.
                if let Err(err) = file.set_len(0) {
                    tracing::debug!(path = %path.display(), cause = %err, "cannot empty the lock file");
                }
            }
            Held::Postgres(mut conn) => {
                let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(ADVISORY_KEY)
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
            }
            Held::Nothing => {}
        }
    }
}

/// `convo.db` → `convo.db.lock`, in the same folder.
fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    database.with_file_name(name)
}

fn lock_file(path: &Path) -> Result<Held, DataLockError> {
    let failed = |source| DataLockError::File {
        path: path.to_owned(),
        source,
    };
    private_files::create_parent(path).map_err(failed)?;
    // Not truncated on open: until the lock is ours, the pid in it is the holder's.
    let mut file = private_files::open_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(failed)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            return Err(DataLockError::HeldFile {
                path: path.to_owned(),
                holder: if pid.is_empty() { "unknown" } else { pid }.to_owned(),
            });
        }
        Err(TryLockError::Error(source)) => return Err(failed(source)),
    }
    file.set_len(0)
        .and_then(|()| writeln!(file, "{}", std::process::id()))
        .and_then(|()| file.sync_all())
        .map_err(failed)?;
    Ok(Held::File {
        file,
        path: path.to_owned(),
    })
}

async fn lock_postgres(url: &str, connect_timeout: Duration) -> Result<Held, DataLockError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(DataLockError::Connect)?
        .application_name(&application_name());
    let mut conn = tokio::time::timeout(connect_timeout, PgConnection::connect_with(&options))
        .await
        .map_err(|_| DataLockError::ConnectTimeout(connect_timeout.as_secs()))?
        .map_err(DataLockError::Connect)?;
    for attempt in 1..=PG_TRIES {
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(ADVISORY_KEY)
            .fetch_one(&mut conn)
            .await
            .map_err(DataLockError::Query)?;
        if locked {
            return Ok(Held::Postgres(conn));
        }
        if attempt < PG_TRIES {
            tokio::time::sleep(PG_RETRY).await;
        }
    }
    let holder = describe_holder(&mut conn).await;
    let _ = conn.close().await;
    Err(DataLockError::HeldPostgres { holder })
}

/// How this server's lock connection shows in `pg_stat_activity` (at most 63 bytes there).
fn application_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let name = format!("convo pid={} host={}", std::process::id(), host.trim());
    let mut name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    name.truncate(63);
    name
}

/// Backend pid, application name, client address and client host name.
type HolderRow = (i32, Option<String>, Option<String>, Option<String>);

/// The session that holds the lock, as PostgreSQL describes it.
async fn describe_holder(conn: &mut PgConnection) -> String {
    let row: Result<Option<HolderRow>, _> = sqlx::query_as(
        "SELECT l.pid, a.application_name, host(a.client_addr), a.client_hostname \
             FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 1",
    )
    .bind(ADVISORY_KEY >> 32)
    .bind(ADVISORY_KEY & 0xffff_ffff)
    .fetch_optional(conn)
    .await;
    match row {
        Ok(Some((pid, application, address, hostname))) => {
            let mut holder = format!("PostgreSQL session pid {pid}");
            if let Some(application) = application.filter(|a| !a.is_empty()) {
                holder.push_str(&format!(", application \"{application}\""));
            }
            if let Some(from) = hostname.or(address) {
                holder.push_str(&format!(", from {from}"));
            }
            holder
        }
        Ok(None) => "a session that has ended since; try again".into(),
        Err(err) => format!("a session not visible to this user: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_files_sit_next_to_the_database() {
        assert_eq!(
            lock_path(Path::new("/var/lib/convo/convo.db")),
            PathBuf::from("/var/lib/convo/convo.db.lock")
        );
        assert_eq!(lock_path(Path::new("c.db")), PathBuf::from("c.db.lock"));
    }

    #[test]
    fn a_second_lock_on_the_same_file_names_the_holder() {
        let dir = std::env::temp_dir().join(format!("convo-lock-{}", std::process::id()));
        let path = dir.join("convo.db.lock");
        let held = lock_file(&path).unwrap();
        let err = lock_file(&path).err().expect("second lock refused");
        let pid = std::process::id().to_string();
        assert!(
            matches!(&err, DataLockError::HeldFile { holder, .. } if *holder == pid),
            "{err}"
        );
        drop(held);
        lock_file(&path).expect("free again once dropped");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn application_names_fit_postgres() {
        let name = application_name();
        assert!(name.starts_with("convo pid="), "{name}");
        assert!(name.len() <= 63);
    }
}
