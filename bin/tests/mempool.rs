//! The mempool end to end: spending coinbases of P2WSH(OP_TRUE) outputs with
//! `sendrawtransaction`, watching the pool, and mining the transactions.

mod common;

use common::*;
use serde_json::json;
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

    // Sending it again is fine; a conflicting spend, a missing input and a
    // fee above maxfeerate are not.
    assert_eq!(rpc(&node, "sendrawtransaction", json!([tx])), json!(txid));
    let (code, msg) = rpc_err(
        &node,
        "sendrawtransaction",
        json!([spend(&cb1, 0, v1 - 2000)]),
    );
    assert_eq!((code, msg.as_str()), (-26, "txn-mempool-conflict"));
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
