//! Address relay (Core's `addr`, `addrv2` and `getaddr` handling in
//! `PeerManagerImpl::ProcessMessage`, `RelayAddress`, `MaybeSendAddr`,
//! `SetupAddressRelay`) and the cached `getaddr` answers of
//! `CConnman::GetAddresses`.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash, Hasher};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rand::seq::SliceRandom;
use rand::Rng;

use crate::addrman::AddrMan;
use crate::connman::lock;
use bitcoin::p2p::address::{AddrV2, AddrV2Message};
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::ServiceFlags;

use crate::netaddr::{decode_addr_message, Address, NetAddr, Network, Service};
use crate::peer::{Conn, PeerShared};

/// `LOCAL_MANUAL`: the score of `-externalip` addresses.
pub const LOCAL_MANUAL: i32 = 4;
/// `MAX_ADDR_TO_SEND`.
pub const MAX_ADDR_TO_SEND: usize = 1000;
/// `MAX_PCT_ADDR_TO_SEND`.
pub const MAX_PCT_ADDR_TO_SEND: usize = 23;
/// `MAX_ADDR_RATE_PER_SECOND`.
const MAX_ADDR_RATE_PER_SECOND: f64 = 0.1;
/// `MAX_ADDR_PROCESSING_TOKEN_BUCKET`.
const MAX_ADDR_PROCESSING_TOKEN_BUCKET: f64 = MAX_ADDR_TO_SEND as f64;
/// `AVG_ADDRESS_BROADCAST_INTERVAL`: 30 s.
const AVG_ADDRESS_BROADCAST_INTERVAL_US: i64 = 30 * 1_000_000;
/// `AVG_LOCAL_ADDRESS_BROADCAST_INTERVAL`: 24 h.
const AVG_LOCAL_ADDRESS_BROADCAST_INTERVAL_US: i64 = 24 * 3600 * 1_000_000;
/// `ROTATE_ADDR_RELAY_DEST_INTERVAL`: 24 h, in seconds.
const ROTATE_ADDR_RELAY_DEST_INTERVAL: i64 = 24 * 3600;
/// The size of the known-address filter (`m_addr_known`, a rolling bloom
/// filter of 5000 entries in Core).
const ADDR_KNOWN_SIZE: usize = 5000;
/// `NODE_NETWORK`, `NODE_WITNESS`, `NODE_NETWORK_LIMITED`.
const NODE_NETWORK: u64 = 1;
const NODE_WITNESS: u64 = 1 << 3;
const NODE_NETWORK_LIMITED: u64 = 1 << 10;

/// Core's `g_initial_block_download_completed`.
static IBD_COMPLETED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `SetServiceFlagsIBDCache`: after initial block download, pruned
/// (`NODE_NETWORK_LIMITED`) peers are good enough.
pub fn set_service_flags_ibd_cache(completed: bool) {
    IBD_COMPLETED.store(completed, std::sync::atomic::Ordering::Relaxed);
}

/// `GetDesirableServiceFlags`.
pub fn desirable_service_flags(services: u64) -> u64 {
    if services & NODE_NETWORK_LIMITED != 0
        && IBD_COMPLETED.load(std::sync::atomic::Ordering::Relaxed)
    {
        NODE_NETWORK_LIMITED | NODE_WITNESS
    } else {
        NODE_NETWORK | NODE_WITNESS
    }
}

/// `HasAllDesirableServiceFlags`.
pub fn has_all_desirable_service_flags(services: u64) -> bool {
    desirable_service_flags(services) & !services == 0
}

/// `MayHaveUsefulAddressDB`.
pub fn may_have_useful_address_db(services: u64) -> bool {
    services & (NODE_NETWORK | NODE_NETWORK_LIMITED) != 0
}

/// Core's `ConnectionType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnType {
    Inbound,
    OutboundFullRelay,
    Manual,
    Feeler,
    BlockRelay,
    AddrFetch,
}

impl ConnType {
    /// `ConnectionTypeAsString`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnType::Inbound => "inbound",
            ConnType::OutboundFullRelay => "outbound-full-relay",
            ConnType::Manual => "manual",
            ConnType::Feeler => "feeler",
            ConnType::BlockRelay => "block-relay-only",
            ConnType::AddrFetch => "addr-fetch",
        }
    }

    /// `IsBlockOnlyConn() || IsFeelerConn()`: no transaction relay.
    pub fn is_block_only_or_feeler(self) -> bool {
        matches!(self, ConnType::BlockRelay | ConnType::Feeler)
    }

    pub fn parse(s: &str) -> Option<ConnType> {
        [
            ConnType::OutboundFullRelay,
            ConnType::BlockRelay,
            ConnType::AddrFetch,
            ConnType::Feeler,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// A peer's address relay state (Core's `Peer::m_addr_*`).
#[derive(Debug)]
pub struct PeerAddrState {
    pub relay_enabled: bool,
    /// Keys of the addresses the peer knows of (`m_addr_known`), oldest first.
    known: HashSet<Vec<u8>>,
    known_order: VecDeque<Vec<u8>>,
    pub to_send: Vec<Address>,
    pub getaddr_sent: bool,
    pub getaddr_recvd: bool,
    pub token_bucket: f64,
    pub token_timestamp_us: i64,
    pub next_addr_send_us: i64,
    pub next_local_addr_send_us: i64,
    pub processed: u64,
    pub rate_limited: u64,
}

impl Default for PeerAddrState {
    /// One token to start with (Core's `m_addr_token_bucket{1.0}`); the
    /// bucket's clock starts at the connection's time (timestamp 0 = unset).
    fn default() -> Self {
        PeerAddrState {
            relay_enabled: false,
            known: HashSet::new(),
            known_order: VecDeque::new(),
            to_send: Vec::new(),
            getaddr_sent: false,
            getaddr_recvd: false,
            token_bucket: 1.0,
            token_timestamp_us: 0,
            next_addr_send_us: 0,
            next_local_addr_send_us: 0,
            processed: 0,
            rate_limited: 0,
        }
    }
}

impl PeerAddrState {
    fn knows(&self, a: &Address) -> bool {
        self.known.contains(&a.service.key())
    }

    fn add_known(&mut self, a: &Address) {
        let key = a.service.key();
        if self.known.insert(key.clone()) {
            self.known_order.push_back(key);
            if self.known_order.len() > ADDR_KNOWN_SIZE {
                if let Some(old) = self.known_order.pop_front() {
                    self.known.remove(&old);
                }
            }
        }
    }

    /// `PushAddress`.
    fn push(&mut self, a: Address, wants_v2: bool) {
        if a.service.addr.is_valid()
            && !self.knows(&a)
            && (wants_v2 || a.service.addr.is_addr_v1_compatible())
        {
            if self.to_send.len() >= MAX_ADDR_TO_SEND {
                let i = rand::thread_rng().gen_range(0..self.to_send.len());
                self.to_send[i] = a;
            } else {
                self.to_send.push(a);
            }
        }
    }
}

/// The options of address management (Core's parts of `CConnman::Options`
/// and the seeding arguments).
#[derive(Clone)]
pub struct AddrOptions {
    pub addrman: Arc<AddrMan>,
    /// The network directory, for `peers.dat`.
    pub data_dir: PathBuf,
    /// The chain's message start, written at the head of `peers.dat`.
    pub magic: [u8; 4],
    /// `-dnsseed`.
    pub dnsseed: bool,
    /// `-forcednsseed`.
    pub forcednsseed: bool,
    /// `-fixedseeds`.
    pub fixedseeds: bool,
    /// Whether `-seednode` is set (Core reads `IsArgSet`).
    pub use_seednodes: bool,
    /// `-seednode` addresses (empty when `-connect` is used).
    pub seednodes: Vec<String>,
    /// The chain's DNS seeds and fixed seeds.
    pub dns_seeds: Vec<String>,
    pub fixed_seeds: Vec<Service>,
    /// `m_use_addrman_outgoing`: no `-connect`.
    pub use_addrman_outgoing: bool,
    /// Whether `-connect` names peers (the opencon thread runs for them).
    pub has_connect: bool,
    /// `-listen`.
    pub listen: bool,
    /// The port we listen on, for self-advertisement (`GetListenPort`).
    pub listen_port: u16,
    /// `-discover`: whether the address a peer sees us at may be advertised.
    pub discover: bool,
    /// `mapLocalHost`: our own addresses (`-externalip`) and their scores.
    pub local_addrs: Vec<(Service, i32)>,
    /// `-addrmantest`: advertise 252.2.2.2 (tests of address relay).
    pub addrmantest: bool,
    /// The chain's default port.
    pub default_port: u16,
    /// `g_reachable_nets`.
    pub reachable: Vec<Network>,
    /// `-maxconnections`, for the outbound slots.
    pub max_connections: usize,
    /// Whether a name proxy is configured (`HaveNameProxy`).
    pub name_proxy: bool,
}

impl AddrOptions {
    pub fn is_reachable(&self, addr: &NetAddr) -> bool {
        self.reachable.contains(&addr.network())
    }
}

struct CachedAddrResponse {
    addrs: Vec<Address>,
    expiration_us: i64,
}

/// Address relay shared by all peers.
pub struct AddrRelay {
    pub opts: AddrOptions,
    hasher: RandomState,
    caches: Mutex<HashMap<u64, CachedAddrResponse>>,
    /// `m_addr_fetches`.
    pub(crate) addr_fetches: Mutex<VecDeque<String>>,
    /// `m_anchors`: block-relay-only peers of the last clean shutdown.
    pub(crate) anchors: Mutex<Vec<Address>>,
    /// Connected block-relay-only peers by id, for `anchors.dat`
    /// (`GetCurrentBlockRelayOnlyConns`).
    pub(crate) block_relay_peers: Mutex<Vec<(i64, Address)>>,
    /// The addrman entries automatic connections were opened to.
    pub(crate) chosen: Mutex<HashMap<std::net::SocketAddr, Address>>,
}

impl AddrRelay {
    pub fn new(opts: AddrOptions) -> Self {
        let fetches = opts.seednodes.iter().cloned().collect();
        AddrRelay {
            opts,
            hasher: RandomState::new(),
            caches: Mutex::new(HashMap::new()),
            addr_fetches: Mutex::new(fetches),
            anchors: Mutex::new(Vec::new()),
            block_relay_peers: Mutex::new(Vec::new()),
            chosen: Mutex::new(HashMap::new()),
        }
    }

    pub fn addrman(&self) -> &AddrMan {
        &self.opts.addrman
    }

    fn hash_of(&self, parts: &[&dyn HashPart]) -> u64 {
        let mut h = self.hasher.build_hasher();
        for p in parts {
            p.feed(&mut h);
        }
        h.finish()
    }

    /// `CConnman::GetAddresses(requestor, ...)`: one cached answer per
    /// network and local socket, renewed after 21 to 27 hours.
    fn cached_addresses(&self, peer: &PeerShared, now_us: i64) -> Vec<Address> {
        let net = NetAddr::from_ip(peer.addr.ip()).network();
        let bind = NetAddr::from_ip(peer.addr_bind.ip()).addr_bytes();
        let port = if peer.inbound {
            peer.addr_bind.port()
        } else {
            0
        };
        let id = self.hash_of(&[&(net as u8), &bind, &port]);
        let mut caches = lock(&self.caches);
        let entry = caches.entry(id).or_insert(CachedAddrResponse {
            addrs: Vec::new(),
            expiration_us: 0,
        });
        if entry.expiration_us < now_us {
            entry.addrs = self
                .addrman()
                .get_addr(MAX_ADDR_TO_SEND, MAX_PCT_ADDR_TO_SEND, None);
            let jitter = rand::thread_rng().gen_range(0..6 * 3600 * 1_000_000i64);
            entry.expiration_us = now_us + 21 * 3600 * 1_000_000 + jitter;
        }
        entry.addrs.clone()
    }
}

trait HashPart {
    fn feed(&self, h: &mut dyn Hasher);
}

impl<T: Hash> HashPart for T {
    fn feed(&self, mut h: &mut dyn Hasher) {
        self.hash(&mut h);
    }
}

/// `GetExponentialRand`: now plus an exponentially distributed delay.
pub fn exponential_rand(now_us: i64, average_us: i64) -> i64 {
    let u: f64 = rand::thread_rng().gen_range(f64::MIN_POSITIVE..1.0);
    now_us + (-u.ln() * average_us as f64) as i64
}

impl PeerShared {
    pub(crate) fn conn_type(&self) -> ConnType {
        match self.conn_type.get() {
            Some(t) => *t,
            None if self.inbound => ConnType::Inbound,
            None => ConnType::Manual,
        }
    }

    fn addr_state(&self) -> std::sync::MutexGuard<'_, PeerAddrState> {
        lock(&self.addr_state)
    }

    /// `SetupAddressRelay`: false for block-relay-only connections.
    fn setup_address_relay(&self) -> bool {
        if self.conn_type() == ConnType::BlockRelay {
            return false;
        }
        self.addr_state().relay_enabled = true;
        true
    }
}

impl Conn {
    fn relay(&self) -> Option<Arc<AddrRelay>> {
        self.net.addr.get().cloned()
    }

    /// After our `verack` answering a `version`: outbound peers get a
    /// `getaddr` (unless block-relay-only) and are marked good in addrman.
    pub(crate) fn addr_after_version(&mut self) {
        if self.peer.inbound {
            return;
        }
        if self.peer.setup_address_relay() {
            self.push(NetworkMessage::GetAddr);
            let mut st = self.peer.addr_state();
            st.getaddr_sent = true;
            st.token_bucket += MAX_ADDR_TO_SEND as f64;
        }
        if let Some(relay) = self.relay() {
            relay.addrman().good(&Service::from_socket(self.peer.addr));
        }
        if self.peer.conn_type() == ConnType::Feeler {
            tracing::debug!(target: "net", "feeler connection completed peer={}; disconnecting", self.id());
            self.disconnect();
        }
    }

    /// `addr`, `addrv2` and `getaddr`.
    pub(crate) fn process_addr_message(&mut self, command: &str, payload: &[u8]) {
        if command == "getaddr" {
            return self.process_getaddr();
        }
        let id = self.id();
        let addrs = match decode_addr_message(payload, command == "addrv2") {
            Ok(a) => a,
            Err(e) => return self.log_exception(command, payload.len(), &e),
        };
        if !self.peer.setup_address_relay() {
            tracing::debug!(target: "net", "ignoring {command} message from {} peer={id}", self.peer.conn_type().as_str());
            return;
        }
        if addrs.len() > MAX_ADDR_TO_SEND {
            self.misbehaving(20, &format!("{command} message size = {}", addrs.len()));
            return;
        }
        let Some(relay) = self.relay() else { return };
        let now_us = self.net.now_micros();
        let now = now_us / 1_000_000;
        let rate_limited = !self.has_addr_permission();
        let mut shuffled = addrs;
        shuffled.shuffle(&mut rand::thread_rng());
        let total = shuffled.len();
        let mut ok = Vec::new();
        let mut to_relay = Vec::new();
        let (num_proc, num_rate_limit) = {
            let mut st = self.peer.addr_state();
            if st.token_timestamp_us == 0 {
                st.token_timestamp_us = self.peer.conn_time * 1_000_000;
            }
            if st.token_bucket < MAX_ADDR_PROCESSING_TOKEN_BUCKET {
                let diff = (now_us - st.token_timestamp_us).max(0) as f64 / 1e6;
                st.token_bucket = (st.token_bucket + diff * MAX_ADDR_RATE_PER_SECOND)
                    .min(MAX_ADDR_PROCESSING_TOKEN_BUCKET);
            }
            st.token_timestamp_us = now_us;
            let mut num_proc = 0u64;
            let mut num_rate_limit = 0u64;
            for mut a in shuffled {
                if st.token_bucket < 1.0 {
                    if rate_limited {
                        num_rate_limit += 1;
                        continue;
                    }
                } else {
                    st.token_bucket -= 1.0;
                }
                if !may_have_useful_address_db(a.services)
                    && !has_all_desirable_service_flags(a.services)
                {
                    continue;
                }
                let t = i64::from(a.time);
                if t <= 100_000_000 || t > now + 10 * 60 {
                    a.time = (now - 5 * 24 * 3600).max(0) as u32;
                }
                st.add_known(&a);
                num_proc += 1;
                let reachable = relay.opts.is_reachable(&a.service.addr);
                if i64::from(a.time) > now - 10 * 60
                    && !st.getaddr_sent
                    && total <= 10
                    && a.service.addr.is_routable()
                {
                    to_relay.push((a, reachable));
                }
                if reachable {
                    ok.push(a);
                }
            }
            st.processed += num_proc;
            st.rate_limited += num_rate_limit;
            if total < 1000 {
                st.getaddr_sent = false;
            }
            (num_proc, num_rate_limit)
        };
        for (a, reachable) in to_relay {
            self.relay_address(&relay, &a, reachable);
        }
        tracing::debug!(target: "net",
            "Received addr: {total} addresses ({num_proc} processed, {num_rate_limit} rate-limited) from peer={id}");
        relay
            .addrman()
            .add(&ok, &NetAddr::from_ip(self.peer.addr.ip()), 2 * 3600);
        if self.peer.conn_type() == ConnType::AddrFetch && total > 1 {
            tracing::debug!(target: "net", "addrfetch connection completed peer={id}; disconnecting");
            self.disconnect();
        }
    }

    fn process_getaddr(&mut self) {
        let id = self.id();
        if !self.peer.inbound {
            tracing::debug!(target: "net", "Ignoring \"getaddr\" from {} connection. peer={id}", self.peer.conn_type().as_str());
            return;
        }
        self.peer.setup_address_relay();
        {
            let mut st = self.peer.addr_state();
            if st.getaddr_recvd {
                tracing::debug!(target: "net", "Ignoring repeated \"getaddr\". peer={id}");
                return;
            }
            st.getaddr_recvd = true;
            st.to_send.clear();
        }
        let Some(relay) = self.relay() else { return };
        let addrs = if self.has_addr_permission() {
            relay
                .addrman()
                .get_addr(MAX_ADDR_TO_SEND, MAX_PCT_ADDR_TO_SEND, None)
        } else {
            relay.cached_addresses(&self.peer, self.net.now_micros())
        };
        let wants_v2 = self.peer.stats().wants_addrv2;
        let mut st = self.peer.addr_state();
        for a in addrs {
            st.push(a, wants_v2);
        }
    }

    /// `RelayAddress`: to the same one or two peers for a day.
    fn relay_address(&self, relay: &AddrRelay, a: &Address, reachable: bool) {
        if !reachable && !a.service.addr.is_relayable() {
            return;
        }
        let hash_addr = relay.hash_of(&[&a.service.key()]);
        let now = self.net.now_micros() / 1_000_000;
        let time_addr =
            (now as u64).wrapping_add(hash_addr) / ROTATE_ADDR_RELAY_DEST_INTERVAL as u64;
        let base = relay.hash_of(&[&hash_addr, &time_addr]);
        let n_relay = if reachable || base & 1 == 1 { 2 } else { 1 };
        let mut best: Vec<(u64, Arc<PeerShared>)> = Vec::new();
        for p in self.net.peers_snapshot() {
            if p.id == self.peer.id {
                continue;
            }
            let wants_v2 = p.stats().wants_addrv2;
            if !p.addr_state().relay_enabled
                || !(wants_v2 || a.service.addr.is_addr_v1_compatible())
            {
                continue;
            }
            let key = relay.hash_of(&[&base, &p.id]);
            best.push((key, p));
        }
        best.sort_by_key(|x| std::cmp::Reverse(x.0));
        for (_, p) in best.into_iter().take(n_relay) {
            let wants_v2 = p.stats().wants_addrv2;
            p.addr_state().push(*a, wants_v2);
        }
    }

    /// `MaybeSendAddr`: self-advertisement and the queued addresses, at most
    /// every 30 seconds on average.
    pub(crate) fn maybe_send_addr(&mut self) {
        let Some(relay) = self.relay() else { return };
        let now_us = self.net.now_micros();
        if self.peer.conn_type() == ConnType::AddrFetch
            && now_us - self.peer.conn_time * 1_000_000 > 10 * AVG_ADDRESS_BROADCAST_INTERVAL_US
        {
            tracing::debug!(target: "net", "addrfetch connection timeout; disconnecting peer={}", self.id());
            self.disconnect();
            return;
        }
        let wants_v2 = self.peer.stats().wants_addrv2;
        let local = self.local_addr_for_peer(&relay);
        let payload = {
            let mut st = self.peer.addr_state();
            if !st.relay_enabled {
                return;
            }
            if relay.opts.listen
                && IBD_COMPLETED.load(std::sync::atomic::Ordering::Relaxed)
                && st.next_local_addr_send_us < now_us
            {
                if st.next_local_addr_send_us != 0 {
                    st.known.clear();
                    st.known_order.clear();
                }
                if let Some(service) = local {
                    let a = Address::new(
                        service,
                        self.net.config.local_services,
                        (now_us / 1_000_000) as u32,
                    );
                    st.push(a, wants_v2);
                }
                st.next_local_addr_send_us =
                    exponential_rand(now_us, AVG_LOCAL_ADDRESS_BROADCAST_INTERVAL_US);
            }
            if now_us <= st.next_addr_send_us {
                return;
            }
            st.next_addr_send_us = exponential_rand(now_us, AVG_ADDRESS_BROADCAST_INTERVAL_US);
            st.to_send.truncate(MAX_ADDR_TO_SEND);
            let pending = std::mem::take(&mut st.to_send);
            let mut out = Vec::new();
            for a in pending {
                if !st.knows(&a) {
                    st.add_known(&a);
                    out.push(a);
                }
            }
            if out.is_empty() {
                return;
            }
            out
        };
        self.push(to_message(&payload, wants_v2));
    }

    /// `GetLocalAddrForPeer`: our address as the peer sees it, when routable,
    /// with our listening port.
    fn local_addr_for_peer(&self, relay: &AddrRelay) -> Option<Service> {
        let opts = &relay.opts;
        let peer_net = NetAddr::from_ip(self.peer.addr.ip()).network();
        // GetLocalAddress: our best address (-externalip), preferring the
        // peer's network; else the unroutable "any" address.
        let best = opts
            .local_addrs
            .iter()
            .max_by_key(|(s, score)| (s.addr.network() == peer_net, *score));
        let mut local = best.map_or(
            Service::new(NetAddr::Ipv4([0; 4]), opts.listen_port),
            |(s, _)| *s,
        );
        let score = best.map_or(0, |(_, score)| *score);
        if opts.addrmantest {
            local = Service::new(NetAddr::Ipv4([252, 2, 2, 2]), opts.default_port);
        }
        // With -discover, sometimes trust the address the peer sees us at.
        let seen = self.peer.stats().addr_local;
        let seen_good = seen.is_some_and(|sa| {
            let a = NetAddr::from_ip(sa.ip());
            opts.discover && a.is_routable() && opts.is_reachable(&a)
        });
        if let (true, Some(sa)) = (seen_good, seen) {
            let bits = if score > LOCAL_MANUAL { 3 } else { 1 };
            if !local.addr.is_routable() || rand::thread_rng().gen_range(0..(1u32 << bits)) == 0 {
                local = if self.peer.inbound {
                    Service::from_socket(sa)
                } else {
                    Service::new(NetAddr::from_ip(sa.ip()), local.port)
                };
            }
        }
        if local.addr.is_routable() || opts.addrmantest {
            tracing::debug!(target: "net", "Advertising address {local} to peer={}", self.id());
            return Some(local);
        }
        None
    }

    /// `FinalizeNode`'s addrman part: refresh the time of outbound peers we
    /// were connected to (not block-relay-only ones, to not leak them).
    pub(crate) fn finalize_addr(&mut self) {
        let Some(relay) = self.relay() else { return };
        // Peers ended by shutdown stay anchors.
        if !self.net.interrupt.load(std::sync::atomic::Ordering::SeqCst) {
            let id = self.id();
            lock(&relay.block_relay_peers).retain(|(p, _)| *p != id);
        }
        let connected = self.peer.stats().successfully_connected;
        let t = self.peer.conn_type();
        if connected && !self.peer.inbound && t != ConnType::BlockRelay {
            relay
                .addrman()
                .connected(&Service::from_socket(self.peer.addr));
        }
    }

    /// Whether the peer has the `addr` permission (not rate limited).
    fn has_addr_permission(&self) -> bool {
        crate::permissions::has_flag(
            self.peer
                .permissions
                .load(std::sync::atomic::Ordering::SeqCst),
            crate::permissions::flags::ADDR,
        )
    }

    /// `addr_relay_enabled`, `addr_processed`, `addr_rate_limited` of `getpeerinfo`.
    pub(crate) fn addr_stats_of(peer: &PeerShared) -> (bool, u64, u64) {
        let st = peer.addr_state();
        (st.relay_enabled, st.processed, st.rate_limited)
    }
}

/// An `addr` (v1) or `addrv2` message of `addrs`.
fn to_message(addrs: &[Address], v2: bool) -> NetworkMessage {
    if v2 {
        NetworkMessage::AddrV2(
            addrs
                .iter()
                .map(|a| AddrV2Message {
                    time: a.time,
                    services: ServiceFlags::from(a.services),
                    addr: match a.service.addr {
                        NetAddr::Ipv4(b) => AddrV2::Ipv4(b.into()),
                        NetAddr::Ipv6(b) => AddrV2::Ipv6(b.into()),
                        NetAddr::TorV3(b) => AddrV2::TorV3(b),
                        NetAddr::I2p(b) => AddrV2::I2p(b),
                        NetAddr::Cjdns(b) => AddrV2::Cjdns(b.into()),
                    },
                    port: a.service.port,
                })
                .collect(),
        )
    } else {
        NetworkMessage::Addr(
            addrs
                .iter()
                .map(|a| {
                    let bytes = a.service.addr.v1_bytes();
                    let mut segments = [0u16; 8];
                    for (i, seg) in segments.iter_mut().enumerate() {
                        *seg = u16::from_be_bytes([bytes[2 * i], bytes[2 * i + 1]]);
                    }
                    (
                        a.time,
                        bitcoin::p2p::address::Address {
                            services: ServiceFlags::from(a.services),
                            address: segments,
                            port: a.service.port,
                        },
                    )
                })
                .collect(),
        )
    }
}

/// `addr_relay_enabled`, `addr_processed`, `addr_rate_limited` of a peer.
pub(crate) fn addr_stats(peer: &PeerShared) -> (bool, u64, u64) {
    Conn::addr_stats_of(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netaddr::parse_netaddr;

    fn addr(ip: &str) -> Address {
        Address::new(
            Service::new(parse_netaddr(ip).unwrap(), 8333),
            9,
            1_700_000_000,
        )
    }

    #[test]
    fn service_flags() {
        assert!(has_all_desirable_service_flags(NODE_NETWORK | NODE_WITNESS));
        assert!(!has_all_desirable_service_flags(NODE_NETWORK));
        // Pruned peers only once initial block download is over.
        let limited = NODE_NETWORK_LIMITED | NODE_WITNESS;
        set_service_flags_ibd_cache(false);
        assert!(!has_all_desirable_service_flags(limited));
        set_service_flags_ibd_cache(true);
        assert!(has_all_desirable_service_flags(limited));
        set_service_flags_ibd_cache(false);
        assert!(may_have_useful_address_db(NODE_NETWORK_LIMITED));
        assert!(!may_have_useful_address_db(NODE_WITNESS));
    }

    #[test]
    fn push_skips_known_invalid_and_v2_only() {
        let mut st = PeerAddrState::default();
        assert_eq!(st.token_bucket, 1.0);
        st.push(addr("1.2.3.4"), false);
        st.add_known(&addr("5.6.7.8"));
        st.push(addr("5.6.7.8"), false);
        st.push(Address::new(Service::new(NetAddr::INVALID, 1), 9, 0), false);
        let i2p = Address::new(Service::new(NetAddr::I2p([1; 32]), 0), 9, 0);
        st.push(i2p, false);
        assert_eq!(st.to_send, vec![addr("1.2.3.4")]);
        st.push(i2p, true);
        assert_eq!(st.to_send.len(), 2);
        // The queue never grows past MAX_ADDR_TO_SEND.
        for i in 0..1500u32 {
            st.push(addr(&format!("{}.{}.1.1", 1 + i / 250, i % 250)), true);
        }
        assert_eq!(st.to_send.len(), MAX_ADDR_TO_SEND);
    }

    #[test]
    fn connection_types() {
        for t in [
            "outbound-full-relay",
            "block-relay-only",
            "addr-fetch",
            "feeler",
        ] {
            assert_eq!(ConnType::parse(t).unwrap().as_str(), t);
        }
        assert!(ConnType::parse("manual").is_none());
        assert!(ConnType::parse("inbound").is_none());
        assert!(ConnType::Feeler.is_block_only_or_feeler());
        assert!(!ConnType::OutboundFullRelay.is_block_only_or_feeler());
    }

    #[test]
    fn addr_messages_encode_like_core() {
        let a = addr("1.2.3.4");
        let v1 =
            bitcoin::consensus::encode::serialize(&bitcoin::p2p::message::RawNetworkMessage::new(
                bitcoin::p2p::Magic::REGTEST,
                to_message(&[a], false),
            ));
        // Past the 24-byte header: the v1 payload is ours byte for byte.
        assert_eq!(
            v1[24..],
            crate::netaddr::encode_addr_message(&[a], false)[..]
        );
        let v2 =
            bitcoin::consensus::encode::serialize(&bitcoin::p2p::message::RawNetworkMessage::new(
                bitcoin::p2p::Magic::REGTEST,
                to_message(&[a], true),
            ));
        assert_eq!(
            v2[24..],
            crate::netaddr::encode_addr_message(&[a], true)[..]
        );
    }
}
