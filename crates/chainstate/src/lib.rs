//! The chainstate: blocks and undo data in Widecoin Core's on-disk format
//! (`blocks/blk?????.dat`, `blocks/rev?????.dat`), and later the block index,
//! the UTXO set and chain activation (Core's `node/blockstorage.cpp`,
//! `validation.cpp`).

pub mod blockstore;
pub mod undo;

pub use blockstore::{BlockFileInfo, BlockStore, BlockStoreError, FlatFilePos};
