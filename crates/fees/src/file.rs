//! `fee_estimates.dat` in Core's format: version required (149900) and
//! version that wrote it (both int32), best seen height, the block range of
//! the history (uint32s), the bucket bounds, then the medium, short and long
//! histories, doubles as their IEEE-754 bits (Core's `EncodeDouble`) and
//! vectors with a compact-size length.
//!
//! Deliberate difference from Widecoin Core 6.0 (see docs/differences.md):
//! Core 6.0 writes "version required" 149900 (the format's version, from
//! Bitcoin Core 0.14.99) but compares it with its own `CLIENT_VERSION`
//! (60000), so it refuses every file it wrote as "up-version" and never
//! keeps estimates across restarts. We accept any file whose required
//! version is at most the format version we write (149900) or our client
//! version, whichever is larger; newer files get Core's "up-version" lines.

use std::path::Path;
use std::time::SystemTime;

use crate::estimator::{BlockPolicyEstimator, MAX_FILE_AGE_HOURS};
use crate::stats::TxConfirmStats;

/// The version a reader needs (Core writes 149900, "0.14.99").
pub const VERSION_REQUIRED: i32 = 149_900;

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn compact(&mut self, n: usize) {
        let n = n as u64;
        match n {
            0..=0xfc => self.0.push(n as u8),
            0xfd..=0xffff => {
                self.0.push(0xfd);
                self.0.extend_from_slice(&(n as u16).to_le_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                self.0.push(0xfe);
                self.0.extend_from_slice(&(n as u32).to_le_bytes());
            }
            _ => {
                self.0.push(0xff);
                self.0.extend_from_slice(&n.to_le_bytes());
            }
        }
    }
    fn doubles(&mut self, v: &[f64]) {
        self.compact(v.len());
        for d in v {
            self.0.extend_from_slice(&d.to_bits().to_le_bytes());
        }
    }
    fn double_rows(&mut self, v: &[Vec<f64>]) {
        self.compact(v.len());
        for row in v {
            self.doubles(row);
        }
    }
    fn stats(&mut self, s: &TxConfirmStats) {
        self.0.extend_from_slice(&s.decay.to_bits().to_le_bytes());
        self.u32(s.scale);
        self.doubles(&s.feerate_avg);
        self.doubles(&s.tx_ct_avg);
        self.double_rows(&s.conf_avg);
        self.double_rows(&s.fail_avg);
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if self.0.len() < n {
            return Err("AutoFile::read: end of file".into());
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn f64(&mut self) -> Result<f64, String> {
        Ok(f64::from_bits(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        )))
    }
    fn compact(&mut self) -> Result<usize, String> {
        let n = match self.take(1)?[0] {
            0xfd => u64::from(u16::from_le_bytes(self.take(2)?.try_into().expect("2"))),
            0xfe => u64::from(u32::from_le_bytes(self.take(4)?.try_into().expect("4"))),
            0xff => u64::from_le_bytes(self.take(8)?.try_into().expect("8")),
            b => u64::from(b),
        };
        if n > 0x0200_0000 {
            return Err("ReadCompactSize(): size too large".into());
        }
        Ok(n as usize)
    }
    fn doubles(&mut self) -> Result<Vec<f64>, String> {
        let n = self.compact()?;
        (0..n).map(|_| self.f64()).collect()
    }
    fn double_rows(&mut self) -> Result<Vec<Vec<f64>>, String> {
        let n = self.compact()?;
        (0..n).map(|_| self.doubles()).collect()
    }
    /// Core's `TxConfirmStats::Read` into `s`.
    fn stats(&mut self, s: &mut TxConfirmStats, buckets: usize) -> Result<(), String> {
        let corrupt = |m: &str| Err(format!("Corrupt estimates file. {m}"));
        s.decay = self.f64()?;
        if s.decay <= 0.0 || s.decay >= 1.0 {
            return corrupt("Decay must be between 0 and 1 (non-inclusive)");
        }
        s.scale = self.u32()?;
        if s.scale == 0 {
            return corrupt("Scale must be non-zero");
        }
        s.feerate_avg = self.doubles()?;
        if s.feerate_avg.len() != buckets {
            return corrupt("Mismatch in feerate average bucket count");
        }
        s.tx_ct_avg = self.doubles()?;
        if s.tx_ct_avg.len() != buckets {
            return corrupt("Mismatch in tx count bucket count");
        }
        s.conf_avg = self.double_rows()?;
        let max_periods = s.conf_avg.len();
        let max_confirms = s.scale as usize * max_periods;
        if max_confirms == 0 || max_confirms > 6 * 24 * 7 {
            return Err("Corrupt estimates file.  Must maintain estimates for between 1 and 1008 (one week) confirms".into());
        }
        if s.conf_avg.iter().any(|r| r.len() != buckets) {
            return corrupt("Mismatch in feerate conf average bucket count");
        }
        s.fail_avg = self.double_rows()?;
        if s.fail_avg.len() != max_periods {
            return corrupt("Mismatch in confirms tracked for failures");
        }
        if s.fail_avg.iter().any(|r| r.len() != buckets) {
            return corrupt("Mismatch in one of failure average bucket counts");
        }
        s.resize_in_memory_counters(buckets);
        tracing::debug!(target: "estimatefee",
            "Reading estimates: {} buckets counting confirms up to {} blocks", buckets, max_confirms);
        Ok(())
    }
}

impl BlockPolicyEstimator {
    /// The file's bytes (Core's `Write`), written by `client_version`.
    pub fn serialize(&self, client_version: i32) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.i32(VERSION_REQUIRED);
        w.i32(client_version);
        w.u32(self.best_seen_height);
        if self.block_span() > self.historical_block_span() / 2 {
            w.u32(self.first_recorded_height);
            w.u32(self.best_seen_height);
        } else {
            w.u32(self.historical_first);
            w.u32(self.historical_best);
        }
        w.doubles(&self.buckets);
        w.stats(&self.fee_stats);
        w.stats(&self.short_stats);
        w.stats(&self.long_stats);
        w.0
    }

    /// Replaces the history with the file's (Core's `Read`); on error
    /// nothing changes and the message says why.
    pub fn deserialize(&mut self, data: &[u8], client_version: i32) -> Result<(), String> {
        let mut r = Reader(data);
        let required = r.i32()?;
        let _wrote = r.i32()?;
        // Core compares with `CLIENT_VERSION` alone (see the module comment).
        if required > client_version.max(VERSION_REQUIRED) {
            return Err(format!("up-version ({required}) fee estimate file"));
        }
        let best_seen = r.u32()?;
        if required < VERSION_REQUIRED {
            tracing::info!(
                "Read: incompatible old fee estimation data (non-fatal). Version: {}",
                required
            );
            return Ok(());
        }
        let first = r.u32()?;
        let best = r.u32()?;
        if first > best || best > best_seen {
            return Err(
                "Corrupt estimates file. Historical block range for estimates is invalid".into(),
            );
        }
        let buckets = r.doubles()?;
        if buckets.len() <= 1 || buckets.len() > 1000 {
            return Err(
                "Corrupt estimates file. Must have between 2 and 1000 feerate buckets".into(),
            );
        }
        let [mut med, mut short, mut long] = self.fresh_stats();
        r.stats(&mut med, buckets.len())?;
        r.stats(&mut short, buckets.len())?;
        r.stats(&mut long, buckets.len())?;
        self.buckets = buckets;
        self.fee_stats = med;
        self.short_stats = short;
        self.long_stats = long;
        self.best_seen_height = best_seen;
        self.historical_first = first;
        self.historical_best = best;
        Ok(())
    }

    /// Core's constructor with a file: an estimator with the history of
    /// `path` when it exists, is not stale (unless `read_stale`), and reads.
    pub fn open(path: &Path, read_stale: bool, client_version: i32) -> BlockPolicyEstimator {
        let mut e = BlockPolicyEstimator::new();
        let Ok(data) = std::fs::read(path) else {
            tracing::info!("{} is not found. Continue anyway.", path.display());
            return e;
        };
        let age_hours = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .map_or(0, |d| d.as_secs() / 3600);
        if age_hours > MAX_FILE_AGE_HOURS && !read_stale {
            tracing::info!(
                "Fee estimation file {} too old (age={} > {} hours) and will not be used to avoid serving stale estimates.",
                path.display(), age_hours, MAX_FILE_AGE_HOURS
            );
            return e;
        }
        if let Err(err) = e.deserialize(&data, client_version) {
            tracing::info!("CBlockPolicyEstimator::Read(): unable to read policy estimator data (non-fatal): {}", err);
            tracing::info!(
                "Failed to read fee estimates from {}. Continue anyway.",
                path.display()
            );
        }
        e
    }

    /// Writes the history to `path` (Core's `FlushFeeEstimates`).
    pub fn flush_fee_estimates(&self, path: &Path, client_version: i32) {
        match std::fs::write(path, self.serialize(client_version)) {
            Ok(()) => tracing::info!(
                "Flushed fee estimates to {}.",
                path.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            ),
            Err(_) => tracing::info!(
                "Failed to write fee estimates to {}. Continue anyway.",
                path.display()
            ),
        }
    }

    /// Core's `Flush` (at shutdown): unconfirmed transactions count as
    /// failures, then the history is written.
    pub fn flush(&mut self, path: &Path, client_version: i32) {
        self.flush_unconfirmed();
        self.flush_fee_estimates(path, client_version);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_core_layout() {
        let mut e = BlockPolicyEstimator::new();
        e.process_block(10, &[]);
        let bytes = e.serialize(60000);
        assert_eq!(&bytes[0..4], &149_900i32.to_le_bytes());
        assert_eq!(&bytes[4..8], &60000i32.to_le_bytes());
        assert_eq!(&bytes[8..12], &10u32.to_le_bytes());
        // 190 buckets: compact size 0xbe, then the first bound 1000.0.
        assert_eq!(bytes[20], 190);
        assert_eq!(&bytes[21..29], &1000f64.to_bits().to_le_bytes());
        let mut back = BlockPolicyEstimator::new();
        back.deserialize(&bytes, 149_900).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.serialize(60000), bytes);
    }

    #[test]
    fn reads_its_own_file_unlike_widecoin_6() {
        // Core 6.0 (CLIENT_VERSION 60000) refuses this file as up-version;
        // we read it (a deliberate difference).
        let mut e = BlockPolicyEstimator::new();
        e.process_block(7, &[]);
        let bytes = e.serialize(60000);
        let mut back = BlockPolicyEstimator::new();
        back.deserialize(&bytes, 60000).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn refuses_files_from_a_newer_format() {
        let mut bytes = BlockPolicyEstimator::new().serialize(60000);
        bytes[0..4].copy_from_slice(&149_901i32.to_le_bytes());
        let mut e = BlockPolicyEstimator::new();
        assert_eq!(
            e.deserialize(&bytes, 60000).unwrap_err(),
            "up-version (149901) fee estimate file"
        );
        assert_eq!(e, BlockPolicyEstimator::new());
    }

    #[test]
    fn corrupt_files_change_nothing() {
        let mut e = BlockPolicyEstimator::new();
        e.process_block(3, &[]);
        let mut bytes = e.serialize(60000);
        bytes.truncate(bytes.len() - 1);
        let mut fresh = BlockPolicyEstimator::new();
        assert!(fresh.deserialize(&bytes, 149_900).is_err());
        assert_eq!(fresh, BlockPolicyEstimator::new());
    }

    #[test]
    fn open_and_flush() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fee_estimates.dat");
        let e = BlockPolicyEstimator::open(&path, false, 149_900);
        assert_eq!(e, BlockPolicyEstimator::new());
        let mut e = e;
        e.process_block(7, &[]);
        e.flush(&path, 149_900);
        let back = BlockPolicyEstimator::open(&path, false, 149_900);
        assert_eq!(back.best_seen_height(), 7);
    }
}
