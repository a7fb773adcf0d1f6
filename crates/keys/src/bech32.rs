//! Bech32 and Bech32m (BIP173, BIP350) as Widecoin Core's `bech32.cpp` has them:
//! encoding, decoding with Core's acceptance rules (at most 90 characters, no
//! mixed case), and `LocateErrors`, which finds up to two substitution errors
//! for `validateaddress`'s `error_locations`.
//!
//! The `bech32` crate decodes just as well but cannot locate errors, and its
//! length limits differ; the code is small enough to own.

use std::sync::OnceLock;

/// The 32 symbols, in value order.
const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// The longest string Core decodes.
const MAX_LENGTH: usize = 90;

/// Which checksum a string carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// BIP173.
    Bech32,
    /// BIP350.
    Bech32m,
}

impl Encoding {
    fn constant(self) -> u32 {
        match self {
            Encoding::Bech32 => 1,
            Encoding::Bech32m => 0x2bc8_30a3,
        }
    }
}

/// A decoded string: its encoding, lower-case HRP and 5-bit data without the checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub encoding: Encoding,
    pub hrp: String,
    pub data: Vec<u8>,
}

fn symbol_value(c: u8) -> Option<u8> {
    CHARSET
        .iter()
        .position(|&s| s == c.to_ascii_lowercase())
        .map(|p| p as u8)
}

/// The BCH remainder of `values` modulo the generator (with the implicit leading 1).
fn polymod(values: impl IntoIterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn expand_hrp(hrp: &str) -> Vec<u8> {
    let b = hrp.as_bytes();
    let mut out: Vec<u8> = b.iter().map(|c| c >> 5).collect();
    out.push(0);
    out.extend(b.iter().map(|c| c & 31));
    out
}

fn residue(hrp: &str, values: &[u8]) -> u32 {
    polymod(expand_hrp(hrp).into_iter().chain(values.iter().copied()))
}

/// Encodes `values` (5-bit groups) under a lower-case `hrp`.
pub fn encode(encoding: Encoding, hrp: &str, values: &[u8]) -> String {
    debug_assert!(!hrp.bytes().any(|c| c.is_ascii_uppercase()));
    let mut all = values.to_vec();
    all.extend([0u8; 6]);
    let m = residue(hrp, &all) ^ encoding.constant();
    let mut s = String::with_capacity(hrp.len() + 1 + values.len() + 6);
    s.push_str(hrp);
    s.push('1');
    for &v in values {
        s.push(CHARSET[v as usize] as char);
    }
    for i in 0..6 {
        s.push(CHARSET[((m >> (5 * (5 - i))) & 31) as usize] as char);
    }
    s
}

/// Positions of characters that are out of range or break the string's case.
fn check_characters(s: &[u8]) -> Vec<usize> {
    let (mut lower, mut upper) = (false, false);
    let mut errors = Vec::new();
    for (i, &c) in s.iter().enumerate() {
        if c.is_ascii_lowercase() {
            if upper {
                errors.push(i);
            } else {
                lower = true;
            }
        } else if c.is_ascii_uppercase() {
            if lower {
                errors.push(i);
            } else {
                upper = true;
            }
        } else if !(33..=126).contains(&c) {
            errors.push(i);
        }
    }
    errors
}

/// Decodes a Bech32 or Bech32m string (Core's `bech32::Decode`); `None` when invalid.
pub fn decode(s: &str) -> Option<Decoded> {
    let b = s.as_bytes();
    if !check_characters(b).is_empty() || b.len() > MAX_LENGTH {
        return None;
    }
    let pos = b.iter().rposition(|&c| c == b'1')?;
    if pos == 0 || pos + 7 > b.len() {
        return None;
    }
    let values = b[pos + 1..]
        .iter()
        .map(|&c| symbol_value(c))
        .collect::<Option<Vec<u8>>>()?;
    let hrp = s[..pos].to_ascii_lowercase();
    let check = residue(&hrp, &values);
    let encoding = [Encoding::Bech32, Encoding::Bech32m]
        .into_iter()
        .find(|e| e.constant() == check)?;
    let data = values[..values.len() - 6].to_vec();
    Some(Decoded {
        encoding,
        hrp,
        data,
    })
}

/// Regroups bits (`ConvertBits`): `from`-bit groups into `to`-bit groups.
/// With `pad`, a partial group is zero-padded; without, leftover bits must be
/// fewer than `from` and all zero.
pub fn convert_bits(data: &[u8], from: u32, to: u32, pad: bool) -> Option<Vec<u8>> {
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    let maxv: u32 = (1 << to) - 1;
    let mut out = Vec::with_capacity(data.len() * from as usize / to as usize + 1);
    for &v in data {
        acc = (acc << from) | u32::from(v);
        bits += from;
        while bits >= to {
            bits -= to;
            out.push(((acc >> bits) & maxv) as u8);
        }
    }
    if pad {
        if bits > 0 {
            out.push(((acc << (to - bits)) & maxv) as u8);
        }
    } else if bits >= from || ((acc << (to - bits)) & maxv) != 0 {
        return None;
    }
    Some(out)
}

/// GF(1024) as a degree-2 extension of GF(32) (x^2 + 9x + 23 over GF(32) with
/// modulus x^5 + x^3 + 1), as exp/log tables of its primitive element.
struct Gf1024 {
    exp: [u16; 1023],
    log: [i16; 1024],
}

fn gf1024() -> &'static Gf1024 {
    static TABLES: OnceLock<Gf1024> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut gf32_exp = [0u8; 31];
        let mut gf32_log = [0i8; 32];
        gf32_exp[0] = 1;
        gf32_log[0] = -1;
        let mut v: u8 = 1;
        for (i, slot) in gf32_exp.iter_mut().enumerate().skip(1) {
            v <<= 1;
            if v & 32 != 0 {
                v ^= 41;
            }
            *slot = v;
            gf32_log[v as usize] = i as i8;
        }
        let mul32 = |a: u16, b: u8| -> u16 {
            if a == 0 {
                0
            } else {
                let l = (gf32_log[a as usize] as usize + gf32_log[b as usize] as usize) % 31;
                u16::from(gf32_exp[l])
            }
        };
        let mut exp = [0u16; 1023];
        let mut log = [0i16; 1024];
        exp[0] = 1;
        log[0] = -1;
        let mut v: u16 = 1;
        for (i, slot) in exp.iter_mut().enumerate().skip(1) {
            let (v0, v1) = (v & 31, v >> 5);
            let n0 = mul32(v1, 23);
            let n1 = mul32(v1, 9) ^ v0;
            v = (n1 << 5) | n0;
            *slot = v;
            log[v as usize] = i as i16;
        }
        Gf1024 { exp, log }
    })
}

/// The three syndromes R(e^997), R(e^998), R(e^999) of a residue, packed
/// 10 bits each (lowest is 997).
fn syndrome(residue: u32, gf: &Gf1024) -> u32 {
    let low = residue & 0x1f;
    let mut result = low ^ (low << 10) ^ (low << 20);
    for k in 1..6usize {
        for shift in 0..5usize {
            if (residue >> (5 * k + shift)) & 1 == 0 {
                continue;
            }
            let b = gf.log[1 << shift] as usize;
            let c0 = u32::from(gf.exp[(997 * k + b) % 1023]);
            let c1 = u32::from(gf.exp[(998 * k + b) % 1023]);
            let c2 = u32::from(gf.exp[(999 * k + b) % 1023]);
            result ^= (c2 << 20) | (c1 << 10) | c0;
        }
    }
    result
}

/// Up to two error positions (counted from the right end of the data) that
/// explain a non-zero residue, or nothing when none fits.
fn find_errors(res: u32, length: usize) -> Vec<usize> {
    let gf = gf1024();
    let syn = syndrome(res, gf);
    let (s0, s1, s2) = (
        (syn & 0x3ff) as usize,
        ((syn >> 10) & 0x3ff) as usize,
        (syn >> 20) as usize,
    );
    let (l0, l1, l2) = (gf.log[s0] as i64, gf.log[s1] as i64, gf.log[s2] as i64);
    if l0 != -1 && l1 != -1 && l2 != -1 && (2 * l1 - l2 - l0 + 2046) % 1023 == 0 {
        // One error: s1/s0 = e^p1.
        let p1 = ((l1 - l0 + 1023) % 1023) as usize;
        let l_e1 = l0 + (1023 - 997) * p1 as i64;
        if p1 < length && l_e1 % 33 == 0 {
            return vec![p1];
        }
        return Vec::new();
    }
    let exp = |i: i64| i64::from(gf.exp[(i % 1023) as usize]);
    let log = |v: i64| i64::from(gf.log[v as usize]);
    for p1 in 0..length as i64 {
        let s2_s1p1 = s2 as i64 ^ if s1 == 0 { 0 } else { exp(l1 + p1) };
        if s2_s1p1 == 0 {
            continue;
        }
        let s1_s0p1 = s1 as i64 ^ if s0 == 0 { 0 } else { exp(l0 + p1) };
        if s1_s0p1 == 0 {
            continue;
        }
        let p2 = (log(s2_s1p1) - log(s1_s0p1) + 1023) % 1023;
        if p2 >= length as i64 || p1 == p2 {
            continue;
        }
        let s1_s0p2 = s1 as i64 ^ if s0 == 0 { 0 } else { exp(l0 + p2) };
        if s1_s0p2 == 0 {
            continue;
        }
        let inv = 1023 - log(exp(p1) ^ exp(p2));
        let l_e2 = log(s1_s0p1) + inv + (1023 - 997) * p2;
        if l_e2 % 33 != 0 {
            continue;
        }
        let l_e1 = log(s1_s0p2) + inv + (1023 - 997) * p1;
        if l_e1 % 33 != 0 {
            continue;
        }
        return vec![p1.max(p2) as usize, p1.min(p2) as usize];
    }
    Vec::new()
}

/// Why a string is not valid Bech32/Bech32m and where the errors probably are
/// (Core's `bech32::LocateErrors`). An empty message means no error.
pub fn locate_errors(s: &str) -> (String, Vec<usize>) {
    let b = s.as_bytes();
    if b.len() > MAX_LENGTH {
        return (
            "Bech32 string too long".into(),
            (MAX_LENGTH..b.len()).collect(),
        );
    }
    let bad = check_characters(b);
    if !bad.is_empty() {
        return ("Invalid character or mixed case".into(), bad);
    }
    let Some(pos) = b.iter().rposition(|&c| c == b'1') else {
        return ("Missing separator".into(), Vec::new());
    };
    if pos == 0 || pos + 7 > b.len() {
        return ("Invalid separator position".into(), vec![pos]);
    }
    let hrp = s[..pos].to_ascii_lowercase();
    let mut values = Vec::with_capacity(b.len() - pos - 1);
    for (i, &c) in b.iter().enumerate().skip(pos + 1) {
        match symbol_value(c) {
            Some(v) => values.push(v),
            None => return ("Invalid Base 32 character".into(), vec![i]),
        }
    }
    let length = values.len();
    let r = residue(&hrp, &values);
    let mut best: Vec<usize> = Vec::new();
    let mut best_encoding = None;
    for encoding in [Encoding::Bech32, Encoding::Bech32m] {
        let res = r ^ encoding.constant();
        if res == 0 {
            return (String::new(), Vec::new());
        }
        let found: Vec<usize> = find_errors(res, length)
            .into_iter()
            .map(|p| b.len() - p - 1)
            .collect();
        if best.is_empty() || (!found.is_empty() && found.len() < best.len()) {
            best = found;
            if !best.is_empty() {
                best_encoding = Some(encoding);
            }
        }
    }
    let msg = match best_encoding {
        Some(Encoding::Bech32m) => "Invalid Bech32m checksum",
        Some(Encoding::Bech32) => "Invalid Bech32 checksum",
        None => "Invalid checksum",
    };
    (msg.into(), best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bip173_and_bip350_valid_strings_decode() {
        for s in [
            "A12UEL5L",
            "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        ] {
            assert_eq!(decode(s).unwrap().encoding, Encoding::Bech32, "{s}");
        }
        for s in ["A1LQFN3A", "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx"] {
            assert_eq!(decode(s).unwrap().encoding, Encoding::Bech32m, "{s}");
        }
    }

    #[test]
    fn encoding_round_trips() {
        let data: Vec<u8> = (0..32).collect();
        for e in [Encoding::Bech32, Encoding::Bech32m] {
            let s = encode(e, "wcrt", &data);
            let d = decode(&s).unwrap();
            assert_eq!(
                (d.encoding, d.hrp.as_str(), d.data),
                (e, "wcrt", data.clone())
            );
            assert_eq!(locate_errors(&s), (String::new(), vec![]));
        }
    }

    #[test]
    fn locates_one_and_two_substitutions() {
        let good = encode(Encoding::Bech32, "wc", &[0; 33]);
        let mut one = good.clone().into_bytes();
        one[10] = b'p';
        let (msg, locs) = locate_errors(std::str::from_utf8(&one).unwrap());
        assert_eq!((msg.as_str(), locs), ("Invalid Bech32 checksum", vec![10]));
        let mut two = one.clone();
        two[20] = b'z';
        let (msg, locs) = locate_errors(std::str::from_utf8(&two).unwrap());
        assert_eq!(
            (msg.as_str(), locs),
            ("Invalid Bech32 checksum", vec![10, 20])
        );
    }

    #[test]
    fn core_error_messages() {
        assert_eq!(
            locate_errors("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"),
            ("Invalid Bech32 checksum".into(), vec![41])
        );
        assert_eq!(
            locate_errors("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3t4"),
            ("Invalid character or mixed case".into(), vec![40])
        );
        assert_eq!(
            locate_errors("bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4"),
            ("Invalid Base 32 character".into(), vec![59])
        );
        assert_eq!(locate_errors("noseparator").0, "Missing separator");
        assert_eq!(
            locate_errors("1qqqqqqqq"),
            ("Invalid separator position".into(), vec![0])
        );
    }

    #[test]
    fn convert_bits_checks_padding() {
        assert_eq!(convert_bits(&[0xff], 8, 5, true), Some(vec![31, 28]));
        assert_eq!(convert_bits(&[31, 28], 5, 8, false), Some(vec![0xff]));
        assert_eq!(convert_bits(&[31, 29], 5, 8, false), None);
    }
}
