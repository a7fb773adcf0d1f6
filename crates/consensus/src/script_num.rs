//! Script numbers (Core's `CScriptNum`): little-endian sign-magnitude integers of bounded length.

use crate::error::ScriptError;

/// Default maximum length of a numeric operand.
pub const DEFAULT_MAX_NUM_SIZE: usize = 4;

/// Decodes a script number. Too long, or (with `require_minimal`) not minimally encoded, fails
/// with `UNKNOWN_ERROR`, as Core's `scriptnum_error` exception ends up reported.
#[inline]
pub fn decode_num(data: &[u8], require_minimal: bool, max_size: usize) -> Result<i64, ScriptError> {
    if data.len() > max_size {
        return Err(ScriptError::UnknownError);
    }
    if require_minimal && !is_minimally_encoded(data) {
        return Err(ScriptError::UnknownError);
    }
    let Some((&last, _)) = data.split_last() else {
        return Ok(0);
    };
    let mut magnitude: i64 = 0;
    for (i, b) in data.iter().enumerate() {
        let b = if i + 1 == data.len() { b & 0x7f } else { *b };
        magnitude |= i64::from(b) << (8 * i);
    }
    Ok(if last & 0x80 != 0 {
        -magnitude
    } else {
        magnitude
    })
}

/// Whether `data` has no superfluous trailing zero byte.
pub fn is_minimally_encoded(data: &[u8]) -> bool {
    match data {
        [] => true,
        [.., last] if last & 0x7f != 0 => true,
        [_] => false,
        [.., prev, _] => prev & 0x80 != 0,
    }
}

/// Appends the minimal encoding of `n` to `out` (Core's `CScriptNum::serialize`).
pub fn encode_num_into(n: i64, out: &mut Vec<u8>) {
    if n == 0 {
        return;
    }
    let negative = n < 0;
    let mut abs = n.unsigned_abs();
    while abs != 0 {
        out.push((abs & 0xff) as u8);
        abs >>= 8;
    }
    let last = out.last_mut().expect("n != 0 wrote a byte");
    if *last & 0x80 != 0 {
        out.push(if negative { 0x80 } else { 0 });
    } else if negative {
        *last |= 0x80;
    }
}

/// The minimal encoding of `n`.
pub fn encode_num(n: i64) -> Vec<u8> {
    let mut v = Vec::with_capacity(9);
    encode_num_into(n, &mut v);
    v
}

/// Script truth: any non-zero byte, except that negative zero is false (Core's `CastToBool`).
#[inline]
pub fn cast_to_bool(data: &[u8]) -> bool {
    match data.split_last() {
        None => false,
        Some((&last, rest)) => rest.iter().any(|b| *b != 0) || (last != 0 && last != 0x80),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for n in [
            0i64,
            1,
            -1,
            127,
            128,
            -128,
            255,
            256,
            -255,
            0x7fff_ffff,
            -0x7fff_ffff,
            1 << 40,
        ] {
            let e = encode_num(n);
            assert_eq!(decode_num(&e, true, 8).unwrap(), n, "{n}");
        }
        assert_eq!(encode_num(-1), vec![0x81]);
        assert_eq!(encode_num(128), vec![0x80, 0x00]);
        assert_eq!(encode_num(-128), vec![0x80, 0x80]);
    }

    #[test]
    fn minimality_and_overflow() {
        assert!(decode_num(&[0x00], true, 4).is_err());
        assert_eq!(decode_num(&[0x00], false, 4).unwrap(), 0);
        assert!(decode_num(&[0x80], true, 4).is_err());
        assert!(decode_num(&[0x01, 0x00], true, 4).is_err());
        assert!(decode_num(&[0x80, 0x00], true, 4).is_ok());
        assert!(decode_num(&[1, 2, 3, 4, 5], false, 4).is_err());
        assert!(!cast_to_bool(&[0, 0, 0x80]));
        assert!(cast_to_bool(&[0, 1, 0x80]));
    }
}
