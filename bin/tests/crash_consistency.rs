//! Crash consistency (issue 3): a node killed with SIGKILL while it connects
//! and flushes blocks comes back by itself with exactly the UTXO set of an
//! uninterrupted run at its height, and without losing any block that
//! `submitblock` had reported as accepted.
//!
//! A reference node builds a regtest chain with real spends (P2WSH OP_TRUE
//! coins fanned out and spent again) and records `hash_serialized_3` after
//! every block. A second node receives the same blocks through a
//! `submitblock` burst while another client forces UTXO flushes
//! (`gettxoutsetinfo`), and is killed at several instants of that burst.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};
use widecoin_test_utils::TestNode;

const MOCKTIME: i64 = 1_700_000_000;
/// sha256(OP_TRUE): the witness program of the P2WSH OP_TRUE output.
const OP_TRUE_PROGRAM: &str = "4ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc33260";
/// Blocks mined before the spends start (coinbase maturity is 50).
const PREFIX: u32 = 60;
/// Blocks with spends after that.
const SPEND_BLOCKS: u32 = 60;
const FANOUT: usize = 12;

fn p2wsh_op_true_script() -> String {
    format!("0020{OP_TRUE_PROGRAM}")
}

fn compact_size(n: usize) -> String {
    assert!(n < 0xfd);
    format!("{n:02x}")
}

fn le_hex(v: u64, bytes: usize) -> String {
    hex::encode(&v.to_le_bytes()[..bytes])
}

/// A txid as shown by the RPCs, in serialization (little-endian) order.
fn txid_le(txid: &str) -> String {
    let mut b = hex::decode(txid).unwrap();
    b.reverse();
    hex::encode(b)
}

/// A version-2 segwit transaction spending P2WSH OP_TRUE outpoints (the
/// witness is the script itself) into `outputs` P2WSH OP_TRUE outputs.
fn spend_tx(inputs: &[(String, u32)], outputs: &[u64]) -> String {
    let mut tx = String::from("02000000"); // version
    tx += "0001"; // segwit marker and flag
    tx += &compact_size(inputs.len());
    for (txid, vout) in inputs {
        tx += &txid_le(txid);
        tx += &le_hex(u64::from(*vout), 4);
        tx += "00"; // empty scriptSig
        tx += "fdffffff";
    }
    tx += &compact_size(outputs.len());
    let spk = p2wsh_op_true_script();
    for value in outputs {
        tx += &le_hex(*value, 8);
        tx += &compact_size(spk.len() / 2);
        tx += &spk;
    }
    for _ in inputs {
        tx += "01"; // one witness item: the script OP_TRUE
        tx += "0151";
    }
    tx += "00000000"; // lock time
    tx
}

fn descriptor(node: &TestNode) -> String {
    let desc = format!("raw({})", p2wsh_op_true_script());
    let info = rpc(node, "getdescriptorinfo", json!([desc]));
    format!("{desc}#{}", info["checksum"].as_str().unwrap())
}

fn utxo_hash(node: &TestNode) -> String {
    rpc(node, "gettxoutsetinfo", json!(["hash_serialized_3"]))["hash_serialized_3"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The reference chain: every block's hex and the UTXO hash after it
/// (index = height; index 0 is genesis).
struct Reference {
    blocks: Vec<String>,
    hashes: Vec<String>,
    utxo: Vec<String>,
}

fn build_reference() -> Reference {
    let mut node = start(options());
    rpc(&node, "setmocktime", json!([MOCKTIME]));
    let desc = descriptor(&node);
    let mut utxo = vec![utxo_hash(&node)];
    for _ in 0..PREFIX {
        rpc(&node, "generatetodescriptor", json!([1, desc]));
        utxo.push(utxo_hash(&node));
    }
    // Outputs of the previous block's fan-out, spent in the next block.
    let mut pending: Vec<(String, u32, u64)> = Vec::new();
    for round in 0..SPEND_BLOCKS {
        let mut txs = Vec::new();
        // Fan out the coinbase of height `round + 2` (50 WCN, mature).
        let cb_block = rpc(&node, "getblockhash", json!([round + 2]));
        let cb = rpc(&node, "getblock", json!([cb_block, 2]));
        let cb_tx = &cb["tx"][0];
        let cb_value = (cb_tx["vout"][0]["value"].as_f64().unwrap() * 1e8).round() as u64;
        let each = (cb_value - 10_000) / FANOUT as u64;
        let fan = spend_tx(
            &[(cb_tx["txid"].as_str().unwrap().to_string(), 0)],
            &[each; FANOUT],
        );
        txs.push(fan.clone());
        // Spend the previous fan-out three inputs at a time into two outputs.
        for chunk in pending.chunks(3) {
            let total: u64 = chunk.iter().map(|c| c.2).sum();
            let half = (total - 5_000) / 2;
            let inputs: Vec<(String, u32)> = chunk.iter().map(|c| (c.0.clone(), c.1)).collect();
            txs.push(spend_tx(&inputs, &[half, half]));
        }
        let fan_txid = rpc(&node, "decoderawtransaction", json!([fan]))["txid"]
            .as_str()
            .unwrap()
            .to_string();
        pending = (0..FANOUT as u32)
            .map(|n| (fan_txid.clone(), n, each))
            .collect();
        rpc(&node, "generateblock", json!([desc, txs]));
        utxo.push(utxo_hash(&node));
    }
    let height = PREFIX + SPEND_BLOCKS;
    assert_eq!(rpc(&node, "getblockcount", json!([])), json!(height));
    let mut blocks = vec![String::new()];
    let mut hashes = vec![rpc(&node, "getblockhash", json!([0]))
        .as_str()
        .unwrap()
        .to_string()];
    for h in 1..=height {
        let hash = rpc(&node, "getblockhash", json!([h]))
            .as_str()
            .unwrap()
            .to_string();
        blocks.push(
            rpc(&node, "getblock", json!([hash, 0]))
                .as_str()
                .unwrap()
                .to_string(),
        );
        hashes.push(hash);
    }
    // The spends are in the chain (fan-out plus the follow-up spends).
    let last = rpc(&node, "getblock", json!([hashes[height as usize], 1]));
    assert_eq!(last["tx"].as_array().unwrap().len(), 2 + FANOUT.div_ceil(3));
    stop_clean(&mut node);
    Reference {
        blocks,
        hashes,
        utxo,
    }
}

fn wait_until(what: &str, cond: impl FnMut() -> bool) {
    common::wait_until_with(
        what,
        Duration::from_secs(120),
        Duration::from_millis(2),
        cond,
    )
}

/// After a restart: all `accepted` blocks are on the active chain, and the
/// UTXO set is the reference one at the node's height. Returns the height.
fn check_consistent(node: &TestNode, reference: &Reference, accepted: &[u32]) -> u32 {
    let height = rpc(node, "getblockcount", json!([])).as_u64().unwrap() as u32;
    for &h in accepted {
        assert!(
            h <= height,
            "block {h} was accepted before the kill but the node restarted at {height}"
        );
        assert_eq!(
            rpc(node, "getblockhash", json!([h])),
            json!(reference.hashes[h as usize]),
            "block at height {h}"
        );
    }
    assert_eq!(
        rpc(node, "getbestblockhash", json!([])),
        json!(reference.hashes[height as usize])
    );
    assert_eq!(
        utxo_hash(node),
        reference.utxo[height as usize],
        "UTXO set at height {height} differs from the uninterrupted run"
    );
    height
}

#[test]
fn sigkill_during_block_connection_and_flush_restarts_consistent() {
    let reference = build_reference();
    let top = PREFIX + SPEND_BLOCKS;
    let mut node = start(options());
    let mut accepted_all: Vec<u32> = Vec::new();
    // Kill after this many more blocks were accepted in each burst: early,
    // during the plain prefix, and in the blocks with spends.
    let kill_after = [3usize, 17, 29, 11, 8, 5, 13, 2, 9];
    let mut height = check_consistent(&node, &reference, &accepted_all);
    for (n, &k) in kill_after.iter().enumerate() {
        let accepted = Mutex::new(Vec::new());
        let stop = AtomicBool::new(false);
        let start_height = height;
        let accepted_before = accepted_all.len();
        std::thread::scope(|s| {
            let node = &node;
            let accepted = &accepted;
            let stop = &stop;
            let reference = &reference;
            // The burst: each block as soon as the previous one is accepted.
            s.spawn(move || {
                for h in start_height + 1..=top {
                    match node.rpc("submitblock", json!([reference.blocks[h as usize]])) {
                        Ok(Value::Null) => accepted.lock().unwrap().push(h),
                        Ok(other) => panic!("block {h} refused: {other}"),
                        Err(_) => return, // killed
                    }
                }
            });
            // Flushes of the UTXO set racing with the connections.
            s.spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    if node.rpc("gettxoutsetinfo", json!(["none"])).is_err() {
                        return;
                    }
                }
            });
            wait_until("blocks to be accepted", || {
                accepted.lock().unwrap().len() >= k || (start_height + k as u32) > top
            });
            // Alternate between killing right after an accepted block and
            // a moment into the connection of the next one.
            if n % 2 == 1 {
                let seen = accepted.lock().unwrap().len();
                let t = Instant::now();
                wait_until("a little progress", || {
                    accepted.lock().unwrap().len() > seen || t.elapsed() > Duration::from_millis(3)
                });
            }
            node.signal(libc_sigkill()).expect("SIGKILL");
            stop.store(true, Ordering::SeqCst);
        });
        node.wait_exit().expect("the node exits after SIGKILL");
        // A killed node leaves its cookie behind; the harness must not
        // authenticate with it against the restarted node.
        let _ = std::fs::remove_file(node.net_dir().join(".cookie"));
        accepted_all.extend(accepted.into_inner().unwrap());
        let accepted_now = accepted_all.len() - accepted_before;
        node.spawn().expect("restart");
        height = check_consistent(&node, &reference, &accepted_all);
        eprintln!(
            "burst {n}: from height {start_height}, {} blocks accepted before SIGKILL, restarted at {height}",
            accepted_now
        );
        assert!(
            height >= start_height,
            "burst {n}: the node went back from {start_height} to {height}"
        );
    }
    // The rest of the chain, then a clean stop and restart keep the same set.
    for h in height + 1..=top {
        assert_eq!(
            rpc(&node, "submitblock", json!([reference.blocks[h as usize]])),
            Value::Null
        );
    }
    assert_eq!(check_consistent(&node, &reference, &accepted_all), top);
    stop_clean(&mut node);
    node.spawn().expect("restart");
    assert_eq!(check_consistent(&node, &reference, &accepted_all), top);
    assert_eq!(rpc(&node, "verifychain", json!([4, 0])), json!(true));
    stop_clean(&mut node);
}

fn libc_sigkill() -> i32 {
    9
}

/// The same with the node's own miner: `generatetodescriptor` bursts (under
/// mocktime, so the blocks are those of an uninterrupted run) killed at
/// several heights, comes back with the UTXO set of the uninterrupted run
/// at the height it restarts at, never below its height before the burst.
#[test]
fn sigkill_during_generate_restarts_consistent() {
    const BLOCKS: u32 = 150;
    let mut reference = start(options());
    rpc(&reference, "setmocktime", json!([MOCKTIME]));
    let desc = descriptor(&reference);
    let mut utxo = vec![utxo_hash(&reference)];
    let mut hashes = vec![rpc(&reference, "getbestblockhash", json!([]))];
    for _ in 0..BLOCKS {
        rpc(&reference, "generatetodescriptor", json!([1, desc]));
        utxo.push(utxo_hash(&reference));
        hashes.push(rpc(&reference, "getbestblockhash", json!([])));
    }
    stop_clean(&mut reference);

    let mut node = start(options());
    for (n, k) in [7u32, 31, 12, 40, 3].into_iter().enumerate() {
        rpc(&node, "setmocktime", json!([MOCKTIME]));
        let start_height = rpc(&node, "getblockcount", json!([])).as_u64().unwrap() as u32;
        let target = (start_height + k).min(BLOCKS);
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let node = &node;
            let stop = &stop;
            let desc = &desc;
            s.spawn(move || {
                let _ = node.rpc("generatetodescriptor", json!([BLOCKS - start_height, desc]));
            });
            s.spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    if node.rpc("gettxoutsetinfo", json!(["none"])).is_err() {
                        return;
                    }
                }
            });
            // The RPC holds the chain while it mines: follow its progress
            // in debug.log (one UpdateTip line per connected block).
            let needle = format!(" height={target} ");
            wait_until("the miner to reach the kill height", || {
                node.debug_log()
                    .lines()
                    .any(|l| l.contains("UpdateTip:") && l.contains(&needle))
            });
            node.signal(libc_sigkill()).expect("SIGKILL");
            stop.store(true, Ordering::SeqCst);
        });
        node.wait_exit().expect("the node exits after SIGKILL");
        // A killed node leaves its cookie behind; the harness must not
        // authenticate with it against the restarted node.
        let _ = std::fs::remove_file(node.net_dir().join(".cookie"));
        node.spawn().expect("restart");
        let height = rpc(&node, "getblockcount", json!([])).as_u64().unwrap() as u32;
        eprintln!("generate burst {n}: killed at or after height {target}, restarted at {height}");
        assert!(
            height >= start_height,
            "the node went back from {start_height} to {height}"
        );
        assert_eq!(
            rpc(&node, "getbestblockhash", json!([])),
            hashes[height as usize]
        );
        assert_eq!(
            utxo_hash(&node),
            utxo[height as usize],
            "UTXO set at height {height} differs from the uninterrupted run"
        );
        if height == BLOCKS {
            break;
        }
    }
    stop_clean(&mut node);
}
