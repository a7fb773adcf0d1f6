//! ECDSA signature and public key encoding rules (BIP66 strict DER, low S, STRICTENC) and
//! verification with Core's lax DER parser for signatures that predate BIP66.

use std::sync::LazyLock;

use bitcoin::secp256k1::{ecdsa, Message, PublicKey, Secp256k1, VerifyOnly};

use crate::error::ScriptError;
use crate::flags::ScriptFlags;
use crate::interpreter::SigVersion;

/// The verification context shared by every check.
pub(crate) static SECP: LazyLock<Secp256k1<VerifyOnly>> =
    LazyLock::new(Secp256k1::verification_only);

/// Half the secp256k1 group order, big-endian: S values above it are "high".
const HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// `SIGHASH_ALL`, `SIGHASH_NONE`, `SIGHASH_SINGLE`, `SIGHASH_ANYONECANPAY`.
pub const SIGHASH_ALL: u32 = 1;
/// See [`SIGHASH_ALL`].
pub const SIGHASH_NONE: u32 = 2;
/// See [`SIGHASH_ALL`].
pub const SIGHASH_SINGLE: u32 = 3;
/// See [`SIGHASH_ALL`].
pub const SIGHASH_ANYONECANPAY: u32 = 0x80;

/// BIP66 strict DER, including the trailing hash type byte (Core's `IsValidSignatureEncoding`).
pub fn is_valid_signature_encoding(sig: &[u8]) -> bool {
    let len = sig.len();
    if !(9..=73).contains(&len) || sig[0] != 0x30 || usize::from(sig[1]) != len - 3 {
        return false;
    }
    let len_r = usize::from(sig[3]);
    if 5 + len_r >= len {
        return false;
    }
    let len_s = usize::from(sig[5 + len_r]);
    if len_r + len_s + 7 != len {
        return false;
    }
    let integer_ok = |tag: u8, int: &[u8]| {
        tag == 0x02
            && !int.is_empty()
            && int[0] & 0x80 == 0
            && !(int.len() > 1 && int[0] == 0 && int[1] & 0x80 == 0)
    };
    integer_ok(sig[2], &sig[4..4 + len_r])
        && integer_ok(sig[4 + len_r], &sig[6 + len_r..6 + len_r + len_s])
}

/// Core's `ecdsa_signature_parse_der_lax`: `None` where it returns 0; otherwise the 64-byte
/// compact form, all zero when R or S overflows (such a signature never verifies).
pub fn parse_der_lax(input: &[u8]) -> Option<[u8; 64]> {
    let n = input.len();
    let mut pos = 0usize;
    if input.first() != Some(&0x30) {
        return None;
    }
    pos += 1;
    let lenbyte = usize::from(*input.get(pos)?);
    pos += 1;
    if lenbyte & 0x80 != 0 {
        let skip = lenbyte - 0x80;
        if skip > n - pos {
            return None;
        }
        pos += skip;
    }
    let read_integer = |pos: &mut usize| -> Option<(usize, usize)> {
        if *pos == n || input[*pos] != 0x02 {
            return None;
        }
        *pos += 1;
        let mut lenbyte = usize::from(*input.get(*pos)?);
        *pos += 1;
        let len = if lenbyte & 0x80 != 0 {
            lenbyte -= 0x80;
            if lenbyte > n - *pos {
                return None;
            }
            while lenbyte > 0 && input[*pos] == 0 {
                *pos += 1;
                lenbyte -= 1;
            }
            if lenbyte >= 4 {
                return None;
            }
            let mut len = 0usize;
            while lenbyte > 0 {
                len = (len << 8) + usize::from(input[*pos]);
                *pos += 1;
                lenbyte -= 1;
            }
            len
        } else {
            lenbyte
        };
        if len > n - *pos {
            return None;
        }
        let start = *pos;
        Some((start, len))
    };
    let (rpos, rlen) = read_integer(&mut pos)?;
    pos += rlen;
    let (spos, slen) = read_integer(&mut pos)?;

    let strip = |mut p: usize, mut l: usize| {
        while l > 0 && input[p] == 0 {
            p += 1;
            l -= 1;
        }
        (p, l)
    };
    let (rpos, rlen) = strip(rpos, rlen);
    let (spos, slen) = strip(spos, slen);
    let mut compact = [0u8; 64];
    if rlen > 32 || slen > 32 {
        return Some([0u8; 64]);
    }
    compact[32 - rlen..32].copy_from_slice(&input[rpos..rpos + rlen]);
    compact[64 - slen..].copy_from_slice(&input[spos..spos + slen]);
    if ecdsa::Signature::from_compact(&compact).is_err() {
        return Some([0u8; 64]);
    }
    Some(compact)
}

/// Whether a signature (without hash type byte) has a low S after lax parsing (Core's
/// `CPubKey::CheckLowS`).
pub fn check_low_s(sig: &[u8]) -> bool {
    match parse_der_lax(sig) {
        None => false,
        Some(compact) => compact[32..] <= HALF_ORDER[..],
    }
}

/// Whether the hash type byte is ALL, NONE or SINGLE, optionally with ANYONECANPAY
/// (Core's `IsDefinedHashtypeSignature`).
pub fn is_defined_hashtype_signature(sig: &[u8]) -> bool {
    match sig.last() {
        None => false,
        Some(&b) => {
            let base = u32::from(b) & !SIGHASH_ANYONECANPAY;
            (SIGHASH_ALL..=SIGHASH_SINGLE).contains(&base)
        }
    }
}

/// Core's `CheckSignatureEncoding`. The empty signature is always allowed (it is how a script
/// says "no signature").
pub fn check_signature_encoding(sig: &[u8], flags: ScriptFlags) -> Result<(), ScriptError> {
    if sig.is_empty() {
        return Ok(());
    }
    if flags.intersects(ScriptFlags::DERSIG | ScriptFlags::LOW_S | ScriptFlags::STRICTENC)
        && !is_valid_signature_encoding(sig)
    {
        return Err(ScriptError::SigDer);
    }
    if flags.contains(ScriptFlags::LOW_S) && !check_low_s(&sig[..sig.len() - 1]) {
        return Err(ScriptError::SigHighS);
    }
    if flags.contains(ScriptFlags::STRICTENC) && !is_defined_hashtype_signature(sig) {
        return Err(ScriptError::SigHashtype);
    }
    Ok(())
}

/// Compressed (33 bytes, 0x02/0x03) or uncompressed (65 bytes, 0x04) SEC encoding.
pub fn is_compressed_or_uncompressed_pubkey(pk: &[u8]) -> bool {
    match pk.first() {
        Some(0x04) => pk.len() == 65,
        Some(0x02 | 0x03) => pk.len() == 33,
        _ => false,
    }
}

/// Core's `CheckPubKeyEncoding`.
pub fn check_pubkey_encoding(
    pk: &[u8],
    flags: ScriptFlags,
    sigversion: SigVersion,
) -> Result<(), ScriptError> {
    if flags.contains(ScriptFlags::STRICTENC) && !is_compressed_or_uncompressed_pubkey(pk) {
        return Err(ScriptError::PubkeyType);
    }
    if flags.contains(ScriptFlags::WITNESS_PUBKEYTYPE)
        && sigversion == SigVersion::WitnessV0
        && !(pk.len() == 33 && matches!(pk[0], 0x02 | 0x03))
    {
        return Err(ScriptError::WitnessPubkeyType);
    }
    Ok(())
}

/// Parses a public key as `CPubKey` does: the length must match the header byte (33 for
/// 0x02/0x03, 65 for 0x04/0x06/0x07), then libsecp256k1 must accept it (hybrid keys included).
pub fn parse_pubkey(pk: &[u8]) -> Option<PublicKey> {
    let expected = match pk.first()? {
        0x02 | 0x03 => 33,
        0x04 | 0x06 | 0x07 => 65,
        _ => return None,
    };
    if pk.len() != expected {
        return None;
    }
    PublicKey::from_slice(pk).ok()
}

/// Verifies a DER signature (without hash type byte) over `digest`, parsing laxly and
/// normalizing S first, as Core's `CPubKey::Verify` does.
pub fn verify_ecdsa(sig: &[u8], pubkey: &PublicKey, digest: &[u8; 32]) -> bool {
    let Some(compact) = parse_der_lax(sig) else {
        return false;
    };
    let Ok(mut signature) = ecdsa::Signature::from_compact(&compact) else {
        return false;
    };
    signature.normalize_s();
    SECP.verify_ecdsa(&Message::from_digest(*digest), &signature, pubkey)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_der() {
        let good = hex::decode("3044022057292e2d4dfe775becdd0a9e6547997c728cdf35390f6a017da56d654d374e4902206b643be2fc53763b4e284845bfea2c597d2dc7759941dce937636c9d341b71ed01").unwrap();
        assert!(is_valid_signature_encoding(&good));
        assert!(parse_der_lax(&good[..good.len() - 1]).is_some());
        let mut padded = good.clone();
        padded[4] = 0x00; // would need another length to be valid
        assert!(!is_valid_signature_encoding(&padded[..10]));
        assert!(!is_valid_signature_encoding(&[]));
    }

    #[test]
    fn lax_parser_accepts_long_form_lengths() {
        // 0x30, long-form sequence length, integers with long-form lengths and padding.
        let sig = hex::decode("308100020201010281020001").unwrap();
        let c = parse_der_lax(&sig).unwrap();
        assert_eq!(c[31], 1);
        assert_eq!(c[63], 1);
    }
}
