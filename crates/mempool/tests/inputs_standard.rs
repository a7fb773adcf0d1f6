//! `AreInputsStandard` (the scenarios of Core's `script_p2sh_tests/AreInputsStandard`) and
//! `IsWitnessStandard`.

mod common;

use bitcoin::{ScriptBuf, Transaction, Witness};
use common::*;
use widecoin_consensus::opcodes::*;
use widecoin_consensus::sigops::p2sh_sigop_count;
use widecoin_mempool::*;

fn spend(script_sigs: Vec<Vec<u8>>) -> Transaction {
    let inputs = script_sigs
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let mut txin = input(outpoint(1, i as u32));
            txin.script_sig = ScriptBuf::from_bytes(s);
            txin
        })
        .collect();
    tx(inputs, vec![output(1000, p2pkh([1; 20]))])
}

fn reason(r: Result<(), StandardError>) -> &'static str {
    r.err().map_or("ok", |e| e.reject_reason())
}

#[test]
fn p2sh_sigop_limits() {
    let keys: Vec<Vec<u8>> = (1..=6).map(pubkey).collect();
    let pay1 = p2pkh([9; 20]);
    let one_of_three = multisig(1, &keys[..3]);
    // 1-of-3 AND 2-of-3: six accurate sigops.
    let mut one_and_two = vec![OP_1];
    for k in &keys[..3] {
        push(&mut one_and_two, k);
    }
    one_and_two.extend([OP_1 + 2, OP_CHECKMULTISIGVERIFY, OP_1 + 1]);
    for k in &keys[3..] {
        push(&mut one_and_two, k);
    }
    one_and_two.extend([OP_1 + 2, OP_CHECKMULTISIG]);
    let mut fifteen = vec![OP_1];
    for i in 0..15 {
        push(&mut fifteen, &keys[i % 3]);
    }
    fifteen.extend([OP_1 + 14, OP_CHECKMULTISIG]);
    let sixteen = vec![OP_16, OP_CHECKMULTISIG];
    let twenty = vec![OP_CHECKMULTISIG];

    let prev = vec![
        output(1000, p2sh_of(&pay1)),
        output(2000, pay1.clone()),
        output(3000, one_of_three.clone()),
        output(4000, p2sh_of(&one_and_two)),
        output(5000, p2sh_of(&fifteen)),
    ];
    let sigs = vec![
        pushes(&[&[0x30; 71], &keys[0], &pay1]),
        pushes(&[&[0x30; 71], &keys[0]]),
        pushes(&[&[], &[0x30; 71]]),
        {
            let mut s = vec![OP_1 + 10, OP_1 + 10];
            push(&mut s, &one_and_two);
            s
        },
        pushes(&[&fifteen]),
    ];
    let t = spend(sigs);
    assert_eq!(are_inputs_standard(&t, &prev), Ok(()));
    let p2sh_sigops: u32 = t
        .input
        .iter()
        .zip(&prev)
        .filter(|(_, p)| p.script_pubkey.is_p2sh())
        .map(|(i, p)| p2sh_sigop_count(p.script_pubkey.as_bytes(), i.script_sig.as_bytes()))
        .sum();
    assert_eq!(p2sh_sigops, 22);

    for redeem in [sixteen, twenty] {
        let prev = vec![output(5000, p2sh_of(&redeem))];
        let t = spend(vec![pushes(&[&redeem])]);
        assert_eq!(
            are_inputs_standard(&t, &prev),
            Err(StandardError::NonStandardInputs { input: 0 })
        );
        let e = TxRejection::from(are_inputs_standard(&t, &prev).unwrap_err());
        assert_eq!(e.reason, "bad-txns-nonstandard-inputs");
        assert_eq!(e.result, TxValidationResult::InputsNotStandard);
    }
}

#[test]
fn nonstandard_spent_outputs() {
    // Non-standard and unknown-witness outputs.
    for script in [
        vec![OP_1],
        vec![OP_1 + 1, 2, 0, 0],
        vec![0x51, 0x02, 0x4e, 0x73],
    ] {
        let prev = vec![output(1000, p2pkh([2; 20])), output(1000, script)];
        let t = spend(vec![vec![], vec![]]);
        assert_eq!(
            reason(are_inputs_standard(&t, &prev)),
            "bad-txns-nonstandard-inputs"
        );
        assert_eq!(
            are_inputs_standard(&t, &prev),
            Err(StandardError::NonStandardInputs { input: 1 })
        );
    }
    // P2SH with an empty scriptSig, or one that fails to evaluate.
    let prev = vec![output(1000, p2sh_of(&[OP_1]))];
    for sig in [vec![], vec![OP_RETURN], vec![OP_1, OP_VERIFY]] {
        let t = spend(vec![sig]);
        assert_eq!(
            reason(are_inputs_standard(&t, &prev)),
            "bad-txns-nonstandard-inputs"
        );
    }
    // Witness outputs and coinbases pass.
    let prev = vec![output(1000, p2wpkh()), output(1000, p2tr())];
    let t = spend(vec![vec![], vec![]]);
    assert_eq!(are_inputs_standard(&t, &prev), Ok(()));
    let mut cb = tx(
        vec![input(bitcoin::OutPoint::null())],
        vec![output(1, vec![OP_1])],
    );
    cb.input[0].script_sig = ScriptBuf::from_bytes(vec![1, 1]);
    assert_eq!(are_inputs_standard(&cb, &[]), Ok(()));
    assert_eq!(is_witness_standard(&cb, &[]), Ok(()));
}

fn with_witness(prev_script: Vec<u8>, script_sig: Vec<u8>, items: Vec<Vec<u8>>) -> &'static str {
    let prev = vec![output(1000, p2pkh([3; 20])), output(1000, prev_script)];
    let mut t = spend(vec![vec![], script_sig]);
    t.input[1].witness = Witness::from_slice(&items);
    match is_witness_standard(&t, &prev) {
        Ok(()) => "ok",
        Err(e) => {
            assert_eq!(e, StandardError::NonStandardWitness { input: 1 });
            assert_eq!(e.result(), TxValidationResult::WitnessMutated);
            e.reject_reason()
        }
    }
}

const BAD: &str = "bad-witness-nonstandard";

#[test]
fn p2wsh_limits() {
    let script = vec![OP_1];
    let spk = p2wsh_of(&script);
    let wrapped = p2sh_of(&spk);
    let wrapped_sig = pushes(&[&spk]);
    for (prev, sig) in [(spk.clone(), vec![]), (wrapped, wrapped_sig)] {
        let ok = |items: Vec<Vec<u8>>| with_witness(prev.clone(), sig.clone(), items);
        let stack = |n: usize, size: usize, script_len: usize| {
            let mut v = vec![vec![0u8; size]; n];
            v.push(vec![OP_1; script_len]);
            v
        };
        assert_eq!(ok(stack(100, 80, 3600)), "ok");
        assert_eq!(ok(stack(101, 1, 1)), BAD);
        assert_eq!(ok(stack(1, 81, 1)), BAD);
        assert_eq!(ok(stack(1, 1, 3601)), BAD);
        // Only the script may be large; an empty stack of items is fine.
        assert_eq!(ok(stack(0, 0, 3600)), "ok");
    }
    // P2WPKH has no item limits here (consensus checks its shape).
    assert_eq!(
        with_witness(p2wpkh(), vec![], vec![vec![0; 200], vec![0; 200]]),
        "ok"
    );
}

#[test]
fn taproot_limits() {
    let ctrl = |leaf: u8| {
        let mut c = vec![leaf];
        c.extend([1u8; 32]);
        c
    };
    let tr = p2tr;
    // Key path: one element; with an annex non-standard.
    assert_eq!(with_witness(tr(), vec![], vec![vec![1; 64]]), "ok");
    assert_eq!(
        with_witness(tr(), vec![], vec![vec![1; 64], vec![ANNEX_BYTE, 1]]),
        BAD
    );
    // Script path, tapscript leaf: items up to 80 bytes; the script itself may be longer.
    assert_eq!(
        with_witness(tr(), vec![], vec![vec![1; 80], vec![OP_1; 500], ctrl(0xc0)]),
        "ok"
    );
    assert_eq!(
        with_witness(tr(), vec![], vec![vec![1; 81], vec![OP_1], ctrl(0xc0)]),
        BAD
    );
    // The parity bit does not change the leaf version.
    assert_eq!(
        with_witness(tr(), vec![], vec![vec![1; 81], vec![OP_1], ctrl(0xc1)]),
        BAD
    );
    // Other leaf versions have no item limit.
    assert_eq!(
        with_witness(tr(), vec![], vec![vec![1; 81], vec![OP_1], ctrl(0xc2)]),
        "ok"
    );
    // An empty control block is non-standard; so is an annex on a script path.
    assert_eq!(with_witness(tr(), vec![], vec![vec![OP_1], vec![]]), BAD);
    assert_eq!(
        with_witness(tr(), vec![], vec![vec![OP_1], ctrl(0xc0), vec![ANNEX_BYTE]]),
        BAD
    );
    // P2SH-wrapped v1 programs are not taproot: no taproot rules.
    let wrapped = p2sh_of(&tr());
    assert_eq!(
        with_witness(
            wrapped,
            pushes(&[&tr()]),
            vec![vec![1; 64], vec![ANNEX_BYTE]]
        ),
        "ok"
    );
    // Unknown witness versions have no rules here either.
    assert_eq!(
        with_witness(vec![OP_1 + 1, 2, 0, 0], vec![], vec![vec![1; 500]]),
        "ok"
    );
}

const ANNEX_BYTE: u8 = 0x50;

#[test]
fn witness_on_non_witness_outputs() {
    // A witness on a P2PKH output, or on P2SH of a non-witness script.
    assert_eq!(with_witness(p2pkh([1; 20]), vec![], vec![vec![1]]), BAD);
    let redeem = vec![OP_1];
    assert_eq!(
        with_witness(p2sh_of(&redeem), pushes(&[&redeem]), vec![vec![1]]),
        BAD
    );
    // P2SH whose scriptSig does not evaluate.
    assert_eq!(
        with_witness(p2sh_of(&p2wpkh()), vec![OP_RETURN], vec![vec![1]]),
        BAD
    );
    assert_eq!(with_witness(p2sh_of(&p2wpkh()), vec![], vec![vec![1]]), BAD);
    // Inputs without witness are skipped whatever they spend.
    assert_eq!(with_witness(vec![OP_1], vec![], vec![]), "ok");
}
