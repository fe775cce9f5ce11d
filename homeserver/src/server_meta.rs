//! The `server_meta` table: facts about the data that must never change. Today the server
//! name, recorded at first start and checked at every start after: every user id
//! (`@alice:NAME`) and room id contains it, and other servers know this one by it.

use convo_federation::ServerName;

use crate::db::Db;
use crate::{with_db, with_writer};

/// Why the data cannot be served under the configured name.
#[derive(Debug, thiserror::Error)]
pub enum ServerMetaError {
    #[error(
        "this database belongs to the server `{recorded}`, not `{configured}`: a server name \
         cannot change, because every user id (@user:{recorded}) and room id contains it and \
         other servers know this one by it. Start with `server_name = \"{recorded}\"` (or \
         --server-name {recorded}), or give the new name a new database"
    )]
    ServerNameChanged {
        recorded: String,
        configured: String,
    },
    #[error("cannot read the server name stored in the database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Records `name` as the data's server name if none is yet, and refuses any other.
pub async fn check_server_name(db: &Db, name: &ServerName) -> Result<(), ServerMetaError> {
    with_writer!(db, pool => sqlx::query(
        "INSERT INTO server_meta (name, value) VALUES ('server_name', $1) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name.as_str())
    .execute(pool)
    .await
    .map(|_| ()))?;
    let recorded: String = with_db!(db, pool => sqlx::query_scalar(
        "SELECT value FROM server_meta WHERE name = 'server_name'",
    )
    .fetch_one(pool)
    .await)?;
    if recorded == name.as_str() {
        Ok(())
    } else {
        Err(ServerMetaError::ServerNameChanged {
            recorded,
            configured: name.as_str().to_owned(),
        })
    }
}
