//! The client's address: the TCP peer, unless the peer is a trusted reverse proxy
//! (`http.trusted_proxies`); then the rightmost address in the forwarded chain
//! (`http.forwarded_header`) that is not a trusted proxy itself. Entries left of it were
//! written by the client, so they are never believed.

use std::net::{IpAddr, SocketAddr};

use poem::http::HeaderMap;

use crate::config::{ForwardedHeader, HttpConfig, IpRange};

/// The address of the client behind the connection from `peer`, as `http` says to find it.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, http: &HttpConfig) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    let trusted = |ip: IpAddr| is_trusted(ip, &http.trusted_proxies);
    if !trusted(peer) {
        return Some(peer);
    }
    // The nearest hop known to be a proxy of ours; the client is beyond it.
    let mut nearest = peer;
    for hop in forwarded_chain(headers, http.forwarded_header)
        .into_iter()
        .rev()
    {
        match hop {
            Some(ip) if trusted(ip) => nearest = ip,
            Some(ip) => return Some(ip),
            // `unknown`, an obfuscated name or garbage, written by the proxy at `nearest`:
            // nothing further along can be believed.
            None => return Some(nearest),
        }
    }
    Some(nearest)
}

/// Whether `ip` is one of the trusted proxies.
pub fn is_trusted(ip: IpAddr, trusted_proxies: &[IpRange]) -> bool {
    trusted_proxies.iter().any(|range| range.contains(ip))
}

/// The forwarded addresses, client first, over every copy of the header in order; `None` for an
/// entry that is not an address.
fn forwarded_chain(headers: &HeaderMap, header: ForwardedHeader) -> Vec<Option<IpAddr>> {
    let name = match header {
        ForwardedHeader::XForwardedFor => "x-forwarded-for",
        ForwardedHeader::Forwarded => "forwarded",
    };
    let mut chain = Vec::new();
    for value in headers.get_all(name) {
        let Ok(value) = value.to_str() else {
            chain.push(None);
            continue;
        };
        match header {
            ForwardedHeader::XForwardedFor => {
                chain.extend(value.split(',').map(|entry| node_ip(entry.trim())));
            }
            ForwardedHeader::Forwarded => {
                chain.extend(split_unquoted(value, ',').map(forwarded_for));
            }
        }
    }
    chain
}

/// The `for=` address of one RFC 7239 element, e.g. `for="[2001:db8::17]:4711";proto=https`.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    split_unquoted(element, ';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("for") {
            return None;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        Some(node_ip(value))
    })?
}

/// An address with or without a port: `192.0.2.1`, `192.0.2.1:80`, `2001:db8::1`,
/// `[2001:db8::1]`, `[2001:db8::1]:80`.
fn node_ip(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(addr) = node.parse::<SocketAddr>() {
        return Some(addr.ip().to_canonical());
    }
    let inner = node.strip_prefix('[')?.strip_suffix(']')?;
    inner.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// `text` split at `separator`s outside double quotes.
fn split_unquoted(text: &str, separator: char) -> impl Iterator<Item = &str> {
    let mut quoted = false;
    let mut escaped = false;
    text.split(move |c: char| {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        }
        c == separator && !quoted
    })
    .map(str::trim)
}

#[cfg(test)]
mod tests {
    use poem::http::HeaderValue;

    use super::*;

    fn config(trusted: &[&str], header: ForwardedHeader) -> HttpConfig {
        HttpConfig {
            trusted_proxies: trusted.iter().map(|t| t.parse().unwrap()).collect(),
            forwarded_header: header,
            ..HttpConfig::default()
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn client(peer: &str, headers: &[(&'static str, &str)], http: &HttpConfig) -> IpAddr {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        client_ip(Some(ip(peer)), &map, http).unwrap()
    }

    #[test]
    fn headers_from_untrusted_peers_are_ignored() {
        let http = config(&[], ForwardedHeader::XForwardedFor);
        let forged = [("x-forwarded-for", "198.51.100.1")];
        assert_eq!(client("203.0.113.9", &forged, &http), ip("203.0.113.9"));
        let http = config(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        assert_eq!(client("203.0.113.9", &forged, &http), ip("203.0.113.9"));
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client() {
        let http = config(&["10.0.0.0/8", "fd00::/8"], ForwardedHeader::XForwardedFor);
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("x-forwarded-for", "203.0.113.7")], "203.0.113.7"),
            // A client that prepends a forged address gains nothing.
            (
                &[("x-forwarded-for", "198.51.100.1, 203.0.113.7")],
                "203.0.113.7",
            ),
            // Proxies of ours in the chain are skipped.
            (
                &[("x-forwarded-for", "203.0.113.7, 10.0.0.2, fd00::3")],
                "203.0.113.7",
            ),
            // Several copies of the header read as one list, in order.
            (
                &[
                    ("x-forwarded-for", "198.51.100.1"),
                    ("x-forwarded-for", "203.0.113.7, 10.0.0.2"),
                ],
                "203.0.113.7",
            ),
            // Ports and brackets.
            (&[("x-forwarded-for", "[2001:db8::7]:443")], "2001:db8::7"),
            (&[("x-forwarded-for", "203.0.113.7:5000")], "203.0.113.7"),
            // Garbage where the client should be: the proxy that wrote it.
            (
                &[("x-forwarded-for", "203.0.113.7, nonsense, 10.0.0.2")],
                "10.0.0.2",
            ),
            // Only proxies: the furthest one; no header: the peer.
            (&[("x-forwarded-for", "10.0.0.3, 10.0.0.2")], "10.0.0.3"),
            (&[], "10.0.0.1"),
        ];
        for (headers, expected) in cases {
            assert_eq!(
                client("10.0.0.1", headers, &http),
                ip(expected),
                "{headers:?}"
            );
        }
        // A trusted peer seen as IPv4-in-IPv6 by a dual-stack listener.
        let headers = [("x-forwarded-for", "203.0.113.7")];
        assert_eq!(
            client("::ffff:10.0.0.1", &headers, &http),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn rfc_7239_forwarded_is_read_when_configured() {
        let http = config(&["10.0.0.0/8"], ForwardedHeader::Forwarded);
        let cases: &[(&str, &str)] = &[
            ("for=203.0.113.7", "203.0.113.7"),
            (
                "for=198.51.100.1, for=203.0.113.7;proto=https;by=10.0.0.1",
                "203.0.113.7",
            ),
            ("For=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"),
            (
                "proto=https;for=\"203.0.113.7:80\", for=10.0.0.2",
                "203.0.113.7",
            ),
            ("for=203.0.113.7, for=unknown", "10.0.0.1"),
            ("for=203.0.113.7, for=_hidden, for=10.0.0.2", "10.0.0.2"),
            ("for=203.0.113.7, proto=https", "10.0.0.1"),
        ];
        for (value, expected) in cases {
            let headers = [("forwarded", *value), ("x-forwarded-for", "198.51.100.1")];
            assert_eq!(client("10.0.0.1", &headers, &http), ip(expected), "{value}");
        }
        // X-Forwarded-For is not read when Forwarded is the configured header, and back.
        let headers = [("x-forwarded-for", "203.0.113.7")];
        assert_eq!(client("10.0.0.1", &headers, &http), ip("10.0.0.1"));
        let http = config(&["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
        let headers = [("forwarded", "for=203.0.113.7")];
        assert_eq!(client("10.0.0.1", &headers, &http), ip("10.0.0.1"));
    }
}
