//! The mockable clock (Core's `GetTime`/`SetMockTime`, `src/util/time.cpp`).
//!
//! `setmocktime` on regtest replaces "now" for everything that asks this clock:
//! `uptime`, block timestamps, timeouts measured in mock time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static MOCK_TIME: AtomicI64 = AtomicI64::new(0);

/// Seconds since the epoch: the mock time when one is set, else the system clock.
pub fn get_time() -> i64 {
    match MOCK_TIME.load(Ordering::Relaxed) {
        0 => system_time(),
        t => t,
    }
}

/// The real clock, ignoring mock time.
pub fn system_time() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Microseconds since the epoch from the real clock (for log timestamps).
pub fn system_time_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Sets mock time; 0 returns to the system clock.
pub fn set_mock_time(t: i64) {
    MOCK_TIME.store(t, Ordering::Relaxed);
}

/// The mock time, 0 when none is set.
pub fn mock_time() -> i64 {
    MOCK_TIME.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mock_time_overrides_and_resets() {
        set_mock_time(1_000);
        assert_eq!(get_time(), 1_000);
        assert_eq!(mock_time(), 1_000);
        set_mock_time(0);
        assert!(get_time() > 1_600_000_000);
    }
}
