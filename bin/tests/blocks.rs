//! Mining and the chainstate through the node's RPC: blocks survive restarts,
//! `kill -9` and `-reindex`; `invalidateblock`/`reconsiderblock` reorganise;
//! reject reasons come back in Widecoin Core's words.

mod common;

use serde_json::{json, Value};
use widecoin_test_utils::TestNode;

/// An anyone-can-spend output script, as a descriptor.
const OP_TRUE: &str = "raw(51)#8lvh9jxk";

/// Another output script, so a block mined again at a height in the same
/// second differs from the one before (identical blocks have identical hashes).
const OP_2: &str = "raw(52)#qu92mhx7";

fn generate_to(node: &TestNode, n: u64, descriptor: &str) -> Vec<String> {
    let hashes = node
        .rpc("generatetodescriptor", json!([n, descriptor]))
        .expect("generatetodescriptor");
    serde_json::from_value(hashes).unwrap()
}

fn generate(node: &TestNode, n: u64) -> Vec<String> {
    generate_to(node, n, OP_TRUE)
}

fn count(node: &TestNode) -> i64 {
    node.rpc("getblockcount", json!([]))
        .unwrap()
        .as_i64()
        .unwrap()
}

fn best(node: &TestNode) -> String {
    node.rpc("getbestblockhash", json!([]))
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn mined_blocks_pay_widecoin_subsidies_and_persist() {
    let mut node = common::start(common::options());
    let hashes = generate(&node, 151);
    assert_eq!(count(&node), 151);
    assert_eq!(best(&node), hashes[150]);
    let value_at = |h: &str| -> Value {
        let block = node.rpc("getblock", json!([h, 2])).unwrap();
        block["tx"][0]["vout"][0]["value"].clone()
    };
    // Height 1 pays the premine, 2..149 pay 50, from 150 the first halving.
    assert_eq!(value_at(&hashes[0]).to_string(), "3500000.00000000");
    assert_eq!(value_at(&hashes[1]).to_string(), "50.00000000");
    assert_eq!(value_at(&hashes[149]).to_string(), "25.00000000");
    let header = node.rpc("getblockheader", json!([hashes[10]])).unwrap();
    assert_eq!(header["height"], 11);
    assert_eq!(header["confirmations"], 141);
    assert_eq!(header["nextblockhash"], json!(hashes[11]));
    let raw = node
        .rpc("getblockheader", json!([hashes[10], false]))
        .unwrap();
    assert_eq!(raw.as_str().unwrap().len(), 160);

    node.restart(&[]).unwrap();
    assert_eq!(count(&node), 151);
    assert_eq!(best(&node), hashes[150]);
    common::stop_clean(&mut node);
}

#[test]
fn kill_9_loses_no_reported_block() {
    let mut node = common::start(common::options());
    let hashes = generate(&node, 30);
    node.signal(9).unwrap();
    node.wait_exit().unwrap();
    node.spawn().unwrap();
    assert_eq!(count(&node), 30);
    assert_eq!(best(&node), hashes[29]);
    // And the chain goes on from there.
    generate(&node, 2);
    assert_eq!(count(&node), 32);
    common::stop_clean(&mut node);
}

#[test]
fn reindex_reproduces_the_tip() {
    let mut node = common::start(common::options());
    let hashes = generate(&node, 40);
    node.restart(&["-reindex"]).unwrap();
    assert_eq!(count(&node), 40);
    assert_eq!(best(&node), hashes[39]);
    node.restart(&["-reindex-chainstate"]).unwrap();
    assert_eq!(best(&node), hashes[39]);
    common::stop_clean(&mut node);
}

#[test]
fn invalidate_and_reconsider_reorganise() {
    let mut node = common::start(common::options());
    let hashes = generate(&node, 10);
    node.rpc("invalidateblock", json!([hashes[5]])).unwrap();
    assert_eq!(count(&node), 5);
    let tips = node.rpc("getchaintips", json!([])).unwrap();
    let invalid = tips
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == "invalid")
        .expect("an invalid tip");
    assert_eq!(invalid["hash"], json!(hashes[9]));
    assert_eq!(invalid["branchlen"], 5);
    // A fork on top of the new tip, then back to the longer chain.
    let fork = generate_to(&node, 2, OP_2);
    assert_eq!(count(&node), 7);
    let header = node.rpc("getblockheader", json!([hashes[9]])).unwrap();
    assert_eq!(header["confirmations"], -1);
    node.rpc("reconsiderblock", json!([hashes[5]])).unwrap();
    assert_eq!(best(&node), hashes[9]);
    let header = node.rpc("getblockheader", json!([fork[1]])).unwrap();
    assert_eq!(header["confirmations"], -1);
    let unknown = "00".repeat(32);
    let e = node.rpc("invalidateblock", json!([unknown])).unwrap_err();
    assert_eq!((e.code, e.message.as_str()), (Some(-5), "Block not found"));
    common::stop_clean(&mut node);
}

#[test]
fn submitblock_answers_in_bip22_words() {
    let mut node = common::start(common::options());
    generate(&node, 1);
    let tip = best(&node);
    let raw = node.rpc("getblock", json!([tip, 0])).unwrap();
    assert_eq!(node.rpc("submitblock", json!([raw])).unwrap(), "duplicate");
    let made = node
        .rpc("generateblock", json!([OP_TRUE, [], false]))
        .unwrap();
    let hex = made["hex"].as_str().unwrap().to_string();
    assert_eq!(count(&node), 1, "submit=false leaves the chain alone");
    // Change the coinbase (its script starts at byte 125), not the header.
    let mut bad = hex::decode(&hex).unwrap();
    bad[126] ^= 1;
    assert_eq!(
        node.rpc("submitblock", json!([hex::encode(&bad)])).unwrap(),
        "bad-txnmrklroot"
    );
    assert_eq!(node.rpc("submitblock", json!([hex])).unwrap(), Value::Null);
    assert_eq!(best(&node), made["hash"].as_str().unwrap());
    let e = node.rpc("submitblock", json!(["00"])).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (Some(-22), "Block decode failed")
    );
    common::stop_clean(&mut node);
}

#[test]
fn generatetoaddress_checks_the_address() {
    let mut node = common::start(common::options());
    let e = node
        .rpc(
            "generatetoaddress",
            json!([1, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"]),
        )
        .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (Some(-5), "Error: Invalid address")
    );
    let info = node.rpc("getmininginfo", json!([])).unwrap();
    assert_eq!(info["blocks"], 0);
    assert_eq!(info["chain"], "regtest");
    common::stop_clean(&mut node);
}

/// Mining pays to every kind of address and descriptor a developer uses on
/// regtest: the coinbase's output carries exactly the script the address
/// stands for (checked with `validateaddress`), and `generateblock` takes an
/// address as well as a descriptor.
#[test]
fn mining_pays_every_address_type() {
    let mut node = common::start(common::options());
    let key = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
    let kinds = [
        ("pkh", format!("pkh({key})"), "pubkeyhash", "m"),
        ("sh-wpkh", format!("sh(wpkh({key}))"), "scripthash", "2"),
        (
            "wpkh",
            format!("wpkh({key})"),
            "witness_v0_keyhash",
            "wcrt1q",
        ),
        (
            "wsh",
            format!("wsh(pk({key}))"),
            "witness_v0_scripthash",
            "wcrt1q",
        ),
        ("tr", format!("tr({key})"), "witness_v1_taproot", "wcrt1p"),
    ];
    let coinbase_out = |hash: &str| -> Value {
        let block = common::rpc(&node, "getblock", json!([hash, 2]));
        block["tx"][0]["vout"][0]["scriptPubKey"].clone()
    };
    for (name, desc, kind, prefix) in &kinds {
        let desc = common::rpc(&node, "getdescriptorinfo", json!([desc]))["descriptor"].clone();
        let addr = common::rpc(&node, "deriveaddresses", json!([desc]))[0].clone();
        let addr = addr.as_str().unwrap().to_string();
        assert!(addr.starts_with(prefix), "{name}: {addr}");
        let script = common::rpc(&node, "validateaddress", json!([addr]))["scriptPubKey"].clone();

        let by_addr: Vec<String> =
            serde_json::from_value(common::rpc(&node, "generatetoaddress", json!([1, addr])))
                .unwrap();
        let out = coinbase_out(&by_addr[0]);
        assert_eq!(out["address"], json!(addr), "{name}");
        assert_eq!(out["type"], json!(kind), "{name}");
        assert_eq!(out["hex"], script, "{name}");

        let by_desc = generate_to(&node, 1, desc.as_str().unwrap());
        assert_eq!(coinbase_out(&by_desc[0])["hex"], script, "{name}");

        let block = common::rpc(&node, "generateblock", json!([addr, []]));
        let out = coinbase_out(block["hash"].as_str().unwrap());
        assert_eq!(out["hex"], script, "{name}");
    }
    assert_eq!(count(&node), 15);
    common::stop_clean(&mut node);
}
