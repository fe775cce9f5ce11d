//! Discovery: where to connect to reach a server, and which name its certificate must have.
//!
//! In order of precedence:
//! 1. the **peer map** from config ([`PeerMap`]): `server name → host:port`, optionally with the
//!    TLS name to verify and a CA of its own. No lookup is made; this is how tests on loopback
//!    and private federations work.
//! 2. a server name that is an IP literal or has an explicit port is connected to directly
//!    (port 8448 by default), its host being the TLS name;
//! 3. otherwise `https://<server name>/.well-known/convo/server` may delegate:
//!    `{"convo.server": "host[:port]"}` (port 8448 by default), the delegated host being the TLS
//!    name (the certificate proves the delegate, as in Matrix);
//! 4. without a usable delegation: `<server name>:8448`.
//!
//! Either way the addresses a name resolves to are checked against the SSRF policy
//! ([`crate::client::TargetPolicy`]) before connecting. Servers prove who they are by their
//! signed requests and published keys only, never by TLS client certificates.

mod peer_map;
mod well_known;

pub use peer_map::{PeerEntry, PeerMap};
pub use well_known::{WELL_KNOWN_PATH, WellKnown};

use crate::ServerName;

/// The federation port when none is given.
pub const DEFAULT_PORT: u16 = 8448;

/// How an endpoint was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointSource {
    /// The peer map in config.
    PeerMap,
    /// The server's name itself (an IP literal or a name with a port, or no delegation).
    ServerName,
    /// A `/.well-known/convo/server` delegation.
    WellKnown,
}

/// Where to reach a server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The server this is the endpoint of.
    pub server_name: ServerName,
    /// The host to connect to: a DNS name, or an IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// The name the server's certificate must be valid for (also sent as SNI).
    pub tls_name: String,
    pub source: EndpointSource,
}

impl Endpoint {
    /// The endpoint of `server_name` without delegation: its host, its port or 8448.
    pub fn direct(server_name: &ServerName) -> Self {
        let host = unbracket(server_name.host()).to_owned();
        Self {
            server_name: server_name.clone(),
            tls_name: host.clone(),
            host,
            port: server_name.port().unwrap_or(DEFAULT_PORT),
            source: EndpointSource::ServerName,
        }
    }

    /// The endpoint a delegation to `target` (`host[:port]`) names.
    pub fn delegated(server_name: &ServerName, target: &ServerName) -> Self {
        let host = unbracket(target.host()).to_owned();
        Self {
            server_name: server_name.clone(),
            tls_name: host.clone(),
            host,
            port: target.port().unwrap_or(DEFAULT_PORT),
            source: EndpointSource::WellKnown,
        }
    }

    /// The host of the URL: the TLS name, bracketed if it is an IPv6 address.
    pub fn url_host(&self) -> String {
        if self.tls_name.contains(':') {
            format!("[{}]", self.tls_name)
        } else {
            self.tls_name.clone()
        }
    }
}

/// Whether discovery of `server_name` asks its well-known document (see the module's list).
pub fn uses_well_known(server_name: &ServerName) -> bool {
    let host = server_name.host();
    server_name.port().is_none()
        && !host.starts_with('[')
        && host.parse::<std::net::Ipv4Addr>().is_err()
}

/// What discovery without the network decides: the peer map's entry, or a direct endpoint
/// when the name allows no delegation; `None` when the well-known document must be asked.
pub fn resolve_static(server_name: &ServerName, peers: &PeerMap) -> Option<Endpoint> {
    if let Some(endpoint) = peers.endpoint(server_name) {
        return Some(endpoint);
    }
    (!uses_well_known(server_name)).then(|| Endpoint::direct(server_name))
}

/// The endpoint given what the well-known document said (`None`: absent or unusable).
pub fn resolve_with_well_known(
    server_name: &ServerName,
    well_known: Option<&WellKnown>,
) -> Endpoint {
    match well_known.and_then(|w| w.target()) {
        Some(target) => Endpoint::delegated(server_name, &target),
        None => Endpoint::direct(server_name),
    }
}

fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> ServerName {
        ServerName::parse(s).unwrap()
    }

    #[test]
    fn the_peer_map_comes_first() {
        let peers: PeerMap = serde_json::from_value(serde_json::json!({
            "hs2.test": { "address": "127.0.0.1:8449" },
            "hs3.test:9000": { "address": "lb.internal:443", "tls_name": "hs3.example" },
        }))
        .unwrap();
        let e = resolve_static(&name("hs2.test"), &peers).unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.tls_name.as_str(), e.source),
            ("127.0.0.1", 8449, "hs2.test", EndpointSource::PeerMap)
        );
        let e = resolve_static(&name("hs3.test:9000"), &peers).unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.tls_name.as_str()),
            ("lb.internal", 443, "hs3.example")
        );
        // Even a well-known delegation does not override it: the map is asked first.
        assert!(resolve_static(&name("hs4.test"), &peers).is_none());
    }

    #[test]
    fn names_with_a_port_or_ip_literals_are_direct() {
        let peers = PeerMap::default();
        for (server, host, port) in [
            ("hs.example:8000", "hs.example", 8000),
            ("10.1.2.3", "10.1.2.3", 8448),
            ("[2001:db8::1]:9", "2001:db8::1", 9),
            ("[2001:db8::1]", "2001:db8::1", 8448),
        ] {
            let e = resolve_static(&name(server), &peers).unwrap();
            assert_eq!((e.host.as_str(), e.port), (host, port), "{server}");
            assert_eq!(e.tls_name, host);
            assert_eq!(e.source, EndpointSource::ServerName);
        }
        assert_eq!(
            Endpoint::direct(&name("[2001:db8::1]")).url_host(),
            "[2001:db8::1]"
        );
        assert!(resolve_static(&name("hs.example"), &peers).is_none());
    }

    #[test]
    fn a_delegation_names_host_port_and_tls_name() {
        let wk: WellKnown =
            serde_json::from_str(r#"{"convo.server": "fed.hs.example:443"}"#).unwrap();
        let e = resolve_with_well_known(&name("hs.example"), Some(&wk));
        assert_eq!(
            (e.host.as_str(), e.port, e.tls_name.as_str(), e.source),
            (
                "fed.hs.example",
                443,
                "fed.hs.example",
                EndpointSource::WellKnown
            )
        );
        let wk: WellKnown = serde_json::from_str(r#"{"convo.server": "fed.hs.example"}"#).unwrap();
        assert_eq!(
            resolve_with_well_known(&name("hs.example"), Some(&wk)).port,
            8448
        );
        let bad: WellKnown = serde_json::from_str(r#"{"convo.server": "https://x/"}"#).unwrap();
        let e = resolve_with_well_known(&name("hs.example"), Some(&bad));
        assert_eq!((e.host.as_str(), e.port), ("hs.example", 8448));
        let e = resolve_with_well_known(&name("hs.example"), None);
        assert_eq!(e.source, EndpointSource::ServerName);
    }
}
