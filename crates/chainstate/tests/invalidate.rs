//! `invalidateblock` / `reconsiderblock` and the chain tips they leave.

mod common;

use common::*;

#[test]
fn invalidate_and_reconsider() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), options());
    let hashes = node.mine(20);
    let utxos_at_20 = node.utxos();
    node.cm.invalidate_block(&hashes[14]).unwrap();
    assert_eq!(node.tip_height(), 14);
    assert_eq!(node.tip_hash(), hashes[13]);
    let tips = node.cm.chain_tips();
    assert!(tips
        .iter()
        .any(|t| t.hash == hashes[19] && t.status == "invalid"));
    assert!(node.cm.lookup(&hashes[19]).unwrap().failed());

    // Blocks on the invalid chain are rejected.
    let child = node.block_on(hashes[19], vec![], 0);
    assert_eq!(
        node.submit(&child).unwrap_err().reject_reason().as_deref(),
        Some("bad-prevblk")
    );

    // A new branch grows from the new tip.
    node.tag = 5;
    let alt = node.mine(2);
    assert_eq!(node.tip_hash(), alt[1]);

    node.cm.reconsider_block(&hashes[14]).unwrap();
    assert_eq!(node.tip_hash(), hashes[19]);
    assert_eq!(node.tip_height(), 20);
    assert!(!node.cm.lookup(&hashes[19]).unwrap().failed());
    assert_eq!(node.utxos(), utxos_at_20);
    let tips = node.cm.chain_tips();
    assert!(tips
        .iter()
        .any(|t| t.hash == alt[1] && t.status == "valid-fork"));
}

#[test]
fn headers_only_branch() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), options());
    node.mine(5);
    let b = node.next_block(vec![], 0);
    node.cm.process_new_block_headers(&[b.header]).unwrap();
    assert_eq!(node.tip_height(), 5);
    assert_eq!(node.cm.best_header().unwrap().hash, b.block_hash());
    let tips = node.cm.chain_tips();
    assert!(tips
        .iter()
        .any(|t| t.hash == b.block_hash() && t.status == "headers-only"));
    assert!(node.submit(&b).unwrap());
    assert_eq!(node.tip_height(), 6);
}
