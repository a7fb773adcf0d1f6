//! Private keys in WIF and extended keys in base58, with each network's prefixes
//! (Core's `DecodeSecret`/`EncodeSecret`, `DecodeExtKey`/`EncodeExtPubKey`, ...).

use bitcoin::base58;
use bitcoin::bip32::{Xpriv, Xpub};
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use widecoin_chainparams::{Base58Type, ChainParams};

use crate::address::decode_base58_check;

/// Length of a serialized BIP32 extended key without its version.
const BIP32_EXTKEY_SIZE: usize = 74;

/// A private key and whether its public key is used compressed (Core's `CKey`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Secret {
    pub key: SecretKey,
    pub compressed: bool,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret")
            .field("compressed", &self.compressed)
            .finish_non_exhaustive()
    }
}

impl Secret {
    /// The public key, serialized as the key's compression says (`CKey::GetPubKey`).
    pub fn pubkey_bytes(&self) -> Vec<u8> {
        let pk = PublicKey::from_secret_key(&Secp256k1::signing_only(), &self.key);
        if self.compressed {
            pk.serialize().to_vec()
        } else {
            pk.serialize_uncompressed().to_vec()
        }
    }
}

/// Core's `DecodeSecret`: a WIF string with this network's prefix.
pub fn decode_secret(s: &str, params: &ChainParams) -> Option<Secret> {
    let data = decode_base58_check(s, 34)?;
    let prefix = params.base58_prefix(Base58Type::SecretKey);
    let plain = data.len() == 32 + prefix.len();
    let compressed = data.len() == 33 + prefix.len() && data.last() == Some(&1);
    if !(plain || compressed) || !data.starts_with(prefix) {
        return None;
    }
    let key = SecretKey::from_slice(&data[prefix.len()..prefix.len() + 32]).ok()?;
    Some(Secret { key, compressed })
}

/// Core's `EncodeSecret`.
pub fn encode_secret(secret: &Secret, params: &ChainParams) -> String {
    let mut data = params.base58_prefix(Base58Type::SecretKey).to_vec();
    data.extend_from_slice(&secret.key.secret_bytes());
    if secret.compressed {
        data.push(1);
    }
    base58::encode_check(&data)
}

/// The 74 bytes after the version, when `s` carries `kind`'s prefix.
fn ext_payload(s: &str, params: &ChainParams, kind: Base58Type) -> Option<[u8; 78]> {
    let data = decode_base58_check(s, 78)?;
    let prefix = params.base58_prefix(kind);
    if data.len() != BIP32_EXTKEY_SIZE + prefix.len() || !data.starts_with(prefix) {
        return None;
    }
    // rust-bitcoin checks the version against Bitcoin's; give it one it knows.
    let version: [u8; 4] = match kind {
        Base58Type::ExtPublicKey => [0x04, 0x88, 0xB2, 0x1E],
        _ => [0x04, 0x88, 0xAD, 0xE4],
    };
    let mut out = [0u8; 78];
    out[..4].copy_from_slice(&version);
    out[4..].copy_from_slice(&data[prefix.len()..]);
    Some(out)
}

/// Core's `DecodeExtPubKey`.
pub fn decode_ext_pubkey(s: &str, params: &ChainParams) -> Option<Xpub> {
    Xpub::decode(&ext_payload(s, params, Base58Type::ExtPublicKey)?).ok()
}

/// Core's `DecodeExtKey`.
pub fn decode_ext_key(s: &str, params: &ChainParams) -> Option<Xpriv> {
    Xpriv::decode(&ext_payload(s, params, Base58Type::ExtSecretKey)?).ok()
}

fn encode_ext(serialized: [u8; 78], prefix: &[u8]) -> String {
    let mut data = prefix.to_vec();
    data.extend_from_slice(&serialized[4..]);
    base58::encode_check(&data)
}

/// Core's `EncodeExtPubKey`.
pub fn encode_ext_pubkey(key: &Xpub, params: &ChainParams) -> String {
    encode_ext(key.encode(), params.base58_prefix(Base58Type::ExtPublicKey))
}

/// Core's `EncodeExtKey`.
pub fn encode_ext_key(key: &Xpriv, params: &ChainParams) -> String {
    encode_ext(key.encode(), params.base58_prefix(Base58Type::ExtSecretKey))
}

#[cfg(test)]
mod tests {
    use super::*;
    use widecoin_chainparams::ChainType;

    /// The key 1 as WIF, encoded by the test framework with prefixes 239 and 153.
    #[test]
    fn wif_uses_each_networks_prefix() {
        let reg = ChainParams::new(ChainType::Regtest);
        let main = ChainParams::new(ChainType::Main);
        let mut one = [0u8; 32];
        one[31] = 1;
        let key = SecretKey::from_slice(&one).unwrap();
        let compressed = Secret {
            key,
            compressed: true,
        };
        let regtest_wif = "cMahea7zqjxrtgAbB7LSGbcQUr1uX1ojuat9jZodMN87JcbXMTcA";
        assert_eq!(encode_secret(&compressed, &reg), regtest_wif);
        assert_eq!(
            encode_secret(&compressed, &main),
            "PdiUUh8dnXB36B2XcbPdodUX5Ujoj2VDubJwcW1V8DJu69XHZWGg"
        );
        let plain = Secret {
            key,
            compressed: false,
        };
        assert_eq!(
            encode_secret(&plain, &main),
            "68QtzUftP6UedWuuhgxsw4jV7TDsTjvyPnqUKvFA6G2LWKcvPjM"
        );
        assert_eq!(decode_secret(regtest_wif, &reg), Some(compressed));
        assert_eq!(decode_secret(regtest_wif, &main), None);
        assert_eq!(
            decode_secret("68QtzUftP6UedWuuhgxsw4jV7TDsTjvyPnqUKvFA6G2LWKcvPjM", &main),
            Some(plain)
        );
    }

    #[test]
    fn extended_keys_round_trip() {
        let reg = ChainParams::new(ChainType::Regtest);
        let tpub = "tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B";
        let tprv = "tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK";
        assert_eq!(
            encode_ext_pubkey(&decode_ext_pubkey(tpub, &reg).unwrap(), &reg),
            tpub
        );
        assert_eq!(
            encode_ext_key(&decode_ext_key(tprv, &reg).unwrap(), &reg),
            tprv
        );
        assert!(decode_ext_pubkey(tpub, &ChainParams::new(ChainType::Main)).is_none());
    }
}
