//! [`PeerMap`]: servers whose endpoint the config fixes (overriding discovery).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Endpoint, EndpointSource, unbracket};
use crate::ServerName;

/// One peer's endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerEntry {
    /// `host:port` to connect to (a DNS name or an IP literal, IPv6 in brackets).
    pub address: ServerName,
    /// The name its certificate must be valid for; the server name's host if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_name: Option<String>,
    /// A PEM file of the CA(s) that alone are trusted for this peer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

/// Server name → endpoint, from config.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PeerMap(pub BTreeMap<ServerName, PeerEntry>);

impl PeerMap {
    /// The configured endpoint of `server_name`, if any.
    pub fn endpoint(&self, server_name: &ServerName) -> Option<Endpoint> {
        let entry = self.0.get(server_name)?;
        let host = unbracket(entry.address.host()).to_owned();
        let tls_name = entry
            .tls_name
            .clone()
            .unwrap_or_else(|| unbracket(server_name.host()).to_owned());
        Some(Endpoint {
            server_name: server_name.clone(),
            host,
            port: entry.address.port().unwrap_or(super::DEFAULT_PORT),
            tls_name,
            source: EndpointSource::PeerMap,
        })
    }

    pub fn entries(&self) -> impl Iterator<Item = (&ServerName, &PeerEntry)> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_round_trips_and_unknown_fields_are_refused() {
        let fixture = serde_json::json!({
            "hs2.test": { "address": "127.0.0.1:8449", "tls_name": "hs2.test", "ca_file": "ca.pem" },
            "hs3.test": { "address": "[::1]:8450" },
        });
        let map: PeerMap = serde_json::from_value(fixture.clone()).unwrap();
        assert_eq!(serde_json::to_value(&map).unwrap(), fixture);
        let e = map
            .endpoint(&ServerName::parse("hs3.test").unwrap())
            .unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.tls_name.as_str()),
            ("::1", 8450, "hs3.test")
        );
        let bad = serde_json::json!({ "hs2.test": { "address": "127.0.0.1:1", "port": 2 } });
        assert!(serde_json::from_value::<PeerMap>(bad).is_err());
        let bad = serde_json::json!({ "hs2.test": { "address": "not a host" } });
        assert!(serde_json::from_value::<PeerMap>(bad).is_err());
    }
}
