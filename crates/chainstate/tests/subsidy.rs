//! Widecoin's subsidy schedule: the 3,500,000 WCN premine at height 1, `bad-cb-amount` above it.

mod common;

use common::*;

#[test]
fn premine_is_the_limit_at_height_1() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), options());
    let genesis = node.tip_hash();
    let t = regtest().genesis_block().header.time + 30;
    let too_much = make_block(genesis, 1, t, 3_500_000 * COIN + 1, 0, vec![]);
    let err = node.submit(&too_much).unwrap_err();
    assert_eq!(err.reject_reason().as_deref(), Some("bad-cb-amount"));
    assert_eq!(node.tip_height(), 0);
    let exact = make_block(genesis, 1, t, 3_500_000 * COIN, 1, vec![]);
    assert!(node.submit(&exact).unwrap());
    assert_eq!(node.tip_height(), 1);
    // Height 2 pays 50 WCN; fees may be claimed, not more.
    let b = make_block(node.tip_hash(), 2, t + 30, 50 * COIN + 1, 0, vec![]);
    assert_eq!(
        node.submit(&b).unwrap_err().reject_reason().as_deref(),
        Some("bad-cb-amount")
    );
    // Under-claiming is allowed.
    let b = make_block(node.tip_hash(), 2, t + 30, 10 * COIN, 1, vec![]);
    assert!(node.submit(&b).unwrap());
}
