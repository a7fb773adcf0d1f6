//! Builders shared by the integration tests.
#![allow(dead_code)]

use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};

pub const CENT: u64 = 1_000_000;
pub const COIN: u64 = 100_000_000;

pub fn txid(n: u8) -> Txid {
    Txid::from_byte_array([n; 32])
}

pub fn outpoint(n: u8, vout: u32) -> OutPoint {
    OutPoint {
        txid: txid(n),
        vout,
    }
}

pub fn input(prevout: OutPoint) -> TxIn {
    TxIn {
        previous_output: prevout,
        script_sig: ScriptBuf::new(),
        sequence: Sequence::MAX,
        witness: Witness::new(),
    }
}

pub fn output(sat: u64, script: Vec<u8>) -> TxOut {
    TxOut {
        value: Amount::from_sat(sat),
        script_pubkey: ScriptBuf::from_bytes(script),
    }
}

pub fn tx(input: Vec<TxIn>, output: Vec<TxOut>) -> Transaction {
    Transaction {
        version: Version(2),
        lock_time: LockTime::ZERO,
        input,
        output,
    }
}

/// Appends a minimal push of `data`.
pub fn push(script: &mut Vec<u8>, data: &[u8]) {
    widecoin_consensus::script::push_data(script, data);
}

pub fn pushes(items: &[&[u8]]) -> Vec<u8> {
    let mut s = Vec::new();
    for i in items {
        push(&mut s, i);
    }
    s
}

pub fn p2pkh(hash: [u8; 20]) -> Vec<u8> {
    let mut s = vec![0x76, 0xa9, 20];
    s.extend(hash);
    s.extend([0x88, 0xac]);
    s
}

pub fn p2sh_of(redeem: &[u8]) -> Vec<u8> {
    use bitcoin::hashes::hash160;
    let mut s = vec![0xa9, 20];
    s.extend(hash160::Hash::hash(redeem).to_byte_array());
    s.push(0x87);
    s
}

pub fn p2wsh_of(script: &[u8]) -> Vec<u8> {
    use bitcoin::hashes::sha256;
    let mut s = vec![0x00, 32];
    s.extend(sha256::Hash::hash(script).to_byte_array());
    s
}

pub fn p2wpkh() -> Vec<u8> {
    let mut s = vec![0x00, 20];
    s.extend([7u8; 20]);
    s
}

pub fn p2tr() -> Vec<u8> {
    let mut s = vec![0x51, 32];
    s.extend([7u8; 32]);
    s
}

/// A compressed-looking public key (valid size, not necessarily on the curve).
pub fn pubkey(n: u8) -> Vec<u8> {
    let mut k = vec![0x02];
    k.extend([n; 32]);
    k
}

/// `m <keys> n OP_CHECKMULTISIG`.
pub fn multisig(m: u8, keys: &[Vec<u8>]) -> Vec<u8> {
    let mut s = vec![0x50 + m];
    for k in keys {
        push(&mut s, k);
    }
    s.extend([0x50 + keys.len() as u8, 0xae]);
    s
}
