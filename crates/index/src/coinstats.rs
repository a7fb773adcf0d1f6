//! `-coinstatsindex` (Core's `index/coinstatsindex.cpp`): the statistics of
//! the UTXO set after every block, with its MuHash, so `gettxoutsetinfo`
//! answers at any height without scanning the set.
//!
//! Each block's record holds the running totals and the MuHash state
//! (numerator and denominator) after it; a block's record is the record of
//! its parent plus what the block created and spent, so a reorganisation
//! needs no reverse application.

use std::path::Path;

use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, OutPoint};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use widecoin_chainparams::consensus::{get_block_subsidy, ConsensusParams};
use widecoin_chainstate::coinstats::{bogo_size, txout_ser, MuHash3072};
use widecoin_chainstate::undo::Coin;

use crate::base::{BlockInfo, IndexBackend};
use crate::error::IndexError;

/// Block hash → encoded [`Record`].
const STATS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("stats");

/// `MAX_SCRIPT_SIZE`: longer output scripts are unspendable.
const MAX_SCRIPT_SIZE: usize = 10_000;

/// The statistics after one block (Core's `CCoinsStats` with
/// `index_used`, from the index's `DBVal`). Amounts in satoshis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedStats {
    pub height: u32,
    pub block_hash: BlockHash,
    pub txouts: u64,
    pub bogosize: u64,
    pub total_amount: i64,
    pub total_subsidy: i64,
    pub total_unspendable_amount: i64,
    pub total_prevout_spent_amount: i64,
    pub total_new_outputs_ex_coinbase_amount: i64,
    pub total_coinbase_amount: i64,
    pub total_unspendables_genesis_block: i64,
    pub total_unspendables_bip30: i64,
    pub total_unspendables_scripts: i64,
    pub total_unspendables_unclaimed_rewards: i64,
    /// The finalized MuHash in internal byte order (reverse it to show).
    pub muhash: [u8; 32],
}

impl IndexedStats {
    fn empty() -> IndexedStats {
        IndexedStats {
            height: 0,
            block_hash: BlockHash::all_zeros(),
            txouts: 0,
            bogosize: 0,
            total_amount: 0,
            total_subsidy: 0,
            total_unspendable_amount: 0,
            total_prevout_spent_amount: 0,
            total_new_outputs_ex_coinbase_amount: 0,
            total_coinbase_amount: 0,
            total_unspendables_genesis_block: 0,
            total_unspendables_bip30: 0,
            total_unspendables_scripts: 0,
            total_unspendables_unclaimed_rewards: 0,
            muhash: [0; 32],
        }
    }
}

/// What is stored per block: the statistics and the running MuHash state.
struct Record {
    stats: IndexedStats,
    muhash: MuHash3072,
}

const AMOUNTS: usize = 12;
const STATE_LEN: usize = 768;

impl Record {
    fn encode(&self) -> Vec<u8> {
        let s = &self.stats;
        let mut out = Vec::with_capacity(4 + AMOUNTS * 8 + STATE_LEN);
        out.extend_from_slice(&s.height.to_le_bytes());
        for v in [
            s.txouts as i64,
            s.bogosize as i64,
            s.total_amount,
            s.total_subsidy,
            s.total_unspendable_amount,
            s.total_prevout_spent_amount,
            s.total_new_outputs_ex_coinbase_amount,
            s.total_coinbase_amount,
            s.total_unspendables_genesis_block,
            s.total_unspendables_bip30,
            s.total_unspendables_scripts,
            s.total_unspendables_unclaimed_rewards,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.muhash.serialize());
        out
    }

    fn decode(hash: BlockHash, v: &[u8]) -> Result<Record, IndexError> {
        if v.len() != 4 + AMOUNTS * 8 + STATE_LEN {
            return Err(IndexError::Corrupt(format!(
                "coinstatsindex: bad record for {hash}"
            )));
        }
        let height = u32::from_le_bytes(v[..4].try_into().expect("4 bytes"));
        let n = |i: usize| {
            let at = 4 + i * 8;
            i64::from_le_bytes(v[at..at + 8].try_into().expect("8 bytes"))
        };
        let at = 4 + AMOUNTS * 8;
        let stats = IndexedStats {
            height,
            block_hash: hash,
            txouts: n(0) as u64,
            bogosize: n(1) as u64,
            total_amount: n(2),
            total_subsidy: n(3),
            total_unspendable_amount: n(4),
            total_prevout_spent_amount: n(5),
            total_new_outputs_ex_coinbase_amount: n(6),
            total_coinbase_amount: n(7),
            total_unspendables_genesis_block: n(8),
            total_unspendables_bip30: n(9),
            total_unspendables_scripts: n(10),
            total_unspendables_unclaimed_rewards: n(11),
            muhash: [0; 32],
        };
        let state: &[u8; STATE_LEN] = v[at..].try_into().expect("768 bytes");
        Ok(Record {
            stats,
            muhash: MuHash3072::deserialize(state),
        })
    }
}

/// Core's `CScript::IsUnspendable`.
fn is_unspendable(script: &bitcoin::Script) -> bool {
    script.is_op_return() || script.len() > MAX_SCRIPT_SIZE
}

/// The coin statistics index.
pub struct CoinStatsIndex {
    db: Database,
    consensus: ConsensusParams,
}

impl CoinStatsIndex {
    /// Opens `<dir>/index.redb` (`<datadir>/indexes/coinstats`).
    pub fn open(dir: &Path, consensus: ConsensusParams) -> Result<CoinStatsIndex, IndexError> {
        std::fs::create_dir_all(dir)?;
        Ok(CoinStatsIndex {
            db: Database::create(dir.join("index.redb"))?,
            consensus,
        })
    }

    /// Core's `LookUpStats`: the statistics after block `hash`.
    pub fn look_up_stats(&self, hash: &BlockHash) -> Result<Option<IndexedStats>, IndexError> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(STATS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        match table.get(hash.to_byte_array())? {
            Some(v) => {
                // Finalizing takes a modular inverse, so it is done when
                // asked rather than for every block.
                let mut rec = Record::decode(*hash, v.value())?;
                rec.stats.muhash = rec.muhash.finalize();
                Ok(Some(rec.stats))
            }
            None => Ok(None),
        }
    }
}

impl IndexBackend for CoinStatsIndex {
    fn name(&self) -> &str {
        "coinstatsindex"
    }

    fn db(&self) -> &Database {
        &self.db
    }

    fn needs_undo(&self) -> bool {
        true
    }

    fn append(&self, txn: &WriteTransaction, block: &BlockInfo<'_>) -> Result<(), IndexError> {
        let mut table = txn.open_table(STATS)?;
        let mut rec = match block.prev {
            None => Record {
                stats: IndexedStats::empty(),
                muhash: MuHash3072::default(),
            },
            Some(prev) => {
                let v = table.get(prev.to_byte_array())?.ok_or_else(|| {
                    IndexError::Corrupt(format!("previous block header not found; expected {prev}"))
                })?;
                Record::decode(prev, v.value())?
            }
        };
        let s = &mut rec.stats;
        s.height = block.height;
        s.block_hash = block.hash;
        let subsidy = get_block_subsidy(block.height, &self.consensus) as i64;
        s.total_subsidy += subsidy;
        if block.height == 0 {
            // The genesis outputs never enter the UTXO set.
            s.total_unspendable_amount += subsidy;
            s.total_unspendables_genesis_block += subsidy;
        } else {
            // Core's BIP30 exception names two Bitcoin blocks, which do not
            // exist on Widecoin's chains, so `bip30` stays zero.
            let undo = block.undo.ok_or_else(|| {
                IndexError::Corrupt(format!("no undo data for block {}", block.hash))
            })?;
            for (i, tx) in block.block.txdata.iter().enumerate() {
                let txid = tx.compute_txid();
                let coinbase = i == 0;
                for (vout, out) in tx.output.iter().enumerate() {
                    if is_unspendable(&out.script_pubkey) {
                        s.total_unspendable_amount += out.value.to_sat() as i64;
                        s.total_unspendables_scripts += out.value.to_sat() as i64;
                        continue;
                    }
                    let coin = Coin {
                        output: out.clone(),
                        height: block.height,
                        coinbase,
                    };
                    let op = OutPoint {
                        txid,
                        vout: vout as u32,
                    };
                    rec.muhash.insert(&txout_ser(&op, &coin));
                    if coinbase {
                        s.total_coinbase_amount += out.value.to_sat() as i64;
                    } else {
                        s.total_new_outputs_ex_coinbase_amount += out.value.to_sat() as i64;
                    }
                    s.txouts += 1;
                    s.total_amount += out.value.to_sat() as i64;
                    s.bogosize += bogo_size(out.script_pubkey.len());
                }
                if coinbase {
                    continue;
                }
                let tx_undo = undo.txs.get(i - 1).ok_or_else(|| {
                    IndexError::Corrupt(format!("undo data of block {} too short", block.hash))
                })?;
                for (input, coin) in tx.input.iter().zip(&tx_undo.prevouts) {
                    rec.muhash.remove(&txout_ser(&input.previous_output, coin));
                    let value = coin.output.value.to_sat() as i64;
                    s.total_prevout_spent_amount += value;
                    s.txouts -= 1;
                    s.total_amount -= value;
                    s.bogosize -= bogo_size(coin.output.script_pubkey.len());
                }
            }
        }
        // Rewards the miner did not claim are unspendable too.
        let unclaimed = (s.total_prevout_spent_amount + s.total_subsidy)
            - (s.total_new_outputs_ex_coinbase_amount
                + s.total_coinbase_amount
                + s.total_unspendable_amount);
        s.total_unspendable_amount += unclaimed;
        s.total_unspendables_unclaimed_rewards += unclaimed;
        table.insert(block.hash.to_byte_array(), rec.encode().as_slice())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips() {
        let mut muhash = MuHash3072::default();
        muhash.insert(b"one coin");
        muhash.remove(b"another coin");
        let mut stats = IndexedStats::empty();
        stats.height = 7;
        stats.block_hash = BlockHash::from_byte_array([3; 32]);
        stats.txouts = 11;
        stats.total_amount = 5_000_000_000;
        stats.total_unspendables_unclaimed_rewards = -1;
        let rec = Record {
            stats: stats.clone(),
            muhash: muhash.clone(),
        };
        let back = Record::decode(stats.block_hash, &rec.encode()).unwrap();
        assert_eq!(back.stats, stats);
        assert_eq!(back.muhash.clone().finalize(), muhash.finalize());
        assert!(Record::decode(stats.block_hash, &[0; 10]).is_err());
    }

    #[test]
    fn unspendable_like_core() {
        assert!(is_unspendable(bitcoin::Script::from_bytes(&[0x6a])));
        assert!(is_unspendable(&bitcoin::ScriptBuf::from_bytes(vec![
            0x51;
            10_001
        ])));
        assert!(!is_unspendable(bitcoin::Script::from_bytes(&[0x51])));
        assert!(!is_unspendable(bitcoin::Script::from_bytes(&[])));
    }
}
