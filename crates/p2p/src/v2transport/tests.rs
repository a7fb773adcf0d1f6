use super::*;
use bitcoin::secp256k1::ellswift::ElligatorSwift;

const BITCOIN_MAINNET_MAGIC: [u8; 4] = [0xf9, 0xbe, 0xb4, 0xd9];
const WIDECOIN_MAINNET_MAGIC: [u8; 4] = [0xf8, 0xbf, 0xc3, 0xdc];
const WIDECOIN_REGTEST_MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

/// BIP324's `packet_encoding_test_vectors.csv` (bitcoin/bips, bip-0324/).
const VECTORS: &str = include_str!("packet_encoding_test_vectors.csv");

struct Vector {
    idx: u32,
    priv_ours: SecretKey,
    ellswift_ours: [u8; 64],
    ellswift_theirs: [u8; 64],
    initiating: bool,
    contents: Vec<u8>,
    aad: Vec<u8>,
    ignore: bool,
    send_garbage_terminator: Vec<u8>,
    recv_garbage_terminator: Vec<u8>,
    session_id: Vec<u8>,
    ciphertext: Vec<u8>,
    ciphertext_endswith: Vec<u8>,
}

fn vectors() -> Vec<Vector> {
    let mut lines = VECTORS.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vector> = lines
        .filter(|l| !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let hex = |name: &str| hex::decode(f[col(name)]).unwrap();
            let contents = hex("in_contents").repeat(f[col("in_multiply")].parse().unwrap());
            Vector {
                idx: f[col("in_idx")].parse().unwrap(),
                priv_ours: SecretKey::from_slice(&hex("in_priv_ours")).unwrap(),
                ellswift_ours: hex("in_ellswift_ours").try_into().unwrap(),
                ellswift_theirs: hex("in_ellswift_theirs").try_into().unwrap(),
                initiating: f[col("in_initiating")] == "1",
                contents,
                aad: hex("in_aad"),
                ignore: f[col("in_ignore")] == "1",
                send_garbage_terminator: hex("mid_send_garbage_terminator"),
                recv_garbage_terminator: hex("mid_recv_garbage_terminator"),
                session_id: hex("out_session_id"),
                ciphertext: hex("out_ciphertext"),
                ciphertext_endswith: hex("out_ciphertext_endswith"),
            }
        })
        .collect();
    assert_eq!(rows.len(), 7);
    rows
}

fn cipher_for(v: &Vector, salt: &[u8], initiator: bool, self_decrypt: bool) -> Bip324Cipher {
    let mut c = Bip324Cipher::with_pubkey(v.priv_ours, ElligatorSwift::from_array(v.ellswift_ours));
    assert_eq!(c.our_pubkey(), v.ellswift_ours);
    assert!(!c.is_initialized());
    c.initialize(&v.ellswift_theirs, initiator, self_decrypt, salt);
    assert!(c.is_initialized());
    c
}

/// Encrypts the vector's packet after `idx` empty decoys; returns the decoys
/// and the packet.
fn encrypt_vector(v: &Vector, c: &mut Bip324Cipher) -> (Vec<Vec<u8>>, Vec<u8>) {
    let dummies: Vec<Vec<u8>> = (0..v.idx).map(|_| c.encrypt(&[], &[], true)).collect();
    let ct = c.encrypt(&v.contents, &v.aad, v.ignore);
    assert_eq!(ct.len(), v.contents.len() + EXPANSION);
    (dummies, ct)
}

fn decrypt_packet(c: &mut Bip324Cipher, packet: &[u8], aad: &[u8]) -> Option<(bool, Vec<u8>)> {
    let len = c.decrypt_length(packet[..LENGTH_LEN].try_into().unwrap()) as usize;
    if len + EXPANSION != packet.len() {
        return None;
    }
    c.decrypt(&packet[LENGTH_LEN..], aad)
}

#[test]
fn bip324_packet_vectors_with_bitcoin_salt() {
    let salt = salt(BITCOIN_SALT_PREFIX, BITCOIN_MAINNET_MAGIC);
    assert_eq!(salt, b"bitcoin_v2_shared_secret\xf9\xbe\xb4\xd9");
    for v in vectors() {
        let mut c = cipher_for(&v, &salt, v.initiating, false);
        assert_eq!(&c.session_id()[..], &v.session_id[..], "idx {}", v.idx);
        assert_eq!(
            &c.send_garbage_terminator()[..],
            &v.send_garbage_terminator[..]
        );
        assert_eq!(
            &c.recv_garbage_terminator()[..],
            &v.recv_garbage_terminator[..]
        );
        let (dummies, ct) = encrypt_vector(&v, &mut c);
        if v.ciphertext.is_empty() {
            assert!(ct.ends_with(&v.ciphertext_endswith), "idx {}", v.idx);
        } else {
            assert_eq!(ct, v.ciphertext, "idx {}", v.idx);
        }

        // The same side with self_decrypt reads back what we sent (the
        // megabyte-sized vectors only check the encryption, for speed).
        if v.contents.len() > 100_000 {
            continue;
        }
        let mut d = cipher_for(&v, &salt, v.initiating, true);
        for dummy in &dummies {
            assert_eq!(decrypt_packet(&mut d, dummy, &[]), Some((true, Vec::new())));
        }
        let mut damaged_d = cipher_for(&v, &salt, v.initiating, true);
        let mut wrong_aad_d = cipher_for(&v, &salt, v.initiating, true);
        let wrong_side = cipher_for(&v, &salt, !v.initiating, true);
        for dummy in &dummies {
            decrypt_packet(&mut damaged_d, dummy, &[]).unwrap();
            decrypt_packet(&mut wrong_aad_d, dummy, &[]).unwrap();
        }
        assert_eq!(
            decrypt_packet(&mut d, &ct, &v.aad),
            Some((v.ignore, v.contents.clone()))
        );

        // A flipped bit in the body, the AAD or the wrong side fails.
        let mut bad = ct.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(decrypt_packet(&mut damaged_d, &bad, &v.aad), None);
        let mut aad = v.aad.clone();
        aad.push(0);
        assert_eq!(decrypt_packet(&mut wrong_aad_d, &ct, &aad), None);
        assert_ne!(wrong_side.session_id(), c.session_id());
    }
}

#[test]
fn widecoin_salt_gives_other_keys() {
    assert_eq!(
        widecoin_salt(WIDECOIN_MAINNET_MAGIC),
        b"widecoin_v2_shared_secret\xf8\xbf\xc3\xdc"
    );
    for v in vectors() {
        let bitcoin = cipher_for(
            &v,
            &salt(BITCOIN_SALT_PREFIX, BITCOIN_MAINNET_MAGIC),
            true,
            false,
        );
        let widecoin_magic = cipher_for(
            &v,
            &salt(BITCOIN_SALT_PREFIX, WIDECOIN_MAINNET_MAGIC),
            true,
            false,
        );
        let widecoin = cipher_for(&v, &widecoin_salt(WIDECOIN_MAINNET_MAGIC), true, false);
        assert_ne!(bitcoin.session_id(), widecoin_magic.session_id());
        assert_ne!(bitcoin.session_id(), widecoin.session_id());
        assert_ne!(widecoin_magic.session_id(), widecoin.session_id());
        // Both Widecoin ends agree and can talk.
        let mut send = cipher_for(
            &v,
            &widecoin_salt(WIDECOIN_MAINNET_MAGIC),
            v.initiating,
            false,
        );
        let mut recv = cipher_for(
            &v,
            &widecoin_salt(WIDECOIN_MAINNET_MAGIC),
            v.initiating,
            true,
        );
        let ct = send.encrypt(b"hello", b"aad", false);
        assert_eq!(
            decrypt_packet(&mut recv, &ct, b"aad"),
            Some((false, b"hello".to_vec()))
        );
    }
}

#[test]
fn length_cipher_rekeys_after_224_chunks() {
    let key = [7u8; 32];
    let mut fs = FsChaCha20::new(&key, REKEY_INTERVAL);
    let mut plain = FsChaCha20::new(&key, u32::MAX);
    for i in 0..REKEY_INTERVAL + 2 {
        let mut a = [0u8; 3];
        let mut b = [0u8; 3];
        fs.crypt(&mut a);
        plain.crypt(&mut b);
        if i < REKEY_INTERVAL {
            assert_eq!(a, b, "same stream before the rekey (chunk {i})");
        } else {
            assert_ne!(a, b, "new key after the rekey (chunk {i})");
        }
    }
}

#[test]
fn aead_rekeys_after_224_packets() {
    let key = [9u8; 32];
    let mut fs = FsChaCha20Poly1305::new(&key, REKEY_INTERVAL);
    let mut plain = FsChaCha20Poly1305::new(&key, u32::MAX);
    for i in 0..REKEY_INTERVAL + 2 {
        let mut a = [0u8; 8];
        let mut b = [0u8; 8];
        let ta = fs.encrypt(&mut a, &[]);
        let tb = plain.encrypt(&mut b, &[]);
        assert_eq!(a == b && ta == tb, i < REKEY_INTERVAL, "packet {i}");
    }
}

// ---- the transport state machine ----

fn key(byte: u8) -> SecretKey {
    SecretKey::from_slice(&[byte; 32]).unwrap()
}

fn endpoint(initiating: bool, garbage: Vec<u8>) -> V2Transport {
    V2Transport::with_params(
        if initiating { 1 } else { 2 },
        initiating,
        WIDECOIN_REGTEST_MAGIC,
        widecoin_salt(WIDECOIN_REGTEST_MAGIC),
        key(if initiating { 0x11 } else { 0x22 }),
        [if initiating { 3 } else { 4 }; 32],
        garbage,
    )
}

/// Moves everything `from` wants to send into `to`, in chunks of `chunk`
/// bytes, and returns the messages `to` decoded.
fn pump(
    from: &mut V2Transport,
    to: &mut V2Transport,
    chunk: usize,
) -> Result<Vec<Result<V2Message, RejectedMessage>>, V2TransportError> {
    let mut out = Vec::new();
    loop {
        let bytes = from.bytes_to_send().to_vec();
        if bytes.is_empty() {
            return Ok(out);
        }
        from.mark_bytes_sent(bytes.len());
        for piece in bytes.chunks(chunk) {
            let mut data = piece;
            while !data.is_empty() || to.received_message_complete() {
                to.received_bytes(&mut data)?;
                if to.received_message_complete() {
                    out.push(to.get_received_message());
                }
            }
        }
    }
}

fn handshake(a: &mut V2Transport, b: &mut V2Transport, chunk: usize) {
    assert!(pump(a, b, chunk).unwrap().is_empty());
    assert!(pump(b, a, chunk).unwrap().is_empty());
    assert!(pump(a, b, chunk).unwrap().is_empty());
}

#[test]
fn endpoints_round_trip_with_widecoin_regtest_salt() {
    for chunk in [1, 7, 64, 100_000] {
        let mut a = endpoint(true, b"initiator garbage".to_vec());
        let mut b = endpoint(false, vec![0xaa; 100]);
        assert!(a.bytes_to_send().len() == 64 + 17);
        assert!(
            b.bytes_to_send().is_empty(),
            "responder waits to see v1 or v2"
        );
        assert_eq!(a.info(), TransportInfo::Detecting);
        assert!(!a.can_send_message());
        handshake(&mut a, &mut b, chunk);
        let (TransportInfo::V2 { session_id: sa }, TransportInfo::V2 { session_id: sb }) =
            (a.info(), b.info())
        else {
            panic!("both sides in v2: {:?} {:?}", a.info(), b.info());
        };
        assert_eq!(sa, sb);
        assert_eq!(a.info().protocol_type(), "v2");
        assert_eq!(a.info().session_id_hex().len(), 64);
        assert!(a
            .info()
            .session_id_hex()
            .starts_with(&format!("{:02x}", sa[0])));
        assert_eq!(TransportInfo::Detecting.session_id_hex(), "");

        for (msg_type, payload) in [
            ("version", vec![1u8; 90]),
            ("ping", vec![2; 8]),
            ("sendaddrv2", vec![]),
            ("tx", vec![3; 300]),
        ] {
            assert!(a.can_send_message());
            assert!(a.set_message_to_send(msg_type, &payload));
            assert!(!a.set_message_to_send("pong", &[]), "one message at a time");
            let got = pump(&mut a, &mut b, chunk).unwrap();
            assert_eq!(
                got,
                vec![Ok(V2Message {
                    msg_type: msg_type.into(),
                    payload: payload.clone(),
                    raw_size: encode_contents(msg_type, &payload).len() + EXPANSION,
                })]
            );
            assert!(b.set_message_to_send(msg_type, &payload));
            let back = pump(&mut b, &mut a, chunk).unwrap();
            assert_eq!(back[0].as_ref().unwrap().payload, payload);
        }
    }
}

#[test]
fn different_salt_cannot_talk() {
    let mut a = endpoint(true, vec![]);
    let mut b = V2Transport::with_params(
        2,
        false,
        WIDECOIN_REGTEST_MAGIC,
        salt(BITCOIN_SALT_PREFIX, WIDECOIN_REGTEST_MAGIC),
        key(0x22),
        [4; 32],
        vec![],
    );
    pump(&mut a, &mut b, 1000).unwrap();
    // b's garbage terminator differs, so a never finds it.
    let err = pump(&mut b, &mut a, 1000);
    assert!(err.unwrap().is_empty());
    assert_eq!(a.info(), TransportInfo::Detecting);
}

#[test]
fn many_messages_cross_the_rekey() {
    let mut a = endpoint(true, vec![]);
    let mut b = endpoint(false, vec![]);
    handshake(&mut a, &mut b, 4096);
    for i in 0..(3 * REKEY_INTERVAL + 5) {
        let payload = i.to_le_bytes();
        assert!(a.set_message_to_send("ping", &payload));
        let got = pump(&mut a, &mut b, 4096).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].as_ref().unwrap().payload, payload, "message {i}");
        assert!(b.set_message_to_send("pong", &payload));
        assert_eq!(pump(&mut b, &mut a, 4096).unwrap().len(), 1);
    }
}

#[test]
fn tampered_packet_disconnects() {
    let mut a = endpoint(true, vec![]);
    let mut b = endpoint(false, vec![]);
    handshake(&mut a, &mut b, 4096);
    assert!(a.set_message_to_send("ping", &[0; 8]));
    let mut bytes = a.bytes_to_send().to_vec();
    bytes[5] ^= 0x40;
    let mut data = &bytes[..];
    assert_eq!(
        b.received_bytes(&mut data),
        Err(V2TransportError::DecryptionFailure(9))
    );
    assert_eq!(
        V2TransportError::DecryptionFailure(9).to_string(),
        "packet decryption failure (9 bytes)"
    );
}

#[test]
fn tampered_garbage_fails_the_version_packet() {
    let mut a = endpoint(true, vec![1, 2, 3, 4]);
    let mut b = endpoint(false, vec![]);
    let mut hello = a.bytes_to_send().to_vec();
    a.mark_bytes_sent(hello.len());
    hello[64] ^= 1;
    let mut data = &hello[..];
    b.received_bytes(&mut data).unwrap();
    pump(&mut b, &mut a, 4096).unwrap();
    // a's version packet authenticates the garbage it sent, not what b saw.
    assert_eq!(
        pump(&mut a, &mut b, 4096),
        Err(V2TransportError::DecryptionFailure(0))
    );
}

#[test]
fn decoys_are_ignored() {
    let mut a = endpoint(true, vec![]);
    let mut b = endpoint(false, vec![]);
    handshake(&mut a, &mut b, 4096);
    assert!(a.set_decoy_to_send(0));
    assert!(pump(&mut a, &mut b, 4096).unwrap().is_empty());
    assert!(a.set_decoy_to_send(1000));
    assert!(pump(&mut a, &mut b, 4096).unwrap().is_empty());
    assert!(a.set_message_to_send("inv", b"x"));
    let got = pump(&mut a, &mut b, 4096).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].as_ref().unwrap().msg_type, "inv");
}

#[test]
fn decoy_before_version_packet_carries_the_garbage_aad() {
    // Decoys may precede the version packet; the first packet received
    // authenticates the garbage, later ones have no AAD.
    let garbage = vec![5u8; 10];
    let mut a = endpoint(true, garbage.clone());
    let mut b = endpoint(false, vec![]);
    let hello = a.bytes_to_send().to_vec();
    a.mark_bytes_sent(hello.len());
    let mut data = &hello[..];
    b.received_bytes(&mut data).unwrap();
    let b_key: [u8; 64] = b.bytes_to_send()[..64].try_into().unwrap();
    // Build a's side by hand with a cipher of the same key.
    let mut c = Bip324Cipher::new(key(0x11), [3; 32]);
    assert_eq!(&c.our_pubkey()[..], &hello[..64]);
    c.initialize(&b_key, true, false, &widecoin_salt(WIDECOIN_REGTEST_MAGIC));
    let mut stream = c.send_garbage_terminator().to_vec();
    stream.extend(c.encrypt(b"decoy", &garbage, true));
    stream.extend(c.encrypt(&[], &[], false));
    stream.extend(c.encrypt(&[], &[], true));
    stream.extend(c.encrypt(&encode_contents("ping", &[1; 8]), &[], false));
    let mut data = &stream[..];
    b.received_bytes(&mut data).unwrap();
    assert!(data.is_empty());
    assert!(b.received_message_complete());
    assert_eq!(b.get_received_message().unwrap().msg_type, "ping");
}

#[test]
fn garbage_limit() {
    // The longest garbage is accepted.
    let mut a = endpoint(true, vec![0x5a; MAX_GARBAGE_LEN]);
    let mut b = endpoint(false, vec![0xa5; MAX_GARBAGE_LEN]);
    handshake(&mut a, &mut b, 333);
    assert!(a.set_message_to_send("ping", &[0; 8]));
    assert_eq!(pump(&mut a, &mut b, 333).unwrap().len(), 1);

    // 4095 + 16 bytes without the terminator are not.
    let a = endpoint(true, vec![]);
    let mut b = endpoint(false, vec![]);
    let hello = a.bytes_to_send()[..64].to_vec();
    let mut data = &hello[..];
    b.received_bytes(&mut data).unwrap();
    let junk = vec![0u8; MAX_GARBAGE_LEN + GARBAGE_TERMINATOR_LEN - 1];
    let mut data = &junk[..];
    b.received_bytes(&mut data).unwrap();
    let mut data = &[0u8][..];
    assert_eq!(
        b.received_bytes(&mut data),
        Err(V2TransportError::MissingGarbageTerminator)
    );
}

#[test]
fn inbound_v1_peer_detected() {
    let mut header = WIDECOIN_REGTEST_MAGIC.to_vec();
    header.extend_from_slice(b"version\0\0\0\0\0");
    header.extend_from_slice(&[0x66, 0, 0, 0, 1, 2, 3, 4]);
    let mut b = endpoint(false, vec![]);
    for i in 0..V1_PREFIX_LEN {
        let mut data = &header[i..i + 1];
        b.received_bytes(&mut data).unwrap();
        assert!(data.is_empty());
        assert_eq!(b.is_v1_fallback(), i == V1_PREFIX_LEN - 1);
    }
    assert_eq!(b.info(), TransportInfo::V1);
    assert_eq!(b.take_v1_bytes(), header[..V1_PREFIX_LEN]);
    assert!(b.bytes_to_send().is_empty());
    assert!(!b.set_message_to_send("version", &[]));

    // In one go the rest stays with the caller.
    let mut b = endpoint(false, vec![]);
    let mut data = &header[..];
    b.received_bytes(&mut data).unwrap();
    assert!(b.is_v1_fallback());
    assert_eq!(data, &header[V1_PREFIX_LEN..]);
}

#[test]
fn inbound_v1_peer_of_other_network_rejected() {
    let mut header = WIDECOIN_MAINNET_MAGIC.to_vec();
    header.extend_from_slice(b"version\0\0\0\0\0");
    header.extend_from_slice(&[0x66, 0, 0, 0, 1, 2, 3, 4]);
    let mut b = endpoint(false, vec![]);
    let mut data = &header[..];
    let err = b.received_bytes(&mut data).unwrap_err();
    assert_eq!(err, V2TransportError::WrongMessageStart("f8bfc3dc".into()));
    assert_eq!(err.to_string(), "V1 peer with wrong MessageStart f8bfc3dc");
}

#[test]
fn v2_key_starting_like_magic_is_not_v1() {
    let mut b = endpoint(false, vec![]);
    let mut data = &WIDECOIN_REGTEST_MAGIC[..];
    b.received_bytes(&mut data).unwrap();
    assert!(b.bytes_to_send().is_empty(), "still undecided");
    let mut data = &b"versioX"[..];
    b.received_bytes(&mut data).unwrap();
    assert!(!b.is_v1_fallback());
    assert_eq!(
        b.bytes_to_send().len(),
        64,
        "responder started its handshake"
    );
}

#[test]
fn reconnect_with_v1_after_silent_close() {
    let mut a = endpoint(true, vec![]);
    assert!(!a.should_reconnect_v1());
    a.mark_bytes_sent(23);
    assert!(!a.should_reconnect_v1());
    a.mark_bytes_sent(1);
    assert!(a.should_reconnect_v1());
    let mut data = &[0u8][..];
    a.received_bytes(&mut data).unwrap();
    assert!(!a.should_reconnect_v1(), "the peer answered");
    assert!(!endpoint(false, vec![]).should_reconnect_v1());
}

#[test]
fn oversized_packet_disconnects() {
    let mut a = endpoint(true, vec![]);
    let mut b = endpoint(false, vec![]);
    handshake(&mut a, &mut b, 4096);
    let too_long = vec![0u8; MAX_CONTENTS_LEN + 1];
    let packet = a.cipher.encrypt(&too_long, &[], false);
    let mut data = &packet[..LENGTH_LEN];
    assert_eq!(
        b.received_bytes(&mut data),
        Err(V2TransportError::PacketTooLarge(
            MAX_CONTENTS_LEN as u32 + 1
        ))
    );
    assert_eq!(MAX_CONTENTS_LEN, 4_000_013);
}

#[test]
fn invalid_message_type_is_dropped_not_fatal() {
    let mut a = endpoint(true, vec![]);
    let mut b = endpoint(false, vec![]);
    handshake(&mut a, &mut b, 4096);
    a.send_buffer = a.cipher.encrypt(&[33, 1, 2], &[], false);
    let got = pump(&mut a, &mut b, 4096).unwrap();
    assert_eq!(
        got,
        vec![Err(RejectedMessage {
            raw_size: 3 + EXPANSION
        })]
    );
    assert!(a.set_message_to_send("pong", &[9; 8]));
    assert_eq!(
        pump(&mut a, &mut b, 4096).unwrap()[0]
            .as_ref()
            .unwrap()
            .msg_type,
        "pong"
    );
}

#[test]
fn random_endpoints_talk() {
    let mut a = V2Transport::new(1, true, WIDECOIN_REGTEST_MAGIC);
    let mut b = V2Transport::new(2, false, WIDECOIN_REGTEST_MAGIC);
    handshake(&mut a, &mut b, 1500);
    assert!(a.set_message_to_send("verack", &[]));
    let got = pump(&mut a, &mut b, 1500).unwrap();
    assert_eq!(got[0].as_ref().unwrap().msg_type, "verack");
}
