//! Differential test against Bitcoin Core v26's libbitcoinconsensus (the `bitcoinconsensus`
//! crate, dev-dependency only): Widecoin's script rules are Bitcoin's, so for every flag set
//! libconsensus supports, both must accept and reject the same spends. Runs the
//! `script_tests.json` cases under their own flags and under random subsets of libconsensus's
//! flags, and every input of `tx_valid.json`/`tx_invalid.json` under random subsets.
#![cfg(feature = "oracle")]

mod common;

use std::str::FromStr;

use bitcoin::{Amount, ScriptBuf, Transaction, TxOut, Txid, Witness};
use common::*;
use widecoin_consensus::asm::parse_script;
use widecoin_consensus::{
    verify_script, PrecomputedTransactionData, ScriptError, ScriptFlags,
    TransactionSignatureChecker,
};

/// The flags libconsensus accepts (`bitcoinconsensus_SCRIPT_FLAGS_VERIFY_ALL`).
const LIB_FLAGS: u32 = bitcoinconsensus::VERIFY_ALL_PRE_TAPROOT | bitcoinconsensus::VERIFY_TAPROOT;

fn ours(tx: &Transaction, index: usize, spent: &[TxOut], flags: ScriptFlags) -> bool {
    let txdata = PrecomputedTransactionData::with_spent_outputs(spent.to_vec());
    let checker = TransactionSignatureChecker::new(tx, index, spent[index].value.to_sat(), &txdata);
    let input = &tx.input[index];
    verify_script(
        input.script_sig.as_bytes(),
        spent[index].script_pubkey.as_bytes(),
        &input.witness,
        flags,
        &checker,
    )
    .is_ok()
}

fn theirs(tx: &Transaction, index: usize, spent: &[TxOut], flags: ScriptFlags) -> bool {
    let raw = bitcoin::consensus::serialize(tx);
    let utxos: Vec<bitcoinconsensus::Utxo> = spent
        .iter()
        .map(|o| bitcoinconsensus::Utxo {
            script_pubkey: o.script_pubkey.as_bytes().as_ptr(),
            script_pubkey_len: o.script_pubkey.len() as u32,
            value: o.value.to_sat() as i64,
        })
        .collect();
    let out = &spent[index];
    bitcoinconsensus::verify_with_flags(
        out.script_pubkey.as_bytes(),
        out.value.to_sat(),
        &raw,
        Some(&utxos),
        index,
        flags.bits(),
    )
    .is_ok()
}

/// A random valid subset of libconsensus's flags.
fn random_lib_flags(rng: &mut Rng) -> ScriptFlags {
    let f = ScriptFlags::from_bits(rng.bits(21) & LIB_FLAGS);
    trim_flags(f)
}

#[test]
fn script_tests_agree_with_libconsensus() {
    let mut rng = Rng::new(7);
    let mut compared = 0;
    let mut failures = Vec::new();
    for test in load("script_tests.json").as_array().unwrap() {
        let test = test.as_array().unwrap();
        let mut pos = 0;
        let mut witness = Vec::new();
        let mut amount = 0;
        if let Some(w) = test[0].as_array() {
            let (last, items) = w.split_last().unwrap();
            witness = items
                .iter()
                .map(|i| unhex(i.as_str().unwrap()))
                .collect::<Vec<_>>();
            amount = amount_from_value(last);
            pos = 1;
        }
        if test.len() < 4 + pos {
            continue;
        }
        let text = serde_json::to_string(test).unwrap();
        let script_sig = parse_script(test[pos].as_str().unwrap()).unwrap();
        let script_pubkey = parse_script(test[pos + 1].as_str().unwrap()).unwrap();
        let mut flags = ScriptFlags::parse(test[pos + 2].as_str().unwrap()).unwrap();
        if flags.contains(ScriptFlags::CLEANSTACK) {
            flags |= ScriptFlags::P2SH | ScriptFlags::WITNESS;
        }
        let expected_ok =
            ScriptError::from_name(test[pos + 3].as_str().unwrap()) == Some(ScriptError::Ok);
        let credit = crediting_tx(&script_pubkey, amount);
        let spend = spending_tx(&script_sig, Witness::from_slice(&witness), &credit);
        let spent = [credit.output[0].clone()];

        let mut flag_sets = Vec::new();
        if flags.bits() & !LIB_FLAGS == 0 {
            flag_sets.push(flags);
            if theirs(&spend, 0, &spent, flags) != expected_ok {
                failures.push(format!(
                    "libconsensus disagrees with the vector itself: {text}"
                ));
            }
        }
        flag_sets.extend((0..4).map(|_| random_lib_flags(&mut rng)));
        for f in flag_sets {
            compared += 1;
            let (a, b) = (ours(&spend, 0, &spent, f), theirs(&spend, 0, &spent, f));
            if a != b {
                failures.push(format!("flags {f}: ours {a}, libconsensus {b}: {text}"));
            }
        }
    }
    report(
        "script_tests.json vs libconsensus",
        compared - failures.len(),
        &failures,
    );
}

#[test]
fn tx_vectors_agree_with_libconsensus() {
    let mut rng = Rng::new(8);
    let mut compared = 0;
    let mut failures = Vec::new();
    for file in ["tx_valid.json", "tx_invalid.json"] {
        for test in load(file).as_array().unwrap() {
            let test = test.as_array().unwrap();
            let Some(inputs) = test[0].as_array() else {
                continue;
            };
            let text = serde_json::to_string(test).unwrap();
            let Ok(tx) =
                bitcoin::consensus::deserialize::<Transaction>(&unhex(test[1].as_str().unwrap()))
            else {
                continue;
            };
            let mut spent = Vec::new();
            let mut complete = true;
            for txin in &tx.input {
                let found = inputs.iter().find(|i| {
                    Txid::from_str(i[0].as_str().unwrap()).unwrap() == txin.previous_output.txid
                        && i[1].as_i64().unwrap() as i32 as u32 == txin.previous_output.vout
                });
                let Some(i) = found else {
                    complete = false;
                    break;
                };
                spent.push(TxOut {
                    value: Amount::from_sat(i.get(3).map_or(0, |v| v.as_i64().unwrap()) as u64),
                    script_pubkey: ScriptBuf::from_bytes(
                        parse_script(i[2].as_str().unwrap()).unwrap(),
                    ),
                });
            }
            if !complete {
                continue;
            }
            for _ in 0..4 {
                let f = random_lib_flags(&mut rng);
                for index in 0..tx.input.len() {
                    compared += 1;
                    let (a, b) = (ours(&tx, index, &spent, f), theirs(&tx, index, &spent, f));
                    if a != b {
                        failures.push(format!(
                            "{file} input {index} flags {f}: ours {a}, libconsensus {b}: {text}"
                        ));
                    }
                }
            }
        }
    }
    report(
        "tx vectors vs libconsensus",
        compared - failures.len(),
        &failures,
    );
}
