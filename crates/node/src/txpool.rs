//! The node's mempool: the pool behind a lock, seen through the chainstate, kept in step
//! with connected blocks, and offered to the block assembler.
//!
//! Lock order: the chainstate's lock first, then the pool's (the chainstate notifies
//! [`PoolListener`] while locked). Nothing holds the pool's lock while taking the chain's.

use std::sync::{Arc, Mutex, MutexGuard};

use bitcoin::{Block, OutPoint};
use widecoin_chainstate::{BlockIndexEntry, ChainstateManager, ValidationListener};
use widecoin_mempool::{ChainMtp, ChainView, Coin, CoinView, Mempool, MempoolOptions};
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

/// The shared pool.
#[derive(Clone)]
pub struct TxPool(Arc<Mutex<Mempool>>);

impl TxPool {
    pub fn new(options: MempoolOptions) -> TxPool {
        TxPool(Arc::new(Mutex::new(Mempool::new(options))))
    }

    pub fn lock(&self) -> MutexGuard<'_, Mempool> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers the listener that keeps the pool in step with the chain.
    pub fn attach(&self, chainman: &mut ChainstateManager) {
        chainman.add_listener(Arc::new(PoolListener(self.clone())));
    }
}

/// Removes the transactions of connected blocks and their conflicts (Core's
/// `removeForBlock` from `ConnectTip`).
struct PoolListener(TxPool);

impl ValidationListener for PoolListener {
    fn block_connected(&self, block: &Block, _entry: &BlockIndexEntry) {
        self.0.lock().remove_for_block(block);
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
