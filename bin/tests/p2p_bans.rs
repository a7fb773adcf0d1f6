//! Bans and permissions: `setban`/`listbanned`/`clearbanned` with Core's
//! errors, `banlist.json` kept across restarts, banned peers refused unless
//! whitelisted with `noban`, `getpeerinfo`'s permissions, and Core's errors
//! for bad `-whitelist`/`-whitebind` values.

mod common;

use std::path::Path;

use common::*;
use serde_json::{json, Value};
use widecoin_test_utils::{run_to_exit, TestNode};

fn banned(node: &TestNode) -> Vec<String> {
    rpc(node, "listbanned", json!([]))
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["address"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn setban_listbanned_clearbanned_and_persistence() {
    let mut node = start(options().arg("-bind=127.0.0.1").arg("-bantime=1234"));
    assert!(banned(&node).is_empty());
    rpc(&node, "setban", json!(["127.0.0.0/24", "add"]));
    let list = rpc(&node, "listbanned", json!([]));
    assert_eq!(list[0]["address"], "127.0.0.0/24");
    assert_eq!(list[0]["ban_duration"], 1234);
    assert_eq!(
        rpc_err(&node, "setban", json!(["127.0.0.1", "add"])),
        (-23, "Error: IP/Subnet already banned".into())
    );
    assert_eq!(
        rpc_err(&node, "setban", json!(["127.0.0.1/42", "add"])),
        (-30, "Error: Invalid IP/Subnet".into())
    );
    assert_eq!(
        rpc_err(&node, "setban", json!(["127.27.0.1", "add", 123, true])),
        (-8, "Error: Absolute timestamp is in the past".into())
    );
    assert_eq!(
        rpc_err(&node, "setban", json!(["127.0.0.1", "remove"])),
        (
            -30,
            "Error: Unban failed. Requested address/subnet was not previously manually banned."
                .into()
        )
    );
    let onion = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
    rpc(&node, "setban", json!([onion, "add"]));
    rpc(
        &node,
        "setban",
        json!(["2001:4d48:ac57:400:cacf:e9ff:fe1d:9c63/19", "add", 1000]),
    );
    assert_eq!(banned(&node), ["127.0.0.0/24", "2001:4000::/19", onion]);
    let file = std::fs::read_to_string(node.net_dir().join("banlist.json")).unwrap();
    let json: Value = serde_json::from_str(&file).unwrap();
    assert_eq!(json["banned_nets"].as_array().unwrap().len(), 3);
    assert_eq!(json["banned_nets"][0]["version"], 1);

    let before = rpc(&node, "listbanned", json!([]));
    node.restart(&["-bind=127.0.0.1"]).unwrap();
    let after = rpc(&node, "listbanned", json!([]));
    for (b, a) in before
        .as_array()
        .unwrap()
        .iter()
        .zip(after.as_array().unwrap())
    {
        assert_eq!(b["address"], a["address"]);
        assert_eq!(b["banned_until"], a["banned_until"]);
    }
    rpc(&node, "setban", json!([onion, "remove"]));
    rpc(&node, "clearbanned", json!([]));
    assert!(banned(&node).is_empty());
    node.restart(&["-bind=127.0.0.1"]).unwrap();
    assert!(banned(&node).is_empty());
    stop_clean(&mut node);
}

#[test]
fn banned_peers_are_refused_unless_noban() {
    let a = start(options().arg("-bind=127.0.0.1"));
    let mut b = start(options().arg("-bind=127.0.0.1").arg("-debug=net"));
    let target = format!("127.0.0.1:{}", b.p2p_port);

    // Without permissions.
    rpc(&a, "addnode", json!([target, "onetry"]));
    wait_until("the connection", || peers(&b).len() == 1);
    assert_eq!(peers(&b)[0]["permissions"], json!([]));

    // A ban disconnects and refuses the peer.
    rpc(&b, "setban", json!(["127.0.0.1", "add"]));
    wait_until("the disconnection", || {
        peers(&b).is_empty() && peers(&a).is_empty()
    });
    rpc(&a, "addnode", json!([target, "onetry"]));
    wait_until("the refusal", || b.debug_log().contains("dropped (banned)"));
    assert!(peers(&b).is_empty());

    // noban overrides the ban; implicit whitelist permissions.
    b.restart(&["-bind=127.0.0.1", "-whitelist=127.0.0.1"])
        .unwrap();
    assert_eq!(banned(&b), ["127.0.0.1/32"]);
    rpc(&a, "addnode", json!([target, "onetry"]));
    wait_until("the connection", || peers(&b).len() == 1);
    assert_eq!(
        peers(&b)[0]["permissions"],
        json!(["noban", "relay", "mempool", "download"])
    );

    // Explicit permissions.
    b.restart(&["-bind=127.0.0.1", "-whitelist=relay,mempool@127.0.0.0/8"])
        .unwrap();
    rpc(&b, "setban", json!(["127.0.0.1", "remove"]));
    rpc(&a, "addnode", json!([target, "onetry"]));
    wait_until("the connection", || peers(&b).len() == 1);
    assert_eq!(peers(&b)[0]["permissions"], json!(["relay", "mempool"]));
}

#[test]
fn bad_permission_options_are_init_errors() {
    for (arg, error) in [
        (
            "-whitelist=oops@127.0.0.1",
            "Invalid P2P permission: 'oops'",
        ),
        (
            "-whitelist=noban@127.0.0.1/99",
            "Invalid netmask specified in -whitelist: '127.0.0.1/99'",
        ),
        (
            "-whitebind=noban@127.0.0.1",
            "Need to specify a port with -whitebind: '127.0.0.1'",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let args = vec![
            format!("-datadir={}", dir.path().display()),
            "-regtest".to_string(),
            "-server=0".to_string(),
            "-listen=1".to_string(),
            "-bind=127.0.0.1:0".to_string(),
            arg.to_string(),
        ];
        let out = run_to_exit(Path::new(WIDECOIND), &args, None);
        assert_eq!(out.code, 1, "{arg}: {out:?}");
        assert_eq!(out.stderr, format!("Error: {error}\n"), "{arg}");
    }
}
