//! The v1 transport (Core's `V1Transport`): `magic(4) command(12) length(4)
//! checksum(4)` then the payload.

use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::p2p::message::{NetworkMessage, RawNetworkMessage};
use bitcoin::p2p::Magic;

/// `MAX_PROTOCOL_MESSAGE_LENGTH`: 4,000,000 bytes.
pub const MAX_PROTOCOL_MESSAGE_LENGTH: u32 = 4_000_000;
/// The size of a message header.
pub const HEADER_SIZE: usize = 24;

/// Why the byte stream cannot go on: Core disconnects the peer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Core's "Header error: Wrong MessageStart".
    #[error("Header error: Wrong MessageStart {} received", hex(.0))]
    WrongMagic([u8; 4]),
    /// Core's "Header error: Size too large".
    #[error("Header error: Size too large ({command}, {size} bytes)")]
    TooLarge { command: String, size: u32 },
    /// A BIP324 connection failed (Core's "V2 transport error: ...").
    #[error("V2 transport error: {0}")]
    V2(crate::v2transport::V2TransportError),
}

/// One complete message out of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A message whose checksum and type are valid; `size` is what it took
    /// on the wire (Core's `m_raw_message_size`).
    Message {
        command: String,
        payload: Vec<u8>,
        size: usize,
    },
    /// Core drops it and keeps the connection (`reject_message`); the text is
    /// Core's log line without the peer.
    Rejected { reason: String, size: usize },
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first four bytes of the payload's double SHA-256.
pub fn checksum(payload: &[u8]) -> [u8; 4] {
    let h = sha256d::Hash::hash(payload).to_byte_array();
    [h[0], h[1], h[2], h[3]]
}

/// The command of a header: printable ASCII, then only NULs (Core's
/// `CMessageHeader::IsCommandValid`); `None` when invalid.
fn command_of(raw: &[u8]) -> Option<String> {
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    if raw[end..].iter().any(|&b| b != 0) || !raw[..end].iter().all(|&b| (b' '..=0x7e).contains(&b))
    {
        return None;
    }
    Some(String::from_utf8_lossy(&raw[..end]).into_owned())
}

/// Core's `SanitizeString` with `SAFE_CHARS_DEFAULT`.
pub fn sanitize_string(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || " .,;-_/:?@()".contains(*c))
        .collect()
}

/// Takes one frame off the front of `buf`, if it holds a whole one.
pub fn decode_frame(buf: &mut Vec<u8>, magic: [u8; 4]) -> Result<Option<Frame>, FrameError> {
    if buf.len() < HEADER_SIZE {
        return Ok(None);
    }
    let header: [u8; HEADER_SIZE] = buf[..HEADER_SIZE].try_into().expect("24 bytes");
    let got_magic: [u8; 4] = header[..4].try_into().expect("4 bytes");
    if got_magic != magic {
        return Err(FrameError::WrongMagic(got_magic));
    }
    let raw_command: &[u8] = &header[4..16];
    let size = u32::from_le_bytes(header[16..20].try_into().expect("4 bytes"));
    if size > MAX_PROTOCOL_MESSAGE_LENGTH {
        let end = raw_command.iter().position(|&b| b == 0).unwrap_or(12);
        return Err(FrameError::TooLarge {
            command: sanitize_string(&String::from_utf8_lossy(&raw_command[..end])),
            size,
        });
    }
    let total = HEADER_SIZE + size as usize;
    if buf.len() < total {
        return Ok(None);
    }
    let expected: [u8; 4] = header[20..24].try_into().expect("4 bytes");
    let command = command_of(raw_command);
    let payload = buf[HEADER_SIZE..total].to_vec();
    buf.drain(..total);
    let display = |c: &Option<String>| {
        c.clone().unwrap_or_else(|| {
            let end = raw_command.iter().position(|&b| b == 0).unwrap_or(12);
            sanitize_string(&String::from_utf8_lossy(&raw_command[..end]))
        })
    };
    let actual = checksum(&payload);
    if actual != expected {
        return Ok(Some(Frame::Rejected {
            reason: format!(
                "Header error: Wrong checksum ({}, {size} bytes), expected {} was {}",
                display(&command),
                hex(&actual),
                hex(&expected)
            ),
            size: total,
        }));
    }
    match command {
        Some(command) => Ok(Some(Frame::Message {
            command,
            payload,
            size: total,
        })),
        None => Ok(Some(Frame::Rejected {
            reason: format!(
                "Header error: Invalid message type ({}, {size} bytes)",
                display(&None)
            ),
            size: total,
        })),
    }
}

/// Serialises a message with its header.
pub fn encode_message(magic: [u8; 4], msg: NetworkMessage) -> Vec<u8> {
    serialize(&RawNetworkMessage::new(Magic::from_bytes(magic), msg))
}

/// A message with an arbitrary command and payload (for tests of peers that
/// misbehave).
pub fn encode_raw(magic: [u8; 4], command: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_SIZE + payload.len());
    out.extend_from_slice(&magic);
    let mut cmd = [0u8; 12];
    cmd[..command.len()].copy_from_slice(command.as_bytes());
    out.extend_from_slice(&cmd);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&checksum(payload));
    out.extend_from_slice(payload);
    out
}

/// Core's `getAllNetMessageTypes` (v26): bytes of other types are counted
/// under `*other*`.
pub const ALL_NET_MESSAGE_TYPES: [&str; 36] = [
    "version",
    "verack",
    "addr",
    "addrv2",
    "sendaddrv2",
    "inv",
    "getdata",
    "merkleblock",
    "getblocks",
    "getheaders",
    "tx",
    "headers",
    "block",
    "getaddr",
    "mempool",
    "ping",
    "pong",
    "notfound",
    "filterload",
    "filteradd",
    "filterclear",
    "sendheaders",
    "feefilter",
    "sendcmpct",
    "cmpctblock",
    "getblocktxn",
    "blocktxn",
    "getcfilters",
    "cfilter",
    "getcfheaders",
    "cfheaders",
    "getcfcheckpt",
    "cfcheckpt",
    "wtxidrelay",
    "sendtxrcncl",
    "*other*",
];

/// `NET_MESSAGE_TYPE_OTHER`.
pub const NET_MESSAGE_TYPE_OTHER: &str = "*other*";

/// The key bytes of a message of this type are counted under.
pub fn stats_key(command: &str) -> &'static str {
    ALL_NET_MESSAGE_TYPES
        .iter()
        .find(|t| **t == command)
        .copied()
        .unwrap_or(NET_MESSAGE_TYPE_OTHER)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGTEST: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

    #[test]
    fn round_trip_ping() {
        let mut buf = encode_message(REGTEST, NetworkMessage::Ping(7));
        assert_eq!(buf, encode_raw(REGTEST, "ping", &7u64.to_le_bytes()));
        let frame = decode_frame(&mut buf, REGTEST).unwrap().unwrap();
        assert_eq!(
            frame,
            Frame::Message {
                command: "ping".into(),
                payload: 7u64.to_le_bytes().to_vec(),
                size: 32,
            }
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn partial_frames_wait() {
        let full = encode_raw(REGTEST, "pong", &[1, 2, 3, 4, 5, 6, 7, 8]);
        let mut buf = full[..30].to_vec();
        assert_eq!(decode_frame(&mut buf, REGTEST).unwrap(), None);
        assert_eq!(buf.len(), 30);
    }

    #[test]
    fn wrong_magic_and_oversize_are_fatal() {
        let mut buf = encode_raw([1, 2, 3, 4], "ping", &[0; 8]);
        assert_eq!(
            decode_frame(&mut buf, REGTEST).unwrap_err().to_string(),
            "Header error: Wrong MessageStart 01020304 received"
        );
        let mut buf = encode_raw(REGTEST, "block", &[]);
        buf[16..20].copy_from_slice(&4_000_001u32.to_le_bytes());
        assert_eq!(
            decode_frame(&mut buf, REGTEST).unwrap_err().to_string(),
            "Header error: Size too large (block, 4000001 bytes)"
        );
        // Exactly the limit is fine (waits for the payload).
        buf[16..20].copy_from_slice(&4_000_000u32.to_le_bytes());
        assert_eq!(decode_frame(&mut buf, REGTEST).unwrap(), None);
    }

    #[test]
    fn bad_checksum_and_bad_type_are_dropped() {
        let mut buf = encode_raw(REGTEST, "ping", &[0; 8]);
        buf[20] ^= 0xff;
        buf.extend(encode_raw(REGTEST, "pi\x01g", &[]));
        let Some(Frame::Rejected { reason, size }) = decode_frame(&mut buf, REGTEST).unwrap()
        else {
            panic!("rejected")
        };
        assert!(reason.starts_with("Header error: Wrong checksum (ping, 8 bytes), expected "));
        assert_eq!(size, 32);
        let Some(Frame::Rejected { reason, .. }) = decode_frame(&mut buf, REGTEST).unwrap() else {
            panic!("rejected")
        };
        assert_eq!(reason, "Header error: Invalid message type (pig, 0 bytes)");
        assert!(buf.is_empty());
    }
}
