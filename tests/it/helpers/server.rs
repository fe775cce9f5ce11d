//! `TestServer`: a real homeserver on 127.0.0.1:0 in the test's runtime, with its own data
//! folder and database, shut down when dropped. Logs only with `TEST_LOG=1`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Once;

use convo_homeserver::{Application, Config};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::PASSWORD;
use super::client::Reply;
use super::db::TestDb;

/// A running homeserver for one test.
#[derive(Debug)]
pub struct TestServer {
    pub addr: SocketAddr,
    pub server_name: String,
    pub client: reqwest::Client,
    /// Kept for its lifetime: the folder goes when the server does.
    _data_dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// Kept for its lifetime: a PostgreSQL test database is dropped with it.
    _db: TestDb,
    /// The server's own pool, to simulate a database outage.
    pool: convo_homeserver::db::Db,
    /// The server's services, for the few tests that must call one directly.
    state: convo_homeserver::state::AppState,
}

/// A server application started in the test's runtime.
struct Running {
    addr: SocketAddr,
    server_name: String,
    pool: convo_homeserver::db::Db,
    state: convo_homeserver::state::AppState,
    shutdown: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn start(config: Config) -> Self {
        let app = Application::build(config)
            .await
            .expect("test server starts");
        let (shutdown, stopped) = oneshot::channel::<()>();
        Self {
            addr: app.local_addr(),
            server_name: app.state().server_name.to_string(),
            pool: app.state().db.clone(),
            state: app.state().clone(),
            shutdown,
            task: tokio::spawn(app.run_until_stopped(async {
                let _ = stopped.await;
            })),
        }
    }
}

/// A registered, logged-in user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub username: String,
    pub user_id: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
    pub device_id: String,
}

fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        convo_homeserver::cli::rustls_provider();
        if std::env::var_os("TEST_LOG").is_some() {
            convo_homeserver::telemetry::init(&convo_homeserver::config::LogConfig {
                filter: "debug,sqlx=warn,hyper=info".into(),
                ..Default::default()
            })
            .expect("the test log filter is valid");
        }
    });
}

/// The configuration every test server starts from: loopback, cheap password hashing,
/// generous rate limits.
pub fn test_config(data_dir: PathBuf, database_url: String) -> Config {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().expect("address"),
        server_name: "localhost".into(),
        data_dir,
        ..Config::default()
    };
    config.database_url = convo_homeserver::config::Secret::new(database_url);
    config.auth.argon2_memory_kib = 64;
    config.auth.argon2_iterations = 1;
    config.rate_limits.login_per_address = 10_000;
    config.rate_limits.login_failures_per_account = 10_000;
    config.rate_limits.register_per_address = 10_000;
    config.database.max_connections = 4;
    config.http.shutdown_grace_secs = 1;
    config
}

impl TestServer {
    /// A server with the test defaults.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A server with the test defaults changed by `tweak`.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        init_logging();
        let data_dir = tempfile::tempdir().expect("temporary folder");
        let db = TestDb::create(data_dir.path()).await;
        let mut config = test_config(data_dir.path().to_path_buf(), db.url.clone());
        tweak(&mut config);
        let running = Running::start(config).await;
        Self {
            addr: running.addr,
            server_name: running.server_name,
            client: reqwest::Client::new(),
            _data_dir: data_dir,
            shutdown: Some(running.shutdown),
            task: Some(running.task),
            _db: db,
            pool: running.pool,
            state: running.state,
        }
    }

    /// Stops the server and starts it again on the same folder and database, with the test
    /// defaults, on a new port.
    pub async fn restart(&mut self) {
        self.stop().await;
        let config = test_config(self._data_dir.path().to_path_buf(), self._db.url.clone());
        let running = Running::start(config).await;
        self.addr = running.addr;
        self.pool = running.pool;
        self.state = running.state;
        self.shutdown = Some(running.shutdown);
        self.task = Some(running.task);
    }

    /// Stops the server and waits until it has (its folder and database stay).
    pub async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// The test configuration on this server's folder and database: for starting a second
    /// server on the same data.
    pub fn config(&self) -> Config {
        test_config(self._data_dir.path().to_path_buf(), self._db.url.clone())
    }

    /// Closes the server's database pool: every later query fails as in an outage.
    pub async fn stop_database(&self) {
        self.pool.close().await;
    }

    /// Runs SQL on the server's own database, `sqlite` or `postgres` by backend: for tests
    /// that make the database refuse something.
    pub async fn execute_sql(&self, sqlite: &'static str, postgres: &'static str) {
        match &self.pool {
            convo_homeserver::db::Db::Sqlite(pools) => {
                sqlx::raw_sql(sqlite)
                    .execute(&pools.write)
                    .await
                    .expect("sqlite sql");
            }
            convo_homeserver::db::Db::Postgres(pool) => {
                sqlx::raw_sql(postgres)
                    .execute(pool)
                    .await
                    .expect("postgres sql");
            }
        }
    }

    /// The server's services: for a test that needs requests to reach one together, which
    /// requests over sockets cannot be made to do.
    pub fn state(&self) -> &convo_homeserver::state::AppState {
        &self.state
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends a JSON request (`body` None: no body) with an optional bearer token.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Reply::send(request).await
    }

    /// Sends raw bytes with the given content type.
    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("content-type", content_type)
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Reply::send(request).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Registers `username` with [`PASSWORD`]; panics unless it succeeds.
    pub async fn register(&self, username: &str) -> Value {
        let reply = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({ "username": username, "password": PASSWORD }),
            )
            .await;
        reply.assert_status(201).clone()
    }

    /// Logs in `username` with `password` as a new device; panics unless it succeeds.
    pub async fn login(&self, username: &str, password: &str) -> TestUser {
        let reply = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "username": username, "password": password, "device_name": "test device" }),
            )
            .await;
        let body = reply.assert_status(200);
        TestUser {
            username: username.to_owned(),
            user_id: body["user_id"].as_str().expect("user_id").to_owned(),
            password: password.to_owned(),
            access_token: body["access_token"]
                .as_str()
                .expect("access_token")
                .to_owned(),
            refresh_token: body["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .to_owned(),
            device_id: body["device_id"].as_str().expect("device_id").to_owned(),
        }
    }

    /// Registers and logs in `username`.
    pub async fn user(&self, username: &str) -> TestUser {
        self.register(username).await;
        self.login(username, PASSWORD).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The `convo` binary built alongside the tests (`cargo build --bins` first).
pub fn convo_binary() -> PathBuf {
    workspace_binary("convo")
}

/// A binary of the workspace built alongside the tests (`cargo build --workspace --bins`
/// first): `convo`, `convo-chat`, …
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/it-<hash> → target/<profile>/<name>
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join(name))
        .expect("target folder");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` before the tests",
        path.display()
    );
    path
}
