//! Core's `CVerifyDB::VerifyDB`: re-reads the last blocks of the active chain
//! and checks them at increasing levels of thoroughness, for `verifychain`
//! and for `-checkblocks` / `-checklevel` at start-up. Nothing is written:
//! levels 3 and 4 work on a throw-away layer over the UTXO cache.

use crate::checks::check_block;
use crate::coins::CoinsLayer;
use crate::connect::{connect_block, disconnect_block, ConnectContext, DisconnectResult};
use crate::error::ChainstateError;
use crate::manager::ChainstateManager;
use crate::undo::BlockUndo;

/// Core's `DEFAULT_CHECKBLOCKS`.
pub const DEFAULT_CHECKBLOCKS: i64 = 6;
/// Core's `DEFAULT_CHECKLEVEL`.
pub const DEFAULT_CHECKLEVEL: i64 = 3;

/// Core's `CHECKLEVEL_DOC`.
pub const CHECKLEVEL_DOC: [&str; 6] = [
    "level 0 reads the blocks from disk",
    "level 1 verifies block validity",
    "level 2 verifies undo data",
    "level 3 checks disconnection of tip blocks",
    "level 4 tries to reconnect the blocks",
    "each level includes the checks of the previous levels",
];

/// Core's `VerifyDBResult`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyDbResult {
    Success,
    CorruptedBlockDb,
    Interrupted,
    SkippedL3Checks,
    SkippedMissingBlocks,
}

impl ChainstateManager {
    /// Verifies the last `depth` blocks (all when `depth <= 0` or above the
    /// height) at `level` (clamped to 0-4). Failures are logged with Core's
    /// words and reported as [`VerifyDbResult::CorruptedBlockDb`];
    /// `interrupted` is polled between blocks.
    pub fn verify_db(
        &mut self,
        level: i64,
        depth: i64,
        interrupted: &dyn Fn() -> bool,
    ) -> Result<VerifyDbResult, ChainstateError> {
        let Some(tip) = self.chain.tip() else {
            return Ok(VerifyDbResult::Success);
        };
        if self.index.entry(tip).prev.is_none() {
            return Ok(VerifyDbResult::Success);
        }
        let height = self.chain.height();
        let depth = if depth <= 0 || depth > height {
            height
        } else {
            depth
        };
        let level = level.clamp(0, 4);
        tracing::info!("Verifying last {depth} blocks at level {level}");
        tracing::info!("Verification progress: 0%");
        let threads = match self.options.par {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let dbcache = self.options.dbcache;
        let mut report_done = 0;
        let mut good_txs: usize = 0;
        let mut failure: Option<u32> = None;
        let mut skipped_l3 = false;
        let mut skipped_missing = false;
        let mut layer = CoinsLayer::new(&mut self.coins);
        let mut cur = tip;
        let progress = |h: i64, scale: f64| -> i64 {
            (((height - h) as f64 / depth as f64) * scale).clamp(1.0, 99.0) as i64
        };
        loop {
            let e = self.index.entry(cur);
            let Some(prev) = e.prev else { break };
            let h = i64::from(e.height);
            let pct = progress(h, if level >= 4 { 50.0 } else { 100.0 });
            if report_done < pct / 10 {
                tracing::info!("Verification progress: {pct}%");
                report_done = pct / 10;
            }
            if h <= height - depth {
                break;
            }
            let hash = e.hash;
            if !e.have_data() {
                // Only possible with pruned blocks: check back to the first stored one.
                tracing::info!("VerifyDB(): block verification stopping at height {h} (no data). This could be due to pruning or use of an assumeutxo snapshot.");
                skipped_missing = true;
                break;
            }
            // Level 0: read the block.
            let block = match e.data_pos().map(|pos| self.store.read_block(pos)) {
                Some(Ok(b)) if b.block_hash() == hash => b,
                _ => {
                    tracing::info!(
                        "Verification error: ReadBlockFromDisk failed at {h}, hash={hash}"
                    );
                    return Ok(VerifyDbResult::CorruptedBlockDb);
                }
            };
            // Level 1: the block's own validity.
            if level >= 1 {
                if let Err(err) = check_block(&block, &self.params.consensus, true) {
                    tracing::info!(
                        "Verification error: found bad block at {h}, hash={hash} ({})",
                        err.state_string()
                    );
                    return Ok(VerifyDbResult::CorruptedBlockDb);
                }
            }
            // Level 2: the undo data reads and decodes.
            let mut undo = None;
            if level >= 2 {
                if let Some(pos) = e.undo_pos() {
                    let prev_hash = self.index.entry(prev).hash;
                    let read = self
                        .store
                        .read_undo(pos, &prev_hash)
                        .ok()
                        .and_then(|raw| BlockUndo::deserialize(&raw).ok());
                    match read {
                        Some(u) => undo = Some(u),
                        None => {
                            tracing::info!(
                                "Verification error: found bad undo data at {h}, hash={hash}"
                            );
                            return Ok(VerifyDbResult::CorruptedBlockDb);
                        }
                    }
                }
            }
            // Level 3: disconnect it in memory.
            if level >= 3 {
                if layer.usage() + layer.base_usage() <= dbcache {
                    let result = match &undo {
                        Some(u) => disconnect_block(&block, u, e.height, &mut layer).ok(),
                        None => None,
                    };
                    match result {
                        None => {
                            tracing::info!("Verification error: irrecoverable inconsistency in block data at {h}, hash={hash}");
                            return Ok(VerifyDbResult::CorruptedBlockDb);
                        }
                        Some(DisconnectResult::Unclean) => {
                            good_txs = 0;
                            failure = Some(e.height);
                        }
                        Some(DisconnectResult::Ok) => good_txs += block.txdata.len(),
                    }
                } else {
                    skipped_l3 = true;
                }
            }
            if interrupted() {
                return Ok(VerifyDbResult::Interrupted);
            }
            cur = prev;
        }
        if let Some(f) = failure {
            tracing::info!("Verification error: coin database inconsistencies found (last {} blocks, {good_txs} good transactions before that)", height - i64::from(f) + 1);
            return Ok(VerifyDbResult::CorruptedBlockDb);
        }
        if skipped_l3 {
            tracing::info!("Skipped verification of level >=3 (insufficient database cache size). Consider increasing -dbcache.");
        }
        let block_count = height - i64::from(self.index.entry(cur).height);
        // Level 4: connect the blocks again on top of the disconnected state.
        if level >= 4 && !skipped_l3 {
            while cur != tip {
                let next_height = self.index.entry(cur).height + 1;
                let next = self.chain.at(next_height).expect("below the tip");
                let pct = (100.0
                    - ((height - i64::from(next_height) + 1) as f64 / depth as f64) * 50.0)
                    .clamp(1.0, 99.0) as i64;
                if report_done < pct / 10 {
                    tracing::info!("Verification progress: {pct}%");
                    report_done = pct / 10;
                }
                let e = self.index.entry(next);
                let hash = e.hash;
                let block = match e.data_pos().map(|pos| self.store.read_block(pos)) {
                    Some(Ok(b)) => b,
                    _ => {
                        tracing::info!("Verification error: ReadBlockFromDisk failed at {next_height}, hash={hash}");
                        return Ok(VerifyDbResult::CorruptedBlockDb);
                    }
                };
                let ctx = ConnectContext {
                    index: &self.index,
                    id: next,
                    params: &self.params.consensus,
                    check_scripts: true,
                    threads,
                };
                if let Err(err) = connect_block(&block, &ctx, &mut layer) {
                    let state = match &err {
                        ChainstateError::Invalid(v) => v.state_string(),
                        other => other.to_string(),
                    };
                    tracing::info!("Verification error: found unconnectable block at {next_height}, hash={hash} ({state})");
                    return Ok(VerifyDbResult::CorruptedBlockDb);
                }
                if interrupted() {
                    return Ok(VerifyDbResult::Interrupted);
                }
                cur = next;
            }
        }
        // The layer is dropped: nothing of the above reaches the cache.
        drop(layer);
        tracing::info!("Verification: No coin database inconsistencies in last {block_count} blocks ({good_txs} transactions)");
        if skipped_l3 {
            return Ok(VerifyDbResult::SkippedL3Checks);
        }
        if skipped_missing {
            return Ok(VerifyDbResult::SkippedMissingBlocks);
        }
        Ok(VerifyDbResult::Success)
    }
}
