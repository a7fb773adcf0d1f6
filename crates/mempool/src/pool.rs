//! The transaction memory pool (Core's `CTxMemPool`): entries with their fees, sizes and
//! in-pool relatives, the index of spent outpoints, removal for connected blocks, and the
//! selection the block assembler reads. Acceptance (Core's `MemPoolAccept`) is in
//! [`accept`](crate::accept).
//!
//! The pool does not depend on the chainstate: it sees the chain through [`ChainView`], which
//! the node implements over its `ChainstateManager` and tests implement over a map.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use bitcoin::{Block, OutPoint, Transaction, Txid, Wtxid};

use crate::constants::{
    DEFAULT_ANCESTOR_LIMIT, DEFAULT_ANCESTOR_SIZE_LIMIT_KVB, DEFAULT_BYTES_PER_SIGOP,
    DEFAULT_DESCENDANT_LIMIT, DEFAULT_DESCENDANT_SIZE_LIMIT_KVB, DEFAULT_MEMPOOL_FULL_RBF,
    DEFAULT_MIN_RELAY_TX_FEE, DEFAULT_PERMIT_BAREMULTISIG, DUST_RELAY_TX_FEE, MAX_OP_RETURN_RELAY,
    MEMPOOL_HEIGHT,
};
use crate::feerate::FeeRate;
use crate::inputs::{Coin, CoinView};
use crate::locks::{is_final_tx, ChainMtp, LockPoints};

/// The chain under the pool: its UTXO set, its tip and the median times past of its blocks.
pub trait ChainView: CoinView + ChainMtp {
    /// Height of the tip.
    fn tip_height(&self) -> i32;

    /// Median time past of the tip.
    fn tip_mtp(&self) -> i64 {
        self.median_time_past(self.tip_height().max(0) as u32)
    }
}

/// Chain limits of in-pool packages (Core's `CTxMemPool::Limits`), sizes in virtual bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub ancestor_count: u64,
    pub ancestor_size_vbytes: u64,
    pub descendant_count: u64,
    pub descendant_size_vbytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            ancestor_count: u64::from(DEFAULT_ANCESTOR_LIMIT),
            ancestor_size_vbytes: u64::from(DEFAULT_ANCESTOR_SIZE_LIMIT_KVB) * 1000,
            descendant_count: u64::from(DEFAULT_DESCENDANT_LIMIT),
            descendant_size_vbytes: u64::from(DEFAULT_DESCENDANT_SIZE_LIMIT_KVB) * 1000,
        }
    }
}

/// The pool's policy (Core's `MemPoolOptions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MempoolOptions {
    /// `-minrelaytxfee`.
    pub min_relay_feerate: FeeRate,
    /// `-dustrelayfee`.
    pub dust_relay_feerate: FeeRate,
    /// `-datacarriersize` when `-datacarrier`, else `None`.
    pub max_datacarrier_bytes: Option<u32>,
    /// `-permitbaremultisig`.
    pub permit_bare_multisig: bool,
    /// Not `-acceptnonstdtxn`.
    pub require_standard: bool,
    /// `-bytespersigop`.
    pub bytes_per_sigop: u32,
    /// `-mempoolfullrbf`.
    pub full_rbf: bool,
    pub limits: Limits,
}

impl Default for MempoolOptions {
    fn default() -> Self {
        MempoolOptions {
            min_relay_feerate: FeeRate::from_sat_per_kvb(DEFAULT_MIN_RELAY_TX_FEE),
            dust_relay_feerate: FeeRate::from_sat_per_kvb(DUST_RELAY_TX_FEE),
            max_datacarrier_bytes: Some(MAX_OP_RETURN_RELAY),
            permit_bare_multisig: DEFAULT_PERMIT_BAREMULTISIG,
            require_standard: true,
            bytes_per_sigop: DEFAULT_BYTES_PER_SIGOP,
            full_rbf: DEFAULT_MEMPOOL_FULL_RBF,
            limits: Limits::default(),
        }
    }
}

/// One transaction in the pool (Core's `CTxMemPoolEntry`).
#[derive(Debug, Clone)]
pub struct MempoolEntry {
    pub tx: Arc<Transaction>,
    pub txid: Txid,
    pub wtxid: Wtxid,
    /// Base fee in satoshis.
    pub fee: i64,
    /// Sigop-adjusted virtual size (`GetTxSize`).
    pub vsize: u64,
    pub weight: u64,
    pub sigop_cost: u64,
    /// Time of entry (seconds since the epoch).
    pub time: i64,
    /// Tip height when the transaction entered.
    pub height: i32,
    /// Order of entry (Core's `entry_sequence`).
    pub sequence: u64,
    pub spends_coinbase: bool,
    pub lock_points: LockPoints,
    /// In-pool transactions this one spends.
    pub parents: BTreeSet<Txid>,
    /// In-pool transactions spending this one.
    pub children: BTreeSet<Txid>,
}

/// Sums over a set of relatives, the entry itself included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Aggregate {
    pub count: u64,
    pub vsize: u64,
    pub fees: i64,
}

/// Why a transaction left the pool (Core's `MemPoolRemovalReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalReason {
    Block,
    Conflict,
    Reorg,
}

/// The pool.
#[derive(Debug, Default)]
pub struct Mempool {
    pub(crate) options: MempoolOptions,
    pub(crate) entries: HashMap<Txid, MempoolEntry>,
    pub(crate) by_wtxid: HashMap<Wtxid, Txid>,
    /// Which pool transaction spends each outpoint (Core's `mapNextTx`).
    pub(crate) spent: HashMap<OutPoint, Txid>,
    /// Core's `m_sequence_number`: bumped by every addition and removal.
    sequence: u64,
    total_fee: i64,
    total_vsize: u64,
    usage: u64,
}

impl Mempool {
    pub fn new(options: MempoolOptions) -> Mempool {
        Mempool {
            options,
            sequence: 1,
            ..Mempool::default()
        }
    }

    pub fn options(&self) -> &MempoolOptions {
        &self.options
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Core's `GetSequence` (`mempool_sequence` of `getrawmempool`).
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// Sum of the virtual sizes (`getmempoolinfo`'s "bytes").
    pub fn total_vsize(&self) -> u64 {
        self.total_vsize
    }

    /// Sum of the base fees.
    pub fn total_fee(&self) -> i64 {
        self.total_fee
    }

    /// An estimate of the memory the entries take (`DynamicMemoryUsage`).
    pub fn usage(&self) -> u64 {
        self.usage
    }

    pub fn get(&self, txid: &Txid) -> Option<&MempoolEntry> {
        self.entries.get(txid)
    }

    pub fn contains_wtxid(&self, wtxid: &Wtxid) -> bool {
        self.by_wtxid.contains_key(wtxid)
    }

    /// The pool transaction spending `outpoint`, if any.
    pub fn spender(&self, outpoint: &OutPoint) -> Option<&Txid> {
        self.spent.get(outpoint)
    }

    /// The entries in order of entry (Core's `infoAll` order differs; callers sort as needed).
    pub fn entries(&self) -> impl Iterator<Item = &MempoolEntry> {
        self.entries.values()
    }

    /// Every transaction reachable through `step` from `txid`, `txid` excluded.
    fn closure(&self, txid: &Txid, step: fn(&MempoolEntry) -> &BTreeSet<Txid>) -> BTreeSet<Txid> {
        let mut found = BTreeSet::new();
        let mut todo = vec![*txid];
        while let Some(t) = todo.pop() {
            if let Some(e) = self.entries.get(&t) {
                for r in step(e) {
                    if found.insert(*r) {
                        todo.push(*r);
                    }
                }
            }
        }
        found
    }

    /// In-pool ancestors of a pool transaction, itself excluded.
    pub fn ancestors(&self, txid: &Txid) -> BTreeSet<Txid> {
        self.closure(txid, |e| &e.parents)
    }

    /// In-pool descendants of a pool transaction, itself excluded.
    pub fn descendants(&self, txid: &Txid) -> BTreeSet<Txid> {
        self.closure(txid, |e| &e.children)
    }

    fn aggregate(&self, txid: &Txid, others: BTreeSet<Txid>) -> Aggregate {
        std::iter::once(txid)
            .chain(others.iter())
            .filter_map(|t| self.entries.get(t))
            .fold(Aggregate::default(), |a, e| Aggregate {
                count: a.count + 1,
                vsize: a.vsize + e.vsize,
                fees: a.fees + e.fee,
            })
    }

    /// Count, size and fees with ancestors (itself included).
    pub fn with_ancestors(&self, txid: &Txid) -> Aggregate {
        self.aggregate(txid, self.ancestors(txid))
    }

    /// Count, size and fees with descendants (itself included).
    pub fn with_descendants(&self, txid: &Txid) -> Aggregate {
        self.aggregate(txid, self.descendants(txid))
    }

    /// Adds an entry whose checks passed (Core's `addUnchecked`); links it to its parents.
    pub(crate) fn add_unchecked(&mut self, mut entry: MempoolEntry) {
        entry.sequence = self.sequence;
        for input in &entry.tx.input {
            self.spent.insert(input.previous_output, entry.txid);
            let parent = input.previous_output.txid;
            if let Some(p) = self.entries.get_mut(&parent) {
                p.children.insert(entry.txid);
                entry.parents.insert(parent);
            }
        }
        self.sequence += 1;
        self.total_fee += entry.fee;
        self.total_vsize += entry.vsize;
        self.usage += entry_usage(&entry);
        self.by_wtxid.insert(entry.wtxid, entry.txid);
        self.entries.insert(entry.txid, entry);
    }

    /// Removes one entry, unlinking it from its relatives.
    fn remove_one(&mut self, txid: &Txid, reason: RemovalReason) -> Option<MempoolEntry> {
        let entry = self.entries.remove(txid)?;
        for input in &entry.tx.input {
            self.spent.remove(&input.previous_output);
        }
        for p in &entry.parents {
            if let Some(pe) = self.entries.get_mut(p) {
                pe.children.remove(txid);
            }
        }
        for c in &entry.children {
            if let Some(ce) = self.entries.get_mut(c) {
                ce.parents.remove(txid);
            }
        }
        self.by_wtxid.remove(&entry.wtxid);
        self.sequence += 1;
        self.total_fee -= entry.fee;
        self.total_vsize -= entry.vsize;
        self.usage -= entry_usage(&entry);
        tracing::debug!(target: "mempool", "removed {} ({:?})", txid, reason);
        Some(entry)
    }

    /// Removes `txid` and every descendant (Core's `removeRecursive`).
    pub fn remove_recursive(&mut self, txid: &Txid, reason: RemovalReason) {
        if !self.entries.contains_key(txid) {
            return;
        }
        let mut all = self.descendants(txid);
        all.insert(*txid);
        for t in all {
            self.remove_one(&t, reason);
        }
    }

    /// Core's `removeForBlock`: drops the block's transactions and every pool transaction
    /// spending an outpoint the block spends (with their descendants).
    pub fn remove_for_block(&mut self, block: &Block) {
        for tx in &block.txdata {
            let txid = tx.compute_txid();
            self.remove_one(&txid, RemovalReason::Block);
            for input in &tx.input {
                if let Some(conflict) = self.spent.get(&input.previous_output).copied() {
                    if conflict != txid {
                        self.remove_recursive(&conflict, RemovalReason::Conflict);
                    }
                }
            }
        }
    }

    /// Transactions for a block at `height`, final at `lock_time_cutoff`: by ancestor fee
    /// rate, best first, each preceded by its not yet listed ancestors (a simplified
    /// `BlockAssembler::addPackageTxs`). Returns (transaction, fee, sigop cost).
    pub fn block_txs(&self, height: u32, lock_time_cutoff: i64) -> Vec<(Transaction, i64, u64)> {
        let mut order: Vec<(&Txid, Aggregate, u64)> = self
            .entries
            .iter()
            .map(|(t, e)| (t, self.with_ancestors(t), e.sequence))
            .collect();
        // Best ancestor fee rate first (compared by cross-multiplication), then oldest.
        order.sort_by(|a, b| {
            let lhs = i128::from(a.1.fees) * i128::from(b.1.vsize);
            let rhs = i128::from(b.1.fees) * i128::from(a.1.vsize);
            rhs.cmp(&lhs).then(a.2.cmp(&b.2))
        });
        let mut done = HashSet::new();
        let mut skipped = HashSet::new();
        let mut out = Vec::new();
        for (txid, _, _) in order {
            let mut package: Vec<&MempoolEntry> = self
                .ancestors(txid)
                .iter()
                .chain(std::iter::once(txid))
                .filter(|t| !done.contains(*t))
                .filter_map(|t| self.entries.get(t))
                .collect();
            if package.iter().any(|e| skipped.contains(&e.txid)) {
                skipped.insert(*txid);
                continue;
            }
            if package
                .iter()
                .any(|e| !is_final_tx(&e.tx, height as i32, lock_time_cutoff))
            {
                skipped.insert(*txid);
                continue;
            }
            // Parents before children: ancestors have fewer in-pool ancestors.
            package.sort_by_key(|e| (self.ancestors(&e.txid).len(), e.sequence));
            for e in package {
                done.insert(e.txid);
                out.push(((*e.tx).clone(), e.fee, e.sigop_cost));
            }
        }
        out
    }
}

/// A rough per-entry memory estimate (serialized size plus bookkeeping).
fn entry_usage(e: &MempoolEntry) -> u64 {
    e.tx.total_size() as u64 + 64 * (e.tx.input.len() + e.tx.output.len()) as u64 + 256
}

/// The chain's coins with the pool's outputs on top (Core's `CCoinsViewMemPool`); pool
/// outputs are at [`MEMPOOL_HEIGHT`].
pub struct PoolView<'a, C: ?Sized> {
    pub pool: &'a Mempool,
    pub chain: &'a C,
}

impl<C: CoinView + ?Sized> CoinView for PoolView<'_, C> {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        if let Some(e) = self.pool.entries.get(&outpoint.txid) {
            return e.tx.output.get(outpoint.vout as usize).map(|o| Coin {
                output: o.clone(),
                height: MEMPOOL_HEIGHT,
                is_coinbase: false,
            });
        }
        self.chain.coin(outpoint)
    }
}

#[cfg(test)]
mod tests;
