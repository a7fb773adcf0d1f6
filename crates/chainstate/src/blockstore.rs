//! Block and undo files in Widecoin Core's format, so that block files move
//! between this node and Widecoin Core in both directions.
//!
//! A block record is `magic (4) | size (4, LE) | block`; an undo record is
//! `magic | size | undo | SHA256d(prev block hash | undo)`. Files grow in
//! pre-allocated chunks (16 MiB for blocks, 1 MiB for undo) and are truncated
//! to their real size when the store moves on to the next file
//! (`BlockManager::FindBlockPos`, `FlushBlockFile`).

mod files;
mod scan;

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bitcoin::hashes::{sha256d, Hash, HashEngine};
use bitcoin::{Block, BlockHash};

pub use files::{FlatFilePos, FlatFileSeq};
pub use scan::{ExternalBlockReader, ScannedBlock};

/// `MAX_BLOCKFILE_SIZE`: 128 MiB.
pub const MAX_BLOCKFILE_SIZE: u32 = 0x800_0000;
/// `-fastprune` block files: 64 KiB.
pub const FAST_PRUNE_BLOCKFILE_SIZE: u32 = 0x1_0000;
/// `BLOCKFILE_CHUNK_SIZE`: 16 MiB.
pub const BLOCKFILE_CHUNK_SIZE: u32 = 0x100_0000;
/// `UNDOFILE_CHUNK_SIZE`: 1 MiB.
pub const UNDOFILE_CHUNK_SIZE: u32 = 0x10_0000;
/// `BLOCK_SERIALIZATION_HEADER_SIZE`: magic and size.
pub const HEADER_SIZE: u32 = 8;

/// Errors of the block store, with the failing file or position.
#[derive(Debug, thiserror::Error)]
pub enum BlockStoreError {
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: wrong magic at {pos}")]
    BadMagic {
        what: &'static str,
        pos: FlatFilePos,
    },
    #[error("{what}: record size {size} at {pos} out of range")]
    BadSize {
        what: &'static str,
        size: u32,
        pos: FlatFilePos,
    },
    #[error("failed to deserialize block at {pos}: {reason}")]
    Deserialize { pos: FlatFilePos, reason: String },
    #[error("undo data checksum mismatch at {0}")]
    UndoChecksum(FlatFilePos),
    #[error("block at {pos} has hash {found}, expected {expected}")]
    HashMismatch {
        pos: FlatFilePos,
        found: BlockHash,
        expected: BlockHash,
    },
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> BlockStoreError + '_ {
    move |source| BlockStoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Core's `CBlockFileInfo`: what one `blk` file (and its `rev` file) holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockFileInfo {
    pub blocks: u32,
    /// Bytes used in the block file.
    pub size: u32,
    /// Bytes used in the undo file.
    pub undo_size: u32,
    pub height_first: u32,
    pub height_last: u32,
    pub time_first: u64,
    pub time_last: u64,
}

impl BlockFileInfo {
    fn add_block(&mut self, height: u32, time: u64) {
        if self.blocks == 0 || self.height_first > height {
            self.height_first = height;
        }
        if self.blocks == 0 || self.time_first > time {
            self.time_first = time;
        }
        self.blocks += 1;
        self.height_last = self.height_last.max(height);
        self.time_last = self.time_last.max(time);
    }
}

/// The `blk`/`rev` file sequence of one data directory.
pub struct BlockStore {
    magic: [u8; 4],
    blocks: FlatFileSeq,
    undo: FlatFileSeq,
    max_file_size: u32,
    infos: Vec<BlockFileInfo>,
    /// The file new blocks go to.
    current: u32,
    /// Files whose info changed since the last `take_dirty`.
    dirty: Vec<u32>,
}

impl BlockStore {
    /// A store over `blocks_dir` with the file infos the index kept
    /// (empty for a new data directory).
    pub fn new(
        blocks_dir: &Path,
        magic: [u8; 4],
        fast_prune: bool,
        infos: Vec<BlockFileInfo>,
    ) -> Self {
        let current = infos.len().saturating_sub(1) as u32;
        BlockStore {
            magic,
            blocks: FlatFileSeq::new(blocks_dir, "blk", BLOCKFILE_CHUNK_SIZE),
            undo: FlatFileSeq::new(blocks_dir, "rev", UNDOFILE_CHUNK_SIZE),
            max_file_size: if fast_prune {
                FAST_PRUNE_BLOCKFILE_SIZE
            } else {
                MAX_BLOCKFILE_SIZE
            },
            infos,
            current,
            dirty: Vec::new(),
        }
    }

    pub fn blocks_dir(&self) -> &Path {
        self.blocks.dir()
    }

    pub fn file_info(&self, file: u32) -> Option<&BlockFileInfo> {
        self.infos.get(file as usize)
    }

    pub fn file_infos(&self) -> &[BlockFileInfo] {
        &self.infos
    }

    /// File numbers whose info changed, for the index to persist.
    pub fn take_dirty(&mut self) -> Vec<(u32, BlockFileInfo)> {
        let mut d = std::mem::take(&mut self.dirty);
        d.sort_unstable();
        d.dedup();
        d.into_iter().map(|f| (f, self.infos[f as usize])).collect()
    }

    /// `CalculateCurrentUsage`: bytes of block and undo data.
    pub fn current_usage(&self) -> u64 {
        self.infos
            .iter()
            .map(|i| u64::from(i.size) + u64::from(i.undo_size))
            .sum()
    }

    fn info_mut(&mut self, file: u32) -> &mut BlockFileInfo {
        if self.infos.len() <= file as usize {
            self.infos
                .resize(file as usize + 1, BlockFileInfo::default());
        }
        self.dirty.push(file);
        &mut self.infos[file as usize]
    }

    /// Appends a serialized block at the end of the current file (moving to
    /// the next file when it would reach the size limit) and returns the
    /// position of the block data (after the 8-byte record header).
    pub fn write_block(
        &mut self,
        block: &[u8],
        height: u32,
        time: u64,
    ) -> Result<FlatFilePos, BlockStoreError> {
        let add = block.len() as u32 + HEADER_SIZE;
        let mut max = self.max_file_size;
        if max == FAST_PRUNE_BLOCKFILE_SIZE && add >= max {
            max = add + 1;
        }
        let mut file = self.current;
        while self.infos.get(file as usize).map_or(0, |i| i.size) + add >= max {
            file += 1;
        }
        if file != self.current {
            let previous = self.current;
            tracing::debug!(target: "blockstorage", "Leaving block file {previous}: {:?} (onto {file}) (height {height})",
                self.infos.get(previous as usize));
            self.finalize_file(previous)?;
            self.current = file;
        }
        let offset = self.info_mut(file).size;
        let pos = FlatFilePos { file, pos: offset };
        self.blocks.allocate(pos, add)?;
        let mut f = self.blocks.open(pos, false)?;
        let path = self.blocks.path(file);
        let mut record = Vec::with_capacity(add as usize);
        record.extend_from_slice(&self.magic);
        record.extend_from_slice(&(block.len() as u32).to_le_bytes());
        record.extend_from_slice(block);
        f.write_all(&record).map_err(io_err(&path))?;
        let info = self.info_mut(file);
        info.size = offset + add;
        info.add_block(height, time);
        Ok(FlatFilePos {
            file,
            pos: offset + HEADER_SIZE,
        })
    }

    /// Records a block found at `pos` by a rescan of the block files
    /// (`-reindex`): the file info grows to cover it and new blocks go after it.
    pub fn note_external_block(&mut self, pos: FlatFilePos, len: u32, height: u32, time: u64) {
        let end = pos.pos + len;
        let info = self.info_mut(pos.file);
        info.size = info.size.max(end);
        info.add_block(height, time);
        if pos.file > self.current {
            self.current = pos.file;
        }
    }

    /// Truncates a finished file pair to its used size and syncs it.
    fn finalize_file(&mut self, file: u32) -> Result<(), BlockStoreError> {
        let info = self.infos.get(file as usize).copied().unwrap_or_default();
        self.blocks.flush(file, Some(info.size))?;
        self.undo.flush(file, Some(info.undo_size))?;
        Ok(())
    }

    /// Syncs the current files to disk (`FlushBlockFile` without finalizing).
    pub fn flush(&self) -> Result<(), BlockStoreError> {
        self.blocks.flush(self.current, None)?;
        self.undo.flush(self.current, None)?;
        Ok(())
    }

    /// Reads the raw bytes of the block whose data starts at `pos`, checking
    /// the record header before it.
    pub fn read_raw_block(&self, pos: FlatFilePos) -> Result<Vec<u8>, BlockStoreError> {
        if pos.pos < HEADER_SIZE {
            return Err(BlockStoreError::BadSize {
                what: "block",
                size: 0,
                pos,
            });
        }
        let start = FlatFilePos {
            file: pos.file,
            pos: pos.pos - HEADER_SIZE,
        };
        let mut f = self.blocks.open(start, true)?;
        let path = self.blocks.path(pos.file);
        let mut header = [0u8; 8];
        f.read_exact(&mut header).map_err(io_err(&path))?;
        if header[..4] != self.magic {
            return Err(BlockStoreError::BadMagic { what: "block", pos });
        }
        let size = u32::from_le_bytes(header[4..].try_into().expect("4 bytes"));
        if size < 80 || size > widecoin_chainparams::consensus::MAX_BLOCK_SERIALIZED_SIZE as u32 * 4
        {
            return Err(BlockStoreError::BadSize {
                what: "block",
                size,
                pos,
            });
        }
        let mut data = vec![0u8; size as usize];
        f.read_exact(&mut data).map_err(io_err(&path))?;
        Ok(data)
    }

    /// Reads and deserializes the block at `pos` (Core's `ReadBlockFromDisk`).
    pub fn read_block(&self, pos: FlatFilePos) -> Result<Block, BlockStoreError> {
        let raw = self.read_raw_block(pos)?;
        // Core's reader, not rust-bitcoin's: no 4 MB caps on a witness or the block.
        widecoin_consensus::decode::decode_block_partial(&raw)
            .map(|(block, _)| block)
            .map_err(|e| BlockStoreError::Deserialize {
                pos,
                reason: e.to_string(),
            })
    }

    /// Appends undo data for a block stored in `file` (undo files pair with
    /// block files by number). `prev_hash` is the hash of the block's parent,
    /// which the checksum covers.
    pub fn write_undo(
        &mut self,
        file: u32,
        undo: &[u8],
        prev_hash: &BlockHash,
    ) -> Result<FlatFilePos, BlockStoreError> {
        let offset = self.info_mut(file).undo_size;
        let add = undo.len() as u32 + HEADER_SIZE + 32;
        let pos = FlatFilePos { file, pos: offset };
        self.undo.allocate(pos, add)?;
        let mut f = self.undo.open(pos, false)?;
        let path = self.undo.path(file);
        let mut record = Vec::with_capacity(add as usize);
        record.extend_from_slice(&self.magic);
        record.extend_from_slice(&(undo.len() as u32).to_le_bytes());
        record.extend_from_slice(undo);
        record.extend_from_slice(undo_checksum(prev_hash, undo).as_byte_array());
        f.write_all(&record).map_err(io_err(&path))?;
        self.info_mut(file).undo_size = offset + add;
        // A finished block file's undo file is truncated once its undo data
        // catches up with it.
        if file != self.current {
            let size = self.infos[file as usize].undo_size;
            self.undo.flush(file, Some(size))?;
        }
        Ok(FlatFilePos {
            file,
            pos: offset + HEADER_SIZE,
        })
    }

    /// Reads undo data at `pos` and verifies its checksum (Core's `UndoReadFromDisk`).
    pub fn read_undo(
        &self,
        pos: FlatFilePos,
        prev_hash: &BlockHash,
    ) -> Result<Vec<u8>, BlockStoreError> {
        if pos.pos < HEADER_SIZE {
            return Err(BlockStoreError::BadSize {
                what: "undo",
                size: 0,
                pos,
            });
        }
        let mut f = self.undo.open(
            FlatFilePos {
                file: pos.file,
                pos: pos.pos - HEADER_SIZE,
            },
            true,
        )?;
        let path = self.undo.path(pos.file);
        let mut header = [0u8; 8];
        f.read_exact(&mut header).map_err(io_err(&path))?;
        if header[..4] != self.magic {
            return Err(BlockStoreError::BadMagic { what: "undo", pos });
        }
        let size = u32::from_le_bytes(header[4..].try_into().expect("4 bytes"));
        let mut data = vec![0u8; size as usize + 32];
        f.read_exact(&mut data).map_err(io_err(&path))?;
        let checksum = data.split_off(size as usize);
        if checksum != undo_checksum(prev_hash, &data).as_byte_array() {
            return Err(BlockStoreError::UndoChecksum(pos));
        }
        Ok(data)
    }

    /// Forgets what block file `n` held (`PruneOneBlockFile`'s part of the
    /// file info); the pruning code deletes the files after the index flush.
    pub(crate) fn forget_file(&mut self, n: u32) {
        *self.info_mut(n) = BlockFileInfo::default();
    }

    /// Deletes the block and undo files of `n` (`UnlinkPrunedFiles`).
    pub(crate) fn remove_file_pair(&self, n: u32) -> Result<(), BlockStoreError> {
        for path in [self.blocks.path(n), self.undo.path(n)] {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        Ok(())
    }

    /// The file new blocks are written to.
    pub(crate) fn current_file(&self) -> u32 {
        self.current
    }

    /// The path of block file `n`.
    pub fn block_file_path(&self, n: u32) -> PathBuf {
        self.blocks.path(n)
    }

    /// Opens block file `n` for scanning (reindex).
    pub fn open_block_file(&self, n: u32) -> Option<std::fs::File> {
        let path = self.blocks.path(n);
        OpenOptions::new().read(true).open(path).ok()
    }

    /// Seeks helper used by tests: the byte length of block file `n` on disk.
    pub fn block_file_len(&self, n: u32) -> Option<u64> {
        let mut f = self.open_block_file(n)?;
        f.seek(SeekFrom::End(0)).ok()
    }
}

fn undo_checksum(prev_hash: &BlockHash, undo: &[u8]) -> sha256d::Hash {
    let mut engine = sha256d::Hash::engine();
    engine.input(prev_hash.as_byte_array());
    engine.input(undo);
    sha256d::Hash::from_engine(engine)
}

#[cfg(test)]
mod tests;
