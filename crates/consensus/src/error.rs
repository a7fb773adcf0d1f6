//! Script errors (`ScriptError_t` of `script/script_error.h`) and the context-free transaction
//! rule violations of `consensus/tx_check.cpp`.

use std::fmt;

macro_rules! script_errors {
    ($($(#[$doc:meta])* $variant:ident => $name:literal, $msg:literal;)*) => {
        /// Why a script failed, one variant per Widecoin Core `SCRIPT_ERR_*` value.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ScriptError {
            $($(#[$doc])* $variant,)*
        }

        impl ScriptError {
            /// Every error, in Core's enum order.
            pub const ALL: &'static [ScriptError] = &[$(ScriptError::$variant),*];

            /// The name used by Core's `script_tests.json` (`"EVAL_FALSE"`, `"NULLFAIL"`, ...).
            pub const fn name(self) -> &'static str {
                match self { $(ScriptError::$variant => $name,)* }
            }

            /// Core's `ScriptErrorString`: the text inside
            /// `mandatory-script-verify-flag-failed (...)` reject reasons.
            pub const fn message(self) -> &'static str {
                match self { $(ScriptError::$variant => $msg,)* }
            }
        }
    };
}

script_errors! {
    /// `SCRIPT_ERR_OK`: no error (only used by test vectors).
    Ok => "OK", "No error";
    /// `SCRIPT_ERR_UNKNOWN_ERROR` (also script number overflow / non-minimal numbers).
    UnknownError => "UNKNOWN_ERROR", "unknown error";
    /// `SCRIPT_ERR_EVAL_FALSE`.
    EvalFalse => "EVAL_FALSE", "Script evaluated without error but finished with a false/empty top stack element";
    /// `SCRIPT_ERR_OP_RETURN`.
    OpReturn => "OP_RETURN", "OP_RETURN was encountered";
    /// `SCRIPT_ERR_SCRIPT_SIZE`.
    ScriptSize => "SCRIPT_SIZE", "Script is too big";
    /// `SCRIPT_ERR_PUSH_SIZE`.
    PushSize => "PUSH_SIZE", "Push value size limit exceeded";
    /// `SCRIPT_ERR_OP_COUNT`.
    OpCount => "OP_COUNT", "Operation limit exceeded";
    /// `SCRIPT_ERR_STACK_SIZE`.
    StackSize => "STACK_SIZE", "Stack size limit exceeded";
    /// `SCRIPT_ERR_SIG_COUNT`.
    SigCount => "SIG_COUNT", "Signature count negative or greater than pubkey count";
    /// `SCRIPT_ERR_PUBKEY_COUNT`.
    PubkeyCount => "PUBKEY_COUNT", "Pubkey count negative or limit exceeded";
    /// `SCRIPT_ERR_VERIFY`.
    Verify => "VERIFY", "Script failed an OP_VERIFY operation";
    /// `SCRIPT_ERR_EQUALVERIFY`.
    EqualVerify => "EQUALVERIFY", "Script failed an OP_EQUALVERIFY operation";
    /// `SCRIPT_ERR_CHECKMULTISIGVERIFY`.
    CheckMultisigVerify => "CHECKMULTISIGVERIFY", "Script failed an OP_CHECKMULTISIGVERIFY operation";
    /// `SCRIPT_ERR_CHECKSIGVERIFY`.
    CheckSigVerify => "CHECKSIGVERIFY", "Script failed an OP_CHECKSIGVERIFY operation";
    /// `SCRIPT_ERR_NUMEQUALVERIFY`.
    NumEqualVerify => "NUMEQUALVERIFY", "Script failed an OP_NUMEQUALVERIFY operation";
    /// `SCRIPT_ERR_BAD_OPCODE`.
    BadOpcode => "BAD_OPCODE", "Opcode missing or not understood";
    /// `SCRIPT_ERR_DISABLED_OPCODE`.
    DisabledOpcode => "DISABLED_OPCODE", "Attempted to use a disabled opcode";
    /// `SCRIPT_ERR_INVALID_STACK_OPERATION`.
    InvalidStackOperation => "INVALID_STACK_OPERATION", "Operation not valid with the current stack size";
    /// `SCRIPT_ERR_INVALID_ALTSTACK_OPERATION`.
    InvalidAltstackOperation => "INVALID_ALTSTACK_OPERATION", "Operation not valid with the current altstack size";
    /// `SCRIPT_ERR_UNBALANCED_CONDITIONAL`.
    UnbalancedConditional => "UNBALANCED_CONDITIONAL", "Invalid OP_IF construction";
    /// `SCRIPT_ERR_NEGATIVE_LOCKTIME`.
    NegativeLocktime => "NEGATIVE_LOCKTIME", "Negative locktime";
    /// `SCRIPT_ERR_UNSATISFIED_LOCKTIME`.
    UnsatisfiedLocktime => "UNSATISFIED_LOCKTIME", "Locktime requirement not satisfied";
    /// `SCRIPT_ERR_SIG_HASHTYPE`.
    SigHashtype => "SIG_HASHTYPE", "Signature hash type missing or not understood";
    /// `SCRIPT_ERR_SIG_DER`.
    SigDer => "SIG_DER", "Non-canonical DER signature";
    /// `SCRIPT_ERR_MINIMALDATA`.
    MinimalData => "MINIMALDATA", "Data push larger than necessary";
    /// `SCRIPT_ERR_SIG_PUSHONLY`.
    SigPushOnly => "SIG_PUSHONLY", "Only push operators allowed in signatures";
    /// `SCRIPT_ERR_SIG_HIGH_S`.
    SigHighS => "SIG_HIGH_S", "Non-canonical signature: S value is unnecessarily high";
    /// `SCRIPT_ERR_SIG_NULLDUMMY`.
    SigNullDummy => "SIG_NULLDUMMY", "Dummy CHECKMULTISIG argument must be zero";
    /// `SCRIPT_ERR_PUBKEYTYPE`.
    PubkeyType => "PUBKEYTYPE", "Public key is neither compressed or uncompressed";
    /// `SCRIPT_ERR_CLEANSTACK`.
    CleanStack => "CLEANSTACK", "Stack size must be exactly one after execution";
    /// `SCRIPT_ERR_MINIMALIF`.
    MinimalIf => "MINIMALIF", "OP_IF/NOTIF argument must be minimal";
    /// `SCRIPT_ERR_SIG_NULLFAIL`.
    SigNullFail => "NULLFAIL", "Signature must be zero for failed CHECK(MULTI)SIG operation";
    /// `SCRIPT_ERR_DISCOURAGE_UPGRADABLE_NOPS`.
    DiscourageUpgradableNops => "DISCOURAGE_UPGRADABLE_NOPS", "NOPx reserved for soft-fork upgrades";
    /// `SCRIPT_ERR_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM`.
    DiscourageUpgradableWitnessProgram => "DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM", "Witness version reserved for soft-fork upgrades";
    /// `SCRIPT_ERR_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION`.
    DiscourageUpgradableTaprootVersion => "DISCOURAGE_UPGRADABLE_TAPROOT_VERSION", "Taproot version reserved for soft-fork upgrades";
    /// `SCRIPT_ERR_DISCOURAGE_OP_SUCCESS`.
    DiscourageOpSuccess => "DISCOURAGE_OP_SUCCESS", "OP_SUCCESSx reserved for soft-fork upgrades";
    /// `SCRIPT_ERR_DISCOURAGE_UPGRADABLE_PUBKEYTYPE`.
    DiscourageUpgradablePubkeyType => "DISCOURAGE_UPGRADABLE_PUBKEYTYPE", "Public key version reserved for soft-fork upgrades";
    /// `SCRIPT_ERR_WITNESS_PROGRAM_WRONG_LENGTH`.
    WitnessProgramWrongLength => "WITNESS_PROGRAM_WRONG_LENGTH", "Witness program has incorrect length";
    /// `SCRIPT_ERR_WITNESS_PROGRAM_WITNESS_EMPTY`.
    WitnessProgramWitnessEmpty => "WITNESS_PROGRAM_WITNESS_EMPTY", "Witness program was passed an empty witness";
    /// `SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH`.
    WitnessProgramMismatch => "WITNESS_PROGRAM_MISMATCH", "Witness program hash mismatch";
    /// `SCRIPT_ERR_WITNESS_MALLEATED`.
    WitnessMalleated => "WITNESS_MALLEATED", "Witness requires empty scriptSig";
    /// `SCRIPT_ERR_WITNESS_MALLEATED_P2SH`.
    WitnessMalleatedP2sh => "WITNESS_MALLEATED_P2SH", "Witness requires only-redeemscript scriptSig";
    /// `SCRIPT_ERR_WITNESS_UNEXPECTED`.
    WitnessUnexpected => "WITNESS_UNEXPECTED", "Witness provided for non-witness script";
    /// `SCRIPT_ERR_WITNESS_PUBKEYTYPE`.
    WitnessPubkeyType => "WITNESS_PUBKEYTYPE", "Using non-compressed keys in segwit";
    /// `SCRIPT_ERR_SCHNORR_SIG_SIZE`.
    SchnorrSigSize => "SCHNORR_SIG_SIZE", "Invalid Schnorr signature size";
    /// `SCRIPT_ERR_SCHNORR_SIG_HASHTYPE`.
    SchnorrSigHashtype => "SCHNORR_SIG_HASHTYPE", "Invalid Schnorr signature hash type";
    /// `SCRIPT_ERR_SCHNORR_SIG`.
    SchnorrSig => "SCHNORR_SIG", "Invalid Schnorr signature";
    /// `SCRIPT_ERR_TAPROOT_WRONG_CONTROL_SIZE`.
    TaprootWrongControlSize => "TAPROOT_WRONG_CONTROL_SIZE", "Invalid Taproot control block size";
    /// `SCRIPT_ERR_TAPSCRIPT_VALIDATION_WEIGHT`.
    TapscriptValidationWeight => "TAPSCRIPT_VALIDATION_WEIGHT", "Too much signature validation relative to witness weight";
    /// `SCRIPT_ERR_TAPSCRIPT_CHECKMULTISIG`.
    TapscriptCheckMultisig => "TAPSCRIPT_CHECKMULTISIG", "OP_CHECKMULTISIG(VERIFY) is not available in tapscript";
    /// `SCRIPT_ERR_TAPSCRIPT_MINIMALIF`.
    TapscriptMinimalIf => "TAPSCRIPT_MINIMALIF", "OP_IF/NOTIF argument must be minimal in tapscript";
    /// `SCRIPT_ERR_OP_CODESEPARATOR`.
    OpCodeSeparator => "OP_CODESEPARATOR", "Using OP_CODESEPARATOR in non-witness script";
    /// `SCRIPT_ERR_SIG_FINDANDDELETE`.
    SigFindAndDelete => "SIG_FINDANDDELETE", "Signature is found in scriptCode";
}

impl ScriptError {
    /// Looks an error up by its test-vector name.
    pub fn from_name(name: &str) -> Option<ScriptError> {
        Self::ALL.iter().copied().find(|e| e.name() == name)
    }
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for ScriptError {}

/// A violation of Core's `CheckTransaction`, one variant per rule. All are `TX_CONSENSUS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TxValidationError {
    /// The transaction has no inputs.
    #[error("transaction has no inputs")]
    VinEmpty,
    /// The transaction has no outputs.
    #[error("transaction has no outputs")]
    VoutEmpty,
    /// The serialization without witness, times four, exceeds the maximum block weight.
    #[error("transaction without witness is {size} bytes, too large")]
    Oversize {
        /// Stripped size in bytes.
        size: usize,
    },
    /// An output value is negative.
    #[error("output {index} has a negative value")]
    VoutNegative {
        /// Output index.
        index: usize,
    },
    /// An output value exceeds MAX_MONEY.
    #[error("output {index} value exceeds MAX_MONEY")]
    VoutTooLarge {
        /// Output index.
        index: usize,
    },
    /// The sum of the outputs exceeds MAX_MONEY.
    #[error("total output value exceeds MAX_MONEY")]
    TxoutTotalTooLarge,
    /// Two inputs spend the same outpoint.
    #[error("input {index} spends an outpoint already spent by an earlier input")]
    InputsDuplicate {
        /// Index of the second input.
        index: usize,
    },
    /// A coinbase scriptSig is shorter than 2 or longer than 100 bytes.
    #[error("coinbase scriptSig is {len} bytes, outside 2..=100")]
    CoinbaseLength {
        /// Length of the scriptSig.
        len: usize,
    },
    /// A non-coinbase input spends the null outpoint.
    #[error("input {index} spends the null outpoint")]
    PrevoutNull {
        /// Input index.
        index: usize,
    },
}

impl TxValidationError {
    /// Core's reject reason (`state.GetRejectReason()`).
    pub const fn reject_reason(&self) -> &'static str {
        match self {
            TxValidationError::VinEmpty => "bad-txns-vin-empty",
            TxValidationError::VoutEmpty => "bad-txns-vout-empty",
            TxValidationError::Oversize { .. } => "bad-txns-oversize",
            TxValidationError::VoutNegative { .. } => "bad-txns-vout-negative",
            TxValidationError::VoutTooLarge { .. } => "bad-txns-vout-toolarge",
            TxValidationError::TxoutTotalTooLarge => "bad-txns-txouttotal-toolarge",
            TxValidationError::InputsDuplicate { .. } => "bad-txns-inputs-duplicate",
            TxValidationError::CoinbaseLength { .. } => "bad-cb-length",
            TxValidationError::PrevoutNull { .. } => "bad-txns-prevout-null",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in ScriptError::ALL {
            assert_eq!(ScriptError::from_name(e.name()), Some(*e));
        }
        assert_eq!(ScriptError::ALL.len(), 53);
        assert_eq!(ScriptError::SigNullFail.name(), "NULLFAIL");
    }
}
