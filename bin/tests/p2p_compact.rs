//! BIP152 compact blocks between two `widecoind` on loopback: a block whose
//! transaction the receiver already has is rebuilt from its mempool out of a
//! `cmpctblock`; one whose transaction it lacks takes a
//! `getblocktxn`/`blocktxn` round.

mod common;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use widecoin_test_utils::TestNode;

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

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

fn best(node: &TestNode) -> Value {
    node.rpc("getbestblockhash", json!([])).unwrap()
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

/// Bytes of `command` in the peer's `bytes{sent,recv}_per_msg`.
fn per_msg(peer: &Value, field: &str, command: &str) -> u64 {
    peer[field][command].as_u64().unwrap_or(0)
}

#[test]
fn blocks_relay_as_compact_blocks() {
    let opts = || {
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-acceptnonstdtxn=1")
    };
    let a = common::start(opts());
    let b = common::start(opts());
    let blocks = generate(&a, 103);
    connect(&b, &a);
    wait_until("B syncs", || best(&b) == best(&a));

    // The transaction reaches B before the block: nothing to ask for.
    let txid = a
        .rpc(
            "sendrawtransaction",
            json!([spend_coinbase(&a, &blocks[0])]),
        )
        .unwrap();
    let txid = txid.as_str().unwrap().to_string();
    wait_until("B has the transaction", || mempool(&b).contains(&txid));
    generate(&a, 1);
    wait_until("B has the block", || best(&b) == best(&a));
    assert!(mempool(&b).is_empty());
    let p = &peers(&b)[0];
    assert!(per_msg(p, "bytesrecv_per_msg", "cmpctblock") > 0, "{p}");
    assert_eq!(per_msg(p, "bytessent_per_msg", "getblocktxn"), 0, "{p}");

    // A transaction B never saw: B asks for it with getblocktxn.
    let id = peers(&b)[0]["id"].clone();
    b.rpc("disconnectnode", json!(["", id])).unwrap();
    wait_until("disconnected", || {
        peers(&a).is_empty() && peers(&b).is_empty()
    });
    let txid = a
        .rpc(
            "sendrawtransaction",
            json!([spend_coinbase(&a, &blocks[1])]),
        )
        .unwrap();
    connect(&b, &a);
    generate(&a, 1);
    wait_until("B has the second block", || best(&b) == best(&a));
    let p = &peers(&b)[0];
    assert!(per_msg(p, "bytesrecv_per_msg", "cmpctblock") > 0, "{p}");
    assert!(per_msg(p, "bytessent_per_msg", "getblocktxn") > 0, "{p}");
    assert!(per_msg(p, "bytesrecv_per_msg", "blocktxn") > 0, "{p}");
    assert_eq!(per_msg(p, "bytesrecv_per_msg", "block"), 0, "{p}");
    let block = b.rpc("getblock", json!([best(&b), 1])).unwrap();
    assert!(block["tx"].as_array().unwrap().contains(&txid));
}
