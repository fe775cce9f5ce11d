//! `IpRange`: an IP address or a CIDR range (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`), as the
//! configuration names trusted proxies. Parsed when the configuration is read, so a bad entry
//! is an error naming its key.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Addresses sharing their first `prefix` bits with `network` (whose other bits are zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Whether `ip` is in the range. IPv4 addresses written as IPv6 (`::ffff:10.1.2.3`, as a
    /// dual-stack listener sees IPv4 peers) count as the IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => {
                u32::from(ip) & v4_mask(self.prefix) == u32::from(network)
            }
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                u128::from(ip) & v6_mask(self.prefix) == u128::from(network)
            }
            _ => false,
        }
    }
}

fn v4_mask(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn v6_mask(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl FromStr for IpRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let not_a_range = || {
            format!(
                "`{text}` is not an IP address or a CIDR range (such as 10.0.0.0/8 or fd00::/8)"
            )
        };
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let network: IpAddr = address.parse().map_err(|_| not_a_range())?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => {
                let prefix: u8 = prefix.parse().map_err(|_| not_a_range())?;
                if prefix > bits {
                    return Err(format!(
                        "`{text}`: a prefix is at most /{bits} for this kind of address"
                    ));
                }
                prefix
            }
        };
        let masked = match network {
            IpAddr::V4(ip) => IpAddr::from((u32::from(ip) & v4_mask(prefix)).to_be_bytes()),
            IpAddr::V6(ip) => IpAddr::from((u128::from(ip) & v6_mask(prefix)).to_be_bytes()),
        };
        if masked != network {
            return Err(format!(
                "`{text}` has bits set past its prefix; the range is {masked}/{prefix}"
            ));
        }
        Ok(Self { network, prefix })
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bits = if self.network.is_ipv4() { 32 } else { 128 };
        if self.prefix == bits {
            write!(f, "{}", self.network)
        } else {
            write!(f, "{}/{}", self.network, self.prefix)
        }
    }
}

impl Serialize for IpRange {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IpRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for IpRange {
    fn schema_name() -> Cow<'static, str> {
        "IpRange".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "An IP address or a CIDR range, such as 10.0.0.0/8 or fd00::/8."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> IpRange {
        text.parse().unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ranges_contain_their_addresses_only() {
        let private = range("10.0.0.0/8");
        assert!(private.contains(ip("10.0.0.0")));
        assert!(private.contains(ip("10.255.255.255")));
        assert!(!private.contains(ip("11.0.0.0")));
        assert!(private.contains(ip("::ffff:10.1.2.3")), "IPv4 seen as IPv6");
        assert!(!private.contains(ip("fd00::1")));
        let host = range("127.0.0.1");
        assert!(host.contains(ip("127.0.0.1")));
        assert!(!host.contains(ip("127.0.0.2")));
        let v6 = range("fd00::/8");
        assert!(v6.contains(ip("fd12:3456::1")));
        assert!(!v6.contains(ip("fe80::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        assert!(range("0.0.0.0/0").contains(ip("192.0.2.1")));
        assert!(range("::/0").contains(ip("2001:db8::1")));
        assert!(range("::1").contains(ip("::1")));
    }

    #[test]
    fn bad_ranges_say_what_is_wrong() {
        for (text, says) in [
            ("10.0.0.0/33", "at most /32"),
            ("fd00::/129", "at most /128"),
            ("10.0.0.1/8", "10.0.0.0/8"),
            ("localhost", "not an IP address"),
            ("10.0.0.0/", "not an IP address"),
            ("10.0.0.0/eight", "not an IP address"),
            ("", "not an IP address"),
        ] {
            let err = text.parse::<IpRange>().unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn ranges_print_as_written() {
        for text in ["10.0.0.0/8", "127.0.0.1", "fd00::/8", "::1"] {
            assert_eq!(range(text).to_string(), text);
        }
    }
}
