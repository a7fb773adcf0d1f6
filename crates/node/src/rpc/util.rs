//! Value formatting shared by the node's RPC methods, matching UniValue's
//! output byte for byte (the test framework compares numbers as text in places).

use serde_json::{Number, Value};

/// `ValueFromAmount`: satoshis as a JSON number with exactly 8 decimals.
pub fn amount(sats: i64) -> Value {
    let sign = if sats < 0 { "-" } else { "" };
    let abs = sats.unsigned_abs();
    number(&format!(
        "{sign}{}.{:08}",
        abs / 100_000_000,
        abs % 100_000_000
    ))
}

/// UniValue's `setFloat`: `std::setprecision(16)`, i.e. C's `%.16g`.
pub fn float(v: f64) -> Value {
    number(&format_g16(v))
}

fn number(text: &str) -> Value {
    Value::Number(text.parse::<Number>().expect("a valid JSON number"))
}

/// C's `%.16g`.
pub fn format_g16(v: f64) -> String {
    const PRECISION: i32 = 16;
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return "null".into();
    }
    let sci = format!("{:.*e}", (PRECISION - 1) as usize, v);
    let (mantissa, exp) = sci.split_once('e').expect("scientific notation");
    let exp: i32 = exp.parse().expect("an exponent");
    if !(-4..PRECISION).contains(&exp) {
        let m = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (PRECISION - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{:.*}", decimals, v)).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_have_eight_decimals() {
        assert_eq!(amount(1000).to_string(), "0.00001000");
        assert_eq!(amount(350_000_000_000_000).to_string(), "3500000.00000000");
        assert_eq!(amount(-1).to_string(), "-0.00000001");
    }

    #[test]
    fn floats_print_like_univalue() {
        assert_eq!(format_g16(4.6565423739069247e-10), "4.656542373906925e-10");
        assert_eq!(format_g16(1.0), "1");
        assert_eq!(format_g16(0.000244140625), "0.000244140625");
        assert_eq!(format_g16(123456.5), "123456.5");
        assert_eq!(format_g16(1e20), "1e+20");
        assert_eq!(format_g16(0.1 + 0.2), "0.3");
    }
}
