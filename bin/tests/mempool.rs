//! The mempool end to end: spending coinbases of P2WSH(OP_TRUE) outputs with
//! `sendrawtransaction`, watching the pool, and mining the transactions.

mod common;

use common::*;
use serde_json::{json, Value};
use widecoin_test_utils::TestNode;

/// P2WSH(OP_TRUE): `OP_0 <sha256(0x51)>`, spent with the witness `[0x51]`.
const P2WSH_OP_TRUE: &str = "00204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc33260";
const COIN: u64 = 100_000_000;

fn descriptor(node: &TestNode) -> String {
    let desc = format!("raw({P2WSH_OP_TRUE})");
    let info = rpc(node, "getdescriptorinfo", json!([desc]));
    format!("{desc}#{}", info["checksum"].as_str().unwrap())
}

/// Byte-reversed hex (txids are shown reversed).
fn reversed(hex_str: &str) -> String {
    let mut b = hex::decode(hex_str).unwrap();
    b.reverse();
    hex::encode(b)
}

/// A segwit transaction spending `txid:vout` (a P2WSH(OP_TRUE) output) to one
/// P2WSH(OP_TRUE) output of `value` satoshis.
fn spend(txid: &str, vout: u32, value: u64) -> String {
    format!(
        "02000000000101{}{}00fdffffff01{}22{P2WSH_OP_TRUE}01015100000000",
        reversed(txid),
        hex::encode(vout.to_le_bytes()),
        hex::encode(value.to_le_bytes()),
    )
}

/// `spend` with nSequence 0xffffffff: does not signal BIP125.
fn spend_final(txid: &str, vout: u32, value: u64) -> String {
    spend(txid, vout, value).replace("00fdffffff01", "00ffffffff01")
}

fn mempool(node: &TestNode) -> Vec<String> {
    let mut v: Vec<String> = serde_json::from_value(rpc(node, "getrawmempool", json!([]))).unwrap();
    v.sort();
    v
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn coinbase_txid(node: &TestNode, height: u32) -> (String, u64) {
    let hash = rpc(node, "getblockhash", json!([height]));
    let block = rpc(node, "getblock", json!([hash, 2]));
    let cb = &block["tx"][0];
    let value = (cb["vout"][0]["value"].as_f64().unwrap() * COIN as f64).round() as u64;
    (cb["txid"].as_str().unwrap().to_owned(), value)
}

#[test]
fn spend_mine_and_reject() {
    let node = start(options());
    let desc = descriptor(&node);
    rpc(&node, "generatetodescriptor", json!([51, desc]));

    // Block 3's coinbase is at depth 49 for the next block: immature.
    let (cb3, v3) = coinbase_txid(&node, 3);
    let premature = spend(&cb3, 0, v3 - 1000);
    let (code, msg) = rpc_err(&node, "sendrawtransaction", json!([premature]));
    assert_eq!(code, -26);
    assert_eq!(
        msg,
        "bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth 49"
    );
    let test = rpc(&node, "testmempoolaccept", json!([[premature]]));
    assert_eq!(test[0]["allowed"], json!(false));
    assert_eq!(
        test[0]["reject-reason"],
        json!("bad-txns-premature-spend-of-coinbase")
    );

    // Block 1's coinbase is mature.
    let (cb1, v1) = coinbase_txid(&node, 1);
    let tx = spend(&cb1, 0, v1 - 1000);
    let test = rpc(&node, "testmempoolaccept", json!([[tx]]));
    assert_eq!(test[0]["allowed"], json!(true), "{test}");
    assert_eq!(test[0]["fees"]["base"].to_string(), "0.00001000");
    let txid = rpc(&node, "sendrawtransaction", json!([tx]));
    let txid = txid.as_str().unwrap().to_owned();
    assert_eq!(rpc(&node, "getrawmempool", json!([])), json!([txid]));
    assert_eq!(
        rpc(&node, "getrawmempool", json!([false, true]))["mempool_sequence"],
        json!(2)
    );
    assert_eq!(rpc(&node, "getrawtransaction", json!([txid])), json!(tx));
    let entry = rpc(&node, "getmempoolentry", json!([txid]));
    assert_eq!(entry["fees"]["base"].to_string(), "0.00001000");
    assert_eq!(entry["ancestorcount"], json!(1));
    assert_eq!(entry["height"], json!(51));
    assert_eq!(entry["bip125-replaceable"], json!(true));
    let info = rpc(&node, "getmempoolinfo", json!([]));
    assert_eq!(info["size"], json!(1));
    assert_eq!(info["bytes"], entry["vsize"]);
    assert_eq!(info["total_fee"].to_string(), "0.00001000");

    // Sending it again is fine; a conflicting spend paying less, a missing
    // input and a fee above maxfeerate are not.
    assert_eq!(rpc(&node, "sendrawtransaction", json!([tx])), json!(txid));
    let (code, msg) = rpc_err(
        &node,
        "sendrawtransaction",
        json!([spend(&cb1, 0, v1 - 500)]),
    );
    assert_eq!(code, -26);
    assert!(
        msg.starts_with("insufficient fee, rejecting replacement "),
        "{msg}"
    );
    let (code, msg) = rpc_err(&node, "sendrawtransaction", json!([spend(&cb1, 1, 1000)]));
    assert_eq!(
        (code, msg.as_str()),
        (-25, "bad-txns-inputs-missingorspent")
    );
    let (cb2, v2) = coinbase_txid(&node, 2);
    let (code, msg) = rpc_err(&node, "sendrawtransaction", json!([spend(&cb2, 0, v2 / 2)]));
    assert_eq!(
        (code, msg.as_str()),
        (
            -25,
            "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)"
        )
    );
    let (code, msg) = rpc_err(&node, "sendrawtransaction", json!(["00"]));
    assert_eq!(
        (code, msg.as_str()),
        (
            -22,
            "TX decode failed. Make sure the tx has at least one input."
        )
    );

    // A child of the pool transaction.
    let child = spend(&txid, 0, v1 - 3000);
    let child_id = rpc(&node, "sendrawtransaction", json!([child]));
    let entry = rpc(&node, "getmempoolentry", json!([child_id]));
    assert_eq!(entry["ancestorcount"], json!(2));
    assert_eq!(entry["depends"], json!([txid]));

    // Mining takes both and pays their fees to the coinbase.
    let hashes = rpc(&node, "generatetodescriptor", json!([1, desc]));
    assert_eq!(rpc(&node, "getrawmempool", json!([])), json!([]));
    let block = rpc(&node, "getblock", json!([hashes[0], 1]));
    assert_eq!(block["tx"], json!([block["tx"][0], txid, child_id]));
    let (_, reward) = coinbase_txid(&node, 52);
    assert_eq!(reward, 50 * COIN + 3000);
    let confirmed = rpc(&node, "getrawtransaction", json!([txid, 1, hashes[0]]));
    assert_eq!(confirmed["in_active_chain"], json!(true));
    assert_eq!(confirmed["confirmations"], json!(1));
    assert_eq!(confirmed["hex"], json!(tx));
    let (code, msg) = rpc_err(&node, "getrawtransaction", json!([txid]));
    assert_eq!(code, -5);
    assert!(msg.starts_with("No such mempool transaction."), "{msg}");
    let (code, msg) = rpc_err(&node, "sendrawtransaction", json!([child]));
    assert_eq!(
        (code, msg.as_str()),
        (-27, "Transaction already in block chain")
    );
}

#[test]
fn replacement_and_package() {
    let node = start(options());
    let desc = descriptor(&node);
    rpc(&node, "generatetodescriptor", json!([60, desc]));

    // BIP125: a signalling transaction is replaced by one paying more; its child goes too.
    let (cb1, v1) = coinbase_txid(&node, 1);
    let original = rpc(
        &node,
        "sendrawtransaction",
        json!([spend(&cb1, 0, v1 - 1000)]),
    );
    let original = original.as_str().unwrap().to_owned();
    let child = rpc(
        &node,
        "sendrawtransaction",
        json!([spend(&original, 0, v1 - 2000)]),
    );
    let replacement = spend(&cb1, 0, v1 - 10_000);
    let test = rpc(&node, "testmempoolaccept", json!([[replacement]]));
    assert_eq!(test[0]["allowed"], json!(true), "{test}");
    let replacement_id = rpc(&node, "sendrawtransaction", json!([replacement]));
    assert_eq!(
        mempool(&node),
        vec![replacement_id.as_str().unwrap().to_owned()]
    );
    assert!(rpc_err(&node, "getmempoolentry", json!([child]))
        .1
        .contains("not in mempool"));

    // Without signalling (and without -mempoolfullrbf) a conflict is refused.
    let (cb2, v2) = coinbase_txid(&node, 2);
    rpc(
        &node,
        "sendrawtransaction",
        json!([spend_final(&cb2, 0, v2 - 1000)]),
    );
    let (code, msg) = rpc_err(
        &node,
        "sendrawtransaction",
        json!([spend(&cb2, 0, v2 - 9000)]),
    );
    assert_eq!((code, msg.as_str()), (-26, "txn-mempool-conflict"));
    assert_eq!(
        rpc(&node, "getmempoolinfo", json!([]))["fullrbf"],
        json!(false)
    );

    // A package: a parent and its child, tested together then submitted.
    let (cb3, v3) = coinbase_txid(&node, 3);
    let parent = spend(&cb3, 0, v3 - 200);
    let parent_id = rpc(&node, "decoderawtransaction", json!([parent]))["txid"].clone();
    let parent_id = parent_id.as_str().unwrap().to_owned();
    let kid = spend(&parent_id, 0, v3 - 1200);
    let test = rpc(&node, "testmempoolaccept", json!([[parent, kid]]));
    assert_eq!(test[0]["allowed"], json!(true), "{test}");
    assert_eq!(test[1]["allowed"], json!(true), "{test}");
    // Out of order is a package error for every transaction.
    let test = rpc(&node, "testmempoolaccept", json!([[kid, parent]]));
    assert_eq!(
        test[0]["package-error"],
        json!("package-not-sorted"),
        "{test}"
    );
    assert!(test[0].get("allowed").is_none());
    let result = rpc(&node, "submitpackage", json!([[parent, kid]]));
    let results = result["tx-results"].as_object().unwrap();
    assert_eq!(results.len(), 2, "{result}");
    assert_eq!(result["replaced-transactions"], json!([]));
    let kid_id = rpc(&node, "decoderawtransaction", json!([kid]))["txid"].clone();
    let kid_id = kid_id.as_str().unwrap().to_owned();
    assert!(mempool(&node).contains(&kid_id));
    assert_eq!(
        rpc(&node, "getmempoolancestors", json!([kid_id])),
        json!([parent_id])
    );
    let desc_verbose = rpc(&node, "getmempooldescendants", json!([parent_id, true]));
    assert_eq!(desc_verbose[&kid_id]["depends"], json!([parent_id]));
    let spending = rpc(
        &node,
        "gettxspendingprevout",
        json!([[{"txid": parent_id, "vout": 0}, {"txid": parent_id, "vout": 1}]]),
    );
    assert_eq!(spending[0]["spendingtxid"], json!(kid_id));
    assert!(spending[1].get("spendingtxid").is_none());
    let (code, msg) = rpc_err(&node, "submitpackage", json!([[kid]]));
    assert_eq!(
        (code, msg.as_str()),
        (
            -25,
            "package topology disallowed. not child-with-parents or parents depend on each other."
        )
    );
    let verbose = rpc(&node, "getrawmempool", json!([true]));
    assert_eq!(verbose.as_object().unwrap().len(), mempool(&node).len());
    let (code, _) = rpc_err(&node, "getrawmempool", json!([true, true]));
    assert_eq!(code, -8);
}

#[test]
fn reorg_returns_transactions_to_the_mempool() {
    let node = start(options());
    let desc = descriptor(&node);
    rpc(&node, "generatetodescriptor", json!([55, desc]));
    let (cb1, v1) = coinbase_txid(&node, 1);
    let txid = rpc(
        &node,
        "sendrawtransaction",
        json!([spend(&cb1, 0, v1 - 1000)]),
    );
    let txid = txid.as_str().unwrap().to_owned();
    let child = rpc(
        &node,
        "sendrawtransaction",
        json!([spend(&txid, 0, v1 - 2000)]),
    );
    let hashes = rpc(&node, "generatetodescriptor", json!([1, desc]));
    assert!(mempool(&node).is_empty());
    // A transaction spending the new block's coinbase... is immature; one spending the
    // confirmed transaction's output waits in the pool.
    rpc(&node, "invalidateblock", json!([hashes[0]]));
    assert_eq!(
        mempool(&node),
        sorted(vec![txid.clone(), child.as_str().unwrap().to_owned()])
    );
    let entry = rpc(&node, "getmempoolentry", json!([child]));
    assert_eq!(entry["depends"], json!([txid]));
    rpc(&node, "reconsiderblock", json!([hashes[0]]));
    assert!(mempool(&node).is_empty());
}

#[test]
fn mempool_persists_across_a_restart() {
    let mut node = start(options());
    let desc = descriptor(&node);
    rpc(&node, "generatetodescriptor", json!([55, desc]));
    assert_eq!(
        rpc(&node, "getmempoolinfo", json!([]))["loaded"],
        json!(true)
    );
    let (cb1, v1) = coinbase_txid(&node, 1);
    let txid = rpc(
        &node,
        "sendrawtransaction",
        json!([spend(&cb1, 0, v1 - 1000)]),
    );
    let txid = txid.as_str().unwrap().to_owned();
    let time = rpc(&node, "getmempoolentry", json!([txid]))["time"].clone();
    rpc(&node, "prioritisetransaction", json!([txid, 0, 5000]));
    let other = "11".repeat(32);
    rpc(&node, "prioritisetransaction", json!([other, 0, -7]));
    let saved = rpc(&node, "savemempool", json!([]));
    let path = node.net_dir().join("mempool.dat");
    assert_eq!(saved["filename"], json!(path.to_string_lossy()));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], &1u64.to_le_bytes(), "version 1");

    node.restart(&[]).unwrap();
    assert_eq!(mempool(&node), vec![txid.clone()]);
    let entry = rpc(&node, "getmempoolentry", json!([txid]));
    assert_eq!(entry["time"], time, "the entry time is kept");
    assert_eq!(entry["unbroadcast"], json!(true), "no peer asked for it");
    assert_eq!(
        rpc(&node, "getmempoolinfo", json!([]))["unbroadcastcount"],
        json!(1)
    );
    assert_eq!(entry["fees"]["modified"].to_string(), "0.00006000");
    let deltas: Value = rpc(&node, "getprioritisedtransactions", json!([]));
    assert_eq!(
        deltas[&other],
        json!({"fee_delta": -7, "in_mempool": false})
    );
    let log = std::fs::read_to_string(node.net_dir().join("debug.log")).unwrap();
    assert!(
        log.contains("Imported mempool transactions from disk: 1 succeeded, 0 failed, 0 expired, 0 already there, 1 waiting for initial broadcast"),
        "{log}"
    );

    // Without -persistmempool nothing is loaded (nor written at shutdown).
    node.restart(&["-persistmempool=0"]).unwrap();
    assert!(mempool(&node).is_empty());
    stop_clean(&mut node);
    assert!(path.exists());
}

#[test]
fn expiry_and_getmempoolinfo() {
    let node = start(options().arg("-mempoolexpiry=1").arg("-maxmempool=5"));
    let desc = descriptor(&node);
    rpc(&node, "generatetodescriptor", json!([55, desc]));
    let info = rpc(&node, "getmempoolinfo", json!([]));
    assert_eq!(info["maxmempool"], json!(5_000_000));
    assert_eq!(info["mempoolminfee"].to_string(), "0.00001000");
    assert_eq!(info["incrementalrelayfee"].to_string(), "0.00001000");

    let (cb1, v1) = coinbase_txid(&node, 1);
    let old = rpc(
        &node,
        "sendrawtransaction",
        json!([spend(&cb1, 0, v1 - 1000)]),
    );
    let old = old.as_str().unwrap().to_owned();
    let child = rpc(
        &node,
        "sendrawtransaction",
        json!([spend(&old, 0, v1 - 2000)]),
    );
    let time = rpc(&node, "getmempoolentry", json!([old]))["time"]
        .as_i64()
        .unwrap();
    // Expiry is checked when a transaction is added: an hour later both go.
    rpc(&node, "setmocktime", json!([time + 3600 - 5]));
    let (cb2, v2) = coinbase_txid(&node, 2);
    rpc(
        &node,
        "sendrawtransaction",
        json!([spend(&cb2, 0, v2 - 1000)]),
    );
    assert!(mempool(&node).contains(&old));
    rpc(&node, "setmocktime", json!([time + 3600 + 5]));
    let (cb3, v3) = coinbase_txid(&node, 3);
    let young = rpc(
        &node,
        "sendrawtransaction",
        json!([spend(&cb3, 0, v3 - 1000)]),
    );
    let pool = mempool(&node);
    assert!(!pool.contains(&old), "expired");
    assert!(
        !pool.contains(&child.as_str().unwrap().to_owned()),
        "with its child"
    );
    assert!(pool.contains(&young.as_str().unwrap().to_owned()));
    assert_eq!(pool.len(), 2);
}

#[test]
fn maxmempool_must_hold_forty_packages() {
    let mut node = TestNode::start(options().arg("-maxmempool=4").no_wait()).unwrap();
    let status = node.wait_exit().unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(node.stderr(), "Error: -maxmempool must be at least 5 MB\n");
}
