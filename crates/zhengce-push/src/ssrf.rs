//! Server-side request forgery guard for webhook URLs that users enter.
//!
//! Private, loopback, link-local, unspecified, shared (CGNAT), benchmarking, multicast and
//! broadcast addresses are refused — for IP literals when the URL is checked, for host names after
//! DNS resolution (the HTTP client resolves through [`GuardedResolver`], so a refused address is
//! never connected to), and again on every redirect. An admin may allow specific addresses
//! ([`Guard::allowed`], which the tests use for 127.0.0.1) or private addresses for one channel
//! (`allow_private` on the channel).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Which addresses outgoing requests may reach.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Guard {
    /// Everything is allowed (an admin's choice for a channel, or a test).
    pub allow_private: bool,
    /// Addresses allowed although private (an admin's allowlist).
    pub allowed: Vec<IpAddr>,
}

/// Whether an address is one users' URLs may not reach.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let seg0 = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg0 & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg0 & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg0 & 0xffc0) == 0xfec0 // site-local (deprecated)
                || v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1)
                || (seg0 == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
                || (seg0 == 0x0064 && v6.segments()[1] == 0xff9b) // NAT64 can reach IPv4 private space
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared address space 100.64.0.0/10
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18.0.0/15
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || o[0] >= 240 // reserved
}

impl Guard {
    /// Allows everything.
    pub fn open() -> Guard {
        Guard { allow_private: true, allowed: Vec::new() }
    }

    /// Whether a connection to `ip` is allowed.
    pub fn permits(&self, ip: IpAddr) -> bool {
        self.allow_private || self.allowed.contains(&ip) || !is_forbidden(ip)
    }

    /// Checks a URL's form and, for an IP literal host, its address. Host names are checked when
    /// they resolve. Returns the parsed URL.
    pub fn check_url(&self, url: &str) -> Result<reqwest::Url, String> {
        let u = reqwest::Url::parse(url.trim()).map_err(|e| format!("网址无效：{e}"))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(format!("只支持 http/https 网址，实际为 {}", u.scheme()));
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err("网址中不得包含用户名或密码".into());
        }
        let Some(host) = u.host_str() else { return Err("网址缺少主机名".into()) };
        // The URL parser has already normalised numeric forms (`0x7f.1` → `127.0.0.1`).
        if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            self.check_ip(ip)?;
        }
        Ok(u)
    }

    fn check_ip(&self, ip: IpAddr) -> Result<(), String> {
        if self.permits(ip) {
            Ok(())
        } else {
            Err(format!("拒绝访问内网、回环或链路本地地址 {ip}（需管理员允许）"))
        }
    }
}

/// A DNS resolver that refuses names resolving to a forbidden address (any of them).
#[derive(Clone, Debug)]
pub struct GuardedResolver {
    guard: Arc<Guard>,
}

impl GuardedResolver {
    /// A resolver applying `guard`.
    pub fn new(guard: Guard) -> GuardedResolver {
        GuardedResolver { guard: Arc::new(guard) }
    }
}

/// The error a refused resolution gives (its text reaches the send log).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.guard.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(Box::new(Refused(format!("无法解析 {host}"))) as Box<dyn std::error::Error + Send + Sync>);
            }
            if let Some(bad) = addrs.iter().find(|a| !guard.permits(a.ip())) {
                return Err(Box::new(Refused(format!(
                    "拒绝访问 {host}：解析到内网、回环或链路本地地址 {}（需管理员允许）",
                    bad.ip()
                ))) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}
