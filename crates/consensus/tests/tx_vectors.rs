//! Drivers for `tx_valid.json` and `tx_invalid.json` (Core v26's `transaction_tests`): the
//! excluded-flags semantics, the backwards-compatibility loops and the minimality checks.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use bitcoin::{Amount, OutPoint, ScriptBuf, Transaction, TxOut, Txid};
use common::*;
use serde_json::Value;
use widecoin_consensus::asm::parse_script;
use widecoin_consensus::{
    check_transaction, verify_script, PrecomputedTransactionData, ScriptFlags,
    TransactionSignatureChecker,
};

struct Case {
    tx: Transaction,
    prevouts: HashMap<OutPoint, (Vec<u8>, i64)>,
    flags_text: String,
    /// The last comment line before this entry.
    comment: String,
    text: String,
}

fn cases(file: &str) -> Vec<Case> {
    let mut out = Vec::new();
    let mut comment = String::new();
    for test in load(file).as_array().expect("array of tests") {
        let test = test.as_array().expect("each test is an array");
        let Some(inputs) = test[0].as_array() else {
            comment = test
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ");
            continue;
        };
        let text = serde_json::to_string(test).expect("serializable");
        assert!(
            test.len() == 3 && test[1].is_string() && test[2].is_string(),
            "bad test: {text}"
        );
        let mut prevouts = HashMap::new();
        for input in inputs {
            let input = input.as_array().expect("input is an array");
            assert!((3..=4).contains(&input.len()), "bad test: {text}");
            let txid = Txid::from_str(input[0].as_str().expect("txid")).expect("txid hex");
            let vout = input[1].as_i64().expect("index") as i32 as u32;
            let script = parse_script(input[2].as_str().expect("script"))
                .unwrap_or_else(|e| panic!("{text}: {e}"));
            let amount = input.get(3).map_or(0, |v| v.as_i64().expect("amount"));
            prevouts.insert(OutPoint { txid, vout }, (script, amount));
        }
        let raw = unhex(test[1].as_str().expect("tx hex"));
        let tx: Transaction = bitcoin::consensus::deserialize(&raw)
            .unwrap_or_else(|e| panic!("{text}: does not deserialize: {e}"));
        out.push(Case {
            tx,
            prevouts,
            flags_text: test[2].as_str().expect("flags").to_owned(),
            comment: comment.clone(),
            text,
        });
    }
    out
}

/// Core's `CheckTxScripts`: whether the scripts' outcome matches `expect_valid`.
fn check_scripts(
    case: &Case,
    txdata: &PrecomputedTransactionData,
    flags: ScriptFlags,
    expect_valid: bool,
) -> bool {
    let mut valid = true;
    for (i, input) in case.tx.input.iter().enumerate() {
        let (script_pubkey, amount) = &case.prevouts[&input.previous_output];
        let checker = TransactionSignatureChecker::new(&case.tx, i, *amount as u64, txdata);
        if verify_script(
            input.script_sig.as_bytes(),
            script_pubkey,
            &input.witness,
            flags,
            &checker,
        )
        .is_err()
        {
            valid = false;
            break;
        }
    }
    valid == expect_valid
}

fn txdata(case: &Case) -> PrecomputedTransactionData {
    let spent = case
        .tx
        .input
        .iter()
        .map(|i| {
            let (script, amount) = &case.prevouts[&i.previous_output];
            TxOut {
                value: Amount::from_sat(*amount as u64),
                script_pubkey: ScriptBuf::from_bytes(script.clone()),
            }
        })
        .collect();
    PrecomputedTransactionData::with_spent_outputs(spent)
}

/// `ExcludeIndividualFlags`: the exclusion sets with one more flag put back, trimmed.
fn exclude_individual_flags(flags: ScriptFlags) -> BTreeSet<ScriptFlags> {
    ScriptFlags::NAMED
        .iter()
        .map(|(_, f)| trim_flags(flags & !*f))
        .filter(|f| *f != flags)
        .collect()
}

#[test]
fn tx_valid_json() {
    let cases = cases("tx_valid.json");
    let mut failures = Vec::new();
    let mut rng = Rng::new(341);
    for case in &cases {
        if let Err(e) = check_transaction(&case.tx) {
            failures.push(format!(
                "CheckTransaction failed ({}): {}",
                e.reject_reason(),
                case.text
            ));
            continue;
        }
        let excluded = ScriptFlags::parse(&case.flags_text).expect("known flags");
        if !excluded != fill_flags(!excluded) {
            failures.push(format!("bad test flags: {}", case.text));
            continue;
        }
        let txdata = txdata(case);
        if !check_scripts(case, &txdata, !excluded, true) {
            failures.push(format!("tx unexpectedly failed: {}", case.text));
            continue;
        }
        // Removing any flag(s) must not invalidate a valid transaction.
        for (name, flag) in ScriptFlags::NAMED {
            if !check_scripts(case, &txdata, trim_flags(!(excluded | *flag)), true) {
                failures.push(format!(
                    "tx unexpectedly failed with flag {name} unset: {}",
                    case.text
                ));
            }
            let random = ScriptFlags::from_bits(rng.bits(ScriptFlags::NAMED.len() as u32));
            if !check_scripts(case, &txdata, trim_flags(!(excluded | random)), true) {
                failures.push(format!(
                    "tx unexpectedly failed with random flags {random}: {}",
                    case.text
                ));
            }
        }
        // The exclusion set is minimal: the tx fails if any excluded flag is set again.
        for fewer in exclude_individual_flags(excluded) {
            if !check_scripts(case, &txdata, !fewer, false) {
                failures.push(format!("too many flags unset ({fewer}): {}", case.text));
            }
        }
    }
    assert!(cases.len() > 100, "only {} cases loaded", cases.len());
    report("tx_valid.json", cases.len() - failures.len(), &failures);
}

#[test]
fn tx_invalid_json() {
    let cases = cases("tx_invalid.json");
    let mut failures = Vec::new();
    let mut rng = Rng::new(342);
    let mut widecoin_valid = 0;
    for case in &cases {
        let checked = check_transaction(&case.tx);
        if case.flags_text == "BADTX" && case.comment.starts_with("MAX_MONEY") {
            // Bitcoin's MAX_MONEY + 1 sat is below Widecoin's 35,000,000 WCN: valid here.
            let total: u64 = case.tx.output.iter().map(|o| o.value.to_sat()).sum();
            assert!(total > 21_000_000 * 100_000_000, "{}", case.text);
            if let Err(e) = checked {
                failures.push(format!(
                    "should pass Widecoin's CheckTransaction, got {}: {}",
                    e.reject_reason(),
                    case.text
                ));
            }
            widecoin_valid += 1;
            continue;
        }
        if checked.is_err() {
            if case.flags_text != "BADTX" {
                failures.push(format!(
                    "CheckTransaction failed for a non-BADTX test: {}",
                    case.text
                ));
            }
            continue;
        }
        if case.flags_text == "BADTX" {
            failures.push(format!("BADTX passed CheckTransaction: {}", case.text));
            continue;
        }
        let flags = ScriptFlags::parse(&case.flags_text).expect("known flags");
        if flags != fill_flags(flags) {
            failures.push(format!("bad test flags: {}", case.text));
            continue;
        }
        let txdata = txdata(case);
        if !check_scripts(case, &txdata, flags, false) {
            failures.push(format!("tx unexpectedly passed: {}", case.text));
            continue;
        }
        // Adding any flag(s) must not validate an invalid transaction.
        for (name, flag) in ScriptFlags::NAMED {
            if !check_scripts(case, &txdata, fill_flags(flags | *flag), false) {
                failures.push(format!(
                    "tx unexpectedly passed with flag {name} set: {}",
                    case.text
                ));
            }
            let random = ScriptFlags::from_bits(rng.bits(ScriptFlags::NAMED.len() as u32));
            if !check_scripts(case, &txdata, fill_flags(flags | random), false) {
                failures.push(format!(
                    "tx unexpectedly passed with random flags {random}: {}",
                    case.text
                ));
            }
        }
        // The flag set is minimal: the tx passes if any one of them is removed.
        for fewer in exclude_individual_flags(flags) {
            if !check_scripts(case, &txdata, fewer, true) {
                failures.push(format!("too many flags set ({fewer}): {}", case.text));
            }
        }
    }
    assert_eq!(widecoin_valid, 2, "the two MAX_MONEY entries of the README");
    assert!(cases.len() > 50, "only {} cases loaded", cases.len());
    println!("tx_invalid.json: {widecoin_valid} MAX_MONEY entries are valid under Widecoin's MAX_MONEY, as expected");
    report("tx_invalid.json", cases.len() - failures.len(), &failures);
}
