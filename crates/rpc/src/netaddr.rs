//! The address handling the RPC server needs: `-rpcallowip` subnets
//! (Core's `CSubNet` and `LookupSubNet`) and `host:port` splitting
//! (`SplitHostPort`).

use std::fmt;
use std::net::IpAddr;

/// An IPv4 or IPv6 subnet: a network address and a netmask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubNet {
    network: IpAddr,
    /// Mask bytes; 4 used for IPv4, 16 for IPv6.
    mask: [u8; 16],
}

/// Numeric IP parsing as `LookupHost(name, false)`: brackets allowed, no
/// name resolution; IPv4-mapped IPv6 addresses are IPv4 (as `CNetAddr`).
fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    s.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

fn octets(ip: &IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

fn from_octets(v4: bool, b: &[u8]) -> IpAddr {
    if v4 {
        IpAddr::from(<[u8; 4]>::try_from(b).expect("4 bytes"))
    } else {
        IpAddr::from(<[u8; 16]>::try_from(b).expect("16 bytes"))
    }
}

impl SubNet {
    /// The subnet of a single address (`/32` or `/128`).
    pub fn single(ip: IpAddr) -> Self {
        let ip = ip.to_canonical();
        SubNet {
            network: ip,
            mask: [0xff; 16],
        }
    }

    /// A subnet from an address and a prefix length; `None` when the length
    /// is too large for the address family.
    pub fn with_prefix(ip: IpAddr, bits: u8) -> Option<Self> {
        let ip = ip.to_canonical();
        let mut addr = octets(&ip);
        if usize::from(bits) > addr.len() * 8 {
            return None;
        }
        let mut mask = [0u8; 16];
        let mut n = bits;
        for (i, byte) in addr.iter_mut().enumerate() {
            let take = n.min(8);
            mask[i] = if take == 0 { 0 } else { 0xffu8 << (8 - take) };
            *byte &= mask[i];
            n -= take;
        }
        Some(SubNet {
            network: from_octets(ip.is_ipv4(), &addr),
            mask,
        })
    }

    /// A subnet from an address and a netmask of the same family; `None`
    /// when the mask has a one after a zero.
    pub fn with_netmask(ip: IpAddr, netmask: IpAddr) -> Option<Self> {
        let (ip, netmask) = (ip.to_canonical(), netmask.to_canonical());
        if ip.is_ipv4() != netmask.is_ipv4() {
            return None;
        }
        let m = octets(&netmask);
        let ones: u32 = m.iter().map(|b| b.count_ones()).sum();
        let contiguous = m
            .iter()
            .flat_map(|b| (0..8).rev().map(move |i| b >> i & 1))
            .skip(ones as usize)
            .all(|bit| bit == 0);
        if !contiguous {
            return None;
        }
        Self::with_prefix(ip, ones as u8)
    }

    /// `LookupSubNet`: `1.2.3.4`, `1.2.3.4/24`, `1.2.3.4/255.255.255.0`,
    /// `::1`, `fe80::/10`, ...
    pub fn parse(s: &str) -> Option<Self> {
        if s.contains('\0') {
            return None;
        }
        let (addr, mask) = match s.rfind('/') {
            Some(p) => (&s[..p], Some(&s[p + 1..])),
            None => (s, None),
        };
        let ip = parse_ip(addr)?;
        match mask {
            None => Some(Self::single(ip)),
            Some(m) if !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()) => {
                Self::with_prefix(ip, m.parse::<u8>().ok()?)
            }
            Some(m) => Self::with_netmask(ip, parse_ip(m)?),
        }
    }

    /// `CSubNet::Match`.
    pub fn matches(&self, addr: IpAddr) -> bool {
        let addr = addr.to_canonical();
        if addr.is_ipv4() != self.network.is_ipv4() {
            return false;
        }
        let net = octets(&self.network);
        octets(&addr)
            .iter()
            .zip(net.iter())
            .enumerate()
            .all(|(i, (a, n))| a & self.mask[i] == *n)
    }

    fn prefix_len(&self) -> u32 {
        let len = if self.network.is_ipv4() { 4 } else { 16 };
        self.mask[..len].iter().map(|b| b.count_ones()).sum()
    }
}

impl fmt::Display for SubNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len())
    }
}

/// `SplitHostPort`: splits `host:port`, `[v6]:port`, `v6` (several colons,
/// no brackets: no port). Returns the host, the port (or `default_port`),
/// and whether the port was valid (absent, or 1-65535).
pub fn split_host_port(input: &str, default_port: u16) -> (String, u16, bool) {
    let mut s = input;
    let mut port = default_port;
    let mut valid = false;
    match s.rfind(':') {
        Some(colon) => {
            let bracketed = s.starts_with('[') && colon > 0 && s.as_bytes()[colon - 1] == b']';
            let multi_colon = colon != 0 && s[..colon].contains(':');
            if colon == 0 || bracketed || !multi_colon {
                let p = &s[colon + 1..];
                if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                    if let Ok(n) = p.parse::<u16>() {
                        s = &s[..colon];
                        port = n;
                        valid = n != 0;
                    }
                }
            } else {
                valid = true;
            }
        }
        None => valid = true,
    }
    let host = if s.len() >= 2 && s.starts_with('[') && s.ends_with(']') {
        &s[1..s.len() - 1]
    } else {
        s
    };
    (host.to_string(), port, valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn subnets() {
        let n = SubNet::parse("1.2.3.4/24").unwrap();
        assert_eq!(n.to_string(), "1.2.3.0/24");
        assert!(n.matches(ip("1.2.3.200")) && !n.matches(ip("1.2.4.1")));
        assert!(n.matches(ip("::ffff:1.2.3.9")));
        assert_eq!(
            SubNet::parse("1.2.3.4/255.255.0.0").unwrap().to_string(),
            "1.2.0.0/16"
        );
        assert_eq!(SubNet::parse("1.2.3.4").unwrap().to_string(), "1.2.3.4/32");
        assert_eq!(SubNet::parse("::1").unwrap().to_string(), "::1/128");
        assert_eq!(
            SubNet::parse("127.0.0.1/8").unwrap().to_string(),
            "127.0.0.0/8"
        );
        let all4 = SubNet::parse("0.0.0.0/0").unwrap();
        assert!(all4.matches(ip("8.8.8.8")) && !all4.matches(ip("::2")));
        assert!(SubNet::parse("::/0").unwrap().matches(ip("2001:db8::1")));
        assert!(SubNet::parse("1.2.3.4/33").is_none());
        assert!(SubNet::parse("1.2.3.4/255.0.255.0").is_none());
        assert!(SubNet::parse("1.2.3.4/ffff::").is_none());
        assert!(SubNet::parse("1.2.3.4.5").is_none());
        assert!(SubNet::parse("example.com").is_none());
        assert!(SubNet::parse("").is_none());
        assert!(SubNet::parse("1.2.3.4/").is_none());
    }

    #[test]
    fn host_port() {
        assert_eq!(
            split_host_port("127.0.0.1:8332", 1),
            ("127.0.0.1".into(), 8332, true)
        );
        assert_eq!(
            split_host_port("127.0.0.1", 1),
            ("127.0.0.1".into(), 1, true)
        );
        assert_eq!(split_host_port("[::1]:5", 1), ("::1".into(), 5, true));
        assert_eq!(split_host_port("::1", 1), ("::1".into(), 1, true));
        assert_eq!(split_host_port("[::1]", 1), ("::1".into(), 1, true));
        assert_eq!(split_host_port("host:0", 1), ("host".into(), 0, false));
        assert_eq!(split_host_port("host:x", 1), ("host:x".into(), 1, false));
        assert_eq!(split_host_port(":7", 1), ("".into(), 7, true));
    }
}
