//! `-txindex` (Core's `index/txindex.cpp`): transaction id → where the
//! transaction lies in the block files, so `getrawtransaction` finds any
//! confirmed transaction without a block hash.

use std::path::Path;

use bitcoin::consensus::deserialize;
use bitcoin::hashes::Hash;
use bitcoin::{Transaction, Txid};
use redb::{Database, ReadableDatabase, TableDefinition, WriteTransaction};
use widecoin_chainstate::{BlockStore, FlatFilePos};

use crate::base::{BlockInfo, IndexBackend};
use crate::error::IndexError;

/// Txid → block file, position of the block's data, offset of the
/// transaction within the block (Core's `CDiskTxPos`).
const TXS: TableDefinition<'_, [u8; 32], [u8; 12]> = TableDefinition::new("txs");

/// The transaction index.
pub struct TxIndex {
    db: Database,
    /// A reader of the block files (positions only; the chainstate writes them).
    blocks: BlockStore,
}

impl TxIndex {
    /// Opens `<dir>/index.redb` (`<datadir>/indexes/txindex`), reading
    /// transactions from the block files in `blocks_dir`.
    pub fn open(dir: &Path, blocks_dir: &Path, magic: [u8; 4]) -> Result<TxIndex, IndexError> {
        std::fs::create_dir_all(dir)?;
        let db = Database::create(dir.join("index.redb"))?;
        Ok(TxIndex {
            db,
            blocks: BlockStore::new(blocks_dir, magic, false, Vec::new()),
        })
    }

    /// Core's `TxIndex::FindTx`: the transaction and the hash of the block
    /// it was indexed in (which may have left the active chain since).
    pub fn find_tx(
        &self,
        txid: &Txid,
    ) -> Result<Option<(bitcoin::BlockHash, Transaction)>, IndexError> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(TXS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let Some(v) = table.get(txid.to_byte_array())? else {
            return Ok(None);
        };
        let v = v.value();
        let word = |i: usize| u32::from_le_bytes(v[i..i + 4].try_into().expect("4 bytes"));
        let pos = FlatFilePos {
            file: word(0),
            pos: word(4),
        };
        let offset = word(8) as usize;
        let raw = self.blocks.read_raw_block(pos)?;
        let bad = |what: &str| IndexError::Corrupt(format!("txindex: {what} at {pos}"));
        let header: bitcoin::block::Header =
            deserialize(raw.get(..80).ok_or_else(|| bad("short block"))?)
                .map_err(|_| bad("bad block header"))?;
        let (tx, _): (Transaction, usize) = widecoin_consensus::decode::decode_transaction_partial(
            raw.get(offset..).ok_or_else(|| bad("bad offset"))?,
        )
        .map_err(|_| bad("bad transaction"))?;
        if tx.compute_txid() != *txid {
            return Err(bad("txid mismatch"));
        }
        Ok(Some((header.block_hash(), tx)))
    }
}

impl IndexBackend for TxIndex {
    fn name(&self) -> &str {
        "txindex"
    }

    fn db(&self) -> &Database {
        &self.db
    }

    fn allows_prune(&self) -> bool {
        false
    }

    fn append(&self, txn: &WriteTransaction, block: &BlockInfo<'_>) -> Result<(), IndexError> {
        // The genesis coinbase is not spendable, so it is not indexed.
        if block.height == 0 {
            return Ok(());
        }
        let mut table = txn.open_table(TXS)?;
        let mut offset = 80 + bitcoin::VarInt(block.block.txdata.len() as u64).size();
        for tx in &block.block.txdata {
            let mut v = [0u8; 12];
            v[..4].copy_from_slice(&block.pos.file.to_le_bytes());
            v[4..8].copy_from_slice(&block.pos.pos.to_le_bytes());
            v[8..].copy_from_slice(&(offset as u32).to_le_bytes());
            table.insert(tx.compute_txid().to_byte_array(), v)?;
            offset += tx.total_size();
        }
        Ok(())
    }
}
