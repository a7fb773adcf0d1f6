//! BIP324 message-type encoding: one-byte short IDs for the common messages
//! (Core v26's `V2_MESSAGE_IDS`), otherwise a zero byte and the 12-byte
//! command as in v1.

/// `CMessageHeader::COMMAND_SIZE`.
pub const COMMAND_SIZE: usize = 12;

/// Short message-type IDs, in BIP324's order. Index 0 announces a 12-byte
/// command; 29 to 32 are reserved by BIP324 but unknown to Core v26, which
/// decodes them as the empty message type (ignored as unknown); IDs from 33
/// on make the message invalid.
pub const V2_MESSAGE_IDS: [&str; 33] = [
    "",
    "addr",
    "block",
    "blocktxn",
    "cmpctblock",
    "feefilter",
    "filteradd",
    "filterclear",
    "filterload",
    "getblocks",
    "getblocktxn",
    "getdata",
    "getheaders",
    "headers",
    "inv",
    "mempool",
    "merkleblock",
    "notfound",
    "ping",
    "pong",
    "sendcmpct",
    "tx",
    "getcfilters",
    "cfilter",
    "getcfheaders",
    "cfheaders",
    "getcfcheckpt",
    "cfcheckpt",
    "addrv2",
    "",
    "",
    "",
    "",
];

/// The short ID for `msg_type`, if it has one.
pub fn short_id(msg_type: &str) -> Option<u8> {
    if msg_type.is_empty() {
        return None;
    }
    V2_MESSAGE_IDS
        .iter()
        .position(|t| *t == msg_type)
        .map(|i| u8::try_from(i).expect("33 entries"))
}

/// A packet's contents for a message: the short ID and the payload, or a zero
/// byte, the command padded to 12 bytes with zeros, and the payload.
pub fn encode_contents(msg_type: &str, payload: &[u8]) -> Vec<u8> {
    match short_id(msg_type) {
        Some(id) => {
            let mut contents = Vec::with_capacity(1 + payload.len());
            contents.push(id);
            contents.extend_from_slice(payload);
            contents
        }
        None => {
            assert!(
                msg_type.len() <= COMMAND_SIZE,
                "message types have at most 12 bytes"
            );
            let mut contents = vec![0u8; 1 + COMMAND_SIZE];
            contents[1..1 + msg_type.len()].copy_from_slice(msg_type.as_bytes());
            contents.extend_from_slice(payload);
            contents
        }
    }
}

/// Splits a packet's contents into message type and payload
/// (`V2Transport::GetMessageType`); `None` for an invalid type: empty
/// contents, a short ID past the table, a truncated long type, a byte outside
/// printable ASCII, or a non-zero byte after the padding starts.
pub fn decode_contents(contents: &[u8]) -> Option<(String, &[u8])> {
    let (&first, rest) = contents.split_first()?;
    if first != 0 {
        let name = V2_MESSAGE_IDS.get(usize::from(first))?;
        return Some(((*name).to_string(), rest));
    }
    if rest.len() < COMMAND_SIZE {
        return None;
    }
    let command = &rest[..COMMAND_SIZE];
    let len = command.iter().position(|&b| b == 0).unwrap_or(COMMAND_SIZE);
    if command[..len].iter().any(|&b| !(b' '..=0x7f).contains(&b)) {
        return None;
    }
    if command[len..].iter().any(|&b| b != 0) {
        return None;
    }
    let name = String::from_utf8(command[..len].to_vec()).expect("checked ASCII");
    Some((name, &rest[COMMAND_SIZE..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_follow_bip324_table() {
        assert_eq!(short_id("addr"), Some(1));
        assert_eq!(short_id("cmpctblock"), Some(4));
        assert_eq!(short_id("ping"), Some(18));
        assert_eq!(short_id("tx"), Some(21));
        assert_eq!(short_id("addrv2"), Some(28));
        assert_eq!(short_id("version"), None);
        assert_eq!(short_id("verack"), None);
        assert_eq!(short_id("wtxidrelay"), None);
        assert_eq!(short_id(""), None);
    }

    #[test]
    fn contents_round_trip() {
        for t in ["ping", "version", "sendaddrv2", "headers", "abcdefghijkl"] {
            let c = encode_contents(t, b"xyz");
            let (name, payload) = decode_contents(&c).unwrap();
            assert_eq!(name, t);
            assert_eq!(payload, b"xyz");
        }
        assert_eq!(encode_contents("ping", b"p"), vec![18, b'p']);
        assert_eq!(encode_contents("verack", b"").len(), 13);
    }

    #[test]
    fn invalid_types_rejected() {
        assert!(decode_contents(&[]).is_none());
        assert!(decode_contents(&[33]).is_none());
        assert!(decode_contents(&[0xff, 1]).is_none());
        // Reserved IDs decode as the empty (unknown) type, as in Core v26.
        assert_eq!(
            decode_contents(&[29, 7]).unwrap(),
            (String::new(), &[7u8][..])
        );
        // Truncated long encoding.
        assert!(decode_contents(&[0, b'v', b'e', b'r']).is_none());
        // Non-printable byte.
        let mut c = encode_contents("version", b"");
        c[2] = 0x1f;
        assert!(decode_contents(&c).is_none());
        // Data after the zero padding.
        let mut c = encode_contents("version", b"");
        c[10] = b'x';
        assert!(decode_contents(&c).is_none());
        // A byte above 0x7f.
        let mut c = encode_contents("version", b"");
        c[1] = 0x80;
        assert!(decode_contents(&c).is_none());
    }
}
