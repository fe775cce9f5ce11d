//! Shared test helpers: the test server, its database, and a small JSON client.

mod client;
pub mod db;
mod server;
mod ws;

#[allow(unused_imports)]
pub use client::Reply;
#[allow(unused_imports)]
pub use server::{TestServer, TestUser, convo_binary, workspace_binary};
#[allow(unused_imports)]
pub use ws::{WAIT, Ws};

/// A password that passes every strength rule.
pub const PASSWORD: &str = "correct horse battery staple";
