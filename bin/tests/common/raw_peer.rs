//! A raw v1 P2P client for the process tests: the version handshake over a
//! loopback socket, then messages by command with the node's framing.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use widecoin_p2p::framing::{decode_frame, encode_raw, Frame};
use widecoin_test_utils::TestNode;

/// Regtest's message start.
pub const MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

/// How long a wait on the node lasts before the test fails.
const LIMIT: Duration = Duration::from_secs(60);

/// What our `version` message says.
#[derive(Clone, Copy, Debug)]
pub struct Handshake {
    pub version: i32,
    pub services: u64,
    pub nonce: u64,
    /// `fRelay`: whether the node may announce transactions to us.
    pub relay: bool,
}

impl Default for Handshake {
    fn default() -> Self {
        Handshake {
            version: 70016,
            services: 0,
            nonce: 0x5eed,
            relay: false,
        }
    }
}

impl Handshake {
    pub fn services(mut self, services: u64) -> Self {
        self.services = services;
        self
    }

    pub fn relay(mut self, relay: bool) -> Self {
        self.relay = relay;
        self
    }

    /// The `version` payload: no addresses, no user agent, start height 0.
    pub fn payload(&self) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend(self.version.to_le_bytes());
        p.extend(self.services.to_le_bytes());
        p.extend(0i64.to_le_bytes()); // time
        p.extend([0u8; 26]); // addr_recv
        p.extend([0u8; 26]); // addr_from
        p.extend(self.nonce.to_le_bytes());
        p.push(0); // user agent
        p.extend(0i32.to_le_bytes()); // start height
        p.push(u8::from(self.relay));
        p
    }
}

/// An inbound peer of a node, past the handshake.
pub struct RawPeer {
    stream: TcpStream,
    buf: Vec<u8>,
    /// The node's debug.log, shown when the node does not do what we wait for.
    log: PathBuf,
    /// The services of the node's `version`.
    pub services: u64,
}

impl RawPeer {
    /// Connects with the default [`Handshake`].
    pub fn connect(node: &TestNode) -> RawPeer {
        RawPeer::connect_with(node, Handshake::default())
    }

    /// Connects, sends `version`, waits for the node's `version` and
    /// `verack`, and sends `verack`.
    pub fn connect_with(node: &TestNode, handshake: Handshake) -> RawPeer {
        let stream = TcpStream::connect(("127.0.0.1", node.p2p_port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut peer = RawPeer {
            stream,
            buf: Vec::new(),
            log: node.net_dir().join("debug.log"),
            services: 0,
        };
        peer.send("version", &handshake.payload());
        let version = peer.wait_for("version");
        peer.services = u64::from_le_bytes(version[4..12].try_into().unwrap());
        peer.wait_for("verack");
        peer.send("verack", &[]);
        peer
    }

    /// Writes `bytes` as they are; a closed connection is not an error
    /// here (the next read sees it).
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes);
    }

    pub fn send(&mut self, command: &str, payload: &[u8]) {
        self.send_bytes(&encode_raw(MAGIC, command, payload));
    }

    /// `getdata` for one item of `inv_type`, `hash` in RPC (reversed) hex.
    pub fn send_getdata(&mut self, inv_type: u32, hash: &str) {
        let mut payload = vec![1u8];
        payload.extend(inv_type.to_le_bytes());
        let mut bytes = hex::decode(hash).unwrap();
        bytes.reverse();
        payload.extend(bytes);
        self.send("getdata", &payload);
    }

    fn debug_log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Reads more bytes into the buffer; `false` when the node closed the
    /// connection.
    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 65536];
        match self.stream.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) => matches!(
                e.kind(),
                ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
            ),
        }
    }

    /// Skips messages until one of `command` arrives (its payload), or
    /// `None` when the node closes the connection first.
    pub fn next(&mut self, command: &str) -> Option<Vec<u8>> {
        let start = Instant::now();
        loop {
            while let Some(frame) = decode_frame(&mut self.buf, MAGIC).expect("a valid frame") {
                if let Frame::Message {
                    command: c,
                    payload,
                    ..
                } = frame
                {
                    if c == command {
                        return Some(payload);
                    }
                }
            }
            if start.elapsed() > LIMIT {
                panic!(
                    "neither {command} nor a disconnection; debug.log:\n{}",
                    self.debug_log()
                );
            }
            if !self.fill() {
                return None;
            }
        }
    }

    /// Skips messages until one of `command` arrives; its payload.
    pub fn wait_for(&mut self, command: &str) -> Vec<u8> {
        self.next(command)
            .unwrap_or_else(|| panic!("disconnected while waiting for {command}"))
    }

    /// Sends `ping` with `nonce` and waits for its `pong`: everything sent
    /// before has been processed.
    pub fn ping_pong(&mut self, nonce: u64) {
        self.send("ping", &nonce.to_le_bytes());
        while self.wait_for("pong") != nonce.to_le_bytes() {}
    }

    /// [`RawPeer::ping_pong`] with a fixed nonce.
    pub fn sync_with_ping(&mut self) {
        self.ping_pong(0x5eed);
    }

    /// Waits for the node to close the connection, ignoring what it sends.
    pub fn wait_for_disconnect(&mut self) {
        let start = Instant::now();
        while self.fill() {
            self.buf.clear();
            if start.elapsed() > LIMIT {
                panic!("still connected; debug.log:\n{}", self.debug_log());
            }
        }
    }
}
