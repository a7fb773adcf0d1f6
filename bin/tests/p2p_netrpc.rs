//! Network RPCs against a real node: `setnetworkactive` (drops peers, refuses
//! connections, logs Core's "SetNetworkActive" once per change), the
//! `localaddresses` of `getnetworkinfo` from `-externalip`, and a peer that
//! has not sent its `version` yet (`startingheight` -1; "detecting" on a
//! `-v2transport` node until its first bytes arrive).

mod common;
use common::wait_until;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use widecoin_test_utils::TestNode;

fn peers(node: &TestNode) -> Vec<Value> {
    serde_json::from_value(common::rpc(node, "getpeerinfo", json!([]))).unwrap()
}

fn debug_log(node: &TestNode) -> String {
    std::fs::read_to_string(node.datadir.join("regtest").join("debug.log")).unwrap_or_default()
}

#[test]
fn setnetworkactive_and_localaddresses() {
    let a = common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-externalip=1.2.3.4")
            .arg("-debug=net"),
    );
    let b = common::start(common::options().arg("-bind=127.0.0.1"));
    assert_eq!(
        debug_log(&a).matches("SetNetworkActive: true").count(),
        1,
        "logged once at start-up"
    );
    let info = common::rpc(&a, "getnetworkinfo", json!([]));
    assert_eq!(
        info["localaddresses"],
        json!([{"address": "1.2.3.4", "port": a.p2p_port, "score": 4}])
    );
    assert_eq!(info["networkactive"], true);

    let target = format!("127.0.0.1:{}", a.p2p_port);
    common::rpc(&b, "addnode", json!([target, "onetry"]));
    wait_until("connected", || peers(&a).len() == 1);

    assert_eq!(common::rpc(&a, "setnetworkactive", json!([false])), false);
    assert!(debug_log(&a).contains("SetNetworkActive: false"));
    assert_eq!(
        common::rpc(&a, "getnetworkinfo", json!([]))["networkactive"],
        false
    );
    wait_until("peers dropped", || {
        peers(&a).is_empty() && peers(&b).is_empty()
    });
    // No connection is accepted while inactive.
    common::rpc(&b, "addnode", json!([target, "onetry"]));
    wait_until("refused", || {
        debug_log(&a).contains("dropped: not accepting new connections")
    });
    assert!(peers(&a).is_empty());

    assert_eq!(common::rpc(&a, "setnetworkactive", json!([true])), true);
    common::rpc(&b, "addnode", json!([target, "onetry"]));
    wait_until("connected again", || peers(&a).len() == 1);
}

#[test]
fn peer_before_version() {
    let a = common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-v2transport=1"),
    );
    let mut s = TcpStream::connect(("127.0.0.1", a.p2p_port)).unwrap();
    wait_until("the peer", || peers(&a).len() == 1);
    let p = &peers(&a)[0];
    assert_eq!(p["startingheight"], -1);
    assert_eq!(p["version"], 0);
    assert_eq!(p["transport_protocol_type"], "detecting");
    assert_eq!(p["session_id"], "");
    // The start of a v1 version header: the node switches to v1.
    let mut prefix = vec![0xfa, 0xbf, 0xb5, 0xda];
    prefix.extend(b"version\0\0\0\0\0");
    s.write_all(&prefix).unwrap();
    wait_until("v1 detected", || {
        peers(&a)[0]["transport_protocol_type"] == "v1"
    });
}

const MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

/// A raw v1 client: version handshake, then messages by command.
struct RawPeer {
    stream: TcpStream,
    buf: Vec<u8>,
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
        let mut version = Vec::new();
        version.extend(70016i32.to_le_bytes());
        version.extend(0u64.to_le_bytes());
        version.extend(0i64.to_le_bytes());
        version.extend([0u8; 52]); // addr_recv, addr_from
        version.extend(7u64.to_le_bytes()); // nonce
        version.push(0); // user agent
        version.extend(0i32.to_le_bytes()); // start height
        version.push(0); // relay
        peer.send("version", &version);
        assert!(peer.wait_for("verack").is_some());
        peer.send("verack", &[]);
        peer
    }

    fn send(&mut self, command: &str, payload: &[u8]) {
        let _ = self
            .stream
            .write_all(&widecoin_p2p::framing::encode_raw(MAGIC, command, payload));
    }

    /// Reads until a message of `command` arrives (its payload), or `None`
    /// when the node closes the connection first.
    fn wait_for(&mut self, command: &str) -> Option<Vec<u8>> {
        use std::io::Read;
        let start = Instant::now();
        loop {
            while let Ok(Some(frame)) = widecoin_p2p::framing::decode_frame(&mut self.buf, MAGIC) {
                if let widecoin_p2p::framing::Frame::Message {
                    command: c,
                    payload,
                    ..
                } = frame
                {
                    if c == command {
                        return Some(payload);
                    }
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "neither {command} nor a disconnection"
            );
            let mut chunk = [0u8; 65536];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return None,
                Err(_) => {}
            }
        }
    }

    fn getdata_block(&mut self, hash_hex: &str) {
        // One inventory of MSG_WITNESS_BLOCK; the hash in internal order.
        let mut hash = hex::decode(hash_hex).unwrap();
        hash.reverse();
        let mut payload = vec![1u8];
        payload.extend(0x4000_0002u32.to_le_bytes());
        payload.extend(hash);
        self.send("getdata", &payload);
    }
}

/// A pruned node (NODE_NETWORK_LIMITED without NODE_NETWORK) serves blocks
/// down to 288 + 2 below its tip and disconnects a peer asking for older
/// ones (Core's `ProcessGetBlockData`).
#[test]
fn pruned_node_serves_only_recent_blocks() {
    let a = common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-prune=550")
            .arg("-debug=net"),
    );
    let services = common::rpc(&a, "getnetworkinfo", json!([]))["localservicesnames"].clone();
    assert_eq!(services, json!(["WITNESS", "NETWORK_LIMITED"]));
    let hashes = common::rpc(&a, "generatetodescriptor", json!([292, "raw(51)#8lvh9jxk"]));
    let mut peer = RawPeer::connect(&a);
    // Height 2 is 290 below the tip: still served.
    peer.getdata_block(hashes[1].as_str().unwrap());
    assert!(peer.wait_for("block").is_some(), "block at tip-290 served");
    // Height 1 is 291 below: the peer is disconnected.
    peer.getdata_block(hashes[0].as_str().unwrap());
    assert_eq!(peer.wait_for("block"), None);
    assert!(debug_log(&a)
        .contains("Ignore block request below NODE_NETWORK_LIMITED threshold, disconnect peer=0"));
}
