//! The README's "Chat in two terminals", automated: two `convo-chat` processes talk through a
//! homeserver, typed to through their standard input and read line by line from their output
//! (`cargo build --workspace --bins` builds the binaries).

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use crate::binary::{convo, terminate, wait_for_listen_line};
use crate::helpers::db::TestDb;
use crate::helpers::{PASSWORD, TestServer, WAIT, workspace_binary};

/// `convo serve` as a process, as the README runs it: stopping it ends its connections (a
/// server in the test's runtime would leave its WebSockets open).
struct ServerProcess {
    dir: tempfile::TempDir,
    db: TestDb,
    /// Where it listens: the same port on every start.
    addr: String,
    child: Option<std::process::Child>,
}

impl ServerProcess {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let db = TestDb::create(dir.path()).await;
        let mut server = Self {
            dir,
            db,
            addr: "127.0.0.1:0".to_owned(),
            child: None,
        };
        server.start_again();
        server
    }

    /// Starts it (again), on the same data and port.
    fn start_again(&mut self) {
        let mut child = convo(self.dir.path())
            .args([
                "serve",
                "--listen",
                &self.addr,
                "--server-name",
                "localhost",
            ])
            .args(["--database-url", &self.db.url])
            .env("CONVO__AUTH__ARGON2_MEMORY_KIB", "64")
            .env("CONVO__AUTH__ARGON2_ITERATIONS", "1")
            .env("CONVO__AUTH__ACCESS_TOKEN_TTL_SECS", "2")
            .env("CONVO__HTTP__SHUTDOWN_GRACE_SECS", "1")
            .stdout(Stdio::piped())
            .spawn()
            .expect("convo serve starts");
        self.addr = wait_for_listen_line(&mut child);
        self.child = Some(child);
    }

    /// Stops it as Ctrl-C would (SIGTERM).
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child);
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One running `convo-chat`.
struct Chat {
    name: &'static str,
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::UnboundedReceiver<String>,
    /// Every line so far, for the message of a failed expectation.
    seen: Vec<String>,
}

impl Chat {
    /// `convo-chat --username NAME --with WITH` against the server at `url`, registering first
    /// if asked.
    fn start(url: &str, name: &'static str, with: &str, register: bool) -> Self {
        let mut command = Command::new(workspace_binary("convo-chat"));
        command
            .args(["--server", url, "--username", name, "--with", with])
            .env("CONVO_PASSWORD", PASSWORD)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if register {
            command.arg("--register");
        }
        let mut child = command.spawn().expect("convo-chat starts");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut stdout = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = stdout.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            name,
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    async fn type_line(&mut self, line: &str) {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("write to convo-chat");
        self.stdin.flush().await.expect("flush to convo-chat");
    }

    /// The next line (after the ones already taken) that `pred` accepts, within [`WAIT`].
    async fn expect(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let line = match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => line,
                Ok(None) => panic!("{} ended before {what}: {:#?}", self.name, self.seen),
                Err(_) => panic!("{} never showed {what}: {:#?}", self.name, self.seen),
            };
            self.seen.push(line.clone());
            if pred(&line) {
                return line;
            }
        }
    }

    /// The next line that is exactly `line`.
    async fn expect_line(&mut self, line: &str) {
        self.expect(&format!("{line:?}"), |l| l == line).await;
    }

    /// Each of `lines`, in any order (lines already taken do not count).
    async fn expect_each(&mut self, lines: &[&str]) {
        let mut missing: Vec<&str> = lines.to_vec();
        while !missing.is_empty() {
            let what = format!("{missing:?}");
            let line = self.expect(&what, |l| missing.contains(&l)).await;
            missing.retain(|m| *m != line);
        }
    }

    /// Waits for the process to end by itself, within [`WAIT`].
    async fn exits(&mut self) -> ExitStatus {
        match tokio::time::timeout(WAIT, self.child.wait()).await {
            Ok(status) => status.expect("wait for convo-chat"),
            Err(_) => panic!("{} did not exit: {:#?}", self.name, self.seen),
        }
    }
}

/// The `seq` in a tick line such as `  ✓ sent (#3)`.
fn seq_of(line: &str) -> i64 {
    line.rsplit_once("(#")
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .and_then(|seq| seq.parse().ok())
        .unwrap_or_else(|| panic!("no seq in {line:?}"))
}

/// Types a message and returns its `seq`, from the sent tick.
async fn send(chat: &mut Chat, text: &str) -> i64 {
    chat.type_line(text).await;
    seq_of(
        &chat
            .expect("a sent tick", |l| l.starts_with("  ✓ sent (#"))
            .await,
    )
}

/// Alice starts first and waits for Bob, as in the README; both end up connected.
async fn alice_and_bob(url: &str) -> (Chat, Chat) {
    let mut alice = Chat::start(url, "alice", "bob", true);
    alice
        .expect_line("(waiting for @bob:localhost to register…)")
        .await;
    let mut bob = Chat::start(url, "bob", "alice", true);
    for chat in [&mut alice, &mut bob] {
        chat.expect("chatting", |l| l.starts_with("chatting with"))
            .await;
        chat.expect_line("(connected; 0 unread)").await;
    }
    (alice, bob)
}

#[tokio::test]
async fn ticks_go_sent_then_delivered_then_read_and_presence_shows_both_ways() {
    let server = TestServer::spawn().await;
    let (mut alice, mut bob) = alice_and_bob(&server.url("")).await;
    // Whoever connected first hears the other come online; the other has it in its snapshot.
    alice.expect_line("  @bob:localhost is online").await;
    bob.expect_line("  @alice:localhost is online").await;

    let seq = send(&mut alice, "hello bob").await;
    bob.expect_line("[@alice:localhost] hello bob").await;
    let delivered = format!("  ✓✓ delivered (#{seq})");
    let read = format!("  ✓✓ read (#{seq})");
    let first = alice
        .expect("a tick", |l| l == delivered || l == read)
        .await;
    assert_eq!(first, delivered, "delivered first: {:#?}", alice.seen);
    alice.expect_line(&read).await;

    // Typing shows on the other side.
    bob.type_line("/typing").await;
    alice.expect_line("  @bob:localhost is typing…").await;

    bob.type_line("/quit").await;
    assert!(bob.exits().await.success());
    alice.type_line("/quit").await;
    assert!(alice.exits().await.success());
}

#[tokio::test]
async fn after_a_restart_the_unread_messages_are_shown_before_they_are_read() {
    let server = TestServer::spawn().await;
    let (mut alice, mut bob) = alice_and_bob(&server.url("")).await;
    bob.type_line("/quit").await;
    assert!(bob.exits().await.success());

    let one = send(&mut alice, "one").await;
    let two = send(&mut alice, "two").await;
    let mut bob = Chat::start(&server.url(""), "bob", "alice", false);
    bob.expect_line("(connected; 2 unread)").await;
    bob.expect_line("[@alice:localhost] one").await;
    bob.expect_line("[@alice:localhost] two").await;
    // Read only now that Bob has them on screen.
    alice
        .expect_each(&[
            &format!("  ✓✓ read (#{one})"),
            &format!("  ✓✓ read (#{two})"),
        ])
        .await;

    bob.type_line("/quit").await;
    assert!(bob.exits().await.success());
    alice.type_line("/quit").await;
    assert!(alice.exits().await.success());
}

#[tokio::test]
async fn both_resume_after_the_server_restarts_with_their_tokens_expired_and_quit_while_down() {
    // Access tokens last 2 s.
    let mut server = ServerProcess::start().await;
    let (mut alice, mut bob) = alice_and_bob(&server.url()).await;
    // `exp` is whole seconds, checked with no leeway: the first tokens are dead by now.
    tokio::time::sleep(Duration::from_millis(3_100)).await;

    server.stop();
    for chat in [&mut alice, &mut bob] {
        chat.expect_line("(connection lost; resuming)").await;
    }
    // Typed while the server is away: sent once it is back.
    alice.type_line("typed meanwhile").await;
    server.start_again();
    alice.expect_line("(reconnected; caught up)").await;
    alice
        .expect("a sent tick", |l| l.starts_with("  ✓ sent (#"))
        .await;
    // In Bob's catch-up or after it, as he comes back before or after Alice.
    bob.expect_each(&[
        "(reconnected; caught up)",
        "[@alice:localhost] typed meanwhile",
    ])
    .await;
    let seq = send(&mut alice, "still here").await;
    bob.expect_line("[@alice:localhost] still here").await;
    alice.expect_line(&format!("  ✓✓ read (#{seq})")).await;

    // While it cannot reach the server, `/quit` still ends it.
    server.stop();
    for chat in [&mut alice, &mut bob] {
        chat.expect_line("(connection lost; resuming)").await;
        chat.type_line("/quit").await;
        assert!(chat.exits().await.success());
    }
}
