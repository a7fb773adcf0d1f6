//! Two in-process networks on loopback: the handshake, ping/pong, and peers
//! that break the framing.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::p2p::message::NetworkMessage;
use widecoin_p2p::framing::{encode_message, encode_raw};
use widecoin_p2p::{Connman, P2pConfig};

const REGTEST: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

fn config(height: i32) -> P2pConfig {
    P2pConfig {
        magic: REGTEST,
        default_port: 18444,
        binds: vec!["127.0.0.1:0".parse().unwrap()],
        bind_any: false,
        max_connections: 125,
        local_services: 0x409,
        user_agent: "/WidecoinCore:6.0.0/".into(),
        relay_txes: true,
        peer_timeout: 60,
        connect: vec![],
        add_nodes: vec![],
        start_height: Arc::new(move || height),
        clock_micros: Arc::new(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_micros() as i64
        }),
        chain: None,
        mempool: None,
        whitebinds: vec![],
        whitelist: vec![],
        whitelist_relay: true,
        whitelist_force_relay: false,
        ignore_incoming_txs: false,
        max_orphan_txs: 100,
        block_reconstruction_extra_txn: 100,
        banman: None,
    }
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn addr(c: &Connman) -> SocketAddr {
    c.local_addrs()[0]
}

#[test]
fn handshake_and_ping() {
    let a = Connman::start(config(5)).unwrap();
    let b = Connman::start(config(7)).unwrap();
    a.open_connection(&addr(&b).to_string());
    let connected = |c: &Connman| {
        c.peer_infos()
            .first()
            .is_some_and(|p| p.stats.successfully_connected && p.stats.last_ping_us > 0)
    };
    wait_until("handshake and first pong", || {
        connected(&a) && connected(&b)
    });
    let pa = &a.peer_infos()[0];
    let pb = &b.peer_infos()[0];
    assert!(!pa.inbound && pb.inbound);
    assert_eq!(pa.connection_type, "manual");
    assert_eq!(pb.connection_type, "inbound");
    assert_eq!((pa.stats.version, pb.stats.version), (70016, 70016));
    assert_eq!(pa.stats.subver, "/WidecoinCore:6.0.0/");
    assert_eq!((pa.stats.starting_height, pb.stats.starting_height), (7, 5));
    assert_eq!(pa.stats.services, 0x409);
    assert!(pa.stats.wtxid_relay && pa.stats.wants_addrv2);
    for key in [
        "version",
        "verack",
        "wtxidrelay",
        "sendaddrv2",
        "sendcmpct",
        "ping",
        "pong",
    ] {
        assert!(pa.stats.sent_per_msg.contains_key(key), "{key}");
    }
    assert_eq!(a.connection_counts().outbound, 1);
    assert_eq!(b.connection_counts().inbound, 1);
    assert!(a.totals().bytes_sent > 0 && a.totals().bytes_recv > 0);

    // `ping` RPC: a second round trip.
    let first = pa.stats.ping_start_us;
    a.send_pings();
    wait_until("second ping", || {
        let p = &a.peer_infos()[0];
        p.stats.ping_start_us > first && p.stats.ping_nonce_sent == 0
    });

    assert!(b.disconnect_by_id(0));
    wait_until("disconnect", || {
        a.peer_infos().is_empty() && b.peer_infos().is_empty()
    });
    a.stop();
    b.stop();
}

#[test]
fn self_connection_is_dropped() {
    let a = Connman::start(config(0)).unwrap();
    a.open_connection(&addr(&a).to_string());
    wait_until("self connection gone", || a.peer_infos().is_empty());
    a.stop();
}

/// Reads until the peer closes the socket.
fn wait_closed(s: &mut TcpStream) {
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => continue,
            Err(e) => panic!("not disconnected: {e}"),
        }
    }
}

fn raw_version(version: i32) -> Vec<u8> {
    let mut p = version.to_le_bytes().to_vec();
    p.extend(0u64.to_le_bytes());
    p.extend(0i64.to_le_bytes());
    p.extend([0u8; 26 + 26]);
    p.extend(42u64.to_le_bytes());
    p.push(0);
    p.extend(0i32.to_le_bytes());
    p.push(1);
    encode_raw(REGTEST, "version", &p)
}

#[test]
fn bad_magic_oversize_and_old_version_disconnect() {
    let b = Connman::start(config(0)).unwrap();
    let mut s = TcpStream::connect(addr(&b)).unwrap();
    s.write_all(&encode_message([1, 2, 3, 4], NetworkMessage::Verack))
        .unwrap();
    wait_closed(&mut s);

    let mut s = TcpStream::connect(addr(&b)).unwrap();
    let mut big = encode_raw(REGTEST, "block", &[]);
    big[16..20].copy_from_slice(&4_000_001u32.to_le_bytes());
    s.write_all(&big).unwrap();
    wait_closed(&mut s);

    let mut s = TcpStream::connect(addr(&b)).unwrap();
    s.write_all(&raw_version(31799)).unwrap();
    wait_closed(&mut s);
    wait_until("no peers", || b.peer_infos().is_empty());
    b.stop();
}

#[test]
fn bad_checksum_and_unknown_messages_are_ignored() {
    let b = Connman::start(config(0)).unwrap();
    let mut s = TcpStream::connect(addr(&b)).unwrap();
    s.write_all(&raw_version(70016)).unwrap();
    s.write_all(&encode_message(REGTEST, NetworkMessage::Verack))
        .unwrap();
    let mut bad = encode_raw(REGTEST, "ping", &1u64.to_le_bytes());
    bad[20] ^= 1;
    s.write_all(&bad).unwrap();
    s.write_all(&encode_raw(REGTEST, "foo", &[1, 2])).unwrap();
    s.write_all(&encode_raw(REGTEST, "getaddr", &[])).unwrap();
    s.write_all(&encode_message(REGTEST, NetworkMessage::Ping(99)))
        .unwrap();
    // The only pong is the answer to the good ping.
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut got = Vec::new();
    let pong = encode_message(REGTEST, NetworkMessage::Pong(99));
    let mut buf = [0u8; 4096];
    while !got.windows(pong.len()).any(|w| w == pong.as_slice()) {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "disconnected");
        got.extend_from_slice(&buf[..n]);
    }
    let info = &b.peer_infos()[0];
    assert!(info.stats.recv_per_msg["*other*"] >= 32 + 26);
    assert_eq!(info.stats.recv_per_msg["ping"], 32);
    b.stop();
}

/// A mempool that accepts every transaction whose inputs it knows of
/// (`known`), in memory.
#[derive(Default)]
struct FakePool {
    txs: std::sync::Mutex<Vec<(bitcoin::Transaction, u64)>>,
    seq: std::sync::atomic::AtomicU64,
}

impl FakePool {
    fn add(&self, tx: bitcoin::Transaction) {
        let seq = self.seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        self.txs.lock().unwrap().push((tx, seq));
    }

    fn txids(&self) -> Vec<bitcoin::Txid> {
        self.txs
            .lock()
            .unwrap()
            .iter()
            .map(|(t, _)| t.compute_txid())
            .collect()
    }
}

impl widecoin_p2p::MempoolAccess for FakePool {
    fn accept(
        &self,
        tx: &bitcoin::Transaction,
    ) -> Result<widecoin_p2p::TxAccepted, widecoin_p2p::TxRejected> {
        if tx.output.is_empty() {
            return Err(widecoin_p2p::TxRejected {
                result: widecoin_p2p::TxResult::Consensus,
                state: "bad-txns-vout-empty".into(),
            });
        }
        self.add(tx.clone());
        Ok(widecoin_p2p::TxAccepted {
            pool_size: self.txs.lock().unwrap().len(),
            usage_bytes: 0,
        })
    }
    fn exists(&self, g: &widecoin_p2p::GenTxid) -> bool {
        self.info(g).is_some()
    }
    fn info(&self, g: &widecoin_p2p::GenTxid) -> Option<widecoin_p2p::TxInfo> {
        self.txs.lock().unwrap().iter().find_map(|(t, seq)| {
            let hit = match g.as_wtxid() {
                Some(w) => t.compute_wtxid() == w,
                None => t.compute_txid() == g.hash,
            };
            hit.then(|| widecoin_p2p::TxInfo {
                tx: Arc::new(t.clone()),
                fee: 1000,
                vsize: t.vsize() as u64,
                sequence: *seq,
            })
        })
    }
    fn infos(&self) -> Vec<widecoin_p2p::TxInfo> {
        Vec::new()
    }
    fn sequence(&self) -> u64 {
        self.seq.load(std::sync::atomic::Ordering::SeqCst) + 1
    }
    fn min_fee_per_kvb(&self) -> i64 {
        0
    }
    fn min_relay_fee_per_kvb(&self) -> i64 {
        1000
    }
    fn incremental_relay_fee_per_kvb(&self) -> i64 {
        1000
    }
}

fn sample_tx(n: u8) -> bitcoin::Transaction {
    use bitcoin::hashes::Hash;
    bitcoin::Transaction {
        version: bitcoin::transaction::Version(2),
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![bitcoin::TxIn {
            previous_output: bitcoin::OutPoint {
                txid: bitcoin::Txid::from_byte_array([n; 32]),
                vout: 0,
            },
            witness: bitcoin::Witness::from_slice(&[vec![n]]),
            ..Default::default()
        }],
        output: vec![bitcoin::TxOut {
            value: bitcoin::Amount::from_sat(1000),
            script_pubkey: bitcoin::ScriptBuf::from_bytes(vec![0x51; 30]),
        }],
    }
}

#[test]
fn transactions_relay_by_wtxid_with_permissions_shown() {
    let pool_a = Arc::new(FakePool::default());
    let pool_b = Arc::new(FakePool::default());
    let mut ca = config(0);
    ca.mempool = Some(pool_a.clone());
    let mut cb = config(0);
    cb.mempool = Some(pool_b.clone());
    cb.whitelist =
        vec![widecoin_p2p::permissions::Whitelist::parse("relay,noban@127.0.0.1").unwrap()];
    let a = Connman::start(ca).unwrap();
    let b = Connman::start(cb).unwrap();
    a.open_connection(&addr(&b).to_string());
    wait_until("handshake", || {
        a.peer_infos()
            .iter()
            .any(|p| p.stats.successfully_connected)
            && b.peer_infos()
                .iter()
                .any(|p| p.stats.successfully_connected)
    });
    let inbound = &b.peer_infos()[0];
    assert_eq!(
        widecoin_p2p::permissions::permission_names(inbound.permissions),
        ["noban", "relay", "download"]
    );
    assert!(inbound.stats.wtxid_relay);
    // Announcements are only queued once the peer's first trickle passed:
    // keep relaying until it arrives.
    let tx = sample_tx(1);
    pool_a.add(tx.clone());
    wait_until("relay", || {
        a.relay_transaction(tx.compute_txid(), tx.compute_wtxid());
        pool_b.txids().contains(&tx.compute_txid())
    });
    // B got it from A: it does not announce it back (A knows it).
    assert_eq!(pool_a.txids().len(), 1);
    // B announces its own transaction to A.
    let tx2 = sample_tx(2);
    pool_b.add(tx2.clone());
    wait_until("relay back", || {
        b.relay_transaction(tx2.compute_txid(), tx2.compute_wtxid());
        pool_a.txids().contains(&tx2.compute_txid())
    });
    a.stop();
    b.stop();
}

#[test]
fn banned_inbound_is_refused() {
    let banman = Arc::new(widecoin_p2p::banman::BanMan::new(
        None,
        60,
        Arc::new(|| 1_000_000_000),
    ));
    let mut cb = config(0);
    cb.banman = Some(banman.clone());
    let b = Connman::start(cb).unwrap();
    banman.ban(
        &widecoin_p2p::banman::Subnet::parse("127.0.0.0/8").unwrap(),
        0,
        false,
    );
    let mut s = TcpStream::connect(addr(&b)).unwrap();
    wait_closed(&mut s);
    assert!(b.peer_infos().is_empty());
    banman.clear_banned();
    let _s = TcpStream::connect(addr(&b)).unwrap();
    wait_until("accepted", || b.peer_infos().len() == 1);
    b.stop();
}

#[test]
fn discouraged_inbound_refused_only_when_slots_are_short() {
    let banman = Arc::new(widecoin_p2p::banman::BanMan::new(None, 60, Arc::new(|| 1)));
    banman.discourage("127.0.0.1".parse().unwrap());
    // Plenty of inbound slots: a discouraged address still gets in.
    let mut roomy = config(0);
    roomy.banman = Some(banman.clone());
    let b = Connman::start(roomy).unwrap();
    let _s = TcpStream::connect(addr(&b)).unwrap();
    wait_until("accepted", || b.peer_infos().len() == 1);
    b.stop();
    // One inbound slot (11 outbound slots reserved): refused...
    let mut tight = config(0);
    tight.max_connections = 12;
    tight.banman = Some(banman.clone());
    let c = Connman::start(tight.clone()).unwrap();
    let mut s = TcpStream::connect(addr(&c)).unwrap();
    wait_closed(&mut s);
    assert!(c.peer_infos().is_empty());
    c.stop();
    // ...unless the address has noban.
    tight.whitelist = vec![widecoin_p2p::permissions::Whitelist::parse("noban@127.0.0.1").unwrap()];
    let d = Connman::start(tight).unwrap();
    let _s = TcpStream::connect(addr(&d)).unwrap();
    wait_until("accepted", || d.peer_infos().len() == 1);
    d.stop();
}
