//! Network RPCs against a real node: `setnetworkactive` (drops peers, refuses
//! connections, logs Core's "SetNetworkActive" once per change), the
//! `localaddresses` of `getnetworkinfo` from `-externalip`, and a peer that
//! has not sent its `version` yet (`startingheight` -1; "detecting" on a
//! `-v2transport` node until its first bytes arrive).

mod common;
use common::wait_until;

use std::io::Write;
use std::net::TcpStream;

use common::peers;
use common::raw_peer::RawPeer;
use serde_json::json;

#[test]
fn setnetworkactive_and_localaddresses() {
    let a = common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-externalip=1.2.3.4")
            .arg("-debug=net"),
    );
    let b = common::start(common::options().arg("-bind=127.0.0.1"));
    assert_eq!(
        a.debug_log().matches("SetNetworkActive: true").count(),
        1,
        "logged once at start-up"
    );
    let info = common::rpc(&a, "getnetworkinfo", json!([]));
    assert_eq!(
        info["localaddresses"],
        json!([{"address": "1.2.3.4", "port": a.p2p_port, "score": 4}])
    );
    assert_eq!(info["networkactive"], true);

    let target = format!("127.0.0.1:{}", a.p2p_port);
    common::rpc(&b, "addnode", json!([target, "onetry"]));
    wait_until("connected", || peers(&a).len() == 1);

    assert_eq!(common::rpc(&a, "setnetworkactive", json!([false])), false);
    assert!(a.debug_log().contains("SetNetworkActive: false"));
    assert_eq!(
        common::rpc(&a, "getnetworkinfo", json!([]))["networkactive"],
        false
    );
    wait_until("peers dropped", || {
        peers(&a).is_empty() && peers(&b).is_empty()
    });
    // No connection is accepted while inactive.
    common::rpc(&b, "addnode", json!([target, "onetry"]));
    wait_until("refused", || {
        a.debug_log()
            .contains("dropped: not accepting new connections")
    });
    assert!(peers(&a).is_empty());

    assert_eq!(common::rpc(&a, "setnetworkactive", json!([true])), true);
    common::rpc(&b, "addnode", json!([target, "onetry"]));
    wait_until("connected again", || peers(&a).len() == 1);
}

#[test]
fn peer_before_version() {
    let a = common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-v2transport=1"),
    );
    let mut s = TcpStream::connect(("127.0.0.1", a.p2p_port)).unwrap();
    wait_until("the peer", || peers(&a).len() == 1);
    let p = &peers(&a)[0];
    assert_eq!(p["startingheight"], -1);
    assert_eq!(p["version"], 0);
    assert_eq!(p["transport_protocol_type"], "detecting");
    assert_eq!(p["session_id"], "");
    // The start of a v1 version header: the node switches to v1.
    let mut prefix = vec![0xfa, 0xbf, 0xb5, 0xda];
    prefix.extend(b"version\0\0\0\0\0");
    s.write_all(&prefix).unwrap();
    wait_until("v1 detected", || {
        peers(&a)[0]["transport_protocol_type"] == "v1"
    });
}

/// `getdata` for one MSG_WITNESS_BLOCK.
const MSG_WITNESS_BLOCK: u32 = 0x4000_0002;

/// A pruned node (NODE_NETWORK_LIMITED without NODE_NETWORK) serves blocks
/// down to 288 + 2 below its tip and disconnects a peer asking for older
/// ones (Core's `ProcessGetBlockData`).
#[test]
fn pruned_node_serves_only_recent_blocks() {
    let a = common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-prune=550")
            .arg("-debug=net"),
    );
    let services = common::rpc(&a, "getnetworkinfo", json!([]))["localservicesnames"].clone();
    assert_eq!(services, json!(["WITNESS", "NETWORK_LIMITED"]));
    let hashes = common::rpc(&a, "generatetodescriptor", json!([292, "raw(51)#8lvh9jxk"]));
    let mut peer = RawPeer::connect(&a);
    // Height 2 is 290 below the tip: still served.
    peer.send_getdata(MSG_WITNESS_BLOCK, hashes[1].as_str().unwrap());
    assert!(peer.next("block").is_some(), "block at tip-290 served");
    // Height 1 is 291 below: the peer is disconnected.
    peer.send_getdata(MSG_WITNESS_BLOCK, hashes[0].as_str().unwrap());
    assert_eq!(peer.next("block"), None);
    assert!(a
        .debug_log()
        .contains("Ignore block request below NODE_NETWORK_LIMITED threshold, disconnect peer=0"));
}
