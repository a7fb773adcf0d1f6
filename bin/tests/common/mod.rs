//! Shared by the process-level tests: where the binaries are, and the values
//! every test compares against.
#![allow(dead_code)]

pub mod raw_peer;

use std::path::Path;

use serde_json::Value;
use widecoin_test_utils::{NodeOptions, TestNode};

pub const WIDECOIND: &str = env!("CARGO_BIN_EXE_widecoind");
pub const WIDECOIN_CLI: &str = env!("CARGO_BIN_EXE_widecoin-cli");

/// Genesis block hashes (widecoin-params.md §3.2).
pub const REGTEST_GENESIS: &str =
    "7d5b2e9dbe250acf5b6f09509981873ec4f1b310933c4b971f9b01d77e4630f7";
pub const MAIN_GENESIS: &str = "00000c1ed1d690f0c01dbd52589c9dafe1d5bb8be400e11dd59e48a985d93b6a";
pub const TESTNET_GENESIS: &str =
    "000008aad534f457cf11da13a6f3c90d34fe5c090595ae06d3e246cfb6222903";
pub const SIGNET_GENESIS: &str = "000000d7658e3ea68546b40f5f7159b82ea954e2d61c88c59f3275976f40f3b1";

pub fn cli_path() -> &'static Path {
    Path::new(WIDECOIN_CLI)
}

pub fn options() -> NodeOptions {
    NodeOptions::new(WIDECOIND)
}

/// A regtest node that answers RPC.
pub fn start(options: NodeOptions) -> TestNode {
    TestNode::start(options).expect("start widecoind")
}

/// Stops `node` with the `stop` RPC and checks it exited cleanly and quietly.
pub fn stop_clean(node: &mut TestNode) {
    let status = node.stop().expect("stop");
    assert_eq!(status.code(), Some(0), "stderr: {}", node.stderr());
    assert_eq!(node.stderr(), "");
}

/// A call that must succeed.
pub fn rpc(node: &TestNode, method: &str, params: Value) -> Value {
    node.rpc(method, params)
        .unwrap_or_else(|e| panic!("{method}: {e:?}"))
}

/// A call that must fail: its error code and message.
pub fn rpc_err(node: &TestNode, method: &str, params: Value) -> (i64, String) {
    let e = node
        .rpc(method, params)
        .expect_err("the call should have failed");
    (e.code.unwrap_or_default(), e.message)
}

/// Polls `cond` until it holds; panics naming `what` after a minute.
pub fn wait_until(what: &str, cond: impl FnMut() -> bool) {
    wait_until_with(
        what,
        std::time::Duration::from_secs(60),
        std::time::Duration::from_millis(20),
        cond,
    )
}

/// Polls `cond` every `poll` until it holds; panics naming `what` after `limit`.
pub fn wait_until_with(
    what: &str,
    limit: std::time::Duration,
    poll: std::time::Duration,
    mut cond: impl FnMut() -> bool,
) {
    let deadline = std::time::Instant::now() + limit;
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(poll);
    }
}

/// `getpeerinfo` as a list.
pub fn peers(node: &TestNode) -> Vec<Value> {
    serde_json::from_value(rpc(node, "getpeerinfo", serde_json::json!([]))).unwrap()
}

/// `getrawmempool`: the txids.
pub fn mempool(node: &TestNode) -> Vec<String> {
    serde_json::from_value(rpc(node, "getrawmempool", serde_json::json!([]))).unwrap()
}

/// Mines `n` blocks to an anyone-can-spend `OP_TRUE` output; their hashes.
pub fn generate(node: &TestNode, n: u32) -> Vec<String> {
    serde_json::from_value(rpc(
        node,
        "generatetodescriptor",
        serde_json::json!([n, "raw(51)#8lvh9jxk"]),
    ))
    .unwrap()
}

/// A node listening on loopback that accepts non-standard transactions.
pub fn relay_node() -> TestNode {
    start(options().arg("-bind=127.0.0.1").arg("-acceptnonstdtxn=1"))
}

/// `from` opens a connection to `to`; waits until both finished the
/// handshake.
pub fn connect_and_wait(from: &TestNode, to: &TestNode) {
    let target = format!("127.0.0.1:{}", to.p2p_port);
    rpc(from, "addnode", serde_json::json!([target, "onetry"]));
    wait_until("the handshake", || {
        peers(from).iter().any(|p| p["version"] != 0) && peers(to).iter().any(|p| p["version"] != 0)
    });
}

/// A transaction spending output 0 of the coinbase of `block` (an
/// anyone-can-spend `OP_TRUE` output) to a P2WSH output, paying 10,000 sat;
/// its hex.
pub fn spend_coinbase(node: &TestNode, block: &str) -> String {
    let b = rpc(node, "getblock", serde_json::json!([block, 2]));
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
