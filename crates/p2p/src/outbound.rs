//! Automatic outbound connections and seeding (Core's
//! `CConnman::ThreadOpenConnections` without `-connect`,
//! `ThreadDNSAddressSeed`, `ProcessAddrFetch`, `AddConnection`,
//! `DumpAddresses`): full-relay and block-relay-only slots filled from
//! addrman, feeler connections, DNS seeds, fixed seeds and `-seednode`.

use std::collections::HashSet;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::seq::SliceRandom;
use rand::Rng;

use crate::addr::{canonical, parse_host_port};
use crate::addr_relay::{
    exponential_rand, has_all_desirable_service_flags, may_have_useful_address_db, AddrOptions,
    AddrRelay, ConnType,
};
use crate::addrman::{dump_peers_dat, AddrMan};
use crate::connman::{Connman, Inner};
use crate::netaddr::{Address, NetAddr, Network, Service};

/// `MAX_OUTBOUND_FULL_RELAY_CONNECTIONS`.
const MAX_OUTBOUND_FULL_RELAY_CONNECTIONS: usize = 8;
/// `MAX_BLOCK_RELAY_ONLY_CONNECTIONS`.
const MAX_BLOCK_RELAY_ONLY_CONNECTIONS: usize = 2;
/// `FEELER_INTERVAL`: 2 minutes.
const FEELER_INTERVAL_US: i64 = 2 * 60 * 1_000_000;
/// `DNSSEEDS_TO_QUERY_AT_ONCE`.
const DNSSEEDS_TO_QUERY_AT_ONCE: usize = 3;
/// `DNSSEEDS_DELAY_FEW_PEERS`, seconds.
const DNSSEEDS_DELAY_FEW_PEERS: u64 = 11;
/// `DNSSEEDS_DELAY_MANY_PEERS`, seconds.
const DNSSEEDS_DELAY_MANY_PEERS: u64 = 5 * 60;
/// `DNSSEEDS_DELAY_PEER_THRESHOLD`.
const DNSSEEDS_DELAY_PEER_THRESHOLD: usize = 1000;
/// `DUMP_PEERS_INTERVAL`: 15 minutes.
const DUMP_PEERS_INTERVAL: Duration = Duration::from_secs(15 * 60);
/// `NODE_NETWORK | NODE_WITNESS`: what `GetDesirableServiceFlags` asks seeds for.
const DESIRABLE_SERVICES: u64 = 1 | (1 << 3);

/// Sleeps in small steps; false when interrupted.
fn sleep(net: &Inner, total: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < total {
        if net.interrupt.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50).min(total));
    }
    !net.interrupt.load(Ordering::SeqCst)
}

/// `m_max_outbound_full_relay` and `m_max_outbound_block_relay`.
fn outbound_limits(max_connections: usize) -> (usize, usize) {
    let full = MAX_OUTBOUND_FULL_RELAY_CONNECTIONS.min(max_connections);
    let block = MAX_BLOCK_RELAY_ONLY_CONNECTIONS.min(max_connections - full);
    (full, block)
}

impl Connman {
    /// Attaches address management: logs what Core's `CConnman::Start`
    /// logs about seeding and starts the DNS seed, automatic connection and
    /// periodic `peers.dat` threads.
    pub fn start_addr_relay(&self, opts: AddrOptions) {
        let net = self.inner().clone();
        let relay = Arc::new(AddrRelay::new(opts));
        if net.addr.set(relay.clone()).is_err() {
            return;
        }
        let opts = &relay.opts;
        if !opts.dnsseed {
            tracing::info!("DNS seeding disabled");
        } else {
            let (n, r) = (net.clone(), relay.clone());
            net.spawn_thread("b-dnsseed", move || {
                tracing::info!("dnsseed thread start");
                dns_address_seed(&n, &r);
                tracing::info!("dnsseed thread exit");
            });
        }
        if opts.use_addrman_outgoing {
            let mut anchors = crate::anchors::read_anchors(&opts.data_dir, opts.magic);
            anchors.truncate(crate::anchors::MAX_BLOCK_RELAY_ONLY_ANCHORS);
            tracing::info!(
                "{} block-relay-only anchors will be tried for connections.",
                anchors.len()
            );
            *crate::connman::lock(&relay.anchors) = anchors;
        }
        tracing::info!("addcon thread start");
        if opts.use_addrman_outgoing || opts.has_connect {
            tracing::info!("opencon thread start");
        }
        if opts.use_addrman_outgoing {
            let (n, r) = (net.clone(), relay.clone());
            net.spawn_thread("b-opencon-addrman", move || open_connections(&n, &r));
        }
        let (n, r) = (net.clone(), relay);
        net.spawn_thread("b-addrdump", move || {
            while sleep(&n, DUMP_PEERS_INTERVAL) {
                dump_addresses(&r);
            }
        });
    }

    /// `mapLocalHost` for `getnetworkinfo`'s `localaddresses`: our addresses
    /// and their scores.
    pub fn local_addresses(&self) -> Vec<(Service, i32)> {
        self.inner()
            .addr
            .get()
            .map(|r| r.opts.local_addrs.clone())
            .unwrap_or_default()
    }

    /// The address manager, once attached.
    pub fn addrman(&self) -> Option<Arc<AddrMan>> {
        self.inner().addr.get().map(|r| r.opts.addrman.clone())
    }

    /// `DumpAddresses`: writes `peers.dat` (at shutdown and every 15 minutes).
    pub fn dump_addresses(&self) {
        if let Some(relay) = self.inner().addr.get() {
            dump_addresses(relay);
        }
    }

    /// `GetAddedNodeInfo`: each added node and, when connected, the
    /// peer's address and whether it connected to us.
    pub fn added_node_info(&self) -> Vec<(String, Option<(SocketAddr, bool)>)> {
        let net = self.inner();
        let peers = net.peers_snapshot();
        net.added_nodes()
            .into_iter()
            .map(|dest| {
                let (host, port) = parse_host_port(&dest, net.config.default_port);
                let resolved = host
                    .parse::<std::net::IpAddr>()
                    .ok()
                    .map(|ip| canonical(SocketAddr::new(ip, port)));
                let found = peers
                    .iter()
                    .find(|p| p.addr_name == dest || Some(p.addr) == resolved)
                    .map(|p| (p.addr, p.inbound));
                (dest, found)
            })
            .collect()
    }

    /// `DumpAnchors` at a clean shutdown: the block-relay-only peers we
    /// were connected to, when addrman chooses our connections.
    pub fn dump_anchors(&self) {
        if let Some(relay) = self.inner().addr.get() {
            if relay.opts.use_addrman_outgoing {
                let mut anchors: Vec<Address> = crate::connman::lock(&relay.block_relay_peers)
                    .iter()
                    .map(|(_, a)| *a)
                    .collect();
                anchors.truncate(crate::anchors::MAX_BLOCK_RELAY_ONLY_ANCHORS);
                crate::anchors::dump_anchors(&relay.opts.data_dir, &anchors, relay.opts.magic);
            }
        }
    }

    /// `AddConnection` (the `addconnection` RPC): false when the slots of
    /// that type (or all outbound slots) are taken.
    pub fn add_connection(&self, address: &str, conn_type: ConnType) -> bool {
        let net = self.inner();
        let (max_full, max_block) = outbound_limits(net.config.max_connections);
        let limit = match conn_type {
            ConnType::Inbound | ConnType::Manual => return false,
            ConnType::OutboundFullRelay => Some(max_full),
            ConnType::BlockRelay => Some(max_block),
            ConnType::AddrFetch | ConnType::Feeler => None,
        };
        let peers = net.peers_snapshot();
        let existing = peers.iter().filter(|p| p.conn_type() == conn_type).count();
        if limit.is_some_and(|l| existing >= l) {
            return false;
        }
        let automatic = peers
            .iter()
            .filter(|p| !p.inbound && p.conn_type() != ConnType::Manual)
            .count();
        if automatic >= max_full + max_block + 1 + 8 {
            return false;
        }
        // Core v26 opens these with v1.
        connect_to(net, address, conn_type, None, false);
        true
    }
}

fn dump_addresses(relay: &AddrRelay) {
    let start = Instant::now();
    // The magic is the chain's; it was given with the table's options.
    if let Err(e) = dump_peers_dat(relay.addrman(), &relay.opts.data_dir, relay.opts.magic) {
        tracing::error!("SerializeFileDB: Failed to write peers.dat: {e}");
    }
    tracing::debug!(target: "net", "Flushed {} addresses to peers.dat  {}ms",
        relay.addrman().size(None, None), start.elapsed().as_millis());
}

/// Core's `OpenNetworkConnection` for an automatic connection: resolves
/// `dest` (a name, or `addr` already chosen from addrman), connects, and
/// records the attempt in addrman.
pub(crate) fn connect_to(
    net: &Arc<Inner>,
    dest: &str,
    conn_type: ConnType,
    count_failure: Option<bool>,
    v2: bool,
) {
    if net.interrupt.load(Ordering::SeqCst) || !net.network_active.load(Ordering::SeqCst) {
        return;
    }
    let (host, port) = parse_host_port(dest, net.config.default_port);
    let addr: SocketAddr = match (host.as_str(), port).to_socket_addrs() {
        Ok(mut a) => match a.next() {
            Some(a) => canonical(a),
            None => return,
        },
        Err(e) => {
            tracing::debug!(target: "net", "Cannot resolve {dest}: {e}");
            return;
        }
    };
    if net.peers_snapshot().iter().any(|p| p.addr == addr) {
        tracing::debug!(target: "net", "Failed to open new connection, already connected");
        return;
    }
    let v2 = v2 && net.v2_enabled();
    let kind = if v2 { "v2" } else { "v1" };
    tracing::debug!(target: "net", "trying {kind} connection {dest} lastseen=0.0hrs");
    let timeout = Duration::from_millis(crate::DEFAULT_CONNECT_TIMEOUT_MS);
    let result = TcpStream::connect_timeout(&addr, timeout);
    if let (Some(count), Some(relay)) = (count_failure, net.addr.get()) {
        relay.addrman().attempt(&Service::from_socket(addr), count);
    }
    match result {
        Ok(stream) => {
            let id = net.add_outbound_peer(stream, addr, conn_type, v2);
            if let (ConnType::BlockRelay, Some(relay)) = (conn_type, net.addr.get()) {
                // Core's anchors are the block-relay-only connections open at
                // shutdown, with the addrman entry they were chosen from.
                let a = crate::connman::lock(&relay.chosen)
                    .get(&addr)
                    .copied()
                    .unwrap_or_else(|| {
                        Address::new(Service::from_socket(addr), 0, crate::netaddr::TIME_INIT)
                    });
                crate::connman::lock(&relay.block_relay_peers).push((id, a));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            tracing::debug!(target: "net", "connection to {addr} timeout");
        }
        Err(e) => tracing::debug!(target: "net", "connect() to {addr} failed after wait: {e}"),
    }
}

/// `GetReachableEmptyNetworks`: reachable networks addrman has nothing of.
fn reachable_empty_networks(relay: &AddrRelay) -> HashSet<Network> {
    Network::PUBLIC
        .into_iter()
        .filter(|n| relay.opts.reachable.contains(n) && relay.addrman().size(Some(*n), None) == 0)
        .collect()
}

/// `ThreadOpenConnections` with addrman.
fn open_connections(net: &Arc<Inner>, relay: &Arc<AddrRelay>) {
    let opts = &relay.opts;
    let addrman = relay.addrman();
    let start_us = net.now_micros();
    let mut next_feeler = exponential_rand(start_us, FEELER_INTERVAL_US);
    let mut add_fixed_seeds = opts.fixedseeds;
    if !add_fixed_seeds {
        tracing::info!("Fixed seeds are disabled");
    }
    let (max_full, max_block) = outbound_limits(opts.max_connections);
    let mut rng = rand::thread_rng();
    loop {
        process_addr_fetch(net, relay);
        if !sleep(net, Duration::from_millis(500)) {
            return;
        }
        let empty = reachable_empty_networks(relay);
        if add_fixed_seeds && !empty.is_empty() {
            let mut now_add = false;
            if net.now_micros() > start_us + 60 * 1_000_000 {
                now_add = true;
                tracing::info!("Adding fixed seeds as 60 seconds have passed and addrman is empty for at least one reachable network");
            } else if !opts.dnsseed && !opts.use_seednodes && net.added_nodes().is_empty() {
                now_add = true;
                tracing::info!("Adding fixed seeds as -dnsseed=0 (or IPv4/IPv6 connections are disabled via -onlynet) and neither -addnode nor -seednode are provided");
            }
            if now_add {
                let mut seeds: Vec<Address> = opts
                    .fixed_seeds
                    .iter()
                    .filter(|s| empty.contains(&s.addr.network()))
                    .map(|s| {
                        // Core's ConvertSeeds: a random age of one to two weeks.
                        let age = rng.gen_range(7 * 86400..14 * 86400);
                        let now = net.now_micros() / 1_000_000;
                        Address::new(*s, DESIRABLE_SERVICES, (now - age).max(0) as u32)
                    })
                    .collect();
                seeds.shuffle(&mut rng);
                addrman.add(&seeds, &NetAddr::INVALID, 0);
                add_fixed_seeds = false;
                tracing::info!("Added {} fixed seeds from reachable networks.", seeds.len());
            }
        }
        let peers = net.peers_snapshot();
        let full = peers
            .iter()
            .filter(|p| p.conn_type() == ConnType::OutboundFullRelay)
            .count();
        let block = peers
            .iter()
            .filter(|p| p.conn_type() == ConnType::BlockRelay)
            .count();
        let mut groups = HashSet::new();
        for p in &peers {
            if matches!(
                p.conn_type(),
                ConnType::Manual | ConnType::OutboundFullRelay | ConnType::BlockRelay
            ) {
                groups.insert(NetAddr::from_ip(p.addr.ip()).group());
            }
        }
        let now_us = net.now_micros();
        let anchor = block < max_block && !crate::connman::lock(&relay.anchors).is_empty();
        let (conn_type, feeler) = if anchor {
            (ConnType::BlockRelay, false)
        } else if full < max_full {
            (ConnType::OutboundFullRelay, false)
        } else if block < max_block {
            (ConnType::BlockRelay, false)
        } else if now_us > next_feeler {
            next_feeler = exponential_rand(now_us, FEELER_INTERVAL_US);
            (ConnType::Feeler, true)
        } else {
            continue;
        };
        addrman.resolve_collisions();
        let now = now_us / 1_000_000;
        let mut chosen = None;
        if anchor {
            while let Some(a) = crate::connman::lock(&relay.anchors).pop() {
                let addr = a.service.addr;
                if !addr.is_valid()
                    || addr.is_local()
                    || !opts.is_reachable(&addr)
                    || !has_all_desirable_service_flags(a.services)
                    || groups.contains(&addr.group())
                {
                    continue;
                }
                tracing::debug!(target: "net", "Trying to make an anchor connection to {}", a.service);
                chosen = Some(a);
                break;
            }
        }
        for tries in 1..=100 {
            if anchor || net.interrupt.load(Ordering::SeqCst) {
                break;
            }
            let picked = if feeler {
                match addrman.select_tried_collision() {
                    Some((a, t)) if a.service.addr.is_valid() => {
                        if peers
                            .iter()
                            .any(|p| Service::from_socket(p.addr) == a.service)
                        {
                            addrman.good(&a.service);
                            addrman.select(true, None)
                        } else {
                            Some((a, t))
                        }
                    }
                    _ => addrman.select(true, None),
                }
            } else {
                addrman.select(false, None)
            };
            let Some((a, last_try)) = picked else { break };
            let addr = a.service.addr;
            if !feeler && groups.contains(&addr.group()) {
                continue;
            }
            if !addr.is_valid() || addr.is_local() {
                break;
            }
            if !opts.is_reachable(&addr) || a.service.socket_addr().is_none() {
                continue;
            }
            if now - last_try < 600 && tries < 30 {
                continue;
            }
            if !feeler && !has_all_desirable_service_flags(a.services) {
                continue;
            }
            if feeler && !may_have_useful_address_db(a.services) {
                continue;
            }
            chosen = Some(a);
            break;
        }
        let Some(a) = chosen else { continue };
        if feeler {
            let wait = Duration::from_millis(rng.gen_range(0..1000));
            if !sleep(net, wait) {
                return;
            }
            tracing::debug!(target: "net", "Making feeler connection to {}", a.service);
        }
        let count_failures = groups.len() >= opts.max_connections.saturating_sub(1).min(2);
        let Some(sa) = a.service.socket_addr() else {
            continue;
        };
        crate::connman::lock(&relay.chosen).insert(sa, a);
        let dest = sa.to_string();
        // v2 when both sides advertise NODE_P2P_V2.
        let v2 = a.services & crate::connman::NODE_P2P_V2 != 0;
        connect_to(net, &dest, conn_type, Some(count_failures), v2);
    }
}

/// `ProcessAddrFetch`: one `-seednode` (or DNS seed through a proxy) at a
/// time, as a short-lived connection that only asks for addresses.
fn process_addr_fetch(net: &Arc<Inner>, relay: &AddrRelay) {
    let next = crate::connman::lock(&relay.addr_fetches).pop_front();
    if let Some(dest) = next {
        connect_to(net, &dest, ConnType::AddrFetch, None, false);
    }
}

/// `ThreadDNSAddressSeed`.
fn dns_address_seed(net: &Arc<Inner>, relay: &AddrRelay) {
    let opts = &relay.opts;
    let addrman = relay.addrman();
    let mut seeds = opts.dns_seeds.clone();
    seeds.shuffle(&mut rand::thread_rng());
    let mut right_now = if opts.forcednsseed || addrman.size(None, None) == 0 {
        seeds.len()
    } else {
        0
    };
    let wait = if addrman.size(None, None) >= DNSSEEDS_DELAY_PEER_THRESHOLD {
        DNSSEEDS_DELAY_MANY_PEERS
    } else {
        DNSSEEDS_DELAY_FEW_PEERS
    };
    let mut found = 0usize;
    for seed in &seeds {
        if right_now == 0 {
            right_now += DNSSEEDS_TO_QUERY_AT_ONCE;
            if addrman.size(None, None) > 0 {
                tracing::info!("Waiting {wait} seconds before querying DNS seeds.");
                let mut to_wait = wait;
                while to_wait > 0 {
                    let w = DNSSEEDS_DELAY_FEW_PEERS.min(to_wait);
                    if !sleep(net, Duration::from_secs(w)) {
                        return;
                    }
                    to_wait -= w;
                    let relevant = net
                        .peers_snapshot()
                        .iter()
                        .filter(|p| {
                            p.conn_type() == ConnType::OutboundFullRelay
                                && p.stats().successfully_connected
                        })
                        .count();
                    if relevant >= 2 {
                        if found > 0 {
                            tracing::info!("{found} addresses found from DNS seeds");
                            tracing::info!("P2P peers available. Finished DNS seeding.");
                        } else {
                            tracing::info!("P2P peers available. Skipped DNS seeding.");
                        }
                        return;
                    }
                }
            }
        }
        if net.interrupt.load(Ordering::SeqCst) {
            return;
        }
        tracing::info!("Loading addresses from DNS seed {seed}");
        if opts.name_proxy {
            crate::connman::lock(&relay.addr_fetches).push_back(seed.clone());
        } else {
            let host = format!("x{DESIRABLE_SERVICES:x}.{seed}");
            let now = net.now_micros() / 1_000_000;
            let mut rng = rand::thread_rng();
            let addrs: Vec<Address> = (host.as_str(), net.config.default_port)
                .to_socket_addrs()
                .map(|it| {
                    it.take(256)
                        .map(|sa| {
                            let age = rng.gen_range(3 * 86400..7 * 86400);
                            Address::new(
                                Service::new(NetAddr::from_ip(sa.ip()), net.config.default_port),
                                DESIRABLE_SERVICES,
                                (now - age).max(0) as u32,
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            if addrs.is_empty() {
                crate::connman::lock(&relay.addr_fetches).push_back(seed.clone());
            } else {
                found += addrs.len();
                addrman.add(&addrs, &NetAddr::INVALID, 0);
            }
        }
        right_now = right_now.saturating_sub(1);
    }
    tracing::info!("{found} addresses found from DNS seeds");
}
