//! BIP157 serving (`-peerblockfilters`) to a raw P2P client: the service
//! bit, `getcfilters`, `getcfheaders` and `getcfcheckpt` answered from the
//! block filter index, and Core's disconnections for bad requests.

mod common;

use bitcoin::bip158::{FilterHash, FilterHeader};
use bitcoin::consensus::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::p2p::message_filter::{
    CFCheckpt, CFHeaders, CFilter, GetCFCheckpt, GetCFHeaders, GetCFilters,
};
use bitcoin::BlockHash;
use common::raw_peer::RawPeer;
use serde_json::{json, Value};
use widecoin_test_utils::TestNode;

const NODE_COMPACT_FILTERS: u64 = 1 << 6;

fn block_hash(node: &TestNode, height: u32) -> BlockHash {
    let hex = common::rpc(node, "getblockhash", json!([height]));
    hex.as_str().unwrap().parse().unwrap()
}

/// `getblockfilter`: the filter bytes and the filter header.
fn rpc_filter(node: &TestNode, hash: &BlockHash) -> (Vec<u8>, FilterHeader) {
    let v: Value = common::rpc(node, "getblockfilter", json!([hash.to_string()]));
    let filter = hex::decode(v["filter"].as_str().unwrap()).unwrap();
    let header = v["header"].as_str().unwrap().parse().unwrap();
    (filter, header)
}

/// A request that must end the connection with Core's log line.
fn assert_disconnects(node: &TestNode, command: &str, payload: &[u8], log_line: &str) {
    let mut peer = RawPeer::connect(node);
    peer.send(command, payload);
    peer.wait_for_disconnect();
    common::wait_until(log_line, || node.debug_log().contains(log_line));
}

#[test]
fn filters_are_served_with_peerblockfilters() {
    let node = common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-blockfilterindex")
            .arg("-peerblockfilters")
            .arg("-debug=net"),
    );
    common::generate(&node, 12);
    let services = common::rpc(&node, "getnetworkinfo", json!([]))["localservices"]
        .as_str()
        .map(|s| u64::from_str_radix(s, 16).unwrap())
        .unwrap();
    assert_ne!(services & NODE_COMPACT_FILTERS, 0);
    let mut peer = RawPeer::connect(&node);
    assert_ne!(peer.services & NODE_COMPACT_FILTERS, 0);

    let stop = block_hash(&node, 10);
    peer.send(
        "getcfilters",
        &serialize(&GetCFilters {
            filter_type: 0,
            start_height: 1,
            stop_hash: stop,
        }),
    );
    for height in 1..=10 {
        let m: CFilter = deserialize(&peer.wait_for("cfilter")).unwrap();
        let hash = block_hash(&node, height);
        assert_eq!((m.filter_type, m.block_hash), (0, hash));
        assert_eq!(m.filter, rpc_filter(&node, &hash).0);
    }

    peer.send(
        "getcfheaders",
        &serialize(&GetCFHeaders {
            filter_type: 0,
            start_height: 1,
            stop_hash: stop,
        }),
    );
    let m: CFHeaders = deserialize(&peer.wait_for("cfheaders")).unwrap();
    assert_eq!(m.stop_hash, stop);
    assert_eq!(m.filter_hashes.len(), 10);
    assert_eq!(
        m.previous_filter_header,
        rpc_filter(&node, &block_hash(&node, 0)).1
    );
    let last = m
        .filter_hashes
        .iter()
        .fold(m.previous_filter_header, |prev, h| h.filter_header(&prev));
    assert_eq!(last, rpc_filter(&node, &stop).1);
    assert_eq!(
        m.filter_hashes[0],
        FilterHash::hash(&rpc_filter(&node, &block_hash(&node, 1)).0)
    );

    // Fewer than 1000 blocks: no checkpoint yet.
    let tip = block_hash(&node, 12);
    peer.send(
        "getcfcheckpt",
        &serialize(&GetCFCheckpt {
            filter_type: 0,
            stop_hash: tip,
        }),
    );
    let m: CFCheckpt = deserialize(&peer.wait_for("cfcheckpt")).unwrap();
    assert_eq!((m.filter_type, m.stop_hash), (0, tip));
    assert!(m.filter_headers.is_empty());

    // Core's PrepareBlockFilterRequest disconnects for bad requests.
    assert_disconnects(
        &node,
        "getcfcheckpt",
        &serialize(&GetCFCheckpt {
            filter_type: 0,
            stop_hash: BlockHash::from_byte_array([7; 32]),
        }),
        "requested invalid block hash",
    );
    assert_disconnects(
        &node,
        "getcfheaders",
        &serialize(&GetCFHeaders {
            filter_type: 0,
            start_height: 11,
            stop_hash: stop,
        }),
        "sent invalid getcfilters/getcfheaders with start height 11 and stop height 10",
    );
    assert_disconnects(
        &node,
        "getcfilters",
        &serialize(&GetCFilters {
            filter_type: 255,
            start_height: 1,
            stop_hash: stop,
        }),
        "requested unsupported block filter type: 255",
    );
    // The node itself is fine.
    assert_eq!(common::rpc(&node, "getblockcount", json!([])), 12);
}

#[test]
fn filter_requests_without_peerblockfilters_disconnect() {
    let node = common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-blockfilterindex")
            .arg("-debug=net"),
    );
    common::generate(&node, 2);
    let peer = RawPeer::connect(&node);
    assert_eq!(peer.services & NODE_COMPACT_FILTERS, 0);
    drop(peer);
    assert_disconnects(
        &node,
        "getcfcheckpt",
        &serialize(&GetCFCheckpt {
            filter_type: 0,
            stop_hash: block_hash(&node, 2),
        }),
        "requested unsupported block filter type: 0",
    );
}
