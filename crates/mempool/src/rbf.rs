//! BIP125 replacement rules as pure functions over the data of the conflicts (Core's
//! `policy/rbf.cpp` and `util/rbf.cpp`). The mempool gathers the conflicts, their descendants
//! and fees; these functions decide and word the rejection as Core does.
//!
//! Core applies them in this order (`PreChecks`, then `ReplacementChecks`):
//! [`check_conflict_replaceable`] per conflicting input, [`entries_and_txids_disjoint`],
//! [`pays_more_than_conflicts`] (rule 6), [`check_replacement_count`] (rule 5),
//! [`has_no_new_unconfirmed`] (rule 2), [`pays_for_rbf`] (rules 3 and 4).

use std::collections::HashSet;

use bitcoin::{Transaction, Txid};

use crate::constants::{MAX_BIP125_RBF_SEQUENCE, MAX_REPLACEMENT_CANDIDATES};
use crate::feerate::{format_money, FeeRate};
use crate::reject::{rejection, TxValidationResult};

/// Whether any input has nSequence <= 0xfffffffd (Core's `SignalsOptInRBF`).
pub fn signals_opt_in_rbf(tx: &Transaction) -> bool {
    tx.input
        .iter()
        .any(|i| i.sequence.0 <= MAX_BIP125_RBF_SEQUENCE)
}

/// Replaceability of an unconfirmed transaction (Core's `RBFTransactionState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RbfTransactionState {
    /// Does not signal and is not in the mempool, so its ancestors are unknown.
    Unknown,
    /// It or an in-mempool ancestor signals.
    ReplaceableBip125,
    /// Neither it nor any in-mempool ancestor signals.
    Final,
}

impl RbfTransactionState {
    /// The `bip125-replaceable` RPC field: `"yes"`, `"no"` or `"unknown"`.
    pub const fn rpc_name(self) -> &'static str {
        match self {
            RbfTransactionState::Unknown => "unknown",
            RbfTransactionState::ReplaceableBip125 => "yes",
            RbfTransactionState::Final => "no",
        }
    }
}

/// Core's `IsRBFOptIn`: `in_mempool` says whether the mempool has `tx`, and `ancestors` are
/// its in-mempool ancestors.
pub fn is_rbf_opt_in<'a>(
    tx: &Transaction,
    in_mempool: bool,
    ancestors: impl IntoIterator<Item = &'a Transaction>,
) -> RbfTransactionState {
    if signals_opt_in_rbf(tx) {
        return RbfTransactionState::ReplaceableBip125;
    }
    if !in_mempool {
        return RbfTransactionState::Unknown;
    }
    if ancestors.into_iter().any(signals_opt_in_rbf) {
        RbfTransactionState::ReplaceableBip125
    } else {
        RbfTransactionState::Final
    }
}

/// Core's `IsRBFOptInEmptyMempool`: without a mempool only the transaction itself counts.
pub fn is_rbf_opt_in_empty_mempool(tx: &Transaction) -> RbfTransactionState {
    if signals_opt_in_rbf(tx) {
        RbfTransactionState::ReplaceableBip125
    } else {
        RbfTransactionState::Unknown
    }
}

/// A mempool transaction that a replacement conflicts with directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DirectConflict {
    /// Its txid.
    pub txid: Txid,
    /// Its fee with prioritisation deltas (Core's `GetModifiedFee`).
    pub modified_fee: i64,
    /// Its virtual size with sigops counted (Core's `GetTxSize`).
    pub vsize: u32,
    /// It and its in-mempool descendants (Core's `GetCountWithDescendants`).
    pub count_with_descendants: u64,
}

/// A rejection of a transaction that conflicts with the mempool, one variant per rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplacementError {
    /// Conflicts with the mempool where replacement is not allowed (package evaluation).
    Disallowed,
    /// Conflicts with a transaction that does not signal, without `-mempoolfullrbf`.
    NotReplaceable,
    /// Spends an output of a transaction it would replace.
    SpendsConflictingTx {
        /// The replacement.
        txid: Txid,
        /// The ancestor it also conflicts with.
        conflict: Txid,
    },
    /// Rule 6: the fee rate is not above that of every direct conflict.
    FeeRateNotHigher {
        /// The replacement.
        txid: Txid,
        /// Its fee rate.
        new_feerate: FeeRate,
        /// The fee rate of the conflict it does not beat.
        old_feerate: FeeRate,
    },
    /// Rule 5: the conflicts and their descendants may number more than 100.
    TooManyReplacements {
        /// The replacement.
        txid: Txid,
        /// The (possibly overestimated) count.
        count: u64,
    },
    /// Rule 2: spends an unconfirmed output no conflict spent.
    AddsUnconfirmed {
        /// The replacement.
        txid: Txid,
        /// The input index.
        input: usize,
    },
    /// Rule 3: pays less than the transactions it replaces.
    LessFees {
        /// The replacement.
        txid: Txid,
        /// Its modified fee.
        replacement_fees: i64,
        /// Modified fees of everything replaced.
        original_fees: i64,
    },
    /// Rule 4: the extra fee does not pay for the replacement's size at the incremental relay
    /// fee rate.
    NotEnoughAdditionalFees {
        /// The replacement.
        txid: Txid,
        /// Replacement fees minus original fees.
        additional_fees: i64,
        /// What its size costs at the incremental relay fee rate.
        required: i64,
    },
}

impl ReplacementError {
    /// Core's reject reason.
    pub const fn reject_reason(&self) -> &'static str {
        match self {
            ReplacementError::Disallowed => "bip125-replacement-disallowed",
            ReplacementError::NotReplaceable => "txn-mempool-conflict",
            ReplacementError::SpendsConflictingTx { .. } => "bad-txns-spends-conflicting-tx",
            ReplacementError::FeeRateNotHigher { .. }
            | ReplacementError::LessFees { .. }
            | ReplacementError::NotEnoughAdditionalFees { .. } => "insufficient fee",
            ReplacementError::TooManyReplacements { .. } => "too many potential replacements",
            ReplacementError::AddsUnconfirmed { .. } => "replacement-adds-unconfirmed",
        }
    }

    /// Core's result class.
    pub const fn result(&self) -> TxValidationResult {
        match self {
            ReplacementError::SpendsConflictingTx { .. } => TxValidationResult::Consensus,
            _ => TxValidationResult::MempoolPolicy,
        }
    }

    /// Core's debug message, word for word (rule 5's ends in a newline, as in Core).
    pub fn debug_message(&self) -> String {
        match self {
            ReplacementError::Disallowed | ReplacementError::NotReplaceable => String::new(),
            ReplacementError::SpendsConflictingTx { txid, conflict } => {
                format!("{txid} spends conflicting transaction {conflict}")
            }
            ReplacementError::FeeRateNotHigher {
                txid,
                new_feerate,
                old_feerate,
            } => format!(
                "rejecting replacement {txid}; new feerate {new_feerate} <= old feerate {old_feerate}"
            ),
            ReplacementError::TooManyReplacements { txid, count } => format!(
                "rejecting replacement {txid}; too many potential replacements ({count} > {MAX_REPLACEMENT_CANDIDATES})\n"
            ),
            ReplacementError::AddsUnconfirmed { txid, input } => {
                format!("replacement {txid} adds unconfirmed input, idx {input}")
            }
            ReplacementError::LessFees {
                txid,
                replacement_fees,
                original_fees,
            } => format!(
                "rejecting replacement {txid}, less fees than conflicting txs; {} < {}",
                format_money(*replacement_fees),
                format_money(*original_fees)
            ),
            ReplacementError::NotEnoughAdditionalFees {
                txid,
                additional_fees,
                required,
            } => format!(
                "rejecting replacement {txid}, not enough additional fees to relay; {} < {}",
                format_money(*additional_fees),
                format_money(*required)
            ),
        }
    }
}

rejection!(ReplacementError);

/// Whether a conflict with `conflicting` may be considered for replacement (`PreChecks`):
/// `allow_replacement` is false for package evaluation (`bip125-replacement-disallowed`);
/// otherwise the conflict must signal BIP125 unless `full_rbf` (`txn-mempool-conflict`).
/// Only the conflict's own signal counts, not its ancestors' (CVE-2021-31876).
pub fn check_conflict_replaceable(
    conflicting: &Transaction,
    allow_replacement: bool,
    full_rbf: bool,
) -> Result<(), ReplacementError> {
    if !allow_replacement {
        return Err(ReplacementError::Disallowed);
    }
    if !full_rbf && !signals_opt_in_rbf(conflicting) {
        return Err(ReplacementError::NotReplaceable);
    }
    Ok(())
}

/// Core's `EntriesAndTxidsDisjoint`: none of the replacement's in-mempool `ancestors` may be
/// one of the transactions it directly conflicts with.
pub fn entries_and_txids_disjoint(
    ancestors: impl IntoIterator<Item = Txid>,
    direct_conflicts: &HashSet<Txid>,
    txid: Txid,
) -> Result<(), ReplacementError> {
    match ancestors.into_iter().find(|a| direct_conflicts.contains(a)) {
        Some(conflict) => Err(ReplacementError::SpendsConflictingTx { txid, conflict }),
        None => Ok(()),
    }
}

/// Rule 6 (Core's `PaysMoreThanConflicts`): the replacement's fee rate must be strictly above
/// the modified fee rate of every direct conflict (descendants are not considered).
pub fn pays_more_than_conflicts<'a>(
    conflicts: impl IntoIterator<Item = &'a DirectConflict>,
    replacement_feerate: FeeRate,
    txid: Txid,
) -> Result<(), ReplacementError> {
    for conflict in conflicts {
        let old_feerate = FeeRate::from_fee_and_vsize(conflict.modified_fee, conflict.vsize);
        if replacement_feerate <= old_feerate {
            return Err(ReplacementError::FeeRateNotHigher {
                txid,
                new_feerate: replacement_feerate,
                old_feerate,
            });
        }
    }
    Ok(())
}

/// Rule 5 (the check of Core's `GetEntriesForConflicts`): the direct conflicts' counts with
/// descendants, summed (shared descendants counted again), must not exceed 100.
pub fn check_replacement_count<'a>(
    conflicts: impl IntoIterator<Item = &'a DirectConflict>,
    txid: Txid,
) -> Result<(), ReplacementError> {
    let mut count = 0u64;
    for conflict in conflicts {
        count += conflict.count_with_descendants;
        if count > MAX_REPLACEMENT_CANDIDATES {
            return Err(ReplacementError::TooManyReplacements { txid, count });
        }
    }
    Ok(())
}

/// Rule 2 (Core's `HasNoNewUnconfirmed`): every input of `tx` that spends an output of a
/// transaction in the mempool (`in_mempool`) must spend from a transaction that one of the
/// direct conflicts `conflicting` also spent from.
pub fn has_no_new_unconfirmed<'a>(
    tx: &Transaction,
    conflicting: impl IntoIterator<Item = &'a Transaction>,
    in_mempool: impl Fn(&Txid) -> bool,
) -> Result<(), ReplacementError> {
    let parents_of_conflicts: HashSet<Txid> = conflicting
        .into_iter()
        .flat_map(|c| c.input.iter().map(|i| i.previous_output.txid))
        .collect();
    for (input, txin) in tx.input.iter().enumerate() {
        let parent = &txin.previous_output.txid;
        if !parents_of_conflicts.contains(parent) && in_mempool(parent) {
            return Err(ReplacementError::AddsUnconfirmed {
                txid: tx.compute_txid(),
                input,
            });
        }
    }
    Ok(())
}

/// Rules 3 and 4 (Core's `PaysForRBF`): the replacement must pay at least the modified fees of
/// everything it replaces (conflicts and their descendants), and the difference must pay for
/// its own `replacement_vsize` at `relay_fee` (the incremental relay fee rate).
pub fn pays_for_rbf(
    original_fees: i64,
    replacement_fees: i64,
    replacement_vsize: u32,
    relay_fee: FeeRate,
    txid: Txid,
) -> Result<(), ReplacementError> {
    if replacement_fees < original_fees {
        return Err(ReplacementError::LessFees {
            txid,
            replacement_fees,
            original_fees,
        });
    }
    let additional_fees = replacement_fees - original_fees;
    let required = relay_fee.get_fee(replacement_vsize);
    if additional_fees < required {
        return Err(ReplacementError::NotEnoughAdditionalFees {
            txid,
            additional_fees,
            required,
        });
    }
    Ok(())
}
