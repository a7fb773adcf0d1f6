//! The chainstate manager (Core's `ChainstateManager` + `Chainstate` +
//! `BlockManager`): opens the databases, accepts headers and blocks, keeps the
//! active chain on the most-work valid chain, and persists it crash-safely.
//!
//! Durability: a block [`ChainstateManager::process_new_block`] accepted has
//! its data fsynced and its index entry committed (redb, durable) before the
//! call returns. The UTXO cache is flushed in batches (one redb transaction
//! with the best-block marker); at start-up the chain is rolled from the
//! coins' best block to the best chain of the index with the stored blocks
//! and undo data, so a `kill -9` at any instant loses nothing.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, OutPoint, Work};
use redb::{Database, Durability, ReadableDatabase, ReadableTable};
use widecoin_chainparams::ChainParams;

use crate::blockstore::{BlockStore, FlatFilePos};
use crate::checks;
use crate::coins::CoinsView;
use crate::db::{self, DiskBlockIndex, BLOCK_FILES, BLOCK_INDEX, INDEX_META};
use crate::error::{BlockValidationError as E, ChainstateError};
use crate::index::{status, BlockIndex, BlockIndexEntry, Chain, EntryId};
use crate::undo::Coin;

/// Core's default `-dbcache`: 450 MiB.
pub const DEFAULT_DB_CACHE: usize = 450 << 20;
/// Core's `DEFAULT_MAX_TIP_AGE`: 24 hours.
pub const DEFAULT_MAX_TIP_AGE: i64 = 24 * 60 * 60;

/// A clock giving the network-adjusted time in seconds (`GetAdjustedTime`).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Start-up options (the node maps `-dbcache`, `-par`, `-assumevalid`,
/// `-reindex`, `-reindex-chainstate`, `-checkpoints`, `-fastprune` to these).
#[derive(Clone)]
pub struct ChainstateOptions {
    /// Bytes the UTXO cache may use before it is flushed.
    pub dbcache: usize,
    /// Script-check threads in total (`-par`); 1 checks inline, 0 = all cores.
    pub par: usize,
    /// `-assumevalid`: `None` uses the chain's default; the zero hash disables it.
    pub assumevalid: Option<BlockHash>,
    /// `-reindex`: wipe the index and the UTXO set; call
    /// [`ChainstateManager::reindex`] after opening.
    pub reindex: bool,
    /// `-reindex-chainstate`: wipe the UTXO set only; the chain is rebuilt
    /// from the stored blocks when opening.
    pub reindex_chainstate: bool,
    /// `-checkpoints`.
    pub checkpoints: bool,
    /// `-fastprune` (small block files).
    pub fast_prune: bool,
    /// Network-adjusted time for `time-too-new`.
    pub clock: Clock,
    /// `-maxtipage`: the IBD state passed to tip notifications uses it.
    pub max_tip_age: i64,
}

impl Default for ChainstateOptions {
    fn default() -> Self {
        ChainstateOptions {
            dbcache: DEFAULT_DB_CACHE,
            par: 0,
            assumevalid: None,
            reindex: false,
            reindex_chainstate: false,
            checkpoints: true,
            fast_prune: false,
            clock: Arc::new(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64)
            }),
            max_tip_age: DEFAULT_MAX_TIP_AGE,
        }
    }
}

/// Receives chain events (Core's `CValidationInterface`), called synchronously
/// with the manager borrowed: implementations must not call back into it.
pub trait ValidationListener: Send + Sync {
    /// The tip changed (`UpdatedBlockTip`); for `waitfornewblock` and friends.
    fn updated_block_tip(&self, _tip: &BlockIndexEntry, _fork: Option<u32>, _ibd: bool) {}
    /// A block was connected to the active chain.
    fn block_connected(&self, _block: &Block, _entry: &BlockIndexEntry) {}
    /// A block was disconnected from the active chain.
    fn block_disconnected(&self, _block: &Block, _entry: &BlockIndexEntry) {}
    /// A block was fully validated, or failed (`BlockChecked`).
    fn block_checked(&self, _hash: &BlockHash, _result: &Result<(), E>) {}
    /// Blocks were disconnected and the active chain has settled (where Core calls
    /// `MaybeUpdateMempoolForReorg`), with the chainstate to read; `add_back` is false after
    /// a deep invalidation (more than ten blocks), when Core only removes.
    fn reorg_settled(&self, _chainman: &ChainstateManager, _add_back: bool) {}
}

/// One entry of `getchaintips`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainTip {
    pub hash: BlockHash,
    pub height: u32,
    pub branch_len: u32,
    /// "active", "valid-fork", "valid-headers", "headers-only" or "invalid".
    pub status: &'static str,
}

/// Order of candidate tips: most work, then earliest sequence id, then
/// earliest entry (Core's `CBlockIndexWorkComparator`); the best is last.
type CandidateKey = (Work, Reverse<i32>, Reverse<EntryId>);

/// The chainstate.
pub struct ChainstateManager {
    pub(crate) params: ChainParams,
    pub(crate) options: ChainstateOptions,
    index_db: Database,
    pub(crate) index: BlockIndex,
    pub(crate) chain: Chain,
    pub(crate) store: BlockStore,
    pub(crate) coins: CoinsView,
    pub(crate) candidates: BTreeSet<CandidateKey>,
    dirty: HashSet<EntryId>,
    pub(crate) best_header: Option<EntryId>,
    next_sequence: i32,
    pub(crate) reverse_sequence: i32,
    pub(crate) last_precious_work: Work,
    /// Blocks with data whose parent's chain is not complete yet (`m_blocks_unlinked`).
    unlinked: HashMap<EntryId, Vec<EntryId>>,
    pub(crate) reindexing: bool,
    reindexing_dirty: bool,
    ibd_done: AtomicBool,
    pub(crate) importing: bool,
    pub(crate) listeners: Vec<Arc<dyn ValidationListener>>,
    pub(crate) assumevalid: Option<BlockHash>,
    /// Index writes go out without fsync (during reindex); a durable commit follows.
    pub(crate) batch_commits: bool,
    /// `-prune` and the prune locks of the indexes (see `prune.rs`).
    pub(crate) prune: crate::prune::PruneState,
}

fn work_zero() -> Work {
    Work::from_le_bytes([0; 32])
}

impl ChainstateManager {
    /// Opens the block index in `blocks_dir/index` and the UTXO set in
    /// `chainstate_dir`, creating the genesis block on first start, and rolls
    /// the UTXO set forward (or back) to the best stored chain.
    pub fn open(
        blocks_dir: &Path,
        chainstate_dir: &Path,
        params: ChainParams,
        options: ChainstateOptions,
    ) -> Result<ChainstateManager, ChainstateError> {
        let index_dir: PathBuf = blocks_dir.join("index");
        std::fs::create_dir_all(&index_dir)?;
        let index_db = Database::create(index_dir.join("index.redb"))?;
        {
            let txn = index_db.begin_write()?;
            if options.reindex {
                txn.delete_table(BLOCK_INDEX)?;
                txn.delete_table(BLOCK_FILES)?;
                txn.delete_table(INDEX_META)?;
            }
            txn.open_table(BLOCK_INDEX)?;
            txn.open_table(BLOCK_FILES)?;
            let mut meta = txn.open_table(INDEX_META)?;
            if options.reindex {
                meta.insert(db::KEY_REINDEXING, [1u8].as_slice())?;
            }
            drop(meta);
            txn.commit()?;
        }
        let coins = CoinsView::open(
            chainstate_dir,
            options.reindex || options.reindex_chainstate,
        )?;
        let assumevalid = match options.assumevalid {
            Some(h) if h == BlockHash::all_zeros() => None,
            Some(h) => Some(h),
            None => {
                Some(params.consensus.default_assume_valid).filter(|h| *h != BlockHash::all_zeros())
            }
        };
        let (index, infos, reindexing) = load_index(&index_db)?;
        let store = BlockStore::new(blocks_dir, params.message_start, options.fast_prune, infos);
        let mut cm = ChainstateManager {
            params,
            options,
            index_db,
            index,
            chain: Chain::default(),
            store,
            coins,
            candidates: BTreeSet::new(),
            dirty: HashSet::new(),
            best_header: None,
            next_sequence: 1,
            reverse_sequence: -1,
            last_precious_work: work_zero(),
            unlinked: HashMap::new(),
            reindexing,
            reindexing_dirty: false,
            ibd_done: AtomicBool::new(false),
            importing: false,
            listeners: Vec::new(),
            assumevalid,
            batch_commits: false,
            prune: crate::prune::PruneState::default(),
        };
        tracing::info!(target: "validation", "Loaded {} block index entries", cm.index.len());
        cm.rebuild_unlinked();
        // Load the chain tip from the coins database (`LoadChainTip`).
        let best = cm.coins.best_block();
        if best != BlockHash::all_zeros() {
            let Some(id) = cm.index.lookup(&best) else {
                return Err(ChainstateError::Corrupt(format!(
                    "the coins database's best block {best} is not in the block index; use -reindex"
                )));
            };
            cm.chain.set_tip(&cm.index, Some(id));
        }
        cm.rebuild_candidates();
        cm.recompute_best_header();
        if !cm.reindexing {
            cm.load_genesis()?;
            cm.activate_best_chain(None)?;
            cm.flush()?;
        }
        if let Some(tip) = cm.tip() {
            tracing::info!(target: "validation", "Loaded best chain: hashBestChain={} height={} date={}",
                tip.hash, tip.height, tip.header.time);
        }
        Ok(cm)
    }

    /// Registers a listener for chain events.
    pub fn add_listener(&mut self, listener: Arc<dyn ValidationListener>) {
        self.listeners.push(listener);
    }

    /// `-maxtipage` as the chainstate was opened with.
    pub fn max_tip_age(&self) -> i64 {
        self.options.max_tip_age
    }

    pub fn params(&self) -> &ChainParams {
        &self.params
    }

    pub fn block_index(&self) -> &BlockIndex {
        &self.index
    }

    pub fn active_chain(&self) -> &Chain {
        &self.chain
    }

    pub fn block_store(&self) -> &BlockStore {
        &self.store
    }

    /// The tip of the active chain (none only while a reindex has not yet
    /// found the genesis block).
    pub fn tip(&self) -> Option<&BlockIndexEntry> {
        self.chain.tip().map(|id| self.index.entry(id))
    }

    /// Height of the tip, -1 with an empty chain.
    pub fn height(&self) -> i64 {
        self.chain.height()
    }

    pub fn block_hash_at(&self, height: u32) -> Option<BlockHash> {
        self.chain.at(height).map(|id| self.index.entry(id).hash)
    }

    /// The index entry of `hash` (`LookupBlockIndex`).
    pub fn lookup(&self, hash: &BlockHash) -> Option<&BlockIndexEntry> {
        self.index.lookup(hash).map(|id| self.index.entry(id))
    }

    pub fn lookup_id(&self, hash: &BlockHash) -> Option<EntryId> {
        self.index.lookup(hash)
    }

    /// Whether `hash` is on the active chain.
    pub fn is_active(&self, hash: &BlockHash) -> bool {
        self.index
            .lookup(hash)
            .is_some_and(|id| self.chain.contains(&self.index, id))
    }

    /// The best header known (most work, not invalid) (`m_best_header`).
    pub fn best_header(&self) -> Option<&BlockIndexEntry> {
        self.best_header.map(|id| self.index.entry(id))
    }

    /// Reads a stored block.
    pub fn get_block(&self, hash: &BlockHash) -> Result<Option<Block>, ChainstateError> {
        let Some(pos) = self.lookup(hash).and_then(BlockIndexEntry::data_pos) else {
            return Ok(None);
        };
        Ok(Some(self.store.read_block(pos)?))
    }

    /// Reads the undo data of a block on disk.
    pub fn get_block_undo(
        &self,
        hash: &BlockHash,
    ) -> Result<Option<crate::undo::BlockUndo>, ChainstateError> {
        let Some(e) = self.lookup(hash) else {
            return Ok(None);
        };
        let (Some(pos), Some(prev)) = (e.undo_pos(), e.prev) else {
            return Ok(None);
        };
        let raw = self.store.read_undo(pos, &self.index.entry(prev).hash)?;
        Ok(Some(crate::undo::BlockUndo::deserialize(&raw)?))
    }

    /// The unspent output at `op` in the tip's UTXO set (`gettxout` without mempool).
    pub fn get_coin(&self, op: &OutPoint) -> Result<Option<Coin>, ChainstateError> {
        self.coins.peek(op)
    }

    /// Visits the whole UTXO set (flushing the cache first), in outpoint order.
    pub fn for_each_coin(&mut self, f: impl FnMut(OutPoint, Coin)) -> Result<(), ChainstateError> {
        self.flush()?;
        self.coins.for_each_db_coin(f)
    }

    /// Median time past of the tip.
    pub fn tip_median_time_past(&self) -> Option<i64> {
        self.chain.tip().map(|id| self.index.median_time_past(id))
    }

    pub fn median_time_past(&self, hash: &BlockHash) -> Option<i64> {
        self.index
            .lookup(hash)
            .map(|id| self.index.median_time_past(id))
    }

    /// Bytes used by the UTXO cache.
    pub fn coins_cache_usage(&self) -> usize {
        self.coins.cache_usage()
    }

    /// Whether a reindex is pending or under way.
    pub fn is_reindexing(&self) -> bool {
        self.reindexing
    }

    /// Core's `IsInitialBlockDownload`: true while importing, without a tip,
    /// below the minimum chain work, or with a tip older than `max_tip_age`;
    /// once false it stays false.
    pub fn is_initial_block_download(&self, now: i64, max_tip_age: i64) -> bool {
        if self.ibd_done.load(Ordering::Relaxed) {
            return false;
        }
        if self.importing || self.reindexing {
            return true;
        }
        let Some(tip) = self.tip() else { return true };
        if tip.chain_work < self.params.consensus.minimum_chain_work {
            return true;
        }
        if tip.time() < now - max_tip_age {
            return true;
        }
        tracing::info!(target: "validation", "Leaving InitialBlockDownload (latching to false)");
        self.ibd_done.store(true, Ordering::Relaxed);
        false
    }

    /// `getchaintips`: every block without a child in the index, and the tip.
    pub fn chain_tips(&self) -> Vec<ChainTip> {
        let mut has_child = vec![false; self.index.len()];
        for (_, e) in self.index.iter() {
            if let Some(p) = e.prev {
                has_child[p] = true;
            }
        }
        let mut tips: Vec<EntryId> = self.index.ids().filter(|id| !has_child[*id]).collect();
        if let Some(t) = self.chain.tip() {
            if !tips.contains(&t) {
                tips.push(t);
            }
        }
        let mut out: Vec<ChainTip> = tips
            .into_iter()
            .map(|id| {
                let e = self.index.entry(id);
                let fork_height = self
                    .chain
                    .find_fork(&self.index, id)
                    .map_or(0, |f| self.index.entry(f).height);
                let status = if self.chain.contains(&self.index, id) {
                    "active"
                } else if e.failed() {
                    "invalid"
                } else if e.chain_tx == 0 {
                    "headers-only"
                } else if e.is_valid(status::VALID_SCRIPTS) {
                    "valid-fork"
                } else if e.is_valid(status::VALID_TREE) {
                    "valid-headers"
                } else {
                    "unknown"
                };
                ChainTip {
                    hash: e.hash,
                    height: e.height,
                    branch_len: e.height - fork_height,
                    status,
                }
            })
            .collect();
        out.sort_by(|a, b| b.height.cmp(&a.height).then(a.hash.cmp(&b.hash)));
        out
    }

    // ---- index bookkeeping ----

    pub(crate) fn mark_dirty(&mut self, id: EntryId) {
        self.dirty.insert(id);
    }

    pub(crate) fn candidate_key(&self, id: EntryId) -> CandidateKey {
        let e = self.index.entry(id);
        (e.chain_work, Reverse(e.sequence_id), Reverse(id))
    }

    /// Whether `id` may become the tip (`TryAddBlockIndexCandidate` conditions).
    pub(crate) fn is_candidate(&self, id: EntryId) -> bool {
        let e = self.index.entry(id);
        e.is_valid(status::VALID_TRANSACTIONS) && e.chain_tx > 0
    }

    pub(crate) fn add_candidate(&mut self, id: EntryId) {
        if self.is_candidate(id) {
            let key = self.candidate_key(id);
            self.candidates.insert(key);
        }
    }

    pub(crate) fn remove_candidate(&mut self, id: EntryId) {
        let key = self.candidate_key(id);
        self.candidates.remove(&key);
    }

    /// Candidates: every complete, valid entry with at least the tip's work.
    pub(crate) fn rebuild_candidates(&mut self) {
        self.candidates.clear();
        let tip_key = self.chain.tip().map(|t| self.candidate_key(t));
        for id in self.index.ids() {
            if self.is_candidate(id) {
                let key = self.candidate_key(id);
                if tip_key.is_none_or(|t| key >= t) {
                    self.candidates.insert(key);
                }
            }
        }
    }

    pub(crate) fn recompute_best_header(&mut self) {
        self.best_header = self
            .index
            .iter()
            .filter(|(_, e)| !e.failed())
            .max_by(|a, b| {
                a.1.chain_work
                    .cmp(&b.1.chain_work)
                    .then(b.1.sequence_id.cmp(&a.1.sequence_id))
                    .then(b.0.cmp(&a.0))
            })
            .map(|(id, _)| id);
    }

    fn rebuild_unlinked(&mut self) {
        self.unlinked.clear();
        for (id, e) in self.index.iter() {
            if e.have_data() && e.chain_tx == 0 {
                if let Some(p) = e.prev {
                    self.unlinked.entry(p).or_default().push(id);
                }
            }
        }
    }

    /// Sets FAILED_CHILD on every descendant of `id` (O(index)).
    pub(crate) fn mark_descendants_failed(&mut self, id: EntryId) {
        let height = self.index.entry(id).height;
        for other in self.index.ids() {
            if other != id
                && self.index.entry(other).height > height
                && self.index.ancestor(other, height) == Some(id)
                && self.index.entry(other).status & status::FAILED_CHILD == 0
            {
                self.remove_candidate(other);
                self.index.entry_mut(other).status |= status::FAILED_CHILD;
                self.mark_dirty(other);
            }
        }
    }

    /// Core's `InvalidBlockFound`: marks `id` FAILED_VALID and its descendants.
    pub(crate) fn invalid_block_found(&mut self, id: EntryId, err: &E) {
        let e = self.index.entry(id);
        tracing::warn!(target: "validation", "InvalidChainFound: invalid block={}  height={}  log2_work={:.6}  date={}: {}",
            e.hash, e.height, e.chain_work.log2(), e.header.time, err.reject_reason());
        self.remove_candidate(id);
        self.index.entry_mut(id).status |= status::FAILED_VALID;
        self.mark_dirty(id);
        self.mark_descendants_failed(id);
        if self
            .best_header
            .is_some_and(|b| self.index.is_ancestor(id, b))
        {
            self.recompute_best_header();
        }
    }

    // ---- header and block acceptance ----

    /// Core's `AcceptBlockHeader`: the entry of a valid header, added if new.
    pub(crate) fn accept_block_header(&mut self, header: &Header) -> Result<EntryId, E> {
        let hash = header.block_hash();
        if let Some(id) = self.index.lookup(&hash) {
            if self.index.entry(id).failed() {
                return Err(E::Duplicate);
            }
            return Ok(id);
        }
        if hash != self.params.genesis_hash() {
            if let Err(e) = checks::check_block_header(header, &self.params.consensus) {
                tracing::debug!(target: "validation", "AcceptBlockHeader: Consensus::CheckBlockHeader: {hash}, {}", e.state_string());
                return Err(e);
            }
            let Some(prev) = self.index.lookup(&header.prev_blockhash) else {
                tracing::debug!(target: "validation", "header {hash} has prev block not found: {}", header.prev_blockhash);
                return Err(E::PrevBlockNotFound(header.prev_blockhash));
            };
            if self.index.entry(prev).failed() {
                tracing::debug!(target: "validation", "header {hash} has prev block invalid: {}", header.prev_blockhash);
                return Err(E::BadPrevBlock);
            }
            if let Err(e) = checks::contextual_check_block_header(
                header,
                &self.index,
                prev,
                &self.params,
                (self.options.clock)(),
                self.options.checkpoints,
            ) {
                tracing::debug!(target: "validation", "AcceptBlockHeader: Consensus::ContextualCheckBlockHeader: {hash}, {}", e.state_string());
                return Err(e);
            }
        }
        let id = self.index.insert(*header, status::VALID_TREE);
        self.mark_dirty(id);
        let better = self
            .best_header
            .is_none_or(|b| self.index.entry(id).chain_work > self.index.entry(b).chain_work);
        if better {
            self.best_header = Some(id);
        }
        Ok(id)
    }

    /// Core's `ProcessNewBlockHeaders`: accepts each header in order.
    pub fn process_new_block_headers(&mut self, headers: &[Header]) -> Result<(), ChainstateError> {
        let mut result = Ok(());
        for h in headers {
            if let Err(e) = self.accept_block_header(h) {
                result = Err(e.into());
                break;
            }
        }
        self.commit_index(false)?;
        result
    }

    /// Core's `AcceptBlock`: checks the block, stores it (at `known_pos` when
    /// it is already in a block file) and records it in the index. Returns
    /// the entry and whether the block data is new.
    pub(crate) fn accept_block(
        &mut self,
        block: &Block,
        known_pos: Option<FlatFilePos>,
    ) -> Result<(EntryId, bool), ChainstateError> {
        let id = self.accept_block_header(&block.header)?;
        if self.index.entry(id).have_data() {
            return Ok((id, false));
        }
        let prev = self.index.entry(id).prev;
        if prev.is_some() {
            let checked = checks::check_block(block, &self.params.consensus, true).and_then(|()| {
                checks::contextual_check_block(block, &self.index, prev, &self.params.consensus)
            });
            if let Err(err) = checked {
                if !err.is_mutation() {
                    self.invalid_block_found(id, &err);
                }
                for l in &self.listeners {
                    l.block_checked(&block.block_hash(), &Err(err.clone()));
                }
                return Err(err.into());
            }
        }
        let height = self.index.entry(id).height;
        let time = u64::from(block.header.time);
        let pos = match known_pos {
            Some(pos) => {
                let len = bitcoin::consensus::serialize(block).len() as u32;
                self.store.note_external_block(
                    pos,
                    len + crate::blockstore::HEADER_SIZE,
                    height,
                    time,
                );
                pos
            }
            None => {
                let raw = bitcoin::consensus::serialize(block);
                self.store.write_block(&raw, height, time)?
            }
        };
        self.received_block_transactions(id, block.txdata.len() as u32, pos);
        Ok((id, true))
    }

    /// Core's `ReceivedBlockTransactions`.
    fn received_block_transactions(&mut self, id: EntryId, n_tx: u32, pos: FlatFilePos) {
        {
            let e = self.index.entry_mut(id);
            e.n_tx = n_tx;
            e.chain_tx = 0;
            e.file = pos.file;
            e.data_pos = pos.pos;
            e.undo_pos = 0;
            e.status |= status::HAVE_DATA | status::OPT_WITNESS;
            e.raise_validity(status::VALID_TRANSACTIONS);
        }
        self.mark_dirty(id);
        let parent_complete = self
            .index
            .entry(id)
            .prev
            .is_none_or(|p| self.index.entry(p).chain_tx > 0);
        if !parent_complete {
            let p = self.index.entry(id).prev.expect("checked");
            self.unlinked.entry(p).or_default().push(id);
            return;
        }
        let mut queue = vec![id];
        while let Some(x) = queue.pop() {
            self.index.link_chain_tx(x);
            self.index.entry_mut(x).sequence_id = self.next_sequence;
            self.next_sequence = self.next_sequence.saturating_add(1);
            self.add_candidate(x);
            if let Some(children) = self.unlinked.remove(&x) {
                queue.extend(children);
            }
        }
    }

    /// Writes the genesis block on first start (`LoadGenesisBlock`).
    pub(crate) fn load_genesis(&mut self) -> Result<(), ChainstateError> {
        let genesis = self.params.genesis_block().clone();
        if self
            .index
            .lookup(&genesis.block_hash())
            .is_some_and(|id| self.index.entry(id).have_data() || self.index.entry(id).n_tx > 0)
        {
            return Ok(());
        }
        self.accept_block(&genesis, None)?;
        self.store.flush()?;
        self.commit_index(true)?;
        Ok(())
    }

    /// Core's `ProcessNewBlock` (with `force_processing`): stores the block,
    /// then activates the best chain. `Ok(true)` when the block was new,
    /// `Ok(false)` for a block already stored. A block found invalid, before
    /// or while connecting, gives `Err(ChainstateError::Invalid)`.
    ///
    /// Before returning, the block data is fsynced and its index entry
    /// durably committed.
    pub fn process_new_block(&mut self, block: &Block) -> Result<bool, ChainstateError> {
        let accepted = self.accept_block(block, None);
        let (id, new) = match accepted {
            Ok(x) => x,
            Err(e) => {
                if let ChainstateError::Invalid(v) = &e {
                    tracing::info!(
                        "ERROR: ProcessNewBlock: AcceptBlock FAILED ({})",
                        v.state_string()
                    );
                }
                self.commit_index(false)?;
                return Err(e);
            }
        };
        let failure = self.activate_best_chain(Some((id, block)))?;
        self.store.flush()?;
        self.commit_index(!self.batch_commits)?;
        self.prune_if_needed()?;
        match failure {
            Some(err) => Err(err.into()),
            None => {
                if self.index.entry(id).failed() {
                    // Known now to descend from an invalid block.
                    return Err(E::InvalidChild.into());
                }
                Ok(new)
            }
        }
    }

    // ---- persistence ----

    /// Writes the dirty index entries and block file infos in one redb
    /// transaction (durable when asked).
    pub(crate) fn commit_index(&mut self, durable: bool) -> Result<(), ChainstateError> {
        let files = self.store.take_dirty();
        if self.dirty.is_empty() && files.is_empty() && !self.reindexing_dirty && !durable {
            return Ok(());
        }
        let mut txn = self.index_db.begin_write()?;
        txn.set_durability(if durable {
            Durability::Immediate
        } else {
            Durability::None
        })?;
        {
            let mut table = txn.open_table(BLOCK_INDEX)?;
            for &id in &self.dirty {
                let e = self.index.entry(id);
                let disk = DiskBlockIndex {
                    header: e.header,
                    height: e.height,
                    status: e.status,
                    n_tx: e.n_tx,
                    file: e.file,
                    data_pos: e.data_pos,
                    undo_pos: e.undo_pos,
                };
                table.insert(e.hash.to_byte_array(), disk.encode().as_slice())?;
            }
            let mut ftable = txn.open_table(BLOCK_FILES)?;
            let mut last = None;
            for (n, info) in &files {
                ftable.insert(*n, db::encode_file_info(info).as_slice())?;
                last = Some(*n);
            }
            let mut meta = txn.open_table(INDEX_META)?;
            if let Some(n) = last {
                let cur = meta
                    .get(db::KEY_LAST_FILE)?
                    .and_then(|v| v.value().try_into().ok().map(u32::from_le_bytes))
                    .unwrap_or(0);
                meta.insert(db::KEY_LAST_FILE, n.max(cur).to_le_bytes().as_slice())?;
            }
            if self.reindexing_dirty {
                if self.reindexing {
                    meta.insert(db::KEY_REINDEXING, [1u8].as_slice())?;
                } else {
                    meta.remove(db::KEY_REINDEXING)?;
                }
            }
        }
        txn.commit()?;
        self.dirty.clear();
        self.reindexing_dirty = false;
        Ok(())
    }

    pub(crate) fn set_reindexing(&mut self, on: bool) {
        self.reindexing = on;
        self.reindexing_dirty = true;
    }

    /// Core's `FlushStateToDisk(FORCE)`: block files synced, index committed,
    /// then the UTXO cache written with its best block. The node calls this
    /// at shutdown (and may call it periodically).
    pub fn flush(&mut self) -> Result<(), ChainstateError> {
        self.store.flush()?;
        self.commit_index(true)?;
        self.coins.flush()
    }

    /// Flushes when the UTXO cache exceeds `-dbcache` (`FlushStateMode::IF_NEEDED`).
    pub(crate) fn flush_if_needed(&mut self) -> Result<(), ChainstateError> {
        if self.coins.cache_usage() > self.options.dbcache {
            tracing::debug!(target: "coindb", "Flushing coins cache of {} bytes", self.coins.cache_usage());
            self.flush()?;
        }
        Ok(())
    }
}

/// Reads the whole index: entries sorted by height so parents come first,
/// chain work and chain tx recomputed (Core's `LoadBlockIndexGuts` +
/// `LoadBlockIndex`).
fn load_index(
    db: &Database,
) -> Result<(BlockIndex, Vec<crate::BlockFileInfo>, bool), ChainstateError> {
    let txn = db.begin_read()?;
    let table = txn.open_table(BLOCK_INDEX)?;
    let mut rows = Vec::new();
    for item in table.iter()? {
        let (k, v) = item?;
        let disk = DiskBlockIndex::decode(v.value())?;
        let hash = BlockHash::from_byte_array(k.value());
        if disk.header.block_hash() != hash {
            return Err(ChainstateError::Corrupt(format!(
                "block index entry {hash} does not match its header"
            )));
        }
        rows.push(disk);
    }
    rows.sort_by_key(|d| d.height);
    let mut index = BlockIndex::default();
    for d in rows {
        if d.height > 0 && index.lookup(&d.header.prev_blockhash).is_none() {
            return Err(ChainstateError::Corrupt(format!(
                "block index entry {} has no parent",
                d.header.block_hash()
            )));
        }
        let id = index.insert(d.header, d.status);
        let e = index.entry_mut(id);
        e.n_tx = d.n_tx;
        e.file = d.file;
        e.data_pos = d.data_pos;
        e.undo_pos = d.undo_pos;
        // Pruned blocks keep their transaction count (Core's `LoadBlockIndex`
        // links by `nTx`, not by `HAVE_DATA`).
        if e.have_data() || e.n_tx > 0 {
            index.link_chain_tx(id);
        }
    }
    let ftable = txn.open_table(BLOCK_FILES)?;
    let mut infos = Vec::new();
    for item in ftable.iter()? {
        let (k, v) = item?;
        let n = k.value() as usize;
        if infos.len() <= n {
            infos.resize(n + 1, crate::BlockFileInfo::default());
        }
        infos[n] = db::decode_file_info(v.value())?;
    }
    let meta = txn.open_table(INDEX_META)?;
    let reindexing = meta.get(db::KEY_REINDEXING)?.is_some();
    Ok((index, infos, reindexing))
}
