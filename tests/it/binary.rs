//! The `convo` binary as a user runs it: `init`, `serve` on defaults and from a config file,
//! clear errors for bad configuration, graceful shutdown on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::convo_binary;

pub(crate) fn convo(dir: &std::path::Path) -> Command {
    let mut command = Command::new(convo_binary());
    command
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    for (key, _) in std::env::vars() {
        if key.starts_with("CONVO__") || key == "CONVO_CONFIG" {
            command.env_remove(key);
        }
    }
    command
}

/// Waits for the "serving … on http://ADDR" line and returns ADDR.
pub(crate) fn wait_for_listen_line(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(rest) = line.split(" on http://").nth(1) {
            let addr = rest.split_whitespace().next().unwrap_or("").to_owned();
            std::thread::spawn(move || for _ in lines {});
            return addr;
        }
    }
    panic!("the server never said where it listens");
}

pub(crate) fn terminate(child: &mut Child) -> std::process::ExitStatus {
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn init_writes_config_and_private_key_and_refuses_to_overwrite() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let out = convo(dir.path())
        .args([
            "init",
            "--server-name",
            "chat.example.org",
            "--data-dir",
            "data",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("convo serve --config"), "{stdout}");
    let key = dir.path().join("data/signing.key");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let key_text = std::fs::read_to_string(&key).unwrap();
    assert!(key_text.starts_with("ed25519 "), "{key_text}");
    let config = std::fs::read_to_string(dir.path().join("data/convo.toml")).unwrap();
    assert!(
        config.contains("server_name = \"chat.example.org\""),
        "{config}"
    );
    assert!(config.contains("# "), "the config is commented");

    let again = convo(dir.path())
        .args([
            "init",
            "--server-name",
            "chat.example.org",
            "--data-dir",
            "data",
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("refusing to overwrite"));
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        key_text,
        "the key is untouched"
    );
}

#[tokio::test]
async fn serve_on_defaults_answers_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = convo(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let addr = wait_for_listen_line(&mut child);
    let health = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert!(
        dir.path().join("convo-data/convo.db").exists(),
        "SQLite in ./convo-data by default"
    );
    assert!(dir.path().join("convo-data/signing.key").exists());
    let status = terminate(&mut child);
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn serve_from_a_config_file_written_by_init() {
    let dir = tempfile::tempdir().unwrap();
    let init = convo(dir.path())
        .args(["init", "--data-dir", "d"])
        .output()
        .unwrap();
    assert!(init.status.success());
    let mut child = convo(dir.path())
        .args([
            "serve",
            "--config",
            "d/convo.toml",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = wait_for_listen_line(&mut child);
    let ready = reqwest::get(format!("http://{addr}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    assert!(dir.path().join("d/convo.db").exists());
    terminate(&mut child);
}

#[test]
fn bad_configuration_is_refused_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "listen = \"127.0.0.1:0\"\n[auth]\naccess_token_ttl = 5\n",
    )
    .unwrap();
    let out = convo(dir.path())
        .args(["serve", "--config", "bad.toml"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("access_token_ttl"), "{stderr}");

    let out = convo(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("CONVO__REGISTRATION__POLICY", "sometimes")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sometimes"), "{stderr}");

    let out = convo(dir.path())
        .args(["serve", "--config", "missing.toml"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

/// Starts `convo serve` on `dir` and `database_url`; returns the child and its address.
fn start_server(dir: &std::path::Path, database_url: &str) -> (Child, std::net::SocketAddr) {
    let mut child = convo(dir)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--server-name",
            "localhost",
            "--database-url",
            database_url,
        ])
        .env("CONVO__AUTH__ARGON2_MEMORY_KIB", "64")
        .env("CONVO__AUTH__ARGON2_ITERATIONS", "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = wait_for_listen_line(&mut child)
        .parse()
        .expect("listen address");
    (child, addr)
}

#[tokio::test]
async fn an_acknowledged_message_survives_kill_9() {
    use serde_json::{Value, json};

    use crate::helpers::db::TestDb;
    use crate::helpers::{PASSWORD, Ws};

    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::create(dir.path()).await;
    let (mut child, addr) = start_server(dir.path(), &db.url);
    let http = reqwest::Client::new();
    let post = |path: &str, token: Option<&str>, body: Value| {
        let mut request = http.post(format!("http://{addr}/api/v1{path}")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let path = path.to_owned();
        async move {
            let response = request.send().await.unwrap();
            assert!(
                response.status().is_success(),
                "{path}: {}",
                response.status()
            );
            response.json::<Value>().await.unwrap()
        }
    };
    let mut tokens = Vec::new();
    for name in ["alice", "bob"] {
        post(
            "/auth/register",
            None,
            json!({ "username": name, "password": PASSWORD }),
        )
        .await;
        let login = post(
            "/auth/login",
            None,
            json!({ "username": name, "password": PASSWORD }),
        )
        .await;
        tokens.push(login["access_token"].as_str().unwrap().to_owned());
    }
    let room = post(
        "/rooms/direct",
        Some(&tokens[0]),
        json!({ "user_id": "@bob:localhost" }),
    )
    .await;
    let room = room["room_id"].as_str().unwrap().to_owned();
    let (mut bob, _) = Ws::connect_at(addr, &tokens[1], None).await;
    let since = bob.next("snapshot").await["pos"].as_i64().unwrap();
    bob.close().await;

    let (mut alice, _) = Ws::connect_at(addr, &tokens[0], None).await;
    let ack = alice
        .request(json!({ "type": "send", "room_id": room, "txn_id": "durable-1", "text": "still here?" }))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    // The ack means the message is durable: kill the server hard, right now.
    Command::new("kill")
        .arg("-KILL")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    child.wait().unwrap();

    let (mut child, addr) = start_server(dir.path(), &db.url);
    let history: Value = http
        .get(format!(
            "http://{addr}/api/v1/rooms/{}/messages",
            room.replace('!', "%21").replace(':', "%3A")
        ))
        .bearer_auth(&tokens[1])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let texts: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["content"]["text"].as_str())
        .collect();
    assert_eq!(texts, ["still here?"]);

    let (mut bob, _) = Ws::connect_at(addr, &tokens[1], Some(since)).await;
    let event = bob.next("event").await;
    assert_eq!(event["event"]["event_id"], ack["event_id"]);
    let synced = bob.next("synced").await;
    assert_eq!(synced["pos"], ack["pos"]);
    bob.close().await;
    terminate(&mut child);
}
