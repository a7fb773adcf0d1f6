//! One horizon's confirmation history (Core's `TxConfirmStats`).

use crate::estimator::{EstimationResult, EstimatorBucket};

/// The history of one horizon. Buckets are shared with the estimator and
/// passed in where needed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TxConfirmStats {
    /// Per bucket: moving average of the number of confirmed transactions.
    pub tx_ct_avg: Vec<f64>,
    /// `conf_avg[p][b]`: moving average of transactions of bucket `b`
    /// confirmed within `p + 1` periods.
    pub conf_avg: Vec<Vec<f64>>,
    /// `fail_avg[p][b]`: moving average of transactions of bucket `b` that
    /// left the mempool unconfirmed after `p + 1` periods.
    pub fail_avg: Vec<Vec<f64>>,
    /// Per bucket: moving average of the sum of fee rates.
    pub feerate_avg: Vec<f64>,
    pub decay: f64,
    /// Blocks per period.
    pub scale: u32,
    /// `unconf_txs[h % len][b]`: mempool transactions that entered at
    /// height `h`, by bucket (a ring of `max_confirms` heights).
    pub unconf_txs: Vec<Vec<i32>>,
    /// Mempool transactions older than the ring, by bucket.
    pub old_unconf_txs: Vec<i32>,
}

impl TxConfirmStats {
    pub fn new(buckets: usize, max_periods: usize, decay: f64, scale: u32) -> TxConfirmStats {
        assert!(scale != 0, "scale must be non-zero");
        let mut s = TxConfirmStats {
            tx_ct_avg: vec![0.0; buckets],
            conf_avg: vec![vec![0.0; buckets]; max_periods],
            fail_avg: vec![vec![0.0; buckets]; max_periods],
            feerate_avg: vec![0.0; buckets],
            decay,
            scale,
            unconf_txs: Vec::new(),
            old_unconf_txs: Vec::new(),
        };
        s.resize_in_memory_counters(buckets);
        s
    }

    pub fn resize_in_memory_counters(&mut self, buckets: usize) {
        self.unconf_txs = vec![vec![0; buckets]; self.max_confirms() as usize];
        self.old_unconf_txs = vec![0; buckets];
    }

    /// The highest target this horizon tracks (`GetMaxConfirms`).
    pub fn max_confirms(&self) -> u32 {
        self.scale * self.conf_avg.len() as u32
    }

    /// Moves the ring slot of `height` into the old counts (`ClearCurrent`).
    pub fn clear_current(&mut self, height: u32) {
        let slot = height as usize % self.unconf_txs.len();
        for b in 0..self.old_unconf_txs.len() {
            self.old_unconf_txs[b] += self.unconf_txs[slot][b];
            self.unconf_txs[slot][b] = 0;
        }
    }

    /// A transaction of `bucket` confirmed after `blocks_to_confirm` (>= 1)
    /// blocks at fee rate `feerate` (`Record`).
    pub fn record(&mut self, blocks_to_confirm: i64, bucket: usize, feerate: f64) {
        if blocks_to_confirm < 1 {
            return;
        }
        let scale = i64::from(self.scale);
        let periods = ((blocks_to_confirm + scale - 1) / scale) as usize;
        for i in periods..=self.conf_avg.len() {
            self.conf_avg[i - 1][bucket] += 1.0;
        }
        self.tx_ct_avg[bucket] += 1.0;
        self.feerate_avg[bucket] += feerate;
    }

    /// Decays every moving average by one block (`UpdateMovingAverages`).
    pub fn update_moving_averages(&mut self) {
        let d = self.decay;
        for b in 0..self.tx_ct_avg.len() {
            for p in 0..self.conf_avg.len() {
                self.conf_avg[p][b] *= d;
                self.fail_avg[p][b] *= d;
            }
            self.feerate_avg[b] *= d;
            self.tx_ct_avg[b] *= d;
        }
    }

    /// A transaction entering the mempool at `height` (`NewTx`).
    pub fn new_tx(&mut self, height: u32, bucket: usize) {
        let slot = height as usize % self.unconf_txs.len();
        self.unconf_txs[slot][bucket] += 1;
    }

    /// A tracked transaction leaving the mempool (`removeTx`).
    pub fn remove_tx(&mut self, entry_height: u32, best_seen: u32, bucket: usize, in_block: bool) {
        let mut blocks_ago = i64::from(best_seen) - i64::from(entry_height);
        if best_seen == 0 {
            blocks_ago = 0;
        }
        if blocks_ago < 0 {
            tracing::debug!(target: "estimatefee", "Blockpolicy error, blocks ago is negative for mempool tx");
            return;
        }
        if blocks_ago >= self.unconf_txs.len() as i64 {
            if self.old_unconf_txs[bucket] > 0 {
                self.old_unconf_txs[bucket] -= 1;
            } else {
                tracing::debug!(target: "estimatefee",
                    "Blockpolicy error, mempool tx removed from >25 blocks,bucketIndex={} already", bucket);
            }
        } else {
            let slot = entry_height as usize % self.unconf_txs.len();
            if self.unconf_txs[slot][bucket] > 0 {
                self.unconf_txs[slot][bucket] -= 1;
            } else {
                tracing::debug!(target: "estimatefee",
                    "Blockpolicy error, mempool tx removed from blockIndex={},bucketIndex={} already", slot, bucket);
            }
        }
        if !in_block && blocks_ago >= i64::from(self.scale) {
            let periods_ago = (blocks_ago / i64::from(self.scale)) as usize;
            for i in 0..periods_ago.min(self.fail_avg.len()) {
                self.fail_avg[i][bucket] += 1.0;
            }
        }
    }

    /// Core's `EstimateMedianVal`: -1 when no bucket range succeeds.
    pub fn estimate_median_val(
        &self,
        buckets: &[f64],
        conf_target: u32,
        sufficient_tx_val: f64,
        success_break_point: f64,
        height: u32,
        result: Option<&mut EstimationResult>,
    ) -> f64 {
        let mut n_conf = 0.0;
        let mut total_num = 0.0;
        let mut extra_num: i64 = 0;
        let mut fail_num = 0.0;
        let period_target = conf_target.div_ceil(self.scale);
        let max_bucket = buckets.len() - 1;

        let mut cur_near = max_bucket;
        let mut best_near = max_bucket;
        let mut cur_far = max_bucket;
        let mut best_far = max_bucket;
        let mut found = false;
        let bins = self.unconf_txs.len() as u32;
        let mut new_range = true;
        let mut passing = true;
        let mut pass_bucket = EstimatorBucket::default();
        let mut fail_bucket = EstimatorBucket::default();
        let range_start = |lo: usize| if lo > 0 { buckets[lo - 1] } else { 0.0 };

        for bucket in (0..=max_bucket).rev() {
            if new_range {
                cur_near = bucket;
                new_range = false;
            }
            cur_far = bucket;
            n_conf += self.conf_avg[period_target as usize - 1][bucket];
            total_num += self.tx_ct_avg[bucket];
            fail_num += self.fail_avg[period_target as usize - 1][bucket];
            for confct in conf_target..self.max_confirms() {
                let slot = height.wrapping_sub(confct) % bins;
                extra_num += i64::from(self.unconf_txs[slot as usize][bucket]);
            }
            extra_num += i64::from(self.old_unconf_txs[bucket]);
            if total_num >= sufficient_tx_val / (1.0 - self.decay) {
                let cur_pct = n_conf / (total_num + fail_num + extra_num as f64);
                if cur_pct < success_break_point {
                    if passing {
                        let lo = cur_near.min(cur_far);
                        let hi = cur_near.max(cur_far);
                        fail_bucket = EstimatorBucket {
                            start: range_start(lo),
                            end: buckets[hi],
                            within_target: n_conf,
                            total_confirmed: total_num,
                            in_mempool: extra_num as f64,
                            left_mempool: fail_num,
                        };
                        passing = false;
                    }
                    continue;
                }
                fail_bucket = EstimatorBucket::default();
                found = true;
                passing = true;
                pass_bucket.within_target = n_conf;
                n_conf = 0.0;
                pass_bucket.total_confirmed = total_num;
                total_num = 0.0;
                pass_bucket.in_mempool = extra_num as f64;
                pass_bucket.left_mempool = fail_num;
                fail_num = 0.0;
                extra_num = 0;
                best_near = cur_near;
                best_far = cur_far;
                new_range = true;
            }
        }

        let mut median = -1.0;
        let lo = best_near.min(best_far);
        let hi = best_near.max(best_far);
        let mut tx_sum: f64 = self.tx_ct_avg[lo..=hi].iter().sum();
        if found && tx_sum != 0.0 {
            tx_sum /= 2.0;
            for j in lo..=hi {
                if self.tx_ct_avg[j] < tx_sum {
                    tx_sum -= self.tx_ct_avg[j];
                } else {
                    median = self.feerate_avg[j] / self.tx_ct_avg[j];
                    break;
                }
            }
            pass_bucket.start = range_start(lo);
            pass_bucket.end = buckets[hi];
        }

        // Passing until the last buckets, which lacked data: report those as failed.
        if passing && !new_range {
            let lo = cur_near.min(cur_far);
            let hi = cur_near.max(cur_far);
            fail_bucket = EstimatorBucket {
                start: range_start(lo),
                end: buckets[hi],
                within_target: n_conf,
                total_confirmed: total_num,
                in_mempool: extra_num as f64,
                left_mempool: fail_num,
            };
        }

        let pct = |b: &EstimatorBucket| {
            let d = b.total_confirmed + b.in_mempool + b.left_mempool;
            if d != 0.0 {
                100.0 * b.within_target / d
            } else {
                0.0
            }
        };
        tracing::debug!(target: "estimatefee",
            "FeeEst: {} > {:.0}% decay {:.5}: feerate: {} from ({} - {}) {:.2}% {:.1}/({:.1} {} mem {:.1} out) Fail: ({} - {}) {:.2}% {:.1}/({:.1} {} mem {:.1} out)",
            conf_target, 100.0 * success_break_point, self.decay, median,
            pass_bucket.start, pass_bucket.end, pct(&pass_bucket),
            pass_bucket.within_target, pass_bucket.total_confirmed, pass_bucket.in_mempool, pass_bucket.left_mempool,
            fail_bucket.start, fail_bucket.end, pct(&fail_bucket),
            fail_bucket.within_target, fail_bucket.total_confirmed, fail_bucket.in_mempool, fail_bucket.left_mempool);

        if let Some(r) = result {
            r.pass = pass_bucket;
            r.fail = fail_bucket;
            r.decay = self.decay;
            r.scale = self.scale;
        }
        median
    }
}
