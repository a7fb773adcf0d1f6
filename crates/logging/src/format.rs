//! One log line in Core's format (`BCLog::Logger::LogPrintStr`,
//! `LogTimestampStr`, `LogEscapeMessage`; `src/logging.cpp`):
//!
//! `<timestamp> [<thread>] [<file>:<line>] [<function>] [<category>:<level>] <message>`
//!
//! each part but the message present only when its option (or the message's
//! category/level) asks for it.

use std::fmt::Write;

use crate::category::{LogFlags, LogLevel};

/// Options that change how a line looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormatOptions {
    pub log_timestamps: bool,
    pub log_time_micros: bool,
    pub log_thread_names: bool,
    pub log_source_locations: bool,
}

/// Where a message comes from, for `-logsourcelocations` and `-logthreadnames`.
#[derive(Clone, Debug, Default)]
pub struct Source<'a> {
    pub file: &'a str,
    pub line: u32,
    pub function: &'a str,
    /// `None` for a thread without a name, shown as "unknown".
    pub thread: Option<&'a str>,
}

/// The clock readings a line is stamped with.
#[derive(Clone, Copy, Debug)]
pub struct Stamp {
    /// Microseconds since the epoch (system clock).
    pub now_micros: i64,
    /// Mock time in seconds, 0 when unset.
    pub mock_time: i64,
}

impl Stamp {
    pub fn now() -> Stamp {
        Stamp {
            now_micros: widecoin_common::time::system_time_micros(),
            mock_time: widecoin_common::time::mock_time(),
        }
    }
}

/// Core's `FormatISO8601DateTime`: `2024-05-01T12:34:56Z` (UTC).
pub fn format_iso8601_datetime(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Core's `LogEscapeMessage`: control characters other than '\n', and DEL,
/// are written as `\xNN`.
pub fn escape_message(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    for c in msg.chars() {
        if (c as u32 >= 32 || c == '\n') && c != '\x7f' {
            out.push(c);
        } else {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
    }
    out
}

/// The name shown in a line's `[category]` prefix (Core's `LogCategoryToStr`).
fn category_name(flags: LogFlags) -> &'static str {
    if flags == LogFlags::ALL {
        return "all";
    }
    crate::category::LogCategory::ALL
        .iter()
        .find(|c| c.flag() == flags)
        .map_or("", |c| c.name())
}

/// Formats one complete line. `message` should end with '\n'; `category` is
/// NONE for unconditional messages and `level` is `None` for Core's
/// `LogPrint`/`LogPrintf` (no level in the prefix).
pub fn format_line(
    opts: &FormatOptions,
    stamp: Stamp,
    source: &Source<'_>,
    category: LogFlags,
    level: Option<LogLevel>,
    message: &str,
) -> String {
    let mut line = String::with_capacity(message.len() + 64);
    if opts.log_timestamps {
        let secs = stamp.now_micros.div_euclid(1_000_000);
        let mut ts = format_iso8601_datetime(secs);
        if opts.log_time_micros {
            ts.pop();
            let _ = write!(ts, ".{:06}Z", stamp.now_micros.rem_euclid(1_000_000));
        }
        if stamp.mock_time > 0 {
            let _ = write!(
                ts,
                " (mocktime: {})",
                format_iso8601_datetime(stamp.mock_time)
            );
        }
        line.push_str(&ts);
        line.push(' ');
    }
    if opts.log_thread_names {
        let name = source.thread.filter(|n| !n.is_empty()).unwrap_or("unknown");
        let _ = write!(line, "[{name}] ");
    }
    if opts.log_source_locations {
        let file = source.file.strip_prefix("./").unwrap_or(source.file);
        let _ = write!(line, "[{}:{}] [{}] ", file, source.line, source.function);
    }
    if category != LogFlags::NONE || level.is_some() {
        line.push('[');
        if category != LogFlags::NONE {
            line.push_str(category_name(category));
        }
        if let Some(level) = level {
            if category != LogFlags::NONE {
                line.push(':');
            }
            line.push_str(level.as_str());
        }
        line.push_str("] ");
    }
    line.push_str(&escape_message(message));
    line
}
