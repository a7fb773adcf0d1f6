//! `widecoin-wallet -ipcconnect`: a wallet started by a user connects to a
//! running node's `-ipcbind` socket (unix, or TCP with the node's key),
//! registers its RPC methods with the node and follows its chain; the node
//! keeps serving when the wallet goes away, and a restarted wallet
//! reconnects. When the node stops, the wallet exits.

mod common;
use common::wait_until;

use std::process::{Child, Command, Stdio};

use serde_json::json;
use widecoin_test_utils::{free_port, NodeOptions, TestNode};

const WIDECOIN_NODE: &str = env!("CARGO_BIN_EXE_widecoin-node");
const WIDECOIN_WALLET: &str = env!("CARGO_BIN_EXE_widecoin-wallet");

fn wallet(node: &TestNode, args: &[&str]) -> Child {
    Command::new(WIDECOIN_WALLET)
        .arg(format!("-datadir={}", node.datadir.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until `walletprocessinfo` is answered by the process `pid`.
fn served_by(node: &TestNode, pid: u32) {
    wait_until("the wallet's registration", || {
        node.rpc("walletprocessinfo", json!([]))
            .is_ok_and(|info| info["pid"] == json!(pid))
    });
}

fn wait_exit(child: &mut Child) -> i32 {
    let mut status = None;
    wait_until("the wallet's exit", || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    status.unwrap().code().unwrap_or(-1)
}

#[test]
fn a_wallet_connects_over_unix_and_the_node_survives_it() {
    let mut node = common::start(
        NodeOptions::new(WIDECOIN_NODE)
            .arg("-ipcbind=unix")
            .arg("-disablewallet")
            .arg("-debug=ipc"),
    );
    let mut w = wallet(&node, &["-ipcconnect=unix", "-debug=ipc"]);
    served_by(&node, w.id());
    // The wallet follows the node's chain through its notifications.
    node.rpc("generatetodescriptor", json!([2, "raw(51)"]))
        .unwrap();
    let info = node.rpc("walletprocessinfo", json!([])).unwrap();
    assert_eq!(info["notified_height"], json!(2), "{info}");
    assert_eq!(info["chain_height"], json!(2), "{info}");
    // Both sides logged the traffic into the datadir's debug.log.
    let log = node.debug_log();
    assert!(
        log.contains(&format!(
            "{{widecoin-wallet-{}/b-main}} IPC client send request #1 Init.makeChain",
            w.id()
        )),
        "{log}"
    );
    assert!(log.contains("IPC server recv request") && log.contains("Init.makeChain"));

    // The wallet goes away: its methods go with it, the node keeps serving.
    w.kill().unwrap();
    w.wait().unwrap();
    wait_until("the unregistration", || {
        node.rpc("walletprocessinfo", json!([]))
            .is_err_and(|e| e.code == Some(-32601))
    });
    assert_eq!(node.rpc("getblockcount", json!([])).unwrap(), json!(2));

    // Restarted, it reconnects.
    let mut w = wallet(&node, &["-ipcconnect=unix"]);
    served_by(&node, w.id());
    // The node stopping ends the wallet, cleanly.
    common::stop_clean(&mut node);
    assert_eq!(wait_exit(&mut w), 0);
}

#[test]
fn a_wallet_connects_over_tcp_with_the_key() {
    let port = free_port();
    let mut node = common::start(
        NodeOptions::new(WIDECOIN_NODE)
            .arg(format!("-ipcbind=tcp:127.0.0.1:{port}"))
            .arg("-disablewallet"),
    );
    let address = format!("-ipcconnect=tcp:127.0.0.1:{port}");
    let mut w = wallet(&node, &[&address]);
    served_by(&node, w.id());
    w.kill().unwrap();
    w.wait().unwrap();
    // Without the right key the wallet is refused and says so.
    let other = tempfile::tempdir().unwrap();
    let bad_key = other.path().join("bad.cookie");
    std::fs::write(&bad_key, "11".repeat(32)).unwrap();
    let authfile = format!("-ipcauthfile={}", bad_key.display());
    let mut refused = wallet(&node, &[&address, &authfile]);
    assert_eq!(wait_exit(&mut refused), 1);
    let mut stderr = String::new();
    std::io::Read::read_to_string(refused.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(stderr.starts_with("Error: "), "{stderr}");
    wait_until("the refusal in the node's log", || {
        node.debug_log().contains("refused: wrong IPC key")
    });
    assert!(node.rpc("walletprocessinfo", json!([])).is_err());
    common::stop_clean(&mut node);
}

#[test]
fn no_node_to_connect_to() {
    let node = TestNode::prepare(NodeOptions::new(WIDECOIN_NODE)).unwrap();
    let mut w = wallet(&node, &["-ipcconnect=unix"]);
    assert_eq!(wait_exit(&mut w), 1);
    let mut stderr = String::new();
    std::io::Read::read_to_string(w.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("Cannot connect to the node"), "{stderr}");
}
