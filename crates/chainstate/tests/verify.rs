//! `verifychain` / `-checkblocks` (Core's `VerifyDB`): every level passes on
//! a sound chain, changes nothing, and damaged block or undo data is found.

mod common;

use std::io::{Seek, SeekFrom, Write};

use common::*;
use widecoin_chainstate::VerifyDbResult;

fn chain_with_spends(node: &mut Node) {
    node.mine(60);
    for h in 1..6 {
        let op = node.coinbase_outpoint(h);
        let value = subsidy(h) - 1_000;
        let b = node.next_block(vec![spend(&[op], value)], 1_000);
        node.submit(&b).unwrap();
    }
}

#[test]
fn every_level_passes_on_a_sound_chain_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), options());
    chain_with_spends(&mut node);
    let tip = node.tip_hash();
    let utxos = node.utxos();
    for level in 0..=4 {
        for depth in [0, 1, 6, 1000] {
            assert_eq!(
                node.cm.verify_db(level, depth, &|| false).unwrap(),
                VerifyDbResult::Success,
                "level {level} depth {depth}"
            );
        }
    }
    // Out-of-range levels are clamped.
    assert_eq!(
        node.cm.verify_db(-1, 3, &|| false).unwrap(),
        VerifyDbResult::Success
    );
    assert_eq!(
        node.cm.verify_db(9, 3, &|| false).unwrap(),
        VerifyDbResult::Success
    );
    assert_eq!(node.tip_hash(), tip);
    assert_eq!(node.utxos(), utxos);
    assert_eq!(
        node.cm.verify_db(3, 6, &|| true).unwrap(),
        VerifyDbResult::Interrupted
    );
}

#[test]
fn damaged_undo_data_is_found_at_level_two() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), options());
    chain_with_spends(&mut node);
    let tip = node.cm.tip().unwrap().clone();
    let pos = tip.undo_pos().unwrap();
    node.cm.flush().unwrap();
    {
        let path = dir.path().join(format!("blocks/rev{:05}.dat", pos.file));
        let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        f.seek(SeekFrom::Start(u64::from(pos.pos) + 2)).unwrap();
        f.write_all(&[0xff, 0xee, 0xdd]).unwrap();
    }
    assert_eq!(
        node.cm.verify_db(1, 6, &|| false).unwrap(),
        VerifyDbResult::Success
    );
    assert_eq!(
        node.cm.verify_db(2, 6, &|| false).unwrap(),
        VerifyDbResult::CorruptedBlockDb
    );
}

#[test]
fn damaged_block_data_is_found_at_level_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), options());
    chain_with_spends(&mut node);
    let tip = node.cm.tip().unwrap().clone();
    let pos = tip.data_pos().unwrap();
    node.cm.flush().unwrap();
    {
        let path = dir.path().join(format!("blocks/blk{:05}.dat", pos.file));
        let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        // Inside the header: the block no longer has the indexed hash.
        f.seek(SeekFrom::Start(u64::from(pos.pos) + 10)).unwrap();
        f.write_all(&[0x5a; 4]).unwrap();
    }
    // Checking only the tip reads the damaged block.
    assert_eq!(
        node.cm.verify_db(0, 1, &|| false).unwrap(),
        VerifyDbResult::CorruptedBlockDb
    );
}
