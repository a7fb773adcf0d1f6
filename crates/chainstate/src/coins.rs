//! The UTXO set: coins in redb behind an in-memory cache (Core's
//! `CCoinsViewDB` + `CCoinsViewCache` with DIRTY/FRESH flags). A flush writes
//! every dirty coin and the best-block marker in one redb write transaction,
//! so the database always holds the UTXO set of exactly one block.

use std::collections::HashMap;
use std::path::Path;

use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, OutPoint};
use redb::{Database, Durability, ReadableDatabase, ReadableTable};

use crate::db::{
    decode_coin, encode_coin, hash_from_bytes, outpoint_from_key, outpoint_key, COINS, COINS_META,
    KEY_BEST_BLOCK,
};
use crate::error::ChainstateError;
use crate::undo::Coin;

#[derive(Clone, Debug)]
struct CacheEntry {
    /// `None`: spent.
    coin: Option<Coin>,
    /// Differs from the database.
    dirty: bool,
    /// Not in the database at all (a spend can simply drop it).
    fresh: bool,
}

/// Rough per-entry overhead of the map (key, flags, `TxOut` and hashing slack).
const ENTRY_OVERHEAD: usize = 120;

/// The coins database with its cache.
pub struct CoinsView {
    db: Database,
    cache: HashMap<OutPoint, CacheEntry>,
    /// The block whose UTXO set the cache (over the database) represents.
    best_block: BlockHash,
    usage: usize,
}

impl CoinsView {
    /// Opens (or creates) `dir/coins.redb`; `wipe` empties it (`-reindex`,
    /// `-reindex-chainstate`).
    pub fn open(dir: &Path, wipe: bool) -> Result<CoinsView, ChainstateError> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("coins.redb");
        let db = Database::create(&path)?;
        {
            let txn = db.begin_write()?;
            if wipe {
                txn.delete_table(COINS)?;
                txn.delete_table(COINS_META)?;
            }
            txn.open_table(COINS)?;
            txn.open_table(COINS_META)?;
            txn.commit()?;
        }
        let best_block = {
            let txn = db.begin_read()?;
            let meta = txn.open_table(COINS_META)?;
            let value = meta.get(KEY_BEST_BLOCK)?;
            value
                .and_then(|v| hash_from_bytes(v.value()))
                .unwrap_or_else(BlockHash::all_zeros)
        };
        Ok(CoinsView {
            db,
            cache: HashMap::new(),
            best_block,
            usage: 0,
        })
    }

    /// The block the UTXO set corresponds to (all zeros: none, empty set).
    pub fn best_block(&self) -> BlockHash {
        self.best_block
    }

    pub fn set_best_block(&mut self, hash: BlockHash) {
        self.best_block = hash;
    }

    /// Approximate memory used by the cache, in bytes (`DynamicMemoryUsage`).
    pub fn cache_usage(&self) -> usize {
        self.usage
    }

    pub fn cache_len(&self) -> usize {
        self.cache.len()
    }

    fn entry_size(coin: &Option<Coin>) -> usize {
        ENTRY_OVERHEAD + coin.as_ref().map_or(0, |c| c.output.script_pubkey.len())
    }

    fn read_db(&self, op: &OutPoint) -> Result<Option<Coin>, ChainstateError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(COINS)?;
        let value = table.get(outpoint_key(op))?;
        match value {
            Some(v) => Ok(Some(decode_coin(v.value())?)),
            None => Ok(None),
        }
    }

    /// Loads `op` into the cache; the unspent coin if there is one.
    fn fetch(&mut self, op: &OutPoint) -> Result<Option<&Coin>, ChainstateError> {
        if !self.cache.contains_key(op) {
            let coin = self.read_db(op)?;
            let Some(coin) = coin else { return Ok(None) };
            let entry = CacheEntry {
                coin: Some(coin),
                dirty: false,
                fresh: false,
            };
            self.usage += Self::entry_size(&entry.coin);
            self.cache.insert(*op, entry);
        }
        Ok(self.cache.get(op).and_then(|e| e.coin.as_ref()))
    }

    /// The unspent coin at `op` (`AccessCoin`), cloned.
    pub fn get(&mut self, op: &OutPoint) -> Result<Option<Coin>, ChainstateError> {
        Ok(self.fetch(op)?.cloned())
    }

    /// `HaveCoin`.
    pub fn have(&mut self, op: &OutPoint) -> Result<bool, ChainstateError> {
        Ok(self.fetch(op)?.is_some())
    }

    /// Looks a coin up without filling the cache (for RPC `gettxout`).
    pub fn peek(&self, op: &OutPoint) -> Result<Option<Coin>, ChainstateError> {
        match self.cache.get(op) {
            Some(e) => Ok(e.coin.clone()),
            None => self.read_db(op),
        }
    }

    /// `AddCoin`. Without `possible_overwrite` the caller guarantees no
    /// unspent coin exists at `op` (BIP30), so the entry can be FRESH.
    pub fn add(&mut self, op: OutPoint, coin: Coin, possible_overwrite: bool) {
        if coin.output.script_pubkey.is_op_return()
            || coin.output.script_pubkey.len() > widecoin_consensus::constants::MAX_SCRIPT_SIZE
        {
            return;
        }
        let new_size = Self::entry_size(&Some(coin.clone()));
        let entry = self.cache.entry(op);
        let mut fresh = false;
        match entry {
            std::collections::hash_map::Entry::Occupied(mut o) => {
                let e = o.get_mut();
                if !possible_overwrite {
                    fresh = !e.dirty;
                }
                self.usage = self.usage.saturating_sub(Self::entry_size(&e.coin)) + new_size;
                e.coin = Some(coin);
                e.fresh |= fresh;
                e.dirty = true;
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                self.usage += new_size;
                v.insert(CacheEntry {
                    coin: Some(coin),
                    dirty: true,
                    fresh: !possible_overwrite,
                });
            }
        }
    }

    /// `SpendCoin`: removes and returns the unspent coin at `op`.
    pub fn spend(&mut self, op: &OutPoint) -> Result<Option<Coin>, ChainstateError> {
        if self.fetch(op)?.is_none() {
            return Ok(None);
        }
        let e = self.cache.get_mut(op).expect("fetched");
        let coin = e.coin.take();
        if e.fresh {
            let e = self.cache.remove(op).expect("present");
            self.usage = self.usage.saturating_sub(
                Self::entry_size(&e.coin)
                    + coin.as_ref().map_or(0, |c| c.output.script_pubkey.len()),
            );
        } else {
            e.dirty = true;
            self.usage = self
                .usage
                .saturating_sub(coin.as_ref().map_or(0, |c| c.output.script_pubkey.len()));
        }
        Ok(coin)
    }

    /// Writes the dirty coins and the best block in one durable transaction
    /// and empties the cache (`CCoinsViewCache::Flush` + `BatchWrite`).
    pub fn flush(&mut self) -> Result<(), ChainstateError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        let mut written = 0usize;
        {
            let mut table = txn.open_table(COINS)?;
            for (op, e) in &self.cache {
                if !e.dirty {
                    continue;
                }
                written += 1;
                let key = outpoint_key(op);
                match &e.coin {
                    Some(c) => {
                        table.insert(key, encode_coin(c).as_slice())?;
                    }
                    None => {
                        if !e.fresh {
                            table.remove(key)?;
                        }
                    }
                }
            }
            let mut meta = txn.open_table(COINS_META)?;
            meta.insert(KEY_BEST_BLOCK, self.best_block.as_byte_array().as_slice())?;
        }
        txn.commit()?;
        tracing::debug!(target: "coindb", "Committed {written} changed transaction outputs (out of {}) to coin database...", self.cache.len());
        self.cache.clear();
        self.usage = 0;
        Ok(())
    }

    /// Drops the cache without writing (after a failed connection the cache
    /// was only ever modified through a throw-away layer, so this is unused in
    /// normal operation; kept for tests of crash behaviour).
    pub fn discard_cache(&mut self) {
        self.cache.clear();
        self.usage = 0;
    }

    /// Every unspent coin in the database (after a flush this is the whole
    /// set), in key order.
    pub fn for_each_db_coin(
        &self,
        mut f: impl FnMut(OutPoint, Coin),
    ) -> Result<(), ChainstateError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(COINS)?;
        for item in table.iter()? {
            let (k, v) = item?;
            f(outpoint_from_key(&k.value()), decode_coin(v.value())?);
        }
        Ok(())
    }
}

/// A throw-away layer over the [`CoinsView`] for connecting or disconnecting
/// one block: changes land in the cache only when the block succeeded
/// (Core's `CCoinsViewCache view(&CoinsTip())` + `view.Flush()`).
pub struct CoinsLayer<'a> {
    base: &'a mut CoinsView,
    changes: HashMap<OutPoint, Option<Coin>>,
    /// Coins added in this layer that did not exist below (for FRESH).
    added_new: HashMap<OutPoint, bool>,
}

impl<'a> CoinsLayer<'a> {
    pub fn new(base: &'a mut CoinsView) -> Self {
        CoinsLayer {
            base,
            changes: HashMap::new(),
            added_new: HashMap::new(),
        }
    }

    pub fn get(&mut self, op: &OutPoint) -> Result<Option<Coin>, ChainstateError> {
        if let Some(c) = self.changes.get(op) {
            return Ok(c.clone());
        }
        self.base.get(op)
    }

    pub fn have(&mut self, op: &OutPoint) -> Result<bool, ChainstateError> {
        Ok(self.get(op)?.is_some())
    }

    /// Rough bytes held by this layer's changes.
    pub fn usage(&self) -> usize {
        self.changes
            .values()
            .map(|c| CoinsView::entry_size(c) + 16)
            .sum()
    }

    /// Bytes used by the cache below.
    pub fn base_usage(&self) -> usize {
        self.base.cache_usage()
    }

    pub fn add(&mut self, op: OutPoint, coin: Coin, possible_overwrite: bool) {
        self.added_new.entry(op).or_insert(possible_overwrite);
        self.changes.insert(op, Some(coin));
    }

    pub fn spend(&mut self, op: &OutPoint) -> Result<Option<Coin>, ChainstateError> {
        let coin = self.get(op)?;
        if coin.is_some() {
            self.changes.insert(*op, None);
            // Re-adding a coin spent here may overwrite the one below.
            self.added_new.insert(*op, true);
        }
        Ok(coin)
    }

    /// Applies the changes to the cache below.
    pub fn commit(self, best_block: BlockHash) -> Result<(), ChainstateError> {
        let CoinsLayer {
            base,
            changes,
            added_new,
        } = self;
        for (op, change) in changes {
            match change {
                Some(coin) => {
                    let overwrite = added_new.get(&op).copied().unwrap_or(true);
                    base.add(op, coin, overwrite);
                }
                None => {
                    base.spend(&op)?;
                }
            }
        }
        base.set_best_block(best_block);
        Ok(())
    }
}
