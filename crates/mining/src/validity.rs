//! Core's `TestBlockValidity` (run by the chainstate on a throw-away view of
//! its UTXO set, scripts included) and the text of its result.

use bitcoin::Block;
use widecoin_chainstate::{ChainstateError, ChainstateManager};

/// Checks `block` as the next block on the tip at adjusted time `now`,
/// without proof of work unless `check_pow`. The merkle root must be set: it
/// is checked too.
pub fn test_block_validity(
    cm: &mut ChainstateManager,
    block: &Block,
    now: i64,
    check_pow: bool,
) -> Result<(), ChainstateError> {
    cm.test_block_validity(block, now, check_pow)
}

/// Core's `BlockValidationState::ToString()`: the reject reason, then ", "
/// and the debug message when there is one (the chainstate's own text).
pub fn state_string(err: &ChainstateError) -> String {
    match err {
        ChainstateError::Invalid(e) => e.state_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_strings() {
        let e: ChainstateError =
            widecoin_chainstate::BlockValidationError::InputsMissingOrSpent { index: 1 }.into();
        assert_eq!(
            state_string(&e),
            "bad-txns-inputs-missingorspent, CheckTxInputs: inputs missing/spent"
        );
        let e: ChainstateError = widecoin_chainstate::BlockValidationError::TimeTooOld.into();
        assert_eq!(
            state_string(&e),
            "time-too-old, block's timestamp is too early"
        );
    }
}
