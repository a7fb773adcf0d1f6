//! The address manager through the real node: `addpeeraddress`,
//! `getaddrmaninfo` and `getnodeaddresses`; `peers.dat` kept across a
//! restart; `getaddr` answered once per inbound connection with at most 23%
//! of the table; `addr` processing rate-limited by the token bucket.

mod common;
use common::wait_until;

use common::raw_peer::{Handshake, RawPeer};
use serde_json::{json, Value};
use widecoin_p2p::netaddr::{
    decode_addr_message, encode_addr_message, parse_netaddr, Address, Service,
};
use widecoin_test_utils::TestNode;

fn info(node: &TestNode) -> Value {
    common::rpc(node, "getaddrmaninfo", json!([]))
}

/// Adds `n` routable addresses of distinct /16 groups; how many were new.
fn add_addresses(node: &TestNode, n: usize, tried_every: usize) -> usize {
    (0..n)
        .filter(|i| {
            let address = format!("{}.{}.1.1", 1 + i / 200, 1 + i % 200);
            let tried = tried_every != 0 && i % tried_every == 0;
            common::rpc(node, "addpeeraddress", json!([address, 8333, tried]))["success"] == true
        })
        .count()
}

#[test]
fn peers_dat_persists_across_restart() {
    let mut node = common::start(common::options());
    // Started without peers.dat: Core creates an empty one.
    assert!(node
        .debug_log()
        .contains("Creating peers.dat because the file was not found"));
    assert!(node.net_dir().join("peers.dat").exists());

    let added = add_addresses(&node, 40, 4);
    assert!(added >= 35, "{added}");
    // Unroutable and unparsable addresses are refused.
    let refused = common::rpc(&node, "addpeeraddress", json!(["127.0.0.1", 8333]));
    assert_eq!(refused["success"], false);
    let refused = common::rpc(&node, "addpeeraddress", json!(["not an ip", 8333]));
    assert_eq!(refused["success"], false);

    let before = info(&node);
    let all = &before["all_networks"];
    assert_eq!(all["total"], json!(added));
    assert!(all["tried"].as_u64().unwrap() >= 8, "{before}");
    assert_eq!(before["ipv4"], before["all_networks"]);
    assert_eq!(before["onion"]["total"], 0);

    let listed = common::rpc(&node, "getnodeaddresses", json!([0]));
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), added);
    let one = &listed[0];
    assert_eq!(one["port"], 8333);
    assert_eq!(one["services"], 9);
    assert_eq!(one["network"], "ipv4");
    assert!(one["time"].as_i64().unwrap() > 1_600_000_000);
    assert_eq!(
        common::rpc(&node, "getnodeaddresses", json!([5]))
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_eq!(
        common::rpc(&node, "getnodeaddresses", json!([0, "ipv6"])),
        json!([])
    );
    assert_eq!(
        common::rpc_err(&node, "getnodeaddresses", json!([-1])),
        (-8, "Address count out of range".to_string())
    );
    assert_eq!(
        common::rpc_err(&node, "getnodeaddresses", json!([1, "foo"])),
        (-8, "Network not recognized: foo".to_string())
    );

    node.restart(&[]).unwrap();
    assert!(
        node.debug_log()
            .contains(&format!("Loaded {added} addresses from peers.dat")),
        "{}",
        node.debug_log()
    );
    assert_eq!(info(&node), before);
    common::stop_clean(&mut node);
}

#[test]
fn corrupt_peers_dat_is_an_init_error() {
    let mut node = TestNode::prepare(common::options().no_wait()).unwrap();
    node.spawn().unwrap();
    node.wait_for_rpc().unwrap();
    let path = node.net_dir().join("peers.dat");
    node.stop().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(&path, bytes).unwrap();
    node.spawn().unwrap();
    let status = node.wait_exit().unwrap();
    assert_ne!(status.code(), Some(0));
    assert!(
        node.stderr()
            .contains("Error: Invalid or corrupt peers.dat (Checksum mismatch, data corrupted)"),
        "{}",
        node.stderr()
    );
}

/// A raw inbound peer: `NODE_NETWORK | NODE_WITNESS`, relaying.
fn raw_peer(node: &TestNode) -> RawPeer {
    RawPeer::connect_with(node, Handshake::default().services(9).relay(true))
}

#[test]
fn getaddr_answered_once_and_addr_rate_limited() {
    let node = common::start(common::options().arg("-bind=127.0.0.1").arg("-debug=net"));
    let added = add_addresses(&node, 300, 0);
    assert!(added > 250, "{added}");

    let mut peer = raw_peer(&node);
    peer.send("getaddr", &[]);
    let answer = decode_addr_message(&peer.wait_for("addr"), false).unwrap();
    // Core's cap: 23% of the table.
    assert_eq!(answer.len(), 23 * added / 100);
    assert!(answer.iter().all(|a| a.service.port == 8333));
    // A second getaddr on the same connection is ignored.
    peer.send("getaddr", &[]);
    wait_until("the repeated getaddr to be ignored", || {
        node.debug_log().contains("Ignoring repeated \"getaddr\"")
    });

    // An inbound peer starts with one token: of two addresses, one is
    // processed and one rate-limited.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32;
    let addrs: Vec<Address> = ["99.1.2.3", "98.1.2.3"]
        .iter()
        .map(|ip| Address::new(Service::new(parse_netaddr(ip).unwrap(), 8333), 9, now))
        .collect();
    peer.send("addr", &encode_addr_message(&addrs, false));
    wait_until("the addr message to be counted", || {
        let peers = common::rpc(&node, "getpeerinfo", json!([]));
        let p = &peers[0];
        p["addr_processed"] == 1 && p["addr_rate_limited"] == 1 && p["addr_relay_enabled"] == true
    });
    // The processed one went to addrman (unless its slot was taken: the
    // table holds it or not, never both).
    let total = info(&node)["all_networks"]["total"].as_u64().unwrap();
    assert!(
        total == added as u64 + 1 || total == added as u64,
        "{total}"
    );
}

#[test]
fn outbound_connection_asks_for_addresses() {
    let a = common::start(common::options().arg("-bind=127.0.0.1"));
    let b = common::start(common::options().arg("-bind=127.0.0.1"));
    let added = add_addresses(&b, 100, 0);
    let target = format!("127.0.0.1:{}", b.p2p_port);

    // Core's errors first.
    let (code, _) = common::rpc_err(&a, "addconnection", json!([target, "manual"]));
    assert_eq!(code, -8);

    let opened = common::rpc(&a, "addconnection", json!([target, "outbound-full-relay"]));
    assert_eq!(
        opened,
        json!({"address": target, "connection_type": "outbound-full-relay"})
    );
    // A sends getaddr after the handshake; B answers from its table with
    // 23% of it, and A stores them (a few may collide in A's buckets).
    let expected = (23 * added / 100) as u64;
    wait_until("a to process b's addresses", || {
        let peers = common::rpc(&a, "getpeerinfo", json!([]));
        peers[0]["addr_processed"].as_u64() == Some(expected)
    });
    let peers = common::rpc(&a, "getpeerinfo", json!([]));
    assert_eq!(peers[0]["connection_type"], "outbound-full-relay");
    assert_eq!(peers[0]["addr_relay_enabled"], true);
    let stored = info(&a)["all_networks"]["total"].as_u64().unwrap();
    assert!(stored + 5 >= expected && stored <= expected, "{stored}");
    // B, asked by an inbound peer, took part in address relay with it.
    let peers_b = common::rpc(&b, "getpeerinfo", json!([]));
    assert_eq!(peers_b[0]["connection_type"], "inbound");
    assert_eq!(peers_b[0]["addr_relay_enabled"], true);

    // A block-relay-only connection does not take part in address relay.
    let c = common::start(common::options().arg("-bind=127.0.0.1"));
    let target_c = format!("127.0.0.1:{}", c.p2p_port);
    common::rpc(&a, "addconnection", json!([target_c, "block-relay-only"]));
    wait_until("the block-relay-only handshake", || {
        let peers = common::rpc(&a, "getpeerinfo", json!([]));
        peers
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["connection_type"] == "block-relay-only" && p["version"] == 70016)
    });
    let peers = common::rpc(&a, "getpeerinfo", json!([]));
    let block_only = peers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["connection_type"] == "block-relay-only")
        .unwrap();
    assert_eq!(block_only["addr_relay_enabled"], false);
}

#[test]
fn seednode_is_an_addr_fetch_connection() {
    let b = common::start(common::options().arg("-bind=127.0.0.1"));
    let added = add_addresses(&b, 100, 0);
    // Without connect=0 addrman chooses the outbound connections, and the
    // -seednode is asked for addresses once. -onlynet=ipv6 keeps the (IPv4)
    // addresses learnt out of addrman, so that nothing real is dialled.
    let conf = "regtest=1\n[regtest]\nport={port}\nrpcport={rpcport}\nserver=1\ndiscover=0\n\
                dnsseed=0\nfixedseeds=0\nlisten=0\nprinttoconsole=0\nshrinkdebugfile=0\n\
                debug=net\nonlynet=ipv6\n";
    let a = common::start(
        common::options()
            .raw_conf(conf)
            .arg(format!("-seednode=127.0.0.1:{}", b.p2p_port)),
    );
    wait_until("the addr-fetch connection to complete", || {
        a.debug_log()
            .contains("addrfetch connection completed peer=0; disconnecting")
    });
    let log = a.debug_log();
    assert!(log.contains("DNS seeding disabled"));
    assert!(log.contains("Fixed seeds are disabled"));
    assert!(log.contains("opencon thread start"));
    let n = 23 * added / 100;
    assert!(
        log.contains(&format!(
            "Received addr: {n} addresses ({n} processed, 0 rate-limited) from peer=0"
        )),
        "{log}"
    );
    // Unreachable networks are not stored.
    assert_eq!(info(&a)["all_networks"]["total"], 0);
    wait_until("the addr-fetch peer to be gone", || {
        common::rpc(&a, "getconnectioncount", json!([])) == 0
    });
}

#[test]
fn externalip_is_advertised_after_initial_block_download() {
    let node = common::start(
        common::options()
            .arg("-bind=127.0.0.1")
            .arg("-externalip=1.2.3.4"),
    );
    assert!(node.debug_log().contains("AddLocal(1.2.3.4:"));
    // A fresh block ends initial block download.
    common::rpc(
        &node,
        "generatetodescriptor",
        json!([1, "raw(51)#8lvh9jxk"]),
    );
    let mut peer = raw_peer(&node);
    // getaddr turns address relay on; our own address comes with the answer.
    peer.send("getaddr", &[]);
    let answer = decode_addr_message(&peer.wait_for("addr"), false).unwrap();
    assert_eq!(answer.len(), 1);
    assert_eq!(
        answer[0].service.to_string(),
        format!("1.2.3.4:{}", node.p2p_port)
    );
    assert_eq!(answer[0].services, 0x409);

    let (code, message) = {
        let mut bad = TestNode::prepare(common::options().no_wait().arg("-externalip=")).unwrap();
        bad.spawn().unwrap();
        let status = bad.wait_exit().unwrap();
        (status.code(), bad.stderr())
    };
    assert_eq!(code, Some(1));
    assert!(
        message.contains("Error: Cannot resolve -externalip address: ''"),
        "{message}"
    );
}
