//! `getblocktemplate` (BIP22/23) end to end: a template with a mempool
//! transaction, a block built from it by hand and checked in proposal mode,
//! submitted with `submitblock`; BIP22 reject reasons; long polling;
//! `prioritisetransaction` moving a transaction out of the template.

mod common;

use bitcoin::block::{Header, Version};
use bitcoin::consensus::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::{
    absolute, transaction, Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence,
    Transaction, TxIn, TxMerkleNode, TxOut, Witness,
};
use common::*;
use serde_json::{json, Value};
use widecoin_test_utils::TestNode;

/// P2WSH(OP_TRUE), spent with the witness `[0x51]`.
const P2WSH_OP_TRUE: &str = "00204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc33260";
const COIN: u64 = 100_000_000;

fn descriptor(node: &TestNode) -> String {
    let desc = format!("raw({P2WSH_OP_TRUE})");
    let info = rpc(node, "getdescriptorinfo", json!([desc]));
    format!("{desc}#{}", info["checksum"].as_str().unwrap())
}

fn gbt(node: &TestNode) -> Value {
    rpc(node, "getblocktemplate", json!([{"rules": ["segwit"]}]))
}

/// A transaction spending `txid:vout` (P2WSH(OP_TRUE)) to one such output.
fn spend(txid: &str, vout: u32, value: u64) -> Transaction {
    Transaction {
        version: transaction::Version(2),
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(txid.parse().unwrap(), vout),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::from_slice(&[[0x51u8]]),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(value),
            script_pubkey: ScriptBuf::from_bytes(hex::decode(P2WSH_OP_TRUE).unwrap()),
        }],
    }
}

fn coinbase_of(node: &TestNode, height: u32) -> (String, u64) {
    let hash = rpc(node, "getblockhash", json!([height]));
    let block = rpc(node, "getblock", json!([hash, 2]));
    let cb = &block["tx"][0];
    let value = (cb["vout"][0]["value"].as_f64().unwrap() * COIN as f64).round() as u64;
    (cb["txid"].as_str().unwrap().to_owned(), value)
}

/// The block a miner makes from `tmpl`: a coinbase with the BIP34 height
/// paying `coinbasevalue` to OP_TRUE plus the default witness commitment,
/// then the template's transactions.
fn block_from(tmpl: &Value) -> Block {
    let height = tmpl["height"].as_u64().unwrap();
    let mut script_sig = bitcoin::script::Builder::new()
        .push_int(height as i64)
        .into_script()
        .into_bytes();
    script_sig.push(0x00);
    let mut outputs = vec![TxOut {
        value: Amount::from_sat(tmpl["coinbasevalue"].as_u64().unwrap()),
        script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
    }];
    if let Some(c) = tmpl["default_witness_commitment"].as_str() {
        outputs.push(TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(hex::decode(c).unwrap()),
        });
    }
    let coinbase = Transaction {
        version: transaction::Version(2),
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(script_sig),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[[0u8; 32]]),
        }],
        output: outputs,
    };
    let mut txdata = vec![coinbase];
    for t in tmpl["transactions"].as_array().unwrap() {
        txdata.push(deserialize(&hex::decode(t["data"].as_str().unwrap()).unwrap()).unwrap());
    }
    let mut block = Block {
        header: Header {
            version: Version::from_consensus(tmpl["version"].as_i64().unwrap() as i32),
            prev_blockhash: tmpl["previousblockhash"].as_str().unwrap().parse().unwrap(),
            merkle_root: TxMerkleNode::all_zeros(),
            time: tmpl["curtime"].as_u64().unwrap() as u32,
            bits: CompactTarget::from_consensus(
                u32::from_str_radix(tmpl["bits"].as_str().unwrap(), 16).unwrap(),
            ),
            nonce: 0,
        },
        txdata,
    };
    block.header.merkle_root = block.compute_merkle_root().unwrap();
    block
}

fn solve(block: &mut Block) {
    let target = block.header.target();
    while !target.is_met_by(block.header.block_hash()) {
        block.header.nonce += 1;
    }
}

fn proposal(node: &TestNode, block: &Block) -> Value {
    rpc(
        node,
        "getblocktemplate",
        json!([{"mode": "proposal", "rules": ["segwit"], "data": hex::encode(serialize(block))}]),
    )
}

#[test]
fn template_proposal_and_submission() {
    let node = start(options().arg("-rpcdoccheck"));
    let desc = descriptor(&node);
    rpc(&node, "generatetodescriptor", json!([110, desc]));

    let (code, msg) = rpc_err(&node, "getblocktemplate", json!([{}]));
    assert_eq!(code, -8);
    assert_eq!(msg, "getblocktemplate must be called with the segwit rule set (call with {\"rules\": [\"segwit\"]})");
    let (code, msg) = rpc_err(
        &node,
        "getblocktemplate",
        json!([{"mode": "x", "rules": ["segwit"]}]),
    );
    assert_eq!((code, msg.as_str()), (-8, "Invalid mode"));

    // A transaction in the pool appears in the template with its fee.
    let (cb, value) = coinbase_of(&node, 2);
    let tx = spend(&cb, 0, value - 10_000);
    let txid = rpc(
        &node,
        "sendrawtransaction",
        json!([hex::encode(serialize(&tx))]),
    );
    let tmpl = gbt(&node);
    assert_eq!(tmpl["capabilities"], json!(["proposal"]));
    assert_eq!(
        tmpl["previousblockhash"],
        rpc(&node, "getbestblockhash", json!([]))
    );
    assert_eq!(tmpl["height"], 111);
    assert_eq!(
        tmpl["mutable"],
        json!(["time", "transactions", "prevblock"])
    );
    assert_eq!(tmpl["noncerange"], "00000000ffffffff");
    assert!(tmpl["rules"].as_array().unwrap().contains(&json!("csv")));
    assert_eq!(tmpl["vbrequired"], 0);
    let txs = tmpl["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 1);
    assert_eq!(txs[0]["txid"], txid);
    assert_eq!(txs[0]["fee"], 10_000);
    assert_eq!(txs[0]["depends"], json!([]));
    assert_eq!(txs[0]["weight"], tx.weight().to_wu());
    let subsidy = 50 * COIN; // the first halving is at 150 on regtest
    assert_eq!(tmpl["coinbasevalue"], subsidy + 10_000);
    assert!(tmpl["longpollid"]
        .as_str()
        .unwrap()
        .starts_with(tmpl["previousblockhash"].as_str().unwrap()));

    // The block a miner builds passes as a proposal, and is accepted.
    let mut block = block_from(&tmpl);
    assert_eq!(proposal(&node, &block), Value::Null);
    let mut bad = block.clone();
    bad.header.merkle_root = TxMerkleNode::all_zeros();
    assert_eq!(proposal(&node, &bad), "bad-txnmrklroot");
    let mut bad = block.clone();
    bad.header.prev_blockhash = BlockHash::all_zeros();
    assert_eq!(proposal(&node, &bad), "inconclusive-not-best-prevblk");
    // Paying more than subsidy plus fees fails the connect checks.
    let mut bad = block.clone();
    bad.txdata[0].output[0].value = Amount::from_sat(subsidy + 10_001);
    bad.header.merkle_root = bad.compute_merkle_root().unwrap();
    assert_eq!(proposal(&node, &bad), "bad-cb-amount");
    // A script that fails: scripts are checked too.
    let mut bad = block.clone();
    bad.txdata[1].input[0].witness = Witness::from_slice(&[[0x00u8]]);
    let commitment_fixed = {
        let witness_root = bad.witness_root().unwrap();
        let c = Block::compute_witness_commitment(&witness_root, &[0u8; 32]);
        let mut script = vec![0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];
        script.extend_from_slice(c.as_byte_array());
        script
    };
    bad.txdata[0].output[1].script_pubkey = ScriptBuf::from_bytes(commitment_fixed);
    bad.header.merkle_root = bad.compute_merkle_root().unwrap();
    // Core's reason depends on whether script-check threads run (-par).
    let reason = proposal(&node, &bad);
    assert!(
        reason == "block-validation-failed"
            || reason == "mandatory-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element)",
        "{reason}"
    );
    // A proposal that does not decode is an error, not a reason.
    let (code, msg) = rpc_err(
        &node,
        "getblocktemplate",
        json!([{"mode": "proposal", "rules": ["segwit"], "data": "00"}]),
    );
    assert_eq!((code, msg.as_str()), (-22, "Block decode failed"));

    solve(&mut block);
    let raw = hex::encode(serialize(&block));
    assert_eq!(rpc(&node, "submitblock", json!([raw])), Value::Null);
    assert_eq!(rpc(&node, "submitblock", json!([raw])), "duplicate");
    assert_eq!(proposal(&node, &block), "duplicate");
    assert_eq!(
        rpc(&node, "getbestblockhash", json!([])),
        json!(block.block_hash().to_string())
    );
    assert_eq!(rpc(&node, "getrawmempool", json!([])), json!([]));
    // The template moved on.
    assert_eq!(gbt(&node)["height"], 112);
}

#[test]
fn long_poll_returns_when_the_tip_changes() {
    let node = start(options().arg("-rpcdoccheck"));
    let desc = descriptor(&node);
    rpc(&node, "generatetodescriptor", json!([1, desc]));
    let tmpl = gbt(&node);
    let lpid = tmpl["longpollid"].as_str().unwrap().to_owned();
    let url_node = &node;
    std::thread::scope(|s| {
        let waiter = s.spawn(move || {
            rpc(
                url_node,
                "getblocktemplate",
                json!([{"rules": ["segwit"], "longpollid": lpid}]),
            )
        });
        // The call waits for a new tip (or a minute of mempool changes).
        rpc(url_node, "generatetodescriptor", json!([1, desc]));
        let after = waiter.join().unwrap();
        assert_eq!(after["height"], 3);
        assert_ne!(after["previousblockhash"], tmpl["previousblockhash"]);
    });
}

#[test]
fn prioritisation_moves_transactions_in_and_out() {
    let node = start(
        options()
            .arg("-minrelaytxfee=0")
            .arg("-blockmintxfee=0.00001"),
    );
    let desc = descriptor(&node);
    rpc(&node, "generatetodescriptor", json!([60, desc]));
    let (cb, value) = coinbase_of(&node, 2);
    // 1 sat/vB: just at -blockmintxfee.
    let tx = spend(&cb, 0, value - 96);
    assert_eq!(tx.vsize(), 96);
    let txid = rpc(
        &node,
        "sendrawtransaction",
        json!([hex::encode(serialize(&tx))]),
    );
    let ids = |t: &Value| -> Vec<Value> {
        t["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["txid"].clone())
            .collect()
    };
    assert_eq!(ids(&gbt(&node)), vec![txid.clone()]);
    assert_eq!(
        rpc(&node, "prioritisetransaction", json!([txid, 0, -1])),
        true
    );
    assert_eq!(
        rpc(&node, "getprioritisedtransactions", json!([])),
        json!({txid.as_str().unwrap(): {"fee_delta": -1, "in_mempool": true}})
    );
    // A new block makes the template anew; the transaction stays out of it.
    rpc(&node, "generatetodescriptor", json!([1, desc]));
    assert_eq!(ids(&gbt(&node)), Vec::<Value>::new());
    let (code, msg) = rpc_err(&node, "prioritisetransaction", json!([txid, 1, 0]));
    assert_eq!(
        (code, msg.as_str()),
        (
            -8,
            "Priority is no longer supported, dummy argument to prioritisetransaction must be 0."
        )
    );
    rpc(&node, "prioritisetransaction", json!([txid, 0, 1]));
    // A prioritisation counts as a mempool change: more than five seconds on,
    // the template is made anew and has the transaction again.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    rpc(&node, "setmocktime", json!([now + 10]));
    assert_eq!(ids(&gbt(&node)), vec![txid.clone()]);
    rpc(&node, "generatetodescriptor", json!([1, desc]));
    assert_eq!(rpc(&node, "getrawmempool", json!([])), json!([]));
}

#[test]
fn fee_estimation_without_data_and_its_file() {
    let mut node = start(options().arg("-rpcdoccheck"));
    let e = rpc(&node, "estimatesmartfee", json!([6]));
    assert_eq!(
        e,
        json!({"errors": ["Insufficient data or no feerate found"], "blocks": 0})
    );
    let (code, msg) = rpc_err(&node, "estimatesmartfee", json!([0]));
    assert_eq!(
        (code, msg.as_str()),
        (-8, "Invalid conf_target, must be between 1 and 1008")
    );
    let (code, msg) = rpc_err(&node, "estimatesmartfee", json!([2, "cheap"]));
    assert_eq!(code, -8);
    assert_eq!(msg, "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\"");
    let raw = rpc(&node, "estimaterawfee", json!([13]));
    // The short horizon tracks 12 blocks at most.
    assert!(raw.get("short").is_none());
    assert_eq!(raw["medium"]["decay"], json!(0.9952));
    assert_eq!(raw["medium"]["scale"], 2);
    assert_eq!(raw["long"]["scale"], 24);
    assert_eq!(
        raw["medium"]["errors"],
        json!(["Insufficient data or no feerate found which meets threshold"])
    );
    let (code, msg) = rpc_err(&node, "estimaterawfee", json!([2, 1.5]));
    assert_eq!((code, msg.as_str()), (-8, "Invalid threshold"));
    // Written at shutdown, in Core's format.
    let path = node.net_dir().join("fee_estimates.dat");
    assert!(!path.exists());
    stop_clean(&mut node);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..4], &149_900i32.to_le_bytes());
    assert_eq!(&bytes[4..8], &60_000i32.to_le_bytes());
}

/// Not a test: measures `getblocktemplate` with a mempool of independent
/// spends (run with `--ignored --nocapture`; numbers in docs/benchmarks.md).
#[test]
#[ignore]
fn bench_template_with_a_full_mempool() {
    const N: usize = 2000;
    let node = start(options().arg("-rpcdoccheck"));
    let desc = descriptor(&node);
    rpc(&node, "generatetodescriptor", json!([51, desc]));
    // Fan the premine out to N outputs.
    let (premine, value) = coinbase_of(&node, 1);
    let mut fan = spend(&premine, 0, 0);
    let each = 1000 * COIN;
    let spk = fan.output[0].script_pubkey.clone();
    fan.output = (0..N)
        .map(|_| TxOut {
            value: Amount::from_sat(each),
            script_pubkey: spk.clone(),
        })
        .collect();
    fan.output.push(TxOut {
        value: Amount::from_sat(value - each * N as u64 - COIN / 100),
        script_pubkey: spk,
    });
    let fan_txid = rpc(
        &node,
        "sendrawtransaction",
        json!([hex::encode(serialize(&fan))]),
    );
    rpc(&node, "generatetodescriptor", json!([1, desc]));
    let fan_txid = fan_txid.as_str().unwrap().to_owned();
    let start = std::time::Instant::now();
    for i in 0..N {
        // Fee rates vary so the selection has work to do.
        let fee = 200 + (i as u64 * 7919) % 5000;
        let tx = spend(&fan_txid, i as u32, each - fee);
        rpc(
            &node,
            "sendrawtransaction",
            json!([hex::encode(serialize(&tx))]),
        );
    }
    let accept = start.elapsed();
    let info = rpc(&node, "getmempoolinfo", json!([]));
    assert_eq!(info["size"], N);
    let mut times = Vec::new();
    for _ in 0..5 {
        // A new block each round makes the template anew.
        let t = std::time::Instant::now();
        let tmpl = gbt(&node);
        times.push(t.elapsed());
        assert_eq!(tmpl["transactions"].as_array().unwrap().len(), N);
        // An empty block moves the tip (the transactions stay in the pool),
        // so the next call makes a new template.
        rpc(&node, "generateblock", json!([desc, []]));
    }
    times.sort();
    println!(
        "{N} sendrawtransaction calls: {:.2} s ({:.0} tx/s); getblocktemplate with {N} transactions: median {:.1} ms, min {:.1} ms",
        accept.as_secs_f64(),
        N as f64 / accept.as_secs_f64(),
        times[2].as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0
    );
}
