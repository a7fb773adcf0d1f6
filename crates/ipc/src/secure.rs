//! The authenticated, encrypted TCP transport (an extension: Core only has
//! unix sockets). Both ends hold the same 32-byte key ([`IpcKey`]).
//!
//! # Handshake
//! ```text
//! client -> server  ClientHello  = MAGIC (8) || client ephemeral X25519 public key (32)
//! server -> client  ServerHello  = MAGIC (8) || server ephemeral X25519 public key (32)
//! client -> server  ClientFinish = HMAC-SHA256(client finish key, TH) (32)
//! server -> client  ServerFinish = HMAC-SHA256(server finish key, TH) (32)
//! ```
//! `TH = SHA-256(LABEL || ClientHello || ServerHello)`; the keys are
//! HKDF-SHA256 (salt `TH`, input `PSK || X25519(e_c, e_s)`) expanded with the
//! labels `c2s`, `s2c`, `client finish`, `server finish`. A DH result that
//! is all zeros (a low-order public key) is refused.
//!
//! - Authentication: only a holder of the PSK can compute either finish tag.
//!   The server checks the client's tag before it sends anything that depends
//!   on the key and before any Cap'n Proto byte is read; a wrong key is
//!   refused and logged. The client checks the server's tag in turn, so it
//!   never talks Cap'n Proto to an impostor.
//! - Secrecy: the session keys depend on fresh ephemeral keys from both sides
//!   (forward secrecy: a stolen key file does not decrypt recorded traffic).
//! - Replay and reflection: every connection has new session keys, so
//!   records of an old one never verify; each direction has its own key, so
//!   a frame reflected back to its sender never verifies; nonces are
//!   per-direction counters, so a dropped, reordered or repeated frame
//!   fails and ends the connection.
//!
//! # Frames
//! After the handshake each direction is a sequence of frames,
//! `length (u32 big-endian) || ChaCha20-Poly1305(plaintext)`, with the length
//! (that of the ciphertext, at most [`MAX_PLAINTEXT`] + 16) as associated data
//! and the 96-bit nonce `0u32 || counter (u64 little-endian)`. The Cap'n Proto
//! byte stream runs inside; a frame ends at each flush (one per message) or
//! at [`MAX_PLAINTEXT`] bytes.

use std::io::{self, Read as _, Write as _};
use std::net::TcpStream;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use chacha20poly1305::aead::{AeadInPlace as _, KeyInit as _};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use futures::io::{AsyncRead, AsyncWrite};
use hkdf::Hkdf;
use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha256};
use x25519_dalek::{EphemeralSecret, PublicKey};

use crate::auth::IpcKey;

/// The first bytes each side sends: protocol name and version.
const MAGIC: &[u8; 8] = b"WDCIPC\x00\x01";
/// Domain separation of the transcript hash.
const LABEL: &[u8] = b"widecoin ipc tcp v1";
/// Largest plaintext of one frame.
pub const MAX_PLAINTEXT: usize = 64 * 1024;
const TAG_LEN: usize = 16;
const MAX_CIPHERTEXT: usize = MAX_PLAINTEXT + TAG_LEN;

/// The keys of one connection, one per direction.
pub(crate) struct SessionKeys {
    pub(crate) send: ChaCha20Poly1305,
    pub(crate) recv: ChaCha20Poly1305,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys(..)")
    }
}

/// Why a handshake failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HandshakeError {
    /// The peer does not hold the key (or is not a Widecoin IPC peer).
    #[error("{0}")]
    Refused(&'static str),
    #[error("{0}")]
    Io(#[from] io::Error),
}

struct Derived {
    c2s: [u8; 32],
    s2c: [u8; 32],
    client_finish: [u8; 32],
    server_finish: [u8; 32],
    th: [u8; 32],
}

fn derive(
    psk: &IpcKey,
    secret: EphemeralSecret,
    peer: [u8; 32],
    client_hello: &[u8],
    server_hello: &[u8],
) -> Result<Derived, HandshakeError> {
    let shared = secret.diffie_hellman(&PublicKey::from(peer));
    if !shared.was_contributory() {
        return Err(HandshakeError::Refused("invalid ephemeral key"));
    }
    let th: [u8; 32] = Sha256::new()
        .chain_update(LABEL)
        .chain_update(client_hello)
        .chain_update(server_hello)
        .finalize()
        .into();
    let mut ikm = [0u8; 64];
    ikm[..32].copy_from_slice(psk.bytes());
    ikm[32..].copy_from_slice(shared.as_bytes());
    let hk = Hkdf::<Sha256>::new(Some(&th), &ikm);
    ikm = [0; 64];
    let _ = ikm;
    let expand = |info: &[u8]| {
        let mut out = [0u8; 32];
        hk.expand(info, &mut out)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        out
    };
    Ok(Derived {
        c2s: expand(b"c2s"),
        s2c: expand(b"s2c"),
        client_finish: expand(b"client finish"),
        server_finish: expand(b"server finish"),
        th,
    })
}

fn finish_tag(key: &[u8; 32], th: &[u8; 32]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as hmac::Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(th);
    mac.finalize().into_bytes().into()
}

fn verify_tag(key: &[u8; 32], th: &[u8; 32], tag: &[u8; 32]) -> bool {
    let mut mac =
        <Hmac<Sha256> as hmac::Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(th);
    mac.verify_slice(tag).is_ok()
}

fn hello(public: &PublicKey) -> [u8; 40] {
    let mut m = [0u8; 40];
    m[..8].copy_from_slice(MAGIC);
    m[8..].copy_from_slice(public.as_bytes());
    m
}

fn read_hello(stream: &mut TcpStream) -> Result<([u8; 40], [u8; 32]), HandshakeError> {
    let mut m = [0u8; 40];
    stream.read_exact(&mut m)?;
    if &m[..8] != MAGIC {
        return Err(HandshakeError::Refused("not a Widecoin IPC peer"));
    }
    let mut public = [0u8; 32];
    public.copy_from_slice(&m[8..]);
    Ok((m, public))
}

fn cipher(key: &[u8; 32]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(Key::from_slice(key))
}

/// The connecting side's handshake on a blocking stream.
pub(crate) fn client_handshake(
    stream: &mut TcpStream,
    psk: &IpcKey,
) -> Result<SessionKeys, HandshakeError> {
    let secret = EphemeralSecret::random_from_rng(rand::rngs::OsRng);
    let client_hello = hello(&PublicKey::from(&secret));
    stream.write_all(&client_hello)?;
    let (server_hello, peer) = read_hello(stream)?;
    let d = derive(psk, secret, peer, &client_hello, &server_hello)?;
    stream.write_all(&finish_tag(&d.client_finish, &d.th))?;
    let mut tag = [0u8; 32];
    match stream.read_exact(&mut tag) {
        Ok(()) => {}
        // The server hangs up on a client whose key is wrong.
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
            ) =>
        {
            return Err(HandshakeError::Refused(
                "the IPC server refused the key (wrong IPC key file?)",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    if !verify_tag(&d.server_finish, &d.th, &tag) {
        return Err(HandshakeError::Refused(
            "the IPC server failed to prove that it holds the key",
        ));
    }
    Ok(SessionKeys {
        send: cipher(&d.c2s),
        recv: cipher(&d.s2c),
    })
}

/// The listening side's handshake on a blocking stream.
pub(crate) fn server_handshake(
    stream: &mut TcpStream,
    psk: &IpcKey,
) -> Result<SessionKeys, HandshakeError> {
    let (client_hello, peer) = read_hello(stream)?;
    let secret = EphemeralSecret::random_from_rng(rand::rngs::OsRng);
    let server_hello = hello(&PublicKey::from(&secret));
    stream.write_all(&server_hello)?;
    let d = derive(psk, secret, peer, &client_hello, &server_hello)?;
    let mut tag = [0u8; 32];
    stream.read_exact(&mut tag)?;
    if !verify_tag(&d.client_finish, &d.th, &tag) {
        return Err(HandshakeError::Refused("wrong IPC key"));
    }
    stream.write_all(&finish_tag(&d.server_finish, &d.th))?;
    Ok(SessionKeys {
        send: cipher(&d.s2c),
        recv: cipher(&d.c2s),
    })
}

fn nonce(counter: &mut u64) -> io::Result<Nonce> {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&counter.to_le_bytes());
    *counter = counter
        .checked_add(1)
        .ok_or_else(|| io::Error::other("IPC frame counter exhausted"))?;
    Ok(*Nonce::from_slice(&n))
}

/// Encrypts a byte stream into frames on `inner`.
pub(crate) struct SealedWriter<W> {
    inner: W,
    cipher: ChaCha20Poly1305,
    counter: u64,
    /// Plaintext not yet sealed.
    plain: Vec<u8>,
    /// Sealed frames not yet written, from `written` on.
    out: Vec<u8>,
    written: usize,
}

impl<W: AsyncWrite + Unpin> SealedWriter<W> {
    pub(crate) fn new(inner: W, cipher: ChaCha20Poly1305) -> Self {
        SealedWriter {
            inner,
            cipher,
            counter: 0,
            plain: Vec::with_capacity(MAX_PLAINTEXT),
            out: Vec::new(),
            written: 0,
        }
    }

    fn seal(&mut self) -> io::Result<()> {
        let len = u32::try_from(self.plain.len() + TAG_LEN).expect("frames are small");
        let aad = len.to_be_bytes();
        let nonce = nonce(&mut self.counter)?;
        self.out.clear();
        self.out.extend_from_slice(&aad);
        self.out.extend_from_slice(&self.plain);
        self.plain.clear();
        let mut body = self.out.split_off(4);
        self.cipher
            .encrypt_in_place(&nonce, &aad, &mut body)
            .map_err(|_| io::Error::other("IPC frame encryption failed"))?;
        self.out.extend_from_slice(&body);
        self.written = 0;
        Ok(())
    }

    /// Seals what is buffered and writes every sealed byte.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if self.written < self.out.len() {
                let n =
                    ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out[self.written..]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                self.written += n;
            } else if !self.plain.is_empty() {
                self.seal()?;
            } else {
                return Poll::Ready(Ok(()));
            }
        }
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for SealedWriter<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.plain.len() >= MAX_PLAINTEXT {
            ready!(this.poll_drain(cx))?;
        }
        let n = buf.len().min(MAX_PLAINTEXT - this.plain.len());
        this.plain.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_close(cx)
    }
}

/// Decrypts frames from `inner` into a byte stream. A frame that does not
/// verify is an error: the connection ends.
pub(crate) struct OpenedReader<R> {
    inner: R,
    cipher: ChaCha20Poly1305,
    counter: u64,
    /// Received bytes not yet decrypted.
    raw: Vec<u8>,
    /// Decrypted bytes not yet read, from `read` on.
    plain: Vec<u8>,
    read: usize,
    scratch: Box<[u8]>,
}

impl<R: AsyncRead + Unpin> OpenedReader<R> {
    pub(crate) fn new(inner: R, cipher: ChaCha20Poly1305) -> Self {
        OpenedReader {
            inner,
            cipher,
            counter: 0,
            raw: Vec::new(),
            plain: Vec::new(),
            read: 0,
            scratch: vec![0u8; MAX_CIPHERTEXT + 4].into_boxed_slice(),
        }
    }

    /// Decrypts the first frame of `raw` if it is complete.
    fn open_frame(&mut self) -> io::Result<bool> {
        if self.raw.len() < 4 {
            return Ok(false);
        }
        let aad: [u8; 4] = self.raw[..4].try_into().expect("4 bytes");
        let len = u32::from_be_bytes(aad) as usize;
        if !(TAG_LEN..=MAX_CIPHERTEXT).contains(&len) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "invalid IPC frame length",
            ));
        }
        if self.raw.len() < 4 + len {
            return Ok(false);
        }
        let nonce = nonce(&mut self.counter)?;
        self.plain.clear();
        self.plain.extend_from_slice(&self.raw[4..4 + len]);
        self.raw.drain(..4 + len);
        self.read = 0;
        self.cipher
            .decrypt_in_place(&nonce, &aad, &mut self.plain)
            .map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidData, "IPC frame failed to verify")
            })?;
        Ok(true)
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for OpenedReader<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            if this.read < this.plain.len() {
                let n = buf.len().min(this.plain.len() - this.read);
                buf[..n].copy_from_slice(&this.plain[this.read..this.read + n]);
                this.read += n;
                return Poll::Ready(Ok(n));
            }
            if this.open_frame()? {
                continue;
            }
            let n = ready!(Pin::new(&mut this.inner).poll_read(cx, &mut this.scratch))?;
            if n == 0 {
                return Poll::Ready(if this.raw.is_empty() {
                    Ok(0)
                } else {
                    Err(io::ErrorKind::UnexpectedEof.into())
                });
            }
            this.raw.extend_from_slice(&this.scratch[..n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::io::{AsyncReadExt as _, AsyncWriteExt as _, Cursor};
    use std::net::TcpListener;

    fn handshake(
        server_key: IpcKey,
        client_key: IpcKey,
    ) -> (
        Result<SessionKeys, HandshakeError>,
        Result<SessionKeys, HandshakeError>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            server_handshake(&mut s, &server_key)
        });
        let mut c = TcpStream::connect(addr).unwrap();
        let client = client_handshake(&mut c, &client_key);
        drop(c);
        (server.join().unwrap(), client)
    }

    #[test]
    fn the_same_key_agrees_a_wrong_key_is_refused() {
        let k = IpcKey::generate();
        let (s, c) = handshake(k.clone(), k);
        let (s, c) = (s.unwrap(), c.unwrap());
        // Each side's send key is the other's receive key and not its own.
        let nonce = Nonce::default();
        let mut msg = b"hello".to_vec();
        c.send.encrypt_in_place(&nonce, b"", &mut msg).unwrap();
        let mut reflected = msg.clone();
        assert!(c
            .recv
            .decrypt_in_place(&nonce, b"", &mut reflected)
            .is_err());
        s.recv.decrypt_in_place(&nonce, b"", &mut msg).unwrap();
        assert_eq!(msg, b"hello");

        let (s, c) = handshake(IpcKey::generate(), IpcKey::generate());
        assert!(
            matches!(s, Err(HandshakeError::Refused("wrong IPC key"))),
            "{s:?}"
        );
        assert!(
            matches!(c, Err(HandshakeError::Refused(_))),
            "{:?}",
            c.err()
        );
    }

    fn keys() -> (ChaCha20Poly1305, ChaCha20Poly1305) {
        (cipher(&[1; 32]), cipher(&[1; 32]))
    }

    async fn seal_all(data: &[u8], flush_every: usize) -> Vec<u8> {
        let (tx, _) = keys();
        let mut w = SealedWriter::new(Cursor::new(Vec::new()), tx);
        for chunk in data.chunks(flush_every.max(1)) {
            w.write_all(chunk).await.unwrap();
            w.flush().await.unwrap();
        }
        w.inner.into_inner()
    }

    #[test]
    fn frames_round_trip_and_tampering_fails() {
        futures::executor::block_on(async {
            let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
            for every in [1000, MAX_PLAINTEXT, 3 * MAX_PLAINTEXT] {
                let wire = seal_all(&data, every).await;
                let (_, rx) = keys();
                let mut r = OpenedReader::new(Cursor::new(wire.clone()), rx);
                let mut back = Vec::new();
                r.read_to_end(&mut back).await.unwrap();
                assert_eq!(back, data);
                // No plaintext on the wire.
                assert!(!wire.windows(64).any(|w| w == &data[1000..1064]));
            }
            let mut wire = seal_all(b"some bytes", 100).await;
            let last = wire.len() - 1;
            wire[last] ^= 1;
            let (_, rx) = keys();
            let mut r = OpenedReader::new(Cursor::new(wire), rx);
            let e = r.read_to_end(&mut Vec::new()).await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData);
            // A replayed (repeated) frame fails: its nonce is behind.
            let one = seal_all(b"abc", 100).await;
            let mut twice = one.clone();
            twice.extend_from_slice(&one);
            let (_, rx) = keys();
            let mut r = OpenedReader::new(Cursor::new(twice), rx);
            let mut back = Vec::new();
            assert!(r.read_to_end(&mut back).await.is_err());
            assert_eq!(back, b"abc");
            // A truncated stream is an error, not a clean end.
            let (_, rx) = keys();
            let mut r = OpenedReader::new(Cursor::new(one[..one.len() - 1].to_vec()), rx);
            assert!(r.read_to_end(&mut Vec::new()).await.is_err());
        });
    }
}
