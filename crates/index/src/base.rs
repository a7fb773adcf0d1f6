//! What every index shares (Core's `BaseIndex`): the best block it is synced
//! to, the background thread that syncs it from the chainstate and then
//! follows the tip, and `BlockUntilSyncedToCurrentChain`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash};
use redb::{Database, ReadableDatabase, TableDefinition, WriteTransaction};
use widecoin_chainstate::undo::BlockUndo;
use widecoin_chainstate::{BlockIndexEntry, ChainstateManager, FlatFilePos, ValidationListener};

use crate::error::IndexError;

/// How an index reaches the chainstate: the node locks its
/// `ChainstateManager` (Core's `cs_main`) for the duration of `f`.
pub trait ChainSource: Send + Sync + 'static {
    fn with_chainstate(&self, f: &mut dyn FnMut(&mut ChainstateManager));
}

/// One block handed to an index (Core's `interfaces::BlockInfo`).
pub struct BlockInfo<'a> {
    pub hash: BlockHash,
    pub height: u32,
    pub prev: Option<BlockHash>,
    pub block: &'a Block,
    /// The spent outputs, for indexes that ask for them (not for genesis).
    pub undo: Option<&'a BlockUndo>,
    /// Where the block's data starts in the block files.
    pub pos: FlatFilePos,
}

/// One kind of index: its name, its database and what a block adds to it
/// (Core's `CustomAppend`). Everything is keyed by block hash, so a rewind
/// only moves the best block back (Core's `CustomRewind` copies height-keyed
/// entries to hash keys; there are no height keys here).
pub trait IndexBackend: Send + Sync + 'static {
    /// Core's `GetName()`: "txindex", "basic block filter index", "coinstatsindex".
    fn name(&self) -> &str;
    fn db(&self) -> &Database;
    /// Whether blocks come with their undo data.
    fn needs_undo(&self) -> bool {
        false
    }
    /// Core's `AllowPrune`: the index then sets a prune lock.
    fn allows_prune(&self) -> bool {
        true
    }
    /// Writes what `block`, which extends the best block, adds.
    fn append(&self, txn: &WriteTransaction, block: &BlockInfo<'_>) -> Result<(), IndexError>;
}

const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("index_meta");
const KEY_BEST: &str = "best_block";

/// The block an index database is synced to (Core's `DB_BEST_BLOCK`).
pub fn read_best(db: &Database) -> Result<Option<(BlockHash, u32)>, IndexError> {
    let txn = db.begin_read()?;
    let table = match txn.open_table(META) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(v) = table.get(KEY_BEST)? else {
        return Ok(None);
    };
    let v = v.value();
    if v.len() != 36 {
        return Err(IndexError::Corrupt("bad best block record".into()));
    }
    let hash = BlockHash::from_byte_array(v[..32].try_into().expect("32 bytes"));
    let height = u32::from_le_bytes(v[32..].try_into().expect("4 bytes"));
    Ok(Some((hash, height)))
}

/// The best block of the index database in `dir` (`index.redb`), if there
/// is one, read without starting the index.
pub fn stored_best_block(dir: &std::path::Path) -> Result<Option<(BlockHash, u32)>, IndexError> {
    let file = dir.join("index.redb");
    if !file.exists() {
        return Ok(None);
    }
    let db = Database::open(&file)?;
    read_best(&db)
}

fn write_best(txn: &WriteTransaction, best: Option<(BlockHash, u32)>) -> Result<(), IndexError> {
    let mut table = txn.open_table(META)?;
    match best {
        Some((hash, height)) => {
            let mut v = hash.to_byte_array().to_vec();
            v.extend_from_slice(&height.to_le_bytes());
            table.insert(KEY_BEST, v.as_slice())?;
        }
        None => {
            table.remove(KEY_BEST)?;
        }
    }
    Ok(())
}

/// Called with the message when an index cannot go on (Core's `AbortNode`).
pub type FatalHandler = Box<dyn Fn(&str) + Send + Sync>;

/// Wakes the index threads when the tip changes, and tells them to stop.
/// Register it with the chainstate (`add_listener`).
#[derive(Default)]
pub struct Notifier {
    generation: Mutex<u64>,
    changed: Condvar,
    interrupted: AtomicBool,
    fatal: Mutex<Option<FatalHandler>>,
}

impl Notifier {
    pub fn new() -> Arc<Notifier> {
        Arc::new(Notifier::default())
    }

    fn lock(&self) -> MutexGuard<'_, u64> {
        self.generation.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bump(&self) {
        *self.lock() += 1;
        self.changed.notify_all();
    }

    /// Core's `BaseIndex::Interrupt`, for every index at once.
    pub fn interrupt(&self) {
        self.interrupted.store(true, Ordering::SeqCst);
        self.bump();
    }

    pub fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    /// What to do when an index fails (the node shuts down, as Core's
    /// `FatalErrorf` does); without a handler the failure is only logged.
    pub fn set_fatal_handler(&self, handler: FatalHandler) {
        *self.fatal.lock().unwrap_or_else(|e| e.into_inner()) = Some(handler);
    }

    fn fatal(&self, message: &str) {
        let handler = self.fatal.lock().unwrap_or_else(|e| e.into_inner());
        match handler.as_ref() {
            Some(h) => h(message),
            None => tracing::error!("{message}"),
        }
    }

    fn generation(&self) -> u64 {
        *self.lock()
    }

    /// Waits until something happened after `seen`, or `timeout`.
    fn wait_change(&self, seen: u64, timeout: Duration) {
        let g = self.lock();
        if *g != seen || self.is_interrupted() {
            return;
        }
        let _ = self
            .changed
            .wait_timeout(g, timeout)
            .unwrap_or_else(|e| e.into_inner());
    }
}

impl ValidationListener for Notifier {
    fn updated_block_tip(&self, _tip: &BlockIndexEntry, _fork: Option<u32>, _ibd: bool) {
        self.bump();
    }
    fn block_disconnected(&self, _block: &Block, _entry: &BlockIndexEntry) {
        self.bump();
    }
}

/// One line of `getindexinfo` (Core's `IndexSummary`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexSummary {
    pub name: String,
    pub synced: bool,
    pub best_block_height: u32,
    pub best_block_hash: Option<BlockHash>,
}

#[derive(Default)]
struct State {
    best: Option<(BlockHash, u32)>,
    /// Caught up with the chain once (`m_synced`); stays true.
    synced: bool,
    /// The thread ended (interrupted or failed).
    stopped: bool,
}

/// A block read for an index, owned.
struct ReadBlock {
    hash: BlockHash,
    height: u32,
    prev: Option<BlockHash>,
    block: Block,
    undo: Option<BlockUndo>,
    pos: FlatFilePos,
}

enum Step {
    Idle,
    Work {
        rewind: Option<(BlockHash, u32)>,
        blocks: Vec<ReadBlock>,
    },
}

/// Blocks read under one chainstate lock, at most.
const BATCH: u32 = 64;
/// Bytes of blocks read under one chainstate lock, about.
const BATCH_BYTES: usize = 16 << 20;
/// Core's `SYNC_LOG_INTERVAL`.
const SYNC_LOG_INTERVAL: Duration = Duration::from_secs(30);

/// A running index: the backend and its sync thread.
pub struct Index<B: IndexBackend> {
    backend: Arc<B>,
    state: Mutex<State>,
    progress: Condvar,
    chain: Arc<dyn ChainSource>,
    notifier: Arc<Notifier>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl<B: IndexBackend> Index<B> {
    /// Core's `BaseIndex::Init` and `StartBackgroundSync`: reads the best
    /// block, checks the chainstate knows it, and starts the thread.
    pub fn start(
        backend: B,
        chain: Arc<dyn ChainSource>,
        notifier: Arc<Notifier>,
    ) -> Result<Arc<Self>, IndexError> {
        let best = read_best(backend.db())?;
        let mut known = true;
        let mut at_tip = false;
        chain.with_chainstate(&mut |cm| {
            if let Some((hash, _)) = best {
                known = cm.lookup(&hash).is_some();
            }
            at_tip = cm.tip().map(|t| t.hash) == best.map(|b| b.0);
        });
        if !known {
            return Err(IndexError::Corrupt(format!(
                "{}: best block of the index not found. Please rebuild the index.",
                backend.name()
            )));
        }
        let index = Arc::new(Index {
            backend: Arc::new(backend),
            state: Mutex::new(State {
                best,
                synced: at_tip,
                stopped: false,
            }),
            progress: Condvar::new(),
            chain,
            notifier,
            thread: Mutex::new(None),
        });
        let runner = index.clone();
        let handle = std::thread::Builder::new()
            .name(index.backend.name().to_string())
            .spawn(move || runner.thread_main())?;
        *index.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        Ok(index)
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }

    pub fn name(&self) -> &str {
        self.backend.name()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The block the index is synced to.
    pub fn best_block(&self) -> Option<(BlockHash, u32)> {
        self.state().best
    }

    /// Core's `GetSummary`.
    pub fn summary(&self) -> IndexSummary {
        let st = self.state();
        IndexSummary {
            name: self.name().to_string(),
            synced: st.synced,
            best_block_height: st.best.map_or(0, |b| b.1),
            best_block_hash: st.best.map(|b| b.0),
        }
    }

    /// Core's `BlockUntilSyncedToCurrentChain`: false while the initial sync
    /// runs; otherwise waits until the index has the current tip. Call it
    /// without the chainstate locked.
    pub fn block_until_synced_to_current_chain(&self) -> bool {
        if !self.state().synced {
            return false;
        }
        loop {
            let best = {
                let st = self.state();
                if st.stopped {
                    return true;
                }
                st.best
            };
            let mut caught_up = false;
            self.chain.with_chainstate(&mut |cm| {
                caught_up = match (cm.active_chain().tip(), best) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(tip), Some((hash, _))) => cm.lookup_id(&hash).is_some_and(|id| {
                        let index = cm.block_index();
                        index.ancestor(id, index.entry(tip).height) == Some(tip)
                    }),
                };
            });
            if caught_up || self.notifier.is_interrupted() {
                return true;
            }
            let st = self.state();
            if st.best == best && !st.stopped {
                let _ = self
                    .progress
                    .wait_timeout(st, Duration::from_millis(100))
                    .unwrap_or_else(|e| e.into_inner());
            }
        }
    }

    /// Core's `BaseIndex::Stop`: waits for the thread (interrupt the
    /// notifier first).
    pub fn stop(&self) {
        let handle = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }

    /// Core's `ThreadSync` followed by the `BlockConnected` handling: one
    /// loop that catches up with the active chain whenever it moves.
    fn thread_main(&self) {
        let name = self.name().to_string();
        tracing::info!("{name} thread start");
        let mut announced = false;
        let mut last_log: Option<Instant> = None;
        loop {
            let synced = self.state().synced;
            if self.notifier.is_interrupted() {
                if !synced {
                    tracing::info!("{name}: m_interrupt set; exiting ThreadSync");
                }
                break;
            }
            let seen = self.notifier.generation();
            let step = self.plan();
            let result = match step {
                Ok(Step::Idle) => {
                    if !announced {
                        let best = {
                            let mut st = self.state();
                            st.synced = true;
                            st.best
                        };
                        self.progress.notify_all();
                        match best {
                            Some((_, h)) => tracing::info!("{name} is enabled at height {h}"),
                            None => tracing::info!("{name} is enabled"),
                        }
                        announced = true;
                    }
                    self.notifier.wait_change(seen, Duration::from_secs(1));
                    Ok(())
                }
                Ok(Step::Work { rewind, blocks }) => {
                    if !synced && last_log.is_none_or(|t| t.elapsed() > SYNC_LOG_INTERVAL) {
                        if let Some(b) = blocks.first() {
                            tracing::info!(
                                "Syncing {name} with block chain from height {}",
                                b.height
                            );
                        }
                        last_log = Some(Instant::now());
                    }
                    self.apply(rewind, &blocks)
                }
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                self.notifier.fatal(&format!("{name}: {e}"));
                break;
            }
        }
        self.state().stopped = true;
        self.progress.notify_all();
        tracing::info!("{name} thread exit");
    }

    /// Under the chainstate lock: what to rewind and which blocks to read.
    fn plan(&self) -> Result<Step, IndexError> {
        let best = self.state().best;
        let mut out = Ok(Step::Idle);
        let backend = &self.backend;
        self.chain.with_chainstate(&mut |cm| {
            out = plan_step(cm, backend.as_ref(), best);
        });
        out
    }

    /// Writes the blocks and the new best block in one transaction.
    fn apply(
        &self,
        rewind: Option<(BlockHash, u32)>,
        blocks: &[ReadBlock],
    ) -> Result<(), IndexError> {
        let txn = self.backend.db().begin_write()?;
        for b in blocks {
            let info = BlockInfo {
                hash: b.hash,
                height: b.height,
                prev: b.prev,
                block: &b.block,
                undo: b.undo.as_ref(),
                pos: b.pos,
            };
            self.backend.append(&txn, &info).map_err(|e| {
                IndexError::Corrupt(format!("Failed to write block {} to index: {e}", b.hash))
            })?;
        }
        let new_best = blocks.last().map(|b| (b.hash, b.height)).or(rewind);
        write_best(&txn, new_best)?;
        txn.commit()?;
        self.state().best = new_best;
        self.progress.notify_all();
        Ok(())
    }
}

/// Core's `NextSyncBlock` and `Rewind` decisions for one batch.
fn plan_step(
    cm: &mut ChainstateManager,
    backend: &dyn IndexBackend,
    best: Option<(BlockHash, u32)>,
) -> Result<Step, IndexError> {
    let chain = cm.active_chain();
    let index = cm.block_index();
    let Some(tip) = chain.tip() else {
        return Ok(Step::Idle);
    };
    let tip_height = index.entry(tip).height;
    let (rewind, start) = match best {
        None => (None, 0),
        Some((hash, height)) => {
            let id = cm.lookup_id(&hash).ok_or_else(|| {
                IndexError::Corrupt(format!(
                    "{}: best block of the index not found. Please rebuild the index.",
                    backend.name()
                ))
            })?;
            if chain.contains(index, id) {
                (None, height + 1)
            } else {
                let fork = chain.find_fork(index, id).ok_or_else(|| {
                    IndexError::Corrupt(format!(
                        "ThreadSync: Failed to rewind index {} to a previous chain tip",
                        backend.name()
                    ))
                })?;
                let f = index.entry(fork);
                (Some((f.hash, f.height)), f.height + 1)
            }
        }
    };
    if backend.allows_prune() {
        // Core's `SetBestBlockIndex` keeps the prune lock at the best block;
        // a pending rewind already counts.
        let lock = rewind.or(best).map_or(0, |b| b.1);
        cm.update_prune_lock(backend.name(), lock);
    }
    let chain = cm.active_chain();
    let index = cm.block_index();
    if rewind.is_none() && start > tip_height {
        return Ok(Step::Idle);
    }
    let end = tip_height.min(start.saturating_add(BATCH - 1));
    let mut blocks = Vec::new();
    let mut bytes = 0;
    for height in start..=end {
        if bytes > BATCH_BYTES {
            break;
        }
        let id = chain.at(height).expect("height within the active chain");
        let e = index.entry(id);
        let read_failed =
            || IndexError::Corrupt(format!("Failed to read block {} from disk", e.hash));
        let pos = e.data_pos().ok_or_else(read_failed)?;
        let block = cm.block_store().read_block(pos)?;
        bytes += block.total_size();
        let undo = if backend.needs_undo() && height > 0 {
            Some(cm.get_block_undo(&e.hash)?.ok_or_else(read_failed)?)
        } else {
            None
        };
        blocks.push(ReadBlock {
            hash: e.hash,
            height,
            prev: e.prev.map(|p| index.entry(p).hash),
            block,
            undo,
            pos,
        });
    }
    Ok(Step::Work { rewind, blocks })
}
