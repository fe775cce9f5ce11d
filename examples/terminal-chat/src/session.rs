//! Signing in and staying signed in: an access token lasts minutes (15 by default), so it is
//! swapped for a new one shortly before it expires, or when the server says it has, with the
//! refresh token (`POST /api/v1/auth/refresh`), which rotates on every use. When the refresh
//! token is refused too (the device was logged out, or it was not used for a month), the
//! chat logs in again, as a new device.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

/// Codes that mean "this access token will not do": sign in again and retry.
const AUTH_CODES: [&str; 4] = [
    "TOKEN_EXPIRED",
    "INVALID_TOKEN",
    "SESSION_REVOKED",
    "MISSING_TOKEN",
];

/// One device's session on the homeserver.
#[derive(Debug)]
pub struct Session {
    http: reqwest::Client,
    /// `http(s)://host:port`, without a trailing slash.
    server: String,
    username: String,
    password: String,
    /// Mine, as the server spells it (`@name:server`).
    pub user_id: String,
    access_token: String,
    refresh_token: String,
    /// When to swap the access token: a little before it expires.
    renew_at: Instant,
}

impl Session {
    /// Logs in (creating the account first if `register`).
    pub async fn start(
        server: &str,
        username: &str,
        password: &str,
        register: bool,
    ) -> anyhow::Result<Self> {
        let mut session = Self {
            http: reqwest::Client::new(),
            server: server.trim_end_matches('/').to_owned(),
            username: username.to_owned(),
            password: password.to_owned(),
            user_id: String::new(),
            access_token: String::new(),
            refresh_token: String::new(),
            renew_at: Instant::now(),
        };
        if register {
            let reply = session
                .http
                .post(session.url("/auth/register"))
                .json(&json!({ "username": username, "password": password }))
                .send()
                .await?;
            if !reply.status().is_success() && reply.status() != 409 {
                bail!("register: {}", reply.text().await?);
            }
        }
        session.login().await?;
        Ok(session)
    }

    /// The URL of an API path (`/rooms`, …).
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.server)
    }

    /// The gateway's URL.
    pub fn ws_url(&self) -> String {
        format!("{}/api/v1/ws", self.server.replacen("http", "ws", 1))
    }

    async fn login(&mut self) -> anyhow::Result<()> {
        let reply = self
            .http
            .post(self.url("/auth/login"))
            .json(&json!({ "username": self.username, "password": self.password, "device_name": "convo-chat" }))
            .send()
            .await?;
        if !reply.status().is_success() {
            bail!("login: {}", reply.text().await?);
        }
        let tokens: Value = reply.json().await?;
        self.user_id = tokens["user_id"].as_str().context("no user id")?.to_owned();
        self.take(&tokens)
    }

    /// Keeps the tokens of a login or refresh answer.
    fn take(&mut self, tokens: &Value) -> anyhow::Result<()> {
        self.access_token = tokens["access_token"]
            .as_str()
            .context("no access token")?
            .to_owned();
        self.refresh_token = tokens["refresh_token"]
            .as_str()
            .context("no refresh token")?
            .to_owned();
        let lifetime = Duration::from_secs(tokens["expires_in"].as_u64().unwrap_or(60));
        // A quarter of its life early, at most 30 s: late enough to use it, early enough to
        // never present an expired one.
        self.renew_at = Instant::now() + lifetime - (lifetime / 4).min(Duration::from_secs(30));
        Ok(())
    }

    /// Gets new tokens: a refresh, or a new login if the server refuses the refresh token.
    /// Fails only if the server cannot be reached (or refuses the password).
    pub async fn renew(&mut self) -> anyhow::Result<()> {
        let reply = self
            .http
            .post(self.url("/auth/refresh"))
            .json(&json!({ "refresh_token": self.refresh_token }))
            .send()
            .await?;
        if reply.status().is_success() {
            return self.take(&reply.json().await?);
        }
        if reply.status() != reqwest::StatusCode::UNAUTHORIZED {
            bail!("refresh: {}", reply.status());
        }
        let refused: Value = reply.json().await.unwrap_or_default();
        println!(
            "(the session ended ({}); logging in again)",
            refused["code"].as_str().unwrap_or("refused")
        );
        self.login().await
    }

    /// An access token that is not about to expire.
    pub async fn token(&mut self) -> anyhow::Result<String> {
        if Instant::now() >= self.renew_at {
            self.renew().await?;
        }
        Ok(self.access_token.clone())
    }

    /// Sends a JSON request (`body` None: a GET) with a fresh token; if the token is refused
    /// all the same, signs in again and tries once more. Returns the status and the body.
    pub async fn call(
        &mut self,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(reqwest::StatusCode, Value)> {
        let (status, answer) = self.call_once(path, body).await?;
        if status == reqwest::StatusCode::UNAUTHORIZED && is_auth_error(&answer) {
            self.renew().await?;
            return self.call_once(path, body).await;
        }
        Ok((status, answer))
    }

    async fn call_once(
        &mut self,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(reqwest::StatusCode, Value)> {
        let token = self.token().await?;
        let request = match body {
            Some(body) => self.http.post(self.url(path)).json(body),
            None => self.http.get(self.url(path)),
        };
        let reply = request.bearer_auth(token).send().await?;
        let status = reply.status();
        Ok((status, reply.json().await.unwrap_or_default()))
    }
}

/// Whether an error answer (REST or gateway) means "this access token will not do".
pub fn is_auth_error(answer: &Value) -> bool {
    AUTH_CODES.contains(&answer["code"].as_str().unwrap_or(""))
}
