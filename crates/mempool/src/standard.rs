//! Standardness: which transactions the mempool relays (Core's `policy/policy.cpp`:
//! `IsStandardTx`, `GetDustThreshold`, `AreInputsStandard`, `IsWitnessStandard`,
//! `GetVirtualTransactionSize`), plus the two size and sigop checks of `PreChecks`.

use bitcoin::{Transaction, TxIn, TxOut, Witness};
use widecoin_chainparams::consensus::WITNESS_SCALE_FACTOR;
use widecoin_consensus::constants::{
    ANNEX_TAG, MAX_SCRIPT_SIZE, TAPROOT_LEAF_MASK, TAPROOT_LEAF_TAPSCRIPT,
    WITNESS_V0_SCRIPTHASH_SIZE, WITNESS_V1_TAPROOT_SIZE,
};
use widecoin_consensus::opcodes::OP_RETURN;
use widecoin_consensus::script::{is_p2sh, is_push_only, witness_program};
use widecoin_consensus::sigops::sigop_count;
use widecoin_consensus::{eval_script, ExecData, NullSignatureChecker, ScriptFlags, SigVersion};

use crate::constants::*;
use crate::feerate::FeeRate;
use crate::reject::{rejection, TxValidationResult};
use crate::solver::{solver, TxoutType};

/// A standardness failure, one variant per rule of Core's `IsStandardTx`, `AreInputsStandard`,
/// `IsWitnessStandard` and the size and sigop checks of `MemPoolAccept::PreChecks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StandardError {
    /// Version below 1 or above [`TX_MAX_STANDARD_VERSION`].
    Version,
    /// Weight above [`MAX_STANDARD_TX_WEIGHT`].
    TxSize,
    /// A scriptSig longer than [`MAX_STANDARD_SCRIPTSIG_SIZE`].
    ScriptSigSize {
        /// Input index.
        input: usize,
    },
    /// A scriptSig with a non-push opcode.
    ScriptSigNotPushOnly {
        /// Input index.
        input: usize,
    },
    /// An output script that is no standard template (or a too large OP_RETURN output, or
    /// any OP_RETURN output without `-datacarrier`).
    ScriptPubKey {
        /// Output index.
        output: usize,
    },
    /// A bare multisig output with `-permitbaremultisig=0`.
    BareMultisig {
        /// Output index.
        output: usize,
    },
    /// An output below its dust threshold.
    Dust {
        /// Output index.
        output: usize,
    },
    /// More than one OP_RETURN output.
    MultiOpReturn,
    /// Fewer than [`MIN_STANDARD_TX_NONWITNESS_SIZE`] bytes without witness.
    TxSizeSmall,
    /// Sigop cost above [`MAX_STANDARD_TX_SIGOPS_COST`].
    TooManySigops {
        /// The sigop cost.
        cost: u64,
    },
    /// An input spends a non-standard or unknown-witness output, or a P2SH output with a
    /// bad scriptSig or a redeem script of more than [`MAX_P2SH_SIGOPS`] sigops.
    NonStandardInputs {
        /// Input index.
        input: usize,
    },
    /// A witness beyond the P2WSH or tapscript limits, with an annex, or on a non-witness
    /// output.
    NonStandardWitness {
        /// Input index.
        input: usize,
    },
}

impl StandardError {
    /// Core's reject reason.
    pub const fn reject_reason(&self) -> &'static str {
        match self {
            StandardError::Version => "version",
            StandardError::TxSize => "tx-size",
            StandardError::ScriptSigSize { .. } => "scriptsig-size",
            StandardError::ScriptSigNotPushOnly { .. } => "scriptsig-not-pushonly",
            StandardError::ScriptPubKey { .. } => "scriptpubkey",
            StandardError::BareMultisig { .. } => "bare-multisig",
            StandardError::Dust { .. } => "dust",
            StandardError::MultiOpReturn => "multi-op-return",
            StandardError::TxSizeSmall => "tx-size-small",
            StandardError::TooManySigops { .. } => "bad-txns-too-many-sigops",
            StandardError::NonStandardInputs { .. } => "bad-txns-nonstandard-inputs",
            StandardError::NonStandardWitness { .. } => "bad-witness-nonstandard",
        }
    }

    /// Core's result class.
    pub const fn result(&self) -> TxValidationResult {
        match self {
            StandardError::NonStandardInputs { .. } => TxValidationResult::InputsNotStandard,
            StandardError::NonStandardWitness { .. } => TxValidationResult::WitnessMutated,
            _ => TxValidationResult::NotStandard,
        }
    }

    /// Core's debug message (only the sigop cost has one).
    pub fn debug_message(&self) -> String {
        match self {
            StandardError::TooManySigops { cost } => cost.to_string(),
            _ => String::new(),
        }
    }
}

rejection!(StandardError);

/// Core's `CScript::IsUnspendable`: starts with OP_RETURN or is longer than 10,000 bytes.
pub fn is_unspendable(script: &[u8]) -> bool {
    script.first() == Some(&OP_RETURN) || script.len() > MAX_SCRIPT_SIZE
}

/// The smallest value of `txout` that is not dust at `dust_relay_fee` (Core's
/// `GetDustThreshold`): the fee for the output plus an input spending it (148 bytes, or 67
/// vbytes for witness programs). 0 for unspendable outputs. At the default 3000 sat/kvB:
/// P2PKH 546, P2SH 540, P2WPKH 294, P2WSH and P2TR 330.
pub fn get_dust_threshold(txout: &TxOut, dust_relay_fee: FeeRate) -> i64 {
    let script = txout.script_pubkey.as_bytes();
    if is_unspendable(script) {
        return 0;
    }
    let mut size = txout.size() as u64;
    if witness_program(script).is_some() {
        // outpoint, scriptSig length, a 107-byte witness at a quarter, nSequence
        size += 32 + 4 + 1 + 107 / WITNESS_SCALE_FACTOR + 4;
    } else {
        size += 32 + 4 + 1 + 107 + 4;
    }
    dust_relay_fee.get_fee(size as u32)
}

/// Whether `txout` is below its dust threshold (Core's `IsDust`).
pub fn is_dust(txout: &TxOut, dust_relay_fee: FeeRate) -> bool {
    (txout.value.to_sat() as i64) < get_dust_threshold(txout, dust_relay_fee)
}

/// Whether a scriptPubKey is standard, and its type (Core's `IsStandard`): any template but
/// non-standard, multisig only up to 3 keys, and OP_RETURN outputs only when data carrying is
/// on (`max_datacarrier_bytes` is `Some`) and within that size.
pub fn is_standard_script(
    script_pubkey: &[u8],
    max_datacarrier_bytes: Option<u32>,
) -> (bool, TxoutType) {
    let (kind, solutions) = solver(script_pubkey);
    let ok = match kind {
        TxoutType::NonStandard => false,
        TxoutType::Multisig => {
            let m = solutions[0][0];
            let n = solutions[solutions.len() - 1][0];
            (1..=3).contains(&n) && (1..=n).contains(&m)
        }
        TxoutType::NullData => {
            max_datacarrier_bytes.is_some_and(|max| script_pubkey.len() <= max as usize)
        }
        _ => true,
    };
    (ok, kind)
}

/// Core's `IsStandardTx`: version, weight, scriptSig size and push-only, output templates,
/// bare multisig, dust, at most one OP_RETURN output. The first failure in Core's order wins.
pub fn is_standard_tx(
    tx: &Transaction,
    max_datacarrier_bytes: Option<u32>,
    permit_bare_multisig: bool,
    dust_relay_fee: FeeRate,
) -> Result<(), StandardError> {
    if tx.version.0 > TX_MAX_STANDARD_VERSION || tx.version.0 < 1 {
        return Err(StandardError::Version);
    }
    if tx.weight().to_wu() > MAX_STANDARD_TX_WEIGHT {
        return Err(StandardError::TxSize);
    }
    for (input, txin) in tx.input.iter().enumerate() {
        let script_sig = txin.script_sig.as_bytes();
        if script_sig.len() > MAX_STANDARD_SCRIPTSIG_SIZE {
            return Err(StandardError::ScriptSigSize { input });
        }
        if !is_push_only(script_sig) {
            return Err(StandardError::ScriptSigNotPushOnly { input });
        }
    }
    let mut data_outputs = 0;
    for (output, txout) in tx.output.iter().enumerate() {
        let (ok, kind) = is_standard_script(txout.script_pubkey.as_bytes(), max_datacarrier_bytes);
        if !ok {
            return Err(StandardError::ScriptPubKey { output });
        }
        if kind == TxoutType::NullData {
            data_outputs += 1;
        } else if kind == TxoutType::Multisig && !permit_bare_multisig {
            return Err(StandardError::BareMultisig { output });
        } else if is_dust(txout, dust_relay_fee) {
            return Err(StandardError::Dust { output });
        }
    }
    if data_outputs > 1 {
        return Err(StandardError::MultiOpReturn);
    }
    Ok(())
}

/// `tx-size-small`: the serialization without witness must have at least 65 bytes
/// (CVE-2017-12842).
pub fn check_min_nonwitness_size(tx: &Transaction) -> Result<(), StandardError> {
    if tx.base_size() < MIN_STANDARD_TX_NONWITNESS_SIZE {
        return Err(StandardError::TxSizeSmall);
    }
    Ok(())
}

/// `bad-txns-too-many-sigops`: at most [`MAX_STANDARD_TX_SIGOPS_COST`].
pub fn check_sigops_cost(cost: u64) -> Result<(), StandardError> {
    if cost > MAX_STANDARD_TX_SIGOPS_COST {
        return Err(StandardError::TooManySigops { cost });
    }
    Ok(())
}

/// Runs a scriptSig with no flags and no signature checks, as Core does to find a P2SH
/// redeem script; `None` if it fails or leaves an empty stack.
fn redeem_script(script_sig: &[u8]) -> Option<Vec<u8>> {
    let mut stack = Vec::new();
    eval_script(
        &mut stack,
        script_sig,
        ScriptFlags::NONE,
        &NullSignatureChecker,
        SigVersion::Base,
        &mut ExecData::default(),
    )
    .ok()?;
    stack.pop()
}

/// Core's `AreInputsStandard`: no input may spend a non-standard or unknown-witness output,
/// and P2SH redeem scripts must evaluate from the scriptSig and have at most 15 sigops.
/// `spent` holds the output each input spends, in input order. Coinbases pass.
pub fn are_inputs_standard(tx: &Transaction, spent: &[TxOut]) -> Result<(), StandardError> {
    if tx.is_coinbase() {
        return Ok(());
    }
    assert_eq!(spent.len(), tx.input.len(), "one spent output per input");
    for (input, (txin, prev)) in tx.input.iter().zip(spent).enumerate() {
        let bad = Err(StandardError::NonStandardInputs { input });
        match solver(prev.script_pubkey.as_bytes()).0 {
            TxoutType::NonStandard | TxoutType::WitnessUnknown => return bad,
            TxoutType::ScriptHash => match redeem_script(txin.script_sig.as_bytes()) {
                Some(redeem) if sigop_count(&redeem, true) <= MAX_P2SH_SIGOPS => {}
                _ => return bad,
            },
            _ => {}
        }
    }
    Ok(())
}

/// Core's `IsWitnessStandard`: witnesses only on witness programs (native or P2SH-wrapped);
/// P2WSH at most 3600 script bytes and 100 items of at most 80 bytes; native taproot without
/// annex, with a control block on script paths, and tapscript (leaf 0xc0) items of at most
/// 80 bytes. Inputs with an empty witness and coinbases pass.
pub fn is_witness_standard(tx: &Transaction, spent: &[TxOut]) -> Result<(), StandardError> {
    if tx.is_coinbase() {
        return Ok(());
    }
    assert_eq!(spent.len(), tx.input.len(), "one spent output per input");
    for (input, (txin, prev)) in tx.input.iter().zip(spent).enumerate() {
        if txin.witness.is_empty() {
            continue;
        }
        if !input_witness_standard(txin, prev) {
            return Err(StandardError::NonStandardWitness { input });
        }
    }
    Ok(())
}

fn input_witness_standard(txin: &TxIn, prev: &TxOut) -> bool {
    let mut script = prev.script_pubkey.as_bytes().to_vec();
    let mut p2sh = false;
    if is_p2sh(&script) {
        match redeem_script(txin.script_sig.as_bytes()) {
            Some(redeem) => script = redeem,
            None => return false,
        }
        p2sh = true;
    }
    let Some((version, program)) = witness_program(&script) else {
        return false;
    };
    let witness: Vec<&[u8]> = txin.witness.iter().collect();
    if version == 0 && program.len() == WITNESS_V0_SCRIPTHASH_SIZE {
        let (witness_script, items) = witness.split_last().expect("witness is not empty");
        if witness_script.len() > MAX_STANDARD_P2WSH_SCRIPT_SIZE
            || items.len() > MAX_STANDARD_P2WSH_STACK_ITEMS
            || items
                .iter()
                .any(|i| i.len() > MAX_STANDARD_P2WSH_STACK_ITEM_SIZE)
        {
            return false;
        }
    }
    if version == 1 && program.len() == WITNESS_V1_TAPROOT_SIZE && !p2sh {
        return taproot_witness_standard(&txin.witness);
    }
    true
}

fn taproot_witness_standard(witness: &Witness) -> bool {
    let stack: Vec<&[u8]> = witness.iter().collect();
    if stack.len() >= 2 && stack.last().and_then(|a| a.first()) == Some(&ANNEX_TAG) {
        // Annexes are non-standard while they have no meaning.
        return false;
    }
    match stack.len() {
        0 => false,
        1 => true, // key path
        n => {
            let control = stack[n - 1];
            let Some(&leaf) = control.first() else {
                return false;
            };
            if leaf & TAPROOT_LEAF_MASK == TAPROOT_LEAF_TAPSCRIPT {
                stack[..n - 2]
                    .iter()
                    .all(|i| i.len() <= MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE)
            } else {
                true
            }
        }
    }
}

/// Virtual size from weight and sigop cost (Core's `GetVirtualTransactionSize`): the weight,
/// or the sigop cost times `bytes_per_sigop` if larger, divided by four, rounded up.
pub fn get_virtual_transaction_size(weight: u64, sigop_cost: u64, bytes_per_sigop: u32) -> u64 {
    weight
        .max(sigop_cost * u64::from(bytes_per_sigop))
        .div_ceil(WITNESS_SCALE_FACTOR)
}

/// [`get_virtual_transaction_size`] of a transaction.
pub fn tx_virtual_size(tx: &Transaction, sigop_cost: u64, bytes_per_sigop: u32) -> u64 {
    get_virtual_transaction_size(tx.weight().to_wu(), sigop_cost, bytes_per_sigop)
}

/// Weight of one input (Core's `GetTransactionInputWeight`): its serialization four times
/// and its witness stack once.
pub fn input_weight(txin: &TxIn) -> u64 {
    let base = bitcoin::consensus::encode::serialize(txin).len() as u64;
    let witness = bitcoin::consensus::encode::serialize(&txin.witness).len() as u64;
    base * WITNESS_SCALE_FACTOR + witness
}

/// [`get_virtual_transaction_size`] of one input (Core's `GetVirtualTransactionInputSize`).
pub fn input_virtual_size(txin: &TxIn, sigop_cost: u64, bytes_per_sigop: u32) -> u64 {
    get_virtual_transaction_size(input_weight(txin), sigop_cost, bytes_per_sigop)
}
