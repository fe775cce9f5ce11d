//! [`TargetPolicy`]: which addresses the federation client may connect to (SSRF).
//!
//! A peer's name, delegation or peer-map entry could point at our own network (a database on
//! 10.0.0.5, a metadata service on 169.254.169.254, an admin port on 127.0.0.1). Unless the
//! deployment is marked as a test or LAN one, every address a target resolves to is checked,
//! and private, loopback, link-local and other non-public addresses are refused. Some
//! addresses are refused always: unspecified (`0.0.0.0` reaches localhost on Linux),
//! multicast and broadcast.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether non-public addresses may be connected to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    /// A test or LAN deployment: private, loopback and link-local addresses are allowed.
    pub allow_private: bool,
}

impl TargetPolicy {
    /// Public addresses only.
    pub const PUBLIC: Self = Self {
        allow_private: false,
    };
    /// A test or LAN deployment.
    pub const TEST_OR_LAN: Self = Self {
        allow_private: true,
    };

    /// Why `ip` may not be connected to, if it may not.
    pub fn refusal(&self, ip: IpAddr) -> Option<&'static str> {
        let class = classify(ip);
        match class {
            Class::Public => None,
            Class::Never(reason) => Some(reason),
            Class::Private(_) if self.allow_private => None,
            Class::Private(reason) => Some(reason),
        }
    }
}

enum Class {
    Public,
    /// Refused unless the deployment is a test/LAN one.
    Private(&'static str),
    /// Refused always.
    Never(&'static str),
}

fn classify(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Class {
    let [a, b, c, _] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        return Class::Never("unspecified or 'this network' address (0.0.0.0/8)");
    }
    if ip.is_broadcast() {
        return Class::Never("broadcast address");
    }
    if ip.is_multicast() {
        return Class::Never("multicast address");
    }
    if ip.is_loopback() {
        return Class::Private("loopback address (127.0.0.0/8)");
    }
    if ip.is_private() {
        return Class::Private("private address (10/8, 172.16/12, 192.168/16)");
    }
    if ip.is_link_local() {
        return Class::Private("link-local address (169.254/16)");
    }
    if a == 100 && (64..128).contains(&b) {
        return Class::Private("shared (carrier-grade NAT) address (100.64/10)");
    }
    if a == 192 && b == 0 && c == 0 {
        return Class::Private("IETF protocol assignment (192.0.0/24)");
    }
    if (a == 192 && b == 0 && c == 2)
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
    {
        return Class::Private("documentation address");
    }
    if a == 198 && (b == 18 || b == 19) {
        return Class::Private("benchmarking address (198.18/15)");
    }
    if a >= 240 {
        return Class::Private("reserved address (240/4)");
    }
    Class::Public
}

fn classify_v6(ip: Ipv6Addr) -> Class {
    if ip.is_unspecified() {
        return Class::Never("unspecified address (::)");
    }
    if ip.is_multicast() {
        return Class::Never("multicast address (ff00::/8)");
    }
    if ip.is_loopback() {
        return Class::Private("loopback address (::1)");
    }
    // Addresses that embed an IPv4 one are what that one is.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let s = ip.segments();
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        // NAT64 (64:ff9b::/96): the embedded address decides.
        return classify_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        ));
    }
    if s[0] == 0x2002 {
        // 6to4 (2002::/16) carries an IPv4 address in its next 32 bits.
        return match classify_v4(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        )) {
            Class::Public => Class::Public,
            _ => Class::Private("6to4 address of a non-public IPv4 address"),
        };
    }
    if s[0..6] == [0, 0, 0, 0, 0, 0] {
        return Class::Private("IPv4-compatible address (::/96, deprecated)");
    }
    if s[0] & 0xfe00 == 0xfc00 {
        return Class::Private("unique local address (fc00::/7)");
    }
    if s[0] & 0xffc0 == 0xfe80 {
        return Class::Private("link-local address (fe80::/10)");
    }
    if s[0] & 0xffc0 == 0xfec0 {
        return Class::Private("site-local address (fec0::/10, deprecated)");
    }
    if s[0] == 0x2001 && s[1] == 0x0db8 {
        return Class::Private("documentation address (2001:db8::/32)");
    }
    if s[0] == 0x2001 && s[1] < 0x0200 {
        // 2001::/23: IETF protocol assignments, Teredo (2001::/32) among them.
        return Class::Private("IETF protocol assignment (2001::/23)");
    }
    if s[0] == 0x0100 && s[1..4] == [0, 0, 0] {
        return Class::Private("discard-only address (100::/64)");
    }
    Class::Public
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(policy: TargetPolicy, ip: &str) -> bool {
        policy.refusal(ip.parse().unwrap()).is_some()
    }

    #[test]
    fn non_public_addresses_are_refused_unless_test_or_lan() {
        let private = [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "2001:db8::1",
            "2001::1",
            "100::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.1.1",
            "64:ff9b::10.0.0.1",
            "2002:0a00:0001::1",
            "::10.0.0.1",
        ];
        for ip in private {
            assert!(refused(TargetPolicy::PUBLIC, ip), "{ip} must be refused");
            assert!(
                !refused(TargetPolicy::TEST_OR_LAN, ip),
                "{ip} allowed in test/LAN"
            );
        }
    }

    #[test]
    fn some_addresses_are_refused_always() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "239.1.1.1",
            "::",
            "ff02::1",
            "::ffff:0.0.0.0",
        ] {
            assert!(refused(TargetPolicy::PUBLIC, ip), "{ip}");
            assert!(refused(TargetPolicy::TEST_OR_LAN, ip), "{ip}");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "172.32.0.1",
            "172.15.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:0808:0808::1",
            "2001:4860::1",
        ] {
            assert!(!refused(TargetPolicy::PUBLIC, ip), "{ip} is public");
        }
    }
}
