//! The server name is stored with the data at first start; the same data under another name
//! is refused with the reason, also for data from before the name was stored.

use std::path::Path;

use convo_homeserver::Application;
use convo_homeserver::startup::StartupError;

use super::{printed, run_to_exit};
use crate::binary::{convo, terminate, wait_for_listen_line};
use crate::helpers::db::TestDb;
use crate::helpers::{PASSWORD, TestServer};

#[track_caller]
fn assert_explains_the_refusal(message: &str, recorded: &str, configured: &str) {
    for needle in [recorded, configured, "cannot change", "user id", "room id"] {
        assert!(
            message.contains(needle),
            "{needle:?} missing from: {message}"
        );
    }
}

#[tokio::test]
async fn the_same_data_under_another_name_is_refused() {
    let mut server = TestServer::spawn().await;
    server.register("alice").await;
    server.stop().await;
    let mut config = server.config();
    config.server_name = "other.example".into();
    let err = Application::build(config)
        .await
        .expect_err("another name on the same data");
    assert!(matches!(err, StartupError::ServerMeta(_)), "{err:?}");
    assert_explains_the_refusal(&err.to_string(), "localhost", "other.example");
    // Under its own name it starts, and alice is still there.
    server.restart().await;
    server.login("alice", PASSWORD).await;
}

#[test]
fn convo_serve_refuses_another_server_name() {
    let dir = tempfile::tempdir().unwrap();
    let serve = |name: &str| {
        let mut command = convo(dir.path());
        command.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            "data",
            "--server-name",
            name,
        ]);
        command
    };
    let mut first = serve("chat.example.org")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_listen_line(&mut first);
    assert!(terminate(&mut first).success());
    let out = run_to_exit(&mut serve("chat.example.com"));
    assert!(!out.status.success());
    assert_explains_the_refusal(&printed(&out), "chat.example.org", "chat.example.com");
}

/// A database as the server left it before the name was stored (migrations 1 to 4), with one
/// user of `server_name`.
async fn database_before_server_meta(url: &str, server_name: &str) {
    let backend = if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../migrations/{backend}"));
    let mut migrator = sqlx::migrate::Migrator::new(folder).await.unwrap();
    let older: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= 4)
        .cloned()
        .collect();
    assert_eq!(older.len(), 4);
    migrator.migrations = older.into();
    let insert = sqlx::AssertSqlSafe(format!(
        "INSERT INTO users (user_id, localpart, password_hash, created_at) \
         VALUES ('@old:{server_name}', 'old', 'x', 1)"
    ));
    if backend == "postgres" {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        migrator.run(&pool).await.unwrap();
        sqlx::query(insert).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let options = url
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .unwrap()
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        migrator.run(&pool).await.unwrap();
        sqlx::query(insert).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

#[tokio::test]
async fn data_from_before_the_stored_name_keeps_its_users_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::create(dir.path()).await;
    database_before_server_meta(&db.url, "legacy.example:8448").await;
    let mut config = crate::helpers::test_config(dir.path().to_path_buf(), db.url.clone());
    let err = Application::build(config.clone())
        .await
        .expect_err("the name its users were created under is kept");
    assert_explains_the_refusal(&err.to_string(), "legacy.example:8448", "localhost");
    config.server_name = "legacy.example:8448".into();
    let app = Application::build(config).await.expect("its own name");
    drop(app);
}
