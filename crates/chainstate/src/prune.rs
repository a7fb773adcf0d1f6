//! Pruning of block and undo files (Core's `-prune`, `FindFilesToPrune`,
//! `FindFilesToPruneManual`, `PruneOneBlockFile`, `UnlinkPrunedFiles` of
//! `node/blockstorage.cpp` and the prune part of `FlushStateToDisk`).
//!
//! Whole `blk`/`rev` file pairs are deleted, never single blocks: a file is
//! pruned once every block in it is at least [`MIN_BLOCKS_TO_KEEP`] below the
//! tip (and below every index's prune lock). The entries of the pruned
//! blocks stay in the block index without `HAVE_DATA`/`HAVE_UNDO`.

use std::collections::BTreeMap;

use crate::error::ChainstateError;
use crate::index::{status, BlockIndexEntry};
use crate::manager::ChainstateManager;

/// `MIN_BLOCKS_TO_KEEP`: blocks below the tip that are never pruned.
pub const MIN_BLOCKS_TO_KEEP: u32 = 288;
/// `MIN_DISK_SPACE_FOR_BLOCK_FILES`: the smallest automatic prune target.
pub const MIN_DISK_SPACE_FOR_BLOCK_FILES: u64 = 550 * 1024 * 1024;
/// `BlockManager::PRUNE_TARGET_MANUAL`: `-prune=1`, pruning only by RPC.
pub const PRUNE_TARGET_MANUAL: u64 = u64::MAX;
/// `PRUNE_LOCK_BUFFER`: blocks kept below an index's best block.
pub const PRUNE_LOCK_BUFFER: u32 = 10;

/// Pruning settings and state of the chainstate.
#[derive(Clone, Debug, Default)]
pub struct PruneState {
    /// Bytes of block and undo files to stay under; 0 = no pruning,
    /// [`PRUNE_TARGET_MANUAL`] = only `pruneblockchain`.
    target: u64,
    /// Whether any block file was ever pruned (`m_have_pruned`).
    have_pruned: bool,
    /// Per index: the lowest height it may still need (`m_prune_locks`).
    locks: BTreeMap<String, u32>,
}

/// Core's `ApplyArgsManOptions` for `-prune=<n>` (MiB): the target in bytes.
pub fn prune_target_from_arg(n: i64) -> Result<u64, String> {
    if n < 0 {
        return Err("Prune cannot be configured with a negative value.".into());
    }
    let target = (n as u64).saturating_mul(1024 * 1024);
    if n == 1 {
        return Ok(PRUNE_TARGET_MANUAL);
    }
    if target != 0 && target < MIN_DISK_SPACE_FOR_BLOCK_FILES {
        return Err(format!(
            "Prune configured below the minimum of {} MiB.  Please use a higher number.",
            MIN_DISK_SPACE_FOR_BLOCK_FILES / 1024 / 1024
        ));
    }
    Ok(target)
}

impl ChainstateManager {
    /// Turns pruning on with `target` bytes (from [`prune_target_from_arg`])
    /// and logs it as Core's `LoadChainstate` does. A data directory pruned
    /// before is recognised by entries that lost their data.
    pub fn set_prune_target(&mut self, target: u64) {
        self.prune.target = target;
        if target == PRUNE_TARGET_MANUAL {
            tracing::info!("Block pruning enabled.  Use RPC call pruneblockchain(height) to manually prune block and undo files.");
        } else if target != 0 {
            tracing::info!(
                "Prune configured to target {} MiB on disk for block and undo files.",
                target / 1024 / 1024
            );
        }
        let pruned_before = self.index.iter().any(|(_, e)| e.n_tx > 0 && !e.have_data());
        if pruned_before {
            tracing::info!("LoadBlockIndexDB(): Block files have previously been pruned");
            self.prune.have_pruned = true;
        }
    }

    /// Whether `-prune` is set (`IsPruneMode`).
    pub fn is_prune_mode(&self) -> bool {
        self.prune.target != 0
    }

    /// The prune target in bytes (`GetPruneTarget`); [`PRUNE_TARGET_MANUAL`]
    /// for `-prune=1`, 0 without pruning.
    pub fn prune_target(&self) -> u64 {
        self.prune.target
    }

    /// Whether block files were ever pruned (`m_have_pruned`).
    pub fn have_pruned(&self) -> bool {
        self.prune.have_pruned
    }

    /// Core's `IsBlockPruned`.
    pub fn is_block_pruned(&self, entry: &BlockIndexEntry) -> bool {
        self.prune.have_pruned && !entry.have_data() && entry.n_tx > 0
    }

    /// Records the lowest height an index still needs (`UpdatePruneLock`).
    pub fn update_prune_lock(&mut self, name: &str, height: u32) {
        self.prune.locks.insert(name.to_string(), height);
    }

    /// After disconnecting the block at `height`: prune locks at or above it
    /// move below it, so the indexes can rewind (Core's `DisconnectTip`).
    pub(crate) fn move_prune_locks_back(&mut self, height: u32) {
        let max_height_first = height.saturating_sub(1);
        for (name, lock) in self.prune.locks.iter_mut() {
            if *lock > max_height_first {
                *lock = max_height_first;
                tracing::debug!(target: "prune", "{name} prune lock moved back to {max_height_first}");
            }
        }
    }

    /// The lowest block of the active chain whose data is stored, walking
    /// down from the tip while the parent still has data (`GetFirstStoredBlock`).
    pub fn first_stored_block(&self) -> Option<&BlockIndexEntry> {
        let mut id = self.chain.tip()?;
        loop {
            let e = self.index.entry(id);
            match e.prev {
                Some(p) if self.index.entry(p).have_data() => id = p,
                _ => return Some(e),
            }
        }
    }

    /// The range of heights that may be pruned (`GetPruneRange`): never
    /// above `last_can_prune`, never within [`MIN_BLOCKS_TO_KEEP`] of the tip.
    fn prune_range(&self, last_can_prune: u32) -> (u32, u32) {
        let height = self.chain.height();
        if height <= 0 {
            return (0, 0);
        }
        let max_prune = (height as u32).saturating_sub(MIN_BLOCKS_TO_KEEP);
        (0, last_can_prune.min(max_prune))
    }

    /// The highest height the prune locks allow (the loop over
    /// `m_prune_locks` in `FlushStateToDisk`).
    fn last_prune_allowed_by_locks(&self) -> u32 {
        let mut last = self.chain.height().max(0) as u32;
        let mut limiting = None;
        for (name, &height_first) in &self.prune.locks {
            let lock_height = i64::from(height_first) - i64::from(PRUNE_LOCK_BUFFER) - 1;
            let candidate = lock_height.min(i64::from(last)).max(1) as u32;
            last = candidate;
            if i64::from(last) == lock_height {
                limiting = Some(name.clone());
            }
        }
        if let Some(name) = limiting {
            tracing::debug!(target: "prune", "{name} limited pruning to height {last}");
        }
        last
    }

    /// Core's `PruneOneBlockFile`: the entries stored in file `n` lose their
    /// data and the file's info is reset.
    fn prune_one_block_file(&mut self, n: u32) {
        let ids: Vec<_> = self
            .index
            .iter()
            .filter(|(_, e)| e.file == n && e.status & (status::HAVE_DATA | status::HAVE_UNDO) != 0)
            .map(|(id, _)| id)
            .collect();
        for id in ids {
            let e = self.index.entry_mut(id);
            e.status &= !(status::HAVE_DATA | status::HAVE_UNDO);
            e.file = 0;
            e.data_pos = 0;
            e.undo_pos = 0;
            self.mark_dirty(id);
        }
        self.store.forget_file(n);
    }

    /// Files whose blocks all lie in the prunable range, skipping empty
    /// files and the file being written.
    fn prunable_files(&self, last_can_prune: u32) -> Vec<(u32, u64)> {
        let (min, last) = self.prune_range(last_can_prune);
        let current = self.store.current_file();
        self.store
            .file_infos()
            .iter()
            .enumerate()
            .filter(|&(n, info)| {
                info.size != 0
                    && n as u32 != current
                    && info.height_last <= last
                    && info.height_first >= min
            })
            .map(|(n, info)| (n as u32, u64::from(info.size) + u64::from(info.undo_size)))
            .collect()
    }

    /// Core's `FindFilesToPruneManual`: prunes every file with blocks up
    /// to `height` only (`pruneblockchain`), then flushes and deletes them.
    pub fn prune_block_files_manual(&mut self, height: u32) -> Result<(), ChainstateError> {
        if !self.is_prune_mode() || height == 0 || self.chain.height() < 0 {
            return Ok(());
        }
        let last = self.last_prune_allowed_by_locks().min(height);
        let (_, last_block_can_prune) = self.prune_range(last);
        let files: Vec<u32> = self.prunable_files(last).into_iter().map(|f| f.0).collect();
        for &n in &files {
            self.prune_one_block_file(n);
        }
        tracing::info!(
            "[normal] Prune (Manual): prune_height={last_block_can_prune} removed {} blk/rev pairs",
            files.len()
        );
        self.finish_prune(&files)
    }

    /// Core's `FindFilesToPrune`: with automatic pruning, once the chain is
    /// above `PruneAfterHeight`, prunes the oldest files until the block
    /// and undo files fit the target again.
    pub(crate) fn prune_if_needed(&mut self) -> Result<(), ChainstateError> {
        let target = self.prune.target;
        if target == 0 || target == PRUNE_TARGET_MANUAL || self.reindexing {
            return Ok(());
        }
        let target = target.max(MIN_DISK_SPACE_FOR_BLOCK_FILES);
        let height = self.chain.height();
        if height < 0 || height as u64 <= self.params.prune_after_height {
            return Ok(());
        }
        let last = self.last_prune_allowed_by_locks();
        let (min_height, last_block_can_prune) = self.prune_range(last);
        let mut usage = self.store.current_usage();
        let mut buffer = u64::from(crate::blockstore::BLOCKFILE_CHUNK_SIZE)
            + u64::from(crate::blockstore::UNDOFILE_CHUNK_SIZE);
        let mut pruned = Vec::new();
        if usage + buffer >= target {
            if self.is_initial_block_download((self.options.clock)(), self.options.max_tip_age) {
                buffer += target / 10;
            }
            for (n, bytes) in self.prunable_files(last) {
                if usage + buffer < target {
                    break;
                }
                self.prune_one_block_file(n);
                pruned.push(n);
                usage = usage.saturating_sub(bytes);
            }
        }
        tracing::debug!(target: "prune", "[normal] target={}MiB actual={}MiB diff={}MiB min_height={} max_prune_height={} removed {} blk/rev pairs",
            target / 1024 / 1024, usage / 1024 / 1024,
            (target as i64 - usage as i64) / 1024 / 1024,
            min_height, last_block_can_prune, pruned.len());
        self.finish_prune(&pruned)
    }

    /// Core's `PruneAndFlush` at start-up: prunes what the target asks for.
    pub fn prune_and_flush(&mut self) -> Result<(), ChainstateError> {
        self.prune_if_needed()?;
        self.flush()
    }

    /// Flushes the index and the coins (the pruned entries must be
    /// durable before their files go), then deletes the files.
    fn finish_prune(&mut self, files: &[u32]) -> Result<(), ChainstateError> {
        if files.is_empty() {
            return Ok(());
        }
        self.prune.have_pruned = true;
        self.flush()?;
        for &n in files {
            self.store.remove_file_pair(n)?;
            tracing::debug!(target: "blockstorage", "Prune: UnlinkPrunedFiles deleted blk/rev ({n:05})");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_arg_like_core() {
        assert_eq!(prune_target_from_arg(0), Ok(0));
        assert_eq!(prune_target_from_arg(1), Ok(PRUNE_TARGET_MANUAL));
        assert_eq!(prune_target_from_arg(550), Ok(550 * 1024 * 1024));
        assert_eq!(
            prune_target_from_arg(549).unwrap_err(),
            "Prune configured below the minimum of 550 MiB.  Please use a higher number."
        );
        assert_eq!(
            prune_target_from_arg(-1).unwrap_err(),
            "Prune cannot be configured with a negative value."
        );
    }
}
