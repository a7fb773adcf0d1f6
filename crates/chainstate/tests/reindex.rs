//! `-reindex`, `-reindex-chainstate` and `-loadblock` reproduce the tip.

mod common;

use common::*;
use widecoin_chainstate::ChainstateOptions;

#[test]
fn reindex_reproduces_tip() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), options());
    node.mine(40);
    let fork = node.cm.block_hash_at(35).unwrap();
    node.tag = 2;
    node.mine_on(fork, 2); // a stale branch, stored too
    node.tag = 0;
    node.mine(2);
    let tip = node.tip_hash();
    let utxos = node.utxos();
    let index_len = node.cm.block_index().len();

    let mut node = node.reopen(ChainstateOptions {
        reindex: true,
        ..options()
    });
    assert!(node.cm.is_reindexing());
    node.cm.reindex().unwrap();
    assert!(!node.cm.is_reindexing());
    assert_eq!(node.tip_hash(), tip);
    assert_eq!(node.cm.block_index().len(), index_len);
    assert_eq!(node.utxos(), utxos);
    // New blocks go after the old ones, and survive a restart.
    node.mine(2);
    let tip = node.tip_hash();
    let node = node.reopen(options());
    assert_eq!(node.tip_hash(), tip);
    assert_eq!(node.tip_height(), 44);

    let mut node = node.reopen(ChainstateOptions {
        reindex_chainstate: true,
        ..options()
    });
    assert_eq!(node.tip_hash(), tip);
    let u = node.utxos();
    assert_eq!(u.len(), 44);
}

#[test]
fn loadblock_imports_a_foreign_file() {
    let src = tempfile::tempdir().unwrap();
    let mut node = Node::open(src.path(), options());
    node.mine(25);
    let tip = node.tip_hash();
    node.cm.flush().unwrap();
    let file = src.path().join("blocks/blk00000.dat");
    let dst = tempfile::tempdir().unwrap();
    let mut other = Node::open(dst.path(), options());
    let loaded = other.cm.load_external_block_file(&file).unwrap();
    assert_eq!(loaded, 25);
    assert_eq!(other.tip_hash(), tip);
    assert_eq!(other.utxos(), node.utxos());
}
