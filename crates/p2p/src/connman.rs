//! Connections (Core's `CConnman`): listening sockets, inbound slots,
//! outbound connections to `-connect`/`-addnode`/`addnode` peers, one thread
//! per peer, and the statistics `getpeerinfo` and `getnettotals` show.

use std::collections::{BTreeMap, HashMap};

use bitcoin::BlockHash;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::addr::{canonical, parse_host_port};
use crate::peer::{PeerShared, PeerStats};

/// `MAX_ADDNODE_CONNECTIONS`.
pub const MAX_ADDNODE_CONNECTIONS: usize = 8;
/// Outbound slots Core keeps out of `-maxconnections` for itself: 8 full
/// relay, 2 block-relay-only and a feeler.
const MAX_OUTBOUND_SLOTS: usize = 8 + 2 + 1;
/// `NODE_P2P_V2` (BIP324).
pub const NODE_P2P_V2: u64 = 1 << 11;

/// What the network needs from the node.
#[derive(Clone)]
pub struct P2pConfig {
    /// `pchMessageStart` of the chain.
    pub magic: [u8; 4],
    /// The chain's default port, for addresses given without one.
    pub default_port: u16,
    /// Addresses to listen on (`-bind`, or all interfaces on `-port`); empty
    /// when `-listen=0`.
    pub binds: Vec<SocketAddr>,
    /// Whether `binds` are Core's "any" addresses: failing the second one is
    /// fine once the first (dual-stack) one succeeded.
    pub bind_any: bool,
    /// `-maxconnections`.
    pub max_connections: usize,
    /// Our service bits.
    pub local_services: u64,
    /// Our user agent (`strSubVersion`).
    pub user_agent: String,
    /// `!-blocksonly`: the `relay` flag of our `version`.
    pub relay_txes: bool,
    /// `-peertimeout` in seconds.
    pub peer_timeout: i64,
    /// `-connect` addresses.
    pub connect: Vec<String>,
    /// `-addnode` addresses.
    pub add_nodes: Vec<String>,
    /// Our tip height, for the `version` message.
    pub start_height: Arc<dyn Fn() -> i32 + Send + Sync>,
    /// The mockable clock in microseconds (Core's `GetTime<microseconds>`).
    pub clock_micros: Arc<dyn Fn() -> i64 + Send + Sync>,
    /// The chainstate, for block sync; without it block messages are ignored.
    pub chain: Option<Arc<dyn crate::sync::ChainAccess>>,
    /// The mempool, for transaction relay; without it transactions are ignored.
    pub mempool: Option<Arc<dyn crate::txrelay::MempoolAccess>>,
    /// `-whitebind` listeners and the permissions of peers arriving on them.
    pub whitebinds: Vec<crate::permissions::Whitebind>,
    /// `-whitelist` ranges.
    pub whitelist: Vec<crate::permissions::Whitelist>,
    /// `-whitelistrelay`.
    pub whitelist_relay: bool,
    /// `-whitelistforcerelay`.
    pub whitelist_force_relay: bool,
    /// `-blocksonly`: transactions from peers without `relay` are refused.
    pub ignore_incoming_txs: bool,
    /// `-maxorphantx`.
    pub max_orphan_txs: usize,
    /// `-blockreconstructionextratxn`: orphaned or rejected transactions
    /// kept for rebuilding compact blocks.
    pub block_reconstruction_extra_txn: usize,
    /// Bans and discouragement.
    pub banman: Option<Arc<crate::banman::BanMan>>,
}

/// Failures to start.
#[derive(Debug, thiserror::Error)]
pub enum ConnmanError {
    #[error("Unable to bind to {0} on this computer. Widecoin Core is probably already running.")]
    AddrInUse(SocketAddr),
    #[error("Unable to bind to {0} on this computer (bind returned error {1})")]
    Bind(SocketAddr, io::Error),
    #[error("Failed to listen on any port. Use -listen=0 if you want this.")]
    NoListen,
}

/// Inbound and outbound connection counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionCounts {
    pub inbound: usize,
    pub outbound: usize,
}

/// Bytes through all connections since start-up.
#[derive(Debug, Clone, Copy, Default)]
pub struct NetTotals {
    pub bytes_recv: u64,
    pub bytes_sent: u64,
}

/// A snapshot of one peer for `getpeerinfo` (Core's `CNodeStats` and
/// `CNodeStateStats`).
#[derive(Debug, Clone)]
pub struct PeerInfo {
    pub id: i64,
    pub addr_name: String,
    pub addr: SocketAddr,
    pub addr_bind: SocketAddr,
    pub inbound: bool,
    pub connection_type: &'static str,
    /// Seconds since the epoch (mockable).
    pub conn_time: i64,
    /// Microseconds of the outstanding ping, 0 when none.
    pub ping_wait_us: i64,
    pub stats: PeerStats,
    /// `NetPermissionFlags`.
    pub permissions: u32,
    /// The peer's `feefilter`, sat/kvB.
    pub min_fee_filter: i64,
    /// Whether we relay transactions to the peer (`m_relay_txs`).
    pub relay_txs: bool,
    /// `addr_relay_enabled`, `addr_processed`, `addr_rate_limited`.
    pub addr_relay: (bool, u64, u64),
    /// v1, v2 or still detecting, and the v2 session id.
    pub transport: crate::v2transport::TransportInfo,
}

pub(crate) struct Inner {
    pub config: P2pConfig,
    pub interrupt: AtomicBool,
    /// `fNetworkActive` (`-networkactive`, `setnetworkactive`).
    pub network_active: AtomicBool,
    next_id: AtomicI64,
    peers: Mutex<BTreeMap<i64, Arc<PeerShared>>>,
    /// Added nodes and whether to try them with v2 (`AddedNodeParams`).
    added: Mutex<Vec<(String, bool)>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    pub total_recv: AtomicU64,
    pub total_sent: AtomicU64,
    /// Blocks requested from some peer (Core's `mapBlocksInFlight`).
    pub blocks_in_flight: Mutex<HashMap<BlockHash, i64>>,
    /// Peers we started a headers sync with (Core's `nSyncStarted`).
    pub sync_started: AtomicUsize,
    /// Peers between accepting headers and requesting their blocks.
    pub direct_fetches: AtomicUsize,
    /// Orphans, transaction requests, recent rejects.
    pub txrelay: crate::txrelay::TxRelayShared,
    /// Block download stalling and timeouts.
    pub stalling: crate::stalling::StallingShared,
    /// How far `mockscheduler` moved scheduled tasks forward, milliseconds.
    pub scheduler_offset_ms: AtomicI64,
    /// Address management and relay, once attached (`Connman::start_addr_relay`).
    pub addr: std::sync::OnceLock<Arc<crate::addr_relay::AddrRelay>>,
    /// `-maxuploadtarget` and the bytes sent in its cycle (`uploadtarget.rs`).
    pub upload: crate::uploadtarget::UploadTarget,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inner {
    pub fn now_micros(&self) -> i64 {
        (self.config.clock_micros)()
    }

    /// Core's `CheckIncomingNonce`: false when `nonce` is one of our pending
    /// outbound `version`s (we connected to ourselves).
    pub fn check_incoming_nonce(&self, nonce: u64) -> bool {
        !lock(&self.peers)
            .values()
            .any(|p| !p.inbound && p.local_nonce == nonce && !lock(&p.stats).successfully_connected)
    }

    /// Forgets a closed connection; an outbound v2 attempt the peer closed
    /// without answering is retried with v1 (Core's `DisconnectNodes`).
    pub fn remove_peer(self: &Arc<Self>, id: i64) {
        let Some(peer) = lock(&self.peers).remove(&id) else {
            return;
        };
        if peer.inbound
            || self.interrupt.load(Ordering::SeqCst)
            || !lock(&peer.transport).should_reconnect_v1()
        {
            return;
        }
        tracing::debug!(target: "net", "retrying with v1 transport protocol for peer={id}");
        let net = self.clone();
        let conn_type = peer.conn_type.get().copied();
        self.spawn(format!("b-net-retry{id}"), move || match conn_type {
            None => net.open_connection(&peer.addr_name, false),
            Some(t) => crate::outbound::connect_to(&net, &peer.addr.to_string(), t, None, false),
        });
    }

    /// Whether we advertise `NODE_P2P_V2`.
    pub(crate) fn v2_enabled(&self) -> bool {
        self.config.local_services & NODE_P2P_V2 != 0
    }

    /// Every peer, for address relay and the outbound connection logic.
    pub(crate) fn peers_snapshot(&self) -> Vec<Arc<PeerShared>> {
        lock(&self.peers).values().cloned().collect()
    }

    /// The `-addnode`/`addnode` list.
    pub(crate) fn added_nodes(&self) -> Vec<String> {
        lock(&self.added).iter().map(|(d, _)| d.clone()).collect()
    }

    /// Starts a named thread that `Connman::stop` waits for.
    pub(crate) fn spawn_thread(self: &Arc<Self>, name: &str, f: impl FnOnce() + Send + 'static) {
        self.spawn(name.to_string(), f);
    }

    /// Registers an automatic outbound connection of `conn_type` (addrman
    /// and `addconnection` peers) and starts its thread.
    pub(crate) fn add_outbound_peer(
        self: &Arc<Self>,
        stream: TcpStream,
        addr: SocketAddr,
        conn_type: crate::addr_relay::ConnType,
        v2: bool,
    ) -> i64 {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let addr_bind = stream
            .local_addr()
            .map(canonical)
            .unwrap_or_else(|_| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
        let peer = Arc::new(PeerShared::new(
            id,
            canonical(addr),
            canonical(addr).to_string(),
            addr_bind,
            false,
            self.now_micros() / 1_000_000,
        ));
        let _ = peer.conn_type.set(conn_type);
        if v2 {
            *lock(&peer.transport) = crate::sender::Transport::v2(id, false, self.config.magic);
        }
        lock(&self.peers).insert(id, peer.clone());
        tracing::debug!(target: "net", "Added connection peer={id}");
        let net = self.clone();
        self.spawn(format!("b-net-peer{id}"), move || {
            crate::peer::run(net, peer, stream)
        });
        id
    }

    /// Core's `RelayTransaction`.
    pub fn relay_transaction(&self, txid: bitcoin::Txid, wtxid: bitcoin::Wtxid) {
        let peers: Vec<Arc<PeerShared>> = lock(&self.peers).values().cloned().collect();
        crate::txrelay::relay_transaction(&peers, txid, wtxid);
    }

    /// Core's `DisconnectNode(const CNetAddr&)`: every peer from `ip`.
    pub fn disconnect_address(&self, ip: IpAddr) -> bool {
        self.disconnect_matching(|a| {
            canonical(SocketAddr::new(a, 0)).ip() == canonical(SocketAddr::new(ip, 0)).ip()
        })
    }

    /// Disconnects every peer whose address matches; whether any did.
    pub fn disconnect_matching(&self, matches: impl Fn(IpAddr) -> bool) -> bool {
        let mut any = false;
        for p in lock(&self.peers).values() {
            if matches(p.addr.ip()) {
                p.disconnect.store(true, Ordering::SeqCst);
                any = true;
            }
        }
        any
    }

    fn spawn(self: &Arc<Self>, name: String, f: impl FnOnce() + Send + 'static) {
        match std::thread::Builder::new().name(name).spawn(f) {
            Ok(handle) => {
                let mut threads = lock(&self.threads);
                threads.retain(|t| !t.is_finished());
                threads.push(handle);
            }
            Err(e) => tracing::error!(target: "net", "failed to start a thread: {e}"),
        }
    }

    /// Registers a connected socket and starts its thread.
    fn add_peer(
        self: &Arc<Self>,
        stream: TcpStream,
        addr: SocketAddr,
        addr_name: String,
        inbound: bool,
        permissions: u32,
        v2: bool,
    ) {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let addr_bind = stream
            .local_addr()
            .map(canonical)
            .unwrap_or_else(|_| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));
        let peer = Arc::new(PeerShared::new(
            id,
            canonical(addr),
            addr_name,
            addr_bind,
            inbound,
            self.now_micros() / 1_000_000,
        ));
        peer.permissions.store(permissions, Ordering::SeqCst);
        if v2 {
            *lock(&peer.transport) = crate::sender::Transport::v2(id, inbound, self.config.magic);
        }
        lock(&self.peers).insert(id, peer.clone());
        tracing::debug!(target: "net", "Added connection peer={id}");
        let net = self.clone();
        self.spawn(format!("b-net-peer{id}"), move || {
            crate::peer::run(net, peer, stream)
        });
    }

    /// Core's `AttemptToEvictConnection`: marks one unprotected inbound
    /// peer (`eviction.rs`) for disconnection; whether there was one.
    fn attempt_to_evict_connection(&self) -> bool {
        use crate::permissions::{flags, has_flag};
        let candidates: Vec<crate::eviction::EvictionCandidate> = lock(&self.peers)
            .values()
            .filter(|p| !p.disconnect.load(Ordering::SeqCst))
            .map(|p| {
                let net_addr = crate::netaddr::NetAddr::from_ip(p.addr.ip());
                let stats = p.stats();
                crate::eviction::EvictionCandidate {
                    id: p.id,
                    connected: p.conn_time,
                    min_ping_us: stats.min_ping_us.unwrap_or(i64::MAX),
                    last_block_time: stats.last_block,
                    last_tx_time: stats.last_transaction,
                    relevant_services: crate::addr_relay::has_all_desirable_service_flags(
                        stats.services,
                    ),
                    relay_txs: stats.relay_txes,
                    bloom_filter: false,
                    keyed_netgroup: crate::eviction::keyed_netgroup(&net_addr.group()),
                    prefer_evict: self
                        .config
                        .banman
                        .as_ref()
                        .is_some_and(|b| b.is_discouraged(p.addr.ip())),
                    is_local: net_addr.is_local(),
                    network: net_addr.net_class(),
                    noban: has_flag(p.permissions.load(Ordering::SeqCst), flags::NO_BAN),
                    inbound: p.inbound,
                }
            })
            .collect();
        let Some(id) = crate::eviction::select_node_to_evict(candidates) else {
            return false;
        };
        match lock(&self.peers).get(&id) {
            Some(p) => {
                tracing::debug!(target: "net", "selected inbound connection for eviction peer={id}; disconnecting");
                p.disconnect.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    fn accept_inbound(self: &Arc<Self>, stream: TcpStream, addr: SocketAddr, bind_flags: u32) {
        use crate::permissions::{flags, has_flag};
        let addr = canonical(addr);
        let permissions = crate::permissions::inbound_permissions(
            bind_flags,
            &self.config.whitelist,
            addr.ip(),
            self.config.whitelist_relay,
            self.config.whitelist_force_relay,
        );
        let inbound = lock(&self.peers).values().filter(|p| p.inbound).count();
        let max_inbound = self
            .config
            .max_connections
            .saturating_sub(MAX_OUTBOUND_SLOTS);
        let noban = has_flag(permissions, flags::NO_BAN);
        if let Some(banman) = &self.config.banman {
            if !noban && banman.is_banned(addr.ip()) {
                tracing::debug!(target: "net", "connection from {addr} dropped (banned)");
                return;
            }
            if !noban && inbound + 1 >= max_inbound && banman.is_discouraged(addr.ip()) {
                tracing::debug!(target: "net", "connection from {addr} dropped (discouraged)");
                return;
            }
        }
        if inbound >= max_inbound && !self.attempt_to_evict_connection() {
            tracing::debug!(target: "net", "failed to find an eviction candidate - connection dropped (full)");
            return;
        }
        if !self.network_active.load(Ordering::SeqCst) {
            tracing::debug!(target: "net", "connection from {addr} dropped: not accepting new connections");
            return;
        }
        if stream.set_nonblocking(false).is_err() {
            return;
        }
        tracing::debug!(target: "net", "connection from {addr} accepted");
        // A v2 responder falls back to v1 by itself, so inbound connections
        // use it whenever we advertise NODE_P2P_V2.
        let v2 = self.v2_enabled();
        self.add_peer(stream, addr, addr.to_string(), true, permissions, v2);
    }

    /// Whether a peer was reached through `dest` or has its address.
    fn is_connected_to(&self, dest: &str, resolved: Option<SocketAddr>) -> bool {
        lock(&self.peers)
            .values()
            .any(|p| p.addr_name == dest || Some(p.addr) == resolved)
    }

    /// Core's `OpenNetworkConnection` for a manual connection to `dest`.
    fn open_connection(self: &Arc<Self>, dest: &str, v2: bool) {
        if self.interrupt.load(Ordering::SeqCst)
            || !self.network_active.load(Ordering::SeqCst)
            || self.is_connected_to(dest, None)
        {
            return;
        }
        let (host, port) = parse_host_port(dest, self.config.default_port);
        let addrs: Vec<SocketAddr> = match (host.as_str(), port).to_socket_addrs() {
            Ok(a) => a.map(canonical).collect(),
            Err(e) => {
                tracing::debug!(target: "net", "Cannot resolve {dest}: {e}");
                return;
            }
        };
        let Some(&addr) = addrs.first() else { return };
        if self.is_connected_to(dest, Some(addr)) {
            tracing::debug!(target: "net", "Failed to open new connection, already connected");
            return;
        }
        let v2 = v2 && self.v2_enabled();
        let kind = if v2 { "v2" } else { "v1" };
        tracing::debug!(target: "net", "trying {kind} connection {dest} lastseen=0.0hrs");
        let timeout = Duration::from_millis(crate::DEFAULT_CONNECT_TIMEOUT_MS);
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => self.add_peer(stream, addr, dest.to_string(), false, 0, v2),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                tracing::debug!(target: "net", "connection to {addr} timeout");
            }
            Err(e) => tracing::debug!(target: "net", "connect() to {addr} failed after wait: {e}"),
        }
    }
}

/// The running network: dropping it without [`Connman::stop`] leaves the
/// threads running until the process ends.
pub struct Connman {
    inner: Arc<Inner>,
    local_addrs: Vec<SocketAddr>,
}

impl Connman {
    /// Binds the listening sockets and starts the threads (Core's
    /// `CConnman::Start`).
    pub fn start(config: P2pConfig) -> Result<Connman, ConnmanError> {
        Self::start_with(config, true)
    }

    /// [`Connman::start`] with the initial network activity
    /// (`-networkactive`), logged as Core's constructor does.
    pub fn start_with(config: P2pConfig, network_active: bool) -> Result<Connman, ConnmanError> {
        tracing::info!("SetNetworkActive: {network_active}");
        let mut listeners = Vec::new();
        let mut first_error = None;
        let binds: Vec<(SocketAddr, u32)> = config
            .binds
            .iter()
            .map(|a| (*a, 0))
            .chain(config.whitebinds.iter().map(|w| (w.addr, w.flags)))
            .collect();
        for (i, (addr, bind_flags)) in binds.iter().enumerate() {
            match TcpListener::bind(addr) {
                Ok(l) => {
                    tracing::info!("Bound to {addr}");
                    listeners.push((l, *bind_flags));
                }
                Err(e) => {
                    let err = if e.kind() == io::ErrorKind::AddrInUse {
                        ConnmanError::AddrInUse(*addr)
                    } else {
                        ConnmanError::Bind(*addr, e)
                    };
                    // The dual-stack "any" socket already covers IPv4.
                    let silent = config.bind_any && i > 0 && !listeners.is_empty();
                    if !silent {
                        tracing::info!("{err}");
                        first_error.get_or_insert(err);
                    }
                }
            }
        }
        if !config.bind_any {
            if let Some(e) = first_error {
                return Err(e);
            }
        }
        if !binds.is_empty() && listeners.is_empty() {
            return Err(first_error.unwrap_or(ConnmanError::NoListen));
        }
        let local_addrs = listeners
            .iter()
            .filter_map(|(l, _)| l.local_addr().ok())
            .collect();
        let inner = Arc::new(Inner {
            added: Mutex::new(
                config
                    .add_nodes
                    .iter()
                    .map(|d| (d.clone(), false))
                    .collect(),
            ),
            config,
            interrupt: AtomicBool::new(false),
            network_active: AtomicBool::new(network_active),
            next_id: AtomicI64::new(0),
            peers: Mutex::new(BTreeMap::new()),
            threads: Mutex::new(Vec::new()),
            total_recv: AtomicU64::new(0),
            total_sent: AtomicU64::new(0),
            blocks_in_flight: Mutex::new(HashMap::new()),
            sync_started: AtomicUsize::new(0),
            direct_fetches: AtomicUsize::new(0),
            txrelay: crate::txrelay::TxRelayShared::default(),
            stalling: crate::stalling::StallingShared::default(),
            scheduler_offset_ms: AtomicI64::new(0),
            addr: std::sync::OnceLock::new(),
            upload: Default::default(),
        });
        for (listener, bind_flags) in listeners {
            if let Err(e) = listener.set_nonblocking(true) {
                tracing::error!(target: "net", "Setting listening socket to non-blocking failed: {e}");
                continue;
            }
            let net = inner.clone();
            inner.spawn("b-net".into(), move || {
                accept_loop(net, listener, bind_flags)
            });
        }
        let net = inner.clone();
        inner.spawn("b-opencon".into(), move || open_connections_loop(net));
        if inner.config.mempool.is_some() {
            let net = inner.clone();
            inner.spawn("b-rebroadcast".into(), move || rebroadcast_loop(net));
        }
        Ok(Connman { inner, local_addrs })
    }

    /// The shared state, for the address manager's threads.
    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }

    /// `SetNetworkActive` (the `setnetworkactive` RPC): when off, every
    /// peer is dropped and no connection is made or accepted.
    pub fn set_network_active(&self, active: bool) {
        tracing::info!("SetNetworkActive: {active}");
        self.inner.network_active.store(active, Ordering::SeqCst);
        if !active {
            for p in lock(&self.inner.peers).values() {
                if !p.disconnect.swap(true, Ordering::SeqCst) {
                    tracing::debug!(target: "net", "Network not active, dropping peer={}", p.id);
                }
            }
        }
    }

    /// `GetNetworkActive`.
    pub fn network_active(&self) -> bool {
        self.inner.network_active.load(Ordering::SeqCst)
    }

    /// The addresses actually listened on (port 0 binds get a real port).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// `addnode ... onetry`: one manual connection attempt, synchronously.
    pub fn open_connection(&self, dest: &str) {
        self.inner.open_connection(dest, false);
    }

    /// `addnode ... onetry` with its `v2transport` argument (ignored
    /// unless we advertise `NODE_P2P_V2`).
    pub fn open_connection_with(&self, dest: &str, v2: bool) {
        self.inner.open_connection(dest, v2);
    }

    /// `addnode ... add`: false when already added (Core's `AddNode`).
    pub fn add_node(&self, dest: &str) -> bool {
        self.add_node_with(dest, false)
    }

    /// `addnode ... add` with its `v2transport` argument.
    pub fn add_node_with(&self, dest: &str, v2: bool) -> bool {
        let mut added = lock(&self.inner.added);
        if added.iter().any(|(a, _)| a == dest) {
            return false;
        }
        added.push((dest.to_string(), v2));
        true
    }

    /// `addnode ... remove`: false when it was not added.
    pub fn remove_added_node(&self, dest: &str) -> bool {
        let mut added = lock(&self.inner.added);
        let before = added.len();
        added.retain(|(a, _)| a != dest);
        added.len() != before
    }

    /// `disconnectnode` by address (Core's `DisconnectNode(const std::string&)`).
    pub fn disconnect_by_address(&self, address: &str) -> bool {
        let parsed: Option<SocketAddr> = address.parse().ok().map(canonical);
        let peers = lock(&self.inner.peers);
        match peers
            .values()
            .find(|p| p.addr_name == address || Some(p.addr) == parsed)
        {
            Some(p) => {
                tracing::debug!(target: "net", "disconnect by address={address} matched peer={}; disconnecting", p.id);
                p.disconnect.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    /// `disconnectnode` by id.
    pub fn disconnect_by_id(&self, id: i64) -> bool {
        match lock(&self.inner.peers).get(&id) {
            Some(p) => {
                tracing::debug!(target: "net", "disconnect by id peer={id}; disconnecting");
                p.disconnect.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    /// The active tip moved (Core's `PeerManagerImpl::UpdatedBlockTip`):
    /// outside initial block download, every peer announces it on its next
    /// pass. Called with the chainstate locked: it only queues.
    pub fn block_tip_changed(&self, hash: BlockHash, fork_height: Option<u32>, ibd: bool) {
        crate::addr_relay::set_service_flags_ibd_cache(!ibd);
        if ibd {
            return;
        }
        let event = crate::sync::TipEvent { hash, fork_height };
        for p in lock(&self.inner.peers).values() {
            lock(&p.announce).push(event);
        }
    }

    /// Core's `RelayTransaction`: announce to every peer on its next trickle.
    pub fn relay_transaction(&self, txid: bitcoin::Txid, wtxid: bitcoin::Wtxid) {
        self.inner.relay_transaction(txid, wtxid);
    }

    /// A block joined the active chain: orphans it confirms or conflicts
    /// with are dropped (called with the chainstate locked).
    pub fn block_connected(&self, block: &bitcoin::Block) {
        self.inner.txrelay.block_connected(block);
        self.inner.stalling.block_connected();
    }

    /// A block left the active chain.
    pub fn block_disconnected(&self) {
        self.inner.txrelay.block_disconnected();
    }

    /// Number of orphan transactions held.
    pub fn orphan_count(&self) -> usize {
        self.inner.txrelay.orphan_count()
    }

    /// `mockscheduler`: scheduled tasks (the rebroadcast of unbroadcast
    /// transactions) run as if `seconds` more had passed.
    pub fn mock_forward_scheduler(&self, seconds: i64) {
        self.inner
            .scheduler_offset_ms
            .fetch_add(seconds * 1000, Ordering::SeqCst);
    }

    /// `sendmsgtopeer`: queues a message of any type to peer `id`; false
    /// when there is no such peer.
    pub fn send_raw(&self, id: i64, command: &str, payload: &[u8]) -> bool {
        let Some(peer) = lock(&self.inner.peers).get(&id).cloned() else {
            return false;
        };
        let bytes = crate::framing::encode_raw(self.inner.config.magic, command, payload);
        let Some(len) = crate::sender::queue_message(&self.inner, &peer, bytes) else {
            return false;
        };
        let len = len as u64;
        self.inner.total_sent.fetch_add(len, Ordering::SeqCst);
        self.inner.record_upload(len);
        let mut s = lock(&peer.stats);
        s.bytes_sent += len;
        *s.sent_per_msg
            .entry(crate::framing::stats_key(command))
            .or_default() += len;
        true
    }

    /// The ban manager, when there is one.
    pub fn banman(&self) -> Option<&Arc<crate::banman::BanMan>> {
        self.inner.config.banman.as_ref()
    }

    /// `setban add`: disconnects every peer in `subnet`.
    pub fn disconnect_subnet(&self, subnet: &crate::banman::Subnet) -> bool {
        self.inner.disconnect_matching(|ip| subnet.contains(ip))
    }

    /// `ping`: every peer sends a ping on its next pass (Core's `SendPings`).
    pub fn send_pings(&self) {
        for p in lock(&self.inner.peers).values() {
            p.ping_queued.store(true, Ordering::SeqCst);
        }
    }

    pub fn connection_counts(&self) -> ConnectionCounts {
        let peers = lock(&self.inner.peers);
        let inbound = peers.values().filter(|p| p.inbound).count();
        ConnectionCounts {
            inbound,
            outbound: peers.len() - inbound,
        }
    }

    pub fn totals(&self) -> NetTotals {
        NetTotals {
            bytes_recv: self.inner.total_recv.load(Ordering::SeqCst),
            bytes_sent: self.inner.total_sent.load(Ordering::SeqCst),
        }
    }

    /// Every connected peer that completed... or not yet completed the
    /// handshake, by id.
    pub fn peer_infos(&self) -> Vec<PeerInfo> {
        let now = self.inner.now_micros();
        lock(&self.inner.peers)
            .values()
            .map(|p| {
                let stats = lock(&p.stats).clone();
                let (min_fee_filter, relay_txs) = {
                    let t = lock(&p.tx);
                    (t.fee_filter_received, t.enabled && t.relay_txs)
                };
                PeerInfo {
                    addr_relay: crate::addr_relay::addr_stats(p),
                    transport: lock(&p.transport).info(),
                    permissions: p.permissions.load(Ordering::SeqCst),
                    min_fee_filter,
                    relay_txs,
                    id: p.id,
                    addr_name: p.addr_name.clone(),
                    addr: p.addr,
                    addr_bind: p.addr_bind,
                    inbound: p.inbound,
                    connection_type: p.conn_type().as_str(),
                    conn_time: p.conn_time,
                    ping_wait_us: if stats.ping_nonce_sent != 0 {
                        (now - stats.ping_start_us).max(0)
                    } else {
                        0
                    },
                    stats,
                }
            })
            .collect()
    }

    /// Core's `Interrupt`: threads stop at their next pass.
    pub fn interrupt(&self) {
        self.inner.interrupt.store(true, Ordering::SeqCst);
    }

    /// Core's `StopNodes`: interrupts, then waits for every thread.
    pub fn stop(&self) {
        self.interrupt();
        // Core's BanMan destructor: expired bans are swept before saving.
        if let Some(banman) = &self.inner.config.banman {
            banman.dump();
        }
        loop {
            let threads: Vec<_> = lock(&self.inner.threads).drain(..).collect();
            if threads.is_empty() {
                break;
            }
            for t in threads {
                let _ = t.join();
            }
        }
        lock(&self.inner.peers).clear();
    }
}

fn sleep_unless_interrupted(net: &Inner, total: Duration) -> bool {
    let step = Duration::from_millis(50);
    let mut slept = Duration::ZERO;
    while slept < total {
        if net.interrupt.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(step);
        slept += step;
    }
    !net.interrupt.load(Ordering::SeqCst)
}

fn accept_loop(net: Arc<Inner>, listener: TcpListener, bind_flags: u32) {
    while !net.interrupt.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, addr)) => net.accept_inbound(stream, addr, bind_flags),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => {
                tracing::debug!(target: "net", "socket error accept failed: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// `-connect` (Core's `ThreadOpenConnections` with a connect list) and added
/// nodes (`ThreadOpenAddedConnections`), retried every 2 seconds.
fn open_connections_loop(net: Arc<Inner>) {
    loop {
        // -connect peers use v1 (Core v26); added nodes their own choice.
        let mut targets: Vec<(String, bool)> = net
            .config
            .connect
            .iter()
            .map(|d| (d.clone(), false))
            .collect();
        targets.extend(lock(&net.added).iter().cloned());
        for (dest, v2) in targets {
            net.open_connection(&dest, v2);
        }
        if !sleep_unless_interrupted(&net, Duration::from_secs(2)) {
            return;
        }
    }
}

/// Core's `ReattemptInitialBroadcast`: every 10 to 15 minutes, announce
/// again the transactions no peer has asked for yet.
fn rebroadcast_loop(net: Arc<Inner>) {
    loop {
        let delay_ms = 10 * 60 * 1000 + (rand::random::<u64>() % (5 * 60 * 1000)) as i64;
        let start = std::time::Instant::now();
        let offset_at_start = net.scheduler_offset_ms.load(Ordering::SeqCst);
        loop {
            if net.interrupt.load(Ordering::SeqCst) {
                return;
            }
            let mocked = net.scheduler_offset_ms.load(Ordering::SeqCst) - offset_at_start;
            if start.elapsed().as_millis() as i64 + mocked >= delay_ms {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if let Some(mempool) = &net.config.mempool {
            for (txid, wtxid) in mempool.reattempt_broadcast() {
                net.relay_transaction(txid, wtxid);
            }
        }
    }
}

/// The all-zero address of `version` messages (Core's empty `CService`).
pub(crate) const UNSPECIFIED_V6: Ipv6Addr = Ipv6Addr::UNSPECIFIED;

/// `NODE_NETWORK_LIMITED_MIN_BLOCKS`: how deep below the tip a pruned node
/// still serves blocks.
pub const NODE_NETWORK_LIMITED_MIN_BLOCKS: u32 = 288;

impl crate::peer::Conn {
    /// Core's limit in `ProcessGetBlockData` for a node that signals
    /// `NODE_NETWORK_LIMITED` without `NODE_NETWORK` (pruned): a `getdata`
    /// for a block more than 288 + 2 below the tip disconnects the peer
    /// (unless it has `noban`). True when the message was handled so.
    pub(crate) fn refuse_deep_block_request(&mut self, payload: &[u8]) -> bool {
        use bitcoin::p2p::message_blockdata::Inventory;
        let services = self.net.config.local_services;
        if services & (1 << 10) == 0 || services & 1 != 0 {
            return false;
        }
        let noban = crate::permissions::has_flag(
            self.peer.permissions.load(Ordering::SeqCst),
            crate::permissions::flags::NO_BAN,
        );
        let Some(chain) = self.net.config.chain.clone() else {
            return false;
        };
        if noban {
            return false;
        }
        let Ok(invs) = bitcoin::consensus::deserialize::<Vec<Inventory>>(payload) else {
            return false;
        };
        let Some(tip) = chain.header_state(&chain.tip().0) else {
            return false;
        };
        let too_deep = invs.iter().any(|inv| match inv {
            Inventory::Block(h) | Inventory::WitnessBlock(h) | Inventory::CompactBlock(h) => {
                chain.header_state(h).is_some_and(|s| {
                    tip.height.saturating_sub(s.height) > NODE_NETWORK_LIMITED_MIN_BLOCKS + 2
                })
            }
            _ => false,
        });
        if too_deep {
            tracing::debug!(target: "net", "Ignore block request below NODE_NETWORK_LIMITED threshold, disconnect peer={}", self.peer.id);
            self.disconnect();
        }
        too_deep
    }
}
