//! Transaction relay between two `widecoind` on loopback, and peers that
//! send malformed messages: a bad checksum or an unknown command is dropped,
//! an oversized message or an invalid transaction ends the connection, and
//! the node loses nothing.

mod common;
use common::wait_until;

use common::raw_peer::{Handshake, RawPeer, MAGIC};
use common::{connect_and_wait as connect, generate, mempool, peers, spend_coinbase};
use serde_json::json;
use widecoin_p2p::framing::encode_raw;
use widecoin_test_utils::TestNode;

/// What the raw peers say: `NODE_NETWORK`, transactions relayed to them.
fn raw_peer(node: &TestNode) -> RawPeer {
    RawPeer::connect_with(node, Handshake::default().services(1).relay(true))
}

#[test]
fn sendrawtransaction_reaches_the_other_node() {
    let (a, b) = (common::relay_node(), common::relay_node());
    let blocks = generate(&a, 101);
    connect(&b, &a);
    wait_until("B syncs", || {
        b.rpc("getblockcount", json!([])).unwrap() == json!(101)
    });
    let hex = spend_coinbase(&a, &blocks[0]);
    let txid = a.rpc("sendrawtransaction", json!([hex])).unwrap();
    let txid = txid.as_str().unwrap().to_string();
    wait_until("B has the transaction", || mempool(&b).contains(&txid));
    // B records when A last gave it a valid transaction.
    assert!(peers(&b)[0]["last_transaction"].as_i64().unwrap() > 0);
    // B announced it back to nobody new, and both agree.
    assert_eq!(mempool(&a), vec![txid.clone()]);
    // A block with it empties both pools.
    generate(&b, 1);
    wait_until("both pools empty", || {
        mempool(&a).is_empty() && mempool(&b).is_empty()
    });
    assert!(peers(&a)[0]["last_block"].as_i64().unwrap() > 0);
}

#[test]
fn malformed_messages_are_dropped_or_disconnect() {
    let node = common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-acceptnonstdtxn=1")
            .arg("-debug=net")
            .arg("-debug=mempoolrej"),
    );
    let blocks = generate(&node, 101);
    let tip = node.rpc("getbestblockhash", json!([])).unwrap();

    // Bad checksum and unknown command: dropped, the connection stays.
    let mut peer = raw_peer(&node);
    let mut bad = encode_raw(MAGIC, "ping", &1u64.to_le_bytes());
    bad[20] ^= 0xff;
    peer.send_bytes(&bad);
    peer.send("nonsense", &[1, 2, 3]);
    peer.ping_pong(2);
    let info = &peers(&node)[0];
    assert!(info["bytesrecv_per_msg"]["*other*"].as_u64().unwrap() > 0);

    // Oversized: disconnected.
    let mut big = encode_raw(MAGIC, "block", &[]);
    big[16..20].copy_from_slice(&4_000_001u32.to_le_bytes());
    peer.send_bytes(&big);
    peer.wait_for_disconnect();
    wait_until("the node drops the peer", || peers(&node).is_empty());

    // A consensus-invalid transaction (creates money): misbehaviour 100,
    // disconnected (a local peer is not discouraged).
    let mut peer = raw_peer(&node);
    let valid = hex::decode(spend_coinbase(&node, &blocks[0])).unwrap();
    let mut invalid = valid.clone();
    let value_at = 4 + 1 + 32 + 4 + 1 + 4 + 1;
    // More than the 3,500,000 WCN of the height-1 coinbase, less than MAX_MONEY.
    invalid[value_at..value_at + 8].copy_from_slice(&(30_000_000u64 * 100_000_000).to_le_bytes());
    peer.send("tx", &invalid);
    peer.wait_for_disconnect();
    wait_until("the node drops the peer", || peers(&node).is_empty());

    // The node lost nothing and still relays: a valid transaction from a new
    // peer is accepted.
    assert_eq!(node.rpc("getbestblockhash", json!([])).unwrap(), tip);
    let mut peer = raw_peer(&node);
    peer.send("tx", &valid);
    peer.ping_pong(3);
    assert_eq!(mempool(&node).len(), 1);
    assert!(peers(&node)[0]["permissions"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn blocksonly_refuses_transactions_unless_relay_permission() {
    let mut node = common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-acceptnonstdtxn=1")
            .arg("-blocksonly"),
    );
    let blocks = generate(&node, 101);
    let tx = hex::decode(spend_coinbase(&node, &blocks[0])).unwrap();
    let mut peer = raw_peer(&node);
    peer.send("tx", &tx);
    peer.wait_for_disconnect();
    assert!(mempool(&node).is_empty());

    node.restart(&[
        "-bind=127.0.0.1",
        "-acceptnonstdtxn=1",
        "-blocksonly",
        "-whitelist=relay@127.0.0.1",
    ])
    .unwrap();
    let mut peer = raw_peer(&node);
    peer.send("tx", &tx);
    peer.ping_pong(1);
    assert_eq!(mempool(&node).len(), 1);
    assert_eq!(peers(&node)[0]["permissions"], json!(["relay"]));
}
