//! Spends built here, signed with our signature hashes, for what the vector files barely cover
//! (taproot script paths, tapscript, annexes, witness v0 hash types). Each outcome is checked
//! against the expected error, our sighashes against rust-bitcoin's `SighashCache`, and the
//! accept/reject decision under consensus flags against libbitcoinconsensus v26.

mod common;

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{Keypair, Message, Secp256k1, SecretKey};
use bitcoin::sighash::{Annex, EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::TapLeafHash;
use bitcoin::{Amount, ScriptBuf, Transaction, TxOut, Witness};
use common::*;
use widecoin_consensus::asm::parse_script;
use widecoin_consensus::interpreter::{ExecData, SigVersion};
use widecoin_consensus::sighash::{segwit_v0_sighash, taproot_sighash};
use widecoin_consensus::taproot::{tapbranch_hash, tapleaf_hash, tweak_internal_key};
use widecoin_consensus::{
    verify_script, PrecomputedTransactionData, ScriptError, ScriptFlags,
    TransactionSignatureChecker,
};

fn key(n: u8) -> Keypair {
    Keypair::from_secret_key(&Secp256k1::new(), &SecretKey::from_slice(&[n; 32]).unwrap())
}

fn xonly(k: &Keypair) -> [u8; 32] {
    k.x_only_public_key().0.serialize()
}

/// A two-input, two-output transaction spending `spk` (input 0) and a P2WPKH output (input 1).
fn spend_of(spk: Vec<u8>) -> (Transaction, Vec<TxOut>) {
    let credit_a = crediting_tx(&spk, 50_000);
    let pk = bitcoin::PublicKey::new(key(9).public_key());
    let wpkh = ScriptBuf::new_p2wpkh(&pk.wpubkey_hash().unwrap());
    let credit_b = crediting_tx(wpkh.as_bytes(), 70_000);
    let mut tx = spending_tx(&[], Witness::new(), &credit_a);
    tx.input
        .push(spending_tx(&[], Witness::new(), &credit_b).input[0].clone());
    tx.output.push(TxOut {
        value: Amount::from_sat(1000),
        script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
    });
    tx.version = bitcoin::transaction::Version(2);
    (
        tx,
        vec![credit_a.output[0].clone(), credit_b.output[0].clone()],
    )
}

/// A taproot output committing to `leaf` (tapscript) and a dummy sibling; returns the
/// scriptPubKey and the control block for `leaf` with the given leaf version.
fn p2tr(internal: [u8; 32], leaf: &[u8], leaf_version: u8) -> (Vec<u8>, Vec<u8>) {
    let leaf_hash = tapleaf_hash(leaf_version, leaf);
    let sibling = tapleaf_hash(0xc0, &[0x51]);
    let root = tapbranch_hash(&leaf_hash, &sibling);
    let (output, parity) = tweak_internal_key(&internal, Some(&root)).unwrap();
    let mut control = vec![leaf_version | u8::from(parity)];
    control.extend(internal);
    control.extend(sibling);
    let mut spk = vec![0x51, 0x20];
    spk.extend(output);
    (spk, control)
}

/// Our BIP341 sighash, checked against rust-bitcoin's.
fn tap_sighash(
    tx: &Transaction,
    spent: &[TxOut],
    leaf: Option<&[u8]>,
    annex: Option<&[u8]>,
    codesep: u32,
    hash_type: u8,
) -> [u8; 32] {
    let execdata = ExecData {
        tapleaf_hash: leaf.map(|l| tapleaf_hash(0xc0, l)),
        codeseparator_pos: codesep,
        annex_hash: annex.map(|a| {
            use bitcoin::hashes::{sha256, HashEngine};
            let mut e = sha256::Hash::engine();
            e.input(&bitcoin::consensus::serialize(&a.to_vec()));
            sha256::Hash::from_engine(e).to_byte_array()
        }),
        validation_weight_left: None,
    };
    let sigversion = if leaf.is_some() {
        SigVersion::Tapscript
    } else {
        SigVersion::Taproot
    };
    let txdata = PrecomputedTransactionData::with_spent_outputs(spent.to_vec());
    let ours = taproot_sighash(tx, 0, hash_type, sigversion, &execdata, &txdata)
        .expect("defined hash type");
    let theirs = SighashCache::new(tx)
        .taproot_signature_hash(
            0,
            &Prevouts::All(spent),
            annex.map(|a| Annex::new(a).unwrap()),
            leaf.map(|l| (TapLeafHash::from_byte_array(tapleaf_hash(0xc0, l)), codesep)),
            TapSighashType::from_consensus_u8(hash_type).unwrap(),
        )
        .unwrap();
    assert_eq!(
        ours,
        theirs.to_byte_array(),
        "BIP341 sighash differs from rust-bitcoin's"
    );
    ours
}

fn schnorr(k: &Keypair, digest: [u8; 32], hash_type: u8) -> Vec<u8> {
    let sig = Secp256k1::new().sign_schnorr_no_aux_rand(&Message::from_digest(digest), k);
    let mut v = sig.as_ref().to_vec();
    if hash_type != 0 {
        v.push(hash_type);
    }
    v
}

/// Verifies input `index` under consensus and standard flags, and against libconsensus.
fn check(
    tx: &Transaction,
    spent: &[TxOut],
    index: usize,
    consensus: ScriptError,
    standard: ScriptError,
) {
    let txdata = PrecomputedTransactionData::with_spent_outputs(spent.to_vec());
    let checker = TransactionSignatureChecker::new(tx, index, spent[index].value.to_sat(), &txdata);
    let run = |flags| {
        let input = &tx.input[index];
        verify_script(
            input.script_sig.as_bytes(),
            spent[index].script_pubkey.as_bytes(),
            &input.witness,
            flags,
            &checker,
        )
        .err()
        .unwrap_or(ScriptError::Ok)
    };
    assert_eq!(
        run(ScriptFlags::MANDATORY),
        consensus,
        "under consensus flags"
    );
    assert_eq!(run(ScriptFlags::STANDARD), standard, "under standard flags");
    #[cfg(feature = "oracle")]
    {
        let raw = bitcoin::consensus::serialize(tx);
        let utxos: Vec<_> = spent
            .iter()
            .map(|o| bitcoinconsensus::Utxo {
                script_pubkey: o.script_pubkey.as_bytes().as_ptr(),
                script_pubkey_len: o.script_pubkey.len() as u32,
                value: o.value.to_sat() as i64,
            })
            .collect();
        let lib = bitcoinconsensus::verify_with_flags(
            spent[index].script_pubkey.as_bytes(),
            spent[index].value.to_sat(),
            &raw,
            Some(&utxos),
            index,
            ScriptFlags::MANDATORY.bits(),
        );
        assert_eq!(
            lib.is_ok(),
            consensus == ScriptError::Ok,
            "libconsensus disagrees: {lib:?}"
        );
    }
}

#[test]
fn taproot_key_path() {
    let k = key(1);
    let (output, _) = tweak_internal_key(&xonly(&k), None).unwrap();
    let tweaked = k
        .add_xonly_tweak(
            &Secp256k1::new(),
            &bitcoin::secp256k1::Scalar::from_be_bytes(widecoin_consensus::taproot::taptweak_hash(
                &xonly(&k),
                None,
            ))
            .unwrap(),
        )
        .unwrap();
    let mut spk = vec![0x51, 0x20];
    spk.extend(output);
    let (mut tx, spent) = spend_of(spk);
    for hash_type in [0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83] {
        for annex in [None, Some(&[0x50u8, 1, 2, 3][..])] {
            let sig = schnorr(
                &tweaked,
                tap_sighash(&tx, &spent, None, annex, u32::MAX, hash_type),
                hash_type,
            );
            let mut items = vec![sig];
            items.extend(annex.map(<[u8]>::to_vec));
            tx.input[0].witness = Witness::from_slice(&items);
            check(&tx, &spent, 0, ScriptError::Ok, ScriptError::Ok);
        }
    }
    let digest = tap_sighash(&tx, &spent, None, None, u32::MAX, 0);
    let mut sig = schnorr(&tweaked, digest, 0);
    sig.push(0);
    tx.input[0].witness = Witness::from_slice(&[sig.clone()]);
    check(
        &tx,
        &spent,
        0,
        ScriptError::SchnorrSigHashtype,
        ScriptError::SchnorrSigHashtype,
    );
    sig[64] = 0x04;
    tx.input[0].witness = Witness::from_slice(&[sig.clone()]);
    check(
        &tx,
        &spent,
        0,
        ScriptError::SchnorrSigHashtype,
        ScriptError::SchnorrSigHashtype,
    );
    tx.input[0].witness = Witness::from_slice(&[&sig[..63]]);
    check(
        &tx,
        &spent,
        0,
        ScriptError::SchnorrSigSize,
        ScriptError::SchnorrSigSize,
    );
    tx.input[0].witness = Witness::from_slice(&[schnorr(&k, digest, 0)]); // untweaked key
    check(
        &tx,
        &spent,
        0,
        ScriptError::SchnorrSig,
        ScriptError::SchnorrSig,
    );
}

/// A spend of a taproot output whose tree holds `leaf_text`: the transaction, the spent
/// outputs, the leaf script and its control block.
fn script_path(leaf_text: &str, leaf_version: u8) -> (Transaction, Vec<TxOut>, Vec<u8>, Vec<u8>) {
    let leaf = parse_script(leaf_text).unwrap();
    let (spk, control) = p2tr(xonly(&key(1)), &leaf, leaf_version);
    let (tx, spent) = spend_of(spk);
    (tx, spent, leaf, control)
}

fn with_witness(
    tx: &mut Transaction,
    mut items: Vec<Vec<u8>>,
    leaf: &[u8],
    control: &[u8],
    annex: Option<&[u8]>,
) {
    items.push(leaf.to_vec());
    items.push(control.to_vec());
    items.extend(annex.map(<[u8]>::to_vec));
    tx.input[0].witness = Witness::from_slice(&items);
}

#[test]
fn tapscript_signatures() {
    let (a, b) = (key(2), key(3));
    let (pa, pb) = (hex::encode(xonly(&a)), hex::encode(xonly(&b)));
    for annex in [None, Some(&[0x50u8, 0xaa][..])] {
        // Single CHECKSIG.
        let (mut tx, spent, leaf, control) = script_path(&format!("0x20{pa} CHECKSIG"), 0xc0);
        let sig = schnorr(
            &a,
            tap_sighash(&tx, &spent, Some(&leaf), annex, u32::MAX, 0x01),
            0x01,
        );
        with_witness(&mut tx, vec![sig.clone()], &leaf, &control, annex);
        check(&tx, &spent, 0, ScriptError::Ok, ScriptError::Ok);
        // A control block with the wrong parity does not commit.
        let mut bad = control.clone();
        bad[0] ^= 1;
        with_witness(&mut tx, vec![sig], &leaf, &bad, annex);
        check(
            &tx,
            &spent,
            0,
            ScriptError::WitnessProgramMismatch,
            ScriptError::WitnessProgramMismatch,
        );

        // 2-of-2 with CHECKSIGADD; an empty signature counts as "no".
        let text = format!("0x20{pa} CHECKSIG 0x20{pb} CHECKSIGADD 2 NUMEQUAL");
        let (mut tx, spent, leaf, control) = script_path(&text, 0xc0);
        let digest = tap_sighash(&tx, &spent, Some(&leaf), annex, u32::MAX, 0);
        let (sa, sb) = (schnorr(&a, digest, 0), schnorr(&b, digest, 0));
        with_witness(
            &mut tx,
            vec![sb.clone(), sa.clone()],
            &leaf,
            &control,
            annex,
        );
        check(&tx, &spent, 0, ScriptError::Ok, ScriptError::Ok);
        with_witness(&mut tx, vec![vec![], sa.clone()], &leaf, &control, annex);
        check(
            &tx,
            &spent,
            0,
            ScriptError::EvalFalse,
            ScriptError::EvalFalse,
        );
        with_witness(&mut tx, vec![sa.clone(), sa], &leaf, &control, annex);
        check(
            &tx,
            &spent,
            0,
            ScriptError::SchnorrSig,
            ScriptError::SchnorrSig,
        );

        // OP_CODESEPARATOR position enters the sighash.
        let (mut tx, spent, leaf, control) =
            script_path(&format!("1 DROP CODESEPARATOR 0x20{pa} CHECKSIG"), 0xc0);
        let sig = schnorr(
            &a,
            tap_sighash(&tx, &spent, Some(&leaf), annex, 2, 0x83),
            0x83,
        );
        with_witness(&mut tx, vec![sig], &leaf, &control, annex);
        check(&tx, &spent, 0, ScriptError::Ok, ScriptError::Ok);
        let sig = schnorr(
            &a,
            tap_sighash(&tx, &spent, Some(&leaf), annex, u32::MAX, 0x83),
            0x83,
        );
        with_witness(&mut tx, vec![sig], &leaf, &control, annex);
        check(
            &tx,
            &spent,
            0,
            ScriptError::SchnorrSig,
            ScriptError::SchnorrSig,
        );
    }
}

#[test]
fn tapscript_rules() {
    let a = key(2);
    let pa = hex::encode(xonly(&a));
    // OP_SUCCESS80 succeeds at once, even after a bad opcode position; policy discourages it.
    let (mut tx, spent, leaf, control) = script_path("RETURN 0x50", 0xc0);
    with_witness(&mut tx, vec![], &leaf, &control, None);
    check(
        &tx,
        &spent,
        0,
        ScriptError::Ok,
        ScriptError::DiscourageOpSuccess,
    );
    // Unknown leaf version: anyone can spend, discouraged by policy.
    let (mut tx, spent, leaf, control) = script_path("RETURN", 0xc2);
    with_witness(&mut tx, vec![], &leaf, &control, None);
    check(
        &tx,
        &spent,
        0,
        ScriptError::Ok,
        ScriptError::DiscourageUpgradableTaprootVersion,
    );
    // Minimal IF is consensus in tapscript.
    let (mut tx, spent, leaf, control) = script_path("IF 1 ELSE 1 ENDIF", 0xc0);
    with_witness(&mut tx, vec![vec![2]], &leaf, &control, None);
    check(
        &tx,
        &spent,
        0,
        ScriptError::TapscriptMinimalIf,
        ScriptError::TapscriptMinimalIf,
    );
    // CHECKMULTISIG is gone.
    let (mut tx, spent, leaf, control) = script_path("0 0 0 CHECKMULTISIG", 0xc0);
    with_witness(&mut tx, vec![], &leaf, &control, None);
    check(
        &tx,
        &spent,
        0,
        ScriptError::TapscriptCheckMultisig,
        ScriptError::TapscriptCheckMultisig,
    );
    // Unknown public key types succeed with any non-empty signature; policy discourages them.
    let (mut tx, spent, leaf, control) = script_path(&format!("0x21{}{pa} CHECKSIG", "02"), 0xc0);
    with_witness(&mut tx, vec![vec![1]], &leaf, &control, None);
    check(
        &tx,
        &spent,
        0,
        ScriptError::Ok,
        ScriptError::DiscourageUpgradablePubkeyType,
    );
    // An empty public key fails.
    let (mut tx, spent, leaf, control) = script_path("0 CHECKSIG", 0xc0);
    with_witness(&mut tx, vec![vec![1]], &leaf, &control, None);
    check(
        &tx,
        &spent,
        0,
        ScriptError::PubkeyType,
        ScriptError::PubkeyType,
    );
    // Validation weight: each executed signature check costs 50 of (witness size + 50).
    let text = format!(
        "{}0x20{pa} CHECKSIG",
        format!("DUP 0x20{pa} CHECKSIGVERIFY ").repeat(12)
    );
    let (mut tx, spent, leaf, control) = script_path(&text, 0xc0);
    let sig = schnorr(
        &a,
        tap_sighash(&tx, &spent, Some(&leaf), None, u32::MAX, 0),
        0,
    );
    with_witness(&mut tx, vec![sig.clone()], &leaf, &control, None);
    check(
        &tx,
        &spent,
        0,
        ScriptError::TapscriptValidationWeight,
        ScriptError::TapscriptValidationWeight,
    );
    // The same script passes when an annex pads the witness.
    let annex = [0x50u8; 300];
    let sig = schnorr(
        &a,
        tap_sighash(&tx, &spent, Some(&leaf), Some(&annex), u32::MAX, 0),
        0,
    );
    with_witness(&mut tx, vec![sig], &leaf, &control, Some(&annex));
    check(&tx, &spent, 0, ScriptError::Ok, ScriptError::Ok);
    // Witness v1 inside P2SH is not taproot: anyone can spend, discouraged by policy.
    let (_, spent_inner, _, _) = script_path("1", 0xc0);
    let program = spent_inner[0].script_pubkey.as_bytes().to_vec();
    let redeem_hash = bitcoin::hashes::hash160::Hash::hash(&program).to_byte_array();
    let spk = parse_script(&format!("HASH160 0x14{} EQUAL", hex::encode(redeem_hash))).unwrap();
    let (mut tx, spent) = spend_of(spk);
    tx.input[0].script_sig = ScriptBuf::from_bytes([vec![0x22], program].concat());
    tx.input[0].witness = Witness::from_slice(&[vec![1u8]]);
    check(
        &tx,
        &spent,
        0,
        ScriptError::Ok,
        ScriptError::DiscourageUpgradableWitnessProgram,
    );
}

#[test]
fn witness_v0_hash_types() {
    let secp = Secp256k1::new();
    let k = key(9);
    let pk = bitcoin::PublicKey::new(k.public_key());
    let (mut tx, spent) = spend_of(vec![0x51]);
    // Input 1 is P2WPKH; its scriptCode is the P2PKH script of the key hash.
    let script_code = ScriptBuf::new_p2pkh(&pk.pubkey_hash());
    for hash_type in [0x01, 0x02, 0x03, 0x81, 0x82, 0x83] {
        let txdata = PrecomputedTransactionData::new();
        let ours = segwit_v0_sighash(script_code.as_bytes(), &tx, 1, hash_type, 70_000, &txdata);
        let theirs = SighashCache::new(&tx)
            .p2wsh_signature_hash(
                1,
                &script_code,
                Amount::from_sat(70_000),
                EcdsaSighashType::from_consensus(hash_type as u32),
            )
            .unwrap();
        assert_eq!(
            ours,
            theirs.to_byte_array(),
            "BIP143 sighash for {hash_type:#x}"
        );
        let sig = secp.sign_ecdsa(&Message::from_digest(ours), &k.secret_key());
        let mut sig = sig.serialize_der().to_vec();
        sig.push(hash_type as u8);
        tx.input[1].witness = Witness::from_slice(&[sig, pk.to_bytes()]);
        check(&tx, &spent, 1, ScriptError::Ok, ScriptError::Ok);
    }
    // An undefined hash type signs fine under consensus; STRICTENC rejects it.
    let txdata = PrecomputedTransactionData::new();
    let digest = segwit_v0_sighash(script_code.as_bytes(), &tx, 1, 0x21, 70_000, &txdata);
    let mut sig = secp
        .sign_ecdsa(&Message::from_digest(digest), &k.secret_key())
        .serialize_der()
        .to_vec();
    sig.push(0x21);
    tx.input[1].witness = Witness::from_slice(&[sig, pk.to_bytes()]);
    check(&tx, &spent, 1, ScriptError::Ok, ScriptError::SigHashtype);
}
