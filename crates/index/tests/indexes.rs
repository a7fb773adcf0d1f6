//! The three indexes over an in-process regtest chainstate: initial sync,
//! following new blocks, following a reorganisation, resuming after a
//! restart; coinstatsindex against a full scan of the UTXO set.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bitcoin::absolute::LockTime;
use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{
    Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxMerkleNode, TxOut, Witness,
};
use widecoin_chainparams::{ChainParams, ChainType};
use widecoin_chainstate::checks::{
    bip34_height_script, block_merkle_root, witness_commitment_script,
};
use widecoin_chainstate::coinstats::{compute_utxo_stats, CoinStatsHashType};
use widecoin_chainstate::pow::check_proof_of_work;
use widecoin_chainstate::{ChainstateManager, ChainstateOptions};
use widecoin_index::{
    BlockFilterIndex, ChainSource, CoinStatsIndex, Index, IndexBackend, Notifier, TxIndex,
};

struct Shared(Arc<Mutex<ChainstateManager>>);

impl ChainSource for Shared {
    fn with_chainstate(&self, f: &mut dyn FnMut(&mut ChainstateManager)) {
        f(&mut self.0.lock().unwrap());
    }
}

fn regtest() -> ChainParams {
    ChainParams::new(ChainType::Regtest)
}

fn op_true() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![0x51])
}

fn coinbase(height: u32, value: u64, tag: u32, script: ScriptBuf) -> Transaction {
    let mut sig = bip34_height_script(height);
    sig.push(4);
    sig.extend_from_slice(&tag.to_le_bytes());
    Transaction {
        version: TxVersion(2),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(sig),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[[0u8; 32]]),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(value),
            script_pubkey: script,
        }],
    }
}

fn spend(prev: OutPoint, value: u64, script: ScriptBuf) -> Transaction {
    Transaction {
        version: TxVersion(2),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: prev,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![
            TxOut {
                value: Amount::from_sat(value),
                script_pubkey: script,
            },
            // An OP_RETURN output: unspendable, left out of the filter.
            TxOut {
                value: Amount::from_sat(1000),
                script_pubkey: ScriptBuf::from_bytes(vec![0x6a, 0x01, 0x07]),
            },
        ],
    }
}

/// Builds and submits blocks; `tag` makes forks differ.
struct Miner {
    cm: Arc<Mutex<ChainstateManager>>,
    tag: u32,
}

impl Miner {
    fn block_on(&self, prev: BlockHash, txs: Vec<Transaction>, script: ScriptBuf) -> Block {
        let params = regtest();
        let (height, time) = {
            let cm = self.cm.lock().unwrap();
            let e = cm.lookup(&prev).expect("known parent");
            (e.height + 1, e.header.time + 30)
        };
        let fees = 1000 * txs.len() as u64;
        let value = widecoin_chainparams::get_block_subsidy(height, &params.consensus) + fees;
        let mut txdata = vec![coinbase(height, value, self.tag, script)];
        txdata.extend(txs);
        let mut block = Block {
            header: Header {
                version: Version::from_consensus(0x2000_0000),
                prev_blockhash: prev,
                merkle_root: TxMerkleNode::all_zeros(),
                time,
                bits: CompactTarget::from_consensus(0x207f_ffff),
                nonce: 0,
            },
            txdata,
        };
        let commitment = witness_commitment_script(&block);
        block.txdata[0].output.push(TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(commitment),
        });
        block.header.merkle_root = TxMerkleNode::from_byte_array(block_merkle_root(&block).0);
        while !check_proof_of_work(
            &block.block_hash(),
            block.header.bits.to_consensus(),
            &params.consensus,
        ) {
            block.header.nonce += 1;
        }
        block
    }

    fn tip(&self) -> BlockHash {
        self.cm.lock().unwrap().tip().unwrap().hash
    }

    fn mine(&self, n: u32) -> Vec<Block> {
        (0..n)
            .map(|_| {
                let b = self.block_on(self.tip(), vec![], op_true());
                self.cm
                    .lock()
                    .unwrap()
                    .process_new_block(&b)
                    .expect("valid block");
                b
            })
            .collect()
    }

    fn submit(&self, b: &Block) {
        self.cm
            .lock()
            .unwrap()
            .process_new_block(b)
            .expect("valid block");
    }
}

fn open_chain(dir: &Path) -> Arc<Mutex<ChainstateManager>> {
    let cm = ChainstateManager::open(
        &dir.join("blocks"),
        &dir.join("chainstate"),
        regtest(),
        ChainstateOptions {
            par: 1,
            ..ChainstateOptions::default()
        },
    )
    .expect("open chainstate");
    Arc::new(Mutex::new(cm))
}

fn wait_synced<B: IndexBackend>(index: &Index<B>, cm: &Arc<Mutex<ChainstateManager>>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let tip = cm.lock().unwrap().tip().map(|t| t.hash);
        if index.summary().synced && index.best_block().map(|b| b.0) == tip {
            return;
        }
        assert!(Instant::now() < deadline, "{} did not sync", index.name());
        std::thread::sleep(Duration::from_millis(10));
    }
}

struct Running {
    notifier: Arc<Notifier>,
    tx: Arc<Index<TxIndex>>,
    filters: Arc<Index<BlockFilterIndex>>,
    stats: Arc<Index<CoinStatsIndex>>,
}

impl Running {
    fn start(dir: &Path, cm: &Arc<Mutex<ChainstateManager>>) -> Running {
        let notifier = Notifier::new();
        cm.lock().unwrap().add_listener(notifier.clone());
        let source: Arc<dyn ChainSource> = Arc::new(Shared(cm.clone()));
        let params = regtest();
        let idx = dir.join("indexes");
        let tx = TxIndex::open(
            &idx.join("txindex"),
            &dir.join("blocks"),
            params.message_start,
        )
        .unwrap();
        let filters = BlockFilterIndex::open(&idx.join("blockfilter/basic")).unwrap();
        let stats = CoinStatsIndex::open(&idx.join("coinstats"), params.consensus.clone()).unwrap();
        Running {
            tx: Index::start(tx, source.clone(), notifier.clone()).unwrap(),
            filters: Index::start(filters, source.clone(), notifier.clone()).unwrap(),
            stats: Index::start(stats, source, notifier.clone()).unwrap(),
            notifier,
        }
    }

    fn wait(&self, cm: &Arc<Mutex<ChainstateManager>>) {
        wait_synced(&self.tx, cm);
        wait_synced(&self.filters, cm);
        wait_synced(&self.stats, cm);
    }

    fn stop(self) {
        self.notifier.interrupt();
        self.tx.stop();
        self.filters.stop();
        self.stats.stop();
    }
}

fn scan_muhash(cm: &Arc<Mutex<ChainstateManager>>) -> ([u8; 32], u64, i64) {
    let mut cm = cm.lock().unwrap();
    let s = compute_utxo_stats(&mut cm, CoinStatsHashType::MuHash, || false)
        .unwrap()
        .unwrap();
    (s.hash.unwrap(), s.txouts, s.total_amount.unwrap())
}

fn check_stats_match_scan(run: &Running, cm: &Arc<Mutex<ChainstateManager>>) {
    let tip = cm.lock().unwrap().tip().unwrap().hash;
    let indexed = run
        .stats
        .backend()
        .look_up_stats(&tip)
        .unwrap()
        .expect("stats of the tip");
    let (hash, txouts, total) = scan_muhash(cm);
    assert_eq!(indexed.muhash, hash, "muhash of the index and of a scan");
    assert_eq!(indexed.txouts, txouts);
    assert_eq!(indexed.total_amount, total);
}

#[test]
fn indexes_sync_follow_reorganise_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let cm = open_chain(dir.path());
    let miner = Miner {
        cm: cm.clone(),
        tag: 0,
    };
    let blocks = miner.mine(60);

    // A spend to a distinctive script, so the filter has something to match.
    let mut special = vec![0x00, 0x14];
    special.extend_from_slice(&[0x42; 20]);
    let special = ScriptBuf::from_bytes(special);
    let funding = OutPoint {
        txid: blocks[0].txdata[0].compute_txid(),
        vout: 0,
    };
    let value = blocks[0].txdata[0].output[0].value.to_sat() - 2000;
    let payment = spend(funding, value, special.clone());
    let with_payment = miner.block_on(miner.tip(), vec![payment.clone()], op_true());
    miner.submit(&with_payment);
    miner.mine(3);

    // Initial sync from the chainstate.
    let run = Running::start(dir.path(), &cm);
    run.wait(&cm);
    let (found_block, found_tx) = run
        .tx
        .backend()
        .find_tx(&payment.compute_txid())
        .unwrap()
        .expect("indexed transaction");
    assert_eq!(found_block, with_payment.block_hash());
    assert_eq!(found_tx, payment);
    // The genesis coinbase is not indexed, as in Core.
    let genesis_cb = regtest().genesis_block().txdata[0].compute_txid();
    assert!(run.tx.backend().find_tx(&genesis_cb).unwrap().is_none());

    let (filter, header) = run
        .filters
        .backend()
        .lookup(&with_payment.block_hash())
        .unwrap()
        .expect("filter of the block");
    assert!(filter
        .match_any(
            &with_payment.block_hash(),
            std::iter::once(special.as_bytes())
        )
        .unwrap());
    // The header chains on the parent's header (BIP157).
    let (_, prev_header) = run
        .filters
        .backend()
        .lookup(&with_payment.header.prev_blockhash)
        .unwrap()
        .unwrap();
    assert_eq!(header, filter.filter_header(&prev_header));
    // The next block spends nothing of that script, so it does not match.
    let after = cm.lock().unwrap().block_hash_at(63).unwrap();
    let (filter_after, _) = run.filters.backend().lookup(&after).unwrap().unwrap();
    assert!(!filter_after
        .match_any(&after, std::iter::once(special.as_bytes()))
        .unwrap());
    check_stats_match_scan(&run, &cm);

    // Following new blocks.
    miner.mine(2);
    run.wait(&cm);
    check_stats_match_scan(&run, &cm);

    // A reorganisation: a longer fork from height 60 replaces 4 blocks,
    // among them the payment's block.
    let fork_base = cm.lock().unwrap().block_hash_at(60).unwrap();
    let forker = Miner {
        cm: cm.clone(),
        tag: 7,
    };
    let mut prev = fork_base;
    for _ in 0..7 {
        let b = forker.block_on(prev, vec![], op_true());
        forker.submit(&b);
        prev = b.block_hash();
    }
    assert_eq!(miner.tip(), prev, "the fork is active");
    run.wait(&cm);
    check_stats_match_scan(&run, &cm);
    // The payment's block left the chain: txindex still names it (Core keeps
    // such entries; getrawtransaction then shows 0 confirmations).
    let (stale_block, _) = run
        .tx
        .backend()
        .find_tx(&payment.compute_txid())
        .unwrap()
        .unwrap();
    assert_eq!(stale_block, with_payment.block_hash());
    assert!(!cm.lock().unwrap().is_active(&stale_block));
    let tip_height = cm.lock().unwrap().tip().unwrap().height;
    assert_eq!(run.stats.summary().best_block_height, tip_height);
    run.stop();

    // A restart resumes from the stored best block and follows on.
    let run = Running::start(dir.path(), &cm);
    assert!(
        run.stats.summary().synced,
        "synced at start-up when at the tip"
    );
    miner.mine(1);
    run.wait(&cm);
    check_stats_match_scan(&run, &cm);
    run.stop();
}

#[test]
fn coinstats_totals_follow_core_accounting() {
    let dir = tempfile::tempdir().unwrap();
    let cm = open_chain(dir.path());
    let miner = Miner {
        cm: cm.clone(),
        tag: 0,
    };
    let blocks = miner.mine(55);
    let funding = OutPoint {
        txid: blocks[1].txdata[0].compute_txid(),
        vout: 0,
    };
    let value = blocks[1].txdata[0].output[0].value.to_sat() - 2000;
    // 1000 sat fee + 1000 sat to OP_RETURN; the coinbase claims the fee.
    let b = miner.block_on(
        miner.tip(),
        vec![spend(funding, value, op_true())],
        op_true(),
    );
    miner.submit(&b);
    let run = Running::start(dir.path(), &cm);
    run.wait(&cm);
    let s = run
        .stats
        .backend()
        .look_up_stats(&b.block_hash())
        .unwrap()
        .unwrap();
    let prev = run
        .stats
        .backend()
        .look_up_stats(&b.header.prev_blockhash)
        .unwrap()
        .unwrap();
    assert_eq!(
        s.total_unspendables_scripts - prev.total_unspendables_scripts,
        1000
    );
    assert_eq!(
        s.total_prevout_spent_amount - prev.total_prevout_spent_amount,
        value as i64 + 2000
    );
    assert_eq!(s.total_unspendables_unclaimed_rewards, 0);
    // The genesis subsidy is unspendable.
    let genesis = run
        .stats
        .backend()
        .look_up_stats(&regtest().genesis_hash())
        .unwrap()
        .unwrap();
    assert!(genesis.total_unspendables_genesis_block > 0);
    assert_eq!(genesis.total_unspendable_amount, genesis.total_subsidy);
    assert_eq!(genesis.txouts, 0);
    run.stop();
}
