//! One connection's thread: reading frames, the handshake and ping logic of
//! Core's `PeerManagerImpl::ProcessMessage`/`SendMessages`, and the
//! inactivity checks of `CConnman::InactivityCheck`.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bitcoin::p2p::address::Address;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_compact_blocks::SendCmpct;
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::ServiceFlags;

use crate::addr::is_routable;
use crate::connman::{Inner, UNSPECIFIED_V6};
use crate::framing::{encode_message, sanitize_string, stats_key, Frame, HEADER_SIZE};
use crate::{
    BIP0031_VERSION, CMPCTBLOCKS_VERSION, MAX_SUBVERSION_LENGTH, MIN_PEER_PROTO_VERSION,
    PING_INTERVAL_US, PROTOCOL_VERSION, SHORT_IDS_BLOCKS_VERSION, TIMEOUT_INTERVAL,
    WTXID_RELAY_VERSION,
};

/// What changes over a connection's life.
#[derive(Debug, Clone, Default)]
pub struct PeerStats {
    /// The peer's `version`, 0 until received.
    pub version: i32,
    pub common_version: i32,
    /// The sanitised user agent.
    pub subver: String,
    pub services: u64,
    /// Whether the peer asked for transaction relay.
    pub relay_txes: bool,
    pub starting_height: i32,
    pub successfully_connected: bool,
    pub wtxid_relay: bool,
    pub wants_addrv2: bool,
    /// Our address as the peer sees it, when valid.
    pub addr_local: Option<SocketAddr>,
    pub last_send: i64,
    pub last_recv: i64,
    pub bytes_sent: u64,
    pub bytes_recv: u64,
    pub sent_per_msg: BTreeMap<&'static str, u64>,
    pub recv_per_msg: BTreeMap<&'static str, u64>,
    /// The last round trip, microseconds; 0 before the first.
    pub last_ping_us: i64,
    pub min_ping_us: Option<i64>,
    /// The nonce of the outstanding ping, 0 when none.
    pub ping_nonce_sent: u64,
    pub ping_start_us: i64,
    /// Height of the peer's best block we know of (`nSyncHeight`), -1 when none.
    pub synced_headers: i64,
    /// Height of the low-work headers pre-sync with the peer
    /// (`m_headers_sync`), -1 when none is in its first phase.
    pub presynced_headers: i64,
    /// Height of the last block we have in common (`nCommonHeight`), -1 when none.
    pub synced_blocks: i64,
    /// Heights of the blocks requested from the peer.
    pub inflight: Vec<u32>,
    /// Core's misbehaviour score.
    pub misbehavior: i32,
    /// `m_should_discourage`: the score crossed the threshold.
    pub should_discourage: bool,
    /// When the last valid transaction arrived (`m_last_tx_time`), seconds.
    pub last_transaction: i64,
    /// When the last new block arrived (`m_last_block_time`), seconds.
    pub last_block: i64,
    /// BIP152 state (`m_provides_cmpctblocks`, `m_requested_hb_cmpctblocks`,
    /// `m_bip152_highbandwidth_to`), see `compact/relay.rs`.
    pub cmpct: crate::compact::PeerCmpct,
}

/// A peer's state shared with the connection manager.
pub(crate) struct PeerShared {
    pub id: i64,
    pub addr: SocketAddr,
    pub addr_name: String,
    pub addr_bind: SocketAddr,
    pub inbound: bool,
    pub conn_time: i64,
    /// The nonce of our `version`, to detect connecting to ourselves.
    pub local_nonce: u64,
    pub disconnect: AtomicBool,
    pub ping_queued: AtomicBool,
    /// New tips to announce (hash, height, fork height), from
    /// `Connman::block_tip_changed` (Core's `m_blocks_for_headers_relay`).
    pub announce: Mutex<Vec<crate::sync::TipEvent>>,
    pub stats: Mutex<PeerStats>,
    /// Core's `NetPermissionFlags` of the connection.
    pub permissions: std::sync::atomic::AtomicU32,
    /// Transaction relay state other peers' threads queue announcements in.
    pub tx: Mutex<crate::txrelay::PeerTxRelay>,
    /// The queue of the connection's writer thread (`sender.rs`).
    pub outbox: Mutex<Option<std::sync::mpsc::Sender<Vec<u8>>>>,
    /// Core's `ConnectionType` of an automatic outbound connection; unset
    /// for inbound and manual ones.
    pub conn_type: std::sync::OnceLock<crate::addr_relay::ConnType>,
    /// Address relay state other peers' threads queue addresses in.
    pub addr_state: Mutex<crate::addr_relay::PeerAddrState>,
    /// v1 or BIP324 v2 (`sender.rs`).
    pub transport: Mutex<crate::sender::Transport>,
}

impl PeerShared {
    pub fn new(
        id: i64,
        addr: SocketAddr,
        addr_name: String,
        addr_bind: SocketAddr,
        inbound: bool,
        conn_time: i64,
    ) -> Self {
        PeerShared {
            id,
            addr,
            addr_name,
            addr_bind,
            inbound,
            conn_time,
            local_nonce: nonzero_nonce(),
            disconnect: AtomicBool::new(false),
            ping_queued: AtomicBool::new(false),
            announce: Mutex::new(Vec::new()),
            permissions: std::sync::atomic::AtomicU32::new(0),
            tx: Mutex::new(crate::txrelay::PeerTxRelay::default()),
            outbox: Mutex::new(None),
            conn_type: std::sync::OnceLock::new(),
            addr_state: Mutex::new(Default::default()),
            transport: Mutex::new(crate::sender::Transport::V1),
            stats: Mutex::new(PeerStats {
                synced_headers: -1,
                presynced_headers: -1,
                synced_blocks: -1,
                ..PeerStats::default()
            }),
        }
    }

    pub(crate) fn stats(&self) -> MutexGuard<'_, PeerStats> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn nonzero_nonce() -> u64 {
    loop {
        let n: u64 = rand::random();
        if n != 0 {
            return n;
        }
    }
}

/// Why a `version` payload could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ParseError(&'static str);

/// The fields of a `version` Core reads; everything after the receiver
/// address is optional (Core's `ProcessMessage` for `version`).
struct ReceivedVersion {
    version: i32,
    services: u64,
    addr_me: Option<SocketAddr>,
    nonce: u64,
    subver: String,
    starting_height: i32,
    relay: bool,
}

struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], ParseError> {
        if self.0.len() < n {
            return Err(ParseError(
                "CDataStream::read(): end of data: iostream error",
            ));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u64(&mut self) -> Result<u64, ParseError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn i32(&mut self) -> Result<i32, ParseError> {
        Ok(i32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn compact_size(&mut self) -> Result<u64, ParseError> {
        let first = self.take(1)?[0];
        Ok(match first {
            0xfd => u16::from_le_bytes(self.take(2)?.try_into().expect("2")) as u64,
            0xfe => u32::from_le_bytes(self.take(4)?.try_into().expect("4")) as u64,
            0xff => self.u64()?,
            n => n as u64,
        })
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn parse_version(payload: &[u8]) -> Result<ReceivedVersion, ParseError> {
    let mut c = Cursor(payload);
    let version = c.i32()?;
    let services = c.u64()?;
    let _time = c.u64()?;
    c.take(8)?; // the services of addr_me
    let ip: [u8; 16] = c.take(16)?.try_into().expect("16 bytes");
    let port = u16::from_be_bytes(c.take(2)?.try_into().expect("2 bytes"));
    let ip = std::net::Ipv6Addr::from(ip);
    let ip = ip
        .to_ipv4_mapped()
        .map_or(std::net::IpAddr::V6(ip), std::net::IpAddr::V4);
    let addr_me = (!ip.is_unspecified()).then_some(SocketAddr::new(ip, port));
    let mut received = ReceivedVersion {
        version,
        services,
        addr_me,
        nonce: 0,
        subver: String::new(),
        starting_height: 0,
        relay: true,
    };
    if !c.is_empty() {
        c.take(26)?;
        received.nonce = c.u64()?;
    }
    if !c.is_empty() {
        let len = c.compact_size()?;
        if len > MAX_SUBVERSION_LENGTH as u64 {
            return Err(ParseError("String length limit exceeded"));
        }
        received.subver = sanitize_string(&String::from_utf8_lossy(c.take(len as usize)?));
    }
    if !c.is_empty() {
        received.starting_height = c.i32()?;
    }
    if !c.is_empty() {
        received.relay = c.take(1)?[0] != 0;
    }
    Ok(received)
}

pub(crate) struct Conn {
    pub(crate) net: Arc<Inner>,
    pub(crate) peer: Arc<PeerShared>,
    stream: TcpStream,
    pub(crate) sync: crate::sync::SyncState,
    pub(crate) tx: crate::txrelay::ConnTxState,
}

/// Runs one connection until either side ends it.
pub(crate) fn run(net: Arc<Inner>, peer: Arc<PeerShared>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(60)));
    let writer = crate::sender::start(&stream, &peer);
    let mut conn = Conn {
        net,
        peer,
        stream,
        sync: crate::sync::SyncState::default(),
        tx: crate::txrelay::ConnTxState::default(),
    };
    conn.main_loop();
    conn.finalize_sync();
    conn.finalize_addr();
    conn.finalize_tx();
    let id = conn.peer.id;
    tracing::debug!(target: "net", "disconnecting peer={id}");
    let _ = conn.stream.shutdown(Shutdown::Both);
    crate::sender::stop(&conn.peer, writer);
    conn.net.remove_peer(id);
}

impl Conn {
    pub(crate) fn id(&self) -> i64 {
        self.peer.id
    }

    pub(crate) fn disconnect(&self) {
        self.peer.disconnect.store(true, Ordering::SeqCst);
    }

    pub(crate) fn should_stop(&self) -> bool {
        self.net.interrupt.load(Ordering::SeqCst) || self.peer.disconnect.load(Ordering::SeqCst)
    }

    fn main_loop(&mut self) {
        if !self.peer.inbound {
            self.push_version();
        }
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        while !self.should_stop() {
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    tracing::debug!(target: "net", "socket closed for peer={}", self.id());
                    return;
                }
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    self.net.total_recv.fetch_add(n as u64, Ordering::SeqCst);
                    let now = self.net.now_micros() / 1_000_000;
                    let mut s = self.peer.stats();
                    s.bytes_recv += n as u64;
                    s.last_recv = now;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tracing::debug!(target: "net", "socket recv error for peer={}: {e}", self.id());
                    return;
                }
            }
            loop {
                if self.should_stop() {
                    return;
                }
                // Core reconsiders orphans before the peer's next message.
                while self.process_orphan_tx() {
                    if self.maybe_discourage_and_disconnect() || self.should_stop() {
                        return;
                    }
                }
                match crate::sender::next_frame(&self.net, &self.peer, &mut buf) {
                    Ok(None) => break,
                    Ok(Some(Frame::Message {
                        command,
                        payload,
                        size,
                    })) => {
                        self.count_recv(&command, payload.len(), size);
                        self.process_message(&command, &payload);
                        if self.maybe_discourage_and_disconnect() {
                            return;
                        }
                    }
                    Ok(Some(Frame::Rejected { reason, size })) => {
                        tracing::debug!(target: "net", "{reason}, peer={}", self.id());
                        *self.peer.stats().recv_per_msg.entry("*other*").or_default() +=
                            size as u64;
                    }
                    Err(e) => {
                        tracing::debug!(target: "net", "{e}, peer={}", self.id());
                        return;
                    }
                }
            }
            self.send_messages();
        }
    }

    fn count_recv(&self, command: &str, payload_len: usize, wire_size: usize) {
        tracing::debug!(target: "net", "received: {command} ({payload_len} bytes) peer={}", self.id());
        *self
            .peer
            .stats()
            .recv_per_msg
            .entry(stats_key(command))
            .or_default() += wire_size as u64;
    }

    pub(crate) fn push(&mut self, msg: NetworkMessage) {
        let command = msg.cmd();
        let bytes = encode_message(self.net.config.magic, msg);
        tracing::debug!(target: "net", "sending {command} ({} bytes) peer={}", bytes.len() - HEADER_SIZE, self.id());
        let Some(len) = crate::sender::queue_message(&self.net, &self.peer, bytes) else {
            tracing::debug!(target: "net", "socket send error for peer={}: writer gone", self.id());
            self.disconnect();
            return;
        };
        self.net.total_sent.fetch_add(len as u64, Ordering::SeqCst);
        self.net.record_upload(len as u64);
        let now = self.net.now_micros() / 1_000_000;
        let mut s = self.peer.stats();
        s.bytes_sent += len as u64;
        s.last_send = now;
        *s.sent_per_msg.entry(stats_key(command)).or_default() += len as u64;
    }

    /// Core's `PushNodeVersion`.
    fn push_version(&mut self) {
        let config = &self.net.config;
        let services = ServiceFlags::from(config.local_services);
        let receiver = if is_routable(self.peer.addr.ip()) {
            Address::new(&self.peer.addr, ServiceFlags::NONE)
        } else {
            Address {
                services: ServiceFlags::NONE,
                address: UNSPECIFIED_V6.segments(),
                port: 0,
            }
        };
        let height = (config.start_height)();
        let msg = VersionMessage {
            version: PROTOCOL_VERSION as u32,
            services,
            timestamp: self.net.now_micros() / 1_000_000,
            receiver,
            sender: Address {
                services,
                address: UNSPECIFIED_V6.segments(),
                port: 0,
            },
            nonce: self.peer.local_nonce,
            user_agent: config.user_agent.clone(),
            start_height: height,
            relay: self.tx_relay_flag(),
        };
        let them = if is_routable(self.peer.addr.ip()) {
            self.peer.addr.to_string()
        } else {
            "[::]:0".to_string()
        };
        tracing::debug!(target: "net",
            "send version message: version {PROTOCOL_VERSION}, blocks={height}, them={them}, txrelay={}, peer={}",
            u8::from(self.tx_relay_flag()), self.id());
        self.push(NetworkMessage::Version(msg));
    }

    fn process_message(&mut self, command: &str, payload: &[u8]) {
        let id = self.id();
        if command == "version" {
            return self.process_version(payload);
        }
        let (version, connected, common) = {
            let s = self.peer.stats();
            (s.version, s.successfully_connected, s.common_version)
        };
        if version == 0 {
            tracing::debug!(target: "net", "non-version message before version handshake. Message \"{}\" from peer={id}", sanitize_string(command));
            return;
        }
        match command {
            "verack" => {
                if connected {
                    tracing::debug!(target: "net", "ignoring redundant verack message from peer={id}");
                    return;
                }
                let height = self.peer.stats().starting_height;
                let transport = crate::connman::lock(&self.peer.transport)
                    .info()
                    .protocol_type();
                let line = format!(
                    "New {} {transport} peer connected: version: {version}, blocks={height}, peer={id}",
                    self.peer.conn_type().as_str()
                );
                if self.peer.inbound {
                    tracing::debug!(target: "net", "{line}");
                } else {
                    tracing::info!("{line}");
                }
                if common >= SHORT_IDS_BLOCKS_VERSION {
                    self.push(NetworkMessage::SendCmpct(SendCmpct {
                        send_compact: false,
                        version: CMPCTBLOCKS_VERSION,
                    }));
                }
                self.peer.stats().successfully_connected = true;
            }
            "wtxidrelay" | "sendaddrv2" => {
                if connected {
                    tracing::debug!(target: "net", "{command} received after verack from peer={id}; disconnecting");
                    self.disconnect();
                    return;
                }
                let mut s = self.peer.stats();
                if command == "wtxidrelay" {
                    if common >= WTXID_RELAY_VERSION && !s.wtxid_relay {
                        s.wtxid_relay = true;
                        drop(s);
                        self.count_wtxid_relay_peer();
                    }
                } else {
                    s.wants_addrv2 = true;
                }
            }
            _ if !connected => {
                tracing::debug!(target: "net", "Unsupported message \"{}\" prior to verack from peer={id}", sanitize_string(command));
            }
            "ping" => {
                if common > BIP0031_VERSION {
                    match Cursor(payload).u64() {
                        Ok(nonce) => self.push(NetworkMessage::Pong(nonce)),
                        Err(e) => self.log_exception(command, payload.len(), &e),
                    }
                }
            }
            "pong" => self.process_pong(payload),
            "getdata" if self.refuse_deep_block_request(payload) => {}
            "getheaders" | "getblocks" | "headers" | "getdata" | "inv" | "block"
            | "sendheaders" => self.process_sync_message(command, payload),
            "tx" | "notfound" | "feefilter" | "mempool" | "filterload" | "filteradd"
            | "filterclear" => self.process_tx_message(command, payload),
            "addr" | "addrv2" | "getaddr" => self.process_addr_message(command, payload),
            "sendcmpct" | "cmpctblock" | "getblocktxn" | "blocktxn" => {
                self.process_compact_message(command, payload)
            }
            "getcfilters" | "getcfheaders" | "getcfcheckpt" => {
                self.process_cfilter_message(command, payload)
            }
            _ if crate::framing::ALL_NET_MESSAGE_TYPES.contains(&command) => {
                tracing::debug!(target: "net", "ignoring \"{command}\" from peer={id}: not handled yet");
            }
            _ => {
                tracing::debug!(target: "net", "Unknown command \"{}\" from peer={id}", sanitize_string(command));
            }
        }
    }

    pub(crate) fn log_exception(&self, command: &str, size: usize, e: &dyn std::fmt::Display) {
        tracing::debug!(target: "net", "ProcessMessages({command}, {size} bytes): Exception '{e}' caught");
    }

    fn process_version(&mut self, payload: &[u8]) {
        let id = self.id();
        if self.peer.stats().version != 0 {
            tracing::debug!(target: "net", "redundant version message from peer={id}");
            return;
        }
        let v = match parse_version(payload) {
            Ok(v) => v,
            Err(e) => return self.log_exception("version", payload.len(), &e),
        };
        if v.version < MIN_PEER_PROTO_VERSION {
            tracing::debug!(target: "net", "peer={id} using obsolete version {}; disconnecting", v.version);
            self.disconnect();
            return;
        }
        if self.peer.inbound && !self.net.check_incoming_nonce(v.nonce) {
            tracing::info!("connected to self at {}, disconnecting", self.peer.addr);
            self.disconnect();
            return;
        }
        if self.peer.inbound {
            self.push_version();
        }
        let common = v.version.min(PROTOCOL_VERSION);
        {
            let mut s = self.peer.stats();
            s.common_version = common;
            s.version = v.version;
        }
        if common >= WTXID_RELAY_VERSION {
            self.push(NetworkMessage::WtxidRelay);
        }
        if common >= 70016 {
            self.push(NetworkMessage::SendAddrV2);
        }
        {
            let mut s = self.peer.stats();
            s.services = v.services;
            s.addr_local = v.addr_me;
            s.subver = v.subver.clone();
            s.starting_height = v.starting_height;
            s.relay_txes = v.relay;
        }
        self.init_tx_relay(v.relay);
        let us = v.addr_me.map_or("[::]:0".to_string(), |a| a.to_string());
        tracing::debug!(target: "net",
            "receive version message: {}: version {}, blocks={}, us={us}, txrelay={}, peer={id}",
            v.subver, v.version, v.starting_height, u8::from(v.relay));
        self.push(NetworkMessage::Verack);
        self.addr_after_version();
    }

    /// Core's handling of `pong`, with its log lines.
    fn process_pong(&mut self, payload: &[u8]) {
        let id = self.id();
        let ping_end = self.net.now_micros();
        let mut s = self.peer.stats();
        let mut nonce = 0u64;
        let mut finished = false;
        let mut problem = "";
        if payload.len() >= 8 {
            nonce = u64::from_le_bytes(payload[..8].try_into().expect("8 bytes"));
            if s.ping_nonce_sent != 0 {
                if nonce == s.ping_nonce_sent {
                    finished = true;
                    let ping_time = ping_end - s.ping_start_us;
                    if ping_time >= 0 {
                        s.last_ping_us = ping_time;
                        s.min_ping_us = Some(s.min_ping_us.map_or(ping_time, |m| m.min(ping_time)));
                    } else {
                        problem = "Timing mishap";
                    }
                } else if nonce == 0 {
                    finished = true;
                    problem = "Nonce zero";
                } else {
                    problem = "Nonce mismatch";
                }
            } else {
                problem = "Unsolicited pong without ping";
            }
        } else {
            finished = true;
            problem = "Short payload";
        }
        if !problem.is_empty() {
            tracing::debug!(target: "net",
                "pong peer={id}: {problem}, {:x} expected, {nonce:x} received, {} bytes",
                s.ping_nonce_sent, payload.len());
        }
        if finished {
            s.ping_nonce_sent = 0;
        }
    }

    /// The periodic part: Core's `InactivityCheck` and `MaybeSendPing`.
    fn send_messages(&mut self) {
        let id = self.id();
        let now_us = self.net.now_micros();
        let now = now_us / 1_000_000;
        let run_checks = self.peer.conn_time + self.net.config.peer_timeout < now;
        let (last_send, last_recv, connected, nonce_sent, ping_start) = {
            let s = self.peer.stats();
            (
                s.last_send,
                s.last_recv,
                s.successfully_connected,
                s.ping_nonce_sent,
                s.ping_start_us,
            )
        };
        if run_checks {
            let reason = if last_recv == 0 || last_send == 0 {
                Some(format!(
                    "socket no message in first {} seconds, {} {} peer={id}",
                    self.net.config.peer_timeout,
                    u8::from(last_recv != 0),
                    u8::from(last_send != 0)
                ))
            } else if now > last_send + TIMEOUT_INTERVAL {
                Some(format!(
                    "socket sending timeout: {}s peer={id}",
                    now - last_send
                ))
            } else if now > last_recv + TIMEOUT_INTERVAL {
                Some(format!(
                    "socket receive timeout: {}s peer={id}",
                    now - last_recv
                ))
            } else if !connected {
                Some(format!("version handshake timeout peer={id}"))
            } else {
                None
            };
            if let Some(reason) = reason {
                tracing::debug!(target: "net", "{reason}");
                self.disconnect();
                return;
            }
        }
        if !connected {
            return;
        }
        if run_checks && nonce_sent != 0 && now_us > ping_start + TIMEOUT_INTERVAL * 1_000_000 {
            tracing::debug!(target: "net", "ping timeout: {:.6}s peer={id}", (now_us - ping_start) as f64 / 1e6);
            self.disconnect();
            return;
        }
        if self.maybe_discourage_and_disconnect() {
            return;
        }
        self.send_sync_messages();
        self.maybe_send_addr();
        if self.should_stop() {
            return;
        }
        self.send_tx_messages();
        if self.should_stop() {
            return;
        }
        let queued = self.peer.ping_queued.swap(false, Ordering::SeqCst);
        if queued || (nonce_sent == 0 && now_us > ping_start + PING_INTERVAL_US) {
            let nonce = nonzero_nonce();
            {
                let mut s = self.peer.stats();
                s.ping_start_us = now_us;
                s.ping_nonce_sent = nonce;
            }
            self.push(NetworkMessage::Ping(nonce));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_optional_fields() {
        // Only the fields before the nonce.
        let mut p = 70016i32.to_le_bytes().to_vec();
        p.extend(1u64.to_le_bytes());
        p.extend(0u64.to_le_bytes());
        p.extend([0u8; 26]);
        let v = parse_version(&p).unwrap();
        assert_eq!(
            (v.version, v.services, v.nonce, v.relay),
            (70016, 1, 0, true)
        );
        assert!(v.addr_me.is_none());
        assert!(parse_version(&p[..20]).is_err());
    }
}
