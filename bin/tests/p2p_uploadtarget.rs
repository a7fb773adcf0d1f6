//! `-maxuploadtarget` with mock time: historical blocks (a week older than
//! the best header) are refused once the target leaves no room for them,
//! and the peer asking is disconnected unless it has the `download`
//! permission; recent blocks are always served; `getnettotals` shows the
//! target; an unparsable value is Core's init error.
//!
//! With Widecoin's 8 MB `MAX_BLOCK_SERIALIZED_SIZE`, Core keeps room for 144
//! such blocks (1.152 GB) in each cycle, so a 1 MiB target never serves
//! historical blocks.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use widecoin_p2p::framing::encode_raw;
use widecoin_test_utils::TestNode;

const MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

struct RawPeer {
    stream: TcpStream,
    buf: Vec<u8>,
}

fn version_payload() -> Vec<u8> {
    let mut p = Vec::new();
    p.extend(70016i32.to_le_bytes());
    p.extend(0u64.to_le_bytes());
    p.extend(0i64.to_le_bytes());
    p.extend([0u8; 26]);
    p.extend([0u8; 26]);
    p.extend(777u64.to_le_bytes());
    p.push(0);
    p.extend(0i32.to_le_bytes());
    p.push(0);
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
        assert!(peer.next("verack").is_some());
        peer.send("verack", &[]);
        peer
    }

    fn send(&mut self, command: &str, payload: &[u8]) {
        let _ = self.stream.write_all(&encode_raw(MAGIC, command, payload));
    }

    /// The next message of `command`, or `None` when the node disconnects.
    fn next(&mut self, command: &str) -> Option<Vec<u8>> {
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
                    return Some(payload);
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "neither {command} nor a disconnection"
            );
            let mut chunk = [0u8; 65536];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return None,
            }
        }
    }

    /// `getdata` for one block (MSG_BLOCK); whether the block came.
    fn get_block(&mut self, hash: &str) -> bool {
        self.get_data(2, hash)
    }

    /// `getdata` for one item of `inv_type`; whether a block came.
    fn get_data(&mut self, inv_type: u32, hash: &str) -> bool {
        let mut payload = vec![1u8];
        payload.extend(inv_type.to_le_bytes());
        let mut bytes = hex::decode(hash).unwrap();
        bytes.reverse();
        payload.extend(bytes);
        self.send("getdata", &payload);
        // A ping after it: the pong proves the getdata was processed.
        self.send("ping", &9u64.to_le_bytes());
        let block = self.next("block").is_some();
        block && self.next("pong").is_some()
    }
}

fn generate(node: &TestNode) -> String {
    let v = common::rpc(node, "generatetodescriptor", json!([1, "raw(51)#8lvh9jxk"]));
    v[0].as_str().unwrap().to_string()
}

fn debug_log(node: &TestNode) -> String {
    std::fs::read_to_string(node.net_dir().join("debug.log")).unwrap_or_default()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An old block (two weeks before the best header) and a new one.
fn old_and_new_blocks(node: &TestNode) -> (String, String) {
    let t = now();
    common::rpc(node, "setmocktime", json!([t - 14 * 24 * 60 * 60]));
    let old = generate(node);
    common::rpc(node, "setmocktime", json!([t]));
    let new = generate(node);
    (old, new)
}

#[test]
fn historical_blocks_refused_once_over_target() {
    let node = common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-maxuploadtarget=1")
            .arg("-debug=net"),
    );
    let (old, new) = old_and_new_blocks(&node);
    let totals: Value = common::rpc(&node, "getnettotals", json!([]));
    let target = &totals["uploadtarget"];
    assert_eq!(target["timeframe"], 86400);
    assert_eq!(target["target"], 1 << 20);
    assert_eq!(target["target_reached"], false);
    assert_eq!(target["serve_historical_blocks"], false);
    assert_eq!(target["time_left_in_cycle"], 86400);

    let mut peer = RawPeer::connect(&node);
    for _ in 0..3 {
        assert!(peer.get_block(&new), "recent blocks are always served");
    }
    assert!(!peer.get_block(&old), "the old block was served");
    let line = "historical block serving limit reached, disconnect peer=";
    common::wait_until("the log line", || debug_log(&node).contains(line));
    common::wait_until("the peer gone", || {
        common::rpc(&node, "getpeerinfo", json!([]))
            .as_array()
            .unwrap()
            .is_empty()
    });
    // MSG_FILTERED_BLOCK counts as historical whatever its age.
    let mut peer = RawPeer::connect(&node);
    assert!(!peer.get_data(3, &new));
    common::wait_until("the second peer gone", || {
        debug_log(&node).matches(line).count() == 2
    });
    let left = common::rpc(&node, "getnettotals", json!([]))["uploadtarget"]["bytes_left_in_cycle"]
        .as_u64()
        .unwrap();
    assert!(left < 1 << 20, "sent bytes count against the target");
}

#[test]
fn download_permission_gets_historical_blocks() {
    let node = common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-maxuploadtarget=1")
            .arg("-whitelist=download@127.0.0.1"),
    );
    let (old, _) = old_and_new_blocks(&node);
    let mut peer = RawPeer::connect(&node);
    assert!(peer.get_block(&old));
    assert!(peer.get_block(&old));
}

#[test]
fn no_target_serves_everything() {
    let node = common::start(common::options().arg("-bind=127.0.0.1"));
    let (old, _) = old_and_new_blocks(&node);
    let mut peer = RawPeer::connect(&node);
    assert!(peer.get_block(&old));
    let totals: Value = common::rpc(&node, "getnettotals", json!([]));
    assert_eq!(totals["uploadtarget"]["target"], 0);
    assert_eq!(totals["uploadtarget"]["serve_historical_blocks"], true);
}

#[test]
fn unparsable_target_is_an_init_error() {
    let mut node =
        TestNode::prepare(common::options().arg("-maxuploadtarget=abc").no_wait()).unwrap();
    node.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = node.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the node did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        node.stderr(),
        "Error: Unable to parse -maxuploadtarget: 'abc'\n"
    );
}
