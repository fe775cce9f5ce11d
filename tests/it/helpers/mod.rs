//! Shared test helpers: the test server, its database, a small JSON client whose every answer
//! is checked against the OpenAPI document (`contract`), a WebSocket client whose every frame
//! is checked against the AsyncAPI document (`ws`, `asyncapi`), the schema validator behind
//! both (`schema`), and duplicate-refusing parsers (`strict`); direct SQL on a server's
//! database (`sql`), its `/metrics` (`metrics`), a WebSocket written byte by byte (`raw_ws`),
//! and redacted transcripts for the wire snapshots (`transcript`).

pub mod asyncapi;
mod client;
pub mod contract;
pub mod db;
pub mod metrics;
pub mod raw_ws;
pub mod schema;
mod server;
pub mod sql;
pub mod strict;
pub mod transcript;
mod ws;

#[allow(unused_imports)]
pub use client::Reply;
#[allow(unused_imports)]
pub use server::{TestServer, TestUser, convo_binary, test_config, workspace_binary};
#[allow(unused_imports)]
pub use ws::{WAIT, Ws};

/// A password that passes every strength rule.
pub const PASSWORD: &str = "correct horse battery staple";
