//! `mempool.dat` in Widecoin Core 6.0's format (Core v26's `kernel/mempool_persist.cpp`,
//! version 1, no obfuscation): a version number, the transactions with their entry times
//! and fee deltas, the deltas of transactions not in the pool, and the unbroadcast txids.

use bitcoin::consensus::encode::{Encodable, VarInt};
use bitcoin::hashes::Hash;
use bitcoin::{Transaction, Txid};
use widecoin_consensus::decode::{DecodeError, Reader};

use crate::pool::Mempool;

/// Core's `MEMPOOL_DUMP_VERSION` in v26.
pub const MEMPOOL_DUMP_VERSION: u64 = 1;

/// The contents of a `mempool.dat`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MempoolDump {
    /// Transactions, parents first, with entry time and fee delta.
    pub txs: Vec<(Transaction, i64, i64)>,
    /// Fee deltas of transactions not in the pool, by txid.
    pub deltas: Vec<(Txid, i64)>,
    /// Txids still waiting for their initial broadcast.
    pub unbroadcast: Vec<Txid>,
}

/// Why a `mempool.dat` could not be read.
#[derive(Debug)]
pub enum DumpError {
    /// Another version than [`MEMPOOL_DUMP_VERSION`].
    Version(u64),
    /// Malformed or truncated.
    Decode(DecodeError),
}

impl From<DecodeError> for DumpError {
    fn from(e: DecodeError) -> Self {
        DumpError::Decode(e)
    }
}

fn read_txid(r: &mut Reader<'_>) -> Result<Txid, DecodeError> {
    let mut raw = [0u8; 32];
    raw.copy_from_slice(r.bytes(32)?);
    Ok(Txid::from_byte_array(raw))
}

impl std::fmt::Display for DumpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DumpError::Version(v) => write!(f, "unknown mempool.dat version {v}"),
            DumpError::Decode(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DumpError {}

impl Mempool {
    /// What `DumpMempool` writes: every entry in `GetSortedDepthAndScore` order and every
    /// prioritisation of a transaction outside the pool.
    pub fn dump(&self) -> MempoolDump {
        let txs = self
            .sorted_depth_and_score()
            .iter()
            .filter_map(|t| self.get(t))
            .map(|e| ((*e.tx).clone(), e.time, e.fee_delta))
            .collect();
        let deltas = self
            .prioritised()
            .into_iter()
            .filter(|(_, _, in_pool)| !in_pool)
            .map(|(t, d, _)| (t, d))
            .collect();
        MempoolDump {
            txs,
            deltas,
            unbroadcast: self.unbroadcast().iter().copied().collect(),
        }
    }
}

impl MempoolDump {
    /// The file's bytes.
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let w = &mut out;
        // Writing to a Vec cannot fail.
        let _ = MEMPOOL_DUMP_VERSION.consensus_encode(w);
        let _ = (self.txs.len() as u64).consensus_encode(w);
        for (tx, time, delta) in &self.txs {
            let _ = tx.consensus_encode(w);
            let _ = time.consensus_encode(w);
            let _ = delta.consensus_encode(w);
        }
        let mut deltas = self.deltas.clone();
        deltas.sort_by_key(|d| d.0);
        let _ = VarInt(deltas.len() as u64).consensus_encode(w);
        for (txid, delta) in &deltas {
            let _ = txid.consensus_encode(w);
            let _ = delta.consensus_encode(w);
        }
        let mut unbroadcast = self.unbroadcast.clone();
        unbroadcast.sort();
        let _ = VarInt(unbroadcast.len() as u64).consensus_encode(w);
        for txid in &unbroadcast {
            let _ = txid.consensus_encode(w);
        }
        out
    }

    /// Reads a file's bytes. Transactions are read with Core's limits (no 4 MB
    /// caps), as Core reads them.
    pub fn deserialize(bytes: &[u8]) -> Result<MempoolDump, DumpError> {
        let mut r = Reader::new(bytes);
        let version = r.u64()?;
        if version != MEMPOOL_DUMP_VERSION {
            return Err(DumpError::Version(version));
        }
        let n = r.u64()?;
        let mut dump = MempoolDump::default();
        for _ in 0..n {
            let tx = r.transaction(true)?;
            let time = r.u64()? as i64;
            let delta = r.u64()? as i64;
            dump.txs.push((tx, time, delta));
        }
        let n = r.compact_size()?;
        for _ in 0..n {
            let txid = read_txid(&mut r)?;
            let delta = r.u64()? as i64;
            dump.deltas.push((txid, delta));
        }
        let n = r.compact_size()?;
        for _ in 0..n {
            dump.unbroadcast.push(read_txid(&mut r)?);
        }
        Ok(dump)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::{absolute, transaction, TxIn, TxOut, Witness};

    #[test]
    fn reads_a_transaction_with_a_witness_over_4mb() {
        let tx = Transaction {
            version: transaction::Version(2),
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                witness: Witness::from_slice(&[vec![0x61u8; 5_000_000], vec![1]]),
                ..TxIn::default()
            }],
            output: vec![TxOut::NULL],
        };
        let dump = MempoolDump {
            txs: vec![(tx, 1_700_000_000, -5)],
            deltas: vec![(Txid::from_byte_array([7; 32]), 300)],
            unbroadcast: vec![Txid::from_byte_array([9; 32])],
        };
        let bytes = dump.serialize();
        assert_eq!(MempoolDump::deserialize(&bytes).expect("reads"), dump);
        assert!(matches!(
            MempoolDump::deserialize(&bytes[..bytes.len() - 1]),
            Err(DumpError::Decode(DecodeError::Eof))
        ));
    }
}
