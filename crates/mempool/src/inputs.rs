//! Contextual input checks shared by the mempool and block connection (Core's
//! `Consensus::CheckTxInputs`, `consensus/tx_verify.cpp`) over a minimal view of coins.

use std::collections::{BTreeMap, HashMap};

use bitcoin::{OutPoint, Transaction, TxOut};
use widecoin_chainparams::consensus::COINBASE_MATURITY;

use crate::feerate::{format_money, money_range};
use crate::reject::{rejection, TxValidationResult};

/// An unspent output and where it was created (Core's `Coin`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Coin {
    /// The output: value and scriptPubKey.
    pub output: TxOut,
    /// Height of the block that created it, or [`crate::MEMPOOL_HEIGHT`] for a mempool
    /// transaction's output.
    pub height: u32,
    /// Whether a coinbase created it.
    pub is_coinbase: bool,
}

/// Read access to unspent coins (the part of Core's `CCoinsViewCache` that transaction
/// checks use). A chainstate's UTXO cache, a mempool overlay or a test map can all be one.
pub trait CoinView {
    /// The unspent coin at `outpoint`, if any.
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin>;

    /// Whether every input of `tx` is unspent here (Core's `HaveInputs`).
    fn have_inputs(&self, tx: &Transaction) -> bool {
        tx.input
            .iter()
            .all(|i| self.coin(&i.previous_output).is_some())
    }

    /// The outputs `tx` spends, in input order; `None` if any is missing.
    fn spent_outputs(&self, tx: &Transaction) -> Option<Vec<TxOut>> {
        tx.input
            .iter()
            .map(|i| self.coin(&i.previous_output).map(|c| c.output))
            .collect()
    }
}

impl<V: CoinView + ?Sized> CoinView for &V {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        (**self).coin(outpoint)
    }
}

impl<S: std::hash::BuildHasher> CoinView for HashMap<OutPoint, Coin, S> {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        self.get(outpoint).cloned()
    }
}

impl CoinView for BTreeMap<OutPoint, Coin> {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        self.get(outpoint).cloned()
    }
}

/// A violation of Core's `Consensus::CheckTxInputs`, one variant per rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputsError {
    /// An input is missing or already spent.
    MissingOrSpent,
    /// A coinbase output is spent before maturity (50 blocks on Widecoin).
    PrematureSpendOfCoinbase {
        /// Spend height minus the coin's height.
        depth: i64,
    },
    /// An input value, or the running sum, is outside the money range.
    InputValuesOutOfRange,
    /// The inputs are worth less than the outputs.
    InBelowOut {
        /// Sum of the inputs.
        value_in: i64,
        /// Sum of the outputs.
        value_out: i64,
    },
    /// The fee is outside the money range.
    FeeOutOfRange,
}

impl InputsError {
    /// Core's reject reason.
    pub const fn reject_reason(&self) -> &'static str {
        match self {
            InputsError::MissingOrSpent => "bad-txns-inputs-missingorspent",
            InputsError::PrematureSpendOfCoinbase { .. } => "bad-txns-premature-spend-of-coinbase",
            InputsError::InputValuesOutOfRange => "bad-txns-inputvalues-outofrange",
            InputsError::InBelowOut { .. } => "bad-txns-in-belowout",
            InputsError::FeeOutOfRange => "bad-txns-fee-outofrange",
        }
    }

    /// Core's result class.
    pub const fn result(&self) -> TxValidationResult {
        match self {
            InputsError::MissingOrSpent => TxValidationResult::MissingInputs,
            InputsError::PrematureSpendOfCoinbase { .. } => TxValidationResult::PrematureSpend,
            _ => TxValidationResult::Consensus,
        }
    }

    /// Core's debug message.
    pub fn debug_message(&self) -> String {
        match self {
            InputsError::MissingOrSpent => "CheckTxInputs: inputs missing/spent".to_owned(),
            InputsError::PrematureSpendOfCoinbase { depth } => {
                format!("tried to spend coinbase at depth {depth}")
            }
            InputsError::InBelowOut {
                value_in,
                value_out,
            } => format!(
                "value in ({}) < value out ({})",
                format_money(*value_in),
                format_money(*value_out)
            ),
            _ => String::new(),
        }
    }
}

rejection!(InputsError);

/// Core's `Consensus::CheckTxInputs`: every input exists, coinbase outputs are mature at
/// `spend_height` (the block's height, or tip + 1 for the mempool), input values and their sum
/// lie in the money range, and the inputs cover the outputs. Returns the fee.
///
/// Expects a non-coinbase transaction that passed `check_transaction` (so the output sum is
/// in range).
pub fn check_tx_inputs<V: CoinView + ?Sized>(
    tx: &Transaction,
    view: &V,
    spend_height: i32,
) -> Result<i64, InputsError> {
    let coins: Vec<Coin> = tx
        .input
        .iter()
        .map(|i| view.coin(&i.previous_output))
        .collect::<Option<_>>()
        .ok_or(InputsError::MissingOrSpent)?;
    let mut value_in: i64 = 0;
    for coin in &coins {
        let depth = i64::from(spend_height) - i64::from(coin.height);
        if coin.is_coinbase && depth < i64::from(COINBASE_MATURITY) {
            return Err(InputsError::PrematureSpendOfCoinbase { depth });
        }
        // Values are signed on the wire: a "negative" value is a huge u64.
        let value = coin.output.value.to_sat() as i64;
        value_in = value_in.wrapping_add(value);
        if !money_range(value) || !money_range(value_in) {
            return Err(InputsError::InputValuesOutOfRange);
        }
    }
    let value_out = tx
        .output
        .iter()
        .fold(0i64, |sum, o| sum.saturating_add(o.value.to_sat() as i64));
    if value_in < value_out {
        return Err(InputsError::InBelowOut {
            value_in,
            value_out,
        });
    }
    let fee = value_in - value_out;
    if !money_range(fee) {
        return Err(InputsError::FeeOutOfRange);
    }
    Ok(fee)
}
