//! Header and block rules with Widecoin Core's reject reasons.

mod common;

use bitcoin::block::Version;
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, CompactTarget, ScriptBuf, TxMerkleNode};
use common::*;
use widecoin_chainstate::ChainstateOptions;

fn reason(r: Result<bool, widecoin_chainstate::ChainstateError>) -> String {
    r.err()
        .and_then(|e| e.reject_reason())
        .unwrap_or_else(|| "ok".into())
}

fn rehash(mut b: bitcoin::Block) -> bitcoin::Block {
    b.header.merkle_root =
        TxMerkleNode::from_byte_array(widecoin_chainstate::checks::block_merkle_root(&b).0);
    solve(b)
}

#[test]
fn header_rules() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), options());
    node.mine(12);
    let good = node.next_block(vec![], 0);

    let mut b = good.clone();
    while widecoin_chainstate::pow::check_proof_of_work(
        &b.block_hash(),
        0x207f_ffff,
        &regtest().consensus,
    ) {
        b.header.nonce += 1;
    }
    assert_eq!(reason(node.submit(&b)), "high-hash");

    let mut b = good.clone();
    b.header.bits = CompactTarget::from_consensus(0x207f_fffe);
    assert_eq!(reason(node.submit(&solve(b))), "bad-diffbits");

    let mut b = good.clone();
    b.header.time = node.cm.tip_median_time_past().unwrap() as u32;
    assert_eq!(reason(node.submit(&solve(b))), "time-too-old");

    let mut b = good.clone();
    b.header.time = 4_000_000_000;
    assert_eq!(reason(node.submit(&solve(b))), "time-too-new");

    let mut b = good.clone();
    b.header.version = Version::from_consensus(3);
    assert_eq!(reason(node.submit(&solve(b))), "bad-version(0x00000003)");

    let mut b = good.clone();
    b.header.prev_blockhash = BlockHash::from_byte_array([7; 32]);
    assert_eq!(reason(node.submit(&solve(b))), "prev-blk-not-found");

    assert_eq!(reason(node.submit(&good)), "ok");
}

#[test]
fn block_rules() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(dir.path(), options());
    node.mine(55);
    let op = node.coinbase_outpoint(2);
    let tx = spend(&[op], subsidy(2) - 500);

    // Merkle root mismatch; the hash stays usable (mutation).
    let mut b = node.next_block(vec![tx.clone()], 500);
    b.header.merkle_root = TxMerkleNode::all_zeros();
    let b = solve(b);
    assert_eq!(reason(node.submit(&b)), "bad-txnmrklroot");
    assert!(!node.cm.lookup(&b.block_hash()).is_some_and(|e| e.failed()));

    // CVE-2012-2459: duplicating the last transaction keeps the root.
    let b = node.next_block(
        vec![tx.clone(), spend(&[node.coinbase_outpoint(3)], 1)],
        500 + subsidy(3) - 1,
    );
    let mut m = b.clone();
    m.txdata.push(m.txdata[2].clone());
    assert_eq!(reason(node.submit(&m)), "bad-txns-duplicate");

    // No coinbase / two coinbases.
    let mut b = node.next_block(vec![tx.clone()], 500);
    b.txdata.swap(0, 1);
    assert_eq!(reason(node.submit(&rehash(b))), "bad-cb-missing");
    let mut b = node.next_block(vec![], 0);
    let mut cb = b.txdata[0].clone();
    cb.output[0].value = bitcoin::Amount::from_sat(1);
    b.txdata.push(cb);
    assert_eq!(reason(node.submit(&rehash(b))), "bad-cb-multiple");

    // BIP34 height.
    let mut b = node.next_block(vec![], 0);
    b.txdata[0].input[0].script_sig = ScriptBuf::from_bytes(vec![0x01, 0x05, 0x00]);
    assert_eq!(reason(node.submit(&finish(b))), "bad-cb-height");

    // Witness commitment.
    let mut b = node.next_block(vec![], 0);
    let last = b.txdata[0].output.len() - 1;
    b.txdata[0].output[last].script_pubkey = ScriptBuf::from_bytes({
        let mut s = vec![0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];
        s.extend([9u8; 32]);
        s
    });
    assert_eq!(reason(node.submit(&rehash(b))), "bad-witness-merkle-match");
    let mut b = node.next_block(vec![], 0);
    b.txdata[0].input[0].witness = bitcoin::Witness::from_slice(&[[0u8; 31]]);
    assert_eq!(reason(node.submit(&rehash(b))), "bad-witness-nonce-size");
    let mut b = node.next_block(vec![], 0);
    b.txdata[0].output.pop();
    assert_eq!(reason(node.submit(&rehash(b))), "unexpected-witness");

    // Non-final by lock time.
    let mut t = tx.clone();
    t.lock_time = bitcoin::absolute::LockTime::from_consensus(1000);
    t.input[0].sequence = bitcoin::Sequence::ZERO;
    assert_eq!(
        reason(node.submit(&node.next_block(vec![t], 500))),
        "bad-txns-nonfinal"
    );

    // Inputs below outputs; a failing transaction check.
    assert_eq!(
        reason(node.submit(&node.next_block(vec![spend(&[op], subsidy(2) + 1)], 0))),
        "bad-txns-in-belowout"
    );
    assert_eq!(
        reason(node.submit(&node.next_block(vec![spend(&[op, op], 1)], 0))),
        "bad-txns-inputs-duplicate"
    );

    // BIP68: a relative lock of 100 blocks is not met.
    let mut t = tx.clone();
    t.input[0].sequence = bitcoin::Sequence::from_consensus(100);
    assert_eq!(
        reason(node.submit(&node.next_block(vec![t], 500))),
        "bad-txns-nonfinal"
    );
    // ...but 10 blocks are.
    let mut t = tx.clone();
    t.input[0].sequence = bitcoin::Sequence::from_consensus(10);
    assert_eq!(reason(node.submit(&node.next_block(vec![t], 500))), "ok");
}

#[test]
fn script_failures_by_thread_count() {
    for (par, want) in [
        (1, "mandatory-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element)"),
        (2, "block-validation-failed"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut node = Node::open(dir.path(), ChainstateOptions { par, ..options() });
        node.mine(55);
        // An output only OP_FALSE "protects".
        let fund = spend_to(&[node.coinbase_outpoint(1)], subsidy(1) - 1000, ScriptBuf::from_bytes(vec![0x00]));
        let b = node.next_block(vec![fund.clone()], 1000);
        node.submit(&b).unwrap();
        let bad = spend(&[bitcoin::OutPoint { txid: fund.compute_txid(), vout: 0 }], 1);
        let b = node.next_block(vec![bad], subsidy(1) - 1001);
        assert_eq!(reason(node.submit(&b)), want);
    }
}
