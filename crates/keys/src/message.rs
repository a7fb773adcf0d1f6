//! Signed messages (Core's `util/message.cpp`): a compact recoverable ECDSA
//! signature over the double-SHA256 of the magic and the message.

use bitcoin::consensus::Encodable;
use bitcoin::hashes::{hash160, sha256d, Hash};
use bitcoin::secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use bitcoin::secp256k1::{Message, Secp256k1};
use widecoin_chainparams::ChainParams;

use crate::address::{decode_destination, Destination};
use crate::key::Secret;

/// Text put before a message so that a signed message is never a transaction.
pub const MESSAGE_MAGIC: &str = "Widecoin Signed Message:\n";

/// Outcome of [`verify_message`] (Core's `MessageVerificationResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageVerificationResult {
    /// The address could not be decoded.
    ErrInvalidAddress,
    /// The address is not P2PKH, so it does not name a key.
    ErrAddressNoKey,
    /// The signature is not base64.
    ErrMalformedSignature,
    /// No public key could be recovered from the signature.
    ErrPubkeyNotRecovered,
    /// The signature is for another key or message.
    ErrNotSigned,
    /// The message was signed by the address's key.
    Ok,
}

/// Core's `MessageHash`: SHA256d of the serialized magic and message.
pub fn message_hash(message: &str) -> [u8; 32] {
    let mut buf = Vec::with_capacity(message.len() + MESSAGE_MAGIC.len() + 10);
    MESSAGE_MAGIC
        .to_string()
        .consensus_encode(&mut buf)
        .expect("writing to a vec");
    message
        .to_string()
        .consensus_encode(&mut buf)
        .expect("writing to a vec");
    sha256d::Hash::hash(&buf).to_byte_array()
}

/// Core's `MessageSign`: the base64 compact signature (RFC6979 nonce, so deterministic).
pub fn sign_message(secret: &Secret, message: &str) -> String {
    let secp = Secp256k1::signing_only();
    let msg = Message::from_digest(message_hash(message));
    let sig = secp.sign_ecdsa_recoverable(&msg, &secret.key);
    let (recid, bytes) = sig.serialize_compact();
    let mut out = Vec::with_capacity(65);
    out.push(27 + recid.to_i32() as u8 + if secret.compressed { 4 } else { 0 });
    out.extend_from_slice(&bytes);
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// Core's `DecodeBase64`: padding optional but the length a multiple of 4,
/// no stray bits.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(4) {
        return None;
    }
    let t = s.strip_suffix('=').unwrap_or(s);
    let t = t.strip_suffix('=').unwrap_or(t);
    let values = t
        .bytes()
        .map(|c| match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'a'..=b'z' => Some(c - b'a' + 26),
            b'0'..=b'9' => Some(c - b'0' + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        })
        .collect::<Option<Vec<u8>>>()?;
    crate::bech32::convert_bits(&values, 6, 8, false)
}

/// Core's `CPubKey::RecoverCompact`: the serialized public key of a compact signature.
pub fn recover_compact(hash: &[u8; 32], sig: &[u8]) -> Option<Vec<u8>> {
    if sig.len() != 65 {
        return None;
    }
    let header = sig[0].wrapping_sub(27);
    let recid = RecoveryId::from_i32(i32::from(header & 3)).ok()?;
    let rsig = RecoverableSignature::from_compact(&sig[1..], recid).ok()?;
    let pk = Secp256k1::verification_only()
        .recover_ecdsa(&Message::from_digest(*hash), &rsig)
        .ok()?;
    Some(if header & 4 != 0 {
        pk.serialize().to_vec()
    } else {
        pk.serialize_uncompressed().to_vec()
    })
}

/// Core's `MessageVerify`.
pub fn verify_message(
    address: &str,
    signature: &str,
    message: &str,
    params: &ChainParams,
) -> MessageVerificationResult {
    let Ok(dest) = decode_destination(address, params) else {
        return MessageVerificationResult::ErrInvalidAddress;
    };
    let Destination::PubKeyHash(hash) = dest else {
        return MessageVerificationResult::ErrAddressNoKey;
    };
    let Some(sig) = decode_base64(signature) else {
        return MessageVerificationResult::ErrMalformedSignature;
    };
    let Some(pubkey) = recover_compact(&message_hash(message), &sig) else {
        return MessageVerificationResult::ErrPubkeyNotRecovered;
    };
    if hash160::Hash::hash(&pubkey).to_byte_array() != hash {
        return MessageVerificationResult::ErrNotSigned;
    }
    MessageVerificationResult::Ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use widecoin_chainparams::ChainType;

    const WIF: &str = "cUeKHd5orzT3mz8P9pxyREHfsWtVfgsfDjiZZBcjUBAaGk1BTj7N";
    const MSG: &str = "This is just a test message";
    /// Computed by the functional test framework's RFC6979 signer with the Widecoin magic.
    const SIG: &str =
        "H7osQE2TgPmr3GE0lWbGcP5S6i3CUeRTS/IQvGt32CzAUMJcsjlk8CRMJUY7T493jiBaZwaQcneE7sHUjn8guJU=";

    #[test]
    fn hash_uses_the_widecoin_magic() {
        assert_eq!(
            hex::encode(message_hash("abc")),
            "90bc35a78bac4dcd4f8a4122e11c7f82475b5c1cb7b64fd414ed093e2199c296"
        );
    }

    #[test]
    fn signs_and_verifies() {
        let reg = ChainParams::new(ChainType::Regtest);
        let key = crate::key::decode_secret(WIF, &reg).unwrap();
        assert_eq!(sign_message(&key, MSG), SIG);
        let addr = "mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB";
        assert_eq!(
            verify_message(addr, SIG, MSG, &reg),
            MessageVerificationResult::Ok
        );
        assert_eq!(
            verify_message(addr, SIG, "other", &reg),
            MessageVerificationResult::ErrNotSigned
        );
        assert_eq!(
            verify_message("x", SIG, MSG, &reg),
            MessageVerificationResult::ErrInvalidAddress
        );
        assert_eq!(
            verify_message(addr, "invalid_sig", MSG, &reg),
            MessageVerificationResult::ErrMalformedSignature
        );
        assert_eq!(
            verify_message(addr, "AAAA", MSG, &reg),
            MessageVerificationResult::ErrPubkeyNotRecovered
        );
        let wpkh = "wcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7k0tparu";
        assert_eq!(
            verify_message(wpkh, SIG, MSG, &reg),
            MessageVerificationResult::ErrAddressNoKey
        );
    }

    #[test]
    fn base64_like_core() {
        assert_eq!(decode_base64("YWJj"), Some(b"abc".to_vec()));
        assert_eq!(decode_base64("YWI="), Some(b"ab".to_vec()));
        assert_eq!(decode_base64("YWI"), None);
        assert_eq!(decode_base64("YW=="), None);
    }
}
