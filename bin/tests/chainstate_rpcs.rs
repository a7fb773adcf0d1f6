//! The chainstate RPCs of issue 3 on a real node: `getdeploymentinfo`
//! (with `-testactivationheight` and `-vbparams`), `getblockstats`,
//! `getchaintxstats`, `verifychain`, `submitheader`, and `-checkblocks` /
//! `-checklevel` at start-up.

mod common;

use std::io::{Seek, SeekFrom, Write};

use common::*;
use serde_json::{json, Value};
use widecoin_test_utils::TestNode;

const OP_TRUE: &str = "raw(51)#8lvh9jxk";
const MOCKTIME: i64 = 1_700_000_000;
/// sha256(OP_TRUE): the witness program of a P2WSH OP_TRUE output.
const P2WSH_OP_TRUE: &str = "00204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc33260";

fn height(node: &TestNode) -> i64 {
    rpc(node, "getblockcount", json!([])).as_i64().unwrap()
}

fn p2wsh_descriptor(node: &TestNode) -> String {
    let desc = format!("raw({P2WSH_OP_TRUE})");
    let info = rpc(node, "getdescriptorinfo", json!([desc]));
    format!("{desc}#{}", info["checksum"].as_str().unwrap())
}

/// A segwit transaction spending one P2WSH OP_TRUE outpoint into P2WSH
/// OP_TRUE outputs of `values`.
fn spend_tx(txid: &str, vout: u32, values: &[u64]) -> String {
    let mut prev = hex::decode(txid).unwrap();
    prev.reverse();
    let mut tx = String::from("020000000001"); // version, segwit marker and flag
    tx += "01";
    tx += &hex::encode(prev);
    tx += &hex::encode(vout.to_le_bytes());
    tx += "00fdffffff";
    tx += &format!("{:02x}", values.len());
    for v in values {
        tx += &hex::encode(v.to_le_bytes());
        tx += "22";
        tx += P2WSH_OP_TRUE;
    }
    tx += "01"; // one witness item
    tx += "0151"; // OP_TRUE
    tx += "00000000";
    tx
}

#[test]
fn getdeploymentinfo_follows_activation_heights_and_signalling() {
    let mut node = start(options().arg("-testactivationheight=cltv@111"));
    let info = rpc(&node, "getdeploymentinfo", json!([]));
    assert_eq!(info["height"], json!(0));
    let d = &info["deployments"];
    let names: Vec<&String> = d.as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        [
            "bip34",
            "bip66",
            "bip65",
            "csv",
            "segwit",
            "testdummy",
            "taproot"
        ]
    );
    assert_eq!(
        d["bip65"],
        json!({"type": "buried", "active": false, "height": 111})
    );
    assert_eq!(
        d["segwit"],
        json!({"type": "buried", "active": true, "height": 0})
    );
    assert_eq!(
        d["taproot"],
        json!({"type": "bip9", "height": 0, "active": true, "bip9": {
            "start_time": -1, "timeout": i64::MAX, "min_activation_height": 0,
            "status": "active", "since": 0, "status_next": "active"}})
    );
    assert_eq!(
        d["testdummy"],
        json!({"type": "bip9", "active": false, "bip9": {
            "start_time": 0, "timeout": i64::MAX, "min_activation_height": 0,
            "status": "defined", "since": 0, "status_next": "defined"}})
    );
    // BIP65 is active for the block after height 109.
    rpc(&node, "generatetodescriptor", json!([109, OP_TRUE]));
    assert_eq!(
        rpc(&node, "getdeploymentinfo", json!([]))["deployments"]["bip65"]["active"],
        json!(false)
    );
    rpc(&node, "generatetodescriptor", json!([1, OP_TRUE]));
    assert_eq!(
        rpc(&node, "getdeploymentinfo", json!([]))["deployments"]["bip65"]["active"],
        json!(true)
    );
    // The miner signals testdummy (bit 28) from the second period (120 blocks).
    rpc(&node, "generatetodescriptor", json!([20, OP_TRUE]));
    let tip = rpc(&node, "getbestblockhash", json!([]));
    let info = rpc(&node, "getdeploymentinfo", json!([]));
    assert_eq!(info["hash"], tip);
    assert_eq!(info["height"], json!(130));
    assert_eq!(
        info["deployments"]["testdummy"],
        json!({"type": "bip9", "active": false, "bip9": {
            "bit": 28, "start_time": 0, "timeout": i64::MAX, "min_activation_height": 0,
            "status": "started", "since": 120, "status_next": "started",
            "statistics": {"period": 120, "elapsed": 11, "count": 11, "threshold": 95, "possible": true},
            "signalling": "###########"}})
    );
    // At an explicit block.
    let h100 = rpc(&node, "getblockhash", json!([100]));
    let old = rpc(&node, "getdeploymentinfo", json!([h100]));
    assert_eq!(old["height"], json!(100));
    assert_eq!(old["deployments"]["bip65"]["active"], json!(false));
    assert_eq!(
        old["deployments"]["testdummy"]["bip9"]["status"],
        json!("defined")
    );
    assert_eq!(
        rpc_err(&node, "getdeploymentinfo", json!(["00".repeat(32)])),
        (-5, "Block not found".into())
    );
    assert_eq!(
        rpc_err(&node, "getdeploymentinfo", json!(["xyz"])),
        (
            -8,
            "blockhash must be of length 64 (not 3, for 'xyz')".into()
        )
    );
    // -vbparams: a deployment that never activates is not listed.
    node.restart(&["-vbparams=testdummy:-2:0"]).unwrap();
    let d = rpc(&node, "getdeploymentinfo", json!([]))["deployments"].clone();
    assert!(d.get("testdummy").is_none(), "{d}");
    assert_eq!(d["bip65"]["height"], json!(1));
    stop_clean(&mut node);
}

#[test]
fn getblockstats_of_a_block_with_a_spend() {
    let mut node = start(options());
    rpc(&node, "setmocktime", json!([MOCKTIME]));
    let desc = p2wsh_descriptor(&node);
    rpc(&node, "generatetodescriptor", json!([60, desc]));
    // Spend the coinbase of height 2 (50 WCN) into two outputs, 10,000 sat fee.
    let b2 = rpc(&node, "getblockhash", json!([2]));
    let cb = rpc(&node, "getblock", json!([b2, 2]))["tx"][0].clone();
    let txid = cb["txid"].as_str().unwrap();
    let tx = spend_tx(txid, 0, &[3_000_000_000, 1_999_990_000]);
    let decoded = rpc(&node, "decoderawtransaction", json!([tx]));
    let hash = rpc(&node, "generateblock", json!([desc, [tx]]))["hash"].clone();
    let size = decoded["size"].as_i64().unwrap();
    let weight = decoded["weight"].as_i64().unwrap();
    let stats = rpc(&node, "getblockstats", json!([hash]));
    assert_eq!(stats, rpc(&node, "getblockstats", json!([61])));
    let feerate = 10_000 * 4 / weight;
    let expected = json!({
        "avgfee": 10_000,
        "avgfeerate": feerate,
        "avgtxsize": size,
        "blockhash": hash,
        "feerate_percentiles": [feerate, feerate, feerate, feerate, feerate],
        "height": 61,
        "ins": 1,
        "maxfee": 10_000,
        "maxfeerate": feerate,
        "maxtxsize": size,
        "medianfee": 10_000,
        "mediantime": stats["mediantime"],
        "mediantxsize": size,
        "minfee": 10_000,
        "minfeerate": feerate,
        "mintxsize": size,
        // Coinbase: payout and witness commitment; the spend: two outputs.
        "outs": 4,
        "subsidy": 5_000_000_000u64,
        "swtotal_size": size,
        "swtotal_weight": weight,
        "swtxs": 1,
        "time": stats["time"],
        "total_out": 4_999_990_000u64,
        "total_size": size,
        "total_weight": weight,
        "totalfee": 10_000,
        "txs": 2,
        "utxo_increase": 3,
        // Each P2WSH output: 8 + 1 + 34 bytes plus 41 of overhead; the
        // commitment (8 + 1 + 38 + 41) is not spendable.
        "utxo_size_inc": 3 * 84 + 88 - 84,
        "utxo_increase_actual": 2,
        "utxo_size_inc_actual": 3 * 84 - 84,
    });
    assert_eq!(stats, expected);
    assert_eq!(
        rpc(
            &node,
            "getblockstats",
            json!([61, ["txs", "minfee", "height"]])
        ),
        json!({"height": 61, "minfee": 10_000, "txs": 2})
    );
    // Genesis: nothing counts as a UTXO.
    let g = rpc(
        &node,
        "getblockstats",
        json!([0, ["utxo_increase_actual", "outs"]]),
    );
    assert_eq!(g, json!({"outs": 1, "utxo_increase_actual": 0}));
    for (params, code, msg) in [
        (json!([-1]), -8, "Target block height -1 is negative"),
        (
            json!([62]),
            -8,
            "Target block height 62 after current tip 61",
        ),
        (
            json!([61, ["nope"]]),
            -8,
            "Invalid selected statistic 'nope'",
        ),
        (json!(["00".repeat(32)]), -5, "Block not found"),
        (
            json!(["abc"]),
            -8,
            "hash_or_height must be of length 64 (not 3, for 'abc')",
        ),
        (
            json!([61, "txs"]),
            -3,
            "Wrong type passed:\n{\n    \"Position 2 (stats)\": \"JSON value of type string is not of expected type array\"\n}",
        ),
    ] {
        assert_eq!(
            rpc_err(&node, "getblockstats", params.clone()),
            (code, msg.to_string()),
            "{params}"
        );
    }
    // getchaintxstats over the same chain: 61 coinbases, one spend, genesis.
    let s = rpc(&node, "getchaintxstats", json!([10]));
    assert_eq!(s["txcount"], json!(63));
    assert_eq!(s["window_block_count"], json!(10));
    assert_eq!(s["window_tx_count"], json!(11));
    assert_eq!(s["window_final_block_height"], json!(61));
    assert_eq!(
        rpc_err(&node, "getchaintxstats", json!([61])),
        (
            -8,
            "Invalid block count: should be between 0 and the block's height - 1".into()
        )
    );
    stop_clean(&mut node);
}

#[test]
fn verifychain_submitheader_and_checkblocks_at_startup() {
    let mut node = start(options());
    rpc(&node, "generatetodescriptor", json!([30, OP_TRUE]));
    for level in 0..=4 {
        assert_eq!(
            rpc(&node, "verifychain", json!([level, 0])),
            Value::Bool(true)
        );
    }
    assert_eq!(rpc(&node, "verifychain", json!([])), Value::Bool(true));
    assert_eq!(height(&node), 30);

    // submitheader: a header of a block that is not submitted.
    let tip = rpc(&node, "getbestblockhash", json!([]));
    let block = rpc(&node, "generateblock", json!([OP_TRUE, [], false]))["hex"]
        .as_str()
        .unwrap()
        .to_string();
    let header = &block[..160];
    assert_eq!(rpc(&node, "submitheader", json!([header])), Value::Null);
    assert_eq!(rpc(&node, "getbestblockhash", json!([])), tip);
    let tips = rpc(&node, "getchaintips", json!([]));
    assert!(
        tips.as_array()
            .unwrap()
            .iter()
            .any(|t| t["status"] == json!("headers-only") && t["height"] == json!(31)),
        "{tips}"
    );
    assert_eq!(
        rpc_err(&node, "submitheader", json!(["00"])),
        (-22, "Block header decode failed".into())
    );
    let mut orphan = hex::decode(header).unwrap();
    orphan[4] ^= 1; // another parent
    let mut parent = orphan[4..36].to_vec();
    parent.reverse();
    assert_eq!(
        rpc_err(&node, "submitheader", json!([hex::encode(&orphan)])),
        (
            -25,
            format!(
                "Must submit previous header ({}) first",
                hex::encode(parent)
            )
        )
    );

    // -checkblocks/-checklevel at start-up: a sound chain passes every level.
    node.restart(&["-checklevel=4", "-checkblocks=0"]).unwrap();
    assert_eq!(height(&node), 30);
    assert!(node
        .debug_log()
        .contains("Verifying last 30 blocks at level 4"));
    // Damaged undo data of the tip is found at the default level.
    let tip_header = rpc(&node, "getblockheader", json!([tip]));
    assert_eq!(tip_header["height"], json!(30));
    stop_clean(&mut node);
    let rev = node.net_dir().join("blocks/rev00000.dat");
    let bytes = std::fs::read(&rev).unwrap();
    let used = bytes.iter().rposition(|b| *b != 0).unwrap();
    {
        let mut f = std::fs::OpenOptions::new().write(true).open(&rev).unwrap();
        f.seek(SeekFrom::Start(used as u64 - 40)).unwrap();
        f.write_all(&[0xa5; 8]).unwrap();
    }
    let err = node
        .restart(&[])
        .expect_err("a damaged chainstate must not start");
    assert!(
        err.to_string()
            .contains("Corrupted block database detected.\nPlease restart with -reindex or -reindex-chainstate to recover."),
        "{err}"
    );
    assert!(node
        .debug_log()
        .contains("Verification error: found bad undo data at 30"));
    assert_eq!(node.wait_exit().unwrap().code(), Some(1));
    // -checklevel=1 does not read undo data, so the node starts.
    node.restart(&["-checklevel=1"]).unwrap();
    assert_eq!(height(&node), 30);
    stop_clean(&mut node);
}
