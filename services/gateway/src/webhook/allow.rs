//! Which webhook receivers the operator allows (`--webhook-allow`, `FAZHI_WEBHOOK_ALLOW`):
//! comma-separated `host` or `host:port` patterns — an exact name or IP (`127.0.0.1:8080`,
//! `[::1]:9000`, `hooks.example.gov.cn`) or a subdomain wildcard (`*.example.gov.cn`, which
//! does not match the bare domain). Empty means no webhooks at all.
//!
//! A URL is checked twice: by the host it names (at submission and before each attempt), and by
//! the addresses its name resolves to (before each attempt, [`Allowlist::check_addr`]): a name
//! may resolve only to public addresses, or to addresses the list names itself, so a DNS answer
//! pointing at loopback or the private network is refused. The sender then connects to the
//! address it checked, never resolving again, and follows no redirect.

use std::net::{IpAddr, SocketAddr};

/// One allowed `host[:port]` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    host: Host,
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Ip(IpAddr),
    Name(String),
    /// `*.suffix`: any name ending in `.suffix`.
    Subdomains(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist(Vec<Pattern>);

/// A notify URL taken apart: scheme, host as written (lowercase), port (default per scheme).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub https: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
}

impl Allowlist {
    /// Parses the comma-separated list; names the entry that is malformed.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            out.push(parse_pattern(entry).ok_or_else(|| {
                format!("webhook allow entry {entry:?} is not host, host:port or *.domain[:port]")
            })?);
        }
        Ok(Self(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The URL's scheme, form and host:port against the list.
    pub fn check_url(&self, url: &str) -> Result<Target, String> {
        if self.0.is_empty() {
            return Err("webhooks are not enabled on this server (--webhook-allow)".into());
        }
        let t = parse_url(url)?;
        if self.0.iter().any(|p| p.matches_host(&t.host, t.port)) {
            Ok(t)
        } else {
            Err(format!(
                "host {}:{} is not on the webhook allowlist",
                t.host, t.port
            ))
        }
    }

    /// A resolved address of `target`: allowed when the URL names the IP itself, when the list
    /// names this address, or when the address is public.
    pub fn check_addr(&self, target: &Target, addr: SocketAddr) -> Result<(), String> {
        let named_ip = target.host.trim_matches(['[', ']']).parse::<IpAddr>().ok();
        if named_ip == Some(addr.ip()) {
            return Ok(());
        }
        let listed = self.0.iter().any(|p| {
            matches!(p.host, Host::Ip(ip) if ip == addr.ip())
                && p.port.is_none_or(|q| q == addr.port())
        });
        if listed || is_public(addr.ip()) {
            Ok(())
        } else {
            Err(format!(
                "{} resolves to {}, a non-public address the allowlist does not name",
                target.host,
                addr.ip()
            ))
        }
    }
}

impl Pattern {
    fn matches_host(&self, host: &str, port: u16) -> bool {
        if self.port.is_some_and(|p| p != port) {
            return false;
        }
        let bare = host.trim_matches(['[', ']']);
        match &self.host {
            Host::Ip(ip) => bare.parse::<IpAddr>().is_ok_and(|h| h == *ip),
            Host::Name(n) => bare == n,
            Host::Subdomains(s) => bare
                .strip_suffix(s.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        }
    }
}

fn parse_pattern(entry: &str) -> Option<Pattern> {
    let entry = entry.to_ascii_lowercase();
    let (host, port) = split_host_port(&entry)?;
    let host = if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
        Host::Ip(ip)
    } else if let Some(suffix) = host.strip_prefix("*.") {
        valid_name(suffix).then(|| Host::Subdomains(suffix.to_string()))?
    } else {
        valid_name(host).then(|| Host::Name(host.to_string()))?
    };
    Some(Pattern { host, port })
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`.
fn split_host_port(s: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = s.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &s[..end + 2];
        return match &rest[end + 1..] {
            "" => Some((host, None)),
            p => Some((host, Some(p.strip_prefix(':')?.parse().ok()?))),
        };
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some((h, Some(p.parse().ok()?))),
        Some(_) => Some((s, None)), // a bare IPv6 address
        None => Some((s, None)),
    }
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// `http(s)://host[:port][/path]`, without user info or fragment.
pub fn parse_url(url: &str) -> Result<Target, String> {
    let bad = |why: &str| format!("notify_url {url:?} {why}");
    if url.len() > 2048 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("must be at most 2048 characters without spaces"));
    }
    let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(bad("must start with http:// or https://"));
    };
    if rest.contains('#') {
        return Err(bad("must not carry a fragment"));
    }
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.contains('@') {
        return Err(bad("must not carry user info"));
    }
    let authority = authority.to_ascii_lowercase();
    let (host, port) =
        split_host_port(&authority).ok_or_else(|| bad("has a malformed host or port"))?;
    let is_ip = host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok();
    if !is_ip && !valid_name(host) {
        return Err(bad("has a malformed host"));
    }
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    Ok(Target {
        https,
        host: host.to_string(),
        port: port.unwrap_or(if https { 443 } else { 80 }),
        path,
    })
}

/// Globally routable: not loopback, private, link-local, shared (CGNAT), unspecified,
/// multicast, broadcast or documentation space.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 198 && (o[1] & 0xfe) == 18))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
                || seg[0] == 0x2001 && seg[1] == 0x0db8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("addr")
    }

    #[test]
    fn hosts_ports_and_wildcards() {
        let a = Allowlist::parse("127.0.0.1:8080, *.example.gov.cn, hooks.test, [::1]:9000")
            .expect("parse");
        assert!(a.check_url("http://127.0.0.1:8080/hook?x=1").is_ok());
        assert!(a.check_url("http://127.0.0.1:8081/hook").is_err());
        assert!(a.check_url("https://a.example.gov.cn/h").is_ok());
        assert!(a.check_url("https://a.b.example.gov.cn/h").is_ok());
        assert!(a.check_url("https://example.gov.cn/h").is_err());
        assert!(a.check_url("https://evilexample.gov.cn/h").is_err());
        assert!(a.check_url("http://hooks.test:1234/").is_ok());
        assert!(a.check_url("http://[::1]:9000/").is_ok());
        assert!(a.check_url("http://user@127.0.0.1:8080/").is_err());
        assert!(a.check_url("ftp://127.0.0.1:8080/").is_err());
        assert!(
            Allowlist::default()
                .check_url("http://127.0.0.1:8080/")
                .is_err()
        );
        assert!(Allowlist::parse("bad host").is_err());
        assert!(Allowlist::parse("h:99999").is_err());
    }

    #[test]
    fn resolved_addresses_must_be_public_or_listed() {
        let a = Allowlist::parse("localhost:8080,127.0.0.2,*.example.gov.cn").expect("parse");
        let t = a.check_url("http://localhost:8080/").expect("named");
        assert!(a.check_addr(&t, addr("127.0.0.1:8080")).is_err());
        assert!(a.check_addr(&t, addr("127.0.0.2:8080")).is_ok());
        let t = a.check_url("https://x.example.gov.cn/").expect("named");
        assert!(a.check_addr(&t, addr("10.1.2.3:443")).is_err());
        assert!(a.check_addr(&t, addr("[::ffff:192.168.0.1]:443")).is_err());
        assert!(a.check_addr(&t, addr("202.96.0.1:443")).is_ok());
        let t = a.check_url("http://127.0.0.2:80/").expect("ip");
        assert!(a.check_addr(&t, addr("127.0.0.2:80")).is_ok());
    }
}
