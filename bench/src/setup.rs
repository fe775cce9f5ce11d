//! Setup over REST: fresh users (register, then log in once each), groups, and the gateway URL.

use anyhow::{Context as _, Result, bail};
use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use serde_json::{Value, json};

/// What to do about HTTP 429 on registration or login.
const RATE_LIMIT_HINT: &str = "the server rate-limits registration and login per address; \
start it with CONVO__RATE_LIMITS__REGISTER_PER_ADDRESS=1000000 \
CONVO__RATE_LIMITS__LOGIN_PER_ADDRESS=1000000";

/// Satisfies the strength checks (long enough, not common, not containing the username).
const PASSWORD: &str = "load-Test-secret-4711";

/// A logged-in user: one device, whose token every connection of the user shares.
#[derive(Debug, Clone)]
pub struct User {
    pub user_id: String,
    pub token: String,
}

/// The homeserver's REST API.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    pub fn new(server: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            http,
            base: server.trim_end_matches('/').to_owned(),
        })
    }

    /// The gateway's WebSocket URL.
    pub fn ws_url(&self) -> Result<String> {
        let rest = if let Some(rest) = self.base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else if let Some(rest) = self.base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else {
            bail!("--server must start with http:// or https://");
        };
        Ok(format!("{rest}/api/v1/ws"))
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Result<Value> {
        let mut request = self
            .http
            .post(format!("{}/api/v1{path}", self.base))
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("POST {path}: is the server running at {}?", self.base))?;
        let status = response.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            bail!("POST {path}: HTTP 429 Too Many Requests: {RATE_LIMIT_HINT}");
        }
        let text = response.text().await.context("reading the response")?;
        if !status.is_success() {
            bail!("POST {path}: HTTP {status}: {text}");
        }
        serde_json::from_str(&text).with_context(|| format!("POST {path}: not JSON: {text}"))
    }

    /// Registers `username` and logs in once.
    pub async fn create_user(&self, username: &str) -> Result<User> {
        self.post(
            "/auth/register",
            None,
            json!({ "username": username, "password": PASSWORD }),
        )
        .await?;
        let login = self
            .post(
                "/auth/login",
                None,
                json!({ "username": username, "password": PASSWORD, "device_name": "convo-bench" }),
            )
            .await?;
        let field = |name: &str| {
            login[name]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("login answer without `{name}`: {login}"))
        };
        Ok(User {
            user_id: field("user_id")?,
            token: field("access_token")?,
        })
    }

    /// Creates a group owned by `owner` with `members` (user ids) besides; returns its id.
    pub async fn create_group(&self, owner: &User, name: &str, members: &[&str]) -> Result<String> {
        let room = self
            .post(
                "/rooms",
                Some(&owner.token),
                json!({ "name": name, "members": members }),
            )
            .await?;
        room["room_id"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("create-group answer without `room_id`: {room}"))
    }
}

impl Api {
    /// Sends a text message to `room` as `sender`.
    pub async fn send_message(
        &self,
        sender: &User,
        room: &str,
        txn_id: &str,
        text: &str,
    ) -> Result<Value> {
        self.post(
            &format!("/rooms/{room}/messages"),
            Some(&sender.token),
            json!({ "txn_id": txn_id, "text": text }),
        )
        .await
    }
}

/// A random prefix for this run's user names and message ids, e.g. `b1a2c3`.
pub fn run_prefix() -> String {
    format!("b{:06x}", rand::random::<u32>() & 0x00ff_ffff)
}

/// Creates `count` users named `<prefix>u<i>`, `concurrency` at a time, in order.
pub async fn create_users(
    api: &Api,
    prefix: &str,
    count: usize,
    concurrency: usize,
) -> Result<Vec<User>> {
    eprintln!("setup: creating {count} users ({prefix}u0..) and logging each in once");
    let step = (count / 10).max(1);
    let mut done = 0;
    stream::iter(0..count)
        .map(|i| async move { api.create_user(&format!("{prefix}u{i}")).await })
        .buffered(concurrency.max(1))
        .inspect(|_| {
            done += 1;
            if done % step == 0 {
                eprintln!("setup: {done} users ready");
            }
        })
        .try_collect()
        .await
}

/// Creates one group per entry of `rooms` (indices into `users`; the first is the owner).
pub async fn create_groups(
    api: &Api,
    prefix: &str,
    users: &[User],
    rooms: &[Vec<usize>],
    concurrency: usize,
) -> Result<Vec<String>> {
    eprintln!("setup: creating {} groups", rooms.len());
    stream::iter(rooms.iter().enumerate())
        .map(|(r, members)| async move {
            let (owner, rest) = members.split_first().context("a group without members")?;
            let rest: Vec<&str> = rest.iter().map(|&m| users[m].user_id.as_str()).collect();
            api.create_group(&users[*owner], &format!("{prefix} room {r}"), &rest)
                .await
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await
}
