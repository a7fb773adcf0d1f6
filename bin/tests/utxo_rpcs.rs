//! `gettxout`, `gettxoutsetinfo` and `scantxoutset` on a regtest node that
//! mined to descriptors and to an address.

mod common;

use common::*;
use serde_json::{json, Value};
use widecoin_test_utils::TestNode;

const OP_TRUE: &str = "raw(51)#8lvh9jxk";
const PUBKEY: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
const MOCKTIME: i64 = 1_700_000_000;

fn text(v: &Value) -> String {
    v.to_string()
}

/// The P2WPKH address of [`PUBKEY`] on regtest.
fn address(node: &TestNode) -> String {
    let desc = format!("wpkh({PUBKEY})");
    let info = rpc(node, "getdescriptorinfo", json!([desc]));
    let checked = format!("{desc}#{}", info["checksum"].as_str().unwrap());
    rpc(node, "deriveaddresses", json!([checked]))[0]
        .as_str()
        .unwrap()
        .to_string()
}

/// 60 blocks to `raw(51)`, then 100 to the address: heights 1..=160.
fn mine(node: &TestNode) -> String {
    rpc(node, "setmocktime", json!([MOCKTIME]));
    rpc(node, "generatetodescriptor", json!([60, OP_TRUE]));
    let addr = address(node);
    rpc(node, "generatetoaddress", json!([100, addr]));
    assert_eq!(rpc(node, "getblockcount", json!([])), json!(160));
    addr
}

/// Sum of the subsidies of heights 1..=160 in satoshis: 3,500,000 WCN at
/// height 1, 50 WCN up to 149, then 25 WCN.
const COIN: i64 = 100_000_000;
const RAW_TOTAL: i64 = 3_500_000 * COIN + 59 * 50 * COIN;
const ADDR_TOTAL: i64 = 89 * 50 * COIN + 11 * 25 * COIN;

fn wcn(sats: i64) -> String {
    format!("{}.{:08}", sats / COIN, sats % COIN)
}

#[test]
fn gettxout_and_gettxoutsetinfo() {
    let mut node = start(options());
    mine(&node);
    let h1 = rpc(&node, "getblockhash", json!([1]));
    let block = rpc(&node, "getblock", json!([h1]));
    let txid = block["tx"][0].as_str().unwrap().to_string();

    let out = rpc(&node, "gettxout", json!([txid, 0]));
    assert_eq!(text(&out["value"]), "3500000.00000000");
    assert_eq!(out["confirmations"], json!(160));
    assert_eq!(out["coinbase"], json!(true));
    assert_eq!(out["scriptPubKey"]["hex"], json!("51"));
    assert_eq!(out["scriptPubKey"]["desc"], json!(OP_TRUE));
    assert_eq!(out["scriptPubKey"]["type"], json!("nonstandard"));
    assert_eq!(out["bestblock"], rpc(&node, "getbestblockhash", json!([])));
    // include_mempool=false gives the same answer (no mempool yet).
    assert_eq!(rpc(&node, "gettxout", json!([txid, 0, false])), out);
    assert_eq!(rpc(&node, "gettxout", json!([txid, 7])), Value::Null);
    assert_eq!(
        rpc(&node, "gettxout", json!(["00".repeat(32), 0])),
        Value::Null
    );
    assert_eq!(
        rpc_err(&node, "gettxout", json!(["00", 0])),
        (
            -8,
            "txid must be of length 64 (not 2, for '00')".to_string()
        )
    );

    let info = rpc(&node, "gettxoutsetinfo", json!([]));
    assert_eq!(info["height"], json!(160));
    assert_eq!(info["txouts"], json!(160));
    assert_eq!(info["transactions"], json!(160));
    assert_eq!(text(&info["total_amount"]), wcn(RAW_TOTAL + ADDR_TOTAL));
    // 60 one-byte scripts and 100 P2WPKH scripts of 22 bytes.
    assert_eq!(info["bogosize"], json!(60 * 51 + 100 * 72));
    assert_eq!(info["hash_serialized_3"].as_str().unwrap().len(), 64);
    assert!(info.get("muhash").is_none());
    let keys: Vec<&String> = info.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "height",
            "bestblock",
            "txouts",
            "bogosize",
            "hash_serialized_3",
            "total_amount",
            "transactions",
            "disk_size"
        ]
    );
    let mu = rpc(&node, "gettxoutsetinfo", json!(["muhash"]));
    assert_eq!(mu["muhash"].as_str().unwrap().len(), 64);
    assert!(mu.get("hash_serialized_3").is_none());
    let none = rpc(&node, "gettxoutsetinfo", json!(["none"]));
    assert!(none.get("muhash").is_none() && none.get("hash_serialized_3").is_none());
    assert_eq!(none["txouts"], json!(160));
    assert_eq!(
        rpc_err(&node, "gettxoutsetinfo", json!(["md5"])),
        (-8, "'md5' is not a valid hash_type".to_string())
    );
    assert_eq!(
        rpc_err(&node, "gettxoutsetinfo", json!(["muhash", 5])),
        (
            -8,
            "Querying specific block heights requires coinstatsindex".to_string()
        )
    );

    // The hashes survive a restart.
    node.restart(&[]).expect("restart");
    let again = rpc(&node, "gettxoutsetinfo", json!([]));
    assert_eq!(again["hash_serialized_3"], info["hash_serialized_3"]);
    assert_eq!(
        rpc(&node, "gettxoutsetinfo", json!(["muhash"]))["muhash"],
        mu["muhash"]
    );
    stop_clean(&mut node);
}

#[test]
fn identical_chains_have_identical_hashes() {
    let mut a = start(options());
    let mut b = start(options());
    mine(&a);
    mine(&b);
    assert_eq!(
        rpc(&a, "getbestblockhash", json!([])),
        rpc(&b, "getbestblockhash", json!([]))
    );
    for hash_type in ["hash_serialized_3", "muhash"] {
        let ia = rpc(&a, "gettxoutsetinfo", json!([hash_type]));
        let ib = rpc(&b, "gettxoutsetinfo", json!([hash_type]));
        assert_eq!(ia[hash_type], ib[hash_type]);
    }
    stop_clean(&mut a);
    stop_clean(&mut b);
}

#[test]
fn scantxoutset_finds_mined_outputs() {
    let mut node = start(options());
    let addr = mine(&node);
    let info = rpc(&node, "gettxoutsetinfo", json!(["none"]));

    let raw = rpc(&node, "scantxoutset", json!(["start", [OP_TRUE]]));
    assert_eq!(raw["success"], json!(true));
    assert_eq!(raw["txouts"], info["txouts"]);
    assert_eq!(raw["height"], json!(160));
    assert_eq!(raw["bestblock"], info["bestblock"]);
    let unspents = raw["unspents"].as_array().unwrap();
    assert_eq!(unspents.len(), 60);
    assert_eq!(text(&raw["total_amount"]), wcn(RAW_TOTAL));
    let first = unspents
        .iter()
        .find(|u| u["height"] == json!(1))
        .expect("the height-1 coinbase");
    assert_eq!(text(&first["amount"]), "3500000.00000000");
    assert_eq!(first["coinbase"], json!(true));
    assert_eq!(first["scriptPubKey"], json!("51"));
    assert_eq!(first["desc"], json!(OP_TRUE));
    assert_eq!(first["vout"], json!(0));

    let by_addr = rpc(
        &node,
        "scantxoutset",
        json!(["start", [format!("addr({addr})")]]),
    );
    assert_eq!(by_addr["unspents"].as_array().unwrap().len(), 100);
    assert_eq!(text(&by_addr["total_amount"]), wcn(ADDR_TOTAL));
    let desc = by_addr["unspents"][0]["desc"].as_str().unwrap();
    assert!(desc.starts_with(&format!("addr({addr})#")), "{desc}");

    // combo() knows the key, so the match is described as wpkh(KEY), with
    // the origin Core gives a constant key: its own fingerprint (the first
    // bytes of its HASH160), no path.
    let combo = rpc(
        &node,
        "scantxoutset",
        json!(["start", [{"desc": format!("combo({PUBKEY})")}]]),
    );
    assert_eq!(text(&combo["total_amount"]), wcn(ADDR_TOTAL));
    let desc = combo["unspents"][0]["desc"].as_str().unwrap();
    assert!(
        desc.starts_with(&format!("wpkh([751e76e8]{PUBKEY})#")),
        "{desc}"
    );

    // Both at once, and an object with a range on an unranged descriptor.
    let both = rpc(
        &node,
        "scantxoutset",
        json!(["start", [OP_TRUE, {"desc": format!("addr({addr})"), "range": 5}]]),
    );
    assert_eq!(both["unspents"].as_array().unwrap().len(), 160);

    assert_eq!(rpc(&node, "scantxoutset", json!(["status"])), Value::Null);
    assert_eq!(rpc(&node, "scantxoutset", json!(["abort"])), json!(false));
    assert_eq!(
        rpc_err(&node, "scantxoutset", json!(["start"])),
        (
            -1,
            "scanobjects argument is required for the start action".to_string()
        )
    );
    assert_eq!(
        rpc_err(&node, "scantxoutset", json!(["bogus"])),
        (-8, "Invalid action 'bogus'".to_string())
    );
    assert_eq!(
        rpc_err(&node, "scantxoutset", json!(["start", [5]])),
        (
            -8,
            "Scan object needs to be either a string or an object".to_string()
        )
    );
    assert_eq!(
        rpc_err(&node, "scantxoutset", json!(["start", [{"range": 1}]])),
        (
            -8,
            "Descriptor needs to be provided in scan object".to_string()
        )
    );
    assert_eq!(
        rpc_err(
            &node,
            "scantxoutset",
            json!(["start", [{"desc": "desc", "range": [2, 1]}]])
        ),
        (
            -8,
            "Range specified as [begin,end] must not have begin after end".to_string()
        )
    );
    assert_eq!(
        rpc_err(&node, "scantxoutset", json!(["start", ["raw(zz)"]])).0,
        -5
    );
    stop_clean(&mut node);
}
