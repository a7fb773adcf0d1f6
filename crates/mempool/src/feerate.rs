//! Fee rates in satoshis per 1000 virtual bytes (Core's `CFeeRate`, `policy/feerate.cpp`) and
//! Core's amount formatting (`FormatMoney`, `util/moneystr.cpp`).
//!
//! Amounts are `i64` satoshis, like Core's `CAmount`: fee deltas, fee rates and
//! `GetFee` results can be negative.

use std::fmt;
use std::ops::AddAssign;

use widecoin_chainparams::consensus::COIN;

/// The formatted unit (Core's `CURRENCY_UNIT`).
pub const CURRENCY_UNIT: &str = "WCN";
/// The indivisible unit (Core's `CURRENCY_ATOM`).
pub const CURRENCY_ATOM: &str = "sat";

const COIN_I64: i64 = COIN as i64;

/// How a fee rate is printed or requested (Core's `FeeEstimateMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FeeEstimateMode {
    /// Default settings based on other criteria.
    Unset,
    /// Non-conservative estimates.
    Economical,
    /// Conservative estimates.
    Conservative,
    /// WCN per kvB (the default way of printing).
    #[default]
    WcnKvb,
    /// sat per vB.
    SatVb,
}

/// A fee rate in satoshis per 1000 virtual bytes (Core's `CFeeRate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FeeRate(i64);

impl FeeRate {
    /// Zero satoshis per kvB.
    pub const ZERO: FeeRate = FeeRate(0);

    /// A fee rate of `sat_per_kvb` satoshis per 1000 virtual bytes.
    pub const fn from_sat_per_kvb(sat_per_kvb: i64) -> FeeRate {
        FeeRate(sat_per_kvb)
    }

    /// The fee rate of paying `fee` satoshis for `vsize` virtual bytes, truncated to whole
    /// sat/kvB; zero for a zero size (Core's `CFeeRate(nFeePaid, num_bytes)`).
    pub fn from_fee_and_vsize(fee: i64, vsize: u32) -> FeeRate {
        if vsize == 0 {
            return FeeRate(0);
        }
        // i128: Core's int64 product cannot overflow for valid amounts; ours never can.
        let rate = i128::from(fee) * 1000 / i128::from(vsize);
        FeeRate(rate.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }

    /// Satoshis per 1000 virtual bytes (Core's `GetFeePerK`).
    pub const fn fee_per_k(self) -> i64 {
        self.0
    }

    /// The fee for `vsize` virtual bytes (Core's `GetFee`): rounded up (towards +infinity)
    /// to whole satoshis, and at least one satoshi (or minus one for a negative rate) for a
    /// non-zero size.
    pub fn get_fee(self, vsize: u32) -> i64 {
        // Core divides in double precision; so do we, so results agree bit for bit.
        let product = i128::from(self.0) * i128::from(vsize);
        let mut fee = (product as f64 / 1000.0).ceil() as i64;
        if fee == 0 && vsize != 0 {
            fee = self.0.signum();
        }
        fee
    }

    /// Core's `ToString(mode)`: `"0.00001000 WCN/kvB"`, or `"1.000 sat/vB"` for
    /// [`FeeEstimateMode::SatVb`].
    pub fn to_string_mode(self, mode: FeeEstimateMode) -> String {
        match mode {
            FeeEstimateMode::SatVb => {
                format!("{}.{:03} {CURRENCY_ATOM}/vB", self.0 / 1000, self.0 % 1000)
            }
            _ => format!(
                "{}.{:08} {CURRENCY_UNIT}/kvB",
                self.0 / COIN_I64,
                self.0 % COIN_I64
            ),
        }
    }
}

impl fmt::Display for FeeRate {
    /// In WCN/kvB, as Core's `CFeeRate::ToString()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_mode(FeeEstimateMode::WcnKvb))
    }
}

impl AddAssign for FeeRate {
    fn add_assign(&mut self, rhs: FeeRate) {
        self.0 += rhs.0;
    }
}

pub use widecoin_consensus::amount::format_money;

/// Core's `MoneyRange`: `0 <= value <= MAX_MONEY` (35,000,000 WCN).
pub fn money_range(value: i64) -> bool {
    widecoin_chainparams::consensus::money_range(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_fee_rounds_like_core() {
        let zero = FeeRate::ZERO;
        assert_eq!(zero.get_fee(0), 0);
        assert_eq!(zero.get_fee(100_000), 0);

        let r = FeeRate::from_sat_per_kvb(1000);
        for n in [0u32, 1, 121, 999, 1000, 9000] {
            assert_eq!(r.get_fee(n), i64::from(n));
        }
        let r = FeeRate::from_sat_per_kvb(-1000);
        for n in [0u32, 1, 121, 999, 1000, 9000] {
            assert_eq!(r.get_fee(n), -i64::from(n));
        }
        let r = FeeRate::from_sat_per_kvb(123);
        let cases = [
            (0, 0),
            (8, 1),
            (9, 2),
            (121, 15),
            (122, 16),
            (999, 123),
            (1000, 123),
            (9000, 1107),
        ];
        for (n, fee) in cases {
            assert_eq!(r.get_fee(n), fee, "123 sat/kvB for {n} vB");
        }
        let r = FeeRate::from_sat_per_kvb(-123);
        assert_eq!(r.get_fee(0), 0);
        assert_eq!(r.get_fee(8), -1);
        assert_eq!(r.get_fee(9), -1);
    }

    #[test]
    fn from_fee_and_vsize_truncates() {
        assert_eq!(FeeRate::from_fee_and_vsize(-1, 0), FeeRate::ZERO);
        assert_eq!(FeeRate::from_fee_and_vsize(1, 0), FeeRate::ZERO);
        assert_eq!(
            FeeRate::from_fee_and_vsize(-1, 1000),
            FeeRate::from_sat_per_kvb(-1)
        );
        assert_eq!(
            FeeRate::from_fee_and_vsize(1, 1000),
            FeeRate::from_sat_per_kvb(1)
        );
        assert_eq!(FeeRate::from_fee_and_vsize(1, 1001), FeeRate::ZERO);
        assert_eq!(
            FeeRate::from_fee_and_vsize(2, 1001),
            FeeRate::from_sat_per_kvb(1)
        );
        assert_eq!(
            FeeRate::from_fee_and_vsize(26, 789),
            FeeRate::from_sat_per_kvb(32)
        );
        assert_eq!(
            FeeRate::from_fee_and_vsize(27, 789),
            FeeRate::from_sat_per_kvb(34)
        );
        // The largest size does not overflow.
        let _ = FeeRate::from_fee_and_vsize(35_000_000 * COIN_I64, u32::MAX).fee_per_k();
    }

    #[test]
    fn ordering_and_sum() {
        let mut a = FeeRate::from_sat_per_kvb(1);
        let b = FeeRate::from_sat_per_kvb(2);
        assert!(a < b);
        assert!(b > a);
        assert!(a <= b);
        assert!(b >= a);
        a += a;
        assert_eq!(a, b);
    }

    #[test]
    fn to_string_like_core() {
        let r = FeeRate::from_sat_per_kvb(1);
        assert_eq!(r.to_string(), "0.00000001 WCN/kvB");
        assert_eq!(
            r.to_string_mode(FeeEstimateMode::WcnKvb),
            "0.00000001 WCN/kvB"
        );
        assert_eq!(r.to_string_mode(FeeEstimateMode::SatVb), "0.001 sat/vB");
        assert_eq!(
            FeeRate::from_sat_per_kvb(1000).to_string(),
            "0.00001000 WCN/kvB"
        );
        assert_eq!(
            FeeRate::from_sat_per_kvb(123_456_789).to_string(),
            "1.23456789 WCN/kvB"
        );
        assert_eq!(
            FeeRate::from_sat_per_kvb(3000).to_string_mode(FeeEstimateMode::SatVb),
            "3.000 sat/vB"
        );
        // Core prints the remainder with its sign inside the zero padding.
        assert_eq!(
            FeeRate::from_sat_per_kvb(-1).to_string(),
            "0.-0000001 WCN/kvB"
        );
    }

    #[test]
    fn format_money_like_core() {
        assert_eq!(format_money(0), "0.00");
        assert_eq!(format_money(1), "0.00000001");
        assert_eq!(format_money(10), "0.0000001");
        assert_eq!(format_money(1_000_000), "0.01");
        assert_eq!(format_money(COIN_I64), "1.00");
        assert_eq!(format_money(COIN_I64 / 2), "0.50");
        assert_eq!(format_money(123_456_789), "1.23456789");
        assert_eq!(format_money(-COIN_I64 * 3 / 2), "-1.50");
        assert_eq!(format_money(35_000_000 * COIN_I64), "35000000.00");
        assert_eq!(format_money(i64::MIN), "-92233720368.54775808");
    }
}
