//! Coinbase maturity (50 on Widecoin): a coinbase from height h may be spent at h + 50.

mod common;

use common::*;

fn reason(r: Result<bool, widecoin_chainstate::ChainstateError>) -> String {
    r.err()
        .and_then(|e| e.reject_reason())
        .unwrap_or_else(|| "ok".into())
}

#[test]
fn coinbase_spend_needs_50_confirmations() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), options());
    node.mine(49);
    // Tip 49: the next block is at 50, only 49 blocks after the coinbase at height 1.
    let op = node.coinbase_outpoint(1);
    let early = node.next_block(vec![spend(&[op], subsidy(1) - 1000)], 1000);
    assert_eq!(
        reason(node.submit(&early)),
        "bad-txns-premature-spend-of-coinbase"
    );
    assert_eq!(node.tip_height(), 49);
    assert!(node.cm.lookup(&early.block_hash()).unwrap().failed());
    // At height 51 (50 confirmations) the same spend is fine.
    node.mine(1);
    let ok = node.next_block(vec![spend(&[op], subsidy(1) - 1000)], 1000);
    assert_eq!(reason(node.submit(&ok)), "ok");
    assert_eq!(node.tip_height(), 51);
    assert!(node.cm.get_coin(&op).unwrap().is_none());
    // Spending it again: missing or spent.
    let again = node.next_block(vec![spend(&[op], 1)], 0);
    assert_eq!(
        reason(node.submit(&again)),
        "bad-txns-inputs-missingorspent"
    );
}
