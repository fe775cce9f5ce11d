//! Direct SQL on a test server's database, on either backend: rows as JSON objects (integers,
//! text, booleans, nulls), for tests that check what was stored or store rows the way an
//! older version did.

use serde_json::{Map, Value};
use sqlx::{Column as _, Row as _};

use super::TestServer;

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone)]
pub enum Param {
    Text(String),
    Int(i64),
}

impl From<&str> for Param {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Param {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<i64> for Param {
    fn from(n: i64) -> Self {
        Self::Int(n)
    }
}

/// Builds the query with its parameters bound, for one backend.
macro_rules! bound {
    ($sql:expr, $params:expr, $db:ty) => {{
        let mut query = sqlx::query::<$db>(sqlx::AssertSqlSafe($sql.to_owned()));
        for param in $params {
            query = match param {
                Param::Text(text) => query.bind(text.clone()),
                Param::Int(n) => query.bind(*n),
            };
        }
        query
    }};
}

/// One row as a JSON object: each column as the first of integer, text or boolean it decodes
/// as (null for NULL).
macro_rules! row_json {
    ($row:expr) => {{
        let row = $row;
        let mut object = Map::new();
        for (i, column) in row.columns().iter().enumerate() {
            let value = if let Ok(n) = row.try_get::<Option<i64>, _>(i) {
                n.map_or(Value::Null, Value::from)
            } else if let Ok(text) = row.try_get::<Option<String>, _>(i) {
                text.map_or(Value::Null, Value::from)
            } else if let Ok(flag) = row.try_get::<Option<bool>, _>(i) {
                flag.map_or(Value::Null, Value::from)
            } else {
                panic!(
                    "column {} has a type this helper does not read",
                    column.name()
                );
            };
            object.insert(column.name().to_owned(), value);
        }
        object
    }};
}

/// Runs `sql` (`$1`, `$2`, … placeholders, the same text on both backends) and returns its
/// rows. Runs on the writing connection on SQLite, so it sees every commit.
pub async fn rows(server: &TestServer, sql: &str, params: &[Param]) -> Vec<Map<String, Value>> {
    match &server.state().db {
        convo_homeserver::db::Db::Sqlite(pools) => bound!(sql, params, sqlx::Sqlite)
            .fetch_all(&pools.write)
            .await
            .unwrap_or_else(|e| panic!("sqlite: {sql}: {e}"))
            .iter()
            .map(|row| row_json!(row))
            .collect(),
        convo_homeserver::db::Db::Postgres(pool) => bound!(sql, params, sqlx::Postgres)
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| panic!("postgres: {sql}: {e}"))
            .iter()
            .map(|row| row_json!(row))
            .collect(),
    }
}

/// Runs a statement; returns how many rows it changed.
pub async fn execute(server: &TestServer, sql: &str, params: &[Param]) -> u64 {
    match &server.state().db {
        convo_homeserver::db::Db::Sqlite(pools) => bound!(sql, params, sqlx::Sqlite)
            .execute(&pools.write)
            .await
            .unwrap_or_else(|e| panic!("sqlite: {sql}: {e}"))
            .rows_affected(),
        convo_homeserver::db::Db::Postgres(pool) => bound!(sql, params, sqlx::Postgres)
            .execute(pool)
            .await
            .unwrap_or_else(|e| panic!("postgres: {sql}: {e}"))
            .rows_affected(),
    }
}
