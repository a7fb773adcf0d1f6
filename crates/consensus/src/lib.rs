//! Widecoin consensus rules that need no chain state: the script interpreter (legacy, P2SH,
//! segwit v0, taproot and tapscript), signature hashes, sigop counting and `CheckTransaction`.
//!
//! Widecoin's script rules are Bitcoin Core v26's; only the amount and weight limits differ
//! (MAX_MONEY 35,000,000 WCN, MAX_BLOCK_WEIGHT 32,000,000), taken from `widecoin-chainparams`.
//!
//! ```
//! use widecoin_consensus::{verify_script, ScriptFlags, NullSignatureChecker};
//! // OP_1 OP_1 OP_ADD OP_2 OP_EQUAL
//! let spk = [0x51, 0x51, 0x93, 0x52, 0x87];
//! verify_script(&[], &spk, &Default::default(), ScriptFlags::STANDARD, &NullSignatureChecker).unwrap();
//! ```

pub mod amount;
pub mod asm;
pub mod checker;
pub mod constants;
pub mod decode;
pub mod ecdsa;
pub mod error;
pub mod flags;
pub mod interpreter;
pub mod opcodes;
pub mod script;
pub mod script_num;
pub mod sighash;
pub mod sigops;
pub mod solver;
pub mod taproot;
pub mod tx_check;
pub mod verify;

pub use checker::{NullSignatureChecker, SignatureChecker, TransactionSignatureChecker};
pub use error::{ScriptError, TxValidationError};
pub use flags::ScriptFlags;
pub use interpreter::{eval_script, ExecData, SigVersion, Stack};
pub use sighash::PrecomputedTransactionData;
pub use sigops::{get_transaction_sigop_cost, transaction_sigop_cost};
pub use tx_check::check_transaction;
pub use verify::verify_script;

/// Core's reject reason for a script failure under mandatory flags
/// (`mandatory-script-verify-flag-failed (...)`).
pub fn mandatory_reject_reason(err: ScriptError) -> String {
    format!("mandatory-script-verify-flag-failed ({})", err.message())
}

/// Core's reject reason for a script failure under standard but not mandatory flags.
pub fn non_mandatory_reject_reason(err: ScriptError) -> String {
    format!("non-mandatory-script-verify-flag ({})", err.message())
}
