//! BIP324's packet cipher (Core's `bip324.cpp` and the forward-secure ciphers
//! of `crypto/chacha20.cpp` / `crypto/chacha20poly1305.cpp`).
//!
//! Built on RustCrypto's `chacha20` (the RFC 8439 stream cipher, seekable)
//! and `chacha20poly1305` (the RFC 8439 AEAD); the forward-secure rekeying on
//! top of them is BIP324's and is written here.

use bitcoin::secp256k1::ellswift::{ElligatorSwift, ElligatorSwiftParty};
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use chacha20::ChaCha20;
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Tag};
use hkdf::Hkdf;
use sha2::Sha256;

/// `BIP324Cipher::SESSION_ID_LEN`.
pub const SESSION_ID_LEN: usize = 32;
/// `BIP324Cipher::GARBAGE_TERMINATOR_LEN`.
pub const GARBAGE_TERMINATOR_LEN: usize = 16;
/// `BIP324Cipher::REKEY_INTERVAL`: both ciphers rekey after this many
/// messages.
pub const REKEY_INTERVAL: u32 = 224;
/// `BIP324Cipher::LENGTH_LEN`: the encrypted length field.
pub const LENGTH_LEN: usize = 3;
/// `BIP324Cipher::HEADER_LEN`: the encrypted header byte (ignore bit).
pub const HEADER_LEN: usize = 1;
/// Poly1305 tag length (`FSChaCha20Poly1305::EXPANSION`).
pub const TAG_LEN: usize = 16;
/// `BIP324Cipher::EXPANSION`: bytes a packet adds to its contents.
pub const EXPANSION: usize = LENGTH_LEN + HEADER_LEN + TAG_LEN;
/// `BIP324Cipher::IGNORE_BIT` in the header byte: the packet is a decoy.
pub const IGNORE_BIT: u8 = 0x80;
/// Size of an ElligatorSwift-encoded public key.
pub const ELLSWIFT_PUBKEY_LEN: usize = 64;

/// The salt prefix Widecoin uses (`src/bip324.cpp`); Bitcoin uses
/// [`BITCOIN_SALT_PREFIX`].
pub const WIDECOIN_SALT_PREFIX: &str = "widecoin_v2_shared_secret";
/// Bitcoin's salt prefix, for BIP324's own test vectors.
pub const BITCOIN_SALT_PREFIX: &str = "bitcoin_v2_shared_secret";

/// The HKDF salt: a fixed string followed by the network magic bytes.
pub fn salt(prefix: &str, magic: [u8; 4]) -> Vec<u8> {
    let mut salt = prefix.as_bytes().to_vec();
    salt.extend_from_slice(&magic);
    salt
}

/// Widecoin's HKDF salt for a network with message start `magic`.
pub fn widecoin_salt(magic: [u8; 4]) -> Vec<u8> {
    salt(WIDECOIN_SALT_PREFIX, magic)
}

/// RFC 8439 96-bit nonce as Core's `Nonce96`: 32-bit then 64-bit, both LE.
fn nonce96(first: u32, second: u64) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..4].copy_from_slice(&first.to_le_bytes());
    n[4..].copy_from_slice(&second.to_le_bytes());
    n
}

/// `FSChaCha20`: a ChaCha20 stream whose key is replaced by 32 bytes of its
/// own keystream after every `rekey_interval` chunks (used for the lengths).
pub struct FsChaCha20 {
    cipher: ChaCha20,
    rekey_interval: u32,
    chunk_counter: u32,
    rekey_counter: u64,
}

impl FsChaCha20 {
    /// A cipher keyed with `key`, starting at nonce `{0, 0}`.
    pub fn new(key: &[u8; 32], rekey_interval: u32) -> Self {
        Self {
            cipher: ChaCha20::new(key.into(), &nonce96(0, 0).into()),
            rekey_interval,
            chunk_counter: 0,
            rekey_counter: 0,
        }
    }

    /// En- or decrypts one chunk in place (`FSChaCha20::Crypt`).
    pub fn crypt(&mut self, chunk: &mut [u8]) {
        self.cipher.apply_keystream(chunk);
        self.chunk_counter += 1;
        if self.chunk_counter == self.rekey_interval {
            let mut new_key = [0u8; 32];
            self.cipher.apply_keystream(&mut new_key);
            self.rekey_counter += 1;
            self.cipher = ChaCha20::new(&new_key.into(), &nonce96(0, self.rekey_counter).into());
            self.chunk_counter = 0;
        }
    }
}

/// `FSChaCha20Poly1305`: the RFC 8439 AEAD with nonce `{packet, rekey}`,
/// rekeyed every `rekey_interval` packets (used for the packet contents).
pub struct FsChaCha20Poly1305 {
    key: [u8; 32],
    rekey_interval: u32,
    packet_counter: u32,
    rekey_counter: u64,
}

impl FsChaCha20Poly1305 {
    /// An AEAD keyed with `key`.
    pub fn new(key: &[u8; 32], rekey_interval: u32) -> Self {
        Self {
            key: *key,
            rekey_interval,
            packet_counter: 0,
            rekey_counter: 0,
        }
    }

    fn nonce(&self) -> [u8; 12] {
        nonce96(self.packet_counter, self.rekey_counter)
    }

    /// Advances to the next packet; at the interval, the new key is the
    /// keystream at nonce `{0xffffffff, rekey}` from block 1 on.
    fn next_packet(&mut self) {
        self.packet_counter += 1;
        if self.packet_counter == self.rekey_interval {
            let mut stream = ChaCha20::new(
                &self.key.into(),
                &nonce96(0xFFFF_FFFF, self.rekey_counter).into(),
            );
            stream.seek(64u64);
            let mut new_key = [0u8; 32];
            stream.apply_keystream(&mut new_key);
            self.key = new_key;
            self.packet_counter = 0;
            self.rekey_counter += 1;
        }
    }

    /// Encrypts `buf` in place and returns the tag over `aad` and the
    /// ciphertext.
    pub fn encrypt(&mut self, buf: &mut [u8], aad: &[u8]) -> [u8; TAG_LEN] {
        let aead = ChaCha20Poly1305::new(&self.key.into());
        let tag = aead
            .encrypt_in_place_detached(&self.nonce().into(), aad, buf)
            .expect("packets are far below the AEAD's length limit");
        self.next_packet();
        tag.into()
    }

    /// Checks `tag` and decrypts `buf` in place. The packet counter advances
    /// whether or not the tag matched, as in Core.
    pub fn decrypt(&mut self, buf: &mut [u8], aad: &[u8], tag: &[u8; TAG_LEN]) -> bool {
        let aead = ChaCha20Poly1305::new(&self.key.into());
        let ok = aead
            .decrypt_in_place_detached(&self.nonce().into(), aad, buf, Tag::from_slice(tag))
            .is_ok();
        self.next_packet();
        ok
    }
}

/// The four ciphers, garbage terminators and session id of one v2
/// connection (`BIP324Cipher`).
pub struct Bip324Cipher {
    key: Option<SecretKey>,
    our_pubkey: ElligatorSwift,
    send_l: Option<FsChaCha20>,
    recv_l: Option<FsChaCha20>,
    send_p: Option<FsChaCha20Poly1305>,
    recv_p: Option<FsChaCha20Poly1305>,
    session_id: [u8; SESSION_ID_LEN],
    send_garbage_terminator: [u8; GARBAGE_TERMINATOR_LEN],
    recv_garbage_terminator: [u8; GARBAGE_TERMINATOR_LEN],
}

impl Bip324Cipher {
    /// A cipher for `key`, whose public key is ElligatorSwift-encoded with
    /// the 32 bytes of entropy `ent32`.
    pub fn new(key: SecretKey, ent32: [u8; 32]) -> Self {
        let secp = Secp256k1::new();
        let ours = ElligatorSwift::from_seckey(&secp, key, Some(ent32));
        Self::with_pubkey(key, ours)
    }

    /// A cipher for `key` with a given encoding of its public key (tests).
    pub fn with_pubkey(key: SecretKey, our_pubkey: ElligatorSwift) -> Self {
        Self {
            key: Some(key),
            our_pubkey,
            send_l: None,
            recv_l: None,
            send_p: None,
            recv_p: None,
            session_id: [0; SESSION_ID_LEN],
            send_garbage_terminator: [0; GARBAGE_TERMINATOR_LEN],
            recv_garbage_terminator: [0; GARBAGE_TERMINATOR_LEN],
        }
    }

    /// Our ElligatorSwift-encoded public key (64 bytes).
    pub fn our_pubkey(&self) -> [u8; ELLSWIFT_PUBKEY_LEN] {
        self.our_pubkey.to_array()
    }

    /// Whether [`Self::initialize`] has run.
    pub fn is_initialized(&self) -> bool {
        self.send_l.is_some()
    }

    /// Derives the keys from the ECDH secret with the peer's encoded key
    /// (`BIP324Cipher::Initialize`). `salt` is [`widecoin_salt`] of the
    /// network's magic. With `self_decrypt` the send and receive keys are
    /// swapped (tests decrypt their own packets that way). The private key is
    /// forgotten afterwards.
    pub fn initialize(
        &mut self,
        their_pubkey: &[u8; ELLSWIFT_PUBKEY_LEN],
        initiator: bool,
        self_decrypt: bool,
        salt: &[u8],
    ) {
        let key = self.key.take().expect("initialize is called once");
        let theirs = ElligatorSwift::from_array(*their_pubkey);
        let (a, b, party) = if initiator {
            (self.our_pubkey, theirs, ElligatorSwiftParty::A)
        } else {
            (theirs, self.our_pubkey, ElligatorSwiftParty::B)
        };
        let ecdh = ElligatorSwift::shared_secret(a, b, key, party, None);
        let hkdf = Hkdf::<Sha256>::new(Some(salt), ecdh.as_secret_bytes());
        let expand = |info: &str| {
            let mut okm = [0u8; 32];
            hkdf.expand(info.as_bytes(), &mut okm)
                .expect("32 bytes is a valid HKDF length");
            okm
        };
        let side = initiator != self_decrypt;
        let initiator_l = FsChaCha20::new(&expand("initiator_L"), REKEY_INTERVAL);
        let initiator_p = FsChaCha20Poly1305::new(&expand("initiator_P"), REKEY_INTERVAL);
        let responder_l = FsChaCha20::new(&expand("responder_L"), REKEY_INTERVAL);
        let responder_p = FsChaCha20Poly1305::new(&expand("responder_P"), REKEY_INTERVAL);
        if side {
            self.send_l = Some(initiator_l);
            self.send_p = Some(initiator_p);
            self.recv_l = Some(responder_l);
            self.recv_p = Some(responder_p);
        } else {
            self.recv_l = Some(initiator_l);
            self.recv_p = Some(initiator_p);
            self.send_l = Some(responder_l);
            self.send_p = Some(responder_p);
        }
        let terminators = expand("garbage_terminators");
        let (first, second) = terminators.split_at(GARBAGE_TERMINATOR_LEN);
        let (send, recv) = if initiator {
            (first, second)
        } else {
            (second, first)
        };
        self.send_garbage_terminator.copy_from_slice(send);
        self.recv_garbage_terminator.copy_from_slice(recv);
        self.session_id = expand("session_id");
    }

    /// The session id (after [`Self::initialize`]).
    pub fn session_id(&self) -> &[u8; SESSION_ID_LEN] {
        &self.session_id
    }

    /// The garbage terminator we send.
    pub fn send_garbage_terminator(&self) -> &[u8; GARBAGE_TERMINATOR_LEN] {
        &self.send_garbage_terminator
    }

    /// The garbage terminator we expect.
    pub fn recv_garbage_terminator(&self) -> &[u8; GARBAGE_TERMINATOR_LEN] {
        &self.recv_garbage_terminator
    }

    /// Encrypts one packet: length, header and contents, tag
    /// (`contents.len() + EXPANSION` bytes).
    pub fn encrypt(&mut self, contents: &[u8], aad: &[u8], ignore: bool) -> Vec<u8> {
        let len = u32::try_from(contents.len()).expect("contents fit the 24-bit length");
        assert!(len < 1 << 24, "contents fit the 24-bit length");
        let mut out = Vec::with_capacity(contents.len() + EXPANSION);
        out.extend_from_slice(&len.to_le_bytes()[..LENGTH_LEN]);
        self.send_l
            .as_mut()
            .expect("initialized")
            .crypt(&mut out[..LENGTH_LEN]);
        out.push(if ignore { IGNORE_BIT } else { 0 });
        out.extend_from_slice(contents);
        let tag = self
            .send_p
            .as_mut()
            .expect("initialized")
            .encrypt(&mut out[LENGTH_LEN..], aad);
        out.extend_from_slice(&tag);
        out
    }

    /// Decrypts a packet's length field (`BIP324Cipher::DecryptLength`).
    pub fn decrypt_length(&mut self, input: &[u8; LENGTH_LEN]) -> u32 {
        let mut buf = *input;
        self.recv_l.as_mut().expect("initialized").crypt(&mut buf);
        u32::from(buf[0]) | u32::from(buf[1]) << 8 | u32::from(buf[2]) << 16
    }

    /// Decrypts the rest of a packet (header, contents, tag: everything after
    /// the length) and returns `(ignore, contents)`, or `None` when the tag
    /// does not authenticate it together with `aad`.
    pub fn decrypt(&mut self, input: &[u8], aad: &[u8]) -> Option<(bool, Vec<u8>)> {
        assert!(
            input.len() >= HEADER_LEN + TAG_LEN,
            "a packet has a header and a tag"
        );
        let (body, tag) = input.split_at(input.len() - TAG_LEN);
        let mut buf = body.to_vec();
        let tag: &[u8; TAG_LEN] = tag.try_into().expect("TAG_LEN bytes");
        if !self
            .recv_p
            .as_mut()
            .expect("initialized")
            .decrypt(&mut buf, aad, tag)
        {
            return None;
        }
        let ignore = buf[0] & IGNORE_BIT == IGNORE_BIT;
        buf.remove(0);
        Some((ignore, buf))
    }
}
