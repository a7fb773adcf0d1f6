//! `widecoin-node` spawning `widecoin-wallet`: the wallet's RPC method
//! (test-only `walletprocessinfo`) answered through the node's RPC port by
//! the wallet process, which asks the node back for its height while the
//! node waits on it; `stop` ending and reaping both; a killed wallet leaving
//! the node serving; `-disablewallet`.

mod common;

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use widecoin_test_utils::{poll_until, NodeOptions, TestNode};

const WIDECOIN_NODE: &str = env!("CARGO_BIN_EXE_widecoin-node");
const PROMPTLY: Duration = Duration::from_secs(30);

fn start(extra: &[&str]) -> TestNode {
    let mut options = NodeOptions::new(WIDECOIN_NODE).arg("-debug=ipc");
    for a in extra {
        options = options.arg(*a);
    }
    TestNode::start(options).expect("start widecoin-node")
}

/// The wallet's pid from the `launched` line of debug.log.
fn launched_pid(node: &TestNode) -> u32 {
    let log = node.debug_log();
    let line = log
        .lines()
        .find(|l| l.contains("Process widecoin-wallet pid ") && l.ends_with(" launched"))
        .unwrap_or_else(|| panic!("no launch line in:\n{log}"));
    line.split("pid ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn wallet_rpc_is_answered_by_the_wallet_process() {
    let mut node = start(&[]);
    let wallet_pid = launched_pid(&node);
    let node_pid = node.pid().unwrap();
    assert_ne!(wallet_pid, node_pid);
    assert!(process_exists(wallet_pid));

    let info = node
        .rpc("walletprocessinfo", json!([]))
        .expect("walletprocessinfo");
    assert_eq!(info["pid"], json!(wallet_pid), "{info}");
    let height = node.rpc("getblockcount", json!([])).unwrap();
    assert_eq!(info["chain_height"], height, "{info}");
    // Named parameters work too (the node's table transforms them).
    assert_eq!(node.rpc("walletprocessinfo", json!({})).unwrap(), info);
    // The node checks the arguments against the wallet's documentation.
    let e = node.rpc("walletprocessinfo", json!([1])).unwrap_err();
    assert_eq!(e.code, Some(-1));
    assert!(e.message.starts_with("walletprocessinfo\n"), "{e:?}");

    // help shows the wallet's documentation; hidden, like Core's test-only
    // methods, so not in the overview.
    let help = node.rpc("help", json!(["walletprocessinfo"])).unwrap();
    let help = help.as_str().unwrap();
    assert!(help.starts_with("walletprocessinfo\n"), "{help}");
    assert!(help.contains("\"chain_height\" : n"), "{help}");
    let overview = node.rpc("help", json!([])).unwrap();
    assert!(!overview.as_str().unwrap().contains("walletprocessinfo"));

    // The IPC traffic of the call is logged: node -> wallet -> node.
    let log = node.debug_log();
    for needle in [
        "IPC client send request #",
        "RpcHandler.call",
        "IPC server recv request #",
        "Chain.getHeight",
        "Chain.handleRpc",
        "WalletLoader.registerRpcs",
    ] {
        assert!(log.contains(needle), "no {needle:?} in:\n{log}");
    }

    // stop ends both processes with exit code 0, and the node reaps the wallet.
    let status = node.stop().expect("stop");
    assert_eq!(status.code(), Some(0), "stderr: {}", node.stderr());
    assert_eq!(node.stderr(), "");
    let log = node.debug_log();
    assert!(
        log.contains(&format!(
            "Process widecoin-wallet pid {wallet_pid} exited with status 0"
        )),
        "{log}"
    );
    assert!(log.contains("WalletLoader.stop"), "{log}");
    assert!(
        !process_exists(wallet_pid),
        "wallet pid {wallet_pid} still exists"
    );
}

/// The known trouble "a callback during a call": every wallet call makes
/// the wallet call back into the node's `Chain` while the node waits. With a
/// single RPC thread and many concurrent clients, nothing deadlocks.
#[test]
fn callbacks_during_calls_do_not_deadlock() {
    let mut node = start(&["-rpcthreads=1"]);
    let node = &mut node;
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| {
                for _ in 0..15 {
                    let info = node.rpc("walletprocessinfo", json!([])).unwrap();
                    assert_eq!(info["chain_height"], json!(0));
                    assert_eq!(node.rpc("getblockcount", json!([])).unwrap(), json!(0));
                }
            });
        }
    });
    assert_eq!(node.stop().unwrap().code(), Some(0));
}

#[test]
fn killing_the_wallet_leaves_the_node_serving() {
    let mut node = start(&[]);
    let wallet_pid = launched_pid(&node);
    node.rpc("walletprocessinfo", json!([])).unwrap();
    widecoin_test_utils::kill_pid(wallet_pid, 9).unwrap();

    // The node notices, reaps the wallet and unregisters its methods. A call
    // on its way in the meantime fails cleanly with RPC_MISC_ERROR.
    let mut last = None;
    assert!(
        poll_until(PROMPTLY, || {
            let e = node.rpc("walletprocessinfo", json!([])).unwrap_err();
            let done = e.code == Some(-32601);
            if !done {
                assert_eq!(
                    (e.code, e.message.as_str()),
                    (Some(-1), "IPC peer disconnected"),
                    "{e:?}"
                );
            }
            last = Some(e);
            done
        }),
        "walletprocessinfo still registered: {last:?}"
    );
    assert_eq!(last.unwrap().message, "Method not found");
    assert!(poll_until(PROMPTLY, || node.debug_log().contains(
        &format!("Process widecoin-wallet pid {wallet_pid} exited with status 9")
    )));
    assert!(!process_exists(wallet_pid));

    // Everything else is served as before.
    assert_eq!(node.rpc("getblockcount", json!([])).unwrap(), json!(0));
    assert!(node.rpc("uptime", json!([])).unwrap().is_u64());
    let status = node.stop().expect("stop");
    assert_eq!(status.code(), Some(0), "stderr: {}", node.stderr());
}

/// The wallet ignores SIGINT (Ctrl-C reaches the whole process group); the
/// node shuts it down when it shuts down itself.
#[test]
fn sigint_stops_the_node_which_stops_the_wallet() {
    let mut node = start(&[]);
    let wallet_pid = launched_pid(&node);
    widecoin_test_utils::kill_pid(wallet_pid, 2).unwrap();
    let info = node.rpc("walletprocessinfo", json!([])).unwrap();
    assert_eq!(info["pid"], json!(wallet_pid));
    node.signal(2).unwrap();
    let status = node.wait_exit().unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {}", node.stderr());
    let log = node.debug_log();
    assert!(
        log.contains(&format!(
            "Process widecoin-wallet pid {wallet_pid} exited with status 0"
        )),
        "{log}"
    );
    assert!(!process_exists(wallet_pid));
}

/// A wallet that never answers (stopped with SIGSTOP) cannot keep the node
/// from shutting down: `stop` gives up on it, closes the connection and
/// kills it after the grace period.
#[test]
fn a_stuck_wallet_does_not_hang_shutdown() {
    let mut node = start(&[]);
    let wallet_pid = launched_pid(&node);
    widecoin_test_utils::kill_pid(wallet_pid, 19).unwrap(); // SIGSTOP
    let status = node.stop().expect("stop");
    assert_eq!(status.code(), Some(0), "stderr: {}", node.stderr());
    let log = node.debug_log();
    assert!(
        log.contains(&format!(
            "wallet process pid {wallet_pid} did not stop within"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "Process widecoin-wallet pid {wallet_pid} exited with status 9"
        )),
        "{log}"
    );
    assert!(!process_exists(wallet_pid));
}

#[test]
fn disablewallet_spawns_no_wallet() {
    let mut node = start(&["-disablewallet"]);
    let e = node.rpc("walletprocessinfo", json!([])).unwrap_err();
    assert_eq!(e.code, Some(-32601));
    let log = node.debug_log();
    assert!(!log.contains("Process widecoin-wallet"), "{log}");
    assert!(log.contains("Wallet disabled!"), "{log}");
    // echoipc still spawns its own short-lived process.
    assert_eq!(
        node.rpc("echoipc", json!(["hi"])).unwrap(),
        Value::from("hi")
    );
    assert_eq!(node.stop().unwrap().code(), Some(0));
}

#[test]
fn widecoind_stays_one_process() {
    let mut node = common::start(common::options().arg("-debug=ipc"));
    let e = node.rpc("walletprocessinfo", json!([])).unwrap_err();
    assert_eq!(e.code, Some(-32601));
    assert!(!node.debug_log().contains("Process widecoin-wallet"));
    common::stop_clean(&mut node);
}

/// The spawned wallet is sandboxed (`widecoin_ipc::sandbox`): it can write
/// beneath its wallet directory and read the config file, and nothing else;
/// no TCP, no running programs. `walletsandboxprobe` makes it try.
#[test]
fn the_spawned_wallet_is_sandboxed() {
    let mut node = start(&[]);
    let outside = node.dir.path().join("outside.txt");
    std::fs::write(&outside, "secret").unwrap();
    let probe = |path: &Path| {
        node.rpc("walletsandboxprobe", json!([path.display().to_string()]))
            .expect("walletsandboxprobe")
    };
    let denied = probe(&outside);
    assert_eq!(
        denied["read"],
        json!("Permission denied (os error 13)"),
        "{denied}"
    );
    assert_eq!(
        denied["write"],
        json!("Permission denied (os error 13)"),
        "{denied}"
    );
    assert_eq!(
        denied["tcp"],
        json!("Operation not permitted (os error 1)"),
        "{denied}"
    );
    assert_eq!(
        denied["exec"],
        json!("Operation not permitted (os error 1)"),
        "{denied}"
    );
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "secret");
    let in_wallet_dir = node.net_dir().join("wallets").join("probe");
    let allowed = probe(&in_wallet_dir);
    assert_eq!(allowed["write"], json!("ok"), "{allowed}");
    assert!(in_wallet_dir.exists());
    let conf = probe(&node.datadir.join("widecoin.conf"));
    assert_eq!(conf["read"], json!("ok"), "{conf}");
    assert_eq!(
        conf["write"],
        json!("Permission denied (os error 13)"),
        "{conf}"
    );
    // The node itself is not restricted, and says what the wallet is.
    assert!(node.rpc("getblockcount", json!([])).is_ok());
    let log = node.debug_log();
    assert!(
        log.contains("Sandbox: Landlock restricts the file system to read-write ["),
        "{log}"
    );
    assert!(
        log.contains("Sandbox: not dumpable; seccomp denies execve"),
        "{log}"
    );
    common::stop_clean(&mut node);
}

/// `-debug=ipc` on both sides of the boundary: one line per request and per
/// response naming process, thread, request number, interface and method;
/// at `-loglevel=ipc:trace` the contents too, escaped and cut at 200
/// characters.
#[test]
fn both_processes_log_ipc_traffic() {
    let mut node = start(&["-loglevel=ipc:trace"]);
    let wallet_pid = launched_pid(&node);
    let node_pid = node.pid().unwrap();
    node.rpc("walletprocessinfo", json!([])).unwrap();
    let long = format!("/nonexistent/{}\"ü", "x".repeat(300));
    node.rpc("walletsandboxprobe", json!([long])).unwrap();
    let log = node.debug_log();
    let has = |needle: &str| log.lines().any(|l| l.contains(needle));
    // The wallet asks, the node serves, with the same request number.
    let asked = log
        .lines()
        .find(|l| {
            l.contains(&format!("{{widecoin-wallet-{wallet_pid}/"))
                && l.contains("IPC client send request #")
                && l.contains("Chain.getHeight")
        })
        .unwrap_or_else(|| panic!("no wallet-side Chain.getHeight line in:\n{log}"));
    let n: String = asked
        .split("request #")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert!(asked.contains("[ipc:trace]"), "{asked}");
    assert!(has(&format!(
        "{{widecoin-node-{node_pid}/b-capnp-loop}} IPC server recv request #{n} Chain.getHeight"
    )));
    assert!(has(&format!(
        "{{widecoin-node-{node_pid}/b-capnp-loop}} IPC server send response #{n} Chain.getHeight"
    )));
    assert!(has(&format!(
        "IPC client recv response #{n} Chain.getHeight"
    )));
    // The node calls the wallet's handler; the wallet serves it.
    assert!(has(&format!(
        "{{widecoin-wallet-{wallet_pid}/b-capnp-loop}} IPC server recv request #"
    )));
    // Contents escaped and cut at 200 characters of the original.
    let probe = log
        .lines()
        .find(|l| {
            l.contains("IPC client send request #")
                && l.contains("RpcHandler.call walletsandboxprobe")
        })
        .unwrap_or_else(|| panic!("no RpcHandler.call line in:\n{log}"));
    assert!(probe.contains("\"[\\\"/nonexistent/xxx"), "{probe}");
    assert!(probe.ends_with(" bytes)"), "{probe}");
    let shown = probe.split("walletsandboxprobe ").nth(1).unwrap();
    assert!(shown.len() < 260, "{probe}");
    common::stop_clean(&mut node);
}
