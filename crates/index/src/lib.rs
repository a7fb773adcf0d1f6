//! The optional indexes of Widecoin Core (`src/index/`): `-txindex`
//! (transaction id → position on disk), `-blockfilterindex` (BIP158 basic
//! filters and their headers) and `-coinstatsindex` (UTXO set statistics
//! and MuHash per block).
//!
//! Each index keeps its own redb database under `<datadir>/indexes/...` with
//! the block it is synced to. A background thread per index (Core's
//! `BaseIndex::ThreadSync`) brings it up to the active chain at start-up and
//! then follows every tip change, rewinding to the fork point first after a
//! reorganisation. Data is keyed by block hash, so what a rewind leaves
//! behind stays queryable for stale blocks, as Core's hash-keyed entries do.

mod base;
pub mod blockfilter;
pub mod coinstats;
mod error;
pub mod txindex;

pub use base::{
    read_best, stored_best_block, BlockInfo, ChainSource, FatalHandler, Index, IndexBackend,
    IndexSummary, Notifier,
};
pub use blockfilter::BlockFilterIndex;
pub use coinstats::{CoinStatsIndex, IndexedStats};
pub use error::IndexError;
pub use txindex::TxIndex;
