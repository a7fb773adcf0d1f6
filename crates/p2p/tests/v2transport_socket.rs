//! The v2 transport driven over real loopback sockets the way the module
//! docs tell the connection code to use it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use widecoin_p2p::v2transport::{TransportInfo, V2Message, V2Transport};

const REGTEST_MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

/// What a connection loop sees from the transport.
enum Event {
    Message(V2Message),
    V1Detected { consumed: Vec<u8>, rest: Vec<u8> },
}

/// Writes everything the transport has to send.
fn flush(t: &mut V2Transport, sock: &mut TcpStream) {
    while !t.bytes_to_send().is_empty() {
        let n = sock.write(t.bytes_to_send()).unwrap();
        t.mark_bytes_sent(n);
    }
}

/// Reads until the transport yields a message or detects v1, flushing
/// whatever the handshake queues on the way.
fn next_event(t: &mut V2Transport, sock: &mut TcpStream, pending: &mut Vec<u8>) -> Event {
    loop {
        let mut data: &[u8] = pending;
        while !data.is_empty() || t.received_message_complete() {
            t.received_bytes(&mut data).expect("valid v2 stream");
            if t.is_v1_fallback() {
                let rest = data.to_vec();
                pending.clear();
                return Event::V1Detected {
                    consumed: t.take_v1_bytes(),
                    rest,
                };
            }
            if t.received_message_complete() {
                let msg = t.get_received_message().expect("valid message type");
                *pending = data.to_vec();
                return Event::Message(msg);
            }
        }
        pending.clear();
        flush(t, sock);
        let mut buf = [0u8; 1024];
        let n = sock.read(&mut buf).unwrap();
        assert!(n > 0, "peer closed");
        pending.extend_from_slice(&buf[..n]);
    }
}

fn send(t: &mut V2Transport, sock: &mut TcpStream, msg_type: &str, payload: &[u8]) {
    flush(t, sock);
    assert!(t.set_message_to_send(msg_type, payload));
    flush(t, sock);
}

#[test]
fn v2_peers_exchange_messages_over_tcp() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut t = V2Transport::new(2, false, REGTEST_MAGIC);
        let mut pending = Vec::new();
        let Event::Message(version) = next_event(&mut t, &mut sock, &mut pending) else {
            panic!("expected a v2 peer");
        };
        assert_eq!(version.msg_type, "version");
        send(&mut t, &mut sock, "version", b"server version");
        let Event::Message(ping) = next_event(&mut t, &mut sock, &mut pending) else {
            panic!("expected ping");
        };
        assert_eq!(ping.msg_type, "ping");
        send(&mut t, &mut sock, "pong", &ping.payload);
        t.info()
    });

    let mut sock = TcpStream::connect(addr).unwrap();
    let mut t = V2Transport::new(1, true, REGTEST_MAGIC);
    let mut pending = Vec::new();
    flush(&mut t, &mut sock);
    // The version message can only go once the peer's key arrived.
    while !t.can_send_message() {
        let mut buf = [0u8; 64];
        let n = sock.read(&mut buf).unwrap();
        let mut data = &buf[..n];
        t.received_bytes(&mut data).unwrap();
        pending.extend_from_slice(data);
        flush(&mut t, &mut sock);
    }
    send(&mut t, &mut sock, "version", b"client version");
    let Event::Message(version) = next_event(&mut t, &mut sock, &mut pending) else {
        panic!("expected version");
    };
    assert_eq!(version.payload, b"server version");
    send(&mut t, &mut sock, "ping", &42u64.to_le_bytes());
    let Event::Message(pong) = next_event(&mut t, &mut sock, &mut pending) else {
        panic!("expected pong");
    };
    assert_eq!(pong.msg_type, "pong");
    assert_eq!(pong.payload, 42u64.to_le_bytes());

    let server_info = server.join().unwrap();
    let TransportInfo::V2 { session_id } = t.info() else {
        panic!("v2 expected")
    };
    assert_eq!(server_info, TransportInfo::V2 { session_id });
}

#[test]
fn v1_peer_falls_back_over_tcp() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut header = REGTEST_MAGIC.to_vec();
    header.extend_from_slice(b"version\0\0\0\0\0");
    header.extend_from_slice(&[4, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd, 1, 2, 3, 4]);
    let expected = header.clone();
    let server = thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut t = V2Transport::new(2, false, REGTEST_MAGIC);
        let mut pending = Vec::new();
        match next_event(&mut t, &mut sock, &mut pending) {
            Event::V1Detected { consumed, rest } => {
                assert!(t.bytes_to_send().is_empty(), "nothing v2 was sent");
                assert_eq!(t.info(), TransportInfo::V1);
                let mut all = consumed;
                all.extend(rest);
                // Read the rest of the v1 message the way v1 framing would.
                while all.len() < expected.len() {
                    let mut buf = [0u8; 64];
                    let n = sock.read(&mut buf).unwrap();
                    all.extend_from_slice(&buf[..n]);
                }
                assert_eq!(all, expected);
            }
            Event::Message(_) => panic!("v1 peer not detected"),
        }
    });
    let mut sock = TcpStream::connect(addr).unwrap();
    // Sent in two writes, across the 16-byte decision point.
    sock.write_all(&header[..10]).unwrap();
    sock.flush().unwrap();
    sock.write_all(&header[10..]).unwrap();
    server.join().unwrap();
}
