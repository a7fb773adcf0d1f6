//! `-minimumchainwork` (Core's `ApplyArgsManOptions`, `LoadChainstate`,
//! `IsInitialBlockDownload`) and the handling of blocks nobody asked for
//! (Core's `AcceptBlock` without `fRequested`).

mod common;

use std::path::Path;

use common::raw_peer::RawPeer;
use common::*;
use serde_json::{json, Value};
use widecoin_test_utils::{run_to_exit, TestNode};

/// Mainnet's `nMinimumChainWork`.
const MAIN_MIN_WORK: &str = "0000000000000000000000000000000000000000000000a0a04a0abc10ce96cd";

#[test]
fn non_hex_value_is_an_init_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_to_exit(
        Path::new(WIDECOIND),
        &[
            format!("-datadir={}", dir.path().display()),
            "-regtest".to_string(),
            "-minimumchainwork=test".to_string(),
        ],
        None,
    );
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
    assert_eq!(
        out.stderr,
        "Error: Invalid non-hex (test) minimum chain work value specified\n"
    );
}

fn ibd(node: &TestNode) -> bool {
    rpc(node, "getblockchaininfo", json!([]))["initialblockdownload"]
        .as_bool()
        .unwrap()
}

fn generate(node: &TestNode, n: u32, script: &str) -> Vec<String> {
    let desc =
        rpc(node, "getdescriptorinfo", json!([format!("raw({script})")]))["descriptor"].clone();
    serde_json::from_value(rpc(node, "generatetodescriptor", json!([n, desc]))).unwrap()
}

#[test]
fn initial_block_download_lasts_until_the_minimum_work() {
    // Each regtest block, genesis too, has a work of 2: 0x65 (101) is
    // reached at height 50.
    let mut node = start(options().arg("-minimumchainwork=0x65"));
    let log = node.debug_log();
    assert!(log.contains(&format!("Setting nMinimumChainWork={:0>64}", "65")));
    assert!(!log.contains("-minimumchainwork is accepted but has no effect"));
    assert!(!log.contains("Warning: nMinimumChainWork set below default value"));
    generate(&node, 49, "51");
    assert!(ibd(&node), "work 100 is below 101");
    generate(&node, 1, "51");
    assert!(!ibd(&node), "work 102 reaches 101");
    stop_clean(&mut node);
}

#[test]
fn lower_than_default_is_warned_about() {
    let mut node = start(options().chain("main").arg("-minimumchainwork=0x1"));
    let log = node.debug_log();
    assert!(log.contains(&format!("Setting nMinimumChainWork={:0>64}", "1")));
    assert!(log.contains(&format!(
        "Warning: nMinimumChainWork set below default value of {MAIN_MIN_WORK}"
    )));
    stop_clean(&mut node);
}

/// Sends the block `hash` of `from` to `peer` as an unrequested `block`
/// message, and waits until it is processed.
fn send_block_of(peer: &mut RawPeer, from: &TestNode, hash: &str) {
    let raw = rpc(from, "getblock", json!([hash, 0]));
    peer.send("block", &hex::decode(raw.as_str().unwrap()).unwrap());
    peer.sync_with_ping();
}

fn tip_status(node: &TestNode, hash: &str) -> Option<String> {
    let tips: Vec<Value> = serde_json::from_value(rpc(node, "getchaintips", json!([]))).unwrap();
    tips.iter()
        .find(|t| t["hash"] == hash)
        .map(|t| t["status"].as_str().unwrap().to_string())
}

#[test]
fn unrequested_blocks_are_stored_only_with_enough_work() {
    let node = start(options().arg("-bind=127.0.0.1"));
    let other = start(options());
    generate(&node, 2, "51");
    // A competing chain, never connected to `node` but by the raw peer.
    let fork = generate(&other, 2, "52");
    let mut peer = RawPeer::connect(&node);

    // Less work than the tip: the header is kept, the block is not.
    send_block_of(&mut peer, &other, &fork[0]);
    assert_eq!(tip_status(&node, &fork[0]).as_deref(), Some("headers-only"));
    assert_eq!(
        rpc_err(&node, "getblock", json!([fork[0]])),
        (-1, "Block not found on disk".to_string())
    );

    // As much work as the tip: stored (not connected, its parent's data
    // is missing).
    send_block_of(&mut peer, &other, &fork[1]);
    assert_eq!(tip_status(&node, &fork[1]).as_deref(), Some("headers-only"));
    assert_eq!(
        rpc(&node, "getblock", json!([fork[1]]))["hash"],
        json!(fork[1])
    );
    assert_eq!(rpc(&node, "getblockcount", json!([])), json!(2));
}

fn connect(from: &TestNode, to: &TestNode) {
    let target = format!("127.0.0.1:{}", to.p2p_port);
    rpc(from, "addnode", json!([target, "onetry"]));
}

fn chain_tips(node: &TestNode) -> Vec<Value> {
    serde_json::from_value(rpc(node, "getchaintips", json!([]))).unwrap()
}

#[test]
fn low_work_headers_are_presynced_before_being_stored() {
    let source = start(options().arg("-bind=127.0.0.1"));
    // 0x1000 is the work of genesis and 2047 blocks; 0x100000 is never reached.
    let enough = start(options().arg("-minimumchainwork=0x1000").arg("-debug=net"));
    let short = start(
        options()
            .arg("-minimumchainwork=0x100000")
            .arg("-debug=net"),
    );
    let hashes = generate(&source, 2047, "51");
    connect(&short, &source);
    connect(&enough, &source);

    // The whole chain reaches the minimum: pre-synced, downloaded again and
    // stored.
    wait_until("the node with enough work syncs", || {
        rpc(&enough, "getbestblockhash", json!([])) == json!(hashes[2046])
    });
    let log = enough.debug_log();
    assert!(log.contains("Initial headers sync transition with peer=0: reached sufficient work at height=2047, redownloading from height=0"));
    assert!(log.contains("Initial headers sync complete with peer=0: releasing all at height=2047 (redownload phase)"));

    // Too little work in the end: none of the headers is stored.
    wait_until("the pre-sync with too little work ends", || {
        short
            .debug_log()
            .contains("Initial headers sync aborted with peer=0: incomplete headers message at height=2047 (presync phase)")
    });
    assert_eq!(chain_tips(&short).len(), 1);
    assert_eq!(rpc(&short, "getblockcount", json!([])), json!(0));
}
