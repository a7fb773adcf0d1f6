//! Fee estimation as Widecoin Core 6.0 does it (Core's `policy/fees.cpp`,
//! `CBlockPolicyEstimator`): transactions entering the mempool are put in
//! fee-rate buckets; when a block confirms them, the number of blocks they
//! waited is recorded in three exponentially decaying histories (short,
//! medium and long horizons). An estimate is the lowest bucket range whose
//! transactions confirmed within the target often enough.
//!
//! The estimator knows nothing about the mempool or the chain: the node
//! reports transactions entering ([`BlockPolicyEstimator::process_transaction`]),
//! leaving ([`BlockPolicyEstimator::remove_tx`]) and confirmed in a block
//! ([`BlockPolicyEstimator::process_block`]). `fee_estimates.dat` is read and
//! written in Core's format ([`file`]).

pub mod estimator;
pub mod file;
mod stats;

pub use estimator::{
    BlockPolicyEstimator, EstimationResult, EstimatorBucket, FeeCalculation, FeeReason, Horizon,
    TrackedTx, DEFAULT_ACCEPT_STALE_FEE_ESTIMATES, FEE_ESTIMATES_FILENAME, FEE_FLUSH_INTERVAL_SECS,
    MAX_FILE_AGE_HOURS,
};
