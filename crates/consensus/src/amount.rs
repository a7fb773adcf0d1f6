//! Amounts as Core prints them.

/// Core's `FormatMoney`: whole coins, a point, and the satoshis with trailing zeros trimmed
/// down to two decimals (`"0.00"`, `"0.00000001"`, `"-1.50"`).
pub fn format_money(amount: i64) -> String {
    let abs = amount.unsigned_abs();
    let coin = crate::constants::COIN;
    let mut s = format!("{}.{:08}", abs / coin, abs % coin);
    while s.ends_with('0') && s.len() >= 3 && s.as_bytes()[s.len() - 3].is_ascii_digit() {
        s.pop();
    }
    if amount < 0 {
        s.insert(0, '-');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::format_money;

    #[test]
    fn like_core() {
        assert_eq!(format_money(0), "0.00");
        assert_eq!(format_money(1), "0.00000001");
        assert_eq!(format_money(123_450_000), "1.2345");
        assert_eq!(format_money(-150_000_000), "-1.50");
    }
}
