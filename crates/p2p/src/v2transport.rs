//! BIP324 v2 transport (Core's `V2Transport` in `net.cpp` and `bip324.cpp`),
//! with Widecoin's HKDF salt `"widecoin_v2_shared_secret" ‖ magic`.
//!
//! Sans-IO: a [`V2Transport`] takes received bytes and hands out decrypted
//! messages, and takes messages to send and hands out bytes for the socket.
//! Connections drive it through `sender.rs` (`-v2transport`).
//!
//! # Wiring it into a connection
//!
//! ```text
//! let mut t = V2Transport::new(peer_id, /*initiating=*/outbound, magic);
//! // send side: whenever the socket is writable
//! let out = t.bytes_to_send();            // key + garbage first, then packets
//! let n = sock.write(out)?; t.mark_bytes_sent(n);
//! // queueing a message: only when the previous one is fully sent
//! if t.can_send_message() { t.set_message_to_send("ping", &payload); }
//! // receive side: for every chunk read from the socket
//! let mut data: &[u8] = &buf[..n];
//! while !data.is_empty() {
//!     t.received_bytes(&mut data)?;       // Err => disconnect (already logged)
//!     if t.is_v1_fallback() {             // inbound peer speaks v1
//!         v1.feed(&t.take_v1_bytes());    // the 16 bytes already consumed
//!         v1.feed(data); /* use v1 framing from now on */ break;
//!     }
//!     if t.received_message_complete() {
//!         match t.get_received_message() {
//!             Ok(msg) => process(msg.msg_type, msg.payload),
//!             Err(rejected) => {}         // Core drops it (logged), keeps the peer
//!         }
//!     }
//! }
//! ```
//!
//! Outbound v2 connections to v1-only peers: when the socket closes and
//! [`V2Transport::should_reconnect_v1`] is true, Core reconnects with v1
//! ("retrying with v1 transport protocol for peer=%d"). `getpeerinfo`'s
//! `transport_protocol_type` and `session_id` come from [`V2Transport::info`].
//! Inbound listeners with `-v2transport` create every transport as a
//! responder (`initiating = false`); it falls back to v1 when the first 16
//! bytes are our magic followed by `"version\0\0\0\0\0"`.

mod cipher;
mod msgtype;

pub use cipher::{
    salt, widecoin_salt, Bip324Cipher, FsChaCha20, FsChaCha20Poly1305, BITCOIN_SALT_PREFIX,
    ELLSWIFT_PUBKEY_LEN, EXPANSION, GARBAGE_TERMINATOR_LEN, IGNORE_BIT, LENGTH_LEN, REKEY_INTERVAL,
    SESSION_ID_LEN, WIDECOIN_SALT_PREFIX,
};
pub use msgtype::{decode_contents, encode_contents, short_id, COMMAND_SIZE, V2_MESSAGE_IDS};

use bitcoin::secp256k1::rand::{thread_rng, Rng, RngCore};
use bitcoin::secp256k1::SecretKey;

/// `V2Transport::MAX_GARBAGE_LEN`.
pub const MAX_GARBAGE_LEN: usize = 4095;
/// `V2Transport::V1_PREFIX_LEN`: bytes of a v1 `version` header that decide
/// between v1 and v2 on inbound connections.
pub const V1_PREFIX_LEN: usize = 16;
/// `CMessageHeader::HEADER_SIZE`: once this much is sent, a v1 peer would
/// have disconnected us for a bad header.
const V1_HEADER_SIZE: usize = 24;
/// `MAX_SIZE` of serialize.h.
const MAX_SIZE: usize = 0x0200_0000;
/// Largest packet contents accepted: type byte, 12-byte command, payload.
pub const MAX_CONTENTS_LEN: usize = 1
    + COMMAND_SIZE
    + if MAX_SIZE < MAX_PROTOCOL_MESSAGE_LENGTH {
        MAX_SIZE
    } else {
        MAX_PROTOCOL_MESSAGE_LENGTH
    };
const MAX_PROTOCOL_MESSAGE_LENGTH: usize = crate::MAX_PROTOCOL_MESSAGE_LENGTH as usize;
const VERSION_MATCH: [u8; 12] = *b"version\0\0\0\0\0";

/// Why a v2 connection must be closed. The `Display` text is Core's log line
/// after `"V2 transport error: "` (the connection logs it, see
/// `FrameError::V2`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum V2TransportError {
    /// An inbound peer sent a v1 `version` header with another network's
    /// magic.
    #[error("V1 peer with wrong MessageStart {0}")]
    WrongMessageStart(String),
    /// No garbage terminator within 4095 + 16 bytes.
    #[error("missing garbage terminator")]
    MissingGarbageTerminator,
    /// A packet's decrypted length exceeds [`MAX_CONTENTS_LEN`].
    #[error("packet too large ({0} bytes)")]
    PacketTooLarge(u32),
    /// A packet failed authentication.
    #[error("packet decryption failure ({0} bytes)")]
    DecryptionFailure(u32),
}

/// A message taken out of the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Message {
    /// The command (`ping`, `version`, ...).
    pub msg_type: String,
    /// The payload.
    pub payload: Vec<u8>,
    /// Bytes it took on the wire (`m_raw_message_size`), for byte counters.
    pub raw_size: usize,
}

/// A packet with an invalid message type (Core's `reject_message`): dropped
/// without disconnecting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedMessage {
    /// Bytes it took on the wire.
    pub raw_size: usize,
}

/// What `getpeerinfo` reports (`Transport::Info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportInfo {
    /// Still in the handshake (`"detecting"`).
    Detecting,
    /// Fell back to v1 (`"v1"`).
    V1,
    /// Version packet received (`"v2"`), with the session id.
    V2 {
        /// The BIP324 session id.
        session_id: [u8; SESSION_ID_LEN],
    },
}

impl TransportInfo {
    /// `transport_protocol_type` as `getpeerinfo` shows it.
    pub fn protocol_type(&self) -> &'static str {
        match self {
            TransportInfo::Detecting => "detecting",
            TransportInfo::V1 => "v1",
            TransportInfo::V2 { .. } => "v2",
        }
    }

    /// `session_id` as `getpeerinfo` shows it: the bytes in order as hex,
    /// or `""` when not (yet) v2.
    pub fn session_id_hex(&self) -> String {
        match self {
            TransportInfo::V2 { session_id } => {
                session_id.iter().map(|b| format!("{b:02x}")).collect()
            }
            _ => String::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RecvState {
    KeyMaybeV1,
    Key,
    GarbGarbterm,
    Version,
    App,
    AppReady,
    V1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SendState {
    MaybeV1,
    AwaitingKey,
    Ready,
    V1,
}

/// One side of a BIP324 connection (see the module docs for its use).
pub struct V2Transport {
    cipher: Bip324Cipher,
    initiating: bool,
    peer_id: i64,
    magic: [u8; 4],
    salt: Vec<u8>,
    recv_state: RecvState,
    recv_len: u32,
    recv_buffer: Vec<u8>,
    recv_aad: Vec<u8>,
    recv_decoded: Vec<u8>,
    send_state: SendState,
    send_buffer: Vec<u8>,
    send_pos: usize,
    send_garbage: Vec<u8>,
    send_type: String,
    sent_v1_header_worth: bool,
    v1_bytes: Vec<u8>,
}

impl V2Transport {
    /// A transport with a fresh key and 0 to 4095 bytes of random garbage,
    /// using Widecoin's salt for the network with message start `magic`.
    pub fn new(peer_id: i64, initiating: bool, magic: [u8; 4]) -> Self {
        let mut rng = thread_rng();
        let key = SecretKey::new(&mut rng);
        let mut ent32 = [0u8; 32];
        rng.fill_bytes(&mut ent32);
        let mut garbage = vec![0u8; rng.gen_range(0..=MAX_GARBAGE_LEN)];
        rng.fill_bytes(&mut garbage);
        Self::with_params(
            peer_id,
            initiating,
            magic,
            widecoin_salt(magic),
            key,
            ent32,
            garbage,
        )
    }

    /// A transport with given salt, key, key-encoding entropy and garbage.
    pub fn with_params(
        peer_id: i64,
        initiating: bool,
        magic: [u8; 4],
        salt: Vec<u8>,
        key: SecretKey,
        ent32: [u8; 32],
        garbage: Vec<u8>,
    ) -> Self {
        assert!(
            garbage.len() <= MAX_GARBAGE_LEN,
            "at most 4095 bytes of garbage"
        );
        let mut t = Self {
            cipher: Bip324Cipher::new(key, ent32),
            initiating,
            peer_id,
            magic,
            salt,
            recv_state: if initiating {
                RecvState::Key
            } else {
                RecvState::KeyMaybeV1
            },
            recv_len: 0,
            recv_buffer: Vec::new(),
            recv_aad: Vec::new(),
            recv_decoded: Vec::new(),
            send_state: if initiating {
                SendState::AwaitingKey
            } else {
                SendState::MaybeV1
            },
            send_buffer: Vec::new(),
            send_pos: 0,
            send_garbage: garbage,
            send_type: String::new(),
            sent_v1_header_worth: false,
            v1_bytes: Vec::new(),
        };
        if initiating {
            t.start_sending_handshake();
        }
        t
    }

    /// Puts our public key and garbage in the send buffer.
    fn start_sending_handshake(&mut self) {
        debug_assert!(self.send_buffer.is_empty());
        self.send_buffer
            .extend_from_slice(&self.cipher.our_pubkey());
        self.send_buffer.extend_from_slice(&self.send_garbage);
    }

    /// Whether this (inbound) transport found a v1 peer. From then on the
    /// connection uses v1 framing: feed it [`Self::take_v1_bytes`] first.
    pub fn is_v1_fallback(&self) -> bool {
        self.recv_state == RecvState::V1
    }

    /// The bytes consumed before the v1 peer was recognised (the start of its
    /// `version` header); empty afterwards.
    pub fn take_v1_bytes(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.v1_bytes)
    }

    /// Whether a decrypted message waits for [`Self::get_received_message`].
    pub fn received_message_complete(&self) -> bool {
        self.recv_state == RecvState::AppReady
    }

    fn max_bytes_to_process(&self) -> usize {
        match self.recv_state {
            RecvState::KeyMaybeV1 => V1_PREFIX_LEN - self.recv_buffer.len(),
            RecvState::Key => ELLSWIFT_PUBKEY_LEN - self.recv_buffer.len(),
            RecvState::GarbGarbterm => 1,
            RecvState::Version | RecvState::App => {
                if self.recv_buffer.len() < LENGTH_LEN {
                    LENGTH_LEN - self.recv_buffer.len()
                } else {
                    EXPANSION + self.recv_len as usize - self.recv_buffer.len()
                }
            }
            RecvState::AppReady | RecvState::V1 => 0,
        }
    }

    /// Consumes bytes from the front of `data` (`ReceivedBytes`). Stops early
    /// when a message is complete or a v1 peer was recognised; the rest stays
    /// in `data`. An error means the connection must be closed.
    pub fn received_bytes(&mut self, data: &mut &[u8]) -> Result<(), V2TransportError> {
        while !data.is_empty() {
            if matches!(self.recv_state, RecvState::V1 | RecvState::AppReady) {
                return Ok(());
            }
            let n = self.max_bytes_to_process().min(data.len());
            self.recv_buffer.extend_from_slice(&data[..n]);
            *data = &data[n..];
            let result = match self.recv_state {
                RecvState::KeyMaybeV1 => {
                    self.process_maybe_v1_bytes();
                    Ok(())
                }
                RecvState::Key => self.process_key_bytes(),
                RecvState::GarbGarbterm => self.process_garbage_bytes(),
                RecvState::Version | RecvState::App => self.process_packet_bytes(),
                RecvState::AppReady | RecvState::V1 => unreachable!("checked above"),
            };
            result?;
        }
        Ok(())
    }

    fn process_maybe_v1_bytes(&mut self) {
        let mut prefix = [0u8; V1_PREFIX_LEN];
        prefix[..4].copy_from_slice(&self.magic);
        prefix[4..].copy_from_slice(&VERSION_MATCH);
        if self.recv_buffer[..] != prefix[..self.recv_buffer.len()] {
            // Not v1: keep the bytes as the start of the peer's key.
            self.recv_state = RecvState::Key;
            self.send_state = SendState::AwaitingKey;
            self.start_sending_handshake();
        } else if self.recv_buffer.len() == V1_PREFIX_LEN {
            self.recv_state = RecvState::V1;
            self.send_state = SendState::V1;
            self.v1_bytes = std::mem::take(&mut self.recv_buffer);
            self.send_buffer = Vec::new();
        }
    }

    fn process_key_bytes(&mut self) -> Result<(), V2TransportError> {
        const OFFSET: usize = 4;
        if !self.initiating
            && self.recv_buffer.len() >= OFFSET + VERSION_MATCH.len()
            && self.recv_buffer[OFFSET..OFFSET + VERSION_MATCH.len()] == VERSION_MATCH
        {
            let magic: String = self.recv_buffer[..OFFSET]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            return Err(V2TransportError::WrongMessageStart(magic));
        }
        if self.recv_buffer.len() == ELLSWIFT_PUBKEY_LEN {
            let theirs: [u8; ELLSWIFT_PUBKEY_LEN] =
                self.recv_buffer[..].try_into().expect("64 bytes");
            self.cipher
                .initialize(&theirs, self.initiating, false, &self.salt);
            self.recv_state = RecvState::GarbGarbterm;
            self.recv_buffer.clear();
            self.send_state = SendState::Ready;
            self.send_buffer
                .extend_from_slice(self.cipher.send_garbage_terminator());
            let garbage = std::mem::take(&mut self.send_garbage);
            let version = self.cipher.encrypt(&[], &garbage, false);
            self.send_buffer.extend_from_slice(&version);
        }
        Ok(())
    }

    fn process_garbage_bytes(&mut self) -> Result<(), V2TransportError> {
        let len = self.recv_buffer.len();
        if len >= GARBAGE_TERMINATOR_LEN {
            if self.recv_buffer[len - GARBAGE_TERMINATOR_LEN..]
                == self.cipher.recv_garbage_terminator()[..]
            {
                let mut aad = std::mem::take(&mut self.recv_buffer);
                aad.truncate(len - GARBAGE_TERMINATOR_LEN);
                self.recv_aad = aad;
                self.recv_state = RecvState::Version;
            } else if len == MAX_GARBAGE_LEN + GARBAGE_TERMINATOR_LEN {
                return Err(V2TransportError::MissingGarbageTerminator);
            }
        }
        Ok(())
    }

    fn process_packet_bytes(&mut self) -> Result<(), V2TransportError> {
        let len = self.recv_buffer.len();
        if len == LENGTH_LEN {
            let field: [u8; LENGTH_LEN] = self.recv_buffer[..].try_into().expect("3 bytes");
            self.recv_len = self.cipher.decrypt_length(&field);
            if self.recv_len as usize > MAX_CONTENTS_LEN {
                return Err(V2TransportError::PacketTooLarge(self.recv_len));
            }
        } else if len > LENGTH_LEN && len == self.recv_len as usize + EXPANSION {
            let aad = std::mem::take(&mut self.recv_aad);
            let Some((ignore, contents)) =
                self.cipher.decrypt(&self.recv_buffer[LENGTH_LEN..], &aad)
            else {
                return Err(V2TransportError::DecryptionFailure(self.recv_len));
            };
            self.recv_buffer = Vec::new();
            if !ignore {
                match self.recv_state {
                    RecvState::Version => self.recv_state = RecvState::App,
                    RecvState::App => {
                        self.recv_decoded = contents;
                        self.recv_state = RecvState::AppReady;
                    }
                    _ => unreachable!("only called in Version and App"),
                }
            }
        }
        Ok(())
    }

    /// Takes the decrypted message (`GetReceivedMessage`); only valid while
    /// [`Self::received_message_complete`]. An invalid message type gives
    /// [`RejectedMessage`] (the caller logs it; Core keeps the connection).
    pub fn get_received_message(&mut self) -> Result<V2Message, RejectedMessage> {
        assert_eq!(
            self.recv_state,
            RecvState::AppReady,
            "a message is complete"
        );
        self.recv_state = RecvState::App;
        let contents = std::mem::take(&mut self.recv_decoded);
        let raw_size = contents.len() + EXPANSION;
        match decode_contents(&contents) {
            Some((msg_type, payload)) => Ok(V2Message {
                msg_type,
                payload: payload.to_vec(),
                raw_size,
            }),
            None => Err(RejectedMessage { raw_size }),
        }
    }

    /// Whether [`Self::set_message_to_send`] would accept a message now: the
    /// handshake is far enough and the previous message is fully sent.
    pub fn can_send_message(&self) -> bool {
        self.send_state == SendState::Ready && self.send_buffer.is_empty()
    }

    /// Encrypts one message into the send buffer (`SetMessageToSend`);
    /// `false` (nothing done) unless [`Self::can_send_message`].
    pub fn set_message_to_send(&mut self, msg_type: &str, payload: &[u8]) -> bool {
        if !self.can_send_message() {
            return false;
        }
        let contents = encode_contents(msg_type, payload);
        self.send_buffer = self.cipher.encrypt(&contents, &[], false);
        self.send_type = msg_type.to_string();
        true
    }

    /// Queues a decoy packet of `len` random bytes, which the peer decrypts
    /// and ignores. Core never sends decoys; this is for tests and traffic
    /// shaping. Same precondition as [`Self::set_message_to_send`].
    pub fn set_decoy_to_send(&mut self, len: usize) -> bool {
        if !self.can_send_message() {
            return false;
        }
        let mut contents = vec![0u8; len];
        thread_rng().fill_bytes(&mut contents);
        self.send_buffer = self.cipher.encrypt(&contents, &[], true);
        self.send_type = String::new();
        true
    }

    /// The bytes waiting to be written to the socket.
    pub fn bytes_to_send(&self) -> &[u8] {
        &self.send_buffer[self.send_pos..]
    }

    /// The type of the message in the send buffer (for per-type byte
    /// counters), empty for handshake bytes and decoys.
    pub fn send_msg_type(&self) -> &str {
        &self.send_type
    }

    /// Records that `n` bytes of [`Self::bytes_to_send`] were written.
    pub fn mark_bytes_sent(&mut self, n: usize) {
        if self.send_state == SendState::AwaitingKey && self.send_pos == 0 && n > 0 {
            tracing::debug!(target: "net", "start sending v2 handshake to peer={}", self.peer_id);
        }
        self.send_pos += n;
        assert!(
            self.send_pos <= self.send_buffer.len(),
            "cannot send more than buffered"
        );
        if self.send_pos >= V1_HEADER_SIZE {
            self.sent_v1_header_worth = true;
        }
        if self.send_pos == self.send_buffer.len() {
            self.send_pos = 0;
            self.send_buffer = Vec::new();
            self.send_type.clear();
        }
    }

    /// Whether an outbound connection that closed now should be retried
    /// with v1 (`ShouldReconnectV1`): we sent at least a v1 header's worth
    /// of handshake and received nothing back.
    pub fn should_reconnect_v1(&self) -> bool {
        self.initiating
            && self.recv_state == RecvState::Key
            && self.recv_buffer.is_empty()
            && self.sent_v1_header_worth
    }

    /// `Transport::GetInfo`.
    pub fn info(&self) -> TransportInfo {
        match self.recv_state {
            RecvState::V1 => TransportInfo::V1,
            RecvState::App | RecvState::AppReady => TransportInfo::V2 {
                session_id: *self.cipher.session_id(),
            },
            _ => TransportInfo::Detecting,
        }
    }
}

#[cfg(test)]
mod tests;
