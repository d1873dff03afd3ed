//! Which addresses the feed follower may fetch from: public ones only,
//! unless the archive's owner allows private ones (a feed on an intranet).
//! Names are resolved here, and every address a name or a redirect leads
//! to is checked, so that a feed cannot lead the server to its own network.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Where the follower may fetch feeds from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reach {
    /// Public addresses only: the default.
    #[default]
    Public,
    /// Private addresses too (`--allow-private-feeds`): for an intranet.
    Private,
}

/// Why an address is not public, or None when it is. Hand-written on std's
/// stable tests because `IpAddr::is_global` is not stable yet.
pub fn not_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => not_public_v4(v4),
        IpAddr::V6(v6) => {
            if v6.to_ipv4_mapped().is_some() {
                return Some("an IPv4-mapped address");
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("a loopback address")
            } else if v6.is_unspecified() {
                Some("the unspecified address")
            } else if v6.is_multicast() {
                Some("a multicast address")
            } else if v6.is_unique_local() {
                Some("a unique-local address")
            } else if v6.is_unicast_link_local() || first & 0xffc0 == 0xfec0 {
                Some("a link-local address")
            } else if v6.segments()[..6] == [0; 6] {
                Some("an IPv4-compatible address")
            } else if first == 0x2002
                || v6.segments()[..2] == [0x64, 0xff9b]
                || first == 0x2001 && v6.segments()[1] == 0
            {
                // 6to4, NAT64 and Teredo carry an IPv4 address the network
                // may route to; none of them is a feed's home.
                Some("an address that tunnels to IPv4")
            } else if v6.segments()[..2] == [0x2001, 0xdb8] {
                Some("a documentation address")
            } else {
                None
            }
        }
    }
}

fn not_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_private() {
        Some("a private (RFC 1918) address")
    } else if ip.is_link_local() {
        Some("a link-local address")
    } else if a == 100 && (64..128).contains(&b) {
        Some("a carrier-grade NAT address")
    } else if ip.is_unspecified() || a == 0 {
        Some("the unspecified network")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else if ip.is_broadcast() || a >= 240 {
        Some("a reserved address")
    } else if ip.is_documentation()
        || (a == 198 && (18..20).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
    {
        Some("a documentation, benchmarking or protocol address")
    } else {
        None
    }
}

/// Whether the follower may fetch `url`: http(s), no credentials, and, for
/// an address written as an IP, a public one unless `reach` allows private
/// ones. Names are checked when they are resolved ([`Resolver`]).
pub fn check_url(url: &Url, reach: Reach) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{}` is not an http(s) address", url.scheme()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "the address carries a user name or password; feeds are fetched without credentials"
                .into(),
        );
    }
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(Host::Domain(_)) => return Ok(()),
        None => return Err("the address has no host".into()),
    };
    match (reach, not_public(ip)) {
        (Reach::Public, Some(why)) => Err(format!(
            "{ip} is {why}; feeds are fetched from public addresses only \
             (start the server with --allow-private-feeds to follow feeds on a private network)"
        )),
        _ => Ok(()),
    }
}

/// Resolves names with the system's resolver and, for [`Reach::Public`],
/// keeps only public addresses: a name that leads only to private ones
/// fails, naming them.
#[derive(Debug, Clone, Copy)]
pub struct Resolver(pub Reach);

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let reach = self.0;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (public, private): (Vec<SocketAddr>, Vec<SocketAddr>) = found
                .into_iter()
                .partition(|a| reach == Reach::Private || not_public(a.ip()).is_none());
            if public.is_empty() {
                let ips: Vec<String> = private.iter().map(|a| a.ip().to_string()).collect();
                return Err(if ips.is_empty() {
                    format!("{host} has no address").into()
                } else {
                    format!(
                        "{host} resolves only to addresses that are not public ({}); feeds are \
                         fetched from public addresses only (start the server with \
                         --allow-private-feeds to follow feeds on a private network)",
                        ips.join(", ")
                    )
                    .into()
                });
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// An HTTP client that follows at most five redirects, each checked as the
/// first address is, uses no proxy from the environment and resolves
/// through [`Resolver`].
pub fn client(
    reach: Reach,
    timeout: std::time::Duration,
    connect_timeout: std::time::Duration,
) -> reqwest::Client {
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 5 {
            return attempt.error("more than 5 redirects");
        }
        match check_url(attempt.url(), reach) {
            Ok(()) => attempt.follow(),
            Err(why) => {
                let mut to = attempt.url().clone();
                let _ = (to.set_username(""), to.set_password(None));
                attempt.error(format!("a redirect to {to} was refused: {why}"))
            }
        }
    });
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(connect_timeout)
        .redirect(redirects)
        .no_proxy()
        .dns_resolver(Arc::new(Resolver(reach)))
        .build()
        .expect("the HTTP client's settings are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> String {
        check_url(&Url::parse(url).unwrap(), Reach::Public).unwrap_err()
    }

    #[test]
    fn private_literals_are_refused_in_every_spelling() {
        for url in [
            "http://127.0.0.1/feed",
            "http://0x7f000001/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://10.0.0.1/",
            "http://172.16.5.4/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://[::1]/",
            "http://[::]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:8.8.8.8]/",
            "http://[ff02::1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[2002:a00:1::]/",
        ] {
            let why = refused(url);
            assert!(why.contains("--allow-private-feeds"), "{url}: {why}");
        }
    }

    #[test]
    fn public_addresses_names_and_the_private_setting_pass() {
        for url in [
            "http://8.8.8.8/feed",
            "https://[2a00:1450:4001::1]/",
            "https://feeds.example.org/rss",
        ] {
            check_url(&Url::parse(url).unwrap(), Reach::Public).unwrap();
        }
        check_url(&Url::parse("http://10.0.0.1/").unwrap(), Reach::Private).unwrap();
        check_url(&Url::parse("http://[::1]:8080/").unwrap(), Reach::Private).unwrap();
    }

    #[test]
    fn credentials_and_other_schemes_are_refused() {
        assert!(refused("http://user:secret@feeds.example.org/").contains("password"));
        assert!(refused("http://user@feeds.example.org/").contains("user name"));
        assert!(refused("ftp://feeds.example.org/").contains("not an http(s)"));
    }

    #[tokio::test]
    async fn a_name_for_loopback_resolves_only_when_private_is_allowed() {
        let name: Name = "localhost".parse().unwrap();
        let err = Resolver(Reach::Public).resolve(name).await.err().unwrap();
        assert!(err.to_string().contains("not public"), "{err}");
        let name: Name = "localhost".parse().unwrap();
        let found: Vec<_> = Resolver(Reach::Private)
            .resolve(name)
            .await
            .unwrap()
            .collect();
        assert!(found.iter().all(|a| a.ip().is_loopback()) && !found.is_empty());
    }
}
