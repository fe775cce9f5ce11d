//! The Convo homeserver: configuration, storage, the REST API and (soon) the real-time
//! gateway. [`startup::Application`] is the entry point; `main.rs` only parses arguments.

pub mod accounts;
pub mod api;
pub mod cli;
pub mod config;
pub mod data_lock;
pub mod db;
pub mod error;
pub mod gateway;
pub mod http;
pub mod ids;
pub mod private_files;
pub mod ratelimit;
pub mod rooms;
pub mod server_meta;
pub mod sessions;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod wire;

pub use config::Config;
pub use startup::Application;
