//! The listener's acceptor: at most `http.max_connections_per_address` open connections per
//! client address (connections from `http.trusted_proxies` are not counted; one past the cap
//! is closed at once), and every connection a [`GuardedIo`] that enforces the HTTP timeouts.
//! Without these, clients that connect and send nothing hold a file descriptor each, forever.

use std::collections::HashMap;
use std::io::Result as IoResult;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::net::TcpStream;

use super::client_addr::is_trusted;
use super::guarded_io::{GuardedIo, Timeouts};
use super::metrics::Metrics;
use super::no_delay::NoDelayAcceptor;
use crate::config::{HttpConfig, IpRange};

/// Pause after a failed accept (such as running out of file descriptors), instead of trying
/// again at once, in a loop.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Accepts connections within the limits of `[http]`.
pub struct GuardedAcceptor {
    inner: NoDelayAcceptor,
    timeouts: Timeouts,
    per_address: u32,
    trusted_proxies: Vec<IpRange>,
    open: Arc<OpenConnections>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for GuardedAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedAcceptor")
            .field("inner", &self.inner)
            .field("timeouts", &self.timeouts)
            .field("per_address", &self.per_address)
            .finish_non_exhaustive()
    }
}

impl GuardedAcceptor {
    pub fn new(inner: NoDelayAcceptor, http: &HttpConfig, metrics: Arc<Metrics>) -> Self {
        Self {
            inner,
            timeouts: Timeouts {
                header: Duration::from_secs(http.header_read_timeout_secs),
                idle: Duration::from_secs(http.idle_timeout_secs),
            },
            per_address: http.max_connections_per_address,
            trusted_proxies: http.trusted_proxies.clone(),
            open: Arc::default(),
            metrics,
        }
    }
}

impl Acceptor for GuardedAcceptor {
    type Io = GuardedIo<TcpStream>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> IoResult<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        loop {
            let (io, local, remote, scheme) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(cause = %err, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            };
            let ip = remote.as_socket_addr().map(|addr| addr.ip().to_canonical());
            let slot = match ip {
                Some(ip) if !is_trusted(ip, &self.trusted_proxies) => {
                    match self.open.take(ip, self.per_address) {
                        Some(slot) => Some(slot),
                        None => {
                            self.metrics
                                .connections_refused
                                .fetch_add(1, Ordering::Relaxed);
                            tracing::debug!(%ip, "too many connections from one address");
                            drop(io);
                            continue;
                        }
                    }
                }
                _ => None,
            };
            let io = GuardedIo::new(io, self.timeouts, slot, self.metrics.clone());
            return Ok((io, local, remote, scheme));
        }
    }
}

/// Open connections per client address.
#[derive(Debug, Default)]
struct OpenConnections(Mutex<HashMap<IpAddr, u32>>);

impl OpenConnections {
    /// Counts one more connection from `ip`, unless it already has `limit`.
    fn take(self: &Arc<Self>, ip: IpAddr, limit: u32) -> Option<Slot> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(ip).or_insert(0);
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(Slot {
            open: self.clone(),
            ip,
        })
    }
}

/// One connection counted against its address, until dropped with the connection.
#[derive(Debug)]
pub struct Slot {
    open: Arc<OpenConnections>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_capped_per_address_and_freed_on_drop() {
        let open = Arc::new(OpenConnections::default());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = open.take(a, 2).unwrap();
        let second = open.take(a, 2).unwrap();
        assert!(open.take(a, 2).is_none());
        let other = open.take(b, 2).expect("another address has its own");
        drop(first);
        let third = open.take(a, 2).expect("freed by the closed one");
        drop((second, third, other));
        assert!(open.0.lock().unwrap().is_empty(), "no entry left behind");
    }
}
