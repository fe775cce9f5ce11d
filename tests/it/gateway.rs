//! The WebSocket gateway over real sockets: hello, sending, fan-out, resume, receipts,
//! typing, presence, notifications, limits.

mod basics;
