//! Driver for BIP341's `bip341_wallet_vectors.json`: script trees (leaf hashes, merkle roots,
//! tweaks, output keys, control blocks) and key path spending (signature hashes, tweaks, and
//! the expected witnesses verified end to end).

mod common;

use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::{Amount, ScriptBuf, Transaction, TxOut, Witness};
use common::*;
use serde_json::Value;
use widecoin_consensus::interpreter::{ExecData, SigVersion};
use widecoin_consensus::sighash::taproot_sighash;
use widecoin_consensus::taproot::{
    tapbranch_hash, tapleaf_hash, taptweak_hash, tweak_internal_key, verify_taproot_commitment,
};
use widecoin_consensus::{
    verify_script, PrecomputedTransactionData, ScriptFlags, TransactionSignatureChecker,
};

fn h32(v: &Value) -> [u8; 32] {
    unhex(v.as_str().expect("hex string"))
        .try_into()
        .expect("32 bytes")
}

/// Leaf hashes in the vector's order and the (sub)tree hash.
fn tree_hash(node: &Value, leaves: &mut Vec<[u8; 32]>) -> [u8; 32] {
    match node {
        Value::Array(children) => {
            assert_eq!(children.len(), 2, "binary tree");
            let a = tree_hash(&children[0], leaves);
            let b = tree_hash(&children[1], leaves);
            tapbranch_hash(&a, &b)
        }
        leaf => {
            let version = leaf["leafVersion"].as_u64().expect("leaf version") as u8;
            let h = tapleaf_hash(version, &unhex(leaf["script"].as_str().expect("script")));
            leaves.push(h);
            h
        }
    }
}

fn script_pubkey_vectors(vectors: &Value, failures: &mut Vec<String>) -> usize {
    let cases = vectors["scriptPubKey"]
        .as_array()
        .expect("scriptPubKey cases");
    for (n, case) in cases.iter().enumerate() {
        let internal = h32(&case["given"]["internalPubkey"]);
        let inter = &case["intermediary"];
        let mut leaves = Vec::new();
        let root = match &case["given"]["scriptTree"] {
            Value::Null => None,
            tree => Some(tree_hash(tree, &mut leaves)),
        };
        let expected_leaves: Vec<[u8; 32]> = inter["leafHashes"]
            .as_array()
            .map(|a| a.iter().map(h32).collect())
            .unwrap_or_default();
        let expected_root = (!inter["merkleRoot"].is_null()).then(|| h32(&inter["merkleRoot"]));
        let tweak = taptweak_hash(&internal, root.as_ref());
        let (output_key, parity) = tweak_internal_key(&internal, root.as_ref()).expect("valid key");
        let mut spk = vec![0x51, 0x20];
        spk.extend(output_key);
        let checks = [
            ("leaf hashes", leaves == expected_leaves),
            ("merkle root", root == expected_root),
            ("tweak", tweak == h32(&inter["tweak"])),
            ("tweaked key", output_key == h32(&inter["tweakedPubkey"])),
            (
                "scriptPubKey",
                hex::encode(&spk) == case["expected"]["scriptPubKey"].as_str().unwrap(),
            ),
        ];
        for (what, ok) in checks {
            if !ok {
                failures.push(format!("scriptPubKey case {n}: {what} differs"));
            }
        }
        let controls = case["expected"]["scriptPathControlBlocks"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (i, control) in controls.iter().enumerate() {
            let control = unhex(control.as_str().expect("control hex"));
            if (control[0] & 1 == 1) != parity
                || !verify_taproot_commitment(&control, &output_key, &leaves[i])
            {
                failures.push(format!(
                    "scriptPubKey case {n}: control block {i} does not verify"
                ));
            }
        }
    }
    cases.len()
}

fn key_path_vectors(vectors: &Value, failures: &mut Vec<String>) -> usize {
    let secp = Secp256k1::new();
    let mut count = 0;
    for case in vectors["keyPathSpending"]
        .as_array()
        .expect("keyPathSpending cases")
    {
        let unsigned: Transaction = bitcoin::consensus::deserialize(&unhex(
            case["given"]["rawUnsignedTx"].as_str().unwrap(),
        ))
        .unwrap();
        let spent: Vec<TxOut> = case["given"]["utxosSpent"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| TxOut {
                value: Amount::from_sat(u["amountSats"].as_u64().unwrap()),
                script_pubkey: ScriptBuf::from_bytes(unhex(u["scriptPubKey"].as_str().unwrap())),
            })
            .collect();
        let txdata = PrecomputedTransactionData::with_spent_outputs(spent.clone());
        for input in case["inputSpending"].as_array().unwrap() {
            count += 1;
            let given = &input["given"];
            let inter = &input["intermediary"];
            let index = given["txinIndex"].as_u64().unwrap() as usize;
            let hash_type = given["hashType"].as_u64().unwrap() as u8;
            let label = format!("keyPathSpending input {index}");

            let secret =
                SecretKey::from_slice(&unhex(given["internalPrivkey"].as_str().unwrap())).unwrap();
            let internal = secret.x_only_public_key(&secp).0.serialize();
            if internal != h32(&inter["internalPubkey"]) {
                failures.push(format!("{label}: internal key differs"));
            }
            let root = (!given["merkleRoot"].is_null()).then(|| h32(&given["merkleRoot"]));
            if taptweak_hash(&internal, root.as_ref()) != h32(&inter["tweak"]) {
                failures.push(format!("{label}: tweak differs"));
            }
            let (output_key, _) = tweak_internal_key(&internal, root.as_ref()).unwrap();
            if spent[index].script_pubkey.as_bytes()[2..] != output_key {
                failures.push(format!(
                    "{label}: output key differs from the spent scriptPubKey"
                ));
            }
            let sighash = taproot_sighash(
                &unsigned,
                index,
                hash_type,
                SigVersion::Taproot,
                &ExecData::default(),
                &txdata,
            );
            if sighash != Some(h32(&inter["sigHash"])) {
                failures.push(format!("{label}: sighash differs"));
            }
            // The expected witness must satisfy the interpreter, and a tampered one must not.
            let items: Vec<Vec<u8>> = input["expected"]["witness"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| unhex(w.as_str().unwrap()))
                .collect();
            let mut signed = unsigned.clone();
            signed.input[index].witness = Witness::from_slice(&items);
            let checker = TransactionSignatureChecker::new(
                &signed,
                index,
                spent[index].value.to_sat(),
                &txdata,
            );
            let spk = spent[index].script_pubkey.as_bytes();
            let witness = &signed.input[index].witness;
            if let Err(e) = verify_script(&[], spk, witness, ScriptFlags::STANDARD, &checker) {
                failures.push(format!("{label}: expected witness fails: {}", e.name()));
            }
            let mut bad = items.clone();
            bad[0][10] ^= 1;
            let bad = Witness::from_slice(&bad);
            if verify_script(&[], spk, &bad, ScriptFlags::STANDARD, &checker).is_ok() {
                failures.push(format!("{label}: tampered witness passes"));
            }
        }
    }
    count
}

#[test]
fn bip341_wallet_vectors_json() {
    let vectors = load("bip341_wallet_vectors.json");
    let mut failures = Vec::new();
    let n =
        script_pubkey_vectors(&vectors, &mut failures) + key_path_vectors(&vectors, &mut failures);
    report("bip341_wallet_vectors.json", n - failures.len(), &failures);
}
