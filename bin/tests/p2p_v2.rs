//! BIP324 v2 transport between real nodes: two `-v2transport` nodes talk v2
//! (same session id on both sides, blocks and pings go through), and a v2
//! node falls back to v1 with a v1-only node in both directions (inbound
//! detection; outbound retry "retrying with v1 transport protocol").

mod common;
use common::{peers, wait_until};

use serde_json::json;
use widecoin_test_utils::TestNode;

/// One peer that finished the handshake (verack received and a pong back).
fn handshaken(node: &TestNode) -> bool {
    peers(node)
        .first()
        .is_some_and(|p| p["version"] == 70016 && p["bytesrecv_per_msg"].get("pong").is_some())
}

fn v2_node() -> TestNode {
    common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-debug=net")
            .arg("-v2transport=1"),
    )
}

fn v1_node() -> TestNode {
    common::start(common::options().arg("-bind=127.0.0.1").arg("-debug=net"))
}

#[test]
fn two_v2_nodes_talk_v2() {
    let a = v2_node();
    let b = v2_node();
    let names = common::rpc(&a, "getnetworkinfo", json!([]))["localservicesnames"].clone();
    assert!(
        names.as_array().unwrap().contains(&json!("P2P_V2")),
        "{names}"
    );
    let services = common::rpc(&a, "getnetworkinfo", json!([]))["localservices"].clone();
    let services = u64::from_str_radix(services.as_str().unwrap(), 16).unwrap();
    assert_eq!(services & (1 << 11), 1 << 11);

    common::rpc(&b, "generatetodescriptor", json!([5, "raw(51)#8lvh9jxk"]));
    let target = format!("127.0.0.1:{}", b.p2p_port);
    common::rpc(&a, "addnode", json!([target, "onetry", true]));
    wait_until("both handshakes", || handshaken(&a) && handshaken(&b));
    let pa = &peers(&a)[0];
    let pb = &peers(&b)[0];
    assert_eq!(pa["transport_protocol_type"], "v2");
    assert_eq!(pb["transport_protocol_type"], "v2");
    let sid = pa["session_id"].as_str().unwrap();
    assert_eq!(sid.len(), 64);
    assert_eq!(pb["session_id"], json!(sid));
    // Packet sizes: `verack` has no short id (1 + 12 + 20 bytes), `pong`
    // has one (1 + 8 + 20).
    assert_eq!(pb["bytesrecv_per_msg"]["verack"], 33);
    assert_eq!(pb["bytesrecv_per_msg"]["pong"], 29);
    // Blocks travel over the encrypted connection.
    wait_until("a syncs to b", || {
        common::rpc(&a, "getblockcount", json!([])) == json!(5)
    });
    let log = a.debug_log();
    assert!(
        log.contains("start sending v2 handshake to peer="),
        "handshake log"
    );
    assert!(
        log.contains("New manual v2 peer connected"),
        "connected log"
    );
    assert!(!log.contains("retrying with v1 transport protocol"));
}

#[test]
fn v2_node_falls_back_to_v1_with_v1_node() {
    let a = v2_node();
    let c = v1_node();
    let target_c = format!("127.0.0.1:{}", c.p2p_port);

    // A v1-only node cannot ask for v2.
    let (code, msg) = common::rpc_err(&c, "addnode", json!([target_c, "onetry", true]));
    assert_eq!(code, -8);
    assert_eq!(
        msg,
        "Error: v2transport requested but not enabled (see -v2transport)"
    );

    // Outbound v2 to a v1 node: it closes the connection, we retry with v1.
    common::rpc(&a, "addnode", json!([target_c, "onetry", true]));
    wait_until("the v1 retry", || {
        a.debug_log()
            .contains("retrying with v1 transport protocol for peer=0")
    });
    wait_until("both handshakes", || handshaken(&a) && handshaken(&c));
    assert_eq!(peers(&a)[0]["transport_protocol_type"], "v1");
    assert_eq!(peers(&a)[0]["session_id"], "");
    assert_eq!(peers(&c)[0]["transport_protocol_type"], "v1");

    // Inbound: the v2 node detects the v1 peer's version message.
    common::rpc(&a, "disconnectnode", json!([target_c]));
    wait_until("disconnected", || {
        peers(&a).is_empty() && peers(&c).is_empty()
    });
    let target_a = format!("127.0.0.1:{}", a.p2p_port);
    common::rpc(&c, "addnode", json!([target_a, "onetry"]));
    wait_until("both handshakes", || handshaken(&a) && handshaken(&c));
    let pa = &peers(&a)[0];
    assert_eq!(pa["inbound"], true);
    assert_eq!(pa["transport_protocol_type"], "v1");
    common::rpc(&c, "generatetodescriptor", json!([2, "raw(51)#8lvh9jxk"]));
    wait_until("a syncs to c", || {
        common::rpc(&a, "getblockcount", json!([])) == json!(2)
    });
}
