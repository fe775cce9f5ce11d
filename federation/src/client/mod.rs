//! [`FederationClient`]: HTTPS requests to other servers (reqwest + rustls with aws-lc-rs).
//!
//! - every request but the key document's is signed ([`crate::request`]);
//! - where to connect comes from discovery ([`crate::discovery`]): the peer map, or the
//!   server's name and its well-known delegation (cached);
//! - connect, read and whole-request timeouts; redirects are never followed (a 3xx is an
//!   error, [`ClientError::Redirected`]); answers are capped in size, before and while reading;
//! - no proxy from the environment; the addresses a target resolves to are checked against
//!   the [`TargetPolicy`] (SSRF), IP literals included;
//! - server certificates are verified against the platform's roots, or only against a CA
//!   given in config (test and private federations), or a peer's own CA from the peer map.
//!   No client certificate is ever sent: servers prove who they are by signed requests.

mod error;
mod resolver;
mod target_policy;

pub use error::ClientError;
pub use target_policy::TargetPolicy;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use self::resolver::{GuardedResolver, RefusedTarget, Shared};
use crate::api::{FederationEndpoint, Method};
use crate::clock::Clock;
use crate::discovery::{
    Endpoint, PeerMap, WELL_KNOWN_PATH, WellKnown, resolve_static, resolve_with_well_known,
};
use crate::keys::{BoxError, KeyFetcher, ServerKeys};
use crate::request::sign_request;
use crate::{RemoteErrorBody, ServerName, ServerSigningKey};

/// Largest well-known document read.
const MAX_WELL_KNOWN_BYTES: usize = 64 * 1024;

/// The client's settings; [`ClientConfig::new`] gives the defaults.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Time to establish a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Longest wait for the next bytes of an answer.
    pub read_timeout: Duration,
    /// Longest time for a whole request, answer included.
    pub request_timeout: Duration,
    /// Largest answer read, in bytes.
    pub max_response_bytes: usize,
    /// Which addresses may be connected to (SSRF).
    pub targets: TargetPolicy,
    /// If set, the only CAs trusted (PEM, one or more certificates); else the platform's roots.
    pub ca_pem: Option<Vec<u8>>,
    /// Endpoints fixed by config.
    pub peers: PeerMap,
    /// How long a discovery answer is kept.
    pub discovery_ttl: Duration,
    /// Servers whose endpoint is kept in memory.
    pub discovery_capacity: u64,
    /// The port well-known documents are fetched from: 443, except in tests.
    pub well_known_port: u16,
    /// Sent as `User-Agent`.
    pub user_agent: String,
}

impl ClientConfig {
    /// The defaults: 10 s to connect, 30 s per read and 60 s per request, 16 MiB answers,
    /// public addresses only, the platform's roots, no peer map, discovery kept 1 h.
    pub fn new() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            max_response_bytes: 16 * 1024 * 1024,
            targets: TargetPolicy::PUBLIC,
            ca_pem: None,
            peers: PeerMap::default(),
            discovery_ttl: Duration::from_secs(3600),
            discovery_capacity: 10_000,
            well_known_port: 443,
            user_agent: concat!("convo-federation/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// An answer: its status and body (2xx only; anything else is an error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Sends (signed) requests to other servers.
pub struct FederationClient {
    server_name: ServerName,
    key: Arc<ServerSigningKey>,
    clock: Arc<dyn Clock>,
    config: ClientConfig,
    http: reqwest::Client,
    /// Clients for peers with a CA of their own.
    peer_http: BTreeMap<ServerName, reqwest::Client>,
    discovered: moka::future::Cache<ServerName, Endpoint>,
}

impl std::fmt::Debug for FederationClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FederationClient")
            .field("server_name", &self.server_name)
            .field("key_id", self.key.key_id())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl FederationClient {
    /// A client signing as `server_name` with `key`.
    pub fn new(
        server_name: ServerName,
        key: Arc<ServerSigningKey>,
        clock: Arc<dyn Clock>,
        config: ClientConfig,
    ) -> Result<Self, ClientError> {
        let config_error = |reason: String| ClientError::Config { reason };
        let mut overrides = BTreeMap::new();
        for (server, _) in config.peers.entries() {
            let endpoint = config.peers.endpoint(server).expect("listed");
            if let Some(previous) =
                overrides.insert(endpoint.tls_name.clone(), endpoint.host.clone())
                && previous != endpoint.host
            {
                return Err(config_error(format!(
                    "two peers have the TLS name {} but different addresses",
                    endpoint.tls_name
                )));
            }
        }
        let resolver = Shared(Arc::new(GuardedResolver {
            policy: config.targets,
            overrides,
        }));
        let roots = match &config.ca_pem {
            Some(pem) => Some(
                reqwest::Certificate::from_pem_bundle(pem)
                    .map_err(|e| config_error(format!("the CA is not PEM: {e}")))?,
            ),
            None => None,
        };
        let http = build_http(&config, &resolver, roots)?;
        let mut peer_http = BTreeMap::new();
        for (server, entry) in config.peers.entries() {
            let Some(path) = &entry.ca_file else { continue };
            let pem = std::fs::read(path)
                .map_err(|e| config_error(format!("reading {}: {e}", path.display())))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| config_error(format!("{} is not PEM: {e}", path.display())))?;
            peer_http.insert(server.clone(), build_http(&config, &resolver, Some(certs))?);
        }
        let discovered = moka::future::Cache::builder()
            .max_capacity(config.discovery_capacity)
            .time_to_live(config.discovery_ttl)
            .build();
        Ok(Self {
            server_name,
            key,
            clock,
            config,
            http,
            peer_http,
            discovered,
        })
    }

    /// Our own server name, which requests are signed as.
    pub fn server_name(&self) -> &ServerName {
        &self.server_name
    }

    /// Where to reach `server` (peer map, name, or well-known delegation; cached).
    pub async fn discover(&self, server: &ServerName) -> Endpoint {
        if let Some(endpoint) = resolve_static(server, &self.config.peers) {
            return endpoint;
        }
        if let Some(endpoint) = self.discovered.get(server).await {
            return endpoint;
        }
        let well_known = self.fetch_well_known(server).await;
        let endpoint = resolve_with_well_known(server, well_known.as_ref());
        self.discovered
            .insert(server.clone(), endpoint.clone())
            .await;
        endpoint
    }

    /// Forgets what discovery found for `server` (e.g. after its endpoint stopped answering).
    pub async fn forget_endpoint(&self, server: &ServerName) {
        self.discovered.invalidate(server).await;
    }

    async fn fetch_well_known(&self, server: &ServerName) -> Option<WellKnown> {
        let url = format!(
            "https://{}:{}{WELL_KNOWN_PATH}",
            server.host(),
            self.config.well_known_port
        );
        let request = self.http.get(url);
        let body = self.execute(request, MAX_WELL_KNOWN_BYTES).await;
        match body {
            Ok(response) => serde_json::from_slice(&response.body).ok(),
            Err(error) => {
                tracing::debug!(%server, %error, "no well-known delegation");
                None
            }
        }
    }

    /// Sends a request to `destination`: `uri` is the path and query, signed unless `signed`
    /// is false (only the key document is fetched unsigned).
    pub async fn send(
        &self,
        destination: &ServerName,
        method: Method,
        uri: &str,
        body: Option<Vec<u8>>,
        signed: bool,
    ) -> Result<Response, ClientError> {
        let endpoint = self.discover(destination).await;
        if let Ok(ip) = endpoint.tls_name.parse::<IpAddr>()
            && let Some(reason) = self.config.targets.refusal(ip)
        {
            return Err(ClientError::ForbiddenTarget {
                host: endpoint.tls_name,
                reason,
            });
        }
        let url = format!("https://{}:{}{uri}", endpoint.url_host(), endpoint.port);
        let http = self.peer_http.get(destination).unwrap_or(&self.http);
        let body = body.unwrap_or_default();
        let mut request = match method {
            Method::Get => http.get(url),
            Method::Put => http.put(url),
            Method::Post => http.post(url),
        };
        if signed {
            let auth = sign_request(
                &self.key,
                &self.server_name,
                destination,
                method.as_str(),
                uri,
                &body,
                self.clock.now_ms(),
            );
            request = request.header(reqwest::header::AUTHORIZATION, auth.to_header());
        }
        if method != Method::Get {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        self.execute(request, self.config.max_response_bytes).await
    }

    /// Calls a typed endpoint of `destination`.
    pub async fn call<E: FederationEndpoint>(
        &self,
        destination: &ServerName,
        request: &E,
    ) -> Result<E::Response, ClientError> {
        let body = request.body().map_err(|e| ClientError::Transport {
            reason: format!("the request does not serialise: {e}"),
        })?;
        let response = self
            .send(destination, E::METHOD, &request.uri(), body, E::SIGNED)
            .await?;
        parse(&response.body)
    }

    /// `destination`'s key document, as served (verify it before use; the key cache does).
    pub async fn get_server_keys(
        &self,
        destination: &ServerName,
    ) -> Result<ServerKeys, ClientError> {
        self.call(destination, &crate::api::get_server_keys::Request)
            .await
    }

    async fn execute(
        &self,
        request: reqwest::RequestBuilder,
        max_bytes: usize,
    ) -> Result<Response, ClientError> {
        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(ClientError::Redirected { status });
        }
        if response
            .content_length()
            .is_some_and(|len| len > max_bytes as u64)
        {
            return Err(ClientError::ResponseTooLarge { max: max_bytes });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > max_bytes {
                return Err(ClientError::ResponseTooLarge { max: max_bytes });
            }
            body.extend_from_slice(&chunk);
        }
        if !(200..300).contains(&status) {
            return Err(ClientError::Rejected {
                status,
                error: RemoteErrorBody::parse(&body),
            });
        }
        Ok(Response { status, body })
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ClientError> {
    serde_json::from_slice(body).map_err(|e| ClientError::InvalidResponse {
        reason: e.to_string(),
    })
}

fn build_http(
    config: &ClientConfig,
    resolver: &Shared,
    roots: Option<Vec<reqwest::Certificate>>,
) -> Result<reqwest::Client, ClientError> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .https_only(true)
        .connect_timeout(config.connect_timeout)
        .read_timeout(config.read_timeout)
        .timeout(config.request_timeout)
        .user_agent(config.user_agent.clone())
        .dns_resolver(resolver.clone());
    if let Some(roots) = roots {
        builder = builder.tls_certs_only(roots);
    }
    builder.build().map_err(|e| ClientError::Config {
        reason: e.to_string(),
    })
}

/// The precise error for a failed request: a refused target, a timeout, a connect error.
fn transport_error(error: reqwest::Error) -> ClientError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<RefusedTarget>() {
            return ClientError::ForbiddenTarget {
                host: refused.host.clone(),
                reason: refused.reason,
            };
        }
        source = cause.source();
    }
    if error.is_timeout() {
        ClientError::Timeout
    } else if error.is_connect() {
        ClientError::Connect {
            reason: error_chain(&error),
        }
    } else {
        ClientError::Transport {
            reason: error_chain(&error),
        }
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl KeyFetcher for FederationClient {
    async fn fetch(&self, server: &ServerName) -> Result<ServerKeys, BoxError> {
        Ok(self.get_server_keys(server).await?)
    }
}

impl KeyFetcher for Arc<FederationClient> {
    async fn fetch(&self, server: &ServerName) -> Result<ServerKeys, BoxError> {
        Ok(self.get_server_keys(server).await?)
    }
}
