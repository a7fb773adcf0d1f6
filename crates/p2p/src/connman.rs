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
}

pub(crate) struct Inner {
    pub config: P2pConfig,
    pub interrupt: AtomicBool,
    next_id: AtomicI64,
    peers: Mutex<BTreeMap<i64, Arc<PeerShared>>>,
    added: Mutex<Vec<String>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    pub total_recv: AtomicU64,
    pub total_sent: AtomicU64,
    /// Blocks requested from some peer (Core's `mapBlocksInFlight`).
    pub blocks_in_flight: Mutex<HashMap<BlockHash, i64>>,
    /// Peers we started a headers sync with (Core's `nSyncStarted`).
    pub sync_started: AtomicUsize,
    /// Peers between accepting headers and requesting their blocks.
    pub direct_fetches: AtomicUsize,
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

    pub fn remove_peer(&self, id: i64) {
        lock(&self.peers).remove(&id);
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
        lock(&self.peers).insert(id, peer.clone());
        if !inbound {
            tracing::debug!(target: "net", "Added connection peer={id}");
        }
        let net = self.clone();
        self.spawn(format!("b-net-peer{id}"), move || {
            crate::peer::run(net, peer, stream)
        });
    }

    fn accept_inbound(self: &Arc<Self>, stream: TcpStream, addr: SocketAddr) {
        let addr = canonical(addr);
        let inbound = lock(&self.peers).values().filter(|p| p.inbound).count();
        let max_inbound = self
            .config
            .max_connections
            .saturating_sub(MAX_OUTBOUND_SLOTS);
        if inbound >= max_inbound {
            tracing::debug!(target: "net", "failed to find an eviction candidate - connection dropped (full)");
            return;
        }
        if stream.set_nonblocking(false).is_err() {
            return;
        }
        tracing::debug!(target: "net", "connection from {addr} accepted");
        self.add_peer(stream, addr, addr.to_string(), true);
    }

    /// Whether a peer was reached through `dest` or has its address.
    fn is_connected_to(&self, dest: &str, resolved: Option<SocketAddr>) -> bool {
        lock(&self.peers)
            .values()
            .any(|p| p.addr_name == dest || Some(p.addr) == resolved)
    }

    /// Core's `OpenNetworkConnection` for a manual connection to `dest`.
    fn open_connection(self: &Arc<Self>, dest: &str) {
        if self.interrupt.load(Ordering::SeqCst) || self.is_connected_to(dest, None) {
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
        tracing::debug!(target: "net", "trying v1 connection {dest} lastseen=0.0hrs");
        let timeout = Duration::from_millis(crate::DEFAULT_CONNECT_TIMEOUT_MS);
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => self.add_peer(stream, addr, dest.to_string(), false),
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
        let mut listeners = Vec::new();
        let mut first_error = None;
        for (i, addr) in config.binds.iter().enumerate() {
            match TcpListener::bind(addr) {
                Ok(l) => {
                    tracing::info!("Bound to {addr}");
                    listeners.push(l);
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
        if !config.binds.is_empty() && listeners.is_empty() {
            return Err(first_error.unwrap_or(ConnmanError::NoListen));
        }
        let local_addrs = listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect();
        let inner = Arc::new(Inner {
            added: Mutex::new(config.add_nodes.clone()),
            config,
            interrupt: AtomicBool::new(false),
            next_id: AtomicI64::new(0),
            peers: Mutex::new(BTreeMap::new()),
            threads: Mutex::new(Vec::new()),
            total_recv: AtomicU64::new(0),
            total_sent: AtomicU64::new(0),
            blocks_in_flight: Mutex::new(HashMap::new()),
            sync_started: AtomicUsize::new(0),
            direct_fetches: AtomicUsize::new(0),
        });
        for listener in listeners {
            if let Err(e) = listener.set_nonblocking(true) {
                tracing::error!(target: "net", "Setting listening socket to non-blocking failed: {e}");
                continue;
            }
            let net = inner.clone();
            inner.spawn("b-net".into(), move || accept_loop(net, listener));
        }
        let net = inner.clone();
        inner.spawn("b-opencon".into(), move || open_connections_loop(net));
        Ok(Connman { inner, local_addrs })
    }

    /// The addresses actually listened on (port 0 binds get a real port).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// `addnode ... onetry`: one manual connection attempt, synchronously.
    pub fn open_connection(&self, dest: &str) {
        self.inner.open_connection(dest);
    }

    /// `addnode ... add`: false when already added (Core's `AddNode`).
    pub fn add_node(&self, dest: &str) -> bool {
        let mut added = lock(&self.inner.added);
        if added.iter().any(|a| a == dest) {
            return false;
        }
        added.push(dest.to_string());
        true
    }

    /// `addnode ... remove`: false when it was not added.
    pub fn remove_added_node(&self, dest: &str) -> bool {
        let mut added = lock(&self.inner.added);
        let before = added.len();
        added.retain(|a| a != dest);
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
        if ibd {
            return;
        }
        let event = crate::sync::TipEvent { hash, fork_height };
        for p in lock(&self.inner.peers).values() {
            lock(&p.announce).push(event);
        }
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
                PeerInfo {
                    id: p.id,
                    addr_name: p.addr_name.clone(),
                    addr: p.addr,
                    addr_bind: p.addr_bind,
                    inbound: p.inbound,
                    connection_type: if p.inbound { "inbound" } else { "manual" },
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

fn accept_loop(net: Arc<Inner>, listener: TcpListener) {
    while !net.interrupt.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, addr)) => net.accept_inbound(stream, addr),
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
        let mut targets = net.config.connect.clone();
        targets.extend(lock(&net.added).iter().cloned());
        for dest in targets {
            net.open_connection(&dest);
        }
        if !sleep_unless_interrupted(&net, Duration::from_secs(2)) {
            return;
        }
    }
}

/// The all-zero address of `version` messages (Core's empty `CService`).
pub(crate) const UNSPECIFIED_V6: Ipv6Addr = Ipv6Addr::UNSPECIFIED;
