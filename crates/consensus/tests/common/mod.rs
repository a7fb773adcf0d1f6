//! Shared helpers of the vector drivers: loading `../shared/test-vectors`, building Core's
//! crediting/spending test transactions, flag helpers and a deterministic PRNG.

#![allow(dead_code)]

use std::path::PathBuf;

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
use serde_json::Value;
use widecoin_consensus::ScriptFlags;

/// The shared vectors directory, relative to this crate.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/test-vectors/"
    ))
}

/// Loads one vector file as JSON; fails with a clear message when the directory is missing.
pub fn load(name: &str) -> Value {
    let dir = vectors_dir();
    assert!(
        dir.is_dir(),
        "test vectors directory {} is missing: these tests need the shared/ folder beside the repository",
        dir.display()
    );
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Converts a JSON amount in coins (e.g. `0.00000001`) to satoshis exactly.
pub fn amount_from_value(v: &Value) -> u64 {
    let s = v.to_string();
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    assert!(frac.len() <= 8, "amount {s} has more than 8 decimals");
    let frac_padded = format!("{frac:0<8}");
    int.parse::<u64>().expect("integer part") * 100_000_000
        + frac_padded.parse::<u64>().expect("fraction")
}

/// Core's `BuildCreditingTransaction`.
pub fn crediting_tx(script_pubkey: &[u8], value: u64) -> Transaction {
    Transaction {
        version: Version(1),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            // CScriptNum(0) << CScriptNum(0): two OP_0.
            script_sig: ScriptBuf::from_bytes(vec![0x00, 0x00]),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(value),
            script_pubkey: ScriptBuf::from_bytes(script_pubkey.to_vec()),
        }],
    }
}

/// Core's `BuildSpendingTransaction`.
pub fn spending_tx(script_sig: &[u8], witness: Witness, credit: &Transaction) -> Transaction {
    Transaction {
        version: Version(1),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: credit.compute_txid(),
                vout: 0,
            },
            script_sig: ScriptBuf::from_bytes(script_sig.to_vec()),
            sequence: Sequence::MAX,
            witness,
        }],
        output: vec![TxOut {
            value: credit.output[0].value,
            script_pubkey: ScriptBuf::new(),
        }],
    }
}

/// transaction_tests' `TrimFlags`: drop WITNESS without P2SH, CLEANSTACK without WITNESS.
pub fn trim_flags(mut f: ScriptFlags) -> ScriptFlags {
    if !f.contains(ScriptFlags::P2SH) {
        f &= !ScriptFlags::WITNESS;
    }
    if !f.contains(ScriptFlags::WITNESS) {
        f &= !ScriptFlags::CLEANSTACK;
    }
    f
}

/// transaction_tests' `FillFlags`: CLEANSTACK implies WITNESS, WITNESS implies P2SH.
pub fn fill_flags(mut f: ScriptFlags) -> ScriptFlags {
    if f.contains(ScriptFlags::CLEANSTACK) {
        f |= ScriptFlags::WITNESS;
    }
    if f.contains(ScriptFlags::WITNESS) {
        f |= ScriptFlags::P2SH;
    }
    f
}

/// A small deterministic PRNG (xorshift64*) standing in for Core's `InsecureRandBits`.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn bits(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let v = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (v >> (64 - n)) as u32
    }
}

/// Decodes a hex string.
pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s:?}: {e}"))
}

/// Fails the test with the first failures and a count, or prints the pass count.
pub fn report(name: &str, passed: usize, failures: &[String]) {
    for f in failures.iter().take(40) {
        eprintln!("FAIL {f}");
    }
    println!("{name}: {passed} passed, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "{name}: {} vectors failed",
        failures.len()
    );
}
