//! Connecting a 200-block regtest chain, with the block index and UTXO set in step.

mod common;

use common::*;

#[test]
fn connects_200_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), options());
    assert_eq!(node.tip_height(), 0);
    assert_eq!(node.tip_hash(), regtest().genesis_hash());
    assert!(dir.path().join("blocks/blk00000.dat").exists());
    let hashes = node.mine(200);
    assert_eq!(node.tip_height(), 200);
    assert_eq!(node.cm.height(), 200);
    assert_eq!(node.cm.block_hash_at(200), Some(hashes[199]));
    assert_eq!(node.cm.block_hash_at(1), Some(hashes[0]));
    let b = node.cm.get_block(&hashes[100]).unwrap().unwrap();
    assert_eq!(b.block_hash(), hashes[100]);
    let tip = node.cm.tip().unwrap();
    assert_eq!(tip.chain_tx, 201);
    // One coinbase output per block (the genesis output and the commitments are not coins).
    let utxos = node.utxos();
    assert_eq!(utxos.len(), 200);
    let total: u64 = utxos.iter().map(|(_, c)| c.output.value.to_sat()).sum();
    let expected: u64 = (1..=200).map(subsidy).sum();
    assert_eq!(total, expected);
    assert_eq!(
        node.cm
            .get_coin(&node.coinbase_outpoint(7))
            .unwrap()
            .unwrap()
            .height,
        7
    );
    // A duplicate is not new.
    let again = node.cm.get_block(&hashes[199]).unwrap().unwrap();
    assert!(!node.submit(&again).unwrap());
    let tips = node.cm.chain_tips();
    assert_eq!(tips.len(), 1);
    assert_eq!(tips[0].status, "active");
}

#[test]
fn parallel_script_checks_connect_spends() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(
        dir.path(),
        widecoin_chainstate::ChainstateOptions {
            par: 2,
            ..options()
        },
    );
    node.mine(60);
    let txs: Vec<_> = (2..8)
        .map(|h| spend(&[node.coinbase_outpoint(h)], subsidy(h) - 1000))
        .collect();
    let b = node.next_block(txs, 6000);
    assert!(node.submit(&b).unwrap());
    assert_eq!(node.tip_hash(), b.block_hash());
}

#[test]
fn listeners_see_tip_changes() {
    use std::sync::{Arc, Mutex};
    #[derive(Default)]
    struct Recorder(Mutex<Vec<(u32, bool)>>);
    impl widecoin_chainstate::ValidationListener for Recorder {
        fn updated_block_tip(
            &self,
            tip: &widecoin_chainstate::BlockIndexEntry,
            _fork: Option<u32>,
            ibd: bool,
        ) {
            self.0.lock().unwrap().push((tip.height, ibd));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), options());
    let rec = Arc::new(Recorder::default());
    node.cm.add_listener(rec.clone());
    node.mine(3);
    let seen: Vec<u32> = rec.0.lock().unwrap().iter().map(|(h, _)| *h).collect();
    assert_eq!(seen, vec![1, 2, 3]);
    // Regtest block times are from 2011: still in initial block download.
    assert!(node
        .cm
        .is_initial_block_download(2_000_000_000, widecoin_chainstate::DEFAULT_MAX_TIP_AGE));
    assert!(!node.cm.is_initial_block_download(
        i64::from(node.cm.tip().unwrap().header.time),
        widecoin_chainstate::DEFAULT_MAX_TIP_AGE
    ));
}
