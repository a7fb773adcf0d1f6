//! The logger end to end: filtering, debug.log, buffering, shrink, reopen, stderr.

use std::path::Path;
use std::sync::{Arc, Mutex};

use tracing::{debug, info, trace, warn};

use crate::{
    parse_levels, LogCategory, LogConfig, LogFlags, LogLevel, Logger, LoggerHandle,
    RECENT_DEBUG_HISTORY_SIZE,
};

fn plain_config(file: Option<&Path>) -> LogConfig {
    LogConfig {
        log_timestamps: false,
        debug_log_file: file.map(Path::to_path_buf),
        ..LogConfig::default()
    }
}

/// A started logger with no file, collecting lines through a callback.
fn capture(config: LogConfig) -> (LoggerHandle, Arc<Mutex<Vec<String>>>) {
    let handle = LoggerHandle::new();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    handle.push_back_callback(move |l| sink.lock().unwrap().push(l.to_string()));
    handle.start(&config).unwrap();
    (handle, lines)
}

fn take(lines: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    std::mem::take(&mut *lines.lock().unwrap())
}

#[test]
fn filtering_and_prefixes() {
    let config = LogConfig {
        categories: LogCategory::Net.flag(),
        ..plain_config(None)
    };
    let (handle, lines) = capture(config);
    tracing::dispatcher::with_default(&handle.dispatch(), || {
        trace!(target: "net", "t1");
        debug!(target: "net", "d1");
        debug!(target: "net", show_level = true, "d2");
        info!(target: "net", "i1");
        info!(target: "net", show_level = true, "i2");
        info!(target: "tor", "i3");
        info!(target: "tor", show_level = true, "i4");
        debug!(target: "tor", "d3");
        warn!(target: "tor", "w1");
        tracing::error!(target: "rpc", "e1");
        debug!("other-debug");
        info!("plain {}", 5);
        warn!(target: "some_crate::module", "plain warning");
        info!(target: "net", peer = 3, addr = "x", "with fields");
        info!(target: "net", "already ends\n");
    });
    assert_eq!(
        take(&lines),
        [
            "[net] d1\n",
            "[net:debug] d2\n",
            "[net] i1\n",
            "[net:info] i2\n",
            "[tor] i3\n",
            "[tor:warning] w1\n",
            "[rpc:error] e1\n",
            "plain 5\n",
            "plain warning\n",
            "[net] with fields peer=3 addr=x\n",
            "[net] already ends\n",
        ]
    );
}

#[test]
fn levels_filter_enabled_categories() {
    let config = LogConfig {
        categories: LogFlags::ALL,
        levels: parse_levels(&["info".to_string(), "net:trace".to_string()]).unwrap(),
        ..plain_config(None)
    };
    let (handle, lines) = capture(config);
    tracing::dispatcher::with_default(&handle.dispatch(), || {
        trace!(target: "net", "t-net");
        debug!(target: "rpc", "d-rpc");
        info!(target: "rpc", show_level = true, "i-rpc");
    });
    assert_eq!(take(&lines), ["[net:trace] t-net\n", "[rpc:info] i-rpc\n"]);
    assert!(handle.will_log(LogCategory::Net.flag(), LogLevel::Trace));
    assert!(!handle.will_log(LogCategory::Rpc.flag(), LogLevel::Debug));
    assert_eq!(handle.log_level(), LogLevel::Info);
}

#[test]
fn runtime_category_changes() {
    let (handle, lines) = capture(plain_config(None));
    assert!(!handle.will_log(LogCategory::Tor.flag(), LogLevel::Debug));
    assert!(handle.will_log(LogCategory::Tor.flag(), LogLevel::Warning));
    assert!(handle.enable_category("tor"));
    assert!(!handle.enable_category("abc"));
    assert!(!handle.enable_category("none"));
    tracing::dispatcher::with_default(&handle.dispatch(), || {
        debug!(target: "tor", "on");
        assert!(handle.disable_category("tor"));
        debug!(target: "tor", "off");
    });
    assert_eq!(take(&lines), ["[tor] on\n"]);
    assert!(handle.enable_category("all"));
    assert!(handle.categories().iter().all(|(_, on)| *on));
    assert!(handle.disable_category("1"));
    assert!(handle.enable_category("http"));
    let cats = handle.categories();
    assert_eq!(cats.len(), 29);
    assert_eq!(cats[0], ("addrman".to_string(), false));
    assert!(cats.contains(&("http".to_string(), true)));
    assert_eq!(handle.category_mask(), LogCategory::Http.flag());
}

#[test]
fn buffers_until_started_then_writes_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("debug.log");
    std::fs::write(&path, "old\n").unwrap();
    let handle = LoggerHandle::new();
    let config = plain_config(Some(&path));
    tracing::dispatcher::with_default(&handle.dispatch(), || {
        // Core's order: SetLoggingOptions early, messages buffered, StartLogging.
        handle.configure(&LogConfig {
            categories: LogFlags::NONE,
            ..config.clone()
        });
        info!("before start");
        debug!(target: "net", "dropped: no category enabled yet");
        handle.start_logging(false).unwrap();
        info!(target: "http", "after start");
    });
    handle.flush();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, "old\n\n\n\n\n\nbefore start\n[http] after start\n");
    assert_eq!(handle.file_path(), Some(path));
}

#[test]
fn open_failure_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("foo").join("foo.log");
    let err = LoggerHandle::new()
        .start(&plain_config(Some(&path)))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Could not open debug log file {}", path.display())
    );
    assert!(!path.exists());
}

#[test]
fn shrink_keeps_the_last_ten_megabytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("debug.log");
    let mut data = vec![b'a'; 2_000_000];
    data.extend(std::iter::repeat_n(
        b'b',
        RECENT_DEBUG_HISTORY_SIZE as usize,
    ));
    std::fs::write(&path, &data).unwrap();
    let config = LogConfig {
        shrink_debug_file: true,
        ..plain_config(Some(&path))
    };
    LoggerHandle::new().start(&config).unwrap();
    let text = std::fs::read(&path).unwrap();
    assert_eq!(text.len() as u64, RECENT_DEBUG_HISTORY_SIZE + 5);
    assert!(text[..RECENT_DEBUG_HISTORY_SIZE as usize]
        .iter()
        .all(|b| *b == b'b'));

    // Exactly 11 MB is not "more than 10% bigger": left alone.
    std::fs::write(&path, vec![b'c'; 11_000_000]).unwrap();
    LoggerHandle::new().start(&config).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 11_000_005);
    // Without -shrinkdebugfile nothing is cut.
    std::fs::write(&path, &data).unwrap();
    LoggerHandle::new()
        .start(&plain_config(Some(&path)))
        .unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        data.len() as u64 + 5
    );
}

#[test]
fn reopen_after_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("debug.log");
    let handle = LoggerHandle::new();
    handle.start(&plain_config(Some(&path))).unwrap();
    tracing::dispatcher::with_default(&handle.dispatch(), || {
        info!("one");
        std::fs::rename(&path, dir.path().join("debug.log.1")).unwrap();
        handle.reopen();
        info!("two");
    });
    handle.shutdown();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
    let old = std::fs::read_to_string(dir.path().join("debug.log.1")).unwrap();
    assert_eq!(old, "\n\n\n\n\none\n");
    assert!(!handle.enabled());
}

#[test]
fn thread_names_and_source_locations() {
    let config = LogConfig {
        log_thread_names: true,
        log_source_locations: true,
        ..plain_config(None)
    };
    let (handle, lines) = capture(config);
    let dispatch = handle.dispatch();
    std::thread::Builder::new()
        .name("httpworker.0".into())
        .spawn(move || tracing::dispatcher::with_default(&dispatch, || info!("named")))
        .unwrap()
        .join()
        .unwrap();
    let line = take(&lines).pop().unwrap();
    assert!(
        line.starts_with("[httpworker.0] [crates/logging/src/tests/output.rs:"),
        "{line}"
    );
    assert!(
        line.ends_with("] [widecoin_logging::tests::output] named\n"),
        "{line}"
    );
}

/// A run through the global logger, in a child process, writes only to
/// stdout and debug.log.
#[test]
fn nothing_goes_to_stderr() {
    const CHILD: &str = "WIDECOIN_LOGGING_STDERR_CHILD";
    if let Ok(dir) = std::env::var(CHILD) {
        let config = LogConfig {
            print_to_console: true,
            debug_log_file: Some(Path::new(&dir).join("debug.log")),
            categories: LogFlags::ALL,
            levels: parse_levels(&["trace".to_string()]).unwrap(),
            ..LogConfig::default()
        };
        Logger::install();
        info!("buffered before start");
        let handle = Logger::start(config).unwrap();
        trace!(target: "net", "trace line");
        debug!(target: "hyper::proto", "dependency noise");
        warn!("a warning");
        tracing::error!(target: "rpc", "an error");
        handle.shutdown();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "tests::output::nothing_goes_to_stderr",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Z buffered before start\n"), "{stdout}");
    assert!(stdout.contains("Z [net:trace] trace line\n"));
    assert!(!stdout.contains("dependency noise"));
    let file = std::fs::read_to_string(dir.path().join("debug.log")).unwrap();
    assert!(file.starts_with("\n\n\n\n\n"));
    assert!(file.contains("Z a warning\n") && file.contains("Z [rpc:error] an error\n"));
}
