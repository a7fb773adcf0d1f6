//! What the node's arguments say about logging (Core's `SetLoggingOptions`,
//! `SetLoggingCategories` and `SetLoggingLevel`, `src/init/common.cpp`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::category::{
    log_categories_string, log_levels_string, parse_log_flags, LogFlags, LogLevel,
    DEFAULT_LOG_LEVEL,
};

/// Default name of the log file (`DEFAULT_DEBUGLOGFILE`).
pub const DEFAULT_DEBUGLOGFILE: &str = "debug.log";
pub const DEFAULT_LOGTIMEMICROS: bool = false;
pub const DEFAULT_LOGIPS: bool = false;
pub const DEFAULT_LOGTIMESTAMPS: bool = true;
pub const DEFAULT_LOGTHREADNAMES: bool = false;
pub const DEFAULT_LOGSOURCELOCATIONS: bool = false;

/// An invalid `-debug`, `-debugexclude` or `-loglevel` value; the texts are
/// Core's init errors (the node prints them after "Error: ").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogConfigError {
    #[error("Unsupported logging category {option}={value}.")]
    UnsupportedCategory { option: &'static str, value: String },
    #[error("Unsupported global logging level -loglevel={0}. Valid values: {levels}.", levels = log_levels_string())]
    UnsupportedGlobalLevel(String),
    #[error(
        "Unsupported category-specific logging level -loglevel={0}. Expected -loglevel=<category>:<loglevel>. Valid categories: {cats}. Valid loglevels: {levels}.",
        cats = log_categories_string(),
        levels = log_levels_string()
    )]
    UnsupportedCategoryLevel(String),
}

/// The global severity threshold and per-category overrides (Core's
/// `m_log_level` and `m_category_log_levels`). Keys are flags as Core stores
/// them, so `-loglevel=all:trace` sets a key no single category matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLevels {
    pub global: LogLevel,
    pub per_category: BTreeMap<LogFlags, LogLevel>,
}

impl Default for LogLevels {
    fn default() -> Self {
        LogLevels {
            global: DEFAULT_LOG_LEVEL,
            per_category: BTreeMap::new(),
        }
    }
}

/// Everything the logger needs to know, as plain data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogConfig {
    /// `-printtoconsole`: write lines to stdout.
    pub print_to_console: bool,
    /// `-debuglogfile`, already made absolute; `None` for `-nodebuglogfile`.
    pub debug_log_file: Option<PathBuf>,
    pub log_timestamps: bool,
    pub log_time_micros: bool,
    pub log_thread_names: bool,
    pub log_source_locations: bool,
    /// `-logips`: whether net code may log IP addresses (see [`crate::log_ips`]).
    pub log_ips: bool,
    /// `-shrinkdebugfile` (default: true when no category is enabled).
    pub shrink_debug_file: bool,
    /// Enabled categories after `-debug` and `-debugexclude`.
    pub categories: LogFlags,
    pub levels: LogLevels,
}

impl Default for LogConfig {
    /// Core's logger defaults before any argument is read.
    fn default() -> Self {
        LogConfig {
            print_to_console: false,
            debug_log_file: None,
            log_timestamps: DEFAULT_LOGTIMESTAMPS,
            log_time_micros: DEFAULT_LOGTIMEMICROS,
            log_thread_names: DEFAULT_LOGTHREADNAMES,
            log_source_locations: DEFAULT_LOGSOURCELOCATIONS,
            log_ips: DEFAULT_LOGIPS,
            shrink_debug_file: false,
            categories: LogFlags::NONE,
            levels: LogLevels::default(),
        }
    }
}

/// The argument queries logging needs, with Core's `ArgsManager` semantics.
/// The node implements this for its argument parser.
pub trait LogArgs {
    /// Every value of `name` (`GetArgs`): a negated option gives "0", a bare one "".
    fn get_args(&self, name: &str) -> Vec<String>;
    /// The effective value (`GetArg`), `None` when unset.
    fn get_arg(&self, name: &str) -> Option<String>;
    /// `GetBoolArg`: "" is true, otherwise the integer value is non-zero.
    fn get_bool_arg(&self, name: &str, default: bool) -> bool {
        match self.get_arg(name) {
            Some(v) => interpret_bool(&v),
            None => default,
        }
    }
    /// `IsArgNegated`: the effective value came from `-noname`.
    fn is_arg_negated(&self, name: &str) -> bool;
}

/// Core's `InterpretBool`: "" is true, else `atoi(value) != 0`.
pub fn interpret_bool(value: &str) -> bool {
    if value.is_empty() {
        return true;
    }
    // atoi: optional sign, then leading digits; anything else reads as 0.
    let t = value.trim();
    let digits = t
        .strip_prefix('-')
        .or_else(|| t.strip_prefix('+'))
        .unwrap_or(t);
    let n: String = digits.chars().take_while(|c| c.is_ascii_digit()).collect();
    n.chars().any(|c| c != '0')
}

/// [`LogArgs`] over one getter closure returning `GetArgs`-style values: the
/// last value is the effective one, and a last value of "0" counts as negation.
pub struct GetterArgs<F>(pub F);

impl<F: Fn(&str) -> Vec<String>> LogArgs for GetterArgs<F> {
    fn get_args(&self, name: &str) -> Vec<String> {
        (self.0)(name)
    }
    fn get_arg(&self, name: &str) -> Option<String> {
        (self.0)(name).pop()
    }
    fn is_arg_negated(&self, name: &str) -> bool {
        self.get_arg(name).as_deref() == Some("0")
    }
}

/// [`LogArgs`] from command-line strings such as `-debug=net` or `-nodebuglogfile`.
#[derive(Clone, Debug, Default)]
pub struct SimpleArgs {
    /// (name without dashes, value, negated), in order.
    values: Vec<(String, String, bool)>,
}

impl SimpleArgs {
    pub fn from_strings<S: AsRef<str>>(args: &[S]) -> SimpleArgs {
        let mut values = Vec::new();
        for arg in args {
            let arg = arg.as_ref().trim_start_matches('-');
            let (name, value) = arg.split_once('=').unwrap_or((arg, ""));
            match name.strip_prefix("no") {
                Some(base) => {
                    // -nofoo is false; -nofoo=0 is a double negation, true.
                    let negated = interpret_bool(value);
                    let v = if negated { "0" } else { "1" };
                    values.push((base.to_string(), v.to_string(), negated));
                }
                None => values.push((name.to_string(), value.to_string(), false)),
            }
        }
        SimpleArgs { values }
    }

    fn find<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a (String, String, bool)> {
        let name = name.trim_start_matches('-');
        self.values.iter().filter(move |(n, _, _)| n == name)
    }
}

impl LogArgs for SimpleArgs {
    fn get_args(&self, name: &str) -> Vec<String> {
        self.find(name).map(|(_, v, _)| v.clone()).collect()
    }
    fn get_arg(&self, name: &str) -> Option<String> {
        self.find(name).last().map(|(_, v, _)| v.clone())
    }
    fn is_arg_negated(&self, name: &str) -> bool {
        self.find(name).last().is_some_and(|(_, _, neg)| *neg)
    }
}

impl LogConfig {
    /// Reads every logging option. A relative `-debuglogfile` is taken
    /// relative to `net_data_dir` (Core's `AbsPathForConfigVal`).
    pub fn from_args(args: &dyn LogArgs, net_data_dir: &Path) -> Result<LogConfig, LogConfigError> {
        let debug_log_file = if args.is_arg_negated("-debuglogfile") {
            None
        } else {
            let value = args.get_arg("-debuglogfile").unwrap_or_default();
            let trimmed = value.trim_end_matches('/');
            let path = if trimmed.is_empty() {
                PathBuf::from(DEFAULT_DEBUGLOGFILE)
            } else {
                PathBuf::from(trimmed)
            };
            Some(if path.is_absolute() {
                path
            } else {
                net_data_dir.join(path)
            })
        };
        let daemon = args.get_bool_arg("-daemon", false);
        let categories =
            parse_categories(&args.get_args("-debug"), &args.get_args("-debugexclude"))?;
        let levels = parse_levels(&args.get_args("-loglevel"))?;
        Ok(LogConfig {
            print_to_console: args.get_bool_arg("-printtoconsole", !daemon),
            debug_log_file,
            log_timestamps: args.get_bool_arg("-logtimestamps", DEFAULT_LOGTIMESTAMPS),
            log_time_micros: args.get_bool_arg("-logtimemicros", DEFAULT_LOGTIMEMICROS),
            log_thread_names: args.get_bool_arg("-logthreadnames", DEFAULT_LOGTHREADNAMES),
            log_source_locations: args
                .get_bool_arg("-logsourcelocations", DEFAULT_LOGSOURCELOCATIONS),
            log_ips: args.get_bool_arg("-logips", DEFAULT_LOGIPS),
            // Core's DefaultShrinkDebugFile: shrink when no category is enabled.
            shrink_debug_file: args.get_bool_arg("-shrinkdebugfile", categories == LogFlags::NONE),
            categories,
            levels,
        })
    }
}

/// Core's `SetLoggingCategories`: `-debug` values (ignored entirely when one is
/// "0" or "none"), then `-debugexclude` values.
pub fn parse_categories(debug: &[String], exclude: &[String]) -> Result<LogFlags, LogConfigError> {
    let mut mask = 0u32;
    if !debug.iter().any(|c| c == "0" || c == "none") {
        for cat in debug {
            let flag = parse_log_flags(cat).ok_or_else(|| LogConfigError::UnsupportedCategory {
                option: "-debug",
                value: cat.clone(),
            })?;
            mask |= flag.0;
        }
    }
    for cat in exclude {
        let flag = parse_log_flags(cat).ok_or_else(|| LogConfigError::UnsupportedCategory {
            option: "-debugexclude",
            value: cat.clone(),
        })?;
        mask &= !flag.0;
    }
    Ok(LogFlags(mask))
}

/// Core's `SetLoggingLevel`: each value is `<level>` (when no ':' appears from
/// the fourth character on) or `<category>:<level>`.
pub fn parse_levels(values: &[String]) -> Result<LogLevels, LogConfigError> {
    let mut levels = LogLevels::default();
    for value in values {
        let global = !value.as_bytes().iter().skip(3).any(|&b| b == b':');
        if global {
            levels.global = LogLevel::parse_user_level(value)
                .ok_or_else(|| LogConfigError::UnsupportedGlobalLevel(value.clone()))?;
        } else {
            let err = || LogConfigError::UnsupportedCategoryLevel(value.clone());
            let toks: Vec<&str> = value.split(':').collect();
            if toks.len() != 2 {
                return Err(err());
            }
            let flag = parse_log_flags(toks[0]).ok_or_else(err)?;
            let level = LogLevel::parse_user_level(toks[1]).ok_or_else(err)?;
            levels.per_category.insert(flag, level);
        }
    }
    Ok(levels)
}
