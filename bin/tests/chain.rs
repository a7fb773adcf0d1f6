//! Chain parameters as RPC shows them on each network, and the node RPCs
//! that change state: `setmocktime`/`uptime`, `logging`.

mod common;

use common::*;
use serde_json::{json, Value};
use widecoin_test_utils::{RpcCallError, TestNode};

fn rpc_error(status: u16, code: i64, message: &str) -> RpcCallError {
    RpcCallError {
        http_status: status,
        code: Some(code),
        message: message.to_string(),
    }
}

#[test]
fn regtest_getblockchaininfo_is_cores_text() {
    let mut node = start(options());
    assert_eq!(
        node.rpc("getblockhash", json!([0])),
        Ok(json!(REGTEST_GENESIS))
    );
    let r = node
        .http()
        .post(
            "/",
            &node.cookie().unwrap(),
            br#"{"method":"getblockchaininfo","params":[],"id":1}"#,
        )
        .unwrap();
    assert_eq!(r.status, 200);
    // The exact text: key order, the difficulty's formatting (UniValue's
    // %.16g), verificationprogress 1 for the genesis tip, 8 + 254 bytes on
    // disk for the genesis block.
    assert_eq!(
        r.body_str(),
        format!(
            "{{\"result\":{{\"chain\":\"regtest\",\"blocks\":0,\"headers\":0,\
             \"bestblockhash\":\"{REGTEST_GENESIS}\",\"difficulty\":4.656542373906925e-10,\
             \"time\":1296688602,\"mediantime\":1296688602,\"verificationprogress\":1,\
             \"initialblockdownload\":true,\
             \"chainwork\":\"0000000000000000000000000000000000000000000000000000000000000002\",\
             \"size_on_disk\":254,\"pruned\":false,\"warnings\":\"\"}},\"error\":null,\"id\":1}}\n"
        )
    );
    stop_clean(&mut node);
}

/// Starts a node on `chain` (section name) with `flag`, checks its genesis
/// hash, its `chain` and where its files go, and stops it.
fn check_network(chain: &str, flag: &str, genesis: &str) {
    let mut node = start(
        options()
            .chain(chain)
            .arg(flag)
            .arg("-connect=0")
            .arg("-listen=0")
            .arg("-dnsseed=0")
            .arg("-fixedseeds=0"),
    );
    assert_eq!(node.rpc("getblockhash", json!([0])), Ok(json!(genesis)));
    let info = node.rpc("getblockchaininfo", json!([])).unwrap();
    assert_eq!(info["chain"], json!(chain));
    assert_eq!(info["blocks"], json!(0));
    assert_eq!(info["bestblockhash"], json!(genesis));
    assert!(node.net_dir().join(".cookie").is_file());
    assert!(node.net_dir().join("blocks").is_dir());
    assert!(!node.datadir.join("regtest").exists());
    stop_clean(&mut node);
}

#[test]
fn main_genesis() {
    check_network("main", "-chain=main", MAIN_GENESIS);
}

#[test]
fn testnet_genesis() {
    check_network("test", "-testnet", TESTNET_GENESIS);
}

#[test]
fn signet_genesis() {
    check_network("signet", "-signet", SIGNET_GENESIS);
}

#[test]
fn conflicting_chain_flags_are_an_init_error() {
    let node = TestNode::prepare(options().no_wait()).unwrap();
    // widecoin.conf says regtest=1; -testnet on top is a second chain.
    let out = widecoin_test_utils::run_to_exit(
        std::path::Path::new(WIDECOIND),
        &[
            format!("-datadir={}", node.datadir.display()),
            "-testnet".into(),
        ],
        None,
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "Error: Invalid combination of -regtest, -signet, -testnet and -chain. Can use at most one.\n"
    );
}

#[test]
fn setmocktime_moves_uptime() {
    let mut node = start(options());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let delta = 100_000;
    assert_eq!(
        node.rpc("setmocktime", json!([now + delta])),
        Ok(Value::Null)
    );
    let uptime = node.rpc("uptime", json!([])).unwrap().as_i64().unwrap();
    assert!(
        (delta..2 * delta).contains(&uptime),
        "uptime {uptime} with the clock mocked {delta} s ahead"
    );
    assert_eq!(
        node.rpc("setmocktime", json!([-1])),
        Err(rpc_error(500, -8, "Mocktime cannot be negative: -1."))
    );
    // 0 goes back to the system clock.
    assert_eq!(node.rpc("setmocktime", json!([0])), Ok(Value::Null));
    let uptime = node.rpc("uptime", json!([])).unwrap().as_i64().unwrap();
    assert!(uptime < delta, "uptime {uptime} after setmocktime 0");
    stop_clean(&mut node);
}

#[test]
fn logging_rpc_toggles_categories() {
    let mut node = start(options());
    let before = node.rpc("logging", json!([])).unwrap();
    assert_eq!(before["net"], json!(false));
    assert_eq!(before["tor"], json!(false));

    let after = node.rpc("logging", json!([["net"]])).unwrap();
    assert_eq!(after["net"], json!(true));
    assert_eq!(after["tor"], json!(false));
    // Only net changed.
    let mut expected = before.clone();
    expected["net"] = json!(true);
    assert_eq!(after, expected);

    let again = node.rpc("logging", json!([[], ["net"]])).unwrap();
    assert_eq!(again, before);

    assert_eq!(
        node.rpc("logging", json!([["foo"]])),
        Err(rpc_error(500, -8, "unknown logging category foo"))
    );
    assert_eq!(
        node.rpc("logging", json!([[], ["foo"]])),
        Err(rpc_error(500, -8, "unknown logging category foo"))
    );
    stop_clean(&mut node);
}
