//! Peer permissions (Core's `net_permissions.cpp`): the flags of
//! `-whitelist=[perms@]net` and `-whitebind=[perms@]addr`, their parsing with
//! Core's errors, and the names `getpeerinfo` shows.

use std::net::{IpAddr, SocketAddr};

use crate::banman::Subnet;

/// Core's `NetPermissionFlags` (same bit values).
pub mod flags {
    pub const NONE: u32 = 0;
    pub const BLOOM_FILTER: u32 = 1 << 1;
    pub const RELAY: u32 = 1 << 3;
    /// Implies relay.
    pub const FORCE_RELAY: u32 = (1 << 2) | RELAY;
    pub const DOWNLOAD: u32 = 1 << 6;
    /// Implies download.
    pub const NO_BAN: u32 = (1 << 4) | DOWNLOAD;
    pub const MEMPOOL: u32 = 1 << 5;
    pub const ADDR: u32 = 1 << 7;
    /// No `@` given: the connection manager applies the default set.
    pub const IMPLICIT: u32 = 1 << 31;
    pub const ALL: u32 = BLOOM_FILTER | FORCE_RELAY | RELAY | NO_BAN | MEMPOOL | DOWNLOAD | ADDR;
}

/// Whether `have` includes every bit of `flag` (Core's `HasFlag`).
pub fn has_flag(have: u32, flag: u32) -> bool {
    have & flag == flag
}

/// The names of the flags set, in Core's order (`NetPermissions::ToStrings`).
pub fn permission_names(f: u32) -> Vec<&'static str> {
    let mut out = Vec::new();
    for (flag, name) in [
        (flags::BLOOM_FILTER, "bloomfilter"),
        (flags::NO_BAN, "noban"),
        (flags::FORCE_RELAY, "forcerelay"),
        (flags::RELAY, "relay"),
        (flags::MEMPOOL, "mempool"),
        (flags::DOWNLOAD, "download"),
        (flags::ADDR, "addr"),
    ] {
        if has_flag(f, flag) {
            out.push(name);
        }
    }
    out
}

/// Splits `perm1,perm2@rest`: the flags and `rest` (Core's
/// `TryParsePermissionFlags`); without `@` the flags are implicit.
fn parse_flags(s: &str) -> Result<(u32, &str), String> {
    let Some((perms, rest)) = s.split_once('@') else {
        return Ok((flags::IMPLICIT, s));
    };
    let mut out = flags::NONE;
    for p in perms.split(',') {
        out |= match p {
            "bloomfilter" | "bloom" => flags::BLOOM_FILTER,
            "noban" => flags::NO_BAN,
            "forcerelay" => flags::FORCE_RELAY,
            "mempool" => flags::MEMPOOL,
            "download" => flags::DOWNLOAD,
            "all" => flags::ALL,
            "relay" => flags::RELAY,
            "addr" => flags::ADDR,
            "" => flags::NONE,
            other => return Err(format!("Invalid P2P permission: '{other}'")),
        };
    }
    Ok((out, rest))
}

/// One `-whitelist` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whitelist {
    pub flags: u32,
    pub subnet: Subnet,
}

impl Whitelist {
    /// Core's `NetWhitelistPermissions::TryParse`.
    pub fn parse(s: &str) -> Result<Whitelist, String> {
        let (flags, net) = parse_flags(s)?;
        match Subnet::parse(net) {
            Some(subnet) if subnet.is_ip() => Ok(Whitelist { flags, subnet }),
            _ => Err(format!("Invalid netmask specified in -whitelist: '{net}'")),
        }
    }
}

/// One `-whitebind` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whitebind {
    pub flags: u32,
    pub addr: SocketAddr,
}

impl Whitebind {
    /// Core's `NetWhitebindPermissions::TryParse`.
    pub fn parse(s: &str) -> Result<Whitebind, String> {
        let (flags, bind) = parse_flags(s)?;
        let (host, port) = crate::addr::parse_host_port(bind, 0);
        let ip: IpAddr = host
            .parse()
            .map_err(|_| format!("Cannot resolve -whitebind address: '{bind}'"))?;
        if port == 0 {
            return Err(format!("Need to specify a port with -whitebind: '{bind}'"));
        }
        Ok(Whitebind {
            flags,
            addr: SocketAddr::new(ip, port),
        })
    }
}

/// The permissions of an inbound peer from `ip` accepted on a socket with
/// `bind_flags` (Core's `CreateNodeFromAcceptedSocket` with
/// `AddWhitelistPermissionFlags`), implicit flags resolved.
pub fn inbound_permissions(
    bind_flags: u32,
    whitelist: &[Whitelist],
    ip: IpAddr,
    whitelist_relay: bool,
    whitelist_force_relay: bool,
) -> u32 {
    let mut f = bind_flags;
    for w in whitelist {
        if w.subnet.contains(ip) {
            f |= w.flags;
        }
    }
    if has_flag(f, flags::IMPLICIT) {
        f &= !flags::IMPLICIT;
        if whitelist_force_relay {
            f |= flags::FORCE_RELAY;
        }
        if whitelist_relay {
            f |= flags::RELAY;
        }
        f |= flags::MEMPOOL | flags::NO_BAN;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitelist_parsing() {
        let w = Whitelist::parse("noban@127.0.0.1").unwrap();
        assert_eq!(w.flags, flags::NO_BAN);
        assert_eq!(w.subnet.to_string(), "127.0.0.1/32");
        let w = Whitelist::parse("1.2.3.0/24").unwrap();
        assert_eq!(w.flags, flags::IMPLICIT);
        let w = Whitelist::parse("bloom,forcerelay,,@::1").unwrap();
        assert_eq!(w.flags, flags::BLOOM_FILTER | flags::FORCE_RELAY);
        assert_eq!(
            Whitelist::parse("oopsie@127.0.0.1").unwrap_err(),
            "Invalid P2P permission: 'oopsie'"
        );
        assert_eq!(
            Whitelist::parse("noban@1.2.3.4/99").unwrap_err(),
            "Invalid netmask specified in -whitelist: '1.2.3.4/99'"
        );
    }

    #[test]
    fn whitebind_parsing() {
        let w = Whitebind::parse("relay@127.0.0.1:8333").unwrap();
        assert_eq!(w.flags, flags::RELAY);
        assert_eq!(w.addr, "127.0.0.1:8333".parse().unwrap());
        assert_eq!(
            Whitebind::parse("noban@127.0.0.1").unwrap_err(),
            "Need to specify a port with -whitebind: '127.0.0.1'"
        );
        assert_eq!(
            Whitebind::parse("noban@nothere:1").unwrap_err(),
            "Cannot resolve -whitebind address: 'nothere:1'"
        );
    }

    #[test]
    fn implicit_and_names() {
        let w = vec![Whitelist::parse("127.0.0.1").unwrap()];
        let f = inbound_permissions(0, &w, "127.0.0.1".parse().unwrap(), true, false);
        assert_eq!(
            permission_names(f),
            ["noban", "relay", "mempool", "download"]
        );
        let f = inbound_permissions(0, &w, "127.0.0.2".parse().unwrap(), true, false);
        assert_eq!(f, 0);
        let f = inbound_permissions(0, &w, "127.0.0.1".parse().unwrap(), true, true);
        assert!(has_flag(f, flags::FORCE_RELAY));
        assert_eq!(
            permission_names(flags::ALL),
            [
                "bloomfilter",
                "noban",
                "forcerelay",
                "relay",
                "mempool",
                "download",
                "addr"
            ]
        );
    }
}
