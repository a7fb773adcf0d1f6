//! Absolute and relative lock times: Core's `IsFinalTx`, `CalculateSequenceLocks`,
//! `EvaluateSequenceLocks`, `SequenceLocks` (`consensus/tx_verify.cpp`) and the mempool's
//! `CheckFinalTxAtTip`, `CalculateLockPointsAtTip`, `CheckSequenceLocksAtTip`
//! (`validation.cpp`), over block heights and a lookup of median times past instead of
//! Core's block index.
//!
//! Heights are `i32`, like Core's, because lock heights use -1 for "no lock".

use bitcoin::Transaction;
use widecoin_consensus::constants::{
    LOCKTIME_THRESHOLD, SEQUENCE_FINAL, SEQUENCE_LOCKTIME_DISABLE_FLAG, SEQUENCE_LOCKTIME_MASK,
    SEQUENCE_LOCKTIME_TYPE_FLAG,
};

use crate::constants::MEMPOOL_HEIGHT;
use crate::inputs::CoinView;
use crate::reject::{rejection, TxValidationResult};

/// Interpret sequence numbers as BIP68 relative lock times (Core's
/// `LOCKTIME_VERIFY_SEQUENCE`).
pub const LOCKTIME_VERIFY_SEQUENCE: u32 = 1 << 0;
/// Lock-time flags of non-consensus code (Core's `STANDARD_LOCKTIME_VERIFY_FLAGS`).
pub const STANDARD_LOCKTIME_VERIFY_FLAGS: u32 = LOCKTIME_VERIFY_SEQUENCE;
/// BIP68 time locks count in units of 2^9 = 512 seconds.
pub const SEQUENCE_LOCKTIME_GRANULARITY: u32 = 9;

/// Median times past of the blocks of one chain, by height (what Core reads through
/// `CBlockIndex::GetAncestor(h)->GetMedianTimePast()`).
pub trait ChainMtp {
    /// The median time past of the block at `height`. Callers only ask for ancestors of the
    /// block being evaluated.
    fn median_time_past(&self, height: u32) -> i64;
}

/// A chain's median times past indexed by height.
impl ChainMtp for [i64] {
    fn median_time_past(&self, height: u32) -> i64 {
        self[height as usize]
    }
}

impl ChainMtp for Vec<i64> {
    fn median_time_past(&self, height: u32) -> i64 {
        self[height as usize]
    }
}

/// Median times past given by a function of the height.
#[derive(Debug, Clone, Copy)]
pub struct MtpFn<F>(pub F);

impl<F: Fn(u32) -> i64> ChainMtp for MtpFn<F> {
    fn median_time_past(&self, height: u32) -> i64 {
        (self.0)(height)
    }
}

/// A lock-time failure, one variant per rule, with the mempool's reject reasons. A block
/// reports both as `bad-txns-nonfinal` ([`LockTimeError::block_reject_reason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockTimeError {
    /// nLockTime not yet reached and some input not final.
    NonFinal,
    /// A BIP68 relative lock time not yet reached, or an input missing when computing it.
    NonBip68Final,
}

impl LockTimeError {
    /// Core's mempool reject reason.
    pub const fn reject_reason(&self) -> &'static str {
        match self {
            LockTimeError::NonFinal => "non-final",
            LockTimeError::NonBip68Final => "non-BIP68-final",
        }
    }

    /// Core's reject reason when a block contains such a transaction.
    pub const fn block_reject_reason(&self) -> &'static str {
        "bad-txns-nonfinal"
    }

    /// Core's result class.
    pub const fn result(&self) -> TxValidationResult {
        TxValidationResult::PrematureSpend
    }

    /// Core gives no debug message to the mempool.
    pub fn debug_message(&self) -> String {
        String::new()
    }
}

rejection!(LockTimeError);

/// Core's `IsFinalTx`: nLockTime 0, or below `block_height` (heights) or `block_time`
/// (timestamps, from 500,000,000), or every input's nSequence is 0xffffffff.
pub fn is_final_tx(tx: &Transaction, block_height: i32, block_time: i64) -> bool {
    let lock_time = tx.lock_time.to_consensus_u32();
    if lock_time == 0 {
        return true;
    }
    let cutoff = if lock_time < LOCKTIME_THRESHOLD {
        i64::from(block_height)
    } else {
        block_time
    };
    if i64::from(lock_time) < cutoff {
        return true;
    }
    tx.input.iter().all(|i| i.sequence.0 == SEQUENCE_FINAL)
}

/// Core's `CheckFinalTxAtTip`: whether `tx` may be in the block after a tip at `tip_height`
/// whose median time past is `tip_mtp` (BIP113).
pub fn check_final_tx_at_tip(
    tx: &Transaction,
    tip_height: i32,
    tip_mtp: i64,
) -> Result<(), LockTimeError> {
    if is_final_tx(tx, tip_height + 1, tip_mtp) {
        Ok(())
    } else {
        Err(LockTimeError::NonFinal)
    }
}

/// The last invalid height and time implied by a transaction's relative lock times; -1 for
/// none (the `std::pair<int, int64_t>` of Core's `CalculateSequenceLocks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SequenceLock {
    /// Last height at which the transaction is still locked.
    pub min_height: i32,
    /// Last median time past at which the transaction is still locked.
    pub min_time: i64,
}

/// Core's `CalculateSequenceLocks` for a block at `block_height` on a chain whose median
/// times past `chain` gives. `prev_heights` holds the height of each spent coin; entries of
/// inputs that disable BIP68 are set to 0, as Core does. BIP68 applies from version 2 (read
/// unsigned) with [`LOCKTIME_VERIFY_SEQUENCE`] in `flags`.
pub fn calculate_sequence_locks<C: ChainMtp + ?Sized>(
    tx: &Transaction,
    flags: u32,
    prev_heights: &mut [i32],
    chain: &C,
) -> SequenceLock {
    assert_eq!(prev_heights.len(), tx.input.len(), "one height per input");
    let mut lock = SequenceLock {
        min_height: -1,
        min_time: -1,
    };
    let enforce = (tx.version.0 as u32) >= 2 && flags & LOCKTIME_VERIFY_SEQUENCE != 0;
    if !enforce {
        return lock;
    }
    for (txin, prev_height) in tx.input.iter().zip(prev_heights.iter_mut()) {
        let sequence = txin.sequence.0;
        if sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG != 0 {
            *prev_height = 0;
            continue;
        }
        let coin_height = *prev_height;
        let value = sequence & SEQUENCE_LOCKTIME_MASK;
        if sequence & SEQUENCE_LOCKTIME_TYPE_FLAG != 0 {
            // Measured from the median time past of the block before the coin's block.
            let coin_time = chain.median_time_past((coin_height - 1).max(0) as u32);
            let until = coin_time + (i64::from(value) << SEQUENCE_LOCKTIME_GRANULARITY) - 1;
            lock.min_time = lock.min_time.max(until);
        } else {
            lock.min_height = lock.min_height.max(coin_height + value as i32 - 1);
        }
    }
    lock
}

/// Core's `EvaluateSequenceLocks`: whether a block at `block_height`, whose parent has median
/// time past `prev_mtp`, satisfies `lock`.
pub fn evaluate_sequence_locks(block_height: i32, prev_mtp: i64, lock: SequenceLock) -> bool {
    lock.min_height < block_height && lock.min_time < prev_mtp
}

/// Core's `SequenceLocks`: [`calculate_sequence_locks`] then [`evaluate_sequence_locks`] for
/// the block at `block_height` (which must be above 0: its parent's median time past is read).
pub fn sequence_locks<C: ChainMtp + ?Sized>(
    tx: &Transaction,
    flags: u32,
    prev_heights: &mut [i32],
    block_height: i32,
    chain: &C,
) -> bool {
    let lock = calculate_sequence_locks(tx, flags, prev_heights, chain);
    let prev_mtp = chain.median_time_past((block_height - 1) as u32);
    evaluate_sequence_locks(block_height, prev_mtp, lock)
}

/// A mempool transaction's relative lock, valid while the chain keeps the block at
/// `max_input_height` (Core's `LockPoints`, with a height instead of a block pointer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LockPoints {
    /// Last height at which the transaction is still locked.
    pub height: i32,
    /// Last median time past at which it is still locked.
    pub time: i64,
    /// Highest confirmed input height the lock was computed from.
    pub max_input_height: i32,
}

/// Core's `CalculateLockPointsAtTip`: the lock points of `tx` for the block after the tip at
/// `tip_height`, with coins of mempool transactions ([`MEMPOOL_HEIGHT`]) counted as confirmed
/// in that block. `None` if an input is missing from `view`.
pub fn calculate_lock_points_at_tip<V, C>(
    tx: &Transaction,
    view: &V,
    tip_height: i32,
    chain: &C,
) -> Option<LockPoints>
where
    V: CoinView + ?Sized,
    C: ChainMtp + ?Sized,
{
    let next_height = tip_height + 1;
    let mut prev_heights = tx
        .input
        .iter()
        .map(|i| {
            view.coin(&i.previous_output).map(|c| {
                if c.height == MEMPOOL_HEIGHT {
                    next_height
                } else {
                    c.height as i32
                }
            })
        })
        .collect::<Option<Vec<i32>>>()?;
    let lock =
        calculate_sequence_locks(tx, STANDARD_LOCKTIME_VERIFY_FLAGS, &mut prev_heights, chain);
    let max_input_height = prev_heights
        .iter()
        .copied()
        .filter(|&h| h != next_height)
        .fold(0, i32::max);
    Some(LockPoints {
        height: lock.min_height,
        time: lock.min_time,
        max_input_height,
    })
}

/// Core's `CheckSequenceLocksAtTip`: whether `lock_points` allow the block after a tip at
/// `tip_height` with median time past `tip_mtp`.
pub fn evaluate_lock_points_at_tip(
    tip_height: i32,
    tip_mtp: i64,
    lock_points: &LockPoints,
) -> bool {
    evaluate_sequence_locks(
        tip_height + 1,
        tip_mtp,
        SequenceLock {
            min_height: lock_points.height,
            min_time: lock_points.time,
        },
    )
}

/// The mempool's BIP68 check (`PreChecks`): computes the lock points and fails with
/// `non-BIP68-final` if an input is missing or the next block would not satisfy them.
pub fn check_sequence_locks_at_tip<V, C>(
    tx: &Transaction,
    view: &V,
    tip_height: i32,
    chain: &C,
) -> Result<LockPoints, LockTimeError>
where
    V: CoinView + ?Sized,
    C: ChainMtp + ?Sized,
{
    let lock_points = calculate_lock_points_at_tip(tx, view, tip_height, chain)
        .ok_or(LockTimeError::NonBip68Final)?;
    let tip_mtp = chain.median_time_past(tip_height as u32);
    if evaluate_lock_points_at_tip(tip_height, tip_mtp, &lock_points) {
        Ok(lock_points)
    } else {
        Err(LockTimeError::NonBip68Final)
    }
}
