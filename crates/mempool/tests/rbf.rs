//! BIP125 replacement rules (the scenarios of Core's `rbf_tests/rbf_helper_functions`), with
//! every message checked word for word.

mod common;

use std::collections::HashSet;

use bitcoin::{Sequence, Transaction, Txid};
use common::*;
use widecoin_mempool::*;

const LOW_FEE: i64 = (CENT / 100) as i64;
const NORMAL_FEE: i64 = (CENT / 10) as i64;
const HIGH_FEE: i64 = CENT as i64;

fn entry(n: u8, fee: i64, vsize: u32, count: u64) -> DirectConflict {
    DirectConflict {
        txid: txid(n),
        modified_fee: fee,
        vsize,
        count_with_descendants: count,
    }
}

fn unused() -> Txid {
    txid(0xee)
}

fn full(e: ReplacementError) -> String {
    TxRejection::from(e).to_string()
}

#[test]
fn signalling() {
    let mut t = tx(
        vec![input(outpoint(1, 0)), input(outpoint(1, 1))],
        vec![output(1, vec![0x51])],
    );
    assert!(!signals_opt_in_rbf(&t));
    t.input[1].sequence = Sequence(0xffff_fffe);
    assert!(!signals_opt_in_rbf(&t));
    assert_eq!(
        is_rbf_opt_in_empty_mempool(&t),
        RbfTransactionState::Unknown
    );
    assert_eq!(is_rbf_opt_in(&t, false, []), RbfTransactionState::Unknown);
    assert_eq!(is_rbf_opt_in(&t, true, []), RbfTransactionState::Final);
    let mut parent = t.clone();
    parent.input[0].sequence = Sequence(0xffff_fffd);
    assert!(signals_opt_in_rbf(&parent));
    assert_eq!(
        is_rbf_opt_in(&t, true, [&parent]),
        RbfTransactionState::ReplaceableBip125
    );
    assert_eq!(
        is_rbf_opt_in(&parent, false, []),
        RbfTransactionState::ReplaceableBip125
    );
    assert_eq!(RbfTransactionState::Final.rpc_name(), "no");

    // Only the conflict's own signal counts for replacement.
    assert_eq!(check_conflict_replaceable(&parent, true, false), Ok(()));
    let e = check_conflict_replaceable(&t, true, false).unwrap_err();
    assert_eq!(full(e), "txn-mempool-conflict");
    assert_eq!(e.result(), TxValidationResult::MempoolPolicy);
    assert_eq!(check_conflict_replaceable(&t, true, true), Ok(()));
    assert_eq!(
        full(check_conflict_replaceable(&parent, false, true).unwrap_err()),
        "bip125-replacement-disallowed"
    );
}

#[test]
fn rule6_feerate() {
    // tx1 and tx2: normal fees, 200 vB each; tx5/tx6 low fees, tx6 prioritised by 1 WCN.
    let e1 = entry(1, NORMAL_FEE, 200, 2);
    let e2 = entry(2, NORMAL_FEE, 200, 1);
    let set12 = [e1, e2];
    let r = pays_more_than_conflicts(
        &set12,
        FeeRate::from_fee_and_vsize(NORMAL_FEE + 1, 202),
        unused(),
    );
    assert!(r.is_err());
    let e = pays_more_than_conflicts(
        &set12,
        FeeRate::from_fee_and_vsize(NORMAL_FEE, 200),
        unused(),
    )
    .unwrap_err();
    assert_eq!(
        full(e),
        format!(
            "insufficient fee, rejecting replacement {}; new feerate 0.00500000 WCN/kvB <= old feerate 0.00500000 WCN/kvB",
            unused()
        )
    );
    assert_eq!(e.result(), TxValidationResult::MempoolPolicy);
    assert_eq!(
        pays_more_than_conflicts(
            &set12,
            FeeRate::from_fee_and_vsize(NORMAL_FEE + 1, 200),
            unused()
        ),
        Ok(())
    );
    // Modified fees count, not base fees.
    let e6 = entry(6, LOW_FEE + COIN as i64, 200, 1);
    assert!(pays_more_than_conflicts(
        [&e6],
        FeeRate::from_fee_and_vsize(LOW_FEE + 1, 200),
        unused()
    )
    .is_err());
    assert!(pays_more_than_conflicts(
        [&e6],
        FeeRate::from_fee_and_vsize(LOW_FEE + COIN as i64 + 1, 200),
        unused()
    )
    .is_ok());
    // Individual fee rates, not ancestor fee rates: tx4 is a high-fee child of a low-fee tx3.
    let e3 = entry(3, LOW_FEE, 200, 2);
    let e4 = entry(4, HIGH_FEE, 200, 1);
    assert!(pays_more_than_conflicts(
        &[e3, e4],
        FeeRate::from_fee_and_vsize(HIGH_FEE, 200),
        unused()
    )
    .is_err());
}

#[test]
fn conflicting_ancestors() {
    let conflicts: HashSet<Txid> = [txid(1)].into_iter().collect();
    assert_eq!(entries_and_txids_disjoint([], &conflicts, unused()), Ok(()));
    assert_eq!(
        entries_and_txids_disjoint([txid(2), txid(3)], &conflicts, unused()),
        Ok(())
    );
    let e = entries_and_txids_disjoint([txid(2), txid(1)], &conflicts, unused()).unwrap_err();
    assert_eq!(
        full(e),
        format!(
            "bad-txns-spends-conflicting-tx, {} spends conflicting transaction {}",
            unused(),
            txid(1)
        )
    );
    assert_eq!(e.result(), TxValidationResult::Consensus);
}

#[test]
fn rules3_and_4_fees() {
    let incremental = FeeRate::from_sat_per_kvb(DEFAULT_INCREMENTAL_RELAY_FEE);
    let higher = FeeRate::from_sat_per_kvb(2 * DEFAULT_INCREMENTAL_RELAY_FEE);
    let id = unused();
    assert_eq!(
        pays_for_rbf(HIGH_FEE, HIGH_FEE, 1, FeeRate::ZERO, id),
        Ok(())
    );
    let e = pays_for_rbf(HIGH_FEE, HIGH_FEE - 1, 1, FeeRate::ZERO, id).unwrap_err();
    assert_eq!(
        full(e),
        format!("insufficient fee, rejecting replacement {id}, less fees than conflicting txs; 0.00999999 < 0.01")
    );
    assert!(pays_for_rbf(HIGH_FEE + 1, HIGH_FEE, 1, FeeRate::ZERO, id).is_err());
    let e = pays_for_rbf(HIGH_FEE, HIGH_FEE + 1, 2, incremental, id).unwrap_err();
    assert_eq!(
        full(e),
        format!("insufficient fee, rejecting replacement {id}, not enough additional fees to relay; 0.00000001 < 0.00000002")
    );
    assert_eq!(
        pays_for_rbf(HIGH_FEE, HIGH_FEE + 2, 2, incremental, id),
        Ok(())
    );
    assert!(pays_for_rbf(HIGH_FEE, HIGH_FEE + 2, 2, higher, id).is_err());
    assert_eq!(pays_for_rbf(HIGH_FEE, HIGH_FEE + 4, 2, higher, id), Ok(()));
    assert!(pays_for_rbf(LOW_FEE, HIGH_FEE, 99_999_999, incremental, id).is_err());
    assert_eq!(
        pays_for_rbf(LOW_FEE, HIGH_FEE + 99_999_999, 99_999_999, incremental, id),
        Ok(())
    );
}

#[test]
fn rule5_count() {
    // Five parents with 2, 2, 2, 1, 1 in their families: 8 in all.
    let mut parents = vec![
        entry(1, 1, 100, 2),
        entry(3, 1, 100, 2),
        entry(5, 1, 100, 2),
        entry(7, 1, 100, 1),
        entry(8, 1, 100, 1),
    ];
    assert_eq!(check_replacement_count(&parents, unused()), Ok(()));
    // 23 more descendants under four of them: exactly 100 is allowed.
    for p in &mut parents[..4] {
        p.count_with_descendants += 23;
    }
    assert_eq!(
        parents
            .iter()
            .map(|p| p.count_with_descendants)
            .sum::<u64>(),
        100
    );
    assert_eq!(check_replacement_count(&parents, unused()), Ok(()));
    parents[4].count_with_descendants += 1;
    let e = check_replacement_count(&parents, unused()).unwrap_err();
    assert_eq!(
        e,
        ReplacementError::TooManyReplacements {
            txid: unused(),
            count: 101
        }
    );
    assert_eq!(
        full(e),
        format!(
            "too many potential replacements, rejecting replacement {}; too many potential replacements (101 > 100)\n",
            unused()
        )
    );
}

fn spending(parents: &[Txid]) -> Transaction {
    tx(
        parents
            .iter()
            .map(|p| input(bitcoin::OutPoint { txid: *p, vout: 0 }))
            .collect(),
        vec![output(36 * CENT, vec![0x51])],
    )
}

#[test]
fn rule2_no_new_unconfirmed() {
    // Mempool: tx1 (spends coinbase 0), tx2 (spends tx1), tx8 (spends coinbase 4).
    let cb = |n: u8| txid(100 + n);
    let tx1 = spending(&[cb(0)]);
    let tx2 = spending(&[tx1.compute_txid()]);
    let tx3 = spending(&[cb(1)]);
    let tx8 = spending(&[cb(4)]);
    let pool: HashSet<Txid> = [&tx1, &tx2, &tx3, &tx8]
        .iter()
        .map(|t| t.compute_txid())
        .collect();
    let in_pool = |t: &Txid| pool.contains(t);

    let spends_unconfirmed = spending(&[tx1.compute_txid()]);
    assert_eq!(
        has_no_new_unconfirmed(&spends_unconfirmed, [&tx1, &tx2, &tx3, &tx8], in_pool),
        Ok(())
    );
    assert_eq!(
        has_no_new_unconfirmed(&spends_unconfirmed, [&tx2], in_pool),
        Ok(())
    );
    let e = has_no_new_unconfirmed(&spends_unconfirmed, [], in_pool).unwrap_err();
    assert_eq!(
        full(e),
        format!(
            "replacement-adds-unconfirmed, replacement {} adds unconfirmed input, idx 0",
            spends_unconfirmed.compute_txid()
        )
    );

    let spends_new = spending(&[tx1.compute_txid(), tx8.compute_txid()]);
    assert!(has_no_new_unconfirmed(&spends_new, [&tx2], in_pool).is_err());
    // tx8 is itself a conflict but no conflict spends from tx8.
    assert_eq!(
        has_no_new_unconfirmed(&spends_new, [&tx1, &tx2, &tx3, &tx8], in_pool),
        Err(ReplacementError::AddsUnconfirmed {
            txid: spends_new.compute_txid(),
            input: 1
        })
    );
    // Confirmed inputs are always fine.
    let spends_confirmed = spending(&[cb(0), cb(1)]);
    assert_eq!(
        has_no_new_unconfirmed(&spends_confirmed, [&tx1, &tx3], in_pool),
        Ok(())
    );
}
