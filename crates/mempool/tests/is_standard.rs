//! The scenarios of Core's `transaction_tests/test_IsStandard`, plus the sigop and size
//! checks of `PreChecks`.

mod common;

use bitcoin::transaction::Version;
use bitcoin::{Amount, ScriptBuf};
use common::*;
use widecoin_consensus::opcodes::*;
use widecoin_mempool::*;

fn dust_fee() -> FeeRate {
    FeeRate::from_sat_per_kvb(DUST_RELAY_TX_FEE)
}

fn check(t: &bitcoin::Transaction, bare_multi: bool, dust: FeeRate) -> &'static str {
    match is_standard_tx(t, Some(MAX_OP_RETURN_RELAY), bare_multi, dust) {
        Ok(()) => "standard",
        Err(e) => e.reject_reason(),
    }
}

fn std_reason(t: &bitcoin::Transaction) -> &'static str {
    check(t, DEFAULT_PERMIT_BAREMULTISIG, dust_fee())
}

fn base() -> bitcoin::Transaction {
    let mut t = tx(
        vec![input(outpoint(1, 1))],
        vec![output(90 * CENT, p2pkh([5; 20]))],
    );
    t.input[0].script_sig = ScriptBuf::from_bytes(pushes(&[&[0u8; 65]]));
    t
}

fn spk(t: &mut bitcoin::Transaction, script: Vec<u8>) {
    t.output[0].script_pubkey = ScriptBuf::from_bytes(script);
}

fn value(t: &mut bitcoin::Transaction, sat: u64) {
    t.output[0].value = Amount::from_sat(sat);
}

#[test]
fn dust_and_version() {
    let mut t = base();
    assert_eq!(std_reason(&t), "standard");
    let threshold = 182 * dust_fee().fee_per_k() / 1000;
    assert_eq!(threshold, 546);
    value(&mut t, 545);
    assert_eq!(std_reason(&t), "dust");
    value(&mut t, 546);
    assert_eq!(std_reason(&t), "standard");

    for v in [-1, 0, 3] {
        t.version = Version(v);
        assert_eq!(std_reason(&t), "version", "version {v}");
    }
    for v in [1, 2] {
        t.version = Version(v);
        assert_eq!(std_reason(&t), "standard");
    }

    // An odd dust fee rate rounds up: 182 * 3702 / 1000 = 673.764 -> 674.
    let odd = FeeRate::from_sat_per_kvb(3702);
    value(&mut t, 673);
    assert_eq!(check(&t, true, odd), "dust");
    value(&mut t, 674);
    assert_eq!(check(&t, true, odd), "standard");
}

#[test]
fn null_data_outputs() {
    let mut t = base();
    spk(&mut t, vec![OP_1]);
    assert_eq!(std_reason(&t), "scriptpubkey");

    let data = hex::decode("04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef3804678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38").unwrap();
    let mut s = vec![OP_RETURN];
    push(&mut s, &data);
    assert_eq!(s.len(), MAX_OP_RETURN_RELAY as usize);
    spk(&mut t, s.clone());
    assert_eq!(std_reason(&t), "standard");
    // Without -datacarrier every OP_RETURN output is non-standard.
    assert_eq!(
        is_standard_tx(&t, None, true, dust_fee()),
        Err(StandardError::ScriptPubKey { output: 0 })
    );

    let mut big = data.clone();
    big.push(0);
    let mut s = vec![OP_RETURN];
    push(&mut s, &big);
    assert_eq!(s.len(), MAX_OP_RETURN_RELAY as usize + 1);
    spk(&mut t, s);
    assert_eq!(std_reason(&t), "scriptpubkey");

    // Any pushes will do, OP_RESERVED included (IsPushOnly counts it).
    let mut s = vec![OP_RETURN];
    push(&mut s, &[]);
    spk(&mut t, s);
    assert_eq!(std_reason(&t), "standard");
    spk(&mut t, vec![OP_RETURN, 1, 0, 1, 1]);
    assert_eq!(std_reason(&t), "standard");
    let mut s = vec![OP_RETURN, OP_RESERVED, OP_1NEGATE, OP_0, 1, 1];
    s.extend(OP_1 + 1..=OP_16);
    spk(&mut t, s);
    assert_eq!(std_reason(&t), "standard");
    let mut s = vec![OP_RETURN, OP_0, 1, 1, OP_1 + 1];
    push(&mut s, &[0xff; 37]);
    spk(&mut t, s);
    assert_eq!(std_reason(&t), "standard");
    // ...but only pushes.
    spk(&mut t, vec![OP_RETURN, OP_RETURN]);
    assert_eq!(std_reason(&t), "scriptpubkey");
    spk(&mut t, vec![OP_RETURN]);
    assert_eq!(std_reason(&t), "standard");

    // At most one OP_RETURN output.
    let mut long = vec![OP_RETURN];
    push(&mut long, &data[..40]);
    t.output = vec![output(0, long.clone()), output(0, long.clone())];
    assert_eq!(std_reason(&t), "multi-op-return");
    t.output[1].script_pubkey = ScriptBuf::from_bytes(vec![OP_RETURN]);
    assert_eq!(std_reason(&t), "multi-op-return");
    t.output[0].script_pubkey = ScriptBuf::from_bytes(vec![OP_RETURN]);
    assert_eq!(std_reason(&t), "multi-op-return");
}

#[test]
fn script_sig_size_and_push_only() {
    let mut t = base();
    t.output[0].value = Amount::from_sat(35_000_000 * COIN);
    t.input[0].script_sig = ScriptBuf::from_bytes(pushes(&[&[0u8; 1647]]));
    assert_eq!(t.input[0].script_sig.len(), 1650);
    assert_eq!(std_reason(&t), "standard");
    t.input[0].script_sig = ScriptBuf::from_bytes(pushes(&[&[0u8; 1648]]));
    assert_eq!(std_reason(&t), "scriptsig-size");
    assert_eq!(
        is_standard_tx(&t, Some(83), true, dust_fee()),
        Err(StandardError::ScriptSigSize { input: 0 })
    );

    let mut s = vec![OP_1, OP_0, OP_1NEGATE, OP_16];
    push(&mut s, &[0; 75]);
    push(&mut s, &[0; 235]);
    push(&mut s, &[0; 1234]);
    s.push(OP_1 + 8);
    t.input[0].script_sig = ScriptBuf::from_bytes(s.clone());
    assert_eq!(std_reason(&t), "standard");

    let non_push = [
        OP_NOP,
        OP_VERIFY,
        OP_IF,
        OP_ROT,
        OP_3DUP,
        OP_SIZE,
        OP_EQUAL,
        OP_ADD,
        OP_SUB,
        OP_HASH256,
        OP_CODESEPARATOR,
        OP_CHECKSIG,
        OP_CHECKLOCKTIMEVERIFY,
    ];
    let positions: Vec<usize> = {
        let mut pc = 0;
        let mut out = Vec::new();
        while pc < s.len() {
            let at = pc;
            let ins = widecoin_consensus::script::read_op(&s, &mut pc).unwrap();
            if !(1..=OP_PUSHDATA4).contains(&ins.opcode) {
                out.push(at);
            }
        }
        out
    };
    assert_eq!(positions.len(), 5);
    for at in positions {
        for op in non_push {
            let mut bad = s.clone();
            bad[at] = op;
            t.input[0].script_sig = ScriptBuf::from_bytes(bad);
            assert_eq!(
                std_reason(&t),
                "scriptsig-not-pushonly",
                "op {op:#x} at {at}"
            );
        }
        t.input[0].script_sig = ScriptBuf::from_bytes(s.clone());
        assert_eq!(std_reason(&t), "standard");
    }
}

#[test]
fn weight_limit() {
    let mut t = base();
    t.input = vec![input(outpoint(0, 0)); 2438];
    let mut s = vec![OP_RETURN];
    push(&mut s, &[0; 19]);
    spk(&mut t, s);
    assert_eq!(t.weight().to_wu(), 400_000);
    assert_eq!(std_reason(&t), "standard");
    let mut s = vec![OP_RETURN];
    push(&mut s, &[0; 20]);
    spk(&mut t, s);
    assert_eq!(t.weight().to_wu(), 400_004);
    assert_eq!(std_reason(&t), "tx-size");
}

#[test]
fn bare_multisig() {
    let mut t = base();
    spk(&mut t, multisig(1, &[pubkey(1)]));
    assert_eq!(check(&t, true, dust_fee()), "standard");
    assert_eq!(check(&t, false, dust_fee()), "bare-multisig");
    // Up to 3 keys only.
    let keys: Vec<Vec<u8>> = (1..=4).map(pubkey).collect();
    spk(&mut t, multisig(1, &keys[..3]));
    assert_eq!(std_reason(&t), "standard");
    spk(&mut t, multisig(1, &keys));
    assert_eq!(std_reason(&t), "scriptpubkey");
    assert_eq!(
        is_standard_script(&multisig(1, &keys), Some(83)),
        (false, TxoutType::Multisig)
    );
}

#[test]
fn dust_thresholds_per_output_type() {
    let mut t = base();
    let mut cases: Vec<(Vec<u8>, u64)> = Vec::new();
    let mut p2pk_c = Vec::new();
    push(&mut p2pk_c, &[0x02; 33]);
    p2pk_c.push(OP_CHECKSIG);
    cases.push((p2pk_c, 576));
    let mut p2pk_u = Vec::new();
    push(&mut p2pk_u, &[0x04; 65]);
    p2pk_u.push(OP_CHECKSIG);
    cases.push((p2pk_u, 672));
    cases.push((p2pkh([0; 20]), 546));
    let mut p2sh = vec![OP_HASH160, 20];
    p2sh.extend([0; 20]);
    p2sh.push(OP_EQUAL);
    cases.push((p2sh, 540));
    let mut wpkh = vec![OP_0, 20];
    wpkh.extend([0; 20]);
    cases.push((wpkh, 294));
    let mut wsh = vec![OP_0, 32];
    wsh.extend([0; 32]);
    cases.push((wsh, 330));
    // An invalid x-only key is fine.
    let mut tr = vec![OP_1, 32];
    tr.extend([0; 32]);
    cases.push((tr, 330));
    // Future witness versions with 2-byte programs.
    for op in OP_1..=OP_16 {
        cases.push((vec![op, 2, 0, 0], 240));
    }
    for (script, threshold) in cases {
        spk(&mut t, script.clone());
        assert_eq!(
            get_dust_threshold(&t.output[0], dust_fee()),
            threshold as i64,
            "{}",
            hex::encode(&script)
        );
        value(&mut t, threshold);
        assert_eq!(std_reason(&t), "standard", "{}", hex::encode(&script));
        assert!(!is_dust(&t.output[0], dust_fee()));
        value(&mut t, threshold - 1);
        assert_eq!(std_reason(&t), "dust", "{}", hex::encode(&script));
        assert_eq!(
            is_standard_tx(&t, Some(83), true, dust_fee()),
            Err(StandardError::Dust { output: 0 })
        );
    }
    // Unspendable outputs have no dust threshold.
    assert_eq!(
        get_dust_threshold(&output(0, vec![OP_RETURN]), dust_fee()),
        0
    );
    assert_eq!(
        get_dust_threshold(&output(0, vec![OP_1; 10_001]), dust_fee()),
        0
    );
}

#[test]
fn size_sigops_and_vsize() {
    let small = tx(vec![input(outpoint(1, 0))], vec![output(1000, vec![])]);
    // 4 + 1 + 41 + 1 + 9 + 4 = 60 bytes.
    assert_eq!(small.base_size(), 60);
    let e = check_min_nonwitness_size(&small).unwrap_err();
    assert_eq!(e.reject_reason(), "tx-size-small");
    assert_eq!(e.result(), TxValidationResult::NotStandard);
    let mut ok = small.clone();
    ok.output[0].script_pubkey = ScriptBuf::from_bytes(vec![OP_1; 5]);
    assert_eq!(ok.base_size(), 65);
    assert!(check_min_nonwitness_size(&ok).is_ok());

    assert!(check_sigops_cost(16_000).is_ok());
    let e = check_sigops_cost(16_001).unwrap_err();
    assert_eq!(e.to_string(), "bad-txns-too-many-sigops, 16001");
    assert_eq!(
        TxRejection::from(e).to_string(),
        "bad-txns-too-many-sigops, 16001"
    );

    // vsize: weight or sigops * bytes_per_sigop, whichever is larger, rounded up.
    assert_eq!(get_virtual_transaction_size(401, 0, 20), 101);
    assert_eq!(get_virtual_transaction_size(400, 20, 20), 100);
    assert_eq!(get_virtual_transaction_size(400, 21, 20), 105);
    assert_eq!(get_virtual_transaction_size(400, 21, 0), 100);
    assert_eq!(tx_virtual_size(&small, 0, DEFAULT_BYTES_PER_SIGOP), 60);
}
