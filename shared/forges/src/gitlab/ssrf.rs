//! A GitLab base URL comes from a user, and we send it a token and our requests: it must not
//! point into our own network (instance metadata at 169.254.169.254, VPC services, localhost).
//! Every address the host resolves to is checked, and the client is then pinned to exactly those
//! addresses, so a second DNS answer cannot swap in another (DNS rebinding).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

use crate::error::ForgeError;

enum Host<'a> {
    Domain(&'a str),
    Ip(IpAddr),
}

/// A URL that passed the checks, and the addresses to pin its host to.
#[derive(Debug)]
pub(super) struct Checked {
    pub url: Url,
    pub pin: Option<(String, Vec<SocketAddr>)>,
}

/// `allow_private_network` is the local-testing switch: it skips the address checks AND allows
/// plain `http`, because the local forge server is HTTP on loopback.
pub(super) async fn check(base_url: &str, allow_private_network: bool) -> Result<Checked, ForgeError> {
    let unsafe_url = |why: String| ForgeError::UnsafeUrl(why);
    let url = Url::parse(base_url.trim()).map_err(|error| unsafe_url(format!("{base_url:?} is not a URL: {error}")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private_network => {}
        other => {
            return Err(unsafe_url(format!(
                "{base_url:?}: the GitLab URL must use https, not {other}"
            )));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(unsafe_url(format!(
            "{base_url:?}: credentials do not belong in the URL"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(unsafe_url(format!("{base_url:?}: a base URL has no query or fragment")));
    }
    // The URL parser has already normalised odd IPv4 spellings (`0x7f.1`, `2130706433`).
    let host = match url.host_str() {
        Some(host) => match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            Ok(ip) => Host::Ip(ip),
            Err(_) => Host::Domain(host),
        },
        None => return Err(unsafe_url(format!("{base_url:?} has no host"))),
    };
    if allow_private_network {
        return Ok(Checked { url, pin: None });
    }
    let pin = match host {
        Host::Ip(ip) => {
            if let Some(reason) = forbidden(ip) {
                return Err(unsafe_url(format!("{base_url:?}: {ip} is a {reason} address")));
            }
            None
        }
        Host::Domain(domain) => {
            let port = url.port_or_known_default().unwrap_or(443);
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((domain, port))
                .await
                .map_err(|error| ForgeError::Transport(format!("cannot resolve {domain}: {error}")))?
                .collect();
            if addrs.is_empty() {
                return Err(ForgeError::Transport(format!("{domain} resolves to no address")));
            }
            if let Some((ip, reason)) = addrs
                .iter()
                .find_map(|addr| forbidden(addr.ip()).map(|r| (addr.ip(), r)))
            {
                return Err(unsafe_url(format!(
                    "{base_url:?}: {domain} resolves to {ip}, a {reason} address"
                )));
            }
            Some((domain.to_owned(), addrs))
        }
    };
    Ok(Checked { url, pin })
}

/// Why an address is off limits, or `None` for a public unicast address.
pub(crate) fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => forbidden_v4(ip),
        IpAddr::V6(ip) => forbidden_v6(ip),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_unspecified() => "unspecified",
        (0, _, _) => "\"this network\" (0/8)",
        (127, _, _) => "loopback",
        (10, _, _) | (192, 168, _) => "private",
        (172, 16..=31, _) => "private",
        (169, 254, _) => "link-local",
        (100, 64..=127, _) => "shared (CGNAT, 100.64/10)",
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) | (198, 18..=19, _) => "reserved",
        (224..=255, _, _) => "multicast or reserved",
        _ => return None,
    })
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let segments = ip.segments();
    let embedded = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    Some(match segments {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_loopback() => "loopback",
        [first, ..] if first & 0xfe00 == 0xfc00 => "private (unique local, fc00::/7)",
        [first, ..] if first & 0xffc0 == 0xfe80 => "link-local",
        [first, ..] if first & 0xff00 == 0xff00 => "multicast",
        [0x2001, 0x0db8, ..] => "reserved (documentation)",
        // NAT64 and 6to4 carry an IPv4 address that the gateway will reach for us.
        [0x0064, 0xff9b, 0, 0, 0, 0, high, low] => return forbidden_v4(embedded(high, low)),
        [0x2002, high, low, ..] => return forbidden_v4(embedded(high, low)),
        // Deprecated IPv4-compatible form (::a.b.c.d).
        [0, 0, 0, 0, 0, 0, high, low] => return forbidden_v4(embedded(high, low)).or(Some("reserved")),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_and_public_ones_pass() {
        let refused = [
            "127.0.0.1",
            "127.8.9.10",
            "10.0.0.5",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:10.0.0.5",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "::7f00:1",
        ];
        for ip in refused {
            assert!(forbidden(ip.parse().unwrap()).is_some(), "{ip} should be refused");
        }
        let allowed = [
            "8.8.8.8",
            "172.15.0.1",
            "172.32.0.1",
            "100.63.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ];
        for ip in allowed {
            assert_eq!(forbidden(ip.parse().unwrap()), None, "{ip} should pass");
        }
        assert_eq!(forbidden("169.254.169.254".parse().unwrap()), Some("link-local"));
        assert_eq!(
            forbidden("100.100.1.1".parse().unwrap()),
            Some("shared (CGNAT, 100.64/10)")
        );
    }

    #[tokio::test]
    async fn schemes_credentials_and_literal_addresses_are_checked_before_any_lookup() {
        let refuse = |url: &'static str| async move {
            match check(url, false).await {
                Err(ForgeError::UnsafeUrl(why)) => why,
                other => panic!("{url}: {other:?}"),
            }
        };
        assert!(refuse("http://gitlab.example.com").await.contains("https"));
        assert!(refuse("ftp://gitlab.example.com").await.contains("https"));
        assert!(
            refuse("https://user:pw@gitlab.example.com")
                .await
                .contains("credentials")
        );
        assert!(refuse("https://10.0.0.5").await.contains("private"));
        assert!(refuse("https://[::1]/").await.contains("loopback"));
        assert!(refuse("https://localhost").await.contains("loopback"));
        assert!(refuse("https://2130706433/").await.contains("loopback"));
        let local = check("http://127.0.0.1:8080/gitlab", true).await.unwrap();
        assert_eq!(local.url.as_str(), "http://127.0.0.1:8080/gitlab");
        assert!(local.pin.is_none());
    }
}
