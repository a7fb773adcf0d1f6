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

use std::time::{Duration, Instant};

use common::raw_peer::RawPeer;
use serde_json::{json, Value};
use widecoin_test_utils::TestNode;

/// `getdata` for one block (MSG_BLOCK); whether the block came.
fn get_block(peer: &mut RawPeer, hash: &str) -> bool {
    get_data(peer, 2, hash)
}

/// `getdata` for one item of `inv_type`; whether a block came.
fn get_data(peer: &mut RawPeer, inv_type: u32, hash: &str) -> bool {
    peer.send_getdata(inv_type, hash);
    // A ping after it: the pong proves the getdata was processed.
    peer.send("ping", &9u64.to_le_bytes());
    let block = peer.next("block").is_some();
    block && peer.next("pong").is_some()
}

fn generate(node: &TestNode) -> String {
    let v = common::rpc(node, "generatetodescriptor", json!([1, "raw(51)#8lvh9jxk"]));
    v[0].as_str().unwrap().to_string()
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
        assert!(
            get_block(&mut peer, &new),
            "recent blocks are always served"
        );
    }
    assert!(!get_block(&mut peer, &old), "the old block was served");
    let line = "historical block serving limit reached, disconnect peer=";
    common::wait_until("the log line", || node.debug_log().contains(line));
    common::wait_until("the peer gone", || {
        common::rpc(&node, "getpeerinfo", json!([]))
            .as_array()
            .unwrap()
            .is_empty()
    });
    // MSG_FILTERED_BLOCK counts as historical whatever its age.
    let mut peer = RawPeer::connect(&node);
    assert!(!get_data(&mut peer, 3, &new));
    common::wait_until("the second peer gone", || {
        node.debug_log().matches(line).count() == 2
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
    assert!(get_block(&mut peer, &old));
    assert!(get_block(&mut peer, &old));
}

#[test]
fn no_target_serves_everything() {
    let node = common::start(common::options().arg("-bind=127.0.0.1"));
    let (old, _) = old_and_new_blocks(&node);
    let mut peer = RawPeer::connect(&node);
    assert!(get_block(&mut peer, &old));
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
