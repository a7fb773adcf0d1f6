//! Signature operation counting (Core's `GetSigOpCount`, `GetP2SHSigOpCount`,
//! `CountWitnessSigOps` and `GetTransactionSigOpCost`).

use bitcoin::{Transaction, TxOut, Witness};

use crate::constants::{MAX_PUBKEYS_PER_MULTISIG, WITNESS_SCALE_FACTOR};
use crate::flags::ScriptFlags;
use crate::opcodes::*;
use crate::script::{instructions, is_p2sh, is_push_only, read_op, witness_program};

/// Counts CHECKSIG-type operations in a script, up to the first unparsable instruction. With
/// `accurate`, a CHECKMULTISIG preceded by OP_1..OP_16 counts that many keys, otherwise 20.
pub fn sigop_count(script: &[u8], accurate: bool) -> u32 {
    let mut count = 0u32;
    let mut last = 0xffu8; // OP_INVALIDOPCODE
    for ins in instructions(script) {
        match ins.opcode {
            OP_CHECKSIG | OP_CHECKSIGVERIFY => count += 1,
            OP_CHECKMULTISIG | OP_CHECKMULTISIGVERIFY => {
                count += if accurate && (OP_1..=OP_16).contains(&last) {
                    u32::from(decode_op_n(last))
                } else {
                    MAX_PUBKEYS_PER_MULTISIG as u32
                };
            }
            _ => {}
        }
        last = ins.opcode;
    }
    count
}

/// The last pushed element of a push-only scriptSig; `None` if it does not parse or has a
/// non-push opcode.
fn last_push(script_sig: &[u8]) -> Option<&[u8]> {
    let mut pc = 0;
    let mut data: &[u8] = &[];
    while pc < script_sig.len() {
        let ins = read_op(script_sig, &mut pc)?;
        if ins.opcode > OP_16 {
            return None;
        }
        data = ins.data;
    }
    Some(data)
}

/// Sigops of a P2SH redeem script, taken from the spending scriptSig (Core's
/// `CScript::GetSigOpCount(const CScript& scriptSig)`); for other scriptPubKeys the accurate
/// count of the scriptPubKey itself.
pub fn p2sh_sigop_count(script_pubkey: &[u8], script_sig: &[u8]) -> u32 {
    if !is_p2sh(script_pubkey) {
        return sigop_count(script_pubkey, true);
    }
    last_push(script_sig).map_or(0, |redeem| sigop_count(redeem, true))
}

fn witness_sigops(version: u8, program: &[u8], witness: &Witness) -> u32 {
    if version == 0 {
        if program.len() == 20 {
            return 1;
        }
        if program.len() == 32 {
            if let Some(script) = witness.last() {
                return sigop_count(script, true);
            }
        }
    }
    0
}

/// Witness sigops of one input (Core's `CountWitnessSigOps`); 0 without the WITNESS flag.
pub fn witness_sigop_count(
    script_sig: &[u8],
    script_pubkey: &[u8],
    witness: &Witness,
    flags: ScriptFlags,
) -> u32 {
    if !flags.contains(ScriptFlags::WITNESS) {
        return 0;
    }
    if let Some((version, program)) = witness_program(script_pubkey) {
        return witness_sigops(version, program, witness);
    }
    if is_p2sh(script_pubkey) && is_push_only(script_sig) {
        if let Some((version, program)) = last_push(script_sig).and_then(witness_program) {
            return witness_sigops(version, program, witness);
        }
    }
    0
}

/// Legacy sigops of a transaction: inaccurate counts over every scriptSig and scriptPubKey
/// (Core's `GetLegacySigOpCount`).
pub fn legacy_sigop_count(tx: &Transaction) -> u32 {
    let inputs: u32 = tx
        .input
        .iter()
        .map(|i| sigop_count(i.script_sig.as_bytes(), false))
        .sum();
    let outputs: u32 = tx
        .output
        .iter()
        .map(|o| sigop_count(o.script_pubkey.as_bytes(), false))
        .sum();
    inputs + outputs
}

/// Weighted sigop cost of a transaction (Core's `GetTransactionSigOpCost`): legacy and P2SH
/// sigops count four times, witness sigops once. `spent` holds the output each input spends, in
/// input order; it is not read for a coinbase.
pub fn transaction_sigop_cost(tx: &Transaction, spent: &[TxOut], flags: ScriptFlags) -> u64 {
    let mut cost = u64::from(legacy_sigop_count(tx)) * WITNESS_SCALE_FACTOR;
    if tx.is_coinbase() {
        return cost;
    }
    assert_eq!(spent.len(), tx.input.len(), "one spent output per input");
    for (input, prev) in tx.input.iter().zip(spent) {
        let script_sig = input.script_sig.as_bytes();
        let script_pubkey = prev.script_pubkey.as_bytes();
        if flags.contains(ScriptFlags::P2SH) && is_p2sh(script_pubkey) {
            cost += u64::from(p2sh_sigop_count(script_pubkey, script_sig)) * WITNESS_SCALE_FACTOR;
        }
        cost += u64::from(witness_sigop_count(
            script_sig,
            script_pubkey,
            &input.witness,
            flags,
        ));
    }
    cost
}

/// Alias with Core's name.
pub use transaction_sigop_cost as get_transaction_sigop_cost;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_core() {
        // OP_1 <33> <33> OP_2 OP_CHECKMULTISIG
        let mut s = vec![OP_1];
        for _ in 0..2 {
            s.push(33);
            s.extend([2u8; 33]);
        }
        s.extend([0x52, OP_CHECKMULTISIG]);
        assert_eq!(sigop_count(&s, true), 2);
        assert_eq!(sigop_count(&s, false), 20);
        assert_eq!(
            sigop_count(&[OP_CHECKSIG, OP_CHECKSIGVERIFY, 0x05], true),
            2
        );
    }
}

#[cfg(test)]
mod cost_tests {
    use bitcoin::absolute::LockTime;
    use bitcoin::hashes::{hash160, sha256, Hash};
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, TxIn, Txid};

    use super::*;
    use crate::script::push_data;

    fn spend(
        script_sig: Vec<u8>,
        witness: Vec<Vec<u8>>,
        prev_spk: Vec<u8>,
    ) -> (Transaction, Vec<TxOut>) {
        let tx = Transaction {
            version: Version(2),
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint {
                    txid: Txid::from_byte_array([1; 32]),
                    vout: 0,
                },
                script_sig: ScriptBuf::from_bytes(script_sig),
                sequence: Sequence::MAX,
                witness: Witness::from_slice(&witness),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(1),
                script_pubkey: ScriptBuf::new(),
            }],
        };
        let prev = TxOut {
            value: Amount::from_sat(2),
            script_pubkey: ScriptBuf::from_bytes(prev_spk),
        };
        (tx, vec![prev])
    }

    fn multisig_1_of_2() -> Vec<u8> {
        let mut s = vec![OP_1];
        s.extend([33u8].iter().chain([2u8; 33].iter()));
        s.extend([33u8].iter().chain([3u8; 33].iter()));
        s.extend([0x52, OP_CHECKMULTISIG]);
        s
    }

    fn p2sh_of(redeem: &[u8]) -> Vec<u8> {
        let mut s = vec![OP_HASH160, 20];
        s.extend(hash160::Hash::hash(redeem).to_byte_array());
        s.push(OP_EQUAL);
        s
    }

    #[test]
    fn costs_like_core() {
        let all = ScriptFlags::MANDATORY;
        // Legacy P2SH multisig: 2 accurate sigops, times 4.
        let redeem = multisig_1_of_2();
        let mut sig = vec![OP_0];
        push_data(&mut sig, &redeem);
        let (tx, prev) = spend(sig.clone(), vec![], p2sh_of(&redeem));
        assert_eq!(transaction_sigop_cost(&tx, &prev, all), 8);
        assert_eq!(transaction_sigop_cost(&tx, &prev, ScriptFlags::NONE), 0);
        // P2WSH multisig: 2, not scaled.
        let mut wsh = vec![OP_0, 32];
        wsh.extend(sha256::Hash::hash(&redeem).to_byte_array());
        let (tx, prev) = spend(vec![], vec![vec![], vec![1], redeem.clone()], wsh.clone());
        assert_eq!(transaction_sigop_cost(&tx, &prev, all), 2);
        assert_eq!(transaction_sigop_cost(&tx, &prev, ScriptFlags::P2SH), 0);
        // P2SH-wrapped P2WSH: 2.
        let mut wrapped = Vec::new();
        push_data(&mut wrapped, &wsh);
        let (tx, prev) = spend(
            wrapped,
            vec![vec![], vec![1], redeem.clone()],
            p2sh_of(&wsh),
        );
        assert_eq!(transaction_sigop_cost(&tx, &prev, all), 2);
        // P2WPKH: 1. A bare CHECKMULTISIG output counts 20 legacy sigops (80).
        let mut wpkh = vec![OP_0, 20];
        wpkh.extend([7u8; 20]);
        let (mut tx, prev) = spend(vec![], vec![vec![1], vec![2]], wpkh);
        assert_eq!(transaction_sigop_cost(&tx, &prev, all), 1);
        tx.output[0].script_pubkey = ScriptBuf::from_bytes(redeem);
        assert_eq!(transaction_sigop_cost(&tx, &prev, all), 81);
    }
}
