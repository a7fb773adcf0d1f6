//! `Consensus::CheckTxInputs` over a `CoinView`.

mod common;

use std::collections::HashMap;

use bitcoin::{OutPoint, TxOut};
use common::*;
use widecoin_mempool::*;

fn coin(sat: u64, height: u32, is_coinbase: bool) -> Coin {
    Coin {
        output: TxOut {
            value: bitcoin::Amount::from_sat(sat),
            script_pubkey: bitcoin::ScriptBuf::from_bytes(vec![0x51]),
        },
        height,
        is_coinbase,
    }
}

fn view(coins: &[(OutPoint, Coin)]) -> HashMap<OutPoint, Coin> {
    coins.iter().cloned().collect()
}

fn spend(prevouts: &[OutPoint], out: &[u64]) -> bitcoin::Transaction {
    tx(
        prevouts.iter().map(|p| input(*p)).collect(),
        out.iter().map(|v| output(*v, vec![0x51])).collect(),
    )
}

fn rejection(e: InputsError) -> String {
    TxRejection::from(e).to_string()
}

#[test]
fn fee_and_missing_inputs() {
    let a = outpoint(1, 0);
    let b = outpoint(2, 3);
    let v = view(&[(a, coin(5000, 10, false)), (b, coin(3000, 11, false))]);
    assert_eq!(check_tx_inputs(&spend(&[a, b], &[7000]), &v, 12), Ok(1000));
    assert_eq!(check_tx_inputs(&spend(&[a, b], &[8000]), &v, 12), Ok(0));

    let missing = spend(&[a, outpoint(3, 0)], &[1]);
    let e = check_tx_inputs(&missing, &v, 12).unwrap_err();
    assert_eq!(e, InputsError::MissingOrSpent);
    assert_eq!(e.reject_reason(), "bad-txns-inputs-missingorspent");
    assert_eq!(e.result(), TxValidationResult::MissingInputs);
    assert_eq!(
        rejection(e),
        "bad-txns-inputs-missingorspent, CheckTxInputs: inputs missing/spent"
    );
    assert!(!v.have_inputs(&missing));
    assert_eq!(v.spent_outputs(&missing), None);
    assert_eq!(
        v.spent_outputs(&spend(&[b, a], &[1])).unwrap()[0]
            .value
            .to_sat(),
        3000
    );
    // Through a reference too.
    assert_eq!(check_tx_inputs(&spend(&[a], &[1]), &&v, 12), Ok(4999));
}

#[test]
fn coinbase_maturity_is_fifty() {
    let a = outpoint(1, 0);
    let v = view(&[(a, coin(50 * COIN, 100, true))]);
    let t = spend(&[a], &[COIN]);
    let e = check_tx_inputs(&t, &v, 149).unwrap_err();
    assert_eq!(e, InputsError::PrematureSpendOfCoinbase { depth: 49 });
    assert_eq!(e.result(), TxValidationResult::PrematureSpend);
    assert_eq!(
        rejection(e),
        "bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth 49"
    );
    assert_eq!(check_tx_inputs(&t, &v, 150), Ok(49 * COIN as i64));
    // A spend "below" the coin counts a negative depth.
    assert_eq!(
        check_tx_inputs(&t, &v, 90).unwrap_err().debug_message(),
        "tried to spend coinbase at depth -10"
    );
    // Non-coinbase coins are spendable at once.
    let v = view(&[(a, coin(50 * COIN, 100, false))]);
    assert!(check_tx_inputs(&t, &v, 100).is_ok());
}

#[test]
fn value_ranges() {
    let max = 35_000_000 * COIN;
    let a = outpoint(1, 0);
    let b = outpoint(1, 1);
    // One input above MAX_MONEY.
    let v = view(&[(a, coin(max + 1, 1, false))]);
    let e = check_tx_inputs(&spend(&[a], &[1]), &v, 2).unwrap_err();
    assert_eq!(e, InputsError::InputValuesOutOfRange);
    assert_eq!(rejection(e), "bad-txns-inputvalues-outofrange");
    assert_eq!(e.result(), TxValidationResult::Consensus);
    // Two inputs whose sum exceeds it (Widecoin's 35,000,000 WCN).
    let v = view(&[(a, coin(max, 1, false)), (b, coin(1, 1, false))]);
    assert_eq!(
        check_tx_inputs(&spend(&[a, b], &[1]), &v, 2),
        Err(InputsError::InputValuesOutOfRange)
    );
    // 21,000,001 WCN is fine on Widecoin.
    let v = view(&[(a, coin(21_000_001 * COIN, 1, false))]);
    assert!(check_tx_inputs(&spend(&[a], &[1]), &v, 2).is_ok());
    // A "negative" (huge) input value.
    let v = view(&[(a, coin(u64::MAX, 1, false))]);
    assert_eq!(
        check_tx_inputs(&spend(&[a], &[1]), &v, 2),
        Err(InputsError::InputValuesOutOfRange)
    );

    let v = view(&[(a, coin(1000, 1, false))]);
    let e = check_tx_inputs(&spend(&[a], &[600, 401]), &v, 2).unwrap_err();
    assert_eq!(
        e,
        InputsError::InBelowOut {
            value_in: 1000,
            value_out: 1001
        }
    );
    assert_eq!(
        rejection(e),
        "bad-txns-in-belowout, value in (0.00001) < value out (0.00001001)"
    );

    // A negative output (which CheckTransaction would have caught) pushes the fee above
    // MAX_MONEY.
    let v = view(&[(a, coin(max, 1, false))]);
    let t = spend(&[a], &[u64::MAX]);
    assert_eq!(check_tx_inputs(&t, &v, 2), Err(InputsError::FeeOutOfRange));
    assert_eq!(
        InputsError::FeeOutOfRange.to_string(),
        "bad-txns-fee-outofrange"
    );
}
