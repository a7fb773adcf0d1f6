//! `-blockfilterindex=basic` (Core's `index/blockfilterindex.cpp`): the
//! BIP158 basic filter of every block and its filter header.

use std::path::Path;

use bitcoin::bip158::{BlockFilter, BlockFilterWriter, FilterHeader};
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};

use crate::base::{BlockInfo, IndexBackend};
use crate::error::IndexError;

/// Block hash → filter header (32 bytes) followed by the encoded filter.
const FILTERS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("filters");

/// The filter types Core knows (`BlockFilterType`); only `basic` exists.
pub const FILTER_TYPE_BASIC: &str = "basic";

/// Core's `BasicFilterElements` encoded: every output script except empty
/// and `OP_RETURN` ones, and every spent output's script (from the undo data).
pub fn basic_filter(
    block: &bitcoin::Block,
    undo: Option<&widecoin_chainstate::undo::BlockUndo>,
) -> BlockFilter {
    let mut content = Vec::new();
    {
        let mut writer = BlockFilterWriter::new(&mut content, block);
        writer.add_output_scripts();
        if let Some(undo) = undo {
            for tx in &undo.txs {
                for coin in &tx.prevouts {
                    writer.add_element(coin.output.script_pubkey.as_bytes());
                }
            }
        }
        writer.finish().expect("writing to a vector");
    }
    BlockFilter::new(&content)
}

/// The basic block filter index.
pub struct BlockFilterIndex {
    db: Database,
}

impl BlockFilterIndex {
    /// Opens `<dir>/index.redb` (`<datadir>/indexes/blockfilter/basic`).
    pub fn open(dir: &Path) -> Result<BlockFilterIndex, IndexError> {
        std::fs::create_dir_all(dir)?;
        Ok(BlockFilterIndex {
            db: Database::create(dir.join("index.redb"))?,
        })
    }

    /// Core's `LookupFilter` and `LookupFilterHeader` together.
    pub fn lookup(
        &self,
        hash: &BlockHash,
    ) -> Result<Option<(BlockFilter, FilterHeader)>, IndexError> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(FILTERS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(table.get(hash.to_byte_array())?.map(|v| decode(v.value())))
    }

    /// The filters and filter headers of `hashes`, in order, read in one
    /// transaction (Core's `LookupFilterRange` and `LookupFilterHashRange`
    /// for BIP157 serving); `None` when one of them is not indexed.
    pub fn lookup_many(
        &self,
        hashes: &[BlockHash],
    ) -> Result<Option<Vec<(BlockFilter, FilterHeader)>>, IndexError> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(FILTERS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) if hashes.is_empty() => {
                return Ok(Some(Vec::new()))
            }
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::with_capacity(hashes.len());
        for hash in hashes {
            match table.get(hash.to_byte_array())? {
                Some(v) => out.push(decode(v.value())),
                None => return Ok(None),
            }
        }
        Ok(Some(out))
    }
}

fn decode(v: &[u8]) -> (BlockFilter, FilterHeader) {
    let header = FilterHeader::from_byte_array(v[..32].try_into().expect("32 bytes"));
    (BlockFilter::new(&v[32..]), header)
}

impl IndexBackend for BlockFilterIndex {
    fn name(&self) -> &str {
        "basic block filter index"
    }

    fn db(&self) -> &Database {
        &self.db
    }

    fn needs_undo(&self) -> bool {
        true
    }

    fn append(&self, txn: &WriteTransaction, block: &BlockInfo<'_>) -> Result<(), IndexError> {
        let mut table = txn.open_table(FILTERS)?;
        let prev_header = match block.prev {
            None => FilterHeader::all_zeros(),
            Some(prev) => {
                let v = table.get(prev.to_byte_array())?.ok_or_else(|| {
                    IndexError::Corrupt(format!(
                        "previous block filter header not found; expected {prev}"
                    ))
                })?;
                decode(v.value()).1
            }
        };
        let filter = basic_filter(block.block, block.undo);
        let header = filter.filter_header(&prev_header);
        let mut v = header.to_byte_array().to_vec();
        v.extend_from_slice(&filter.content);
        table.insert(block.hash.to_byte_array(), v.as_slice())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use widecoin_chainstate::undo::{BlockUndo, Coin, TxUndo};

    #[test]
    fn lookup_many_reads_every_hash_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let index = BlockFilterIndex::open(dir.path()).unwrap();
        let genesis =
            widecoin_chainparams::ChainParams::new(widecoin_chainparams::ChainType::Regtest)
                .genesis_block()
                .clone();
        let hash = genesis.block_hash();
        assert_eq!(index.lookup_many(&[]).unwrap(), Some(Vec::new()));
        assert_eq!(index.lookup_many(&[hash]).unwrap(), None);
        let txn = index.db().begin_write().unwrap();
        let info = BlockInfo {
            hash,
            height: 0,
            prev: None,
            block: &genesis,
            undo: None,
            pos: Default::default(),
        };
        index.append(&txn, &info).unwrap();
        txn.commit().unwrap();
        let one = index.lookup(&hash).unwrap().unwrap();
        assert_eq!(
            index.lookup_many(&[hash, hash]).unwrap(),
            Some(vec![one.clone(), one])
        );
        let unknown = BlockHash::from_byte_array([1; 32]);
        assert_eq!(index.lookup_many(&[hash, unknown]).unwrap(), None);
    }

    #[test]
    fn basic_filter_has_outputs_and_spent_scripts_but_no_op_return() {
        let mut block =
            widecoin_chainparams::ChainParams::new(widecoin_chainparams::ChainType::Regtest)
                .genesis_block()
                .clone();
        let paid = bitcoin::ScriptBuf::from_bytes(vec![0x00, 0x14, 7, 7, 7]);
        let op_return = bitcoin::ScriptBuf::from_bytes(vec![0x6a, 0x01, 0x09]);
        block.txdata[0].output[0].script_pubkey = paid.clone();
        block.txdata[0].output.push(bitcoin::TxOut {
            value: bitcoin::Amount::ZERO,
            script_pubkey: op_return.clone(),
        });
        let spent = bitcoin::ScriptBuf::from_bytes(vec![0x51, 0x52]);
        let undo = BlockUndo {
            txs: vec![TxUndo {
                prevouts: vec![Coin {
                    output: bitcoin::TxOut {
                        value: bitcoin::Amount::from_sat(1),
                        script_pubkey: spent.clone(),
                    },
                    height: 1,
                    coinbase: false,
                }],
            }],
        };
        let hash = block.block_hash();
        let filter = basic_filter(&block, Some(&undo));
        let has = |s: &bitcoin::ScriptBuf| {
            filter
                .match_any(&hash, std::iter::once(s.as_bytes()))
                .unwrap()
        };
        assert!(has(&paid));
        assert!(has(&spent));
        assert!(!has(&op_return));
        assert!(!basic_filter(&block, None)
            .match_any(&hash, std::iter::once(spent.as_bytes()))
            .unwrap());
    }
}
