//! Applying a block to the UTXO set and undoing it (Core's `ConnectBlock`,
//! `DisconnectBlock`, `CheckTxInputs`, `SequenceLocks`, `GetBlockScriptFlags`),
//! with script checks spread over `-par` threads.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use bitcoin::{Block, OutPoint, Transaction, TxOut};
use widecoin_chainparams::consensus::{money_range, COINBASE_MATURITY, MAX_BLOCK_SIGOPS_COST};
use widecoin_chainparams::{get_block_subsidy, ConsensusParams};
use widecoin_consensus::{
    transaction_sigop_cost, verify_script, PrecomputedTransactionData, ScriptError, ScriptFlags,
    TransactionSignatureChecker,
};

use crate::checks::BIP34_IMPLIES_BIP30_LIMIT;
use crate::coins::CoinsLayer;
use crate::error::{BlockValidationError as E, ChainstateError};
use crate::index::{BlockIndex, EntryId};
use crate::undo::{BlockUndo, Coin, TxUndo};

const SEQUENCE_LOCKTIME_DISABLE_FLAG: u32 = 1 << 31;
const SEQUENCE_LOCKTIME_TYPE_FLAG: u32 = 1 << 22;
const SEQUENCE_LOCKTIME_MASK: u32 = 0x0000_ffff;
const SEQUENCE_LOCKTIME_GRANULARITY: u32 = 9;

/// `GetBlockScriptFlags`: P2SH|WITNESS|TAPROOT unless the block is a
/// script-flag exception, plus DERSIG, CLTV, CSV and NULLDUMMY by height.
pub fn block_script_flags(index: &BlockIndex, id: EntryId, c: &ConsensusParams) -> ScriptFlags {
    let e = index.entry(id);
    let mut flags = match c.script_flag_exceptions.get(&e.hash) {
        Some(bits) => ScriptFlags::from_bits(*bits),
        None => ScriptFlags::P2SH | ScriptFlags::WITNESS | ScriptFlags::TAPROOT,
    };
    let h = e.height as i32;
    if h >= c.bip66_height {
        flags |= ScriptFlags::DERSIG;
    }
    if h >= c.bip65_height {
        flags |= ScriptFlags::CHECKLOCKTIMEVERIFY;
    }
    if h >= c.csv_height {
        flags |= ScriptFlags::CHECKSEQUENCEVERIFY;
    }
    if h >= c.segwit_height {
        flags |= ScriptFlags::NULLDUMMY;
    }
    flags
}

/// Core's `CalculateSequenceLocks` + `EvaluateSequenceLocks` for a transaction
/// in the block `id` (BIP68), given the heights of the coins it spends.
pub fn sequence_locks_ok(
    tx: &Transaction,
    prev_heights: &[u32],
    index: &BlockIndex,
    id: EntryId,
) -> bool {
    if tx.version.0 < 2 {
        return true;
    }
    let e = index.entry(id);
    let prev = e.prev.expect("not genesis");
    let mut min_height: i64 = -1;
    let mut min_time: i64 = -1;
    for (input, &coin_height) in tx.input.iter().zip(prev_heights) {
        let seq = input.sequence.0;
        if seq & SEQUENCE_LOCKTIME_DISABLE_FLAG != 0 {
            continue;
        }
        if seq & SEQUENCE_LOCKTIME_TYPE_FLAG != 0 {
            let anc = index
                .ancestor(prev, coin_height.saturating_sub(1))
                .expect("coin height at most the parent's");
            let coin_time = index.median_time_past(anc);
            min_time = min_time.max(
                coin_time
                    + (i64::from(seq & SEQUENCE_LOCKTIME_MASK) << SEQUENCE_LOCKTIME_GRANULARITY)
                    - 1,
            );
        } else {
            min_height = min_height
                .max(i64::from(coin_height) + i64::from(seq & SEQUENCE_LOCKTIME_MASK) - 1);
        }
    }
    !(min_height >= i64::from(e.height) || min_time >= index.median_time_past(prev))
}

/// One input's script check (Core's `CScriptCheck`).
struct ScriptCheck<'a> {
    tx_index: usize,
    tx: &'a Transaction,
    input: usize,
    amount: u64,
    script_pubkey: &'a [u8],
    txdata: &'a PrecomputedTransactionData,
}

impl ScriptCheck<'_> {
    fn run(&self, flags: ScriptFlags) -> Result<(), ScriptError> {
        let input = &self.tx.input[self.input];
        let checker =
            TransactionSignatureChecker::new(self.tx, self.input, self.amount, self.txdata);
        verify_script(
            input.script_sig.as_bytes(),
            self.script_pubkey,
            &input.witness,
            flags,
            &checker,
        )
    }
}

/// Runs checks on `threads` threads (the caller's plus `threads - 1`),
/// returning the first failure found.
fn run_checks(
    checks: &[ScriptCheck<'_>],
    flags: ScriptFlags,
    threads: usize,
) -> Option<(usize, usize, ScriptError)> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let first: Mutex<Option<(usize, usize, ScriptError)>> = Mutex::new(None);
    let work = || {
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(c) = checks.get(i) else { break };
            if let Err(e) = c.run(flags) {
                failed.store(true, Ordering::Relaxed);
                let mut f = first.lock().expect("no panics while locked");
                if f.is_none() {
                    *f = Some((c.tx_index, c.input, e));
                }
            }
        }
    };
    let extra = threads
        .saturating_sub(1)
        .min(checks.len().saturating_sub(1));
    if extra == 0 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..extra {
                s.spawn(work);
            }
            work();
        });
    }
    first.into_inner().expect("no panics while locked")
}

/// What connecting needs to know besides the block.
pub struct ConnectContext<'a> {
    pub index: &'a BlockIndex,
    pub id: EntryId,
    pub params: &'a ConsensusParams,
    /// Verify scripts (false below an `-assumevalid` block).
    pub check_scripts: bool,
    /// `-par`: total script-check threads; 1 checks inline.
    pub threads: usize,
}

/// Bitcoin's two BIP30 exceptions (`IsBIP30Repeat`); they never match Widecoin.
fn is_bip30_repeat(height: u32, hash: &bitcoin::BlockHash) -> bool {
    let s = hash.to_string();
    (height == 91842 && s == "00000000000a4d0a398161ffc163c503763b1f4360639393e0e4c8e300e0caec")
        || (height == 91880
            && s == "00000000000743f190a18c5577a3c2d2a1f610ae9601ac046a38084ccb7cd721")
}

/// `ConnectBlock`: checks the block against the UTXO set in `view` and applies
/// it; returns the undo data. The genesis block changes nothing.
pub fn connect_block(
    block: &Block,
    ctx: &ConnectContext<'_>,
    view: &mut CoinsLayer<'_>,
) -> Result<BlockUndo, ChainstateError> {
    let index = ctx.index;
    let entry = index.entry(ctx.id);
    let c = ctx.params;
    let mut undo = BlockUndo::default();
    let Some(prev) = entry.prev else {
        return Ok(undo);
    };
    let height = entry.height;

    // BIP30, skipped where BIP34 guarantees unique coinbases (Widecoin mainnet
    // between the BIP34 block and BIP34_IMPLIES_BIP30_LIMIT).
    let mut enforce_bip30 = !is_bip30_repeat(height, &entry.hash);
    if let Some(b34) = u32::try_from(c.bip34_height)
        .ok()
        .and_then(|h| index.ancestor(prev, h))
    {
        if index.entry(b34).hash == c.bip34_hash {
            enforce_bip30 = false;
        }
    }
    if enforce_bip30 || height >= BIP34_IMPLIES_BIP30_LIMIT {
        for tx in &block.txdata {
            let txid = tx.compute_txid();
            for vout in 0..tx.output.len() as u32 {
                if view.have(&OutPoint { txid, vout })? {
                    return Err(E::Bip30.into());
                }
            }
        }
    }

    let flags = block_script_flags(index, ctx.id, c);
    let csv = height as i32 >= c.csv_height;
    let parallel = ctx.threads > 1;

    let mut fees: i64 = 0;
    let mut sigops: u64 = 0;
    // Spent outputs per transaction, kept for the deferred script checks.
    let mut spent_all: Vec<Vec<TxOut>> = Vec::with_capacity(block.txdata.len());
    for (i, tx) in block.txdata.iter().enumerate() {
        let txid = tx.compute_txid();
        let mut spent_coins: Vec<Coin> = Vec::new();
        if !tx.is_coinbase() {
            // CheckTxInputs.
            let mut value_in: i64 = 0;
            for input in &tx.input {
                let Some(coin) = view.get(&input.previous_output)? else {
                    return Err(E::InputsMissingOrSpent { index: i }.into());
                };
                spent_coins.push(coin);
            }
            for coin in &spent_coins {
                if coin.coinbase && height - coin.height < COINBASE_MATURITY {
                    return Err(E::PrematureSpendOfCoinbase {
                        depth: height - coin.height,
                    }
                    .into());
                }
                let v = coin.output.value.to_sat() as i64;
                value_in = value_in.saturating_add(v);
                if !money_range(v) || !money_range(value_in) {
                    return Err(E::InputValuesOutOfRange.into());
                }
            }
            let value_out: i64 = tx.output.iter().map(|o| o.value.to_sat() as i64).sum();
            if value_in < value_out {
                return Err(E::InBelowOut {
                    value_in: value_in as u64,
                    value_out: value_out as u64,
                }
                .into());
            }
            let fee = value_in - value_out;
            if !money_range(fee) {
                return Err(E::FeeOutOfRange.into());
            }
            fees += fee;
            if !money_range(fees) {
                return Err(E::AccumulatedFeeOutOfRange.into());
            }
            if csv {
                let heights: Vec<u32> = spent_coins.iter().map(|c| c.height).collect();
                if !sequence_locks_ok(tx, &heights, index, ctx.id) {
                    return Err(E::SequenceLocks.into());
                }
            }
        }
        let spent: Vec<TxOut> = spent_coins.iter().map(|c| c.output.clone()).collect();
        sigops += transaction_sigop_cost(tx, &spent, flags);
        if sigops > MAX_BLOCK_SIGOPS_COST {
            tracing::info!("ERROR: ConnectBlock(): too many sigops");
            return Err(E::BlockSigops.into());
        }
        if !tx.is_coinbase() && ctx.check_scripts && !parallel {
            // Checked inline, as Core does without script-check threads.
            let txdata = PrecomputedTransactionData::with_spent_outputs(spent.clone());
            for (n, out) in spent.iter().enumerate() {
                let check = ScriptCheck {
                    tx_index: i,
                    tx,
                    input: n,
                    amount: out.value.to_sat(),
                    script_pubkey: out.script_pubkey.as_bytes(),
                    txdata: &txdata,
                };
                if let Err(error) = check.run(flags) {
                    let err = E::Script {
                        tx: i,
                        input: n,
                        error,
                        parallel: false,
                    };
                    tracing::info!(
                        "ERROR: ConnectBlock(): CheckInputScripts on {txid} failed with {}",
                        err.state_string()
                    );
                    return Err(err.into());
                }
            }
        }
        // UpdateCoins.
        if !tx.is_coinbase() {
            let mut txundo = TxUndo::default();
            for input in &tx.input {
                let coin = view.spend(&input.previous_output)?.expect("checked above");
                txundo.prevouts.push(coin);
            }
            undo.txs.push(txundo);
        }
        for (vout, out) in tx.output.iter().enumerate() {
            view.add(
                OutPoint {
                    txid,
                    vout: vout as u32,
                },
                Coin {
                    output: out.clone(),
                    height,
                    coinbase: tx.is_coinbase(),
                },
                tx.is_coinbase(),
            );
        }
        spent_all.push(spent);
    }

    let limit = fees as u64 + get_block_subsidy(height, c);
    let actual: u64 = block.txdata[0]
        .output
        .iter()
        .map(|o| o.value.to_sat())
        .sum();
    if actual > limit {
        return Err(E::CoinbaseAmount { actual, limit }.into());
    }

    if ctx.check_scripts && parallel {
        let txdatas: Vec<PrecomputedTransactionData> = spent_all
            .iter()
            .map(|s| PrecomputedTransactionData::with_spent_outputs(s.clone()))
            .collect();
        let mut checks = Vec::new();
        for (i, tx) in block.txdata.iter().enumerate().skip(1) {
            for (n, out) in spent_all[i].iter().enumerate() {
                checks.push(ScriptCheck {
                    tx_index: i,
                    tx,
                    input: n,
                    amount: out.value.to_sat(),
                    script_pubkey: out.script_pubkey.as_bytes(),
                    txdata: &txdatas[i],
                });
            }
        }
        if let Some((tx, input, error)) = run_checks(&checks, flags, ctx.threads) {
            tracing::info!("ERROR: ConnectBlock: CheckQueue failed");
            return Err(E::Script {
                tx,
                input,
                error,
                parallel: true,
            }
            .into());
        }
    }
    Ok(undo)
}

/// Result of `DisconnectBlock` (`DisconnectResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectResult {
    Ok,
    /// Done, but the UTXO set was not as expected.
    Unclean,
}

/// `DisconnectBlock`: removes the block's outputs and restores the coins its
/// inputs spent from `undo`.
pub fn disconnect_block(
    block: &Block,
    undo: &BlockUndo,
    height: u32,
    view: &mut CoinsLayer<'_>,
) -> Result<DisconnectResult, ChainstateError> {
    if undo.txs.len() + 1 != block.txdata.len() {
        return Err(ChainstateError::Corrupt(
            "block and undo data inconsistent".into(),
        ));
    }
    let mut clean = true;
    for (i, tx) in block.txdata.iter().enumerate().rev() {
        let txid = tx.compute_txid();
        for (vout, out) in tx.output.iter().enumerate() {
            if out.script_pubkey.is_op_return()
                || out.script_pubkey.len() > widecoin_consensus::constants::MAX_SCRIPT_SIZE
            {
                continue;
            }
            let op = OutPoint {
                txid,
                vout: vout as u32,
            };
            match view.spend(&op)? {
                Some(coin)
                    if coin.height == height
                        && coin.coinbase == tx.is_coinbase()
                        && coin.output == *out => {}
                _ => clean = false,
            }
        }
        if i > 0 {
            let txundo = &undo.txs[i - 1];
            if txundo.prevouts.len() != tx.input.len() {
                return Err(ChainstateError::Corrupt(
                    "transaction and undo data inconsistent".into(),
                ));
            }
            for (input, coin) in tx.input.iter().zip(&txundo.prevouts).rev() {
                if view.have(&input.previous_output)? {
                    clean = false;
                }
                view.add(input.previous_output, coin.clone(), true);
            }
        }
    }
    Ok(if clean {
        DisconnectResult::Ok
    } else {
        DisconnectResult::Unclean
    })
}
