//! `mempool.dat` in Widecoin Core 6.0's format (Core v26's `kernel/mempool_persist.cpp`,
//! version 1, no obfuscation): a version number, the transactions with their entry times
//! and fee deltas, the deltas of transactions not in the pool, and the unbroadcast txids.

use bitcoin::consensus::encode::{self, Decodable, Encodable, VarInt};
use bitcoin::{Transaction, Txid};

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
    Decode(encode::Error),
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

    /// Reads a file's bytes.
    pub fn deserialize(mut bytes: &[u8]) -> Result<MempoolDump, DumpError> {
        let r = &mut bytes;
        let version = u64::consensus_decode(r).map_err(DumpError::Decode)?;
        if version != MEMPOOL_DUMP_VERSION {
            return Err(DumpError::Version(version));
        }
        let n = u64::consensus_decode(r).map_err(DumpError::Decode)?;
        let mut dump = MempoolDump::default();
        for _ in 0..n {
            let tx = Transaction::consensus_decode(r).map_err(DumpError::Decode)?;
            let time = i64::consensus_decode(r).map_err(DumpError::Decode)?;
            let delta = i64::consensus_decode(r).map_err(DumpError::Decode)?;
            dump.txs.push((tx, time, delta));
        }
        let n = VarInt::consensus_decode(r).map_err(DumpError::Decode)?.0;
        for _ in 0..n {
            let txid = Txid::consensus_decode(r).map_err(DumpError::Decode)?;
            let delta = i64::consensus_decode(r).map_err(DumpError::Decode)?;
            dump.deltas.push((txid, delta));
        }
        let n = VarInt::consensus_decode(r).map_err(DumpError::Decode)?.0;
        for _ in 0..n {
            dump.unbroadcast
                .push(Txid::consensus_decode(r).map_err(DumpError::Decode)?);
        }
        Ok(dump)
    }
}
