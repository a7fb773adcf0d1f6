//! `-reindex`, `-reindex-chainstate` and `-loadblock` (Core's
//! `LoadExternalBlockFile` and `ImportBlocks`): blocks read from block files
//! without an index are accepted again; blocks whose parent is not known yet
//! wait until it is.

use std::collections::HashMap;
use std::path::Path;

use bitcoin::{Block, BlockHash};

use crate::blockstore::{ExternalBlockReader, FlatFilePos};
use crate::error::ChainstateError;
use crate::manager::ChainstateManager;

/// Blocks waiting for their parent, by parent hash.
type Orphans = HashMap<BlockHash, Vec<(Block, Option<FlatFilePos>)>>;

impl ChainstateManager {
    /// Accepts one block read from a file, then any waiting children.
    fn import_block(
        &mut self,
        block: Block,
        pos: Option<FlatFilePos>,
        orphans: &mut Orphans,
    ) -> Result<usize, ChainstateError> {
        let mut loaded = 0;
        let mut queue = vec![(block, pos)];
        while let Some((block, pos)) = queue.pop() {
            let hash = block.block_hash();
            if hash != self.params.genesis_hash()
                && self.lookup_id(&block.header.prev_blockhash).is_none()
            {
                tracing::debug!(target: "reindex", "LoadExternalBlockFile: Out of order block {hash}, parent {} not known", block.header.prev_blockhash);
                orphans
                    .entry(block.header.prev_blockhash)
                    .or_default()
                    .push((block, pos));
                continue;
            }
            if self.lookup(&hash).is_some_and(|e| e.have_data()) {
                tracing::debug!(target: "reindex", "Block Import: already had block {hash}");
            } else {
                match self.accept_block(&block, pos) {
                    Ok(_) => loaded += 1,
                    Err(ChainstateError::Invalid(e)) => {
                        tracing::debug!(target: "reindex", "AcceptBlock of {hash} failed: {}", e.reject_reason());
                    }
                    Err(e) => return Err(e),
                }
            }
            if let Some(children) = orphans.remove(&hash) {
                for (child, child_pos) in children {
                    tracing::debug!(target: "reindex", "LoadExternalBlockFile: Processing out of order child {} of {hash}", child.block_hash());
                    queue.push((child, child_pos));
                }
            }
        }
        Ok(loaded)
    }

    /// `-reindex`: rescans `blk?????.dat` from file 0 on, rebuilding the index
    /// from the blocks found (at their positions), then activates the best
    /// chain. Call after [`ChainstateManager::open`] with `reindex` set (or
    /// whenever [`ChainstateManager::is_reindexing`] says one is pending).
    pub fn reindex(&mut self) -> Result<(), ChainstateError> {
        self.importing = true;
        self.batch_commits = true;
        let magic = self.params.message_start;
        let mut orphans = Orphans::new();
        let mut file = 0u32;
        while let Some(f) = self.store.open_block_file(file) {
            tracing::info!(target: "reindex", "Reindexing block file blk{file:05}.dat...");
            let mut loaded = 0;
            for scanned in ExternalBlockReader::new(f, magic) {
                let pos = FlatFilePos {
                    file,
                    pos: scanned.offset as u32,
                };
                loaded += self.import_block(scanned.block, Some(pos), &mut orphans)?;
            }
            tracing::info!(target: "reindex", "Loaded {loaded} blocks from external file");
            self.commit_index(false)?;
            file += 1;
        }
        self.set_reindexing(false);
        tracing::info!(target: "reindex", "Reindexing finished");
        self.load_genesis()?;
        self.activate_best_chain(None)?;
        self.batch_commits = false;
        self.importing = false;
        self.flush()
    }

    /// `-loadblock=<file>`: imports the blocks of a foreign block file
    /// (copying them into our block files) and activates the best chain.
    pub fn load_external_block_file(&mut self, path: &Path) -> Result<usize, ChainstateError> {
        let f = std::fs::File::open(path)?;
        tracing::info!(target: "reindex", "Importing blocks file {}...", path.display());
        self.importing = true;
        let mut orphans = Orphans::new();
        let mut loaded = 0;
        for scanned in ExternalBlockReader::new(f, self.params.message_start) {
            loaded += self.import_block(scanned.block, None, &mut orphans)?;
        }
        self.activate_best_chain(None)?;
        self.importing = false;
        self.store.flush()?;
        self.commit_index(true)?;
        tracing::info!(target: "reindex", "Loaded {loaded} blocks from external file");
        Ok(loaded)
    }
}
