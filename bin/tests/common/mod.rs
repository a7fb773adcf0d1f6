//! Shared by the process-level tests: where the binaries are, and the values
//! every test compares against.
#![allow(dead_code)]

use std::path::Path;

use serde_json::Value;
use widecoin_test_utils::{NodeOptions, TestNode};

pub const WIDECOIND: &str = env!("CARGO_BIN_EXE_widecoind");
pub const WIDECOIN_CLI: &str = env!("CARGO_BIN_EXE_widecoin-cli");

/// Genesis block hashes (widecoin-params.md §3.2).
pub const REGTEST_GENESIS: &str =
    "7d5b2e9dbe250acf5b6f09509981873ec4f1b310933c4b971f9b01d77e4630f7";
pub const MAIN_GENESIS: &str = "00000c1ed1d690f0c01dbd52589c9dafe1d5bb8be400e11dd59e48a985d93b6a";
pub const TESTNET_GENESIS: &str =
    "000008aad534f457cf11da13a6f3c90d34fe5c090595ae06d3e246cfb6222903";
pub const SIGNET_GENESIS: &str = "000000d7658e3ea68546b40f5f7159b82ea954e2d61c88c59f3275976f40f3b1";

pub fn cli_path() -> &'static Path {
    Path::new(WIDECOIN_CLI)
}

pub fn options() -> NodeOptions {
    NodeOptions::new(WIDECOIND)
}

/// A regtest node that answers RPC.
pub fn start(options: NodeOptions) -> TestNode {
    TestNode::start(options).expect("start widecoind")
}

/// Stops `node` with the `stop` RPC and checks it exited cleanly and quietly.
pub fn stop_clean(node: &mut TestNode) {
    let status = node.stop().expect("stop");
    assert_eq!(status.code(), Some(0), "stderr: {}", node.stderr());
    assert_eq!(node.stderr(), "");
}

/// A call that must succeed.
pub fn rpc(node: &TestNode, method: &str, params: Value) -> Value {
    node.rpc(method, params)
        .unwrap_or_else(|e| panic!("{method}: {e:?}"))
}

/// A call that must fail: its error code and message.
pub fn rpc_err(node: &TestNode, method: &str, params: Value) -> (i64, String) {
    let e = node
        .rpc(method, params)
        .expect_err("the call should have failed");
    (e.code.unwrap_or_default(), e.message)
}

/// Polls `cond` until it holds; panics naming `what` after a minute.
pub fn wait_until(what: &str, cond: impl FnMut() -> bool) {
    wait_until_with(
        what,
        std::time::Duration::from_secs(60),
        std::time::Duration::from_millis(20),
        cond,
    )
}

/// Polls `cond` every `poll` until it holds; panics naming `what` after `limit`.
pub fn wait_until_with(
    what: &str,
    limit: std::time::Duration,
    poll: std::time::Duration,
    mut cond: impl FnMut() -> bool,
) {
    let deadline = std::time::Instant::now() + limit;
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(poll);
    }
}
