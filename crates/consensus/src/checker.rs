//! Signature and lock-time checks against a transaction (Core's `BaseSignatureChecker` and
//! `GenericTransactionSignatureChecker`).

use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{schnorr, Message, XOnlyPublicKey};
use bitcoin::Transaction;

use crate::constants::{
    LOCKTIME_THRESHOLD, SEQUENCE_FINAL, SEQUENCE_LOCKTIME_DISABLE_FLAG, SEQUENCE_LOCKTIME_MASK,
    SEQUENCE_LOCKTIME_TYPE_FLAG,
};
use crate::ecdsa::{parse_pubkey, verify_ecdsa, SECP};
use crate::error::ScriptError;
use crate::interpreter::{ExecData, SigVersion};
use crate::sighash::{
    legacy_sighash, segwit_v0_sighash, taproot_sighash, PrecomputedTransactionData, SIGHASH_DEFAULT,
};

/// What the interpreter asks of the spending transaction. The defaults fail every check, like
/// Core's `BaseSignatureChecker`.
pub trait SignatureChecker {
    /// Checks an ECDSA signature (DER plus hash type byte) for legacy or witness v0 scripts.
    fn check_ecdsa_signature(
        &self,
        _sig: &[u8],
        _pubkey: &[u8],
        _script_code: &[u8],
        _sigversion: SigVersion,
    ) -> bool {
        false
    }

    /// Checks a BIP340 signature (64 bytes, or 65 with hash type) against a 32-byte key.
    fn check_schnorr_signature(
        &self,
        _sig: &[u8],
        _pubkey: &[u8],
        _sigversion: SigVersion,
        _execdata: &ExecData,
    ) -> Result<(), ScriptError> {
        Err(ScriptError::SchnorrSig)
    }

    /// BIP65: whether the transaction's nLockTime satisfies `lock_time`.
    fn check_lock_time(&self, _lock_time: i64) -> bool {
        false
    }

    /// BIP112: whether the input's nSequence satisfies `sequence`.
    fn check_sequence(&self, _sequence: i64) -> bool {
        false
    }
}

/// A checker with no transaction: every signature and lock time check fails.
#[derive(Debug, Clone, Copy, Default)]
pub struct NullSignatureChecker;

impl SignatureChecker for NullSignatureChecker {}

/// Checks signatures of input `input_index` of `tx`, which spends `amount`.
#[derive(Debug, Clone, Copy)]
pub struct TransactionSignatureChecker<'a> {
    tx: &'a Transaction,
    input_index: usize,
    amount: u64,
    txdata: &'a PrecomputedTransactionData,
}

impl<'a> TransactionSignatureChecker<'a> {
    /// A checker for one input. `txdata` must have been made for `tx` (one per transaction,
    /// shared by its inputs).
    pub fn new(
        tx: &'a Transaction,
        input_index: usize,
        amount: u64,
        txdata: &'a PrecomputedTransactionData,
    ) -> Self {
        assert!(
            input_index < tx.input.len(),
            "input index {input_index} out of range"
        );
        TransactionSignatureChecker {
            tx,
            input_index,
            amount,
            txdata,
        }
    }
}

impl SignatureChecker for TransactionSignatureChecker<'_> {
    fn check_ecdsa_signature(
        &self,
        sig: &[u8],
        pubkey: &[u8],
        script_code: &[u8],
        sigversion: SigVersion,
    ) -> bool {
        let Some(pubkey) = parse_pubkey(pubkey) else {
            return false;
        };
        let Some((&hash_type, der)) = sig.split_last() else {
            return false;
        };
        let hash_type = i32::from(hash_type);
        let digest = match sigversion {
            SigVersion::Base => legacy_sighash(script_code, self.tx, self.input_index, hash_type),
            SigVersion::WitnessV0 => segwit_v0_sighash(
                script_code,
                self.tx,
                self.input_index,
                hash_type,
                self.amount,
                self.txdata,
            ),
            SigVersion::Taproot | SigVersion::Tapscript => return false,
        };
        verify_ecdsa(der, &pubkey, &digest)
    }

    fn check_schnorr_signature(
        &self,
        sig: &[u8],
        pubkey: &[u8],
        sigversion: SigVersion,
        execdata: &ExecData,
    ) -> Result<(), ScriptError> {
        let (sig, hash_type) = match sig.len() {
            64 => (sig, SIGHASH_DEFAULT),
            65 if sig[64] == SIGHASH_DEFAULT => return Err(ScriptError::SchnorrSigHashtype),
            65 => (&sig[..64], sig[64]),
            _ => return Err(ScriptError::SchnorrSigSize),
        };
        let digest = taproot_sighash(
            self.tx,
            self.input_index,
            hash_type,
            sigversion,
            execdata,
            self.txdata,
        )
        .ok_or(ScriptError::SchnorrSigHashtype)?;
        let valid = match (
            schnorr::Signature::from_slice(sig),
            XOnlyPublicKey::from_slice(pubkey),
        ) {
            (Ok(sig), Ok(key)) => SECP
                .verify_schnorr(&sig, &Message::from_digest(digest), &key)
                .is_ok(),
            _ => false,
        };
        if valid {
            Ok(())
        } else {
            Err(ScriptError::SchnorrSig)
        }
    }

    fn check_lock_time(&self, lock_time: i64) -> bool {
        let tx_lock_time = i64::from(self.tx.lock_time.to_consensus_u32());
        let threshold = i64::from(LOCKTIME_THRESHOLD);
        // Heights compare only with heights, times only with times.
        if (tx_lock_time < threshold) != (lock_time < threshold) {
            return false;
        }
        if lock_time > tx_lock_time {
            return false;
        }
        // A final input would let the transaction ignore nLockTime altogether.
        self.tx.input[self.input_index].sequence.0 != SEQUENCE_FINAL
    }

    fn check_sequence(&self, sequence: i64) -> bool {
        let tx_sequence = i64::from(self.tx.input[self.input_index].sequence.0);
        // BIP68 relative lock times need version 2 (compared unsigned, as Core does).
        if (self.tx.version.0 as u32) < 2 {
            return false;
        }
        if tx_sequence & i64::from(SEQUENCE_LOCKTIME_DISABLE_FLAG) != 0 {
            return false;
        }
        let mask = i64::from(SEQUENCE_LOCKTIME_TYPE_FLAG | SEQUENCE_LOCKTIME_MASK);
        let tx_masked = tx_sequence & mask;
        let masked = sequence & mask;
        let type_flag = i64::from(SEQUENCE_LOCKTIME_TYPE_FLAG);
        if (tx_masked < type_flag) != (masked < type_flag) {
            return false;
        }
        masked <= tx_masked
    }
}

/// SHA256 of the compact-size-prefixed annex, as BIP341 commits to it.
pub(crate) fn annex_hash(annex: &[u8]) -> [u8; 32] {
    use bitcoin::hashes::HashEngine;
    let mut e = sha256::Hash::engine();
    crate::taproot::write_compact_size(&mut e, annex.len());
    e.input(annex);
    sha256::Hash::from_engine(e).to_byte_array()
}
