//! Addresses: `host[:port]` parsing and Core's network classes
//! (`netaddress.cpp` `IsRoutable`, `GetNetClass`).

use std::net::{IpAddr, SocketAddr};

/// Splits `host[:port]` / `[v6]:port` (Core's `SplitHostPort`); an invalid or
/// missing port gives `default_port`.
pub fn parse_host_port(s: &str, default_port: u16) -> (String, u16) {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((host, tail)) = rest.split_once(']') {
            let port = tail.strip_prefix(':').and_then(|p| p.parse().ok());
            return (host.to_string(), port.unwrap_or(default_port));
        }
    }
    match s.rsplit_once(':') {
        // One colon: host:port; more: a bare IPv6 address.
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(p) => (host.to_string(), p),
            Err(_) => (s.to_string(), default_port),
        },
        _ => (s.to_string(), default_port),
    }
}

/// An IPv4-mapped IPv6 address as IPv4 (dual-stack listeners see them).
pub fn canonical(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), v6.port()),
            None => addr,
        },
        v4 => v4,
    }
}

/// Core's `CNetAddr::IsRoutable` for IP addresses.
pub fn is_routable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || o[0] == 0
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // RFC2544
                || (o[0] == 192 && o[1] == 0 && o[2] == 2) // RFC5737
                || (o[0] == 198 && o[1] == 51 && o[2] == 100)
                || (o[0] == 203 && o[1] == 0 && o[2] == 113)
                || (o[0] == 100 && (o[1] & 0xc0) == 64)) // RFC6598
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_loopback()
                || (s[0] & 0xffc0) == 0xfe80 // RFC4862
                || (s[0] & 0xfe00) == 0xfc00 // RFC4193
                || (s[0] == 0x2001 && s[1] == 0x0db8) // RFC3849
                || (s[0] == 0x2001 && (s[1] & 0xfff0) == 0x0010)) // RFC4843
        }
    }
}

/// The `network` of `getpeerinfo` (Core's `GetNetworkName(GetNetClass())`).
pub fn network_name(ip: IpAddr) -> &'static str {
    if !is_routable(ip) {
        return "not_publicly_routable";
    }
    match ip {
        IpAddr::V4(_) => "ipv4",
        IpAddr::V6(_) => "ipv6",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port() {
        assert_eq!(
            parse_host_port("127.0.0.1:1234", 1),
            ("127.0.0.1".into(), 1234)
        );
        assert_eq!(
            parse_host_port("127.0.0.1", 18444),
            ("127.0.0.1".into(), 18444)
        );
        assert_eq!(parse_host_port("[::1]:5", 1), ("::1".into(), 5));
        assert_eq!(parse_host_port("::1", 7), ("::1".into(), 7));
        assert_eq!(parse_host_port("localhost:x", 7), ("localhost:x".into(), 7));
    }

    #[test]
    fn networks() {
        assert_eq!(
            network_name("127.0.0.1".parse().unwrap()),
            "not_publicly_routable"
        );
        assert_eq!(network_name("8.8.8.8".parse().unwrap()), "ipv4");
        assert_eq!(network_name("2a00::1".parse().unwrap()), "ipv6");
        assert_eq!(
            canonical("[::ffff:127.0.0.1]:5".parse().unwrap()),
            "127.0.0.1:5".parse().unwrap()
        );
    }
}
