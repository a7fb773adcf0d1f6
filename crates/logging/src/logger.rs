//! The logger's state and its handle (Core's `BCLog::Logger`, `StartLogging`,
//! `ShrinkDebugFile`; `src/logging.cpp`, `src/init/common.cpp`).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};

use crate::category::{categories_sorted, parse_log_flags, LogFlags, LogLevel, DEFAULT_LOG_LEVEL};
use crate::config::{LogConfig, DEFAULT_LOGIPS};
use crate::format::{format_line, FormatOptions, Source, Stamp};
use crate::layer::CoreLayer;

/// Bytes of debug.log kept by `-shrinkdebugfile` (`RECENT_DEBUG_HISTORY_SIZE`).
pub const RECENT_DEBUG_HISTORY_SIZE: u64 = 10 * 1_000_000;

static LOG_IPS: AtomicBool = AtomicBool::new(DEFAULT_LOGIPS);

/// `-logips` (Core's `fLogIPs`): whether messages may include peers' IP addresses.
pub fn log_ips() -> bool {
    LOG_IPS.load(Ordering::Relaxed)
}

/// Failure to start logging.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// Core's init error; the node prints it as "Error: Could not open debug log file <path>".
    #[error("Could not open debug log file {}", .0.display())]
    OpenDebugLog(PathBuf),
}

type Callback = Box<dyn Fn(&str) + Send + Sync>;

/// Identifies a callback added with [`LoggerHandle::push_back_callback`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallbackId(u64);

/// Outputs, guarded by one mutex as Core's `m_cs`.
struct Outputs {
    format: FormatOptions,
    buffering: bool,
    buffer: Vec<String>,
    print_to_console: bool,
    file_path: Option<PathBuf>,
    file: Option<File>,
    callbacks: Vec<(CallbackId, Callback)>,
    next_callback: u64,
}

pub(crate) struct Inner {
    categories: AtomicU32,
    log_level: AtomicU8,
    category_levels: RwLock<HashMap<LogFlags, LogLevel>>,
    /// Whether any output wants messages (Core's `Enabled()`).
    enabled: AtomicBool,
    reopen_file: AtomicBool,
    outputs: Mutex<Outputs>,
}

/// A cheap, clonable handle to a logger: runtime category changes (the
/// `logging` RPC), reopening debug.log, shutdown.
#[derive(Clone)]
pub struct LoggerHandle {
    pub(crate) inner: Arc<Inner>,
}

impl Default for LoggerHandle {
    fn default() -> Self {
        LoggerHandle::new()
    }
}

impl LoggerHandle {
    /// A logger in its initial state: buffering, no category enabled, Core's
    /// default format options. Not installed anywhere; see [`Logger::install`].
    pub fn new() -> LoggerHandle {
        let d = LogConfig::default();
        LoggerHandle {
            inner: Arc::new(Inner {
                categories: AtomicU32::new(0),
                log_level: AtomicU8::new(DEFAULT_LOG_LEVEL as u8),
                category_levels: RwLock::new(HashMap::new()),
                enabled: AtomicBool::new(true),
                reopen_file: AtomicBool::new(false),
                outputs: Mutex::new(Outputs {
                    format: format_options(&d),
                    buffering: true,
                    buffer: Vec::new(),
                    print_to_console: false,
                    file_path: None,
                    file: None,
                    callbacks: Vec::new(),
                    next_callback: 0,
                }),
            }),
        }
    }

    /// The `tracing` layer that feeds this logger.
    pub fn layer(&self) -> CoreLayer {
        CoreLayer::new(self.clone())
    }

    /// A subscriber (registry + [`CoreLayer`]) for `tracing::subscriber::with_default`
    /// or `set_global_default`.
    pub fn dispatch(&self) -> tracing::Dispatch {
        use tracing_subscriber::layer::SubscriberExt;
        tracing::Dispatch::new(tracing_subscriber::registry().with(self.layer()))
    }

    fn outputs(&self) -> MutexGuard<'_, Outputs> {
        self.inner.outputs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies a configuration without touching files (Core's
    /// `SetLoggingOptions`, `SetLoggingCategories`, `SetLoggingLevel`).
    pub fn configure(&self, config: &LogConfig) {
        let mut out = self.outputs();
        out.format = format_options(config);
        out.print_to_console = config.print_to_console;
        out.file_path = config.debug_log_file.clone();
        drop(out);
        LOG_IPS.store(config.log_ips, Ordering::Relaxed);
        self.inner
            .categories
            .store(config.categories.0, Ordering::Relaxed);
        self.inner
            .log_level
            .store(config.levels.global as u8, Ordering::Relaxed);
        let mut levels = self
            .inner
            .category_levels
            .write()
            .unwrap_or_else(|e| e.into_inner());
        *levels = config
            .levels
            .per_category
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect();
    }

    /// Core's `StartLogging`: shrinks debug.log if asked, opens it for
    /// appending, writes five newlines to set this run apart, then the messages
    /// buffered so far.
    pub fn start_logging(&self, shrink_debug_file: bool) -> Result<(), LogError> {
        let mut out = self.outputs();
        if let Some(path) = out.file_path.clone() {
            if shrink_debug_file {
                drop(out);
                shrink_debug_file_at(&path);
                out = self.outputs();
            }
            let mut file = open_append(&path).map_err(|_| LogError::OpenDebugLog(path.clone()))?;
            let _ = file.write_all(b"\n\n\n\n\n");
            out.file = Some(file);
        }
        out.buffering = false;
        let buffered = std::mem::take(&mut out.buffer);
        for line in &buffered {
            write_outputs(&mut out, line);
        }
        if out.print_to_console {
            let _ = std::io::stdout().flush();
        }
        let enabled = out.print_to_console || out.file.is_some() || !out.callbacks.is_empty();
        self.inner.enabled.store(enabled, Ordering::Relaxed);
        Ok(())
    }

    /// Configures and starts in one step; see [`Logger::start`].
    pub fn start(&self, config: &LogConfig) -> Result<(), LogError> {
        self.configure(config);
        self.start_logging(config.debug_log_file.is_some() && config.shrink_debug_file)
    }

    /// Core's `LogPrintStr` for an already-filtered message.
    pub(crate) fn log_str(
        &self,
        source: &Source<'_>,
        category: LogFlags,
        level: Option<LogLevel>,
        msg: &str,
    ) {
        let mut out = self.outputs();
        let line = format_line(&out.format, Stamp::now(), source, category, level, msg);
        if out.buffering {
            out.buffer.push(line);
            return;
        }
        if out.file.is_some() && self.inner.reopen_file.swap(false, Ordering::Relaxed) {
            if let Some(path) = out.file_path.clone() {
                if let Ok(file) = open_append(&path) {
                    out.file = Some(file);
                }
            }
        }
        write_outputs(&mut out, &line);
    }

    /// Whether any output still wants messages (Core's `Enabled()`).
    pub fn enabled(&self) -> bool {
        self.inner.enabled.load(Ordering::Relaxed)
    }

    /// Enables a category by name ("", "1" and "all" enable every category);
    /// false for an unknown name.
    pub fn enable_category(&self, name: &str) -> bool {
        match parse_log_flags(name) {
            Some(flags) => {
                self.inner.categories.fetch_or(flags.0, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Disables a category by name; false for an unknown name.
    pub fn disable_category(&self, name: &str) -> bool {
        match parse_log_flags(name) {
            Some(flags) => {
                self.inner.categories.fetch_and(!flags.0, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// The enabled categories (Core's `GetCategoryMask`).
    pub fn category_mask(&self) -> LogFlags {
        LogFlags(self.inner.categories.load(Ordering::Relaxed))
    }

    /// Every category and whether it is enabled, alphabetically (`LogCategoriesList`).
    pub fn categories(&self) -> Vec<(String, bool)> {
        let mask = self.category_mask();
        categories_sorted()
            .into_iter()
            .map(|c| (c.name().to_string(), mask.contains(c.flag())))
            .collect()
    }

    /// The global level (Core's `LogLevel()`).
    pub fn log_level(&self) -> LogLevel {
        LogLevel::from_u8(self.inner.log_level.load(Ordering::Relaxed))
    }

    /// Core's `WillLogCategoryLevel`: warnings and errors always; otherwise the
    /// category must be enabled and `level` at least its (or the global) level.
    pub fn will_log(&self, category: LogFlags, level: LogLevel) -> bool {
        if level >= LogLevel::Warning {
            return true;
        }
        if self.inner.categories.load(Ordering::Relaxed) & category.0 == 0 {
            return false;
        }
        let levels = self
            .inner
            .category_levels
            .read()
            .unwrap_or_else(|e| e.into_inner());
        let threshold = levels
            .get(&category)
            .copied()
            .unwrap_or_else(|| self.log_level());
        level >= threshold
    }

    /// Asks for debug.log to be reopened before the next write (SIGHUP, for
    /// log rotation). Only sets a flag, so it is safe from a signal handler thread.
    pub fn reopen(&self) {
        self.inner.reopen_file.store(true, Ordering::Relaxed);
    }

    /// Flushes stdout and the file (writes are unbuffered, as in Core).
    pub fn flush(&self) {
        let mut out = self.outputs();
        if let Some(file) = out.file.as_mut() {
            let _ = file.flush();
        }
        if out.print_to_console {
            let _ = std::io::stdout().flush();
        }
    }

    /// Flushes and closes every output; later messages are dropped.
    pub fn shutdown(&self) {
        self.flush();
        let mut out = self.outputs();
        out.file = None;
        out.print_to_console = false;
        out.buffering = false;
        out.buffer.clear();
        out.callbacks.clear();
        self.inner.enabled.store(false, Ordering::Relaxed);
    }

    /// Calls `f` with every formatted line (Core's `PushBackCallback`; the GUI
    /// and tests use it).
    pub fn push_back_callback(&self, f: impl Fn(&str) + Send + Sync + 'static) -> CallbackId {
        let mut out = self.outputs();
        let id = CallbackId(out.next_callback);
        out.next_callback += 1;
        out.callbacks.push((id, Box::new(f)));
        self.inner.enabled.store(true, Ordering::Relaxed);
        id
    }

    /// Removes a callback (Core's `DeleteCallback`).
    pub fn delete_callback(&self, id: CallbackId) {
        self.outputs().callbacks.retain(|(i, _)| *i != id);
    }

    /// The debug.log path, `None` with `-nodebuglogfile`.
    pub fn file_path(&self) -> Option<PathBuf> {
        self.outputs().file_path.clone()
    }
}

fn format_options(c: &LogConfig) -> FormatOptions {
    FormatOptions {
        log_timestamps: c.log_timestamps,
        log_time_micros: c.log_time_micros,
        log_thread_names: c.log_thread_names,
        log_source_locations: c.log_source_locations,
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().append(true).create(true).open(path)
}

fn write_outputs(out: &mut Outputs, line: &str) {
    if out.print_to_console {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(line.as_bytes());
        let _ = stdout.flush();
    }
    for (_, cb) in &out.callbacks {
        cb(line);
    }
    if let Some(file) = out.file.as_mut() {
        let _ = file.write_all(line.as_bytes());
    }
}

/// Core's `ShrinkDebugFile`: when the file is more than 10% larger than
/// [`RECENT_DEBUG_HISTORY_SIZE`], keep only its last that many bytes.
pub fn shrink_debug_file_at(path: &Path) {
    let Ok(mut file) = File::open(path) else {
        return;
    };
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size <= 11 * (RECENT_DEBUG_HISTORY_SIZE / 10) {
        return;
    }
    let mut tail = Vec::with_capacity(RECENT_DEBUG_HISTORY_SIZE as usize);
    if file
        .seek(SeekFrom::End(-(RECENT_DEBUG_HISTORY_SIZE as i64)))
        .is_err()
    {
        tracing::info!(target: "widecoin_logging", "Failed to shrink debug log file: fseek(...) failed");
        return;
    }
    if file
        .take(RECENT_DEBUG_HISTORY_SIZE)
        .read_to_end(&mut tail)
        .is_err()
    {
        return;
    }
    if let Ok(mut out) = File::create(path) {
        let _ = out.write_all(&tail);
    }
}

/// The process-wide logger.
pub struct Logger;

static GLOBAL: OnceLock<LoggerHandle> = OnceLock::new();

impl Logger {
    /// The process-wide logger, installing it as the global `tracing`
    /// subscriber on first use. Until [`Logger::start`], messages are buffered
    /// (only unconditional ones pass, as no category is enabled yet). If another
    /// global subscriber was installed first, events go there instead.
    pub fn install() -> LoggerHandle {
        GLOBAL
            .get_or_init(|| {
                let handle = LoggerHandle::new();
                let _ = tracing::dispatcher::set_global_default(handle.dispatch());
                handle
            })
            .clone()
    }

    /// Installs the global logger if needed, applies `config`, shrinks and opens
    /// debug.log and writes what was buffered. The error is Core's init error text.
    pub fn start(config: LogConfig) -> Result<LoggerHandle, String> {
        let handle = Logger::install();
        handle.start(&config).map_err(|e| e.to_string())?;
        Ok(handle)
    }
}
