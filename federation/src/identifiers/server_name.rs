//! `ServerName`: the name of a homeserver, a hostname or IP literal with an optional port.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use super::IdError;

/// Maximum length of a DNS hostname, without the port.
const MAX_HOSTNAME_LEN: usize = 255;
/// Maximum length of one DNS label.
const MAX_LABEL_LEN: usize = 63;

/// The name of a homeserver: `example.org`, `localhost:8008`, `127.0.0.1:8448` or `[::1]:8448`.
///
/// The host is a DNS hostname, an IPv4 literal or a bracketed IPv6 literal, optionally followed by
/// `:port` (1–65535). Hostnames are stored in lowercase, so `Example.ORG` and `example.org` are the
/// same server.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ServerName {
    /// The whole name, lowercase.
    full: String,
    /// Length of the host part of `full` (brackets included for IPv6).
    host_len: usize,
    /// The explicit port, if any.
    port: Option<u16>,
}

string_identifier!(ServerName, IdError);

impl ServerName {
    /// Parses and normalises (to lowercase) a server name.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        let (host, port) = split_host_port(s)?;
        validate_host(host)?;
        let port = port.map(parse_port).transpose()?;
        Ok(Self {
            full: s.to_ascii_lowercase(),
            host_len: host.len(),
            port,
        })
    }

    /// The whole server name, as in `example.org:8448`.
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The host: a hostname, an IPv4 literal, or an IPv6 literal *with* its brackets (`[::1]`).
    pub fn host(&self) -> &str {
        &self.full[..self.host_len]
    }

    /// The explicit port, if the name has one.
    pub fn port(&self) -> Option<u16> {
        self.port
    }
}

/// Splits `host[:port]`, where the host may be a bracketed IPv6 literal.
fn split_host_port(s: &str) -> Result<(&str, Option<&str>), IdError> {
    if s.starts_with('[') {
        let close = s.find(']').ok_or(IdError::InvalidServerName {
            reason: "unterminated IPv6 literal",
        })?;
        let (host, rest) = s.split_at(close + 1);
        return match rest.strip_prefix(':') {
            Some(port) => Ok((host, Some(port))),
            None if rest.is_empty() => Ok((host, None)),
            None => Err(IdError::InvalidServerName {
                reason: "unexpected characters after IPv6 literal",
            }),
        };
    }
    match s.split_once(':') {
        Some((_, port)) if port.contains(':') => Err(IdError::InvalidServerName {
            reason: "IPv6 literals must be enclosed in brackets",
        }),
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((s, None)),
    }
}

fn validate_host(host: &str) -> Result<(), IdError> {
    if host.is_empty() {
        return Err(IdError::InvalidServerName {
            reason: "empty host",
        });
    }
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner.strip_suffix(']').unwrap_or(inner);
        return inner
            .parse::<Ipv6Addr>()
            .map(drop)
            .map_err(|_| IdError::InvalidServerName {
                reason: "invalid IPv6 literal",
            });
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return host
            .parse::<Ipv4Addr>()
            .map(drop)
            .map_err(|_| IdError::InvalidServerName {
                reason: "invalid IPv4 address",
            });
    }
    validate_hostname(host)
}

fn validate_hostname(host: &str) -> Result<(), IdError> {
    if host.len() > MAX_HOSTNAME_LEN {
        return Err(IdError::TooLong {
            max: MAX_HOSTNAME_LEN,
        });
    }
    for label in host.split('.') {
        if label.is_empty() {
            return Err(IdError::InvalidServerName {
                reason: "empty label in hostname",
            });
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(IdError::InvalidServerName {
                reason: "hostname label longer than 63 characters",
            });
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(IdError::InvalidServerName {
                reason: "hostname may contain only letters, digits, '-' and '.'",
            });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(IdError::InvalidServerName {
                reason: "hostname label starts or ends with '-'",
            });
        }
    }
    Ok(())
}

/// Parses a port: decimal digits only, no leading zero, 1..=65535.
fn parse_port(port: &str) -> Result<u16, IdError> {
    if port.is_empty() || port.starts_with('0') || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::InvalidPort);
    }
    port.parse().map_err(|_| IdError::InvalidPort)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_names() {
        let cases = [
            ("example.org", "example.org", None),
            ("localhost:8008", "localhost", Some(8008)),
            ("127.0.0.1:8448", "127.0.0.1", Some(8448)),
            ("[::1]:8448", "[::1]", Some(8448)),
            ("[::1]", "[::1]", None),
            ("[2001:db8::1]:1", "[2001:db8::1]", Some(1)),
            ("10.0.0.1", "10.0.0.1", None),
            ("a-b.c0.example", "a-b.c0.example", None),
            ("x", "x", None),
            ("matrix.org:65535", "matrix.org", Some(65535)),
            ("1password.com", "1password.com", None),
        ];
        for (input, host, port) in cases {
            let name = ServerName::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(name.as_str(), input);
            assert_eq!(name.host(), host, "{input}");
            assert_eq!(name.port(), port, "{input}");
        }
    }

    #[test]
    fn stores_lowercase() {
        let name = ServerName::parse("Example.ORG:8448").unwrap();
        assert_eq!(name.as_str(), "example.org:8448");
        assert_eq!(name, ServerName::parse("example.org:8448").unwrap());
        assert_eq!(ServerName::parse("[::ABCD]").unwrap().as_str(), "[::abcd]");
    }

    #[test]
    fn accepts_longest_hostname_and_label() {
        let label = "a".repeat(63);
        assert!(ServerName::parse(&format!("{label}.org")).is_ok());
        let long = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(63),
        ]
        .join(".");
        assert_eq!(long.len(), 255);
        assert!(ServerName::parse(&format!("{long}:8448")).is_ok());
    }

    #[test]
    fn rejects_invalid_names() {
        let server = |reason| IdError::InvalidServerName { reason };
        let cases = [
            ("", IdError::Empty),
            (
                "-example.org",
                server("hostname label starts or ends with '-'"),
            ),
            (
                "example-.org",
                server("hostname label starts or ends with '-'"),
            ),
            (
                "exa_mple.org",
                server("hostname may contain only letters, digits, '-' and '.'"),
            ),
            (
                "ex ample.org",
                server("hostname may contain only letters, digits, '-' and '.'"),
            ),
            (
                "exämple.org",
                server("hostname may contain only letters, digits, '-' and '.'"),
            ),
            ("example..org", server("empty label in hostname")),
            ("example.org.", server("empty label in hostname")),
            (".example.org", server("empty label in hostname")),
            (":8448", server("empty host")),
            ("::1", server("IPv6 literals must be enclosed in brackets")),
            ("[::1", server("unterminated IPv6 literal")),
            ("[::1]x", server("unexpected characters after IPv6 literal")),
            ("[::g]", server("invalid IPv6 literal")),
            ("[127.0.0.1]", server("invalid IPv6 literal")),
            ("[]", server("invalid IPv6 literal")),
            ("256.0.0.1", server("invalid IPv4 address")),
            ("1.2.3", server("invalid IPv4 address")),
            ("example.org:", IdError::InvalidPort),
            ("example.org:0", IdError::InvalidPort),
            ("example.org:08448", IdError::InvalidPort),
            ("example.org:65536", IdError::InvalidPort),
            ("example.org:+80", IdError::InvalidPort),
            ("example.org:80a", IdError::InvalidPort),
            ("[::1]:", IdError::InvalidPort),
        ];
        for (input, expected) in cases {
            assert_eq!(ServerName::parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn rejects_overlong_label_and_hostname() {
        assert_eq!(
            ServerName::parse(&format!("{}.org", "a".repeat(64))),
            Err(IdError::InvalidServerName {
                reason: "hostname label longer than 63 characters"
            })
        );
        let long = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(64),
        ]
        .join(".");
        assert_eq!(ServerName::parse(&long), Err(IdError::TooLong { max: 255 }));
    }

    #[test]
    fn string_conversions() {
        let name: ServerName = "example.org".parse().unwrap();
        assert_eq!(name.to_string(), "example.org");
        assert_eq!(AsRef::<str>::as_ref(&name), "example.org");
        assert_eq!(format!("{name:?}"), r#"ServerName("example.org")"#);
        assert_eq!(String::from(name.clone()), "example.org");
        assert_eq!(ServerName::try_from("example.org"), Ok(name));
    }

    #[test]
    fn serde_round_trip_and_rejection() {
        let name = ServerName::parse("[::1]:8448").unwrap();
        let json = serde_json::to_string(&name).unwrap();
        assert_eq!(json, r#""[::1]:8448""#);
        assert_eq!(serde_json::from_str::<ServerName>(&json).unwrap(), name);

        let err = serde_json::from_str::<ServerName>(r#""bad_host""#).unwrap_err();
        assert!(err.to_string().contains("invalid server name"), "{err}");
        assert!(serde_json::from_str::<ServerName>("8448").is_err());
    }
}
