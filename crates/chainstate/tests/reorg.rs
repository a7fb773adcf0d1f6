//! Reorganisations by most work, with undo data, leaving the same UTXO set a
//! fresh node gets from the winning chain alone.

mod common;

use common::*;

#[test]
fn reorg_to_longer_fork_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), options());
    node.mine(60);
    let fork_point = node.tip_hash();
    // Chain A: 5 blocks, with a spend so undo data restores a coin.
    let spend_a = spend(&[node.coinbase_outpoint(3)], subsidy(3) - 100);
    let b = node.next_block(vec![spend_a], 100);
    node.submit(&b).unwrap();
    let a = node.mine(4);
    let a_tip = *a.last().unwrap();
    assert_eq!(node.tip_height(), 65);

    // Chain B: 6 blocks from the fork point; different coinbases.
    node.tag = 1;
    let bb = node.mine_on(fork_point, 6);
    assert_eq!(node.tip_hash(), *bb.last().unwrap());
    assert_eq!(node.tip_height(), 66);
    assert!(node
        .cm
        .get_coin(&node.coinbase_outpoint(3))
        .unwrap()
        .is_some());
    let tips = node.cm.chain_tips();
    assert_eq!(tips.len(), 2);
    assert!(tips
        .iter()
        .any(|t| t.hash == a_tip && t.status == "valid-fork" && t.branch_len == 5));

    // Back to A, which becomes longer.
    node.tag = 0;
    let a2 = node.mine_on(a_tip, 2);
    assert_eq!(node.tip_hash(), *a2.last().unwrap());
    assert_eq!(node.tip_height(), 67);
    assert!(node
        .cm
        .get_coin(&node.coinbase_outpoint(3))
        .unwrap()
        .is_none());

    // A fresh node fed only the active chain has the same UTXO set.
    let fresh_dir = tempfile::tempdir().unwrap();
    let mut fresh = Node::open(fresh_dir.path(), options());
    for h in 1..=67 {
        let hash = node.cm.block_hash_at(h).unwrap();
        fresh
            .submit(&node.cm.get_block(&hash).unwrap().unwrap())
            .unwrap();
    }
    assert_eq!(fresh.tip_hash(), node.tip_hash());
    assert_eq!(fresh.utxos(), node.utxos());
}

#[test]
fn equal_work_keeps_first_seen() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), options());
    node.mine(3);
    let base = node.tip_hash();
    let first = node.mine(1)[0];
    node.tag = 9;
    let second = node.mine_on(base, 1)[0];
    assert_eq!(node.tip_hash(), first);
    // preciousblock switches to the other tip of equal work.
    node.cm.precious_block(&second).unwrap();
    assert_eq!(node.tip_hash(), second);
    node.cm.precious_block(&first).unwrap();
    assert_eq!(node.tip_hash(), first);
}
