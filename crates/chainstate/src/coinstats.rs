//! Statistics over the whole UTXO set (Core's `kernel/coinstats.cpp`):
//! counts, `GetBogoSize`, the total amount and one of the set hashes of
//! `gettxoutsetinfo` (`hash_serialized_3`, `muhash` or none).

pub mod muhash;

use bitcoin::consensus::Encodable;
use bitcoin::hashes::{sha256, sha256d, Hash, HashEngine};
use bitcoin::{BlockHash, OutPoint};

use crate::error::ChainstateError;
use crate::manager::ChainstateManager;
use crate::undo::Coin;
pub use muhash::MuHash3072;

/// Which set hash to compute (Core's `CoinStatsHashType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoinStatsHashType {
    /// `hash_serialized_3`: double SHA256 over every coin in database order.
    HashSerialized,
    /// `muhash`: order-independent MuHash3072.
    MuHash,
    None,
}

/// Core's `CCoinsStats` without the coinstatsindex fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoinsStats {
    pub height: u32,
    pub best_block: BlockHash,
    /// Transactions with at least one unspent output.
    pub transactions: u64,
    pub txouts: u64,
    pub bogosize: u64,
    /// `None` when the sum overflowed (Core's `CheckedAdd`).
    pub total_amount: Option<i64>,
    /// The set hash in internal byte order (shown reversed, as a `uint256`).
    pub hash: Option<[u8; 32]>,
    /// Bytes of the coin records (keys and values) as stored.
    pub disk_size: u64,
}

/// Core's `GetBogoSize`: txid, vout, height and coinbase flag, amount,
/// script length and script.
pub fn bogo_size(script_len: usize) -> u64 {
    32 + 4 + 4 + 8 + 2 + script_len as u64
}

/// Core's `TxOutSer`: outpoint, `height << 1 | coinbase` as a `uint32`, output.
pub fn txout_ser(op: &OutPoint, coin: &Coin) -> Vec<u8> {
    let mut out = Vec::with_capacity(36 + 4 + 9 + coin.output.script_pubkey.len() + 3);
    op.consensus_encode(&mut out).expect("writing to a vector");
    out.extend_from_slice(&((coin.height << 1) | u32::from(coin.coinbase)).to_le_bytes());
    coin.output
        .consensus_encode(&mut out)
        .expect("writing to a vector");
    out
}

enum Hasher {
    Serialized(sha256::HashEngine),
    Mu(Box<MuHash3072>),
    None,
}

/// Core's `ComputeUTXOStats` over the flushed coins database. The database
/// iterates by txid bytes and then vout, which is the order in which Core
/// applies each transaction's outputs (its cursor goes by txid, and the
/// outputs of one txid are applied in `std::map` order, i.e. by vout).
/// `interrupted` is polled now and then; when it returns true the
/// computation stops with `Ok(None)`.
pub fn compute_utxo_stats(
    cm: &mut ChainstateManager,
    hash_type: CoinStatsHashType,
    mut interrupted: impl FnMut() -> bool,
) -> Result<Option<CoinsStats>, ChainstateError> {
    cm.flush()?;
    let best_block = cm.coins.best_block();
    let height = cm.lookup(&best_block).map_or(0, |e| e.height);
    let mut stats = CoinsStats {
        height,
        best_block,
        transactions: 0,
        txouts: 0,
        bogosize: 0,
        total_amount: Some(0),
        hash: None,
        disk_size: 0,
    };
    let mut hasher = match hash_type {
        CoinStatsHashType::HashSerialized => Hasher::Serialized(sha256d::Hash::engine()),
        CoinStatsHashType::MuHash => Hasher::Mu(Box::default()),
        CoinStatsHashType::None => Hasher::None,
    };
    let mut prev_txid = None;
    let mut stopped = false;
    let mut count: u64 = 0;
    cm.coins.for_each_db_coin(|op, coin| {
        if stopped {
            return;
        }
        count += 1;
        if count.is_multiple_of(8192) && interrupted() {
            stopped = true;
            return;
        }
        if prev_txid != Some(op.txid) {
            stats.transactions += 1;
            prev_txid = Some(op.txid);
        }
        stats.txouts += 1;
        stats.total_amount = stats
            .total_amount
            .and_then(|t| t.checked_add(coin.output.value.to_sat() as i64));
        stats.bogosize += bogo_size(coin.output.script_pubkey.len());
        stats.disk_size += 36 + crate::db::encode_coin(&coin).len() as u64;
        match &mut hasher {
            Hasher::Serialized(engine) => engine.input(&txout_ser(&op, &coin)),
            Hasher::Mu(mu) => mu.insert(&txout_ser(&op, &coin)),
            Hasher::None => {}
        }
    })?;
    if stopped {
        return Ok(None);
    }
    stats.hash = match hasher {
        Hasher::Serialized(engine) => Some(sha256d::Hash::from_engine(engine).to_byte_array()),
        Hasher::Mu(mut mu) => Some(mu.finalize()),
        Hasher::None => None,
    };
    Ok(Some(stats))
}

/// Visits every coin of the flushed set in database order (for
/// `scantxoutset`); `f` returns false to stop early. Returns the tip the set
/// belongs to.
pub fn scan_coins(
    cm: &mut ChainstateManager,
    mut f: impl FnMut(&OutPoint, &Coin) -> bool,
) -> Result<(u32, BlockHash), ChainstateError> {
    cm.flush()?;
    let best_block = cm.coins.best_block();
    let height = cm.lookup(&best_block).map_or(0, |e| e.height);
    let mut go_on = true;
    cm.coins.for_each_db_coin(|op, coin| {
        if go_on {
            go_on = f(&op, &coin);
        }
    })?;
    Ok((height, best_block))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bogo_size_matches_core() {
        // A P2PKH script is 25 bytes.
        assert_eq!(bogo_size(25), 75);
    }

    #[test]
    fn txout_ser_layout() {
        let op = OutPoint {
            txid: bitcoin::Txid::from_byte_array([7; 32]),
            vout: 3,
        };
        let coin = Coin {
            output: bitcoin::TxOut {
                value: bitcoin::Amount::from_sat(5),
                script_pubkey: bitcoin::ScriptBuf::from_bytes(vec![0x51]),
            },
            height: 10,
            coinbase: true,
        };
        let s = txout_ser(&op, &coin);
        assert_eq!(&s[..32], &[7; 32]);
        assert_eq!(&s[32..36], &[3, 0, 0, 0]);
        assert_eq!(&s[36..40], &[21, 0, 0, 0]);
        assert_eq!(&s[40..48], &[5, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&s[48..], &[1, 0x51]);
    }
}
