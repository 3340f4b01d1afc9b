//! Whether an IP address is one a user-supplied URL may make us call: the one classification
//! every outbound check uses (GitLab base URLs today). An address is refused when it lies in any
//! block of IANA's IPv4 and IPv6 special-purpose registries that is not globally reachable, or in
//! a form that embeds an IPv4 address (mapped, translated, NAT64, 6to4, compatible) whose IPv4
//! address is refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `(network, prefix length, what it is)`; checked in order, so more specific blocks come first.
const V4_BLOCKS: &[([u8; 4], u8, &str)] = &[
    ([0, 0, 0, 0], 8, "\"this network\" (0.0.0.0/8)"),
    ([10, 0, 0, 0], 8, "private (10.0.0.0/8)"),
    ([100, 64, 0, 0], 10, "shared (CGNAT, 100.64.0.0/10)"),
    ([127, 0, 0, 0], 8, "loopback (127.0.0.0/8)"),
    ([169, 254, 0, 0], 16, "link-local (169.254.0.0/16)"),
    ([172, 16, 0, 0], 12, "private (172.16.0.0/12)"),
    ([192, 0, 0, 0], 24, "IETF protocol assignments (192.0.0.0/24)"),
    ([192, 0, 2, 0], 24, "documentation (192.0.2.0/24)"),
    ([192, 31, 196, 0], 24, "AS112 (192.31.196.0/24)"),
    ([192, 52, 193, 0], 24, "AMT (192.52.193.0/24)"),
    ([192, 88, 99, 0], 24, "6to4 relay anycast (192.88.99.0/24)"),
    ([192, 168, 0, 0], 16, "private (192.168.0.0/16)"),
    ([192, 175, 48, 0], 24, "AS112 (192.175.48.0/24)"),
    ([198, 18, 0, 0], 15, "benchmarking (198.18.0.0/15)"),
    ([198, 51, 100, 0], 24, "documentation (198.51.100.0/24)"),
    ([203, 0, 113, 0], 24, "documentation (203.0.113.0/24)"),
    ([224, 0, 0, 0], 4, "multicast (224.0.0.0/4)"),
    ([240, 0, 0, 0], 4, "reserved (240.0.0.0/4, broadcast included)"),
];

const V6_BLOCKS: &[([u16; 8], u8, &str)] = &[
    ([0, 0, 0, 0, 0, 0, 0, 0], 128, "unspecified (::)"),
    ([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback (::1)"),
    (
        [0x0064, 0xff9b, 1, 0, 0, 0, 0, 0],
        48,
        "local-use NAT64 (64:ff9b:1::/48)",
    ),
    ([0x0100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only (100::/64)"),
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "Teredo (2001::/32)"),
    ([0x2001, 0x0002, 0, 0, 0, 0, 0, 0], 48, "benchmarking (2001:2::/48)"),
    ([0x2001, 0x0010, 0, 0, 0, 0, 0, 0], 28, "ORCHID (2001:10::/28)"),
    ([0x2001, 0x0020, 0, 0, 0, 0, 0, 0], 28, "ORCHIDv2 (2001:20::/28)"),
    // The rest of the block is anycast protocol services (PCP, TURN, AMT, AS112): never a forge.
    (
        [0x2001, 0, 0, 0, 0, 0, 0, 0],
        23,
        "IETF protocol assignments (2001::/23)",
    ),
    ([0x2001, 0x0db8, 0, 0, 0, 0, 0, 0], 32, "documentation (2001:db8::/32)"),
    ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "documentation (3fff::/20)"),
    ([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, "segment routing (5f00::/16)"),
    ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique local (fc00::/7)"),
    ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local (fe80::/10)"),
    ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local (fec0::/10)"),
    ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast (ff00::/8)"),
];

/// Why `ip` may not be called, or `None` for a globally reachable unicast address.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => non_public_v4(ip),
        IpAddr::V6(ip) => non_public_v6(ip),
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let address = u32::from(ip);
    V4_BLOCKS
        .iter()
        .find(|(network, length, _)| within(address.into(), u32::from_be_bytes(*network).into(), *length, 32))
        .map(|(_, _, what)| *what)
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = embedded_v4(ip) {
        return non_public_v4(v4);
    }
    let address = u128::from(ip);
    V6_BLOCKS
        .iter()
        .find(|(network, length, _)| within(address, u128::from(Ipv6Addr::from(*network)), *length, 128))
        .map(|(_, _, what)| *what)
}

/// The IPv4 address a gateway would reach for an IPv6 form that carries one: mapped
/// (`::ffff:a.b.c.d`), SIIT-translated (`::ffff:0:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`), 6to4
/// (`2002:AABB:CCDD::`) and the deprecated compatible form (`::a.b.c.d`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let low = |high: u16, low: u16| Some(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)));
    match ip.segments() {
        [0, 0, 0, 0, 0, 0xffff, high, l] => low(high, l),
        [0, 0, 0, 0, 0xffff, 0, high, l] => low(high, l),
        [0x0064, 0xff9b, 0, 0, 0, 0, high, l] => low(high, l),
        [0x2002, high, l, ..] => low(high, l),
        // `::` and `::1` are their own blocks, not 0.0.0.0 and 0.0.0.1.
        [0, 0, 0, 0, 0, 0, high, l] if (high, l) > (0, 1) => low(high, l),
        _ => None,
    }
}

fn within(address: u128, network: u128, length: u8, bits: u8) -> bool {
    let shift = u32::from(bits - length);
    length == 0 || (address >> shift) == (network >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ip: &str) -> Option<&'static str> {
        non_public(ip.parse().unwrap())
    }

    #[test]
    fn every_special_block_is_refused_at_its_edges() {
        for ip in [
            "0.0.0.0",
            "0.255.255.255",
            "10.0.0.0",
            "10.255.255.255",
            "100.64.0.0",
            "100.127.255.255",
            "127.0.0.1",
            "127.255.255.255",
            "169.254.169.254",
            "172.16.0.0",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.31.196.1",
            "192.52.193.1",
            "192.88.99.1",
            "192.168.0.1",
            "192.175.48.1",
            "198.18.0.0",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.255",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "100::1",
            "2001::1",
            "2001:2::1",
            "2001:10::1",
            "2001:20::1",
            "2001:4::1",
            "2001:1ff:ffff::1",
            "2001:db8::1",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fdff:ffff::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "feff::1",
            "ff02::1",
        ] {
            assert!(check(ip).is_some(), "{ip} should be refused");
        }
    }

    #[test]
    fn ipv4_inside_ipv6_is_judged_as_ipv4() {
        for ip in [
            "::ffff:10.0.0.5",
            "::ffff:127.0.0.1",
            "::ffff:0:a9fe:a9fe",
            "::ffff:0:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::10.1.2.3",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "::7f00:1",
            "::10.0.0.1",
        ] {
            assert!(check(ip).is_some(), "{ip} should be refused");
        }
        assert_eq!(check("64:ff9b:1::8.8.8.8"), Some("local-use NAT64 (64:ff9b:1::/48)"));
        for ip in [
            "::ffff:1.1.1.1",
            "::ffff:0:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:808:808::",
        ] {
            assert_eq!(check(ip), None, "{ip} carries a public address");
        }
    }

    #[test]
    fn public_addresses_pass_next_to_the_blocks() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.1",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700::1111",
            "2a00:1450::1",
            "2001:4860::8888",
            "2001:200::1",
            "2001:db9::1",
            "fbff::1",
        ] {
            assert_eq!(check(ip), None, "{ip} is public");
        }
    }
}
