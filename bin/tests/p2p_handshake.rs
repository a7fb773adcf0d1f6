//! Two `widecoind` on loopback: `addnode onetry` connects them, both see the
//! other in `getpeerinfo` with Widecoin's protocol version and user agent.
//! (`connect=0` in the test config turns listening off unless `-bind` is given,
//! as in Core and its Python framework.)

mod common;
use common::wait_until;

use serde_json::{json, Value};
use widecoin_test_utils::TestNode;

fn peers(node: &TestNode) -> Vec<Value> {
    serde_json::from_value(node.rpc("getpeerinfo", json!([])).unwrap()).unwrap()
}

#[test]
fn addnode_onetry_connects_two_nodes() {
    let a = common::start(common::options().arg("-uacomment=a").arg("-bind=127.0.0.1"));
    let b = common::start(common::options().arg("-bind=127.0.0.1"));
    node_generate(&b);
    let target = format!("127.0.0.1:{}", b.p2p_port);
    assert_eq!(
        a.rpc("addnode", json!([target, "onetry"])).unwrap(),
        Value::Null
    );
    let handshaken = |n: &TestNode| {
        peers(n)
            .first()
            .is_some_and(|p| p["version"] == 70016 && p["pingtime"].is_number())
    };
    wait_until("both handshakes", || handshaken(&a) && handshaken(&b));
    let pa = &peers(&a)[0];
    let pb = &peers(&b)[0];
    assert_eq!(pa["addr"], json!(target));
    assert_eq!(pa["inbound"], false);
    assert_eq!(pa["connection_type"], "manual");
    assert_eq!(pa["subver"], "/WidecoinCore:6.0.0/");
    assert_eq!(pa["startingheight"], 3);
    assert_eq!(
        pa["servicesnames"],
        json!(["NETWORK", "WITNESS", "NETWORK_LIMITED"])
    );
    assert_eq!(pb["inbound"], true);
    assert_eq!(pb["connection_type"], "inbound");
    assert_eq!(pb["subver"], "/WidecoinCore:6.0.0(a)/");
    assert_eq!(pb["network"], "not_publicly_routable");
    assert_eq!(a.rpc("getconnectioncount", json!([])).unwrap(), 1);
    let info = b.rpc("getnetworkinfo", json!([])).unwrap();
    assert_eq!(
        (
            info["connections_in"].as_i64(),
            info["connections_out"].as_i64()
        ),
        (Some(1), Some(0))
    );
    assert!(
        a.rpc("getnettotals", json!([])).unwrap()["totalbytessent"]
            .as_u64()
            .unwrap()
            > 0
    );

    // Core's errors.
    let err = a.rpc("addnode", json!([target, "remove"])).unwrap_err();
    assert_eq!(err.code, Some(-24));
    a.rpc("addnode", json!([target, "add"])).unwrap();
    assert_eq!(
        a.rpc("addnode", json!([target, "add"])).unwrap_err().code,
        Some(-23)
    );
    a.rpc("addnode", json!([target, "remove"])).unwrap();
    assert_eq!(
        a.rpc("disconnectnode", json!(["", 99])).unwrap_err().code,
        Some(-29)
    );

    a.rpc("disconnectnode", json!([target])).unwrap();
    wait_until("disconnect", || {
        peers(&a).is_empty() && peers(&b).is_empty()
    });
}

fn node_generate(node: &TestNode) {
    node.rpc("generatetodescriptor", json!([3, "raw(51)#8lvh9jxk"]))
        .unwrap();
}
