//! The server's configuration: one struct, layered from defaults, a TOML file, `CONVO__…`
//! environment variables and command-line flags.

mod ip_range;
mod load;
mod sample;
mod secret;
mod warnings;

use std::net::SocketAddr;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use ip_range::IpRange;
pub use load::{ConfigError, Overrides, load};
pub use sample::sample_config;
pub use secret::Secret;
pub use warnings::warnings;

/// Everything a Convo homeserver can be told. Every field has a sane default, so an empty file
/// (or no file) gives a working server on `127.0.0.1:8008` with SQLite under `./convo-data/`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The public name of this server: the part after `:` in `@alice:example.org`.
    /// It can never change once users exist. A DNS name, optionally with a port.
    pub server_name: String,
    /// Address and port the HTTP server listens on.
    pub listen: SocketAddr,
    /// Folder for the SQLite database, the signing key and (later) media.
    pub data_dir: PathBuf,
    /// Database to use: `sqlite://path/to/convo.db` or `postgres://user:pass@host/db`.
    /// Empty means SQLite at `<data_dir>/convo.db`.
    pub database_url: Secret<String>,
    /// The server's ed25519 signing key file. Empty means `<data_dir>/signing.key`;
    /// `convo serve` creates it on first start if it does not exist.
    pub signing_key_path: PathBuf,
    /// Database connection pool.
    pub database: DatabaseConfig,
    /// Logging.
    pub log: LogConfig,
    /// Who may create an account.
    pub registration: RegistrationConfig,
    /// Tokens and passwords.
    pub auth: AuthConfig,
    /// Limits on request rates.
    pub rate_limits: RateLimitConfig,
    /// Limits on HTTP requests.
    pub http: HttpConfig,
    /// Rooms and messages.
    pub rooms: RoomsConfig,
    /// The real-time WebSocket gateway.
    pub gateway: GatewayConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            server_name: "localhost:8008".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8008)),
            data_dir: PathBuf::from("./convo-data"),
            database_url: Secret::new(String::new()),
            signing_key_path: PathBuf::new(),
            database: DatabaseConfig::default(),
            log: LogConfig::default(),
            registration: RegistrationConfig::default(),
            auth: AuthConfig::default(),
            rate_limits: RateLimitConfig::default(),
            http: HttpConfig::default(),
            rooms: RoomsConfig::default(),
            gateway: GatewayConfig::default(),
        }
    }
}

impl Config {
    /// The database URL in effect: the configured one, or SQLite inside the data folder.
    pub fn effective_database_url(&self) -> String {
        let url = self.database_url.expose();
        if url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("convo.db").display())
        } else {
            url.clone()
        }
    }

    /// The signing key path in effect.
    pub fn effective_signing_key_path(&self) -> PathBuf {
        if self.signing_key_path.as_os_str().is_empty() {
            self.data_dir.join("signing.key")
        } else {
            self.signing_key_path.clone()
        }
    }
}

/// Database connection pool settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Largest number of open connections. SQLite: of reading connections (at most 8), besides
    /// the one connection that makes every write.
    pub max_connections: u32,
    /// Seconds to wait for a free connection before a request fails. SQLite: also how long a
    /// write waits for its turn on the writing connection.
    pub acquire_timeout_secs: u64,
    /// SQLite: page cache per connection, in MiB (filled only as pages are used). A larger
    /// cache keeps the indexes that every new message touches in memory.
    pub sqlite_cache_mib: u32,
    /// SQLite: pages the write-ahead log may hold before a commit copies them back into the
    /// database file. Pages written again before that are copied once, so a larger value means
    /// less writing under load and a larger `-wal` file.
    pub sqlite_wal_autocheckpoint_pages: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout_secs: 10,
            sqlite_cache_mib: 32,
            sqlite_wal_autocheckpoint_pages: 16_384,
        }
    }
}

/// How log lines look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines for a terminal.
    #[default]
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Logging settings.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `pretty` for a terminal, `json` for log collectors.
    pub format: LogFormat,
    /// Which messages to show, in `tracing` filter syntax, e.g. `info` or `convo_homeserver=debug,info`.
    /// The `RUST_LOG` environment variable overrides it.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            filter: "info".into(),
        }
    }
}

/// Who may register.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationPolicy {
    /// Anyone who can reach the server.
    #[default]
    Open,
    /// Only with a registration token created by an admin.
    Token,
    /// Nobody (the first account on a fresh server is still allowed, and becomes admin).
    Closed,
}

/// Registration settings.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrationConfig {
    /// `open`, `token` or `closed`. The first account on a fresh server is always allowed
    /// and becomes an admin.
    pub policy: RegistrationPolicy,
}

/// Token lifetimes and password rules.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Lifetime of an access token (JWT), in seconds.
    pub access_token_ttl_secs: u64,
    /// A device that has not refreshed for this many days must log in again.
    pub refresh_token_ttl_days: u64,
    /// Shortest accepted password, in characters.
    pub min_password_length: usize,
    /// argon2id memory cost in KiB (OWASP: at least 19456).
    pub argon2_memory_kib: u32,
    /// argon2id time cost (iterations).
    pub argon2_iterations: u32,
    /// Threads that hash passwords. Each holds up to the memory cost while it works.
    pub password_hash_threads: usize,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_days: 30,
            min_password_length: 8,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            password_hash_threads: 2,
        }
    }
}

/// Request rate limits.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Login attempts allowed from one IP address per window.
    pub login_per_address: u32,
    /// Failed login attempts allowed for one account per window.
    pub login_failures_per_account: u32,
    /// Length of the login rate-limit window, in seconds.
    pub login_window_secs: u64,
    /// Registrations allowed from one IP address per window.
    pub register_per_address: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            login_per_address: 30,
            login_failures_per_account: 10,
            login_window_secs: 300,
            register_per_address: 10,
        }
    }
}

/// HTTP limits.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Largest accepted request body for the JSON API, in bytes.
    pub max_body_bytes: usize,
    /// Seconds to wait for open requests to finish on shutdown.
    pub shutdown_grace_secs: u64,
    /// Reverse proxies in front of this server: IP addresses or CIDR ranges, e.g.
    /// `["127.0.0.1", "10.0.0.0/8"]`. For a connection from one of them, the client's address
    /// (which rate limits count by, and device lists show) is the rightmost address in
    /// `forwarded_header` that is not itself a trusted proxy; from any other peer that header
    /// is ignored. Empty: no proxy is trusted, and the client is the TCP peer.
    pub trusted_proxies: Vec<IpRange>,
    /// The header the trusted proxies put the client's address in: `x-forwarded-for`, or
    /// `forwarded` (RFC 7239). Only this one is read: a client could add the other itself.
    pub forwarded_header: ForwardedHeader,
    /// Seconds a client has to send a request's head (request line and headers), from when it
    /// connects or, on a kept-alive connection, from the first byte of its next request.
    /// Slower clients are disconnected.
    pub header_read_timeout_secs: u64,
    /// Seconds a connection may go without a byte either way before it is closed: kept alive
    /// between requests, a request body that stops arriving, a response the client stops
    /// reading. Not WebSockets, whose heartbeats are `gateway.heartbeat_secs`.
    pub idle_timeout_secs: u64,
    /// Open connections (WebSockets included) one client address may have; one more is closed
    /// at once. Connections from `trusted_proxies` are not counted. Raise it when many users
    /// share one address (a large NAT) without a proxy in front.
    pub max_connections_per_address: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            shutdown_grace_secs: 10,
            trusted_proxies: Vec::new(),
            forwarded_header: ForwardedHeader::XForwardedFor,
            header_read_timeout_secs: 10,
            idle_timeout_secs: 60,
            max_connections_per_address: 256,
        }
    }
}

/// The header in which trusted reverse proxies forward the client's address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, …` (nginx, HAProxy, Caddy, Traefik, Envoy).
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1, …` (RFC 7239).
    Forwarded,
}

/// Rooms and messages.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RoomsConfig {
    /// Most members a group may have.
    pub max_members: usize,
    /// Longest message text, in characters.
    pub max_message_length: usize,
    /// Most events one history page returns.
    pub max_history_page: u32,
    /// Most writes the sequencer commits in one transaction (group commit).
    pub max_batch: usize,
    /// Rooms whose state (members, roles, last seq) the sequencer keeps in memory, the most
    /// recently used; others are read from the database when next used. Also the number of
    /// rooms whose member lists are kept for typing and receipts.
    pub cached_rooms: usize,
    /// Transactions of the newest messages kept in memory (as 64-bit keys) to spot retries:
    /// a message whose transaction is among them is looked up before it is decided; any other
    /// is decided at once, and the database's unique index catches an older retry.
    pub recent_transactions: usize,
}

impl Default for RoomsConfig {
    fn default() -> Self {
        Self {
            max_members: 256,
            max_message_length: 4096,
            max_history_page: 200,
            max_batch: 2048,
            cached_rooms: 10_000,
            recent_transactions: 16_384,
        }
    }
}

/// The real-time WebSocket gateway at `/api/v1/ws`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// Largest frame a client may send, in bytes; a larger one closes the connection (1009).
    pub max_frame_bytes: usize,
    /// Frames queued for one connection before it is closed as too slow (code 4000: resume).
    pub outbound_queue: usize,
    /// Seconds a new connection has to send its `hello` frame.
    pub hello_timeout_secs: u64,
    /// Seconds between server pings; a client silent for two intervals is disconnected.
    pub heartbeat_secs: u64,
    /// Seconds a connection's socket may take none of the frames owed to it before the
    /// connection is closed (4000: resume later). A client that stops reading is cut off
    /// after this, however small its receive buffer.
    pub write_timeout_secs: u64,
    /// Most missed events a reconnecting device is sent; further behind, it gets a snapshot.
    pub max_resume_events: u32,
    /// Requests one connection may have in flight at once.
    pub max_in_flight: usize,
    /// Seconds a typing indicator lasts unless renewed.
    pub typing_ttl_secs: u64,
    /// Seconds after the last connection closes before a user shows as offline.
    pub presence_grace_secs: u64,
    /// Milliseconds over which delivery and read receipts are gathered before they are
    /// written and sent (one write and one frame per room for many receipts).
    pub receipt_flush_ms: u64,
    /// tungstenite's read buffer per connection, in bytes (at least 1024). Its default,
    /// 128 KiB, costs memory on every idle socket; client frames are small, and a larger one
    /// is read in several steps.
    pub read_buffer_bytes: usize,
    /// Bytes of outgoing frames gathered per connection before they are written to the
    /// socket; whatever is left goes at the end of each burst. Larger means fewer writes under
    /// load; a busy connection keeps a buffer about this size.
    pub write_buffer_bytes: usize,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            max_frame_bytes: 64 * 1024,
            outbound_queue: 8192,
            hello_timeout_secs: 10,
            heartbeat_secs: 30,
            write_timeout_secs: 10,
            max_resume_events: 10_000,
            max_in_flight: 64,
            typing_ttl_secs: 6,
            presence_grace_secs: 5,
            receipt_flush_ms: 50,
            read_buffer_bytes: 2048,
            write_buffer_bytes: 16 * 1024,
        }
    }
}
