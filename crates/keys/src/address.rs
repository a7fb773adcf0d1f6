//! Destinations and their address strings on every Widecoin network (Core's
//! `CTxDestination`, `ExtractDestination`, `GetScriptForDestination` and
//! `key_io.cpp`'s `EncodeDestination`/`DecodeDestination`).
//!
//! rust-bitcoin's `Address` knows only Bitcoin's prefixes and HRPs, hence our own.

use bitcoin::base58;
use bitcoin::hashes::{hash160, sha256, Hash};
use bitcoin::opcodes::all::{OP_CHECKSIG, OP_DUP, OP_EQUAL, OP_EQUALVERIFY, OP_HASH160};
use bitcoin::script::{Builder, ScriptBuf};
use widecoin_chainparams::{Base58Type, ChainParams};

use crate::bech32::{self, Encoding};

/// The longest witness program a Bech32 address may carry.
const BECH32_WITNESS_PROG_MAX_LEN: usize = 40;

/// Where an output pays to (Core's `CTxDestination`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Destination {
    /// No known destination (`CNoDestination`).
    NoDestination,
    /// Bare P2PK: a destination without an address (`PubKeyDestination`).
    PubKey(Vec<u8>),
    /// P2PKH (`PKHash`).
    PubKeyHash([u8; 20]),
    /// P2SH (`ScriptHash`).
    ScriptHash([u8; 20]),
    /// P2WPKH (`WitnessV0KeyHash`).
    WitnessV0KeyHash([u8; 20]),
    /// P2WSH (`WitnessV0ScriptHash`).
    WitnessV0ScriptHash([u8; 32]),
    /// P2TR (`WitnessV1Taproot`): the output key, not checked to be on the curve.
    WitnessV1Taproot([u8; 32]),
    /// Any other witness program of version 1..=16 (`WitnessUnknown`).
    WitnessUnknown { version: u8, program: Vec<u8> },
}

impl Destination {
    /// Whether the destination has an address (Core's `IsValidDestination`).
    pub fn is_valid(&self) -> bool {
        !matches!(self, Destination::NoDestination | Destination::PubKey(_))
    }

    /// P2SH of a script (`ScriptHash(CScript)`).
    pub fn script_hash(script: &[u8]) -> Destination {
        Destination::ScriptHash(hash160::Hash::hash(script).to_byte_array())
    }

    /// P2WSH of a script (`WitnessV0ScriptHash(CScript)`).
    pub fn witness_script_hash(script: &[u8]) -> Destination {
        Destination::WitnessV0ScriptHash(sha256::Hash::hash(script).to_byte_array())
    }

    /// P2PKH of a serialized public key (`PKHash(CPubKey)`).
    pub fn pubkey_hash(pubkey: &[u8]) -> Destination {
        Destination::PubKeyHash(hash160::Hash::hash(pubkey).to_byte_array())
    }

    /// P2WPKH of a serialized public key.
    pub fn witness_pubkey_hash(pubkey: &[u8]) -> Destination {
        Destination::WitnessV0KeyHash(hash160::Hash::hash(pubkey).to_byte_array())
    }
}

pub use widecoin_consensus::solver::{pubkey_valid_size, solver, TxoutType};

/// Core's `ExtractDestination`: the destination of a script; P2PK gives
/// `PubKey` and everything without one `NoDestination`.
pub fn extract_destination(script: &[u8]) -> Destination {
    let (kind, sol) = solver(script);
    let arr20 = |v: &[u8]| <[u8; 20]>::try_from(v).expect("20-byte solution");
    let arr32 = |v: &[u8]| <[u8; 32]>::try_from(v).expect("32-byte solution");
    match kind {
        TxoutType::PubKey => {
            if bitcoin::PublicKey::from_slice(&sol[0]).is_ok() {
                Destination::PubKey(sol[0].clone())
            } else {
                Destination::NoDestination
            }
        }
        TxoutType::PubKeyHash => Destination::PubKeyHash(arr20(&sol[0])),
        TxoutType::ScriptHash => Destination::ScriptHash(arr20(&sol[0])),
        TxoutType::WitnessV0KeyHash => Destination::WitnessV0KeyHash(arr20(&sol[0])),
        TxoutType::WitnessV0ScriptHash => Destination::WitnessV0ScriptHash(arr32(&sol[0])),
        TxoutType::WitnessV1Taproot => Destination::WitnessV1Taproot(arr32(&sol[0])),
        TxoutType::WitnessUnknown => Destination::WitnessUnknown {
            version: sol[0][0],
            program: sol[1].clone(),
        },
        TxoutType::Multisig | TxoutType::NullData | TxoutType::NonStandard => {
            Destination::NoDestination
        }
    }
}

fn witness_script(version: u8, program: &[u8]) -> ScriptBuf {
    let mut s = Vec::with_capacity(program.len() + 2);
    s.push(if version == 0 { 0 } else { 0x50 + version });
    s.push(program.len() as u8);
    s.extend_from_slice(program);
    ScriptBuf::from_bytes(s)
}

/// Core's `GetScriptForDestination`; empty for `NoDestination`.
pub fn script_for_destination(dest: &Destination) -> ScriptBuf {
    match dest {
        Destination::NoDestination => ScriptBuf::new(),
        Destination::PubKey(pk) => {
            let mut s = Vec::with_capacity(pk.len() + 2);
            s.push(pk.len() as u8);
            s.extend_from_slice(pk);
            s.push(OP_CHECKSIG.to_u8());
            ScriptBuf::from_bytes(s)
        }
        Destination::PubKeyHash(h) => Builder::new()
            .push_opcode(OP_DUP)
            .push_opcode(OP_HASH160)
            .push_slice(h)
            .push_opcode(OP_EQUALVERIFY)
            .push_opcode(OP_CHECKSIG)
            .into_script(),
        Destination::ScriptHash(h) => Builder::new()
            .push_opcode(OP_HASH160)
            .push_slice(h)
            .push_opcode(OP_EQUAL)
            .into_script(),
        Destination::WitnessV0KeyHash(h) => witness_script(0, h),
        Destination::WitnessV0ScriptHash(h) => witness_script(0, h),
        Destination::WitnessV1Taproot(k) => witness_script(1, k),
        Destination::WitnessUnknown { version, program } => witness_script(*version, program),
    }
}

fn base58_with_prefix(prefix: &[u8], payload: &[u8]) -> String {
    let mut data = prefix.to_vec();
    data.extend_from_slice(payload);
    base58::encode_check(&data)
}

fn bech32_witness(encoding: Encoding, hrp: &str, version: u8, program: &[u8]) -> String {
    let mut data = vec![version];
    data.extend(bech32::convert_bits(program, 8, 5, true).expect("padding allowed"));
    bech32::encode(encoding, hrp, &data)
}

/// Core's `EncodeDestination`: the address of a destination, `None` for
/// destinations without one (and for unencodable witness programs).
pub fn encode_destination(dest: &Destination, params: &ChainParams) -> Option<String> {
    let hrp = params.bech32_hrp.as_str();
    Some(match dest {
        Destination::PubKeyHash(h) => {
            base58_with_prefix(params.base58_prefix(Base58Type::PubkeyAddress), h)
        }
        Destination::ScriptHash(h) => {
            base58_with_prefix(params.base58_prefix(Base58Type::ScriptAddress), h)
        }
        Destination::WitnessV0KeyHash(h) => bech32_witness(Encoding::Bech32, hrp, 0, h),
        Destination::WitnessV0ScriptHash(h) => bech32_witness(Encoding::Bech32, hrp, 0, h),
        Destination::WitnessV1Taproot(k) => bech32_witness(Encoding::Bech32m, hrp, 1, k),
        Destination::WitnessUnknown { version, program } => {
            if !(1..=16).contains(version) || program.len() < 2 || program.len() > 40 {
                return None;
            }
            bech32_witness(Encoding::Bech32m, hrp, *version, program)
        }
        Destination::NoDestination | Destination::PubKey(_) => return None,
    })
}

/// The address of a script's destination, if it has one.
pub fn encode_script_address(script: &[u8], params: &ChainParams) -> Option<String> {
    encode_destination(&extract_destination(script), params)
}

/// Why an address string did not decode: Core's message and, for Bech32
/// checksum errors, the likely positions of the wrong characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AddressError {
    pub message: String,
    pub locations: Vec<usize>,
}

impl AddressError {
    fn new(message: impl Into<String>) -> Self {
        AddressError {
            message: message.into(),
            locations: Vec::new(),
        }
    }
}

/// Core's `DecodeBase58Check` with its length limit: the payload without the
/// checksum, or `None`.
pub fn decode_base58_check(s: &str, max_payload: usize) -> Option<Vec<u8>> {
    let raw = decode_base58(s, max_payload + 4)?;
    if raw.len() < 4 {
        return None;
    }
    let (payload, check) = raw.split_at(raw.len() - 4);
    let hash = bitcoin::hashes::sha256d::Hash::hash(payload);
    (hash[..4] == *check).then(|| payload.to_vec())
}

/// Core's `DecodeBase58`: leading and trailing spaces allowed, at most
/// `max_len` decoded bytes.
pub fn decode_base58(s: &str, max_len: usize) -> Option<Vec<u8>> {
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r');
    let t = s.trim_matches(is_space);
    if t.contains('\0') {
        return None;
    }
    let v = base58::decode(t).ok()?;
    (v.len() <= max_len).then_some(v)
}

/// Core's `DecodeDestination` for one network: the destination, or Core's
/// error message (with Bech32 error locations where known).
pub fn decode_destination(s: &str, params: &ChainParams) -> Result<Destination, AddressError> {
    let hrp = params.bech32_hrp.as_str();
    // False for a Bech32 address of another network: that one fails as base58.
    let is_bech32 = s.len() >= hrp.len()
        && s.is_char_boundary(hrp.len())
        && s[..hrp.len()].to_ascii_lowercase() == hrp;
    if !is_bech32 {
        if let Some(data) = decode_base58_check(s, 21) {
            let pubkey_prefix = params.base58_prefix(Base58Type::PubkeyAddress);
            let script_prefix = params.base58_prefix(Base58Type::ScriptAddress);
            for (prefix, script) in [(pubkey_prefix, false), (script_prefix, true)] {
                if data.len() == 20 + prefix.len() && data.starts_with(prefix) {
                    let h: [u8; 20] = data[prefix.len()..].try_into().expect("20 bytes");
                    return Ok(if script {
                        Destination::ScriptHash(h)
                    } else {
                        Destination::PubKeyHash(h)
                    });
                }
            }
            return Err(AddressError::new(
                if data.starts_with(script_prefix) || data.starts_with(pubkey_prefix) {
                    "Invalid length for Base58 address (P2PKH or P2SH)"
                } else {
                    "Invalid or unsupported Base58-encoded address."
                },
            ));
        }
        return Err(AddressError::new(if decode_base58(s, 100).is_some() {
            "Invalid checksum or length of Base58 address (P2PKH or P2SH)"
        } else {
            "Invalid or unsupported Segwit (Bech32) or Base58 encoding."
        }));
    }
    let Some(dec) = bech32::decode(s) else {
        let (message, locations) = bech32::locate_errors(s);
        return Err(AddressError { message, locations });
    };
    if dec.data.is_empty() {
        return Err(AddressError::new("Empty Bech32 data section"));
    }
    if dec.hrp != hrp {
        return Err(AddressError::new(format!(
            "Invalid or unsupported prefix for Segwit (Bech32) address (expected {hrp}, got {}).",
            dec.hrp
        )));
    }
    let version = dec.data[0];
    if version == 0 && dec.encoding != Encoding::Bech32 {
        return Err(AddressError::new(
            "Version 0 witness address must use Bech32 checksum",
        ));
    }
    if version != 0 && dec.encoding != Encoding::Bech32m {
        return Err(AddressError::new(
            "Version 1+ witness address must use Bech32m checksum",
        ));
    }
    let Some(program) = bech32::convert_bits(&dec.data[1..], 5, 8, false) else {
        return Err(AddressError::new("Invalid padding in Bech32 data section"));
    };
    let unit = if program.len() == 1 { "byte" } else { "bytes" };
    if version == 0 {
        return match program.len() {
            20 => Ok(Destination::WitnessV0KeyHash(
                program[..].try_into().expect("20"),
            )),
            32 => Ok(Destination::WitnessV0ScriptHash(
                program[..].try_into().expect("32"),
            )),
            n => Err(AddressError::new(format!(
                "Invalid Bech32 v0 address program size ({n} {unit}), per BIP141"
            ))),
        };
    }
    if version == 1 && program.len() == 32 {
        return Ok(Destination::WitnessV1Taproot(
            program[..].try_into().expect("32"),
        ));
    }
    if version > 16 {
        return Err(AddressError::new("Invalid Bech32 address witness version"));
    }
    if program.len() < 2 || program.len() > BECH32_WITNESS_PROG_MAX_LEN {
        return Err(AddressError::new(format!(
            "Invalid Bech32 address program size ({} {unit})",
            program.len()
        )));
    }
    Ok(Destination::WitnessUnknown { version, program })
}

/// Core's `IsValidDestinationString`.
pub fn is_valid_address(s: &str, params: &ChainParams) -> bool {
    decode_destination(s, params).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use widecoin_chainparams::ChainType;

    const H: &str = "751e76e8199196d454941c45d1b3a323f1433bd6";

    fn h20() -> [u8; 20] {
        hex::decode(H).unwrap().try_into().unwrap()
    }

    /// HASH160 of the key 1 on each network, encoded by the test framework's
    /// base58 and bech32 code with Widecoin's prefixes.
    #[test]
    fn encodes_with_each_networks_prefixes() {
        let main = ChainParams::new(ChainType::Main);
        let test = ChainParams::new(ChainType::Testnet);
        let reg = ChainParams::new(ChainType::Regtest);
        let pkh = Destination::PubKeyHash(h20());
        assert_eq!(
            encode_destination(&pkh, &main).unwrap(),
            "WZMJS5eeCEgiqxNK1QRbE1HR4wFQwmCjJV"
        );
        assert_eq!(
            encode_destination(&pkh, &reg).unwrap(),
            "mrCDrCybB6J1vRfbwM5hemdJz73FwDBC8r"
        );
        let wpkh = Destination::WitnessV0KeyHash(h20());
        assert_eq!(
            encode_destination(&wpkh, &main).unwrap(),
            "wc1qw508d6qejxtdg4y5r3zarvary0c5xw7khj32t6"
        );
        assert_eq!(
            encode_destination(&wpkh, &test).unwrap(),
            "tw1qw508d6qejxtdg4y5r3zarvary0c5xw7k0e92j9"
        );
        assert_eq!(
            encode_destination(&wpkh, &reg).unwrap(),
            "wcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7k0tparu"
        );
        let p2sh = Destination::script_hash(script_for_destination(&wpkh).as_bytes());
        assert_eq!(
            encode_destination(&p2sh, &main).unwrap(),
            "EaPDfb7x1QU3cLGhss8S3cQNGQaiGVDNz7"
        );
        assert_eq!(
            encode_destination(&p2sh, &test).unwrap(),
            "TTCXB4fAjBJ5nCjUfHndZd7YQYptzCNieB"
        );
        assert_eq!(
            encode_destination(&p2sh, &reg).unwrap(),
            "2NAUYAHhujozruyzpsFRP63mbrdaU5wnEpN"
        );
        for (dest, params) in [(&pkh, &main), (&wpkh, &test), (&p2sh, &reg)] {
            let s = encode_destination(dest, params).unwrap();
            assert_eq!(&decode_destination(&s, params).unwrap(), dest);
        }
        assert_eq!(
            encode_destination(&Destination::PubKey(vec![2; 33]), &main),
            None
        );
    }

    #[test]
    fn scripts_round_trip_through_destinations() {
        for dest in [
            Destination::PubKeyHash(h20()),
            Destination::ScriptHash(h20()),
            Destination::WitnessV0KeyHash(h20()),
            Destination::WitnessV0ScriptHash([7; 32]),
            Destination::WitnessV1Taproot([9; 32]),
            Destination::WitnessUnknown {
                version: 16,
                program: vec![1, 2],
            },
        ] {
            assert_eq!(
                extract_destination(script_for_destination(&dest).as_bytes()),
                dest
            );
        }
        let g = hex::decode("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
            .unwrap();
        let p2pk = script_for_destination(&Destination::PubKey(g.clone()));
        assert_eq!(extract_destination(p2pk.as_bytes()), Destination::PubKey(g));
        assert_eq!(solver(&[0x6a, 0x01, 0x00]).0, TxoutType::NullData);
        assert_eq!(solver(&[0x00, 0x03, 1, 2, 3]).0, TxoutType::NonStandard);
    }

    #[test]
    fn decode_errors_are_cores() {
        let main = ChainParams::new(ChainType::Main);
        let err = |s: &str| decode_destination(s, &main).unwrap_err();
        assert_eq!(
            err("").message,
            "Invalid checksum or length of Base58 address (P2PKH or P2SH)"
        );
        assert_eq!(
            err("0OIl").message,
            "Invalid or unsupported Segwit (Bech32) or Base58 encoding."
        );
        assert_eq!(
            err("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4").message,
            "Invalid or unsupported Segwit (Bech32) or Base58 encoding."
        );
        // Base58 of Bitcoin's P2PKH of the same hash: valid checksum, unknown prefix.
        assert_eq!(
            err("1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH").message,
            "Invalid or unsupported Base58-encoded address."
        );
        assert_eq!(
            err("1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMh").message,
            "Invalid checksum or length of Base58 address (P2PKH or P2SH)"
        );
        let e = err("wc1qw508d6qejxtdg4y5r3zarvary0c5xw7khj32t7");
        assert_eq!(
            (e.message.as_str(), e.locations),
            ("Invalid Bech32 checksum", vec![41])
        );
        let v1_bech32 = bech32::encode(Encoding::Bech32, "wc", &[1; 33]);
        assert_eq!(
            err(&v1_bech32).message,
            "Version 1+ witness address must use Bech32m checksum"
        );
        let v0_bech32m = bech32::encode(Encoding::Bech32m, "wc", &[0; 33]);
        assert_eq!(
            err(&v0_bech32m).message,
            "Version 0 witness address must use Bech32 checksum"
        );
        let short_v0 = bech32_witness(Encoding::Bech32, "wc", 0, &[0; 16]);
        assert_eq!(
            err(&short_v0).message,
            "Invalid Bech32 v0 address program size (16 bytes), per BIP141"
        );
        let one_byte = bech32_witness(Encoding::Bech32m, "wc", 1, &[0]);
        assert_eq!(
            err(&one_byte).message,
            "Invalid Bech32 address program size (1 byte)"
        );
        let v17 = bech32::encode(Encoding::Bech32m, "wc", &[17, 0, 0, 0, 0]);
        assert_eq!(err(&v17).message, "Invalid Bech32 address witness version");
        assert_eq!(
            err(&bech32::encode(Encoding::Bech32, "wc", &[])).message,
            "Empty Bech32 data section"
        );
        let v1_41 = bech32_witness(Encoding::Bech32m, "wc", 1, &[0; 41]);
        assert_eq!(
            err(&v1_41).message,
            "Invalid Bech32 address program size (41 bytes)"
        );
        let unknown = bech32_witness(Encoding::Bech32m, "wc", 2, &[1; 2]);
        assert_eq!(
            decode_destination(&unknown, &main).unwrap(),
            Destination::WitnessUnknown {
                version: 2,
                program: vec![1, 1]
            }
        );
    }
}
