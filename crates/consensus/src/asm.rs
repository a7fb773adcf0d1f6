//! The script text syntax of Core's test vectors and `widecoin-tx` (Core's `ParseScript` in
//! `core_read.cpp`): decimal numbers, `0x..` raw bytes, `'..'` pushes, opcode names with or
//! without `OP_`, separated by spaces, tabs or newlines.

use crate::opcodes;
use crate::script::push_data;
use crate::script_num::encode_num;

/// Why a script text did not parse. The messages are Core's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseScriptError {
    /// A decimal outside -0xFFFFFFFF..=0xFFFFFFFF.
    #[error("script parse error: decimal numeric value only allowed in the range -0xFFFFFFFF...0xFFFFFFFF")]
    NumberOutOfRange(String),
    /// A word that is no number, hex, string or opcode.
    #[error("script parse error: unknown opcode")]
    UnknownOpcode(String),
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn decode_hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("checked by is_hex"))
        .collect()
}

/// Appends a number the way `CScript << int64_t` does: OP_0, OP_1NEGATE, OP_1..OP_16, or a
/// push of its script number encoding.
pub fn push_int(out: &mut Vec<u8>, n: i64) {
    if n == -1 || (1..=16).contains(&n) {
        out.push((n + i64::from(opcodes::OP_1 - 1)) as u8);
    } else if n == 0 {
        out.push(opcodes::OP_0);
    } else {
        push_data(out, &encode_num(n));
    }
}

/// Parses script text into script bytes.
pub fn parse_script(text: &str) -> Result<Vec<u8>, ParseScriptError> {
    let mut out = Vec::new();
    for word in text.split([' ', '\t', '\n']).filter(|w| !w.is_empty()) {
        let digits = word.strip_prefix('-').unwrap_or(word);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let n: i64 = word
                .parse()
                .ok()
                .filter(|n: &i64| (-0xffff_ffff..=0xffff_ffff).contains(n))
                .ok_or_else(|| ParseScriptError::NumberOutOfRange(word.to_owned()))?;
            push_int(&mut out, n);
        } else if let Some(hex) = word.strip_prefix("0x").filter(|h| is_hex(h)) {
            // Raw bytes, inserted as they are, not pushed.
            out.extend(decode_hex(hex));
        } else if word.len() >= 2 && word.starts_with('\'') && word.ends_with('\'') {
            push_data(&mut out, &word.as_bytes()[1..word.len() - 1]);
        } else {
            let op = opcodes::from_name(word)
                .ok_or_else(|| ParseScriptError::UnknownOpcode(word.to_owned()))?;
            out.push(op);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_core_syntax() {
        assert_eq!(
            parse_script("0 1 16 -1 17").unwrap(),
            vec![0x00, 0x51, 0x60, 0x4f, 0x01, 0x11]
        );
        assert_eq!(
            parse_script("0x4c01 0x07 ADD OP_ADD").unwrap(),
            vec![0x4c, 0x01, 0x07, 0x93, 0x93]
        );
        assert_eq!(
            parse_script("'ab' ''").unwrap(),
            vec![0x02, b'a', b'b', 0x00]
        );
        assert_eq!(parse_script("NOP2 CHECKLOCKTIMEVERIFY").ok(), None);
        assert_eq!(
            parse_script("CHECKLOCKTIMEVERIFY RESERVED").unwrap(),
            vec![0xb1, 0x50]
        );
        assert!(parse_script("4294967296").is_err());
        assert_eq!(
            parse_script("-4294967295").unwrap(),
            vec![0x05, 0xff, 0xff, 0xff, 0xff, 0x80]
        );
    }
}
