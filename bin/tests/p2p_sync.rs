//! Block sync between two `widecoind` on loopback: headers-first initial
//! sync, following new tips through announcements, and a reorganisation to a
//! longer fork mined while disconnected.

mod common;
use common::wait_until;

use serde_json::{json, Value};
use widecoin_test_utils::TestNode;

fn best(node: &TestNode) -> Value {
    node.rpc("getbestblockhash", json!([])).unwrap()
}

fn height(node: &TestNode) -> i64 {
    node.rpc("getblockcount", json!([]))
        .unwrap()
        .as_i64()
        .unwrap()
}

fn peers(node: &TestNode) -> Vec<Value> {
    serde_json::from_value(node.rpc("getpeerinfo", json!([])).unwrap()).unwrap()
}

fn generate(node: &TestNode, n: u32, script: &str) {
    let desc = node
        .rpc("getdescriptorinfo", json!([format!("raw({script})")]))
        .unwrap()["descriptor"]
        .clone();
    node.rpc("generatetodescriptor", json!([n, desc])).unwrap();
}

fn connect(from: &TestNode, to: &TestNode) {
    let target = format!("127.0.0.1:{}", to.p2p_port);
    from.rpc("addnode", json!([target, "onetry"])).unwrap();
    wait_until("the handshake", || {
        peers(from).len() == 1 && peers(to).len() == 1
    });
}

fn disconnect(from: &TestNode, to: &TestNode) {
    let target = format!("127.0.0.1:{}", to.p2p_port);
    from.rpc("disconnectnode", json!([target])).unwrap();
    wait_until("the disconnection", || {
        peers(from).is_empty() && peers(to).is_empty()
    });
}

#[test]
fn two_nodes_sync_follow_and_reorganise() {
    let a = common::start(common::options().arg("-bind=127.0.0.1"));
    let b = common::start(common::options().arg("-bind=127.0.0.1"));
    generate(&a, 20, "51");
    assert_eq!(height(&a), 20);

    // Initial sync: B asks A for headers, then downloads the blocks.
    connect(&b, &a);
    wait_until("B reaches A's tip", || best(&b) == best(&a));
    assert_eq!(height(&b), 20);
    wait_until("synced heights", || {
        let p = &peers(&b)[0];
        p["synced_headers"] == 20 && p["synced_blocks"] == 20
    });

    // New blocks on A are announced and fetched.
    generate(&a, 5, "51");
    wait_until("B follows A", || best(&b) == best(&a));
    assert_eq!(height(&b), 25);

    // A longer fork mined on B while apart wins once they reconnect.
    disconnect(&b, &a);
    generate(&a, 2, "51");
    generate(&b, 6, "52");
    assert_ne!(best(&a), best(&b));
    connect(&b, &a);
    wait_until("A reorganises to B's fork", || best(&a) == best(&b));
    assert_eq!(height(&a), 31);
    let tips = a.rpc("getchaintips", json!([])).unwrap();
    let tips = tips.as_array().unwrap();
    assert!(tips
        .iter()
        .any(|t| t["status"] == "valid-fork" && t["height"] == 27 && t["branchlen"] == 2));

    // And back: A's side extends, B follows.
    generate(&a, 1, "51");
    wait_until("B follows A again", || best(&b) == best(&a));
}

/// A fork longer than the 1024-block download window, which only gets more
/// work than our chain once more than 1024 of its blocks are in: the window
/// must move past blocks already downloaded (Core's `pindexLastCommonBlock`)
/// rather than stay anchored at the fork with the active chain.
#[test]
fn reorganisation_longer_than_the_download_window() {
    let a = common::start(common::options().arg("-bind=127.0.0.1"));
    let b = common::start(common::options().arg("-bind=127.0.0.1"));
    generate(&a, 1100, "51");
    generate(&b, 1150, "52");
    connect(&a, &b);
    wait_until("A reorganises to B's longer fork", || best(&a) == best(&b));
    assert_eq!(height(&a), 1150);
}
