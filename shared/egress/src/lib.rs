//! A URL that comes from a user (a self-hosted GitLab, an OpenAI-compatible provider) gets our
//! requests and a secret: it must not point into our own network (instance metadata at
//! 169.254.169.254, VPC services, localhost). Every address the host resolves to is checked, and
//! the client is then pinned to exactly those addresses, so a second DNS answer cannot swap in
//! another (DNS rebinding). One rule for every such URL.

use std::net::{IpAddr, SocketAddr};

use reqwest::{ClientBuilder, Url};

/// Why a user's URL is not called.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    /// The URL itself is refused: scheme, credentials, a non-public address.
    #[error("{0}")]
    Unsafe(String),
    /// The host could not be resolved (may pass later).
    #[error("{0}")]
    Unresolved(String),
}

enum Host<'a> {
    Domain(&'a str),
    Ip(IpAddr),
}

/// A URL that passed the checks, and the addresses to pin its host to.
#[derive(Debug)]
pub struct Checked {
    pub url: Url,
    pin: Option<(String, Vec<SocketAddr>)>,
}

impl Checked {
    /// `builder` resolving the checked host to the checked addresses only, through no proxy
    /// (a proxy would resolve the host itself).
    pub fn pin(&self, builder: ClientBuilder) -> ClientBuilder {
        match &self.pin {
            Some((host, addrs)) => builder.no_proxy().resolve_to_addrs(host, addrs),
            None => builder,
        }
    }

    pub fn is_pinned(&self) -> bool {
        self.pin.is_some()
    }
}

/// Checks `base_url` (`what` names it in refusals: "the GitLab URL"). `allow_private_network` is
/// the local-testing switch: it skips the address checks AND allows plain `http`, because the
/// local fakes are HTTP on loopback.
pub async fn check(what: &str, base_url: &str, allow_private_network: bool) -> Result<Checked, EgressError> {
    let unsafe_url = |why: String| EgressError::Unsafe(why);
    let url = Url::parse(base_url.trim()).map_err(|error| unsafe_url(format!("{base_url:?} is not a URL: {error}")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private_network => {}
        other => {
            return Err(unsafe_url(format!("{base_url:?}: {what} must use https, not {other}")));
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
                .map_err(|error| EgressError::Unresolved(format!("cannot resolve {domain}: {error}")))?
                .collect();
            if addrs.is_empty() {
                return Err(EgressError::Unresolved(format!("{domain} resolves to no address")));
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
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
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
            match check("the URL", url, false).await {
                Err(EgressError::Unsafe(why)) => why,
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
        assert!(refuse("https://api.example.com/v1?x=1").await.contains("query"));
        let local = check("the URL", "http://127.0.0.1:8080/gitlab", true).await.unwrap();
        assert_eq!(local.url.as_str(), "http://127.0.0.1:8080/gitlab");
        assert!(!local.is_pinned());
    }
}
