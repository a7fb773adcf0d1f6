//! Acceptance (Core's `MemPoolAccept`): `PreChecks`, `ReplacementChecks` (BIP125),
//! `PolicyScriptChecks`, `ConsensusScriptChecks` and `Finalize`, with Core's reject reasons in
//! Core's order; packages (`AcceptMultipleTransactions`, `AcceptPackage`) with package fee
//! rates and package limits.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use bitcoin::{OutPoint, Transaction, TxOut, Txid, Wtxid};
use widecoin_consensus::{
    check_transaction, mandatory_reject_reason, non_mandatory_reject_reason,
    transaction_sigop_cost, verify_script, PrecomputedTransactionData, ScriptError, ScriptFlags,
    TransactionSignatureChecker,
};

use crate::constants::{EXTRA_DESCENDANT_TX_SIZE_LIMIT, MEMPOOL_HEIGHT};
use crate::feerate::{format_money, FeeRate};
use crate::inputs::{check_tx_inputs, Coin, CoinView};
use crate::locks::{check_final_tx_at_tip, check_sequence_locks_at_tip};
use crate::packages::{check_package, is_child_with_parents, PackageValidationResult};
use crate::pool::{ChainView, Limits, Mempool, MempoolEntry, RemovalReason};
use crate::rbf::{
    check_conflict_replaceable, check_replacement_count, entries_and_txids_disjoint,
    has_no_new_unconfirmed, pays_for_rbf, pays_more_than_conflicts, DirectConflict,
};
use crate::reject::{TxRejection, TxValidationResult};
use crate::standard::{
    are_inputs_standard, check_min_nonwitness_size, check_sigops_cost,
    get_virtual_transaction_size, is_standard_tx, is_witness_standard,
};

/// What an accepted (or, for `testmempoolaccept`, acceptable) transaction looks like
/// (Core's `MempoolAcceptResult::Success`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptResult {
    pub txid: Txid,
    pub wtxid: Wtxid,
    /// Sigop-adjusted virtual size.
    pub vsize: u64,
    /// Base fee in satoshis.
    pub fee: i64,
    /// The fee rate it was judged by: its own modified fee rate, or its package's.
    pub effective_feerate: FeeRate,
    /// Whose fees and sizes `effective_feerate` includes.
    pub effective_includes: Vec<Wtxid>,
    /// The transactions it replaced.
    pub replaced: Vec<Arc<Transaction>>,
}

/// The options of one acceptance (Core's `ATMPArgs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptArgs {
    /// The entry time recorded for the transaction.
    pub accept_time: i64,
    /// The current time (expiry and the rolling minimum fee).
    pub now: i64,
    /// Skip fee-rate minimums and size limiting (transactions of disconnected blocks).
    pub bypass_limits: bool,
    /// Check only, do not add.
    pub test_accept: bool,
    /// Whether conflicts may be replaced (BIP125).
    pub allow_replacement: bool,
    /// Part of a package submission: no size limiting in `Finalize`.
    pub package_submission: bool,
    /// Judge fee rates by the whole package.
    pub package_feerates: bool,
}

impl AcceptArgs {
    /// One transaction (Core's `ATMPArgs::SingleAccept`).
    pub fn single(now: i64) -> AcceptArgs {
        AcceptArgs {
            accept_time: now,
            now,
            bypass_limits: false,
            test_accept: false,
            allow_replacement: true,
            package_submission: false,
            package_feerates: false,
        }
    }

    /// `testmempoolaccept` of several transactions (`PackageTestAccept`).
    pub fn package_test(now: i64) -> AcceptArgs {
        AcceptArgs {
            test_accept: true,
            allow_replacement: false,
            ..AcceptArgs::single(now)
        }
    }

    /// `submitpackage` (`PackageChildWithParents`).
    pub fn package_child_with_parents(now: i64) -> AcceptArgs {
        AcceptArgs {
            allow_replacement: false,
            package_submission: true,
            package_feerates: true,
            ..AcceptArgs::single(now)
        }
    }

    /// One transaction of a package on its own (`SingleInPackageAccept`).
    fn single_in_package(self) -> AcceptArgs {
        AcceptArgs {
            bypass_limits: false,
            allow_replacement: true,
            package_submission: true,
            package_feerates: false,
            ..self
        }
    }
}

/// What became of one transaction of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxOutcome {
    /// Accepted (or acceptable).
    Valid(AcceptResult),
    /// Already in the pool: its virtual size and base fee.
    InMempool { vsize: u64, fee: i64 },
    /// The pool has the same txid with another witness.
    DifferentWitness { other_wtxid: Wtxid },
    /// Rejected.
    Invalid(TxRejection),
}

/// A package's failure: class, reject reason, debug message (Core's `PackageValidationState`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFailure {
    pub result: PackageValidationResult,
    pub reason: String,
    pub debug: String,
}

impl std::fmt::Display for PackageFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::reject::write_state(f, &self.reason, &self.debug)
    }
}

/// Core's `PackageMempoolAcceptResult`: the package's state and a result per wtxid (not
/// every transaction has one when validation stopped early).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageAcceptResult {
    pub failure: Option<PackageFailure>,
    pub results: HashMap<Wtxid, TxOutcome>,
}

impl PackageAcceptResult {
    fn failed(result: PackageValidationResult, reason: &str, debug: String) -> Self {
        PackageAcceptResult {
            failure: Some(PackageFailure {
                result,
                reason: reason.into(),
                debug,
            }),
            results: HashMap::new(),
        }
    }

    fn invalidate(&mut self, result: PackageValidationResult, reason: &str, debug: String) {
        self.failure = Some(PackageFailure {
            result,
            reason: reason.into(),
            debug,
        });
    }
}

fn reject(
    result: TxValidationResult,
    reason: impl Into<String>,
    debug: impl Into<String>,
) -> TxRejection {
    TxRejection::new(result, reason, debug)
}

/// Core's `Workspace`: what the checks learn about one transaction.
struct Workspace {
    entry: MempoolEntry,
    spent: Vec<TxOut>,
    modified_fee: i64,
    /// Direct conflicts.
    conflicts: BTreeSet<Txid>,
    /// Direct conflicts and their descendants.
    all_conflicting: BTreeSet<Txid>,
    conflicting_fees: i64,
    conflicting_size: u64,
    package_feerate: FeeRate,
}

/// Coins of the chain, the pool and the package's earlier transactions (Core's
/// `CCoinsViewMemPool` with `PackageAddTransaction`).
struct AcceptView<'a, C: ?Sized> {
    pool: &'a Mempool,
    chain: &'a C,
    package: &'a HashMap<Txid, Arc<Transaction>>,
}

impl<C: CoinView + ?Sized> CoinView for AcceptView<'_, C> {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        let pool_tx = self
            .pool
            .entries
            .get(&outpoint.txid)
            .map(|e| &e.tx)
            .or_else(|| self.package.get(&outpoint.txid));
        if let Some(tx) = pool_tx {
            return tx.output.get(outpoint.vout as usize).map(|o| Coin {
                output: o.clone(),
                height: MEMPOOL_HEIGHT,
                is_coinbase: false,
            });
        }
        self.chain.coin(outpoint)
    }
}

impl Mempool {
    /// Core's `AcceptToMemoryPool` for one transaction received at `now`: all checks,
    /// replacing conflicts it may replace, then adds it and limits the pool's size.
    pub fn accept<C: ChainView + ?Sized>(
        &mut self,
        tx: &Transaction,
        chain: &C,
        now: i64,
    ) -> Result<AcceptResult, TxRejection> {
        self.accept_with(tx, chain, AcceptArgs::single(now))
    }

    /// Every check of [`Mempool::accept`] without adding (`testmempoolaccept`).
    pub fn test_accept<C: ChainView + ?Sized>(
        &self,
        tx: &Transaction,
        chain: &C,
        now: i64,
    ) -> Result<AcceptResult, TxRejection> {
        let args = AcceptArgs {
            test_accept: true,
            ..AcceptArgs::single(now)
        };
        let ws = self.check_single(tx, chain, &args)?;
        Ok(single_result(&ws))
    }

    /// Core's `AcceptSingleTransaction` with explicit options.
    pub fn accept_with<C: ChainView + ?Sized>(
        &mut self,
        tx: &Transaction,
        chain: &C,
        args: AcceptArgs,
    ) -> Result<AcceptResult, TxRejection> {
        let ws = self.check_single(tx, chain, &args)?;
        let mut result = single_result(&ws);
        if args.test_accept {
            return Ok(result);
        }
        result.replaced = self.finalize(ws, &args)?;
        Ok(result)
    }

    fn check_single<C: ChainView + ?Sized>(
        &self,
        tx: &Transaction,
        chain: &C,
        args: &AcceptArgs,
    ) -> Result<Workspace, TxRejection> {
        let mut ws = self.pre_checks(tx, chain, args, &HashMap::new())?;
        if !ws.conflicts.is_empty() {
            self.replacement_checks(&mut ws)?;
        }
        let txdata = PrecomputedTransactionData::with_spent_outputs(ws.spent.clone());
        policy_script_checks(tx, &ws.spent, &txdata)?;
        // ConsensusScriptChecks: the next block's flags are every mandatory flag on regtest
        // and past the buried deployments.
        check_input_scripts(tx, &ws.spent, &txdata, ScriptFlags::MANDATORY)?;
        Ok(ws)
    }

    /// Core's `Finalize`: removes what the transaction replaces, adds it and (unless part of a
    /// package or re-added from a block) trims the pool, failing with `mempool full` if the
    /// transaction itself was evicted. Returns the replaced transactions.
    fn finalize(
        &mut self,
        ws: Workspace,
        args: &AcceptArgs,
    ) -> Result<Vec<Arc<Transaction>>, TxRejection> {
        let txid = ws.entry.txid;
        let mut replaced = Vec::new();
        for t in &ws.all_conflicting {
            if let Some(e) = self.entries.get(t) {
                tracing::debug!(target: "mempool", "replacing tx {} (wtxid={}) with {} (wtxid={}) for {} additional fees, {} delta bytes",
                    e.txid, e.wtxid, txid, ws.entry.wtxid,
                    format_money(ws.modified_fee - ws.conflicting_fees),
                    ws.entry.vsize as i64 - ws.conflicting_size as i64);
                replaced.push(e.tx.clone());
            }
        }
        self.remove_staged(&ws.all_conflicting, RemovalReason::Replaced);
        tracing::debug!(target: "mempool", "AcceptToMemoryPool: accepted {} (wtxid={}) (poolsz {} txn)", txid, ws.entry.wtxid, self.len() + 1);
        self.add_unchecked(ws.entry);
        if !args.package_submission && !args.bypass_limits {
            self.limit_size(args.now);
            if !self.entries.contains_key(&txid) {
                return Err(reject(
                    TxValidationResult::MempoolPolicy,
                    "mempool full",
                    "",
                ));
            }
        }
        Ok(replaced)
    }

    /// Core's `MemPoolAccept::PreChecks`, in Core's order. `package` holds the transactions
    /// of the package evaluated before this one.
    fn pre_checks<C: ChainView + ?Sized>(
        &self,
        tx: &Transaction,
        chain: &C,
        args: &AcceptArgs,
        package: &HashMap<Txid, Arc<Transaction>>,
    ) -> Result<Workspace, TxRejection> {
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
        let mut conflicts = BTreeSet::new();
        for input in &tx.input {
            if let Some(c) = self.spent.get(&input.previous_output) {
                if !args.allow_replacement {
                    return Err(reject(
                        TxValidationResult::MempoolPolicy,
                        "bip125-replacement-disallowed",
                        "",
                    ));
                }
                if !conflicts.contains(c) {
                    check_conflict_replaceable(&self.entries[c].tx, true, opts.full_rbf)?;
                    conflicts.insert(*c);
                }
            }
        }

        let view = AcceptView {
            pool: self,
            chain,
            package,
        };
        for input in &tx.input {
            if view.coin(&input.previous_output).is_none() {
                let known = (0..tx.output.len() as u32)
                    .any(|vout| chain.coin(&OutPoint { txid, vout }).is_some());
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
        let modified_fee = fee.saturating_add(self.delta(&txid));
        let weight = tx.weight().to_wu();
        let vsize = get_virtual_transaction_size(weight, sigop_cost, opts.bytes_per_sigop);
        check_sigops_cost(sigop_cost)?;
        if !args.bypass_limits {
            let min_fee = opts.min_relay_feerate.get_fee(vsize as u32);
            if modified_fee < min_fee {
                return Err(reject(
                    TxValidationResult::MempoolPolicy,
                    "min relay fee not met",
                    format!("{modified_fee} < {min_fee}"),
                ));
            }
            if !args.package_feerates {
                self.check_fee_rate(vsize, modified_fee, args.now)?;
            }
        }

        let mut limits = opts.limits;
        if conflicts.len() == 1 {
            let c = conflicts.first().expect("one");
            limits.descendant_count += 1;
            limits.descendant_size_vbytes += self.with_descendants(c).vsize;
        }
        let staged = self.in_pool_parents(tx);
        let ancestors = match self.calculate_ancestors(vsize, 1, &staged, &limits) {
            Ok(a) => a,
            Err(message) => {
                let too_long = reject(
                    TxValidationResult::MempoolPolicy,
                    "too-long-mempool-chain",
                    message,
                );
                if vsize > u64::from(EXTRA_DESCENDANT_TX_SIZE_LIMIT) {
                    return Err(too_long);
                }
                // The CPFP carve-out: one more small child of a transaction with one
                // in-pool ancestor.
                let carve_out = Limits {
                    ancestor_count: 2,
                    ancestor_size_vbytes: limits.ancestor_size_vbytes,
                    descendant_count: limits.descendant_count + 1,
                    descendant_size_vbytes: limits.descendant_size_vbytes
                        + u64::from(EXTRA_DESCENDANT_TX_SIZE_LIMIT),
                };
                self.calculate_ancestors(vsize, 1, &staged, &carve_out)
                    .map_err(|_| too_long)?
            }
        };
        let conflict_set: std::collections::HashSet<Txid> = conflicts.iter().copied().collect();
        entries_and_txids_disjoint(ancestors.iter().copied(), &conflict_set, txid)?;

        let entry = MempoolEntry {
            tx: Arc::new(tx.clone()),
            txid,
            wtxid,
            fee,
            fee_delta: modified_fee - fee,
            vsize,
            weight,
            sigop_cost,
            time: args.accept_time,
            height: tip_height,
            sequence: if args.bypass_limits {
                0
            } else {
                self.sequence()
            },
            spends_coinbase: coins.iter().any(|c| c.is_coinbase),
            lock_points,
            parents: staged,
            children: BTreeSet::new(),
        };
        Ok(Workspace {
            entry,
            spent,
            modified_fee,
            conflicts,
            all_conflicting: BTreeSet::new(),
            conflicting_fees: 0,
            conflicting_size: 0,
            package_feerate: FeeRate::from_sat_per_kvb(0),
        })
    }

    /// Core's `CheckFeeRate`: the pool's minimum fee, then the minimum relay fee.
    fn check_fee_rate(&self, vsize: u64, fee: i64, now: i64) -> Result<(), TxRejection> {
        let pool_min = self.min_fee(now).get_fee(vsize as u32);
        if pool_min > 0 && fee < pool_min {
            return Err(reject(
                TxValidationResult::MempoolPolicy,
                "mempool min fee not met",
                format!("{fee} < {pool_min}"),
            ));
        }
        let relay_min = self.options.min_relay_feerate.get_fee(vsize as u32);
        if fee < relay_min {
            return Err(reject(
                TxValidationResult::MempoolPolicy,
                "min relay fee not met",
                format!("{fee} < {relay_min}"),
            ));
        }
        Ok(())
    }

    /// Core's `ReplacementChecks`: rules 6, 5, 2, then 3 and 4.
    fn replacement_checks(&self, ws: &mut Workspace) -> Result<(), TxRejection> {
        let txid = ws.entry.txid;
        let direct: Vec<DirectConflict> = ws
            .conflicts
            .iter()
            .map(|c| {
                let e = &self.entries[c];
                DirectConflict {
                    txid: *c,
                    modified_fee: e.modified_fee(),
                    vsize: e.vsize as u32,
                    count_with_descendants: self.with_descendants(c).count,
                }
            })
            .collect();
        let new_feerate = FeeRate::from_fee_and_vsize(ws.modified_fee, ws.entry.vsize as u32);
        pays_more_than_conflicts(&direct, new_feerate, txid)?;
        check_replacement_count(&direct, txid)?;
        let mut all = BTreeSet::new();
        for c in &ws.conflicts {
            all.insert(*c);
            all.extend(self.descendants(c));
        }
        has_no_new_unconfirmed(
            &ws.entry.tx,
            ws.conflicts.iter().map(|c| &*self.entries[c].tx),
            |t| self.entries.contains_key(t),
        )?;
        ws.conflicting_fees = all.iter().map(|t| self.entries[t].modified_fee()).sum();
        ws.conflicting_size = all.iter().map(|t| self.entries[t].vsize).sum();
        ws.all_conflicting = all;
        pays_for_rbf(
            ws.conflicting_fees,
            ws.modified_fee,
            ws.entry.vsize as u32,
            self.options.incremental_relay_feerate,
            txid,
        )?;
        Ok(())
    }

    /// The in-pool transactions `tx` spends.
    fn in_pool_parents(&self, tx: &Transaction) -> BTreeSet<Txid> {
        tx.input
            .iter()
            .map(|i| i.previous_output.txid)
            .filter(|p| self.entries.contains_key(p))
            .collect()
    }

    /// Core's `CalculateAncestorsAndCheckLimits` for `count` new transactions of `vsize`
    /// together whose in-pool parents are `parents`. Returns every in-pool ancestor, or
    /// Core's message for the limit it breaks.
    fn calculate_ancestors(
        &self,
        vsize: u64,
        count: u64,
        parents: &BTreeSet<Txid>,
        limits: &Limits,
    ) -> Result<BTreeSet<Txid>, String> {
        if parents.len() as u64 + count > limits.ancestor_count {
            return Err(format!(
                "too many unconfirmed parents [limit: {}]",
                limits.ancestor_count
            ));
        }
        let mut staged = parents.clone();
        let mut ancestors = BTreeSet::new();
        let mut total = vsize;
        while let Some(t) = staged.pop_first() {
            ancestors.insert(t);
            let e = &self.entries[&t];
            total += e.vsize;
            let desc = self.with_descendants(&t);
            if desc.vsize + vsize > limits.descendant_size_vbytes {
                return Err(format!(
                    "exceeds descendant size limit for tx {t} [limit: {}]",
                    limits.descendant_size_vbytes
                ));
            } else if desc.count + count > limits.descendant_count {
                return Err(format!(
                    "too many descendants for tx {t} [limit: {}]",
                    limits.descendant_count
                ));
            } else if total > limits.ancestor_size_vbytes {
                return Err(format!(
                    "exceeds ancestor size limit [limit: {}]",
                    limits.ancestor_size_vbytes
                ));
            }
            for p in &e.parents {
                if !ancestors.contains(p) {
                    staged.insert(*p);
                }
                if (staged.len() + ancestors.len()) as u64 + count > limits.ancestor_count {
                    return Err(format!(
                        "too many unconfirmed ancestors [limit: {}]",
                        limits.ancestor_count
                    ));
                }
            }
        }
        Ok(ancestors)
    }

    /// Core's `CheckPackageLimits`: the package's transactions count together against the
    /// ancestor and descendant limits.
    fn check_package_limits(&self, txns: &[Transaction], total_vsize: u64) -> Result<(), String> {
        let l = &self.options.limits;
        let n = txns.len() as u64;
        if n > l.ancestor_count {
            return Err(format!(
                "package count {n} exceeds ancestor count limit [limit: {}]",
                l.ancestor_count
            ));
        } else if n > l.descendant_count {
            return Err(format!(
                "package count {n} exceeds descendant count limit [limit: {}]",
                l.descendant_count
            ));
        } else if total_vsize > l.ancestor_size_vbytes {
            return Err(format!(
                "package size {total_vsize} exceeds ancestor size limit [limit: {}]",
                l.ancestor_size_vbytes
            ));
        } else if total_vsize > l.descendant_size_vbytes {
            return Err(format!(
                "package size {total_vsize} exceeds descendant size limit [limit: {}]",
                l.descendant_size_vbytes
            ));
        }
        let mut staged = BTreeSet::new();
        for tx in txns {
            for input in &tx.input {
                let p = input.previous_output.txid;
                if self.entries.contains_key(&p) {
                    staged.insert(p);
                    if staged.len() as u64 + n > l.ancestor_count {
                        return Err(format!(
                            "too many unconfirmed parents [limit: {}]",
                            l.ancestor_count
                        ));
                    }
                }
            }
        }
        self.calculate_ancestors(total_vsize, n, &staged, l)
            .map(|_| ())
            .map_err(|e| format!("possibly {e}"))
    }

    /// Core's `AcceptMultipleTransactions`: every transaction's checks with the earlier
    /// ones' outputs available, package limits, then (unless testing) all are added.
    pub fn accept_multiple<C: ChainView + ?Sized>(
        &mut self,
        txns: &[Transaction],
        chain: &C,
        args: AcceptArgs,
    ) -> PackageAcceptResult {
        if let Err(e) = check_package(txns) {
            return PackageAcceptResult::failed(e.result(), e.reject_reason(), String::new());
        }
        let mut out = PackageAcceptResult::default();
        let mut package = HashMap::new();
        let mut workspaces = Vec::with_capacity(txns.len());
        for tx in txns {
            match self.pre_checks(tx, chain, &args, &package) {
                Ok(ws) => {
                    package.insert(ws.entry.txid, ws.entry.tx.clone());
                    workspaces.push(ws);
                }
                Err(e) => {
                    out.invalidate(
                        PackageValidationResult::Tx,
                        "transaction failed",
                        String::new(),
                    );
                    out.results
                        .insert(tx.compute_wtxid(), TxOutcome::Invalid(e));
                    return out;
                }
            }
        }
        let total_vsize: u64 = workspaces.iter().map(|w| w.entry.vsize).sum();
        let total_fees: i64 = workspaces.iter().map(|w| w.modified_fee).sum();
        let package_feerate = FeeRate::from_fee_and_vsize(total_fees, total_vsize as u32);
        if args.package_feerates
            && self
                .check_fee_rate(total_vsize, total_fees, args.now)
                .is_err()
        {
            return PackageAcceptResult::failed(
                PackageValidationResult::Policy,
                "package-fee-too-low",
                String::new(),
            );
        }
        if txns.len() > 1 {
            if let Err(e) = self.check_package_limits(txns, total_vsize) {
                out.invalidate(PackageValidationResult::Policy, "package-mempool-limits", e);
                return out;
            }
        }
        let all_wtxids: Vec<Wtxid> = workspaces.iter().map(|w| w.entry.wtxid).collect();
        for ws in &mut workspaces {
            ws.package_feerate = package_feerate;
            let txdata = PrecomputedTransactionData::with_spent_outputs(ws.spent.clone());
            let checked = policy_script_checks(&ws.entry.tx, &ws.spent, &txdata).and_then(|()| {
                check_input_scripts(&ws.entry.tx, &ws.spent, &txdata, ScriptFlags::MANDATORY)
            });
            if let Err(e) = checked {
                out.invalidate(
                    PackageValidationResult::Tx,
                    "transaction failed",
                    String::new(),
                );
                out.results.insert(ws.entry.wtxid, TxOutcome::Invalid(e));
                return out;
            }
            if args.test_accept {
                // Core reports each transaction as soon as its scripts passed, so a failure
                // later in the package leaves the earlier ones' results in place.
                let mut r = single_result(ws);
                if args.package_feerates {
                    r.effective_feerate = ws.package_feerate;
                    r.effective_includes = all_wtxids.clone();
                }
                out.results.insert(ws.entry.wtxid, TxOutcome::Valid(r));
            }
        }
        let results: Vec<(Wtxid, AcceptResult)> = workspaces
            .iter()
            .map(|ws| {
                let mut r = single_result(ws);
                if args.package_feerates {
                    r.effective_feerate = ws.package_feerate;
                    r.effective_includes = all_wtxids.clone();
                }
                (ws.entry.wtxid, r)
            })
            .collect();
        if !args.test_accept {
            // Core's SubmitPackage: the checks passed, so each is added in order.
            for ws in workspaces {
                let wtxid = ws.entry.wtxid;
                if let Err(e) = self.finalize(ws, &args) {
                    out.invalidate(
                        PackageValidationResult::MempoolError,
                        "BUG! Adding to mempool failed",
                        String::new(),
                    );
                    out.results.insert(wtxid, TxOutcome::Invalid(e));
                }
            }
        }
        for (wtxid, r) in results {
            out.results.entry(wtxid).or_insert(TxOutcome::Valid(r));
        }
        out
    }

    /// Core's `AcceptPackage` (`submitpackage`): a child with its unconfirmed parents. Each
    /// transaction is first tried alone; those failing only on fees or missing inputs are
    /// then evaluated together at the package fee rate.
    pub fn accept_package<C: ChainView + ?Sized>(
        &mut self,
        package: &[Transaction],
        chain: &C,
        args: AcceptArgs,
    ) -> PackageAcceptResult {
        if let Err(e) = check_package(package) {
            return PackageAcceptResult::failed(e.result(), e.reject_reason(), String::new());
        }
        if !is_child_with_parents(package) {
            return PackageAcceptResult::failed(
                PackageValidationResult::Policy,
                "package-not-child-with-parents",
                String::new(),
            );
        }
        let (child, parents) = package.split_last().expect("at least two");
        let parent_txids: BTreeSet<Txid> = parents.iter().map(|p| p.compute_txid()).collect();
        if !child.input.iter().all(|i| {
            parent_txids.contains(&i.previous_output.txid)
                || chain.coin(&i.previous_output).is_some()
        }) {
            return PackageAcceptResult::failed(
                PackageValidationResult::Policy,
                "package-not-child-with-unconfirmed-parents",
                String::new(),
            );
        }
        let mut final_results: HashMap<Wtxid, TxOutcome> = HashMap::new();
        let mut nonfinal: HashMap<Wtxid, TxOutcome> = HashMap::new();
        let mut quit_early = false;
        let mut early_failure = None;
        let mut for_package = Vec::new();
        for tx in package {
            let wtxid = tx.compute_wtxid();
            let txid = tx.compute_txid();
            if self.by_wtxid.contains_key(&wtxid) {
                let e = &self.entries[&txid];
                final_results.insert(
                    wtxid,
                    TxOutcome::InMempool {
                        vsize: e.vsize,
                        fee: e.fee,
                    },
                );
            } else if let Some(e) = self.entries.get(&txid) {
                final_results.insert(
                    wtxid,
                    TxOutcome::DifferentWitness {
                        other_wtxid: e.wtxid,
                    },
                );
            } else {
                match self.accept_with(tx, chain, args.single_in_package()) {
                    Ok(r) => {
                        final_results.insert(wtxid, TxOutcome::Valid(r));
                    }
                    Err(e)
                        if e.result != TxValidationResult::MempoolPolicy
                            && e.result != TxValidationResult::MissingInputs =>
                    {
                        quit_early = true;
                        early_failure = Some(PackageFailure {
                            result: PackageValidationResult::Tx,
                            reason: "transaction failed".into(),
                            debug: String::new(),
                        });
                        nonfinal.insert(wtxid, TxOutcome::Invalid(e));
                    }
                    Err(e) => {
                        nonfinal.insert(wtxid, TxOutcome::Invalid(e));
                        for_package.push(tx.clone());
                    }
                }
            }
        }
        let mut multi = if quit_early || for_package.is_empty() {
            PackageAcceptResult {
                failure: early_failure,
                results: HashMap::new(),
            }
        } else if for_package.len() == 1 {
            let tx = &for_package[0];
            let wtxid = tx.compute_wtxid();
            let mut r = PackageAcceptResult::default();
            match self.accept_with(tx, chain, args.single_in_package()) {
                Ok(ok) => {
                    r.results.insert(wtxid, TxOutcome::Valid(ok));
                }
                Err(e) => {
                    r.invalidate(
                        PackageValidationResult::Tx,
                        "transaction failed",
                        String::new(),
                    );
                    r.results.insert(wtxid, TxOutcome::Invalid(e));
                }
            }
            r
        } else {
            self.accept_multiple(&for_package, chain, args)
        };
        self.limit_size(args.now);
        let mempool_full = || {
            TxOutcome::Invalid(reject(
                TxValidationResult::MempoolPolicy,
                "mempool full",
                "",
            ))
        };
        for tx in package {
            let wtxid = tx.compute_wtxid();
            if let Some(r) = multi.results.remove(&wtxid) {
                if matches!(r, TxOutcome::Valid(_)) && !self.by_wtxid.contains_key(&wtxid) {
                    multi.invalidate(
                        PackageValidationResult::Tx,
                        "transaction failed",
                        String::new(),
                    );
                    final_results.insert(wtxid, mempool_full());
                } else {
                    final_results.insert(wtxid, r);
                }
            } else if let Some(r) = final_results.get_mut(&wtxid) {
                if !self.entries.contains_key(&tx.compute_txid()) {
                    multi.invalidate(
                        PackageValidationResult::Tx,
                        "transaction failed",
                        String::new(),
                    );
                    *r = mempool_full();
                }
            } else if let Some(r) = nonfinal.remove(&wtxid) {
                final_results.insert(wtxid, r);
            }
        }
        PackageAcceptResult {
            failure: multi.failure,
            results: final_results,
        }
    }
}

impl Mempool {
    /// Core's `MaybeUpdateMempoolForReorg` at `now`: re-adds the transactions of disconnected
    /// blocks (`txs` in block order, earliest block first) without fee minimums, drops the
    /// in-pool descendants of those that fail, then removes what the new tip makes non-final
    /// or immature, and limits the pool's size. With `add_back` false nothing is re-added.
    pub fn update_for_reorg<C: ChainView + ?Sized>(
        &mut self,
        txs: &[Arc<Transaction>],
        chain: &C,
        now: i64,
        add_back: bool,
    ) {
        let args = AcceptArgs {
            bypass_limits: true,
            ..AcceptArgs::single(now)
        };
        let mut added_back = Vec::new();
        for tx in txs {
            let added = add_back && !tx.is_coinbase() && self.accept_with(tx, chain, args).is_ok();
            if added {
                added_back.push(tx.compute_txid());
            } else {
                self.remove_tx_recursive(tx, RemovalReason::Reorg);
            }
        }
        self.link_children(&added_back);
        let tip = chain.tip_height();
        let mtp = chain.tip_mtp();
        let mut stage = BTreeSet::new();
        for e in self.entries.values() {
            let view = crate::pool::PoolView { pool: self, chain };
            let mut bad = check_final_tx_at_tip(&e.tx, tip, mtp).is_err()
                || check_sequence_locks_at_tip(&e.tx, &view, tip, chain).is_err();
            if !bad && e.spends_coinbase {
                bad = e.tx.input.iter().any(|i| {
                    !self.entries.contains_key(&i.previous_output.txid)
                        && chain.coin(&i.previous_output).is_some_and(|c| {
                            c.is_coinbase
                                && (tip + 1 - c.height as i32)
                                    < widecoin_chainparams::consensus::COINBASE_MATURITY as i32
                        })
                });
            }
            if bad {
                stage.insert(e.txid);
            }
        }
        let mut all = BTreeSet::new();
        for t in stage {
            all.extend(self.descendants(&t));
            all.insert(t);
        }
        self.remove_staged(&all, RemovalReason::Reorg);
        self.limit_size(now);
    }
}

/// The success result of one checked transaction.
fn single_result(ws: &Workspace) -> AcceptResult {
    AcceptResult {
        txid: ws.entry.txid,
        wtxid: ws.entry.wtxid,
        vsize: ws.entry.vsize,
        fee: ws.entry.fee,
        effective_feerate: FeeRate::from_fee_and_vsize(ws.modified_fee, ws.entry.vsize as u32),
        effective_includes: vec![ws.entry.wtxid],
        replaced: Vec::new(),
    }
}

/// Core's `PolicyScriptChecks`: the inputs under the standard flags. A transaction without
/// witnesses that passes with witness checking off but fails with only CLEANSTACK off is
/// reported as witness-stripped (same reason and message), so its sender is not punished and
/// the transaction may still arrive with its witness.
fn policy_script_checks(
    tx: &Transaction,
    spent: &[TxOut],
    txdata: &PrecomputedTransactionData,
) -> Result<(), TxRejection> {
    let Err(mut rejection) = check_input_scripts(tx, spent, txdata, ScriptFlags::STANDARD) else {
        return Ok(());
    };
    let has_witness = tx.input.iter().any(|i| !i.witness.is_empty());
    let standard = ScriptFlags::STANDARD.bits();
    let no_witness = ScriptFlags::from_bits(
        standard & !(ScriptFlags::WITNESS.bits() | ScriptFlags::CLEANSTACK.bits()),
    );
    let no_cleanstack = ScriptFlags::from_bits(standard & !ScriptFlags::CLEANSTACK.bits());
    if !has_witness
        && check_input_scripts(tx, spent, txdata, no_witness).is_ok()
        && check_input_scripts(tx, spent, txdata, no_cleanstack).is_err()
    {
        rejection.result = TxValidationResult::WitnessStripped;
    }
    Err(rejection)
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

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::{sha256, Hash};
    use bitcoin::{Amount, ScriptBuf, Sequence, TxIn, Witness};

    /// A transaction spending one output locked by `script_pubkey`.
    fn spend(script_pubkey: ScriptBuf, witness: Witness) -> (Transaction, Vec<TxOut>) {
        let spent = vec![TxOut {
            value: Amount::from_sat(10_000),
            script_pubkey,
        }];
        let tx = Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::new(Txid::all_zeros(), 0),
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness,
            }],
            output: vec![TxOut {
                value: Amount::from_sat(9_000),
                script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
            }],
        };
        (tx, spent)
    }

    fn policy_result(tx: &Transaction, spent: &[TxOut]) -> Result<(), TxRejection> {
        let txdata = PrecomputedTransactionData::with_spent_outputs(spent.to_vec());
        policy_script_checks(tx, spent, &txdata)
    }

    #[test]
    fn stripped_witness_is_not_a_consensus_failure() {
        // P2WSH of OP_TRUE.
        let witness_script = vec![0x51u8];
        let mut spk = vec![0x00, 0x20];
        spk.extend(sha256::Hash::hash(&witness_script).to_byte_array());
        let spk = ScriptBuf::from_bytes(spk);

        let (tx, spent) = spend(spk.clone(), Witness::from_slice(&[witness_script]));
        assert!(policy_result(&tx, &spent).is_ok());

        let (stripped, spent) = spend(spk, Witness::new());
        let err = policy_result(&stripped, &spent).unwrap_err();
        assert_eq!(err.result, TxValidationResult::WitnessStripped);
        assert!(
            err.reason
                .starts_with("mandatory-script-verify-flag-failed"),
            "{err}"
        );

        // A plain script failure without witnesses stays a consensus failure.
        let (bad, spent) = spend(ScriptBuf::from_bytes(vec![0x00]), Witness::new());
        let err = policy_result(&bad, &spent).unwrap_err();
        assert_eq!(err.result, TxValidationResult::Consensus);
    }
}
