//! Widecoin Core's logging (`src/logging.{h,cpp}`, `src/init/common.cpp`) on top
//! of `tracing`.
//!
//! Libraries log with `tracing` macros whose `target` is a `-debug` category
//! (`net`, `rpc`, `http`, ...); see [`layer`] for how levels map onto Core's
//! `LogPrint`/`LogPrintf`/`LogPrintLevel`. Binaries build a [`LogConfig`]
//! (usually [`LogConfig::from_args`]) and call [`Logger::start`], which
//! installs the global subscriber and writes `debug.log` and, with
//! `-printtoconsole`, stdout, in Core's exact line format. Nothing is ever
//! written to stderr.

mod category;
mod config;
mod format;
pub mod layer;
mod logger;

pub use category::{
    categories_sorted, log_categories_string, log_levels_string, parse_log_flags, LogCategory,
    LogFlags, LogLevel, DEFAULT_LOG_LEVEL, MAX_USER_SETABLE_SEVERITY_LEVEL,
};
pub use config::{
    interpret_bool, parse_categories, parse_levels, GetterArgs, LogArgs, LogConfig, LogConfigError,
    LogLevels, SimpleArgs, DEFAULT_DEBUGLOGFILE, DEFAULT_LOGIPS, DEFAULT_LOGSOURCELOCATIONS,
    DEFAULT_LOGTHREADNAMES, DEFAULT_LOGTIMEMICROS, DEFAULT_LOGTIMESTAMPS,
};
pub use format::{
    escape_message, format_iso8601_datetime, format_line, FormatOptions, Source, Stamp,
};
pub use layer::CoreLayer;
pub use logger::{
    log_ips, shrink_debug_file_at, CallbackId, LogError, Logger, LoggerHandle,
    RECENT_DEBUG_HISTORY_SIZE,
};

#[cfg(test)]
mod tests;
