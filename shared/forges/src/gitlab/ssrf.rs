//! A GitLab base URL comes from a user, and we send it a token and our requests: it must not
//! point into our own network (instance metadata at 169.254.169.254, VPC services, localhost).
//! Every address the host resolves to is checked, and the client is then pinned to exactly those
//! addresses, so a second DNS answer cannot swap in another (DNS rebinding).

use std::net::{IpAddr, SocketAddr};

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
    forgeflow_domain::address::non_public(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_judged_by_the_one_classification() {
        for ip in [
            "169.254.169.254",
            "64:ff9b:1::a9fe:a9fe",
            "fec0::1",
            "::ffff:0:127.0.0.1",
        ] {
            assert!(forbidden(ip.parse().unwrap()).is_some(), "{ip}");
        }
        assert_eq!(forbidden("8.8.8.8".parse().unwrap()), None);
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
