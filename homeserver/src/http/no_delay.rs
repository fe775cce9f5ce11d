//! The listener's acceptor, with Nagle's algorithm off on every connection. Chat traffic is
//! small frames that must go out at once: with Nagle on, an ack or event written while an
//! earlier segment is unacknowledged waits for the peer's delayed ACK, milliseconds each.

use std::io::Result as IoResult;

use poem::http::uri::Scheme;
use poem::listener::{Acceptor, TcpAcceptor};
use poem::web::{LocalAddr, RemoteAddr};
use tokio::net::TcpStream;

pub struct NoDelayAcceptor(pub TcpAcceptor);

impl std::fmt::Debug for NoDelayAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("NoDelayAcceptor")
            .field(&self.0.local_addr())
            .finish()
    }
}

impl Acceptor for NoDelayAcceptor {
    type Io = TcpStream;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.0.local_addr()
    }

    async fn accept(&mut self) -> IoResult<(TcpStream, LocalAddr, RemoteAddr, Scheme)> {
        let (io, local, remote, scheme) = self.0.accept().await?;
        if let Err(err) = io.set_nodelay(true) {
            tracing::debug!(cause = %err, "cannot turn off Nagle's algorithm");
        }
        Ok((io, local, remote, scheme))
    }
}
