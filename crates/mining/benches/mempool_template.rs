//! Mempool and block-template benchmark (issue 4): a harness, not a test.
//!
//! On a real regtest chainstate (a temporary directory, block files and redb
//! UTXO set), through the libraries the node uses:
//!
//! 1. Acceptance: `--txs` independent spends of P2WSH(OP_TRUE) outputs (one
//!    input, one output, varied fee rates), each through `Mempool::accept`
//!    (every policy and consensus check, script checks included), against the
//!    chainstate's UTXO set. Reported as transactions/s. Then as many
//!    signed P2WPKH spends (one ECDSA signature check each) into a second,
//!    empty pool: acceptance with signature checks.
//! 2. Template: `Miner::create_new_block` (selection by ancestor fee rate,
//!    then `TestBlockValidity` with script checks), as `getblocktemplate`
//!    runs it, with that pool: median and minimum of `--runs` calls.
//! 3. Full block: `--big` more transactions of one input and 240 outputs
//!    (about 41,000 weight each) so that the pool holds more than a block's
//!    worth (32,000,000 weight), then the template again; reports the
//!    template's weight next to the 31,996,000 available to transactions.
//!
//! ```text
//! cargo bench -p widecoin-mining --bench mempool_template -- [--txs N] [--big N] [--runs N] [--no-tbv]
//! ```
//! Defaults: 4000 small transactions, 850 big ones, 5 template runs.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bitcoin::absolute::LockTime;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{
    Amount, CompressedPublicKey, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut,
    WScriptHash, Witness,
};
use widecoin_chainparams::{ChainParams, ChainType};
use widecoin_chainstate::{ChainstateManager, ChainstateOptions};
use widecoin_mempool::{ChainMtp, ChainView, Coin, CoinView, Mempool, MempoolOptions};
use widecoin_mining::{AssemblerOptions, BlockTx, Miner, NoTxs, TxSource, DEFAULT_MAX_TRIES};

/// The chainstate as the pool sees it (what the node's `ChainAdapter` does).
struct Chain<'a>(&'a ChainstateManager);

impl CoinView for Chain<'_> {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        self.0.get_coin(outpoint).ok().flatten().map(|c| Coin {
            output: c.output,
            height: c.height,
            is_coinbase: c.coinbase,
        })
    }
}

impl ChainMtp for Chain<'_> {
    fn median_time_past(&self, height: u32) -> i64 {
        self.0
            .block_hash_at(height)
            .and_then(|h| self.0.median_time_past(&h))
            .unwrap_or(0)
    }
}

impl ChainView for Chain<'_> {
    fn tip_height(&self) -> i32 {
        self.0.height() as i32
    }

    fn tip_mtp(&self) -> i64 {
        self.0.tip_median_time_past().unwrap_or(0)
    }
}

/// The pool as the assembler's source (what the node's `TxPool` does).
struct Pool<'a>(&'a Mempool);

impl TxSource for Pool<'_> {
    fn block_txs(&mut self, height: u32, lock_time_cutoff: i64) -> Vec<BlockTx> {
        self.0
            .block_txs(height, lock_time_cutoff)
            .into_iter()
            .map(|(tx, fee, sigop_cost)| BlockTx {
                tx,
                fee,
                sigop_cost,
            })
            .collect()
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

fn op_true() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![0x51])
}

fn p2wsh_op_true() -> ScriptBuf {
    ScriptBuf::new_p2wsh(&WScriptHash::from_byte_array(
        sha256::Hash::hash(op_true().as_bytes()).to_byte_array(),
    ))
}

/// Spends `prevout` (a P2WSH(OP_TRUE) output) into `outputs`.
fn spend(prevout: OutPoint, outputs: Vec<TxOut>) -> Transaction {
    Transaction {
        version: TxVersion(2),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: prevout,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[op_true().as_bytes()]),
        }],
        output: outputs,
    }
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Times `runs` templates; returns (median ms, min ms, the last template's
/// transaction count and weight).
fn time_templates(
    miner: &Miner,
    cm: &mut ChainstateManager,
    pool: &Mempool,
    runs: usize,
) -> (f64, f64, u64, u64) {
    let mut times = Vec::new();
    let mut last = (0, 0);
    for _ in 0..runs {
        let start = Instant::now();
        let t = miner
            .create_new_block(cm, &p2wsh_op_true(), &mut Pool(pool))
            .expect("template");
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        last = (t.selected_txs, t.block.weight().to_wu());
    }
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    (median(times), min, last.0, last.1)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n_small = arg(&args, "--txs", 4000);
    let n_big = arg(&args, "--big", 850);
    let runs = arg(&args, "--runs", 5).max(1);
    const BIG_OUTPUTS: usize = 240;

    let dir = tempfile::tempdir().expect("temporary directory");
    let clock: widecoin_chainstate::Clock = Arc::new(now);
    let mut cm = ChainstateManager::open(
        &dir.path().join("blocks"),
        &dir.path().join("chainstate"),
        ChainParams::new(ChainType::Regtest),
        ChainstateOptions {
            par: 1,
            clock: clock.clone(),
            ..ChainstateOptions::default()
        },
    )
    .expect("open chainstate");
    // `--no-tbv`: selection only, without `TestBlockValidity`.
    let options = AssemblerOptions {
        test_block_validity: !args.iter().any(|a| a == "--no-tbv"),
        ..AssemblerOptions::default()
    };
    let miner = Miner::new(options, clock);
    let spk = p2wsh_op_true();

    // 60 blocks: the height-1 premine (3.5 M WCN) matures (50 blocks).
    let start = Instant::now();
    miner
        .generate_blocks(&mut cm, &spk, 60, DEFAULT_MAX_TRIES, &mut NoTxs)
        .expect("mine");
    let premine_hash = cm.block_hash_at(1).expect("height 1");
    let premine_block = cm.get_block(&premine_hash).expect("read").expect("block");
    let premine_tx = &premine_block.txdata[0];
    let premine = OutPoint {
        txid: premine_tx.compute_txid(),
        vout: 0,
    };
    let premine_value = premine_tx.output[0].value.to_sat();

    // One block fanning the premine out to one output per benchmark
    // transaction: P2WSH(OP_TRUE) for the small and big ones, then P2WPKH
    // for the signed ones.
    let secp = Secp256k1::new();
    let sk = SecretKey::from_slice(&[0x42; 32]).expect("valid key");
    let pk = CompressedPublicKey(sk.public_key(&secp));
    let wpkh = ScriptBuf::new_p2wpkh(&pk.wpubkey_hash());
    let n_out = n_small + n_big + n_small;
    let each = premine_value / (n_out as u64 + 1);
    let fan = spend(
        premine,
        (0..n_out)
            .map(|i| TxOut {
                value: Amount::from_sat(each),
                script_pubkey: if i < n_small + n_big {
                    spk.clone()
                } else {
                    wpkh.clone()
                },
            })
            .collect(),
    );
    let fan_txid = fan.compute_txid();
    let fan_fee = premine_value - each * n_out as u64;
    let mut source = vec![BlockTx {
        tx: fan,
        fee: fan_fee as i64,
        sigop_cost: 0,
    }];
    miner
        .generate_blocks(&mut cm, &spk, 1, DEFAULT_MAX_TRIES, &mut source)
        .expect("fan-out block");
    println!(
        "setup: 61 blocks and a fan-out to {n_out} outputs in {:.2} s (tip height {})",
        start.elapsed().as_secs_f64(),
        cm.height()
    );
    let outpoint = |vout: usize| OutPoint {
        txid: fan_txid,
        vout: vout as u32,
    };

    // 1. Acceptance of independent one-in one-out spends, fee rates varied.
    let small: Vec<Transaction> = (0..n_small)
        .map(|i| {
            let fee = 200 + (i as u64 * 7919) % 20_000;
            spend(
                outpoint(i),
                vec![TxOut {
                    value: Amount::from_sat(each - fee),
                    script_pubkey: spk.clone(),
                }],
            )
        })
        .collect();
    let mut pool = Mempool::new(MempoolOptions::default());
    let t = now();
    let start = Instant::now();
    for tx in &small {
        pool.accept(tx, &Chain(&cm), t).expect("accepted");
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "accept: {n_small} independent spends in {:.3} s = {:.0} tx/s ({:.1} us/tx); pool {} txs, {} vB",
        secs,
        n_small as f64 / secs,
        secs * 1e6 / n_small as f64,
        pool.len(),
        pool.total_vsize()
    );

    // 1b. Signed P2WPKH spends into an empty pool (signatures made first).
    let signed: Vec<Transaction> = (0..n_small)
        .map(|i| {
            let fee = 200 + (i as u64 * 7919) % 20_000;
            let mut tx = spend(
                outpoint(n_small + n_big + i),
                vec![TxOut {
                    value: Amount::from_sat(each - fee),
                    script_pubkey: spk.clone(),
                }],
            );
            let sighash = SighashCache::new(&tx)
                .p2wpkh_signature_hash(0, &wpkh, Amount::from_sat(each), EcdsaSighashType::All)
                .expect("sighash");
            let sig = secp.sign_ecdsa(&Message::from_digest(sighash.to_byte_array()), &sk);
            tx.input[0].witness = Witness::p2wpkh(
                &bitcoin::ecdsa::Signature {
                    signature: sig,
                    sighash_type: EcdsaSighashType::All,
                },
                &pk.0,
            );
            tx
        })
        .collect();
    let mut signed_pool = Mempool::new(MempoolOptions::default());
    let start = Instant::now();
    for tx in &signed {
        signed_pool.accept(tx, &Chain(&cm), t).expect("accepted");
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "accept: {n_small} signed P2WPKH spends in {:.3} s = {:.0} tx/s ({:.1} us/tx)",
        secs,
        n_small as f64 / secs,
        secs * 1e6 / n_small as f64,
    );
    drop(signed_pool);

    // 2. The template with the unsigned ones.
    let (med, min, txs, weight) = time_templates(&miner, &mut cm, &pool, runs);
    println!(
        "template: {txs} txs, weight {weight}: median {med:.1} ms, min {min:.1} ms ({runs} runs)"
    );

    // 3. More than a block's worth: big transactions (1 input, 240 outputs).
    let per_output = (each - 100_000) / BIG_OUTPUTS as u64;
    let big: Vec<Transaction> = (0..n_big)
        .map(|i| {
            let mut tx = spend(
                outpoint(n_small + i),
                (0..BIG_OUTPUTS)
                    .map(|_| TxOut {
                        value: Amount::from_sat(per_output),
                        script_pubkey: spk.clone(),
                    })
                    .collect(),
            );
            // Varied fees: shave some satoshis off the first output.
            tx.output[0].value = Amount::from_sat(per_output - (i as u64 * 104_729) % 200_000);
            tx
        })
        .collect();
    let start = Instant::now();
    for tx in &big {
        pool.accept(tx, &Chain(&cm), t).expect("accepted");
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "accept: {n_big} transactions of {BIG_OUTPUTS} outputs ({} weight each) in {:.3} s = {:.0} tx/s; pool {} txs, {} vB ({} weight)",
        big.first().map_or(0, |t| t.weight().to_wu()),
        secs,
        n_big as f64 / secs,
        pool.len(),
        pool.total_vsize(),
        pool.total_vsize() * 4
    );
    let (med, min, txs, weight) = time_templates(&miner, &mut cm, &pool, runs);
    println!(
        "template (full block): {txs} txs, block weight {weight} of {}: median {med:.1} ms, min {min:.1} ms ({runs} runs)",
        miner.options.clamped_max_weight()
    );
}
