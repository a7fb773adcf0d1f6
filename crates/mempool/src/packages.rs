//! Context-free package rules (Core's `policy/packages.cpp`): size limits, sorting, no
//! duplicates or internal conflicts, and the child-with-parents shape.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;

use bitcoin::{Transaction, Txid};

use crate::constants::{MAX_PACKAGE_COUNT, MAX_PACKAGE_WEIGHT};

/// Why a package was rejected, coarsely (Core's `PackageValidationResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackageValidationResult {
    /// The package itself breaks a rule (too many transactions, ...).
    Policy,
    /// At least one transaction is invalid.
    Tx,
    /// A mempool logic error.
    MempoolError,
}

/// A violation of the package rules, one variant per rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackageError {
    /// More than [`MAX_PACKAGE_COUNT`] transactions.
    TooManyTransactions,
    /// More than one transaction and above [`MAX_PACKAGE_WEIGHT`] in total.
    TooLarge,
    /// The same txid twice (also catches same-txid, different-witness pairs).
    ContainsDuplicates,
    /// A transaction spends one that comes after it.
    NotSorted,
    /// Two transactions spend the same output.
    ConflictInPackage,
    /// Not one child with (some of) its parents.
    NotChildWithParents,
}

impl PackageError {
    /// Core's reject reason.
    pub const fn reject_reason(&self) -> &'static str {
        match self {
            PackageError::TooManyTransactions => "package-too-many-transactions",
            PackageError::TooLarge => "package-too-large",
            PackageError::ContainsDuplicates => "package-contains-duplicates",
            PackageError::NotSorted => "package-not-sorted",
            PackageError::ConflictInPackage => "conflict-in-package",
            PackageError::NotChildWithParents => "package-not-child-with-parents",
        }
    }

    /// Core's result class: all are package policy failures.
    pub const fn result(&self) -> PackageValidationResult {
        PackageValidationResult::Policy
    }
}

impl fmt::Display for PackageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reject_reason())
    }
}

impl std::error::Error for PackageError {}

/// Core's `CheckPackage`, checked in Core's order: count, total weight (only for more than one
/// transaction), duplicate txids, parents before children, no two transactions spending the
/// same output. Duplicate inputs within one transaction are left to `check_transaction`.
pub fn check_package<T: Borrow<Transaction>>(txns: &[T]) -> Result<(), PackageError> {
    if txns.len() > MAX_PACKAGE_COUNT {
        return Err(PackageError::TooManyTransactions);
    }
    let total_weight: u64 = txns.iter().map(|t| t.borrow().weight().to_wu()).sum();
    if txns.len() > 1 && total_weight > MAX_PACKAGE_WEIGHT {
        return Err(PackageError::TooLarge);
    }
    let txids: Vec<Txid> = txns.iter().map(|t| t.borrow().compute_txid()).collect();
    let mut later: HashSet<Txid> = txids.iter().copied().collect();
    if later.len() != txns.len() {
        return Err(PackageError::ContainsDuplicates);
    }
    for (tx, txid) in txns.iter().zip(&txids) {
        if tx
            .borrow()
            .input
            .iter()
            .any(|i| later.contains(&i.previous_output.txid))
        {
            return Err(PackageError::NotSorted);
        }
        later.remove(txid);
    }
    let mut seen = HashSet::new();
    for tx in txns {
        let inputs = &tx.borrow().input;
        if inputs.iter().any(|i| seen.contains(&i.previous_output)) {
            return Err(PackageError::ConflictInPackage);
        }
        // Added per transaction, so duplicates inside one transaction are not caught here.
        seen.extend(inputs.iter().map(|i| i.previous_output));
    }
    Ok(())
}

/// Core's `IsChildWithParents`: at least two transactions, and every one but the last is a
/// parent of the last (not every parent need be present). Does not check sorting.
pub fn is_child_with_parents<T: Borrow<Transaction>>(package: &[T]) -> bool {
    let Some((child, parents)) = package.split_last() else {
        return false;
    };
    if parents.is_empty() {
        return false;
    }
    let input_txids: HashSet<Txid> = child
        .borrow()
        .input
        .iter()
        .map(|i| i.previous_output.txid)
        .collect();
    parents
        .iter()
        .all(|p| input_txids.contains(&p.borrow().compute_txid()))
}

/// Core's `IsChildWithParentsTree`: [`is_child_with_parents`] and no parent spends another.
pub fn is_child_with_parents_tree<T: Borrow<Transaction>>(package: &[T]) -> bool {
    if !is_child_with_parents(package) {
        return false;
    }
    let parents = &package[..package.len() - 1];
    let parent_txids: HashSet<Txid> = parents.iter().map(|p| p.borrow().compute_txid()).collect();
    parents.iter().all(|p| {
        p.borrow()
            .input
            .iter()
            .all(|i| !parent_txids.contains(&i.previous_output.txid))
    })
}

/// [`is_child_with_parents`] as a check, failing with `package-not-child-with-parents` (what
/// `submitpackage` requires).
pub fn check_child_with_parents<T: Borrow<Transaction>>(package: &[T]) -> Result<(), PackageError> {
    if is_child_with_parents(package) {
        Ok(())
    } else {
        Err(PackageError::NotChildWithParents)
    }
}
