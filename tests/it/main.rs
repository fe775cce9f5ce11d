//! Black-box integration tests: every test boots real homeservers on 127.0.0.1:0 with a
//! database of its own (SQLite, or PostgreSQL when `CONVO_TEST_POSTGRES_URL` is set).
//! One test binary, because each one links the whole dependency graph.

mod helpers;

mod accounts;
mod asyncapi;
mod binary;
mod connections;
mod gateway;
mod health;
mod nul_input;
mod openapi;
mod profiles;
mod rooms;
mod sessions;
mod shutdown;
mod snapshots;
mod startup;
mod terminal_chat;
mod tidy;
