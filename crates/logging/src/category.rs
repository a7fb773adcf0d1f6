//! Log categories and severity levels (Core's `BCLog::LogFlags`, `BCLog::Level`,
//! `LogCategories[]`, `GetLogCategory`, `GetLogLevel`; `src/logging.{h,cpp}`).

use std::fmt;

/// A bit set of categories (Core's `BCLog::LogFlags`); also the key of
/// per-category levels, where Core allows the pseudo-flags NONE and ALL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct LogFlags(pub u32);

impl LogFlags {
    pub const NONE: LogFlags = LogFlags(0);
    pub const ALL: LogFlags = LogFlags(u32::MAX);

    pub fn contains(self, other: LogFlags) -> bool {
        self.0 & other.0 != 0
    }
}

macro_rules! categories {
    ($($variant:ident = $bit:expr, $name:literal;)*) => {
        /// A `-debug` category. `lock` exists in Core only in builds with
        /// `DEBUG_LOCKCONTENTION` (`--enable-debug`); like a release build, we omit it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum LogCategory {
            $($variant,)*
        }

        impl LogCategory {
            /// Every category, in Core's declaration order.
            pub const ALL: &'static [LogCategory] = &[$(LogCategory::$variant,)*];

            /// The name used by `-debug`, the `logging` RPC and the log prefix.
            pub const fn name(self) -> &'static str {
                match self {
                    $(LogCategory::$variant => $name,)*
                }
            }

            /// The category's bit (Core's values, so masks match Core's `logging` RPC).
            pub const fn flag(self) -> LogFlags {
                match self {
                    $(LogCategory::$variant => LogFlags(1 << $bit),)*
                }
            }

            /// The category named exactly `name`; this is also how a `tracing`
            /// event's `target` is mapped to a category.
            pub fn from_name(name: &str) -> Option<LogCategory> {
                match name {
                    $($name => Some(LogCategory::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

categories! {
    Net = 0, "net";
    Tor = 1, "tor";
    Mempool = 2, "mempool";
    Http = 3, "http";
    Bench = 4, "bench";
    Zmq = 5, "zmq";
    WalletDb = 6, "walletdb";
    Rpc = 7, "rpc";
    EstimateFee = 8, "estimatefee";
    Addrman = 9, "addrman";
    SelectCoins = 10, "selectcoins";
    Reindex = 11, "reindex";
    CmpctBlock = 12, "cmpctblock";
    Rand = 13, "rand";
    Prune = 14, "prune";
    Proxy = 15, "proxy";
    MempoolRej = 16, "mempoolrej";
    Libevent = 17, "libevent";
    CoinDb = 18, "coindb";
    Qt = 19, "qt";
    LevelDb = 20, "leveldb";
    Validation = 21, "validation";
    I2p = 22, "i2p";
    Ipc = 23, "ipc";
    Util = 25, "util";
    BlockStorage = 26, "blockstorage";
    TxReconciliation = 27, "txreconciliation";
    Scan = 28, "scan";
    TxPackages = 29, "txpackages";
}

impl fmt::Display for LogCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Core's `GetLogCategory`: "" / "1" / "all" give ALL, "0" gives NONE, a
/// category name its flag; anything else (including "none") is unknown.
pub fn parse_log_flags(s: &str) -> Option<LogFlags> {
    match s {
        "" | "1" | "all" => Some(LogFlags::ALL),
        "0" => Some(LogFlags::NONE),
        name => LogCategory::from_name(name).map(LogCategory::flag),
    }
}

/// The category names in alphabetical order (Core's `LogCategoriesList`).
pub fn categories_sorted() -> Vec<LogCategory> {
    let mut all = LogCategory::ALL.to_vec();
    all.sort_by_key(|c| c.name());
    all
}

/// "addrman, bench, ..." as shown in `-debug`'s help and in errors
/// (Core's `LogCategoriesString`).
pub fn log_categories_string() -> String {
    categories_sorted()
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A message's severity (Core's `BCLog::Level` without the internal `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warning,
    Error,
}

/// The global level when `-loglevel` is not given (`BCLog::DEFAULT_LOG_LEVEL`).
pub const DEFAULT_LOG_LEVEL: LogLevel = LogLevel::Debug;

/// The highest level a user may select (`MAX_USER_SETABLE_SEVERITY_LEVEL`).
pub const MAX_USER_SETABLE_SEVERITY_LEVEL: LogLevel = LogLevel::Info;

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
        }
    }

    /// A level the user may select with `-loglevel` (trace, debug or info).
    /// Core's `GetLogLevel` also knows warning, error and none, then rejects them.
    pub fn parse_user_level(s: &str) -> Option<LogLevel> {
        match s {
            "trace" => Some(LogLevel::Trace),
            "debug" => Some(LogLevel::Debug),
            "info" => Some(LogLevel::Info),
            _ => None,
        }
    }

    pub(crate) fn from_tracing(level: &tracing::Level) -> LogLevel {
        match *level {
            tracing::Level::TRACE => LogLevel::Trace,
            tracing::Level::DEBUG => LogLevel::Debug,
            tracing::Level::INFO => LogLevel::Info,
            tracing::Level::WARN => LogLevel::Warning,
            _ => LogLevel::Error,
        }
    }

    pub(crate) fn from_u8(v: u8) -> LogLevel {
        match v {
            0 => LogLevel::Trace,
            1 => LogLevel::Debug,
            2 => LogLevel::Info,
            3 => LogLevel::Warning,
            _ => LogLevel::Error,
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// "info, debug, trace" (Core's `LogLevelsString`).
pub fn log_levels_string() -> &'static str {
    "info, debug, trace"
}
