//! Commands run on node events (Core's init.cpp: `-blocknotify`,
//! `-startupnotify`, `-shutdownnotify`) and `-stopafterblockimport`.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::*;
use serde_json::json;
use widecoin_test_utils::run_to_exit;

fn file_names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn blocknotify_startupnotify_and_shutdownnotify_run() {
    let out = tempfile::tempdir().unwrap();
    let blocks_dir = out.path().join("blocknotify");
    fs::create_dir(&blocks_dir).unwrap();
    let startup = out.path().join("startup.txt");
    let shutdown = out.path().join("shutdown.txt");
    let mut node = start(
        options()
            .arg(format!(
                "-blocknotify=echo > {}",
                blocks_dir.join("%s").display()
            ))
            .arg(format!("-startupnotify=echo up >> {}", startup.display()))
            .arg(format!(
                "-shutdownnotify=echo down > {}",
                shutdown.display()
            )),
    );
    wait_until("-startupnotify", || {
        fs::read_to_string(&startup).is_ok_and(|s| s.ends_with('\n'))
    });
    assert_eq!(fs::read_to_string(&startup).unwrap(), "up\n");
    // No tip change yet: nothing notified at start-up.
    assert!(file_names(&blocks_dir).is_empty());

    let hashes: BTreeSet<String> = generate(&node, 5).into_iter().collect();
    wait_until("a -blocknotify file per block", || {
        file_names(&blocks_dir).len() >= hashes.len()
    });
    assert_eq!(file_names(&blocks_dir), hashes);

    // Core waits for -shutdownnotify before shutting down.
    assert!(!shutdown.exists());
    stop_clean(&mut node);
    assert_eq!(fs::read_to_string(&shutdown).unwrap(), "down\n");
    assert_eq!(fs::read_to_string(&startup).unwrap(), "up\n");
    assert!(node.debug_log().contains("Shutdown: done"));
}

#[test]
fn failing_command_is_logged() {
    let mut node = start(options().arg("-blocknotify=exit 3"));
    generate(&node, 1);
    wait_until("the runCommand error", || {
        node.debug_log()
            .contains("runCommand error: system(exit 3) returned 768")
    });
    stop_clean(&mut node);
}

#[test]
fn stopafterblockimport_exits_0_after_reindex() {
    let mut node = start(options());
    generate(&node, 3);
    let tip = rpc(&node, "getbestblockhash", json!([]));
    stop_clean(&mut node);

    let log = node.net_dir().join("debug.log");
    fs::remove_file(&log).unwrap();
    // As in Core, mempool.dat is neither loaded nor written again.
    let mempool_dat = node.net_dir().join("mempool.dat");
    fs::write(&mempool_dat, b"left alone").unwrap();
    let out = run_to_exit(
        Path::new(WIDECOIND),
        &[
            format!("-datadir={}", node.datadir.display()),
            "-reindex".to_string(),
            "-stopafterblockimport".to_string(),
        ],
        None,
    );
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(out.stderr, "");
    let log = node.debug_log();
    let stop = log
        .find("Stopping after block import")
        .expect("stop after import logged");
    let reindexed = log.find("Reindexing block file").expect("reindex logged");
    assert!(reindexed < stop);
    assert!(log.contains("Shutdown: done"));
    assert_eq!(fs::read(&mempool_dat).unwrap(), b"left alone");
    fs::remove_file(&mempool_dat).unwrap();

    // The reindexed chain was kept.
    node.restart(&[]).unwrap();
    assert_eq!(rpc(&node, "getblockcount", json!([])), json!(3));
    assert_eq!(rpc(&node, "getbestblockhash", json!([])), tip);
    stop_clean(&mut node);
}

#[test]
fn alertnotify_runs_once_unknown_rules_activate() {
    let out = tempfile::tempdir().unwrap();
    let alert = out.path().join("alert.txt");
    // Blocks signal version bit 27, which no deployment uses; regtest periods
    // are 120 blocks with a threshold of 95.
    let mut node = start(
        options()
            .arg(format!("-alertnotify=echo %s >> {}", alert.display()))
            .arg(format!("-blockversion={}", 0x2000_0000 | (1 << 27))),
    );
    // LOCKED_IN after the second period: no warning yet.
    generate(&node, 239);
    // ACTIVE for the block after the third period's last block.
    generate(&node, 120);
    wait_until("the -alertnotify command", || {
        fs::read_to_string(&alert).is_ok_and(|s| s.ends_with('\n'))
    });
    assert_eq!(
        fs::read_to_string(&alert).unwrap(),
        "Unknown new rules activated (versionbit 27)\n"
    );
    stop_clean(&mut node);
}
