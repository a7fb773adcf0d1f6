//! Acceptance and removal over a chain held in a map: each rejection with Core's reason.

use std::collections::HashMap;

use bitcoin::absolute::LockTime;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness,
};

use crate::inputs::{Coin, CoinView};
use crate::locks::ChainMtp;
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
    let conflict = spend(OutPoint::new(coinbase_txid(1), 0), 50 * COIN - 2000);
    assert_eq!(reason(&mut pool, &chain, &conflict), "txn-mempool-conflict");
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
    pool.remove_for_block(&block);
    assert!(pool.is_empty());
    assert_eq!(pool.total_fee(), 0);
    assert_eq!(pool.total_vsize(), 0);
}
