//! The chainstate: blocks and undo data in Widecoin Core's on-disk format
//! (`blocks/blk?????.dat`, `blocks/rev?????.dat`), the block index and the
//! UTXO set in redb, the consensus checks that need chain context, and chain
//! activation with reorganisations (Core's `node/blockstorage.cpp`,
//! `validation.cpp`, `txdb.cpp`, `coins.cpp`, `pow.cpp`).

mod activation;
pub mod blockstore;
pub mod checks;
pub mod coins;
pub mod coinstats;
pub mod connect;
pub mod db;
pub mod error;
mod import;
pub mod index;
pub mod manager;
pub mod pow;
pub mod prune;
mod test_validity;
pub mod undo;
pub mod verify;

pub use blockstore::{BlockFileInfo, BlockStore, BlockStoreError, FlatFilePos};
pub use error::{BlockValidationError, ChainstateError};
pub use index::{status as block_status, BlockIndexEntry, EntryId};
pub use manager::{
    ChainTip, ChainstateManager, ChainstateOptions, Clock, ValidationListener, DEFAULT_DB_CACHE,
    DEFAULT_MAX_TIP_AGE,
};
pub use verify::{VerifyDbResult, DEFAULT_CHECKBLOCKS, DEFAULT_CHECKLEVEL};
