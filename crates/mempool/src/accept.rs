//! Single-transaction acceptance (Core's `MemPoolAccept::AcceptSingleTransaction`):
//! `PreChecks`, `PolicyScriptChecks`, `ConsensusScriptChecks` and `Finalize`, with Core's
//! reject reasons in Core's order. Replacement (BIP125) is not done yet: every conflict is
//! rejected with `txn-mempool-conflict`.

use std::collections::BTreeSet;
use std::sync::Arc;

use bitcoin::{Transaction, TxOut, Txid, Wtxid};
use widecoin_consensus::{
    check_transaction, mandatory_reject_reason, non_mandatory_reject_reason,
    transaction_sigop_cost, verify_script, PrecomputedTransactionData, ScriptError, ScriptFlags,
    TransactionSignatureChecker,
};

use crate::inputs::{check_tx_inputs, CoinView};
use crate::locks::{check_final_tx_at_tip, check_sequence_locks_at_tip};
use crate::pool::{ChainView, Mempool, MempoolEntry, PoolView};
use crate::reject::{TxRejection, TxValidationResult};
use crate::standard::{
    are_inputs_standard, check_min_nonwitness_size, check_sigops_cost,
    get_virtual_transaction_size, is_standard_tx, is_witness_standard,
};

/// What an accepted (or, for `testmempoolaccept`, acceptable) transaction looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptResult {
    pub txid: Txid,
    pub wtxid: Wtxid,
    /// Sigop-adjusted virtual size.
    pub vsize: u64,
    /// Base fee in satoshis.
    pub fee: i64,
}

fn reject(
    result: TxValidationResult,
    reason: impl Into<String>,
    debug: impl Into<String>,
) -> TxRejection {
    TxRejection::new(result, reason, debug)
}

impl Mempool {
    /// Core's `AcceptToMemoryPool` for one transaction received at `now`: all checks, then
    /// adds it.
    pub fn accept<C: ChainView + ?Sized>(
        &mut self,
        tx: &Transaction,
        chain: &C,
        now: i64,
    ) -> Result<AcceptResult, TxRejection> {
        let entry = self.check(tx, chain, now)?;
        let result = AcceptResult {
            txid: entry.txid,
            wtxid: entry.wtxid,
            vsize: entry.vsize,
            fee: entry.fee,
        };
        tracing::debug!(target: "mempool", "AcceptToMemoryPool: accepted {} (wtxid={}) (poolsz {} txn)", entry.txid, entry.wtxid, self.len() + 1);
        self.add_unchecked(entry);
        Ok(result)
    }

    /// Every check of [`Mempool::accept`] without adding (`testmempoolaccept`).
    pub fn test_accept<C: ChainView + ?Sized>(
        &self,
        tx: &Transaction,
        chain: &C,
        now: i64,
    ) -> Result<AcceptResult, TxRejection> {
        let entry = self.check(tx, chain, now)?;
        Ok(AcceptResult {
            txid: entry.txid,
            wtxid: entry.wtxid,
            vsize: entry.vsize,
            fee: entry.fee,
        })
    }

    fn check<C: ChainView + ?Sized>(
        &self,
        tx: &Transaction,
        chain: &C,
        now: i64,
    ) -> Result<MempoolEntry, TxRejection> {
        let (entry, spent) = self.pre_checks(tx, chain, now)?;
        let txdata = PrecomputedTransactionData::with_spent_outputs(spent.clone());
        // PolicyScriptChecks
        check_input_scripts(tx, &spent, &txdata, ScriptFlags::STANDARD)?;
        // ConsensusScriptChecks: the next block's flags are every mandatory flag on regtest
        // and past the buried deployments.
        check_input_scripts(tx, &spent, &txdata, ScriptFlags::MANDATORY)?;
        Ok(entry)
    }

    /// Core's `MemPoolAccept::PreChecks`, in Core's order.
    fn pre_checks<C: ChainView + ?Sized>(
        &self,
        tx: &Transaction,
        chain: &C,
        now: i64,
    ) -> Result<(MempoolEntry, Vec<TxOut>), TxRejection> {
        let opts = &self.options;
        check_transaction(tx)?;
        if tx.is_coinbase() {
            return Err(reject(TxValidationResult::Consensus, "coinbase", ""));
        }
        if opts.require_standard {
            is_standard_tx(
                tx,
                opts.max_datacarrier_bytes,
                opts.permit_bare_multisig,
                opts.dust_relay_feerate,
            )?;
        }
        check_min_nonwitness_size(tx)?;
        let tip_height = chain.tip_height();
        check_final_tx_at_tip(tx, tip_height, chain.tip_mtp())?;

        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        if self.by_wtxid.contains_key(&wtxid) {
            return Err(reject(
                TxValidationResult::Conflict,
                "txn-already-in-mempool",
                "",
            ));
        }
        if self.entries.contains_key(&txid) {
            return Err(reject(
                TxValidationResult::Conflict,
                "txn-same-nonwitness-data-in-mempool",
                "",
            ));
        }
        if tx
            .input
            .iter()
            .any(|i| self.spent.contains_key(&i.previous_output))
        {
            return Err(reject(
                TxValidationResult::MempoolPolicy,
                "txn-mempool-conflict",
                "",
            ));
        }

        let view = PoolView { pool: self, chain };
        for input in &tx.input {
            if view.coin(&input.previous_output).is_none() {
                let known = (0..tx.output.len() as u32)
                    .any(|vout| chain.coin(&bitcoin::OutPoint { txid, vout }).is_some());
                if known {
                    return Err(reject(
                        TxValidationResult::Conflict,
                        "txn-already-known",
                        "",
                    ));
                }
                return Err(reject(
                    TxValidationResult::MissingInputs,
                    "bad-txns-inputs-missingorspent",
                    "",
                ));
            }
        }
        let lock_points = check_sequence_locks_at_tip(tx, &view, tip_height, chain)?;
        let fee = check_tx_inputs(tx, &view, tip_height + 1)?;
        let coins: Vec<_> = tx
            .input
            .iter()
            .map(|i| view.coin(&i.previous_output).expect("checked above"))
            .collect();
        let spent: Vec<TxOut> = coins.iter().map(|c| c.output.clone()).collect();
        if opts.require_standard {
            are_inputs_standard(tx, &spent)?;
            let has_witness = tx.input.iter().any(|i| !i.witness.is_empty());
            if has_witness {
                is_witness_standard(tx, &spent)?;
            }
        }
        let sigop_cost = transaction_sigop_cost(tx, &spent, ScriptFlags::STANDARD);
        let weight = tx.weight().to_wu();
        let vsize = get_virtual_transaction_size(weight, sigop_cost, opts.bytes_per_sigop);
        check_sigops_cost(sigop_cost)?;
        let min_fee = opts.min_relay_feerate.get_fee(vsize as u32);
        if fee < min_fee {
            return Err(reject(
                TxValidationResult::MempoolPolicy,
                "min relay fee not met",
                format!("{fee} < {min_fee}"),
            ));
        }
        let parents = self.check_ancestor_limits(tx, vsize)?;
        let entry = MempoolEntry {
            tx: Arc::new(tx.clone()),
            txid,
            wtxid,
            fee,
            vsize,
            weight,
            sigop_cost,
            time: now,
            height: tip_height,
            sequence: 0,
            spends_coinbase: coins.iter().any(|c| c.is_coinbase),
            lock_points,
            parents,
            children: BTreeSet::new(),
        };
        Ok((entry, spent))
    }

    /// Core's `CalculateMemPoolAncestors` with the pool's limits, failing with
    /// `too-long-mempool-chain` and Core's message. Returns the in-pool parents.
    fn check_ancestor_limits(
        &self,
        tx: &Transaction,
        vsize: u64,
    ) -> Result<BTreeSet<Txid>, TxRejection> {
        let limits = self.options.limits;
        let too_long = |msg: String| {
            reject(
                TxValidationResult::MempoolPolicy,
                "too-long-mempool-chain",
                msg,
            )
        };
        let mut parents = BTreeSet::new();
        for input in &tx.input {
            let p = input.previous_output.txid;
            if self.entries.contains_key(&p)
                && parents.insert(p)
                && parents.len() as u64 + 1 > limits.ancestor_count
            {
                return Err(too_long(format!(
                    "too many unconfirmed parents [limit: {}]",
                    limits.ancestor_count
                )));
            }
        }
        let mut staged: BTreeSet<Txid> = parents.clone();
        let mut ancestors = BTreeSet::new();
        let mut total = vsize;
        while let Some(t) = staged.pop_first() {
            ancestors.insert(t);
            let e = &self.entries[&t];
            total += e.vsize;
            let desc = self.with_descendants(&t);
            if desc.vsize + vsize > limits.descendant_size_vbytes {
                return Err(too_long(format!(
                    "exceeds descendant size limit for tx {t} [limit: {}]",
                    limits.descendant_size_vbytes
                )));
            } else if desc.count + 1 > limits.descendant_count {
                return Err(too_long(format!(
                    "too many descendants for tx {t} [limit: {}]",
                    limits.descendant_count
                )));
            } else if total > limits.ancestor_size_vbytes {
                return Err(too_long(format!(
                    "exceeds ancestor size limit [limit: {}]",
                    limits.ancestor_size_vbytes
                )));
            }
            for p in &e.parents {
                if !ancestors.contains(p) {
                    staged.insert(*p);
                }
                if (staged.len() + ancestors.len()) as u64 + 1 > limits.ancestor_count {
                    return Err(too_long(format!(
                        "too many unconfirmed ancestors [limit: {}]",
                        limits.ancestor_count
                    )));
                }
            }
        }
        Ok(parents)
    }
}

/// Core's `CheckInputScripts` for the mempool: every input under `flags`; a failure that
/// passes without the non-mandatory flags is `non-mandatory-script-verify-flag (...)`
/// (not standard), otherwise `mandatory-script-verify-flag-failed (...)` (consensus).
fn check_input_scripts(
    tx: &Transaction,
    spent: &[TxOut],
    txdata: &PrecomputedTransactionData,
    flags: ScriptFlags,
) -> Result<(), TxRejection> {
    let run = |i: usize, flags: ScriptFlags| -> Result<(), ScriptError> {
        let input = &tx.input[i];
        let checker = TransactionSignatureChecker::new(tx, i, spent[i].value.to_sat(), txdata);
        verify_script(
            input.script_sig.as_bytes(),
            spent[i].script_pubkey.as_bytes(),
            &input.witness,
            flags,
            &checker,
        )
    };
    for i in 0..tx.input.len() {
        if let Err(err) = run(i, flags) {
            let mandatory =
                ScriptFlags::from_bits(flags.bits() & !ScriptFlags::STANDARD_NOT_MANDATORY.bits());
            return Err(match run(i, mandatory) {
                Ok(()) if mandatory != flags => reject(
                    TxValidationResult::NotStandard,
                    non_mandatory_reject_reason(err),
                    "",
                ),
                Ok(()) => reject(
                    TxValidationResult::Consensus,
                    mandatory_reject_reason(err),
                    "",
                ),
                Err(err) => reject(
                    TxValidationResult::Consensus,
                    mandatory_reject_reason(err),
                    "",
                ),
            });
        }
    }
    Ok(())
}
