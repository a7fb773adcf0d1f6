//! Reopening: after a clean shutdown, and after a crash without a UTXO flush
//! (the chain is rolled forward from the coins' best block), including a
//! crash in the middle of a reorganisation.

mod common;

use common::*;
use widecoin_chainstate::ChainstateOptions;

#[test]
fn reopen_after_flush() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), options());
    node.mine(30);
    let tip = node.tip_hash();
    let utxos = node.utxos();
    node.cm.flush().unwrap();
    let mut node = node.reopen(options());
    assert_eq!(node.tip_hash(), tip);
    assert_eq!(node.utxos(), utxos);
    node.mine(3);
    assert_eq!(node.tip_height(), 33);
}

#[test]
fn crash_without_flush_rolls_forward() {
    let dir = tempfile::tempdir().unwrap();
    let reference_dir = tempfile::tempdir().unwrap();
    let mut reference = Node::open(reference_dir.path(), options());
    let mut node = Node::open(dir.path(), options());
    node.mine(55);
    let op = node.coinbase_outpoint(1);
    let b = node.next_block(vec![spend(&[op], subsidy(1) - 10)], 10);
    node.submit(&b).unwrap();
    node.mine(5);
    let tip = node.tip_hash();
    for h in 1..=61 {
        let hash = node.cm.block_hash_at(h).unwrap();
        reference
            .submit(&node.cm.get_block(&hash).unwrap().unwrap())
            .unwrap();
    }
    // Simulated kill -9: no flush; the coins database still says genesis.
    drop(node);
    let mut node = Node::open(dir.path(), options());
    assert_eq!(node.tip_hash(), tip);
    assert_eq!(node.utxos(), reference.utxos());
}

#[test]
fn crash_after_partial_flushes_and_reorg() {
    let dir = tempfile::tempdir().unwrap();
    // A tiny cache: the UTXO set is flushed after almost every block.
    let small = ChainstateOptions {
        dbcache: 1,
        ..options()
    };
    let mut node = Node::open(dir.path(), small.clone());
    node.mine(20);
    let fork = node.cm.block_hash_at(15).unwrap();
    // Flushed at the old tip, then reorganised without a flush of the new one.
    let mut node = node.reopen(options());
    node.tag = 3;
    let b = node.mine_on(fork, 7);
    let tip = *b.last().unwrap();
    assert_eq!(node.tip_hash(), tip);
    let expected = {
        let d2 = tempfile::tempdir().unwrap();
        let mut n2 = Node::open(d2.path(), options());
        for h in 1..=22 {
            let hash = node.cm.block_hash_at(h).unwrap();
            n2.submit(&node.cm.get_block(&hash).unwrap().unwrap())
                .unwrap();
        }
        n2.utxos()
    };
    drop(node);
    let mut node = Node::open(dir.path(), small);
    assert_eq!(node.tip_hash(), tip);
    assert_eq!(node.utxos(), expected);
}
