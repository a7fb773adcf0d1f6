//! Manual pruning (`pruneblockchain`'s `PruneBlockFilesManual`) on small
//! `-fastprune` block files: whole file pairs go, the entries lose their
//! data, prune locks hold pruning back, and a restart keeps the chain usable.

mod common;

use common::*;
use widecoin_chainstate::prune::{MIN_BLOCKS_TO_KEEP, PRUNE_LOCK_BUFFER, PRUNE_TARGET_MANUAL};
use widecoin_chainstate::ChainstateOptions;

fn fast_prune() -> ChainstateOptions {
    ChainstateOptions {
        fast_prune: true,
        ..options()
    }
}

fn files(node: &Node) -> (bool, bool) {
    let blocks = node.dir.join("blocks");
    (
        blocks.join("blk00000.dat").exists(),
        blocks.join("rev00000.dat").exists(),
    )
}

#[test]
fn manual_pruning_removes_file_pairs_below_the_kept_window() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), fast_prune());
    node.mine(650);
    assert!(!node.cm.is_prune_mode());
    node.cm.set_prune_target(PRUNE_TARGET_MANUAL);
    assert!(node.cm.is_prune_mode());
    assert!(!node.cm.have_pruned());
    assert_eq!(node.cm.first_stored_block().unwrap().height, 0);

    // A prune lock at height 20 keeps everything above 20 - 10 - 1.
    node.cm.update_prune_lock("test index", 20);
    node.cm.prune_block_files_manual(650).unwrap();
    assert_eq!(files(&node), (true, true), "the lock held pruning back");
    assert!(!node.cm.have_pruned());

    // Without the lock, the files wholly below tip - 288 go.
    node.cm.update_prune_lock("test index", 650);
    node.cm.prune_block_files_manual(650).unwrap();
    assert_eq!(files(&node), (false, false));
    assert!(node.cm.have_pruned());
    let first = node.cm.first_stored_block().unwrap().height;
    assert!(first > 0 && first <= 650 - MIN_BLOCKS_TO_KEEP, "{first}");
    let below = node.cm.block_hash_at(first - 1).unwrap();
    let entry = node.cm.lookup(&below).unwrap();
    assert!(!entry.have_data() && !entry.have_undo());
    assert!(node.cm.is_block_pruned(entry));
    assert!(node.cm.get_block(&below).unwrap().is_none());
    let kept = node.cm.block_hash_at(first).unwrap();
    assert!(node.cm.get_block(&kept).unwrap().is_some());
    assert_eq!(
        node.cm
            .block_store()
            .file_info(0)
            .copied()
            .unwrap_or_default(),
        Default::default()
    );

    // After a restart the pruned chain is still the active one and grows.
    let tip = node.tip_hash();
    node = node.reopen(fast_prune());
    node.cm.set_prune_target(PRUNE_TARGET_MANUAL);
    assert!(node.cm.have_pruned());
    assert_eq!(node.tip_hash(), tip);
    assert_eq!(node.cm.first_stored_block().unwrap().height, first);
    node.mine(1);
    assert_eq!(node.tip_height(), 651);
}

/// A prune lock keeps the blocks its index still needs, across a reorg.
/// (That a disconnect moves locks back is only visible in the log; Core's
/// `feature_index_prune.py` checks that line.)
#[test]
fn a_prune_lock_keeps_blocks_across_a_reorg() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), fast_prune());
    node.mine(650);
    node.cm.set_prune_target(PRUNE_TARGET_MANUAL);
    node.cm.update_prune_lock("test index", 650);
    let fork_base = node.cm.block_hash_at(648).unwrap();
    node.tag = 1;
    node.mine_on(fork_base, 3);
    assert_eq!(node.tip_height(), 651);
    node.cm.prune_block_files_manual(651).unwrap();
    let first = node.cm.first_stored_block().unwrap().height;
    assert!(first > 0 && first <= 651 - MIN_BLOCKS_TO_KEEP, "{first}");
    // A lock just above the first stored block: 300 more blocks would let
    // the window prune further, the lock does not.
    node.cm
        .update_prune_lock("test index", first + PRUNE_LOCK_BUFFER);
    node.mine(300);
    node.cm.prune_block_files_manual(951).unwrap();
    assert_eq!(node.cm.first_stored_block().unwrap().height, first);
    // Released, the next files go.
    node.cm.update_prune_lock("test index", 951);
    node.cm.prune_block_files_manual(951).unwrap();
    assert!(node.cm.first_stored_block().unwrap().height > first);
}
