//! Reading transactions and blocks from untrusted or on-disk bytes with exactly the limits of
//! Widecoin Core's serialization.
//!
//! rust-bitcoin's `consensus_decode` caps its input at 4,000,000 bytes and a single input's
//! witness at 4,000,000 bytes. Widecoin's blocks weigh up to 32,000,000, so a block Core accepts
//! (a script-path spend with a 5 MB tapscript, say) would not even decode there. These decoders
//! follow Core's `UnserializeTransaction` instead: the only size limit is `MAX_SIZE`
//! (0x02000000) on each compact size, and a length is never trusted beyond the bytes present.
//!
//! ```
//! use widecoin_consensus::decode::{decode_transaction, DecodeError};
//! // Marker and flag set, but no input has a witness: Core's "Superfluous witness record".
//! let raw = hex_literal(
//!     "0200000000010100000000000000000000000000000000000000000000000000000000000000000000000000ffffffff010000000000000000000000000000",
//! );
//! assert_eq!(decode_transaction(&raw), Err(DecodeError::SuperfluousWitness));
//! # fn hex_literal(s: &str) -> Vec<u8> {
//! #     (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
//! # }
//! ```

use bitcoin::block::Header;
use bitcoin::consensus::Decodable;
use bitcoin::hashes::Hash;
use bitcoin::{
    absolute, transaction, Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut,
    Txid, Witness,
};

/// Core's `MAX_SIZE`: the largest value a compact size may carry when read as a length.
pub const MAX_SIZE: u64 = 0x0200_0000;

/// Why bytes did not decode. The messages are the ones Core's serialization throws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes ended early.
    #[error("end of data")]
    Eof,
    /// A compact size not in its shortest form.
    #[error("non-canonical ReadCompactSize()")]
    NonCanonical,
    /// A compact size above [`MAX_SIZE`].
    #[error("ReadCompactSize(): size too large")]
    SizeTooLarge,
    /// The witness flag was set but every input's witness is empty.
    #[error("Superfluous witness record")]
    SuperfluousWitness,
    /// A flag byte other than the witness flag.
    #[error("Unknown transaction optional data")]
    UnknownOptionalData,
    /// Bytes left over after the object (only from the whole-buffer functions).
    #[error("Data not consumed entirely")]
    TrailingData,
}

/// A cursor over a byte slice that reads Core's primitive encodings.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    /// Bytes read so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    pub fn is_empty(&self) -> bool {
        self.pos == self.data.len()
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.data.len() - self.pos < n {
            return Err(DecodeError::Eof);
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.bytes(1)?[0])
    }

    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// Core's `ReadCompactSize` with the range check: shortest form only, at most
    /// [`MAX_SIZE`].
    pub fn compact_size(&mut self) -> Result<u64, DecodeError> {
        let first = self.u8()?;
        let (value, min) = match first {
            0xfd => (u64::from(u16::from_le_bytes(self.array()?)), 0xfd),
            0xfe => (u64::from(self.u32()?), 0x1_0000),
            0xff => (self.u64()?, 0x1_0000_0000),
            n => (u64::from(n), 0),
        };
        if value < min {
            return Err(DecodeError::NonCanonical);
        }
        if value > MAX_SIZE {
            return Err(DecodeError::SizeTooLarge);
        }
        Ok(value)
    }

    /// A length-prefixed byte vector (a script, a witness item).
    pub fn byte_vec(&mut self) -> Result<Vec<u8>, DecodeError> {
        let n = self.compact_size()? as usize;
        Ok(self.bytes(n)?.to_vec())
    }

    /// A vector of `item`s; the capacity reserved up front never exceeds what the
    /// remaining bytes could hold, so a lying count cannot allocate much.
    fn vec<T>(
        &mut self,
        min_item_len: usize,
        mut item: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let n = self.compact_size()? as usize;
        let fits = self.remaining().len() / min_item_len.max(1);
        let mut out = Vec::with_capacity(n.min(fits));
        for _ in 0..n {
            out.push(item(self)?);
        }
        Ok(out)
    }

    fn txin(&mut self) -> Result<TxIn, DecodeError> {
        let txid = Txid::from_byte_array(self.array()?);
        let vout = self.u32()?;
        let script_sig = ScriptBuf::from_bytes(self.byte_vec()?);
        let sequence = Sequence(self.u32()?);
        Ok(TxIn {
            previous_output: OutPoint { txid, vout },
            script_sig,
            sequence,
            witness: Witness::new(),
        })
    }

    fn txout(&mut self) -> Result<TxOut, DecodeError> {
        let value = Amount::from_sat(self.u64()?);
        let script_pubkey = ScriptBuf::from_bytes(self.byte_vec()?);
        Ok(TxOut {
            value,
            script_pubkey,
        })
    }

    fn witness(&mut self) -> Result<Witness, DecodeError> {
        let items = self.vec(1, |r| r.byte_vec())?;
        Ok(Witness::from_slice(&items))
    }

    /// Core's `UnserializeTransaction`. With `allow_witness` false this is the
    /// pre-segwit format, where `00 01` after the version reads as no inputs and
    /// one output.
    pub fn transaction(&mut self, allow_witness: bool) -> Result<Transaction, DecodeError> {
        // An input is at least 41 bytes, an output at least 9.
        let version = self.u32()? as i32;
        let mut input = self.vec(41, Self::txin)?;
        let mut output = Vec::new();
        let mut flags = 0u8;
        if input.is_empty() && allow_witness {
            flags = self.u8()?;
            if flags != 0 {
                input = self.vec(41, Self::txin)?;
                output = self.vec(9, Self::txout)?;
            }
        } else {
            output = self.vec(9, Self::txout)?;
        }
        if flags & 1 != 0 && allow_witness {
            flags ^= 1;
            for txin in &mut input {
                txin.witness = self.witness()?;
            }
            if input.iter().all(|i| i.witness.is_empty()) {
                return Err(DecodeError::SuperfluousWitness);
            }
        }
        if flags != 0 {
            return Err(DecodeError::UnknownOptionalData);
        }
        let lock_time = absolute::LockTime::from_consensus(self.u32()?);
        Ok(Transaction {
            version: transaction::Version(version),
            lock_time,
            input,
            output,
        })
    }

    /// An 80-byte block header.
    pub fn header(&mut self) -> Result<Header, DecodeError> {
        let mut raw = self.bytes(80)?;
        // Fixed size: rust-bitcoin's limits cannot bite here.
        Header::consensus_decode(&mut raw).map_err(|_| DecodeError::Eof)
    }

    /// A block: header and transactions, each read with witness allowed.
    pub fn block(&mut self) -> Result<Block, DecodeError> {
        let header = self.header()?;
        // A transaction is at least 10 bytes.
        let txdata = self.vec(10, |r| r.transaction(true))?;
        Ok(Block { header, txdata })
    }
}

fn whole<T>(
    data: &[u8],
    f: impl FnOnce(&mut Reader<'_>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let mut r = Reader::new(data);
    let out = f(&mut r)?;
    if !r.is_empty() {
        return Err(DecodeError::TrailingData);
    }
    Ok(out)
}

/// A transaction in the extended (segwit) serialization that spans all of `data`.
pub fn decode_transaction(data: &[u8]) -> Result<Transaction, DecodeError> {
    whole(data, |r| r.transaction(true))
}

/// A transaction in the legacy (no-witness) serialization that spans all of `data`.
pub fn decode_transaction_no_witness(data: &[u8]) -> Result<Transaction, DecodeError> {
    whole(data, |r| r.transaction(false))
}

/// A transaction at the start of `data`, and the number of bytes it took.
pub fn decode_transaction_partial(data: &[u8]) -> Result<(Transaction, usize), DecodeError> {
    let mut r = Reader::new(data);
    let tx = r.transaction(true)?;
    Ok((tx, r.position()))
}

/// A block that spans all of `data`.
pub fn decode_block(data: &[u8]) -> Result<Block, DecodeError> {
    whole(data, |r| r.block())
}

/// A block at the start of `data`, and the number of bytes it took (Core reads a
/// block from a stream and ignores what follows, e.g. in `submitblock`).
pub fn decode_block_partial(data: &[u8]) -> Result<(Block, usize), DecodeError> {
    let mut r = Reader::new(data);
    let block = r.block()?;
    Ok((block, r.position()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::consensus::serialize;

    fn sample_tx(witness: Vec<Vec<u8>>) -> Transaction {
        Transaction {
            version: transaction::Version(2),
            lock_time: absolute::LockTime::from_consensus(7),
            input: vec![TxIn {
                previous_output: OutPoint {
                    txid: Txid::from_byte_array([3; 32]),
                    vout: 1,
                },
                script_sig: ScriptBuf::from_bytes(vec![0x51]),
                sequence: Sequence(0xffff_fffe),
                witness: Witness::from_slice(&witness),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(5000),
                script_pubkey: ScriptBuf::from_bytes(vec![0x00, 0x14, 9, 9]),
            }],
        }
    }

    fn sample_block(txdata: Vec<Transaction>) -> Block {
        let genesis = bitcoin::blockdata::constants::genesis_block(bitcoin::Network::Regtest);
        Block {
            header: genesis.header,
            txdata,
        }
    }

    #[test]
    fn round_trips_with_and_without_witness() {
        for tx in [sample_tx(vec![]), sample_tx(vec![vec![1, 2], vec![]])] {
            let raw = serialize(&tx);
            assert_eq!(decode_transaction(&raw), Ok(tx.clone()));
            assert_eq!(
                decode_transaction_partial(&raw),
                Ok((tx.clone(), raw.len()))
            );
        }
        let legacy = sample_tx(vec![]);
        assert_eq!(
            decode_transaction_no_witness(&serialize(&legacy)),
            Ok(legacy)
        );
        let block = sample_block(vec![sample_tx(vec![vec![7; 3]]), sample_tx(vec![])]);
        let raw = serialize(&block);
        assert_eq!(decode_block(&raw), Ok(block.clone()));
        let mut more = raw.clone();
        more.push(0);
        assert_eq!(decode_block(&more), Err(DecodeError::TrailingData));
        assert_eq!(decode_block_partial(&more), Ok((block, raw.len())));
    }

    #[test]
    fn reads_a_witness_larger_than_rust_bitcoins_cap() {
        let big = vec![0x75; 5_000_000];
        let tx = sample_tx(vec![vec![1], big]);
        let raw = serialize(&tx);
        assert!(bitcoin::consensus::deserialize::<Transaction>(&raw).is_err());
        assert_eq!(decode_transaction(&raw), Ok(tx.clone()));
        let block = sample_block(vec![tx]);
        let raw = serialize(&block);
        assert!(bitcoin::consensus::deserialize::<Block>(&raw).is_err());
        assert_eq!(decode_block(&raw), Ok(block));
    }

    #[test]
    fn superfluous_witness_and_unknown_flags() {
        let tx = sample_tx(vec![vec![1]]);
        let mut raw = serialize(&tx);
        // The only input's witness (count 1, one 1-byte item) sits right before the
        // lock time; make it empty.
        let wit_at = raw.len() - 4 - 3;
        raw.splice(wit_at..raw.len() - 4, [0u8]);
        assert_eq!(
            decode_transaction(&raw),
            Err(DecodeError::SuperfluousWitness)
        );
        let mut raw = serialize(&tx);
        raw[5] = 3;
        assert_eq!(
            decode_transaction(&raw),
            Err(DecodeError::UnknownOptionalData)
        );
        let mut raw = serialize(&tx);
        raw[5] = 2;
        assert_eq!(
            decode_transaction(&raw),
            Err(DecodeError::UnknownOptionalData)
        );
        // Without witness the marker reads as zero inputs, the flag as one output.
        assert!(decode_transaction_no_witness(&serialize(&tx)).is_err());
    }

    #[test]
    fn compact_sizes_follow_core() {
        let cs = |b: &[u8]| Reader::new(b).compact_size();
        assert_eq!(cs(&[0xfc]), Ok(0xfc));
        assert_eq!(cs(&[0xfd, 0xfc, 0x00]), Err(DecodeError::NonCanonical));
        assert_eq!(cs(&[0xfd, 0xfd, 0x00]), Ok(0xfd));
        assert_eq!(
            cs(&[0xfe, 0xff, 0xff, 0, 0]),
            Err(DecodeError::NonCanonical)
        );
        assert_eq!(cs(&[0xfe, 0, 0, 0, 2]), Ok(MAX_SIZE));
        assert_eq!(cs(&[0xfe, 1, 0, 0, 2]), Err(DecodeError::SizeTooLarge));
        assert_eq!(
            cs(&[0xff, 0, 0, 0, 0, 1, 0, 0, 0]),
            Err(DecodeError::SizeTooLarge)
        );
        assert_eq!(cs(&[0xfd, 0]), Err(DecodeError::Eof));
    }

    #[test]
    fn oversize_vectors_are_refused_before_allocating() {
        // A witness item claiming MAX_SIZE + 1 bytes.
        let mut raw = serialize(&sample_tx(vec![vec![1]]));
        let item_at = raw.len() - 4 - 2;
        raw.splice(item_at..raw.len() - 4, [0xfe, 1, 0, 0, 2]);
        assert_eq!(decode_transaction(&raw), Err(DecodeError::SizeTooLarge));
        // Claiming MAX_SIZE inputs with few bytes present is just short data.
        let mut raw = vec![2, 0, 0, 0, 0xfe, 0, 0, 0, 2];
        raw.extend([0u8; 50]);
        assert_eq!(decode_transaction(&raw), Err(DecodeError::Eof));
        // A block with more than MAX_SIZE transactions.
        let mut raw = serialize(&sample_block(vec![]));
        raw.truncate(80);
        raw.extend([0xfe, 1, 0, 0, 2]);
        assert_eq!(decode_block(&raw), Err(DecodeError::SizeTooLarge));
    }
}
