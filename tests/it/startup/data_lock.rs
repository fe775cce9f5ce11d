//! One server per database: a second one, in this process or another, is refused with a
//! message naming the first, and the first carries on; the lock goes when the first stops.

use convo_homeserver::Application;
use convo_homeserver::startup::StartupError;

use super::{printed, run_to_exit};
use crate::binary::{convo, start_server, terminate};
use crate::helpers::TestServer;
use crate::helpers::db::TestDb;

#[tokio::test]
async fn a_second_server_in_process_is_refused_until_the_first_stops() {
    let mut server = TestServer::spawn().await;
    let err = Application::build(server.config())
        .await
        .expect_err("a second server on the same database");
    assert!(matches!(err, StartupError::DataLock(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("in use by another Convo server"),
        "{message}"
    );
    let pid = std::process::id().to_string();
    assert!(message.contains(&pid), "names the holder: {message}");
    // The first one is unharmed…
    server.register("alice").await;
    // …and once it has stopped, the data can be opened again.
    server.restart().await;
    server.login("alice", crate::helpers::PASSWORD).await;
}

#[tokio::test]
async fn a_second_convo_process_is_refused_with_the_first_ones_pid() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::create(dir.path()).await;
    let (mut first, addr) = start_server(dir.path(), &db.url);
    let out = run_to_exit(convo(dir.path()).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--server-name",
        "localhost",
        "--database-url",
        &db.url,
    ]));
    assert!(!out.status.success());
    let all = printed(&out);
    assert!(all.contains("in use by another Convo server"), "{all}");
    assert!(
        all.contains(&format!("pid={}", first.id()))
            || all.contains(&format!("pid {}", first.id())),
        "names the first server's process {}: {all}",
        first.id()
    );
    let ready = reqwest::get(format!("http://{addr}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200, "the first server still serves");
    assert!(terminate(&mut first).success());
    let (mut again, _) = start_server(dir.path(), &db.url);
    terminate(&mut again);
}
