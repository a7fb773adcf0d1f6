//! BIP152 compact blocks between two `widecoind` on loopback: a block whose
//! transaction the receiver already has is rebuilt from its mempool out of a
//! `cmpctblock`; one whose transaction it lacks takes a
//! `getblocktxn`/`blocktxn` round.

mod common;

use common::{connect_and_wait as connect, generate, mempool, peers, spend_coinbase, wait_until};
use serde_json::{json, Value};
use widecoin_test_utils::TestNode;

fn best(node: &TestNode) -> Value {
    node.rpc("getbestblockhash", json!([])).unwrap()
}

/// Bytes of `command` in the peer's `bytes{sent,recv}_per_msg`.
fn per_msg(peer: &Value, field: &str, command: &str) -> u64 {
    peer[field][command].as_u64().unwrap_or(0)
}

#[test]
fn blocks_relay_as_compact_blocks() {
    let (a, b) = (common::relay_node(), common::relay_node());
    let blocks = generate(&a, 103);
    connect(&b, &a);
    wait_until("B syncs", || best(&b) == best(&a));

    // The transaction reaches B before the block: nothing to ask for.
    let txid = a
        .rpc(
            "sendrawtransaction",
            json!([spend_coinbase(&a, &blocks[0])]),
        )
        .unwrap();
    let txid = txid.as_str().unwrap().to_string();
    wait_until("B has the transaction", || mempool(&b).contains(&txid));
    generate(&a, 1);
    wait_until("B has the block", || best(&b) == best(&a));
    assert!(mempool(&b).is_empty());
    let p = &peers(&b)[0];
    assert!(per_msg(p, "bytesrecv_per_msg", "cmpctblock") > 0, "{p}");
    assert_eq!(per_msg(p, "bytessent_per_msg", "getblocktxn"), 0, "{p}");

    // A transaction B never saw: B asks for it with getblocktxn.
    let id = peers(&b)[0]["id"].clone();
    b.rpc("disconnectnode", json!(["", id])).unwrap();
    wait_until("disconnected", || {
        peers(&a).is_empty() && peers(&b).is_empty()
    });
    let txid = a
        .rpc(
            "sendrawtransaction",
            json!([spend_coinbase(&a, &blocks[1])]),
        )
        .unwrap();
    connect(&b, &a);
    generate(&a, 1);
    wait_until("B has the second block", || best(&b) == best(&a));
    let p = &peers(&b)[0];
    assert!(per_msg(p, "bytesrecv_per_msg", "cmpctblock") > 0, "{p}");
    assert!(per_msg(p, "bytessent_per_msg", "getblocktxn") > 0, "{p}");
    assert!(per_msg(p, "bytesrecv_per_msg", "blocktxn") > 0, "{p}");
    assert_eq!(per_msg(p, "bytesrecv_per_msg", "block"), 0, "{p}");
    let block = b.rpc("getblock", json!([best(&b), 1])).unwrap();
    assert!(block["tx"].as_array().unwrap().contains(&txid));
}
