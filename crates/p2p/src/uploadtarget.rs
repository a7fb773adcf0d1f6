//! `-maxuploadtarget` (Core's outbound target in `CConnman`: `RecordBytesSent`,
//! `OutboundTargetReached`, `GetOutboundTargetBytesLeft`,
//! `GetMaxOutboundTimeLeftInCycle`) and where net processing consults it:
//! historical blocks in `ProcessGetBlockData` and `mempool` requests.
//!
//! Bytes sent are counted in cycles of [`MAX_UPLOAD_TIMEFRAME`]; a send after
//! the cycle ended starts a new one. Once the bytes left in the cycle would
//! not leave room to relay one maximum-size block per 10 minutes of what is
//! left of it, blocks older than a week are no longer served (the peer
//! asking is disconnected unless it has the `download` permission).

use std::sync::atomic::Ordering;
use std::sync::Mutex;

use bitcoin::BlockHash;

use crate::connman::{lock, Connman, Inner};
use crate::peer::Conn;
use crate::permissions::{flags, has_flag};

/// `MAX_UPLOAD_TIMEFRAME`: one day, in seconds.
pub const MAX_UPLOAD_TIMEFRAME: i64 = 24 * 60 * 60;
/// `HISTORICAL_BLOCK_AGE`: a block older than a week than our best header
/// is historical, in seconds.
pub const HISTORICAL_BLOCK_AGE: i64 = 7 * 24 * 60 * 60;
/// `DEFAULT_MAX_UPLOAD_TARGET`.
pub const DEFAULT_MAX_UPLOAD_TARGET: &str = "0M";
/// Core reserves room for one block per this many seconds of the cycle
/// (a fixed 10 minutes, not the chain's block spacing).
const BUFFER_BLOCK_INTERVAL: i64 = 10 * 60;

#[derive(Debug, Default)]
struct State {
    /// `nMaxOutboundLimit`, bytes; 0 = no limit.
    limit: u64,
    /// `MAX_BLOCK_SERIALIZED_SIZE` of the chain (Widecoin: 8,000,000).
    max_block_size: u64,
    /// `nMaxOutboundCycleStartTime`, seconds; 0 before the first send.
    cycle_start: i64,
    /// `nMaxOutboundTotalBytesSentInCycle`.
    sent_in_cycle: u64,
}

/// The outbound target and the bytes sent in the current cycle. Times are
/// the (mockable) clock's seconds, passed in by the caller.
#[derive(Debug, Default)]
pub struct UploadTarget {
    state: Mutex<State>,
}

/// What `getnettotals` shows as `uploadtarget`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadTargetInfo {
    pub timeframe: i64,
    pub target: u64,
    pub target_reached: bool,
    pub serve_historical_blocks: bool,
    pub bytes_left_in_cycle: u64,
    pub time_left_in_cycle: i64,
}

impl UploadTarget {
    /// A target of `limit` bytes per day (0 = none) for a chain whose
    /// blocks take at most `max_block_size` bytes.
    pub fn new(limit: u64, max_block_size: u64) -> UploadTarget {
        let t = UploadTarget::default();
        t.set(limit, max_block_size);
        t
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Sets the target (start-up).
    pub fn set(&self, limit: u64, max_block_size: u64) {
        let mut s = self.state();
        s.limit = limit;
        s.max_block_size = max_block_size;
    }

    /// Core's `RecordBytesSent`: a send after the cycle ended starts a new one.
    pub fn record_sent(&self, bytes: u64, now: i64) {
        let mut s = self.state();
        if s.cycle_start + MAX_UPLOAD_TIMEFRAME < now {
            s.cycle_start = now;
            s.sent_in_cycle = 0;
        }
        s.sent_in_cycle += bytes;
    }

    /// `GetMaxOutboundTarget`.
    pub fn target(&self) -> u64 {
        self.state().limit
    }

    fn time_left(s: &State, now: i64) -> i64 {
        if s.limit == 0 {
            return 0;
        }
        if s.cycle_start == 0 {
            return MAX_UPLOAD_TIMEFRAME;
        }
        let end = s.cycle_start + MAX_UPLOAD_TIMEFRAME;
        if end < now {
            0
        } else {
            end - now
        }
    }

    /// `GetMaxOutboundTimeLeftInCycle`, seconds.
    pub fn time_left_in_cycle(&self, now: i64) -> i64 {
        Self::time_left(&self.state(), now)
    }

    /// `OutboundTargetReached`: with `historical`, whether historical blocks
    /// may no longer be served (the room left is needed for new blocks).
    pub fn target_reached(&self, historical: bool, now: i64) -> bool {
        let s = self.state();
        if s.limit == 0 {
            return false;
        }
        if historical {
            let blocks = (Self::time_left(&s, now) / BUFFER_BLOCK_INTERVAL) as u64;
            let buffer = blocks.saturating_mul(s.max_block_size);
            buffer >= s.limit || s.sent_in_cycle >= s.limit - buffer
        } else {
            s.sent_in_cycle >= s.limit
        }
    }

    /// `GetOutboundTargetBytesLeft`.
    pub fn bytes_left(&self) -> u64 {
        let s = self.state();
        if s.limit == 0 {
            return 0;
        }
        s.limit.saturating_sub(s.sent_in_cycle)
    }

    /// Everything `getnettotals` shows.
    pub fn info(&self, now: i64) -> UploadTargetInfo {
        UploadTargetInfo {
            timeframe: MAX_UPLOAD_TIMEFRAME,
            target: self.target(),
            target_reached: self.target_reached(false, now),
            serve_historical_blocks: !self.target_reached(true, now),
            bytes_left_in_cycle: self.bytes_left(),
            time_left_in_cycle: self.time_left_in_cycle(now),
        }
    }
}

/// Core's `ParseByteUnits`: a whole number with an optional unit suffix
/// (`k`/`m`/`g`/`t` powers of 1000, `K`/`M`/`G`/`T` powers of 1024;
/// `default_multiplier` without one). `None` when unparsable or too large.
pub fn parse_byte_units(s: &str, default_multiplier: u64) -> Option<u64> {
    let (digits, multiplier) = match s.chars().last()? {
        'k' => (&s[..s.len() - 1], 1_000),
        'K' => (&s[..s.len() - 1], 1 << 10),
        'm' => (&s[..s.len() - 1], 1_000_000),
        'M' => (&s[..s.len() - 1], 1 << 20),
        'g' => (&s[..s.len() - 1], 1_000_000_000),
        'G' => (&s[..s.len() - 1], 1 << 30),
        't' => (&s[..s.len() - 1], 1_000_000_000_000),
        'T' => (&s[..s.len() - 1], 1 << 40),
        _ => (s, default_multiplier),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(multiplier)
}

/// `-maxuploadtarget` in bytes (unit `M` when none is given), or Core's
/// init error.
pub fn parse_max_upload_target(value: Option<String>) -> Result<u64, String> {
    let given = value.clone().unwrap_or_default();
    let value = value.unwrap_or_else(|| DEFAULT_MAX_UPLOAD_TARGET.to_string());
    parse_byte_units(&value, 1 << 20)
        .ok_or_else(|| format!("Unable to parse -maxuploadtarget: '{given}'"))
}

impl Inner {
    /// Counts bytes handed to a peer's socket against the upload target.
    pub(crate) fn record_upload(&self, bytes: u64) {
        self.upload
            .record_sent(bytes, self.now_micros() / 1_000_000);
    }
}

impl Connman {
    /// Sets `-maxuploadtarget` (bytes per day, 0 = none) for a chain whose
    /// blocks take at most `max_block_size` bytes.
    pub fn set_max_upload_target(&self, limit: u64, max_block_size: u64) {
        self.inner().upload.set(limit, max_block_size);
    }

    /// The `uploadtarget` object of `getnettotals`.
    pub fn upload_target(&self) -> UploadTargetInfo {
        let now = self.inner().now_micros() / 1_000_000;
        self.inner().upload.info(now)
    }
}

impl Conn {
    fn has_permission(&self, flag: u32) -> bool {
        has_flag(self.peer.permissions.load(Ordering::SeqCst), flag)
    }

    /// The upload-target part of Core's `ProcessGetBlockData`: with the
    /// historical limit reached, a request for a block more than a week
    /// older than our best header disconnects the peer (unless it has the
    /// `download` permission). True when the request was refused.
    pub(crate) fn refuse_historical_block(&mut self, hash: &BlockHash) -> bool {
        self.refuse_over_target(hash, false)
    }

    /// The same for `MSG_FILTERED_BLOCK`, which counts as historical
    /// whatever its age.
    pub(crate) fn refuse_filtered_block(&mut self, hash: &BlockHash) -> bool {
        self.refuse_over_target(hash, true)
    }

    fn refuse_over_target(&mut self, hash: &BlockHash, filtered: bool) -> bool {
        let now = self.net.now_micros() / 1_000_000;
        if !self.net.upload.target_reached(true, now) || self.has_permission(flags::DOWNLOAD) {
            return false;
        }
        let Some(chain) = self.net.config.chain.clone() else {
            return false;
        };
        let chain = chain.as_ref();
        if !chain.block_request_allowed(hash) {
            // Core ignores such a request before looking at the target.
            return false;
        }
        let historical = match (chain.best_header(), crate::compact::header_of(chain, hash)) {
            (Some((_, best)), Some(block)) => {
                i64::from(best.time) - i64::from(block.time) > HISTORICAL_BLOCK_AGE
            }
            _ => false,
        };
        if !historical && !filtered {
            return false;
        }
        tracing::debug!(target: "net", "historical block serving limit reached, disconnect peer={}", self.id());
        self.disconnect();
        true
    }

    /// Core's check of `mempool` requests against the upload target: with
    /// the target reached, a peer without the `mempool` permission is
    /// disconnected (unless it has `noban`). True when refused.
    pub(crate) fn refuse_mempool_over_target(&mut self) -> bool {
        let now = self.net.now_micros() / 1_000_000;
        if !self.net.upload.target_reached(false, now) || self.has_permission(flags::MEMPOOL) {
            return false;
        }
        if !self.has_permission(flags::NO_BAN) {
            tracing::debug!(target: "net", "mempool request with bandwidth limit reached, disconnect peer={}", self.id());
            self.disconnect();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1 << 20;
    /// Widecoin's `MAX_BLOCK_SERIALIZED_SIZE`.
    const WIDECOIN_BLOCK: u64 = 8_000_000;
    /// Bitcoin's, which the functional test's arithmetic assumes.
    const BITCOIN_BLOCK: u64 = 4_000_000;
    const T0: i64 = 1_700_000_000;

    #[test]
    fn no_target_is_never_reached() {
        let t = UploadTarget::new(0, WIDECOIN_BLOCK);
        t.record_sent(u64::MAX / 2, T0);
        assert!(!t.target_reached(false, T0));
        assert!(!t.target_reached(true, T0));
        assert_eq!(t.bytes_left(), 0);
        assert_eq!(t.time_left_in_cycle(T0), 0);
        let info = t.info(T0);
        assert_eq!((info.timeframe, info.target), (86400, 0));
        assert!(info.serve_historical_blocks);
    }

    #[test]
    fn cycle_starts_at_first_send_and_resets_after_a_day() {
        let t = UploadTarget::new(10 * MB, WIDECOIN_BLOCK);
        assert_eq!(t.time_left_in_cycle(T0), MAX_UPLOAD_TIMEFRAME);
        t.record_sent(MB, T0);
        assert_eq!(t.time_left_in_cycle(T0 + 100), MAX_UPLOAD_TIMEFRAME - 100);
        t.record_sent(MB, T0 + MAX_UPLOAD_TIMEFRAME);
        // Exactly a day later is still the same cycle (Core's `<`).
        assert_eq!(t.bytes_left(), 8 * MB);
        assert_eq!(t.time_left_in_cycle(T0 + MAX_UPLOAD_TIMEFRAME + 5), 0);
        t.record_sent(3, T0 + MAX_UPLOAD_TIMEFRAME + 1);
        assert_eq!(t.bytes_left(), 10 * MB - 3);
        assert_eq!(
            t.time_left_in_cycle(T0 + MAX_UPLOAD_TIMEFRAME + 1),
            MAX_UPLOAD_TIMEFRAME
        );
    }

    #[test]
    fn target_reached_when_everything_is_sent() {
        let t = UploadTarget::new(MB, WIDECOIN_BLOCK);
        t.record_sent(MB - 1, T0);
        assert!(!t.target_reached(false, T0));
        t.record_sent(1, T0);
        assert!(t.target_reached(false, T0));
        assert_eq!(t.bytes_left(), 0);
        t.record_sent(5, T0);
        assert_eq!(t.bytes_left(), 0);
    }

    #[test]
    fn historical_limit_keeps_a_block_per_ten_minutes_left() {
        // Bitcoin-sized blocks: 800 MiB less 144 blocks of 4 MB left for
        // historical blocks at the start of a cycle (the functional test's
        // arithmetic).
        let t = UploadTarget::new(800 * MB, BITCOIN_BLOCK);
        assert!(!t.target_reached(true, T0));
        let room = 800 * MB - 144 * BITCOIN_BLOCK;
        t.record_sent(room - 1, T0);
        assert!(!t.target_reached(true, T0));
        t.record_sent(1, T0);
        assert!(t.target_reached(true, T0));
        assert!(!t.target_reached(false, T0));
        // Later in the cycle less room is kept.
        assert!(!t.target_reached(true, T0 + 600));
        let info = t.info(T0);
        assert!(!info.target_reached && !info.serve_historical_blocks);
        assert_eq!(info.bytes_left_in_cycle, 144 * BITCOIN_BLOCK);
    }

    #[test]
    fn widecoin_blocks_need_a_bigger_target_for_history() {
        // 144 blocks of 8 MB exceed 800 MiB: Widecoin Core never serves
        // historical blocks with that target.
        let t = UploadTarget::new(800 * MB, WIDECOIN_BLOCK);
        assert!(t.target_reached(true, T0));
        assert!(!t.target_reached(false, T0));
        let t = UploadTarget::new(2000 * MB, WIDECOIN_BLOCK);
        assert!(!t.target_reached(true, T0));
    }

    #[test]
    fn byte_units_like_core() {
        assert_eq!(parse_byte_units("800M", MB), Some(800 * MB));
        assert_eq!(parse_byte_units("1", MB), Some(MB));
        assert_eq!(parse_byte_units("0", MB), Some(0));
        assert_eq!(parse_byte_units("2k", MB), Some(2000));
        assert_eq!(parse_byte_units("2K", MB), Some(2048));
        assert_eq!(parse_byte_units("3g", MB), Some(3_000_000_000));
        assert_eq!(parse_byte_units("1T", MB), Some(1 << 40));
        for bad in [
            "",
            "abc",
            "M",
            "+5",
            "-1",
            " 5",
            "5x",
            "1.5M",
            "99999999999999T",
        ] {
            assert_eq!(parse_byte_units(bad, MB), None, "{bad}");
        }
        assert_eq!(parse_max_upload_target(None), Ok(0));
        assert_eq!(
            parse_max_upload_target(Some("abc".into())),
            Err("Unable to parse -maxuploadtarget: 'abc'".into())
        );
    }
}
