//! Core's `TestBlockValidity` as far as the chainstate's public API allows:
//! the header and block rules in full, and against the UTXO set the input
//! checks of `ConnectBlock` (`CheckTxInputs`: missing or spent inputs,
//! coinbase maturity, amounts) and the coinbase amount. Not yet: BIP68
//! sequence locks, the block sigop cost with P2SH/witness sigops, and script
//! verification, which need `ConnectBlock` on a throw-away view of the
//! chainstate's UTXO cache (a `ChainstateManager::test_block_validity` to come).
//! A block that passes here and fails those is refused by `process_new_block`.

use std::collections::{HashMap, HashSet};

use bitcoin::{Block, OutPoint};
use widecoin_chainparams::consensus::{money_range, COINBASE_MATURITY};
use widecoin_chainparams::get_block_subsidy;
use widecoin_chainstate::checks::{
    check_block, contextual_check_block, contextual_check_block_header,
};
use widecoin_chainstate::undo::Coin;
use widecoin_chainstate::{BlockValidationError as E, ChainstateError, ChainstateManager};

/// Checks `block` as the next block on the tip without proof of work (unless
/// `check_pow`). The merkle root must be set: it is checked too.
pub fn test_block_validity(
    cm: &ChainstateManager,
    block: &Block,
    now: i64,
    check_pow: bool,
) -> Result<(), ChainstateError> {
    let params = cm.params();
    let c = &params.consensus;
    let index = cm.block_index();
    let prev = cm
        .active_chain()
        .tip()
        .ok_or(ChainstateError::BlockNotFound)?;
    if block.header.prev_blockhash != index.entry(prev).hash {
        return Err(E::PrevBlockNotFound(block.header.prev_blockhash).into());
    }
    let height = index.entry(prev).height + 1;
    contextual_check_block_header(&block.header, index, prev, params, now, true)?;
    check_block(block, c, check_pow)?;
    contextual_check_block(block, index, Some(prev), c)?;

    // ConnectBlock's UTXO checks on an overlay of the tip's coins.
    let mut created: HashMap<OutPoint, Coin> = HashMap::new();
    let mut spent: HashSet<OutPoint> = HashSet::new();
    let mut fees: i64 = 0;
    for (i, tx) in block.txdata.iter().enumerate() {
        let txid = tx.compute_txid();
        // BIP30 against the tip's UTXO set (enforced on every chain at the
        // tip's heights: mainnet is past BIP34_IMPLIES_BIP30_LIMIT).
        for vout in 0..tx.output.len() as u32 {
            if cm.get_coin(&OutPoint { txid, vout })?.is_some() {
                return Err(E::Bip30.into());
            }
        }
        if !tx.is_coinbase() {
            let mut value_in: i64 = 0;
            let mut coins = Vec::with_capacity(tx.input.len());
            for input in &tx.input {
                let op = input.previous_output;
                let coin = if spent.contains(&op) {
                    None
                } else if let Some(c) = created.get(&op) {
                    Some(c.clone())
                } else {
                    cm.get_coin(&op)?
                };
                let Some(coin) = coin else {
                    return Err(E::InputsMissingOrSpent { index: i }.into());
                };
                coins.push(coin);
            }
            for coin in &coins {
                if coin.coinbase && height - coin.height < COINBASE_MATURITY {
                    return Err(E::PrematureSpendOfCoinbase {
                        depth: height - coin.height,
                    }
                    .into());
                }
                let v = coin.output.value.to_sat() as i64;
                value_in = value_in.saturating_add(v);
                if !money_range(v) || !money_range(value_in) {
                    return Err(E::InputValuesOutOfRange.into());
                }
            }
            let value_out: i64 = tx.output.iter().map(|o| o.value.to_sat() as i64).sum();
            if value_in < value_out {
                return Err(E::InBelowOut {
                    value_in: value_in as u64,
                    value_out: value_out as u64,
                }
                .into());
            }
            let fee = value_in - value_out;
            if !money_range(fee) {
                return Err(E::FeeOutOfRange.into());
            }
            fees += fee;
            if !money_range(fees) {
                return Err(E::AccumulatedFeeOutOfRange.into());
            }
            for input in &tx.input {
                created.remove(&input.previous_output);
                spent.insert(input.previous_output);
            }
        }
        for (vout, out) in tx.output.iter().enumerate() {
            let op = OutPoint {
                txid,
                vout: vout as u32,
            };
            spent.remove(&op);
            created.insert(
                op,
                Coin {
                    output: out.clone(),
                    height,
                    coinbase: tx.is_coinbase(),
                },
            );
        }
    }
    let limit = fees as u64 + get_block_subsidy(height, c);
    let actual: u64 = block.txdata[0]
        .output
        .iter()
        .map(|o| o.value.to_sat())
        .sum();
    if actual > limit {
        return Err(E::CoinbaseAmount { actual, limit }.into());
    }
    Ok(())
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
