//! The estimator (Core's `CBlockPolicyEstimator`).

use std::collections::HashMap;

use bitcoin::Txid;

use crate::stats::TxConfirmStats;

/// The name of the estimates file in the network's data directory.
pub const FEE_ESTIMATES_FILENAME: &str = "fee_estimates.dat";
/// How often the estimates are written (`FEE_FLUSH_INTERVAL`: one hour).
pub const FEE_FLUSH_INTERVAL_SECS: u64 = 60 * 60;
/// Estimates files older than this are not read (`MAX_FILE_AGE`).
pub const MAX_FILE_AGE_HOURS: u64 = 60;
/// `-acceptstalefeeestimates` default.
pub const DEFAULT_ACCEPT_STALE_FEE_ESTIMATES: bool = false;

const SHORT_BLOCK_PERIODS: usize = 12;
const SHORT_SCALE: u32 = 1;
const MED_BLOCK_PERIODS: usize = 24;
const MED_SCALE: u32 = 2;
const LONG_BLOCK_PERIODS: usize = 42;
const LONG_SCALE: u32 = 24;
/// Historical estimates older than this many blocks are not used.
const OLDEST_ESTIMATE_HISTORY: u32 = 6 * 1008;
const SHORT_DECAY: f64 = 0.962;
const MED_DECAY: f64 = 0.9952;
const LONG_DECAY: f64 = 0.99931;
const HALF_SUCCESS_PCT: f64 = 0.6;
const SUCCESS_PCT: f64 = 0.85;
const DOUBLE_SUCCESS_PCT: f64 = 0.95;
/// Transactions per block a bucket range needs (medium and long horizons).
const SUFFICIENT_FEETXS: f64 = 0.1;
/// Transactions per block a bucket range needs (short horizon).
const SUFFICIENT_TXS_SHORT: f64 = 0.5;
const MIN_BUCKET_FEERATE: f64 = 1000.0;
const MAX_BUCKET_FEERATE: f64 = 1e7;
const FEE_SPACING: f64 = 1.05;
const INF_FEERATE: f64 = 1e99;

/// A time horizon (Core's `FeeEstimateHorizon`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Horizon {
    Short,
    Medium,
    Long,
}

impl Horizon {
    /// In the order `estimaterawfee` lists them.
    pub const ALL: [Horizon; 3] = [Horizon::Short, Horizon::Medium, Horizon::Long];

    /// Core's `StringForFeeEstimateHorizon`.
    pub fn name(self) -> &'static str {
        match self {
            Horizon::Short => "short",
            Horizon::Medium => "medium",
            Horizon::Long => "long",
        }
    }
}

/// A range of buckets and what was seen in it (Core's `EstimatorBucket`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EstimatorBucket {
    pub start: f64,
    pub end: f64,
    pub within_target: f64,
    pub total_confirmed: f64,
    pub in_mempool: f64,
    pub left_mempool: f64,
}

impl Default for EstimatorBucket {
    fn default() -> Self {
        EstimatorBucket {
            start: -1.0,
            end: -1.0,
            within_target: 0.0,
            total_confirmed: 0.0,
            in_mempool: 0.0,
            left_mempool: 0.0,
        }
    }
}

/// The passing and failing ranges of one estimate (Core's `EstimationResult`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EstimationResult {
    pub pass: EstimatorBucket,
    pub fail: EstimatorBucket,
    pub decay: f64,
    pub scale: u32,
}

/// Which part of `estimatesmartfee` gave the answer (Core's `FeeReason`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FeeReason {
    #[default]
    None,
    HalfEstimate,
    FullEstimate,
    DoubleEstimate,
    Conservative,
}

/// How an estimate was found (Core's `FeeCalculation`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FeeCalculation {
    pub est: EstimationResult,
    pub reason: FeeReason,
    pub desired_target: i32,
    pub returned_target: i32,
}

/// A mempool transaction being tracked (Core's `TxStatsInfo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackedTx {
    pub height: u32,
    pub bucket: usize,
}

/// Core's `CFeeRate(fee, size).GetFeePerK()`.
fn fee_per_k(fee: i64, vsize: u64) -> i64 {
    if vsize == 0 {
        return 0;
    }
    fee.saturating_mul(1000) / vsize as i64
}

/// The estimator.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockPolicyEstimator {
    pub(crate) best_seen_height: u32,
    pub(crate) first_recorded_height: u32,
    pub(crate) historical_first: u32,
    pub(crate) historical_best: u32,
    pub(crate) mempool_txs: HashMap<Txid, TrackedTx>,
    /// Medium horizon.
    pub(crate) fee_stats: TxConfirmStats,
    pub(crate) short_stats: TxConfirmStats,
    pub(crate) long_stats: TxConfirmStats,
    tracked_txs: u32,
    untracked_txs: u32,
    /// Upper bounds (inclusive) of the fee-rate buckets, in sat/kvB.
    pub(crate) buckets: Vec<f64>,
}

impl Default for BlockPolicyEstimator {
    fn default() -> Self {
        Self::new()
    }
}

impl BlockPolicyEstimator {
    /// An estimator without history.
    pub fn new() -> BlockPolicyEstimator {
        let mut buckets = Vec::new();
        let mut b = MIN_BUCKET_FEERATE;
        while b <= MAX_BUCKET_FEERATE {
            buckets.push(b);
            b *= FEE_SPACING;
        }
        buckets.push(INF_FEERATE);
        let n = buckets.len();
        BlockPolicyEstimator {
            best_seen_height: 0,
            first_recorded_height: 0,
            historical_first: 0,
            historical_best: 0,
            mempool_txs: HashMap::new(),
            fee_stats: TxConfirmStats::new(n, MED_BLOCK_PERIODS, MED_DECAY, MED_SCALE),
            short_stats: TxConfirmStats::new(n, SHORT_BLOCK_PERIODS, SHORT_DECAY, SHORT_SCALE),
            long_stats: TxConfirmStats::new(n, LONG_BLOCK_PERIODS, LONG_DECAY, LONG_SCALE),
            tracked_txs: 0,
            untracked_txs: 0,
            buckets,
        }
    }

    pub(crate) fn fresh_stats(&self) -> [TxConfirmStats; 3] {
        let n = self.buckets.len();
        [
            TxConfirmStats::new(n, MED_BLOCK_PERIODS, MED_DECAY, MED_SCALE),
            TxConfirmStats::new(n, SHORT_BLOCK_PERIODS, SHORT_DECAY, SHORT_SCALE),
            TxConfirmStats::new(n, LONG_BLOCK_PERIODS, LONG_DECAY, LONG_SCALE),
        ]
    }

    /// The bucket of a fee rate: the first whose bound is at least it.
    fn bucket_index(&self, feerate: f64) -> usize {
        self.buckets
            .iter()
            .position(|b| *b >= feerate)
            .unwrap_or(self.buckets.len() - 1)
    }

    /// The height of the last block seen.
    pub fn best_seen_height(&self) -> u32 {
        self.best_seen_height
    }

    /// Number of mempool transactions tracked.
    pub fn tracked(&self) -> usize {
        self.mempool_txs.len()
    }

    /// Whether `txid` is tracked.
    pub fn is_tracked(&self, txid: &Txid) -> bool {
        self.mempool_txs.contains_key(txid)
    }

    /// The txids tracked.
    pub fn tracked_txids(&self) -> Vec<Txid> {
        self.mempool_txs.keys().copied().collect()
    }

    /// A transaction entered the mempool when the tip was at `height`
    /// (Core's `processTransaction`). `valid`: the node was in sync, the
    /// transaction has no mempool parents and did not come in a package or
    /// from a disconnected block (Core's `validForFeeEstimation`).
    pub fn process_transaction(
        &mut self,
        txid: Txid,
        height: u32,
        fee: i64,
        vsize: u64,
        valid: bool,
    ) {
        if self.mempool_txs.contains_key(&txid) {
            tracing::debug!(target: "estimatefee", "Blockpolicy error mempool tx {} already being tracked", txid);
            return;
        }
        if height != self.best_seen_height {
            // Side chains and reorgs, or not yet in step with the tip.
            return;
        }
        if !valid {
            self.untracked_txs += 1;
            return;
        }
        self.tracked_txs += 1;
        let feerate = fee_per_k(fee, vsize) as f64;
        let bucket = self.bucket_index(feerate);
        self.fee_stats.new_tx(height, bucket);
        self.short_stats.new_tx(height, bucket);
        self.long_stats.new_tx(height, bucket);
        self.mempool_txs.insert(txid, TrackedTx { height, bucket });
    }

    /// A transaction left the mempool (Core's `removeTx`); true when it was
    /// tracked.
    pub fn remove_tx(&mut self, txid: &Txid, in_block: bool) -> bool {
        let Some(t) = self.mempool_txs.remove(txid) else {
            return false;
        };
        let best = self.best_seen_height;
        self.fee_stats.remove_tx(t.height, best, t.bucket, in_block);
        self.short_stats
            .remove_tx(t.height, best, t.bucket, in_block);
        self.long_stats
            .remove_tx(t.height, best, t.bucket, in_block);
        true
    }

    fn process_block_tx(
        &mut self,
        height: u32,
        txid: &Txid,
        entry_height: u32,
        fee: i64,
        vsize: u64,
    ) -> bool {
        if !self.remove_tx(txid, true) {
            return false;
        }
        let blocks_to_confirm = i64::from(height) - i64::from(entry_height);
        if blocks_to_confirm <= 0 {
            tracing::debug!(target: "estimatefee", "Blockpolicy error Transaction had negative blocksToConfirm");
            return false;
        }
        let feerate = fee_per_k(fee, vsize) as f64;
        let bucket = self.bucket_index(feerate);
        self.fee_stats.record(blocks_to_confirm, bucket, feerate);
        self.short_stats.record(blocks_to_confirm, bucket, feerate);
        self.long_stats.record(blocks_to_confirm, bucket, feerate);
        true
    }

    /// A block at `height` confirmed these mempool transactions, given as
    /// (txid, height at entry, fee, virtual size) (Core's `processBlock`,
    /// called before they leave the mempool).
    pub fn process_block(&mut self, height: u32, entries: &[(Txid, u32, i64, u64)]) {
        if height <= self.best_seen_height {
            return;
        }
        self.best_seen_height = height;
        for s in [
            &mut self.fee_stats,
            &mut self.short_stats,
            &mut self.long_stats,
        ] {
            s.clear_current(height);
            s.update_moving_averages();
        }
        let mut counted = 0u32;
        for (txid, entry_height, fee, vsize) in entries {
            if self.process_block_tx(height, txid, *entry_height, *fee, *vsize) {
                counted += 1;
            }
        }
        if self.first_recorded_height == 0 && counted > 0 {
            self.first_recorded_height = self.best_seen_height;
            tracing::debug!(target: "estimatefee", "Blockpolicy first recorded height {}", self.first_recorded_height);
        }
        tracing::debug!(target: "estimatefee",
            "Blockpolicy estimates updated by {} of {} block txs, since last block {} of {} tracked, mempool map size {}, max target {} from {}",
            counted, entries.len(), self.tracked_txs, self.tracked_txs + self.untracked_txs,
            self.mempool_txs.len(), self.max_usable_estimate(),
            if self.historical_block_span() > self.block_span() { "historical" } else { "current" });
        self.tracked_txs = 0;
        self.untracked_txs = 0;
    }

    fn stats(&self, horizon: Horizon) -> &TxConfirmStats {
        match horizon {
            Horizon::Short => &self.short_stats,
            Horizon::Medium => &self.fee_stats,
            Horizon::Long => &self.long_stats,
        }
    }

    /// The highest target a horizon tracks (`HighestTargetTracked`).
    pub fn highest_target_tracked(&self, horizon: Horizon) -> u32 {
        self.stats(horizon).max_confirms()
    }

    pub(crate) fn block_span(&self) -> u32 {
        if self.first_recorded_height == 0 {
            return 0;
        }
        self.best_seen_height - self.first_recorded_height
    }

    pub(crate) fn historical_block_span(&self) -> u32 {
        if self.historical_first == 0 {
            return 0;
        }
        if self.best_seen_height.wrapping_sub(self.historical_best) > OLDEST_ESTIMATE_HISTORY {
            return 0;
        }
        self.historical_best - self.historical_first
    }

    fn max_usable_estimate(&self) -> u32 {
        self.long_stats
            .max_confirms()
            .min(self.block_span().max(self.historical_block_span()) / 2)
    }

    fn median(
        &self,
        horizon: Horizon,
        target: u32,
        threshold: f64,
        result: Option<&mut EstimationResult>,
    ) -> f64 {
        let sufficient = if horizon == Horizon::Short {
            SUFFICIENT_TXS_SHORT
        } else {
            SUFFICIENT_FEETXS
        };
        self.stats(horizon).estimate_median_val(
            &self.buckets,
            target,
            sufficient,
            threshold,
            self.best_seen_height,
            result,
        )
    }

    /// Core's `estimateRawFee`: sat/kvB, 0 when there is no answer.
    pub fn estimate_raw_fee(
        &self,
        target: u32,
        threshold: f64,
        horizon: Horizon,
    ) -> (i64, EstimationResult) {
        let mut result = EstimationResult::default();
        if target == 0 || target > self.stats(horizon).max_confirms() || threshold > 1.0 {
            return (0, result);
        }
        let median = self.median(horizon, target, threshold, Some(&mut result));
        if median < 0.0 {
            return (0, result);
        }
        (median.round() as i64, result)
    }

    /// Core's `estimateCombinedFee`.
    fn estimate_combined_fee(
        &self,
        target: u32,
        threshold: f64,
        check_shorter: bool,
        result: &mut EstimationResult,
    ) -> f64 {
        let mut estimate = -1.0;
        let short_max = self.short_stats.max_confirms();
        let med_max = self.fee_stats.max_confirms();
        if target >= 1 && target <= self.long_stats.max_confirms() {
            estimate = if target <= short_max {
                self.median(Horizon::Short, target, threshold, Some(result))
            } else if target <= med_max {
                self.median(Horizon::Medium, target, threshold, Some(result))
            } else {
                self.median(Horizon::Long, target, threshold, Some(result))
            };
            if check_shorter {
                let mut temp = EstimationResult::default();
                if target > med_max {
                    let m = self.median(Horizon::Medium, med_max, threshold, Some(&mut temp));
                    if m > 0.0 && (estimate == -1.0 || m < estimate) {
                        estimate = m;
                        *result = temp;
                    }
                }
                if target > short_max {
                    let m = self.median(Horizon::Short, short_max, threshold, Some(&mut temp));
                    if m > 0.0 && (estimate == -1.0 || m < estimate) {
                        estimate = m;
                        *result = temp;
                    }
                }
            }
        }
        estimate
    }

    /// Core's `estimateConservativeFee`.
    fn estimate_conservative_fee(&self, double_target: u32, result: &mut EstimationResult) -> f64 {
        let mut estimate = -1.0;
        let mut temp = EstimationResult::default();
        if double_target <= self.short_stats.max_confirms() {
            estimate = self.median(
                Horizon::Medium,
                double_target,
                DOUBLE_SUCCESS_PCT,
                Some(result),
            );
        }
        if double_target <= self.fee_stats.max_confirms() {
            let long = self.median(
                Horizon::Long,
                double_target,
                DOUBLE_SUCCESS_PCT,
                Some(&mut temp),
            );
            if long > estimate {
                estimate = long;
                *result = temp;
            }
        }
        estimate
    }

    /// Core's `estimateSmartFee`: sat/kvB (0 when there is no answer) and
    /// how it was found, `returned_target` included.
    pub fn estimate_smart_fee(&self, target: i32, conservative: bool) -> (i64, FeeCalculation) {
        let mut calc = FeeCalculation {
            desired_target: target,
            returned_target: target,
            ..Default::default()
        };
        if target <= 0 || target as u32 > self.long_stats.max_confirms() {
            return (0, calc);
        }
        let mut target = target as u32;
        if target == 1 {
            target = 2;
        }
        target = target.min(self.max_usable_estimate());
        calc.returned_target = target as i32;
        if target <= 1 {
            return (0, calc);
        }
        let mut temp = EstimationResult::default();
        let mut median = self.estimate_combined_fee(target / 2, HALF_SUCCESS_PCT, true, &mut temp);
        calc.est = temp;
        calc.reason = FeeReason::HalfEstimate;
        let actual = self.estimate_combined_fee(target, SUCCESS_PCT, true, &mut temp);
        if actual > median {
            median = actual;
            calc.est = temp;
            calc.reason = FeeReason::FullEstimate;
        }
        let double =
            self.estimate_combined_fee(2 * target, DOUBLE_SUCCESS_PCT, !conservative, &mut temp);
        if double > median {
            median = double;
            calc.est = temp;
            calc.reason = FeeReason::DoubleEstimate;
        }
        if conservative || median == -1.0 {
            let cons = self.estimate_conservative_fee(2 * target, &mut temp);
            if cons > median {
                median = cons;
                calc.est = temp;
                calc.reason = FeeReason::Conservative;
            }
        }
        if median < 0.0 {
            return (0, calc);
        }
        (median.round() as i64, calc)
    }

    /// Counts every tracked mempool transaction as unconfirmed and stops
    /// tracking it (Core's `FlushUnconfirmed`, at shutdown).
    pub fn flush_unconfirmed(&mut self) {
        let start = std::time::Instant::now();
        let txids: Vec<Txid> = self.mempool_txs.keys().copied().collect();
        let n = txids.len();
        for t in txids {
            self.remove_tx(&t, false);
        }
        tracing::debug!(target: "estimatefee", "Recorded {} unconfirmed txs from mempool in {}s",
            n, start.elapsed().as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    fn txid(n: u32) -> Txid {
        let mut b = [0u8; 32];
        b[..4].copy_from_slice(&n.to_le_bytes());
        Txid::from_byte_array(b)
    }

    #[test]
    fn buckets_like_core() {
        let e = BlockPolicyEstimator::new();
        // 1000 * 1.05^n <= 1e7 for n = 0..=188, then the infinite bucket.
        assert_eq!(e.buckets.len(), 190);
        assert_eq!(e.buckets[0], 1000.0);
        assert_eq!(e.buckets[1], 1050.0);
        assert_eq!(*e.buckets.last().unwrap(), INF_FEERATE);
        assert_eq!(e.bucket_index(0.0), 0);
        assert_eq!(e.bucket_index(1000.0), 0);
        assert_eq!(e.bucket_index(1001.0), 1);
        assert_eq!(e.bucket_index(2e7), 189);
        assert_eq!(e.highest_target_tracked(Horizon::Short), 12);
        assert_eq!(e.highest_target_tracked(Horizon::Medium), 48);
        assert_eq!(e.highest_target_tracked(Horizon::Long), 1008);
    }

    /// Blocks of transactions at several fee rates, the better paying ones
    /// confirming sooner: estimates fall as the target grows.
    fn fed() -> BlockPolicyEstimator {
        let mut e = BlockPolicyEstimator::new();
        let mut n = 0;
        let mut pending: Vec<(Txid, u32, i64, u64, u32)> = Vec::new();
        for height in 1..=200u32 {
            // Confirm what is due.
            let (due, rest): (Vec<_>, Vec<_>) = pending.into_iter().partition(|p| p.4 <= height);
            pending = rest;
            let block: Vec<_> = due.iter().map(|p| (p.0, p.1, p.2, p.3)).collect();
            e.process_block(height, &block);
            // New transactions: fee rate k * 10 sat/vB confirms after 11 - k blocks.
            for k in 1..=10u32 {
                for _ in 0..2 {
                    n += 1;
                    let t = txid(n);
                    let fee = i64::from(k) * 10 * 250;
                    e.process_transaction(t, height, fee, 250, true);
                    pending.push((t, height, fee, 250, height + 11 - k));
                }
            }
        }
        e
    }

    #[test]
    fn estimates_fall_with_the_target() {
        let e = fed();
        let (fee2, calc) = e.estimate_smart_fee(2, false);
        assert!(fee2 > 0, "{calc:?}");
        assert_eq!(calc.returned_target, 2);
        let (fee10, _) = e.estimate_smart_fee(10, false);
        assert!(fee10 > 0 && fee10 < fee2, "{fee10} {fee2}");
        // Conservative is never below economical.
        let (cons, _) = e.estimate_smart_fee(10, true);
        assert!(cons >= fee10);
        // Target 1 means 2.
        assert_eq!(e.estimate_smart_fee(1, false).1.returned_target, 2);
        // Out of range.
        assert_eq!(e.estimate_smart_fee(1009, false).0, 0);
        assert_eq!(e.estimate_smart_fee(0, false).0, 0);
    }

    #[test]
    fn no_data_no_estimate() {
        let e = BlockPolicyEstimator::new();
        let (fee, calc) = e.estimate_smart_fee(6, true);
        assert_eq!(fee, 0);
        assert_eq!(calc.returned_target, 0);
        let (raw, r) = e.estimate_raw_fee(6, 0.95, Horizon::Medium);
        assert_eq!(raw, 0);
        assert_eq!(r.pass.start, -1.0);
        assert_eq!(r.scale, 2);
        assert_eq!(r.decay, MED_DECAY);
    }

    #[test]
    fn transactions_of_other_heights_are_not_tracked() {
        let mut e = BlockPolicyEstimator::new();
        e.process_block(5, &[]);
        e.process_transaction(txid(1), 4, 1000, 100, true);
        assert_eq!(e.tracked(), 0);
        e.process_transaction(txid(1), 5, 1000, 100, false);
        assert_eq!(e.tracked(), 0);
        e.process_transaction(txid(1), 5, 1000, 100, true);
        assert_eq!(e.tracked(), 1);
        assert!(e.remove_tx(&txid(1), false));
        assert!(!e.remove_tx(&txid(1), false));
    }

    #[test]
    fn unconfirmed_transactions_count_as_failures_at_flush() {
        let mut e = BlockPolicyEstimator::new();
        e.process_block(1, &[]);
        let bucket = e.bucket_index(10_000.0);
        for i in 0..10 {
            e.process_transaction(txid(i), 1, 100 * 25, 250, true);
        }
        for h in 2..=5 {
            e.process_block(h, &[]);
        }
        let before = e.short_stats.fail_avg[0][bucket];
        assert_eq!(before, 0.0);
        e.flush_unconfirmed();
        assert_eq!(e.tracked(), 0);
        // Four blocks unconfirmed: a failure for periods 1 to 4 of the short
        // horizon (scale 1), 1 to 2 of the medium one (scale 2), none long.
        assert_eq!(e.short_stats.fail_avg[3][bucket], 10.0);
        assert_eq!(e.short_stats.fail_avg[4][bucket], 0.0);
        assert_eq!(e.fee_stats.fail_avg[1][bucket], 10.0);
        assert_eq!(e.fee_stats.fail_avg[2][bucket], 0.0);
        assert_eq!(e.long_stats.fail_avg[0][bucket], 0.0);
        // Removal because of a block is no failure.
        e.process_transaction(txid(99), 5, 2500, 250, true);
        e.process_block(9, &[(txid(99), 5, 2500, 250)]);
        // One block processed since: one decay.
        assert_eq!(e.short_stats.fail_avg[0][bucket], 10.0 * 0.962);
        assert_eq!(e.short_stats.tx_ct_avg[bucket], 1.0);
    }
}
