//! `convoctl status`: `GET /healthz` and `GET /readyz` on the homeserver.

use std::error::Error as _;
use std::fmt;
use std::process::ExitCode;

use reqwest::{Client, Url};

/// How much of an unexpected response body to show.
const MAX_BODY_SNIPPET: usize = 200;

/// What the two probes found.
#[derive(Debug, PartialEq, Eq)]
pub enum Health {
    /// `/healthz` and `/readyz` both succeeded.
    Ready,
    /// The process answers, but `/readyz` failed (typically the database is unavailable).
    NotReady {
        /// Why `/readyz` failed.
        detail: String,
    },
    /// The server answered `/healthz` with an error status.
    NotAlive {
        /// The status and body it answered.
        detail: String,
    },
    /// No HTTP answer at all: connection refused, DNS, TLS, timeout…
    Unreachable {
        /// The transport error.
        detail: String,
    },
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ready => f.write_str("alive, database ready"),
            Self::NotReady { detail } => write!(f, "alive, but NOT ready: {detail}"),
            Self::NotAlive { detail } => write!(f, "NOT alive: {detail}"),
            Self::Unreachable { detail } => write!(f, "unreachable: {detail}"),
        }
    }
}

/// Probes the server, prints one line, and exits 0 only if it is alive and ready.
#[allow(
    clippy::print_stdout,
    reason = "the status line is convoctl's output; errors go to stderr"
)]
pub async fn run(client: &Client, server: &Url) -> ExitCode {
    let health = check(client, server).await;
    let server = server.as_str().trim_end_matches('/');
    if health == Health::Ready {
        println!("server {server}: {health}");
        ExitCode::SUCCESS
    } else {
        eprintln!("server {server}: {health}");
        ExitCode::FAILURE
    }
}

/// Probes `/healthz`, then `/readyz`.
pub async fn check(client: &Client, server: &Url) -> Health {
    match probe(client, &endpoint(server, "healthz")).await {
        Err(Probe::Unreachable(detail)) => return Health::Unreachable { detail },
        Err(Probe::Failed(detail)) => return Health::NotAlive { detail },
        Ok(()) => {}
    }
    match probe(client, &endpoint(server, "readyz")).await {
        Ok(()) => Health::Ready,
        Err(Probe::Unreachable(detail) | Probe::Failed(detail)) => Health::NotReady { detail },
    }
}

/// Why a probe failed.
enum Probe {
    /// No HTTP response.
    Unreachable(String),
    /// A non-success HTTP response.
    Failed(String),
}

async fn probe(client: &Client, url: &Url) -> Result<(), Probe> {
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| Probe::Unreachable(error_chain(&e)))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    let snippet: String = body.trim().chars().take(MAX_BODY_SNIPPET).collect();
    let path = url.path();
    Err(Probe::Failed(if snippet.is_empty() {
        format!("{path} answered {status}")
    } else {
        format!("{path} answered {status}: {snippet}")
    }))
}

/// `server` with `path` appended as a last segment (keeping any base path the server lives under).
fn endpoint(server: &Url, path: &str) -> Url {
    let mut url = server.clone();
    // Every http(s) URL can be a base, so this only skips URLs the CLI already rejects.
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().push(path);
    }
    url
}

/// The error and all its causes, as `outer: inner: innermost`.
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    use super::*;

    /// Serves `(path, status, body)` answers over plain HTTP/1.1; unknown paths get 404.
    async fn fake_server(routes: &'static [(&'static str, u16, &'static str)]) -> Url {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let request = String::from_utf8_lossy(&request);
                let path = request.split(' ').nth(1).unwrap_or("");
                let (status, body) = routes
                    .iter()
                    .find(|(p, _, _)| *p == path)
                    .map_or((404, ""), |(_, s, b)| (*s, *b));
                let response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            }
        });
        Url::parse(&format!("http://{addr}")).unwrap()
    }

    fn client() -> Client {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        // No proxy: a proxy from the environment must not intercept loopback test traffic.
        Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn ready_server() {
        let url = fake_server(&[("/healthz", 200, "ok"), ("/readyz", 200, "ok")]).await;
        let health = check(&client(), &url).await;
        assert_eq!(health, Health::Ready);
        assert_eq!(health.to_string(), "alive, database ready");
    }

    #[tokio::test]
    async fn not_ready_server() {
        let url = fake_server(&[("/healthz", 200, ""), ("/readyz", 503, "database down\n")]).await;
        let health = check(&client(), &url).await;
        assert_eq!(
            health,
            Health::NotReady {
                detail: "/readyz answered 503 Service Unavailable: database down".to_owned()
            }
        );
    }

    #[tokio::test]
    async fn not_alive_server() {
        let url = fake_server(&[("/healthz", 500, "")]).await;
        let health = check(&client(), &url).await;
        assert_eq!(
            health,
            Health::NotAlive {
                detail: "/healthz answered 500 Internal Server Error".to_owned()
            }
        );
    }

    #[tokio::test]
    async fn unreachable_server() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let url = Url::parse(&format!("http://{addr}")).unwrap();
        match check(&client(), &url).await {
            Health::Unreachable { detail } => assert!(!detail.is_empty()),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn keeps_base_path() {
        let url = fake_server(&[("/convo/healthz", 200, ""), ("/convo/readyz", 200, "")]).await;
        let base = url.join("convo").unwrap();
        assert_eq!(check(&client(), &base).await, Health::Ready);
        let base = url.join("convo/").unwrap();
        assert_eq!(check(&client(), &base).await, Health::Ready);
    }

    #[test]
    fn endpoint_appends_a_segment() {
        let url = |s| Url::parse(s).unwrap();
        let cases = [
            ("http://127.0.0.1:8008", "http://127.0.0.1:8008/healthz"),
            ("http://127.0.0.1:8008/", "http://127.0.0.1:8008/healthz"),
            (
                "https://example.org/convo",
                "https://example.org/convo/healthz",
            ),
            (
                "https://example.org/convo/",
                "https://example.org/convo/healthz",
            ),
        ];
        for (server, expected) in cases {
            assert_eq!(endpoint(&url(server), "healthz").as_str(), expected);
        }
    }
}
