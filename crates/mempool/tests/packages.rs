//! Package rules (scenarios of Core's `txpackage_tests`).

mod common;

use std::sync::Arc;

use bitcoin::{OutPoint, ScriptBuf, Transaction};
use common::*;
use widecoin_mempool::*;

fn child_of(parents: &[&Transaction], vouts: &[u32]) -> Transaction {
    tx(
        parents
            .iter()
            .zip(vouts)
            .map(|(p, v)| input(OutPoint::new(p.compute_txid(), *v)))
            .collect(),
        vec![output(COIN, p2pkh([2; 20]))],
    )
}

fn parent(n: u8) -> Transaction {
    tx(
        vec![input(outpoint(n, 0))],
        vec![
            output(20 * COIN, p2pkh([1; 20])),
            output(20 * COIN, p2pkh([3; 20])),
        ],
    )
}

fn reason(r: Result<(), PackageError>) -> &'static str {
    r.err().map_or("ok", |e| e.reject_reason())
}

#[test]
fn sanitization() {
    let many: Vec<Transaction> = (0..=MAX_PACKAGE_COUNT as u8).map(parent).collect();
    assert_eq!(many.len(), 26);
    assert_eq!(
        reason(check_package(&many)),
        "package-too-many-transactions"
    );
    assert_eq!(
        PackageError::TooManyTransactions.result(),
        PackageValidationResult::Policy
    );
    assert!(check_package(&many[..25]).is_ok());

    // Weight above 404,000 in total.
    let mut big = parent(1);
    big.input[0].script_sig = ScriptBuf::from_bytes(vec![0x51; 20_000]);
    let w = big.weight().to_wu();
    let mut large = Vec::new();
    let mut total = 0;
    let mut n = 0u8;
    while total <= MAX_PACKAGE_WEIGHT {
        let mut t = big.clone();
        t.input[0].previous_output = outpoint(n, 0);
        n += 1;
        large.push(t);
        total += w;
    }
    assert!(large.len() <= MAX_PACKAGE_COUNT);
    assert_eq!(reason(check_package(&large)), "package-too-large");
    // A single transaction is judged on its own weight elsewhere.
    let mut huge = big.clone();
    huge.input[0].script_sig = ScriptBuf::from_bytes(vec![0x51; 200_000]);
    assert!(check_package(&[huge]).is_ok());

    // Duplicate txids.
    let empty = tx(vec![], vec![]);
    assert_eq!(
        reason(check_package(&[empty.clone(), empty.clone(), empty])),
        "package-contains-duplicates"
    );
    // Same txid, different witness, is a duplicate too.
    let mut a = parent(1);
    let b = a.clone();
    a.input[0].witness = bitcoin::Witness::from_slice(&[vec![1u8]]);
    assert_eq!(
        reason(check_package(&[a, b])),
        "package-contains-duplicates"
    );
}

#[test]
fn sorting_and_conflicts() {
    let p = parent(1);
    let c = child_of(&[&p], &[0]);
    assert!(check_package(&[&p, &c]).is_ok());
    assert_eq!(reason(check_package(&[&c, &p])), "package-not-sorted");
    assert!(is_child_with_parents(&[&p, &c]));
    assert!(is_child_with_parents_tree(&[&p, &c]));

    // Two transactions spending the same output.
    let c2 = tx(
        vec![input(OutPoint::new(p.compute_txid(), 0))],
        vec![output(5, vec![0x51])],
    );
    assert_eq!(reason(check_package(&[&p, &c, &c2])), "conflict-in-package");
    // Duplicate inputs inside one transaction are left to CheckTransaction.
    let dup = tx(
        vec![input(outpoint(7, 0)), input(outpoint(7, 0))],
        vec![output(5, vec![0x51])],
    );
    assert!(check_package(&[dup]).is_ok());
    assert_eq!(
        PackageError::ConflictInPackage.to_string(),
        "conflict-in-package"
    );
}

#[test]
fn child_with_parents() {
    // 24 parents and one child, parents in any order; works with Arc'd transactions too.
    let parents: Vec<Arc<Transaction>> = (1..=24).map(|n| Arc::new(parent(n))).collect();
    let refs: Vec<&Transaction> = parents.iter().map(|p| p.as_ref()).collect();
    let child = Arc::new(child_of(&refs, &[0; 24]));
    assert!(!is_child_with_parents(&parents));
    let mut package: Vec<Arc<Transaction>> = parents.iter().rev().cloned().collect();
    package.push(child.clone());
    assert!(check_package(&package).is_ok());
    assert!(is_child_with_parents(&package));
    assert!(is_child_with_parents_tree(&package));
    package.remove(0);
    assert!(is_child_with_parents(&package));
    // An unrelated transaction breaks the shape.
    package.insert(0, Arc::new(parent(99)));
    assert!(!is_child_with_parents(&package));
    assert_eq!(
        reason(check_child_with_parents(&package)),
        "package-not-child-with-parents"
    );
    // One transaction is not a package of this shape.
    assert!(!is_child_with_parents(&[child]));
    assert!(!is_child_with_parents::<Transaction>(&[]));

    // Two parents where one spends the other.
    let p = parent(1);
    let p_also_child = child_of(&[&p], &[0]);
    let c = child_of(&[&p, &p_also_child], &[1, 0]);
    assert!(is_child_with_parents(&[&p, &p_also_child]));
    assert!(is_child_with_parents(&[&p, &c]));
    assert!(is_child_with_parents(&[&p, &p_also_child, &c]));
    assert!(!is_child_with_parents_tree(&[&p, &p_also_child, &c]));
    // Unsorted parents are not detected here...
    assert!(is_child_with_parents(&[&p_also_child, &p, &c]));
    // ...but by check_package.
    assert!(check_package(&[&p, &p_also_child, &c]).is_ok());
    assert_eq!(
        reason(check_package(&[&p_also_child, &p, &c])),
        "package-not-sorted"
    );
}
