//! Driver for `sighash.json` (Core's `sighash_from_data`): legacy signature hashes.

mod common;

use bitcoin::Transaction;
use common::*;
use widecoin_consensus::check_transaction;
use widecoin_consensus::sighash::legacy_sighash;

#[test]
fn sighash_json() {
    let mut failures = Vec::new();
    let mut count = 0;
    for test in load("sighash.json").as_array().expect("array of tests") {
        let test = test.as_array().expect("each test is an array");
        if test.len() == 1 {
            continue; // comment
        }
        let text = serde_json::to_string(test).expect("serializable");
        assert_eq!(test.len(), 5, "bad test: {text}");
        let tx: Transaction =
            bitcoin::consensus::deserialize(&unhex(test[0].as_str().expect("tx hex")))
                .unwrap_or_else(|e| panic!("{text}: {e}"));
        let script = unhex(test[1].as_str().expect("script hex"));
        let input_index = test[2].as_i64().expect("input index") as usize;
        let hash_type = test[3].as_i64().expect("hash type") as i32;
        let mut expected = unhex(test[4].as_str().expect("hash hex"));
        expected.reverse(); // uint256 hex is shown byte-reversed
        count += 1;
        if let Err(e) = check_transaction(&tx) {
            failures.push(format!("CheckTransaction: {}: {text}", e.reject_reason()));
            continue;
        }
        let got = legacy_sighash(&script, &tx, input_index, hash_type);
        if got.as_slice() != expected.as_slice() {
            failures.push(format!("got {}: {text}", hex::encode(got)));
        }
    }
    assert!(count >= 500, "only {count} vectors loaded");
    report("sighash.json", count - failures.len(), &failures);
}
