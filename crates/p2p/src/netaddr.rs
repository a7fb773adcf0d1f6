//! Network addresses of every network addrman stores (Core's `CNetAddr`,
//! `CService`, `CAddress` in `netaddress.h` and `protocol.h`): BIP155 (v2)
//! and the 16-byte v1 encodings, the network classes, routability and the
//! netgroups bucketing uses (`NetGroupManager::GetGroup` without asmap).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// `IPV4_IN_IPV6_PREFIX`.
const IPV4_IN_IPV6_PREFIX: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
/// `TORV2_IN_IPV6_PREFIX`.
const TORV2_IN_IPV6_PREFIX: [u8; 6] = [0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43];
/// `INTERNAL_IN_IPV6_PREFIX`.
const INTERNAL_IN_IPV6_PREFIX: [u8; 6] = [0xfd, 0x6b, 0x88, 0xc0, 0x87, 0x24];
/// `MAX_ADDRV2_SIZE`.
const MAX_ADDRV2_SIZE: u64 = 512;

/// Core's `enum Network`, in its order (the numbers are part of netgroups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Network {
    Unroutable = 0,
    Ipv4 = 1,
    Ipv6 = 2,
    Onion = 3,
    I2p = 4,
    Cjdns = 5,
    Internal = 6,
}

impl Network {
    /// `GetNetworkName`.
    pub fn name(self) -> &'static str {
        match self {
            Network::Unroutable => "not_publicly_routable",
            Network::Ipv4 => "ipv4",
            Network::Ipv6 => "ipv6",
            Network::Onion => "onion",
            Network::I2p => "i2p",
            Network::Cjdns => "cjdns",
            Network::Internal => "internal",
        }
    }

    /// `ParseNetwork` (`tor` is an alias of `onion`).
    pub fn parse(name: &str) -> Option<Network> {
        match name.to_ascii_lowercase().as_str() {
            "ipv4" => Some(Network::Ipv4),
            "ipv6" => Some(Network::Ipv6),
            "onion" | "tor" => Some(Network::Onion),
            "i2p" => Some(Network::I2p),
            "cjdns" => Some(Network::Cjdns),
            _ => None,
        }
    }

    /// The networks that can be reached (`ALL_NETWORKS` minus the internal
    /// and unroutable classes).
    pub const PUBLIC: [Network; 5] = [
        Network::Ipv4,
        Network::Ipv6,
        Network::Onion,
        Network::I2p,
        Network::Cjdns,
    ];
}

/// A host address of one network (`CNetAddr`). Invalid addresses Core keeps
/// (unknown BIP155 networks, IPv4 or TORv2 embedded in IPv6, internal ones)
/// are the all-zero IPv6 address, which is invalid everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetAddr {
    Ipv4([u8; 4]),
    Ipv6([u8; 16]),
    TorV3([u8; 32]),
    I2p([u8; 32]),
    Cjdns([u8; 16]),
}

/// A malformed address in a message or file; Core's exception text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AddrDecodeError(pub String);

impl AddrDecodeError {
    fn eof() -> Self {
        AddrDecodeError("DataStream::read(): end of data: iostream error".into())
    }
}

/// A little reader over a byte slice, with Core's end-of-data error.
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], AddrDecodeError> {
        if self.0.len() < n {
            return Err(AddrDecodeError::eof());
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], AddrDecodeError> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }
    pub fn u8(&mut self) -> Result<u8, AddrDecodeError> {
        Ok(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> Result<u32, AddrDecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub fn i32(&mut self) -> Result<i32, AddrDecodeError> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    pub fn i64(&mut self) -> Result<i64, AddrDecodeError> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    pub fn u64(&mut self) -> Result<u64, AddrDecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    /// A CompactSize, canonical as Core requires (`ReadCompactSize`).
    pub fn compact_size(&mut self) -> Result<u64, AddrDecodeError> {
        let non_canonical = || AddrDecodeError("non-canonical ReadCompactSize()".into());
        let first = self.u8()?;
        let n = match first {
            0xfd => {
                let n = u16::from_le_bytes(self.array()?) as u64;
                if n < 0xfd {
                    return Err(non_canonical());
                }
                n
            }
            0xfe => {
                let n = self.u32()? as u64;
                if n < 0x1_0000 {
                    return Err(non_canonical());
                }
                n
            }
            0xff => {
                let n = self.u64()?;
                if n < 0x1_0000_0000 {
                    return Err(non_canonical());
                }
                n
            }
            n => n as u64,
        };
        if n > 0x0200_0000 {
            return Err(AddrDecodeError("ReadCompactSize(): size too large".into()));
        }
        Ok(n)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Appends a CompactSize.
pub fn write_compact_size(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=0xfc => out.push(n as u8),
        0xfd..=0xffff => {
            out.push(0xfd);
            out.extend((n as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xfe);
            out.extend((n as u32).to_le_bytes());
        }
        _ => {
            out.push(0xff);
            out.extend(n.to_le_bytes());
        }
    }
}

impl NetAddr {
    /// The invalid address Core keeps for what it cannot represent.
    pub const INVALID: NetAddr = NetAddr::Ipv6([0; 16]);

    pub fn from_ip(ip: IpAddr) -> NetAddr {
        match ip {
            IpAddr::V4(v4) => NetAddr::Ipv4(v4.octets()),
            IpAddr::V6(v6) => NetAddr::from_v1_bytes(v6.octets()),
        }
    }

    /// The IP address, for IPv4 and IPv6.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            NetAddr::Ipv4(b) => Some(IpAddr::V4(Ipv4Addr::from(*b))),
            NetAddr::Ipv6(b) => Some(IpAddr::V6(Ipv6Addr::from(*b))),
            _ => None,
        }
    }

    /// The 16-byte v1 encoding read back (`UnserializeV1Array`).
    pub fn from_v1_bytes(b: [u8; 16]) -> NetAddr {
        if b[..12] == IPV4_IN_IPV6_PREFIX {
            NetAddr::Ipv4(b[12..].try_into().expect("4 bytes"))
        } else if b[..6] == TORV2_IN_IPV6_PREFIX || b[..6] == INTERNAL_IN_IPV6_PREFIX {
            NetAddr::INVALID
        } else {
            NetAddr::Ipv6(b)
        }
    }

    /// Whether the v1 (16-byte) encoding can carry it (`IsAddrV1Compatible`).
    pub fn is_addr_v1_compatible(&self) -> bool {
        matches!(self, NetAddr::Ipv4(_) | NetAddr::Ipv6(_))
    }

    /// The v1 encoding; all zeros for what it cannot carry.
    pub fn v1_bytes(&self) -> [u8; 16] {
        match self {
            NetAddr::Ipv4(b) => {
                let mut out = [0u8; 16];
                out[..12].copy_from_slice(&IPV4_IN_IPV6_PREFIX);
                out[12..].copy_from_slice(b);
                out
            }
            NetAddr::Ipv6(b) => *b,
            _ => [0; 16],
        }
    }

    /// `GetAddrBytes`: the v1 bytes, or the raw bytes of the other networks.
    pub fn addr_bytes(&self) -> Vec<u8> {
        match self {
            NetAddr::Ipv4(_) | NetAddr::Ipv6(_) => self.v1_bytes().to_vec(),
            NetAddr::TorV3(b) | NetAddr::I2p(b) => b.to_vec(),
            NetAddr::Cjdns(b) => b.to_vec(),
        }
    }

    /// BIP155 network id and raw bytes.
    fn bip155(&self) -> (u8, &[u8]) {
        match self {
            NetAddr::Ipv4(b) => (1, b),
            NetAddr::Ipv6(b) => (2, b),
            NetAddr::TorV3(b) => (4, b),
            NetAddr::I2p(b) => (5, b),
            NetAddr::Cjdns(b) => (6, b),
        }
    }

    /// `SerializeV2Stream`.
    pub fn write_v2(&self, out: &mut Vec<u8>) {
        let (id, bytes) = self.bip155();
        out.push(id);
        write_compact_size(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }

    /// `UnserializeV2Stream`: wrong sizes of known networks are errors,
    /// unknown networks give an invalid address.
    pub fn read_v2(r: &mut Reader<'_>) -> Result<NetAddr, AddrDecodeError> {
        let id = r.u8()?;
        let size = r.compact_size()?;
        if size > MAX_ADDRV2_SIZE {
            return Err(AddrDecodeError(format!(
                "Address too long: {size} > {MAX_ADDRV2_SIZE}"
            )));
        }
        let expect = |name: &str, want: u64| {
            if size == want {
                Ok(())
            } else {
                Err(AddrDecodeError(format!(
                    "BIP155 {name} address with length {size} (should be {want})"
                )))
            }
        };
        let bytes = match id {
            1 => expect("IPv4", 4),
            2 => expect("IPv6", 16),
            4 => expect("TORv3", 32),
            5 => expect("I2P", 32),
            6 => expect("CJDNS", 16),
            _ => {
                r.take(size as usize)?;
                return Ok(NetAddr::INVALID);
            }
        }
        .and_then(|()| r.take(size as usize))?;
        Ok(match id {
            1 => NetAddr::Ipv4(bytes.try_into().expect("4")),
            2 => {
                let b: [u8; 16] = bytes.try_into().expect("16");
                if b[..12] == IPV4_IN_IPV6_PREFIX
                    || b[..6] == TORV2_IN_IPV6_PREFIX
                    || b[..6] == INTERNAL_IN_IPV6_PREFIX
                {
                    NetAddr::INVALID
                } else {
                    NetAddr::Ipv6(b)
                }
            }
            4 => NetAddr::TorV3(bytes.try_into().expect("32")),
            5 => NetAddr::I2p(bytes.try_into().expect("32")),
            _ => {
                let b: [u8; 16] = bytes.try_into().expect("16");
                // CJDNS addresses start with 0xfc (`IsCJDNS` after `IsValid`).
                if b[0] == 0xfc {
                    NetAddr::Cjdns(b)
                } else {
                    NetAddr::INVALID
                }
            }
        })
    }

    /// `IsValid`.
    pub fn is_valid(&self) -> bool {
        match self {
            NetAddr::Ipv4(b) => *b != [0; 4] && *b != [255; 4],
            NetAddr::Ipv6(b) => {
                let ip = Ipv6Addr::from(*b);
                // RFC3849 documentation addresses are invalid, not just unroutable.
                !(ip.is_unspecified()
                    || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8))
            }
            _ => true,
        }
    }

    /// `IsLocal`.
    pub fn is_local(&self) -> bool {
        match self {
            NetAddr::Ipv4(b) => b[0] == 127 || b[0] == 0,
            NetAddr::Ipv6(b) => Ipv6Addr::from(*b).is_loopback(),
            _ => false,
        }
    }

    /// `IsRoutable`.
    pub fn is_routable(&self) -> bool {
        if !self.is_valid() {
            return false;
        }
        match self.ip() {
            Some(ip) => crate::addr::is_routable(ip) && !self.is_rfc7343(),
            None => true,
        }
    }

    fn is_rfc7343(&self) -> bool {
        matches!(self, NetAddr::Ipv6(b) if b[0] == 0x20 && b[1] == 0x01 && (b[2] & 0xf0) == 0x00 && b[3] & 0xf0 == 0x20)
    }

    /// `IsRelayable`: every network except the internal one.
    pub fn is_relayable(&self) -> bool {
        true
    }

    /// `GetLinkedIPv4`'s source: IPv4 itself or embedded in a routable IPv6
    /// address (RFC6145, RFC6052, 6to4, Teredo).
    pub fn linked_ipv4(&self) -> Option<[u8; 4]> {
        if !self.is_routable() {
            return None;
        }
        match self {
            NetAddr::Ipv4(b) => Some(*b),
            NetAddr::Ipv6(b) => {
                // RFC6145 and RFC6052 embed it in the last four bytes.
                if b[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0]
                    || b[..12] == [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]
                {
                    Some(b[12..16].try_into().expect("4"))
                } else if b[0] == 0x20 && b[1] == 0x02 {
                    Some(b[2..6].try_into().expect("4")) // RFC3964 6to4
                } else if b[..4] == [0x20, 0x01, 0, 0] {
                    let x: [u8; 4] = b[12..16].try_into().expect("4"); // RFC4380 Teredo
                    Some(x.map(|v| v ^ 0xff))
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// `GetNetwork`.
    pub fn network(&self) -> Network {
        match self {
            NetAddr::Ipv4(_) => Network::Ipv4,
            NetAddr::Ipv6(_) => Network::Ipv6,
            NetAddr::TorV3(_) => Network::Onion,
            NetAddr::I2p(_) => Network::I2p,
            NetAddr::Cjdns(_) => Network::Cjdns,
        }
    }

    /// `GetNetClass`.
    pub fn net_class(&self) -> Network {
        if !self.is_routable() {
            Network::Unroutable
        } else if self.linked_ipv4().is_some() {
            Network::Ipv4
        } else {
            self.network()
        }
    }

    /// `NetGroupManager::GetGroup` without an asmap.
    pub fn group(&self) -> Vec<u8> {
        let class = self.net_class();
        let mut out = vec![class as u8];
        if self.is_local() || !self.is_routable() {
            return out;
        }
        if let Some(v4) = self.linked_ipv4() {
            out.extend_from_slice(&v4[..2]);
            return out;
        }
        let bits = match self {
            NetAddr::TorV3(_) | NetAddr::I2p(_) => 4,
            NetAddr::Cjdns(_) => 12,
            NetAddr::Ipv6(b) if b[..4] == [0x20, 0x01, 0x04, 0x70] => 36, // he.net
            _ => 32,
        };
        let bytes = self.addr_bytes();
        let whole = bits / 8;
        out.extend_from_slice(&bytes[..whole]);
        let rest = bits % 8;
        if rest > 0 {
            out.push(bytes[whole] | ((1u8 << (8 - rest)) - 1));
        }
        out
    }

    /// `ToStringAddr`.
    pub fn to_string_addr(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for NetAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetAddr::Ipv4(b) => write!(f, "{}", Ipv4Addr::from(*b)),
            NetAddr::Ipv6(b) | NetAddr::Cjdns(b) => write!(f, "{}", Ipv6Addr::from(*b)),
            NetAddr::TorV3(key) => {
                let mut data = key.to_vec();
                data.extend_from_slice(&crate::keccak::onion_checksum(key));
                data.push(3);
                write!(f, "{}.onion", base32(&data))
            }
            NetAddr::I2p(b) => write!(f, "{}.b32.i2p", base32(b)),
        }
    }
}

/// RFC4648 base32, lower case, without padding (Core's `EncodeBase32(.., false)`).
fn base32(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in data {
        acc = (acc << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'a'..=b'z' => c - b'a',
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        acc = (acc << 5) | v as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Core's `LookupHost` without name resolution: an IP literal, a Tor v3
/// `.onion` or an I2P `.b32.i2p` name (`CNetAddr::SetSpecial`).
pub fn parse_netaddr(s: &str) -> Option<NetAddr> {
    if let Some(name) = s.strip_suffix(".onion") {
        let data = base32_decode(name)?;
        if name.len() != 56 || data.len() != 35 || data[34] != 3 {
            return None;
        }
        let key: [u8; 32] = data[..32].try_into().ok()?;
        if crate::keccak::onion_checksum(&key) != data[32..34] {
            return None;
        }
        return Some(NetAddr::TorV3(key));
    }
    if let Some(name) = s.strip_suffix(".b32.i2p") {
        if name.len() != 52 {
            return None;
        }
        let data = base32_decode(name)?;
        return Some(NetAddr::I2p(data.get(..32)?.try_into().ok()?));
    }
    let s = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    s.parse::<IpAddr>().ok().map(|ip| match ip {
        IpAddr::V6(v6) if v6.octets()[0] == 0xfc => NetAddr::Ipv6(v6.octets()),
        ip => NetAddr::from_ip(ip),
    })
}

/// A host and port (`CService`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Service {
    pub addr: NetAddr,
    pub port: u16,
}

impl Service {
    pub fn new(addr: NetAddr, port: u16) -> Self {
        Service { addr, port }
    }

    pub fn from_socket(sa: SocketAddr) -> Self {
        Service::new(NetAddr::from_ip(sa.ip()), sa.port())
    }

    /// The socket address, for IPv4 and IPv6.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        self.addr.ip().map(|ip| SocketAddr::new(ip, self.port))
    }

    /// `CService::GetKey`: the address bytes then the port, big endian.
    pub fn key(&self) -> Vec<u8> {
        let mut k = self.addr.addr_bytes();
        k.extend(self.port.to_be_bytes());
        k
    }
}

impl fmt::Display for Service {
    /// `ToStringAddrPort`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            NetAddr::Ipv6(_) | NetAddr::Cjdns(_) => write!(f, "[{}]:{}", self.addr, self.port),
            _ => write!(f, "{}:{}", self.addr, self.port),
        }
    }
}

/// `CAddress::TIME_INIT`.
pub const TIME_INIT: u32 = 100_000_000;

/// An address with its services and last-seen time (`CAddress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address {
    pub service: Service,
    pub services: u64,
    /// Seconds since the epoch.
    pub time: u32,
}

impl Address {
    pub fn new(service: Service, services: u64, time: u32) -> Self {
        Address {
            service,
            services,
            time,
        }
    }

    /// The network (`addr`, v1) encoding: time, services, 16 bytes, port.
    pub fn write_v1(&self, out: &mut Vec<u8>) {
        out.extend(self.time.to_le_bytes());
        out.extend(self.services.to_le_bytes());
        out.extend(self.service.addr.v1_bytes());
        out.extend(self.service.port.to_be_bytes());
    }

    /// The BIP155 (`addrv2`) encoding: time, CompactSize services, address, port.
    pub fn write_v2(&self, out: &mut Vec<u8>) {
        out.extend(self.time.to_le_bytes());
        write_compact_size(out, self.services);
        self.service.addr.write_v2(out);
        out.extend(self.service.port.to_be_bytes());
    }

    pub fn read_v1(r: &mut Reader<'_>) -> Result<Address, AddrDecodeError> {
        let time = r.u32()?;
        let services = r.u64()?;
        let addr = NetAddr::from_v1_bytes(r.array()?);
        let port = u16::from_be_bytes(r.array()?);
        Ok(Address::new(Service::new(addr, port), services, time))
    }

    pub fn read_v2(r: &mut Reader<'_>) -> Result<Address, AddrDecodeError> {
        let time = r.u32()?;
        let services = r.compact_size_services()?;
        let addr = NetAddr::read_v2(r)?;
        let port = u16::from_be_bytes(r.array()?);
        Ok(Address::new(Service::new(addr, port), services, time))
    }
}

impl Reader<'_> {
    /// The services of an `addrv2` entry: a CompactSize without the size cap.
    fn compact_size_services(&mut self) -> Result<u64, AddrDecodeError> {
        let first = self.u8()?;
        Ok(match first {
            0xfd => u16::from_le_bytes(self.array()?) as u64,
            0xfe => self.u32()? as u64,
            0xff => self.u64()?,
            n => n as u64,
        })
    }
}

/// The `addr`/`addrv2` payload: a vector of addresses.
pub fn encode_addr_message(addrs: &[Address], v2: bool) -> Vec<u8> {
    let mut out = Vec::new();
    write_compact_size(&mut out, addrs.len() as u64);
    for a in addrs {
        if v2 {
            a.write_v2(&mut out);
        } else {
            a.write_v1(&mut out);
        }
    }
    out
}

/// Reads an `addr`/`addrv2` payload.
pub fn decode_addr_message(payload: &[u8], v2: bool) -> Result<Vec<Address>, AddrDecodeError> {
    let mut r = Reader(payload);
    let n = r.compact_size()?;
    let mut out = Vec::with_capacity(n.min(1000) as usize);
    for _ in 0..n {
        out.push(if v2 {
            Address::read_v2(&mut r)?
        } else {
            Address::read_v1(&mut r)?
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups() {
        let g = |s: &str| parse_netaddr(s).unwrap().group();
        assert_eq!(g("127.0.0.1"), vec![0]);
        assert_eq!(g("57.0.0.1"), vec![1, 57, 0]);
        assert_eq!(g("1.2.3.4"), vec![1, 1, 2]);
        assert_eq!(g("::ffff:1.2.3.4"), vec![1, 1, 2]);
        assert_eq!(g("2002:102:304::"), vec![1, 1, 2]);
        assert_eq!(g("2001:470:abcd::1"), vec![2, 0x20, 0x01, 0x04, 0x70, 0xaf]);
        assert_eq!(g("2a00:1:2:3::1"), vec![2, 0x2a, 0x00, 0x00, 0x01]);
        assert_eq!(g("10.0.0.1"), vec![0]);
    }

    #[test]
    fn v2_round_trip_and_errors() {
        let a = Address::new(Service::new(NetAddr::I2p([7; 32]), 0), 9, 1_700_000_000);
        let payload = encode_addr_message(&[a], true);
        assert_eq!(decode_addr_message(&payload, true).unwrap(), vec![a]);
        // An IPv4 address of five bytes.
        let bad = [1u8, 0, 0, 0, 0, 0, 1, 5, 1, 2, 3, 4, 5, 0, 1];
        let err = decode_addr_message(&bad, true).unwrap_err();
        assert_eq!(err.0, "BIP155 IPv4 address with length 5 (should be 4)");
        // An unknown network is skipped as invalid.
        let unknown = [1u8, 0, 0, 0, 0, 0, 0x2a, 2, 9, 9, 0, 1];
        let got = decode_addr_message(&unknown, true).unwrap();
        assert!(!got[0].service.addr.is_valid());
    }

    #[test]
    fn names() {
        let i2p = "c4gfnttsuwqomiygupdqqqyy5y5emnk5c73hrfvatri67prd7vyq.b32.i2p";
        assert_eq!(parse_netaddr(i2p).unwrap().to_string(), i2p);
        let onion = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
        assert_eq!(parse_netaddr(onion).unwrap().to_string(), onion);
        assert!(
            parse_netaddr("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscrye.onion")
                .is_none()
        );
        assert_eq!(
            Service::new(parse_netaddr("::1").unwrap(), 5).to_string(),
            "[::1]:5"
        );
    }
}
