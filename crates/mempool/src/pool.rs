//! The transaction memory pool (Core's `CTxMemPool`): entries with their fees, sizes and
//! in-pool relatives, the index of spent outpoints, removal for connected blocks, and the
//! selection the block assembler reads. Acceptance (Core's `MemPoolAccept`) is in
//! [`accept`](crate::accept).
//!
//! The pool does not depend on the chainstate: it sees the chain through [`ChainView`], which
//! the node implements over its `ChainstateManager` and tests implement over a map.

use std::cell::Cell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use bitcoin::{Block, OutPoint, Transaction, Txid, Wtxid};

use crate::constants::{
    DEFAULT_ANCESTOR_LIMIT, DEFAULT_ANCESTOR_SIZE_LIMIT_KVB, DEFAULT_BYTES_PER_SIGOP,
    DEFAULT_DESCENDANT_LIMIT, DEFAULT_DESCENDANT_SIZE_LIMIT_KVB, DEFAULT_INCREMENTAL_RELAY_FEE,
    DEFAULT_MAX_MEMPOOL_SIZE_MB, DEFAULT_MEMPOOL_EXPIRY_HOURS, DEFAULT_MEMPOOL_FULL_RBF,
    DEFAULT_MIN_RELAY_TX_FEE, DEFAULT_PERMIT_BAREMULTISIG, DUST_RELAY_TX_FEE, MAX_OP_RETURN_RELAY,
    MEMPOOL_HEIGHT,
};
use crate::feerate::{format_money, FeeRate};
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
    /// `-incrementalrelayfee`.
    pub incremental_relay_feerate: FeeRate,
    /// `-maxmempool` in bytes.
    pub max_size_bytes: u64,
    /// `-mempoolexpiry` in seconds.
    pub expiry_secs: i64,
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
            incremental_relay_feerate: FeeRate::from_sat_per_kvb(DEFAULT_INCREMENTAL_RELAY_FEE),
            max_size_bytes: u64::from(DEFAULT_MAX_MEMPOOL_SIZE_MB) * 1_000_000,
            expiry_secs: i64::from(DEFAULT_MEMPOOL_EXPIRY_HOURS) * 3600,
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
    /// The `prioritisetransaction` delta applied to it.
    pub fee_delta: i64,
    /// Sigop-adjusted virtual size (`GetTxSize`).
    pub vsize: u64,
    pub weight: u64,
    pub sigop_cost: u64,
    /// Time of entry (seconds since the epoch).
    pub time: i64,
    /// Tip height when the transaction entered.
    pub height: i32,
    /// The pool's sequence number when it was checked (Core's `entry_sequence`); 0 for
    /// transactions re-added from disconnected blocks, which peers may request at once.
    pub sequence: u64,
    pub spends_coinbase: bool,
    pub lock_points: LockPoints,
    /// In-pool transactions this one spends.
    pub parents: BTreeSet<Txid>,
    /// In-pool transactions spending this one.
    pub children: BTreeSet<Txid>,
}

impl MempoolEntry {
    /// Fee with the prioritisation delta (Core's `GetModifiedFee`).
    pub fn modified_fee(&self) -> i64 {
        self.fee.saturating_add(self.fee_delta)
    }
}

/// Sums over a set of relatives, the entry itself included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Aggregate {
    pub count: u64,
    pub vsize: u64,
    /// Modified fees.
    pub fees: i64,
}

/// Why a transaction left the pool (Core's `MemPoolRemovalReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalReason {
    Block,
    Conflict,
    Reorg,
    /// Older than `-mempoolexpiry`.
    Expiry,
    /// Evicted to stay within `-maxmempool`.
    SizeLimit,
    /// Replaced by a transaction paying more (BIP125).
    Replaced,
}

/// A change of the pool, as Core's validation signals `TransactionAddedToMempool` and
/// `TransactionRemovedFromMempool` tell it (removals for a block included here; Core keeps
/// those from its signal, and so must a consumer that wants Core's notifications). The
/// sequence is the pool's sequence number the change took (Core's `mempool_sequence`).
#[derive(Debug, Clone)]
pub enum PoolEvent {
    Added {
        tx: Arc<Transaction>,
        sequence: u64,
    },
    Removed {
        tx: Arc<Transaction>,
        reason: RemovalReason,
        sequence: u64,
    },
}

/// Core's `ROLLING_FEE_HALFLIFE`: twelve hours.
const ROLLING_FEE_HALFLIFE: f64 = 60.0 * 60.0 * 12.0;

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
    /// `prioritisetransaction` deltas by txid, in the pool or not (Core's `mapDeltas`).
    pub(crate) deltas: HashMap<Txid, i64>,
    /// Core's `rollingMinimumFeeRate` (sat/kvB) and its bookkeeping.
    rolling_min_fee: Cell<f64>,
    last_rolling_update: Cell<i64>,
    block_since_bump: Cell<bool>,
    /// Transactions submitted locally that no peer has asked for yet (Core's
    /// `m_unbroadcast_txids`).
    unbroadcast: BTreeSet<Txid>,
    /// Changes not yet taken by [`Mempool::take_events`]; `None` while not recording.
    events: Option<Vec<PoolEvent>>,
    /// The transaction [`Mempool::add_unchecked`] just added, announced once the trimming
    /// that may follow it has run: Core signals an addition after `Finalize`, so evictions
    /// it causes come first, and a transaction evicted at once is never announced.
    pending_add: Option<Txid>,
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
        self.sequence + u64::from(self.pending_add.is_some())
    }

    /// Starts recording additions and removals for [`Mempool::take_events`].
    pub fn record_events(&mut self) {
        self.events.get_or_insert_with(Vec::new);
    }

    /// The additions and removals since the last call, in order (empty unless recording).
    pub fn take_events(&mut self) -> Vec<PoolEvent> {
        self.announce_pending_add();
        self.events.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Announces the transaction just added, if it is still in the pool; it takes the next
    /// sequence number (Core's `GetAndIncrementSequence` at `TransactionAddedToMempool`).
    fn announce_pending_add(&mut self) {
        let Some(txid) = self.pending_add.take() else {
            return;
        };
        let Some(tx) = self.entries.get(&txid).map(|e| e.tx.clone()) else {
            return;
        };
        let sequence = self.sequence;
        self.sequence += 1;
        if let Some(events) = &mut self.events {
            events.push(PoolEvent::Added { tx, sequence });
        }
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

    /// The entry whose witness hash is `wtxid`.
    pub fn get_by_wtxid(&self, wtxid: &Wtxid) -> Option<&MempoolEntry> {
        self.by_wtxid
            .get(wtxid)
            .and_then(|txid| self.entries.get(txid))
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
                fees: a.fees + e.modified_fee(),
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
        for input in &entry.tx.input {
            self.spent.insert(input.previous_output, entry.txid);
            let parent = input.previous_output.txid;
            if let Some(p) = self.entries.get_mut(&parent) {
                p.children.insert(entry.txid);
                entry.parents.insert(parent);
            }
        }
        entry.fee_delta = self.deltas.get(&entry.txid).copied().unwrap_or(0);
        self.announce_pending_add();
        self.pending_add = Some(entry.txid);
        self.total_fee += entry.fee;
        self.total_vsize += entry.vsize;
        self.usage += entry_usage(&entry);
        self.by_wtxid.insert(entry.wtxid, entry.txid);
        self.entries.insert(entry.txid, entry);
    }

    /// Links re-added transactions of disconnected blocks to the children they already have
    /// in the pool (Core's `UpdateTransactionsFromBlock`). Until then, as in Core, their
    /// descendant counts leave those children out.
    pub(crate) fn link_children(&mut self, txids: &[Txid]) {
        self.announce_pending_add();
        for txid in txids {
            let Some(n) = self.entries.get(txid).map(|e| e.tx.output.len() as u32) else {
                continue;
            };
            for vout in 0..n {
                if let Some(child) = self.spent.get(&OutPoint::new(*txid, vout)).copied() {
                    if let Some(c) = self.entries.get_mut(&child) {
                        c.parents.insert(*txid);
                    }
                    if let Some(e) = self.entries.get_mut(txid) {
                        e.children.insert(child);
                    }
                }
            }
        }
    }

    /// Removes one entry, unlinking it from its relatives.
    fn remove_one(&mut self, txid: &Txid, reason: RemovalReason) -> Option<MempoolEntry> {
        self.announce_pending_add();
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
        if self.unbroadcast.remove(txid) {
            tracing::debug!(
                target: "mempool",
                "Removed {txid} from set of unbroadcast txns before confirmation that txn was sent out"
            );
        }
        let sequence = self.sequence;
        self.sequence += 1;
        if let Some(events) = &mut self.events {
            events.push(PoolEvent::Removed {
                tx: entry.tx.clone(),
                reason,
                sequence,
            });
        }
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

    /// Core's `removeForBlock` at `now`: drops the block's transactions (and their
    /// prioritisation) and every pool transaction spending an outpoint the block spends (with
    /// their descendants); lets the rolling minimum fee decay again.
    pub fn remove_for_block(&mut self, block: &Block, now: i64) {
        self.last_rolling_update.set(now);
        self.block_since_bump.set(true);
        for tx in &block.txdata {
            let txid = tx.compute_txid();
            self.deltas.remove(&txid);
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

    /// Removes `txid` and its descendants if it is in the pool; otherwise every pool
    /// transaction spending one of `tx`'s outputs, with descendants (Core's `removeRecursive`
    /// of a transaction).
    pub fn remove_tx_recursive(&mut self, tx: &Transaction, reason: RemovalReason) {
        let txid = tx.compute_txid();
        if self.entries.contains_key(&txid) {
            self.remove_recursive(&txid, reason);
            return;
        }
        for vout in 0..tx.output.len() as u32 {
            if let Some(spender) = self.spent.get(&OutPoint::new(txid, vout)).copied() {
                self.remove_recursive(&spender, reason);
            }
        }
    }

    /// Removes a set of transactions closed under descendants (Core's `RemoveStaged`).
    pub(crate) fn remove_staged(&mut self, staged: &BTreeSet<Txid>, reason: RemovalReason) {
        for t in staged {
            self.remove_one(t, reason);
        }
    }

    /// Core's `Expire`: removes every transaction that entered before `cutoff`, with its
    /// descendants. Returns how many were removed.
    pub fn expire(&mut self, cutoff: i64) -> usize {
        let mut stage = BTreeSet::new();
        let old: Vec<Txid> = self
            .entries
            .values()
            .filter(|e| e.time < cutoff)
            .map(|e| e.txid)
            .collect();
        for t in old {
            stage.extend(self.descendants(&t));
            stage.insert(t);
        }
        self.remove_staged(&stage, RemovalReason::Expiry);
        stage.len()
    }

    /// Core's `TrimToSize`: evicts the packages with the lowest descendant score until the
    /// pool's usage is within `limit`, raising the rolling minimum fee. Returns the outpoints
    /// the evicted transactions spent from the chain and how many were evicted.
    pub fn trim_to_size(&mut self, limit: u64) -> usize {
        let mut removed = 0;
        let mut max_removed = FeeRate::from_sat_per_kvb(0);
        while !self.entries.is_empty() && self.usage > limit {
            // Lowest score first: the higher of its own and its package's fee rate; among
            // equals the newest goes first.
            let worst = self
                .entries
                .values()
                .map(|e| {
                    let d = self.with_descendants(&e.txid);
                    let own = (i128::from(e.modified_fee()), i128::from(e.vsize));
                    let pkg = (i128::from(d.fees), i128::from(d.vsize));
                    let score = if own.0 * pkg.1 > pkg.0 * own.1 {
                        own
                    } else {
                        pkg
                    };
                    (score, e.time, e.txid, d)
                })
                .min_by(|a, b| {
                    (a.0 .0 * b.0 .1)
                        .cmp(&(b.0 .0 * a.0 .1))
                        .then(b.1.cmp(&a.1))
                })
                .expect("not empty");
            let (_, _, txid, d) = worst;
            let mut rate = FeeRate::from_fee_and_vsize(d.fees, d.vsize as u32);
            rate += self.options.incremental_relay_feerate;
            if rate.fee_per_k() as f64 > self.rolling_min_fee.get() {
                self.rolling_min_fee.set(rate.fee_per_k() as f64);
                self.block_since_bump.set(false);
            }
            if rate > max_removed {
                max_removed = rate;
            }
            let mut stage = self.descendants(&txid);
            stage.insert(txid);
            removed += stage.len();
            self.remove_staged(&stage, RemovalReason::SizeLimit);
        }
        if max_removed > FeeRate::from_sat_per_kvb(0) {
            tracing::debug!(target: "mempool", "Removed {removed} txn, rolling minimum fee bumped to {max_removed}");
        }
        removed
    }

    /// Core's `LimitMempoolSize` at `now`: expiry, then eviction down to `-maxmempool`.
    pub fn limit_size(&mut self, now: i64) {
        // A transaction just added is announced after what its arrival evicts.
        let just_added = self.pending_add.take();
        self.limit_size_now(now);
        self.pending_add = just_added;
        self.announce_pending_add();
    }

    fn limit_size_now(&mut self, now: i64) {
        let expired = self.expire(now - self.options.expiry_secs);
        if expired != 0 {
            tracing::debug!(target: "mempool", "Expired {expired} transactions from the memory pool");
        }
        self.trim_to_size(self.options.max_size_bytes);
    }

    /// Core's `GetMinFee` at `now`: the rolling minimum fee rate, decaying with a half-life of
    /// twelve hours (shorter while the pool is small) once a block arrived after the last
    /// bump; zero or at least the incremental relay fee rate.
    pub fn min_fee(&self, now: i64) -> FeeRate {
        let rolling = self.rolling_min_fee.get();
        if !self.block_since_bump.get() || rolling == 0.0 {
            return FeeRate::from_sat_per_kvb(rolling.round() as i64);
        }
        let last = self.last_rolling_update.get();
        if now > last + 10 {
            let limit = self.options.max_size_bytes;
            let mut halflife = ROLLING_FEE_HALFLIFE;
            if self.usage < limit / 4 {
                halflife /= 4.0;
            } else if self.usage < limit / 2 {
                halflife /= 2.0;
            }
            let decayed = rolling / 2f64.powf((now - last) as f64 / halflife);
            self.rolling_min_fee.set(decayed);
            self.last_rolling_update.set(now);
            if decayed < self.options.incremental_relay_feerate.fee_per_k() as f64 / 2.0 {
                self.rolling_min_fee.set(0.0);
                return FeeRate::from_sat_per_kvb(0);
            }
        }
        FeeRate::from_sat_per_kvb(self.rolling_min_fee.get().round() as i64)
            .max(self.options.incremental_relay_feerate)
    }

    /// Core's `PrioritiseTransaction`: adds `delta` to the transaction's fee delta (kept even
    /// when it is not in the pool) and logs as Core does.
    pub fn prioritise(&mut self, txid: &Txid, delta: i64) {
        let total = self.deltas.entry(*txid).or_insert(0);
        *total = total.saturating_add(delta);
        let total = *total;
        let in_pool = match self.entries.get_mut(txid) {
            Some(e) => {
                e.fee_delta = total;
                true
            }
            None => false,
        };
        let not = if in_pool { "" } else { "not " };
        if total == 0 {
            self.deltas.remove(txid);
            tracing::info!("PrioritiseTransaction: {txid} ({not}in mempool) delta cleared");
        } else {
            tracing::info!(
                "PrioritiseTransaction: {txid} ({not}in mempool) fee += {}, new delta={}",
                format_money(delta),
                format_money(total)
            );
        }
    }

    /// Core's `AddUnbroadcastTx`: remembers a locally submitted pool transaction until a
    /// peer asks for it.
    pub fn add_unbroadcast(&mut self, txid: &Txid) {
        if self.entries.contains_key(txid) {
            self.unbroadcast.insert(*txid);
        }
    }

    /// Core's `RemoveUnbroadcastTx`: a peer asked for it (or it left the pool).
    pub fn remove_unbroadcast(&mut self, txid: &Txid) {
        if self.unbroadcast.remove(txid) {
            tracing::debug!(target: "mempool", "Removed {txid} from set of unbroadcast txns");
        }
    }

    /// Core's `GetUnbroadcastTxs`.
    pub fn unbroadcast(&self) -> &BTreeSet<Txid> {
        &self.unbroadcast
    }

    /// Core's `IsUnbroadcastTx`.
    pub fn is_unbroadcast(&self, txid: &Txid) -> bool {
        self.unbroadcast.contains(txid)
    }

    /// The fee delta of `txid` (Core's `ApplyDelta`).
    pub fn delta(&self, txid: &Txid) -> i64 {
        self.deltas.get(txid).copied().unwrap_or(0)
    }

    /// Every prioritisation: txid, delta, whether in the pool (Core's `GetPrioritisedTransactions`).
    pub fn prioritised(&self) -> Vec<(Txid, i64, bool)> {
        let mut v: Vec<_> = self
            .deltas
            .iter()
            .map(|(t, d)| (*t, *d, self.entries.contains_key(t)))
            .collect();
        v.sort_by_key(|x| x.0);
        v
    }

    /// The pool's txids in Core's `GetSortedDepthAndScore` order: fewer ancestors first,
    /// then higher modified fee rate, then the larger hash.
    pub fn sorted_depth_and_score(&self) -> Vec<Txid> {
        use bitcoin::hashes::Hash;
        let mut keyed: Vec<(u64, i64, u64, Txid)> = self
            .entries
            .values()
            .map(|e| {
                (
                    self.with_ancestors(&e.txid).count,
                    e.modified_fee(),
                    e.vsize,
                    e.txid,
                )
            })
            .collect();
        keyed.sort_by(|a, b| {
            let by_rate =
                (i128::from(b.1) * i128::from(a.2)).cmp(&(i128::from(a.1) * i128::from(b.2)));
            a.0.cmp(&b.0)
                .then(by_rate)
                .then_with(|| b.3.to_byte_array().cmp(&a.3.to_byte_array()))
        });
        keyed.into_iter().map(|k| k.3).collect()
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
