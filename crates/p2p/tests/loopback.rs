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
