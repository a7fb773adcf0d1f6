//! The optional indexes and pruning on a real node: `-txindex` with
//! `getrawtransaction`, `-blockfilterindex` with `getblockfilter`,
//! `-coinstatsindex` with `gettxoutsetinfo` (also across a reorganisation),
//! `getindexinfo`, and `-prune` with `pruneblockchain`.

mod common;

use std::path::Path;

use bitcoin::bip158::BlockFilter;
use bitcoin::BlockHash;
use common::*;
use serde_json::{json, Value};
use widecoin_test_utils::{poll_until, run_to_exit, TestNode, DEADLINE};

const OP_TRUE: &str = "raw(51)#8lvh9jxk";

/// Waits until every running index reports synced at the tip.
fn wait_indexes_synced(node: &TestNode) {
    let ok = poll_until(DEADLINE, || {
        let height = rpc(node, "getblockcount", json!([]));
        let info = rpc(node, "getindexinfo", json!([]));
        let map = info.as_object().unwrap();
        !map.is_empty()
            && map
                .values()
                .all(|i| i["synced"] == json!(true) && i["best_block_height"] == height)
    });
    assert!(
        ok,
        "indexes did not sync: {}",
        rpc(node, "getindexinfo", json!([]))
    );
}

fn init_error(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec![
        "-regtest".to_string(),
        format!("-datadir={}", dir.path().display()),
    ];
    all.extend(args.iter().map(|s| s.to_string()));
    let out = run_to_exit(Path::new(WIDECOIND), &all, None);
    assert_eq!(out.code, 1, "stdout: {} stderr: {}", out.stdout, out.stderr);
    out.stderr
}

#[test]
fn txindex_finds_confirmed_transactions() {
    let mut node = start(options());
    rpc(&node, "generatetodescriptor", json!([101, OP_TRUE]));
    let hash1 = rpc(&node, "getblockhash", json!([1]));
    let txid = rpc(&node, "getblock", json!([hash1]))["tx"][0].clone();
    assert_eq!(rpc(&node, "getindexinfo", json!([])), json!({}));
    assert_eq!(
        rpc_err(&node, "getrawtransaction", json!([txid])),
        (-5, "No such mempool transaction. Use -txindex or provide a block hash to enable blockchain transaction queries. Use gettransaction for wallet transactions.".to_string())
    );

    node.restart(&["-txindex"]).unwrap();
    wait_indexes_synced(&node);
    assert_eq!(
        rpc(&node, "getindexinfo", json!(["txindex"])),
        json!({"txindex": {"synced": true, "best_block_height": 101}})
    );
    let raw = rpc(&node, "getrawtransaction", json!([txid]));
    assert_eq!(
        raw,
        rpc(&node, "getrawtransaction", json!([txid, 0, hash1]))
    );
    let verbose = rpc(&node, "getrawtransaction", json!([txid, 1]));
    assert_eq!(verbose["blockhash"], hash1);
    assert_eq!(verbose["confirmations"], json!(101));
    assert_eq!(verbose["txid"], txid);
    assert!(verbose.get("in_active_chain").is_none());
    assert_eq!(
        rpc_err(&node, "getrawtransaction", json!(["11".repeat(32)])),
        (-5, "No such mempool or blockchain transaction. Use gettransaction for wallet transactions.".to_string())
    );
    // New blocks are followed.
    let new = rpc(&node, "generatetodescriptor", json!([1, OP_TRUE]));
    let new_tx = rpc(&node, "getblock", json!([new[0]]))["tx"][0].clone();
    assert_eq!(
        rpc(&node, "getrawtransaction", json!([new_tx, 1]))["blockhash"],
        new[0]
    );
    stop_clean(&mut node);
    let log = node.debug_log();
    assert!(log.contains("txindex thread start"), "{log}");
    assert!(log.contains("txindex is enabled at height 101"), "{log}");
    assert!(log.contains("txindex thread exit"), "{log}");

    // -reindex rebuilds the index from scratch.
    node.restart(&["-txindex", "-reindex"]).unwrap();
    wait_indexes_synced(&node);
    assert_eq!(rpc(&node, "getrawtransaction", json!([txid])), raw);
    stop_clean(&mut node);
    // Synced from genesis twice: once at first, once after the wipe.
    let syncs = node
        .debug_log()
        .matches("Syncing txindex with block chain from height 0")
        .count();
    assert_eq!(syncs, 2);
}

#[test]
fn blockfilter_of_a_block_matches_its_output_script() {
    let mut node = start(options());
    assert_eq!(
        rpc_err(&node, "getblockfilter", json!([REGTEST_GENESIS])),
        (-1, "Index is not enabled for filtertype basic".to_string())
    );
    node.restart(&["-blockfilterindex"]).unwrap();
    // A P2WSH-shaped output script only this block pays to.
    let script = format!("0020{}", "ab".repeat(32));
    let info = rpc(
        &node,
        "getdescriptorinfo",
        json!([format!("raw({script})")]),
    );
    let desc = format!("raw({script})#{}", info["checksum"].as_str().unwrap());
    let hashes = rpc(&node, "generatetodescriptor", json!([3, desc]));
    rpc(&node, "generatetodescriptor", json!([2, OP_TRUE]));
    wait_indexes_synced(&node);

    let check = |hash: &Value, expect: bool| {
        let answer = rpc(&node, "getblockfilter", json!([hash]));
        let filter = BlockFilter::new(&hex::decode(answer["filter"].as_str().unwrap()).unwrap());
        let block_hash: BlockHash = hash.as_str().unwrap().parse().unwrap();
        let script = hex::decode(&script).unwrap();
        assert_eq!(
            filter
                .match_any(&block_hash, std::iter::once(script.as_slice()))
                .unwrap(),
            expect
        );
        answer
    };
    let second = check(&hashes[1], true);
    let first = check(&hashes[0], true);
    let tip = rpc(&node, "getbestblockhash", json!([]));
    check(&tip, false);
    // BIP157 filter headers chain: header = dSHA256(filter hash || previous header).
    let filter = BlockFilter::new(&hex::decode(second["filter"].as_str().unwrap()).unwrap());
    let prev: bitcoin::bip158::FilterHeader = first["header"].as_str().unwrap().parse().unwrap();
    assert_eq!(filter.filter_header(&prev).to_string(), second["header"]);

    assert_eq!(
        rpc_err(&node, "getblockfilter", json!([tip, "extended"])),
        (-5, "Unknown filtertype".to_string())
    );
    assert_eq!(
        rpc_err(&node, "getblockfilter", json!(["00".repeat(32)])),
        (-5, "Block not found".to_string())
    );
    assert_eq!(
        rpc(&node, "getindexinfo", json!([]))["basic block filter index"]["best_block_height"],
        json!(5)
    );
    stop_clean(&mut node);
}

/// gettxoutsetinfo muhash through the index and by scanning the set.
fn assert_index_matches_scan(node: &TestNode) {
    let indexed = rpc(node, "gettxoutsetinfo", json!(["muhash"]));
    let scanned = rpc(node, "gettxoutsetinfo", json!(["muhash", null, false]));
    assert!(indexed.get("block_info").is_some(), "{indexed}");
    assert!(scanned.get("block_info").is_none(), "{scanned}");
    for key in [
        "height",
        "bestblock",
        "txouts",
        "bogosize",
        "muhash",
        "total_amount",
    ] {
        assert_eq!(indexed[key], scanned[key], "{key}: {indexed} vs {scanned}");
    }
}

#[test]
fn coinstatsindex_matches_a_scan_and_follows_a_reorg() {
    let mut node = start(options().arg("-coinstatsindex"));
    rpc(&node, "generatetodescriptor", json!([110, OP_TRUE]));
    wait_indexes_synced(&node);
    assert_index_matches_scan(&node);

    // At a height: the block's own amounts.
    let at = rpc(&node, "gettxoutsetinfo", json!(["none", 1]));
    assert_eq!(at["height"], json!(1));
    assert_eq!(at["block_info"]["coinbase"].to_string(), "3500000.00000000");
    let genesis = rpc(&node, "gettxoutsetinfo", json!(["none", REGTEST_GENESIS]));
    assert_eq!(genesis["txouts"], json!(0));
    assert_eq!(
        rpc_err(&node, "gettxoutsetinfo", json!(["hash_serialized_3", 5])),
        (
            -8,
            "hash_serialized_3 hash type cannot be queried for a specific block".to_string()
        )
    );
    assert_eq!(
        rpc_err(&node, "gettxoutsetinfo", json!(["muhash", 5, false])),
        (
            -8,
            "Cannot set use_index to false when querying for a specific block".to_string()
        )
    );
    assert_eq!(
        rpc_err(&node, "gettxoutsetinfo", json!(["muhash", 111])),
        (
            -8,
            "Target block height 111 after current tip 110".to_string()
        )
    );

    // A reorganisation: the last 3 blocks are replaced by 5 others.
    let old_108 = rpc(&node, "getblockhash", json!([108]));
    let old_stats = rpc(&node, "gettxoutsetinfo", json!(["muhash", old_108]));
    rpc(&node, "invalidateblock", json!([old_108]));
    let info = rpc(&node, "getdescriptorinfo", json!(["raw(52)"]));
    let other = format!("raw(52)#{}", info["checksum"].as_str().unwrap());
    rpc(&node, "generatetodescriptor", json!([5, other]));
    assert_eq!(rpc(&node, "getblockcount", json!([])), json!(112));
    wait_indexes_synced(&node);
    assert_index_matches_scan(&node);
    let new_108 = rpc(&node, "getblockhash", json!([108]));
    assert_ne!(new_108, old_108);
    let new_stats = rpc(&node, "gettxoutsetinfo", json!(["muhash", 108]));
    assert_ne!(new_stats["muhash"], old_stats["muhash"]);
    // The stale block's statistics stay queryable by hash, as in Core.
    assert_eq!(
        rpc(&node, "gettxoutsetinfo", json!(["muhash", old_108])),
        old_stats
    );

    // After a restart the index resumes at its best block.
    node.restart(&["-coinstatsindex"]).unwrap();
    wait_indexes_synced(&node);
    assert_index_matches_scan(&node);
    stop_clean(&mut node);
    let log = node.debug_log();
    assert!(
        log.contains("coinstatsindex is enabled at height 112"),
        "{log}"
    );
}

#[test]
fn prune_options_are_checked_like_core() {
    assert!(init_error(&["-prune=1", "-txindex"])
        .contains("Error: Prune mode is incompatible with -txindex."));
    assert!(init_error(&["-prune=549"]).contains(
        "Error: Prune configured below the minimum of 550 MiB.  Please use a higher number."
    ));
    assert!(init_error(&["-blockfilterindex=extended"])
        .contains("Error: Unknown -blockfilterindex value extended."));
}

#[test]
fn pruneblockchain_deletes_whole_block_files() {
    let mut node = start(options());
    assert_eq!(
        rpc_err(&node, "pruneblockchain", json!([10])),
        (
            -1,
            "Cannot prune blocks because node is not in prune mode.".to_string()
        )
    );
    let info = rpc(&node, "getblockchaininfo", json!([]));
    assert_eq!(info["pruned"], json!(false));
    assert!(info.get("pruneheight").is_none());

    node.restart(&["-prune=1", "-fastprune"]).unwrap();
    let net = rpc(&node, "getnetworkinfo", json!([]));
    let names: Vec<&str> = net["localservicesnames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"NETWORK_LIMITED") && !names.contains(&"NETWORK"),
        "{names:?}"
    );
    assert_eq!(
        rpc_err(&node, "pruneblockchain", json!([10])),
        (-1, "Blockchain is too short for pruning.".to_string())
    );
    // -fastprune files hold 64 KiB: several files for 700 blocks.
    for _ in 0..7 {
        rpc(&node, "generatetodescriptor", json!([100, OP_TRUE]));
    }
    let blocks = node.net_dir().join("blocks");
    assert!(blocks.join("blk00000.dat").exists());
    assert!(blocks.join("blk00001.dat").exists());
    assert_eq!(
        rpc_err(&node, "pruneblockchain", json!([701])),
        (
            -8,
            "Blockchain is shorter than the attempted prune height.".to_string()
        )
    );
    let info = rpc(&node, "getblockchaininfo", json!([]));
    assert_eq!(info["pruned"], json!(true));
    assert_eq!(info["pruneheight"], json!(0));
    assert_eq!(info["automatic_pruning"], json!(false));
    assert!(info.get("prune_target_size").is_none());

    // Asking for the tip keeps the last 288 blocks: only files wholly
    // below height 412 go, as pairs.
    let last = rpc(&node, "pruneblockchain", json!([700]))
        .as_i64()
        .unwrap();
    assert!(!blocks.join("blk00000.dat").exists());
    assert!(!blocks.join("rev00000.dat").exists());
    assert!(last > 0 && last < 412, "{last}");
    let info = rpc(&node, "getblockchaininfo", json!([]));
    assert_eq!(info["pruneheight"], json!(last + 1));
    // The first stored block is readable, the one below it is not stored.
    rpc(
        &node,
        "getblock",
        json!([rpc(&node, "getblockhash", json!([last + 1]))]),
    );
    let pruned = rpc(&node, "getblockhash", json!([last]));
    assert_eq!(
        rpc_err(&node, "getblock", json!([pruned.clone()])),
        (-1, "Block not available (pruned data)".to_string())
    );
    assert_eq!(
        rpc_err(&node, "getblockstats", json!([pruned])),
        (-1, "Block not available (pruned data)".to_string())
    );
    // Pruning again changes nothing.
    assert_eq!(rpc(&node, "pruneblockchain", json!([700])), json!(last));
    stop_clean(&mut node);
    assert!(node
        .debug_log()
        .contains("Prune (Manual): prune_height=412"));

    // A restart keeps the pruned state.
    node.restart(&["-prune=1", "-fastprune"]).unwrap();
    assert_eq!(rpc(&node, "getblockcount", json!([])), json!(700));
    assert_eq!(
        rpc(&node, "getblockchaininfo", json!([]))["pruneheight"],
        json!(last + 1)
    );
    rpc(&node, "generatetodescriptor", json!([1, OP_TRUE]));

    // Automatic pruning reports its target in bytes.
    node.restart(&["-prune=550", "-fastprune"]).unwrap();
    let info = rpc(&node, "getblockchaininfo", json!([]));
    assert_eq!(info["automatic_pruning"], json!(true));
    assert_eq!(info["prune_target_size"], json!(550u64 * 1024 * 1024));
    stop_clean(&mut node);
    assert!(node
        .debug_log()
        .contains("Prune configured to target 550 MiB on disk for block and undo files."));
}
