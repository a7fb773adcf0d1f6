//! Driver for `script_tests.json` (Core's `script_json_test` and `DoTest`).

mod common;

use bitcoin::{TxOut, Witness};
use common::*;
use widecoin_consensus::asm::parse_script;
use widecoin_consensus::{
    verify_script, PrecomputedTransactionData, ScriptError, ScriptFlags,
    TransactionSignatureChecker,
};

struct Case {
    witness: Vec<Vec<u8>>,
    amount: u64,
    script_sig: Vec<u8>,
    script_pubkey: Vec<u8>,
    flags: ScriptFlags,
    expected: ScriptError,
    text: String,
}

fn cases() -> Vec<Case> {
    let tests = load("script_tests.json");
    let mut out = Vec::new();
    for test in tests.as_array().expect("array of tests") {
        let test = test.as_array().expect("each test is an array");
        let mut pos = 0;
        let mut witness = Vec::new();
        let mut amount = 0;
        if let Some(w) = test.first().and_then(|v| v.as_array()) {
            let (last, items) = w.split_last().expect("witness array ends with the amount");
            witness = items
                .iter()
                .map(|i| unhex(i.as_str().expect("witness hex")))
                .collect();
            amount = amount_from_value(last);
            pos = 1;
        }
        if test.len() < 4 + pos {
            assert_eq!(test.len(), 1, "bad test: {test:?}");
            continue;
        }
        let s = |i: usize| test[pos + i].as_str().expect("string field");
        let text = serde_json::to_string(test).expect("serializable");
        out.push(Case {
            witness,
            amount,
            script_sig: parse_script(s(0)).unwrap_or_else(|e| panic!("{text}: {e}")),
            script_pubkey: parse_script(s(1)).unwrap_or_else(|e| panic!("{text}: {e}")),
            flags: ScriptFlags::parse(s(2)).unwrap_or_else(|e| panic!("{text}: {e}")),
            expected: ScriptError::from_name(s(3))
                .unwrap_or_else(|| panic!("{text}: unknown error name")),
            text,
        });
    }
    out
}

fn run(case: &Case, flags: ScriptFlags) -> Result<(), ScriptError> {
    let credit = crediting_tx(&case.script_pubkey, case.amount);
    let spend = spending_tx(
        &case.script_sig,
        Witness::from_slice(&case.witness),
        &credit,
    );
    let txdata =
        PrecomputedTransactionData::with_spent_outputs(vec![TxOut::clone(&credit.output[0])]);
    let checker =
        TransactionSignatureChecker::new(&spend, 0, credit.output[0].value.to_sat(), &txdata);
    verify_script(
        &case.script_sig,
        &case.script_pubkey,
        &spend.input[0].witness,
        flags,
        &checker,
    )
}

#[test]
fn script_tests_json() {
    let cases = cases();
    let mut failures = Vec::new();
    let mut rng = Rng::new(26);
    for case in &cases {
        let mut flags = case.flags;
        if flags.contains(ScriptFlags::CLEANSTACK) {
            flags |= ScriptFlags::P2SH | ScriptFlags::WITNESS;
        }
        let got = run(case, flags);
        let got_err = got.err().unwrap_or(ScriptError::Ok);
        if got_err != case.expected {
            failures.push(format!(
                "{} where {} expected: {}",
                got_err.name(),
                case.expected.name(),
                case.text
            ));
            continue;
        }
        // Removing flags from a passing test or adding flags to a failing one keeps the result.
        let expect_ok = case.expected == ScriptError::Ok;
        for _ in 0..16 {
            let extra = ScriptFlags::from_bits(rng.bits(16));
            let combined = if expect_ok {
                flags & !extra
            } else {
                flags | extra
            };
            if !combined.is_valid_combination() {
                continue;
            }
            if run(case, combined).is_ok() != expect_ok {
                failures.push(format!("with flags {combined}: {}", case.text));
                break;
            }
        }
    }
    assert!(cases.len() > 1000, "only {} cases loaded", cases.len());
    report("script_tests.json", cases.len() - failures.len(), &failures);
}
