//! Acceptance and removal over a chain held in a map: each rejection with Core's reason.

use std::collections::HashMap;
use std::sync::Arc;

use bitcoin::absolute::LockTime;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness,
};

use crate::accept::{AcceptArgs, TxOutcome};
use crate::feerate::FeeRate;
use crate::inputs::{Coin, CoinView};
use crate::locks::ChainMtp;
use crate::persist::MempoolDump;
use crate::pool::{ChainView, Mempool, MempoolOptions};
use crate::reject::TxValidationResult;

const TIP: i32 = 200;
const COIN: u64 = 100_000_000;

struct TestChain {
    coins: HashMap<OutPoint, Coin>,
}

impl CoinView for TestChain {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        self.coins.get(outpoint).cloned()
    }
}

impl ChainMtp for TestChain {
    fn median_time_past(&self, height: u32) -> i64 {
        1_600_000_000 + i64::from(height) * 600
    }
}

impl ChainView for TestChain {
    fn tip_height(&self) -> i32 {
        TIP
    }
}

/// P2WSH(OP_TRUE), which anyone can spend with the witness `[OP_TRUE]`.
fn op_true_p2wsh() -> ScriptBuf {
    let mut spk = vec![0x00, 0x20];
    spk.extend(sha256::Hash::hash(&[0x51]).to_byte_array());
    ScriptBuf::from_bytes(spk)
}

fn coinbase_txid(n: u8) -> Txid {
    Txid::from_byte_array([n; 32])
}

/// A chain with coinbase outputs of 50 coins at heights 1..=10 and one at the tip.
fn chain() -> TestChain {
    let mut coins = HashMap::new();
    for h in 1..=10u8 {
        coins.insert(
            OutPoint::new(coinbase_txid(h), 0),
            Coin {
                output: TxOut {
                    value: Amount::from_sat(50 * COIN),
                    script_pubkey: op_true_p2wsh(),
                },
                height: u32::from(h),
                is_coinbase: true,
            },
        );
    }
    coins.insert(
        OutPoint::new(coinbase_txid(99), 0),
        Coin {
            output: TxOut {
                value: Amount::from_sat(50 * COIN),
                script_pubkey: op_true_p2wsh(),
            },
            height: TIP as u32,
            is_coinbase: true,
        },
    );
    TestChain { coins }
}

fn spend(prevout: OutPoint, value: u64) -> Transaction {
    Transaction {
        version: Version(2),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: prevout,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::from_slice(&[vec![0x51]]),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(value),
            script_pubkey: op_true_p2wsh(),
        }],
    }
}

fn reason(pool: &mut Mempool, chain: &TestChain, tx: &Transaction) -> String {
    pool.accept(tx, chain, 0).expect_err("rejected").to_string()
}

#[test]
fn accepts_a_mature_coinbase_spend() {
    let chain = chain();
    let mut pool = Mempool::new(MempoolOptions::default());
    let tx = spend(OutPoint::new(coinbase_txid(1), 0), 50 * COIN - 1000);
    let r = pool.accept(&tx, &chain, 7).expect("accepted");
    assert_eq!(r.fee, 1000);
    assert_eq!(r.txid, tx.compute_txid());
    assert_eq!(r.vsize, tx.vsize() as u64);
    assert_eq!(pool.len(), 1);
    assert_eq!(pool.total_fee(), 1000);
    assert_eq!(pool.total_vsize(), r.vsize);
    assert_eq!(pool.sequence(), 2);
    let e = pool.get(&r.txid).expect("in pool");
    assert_eq!((e.time, e.height, e.spends_coinbase), (7, TIP, true));
    assert_eq!(
        reason(&mut pool, &chain, &tx),
        "txn-already-in-mempool",
        "the same transaction again"
    );
    // A conflict paying less is not a replacement.
    let conflict = spend(OutPoint::new(coinbase_txid(1), 0), 50 * COIN - 500);
    assert!(reason(&mut pool, &chain, &conflict).starts_with("insufficient fee"));
}

#[test]
fn rejections_carry_cores_reasons() {
    let chain = chain();
    let mut pool = Mempool::new(MempoolOptions::default());
    let mature = OutPoint::new(coinbase_txid(2), 0);

    let mut coinbase = spend(OutPoint::null(), COIN);
    coinbase.input[0].script_sig = ScriptBuf::from_bytes(vec![0x01, 0x01]);
    coinbase.input[0].witness = Witness::new();
    assert_eq!(reason(&mut pool, &chain, &coinbase), "coinbase");

    let mut version = spend(mature, COIN);
    version.version = Version(3);
    assert_eq!(reason(&mut pool, &chain, &version), "version");

    let mut small = spend(mature, 0);
    small.output[0].script_pubkey = ScriptBuf::from_bytes(vec![0x6a]);
    assert_eq!(reason(&mut pool, &chain, &small), "tx-size-small");

    let mut non_final = spend(mature, COIN);
    non_final.lock_time = LockTime::from_height(TIP as u32 + 5).expect("height");
    assert_eq!(reason(&mut pool, &chain, &non_final), "non-final");

    let missing = spend(OutPoint::new(coinbase_txid(50), 0), COIN);
    let err = pool.accept(&missing, &chain, 0).expect_err("missing");
    assert_eq!(err.reason, "bad-txns-inputs-missingorspent");
    assert_eq!(err.result, TxValidationResult::MissingInputs);

    let premature = spend(OutPoint::new(coinbase_txid(99), 0), COIN);
    assert_eq!(
        reason(&mut pool, &chain, &premature),
        "bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth 1"
    );

    let mut bip68 = spend(mature, COIN);
    bip68.input[0].sequence = Sequence::from_height(1000);
    assert_eq!(reason(&mut pool, &chain, &bip68), "non-BIP68-final");

    let too_much = spend(mature, 51 * COIN);
    assert_eq!(
        reason(&mut pool, &chain, &too_much),
        "bad-txns-in-belowout, value in (50.00) < value out (51.00)"
    );

    let no_fee = spend(mature, 50 * COIN);
    let vsize = no_fee.vsize();
    assert_eq!(
        reason(&mut pool, &chain, &no_fee),
        format!("min relay fee not met, 0 < {vsize}")
    );

    let mut bad_script = spend(mature, COIN);
    bad_script.input[0].witness = Witness::from_slice(&[vec![0x52]]);
    let err = pool.accept(&bad_script, &chain, 0).expect_err("bad script");
    assert_eq!(
        err.reason,
        "mandatory-script-verify-flag-failed (Witness program hash mismatch)"
    );
    assert_eq!(err.result, TxValidationResult::Consensus);
    assert!(pool.is_empty());
}

#[test]
fn chains_stop_at_25_transactions() {
    let chain = chain();
    let mut pool = Mempool::new(MempoolOptions::default());
    let mut prev = OutPoint::new(coinbase_txid(3), 0);
    let mut value = 50 * COIN;
    for _ in 0..25 {
        value -= 1000;
        let tx = spend(prev, value);
        pool.accept(&tx, &chain, 0).expect("within the limits");
        prev = OutPoint::new(tx.compute_txid(), 0);
    }
    let first = pool
        .entries()
        .find(|e| e.parents.is_empty())
        .expect("root")
        .txid;
    assert_eq!(pool.with_descendants(&first).count, 25);
    let last = pool.spender(&prev);
    assert!(last.is_none());
    let tx = spend(prev, value - 1000);
    assert_eq!(
        reason(&mut pool, &chain, &tx),
        "too-long-mempool-chain, too many unconfirmed ancestors [limit: 25]"
    );
}

#[test]
fn blocks_take_parents_first_and_remove_conflicts() {
    let chain = chain();
    let mut pool = Mempool::new(MempoolOptions::default());
    let parent = spend(OutPoint::new(coinbase_txid(4), 0), 50 * COIN - 1000);
    pool.accept(&parent, &chain, 0).expect("parent");
    // The child pays much more: its ancestor fee rate beats the lone transaction's.
    let child = spend(
        OutPoint::new(parent.compute_txid(), 0),
        50 * COIN - 1000 - 50_000,
    );
    pool.accept(&child, &chain, 0).expect("child");
    let lone = spend(OutPoint::new(coinbase_txid(5), 0), 50 * COIN - 2000);
    pool.accept(&lone, &chain, 0).expect("lone");
    let txids: Vec<Txid> = pool
        .block_txs(TIP as u32 + 1, 0)
        .iter()
        .map(|(tx, _, _)| tx.compute_txid())
        .collect();
    assert_eq!(
        txids,
        vec![
            parent.compute_txid(),
            child.compute_txid(),
            lone.compute_txid()
        ]
    );

    // A block confirming a conflicting spend of the parent's input evicts parent and child.
    let rival = spend(OutPoint::new(coinbase_txid(4), 0), 49 * COIN);
    let block = Block {
        header: bitcoin::constants::genesis_block(bitcoin::Network::Regtest).header,
        txdata: vec![rival, lone.clone()],
    };
    pool.remove_for_block(&block, 0);
    assert!(pool.is_empty());
    assert_eq!(pool.total_fee(), 0);
    assert_eq!(pool.total_vsize(), 0);
}

fn spend_many(prevouts: &[OutPoint], value: u64, outputs: usize) -> Transaction {
    let mut tx = spend(prevouts[0], value);
    tx.input = prevouts
        .iter()
        .map(|p| TxIn {
            previous_output: *p,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::from_slice(&[vec![0x51]]),
        })
        .collect();
    tx.output = vec![tx.output[0].clone(); outputs];
    tx
}

fn cb(n: u8) -> OutPoint {
    OutPoint::new(coinbase_txid(n), 0)
}

fn out0(tx: &Transaction) -> OutPoint {
    OutPoint::new(tx.compute_txid(), 0)
}

#[test]
fn replacement_evicts_the_conflict_and_its_descendants() {
    let chain = chain();
    let mut pool = Mempool::new(MempoolOptions::default());
    let original = spend(cb(1), 50 * COIN - 1000);
    pool.accept(&original, &chain, 0).expect("original");
    let child = spend(out0(&original), 50 * COIN - 2000);
    pool.accept(&child, &chain, 0).expect("child");
    // Pays more than both, and for its own size at the incremental relay fee rate.
    let replacement = spend(cb(1), 50 * COIN - 5000);
    let r = pool.accept(&replacement, &chain, 0).expect("replaces");
    let replaced: Vec<Txid> = r.replaced.iter().map(|t| t.compute_txid()).collect();
    assert_eq!(replaced.len(), 2);
    assert!(replaced.contains(&original.compute_txid()));
    assert!(replaced.contains(&child.compute_txid()));
    assert_eq!(pool.len(), 1);
    assert!(pool.get(&replacement.compute_txid()).is_some());
    assert_eq!(pool.spender(&cb(1)), Some(&replacement.compute_txid()));
}

#[test]
fn replacement_rules_reject_with_cores_messages() {
    let chain = chain();
    let mut pool = Mempool::new(MempoolOptions::default());
    let original = spend(cb(1), 50 * COIN - 10_000);
    pool.accept(&original, &chain, 0).expect("original");
    let otxid = original.compute_txid();

    // Rule 6: the fee rate must be higher.
    let same = spend(cb(1), 50 * COIN - 9_000);
    let txid = same.compute_txid();
    let vsize = same.vsize() as u32;
    assert_eq!(
        reason(&mut pool, &chain, &same),
        format!(
            "insufficient fee, rejecting replacement {txid}; new feerate {} <= old feerate {}",
            FeeRate::from_fee_and_vsize(9_000, vsize),
            FeeRate::from_fee_and_vsize(10_000, original.vsize() as u32)
        )
    );
    // Rule 3: a larger replacement with a higher fee rate but lower absolute fee.
    let big = spend_many(&[cb(1)], (50 * COIN - 9_990) / 3, 3);
    let fee = 50 * COIN as i64 - 3 * ((50 * COIN - 9_990) / 3) as i64;
    let txid = big.compute_txid();
    assert!(fee < 10_000);
    let msg = reason(&mut pool, &chain, &big);
    assert!(
        msg == format!("insufficient fee, rejecting replacement {txid}, less fees than conflicting txs; {} < 0.0001", crate::feerate::format_money(fee))
            || msg.starts_with(&format!("insufficient fee, rejecting replacement {txid}; new feerate")),
        "{msg}"
    );
    // Rule 4: more fees, but not enough to pay for its own relay.
    let stingy = spend(cb(1), 50 * COIN - 10_050);
    let txid = stingy.compute_txid();
    assert_eq!(
        reason(&mut pool, &chain, &stingy),
        format!(
            "insufficient fee, rejecting replacement {txid}, not enough additional fees to relay; 0.0000005 < {}",
            crate::feerate::format_money(i64::from(stingy.vsize() as u32))
        )
    );
    // Rule 2: may not add an unconfirmed input.
    let other = spend(cb(2), 50 * COIN - 1000);
    pool.accept(&other, &chain, 0).expect("other");
    let adds = spend_many(&[cb(1), out0(&other)], 50 * COIN, 1);
    let txid = adds.compute_txid();
    assert_eq!(
        reason(&mut pool, &chain, &adds),
        format!("replacement-adds-unconfirmed, replacement {txid} adds unconfirmed input, idx 1")
    );
    // Spending the conflict itself is a consensus failure.
    let spends_conflict = spend_many(&[cb(1), out0(&original)], 50 * COIN, 1);
    let err = pool
        .accept(&spends_conflict, &chain, 0)
        .expect_err("spends conflict");
    assert_eq!(err.reason, "bad-txns-spends-conflicting-tx");
    assert_eq!(
        err.debug,
        format!(
            "{} spends conflicting transaction {otxid}",
            spends_conflict.compute_txid()
        )
    );
    assert!(pool.get(&otxid).is_some());
}

#[test]
fn non_signalling_conflicts_need_full_rbf() {
    let chain = chain();
    let mut original = spend(cb(1), 50 * COIN - 1000);
    original.input[0].sequence = Sequence::MAX;
    let replacement = spend(cb(1), 50 * COIN - 5000);
    let mut pool = Mempool::new(MempoolOptions::default());
    pool.accept(&original, &chain, 0).expect("original");
    assert_eq!(
        reason(&mut pool, &chain, &replacement),
        "txn-mempool-conflict"
    );
    let mut pool = Mempool::new(MempoolOptions {
        full_rbf: true,
        ..MempoolOptions::default()
    });
    pool.accept(&original, &chain, 0).expect("original");
    pool.accept(&replacement, &chain, 0)
        .expect("full RBF replaces");
    assert_eq!(pool.len(), 1);
}

#[test]
fn at_most_100_transactions_are_replaced() {
    let chain = chain();
    let mut pool = Mempool::new(MempoolOptions::default());
    let mut roots = Vec::new();
    for n in 1..=5u8 {
        let mut prev = cb(n);
        let mut value = 50 * COIN;
        for _ in 0..25 {
            value -= 1000;
            let tx = spend(prev, value);
            pool.accept(&tx, &chain, 0).expect("chain");
            prev = out0(&tx);
        }
        roots.push(cb(n));
    }
    assert_eq!(pool.len(), 125);
    let replacement = spend_many(&roots, 240 * COIN, 1);
    let txid = replacement.compute_txid();
    assert_eq!(
        reason(&mut pool, &chain, &replacement),
        format!("too many potential replacements, rejecting replacement {txid}; too many potential replacements (125 > 100)\n")
    );
}

#[test]
fn expiry_removes_old_transactions_with_descendants() {
    let chain = chain();
    let mut pool = Mempool::new(MempoolOptions::default());
    let parent = spend(cb(1), 50 * COIN - 1000);
    pool.accept(&parent, &chain, 100).expect("parent");
    let child = spend(out0(&parent), 50 * COIN - 2000);
    pool.accept(&child, &chain, 200).expect("child");
    let young = spend(cb(2), 50 * COIN - 1000);
    pool.accept(&young, &chain, 150).expect("young");
    assert_eq!(pool.expire(100), 0);
    assert_eq!(pool.expire(101), 2);
    assert_eq!(pool.len(), 1);
    assert!(pool.get(&young.compute_txid()).is_some());
    // Accepting at the expiry deadline applies -mempoolexpiry.
    let expiry = pool.options().expiry_secs;
    let late = spend(cb(3), 50 * COIN - 1000);
    pool.accept(&late, &chain, 150 + expiry + 1).expect("late");
    assert!(pool.get(&young.compute_txid()).is_none());
}

#[test]
fn a_full_pool_evicts_the_cheapest_and_raises_the_minimum_fee() {
    let chain = chain();
    let probe = spend(cb(1), 50 * COIN - 1000);
    let mut sizing = Mempool::new(MempoolOptions::default());
    sizing.accept(&probe, &chain, 0).expect("probe");
    let one = sizing.usage();
    let mut pool = Mempool::new(MempoolOptions {
        max_size_bytes: 2 * one,
        ..MempoolOptions::default()
    });
    assert_eq!(pool.min_fee(0), FeeRate::from_sat_per_kvb(0));
    let cheap = spend(cb(1), 50 * COIN - 1000);
    let dear = spend(cb(2), 50 * COIN - 5000);
    pool.accept(&cheap, &chain, 0).expect("cheap");
    pool.accept(&dear, &chain, 0).expect("dear");
    let low = spend(cb(3), 50 * COIN - 500);
    assert_eq!(reason(&mut pool, &chain, &low), "mempool full");
    assert_eq!(pool.len(), 2);
    let mid = spend(cb(4), 50 * COIN - 3000);
    pool.accept(&mid, &chain, 0).expect("evicts the cheapest");
    assert!(pool.get(&cheap.compute_txid()).is_none());
    // The rolling minimum is the evicted fee rate plus the incremental relay fee rate.
    let vsize = cheap.vsize() as u32;
    let expected =
        FeeRate::from_sat_per_kvb(FeeRate::from_fee_and_vsize(1000, vsize).fee_per_k() + 1000);
    assert_eq!(pool.min_fee(0), expected);
    let under = spend(cb(5), 50 * COIN - 1000);
    let needed = expected.get_fee(under.vsize() as u32);
    assert_eq!(
        reason(&mut pool, &chain, &under),
        format!("mempool min fee not met, 1000 < {needed}")
    );
    // After a block it decays: halved every 12 hours (a quarter of that while the pool is
    // small), and drops to zero below half the incremental fee rate.
    let block = Block {
        header: bitcoin::constants::genesis_block(bitcoin::Network::Regtest).header,
        txdata: vec![],
    };
    pool.remove_for_block(&block, 1000);
    assert_eq!(pool.min_fee(1005), expected, "not within ten seconds");
    assert!(pool.min_fee(1000 + 3 * 3600) < expected);
    assert_eq!(
        pool.min_fee(1000 + 400 * 3600),
        FeeRate::from_sat_per_kvb(0)
    );
}

#[test]
fn prioritisation_changes_the_fee_judged() {
    let chain = chain();
    let mut pool = Mempool::new(MempoolOptions::default());
    let free = spend(cb(1), 50 * COIN);
    assert!(reason(&mut pool, &chain, &free).starts_with("min relay fee not met"));
    pool.prioritise(&free.compute_txid(), 1000);
    assert_eq!(pool.prioritised(), vec![(free.compute_txid(), 1000, false)]);
    pool.accept(&free, &chain, 0).expect("prioritised");
    let e = pool.get(&free.compute_txid()).expect("in pool");
    assert_eq!((e.fee, e.modified_fee()), (0, 1000));
    assert_eq!(pool.prioritised(), vec![(free.compute_txid(), 1000, true)]);
    pool.prioritise(&free.compute_txid(), -1000);
    assert!(pool.prioritised().is_empty());
    assert_eq!(
        pool.get(&free.compute_txid()).expect("in").modified_fee(),
        0
    );
}

#[test]
fn reorg_re_adds_block_transactions_and_drops_the_invalid() {
    let mut pool = Mempool::new(MempoolOptions::default());
    // A child of a confirmed transaction waits in the pool.
    let confirmed = Arc::new(spend(cb(1), 50 * COIN - 1000));
    let mut chain2 = chain();
    chain2.coins.remove(&cb(1));
    chain2.coins.insert(
        out0(&confirmed),
        Coin {
            output: confirmed.output[0].clone(),
            height: TIP as u32,
            is_coinbase: false,
        },
    );
    let child = spend(out0(&confirmed), 50 * COIN - 2000);
    pool.accept(&child, &chain2, 0).expect("child");
    // The block is disconnected: its output leaves the chain, its spend comes back.
    let chain3 = chain();
    let immature = Arc::new(spend(OutPoint::new(coinbase_txid(99), 0), 50 * COIN - 1000));
    let coinbase = Arc::new({
        let mut c = spend(OutPoint::null(), COIN);
        c.input[0].script_sig = ScriptBuf::from_bytes(vec![0x01, 0x01]);
        c
    });
    pool.update_for_reorg(
        &[coinbase, confirmed.clone(), immature.clone()],
        &chain3,
        0,
        true,
    );
    assert!(pool.get(&confirmed.compute_txid()).is_some(), "re-added");
    assert!(
        pool.get(&immature.compute_txid()).is_none(),
        "premature coinbase spend"
    );
    let c = pool.get(&child.compute_txid()).expect("child stays");
    assert!(
        c.parents.contains(&confirmed.compute_txid()),
        "linked to its parent"
    );
    assert_eq!(pool.with_descendants(&confirmed.compute_txid()).count, 2);
    // Without re-adding (a deep invalidation), children of the lost transaction go too.
    let mut pool2 = Mempool::new(MempoolOptions::default());
    pool2.accept(&child, &chain2, 0).expect("child");
    pool2.update_for_reorg(&[confirmed], &chain3, 0, false);
    assert!(pool2.is_empty());
}

#[test]
fn a_package_pays_for_its_parent() {
    let chain = chain();
    let mut pool = Mempool::new(MempoolOptions::default());
    // Every transaction must pay the minimum relay fee on its own.
    let free = spend(cb(1), 50 * COIN);
    let free_child = spend(out0(&free), 50 * COIN - 5000);
    let r = pool.accept_package(
        &[free.clone(), free_child],
        &chain,
        AcceptArgs::package_child_with_parents(0),
    );
    assert_eq!(r.failure.expect("fails").reason, "transaction failed");
    assert!(
        matches!(&r.results[&free.compute_wtxid()], TxOutcome::Invalid(e) if e.reason == "min relay fee not met")
    );
    assert!(pool.is_empty());
    // Above it but below the pool's minimum, the child pays for the parent.
    pool.rolling_min_fee.set(5000.0);
    let parent = spend(cb(1), 50 * COIN - 200);
    let child = spend(out0(&parent), 50 * COIN - 200 - 5000);
    assert!(reason(&mut pool, &chain, &parent).starts_with("mempool min fee not met"));
    let package = vec![parent.clone(), child.clone()];
    let tested = pool.accept_multiple(&package, &chain, AcceptArgs::package_test(0));
    assert!(
        tested.failure.is_some(),
        "no package fee rate in testmempoolaccept"
    );
    let r = pool.accept_package(&package, &chain, AcceptArgs::package_child_with_parents(0));
    assert_eq!(r.failure, None);
    assert_eq!(pool.len(), 2);
    let total_vsize = (parent.vsize() + child.vsize()) as u32;
    match &r.results[&child.compute_wtxid()] {
        TxOutcome::Valid(a) => {
            assert_eq!(
                a.effective_feerate,
                FeeRate::from_fee_and_vsize(5200, total_vsize)
            );
            assert_eq!(
                a.effective_includes,
                vec![parent.compute_wtxid(), child.compute_wtxid()]
            );
        }
        other => panic!("{other:?}"),
    }
    // Again: both are already there.
    let again = pool.accept_package(&package, &chain, AcceptArgs::package_child_with_parents(0));
    assert!(matches!(
        again.results[&parent.compute_wtxid()],
        TxOutcome::InMempool { fee: 200, .. }
    ));
    // Not a child with its parents.
    let lone = spend(cb(2), 50 * COIN - 1000);
    let bad = pool.accept_package(
        &[lone.clone(), spend(cb(3), COIN)],
        &chain,
        AcceptArgs::package_child_with_parents(0),
    );
    assert_eq!(
        bad.failure.expect("fails").reason,
        "package-not-child-with-parents"
    );
}

#[test]
fn package_limits_count_the_package_together() {
    let chain = chain();
    let mut pool = Mempool::new(MempoolOptions::default());
    let mut prev = cb(1);
    let mut value = 50 * COIN;
    for _ in 0..24 {
        value -= 1000;
        let tx = spend(prev, value);
        pool.accept(&tx, &chain, 0).expect("chain");
        prev = out0(&tx);
    }
    let a = spend(prev, value - 1000);
    let b = spend(out0(&a), value - 2000);
    let r = pool.accept_multiple(&[a, b], &chain, AcceptArgs::package_test(0));
    let f = r.failure.expect("too long");
    assert_eq!(f.reason, "package-mempool-limits");
    assert_eq!(
        f.debug,
        "possibly too many unconfirmed ancestors [limit: 25]"
    );
}

#[test]
fn mempool_dat_round_trips() {
    let chain = chain();
    let mut pool = Mempool::new(MempoolOptions::default());
    let parent = spend(cb(1), 50 * COIN - 1000);
    let child = spend(out0(&parent), 50 * COIN - 2000);
    pool.accept(&parent, &chain, 11).expect("parent");
    pool.accept(&child, &chain, 12).expect("child");
    pool.prioritise(&child.compute_txid(), 77);
    let elsewhere = Txid::from_byte_array([7; 32]);
    pool.prioritise(&elsewhere, -5);
    let dump = pool.dump();
    assert_eq!(dump.txs[0], (parent.clone(), 11, 0), "parents first");
    assert_eq!(dump.txs[1], (child.clone(), 12, 77));
    assert_eq!(dump.deltas, vec![(elsewhere, -5)]);
    let bytes = dump.serialize();
    assert_eq!(&bytes[..8], &1u64.to_le_bytes(), "version 1");
    assert_eq!(&bytes[8..16], &2u64.to_le_bytes());
    assert_eq!(MempoolDump::deserialize(&bytes).expect("reads"), dump);
    let mut v2 = bytes.clone();
    v2[0] = 2;
    assert!(MempoolDump::deserialize(&v2).is_err());
    assert!(MempoolDump::deserialize(&bytes[..bytes.len() - 1]).is_err());
}

#[test]
fn package_limits_count_ancestors_of_every_parent() {
    let chain = chain();
    let mut pool = Mempool::new(MempoolOptions::default());
    let mut tips = Vec::new();
    for n in 1..=2u8 {
        let mut prev = cb(n);
        let mut value = 50 * COIN;
        for _ in 0..12 {
            value -= 1000;
            let tx = spend(prev, value);
            pool.accept(&tx, &chain, 0).expect("chain");
            prev = out0(&tx);
        }
        tips.push((prev, value));
    }
    let pa = spend(tips[0].0, tips[0].1 - 1000);
    let pb = spend(tips[1].0, tips[1].1 - 1000);
    let pc = spend_many(&[out0(&pa), out0(&pb)], tips[0].1 - 5000, 1);
    let r = pool.accept_multiple(&[pa, pb, pc], &chain, AcceptArgs::package_test(0));
    let f = r.failure.expect("too many ancestors together");
    assert_eq!(f.reason, "package-mempool-limits", "{:?}", r.results);
}

#[test]
fn a_package_child_pays_for_a_poor_parent_beside_a_prioritised_one() {
    let chain = chain();
    let mut pool = Mempool::new(MempoolOptions::default());
    pool.rolling_min_fee.set(5000.0);
    let rich = spend(cb(1), 50 * COIN);
    pool.prioritise(&rich.compute_txid(), 10_000);
    let poor = spend(cb(2), 50 * COIN - 200);
    let child = spend_many(&[out0(&rich), out0(&poor)], 100 * COIN - 200 - 10_000, 1);
    let package = vec![rich.clone(), poor.clone(), child.clone()];
    let r = pool.accept_package(&package, &chain, AcceptArgs::package_child_with_parents(0));
    assert_eq!(r.failure, None, "{:?}", r.results);
    for tx in &package {
        assert!(
            matches!(
                r.results.get(&tx.compute_wtxid()),
                Some(TxOutcome::Valid(_))
            ),
            "{:?}",
            r.results
        );
    }
    assert_eq!(pool.len(), 3);
}

#[test]
fn package_tests_keep_the_results_before_a_script_failure() {
    let chain = chain();
    let pool = Mempool::new(MempoolOptions::default());
    let good = spend(cb(1), 50 * COIN - 1000);
    let mut bad = spend(cb(2), 50 * COIN - 1000);
    bad.input[0].witness = Witness::from_slice(&[vec![0x52]]);
    let mut pool = pool;
    let r = pool.accept_multiple(
        &[good.clone(), bad.clone()],
        &chain,
        AcceptArgs::package_test(0),
    );
    assert_eq!(r.failure.expect("fails").reason, "transaction failed");
    assert!(matches!(
        r.results[&good.compute_wtxid()],
        TxOutcome::Valid(_)
    ));
    assert!(
        matches!(&r.results[&bad.compute_wtxid()], TxOutcome::Invalid(e) if e.reason.starts_with("mandatory-script-verify-flag-failed"))
    );
    assert!(pool.is_empty());
}

// ----- events (Core's TransactionAddedToMempool / TransactionRemovedFromMempool) -----

/// The events as (added?, txid, reason), with their sequence numbers checked to rise by one.
fn events(pool: &mut Mempool) -> Vec<(bool, Txid, Option<crate::pool::RemovalReason>)> {
    use crate::pool::PoolEvent;
    let all = pool.take_events();
    let seqs: Vec<u64> = all
        .iter()
        .map(|e| match e {
            PoolEvent::Added { sequence, .. } | PoolEvent::Removed { sequence, .. } => *sequence,
        })
        .collect();
    for w in seqs.windows(2) {
        assert_eq!(w[1], w[0] + 1, "sequence numbers {seqs:?}");
    }
    if let Some(last) = seqs.last() {
        assert_eq!(pool.sequence(), last + 1);
    }
    all.into_iter()
        .map(|e| match e {
            PoolEvent::Added { tx, .. } => (true, tx.compute_txid(), None),
            PoolEvent::Removed { tx, reason, .. } => (false, tx.compute_txid(), Some(reason)),
        })
        .collect()
}

fn recording() -> Mempool {
    let mut pool = Mempool::new(MempoolOptions::default());
    pool.record_events();
    pool
}

#[test]
fn events_are_only_recorded_when_asked() {
    let chain = chain();
    let mut pool = Mempool::new(MempoolOptions::default());
    pool.accept(&spend(cb(1), 50 * COIN - 1000), &chain, 0)
        .expect("accepted");
    assert!(pool.take_events().is_empty());
    assert_eq!(pool.sequence(), 2);
}

#[test]
fn a_replacement_is_announced_after_the_removals_it_causes() {
    use crate::pool::RemovalReason::Replaced;
    let chain = chain();
    let mut pool = recording();
    let original = spend(cb(1), 50 * COIN - 1000);
    pool.accept(&original, &chain, 0).expect("original");
    let child = spend(out0(&original), 50 * COIN - 2000);
    pool.accept(&child, &chain, 0).expect("child");
    let replacement = spend(cb(1), 50 * COIN - 5000);
    pool.accept(&replacement, &chain, 0).expect("replaces");
    let ev = events(&mut pool);
    assert_eq!(
        ev[..2],
        [
            (true, original.compute_txid(), None),
            (true, child.compute_txid(), None)
        ]
    );
    let mut removed: Vec<_> = ev[2..4].to_vec();
    removed.sort_by_key(|e| e.1);
    let mut want = vec![
        (false, original.compute_txid(), Some(Replaced)),
        (false, child.compute_txid(), Some(Replaced)),
    ];
    want.sort_by_key(|e| e.1);
    assert_eq!(removed, want);
    assert_eq!(ev[4], (true, replacement.compute_txid(), None));
    assert_eq!(ev.len(), 5);
    assert!(pool.take_events().is_empty(), "taken");
}

#[test]
fn a_block_removes_with_block_and_conflict_reasons() {
    use crate::pool::RemovalReason::{Block as InBlock, Conflict};
    let chain = chain();
    let mut pool = recording();
    let parent = spend(cb(4), 50 * COIN - 1000);
    pool.accept(&parent, &chain, 0).expect("parent");
    let child = spend(out0(&parent), 50 * COIN - 2000);
    pool.accept(&child, &chain, 0).expect("child");
    let lone = spend(cb(5), 50 * COIN - 2000);
    pool.accept(&lone, &chain, 0).expect("lone");
    let _ = events(&mut pool);
    let rival = spend(cb(4), 49 * COIN);
    let block = Block {
        header: bitcoin::constants::genesis_block(bitcoin::Network::Regtest).header,
        txdata: vec![lone.clone(), rival],
    };
    pool.remove_for_block(&block, 0);
    let ev = events(&mut pool);
    assert_eq!(ev[0], (false, lone.compute_txid(), Some(InBlock)));
    let mut rest: Vec<_> = ev[1..].to_vec();
    rest.sort_by_key(|e| e.1);
    let mut want = vec![
        (false, parent.compute_txid(), Some(Conflict)),
        (false, child.compute_txid(), Some(Conflict)),
    ];
    want.sort_by_key(|e| e.1);
    assert_eq!(rest, want);
}

#[test]
fn expiry_on_arrival_comes_before_the_arrival() {
    use crate::pool::RemovalReason::Expiry;
    let chain = chain();
    let mut pool = recording();
    let old = spend(cb(1), 50 * COIN - 1000);
    pool.accept(&old, &chain, 100).expect("old");
    let expiry = pool.options().expiry_secs;
    let late = spend(cb(2), 50 * COIN - 1000);
    pool.accept(&late, &chain, 101 + expiry).expect("late");
    assert_eq!(
        events(&mut pool),
        vec![
            (true, old.compute_txid(), None),
            (false, old.compute_txid(), Some(Expiry)),
            (true, late.compute_txid(), None),
        ]
    );
}

#[test]
fn eviction_is_told_and_an_evicted_arrival_is_never_announced() {
    use crate::pool::RemovalReason::SizeLimit;
    let chain = chain();
    let probe = spend(cb(1), 50 * COIN - 1000);
    let mut sizing = Mempool::new(MempoolOptions::default());
    sizing.accept(&probe, &chain, 0).expect("probe");
    let one = sizing.usage();
    let mut pool = Mempool::new(MempoolOptions {
        max_size_bytes: 2 * one,
        ..MempoolOptions::default()
    });
    pool.record_events();
    let cheap = spend(cb(1), 50 * COIN - 1000);
    let dear = spend(cb(2), 50 * COIN - 5000);
    pool.accept(&cheap, &chain, 0).expect("cheap");
    pool.accept(&dear, &chain, 0).expect("dear");
    let _ = events(&mut pool);
    let low = spend(cb(3), 50 * COIN - 500);
    assert_eq!(reason(&mut pool, &chain, &low), "mempool full");
    assert_eq!(
        events(&mut pool),
        vec![(false, low.compute_txid(), Some(SizeLimit))]
    );
    let mid = spend(cb(4), 50 * COIN - 3000);
    pool.accept(&mid, &chain, 0).expect("evicts the cheapest");
    assert_eq!(
        events(&mut pool),
        vec![
            (false, cheap.compute_txid(), Some(SizeLimit)),
            (true, mid.compute_txid(), None)
        ]
    );
}

#[test]
fn a_reorg_re_adds_and_removes_with_the_reorg_reason() {
    use crate::pool::RemovalReason::Reorg;
    let new_chain = chain();
    let mut pool = recording();
    let readded = Arc::new(spend(cb(1), 50 * COIN - 1000));
    let immature = Arc::new(spend(OutPoint::new(coinbase_txid(99), 0), 50 * COIN - 1000));
    // Waiting in the pool: a spend of the coinbase that the reorg makes immature.
    let mut chain2 = chain();
    chain2
        .coins
        .get_mut(&OutPoint::new(coinbase_txid(99), 0))
        .unwrap()
        .height = 1;
    let waiting = spend(OutPoint::new(coinbase_txid(99), 0), 50 * COIN - 3000);
    pool.accept(&waiting, &chain2, 0)
        .expect("mature on the old chain");
    let _ = events(&mut pool);
    pool.update_for_reorg(&[readded.clone(), immature.clone()], &new_chain, 0, true);
    assert_eq!(
        events(&mut pool),
        vec![
            (true, readded.compute_txid(), None),
            (false, waiting.compute_txid(), Some(Reorg)),
        ]
    );
}
