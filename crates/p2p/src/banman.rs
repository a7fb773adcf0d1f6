//! Bans and discouragement (Core's `banman.cpp`, `net_types.cpp` and the
//! `banlist.json` part of `addrdb.cpp`): manual bans of addresses and subnets
//! with an expiry, saved to `banlist.json` in Core's format, and the
//! in-memory set of discouraged addresses of misbehaving peers.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::connman::lock;

/// `DEFAULT_MISBEHAVING_BANTIME`: 24 hours.
pub const DEFAULT_MISBEHAVING_BANTIME: i64 = 60 * 60 * 24;
/// `CBanEntry::CURRENT_VERSION`.
const BAN_ENTRY_VERSION: i64 = 1;
/// Addresses the discouragement filter remembers (Core's rolling filter of 50,000).
const MAX_DISCOURAGED: usize = 50_000;

/// An IP network or a single non-IP address (Core's `CSubNet`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subnet {
    /// Network address (already masked) and prefix length.
    Ip(IpAddr, u8),
    /// A Tor v3, I2P or other non-IP address, matched exactly.
    Other(String),
}

impl Subnet {
    /// A single address.
    pub fn single(ip: IpAddr) -> Subnet {
        let ip = canonical_ip(ip);
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        Subnet::Ip(ip, bits)
    }

    /// Core's `LookupSubNet` without name resolution: `addr`, `addr/bits` or
    /// `addr/netmask`; `None` when invalid.
    pub fn parse(s: &str) -> Option<Subnet> {
        let (addr, mask) = match s.split_once('/') {
            Some((a, m)) => (a, Some(m)),
            None => (s, None),
        };
        let ip: IpAddr = match addr.parse::<IpAddr>() {
            Ok(ip) => canonical_ip(ip),
            Err(_) => {
                return (mask.is_none() && is_onion_v3(addr))
                    .then(|| Subnet::Other(addr.to_ascii_lowercase()))
            }
        };
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let bits = match mask {
            None => max as u8,
            Some(m) if !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()) => {
                let n: u32 = m.parse().ok()?;
                if n > max {
                    return None;
                }
                n as u8
            }
            Some(m) => {
                let mask: IpAddr = canonical_ip(m.parse().ok()?);
                let raw = match (ip, mask) {
                    (IpAddr::V4(_), IpAddr::V4(m)) => u32::from(m) as u128,
                    (IpAddr::V6(_), IpAddr::V6(m)) => u128::from(m),
                    _ => return None,
                };
                let width = max;
                let ones = raw.count_ones();
                let expect = if ones == 0 {
                    0
                } else {
                    ((u128::MAX >> (128 - width)) >> (width - ones)) << (width - ones)
                };
                if raw != expect {
                    return None;
                }
                ones as u8
            }
        };
        Some(Subnet::Ip(mask_ip(ip, bits), bits))
    }

    pub fn is_ip(&self) -> bool {
        matches!(self, Subnet::Ip(..))
    }

    /// Whether `ip` is in the network (Core's `CSubNet::Match`).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match self {
            Subnet::Ip(net, bits) => {
                let ip = canonical_ip(ip);
                ip.is_ipv4() == net.is_ipv4() && mask_ip(ip, *bits) == *net
            }
            Subnet::Other(_) => false,
        }
    }

    /// Core's order of `CNetAddr` networks: IPv4, IPv6, then the others.
    fn rank(&self) -> (u8, Vec<u8>, u8) {
        match self {
            Subnet::Ip(IpAddr::V4(a), b) => (1, a.octets().to_vec(), *b),
            Subnet::Ip(IpAddr::V6(a), b) => (2, a.octets().to_vec(), *b),
            Subnet::Other(s) => (3, s.as_bytes().to_vec(), 0),
        }
    }
}

impl Ord for Subnet {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for Subnet {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subnet::Ip(ip, bits) => write!(f, "{ip}/{bits}"),
            Subnet::Other(s) => f.write_str(s),
        }
    }
}

fn is_onion_v3(s: &str) -> bool {
    s.strip_suffix(".onion").is_some_and(|h| {
        h.len() == 56
            && h.bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
    })
}

/// IPv4-mapped IPv6 addresses as IPv4.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn mask_ip(ip: IpAddr, bits: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let m = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits))
            };
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & m))
        }
        IpAddr::V6(a) => {
            let m = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits))
            };
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & m))
        }
    }
}

/// One ban (Core's `CBanEntry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BanEntry {
    pub create_time: i64,
    pub ban_until: i64,
}

#[derive(Default)]
struct State {
    banned: BTreeMap<Subnet, BanEntry>,
    dirty: bool,
    discouraged: HashSet<IpAddr>,
    discouraged_order: VecDeque<IpAddr>,
}

/// The ban manager (Core's `BanMan`).
pub struct BanMan {
    /// `banlist.json`; `None` keeps bans in memory only.
    path: Option<PathBuf>,
    default_ban_time: i64,
    /// Seconds since the epoch (mockable).
    clock: Arc<dyn Fn() -> i64 + Send + Sync>,
    state: Mutex<State>,
}

impl BanMan {
    /// Loads `path` (Core's `LoadBanlist`), then saves it.
    pub fn new(
        path: Option<PathBuf>,
        default_ban_time: i64,
        clock: Arc<dyn Fn() -> i64 + Send + Sync>,
    ) -> BanMan {
        let man = BanMan {
            path,
            default_ban_time,
            clock,
            state: Mutex::new(State::default()),
        };
        man.load();
        man.dump();
        man
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    fn load(&self) {
        let Some(path) = &self.path else { return };
        let dat = path.with_extension("dat");
        if dat.exists() {
            tracing::info!("banlist.dat ignored because it can only be read by Widecoin Core version 22.x. Remove \"{}\" to silence this warning.", dat.display());
        }
        let mut st = lock(&self.state);
        let loaded = if path.exists() {
            match std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|t| parse_banlist(&t))
            {
                Ok(b) => Some(b),
                Err(e) => {
                    tracing::info!("Cannot parse banlist {}: {e}", path.display());
                    None
                }
            }
        } else {
            None
        };
        match loaded {
            Some(banned) => {
                st.banned = banned;
                self.sweep(&mut st);
                tracing::debug!(target: "net", "Loaded {} banned node addresses/subnets  0ms", st.banned.len());
            }
            None => {
                tracing::info!("Recreating the banlist database");
                st.banned.clear();
                st.dirty = true;
            }
        }
    }

    /// Core's `DumpBanlist`: writes `banlist.json` when something changed.
    pub fn dump(&self) {
        let banned = {
            let mut st = lock(&self.state);
            self.sweep(&mut st);
            if !st.dirty {
                return;
            }
            st.dirty = false;
            st.banned.clone()
        };
        let Some(path) = &self.path else { return };
        let text = banlist_json(&banned);
        let tmp = path.with_extension("json.new");
        let written =
            std::fs::write(&tmp, text.as_bytes()).and_then(|_| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            tracing::error!("Failed to write {}: {e}", path.display());
            lock(&self.state).dirty = true;
            return;
        }
        tracing::debug!(target: "net", "Flushed {} banned node addresses/subnets to disk  0ms", banned.len());
    }

    fn sweep(&self, st: &mut State) {
        let now = self.now();
        let expired: Vec<Subnet> = st
            .banned
            .iter()
            .filter(|(_, e)| now > e.ban_until)
            .map(|(s, _)| s.clone())
            .collect();
        for s in expired {
            st.banned.remove(&s);
            st.dirty = true;
            tracing::debug!(target: "net", "Removed banned node address/subnet: {s}");
        }
    }

    /// Core's `Ban`: `offset` seconds from now (or until `offset` when
    /// `absolute`); 0 or less means the default ban time.
    pub fn ban(&self, subnet: &Subnet, offset: i64, absolute: bool) {
        let now = self.now();
        let (offset, absolute) = if offset <= 0 {
            (self.default_ban_time, false)
        } else {
            (offset, absolute)
        };
        let entry = BanEntry {
            create_time: now,
            ban_until: if absolute { 0 } else { now } + offset,
        };
        {
            let mut st = lock(&self.state);
            let current = st.banned.get(subnet).map_or(0, |e| e.ban_until);
            if current >= entry.ban_until {
                return;
            }
            st.banned.insert(subnet.clone(), entry);
            st.dirty = true;
        }
        self.dump();
    }

    /// Core's `Unban`: false when `subnet` was not banned.
    pub fn unban(&self, subnet: &Subnet) -> bool {
        {
            let mut st = lock(&self.state);
            if st.banned.remove(subnet).is_none() {
                return false;
            }
            st.dirty = true;
        }
        self.dump();
        true
    }

    /// Core's `ClearBanned`.
    pub fn clear_banned(&self) {
        {
            let mut st = lock(&self.state);
            st.banned.clear();
            st.dirty = true;
        }
        self.dump();
    }

    /// Whether an unexpired ban covers `ip`.
    pub fn is_banned(&self, ip: IpAddr) -> bool {
        let now = self.now();
        lock(&self.state)
            .banned
            .iter()
            .any(|(s, e)| now < e.ban_until && s.contains(ip))
    }

    /// Whether exactly `subnet` is banned and unexpired.
    pub fn is_subnet_banned(&self, subnet: &Subnet) -> bool {
        let now = self.now();
        lock(&self.state)
            .banned
            .get(subnet)
            .is_some_and(|e| now < e.ban_until)
    }

    /// The unexpired bans (Core's `GetBanned`).
    pub fn banned(&self) -> Vec<(Subnet, BanEntry)> {
        let mut st = lock(&self.state);
        self.sweep(&mut st);
        st.banned.iter().map(|(s, e)| (s.clone(), *e)).collect()
    }

    /// Core's `Discourage`.
    pub fn discourage(&self, ip: IpAddr) {
        let ip = canonical_ip(ip);
        let mut st = lock(&self.state);
        if st.discouraged.insert(ip) {
            st.discouraged_order.push_back(ip);
            if st.discouraged_order.len() > MAX_DISCOURAGED {
                if let Some(old) = st.discouraged_order.pop_front() {
                    st.discouraged.remove(&old);
                }
            }
        }
    }

    /// Core's `IsDiscouraged`.
    pub fn is_discouraged(&self, ip: IpAddr) -> bool {
        lock(&self.state).discouraged.contains(&canonical_ip(ip))
    }
}

/// `banlist.json`: `{"banned_nets": [...]}` as Core's `BanMapToJson` and
/// `WriteSettings` write it.
fn banlist_json(banned: &BTreeMap<Subnet, BanEntry>) -> String {
    let mut out = String::from("{\n    \"banned_nets\": [");
    let mut first = true;
    for (s, e) in banned {
        out.push_str(if first { "\n" } else { ",\n" });
        first = false;
        out.push_str(&format!(
            "        {{\n            \"version\": {BAN_ENTRY_VERSION},\n            \"ban_created\": {},\n            \"banned_until\": {},\n            \"address\": \"{s}\"\n        }}",
            e.create_time, e.ban_until
        ));
    }
    out.push_str("\n    ]\n}\n");
    out
}

/// Reads `banlist.json` (Core's `BanMapFromJson`), dropping entries Core drops.
fn parse_banlist(text: &str) -> Result<BTreeMap<Subnet, BanEntry>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let list = v
        .get("banned_nets")
        .and_then(|l| l.as_array())
        .ok_or("JSON value is not an array as expected")?;
    let mut out = BTreeMap::new();
    for e in list {
        let int = |k: &str| {
            e.get(k)
                .and_then(|x| x.as_i64())
                .ok_or_else(|| "JSON value is not an integer as expected".to_string())
        };
        let version = int("version")?;
        if version != BAN_ENTRY_VERSION {
            tracing::info!("Dropping entry with unknown version ({version}) from ban list");
            continue;
        }
        let addr = e
            .get("address")
            .and_then(|x| x.as_str())
            .ok_or("JSON value is not a string as expected")?;
        let Some(subnet) = Subnet::parse(addr) else {
            tracing::info!(
                "Dropping entry with unparseable address or subnet ({addr}) from ban list"
            );
            continue;
        };
        out.insert(
            subnet,
            BanEntry {
                create_time: int("ban_created")?,
                ban_until: int("banned_until")?,
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering as AtomicOrdering};

    #[test]
    fn subnets() {
        assert_eq!(Subnet::parse("1.2.3.4").unwrap().to_string(), "1.2.3.4/32");
        assert_eq!(
            Subnet::parse("1.2.3.4/24").unwrap().to_string(),
            "1.2.3.0/24"
        );
        assert_eq!(
            Subnet::parse("1.2.3.4/255.255.0.0").unwrap().to_string(),
            "1.2.0.0/16"
        );
        assert!(Subnet::parse("1.2.3.4/255.0.255.0").is_none());
        assert!(Subnet::parse("127.0.0.1/42").is_none());
        assert!(Subnet::parse("1.2.3.4/").is_none());
        assert_eq!(
            Subnet::parse("2001:4d48:ac57:400:cacf:e9ff:fe1d:9c63/19")
                .unwrap()
                .to_string(),
            "2001:4000::/19"
        );
        let onion = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
        assert_eq!(Subnet::parse(onion).unwrap().to_string(), onion);
        assert!(Subnet::parse("nothing").is_none());
        let net = Subnet::parse("127.0.0.0/24").unwrap();
        assert!(net.contains("127.0.0.9".parse().unwrap()));
        assert!(!net.contains("127.0.1.9".parse().unwrap()));
        assert!(Subnet::parse("1.2.3.4").unwrap() < Subnet::parse("::1").unwrap());
    }

    #[test]
    fn bans_persist_and_expire() {
        let dir = std::env::temp_dir().join(format!("banman-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("banlist.json");
        let _ = std::fs::remove_file(&path);
        let now = Arc::new(AtomicI64::new(1000));
        let clock = {
            let now = now.clone();
            Arc::new(move || now.load(AtomicOrdering::SeqCst))
        };
        let man = BanMan::new(Some(path.clone()), 50, clock.clone());
        assert!(path.exists());
        man.ban(&Subnet::parse("10.0.0.0/8").unwrap(), 0, false);
        man.ban(&Subnet::parse("1.2.3.4").unwrap(), 2000, true);
        assert!(man.is_banned("10.1.2.3".parse().unwrap()));
        assert!(!man.is_banned("11.1.2.3".parse().unwrap()));
        let again = BanMan::new(Some(path.clone()), 50, clock);
        let list = again.banned();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].0.to_string(), "1.2.3.4/32");
        assert_eq!(list[0].1.ban_until, 2000);
        assert_eq!(list[1].1.ban_until, 1050);
        now.store(1051, AtomicOrdering::SeqCst);
        assert_eq!(again.banned().len(), 1);
        assert!(again.unban(&Subnet::parse("1.2.3.4").unwrap()));
        assert!(!again.unban(&Subnet::parse("1.2.3.4").unwrap()));
        again.discourage("5.6.7.8".parse().unwrap());
        assert!(again.is_discouraged("5.6.7.8".parse().unwrap()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
