//! Context-free transaction checks (Core's `CheckTransaction`, `consensus/tx_check.cpp`).

use std::collections::HashSet;

use bitcoin::Transaction;

use crate::constants::{MAX_BLOCK_WEIGHT, MAX_MONEY, WITNESS_SCALE_FACTOR};
use crate::error::TxValidationError;

/// Checks the rules that need no chain state: non-empty inputs and outputs, stripped size,
/// output amounts within Widecoin's MAX_MONEY, no duplicate inputs, coinbase scriptSig length,
/// and no null prevouts outside the coinbase.
pub fn check_transaction(tx: &Transaction) -> Result<(), TxValidationError> {
    if tx.input.is_empty() {
        return Err(TxValidationError::VinEmpty);
    }
    if tx.output.is_empty() {
        return Err(TxValidationError::VoutEmpty);
    }
    // Without witness: the witness is not yet checked for malleability here.
    let size = tx.base_size();
    if size as u64 * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT {
        return Err(TxValidationError::Oversize { size });
    }
    let max_money = MAX_MONEY as i64;
    let mut total: i64 = 0;
    for (index, out) in tx.output.iter().enumerate() {
        // Amounts are signed 64-bit on the wire: a negative value decodes to a huge u64.
        let value = out.value.to_sat() as i64;
        if value < 0 {
            return Err(TxValidationError::VoutNegative { index });
        }
        if value > max_money {
            return Err(TxValidationError::VoutTooLarge { index });
        }
        // Both are at most MAX_MONEY, so the sum cannot overflow.
        total += value;
        if total > max_money {
            return Err(TxValidationError::TxoutTotalTooLarge);
        }
    }
    let mut seen = HashSet::with_capacity(tx.input.len());
    for (index, input) in tx.input.iter().enumerate() {
        if !seen.insert(input.previous_output) {
            return Err(TxValidationError::InputsDuplicate { index });
        }
    }
    if tx.is_coinbase() {
        let len = tx.input[0].script_sig.len();
        if !(2..=100).contains(&len) {
            return Err(TxValidationError::CoinbaseLength { len });
        }
    } else if let Some(index) = tx.input.iter().position(|i| i.previous_output.is_null()) {
        return Err(TxValidationError::PrevoutNull { index });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use bitcoin::absolute::LockTime;
    use bitcoin::hashes::Hash;
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, TxIn, TxOut, Txid, Witness};

    use super::*;
    use crate::constants::COIN;

    fn input(n: u8) -> TxIn {
        TxIn {
            previous_output: OutPoint {
                txid: Txid::from_byte_array([n; 32]),
                vout: 0,
            },
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }
    }

    fn output(sat: u64) -> TxOut {
        TxOut {
            value: Amount::from_sat(sat),
            script_pubkey: ScriptBuf::new(),
        }
    }

    fn tx(input: Vec<TxIn>, output: Vec<TxOut>) -> Transaction {
        Transaction {
            version: Version(2),
            lock_time: LockTime::ZERO,
            input,
            output,
        }
    }

    fn reason(t: &Transaction) -> &'static str {
        check_transaction(t)
            .err()
            .map_or("ok", |e| e.reject_reason())
    }

    #[test]
    fn reject_reasons() {
        assert_eq!(reason(&tx(vec![], vec![output(1)])), "bad-txns-vin-empty");
        assert_eq!(reason(&tx(vec![input(1)], vec![])), "bad-txns-vout-empty");
        assert_eq!(
            reason(&tx(vec![input(1)], vec![output(-1i64 as u64)])),
            "bad-txns-vout-negative"
        );
        assert_eq!(
            reason(&tx(vec![input(1)], vec![output(MAX_MONEY + 1)])),
            "bad-txns-vout-toolarge"
        );
        assert_eq!(reason(&tx(vec![input(1)], vec![output(MAX_MONEY)])), "ok");
        // Widecoin: 21,000,000 coins + 1 sat is fine, 35,000,000 + 1 sat in total is not.
        assert_eq!(
            reason(&tx(vec![input(1)], vec![output(21_000_000 * COIN + 1)])),
            "ok"
        );
        let two = vec![output(MAX_MONEY), output(1)];
        assert_eq!(
            reason(&tx(vec![input(1)], two)),
            "bad-txns-txouttotal-toolarge"
        );
        assert_eq!(
            reason(&tx(vec![input(1), input(1)], vec![output(1)])),
            "bad-txns-inputs-duplicate"
        );
        let mut null = input(0);
        null.previous_output = OutPoint::null();
        assert_eq!(
            reason(&tx(vec![input(1), null.clone()], vec![output(1)])),
            "bad-txns-prevout-null"
        );
        assert_eq!(
            reason(&tx(vec![null.clone()], vec![output(1)])),
            "bad-cb-length"
        );
        null.script_sig = ScriptBuf::from_bytes(vec![0; 2]);
        assert_eq!(reason(&tx(vec![null.clone()], vec![output(1)])), "ok");
        null.script_sig = ScriptBuf::from_bytes(vec![0; 101]);
        assert_eq!(reason(&tx(vec![null], vec![output(1)])), "bad-cb-length");
    }

    #[test]
    fn oversize_uses_stripped_size_and_widecoin_weight() {
        // 8,000,000 stripped bytes is the limit (MAX_BLOCK_WEIGHT / 4).
        let mut big = input(1);
        big.script_sig = ScriptBuf::from_bytes(vec![0x51; 7_999_900]);
        let t = tx(vec![big.clone()], vec![output(1)]);
        assert!(t.base_size() <= 8_000_000);
        assert_eq!(reason(&t), "ok");
        big.script_sig = ScriptBuf::from_bytes(vec![0x51; 8_000_000]);
        assert_eq!(reason(&tx(vec![big], vec![output(1)])), "bad-txns-oversize");
    }
}
