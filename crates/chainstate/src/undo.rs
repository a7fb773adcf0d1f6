//! Undo data in Widecoin Core's format (`undo.h`, `compressor.h`,
//! `serialize.h` VARINT): for each non-coinbase transaction of a block, the
//! coins its inputs spent, so a block can be disconnected.

use bitcoin::secp256k1::PublicKey;
use bitcoin::{Amount, ScriptBuf, TxOut};

/// `MAX_SCRIPT_SIZE`.
const MAX_SCRIPT_SIZE: usize = 10_000;
/// Number of special script encodings of `ScriptCompression`.
const SPECIAL_SCRIPTS: u64 = 6;

/// A spent output as undo data records it (Core's `Coin`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coin {
    pub output: TxOut,
    pub height: u32,
    pub coinbase: bool,
}

/// The coins spent by one transaction, in input order (`CTxUndo`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxUndo {
    pub prevouts: Vec<Coin>,
}

/// The undo data of a block: one entry per non-coinbase transaction (`CBlockUndo`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockUndo {
    pub txs: Vec<TxUndo>,
}

/// Malformed undo or coin data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unexpected end of data")]
    Eof,
    #[error("ReadVarInt(): size too large")]
    VarIntTooLarge,
    #[error("invalid compressed public key")]
    BadPubKey,
    #[error("{0} bytes left after the undo data")]
    Trailing(usize),
}

/// Core's VARINT (the MSB-first base-128 encoding with the "minus one" trick).
pub fn write_varint(out: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 10];
    let mut len = 0;
    loop {
        tmp[len] = (n & 0x7f) as u8 | if len > 0 { 0x80 } else { 0 };
        if n <= 0x7f {
            break;
        }
        n = (n >> 7) - 1;
        len += 1;
    }
    out.extend(tmp[..=len].iter().rev());
}

/// A reader over a byte slice.
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    pub fn remaining(&self) -> usize {
        self.data.len()
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.data.len() < n {
            return Err(DecodeError::Eof);
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Ok(head)
    }

    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.bytes(1)?[0])
    }

    pub fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut n: u64 = 0;
        loop {
            let b = self.u8()?;
            if n > (u64::MAX >> 7) {
                return Err(DecodeError::VarIntTooLarge);
            }
            n = (n << 7) | u64::from(b & 0x7f);
            if b & 0x80 != 0 {
                if n == u64::MAX {
                    return Err(DecodeError::VarIntTooLarge);
                }
                n += 1;
            } else {
                return Ok(n);
            }
        }
    }

    /// Bitcoin's CompactSize.
    pub fn compact_size(&mut self) -> Result<u64, DecodeError> {
        Ok(match self.u8()? {
            0xfd => u64::from(u16::from_le_bytes(self.bytes(2)?.try_into().expect("2"))),
            0xfe => u64::from(u32::from_le_bytes(self.bytes(4)?.try_into().expect("4"))),
            0xff => u64::from_le_bytes(self.bytes(8)?.try_into().expect("8")),
            n => u64::from(n),
        })
    }
}

fn write_compact_size(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=0xfc => out.push(n as u8),
        0xfd..=0xffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xfe);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        _ => {
            out.push(0xff);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

/// Core's `CompressAmount`.
pub fn compress_amount(mut n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let mut e = 0;
    while n.is_multiple_of(10) && e < 9 {
        n /= 10;
        e += 1;
    }
    if e < 9 {
        let d = n % 10;
        n /= 10;
        1 + (n * 9 + d - 1) * 10 + e
    } else {
        1 + (n - 1) * 10 + 9
    }
}

/// Core's `DecompressAmount`.
pub fn decompress_amount(mut x: u64) -> u64 {
    if x == 0 {
        return 0;
    }
    x -= 1;
    let mut e = x % 10;
    x /= 10;
    let mut n = if e < 9 {
        let d = (x % 9) + 1;
        x /= 9;
        x * 10 + d
    } else {
        x + 1
    };
    while e > 0 {
        n *= 10;
        e -= 1;
    }
    n
}

/// Core's `ScriptCompression`: P2PKH, P2SH and P2PK scripts in 21 or 33 bytes.
pub fn write_compressed_script(out: &mut Vec<u8>, script: &[u8]) {
    match script {
        [0x76, 0xa9, 20, hash @ .., 0x88, 0xac] if hash.len() == 20 => {
            out.push(0x00);
            out.extend_from_slice(hash);
        }
        [0xa9, 20, hash @ .., 0x87] if hash.len() == 20 => {
            out.push(0x01);
            out.extend_from_slice(hash);
        }
        [33, key @ .., 0xac] if key.len() == 33 && (key[0] == 2 || key[0] == 3) => {
            out.extend_from_slice(key);
        }
        [65, key @ .., 0xac]
            if key.len() == 65 && key[0] == 4 && PublicKey::from_slice(key).is_ok() =>
        {
            out.push(0x04 | (key[64] & 1));
            out.extend_from_slice(&key[1..33]);
        }
        _ => {
            write_varint(out, script.len() as u64 + SPECIAL_SCRIPTS);
            out.extend_from_slice(script);
        }
    }
}

/// Reads a script written by [`write_compressed_script`].
pub fn read_compressed_script(r: &mut Reader<'_>) -> Result<ScriptBuf, DecodeError> {
    let size = r.varint()?;
    let bytes = match size {
        0x00 => {
            let h = r.bytes(20)?;
            [&[0x76, 0xa9, 20][..], h, &[0x88, 0xac]].concat()
        }
        0x01 => [&[0xa9, 20][..], r.bytes(20)?, &[0x87]].concat(),
        0x02 | 0x03 => [&[33, size as u8][..], r.bytes(32)?, &[0xac]].concat(),
        0x04 | 0x05 => {
            let x = r.bytes(32)?;
            let compressed = [&[(size - 2) as u8][..], x].concat();
            let key = PublicKey::from_slice(&compressed).map_err(|_| DecodeError::BadPubKey)?;
            [&[65][..], &key.serialize_uncompressed(), &[0xac]].concat()
        }
        n => {
            let len = (n - SPECIAL_SCRIPTS) as usize;
            if len > MAX_SCRIPT_SIZE {
                // Core keeps an unspendable placeholder for oversized scripts.
                r.bytes(len)?;
                vec![0x6a]
            } else {
                r.bytes(len)?.to_vec()
            }
        }
    };
    Ok(ScriptBuf::from_bytes(bytes))
}

impl Coin {
    /// `TxInUndoFormatter` serialization.
    pub fn write_undo(&self, out: &mut Vec<u8>) {
        write_varint(out, u64::from(self.height) * 2 + u64::from(self.coinbase));
        if self.height > 0 {
            // The old transaction version, kept for compatibility.
            out.push(0);
        }
        write_varint(out, compress_amount(self.output.value.to_sat()));
        write_compressed_script(out, self.output.script_pubkey.as_bytes());
    }

    pub fn read_undo(r: &mut Reader<'_>) -> Result<Coin, DecodeError> {
        let code = r.varint()?;
        let height = (code / 2) as u32;
        if height > 0 {
            r.varint()?;
        }
        let value = decompress_amount(r.varint()?);
        let script_pubkey = read_compressed_script(r)?;
        Ok(Coin {
            output: TxOut {
                value: Amount::from_sat(value),
                script_pubkey,
            },
            height,
            coinbase: code & 1 == 1,
        })
    }
}

impl BlockUndo {
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::new();
        write_compact_size(&mut out, self.txs.len() as u64);
        for tx in &self.txs {
            write_compact_size(&mut out, tx.prevouts.len() as u64);
            for coin in &tx.prevouts {
                coin.write_undo(&mut out);
            }
        }
        out
    }

    pub fn deserialize(data: &[u8]) -> Result<BlockUndo, DecodeError> {
        let mut r = Reader::new(data);
        let n = r.compact_size()?;
        let mut txs = Vec::with_capacity(n.min(100_000) as usize);
        for _ in 0..n {
            let m = r.compact_size()?;
            let mut prevouts = Vec::with_capacity(m.min(100_000) as usize);
            for _ in 0..m {
                prevouts.push(Coin::read_undo(&mut r)?);
            }
            txs.push(TxUndo { prevouts });
        }
        if r.remaining() != 0 {
            return Err(DecodeError::Trailing(r.remaining()));
        }
        Ok(BlockUndo { txs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint_hex(n: u64) -> String {
        let mut v = Vec::new();
        write_varint(&mut v, n);
        hex::encode(v)
    }

    #[test]
    fn varints_match_core() {
        // serialize_tests.cpp varints_bitpatterns
        assert_eq!(varint_hex(0), "00");
        assert_eq!(varint_hex(0x7f), "7f");
        assert_eq!(varint_hex(0x80), "8000");
        assert_eq!(varint_hex(0x1234), "a334");
        assert_eq!(varint_hex(0xffff), "82fe7f");
        assert_eq!(varint_hex(0x123456), "c7e756");
        assert_eq!(varint_hex(0x80123456), "86ffc7e756");
        assert_eq!(varint_hex(0xffffffff), "8efefefe7f");
        assert_eq!(varint_hex(0xffffffffffffffff), "80fefefefefefefefe7f");
        for n in [0u64, 1, 127, 128, 255, 16511, 16512, 1 << 40, u64::MAX] {
            let mut v = Vec::new();
            write_varint(&mut v, n);
            assert_eq!(Reader::new(&v).varint().unwrap(), n);
        }
    }

    #[test]
    fn amounts_compress_like_core() {
        // compress_tests.cpp
        const COIN: u64 = 100_000_000;
        assert_eq!(compress_amount(0), 0);
        assert_eq!(compress_amount(1), 1);
        assert_eq!(compress_amount(1_000_000), 7);
        assert_eq!(compress_amount(COIN), 9);
        assert_eq!(compress_amount(50 * COIN), 0x32);
        assert_eq!(compress_amount(21_000_000 * COIN), 0x1406f40);
        for n in [0u64, 1, 10, 123456789, 35_000_000 * COIN, 3_500_000 * COIN] {
            assert_eq!(decompress_amount(compress_amount(n)), n);
        }
    }

    #[test]
    fn undo_round_trip_with_special_scripts() {
        let p2pkh = hex::decode("76a914000102030405060708090a0b0c0d0e0f1011121388ac").unwrap();
        let p2sh = hex::decode("a914000102030405060708090a0b0c0d0e0f1011121387").unwrap();
        let p2wpkh = hex::decode("0014000102030405060708090a0b0c0d0e0f10111213").unwrap();
        let key = "0423b8bd9783e79e64a62e18cebf06bb4c89ddaf13b3152178ff259138ab3732e615ad1c4f8ccd5bb96f5e0b49da3953f1b518322f12127ddfd73cfdf3022180e8";
        let p2pk = hex::decode(format!("41{key}ac")).unwrap();
        let coin = |script: &[u8], height, coinbase| Coin {
            output: TxOut {
                value: Amount::from_sat(5_000_000_000),
                script_pubkey: ScriptBuf::from_bytes(script.to_vec()),
            },
            height,
            coinbase,
        };
        let undo = BlockUndo {
            txs: vec![
                TxUndo {
                    prevouts: vec![coin(&p2pkh, 1, true), coin(&p2sh, 0, false)],
                },
                TxUndo {
                    prevouts: vec![coin(&p2wpkh, 500, false), coin(&p2pk, 7, true)],
                },
            ],
        };
        let bytes = undo.serialize();
        assert_eq!(BlockUndo::deserialize(&bytes).unwrap(), undo);
        // The P2PK coin took 33 bytes for its script, the P2PKH 21.
        let mut v = Vec::new();
        write_compressed_script(&mut v, &p2pk);
        assert_eq!(v.len(), 33);
        let mut v = Vec::new();
        write_compressed_script(&mut v, &p2pkh);
        assert_eq!(v.len(), 21);
        assert!(BlockUndo::deserialize(&bytes[..bytes.len() - 1]).is_err());
    }
}
