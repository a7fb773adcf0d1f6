//! Classifying scriptPubKeys into Core's standard templates (`Solver`, `script/solver.cpp`).

use std::fmt;

use crate::constants::{
    MAX_PUBKEYS_PER_MULTISIG, WITNESS_V0_KEYHASH_SIZE, WITNESS_V0_SCRIPTHASH_SIZE,
    WITNESS_V1_TAPROOT_SIZE,
};
use crate::opcodes::*;
use crate::script::{check_minimal_push, is_p2sh, is_push_only, read_op, witness_program};
use crate::script_num::decode_num;

/// The template a scriptPubKey matches (Core's `TxoutType`). Widecoin Core 6.0 (Bitcoin Core
/// v26) has no pay-to-anchor type: `OP_1 <0x4e73>` is `WitnessUnknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxoutType {
    /// Matches no template.
    NonStandard,
    /// `<pubkey> OP_CHECKSIG`.
    PubKey,
    /// `OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG`.
    PubKeyHash,
    /// BIP16 `OP_HASH160 <20> OP_EQUAL`.
    ScriptHash,
    /// Bare `m <pubkeys> n OP_CHECKMULTISIG`.
    Multisig,
    /// `OP_RETURN` followed only by pushes.
    NullData,
    /// Witness v0, 20-byte program.
    WitnessV0KeyHash,
    /// Witness v0, 32-byte program.
    WitnessV0ScriptHash,
    /// Witness v1, 32-byte program.
    WitnessV1Taproot,
    /// Any other witness version (1..=16) or v1 program length.
    WitnessUnknown,
}

impl TxoutType {
    /// Core's `GetTxnOutputType` name, as RPCs print it (`"witness_v0_keyhash"`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            TxoutType::NonStandard => "nonstandard",
            TxoutType::PubKey => "pubkey",
            TxoutType::PubKeyHash => "pubkeyhash",
            TxoutType::ScriptHash => "scripthash",
            TxoutType::Multisig => "multisig",
            TxoutType::NullData => "nulldata",
            TxoutType::WitnessV0KeyHash => "witness_v0_keyhash",
            TxoutType::WitnessV0ScriptHash => "witness_v0_scripthash",
            TxoutType::WitnessV1Taproot => "witness_v1_taproot",
            TxoutType::WitnessUnknown => "witness_unknown",
        }
    }
}

impl fmt::Display for TxoutType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether `data` has the length its first byte announces for a public key (Core's
/// `CPubKey::ValidSize`): 33 bytes after 0x02/0x03, 65 after 0x04/0x06/0x07.
pub fn pubkey_valid_size(data: &[u8]) -> bool {
    let expected = match data.first() {
        Some(2 | 3) => 33,
        Some(4 | 6 | 7) => 65,
        _ => return false,
    };
    data.len() == expected
}

fn match_pay_to_pubkey(script: &[u8]) -> Option<&[u8]> {
    for size in [65usize, 33] {
        if script.len() == size + 2
            && usize::from(script[0]) == size
            && script[size + 1] == OP_CHECKSIG
        {
            let key = &script[1..=size];
            return pubkey_valid_size(key).then_some(key);
        }
    }
    None
}

fn match_pay_to_pubkey_hash(script: &[u8]) -> Option<&[u8]> {
    (script.len() == 25
        && script[0] == OP_DUP
        && script[1] == OP_HASH160
        && script[2] == 20
        && script[23] == OP_EQUALVERIFY
        && script[24] == OP_CHECKSIG)
        .then(|| &script[3..23])
}

/// A small number given as OP_1..OP_16 or a minimal push, within `min..=max` (Core's
/// `GetScriptNumber`).
fn script_number(opcode: u8, data: &[u8], min: i64, max: i64) -> Option<i64> {
    let n = if (OP_1..=OP_16).contains(&opcode) {
        i64::from(decode_op_n(opcode))
    } else if opcode <= OP_PUSHDATA4 {
        if !check_minimal_push(data, opcode) {
            return None;
        }
        decode_num(data, true, 4).ok()?
    } else {
        return None;
    };
    (min..=max).contains(&n).then_some(n)
}

/// `m <keys> n OP_CHECKMULTISIG` with 1 <= m <= n <= 20 and n keys of valid sizes.
fn match_multisig(script: &[u8]) -> Option<(u8, Vec<&[u8]>)> {
    if script.last() != Some(&OP_CHECKMULTISIG) {
        return None;
    }
    let mut pc = 0;
    let first = read_op(script, &mut pc)?;
    let required = script_number(first.opcode, first.data, 1, MAX_PUBKEYS_PER_MULTISIG)?;
    let mut keys = Vec::new();
    let last = loop {
        // A failed read leaves Core with OP_INVALIDOPCODE, which is no number.
        let ins = read_op(script, &mut pc)?;
        if pubkey_valid_size(ins.data) {
            keys.push(ins.data);
        } else {
            break ins;
        }
    };
    let count = script_number(last.opcode, last.data, required, MAX_PUBKEYS_PER_MULTISIG)?;
    if keys.len() as i64 != count || pc + 1 != script.len() {
        return None;
    }
    Some((required as u8, keys))
}

/// Classifies `script` (Core's `Solver`) and returns its solutions: the hash or key for the
/// single-key templates, the program for witness v0 and taproot, `[version], program` for
/// unknown witness versions, and `[m], keys..., [n]` for multisig. Non-standard and null-data
/// scripts have none.
pub fn solver(script: &[u8]) -> (TxoutType, Vec<Vec<u8>>) {
    if is_p2sh(script) {
        return (TxoutType::ScriptHash, vec![script[2..22].to_vec()]);
    }
    if let Some((version, program)) = witness_program(script) {
        let kind = match (version, program.len()) {
            (0, WITNESS_V0_KEYHASH_SIZE) => TxoutType::WitnessV0KeyHash,
            (0, WITNESS_V0_SCRIPTHASH_SIZE) => TxoutType::WitnessV0ScriptHash,
            (1, WITNESS_V1_TAPROOT_SIZE) => TxoutType::WitnessV1Taproot,
            (0, _) => return (TxoutType::NonStandard, vec![]),
            _ => {
                return (
                    TxoutType::WitnessUnknown,
                    vec![vec![version], program.to_vec()],
                )
            }
        };
        return (kind, vec![program.to_vec()]);
    }
    if script.first() == Some(&OP_RETURN) && is_push_only(&script[1..]) {
        return (TxoutType::NullData, vec![]);
    }
    if let Some(key) = match_pay_to_pubkey(script) {
        return (TxoutType::PubKey, vec![key.to_vec()]);
    }
    if let Some(hash) = match_pay_to_pubkey_hash(script) {
        return (TxoutType::PubKeyHash, vec![hash.to_vec()]);
    }
    if let Some((required, keys)) = match_multisig(script) {
        let mut solutions = Vec::with_capacity(keys.len() + 2);
        solutions.push(vec![required]);
        let n = keys.len() as u8;
        solutions.extend(keys.into_iter().map(<[u8]>::to_vec));
        solutions.push(vec![n]);
        return (TxoutType::Multisig, solutions);
    }
    (TxoutType::NonStandard, vec![])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn push(script: &mut Vec<u8>, data: &[u8]) {
        crate::script::push_data(script, data);
    }

    fn multisig(m: u8, keys: &[Vec<u8>]) -> Vec<u8> {
        let mut s = vec![OP_1 - 1 + m];
        for k in keys {
            push(&mut s, k);
        }
        s.extend([OP_1 - 1 + keys.len() as u8, OP_CHECKMULTISIG]);
        s
    }

    #[test]
    fn classifies_standard_templates() {
        let c = [2u8; 33].to_vec();
        let mut u = [4u8; 65].to_vec();
        let mut p2pk = Vec::new();
        push(&mut p2pk, &c);
        p2pk.push(OP_CHECKSIG);
        assert_eq!(solver(&p2pk), (TxoutType::PubKey, vec![c.clone()]));
        let mut p2pk_u = Vec::new();
        push(&mut p2pk_u, &u);
        p2pk_u.push(OP_CHECKSIG);
        assert_eq!(solver(&p2pk_u).0, TxoutType::PubKey);
        // A 65-byte key with a compressed header is not a key.
        u[0] = 2;
        let mut bad = Vec::new();
        push(&mut bad, &u);
        bad.push(OP_CHECKSIG);
        assert_eq!(solver(&bad), (TxoutType::NonStandard, vec![]));

        let pkh = h("76a914000102030405060708090a0b0c0d0e0f1011121388ac");
        assert_eq!(
            solver(&pkh),
            (
                TxoutType::PubKeyHash,
                vec![h("000102030405060708090a0b0c0d0e0f10111213")]
            )
        );
        let sh = h("a914000102030405060708090a0b0c0d0e0f1011121387");
        assert_eq!(solver(&sh).0, TxoutType::ScriptHash);
        let mut wpkh = vec![OP_0, 20];
        wpkh.extend([9u8; 20]);
        assert_eq!(
            solver(&wpkh),
            (TxoutType::WitnessV0KeyHash, vec![vec![9; 20]])
        );
        let mut wsh = vec![OP_0, 32];
        wsh.extend([9u8; 32]);
        assert_eq!(solver(&wsh).0, TxoutType::WitnessV0ScriptHash);
        let mut tr = vec![OP_1, 32];
        tr.extend([9u8; 32]);
        assert_eq!(solver(&tr).0, TxoutType::WitnessV1Taproot);
        // v0 with another length is non-standard; other versions are unknown.
        assert_eq!(solver(&[OP_0, 2, 1, 2]).0, TxoutType::NonStandard);
        assert_eq!(
            solver(&[OP_16, 2, 1, 2]),
            (TxoutType::WitnessUnknown, vec![vec![16], vec![1, 2]])
        );
        // Pay-to-anchor is not special in v26.
        assert_eq!(solver(&h("51024e73")).0, TxoutType::WitnessUnknown);

        assert_eq!(solver(&[OP_RETURN]).0, TxoutType::NullData);
        assert_eq!(
            solver(&[OP_RETURN, 1, 0, OP_RESERVED]).0,
            TxoutType::NullData
        );
        assert_eq!(solver(&[OP_RETURN, OP_RETURN]).0, TxoutType::NonStandard);
        assert_eq!(solver(&[OP_1]).0, TxoutType::NonStandard);
        assert_eq!(solver(&[]).0, TxoutType::NonStandard);
    }

    #[test]
    fn classifies_multisig() {
        let keys = vec![[2u8; 33].to_vec(), [3u8; 33].to_vec(), [4u8; 65].to_vec()];
        let (kind, sol) = solver(&multisig(2, &keys));
        assert_eq!(kind, TxoutType::Multisig);
        assert_eq!(sol.len(), 5);
        assert_eq!((sol[0].clone(), sol[4].clone()), (vec![2], vec![3]));
        // m > n, a wrong key count, and a trailing opcode are not multisig.
        assert_eq!(solver(&multisig(4, &keys)).0, TxoutType::NonStandard);
        let mut s = multisig(1, &keys);
        let at = s.len() - 2;
        s[at] = OP_1 + 1;
        assert_eq!(solver(&s).0, TxoutType::NonStandard);
        let mut s = multisig(1, &keys);
        s.insert(s.len() - 1, OP_NOP);
        assert_eq!(solver(&s).0, TxoutType::NonStandard);
        // The counts may be minimal pushes: 17 keys as `01 11`.
        let many: Vec<Vec<u8>> = (0..17).map(|_| [2u8; 33].to_vec()).collect();
        let mut s = vec![OP_1];
        for k in &many {
            push(&mut s, k);
        }
        s.extend([1, 17, OP_CHECKMULTISIG]);
        assert_eq!(solver(&s).0, TxoutType::Multisig);
        // A non-minimal push of a small number is not.
        let mut s = vec![1, 1];
        push(&mut s, &keys[0]);
        s.extend([OP_1, OP_CHECKMULTISIG]);
        assert_eq!(solver(&s).0, TxoutType::NonStandard);
    }

    #[test]
    fn names() {
        assert_eq!(
            TxoutType::WitnessV0KeyHash.to_string(),
            "witness_v0_keyhash"
        );
        assert_eq!(TxoutType::NullData.name(), "nulldata");
    }
}
