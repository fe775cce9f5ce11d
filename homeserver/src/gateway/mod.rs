//! The real-time gateway: the WebSocket at `/api/v1/ws` and the fan-out hub behind it.

pub mod hub;

pub use hub::Hub;
