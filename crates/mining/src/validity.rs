//! Core's `TestBlockValidity` (run by the chainstate on a throw-away view of
//! its UTXO set, scripts included) and the text of its result.

use bitcoin::Block;
use widecoin_chainstate::{BlockValidationError as E, ChainstateError, ChainstateManager};

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
/// and the debug message when there is one.
pub fn state_string(err: &ChainstateError) -> String {
    let ChainstateError::Invalid(e) = err else {
        return err.to_string();
    };
    let debug = match e {
        E::InputsMissingOrSpent { .. } => "CheckTxInputs: inputs missing/spent".to_string(),
        E::PrevBlockNotFound(_) => String::new(),
        E::InBelowOut {
            value_in,
            value_out,
        } => format!(
            "value in ({}) < value out ({})",
            format_money(*value_in),
            format_money(*value_out)
        ),
        other => other.to_string(),
    };
    if debug.is_empty() {
        e.reject_reason()
    } else {
        format!("{}, {}", e.reject_reason(), debug)
    }
}

/// Core's `FormatMoney`: at least two decimals, trailing zeros trimmed.
pub fn format_money(sats: u64) -> String {
    let mut s = format!("{}.{:08}", sats / 100_000_000, sats % 100_000_000);
    while s.ends_with('0') && s.len() - s.find('.').expect("has a point") > 3 {
        s.pop();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_like_core() {
        assert_eq!(format_money(0), "0.00");
        assert_eq!(format_money(100_000_000), "1.00");
        assert_eq!(format_money(123_450_000), "1.2345");
        assert_eq!(format_money(1), "0.00000001");
    }

    #[test]
    fn state_strings() {
        let e: ChainstateError = E::InputsMissingOrSpent { index: 1 }.into();
        assert_eq!(
            state_string(&e),
            "bad-txns-inputs-missingorspent, CheckTxInputs: inputs missing/spent"
        );
        let e: ChainstateError = E::TimeTooOld.into();
        assert_eq!(
            state_string(&e),
            "time-too-old, block's timestamp is too early"
        );
    }
}
