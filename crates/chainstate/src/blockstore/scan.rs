//! Reading blocks out of a block file without an index, for `-reindex` and
//! `-loadblock` (Core's `LoadExternalBlockFile`): find the network magic,
//! read the size, check it is between 80 bytes and `MAX_BLOCK_SERIALIZED_SIZE`,
//! and deserialize. Garbage between records (pre-allocated zeros, a torn
//! write after a crash) is skipped by searching for the next magic.

use std::io::{BufReader, Read};

use bitcoin::Block;
use widecoin_chainparams::consensus::MAX_BLOCK_SERIALIZED_SIZE;

/// A block found in a file, with the offset of its data.
#[derive(Debug)]
pub struct ScannedBlock {
    /// Offset of the block data (after magic and size) in the file.
    pub offset: u64,
    pub block: Block,
}

/// Iterates over the blocks of one file.
pub struct ExternalBlockReader<R: Read> {
    reader: BufReader<R>,
    magic: [u8; 4],
    offset: u64,
}

impl<R: Read> ExternalBlockReader<R> {
    pub fn new(reader: R, magic: [u8; 4]) -> Self {
        ExternalBlockReader {
            reader: BufReader::with_capacity(1 << 20, reader),
            magic,
            offset: 0,
        }
    }

    fn byte(&mut self) -> Option<u8> {
        let mut b = [0u8; 1];
        self.reader.read_exact(&mut b).ok()?;
        self.offset += 1;
        Some(b[0])
    }

    /// Advances past the next occurrence of the magic; false at end of file.
    fn find_magic(&mut self) -> bool {
        let mut window = [0u8; 4];
        let mut filled = 0;
        loop {
            let Some(b) = self.byte() else { return false };
            if filled < 4 {
                window[filled] = b;
                filled += 1;
            } else {
                window.rotate_left(1);
                window[3] = b;
            }
            if filled == 4 && window == self.magic {
                return true;
            }
        }
    }
}

impl<R: Read> Iterator for ExternalBlockReader<R> {
    type Item = ScannedBlock;

    fn next(&mut self) -> Option<ScannedBlock> {
        loop {
            if !self.find_magic() {
                return None;
            }
            let mut size = [0u8; 4];
            if self.reader.read_exact(&mut size).is_err() {
                return None;
            }
            self.offset += 4;
            let size = u32::from_le_bytes(size) as usize;
            if !(80..=MAX_BLOCK_SERIALIZED_SIZE as usize).contains(&size) {
                continue;
            }
            let offset = self.offset;
            let mut data = vec![0u8; size];
            if self.reader.read_exact(&mut data).is_err() {
                return None;
            }
            self.offset += size as u64;
            match widecoin_consensus::decode::decode_block_partial(&data) {
                Ok((block, _)) => return Some(ScannedBlock { offset, block }),
                Err(e) => {
                    tracing::debug!(target: "reindex", "Deserialize or I/O error - {e}");
                    continue;
                }
            }
        }
    }
}
