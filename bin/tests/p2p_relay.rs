//! Transaction relay between two `widecoind` on loopback, and peers that
//! send malformed messages: a bad checksum or an unknown command is dropped,
//! an oversized message or an invalid transaction ends the connection, and
//! the node loses nothing.

mod common;
use common::wait_until;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use widecoin_p2p::framing::encode_raw;
use widecoin_test_utils::TestNode;

/// Regtest's message start.
const MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

fn peers(node: &TestNode) -> Vec<Value> {
    serde_json::from_value(node.rpc("getpeerinfo", json!([])).unwrap()).unwrap()
}

fn mempool(node: &TestNode) -> Vec<String> {
    serde_json::from_value(node.rpc("getrawmempool", json!([])).unwrap()).unwrap()
}

fn generate(node: &TestNode, n: u32) -> Vec<String> {
    let desc = node.rpc("getdescriptorinfo", json!(["raw(51)"])).unwrap()["descriptor"].clone();
    serde_json::from_value(node.rpc("generatetodescriptor", json!([n, desc])).unwrap()).unwrap()
}

/// A transaction spending output 0 of the coinbase of `block` (an
/// anyone-can-spend `OP_TRUE` output) to a P2WSH output, paying 10,000 sat.
fn spend_coinbase(node: &TestNode, block: &str) -> String {
    let b = node.rpc("getblock", json!([block, 2])).unwrap();
    let cb = &b["tx"][0];
    let txid = cb["txid"].as_str().unwrap();
    let value = cb["vout"][0]["value"].as_f64().unwrap();
    let sats = (value * 1e8).round() as u64 - 10_000;
    let mut prev = hex::decode(txid).unwrap();
    prev.reverse();
    let mut tx = vec![2, 0, 0, 0, 1];
    tx.extend(prev);
    tx.extend([0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1]);
    tx.extend(sats.to_le_bytes());
    tx.extend([0x22, 0x00, 0x20]);
    tx.extend([7u8; 32]);
    tx.extend([0, 0, 0, 0]);
    hex::encode(tx)
}

fn connect(from: &TestNode, to: &TestNode) {
    let target = format!("127.0.0.1:{}", to.p2p_port);
    from.rpc("addnode", json!([target, "onetry"])).unwrap();
    wait_until("the handshake", || {
        peers(from).iter().any(|p| p["version"] != 0) && peers(to).iter().any(|p| p["version"] != 0)
    });
}

#[test]
fn sendrawtransaction_reaches_the_other_node() {
    let opts = || {
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-acceptnonstdtxn=1")
    };
    let a = common::start(opts());
    let b = common::start(opts());
    let blocks = generate(&a, 101);
    connect(&b, &a);
    wait_until("B syncs", || {
        b.rpc("getblockcount", json!([])).unwrap() == json!(101)
    });
    let hex = spend_coinbase(&a, &blocks[0]);
    let txid = a.rpc("sendrawtransaction", json!([hex])).unwrap();
    let txid = txid.as_str().unwrap().to_string();
    wait_until("B has the transaction", || mempool(&b).contains(&txid));
    // B records when A last gave it a valid transaction.
    assert!(peers(&b)[0]["last_transaction"].as_i64().unwrap() > 0);
    // B announced it back to nobody new, and both agree.
    assert_eq!(mempool(&a), vec![txid.clone()]);
    // A block with it empties both pools.
    generate(&b, 1);
    wait_until("both pools empty", || {
        mempool(&a).is_empty() && mempool(&b).is_empty()
    });
    assert!(peers(&a)[0]["last_block"].as_i64().unwrap() > 0);
}

/// A raw P2P client.
struct RawPeer {
    stream: TcpStream,
    buf: Vec<u8>,
}

fn version_payload() -> Vec<u8> {
    let mut p = Vec::new();
    p.extend(70016i32.to_le_bytes());
    p.extend(1u64.to_le_bytes()); // NODE_NETWORK
    p.extend(0i64.to_le_bytes());
    p.extend([0u8; 26]); // addr_recv
    p.extend([0u8; 26]); // addr_from
    p.extend(12345u64.to_le_bytes()); // nonce
    p.push(0); // user agent
    p.extend(0i32.to_le_bytes()); // start height
    p.push(1); // relay
    p
}

impl RawPeer {
    fn connect(node: &TestNode) -> RawPeer {
        let stream = TcpStream::connect(("127.0.0.1", node.p2p_port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut peer = RawPeer {
            stream,
            buf: Vec::new(),
        };
        peer.send("version", &version_payload());
        peer.wait_for("verack");
        peer.send("verack", &[]);
        peer
    }

    fn send_bytes(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes);
    }

    fn send(&mut self, command: &str, payload: &[u8]) {
        self.send_bytes(&encode_raw(MAGIC, command, payload));
    }

    /// Reads until a message of `command` arrives; its payload.
    fn wait_for(&mut self, command: &str) -> Vec<u8> {
        let start = Instant::now();
        loop {
            while self.buf.len() >= 24 {
                let len = u32::from_le_bytes(self.buf[16..20].try_into().unwrap()) as usize;
                if self.buf.len() < 24 + len {
                    break;
                }
                let cmd: Vec<u8> = self.buf[4..16]
                    .iter()
                    .copied()
                    .filter(|&b| b != 0)
                    .collect();
                let payload = self.buf[24..24 + len].to_vec();
                self.buf.drain(..24 + len);
                if cmd == command.as_bytes() {
                    return payload;
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no {command} received"
            );
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => panic!("disconnected while waiting for {command}"),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => {}
            }
        }
    }

    /// Whether the node answers a ping with its pong.
    fn ping_pong(&mut self, nonce: u64) {
        self.send("ping", &nonce.to_le_bytes());
        loop {
            let pong = self.wait_for("pong");
            if pong == nonce.to_le_bytes() {
                return;
            }
        }
    }

    /// Waits for the node to close the connection (the node's log on failure).
    fn wait_for_disconnect(&mut self, node: &TestNode) {
        let start = Instant::now();
        let mut chunk = [0u8; 4096];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return,
                Err(e)
                    if e.kind() != std::io::ErrorKind::WouldBlock
                        && e.kind() != std::io::ErrorKind::TimedOut =>
                {
                    return
                }
                _ => {}
            }
            if start.elapsed() > Duration::from_secs(30) {
                let log =
                    std::fs::read_to_string(node.net_dir().join("debug.log")).unwrap_or_default();
                panic!("still connected; debug.log:\n{log}");
            }
        }
    }
}

#[test]
fn malformed_messages_are_dropped_or_disconnect() {
    let node = common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-acceptnonstdtxn=1")
            .arg("-debug=net")
            .arg("-debug=mempoolrej"),
    );
    let blocks = generate(&node, 101);
    let tip = node.rpc("getbestblockhash", json!([])).unwrap();

    // Bad checksum and unknown command: dropped, the connection stays.
    let mut peer = RawPeer::connect(&node);
    let mut bad = encode_raw(MAGIC, "ping", &1u64.to_le_bytes());
    bad[20] ^= 0xff;
    peer.send_bytes(&bad);
    peer.send("nonsense", &[1, 2, 3]);
    peer.ping_pong(2);
    let info = &peers(&node)[0];
    assert!(info["bytesrecv_per_msg"]["*other*"].as_u64().unwrap() > 0);

    // Oversized: disconnected.
    let mut big = encode_raw(MAGIC, "block", &[]);
    big[16..20].copy_from_slice(&4_000_001u32.to_le_bytes());
    peer.send_bytes(&big);
    peer.wait_for_disconnect(&node);
    wait_until("the node drops the peer", || peers(&node).is_empty());

    // A consensus-invalid transaction (creates money): misbehaviour 100,
    // disconnected (a local peer is not discouraged).
    let mut peer = RawPeer::connect(&node);
    let valid = hex::decode(spend_coinbase(&node, &blocks[0])).unwrap();
    let mut invalid = valid.clone();
    let value_at = 4 + 1 + 32 + 4 + 1 + 4 + 1;
    // More than the 3,500,000 WCN of the height-1 coinbase, less than MAX_MONEY.
    invalid[value_at..value_at + 8].copy_from_slice(&(30_000_000u64 * 100_000_000).to_le_bytes());
    peer.send("tx", &invalid);
    peer.wait_for_disconnect(&node);
    wait_until("the node drops the peer", || peers(&node).is_empty());

    // The node lost nothing and still relays: a valid transaction from a new
    // peer is accepted.
    assert_eq!(node.rpc("getbestblockhash", json!([])).unwrap(), tip);
    let mut peer = RawPeer::connect(&node);
    peer.send("tx", &valid);
    peer.ping_pong(3);
    assert_eq!(mempool(&node).len(), 1);
    assert!(peers(&node)[0]["permissions"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn blocksonly_refuses_transactions_unless_relay_permission() {
    let mut node = common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-acceptnonstdtxn=1")
            .arg("-blocksonly"),
    );
    let blocks = generate(&node, 101);
    let tx = hex::decode(spend_coinbase(&node, &blocks[0])).unwrap();
    let mut peer = RawPeer::connect(&node);
    peer.send("tx", &tx);
    peer.wait_for_disconnect(&node);
    assert!(mempool(&node).is_empty());

    node.restart(&[
        "-bind=127.0.0.1",
        "-acceptnonstdtxn=1",
        "-blocksonly",
        "-whitelist=relay@127.0.0.1",
    ])
    .unwrap();
    let mut peer = RawPeer::connect(&node);
    peer.send("tx", &tx);
    peer.ping_pong(1);
    assert_eq!(mempool(&node).len(), 1);
    assert_eq!(peers(&node)[0]["permissions"], json!(["relay"]));
}
