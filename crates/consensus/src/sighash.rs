//! Signature hashes: legacy (Core's `SignatureHash` for `SigVersion::BASE`), BIP143 (witness v0)
//! and BIP341 (taproot), with the per-transaction precomputed hashes that make BIP143/BIP341
//! linear (Core's `PrecomputedTransactionData`).

use std::sync::OnceLock;

use bitcoin::hashes::{sha256, sha256d, Hash, HashEngine};
use bitcoin::{OutPoint, Transaction, TxOut};

use crate::ecdsa::{SIGHASH_ANYONECANPAY, SIGHASH_NONE, SIGHASH_SINGLE};
use crate::interpreter::{ExecData, SigVersion};
use crate::opcodes::OP_CODESEPARATOR;
use crate::script::read_op;
use crate::taproot::{tapsighash_engine, write_compact_size};

/// BIP341 `SIGHASH_DEFAULT`.
pub const SIGHASH_DEFAULT: u8 = 0;

fn write_outpoint(engine: &mut impl HashEngine, outpoint: &OutPoint) {
    engine.input(outpoint.txid.as_byte_array());
    engine.input(&outpoint.vout.to_le_bytes());
}

fn write_script(engine: &mut impl HashEngine, script: &[u8]) {
    write_compact_size(engine, script.len());
    engine.input(script);
}

fn write_txout(engine: &mut impl HashEngine, out: &TxOut) {
    engine.input(&out.value.to_sat().to_le_bytes());
    write_script(engine, out.script_pubkey.as_bytes());
}

/// Hashes every transaction-wide item BIP143/BIP341 commit to, computed on first use.
#[derive(Debug, Default)]
pub struct PrecomputedTransactionData {
    spent_outputs: Option<Vec<TxOut>>,
    /// Single SHA256 of all prevouts, all sequences, all outputs.
    tx_hashes: OnceLock<[[u8; 32]; 3]>,
    /// Single SHA256 of all spent amounts and all spent scriptPubKeys.
    spent_hashes: OnceLock<[[u8; 32]; 2]>,
}

impl PrecomputedTransactionData {
    /// Data for a transaction whose spent outputs are unknown: taproot signatures then fail.
    pub fn new() -> Self {
        Self::default()
    }

    /// Data with the outputs spent by each input, in input order (needed for taproot).
    pub fn with_spent_outputs(spent_outputs: Vec<TxOut>) -> Self {
        PrecomputedTransactionData {
            spent_outputs: Some(spent_outputs),
            ..Self::default()
        }
    }

    /// The spent outputs, when known.
    pub fn spent_outputs(&self) -> Option<&[TxOut]> {
        self.spent_outputs.as_deref()
    }

    /// The hashes over `tx`; `tx` must be the same transaction on every call.
    fn tx_hashes(&self, tx: &Transaction) -> &[[u8; 32]; 3] {
        self.tx_hashes.get_or_init(|| {
            let mut prevouts = sha256::Hash::engine();
            let mut sequences = sha256::Hash::engine();
            for input in &tx.input {
                write_outpoint(&mut prevouts, &input.previous_output);
                sequences.input(&input.sequence.0.to_le_bytes());
            }
            let mut outputs = sha256::Hash::engine();
            for out in &tx.output {
                write_txout(&mut outputs, out);
            }
            [prevouts, sequences, outputs].map(|e| sha256::Hash::from_engine(e).to_byte_array())
        })
    }

    fn spent_hashes(&self, spent: &[TxOut]) -> &[[u8; 32]; 2] {
        self.spent_hashes.get_or_init(|| {
            let mut amounts = sha256::Hash::engine();
            let mut scripts = sha256::Hash::engine();
            for out in spent {
                amounts.input(&out.value.to_sat().to_le_bytes());
                write_script(&mut scripts, out.script_pubkey.as_bytes());
            }
            [amounts, scripts].map(|e| sha256::Hash::from_engine(e).to_byte_array())
        })
    }
}

fn double(single: &[u8; 32]) -> [u8; 32] {
    sha256::Hash::hash(single).to_byte_array()
}

/// The legacy signature hash. `hash_type` is serialized whole; its low five bits select
/// NONE/SINGLE. Out-of-range inputs and SINGLE without a matching output hash to 1, Core's
/// historical quirk. OP_CODESEPARATORs are removed from `script_code`.
pub fn legacy_sighash(
    script_code: &[u8],
    tx: &Transaction,
    input_index: usize,
    hash_type: i32,
) -> [u8; 32] {
    let mut one = [0u8; 32];
    one[0] = 1;
    let base = hash_type as u32 & 0x1f;
    let anyone_can_pay = hash_type as u32 & SIGHASH_ANYONECANPAY != 0;
    let single = base == SIGHASH_SINGLE;
    let none = base == SIGHASH_NONE;
    if input_index >= tx.input.len() || (single && input_index >= tx.output.len()) {
        return one;
    }

    let mut e = sha256d::Hash::engine();
    e.input(&tx.version.0.to_le_bytes());
    let inputs: &[_] = if anyone_can_pay {
        &tx.input[input_index..=input_index]
    } else {
        &tx.input
    };
    write_compact_size(&mut e, inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let i = if anyone_can_pay { input_index } else { i };
        write_outpoint(&mut e, &input.previous_output);
        if i == input_index {
            write_script_code_without_separators(&mut e, script_code);
        } else {
            write_compact_size(&mut e, 0);
        }
        let sequence = if i != input_index && (single || none) {
            0
        } else {
            input.sequence.0
        };
        e.input(&sequence.to_le_bytes());
    }
    let n_outputs = if none {
        0
    } else if single {
        input_index + 1
    } else {
        tx.output.len()
    };
    write_compact_size(&mut e, n_outputs);
    for (i, out) in tx.output[..n_outputs].iter().enumerate() {
        if single && i != input_index {
            // CTxOut(): value -1, empty script.
            e.input(&(-1i64).to_le_bytes());
            write_compact_size(&mut e, 0);
        } else {
            write_txout(&mut e, out);
        }
    }
    e.input(&tx.lock_time.to_consensus_u32().to_le_bytes());
    e.input(&hash_type.to_le_bytes());
    sha256d::Hash::from_engine(e).to_byte_array()
}

/// Core's `CTransactionSignatureSerializer::SerializeScriptCode`: the script without its
/// OP_CODESEPARATORs. The length prefix counts separators only up to the first unparsable
/// instruction, and bytes after it are dropped, as in Core.
fn write_script_code_without_separators(e: &mut impl HashEngine, script: &[u8]) {
    let mut pc = 0;
    let mut separators = 0;
    while let Some(ins) = read_op(script, &mut pc) {
        if ins.opcode == OP_CODESEPARATOR {
            separators += 1;
        }
    }
    write_compact_size(e, script.len() - separators);
    let mut pc = 0;
    let mut kept_from = 0;
    while let Some(ins) = read_op(script, &mut pc) {
        if ins.opcode == OP_CODESEPARATOR {
            e.input(&script[kept_from..pc - 1]);
            kept_from = pc;
        }
    }
    if kept_from != script.len() {
        e.input(&script[kept_from..pc]);
    }
}

/// The BIP143 (witness v0) signature hash.
pub fn segwit_v0_sighash(
    script_code: &[u8],
    tx: &Transaction,
    input_index: usize,
    hash_type: i32,
    amount: u64,
    cache: &PrecomputedTransactionData,
) -> [u8; 32] {
    let base = hash_type as u32 & 0x1f;
    let anyone_can_pay = hash_type as u32 & SIGHASH_ANYONECANPAY != 0;
    let [prevouts, sequences, outputs] = cache.tx_hashes(tx);
    let zero = [0u8; 32];
    let hash_prevouts = if anyone_can_pay {
        zero
    } else {
        double(prevouts)
    };
    let hash_sequence = if !anyone_can_pay && base != SIGHASH_SINGLE && base != SIGHASH_NONE {
        double(sequences)
    } else {
        zero
    };
    let hash_outputs = if base != SIGHASH_SINGLE && base != SIGHASH_NONE {
        double(outputs)
    } else if base == SIGHASH_SINGLE && input_index < tx.output.len() {
        let mut e = sha256d::Hash::engine();
        write_txout(&mut e, &tx.output[input_index]);
        sha256d::Hash::from_engine(e).to_byte_array()
    } else {
        zero
    };

    let input = &tx.input[input_index];
    let mut e = sha256d::Hash::engine();
    e.input(&tx.version.0.to_le_bytes());
    e.input(&hash_prevouts);
    e.input(&hash_sequence);
    write_outpoint(&mut e, &input.previous_output);
    write_script(&mut e, script_code);
    e.input(&amount.to_le_bytes());
    e.input(&input.sequence.0.to_le_bytes());
    e.input(&hash_outputs);
    e.input(&tx.lock_time.to_consensus_u32().to_le_bytes());
    e.input(&hash_type.to_le_bytes());
    sha256d::Hash::from_engine(e).to_byte_array()
}

/// The BIP341 signature hash (Core's `SignatureHashSchnorr`). `None` for an undefined hash
/// type, SINGLE without a matching output, or unknown spent outputs.
pub fn taproot_sighash(
    tx: &Transaction,
    input_index: usize,
    hash_type: u8,
    sigversion: SigVersion,
    execdata: &ExecData,
    cache: &PrecomputedTransactionData,
) -> Option<[u8; 32]> {
    let (ext_flag, tapscript) = match sigversion {
        SigVersion::Taproot => (0u8, false),
        SigVersion::Tapscript => (1u8, true),
        _ => return None,
    };
    let spent = cache.spent_outputs()?;
    if spent.len() != tx.input.len() || input_index >= tx.input.len() {
        return None;
    }
    if !(hash_type <= 0x03 || (0x81..=0x83).contains(&hash_type)) {
        return None;
    }
    let output_type = if hash_type == SIGHASH_DEFAULT {
        1
    } else {
        u32::from(hash_type) & 3
    };
    let anyone_can_pay = u32::from(hash_type) & SIGHASH_ANYONECANPAY != 0;

    let mut e = tapsighash_engine();
    e.input(&[0]); // epoch
    e.input(&[hash_type]);
    e.input(&tx.version.0.to_le_bytes());
    e.input(&tx.lock_time.to_consensus_u32().to_le_bytes());
    if !anyone_can_pay {
        let [prevouts, sequences, _] = cache.tx_hashes(tx);
        let [amounts, scripts] = cache.spent_hashes(spent);
        e.input(prevouts);
        e.input(amounts);
        e.input(scripts);
        e.input(sequences);
    }
    if output_type == 1 {
        e.input(&cache.tx_hashes(tx)[2]);
    }
    let spend_type = (ext_flag << 1) + u8::from(execdata.annex_hash.is_some());
    e.input(&[spend_type]);
    if anyone_can_pay {
        let input = &tx.input[input_index];
        write_outpoint(&mut e, &input.previous_output);
        write_txout(&mut e, &spent[input_index]);
        e.input(&input.sequence.0.to_le_bytes());
    } else {
        e.input(&(input_index as u32).to_le_bytes());
    }
    if let Some(annex_hash) = &execdata.annex_hash {
        e.input(annex_hash);
    }
    if output_type == SIGHASH_SINGLE {
        let out = tx.output.get(input_index)?;
        let mut o = sha256::Hash::engine();
        write_txout(&mut o, out);
        e.input(sha256::Hash::from_engine(o).as_byte_array());
    }
    if tapscript {
        e.input(execdata.tapleaf_hash.as_ref()?);
        e.input(&[0]); // key_version
        e.input(&execdata.codeseparator_pos.to_le_bytes());
    }
    Some(sha256::Hash::from_engine(e).to_byte_array())
}
