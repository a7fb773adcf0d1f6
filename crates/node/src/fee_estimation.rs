//! The node's fee estimator (Core's `NodeContext::fee_estimator`): fed from
//! the mempool as blocks connect, read from `fee_estimates.dat` at start-up,
//! written every hour and at shutdown.
//!
//! Core's mempool tells the estimator about each transaction as it enters
//! and leaves. Here the estimator looks at the pool when a block connects,
//! before the pool drops the block's transactions: entries it has not seen
//! are added (with the tip height they entered at, so the result is the same
//! as being told at once: the estimator only counts transactions that entered
//! at its last seen height), tracked transactions that are gone for other
//! reasons are removed, then the block is processed. Transactions that came
//! and went between two blocks change nothing in Core either. One
//! difference: transactions re-added from disconnected blocks are counted,
//! where Core does not.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bitcoin::{Block, Txid};
use widecoin_chainstate::{BlockIndexEntry, ChainstateManager, ValidationListener};
use widecoin_common::version::CLIENT_VERSION;
use widecoin_fees::{BlockPolicyEstimator, FEE_ESTIMATES_FILENAME, FEE_FLUSH_INTERVAL_SECS};

use crate::txpool::TxPool;

/// `MAX_FEE_ESTIMATION_TIP_AGE`: three hours.
const MAX_FEE_ESTIMATION_TIP_AGE: i64 = 3 * 60 * 60;

/// The estimator and what it needs to follow the pool.
pub struct FeeEstimation {
    estimator: Mutex<BlockPolicyEstimator>,
    pool: TxPool,
    /// Off with `-blocksonly` (Core then has no estimator).
    enabled: AtomicBool,
    path: OnceLock<PathBuf>,
    /// The tip as last announced: in initial block download, and its time.
    tip_ibd: AtomicBool,
    tip_time: AtomicI64,
    /// Seconds `mockscheduler` moved the flush schedule forward.
    mock_forward_secs: AtomicI64,
}

impl FeeEstimation {
    /// An empty estimator following `pool`, registered with the chainstate.
    /// Register it before the pool's own listener, which drops the block's
    /// transactions.
    pub fn attach(pool: &TxPool, chainman: &mut ChainstateManager) -> Arc<FeeEstimation> {
        let fe = Arc::new(FeeEstimation {
            estimator: Mutex::new(BlockPolicyEstimator::new()),
            pool: pool.clone(),
            enabled: AtomicBool::new(true),
            path: OnceLock::new(),
            tip_ibd: AtomicBool::new(true),
            tip_time: AtomicI64::new(chainman.tip().map_or(0, |t| t.time())),
            mock_forward_secs: AtomicI64::new(0),
        });
        chainman.add_listener(Arc::new(Listener(fe.clone())));
        fe
    }

    /// The estimator, or `None` when fee estimation is off.
    pub fn estimator(&self) -> Option<MutexGuard<'_, BlockPolicyEstimator>> {
        self.enabled
            .load(Ordering::SeqCst)
            .then(|| self.estimator.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Core's `IsCurrentForFeeEstimation` for the tip announced last.
    fn is_current(&self) -> bool {
        !self.tip_ibd.load(Ordering::SeqCst)
            && self.tip_time.load(Ordering::SeqCst)
                >= widecoin_common::time::get_time() - MAX_FEE_ESTIMATION_TIP_AGE
    }

    /// Brings the estimator up to date with the pool (see the module's
    /// text); `confirmed`: transactions of a block being connected, which are
    /// not "removed".
    fn sync(&self, est: &mut BlockPolicyEstimator, confirmed: &HashSet<Txid>) {
        let pool = self.pool.lock();
        let gone: Vec<Txid> = est
            .tracked_txids()
            .into_iter()
            .filter(|t| pool.get(t).is_none() && !confirmed.contains(t))
            .collect();
        for t in gone {
            est.remove_tx(&t, false);
        }
        let current = self.is_current();
        let best = est.best_seen_height();
        for e in pool.entries() {
            if e.height.max(0) as u32 == best && !est.is_tracked(&e.txid) {
                est.process_transaction(
                    e.txid,
                    e.height.max(0) as u32,
                    e.fee,
                    e.vsize,
                    current && e.parents.is_empty(),
                );
            }
        }
    }

    /// Start-up (Core's `AppInitMain`): `-acceptstalefeeestimates` only on
    /// regtest; no estimator with `-blocksonly`; otherwise the history of
    /// `fee_estimates.dat`, and a thread that writes it every hour.
    pub fn init(
        self: &Arc<Self>,
        args: &widecoin_common::args::ArgsManager,
        chain_params: &widecoin_chainparams::ChainParams,
        net_dir: &Path,
        shutdown: &Arc<crate::shutdown::Shutdown>,
    ) -> Result<(), String> {
        if args.get_bool_arg("-blocksonly", false) {
            self.enabled.store(false, Ordering::SeqCst);
            return Ok(());
        }
        let read_stale = args.get_bool_arg(
            "-acceptstalefeeestimates",
            widecoin_fees::DEFAULT_ACCEPT_STALE_FEE_ESTIMATES,
        );
        if read_stale && chain_params.chain_type != widecoin_chainparams::ChainType::Regtest {
            return Err(format!(
                "acceptstalefeeestimates is not supported on {} chain.",
                chain_params.chain_type_string()
            ));
        }
        let path = net_dir.join(FEE_ESTIMATES_FILENAME);
        let loaded = BlockPolicyEstimator::open(&path, read_stale, CLIENT_VERSION);
        *self.estimator.lock().unwrap_or_else(|e| e.into_inner()) = loaded;
        let _ = self.path.set(path);
        let me = self.clone();
        let shutdown = shutdown.clone();
        std::thread::Builder::new()
            .name("feeestflush".into())
            .spawn(move || {
                let mut next = std::time::Instant::now()
                    + std::time::Duration::from_secs(FEE_FLUSH_INTERVAL_SECS);
                while !shutdown.is_requested() {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    let forward = me.mock_forward_secs.load(Ordering::SeqCst).max(0) as u64;
                    if std::time::Instant::now() + std::time::Duration::from_secs(forward) >= next {
                        me.flush_fee_estimates();
                        next += std::time::Duration::from_secs(FEE_FLUSH_INTERVAL_SECS);
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Moves the hourly flush `secs` closer (Core's `MockForward` of the
    /// scheduler that runs it).
    pub fn mock_forward(&self, secs: i64) {
        self.mock_forward_secs.fetch_add(secs, Ordering::SeqCst);
    }

    /// Core's `FlushFeeEstimates`.
    pub fn flush_fee_estimates(&self) {
        if let (Some(est), Some(path)) = (self.estimator(), self.path.get()) {
            est.flush_fee_estimates(path, CLIENT_VERSION);
        }
    }

    /// Shutdown (Core's `Flush`): the pool's transactions count as
    /// unconfirmed, then the file is written.
    pub fn shutdown(&self) {
        let Some(path) = self.path.get() else {
            return;
        };
        if let Some(mut est) = self.estimator() {
            self.sync(&mut est, &HashSet::new());
            est.flush(path, CLIENT_VERSION);
        }
    }
}

struct Listener(Arc<FeeEstimation>);

impl ValidationListener for Listener {
    fn updated_block_tip(&self, tip: &BlockIndexEntry, _fork: Option<u32>, ibd: bool) {
        self.0.tip_ibd.store(ibd, Ordering::SeqCst);
        self.0.tip_time.store(tip.time(), Ordering::SeqCst);
    }

    fn block_connected(&self, block: &Block, entry: &BlockIndexEntry) {
        let Some(mut est) = self.0.estimator() else {
            return;
        };
        let txids: HashSet<Txid> = block.txdata.iter().map(|t| t.compute_txid()).collect();
        self.0.sync(&mut est, &txids);
        let confirmed: Vec<(Txid, u32, i64, u64)> = {
            let pool = self.0.pool.lock();
            block
                .txdata
                .iter()
                .filter_map(|tx| pool.get(&tx.compute_txid()))
                .map(|e| (e.txid, e.height.max(0) as u32, e.fee, e.vsize))
                .collect()
        };
        est.process_block(entry.height, &confirmed);
    }
}
