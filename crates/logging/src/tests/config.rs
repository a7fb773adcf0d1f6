//! Argument parsing and Core's init error texts (feature_logging.py).

use std::path::{Path, PathBuf};

use crate::{
    log_categories_string, GetterArgs, LogCategory, LogConfig, LogFlags, LogLevel, SimpleArgs,
};

fn config(args: &[&str]) -> Result<LogConfig, String> {
    LogConfig::from_args(&SimpleArgs::from_strings(args), Path::new("/data/regtest"))
        .map_err(|e| e.to_string())
}

fn mask(cats: &[LogCategory]) -> LogFlags {
    LogFlags(cats.iter().fold(0, |m, c| m | c.flag().0))
}

#[test]
fn category_list_matches_core() {
    assert_eq!(
        log_categories_string(),
        "addrman, bench, blockstorage, cmpctblock, coindb, estimatefee, http, i2p, ipc, \
         leveldb, libevent, mempool, mempoolrej, net, proxy, prune, qt, rand, reindex, rpc, \
         scan, selectcoins, tor, txpackages, txreconciliation, util, validation, walletdb, zmq"
    );
    assert_eq!(LogCategory::TxPackages.flag(), LogFlags(1 << 29));
    assert_eq!(LogCategory::Util.flag(), LogFlags(1 << 25));
}

#[test]
fn defaults() {
    let c = config(&[]).unwrap();
    assert!(c.print_to_console);
    assert_eq!(
        c.debug_log_file,
        Some(PathBuf::from("/data/regtest/debug.log"))
    );
    assert!(c.log_timestamps && !c.log_time_micros && !c.log_thread_names);
    assert!(!c.log_source_locations && !c.log_ips);
    assert!(c.shrink_debug_file);
    assert_eq!(c.categories, LogFlags::NONE);
    assert_eq!(c.levels.global, LogLevel::Debug);

    let c = config(&[
        "-daemon",
        "-nodebuglogfile",
        "-debug=net",
        "-logtimestamps=0",
    ])
    .unwrap();
    assert!(!c.print_to_console);
    assert_eq!(c.debug_log_file, None);
    assert!(!c.shrink_debug_file);
    assert!(!c.log_timestamps);
    let c = config(&["-debuglogfile=/tmp/x/foo.log", "-printtoconsole=0"]).unwrap();
    assert_eq!(c.debug_log_file, Some(PathBuf::from("/tmp/x/foo.log")));
    assert!(!c.print_to_console);
    let c = config(&["-debuglogfile=foo/foo.log"]).unwrap();
    assert_eq!(
        c.debug_log_file,
        Some(PathBuf::from("/data/regtest/foo/foo.log"))
    );
}

#[test]
fn debug_categories() {
    assert_eq!(config(&["-debug"]).unwrap().categories, LogFlags::ALL);
    assert_eq!(config(&["-debug=1"]).unwrap().categories, LogFlags::ALL);
    assert_eq!(config(&["-debug=all"]).unwrap().categories, LogFlags::ALL);
    assert_eq!(
        config(&["-debug=net", "-debug=0"]).unwrap().categories,
        LogFlags::NONE
    );
    assert_eq!(
        config(&["-debug=net", "-debug=none"]).unwrap().categories,
        LogFlags::NONE
    );
    assert_eq!(
        config(&["-debug=net", "-nodebug"]).unwrap().categories,
        LogFlags::NONE
    );
    assert_eq!(
        config(&["-debug=net", "-debug=rpc"]).unwrap().categories,
        mask(&[LogCategory::Net, LogCategory::Rpc])
    );
    let c = config(&["-debug=1", "-debugexclude=net"]).unwrap();
    assert_eq!(c.categories, LogFlags(!LogCategory::Net.flag().0));
    assert!(!c.shrink_debug_file);
}

#[test]
fn unsupported_values_give_core_errors() {
    assert_eq!(
        config(&["-debug=abc"]).unwrap_err(),
        "Unsupported logging category -debug=abc."
    );
    assert_eq!(
        config(&["-debugexclude=abc"]).unwrap_err(),
        "Unsupported logging category -debugexclude=abc."
    );
    assert_eq!(
        config(&["-debugexclude=none"]).unwrap_err(),
        "Unsupported logging category -debugexclude=none."
    );
    assert_eq!(
        config(&["-loglevel=abc"]).unwrap_err(),
        "Unsupported global logging level -loglevel=abc. Valid values: info, debug, trace."
    );
    assert_eq!(
        config(&["-loglevel=warning"]).unwrap_err(),
        "Unsupported global logging level -loglevel=warning. Valid values: info, debug, trace."
    );
    let tail = format!(
        " Expected -loglevel=<category>:<loglevel>. Valid categories: {}. Valid loglevels: info, debug, trace.",
        log_categories_string()
    );
    assert_eq!(
        config(&["-loglevel=net:abc"]).unwrap_err(),
        format!("Unsupported category-specific logging level -loglevel=net:abc.{tail}")
    );
    assert_eq!(
        config(&["-loglevel=net:info:abc"]).unwrap_err(),
        format!("Unsupported category-specific logging level -loglevel=net:info:abc.{tail}")
    );
    // A ':' before the fourth character makes it a global level, as in Core.
    assert!(config(&["-loglevel=a:b"])
        .unwrap_err()
        .starts_with("Unsupported global"));
    // Categories are checked before levels.
    assert!(config(&["-debug=abc", "-loglevel=abc"])
        .unwrap_err()
        .contains("category -debug"));
}

#[test]
fn log_levels() {
    let c = config(&[
        "-loglevel=trace",
        "-loglevel=net:info",
        "-loglevel=all:trace",
    ])
    .unwrap();
    assert_eq!(c.levels.global, LogLevel::Trace);
    assert_eq!(
        c.levels.per_category.get(&LogCategory::Net.flag()),
        Some(&LogLevel::Info)
    );
    assert_eq!(
        c.levels.per_category.get(&LogFlags::ALL),
        Some(&LogLevel::Trace)
    );
}

#[test]
fn getter_closure() {
    let getter = |name: &str| -> Vec<String> {
        match name {
            "-debug" => vec!["net".into(), "tor".into()],
            "-debuglogfile" => vec!["0".into()],
            "-logthreadnames" => vec!["".into()],
            _ => vec![],
        }
    };
    let c = LogConfig::from_args(&GetterArgs(getter), Path::new("/d")).unwrap();
    assert_eq!(c.categories, mask(&[LogCategory::Net, LogCategory::Tor]));
    assert_eq!(c.debug_log_file, None);
    assert!(c.log_thread_names);
}
