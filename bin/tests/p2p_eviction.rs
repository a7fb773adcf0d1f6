//! Inbound eviction: with every inbound slot taken (`-maxconnections=32`
//! leaves 21), a new inbound connection replaces one unprotected peer;
//! `noban` peers are never evicted, so then the new connection is dropped.

mod common;

use std::io::{ErrorKind, Read};
use std::net::TcpStream;

use common::*;
use widecoin_test_utils::TestNode;

const MAX_INBOUND: usize = 32 - 11;

/// Whether the node closed `s` (we never send anything, nor does the node
/// to an inbound peer before its `version`).
fn closed(s: &TcpStream) -> bool {
    let mut buf = [0u8; 1];
    match (&*s).read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != ErrorKind::WouldBlock,
    }
}

/// Fills every inbound slot with silent connections.
fn fill(node: &TestNode) -> Vec<TcpStream> {
    let addr = format!("127.0.0.1:{}", node.p2p_port);
    let streams: Vec<TcpStream> = (0..MAX_INBOUND)
        .map(|_| {
            let s = TcpStream::connect(&addr).unwrap();
            s.set_nonblocking(true).unwrap();
            s
        })
        .collect();
    wait_until("all inbound slots taken", || {
        peers(node).len() == MAX_INBOUND
    });
    streams
}

#[test]
fn full_inbound_slots_evict_one_peer() {
    let node = start(
        options()
            .arg("-bind=127.0.0.1")
            .arg("-maxconnections=32")
            .arg("-debug=net"),
    );
    let old = fill(&node);
    let new = TcpStream::connect(format!("127.0.0.1:{}", node.p2p_port)).unwrap();
    new.set_nonblocking(true).unwrap();
    wait_until("an eviction", || {
        old.iter().filter(|s| closed(s)).count() == 1
    });
    let log = node.debug_log();
    assert!(log.contains("selected inbound connection for eviction peer="));
    assert!(!log.contains("failed to find an eviction candidate"));
    wait_until("the new peer in place of the evicted one", || {
        let p = peers(&node);
        p.len() == MAX_INBOUND && p.iter().any(|p| p["id"] == MAX_INBOUND)
    });
    assert!(!closed(&new));
    assert_eq!(old.iter().filter(|s| closed(s)).count(), 1);
}

#[test]
fn noban_peers_are_not_evicted() {
    let node = start(
        options()
            .arg("-bind=127.0.0.1")
            .arg("-maxconnections=32")
            .arg("-whitelist=noban@127.0.0.1")
            .arg("-debug=net"),
    );
    let old = fill(&node);
    let new = TcpStream::connect(format!("127.0.0.1:{}", node.p2p_port)).unwrap();
    new.set_nonblocking(true).unwrap();
    wait_until("the new connection dropped", || closed(&new));
    assert!(node
        .debug_log()
        .contains("failed to find an eviction candidate - connection dropped (full)"));
    assert_eq!(peers(&node).len(), MAX_INBOUND);
    assert!(old.iter().all(|s| !closed(s)));
}
