//! How a rejection is reported: Core's `TxValidationResult` class, reject reason and debug
//! message, as `TxValidationState::ToString()` prints them (`"reason, debug"`).

use std::fmt;

/// Why a transaction was rejected, coarsely, for deciding how to treat its sender (Core's
/// `TxValidationResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxValidationResult {
    /// Invalid by consensus rules.
    Consensus,
    /// Inputs (covered by the txid) failed policy rules.
    InputsNotStandard,
    /// Otherwise did not meet local policy rules.
    NotStandard,
    /// Some inputs are missing.
    MissingInputs,
    /// Spends a coinbase too early, or violates lock time or sequence locks.
    PrematureSpend,
    /// The witness may have been malleated (includes non-standard witnesses).
    WitnessMutated,
    /// The witness is missing.
    WitnessStripped,
    /// Already in the mempool or conflicts with a transaction in the chain.
    Conflict,
    /// Violates the mempool's fee, size, descendant or replacement limits.
    MempoolPolicy,
    /// This node has no mempool.
    NoMempool,
}

/// A rejection as Core reports it: result class, reject reason and optional debug message.
/// `Display` gives Core's `TxValidationState::ToString()`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TxRejection {
    /// The class of the failure.
    pub result: TxValidationResult,
    /// Core's reject reason (`"bad-txns-in-belowout"`, `"insufficient fee"`, ...).
    pub reason: String,
    /// Core's debug message; empty when Core gives none.
    pub debug: String,
}

impl TxRejection {
    /// A rejection with the given class, reason and debug message.
    pub fn new(
        result: TxValidationResult,
        reason: impl Into<String>,
        debug: impl Into<String>,
    ) -> TxRejection {
        TxRejection {
            result,
            reason: reason.into(),
            debug: debug.into(),
        }
    }
}

impl fmt::Display for TxRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_state(f, &self.reason, &self.debug)
    }
}

impl std::error::Error for TxRejection {}

/// Writes `reason` or `reason, debug` as Core's `ValidationState::ToString`.
pub(crate) fn write_state(f: &mut fmt::Formatter<'_>, reason: &str, debug: &str) -> fmt::Result {
    if debug.is_empty() {
        f.write_str(reason)
    } else {
        write!(f, "{reason}, {debug}")
    }
}

/// Implements `Display` (Core's `ToString`) and `From<$ty> for TxRejection` for an error type
/// with `result()`, `reject_reason()` and `debug_message()`.
macro_rules! rejection {
    ($ty:ty) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                $crate::reject::write_state(f, self.reject_reason(), &self.debug_message())
            }
        }

        impl std::error::Error for $ty {}

        impl From<$ty> for $crate::reject::TxRejection {
            fn from(e: $ty) -> Self {
                $crate::reject::TxRejection::new(e.result(), e.reject_reason(), e.debug_message())
            }
        }

        impl From<&$ty> for $crate::reject::TxRejection {
            fn from(e: &$ty) -> Self {
                $crate::reject::TxRejection::new(e.result(), e.reject_reason(), e.debug_message())
            }
        }
    };
}
pub(crate) use rejection;
