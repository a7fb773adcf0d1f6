//! The node's mempool: the pool behind a lock, seen through the chainstate, kept in step
//! with connected and disconnected blocks (re-adding the transactions of disconnected blocks
//! as Core's `MaybeUpdateMempoolForReorg`), offered to the block assembler, and persisted in
//! `mempool.dat`. Its additions and removals (with Core's removal reasons) are told to
//! [`PoolSubscriber`]s as they happen, before the pool is unlocked.
//!
//! Lock order: the chainstate's lock first, then the pool's (the chainstate notifies
//! [`PoolListener`] while locked). Nothing holds the pool's lock while taking the chain's.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};

use bitcoin::{Block, OutPoint, Transaction};
use widecoin_chainstate::{BlockIndexEntry, ChainstateManager, ValidationListener};
pub use widecoin_mempool::pool::PoolEvent;
use widecoin_mempool::{
    AcceptArgs, ChainMtp, ChainView, Coin, CoinView, Mempool, MempoolDump, MempoolOptions,
};
use widecoin_mining::{BlockTx, TxSource};

/// The chainstate as the pool sees it.
pub struct ChainAdapter<'a>(pub &'a ChainstateManager);

impl CoinView for ChainAdapter<'_> {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        match self.0.get_coin(outpoint) {
            Ok(c) => c.map(|c| Coin {
                output: c.output,
                height: c.height,
                is_coinbase: c.coinbase,
            }),
            Err(e) => {
                tracing::error!(target: "mempool", "reading coin {outpoint}: {e}");
                None
            }
        }
    }
}

impl ChainMtp for ChainAdapter<'_> {
    fn median_time_past(&self, height: u32) -> i64 {
        self.0
            .block_hash_at(height)
            .and_then(|h| self.0.median_time_past(&h))
            .unwrap_or(0)
    }
}

impl ChainView for ChainAdapter<'_> {
    fn tip_height(&self) -> i32 {
        self.0.height() as i32
    }

    fn tip_mtp(&self) -> i64 {
        self.0.tip_median_time_past().unwrap_or(0)
    }
}

/// Told of every addition to and removal from the pool, in order, while the pool is still
/// locked (Core's `TransactionAddedToMempool` / `TransactionRemovedFromMempool`, with the
/// removals for a block included). It must not lock the pool or the chainstate.
pub trait PoolSubscriber: Send + Sync {
    fn pool_events(&self, events: &[PoolEvent]);
}

type Subscribers = RwLock<Vec<Arc<dyn PoolSubscriber>>>;

/// The shared pool, where `mempool.dat` lives, and who hears of the pool's changes.
#[derive(Clone)]
pub struct TxPool(
    Arc<Mutex<Mempool>>,
    Arc<OnceLock<PathBuf>>,
    Arc<Subscribers>,
);

/// The locked pool; unlocking tells the subscribers what changed meanwhile.
pub struct PoolGuard<'a> {
    pool: MutexGuard<'a, Mempool>,
    subscribers: &'a Subscribers,
}

impl std::ops::Deref for PoolGuard<'_> {
    type Target = Mempool;
    fn deref(&self) -> &Mempool {
        &self.pool
    }
}

impl std::ops::DerefMut for PoolGuard<'_> {
    fn deref_mut(&mut self) -> &mut Mempool {
        &mut self.pool
    }
}

impl Drop for PoolGuard<'_> {
    fn drop(&mut self) {
        let events = self.pool.take_events();
        if events.is_empty() {
            return;
        }
        let subscribers = self.subscribers.read().unwrap_or_else(|e| e.into_inner());
        for s in subscribers.iter() {
            s.pool_events(&events);
        }
    }
}

impl TxPool {
    pub fn new(options: MempoolOptions) -> TxPool {
        let mut pool = Mempool::new(options);
        pool.record_events();
        TxPool(
            Arc::new(Mutex::new(pool)),
            Arc::new(OnceLock::new()),
            Arc::new(RwLock::new(Vec::new())),
        )
    }

    /// Adds a subscriber to the pool's changes (from the next change on).
    pub fn subscribe(&self, subscriber: Arc<dyn PoolSubscriber>) {
        // Under the pool's lock: no change is half told.
        let _pool = self.0.lock().unwrap_or_else(|e| e.into_inner());
        self.2
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(subscriber);
    }

    /// Core's `MempoolPath`: `mempool.dat` in the network's data directory, once known.
    pub fn dump_path(&self) -> Option<&Path> {
        self.1.get().map(PathBuf::as_path)
    }

    /// Core's `LoadMempool` from `path`, each transaction accepted with its recorded entry
    /// time (or now) unless expired; logs Core's summary line. The chain's lock is taken per
    /// transaction, then the pool's.
    pub fn load(&self, chain: &crate::chain::NodeChain, path: &Path, opts: ImportOptions) -> bool {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(_) => {
                tracing::info!("Failed to open mempool file from disk. Continuing anyway.");
                return false;
            }
        };
        let dump = match MempoolDump::deserialize(&bytes) {
            Ok(d) => d,
            Err(widecoin_mempool::DumpError::Version(_)) => return false,
            Err(e) => {
                tracing::info!(
                    "Failed to deserialize mempool data on disk: {e}. Continuing anyway."
                );
                return false;
            }
        };
        let now = widecoin_common::time::get_time();
        let (mut count, mut failed, mut expired, mut already_there) = (0, 0, 0, 0);
        for (tx, time, delta) in &dump.txs {
            let txid = tx.compute_txid();
            let time = if opts.use_current_time { &now } else { time };
            let cm = chain.lock();
            let mut pool = self.lock();
            if *delta != 0 && opts.apply_fee_delta_priority {
                pool.prioritise(&txid, *delta);
            }
            if *time > now - pool.options().expiry_secs {
                let args = AcceptArgs {
                    accept_time: *time,
                    ..AcceptArgs::single(now)
                };
                match pool.accept_with(tx, &ChainAdapter(&cm), args) {
                    Ok(_) => count += 1,
                    Err(_) if pool.get(&txid).is_some() => already_there += 1,
                    Err(_) => failed += 1,
                }
            } else {
                expired += 1;
            }
        }
        {
            let mut pool = self.lock();
            if opts.apply_fee_delta_priority {
                for (txid, delta) in &dump.deltas {
                    pool.prioritise(txid, *delta);
                }
            }
        }
        let unbroadcast = if opts.apply_unbroadcast_set {
            let mut pool = self.lock();
            for txid in &dump.unbroadcast {
                pool.add_unbroadcast(txid);
            }
            dump.unbroadcast.len()
        } else {
            0
        };
        tracing::info!("Imported mempool transactions from disk: {count} succeeded, {failed} failed, {expired} expired, {already_there} already there, {unbroadcast} waiting for initial broadcast");
        true
    }

    /// Core's `DumpMempool` to `path` (through `path.new`, renamed over it).
    pub fn dump(&self, path: &Path) -> bool {
        let start = std::time::Instant::now();
        let dump = self.lock().dump();
        let mid = std::time::Instant::now();
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".new");
        let tmp = PathBuf::from(tmp);
        tracing::info!(
            "Writing {} unbroadcast transactions to disk.",
            dump.unbroadcast.len()
        );
        let written = (|| -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&dump.serialize())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        match written {
            Ok(()) => {
                let last = std::time::Instant::now();
                tracing::info!(
                    "Dumped mempool: {}s to copy, {}s to dump",
                    (mid - start).as_secs_f64(),
                    (last - mid).as_secs_f64()
                );
                true
            }
            Err(e) => {
                tracing::info!("Failed to dump mempool: {e}. Continuing anyway.");
                false
            }
        }
    }

    pub fn lock(&self) -> PoolGuard<'_> {
        PoolGuard {
            pool: self.0.lock().unwrap_or_else(|e| e.into_inner()),
            subscribers: &self.2,
        }
    }

    /// Registers the listener that keeps the pool in step with the chain.
    pub fn attach(&self, chainman: &mut ChainstateManager) {
        chainman.add_listener(Arc::new(PoolListener {
            pool: self.clone(),
            disconnected: Mutex::new(Vec::new()),
        }));
    }
}

/// What `importmempool` takes over from the file (Core's `ImportMempoolOptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    pub use_current_time: bool,
    pub apply_fee_delta_priority: bool,
    pub apply_unbroadcast_set: bool,
}

impl Default for ImportOptions {
    /// Start-up's load: everything from the file.
    fn default() -> Self {
        ImportOptions {
            use_current_time: false,
            apply_fee_delta_priority: true,
            apply_unbroadcast_set: true,
        }
    }
}

/// Start-up: remembers where `mempool.dat` lives and, with `-persistmempool`, loads it
/// (Core's `ThreadImport` part); the caller then marks the load as tried.
pub fn load_at_startup(node: &crate::context::NodeContext, net_dir: &Path) {
    let path = net_dir.join("mempool.dat");
    let _ = node.pool.1.set(path.clone());
    if node.mempool.persist {
        node.pool.load(&node.chain, &path, ImportOptions::default());
    }
}

/// Shutdown: with `-persistmempool`, writes `mempool.dat` if the load was tried.
pub fn dump_at_shutdown(node: &crate::context::NodeContext) {
    let tried = node
        .mempool
        .loaded
        .load(std::sync::atomic::Ordering::SeqCst);
    if node.mempool.persist && tried {
        if let Some(path) = node.pool.dump_path() {
            node.pool.dump(path);
        }
    }
}

/// Keeps the pool in step with the chain: removes the transactions of connected blocks and
/// their conflicts (Core's `removeForBlock`), collects those of disconnected blocks (Core's
/// `DisconnectedBlockTransactions`) and re-adds them once the chain has settled.
struct PoolListener {
    pool: TxPool,
    /// Transactions of disconnected blocks, one list per block, the most recent first.
    disconnected: Mutex<Vec<Vec<Arc<Transaction>>>>,
}

impl ValidationListener for PoolListener {
    fn block_connected(&self, block: &Block, _entry: &BlockIndexEntry) {
        {
            let mut queued = self.disconnected.lock().unwrap_or_else(|e| e.into_inner());
            if !queued.is_empty() {
                let txids: std::collections::HashSet<_> =
                    block.txdata.iter().map(|t| t.compute_txid()).collect();
                for b in queued.iter_mut() {
                    b.retain(|t| !txids.contains(&t.compute_txid()));
                }
            }
        }
        self.pool
            .lock()
            .remove_for_block(block, widecoin_common::time::get_time());
    }

    fn block_disconnected(&self, block: &Block, _entry: &BlockIndexEntry) {
        let txs = block.txdata.iter().cloned().map(Arc::new).collect();
        self.disconnected
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(txs);
    }

    fn reorg_settled(&self, chainman: &ChainstateManager, add_back: bool) {
        let blocks =
            std::mem::take(&mut *self.disconnected.lock().unwrap_or_else(|e| e.into_inner()));
        let txs: Vec<Arc<Transaction>> = blocks.into_iter().rev().flatten().collect();
        self.pool.lock().update_for_reorg(
            &txs,
            &ChainAdapter(chainman),
            widecoin_common::time::get_time(),
            add_back,
        );
    }
}

/// The pool as the block assembler's source of transactions.
impl TxSource for TxPool {
    fn block_txs(&mut self, height: u32, lock_time_cutoff: i64) -> Vec<BlockTx> {
        self.lock()
            .block_txs(height, lock_time_cutoff)
            .into_iter()
            .map(|(tx, fee, sigop_cost)| BlockTx {
                tx,
                fee,
                sigop_cost,
            })
            .collect()
    }
}
