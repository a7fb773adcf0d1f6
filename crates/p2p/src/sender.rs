//! Each connection's sending side on its own thread (Core's send buffer and
//! `SocketSendData`): a peer thread never blocks on a full socket, so two
//! nodes sending large messages to each other at once keep reading.
//!
//! Also each connection's transport (Core's `m_transport`): messages are
//! built in v1 framing and, on a BIP324 connection (`-v2transport`),
//! re-encoded as encrypted packets here ([`queue_message`]); received bytes
//! go through [`next_frame`], which decrypts, detects v1 peers on inbound
//! connections and sends the handshake bytes as they become due.

use std::collections::VecDeque;
use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::connman::{lock, Inner};
use crate::framing::{decode_frame, Frame, FrameError, HEADER_SIZE};
use crate::peer::PeerShared;
use crate::v2transport::{encode_contents, TransportInfo, V2Transport, EXPANSION};

/// Starts the writer of `stream`; the queue is reachable through the peer
/// (`PeerShared::outbox`) until [`stop`].
pub(crate) fn start(stream: &TcpStream, peer: &Arc<PeerShared>) -> Option<JoinHandle<()>> {
    let mut out = stream.try_clone().ok()?;
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let p = peer.clone();
    let handle = std::thread::Builder::new()
        .name(format!("b-net-send{}", peer.id))
        .spawn(move || {
            for bytes in rx {
                if let Err(e) = out.write_all(&bytes) {
                    tracing::debug!(target: "net", "socket send error for peer={}: {e}", p.id);
                    p.disconnect.store(true, Ordering::SeqCst);
                    return;
                }
            }
        })
        .ok()?;
    *lock(&peer.outbox) = Some(tx);
    Some(handle)
}

/// Queues bytes for the peer; false when its writer is gone.
pub(crate) fn queue(peer: &PeerShared, bytes: Vec<u8>) -> bool {
    match lock(&peer.outbox).as_ref() {
        Some(tx) => tx.send(bytes).is_ok(),
        None => false,
    }
}

/// Closes the queue and waits for the writer (the socket must be shut down
/// first so that a blocked write ends).
pub(crate) fn stop(peer: &PeerShared, handle: Option<JoinHandle<()>>) {
    lock(&peer.outbox).take();
    if let Some(h) = handle {
        let _ = h.join();
    }
}

/// A connection's transport (Core's `m_transport`): v1 framing, or a BIP324
/// [`V2Transport`] (which may itself have fallen back to v1 on an inbound
/// connection) with the messages waiting for its handshake.
pub(crate) enum Transport {
    V1,
    V2 {
        t: Box<V2Transport>,
        /// Messages queued before the transport could take them (Core's
        /// `vSendMsg` while the handshake is under way).
        pending: VecDeque<(String, Vec<u8>)>,
    },
}

impl Transport {
    /// A v2 transport: initiating for outbound connections, responding (with
    /// v1 detection) for inbound ones.
    pub(crate) fn v2(peer_id: i64, inbound: bool, magic: [u8; 4]) -> Transport {
        Transport::V2 {
            t: Box::new(V2Transport::new(peer_id, !inbound, magic)),
            pending: VecDeque::new(),
        }
    }

    /// Whether messages go out with v1 framing.
    fn is_v1(&self) -> bool {
        match self {
            Transport::V1 => true,
            Transport::V2 { t, .. } => t.is_v1_fallback(),
        }
    }

    /// `Transport::GetInfo`.
    pub(crate) fn info(&self) -> TransportInfo {
        match self {
            Transport::V1 => TransportInfo::V1,
            Transport::V2 { t, .. } => t.info(),
        }
    }

    /// `ShouldReconnectV1`.
    pub(crate) fn should_reconnect_v1(&self) -> bool {
        match self {
            Transport::V1 => false,
            Transport::V2 { t, .. } => t.should_reconnect_v1(),
        }
    }
}

/// Hands whatever the v2 transport has to send (handshake bytes, then the
/// pending messages one by one) to the writer.
fn flush(net: &Inner, peer: &PeerShared, transport: &mut Transport) {
    let Transport::V2 { t, pending } = transport else {
        return;
    };
    if t.is_v1_fallback() {
        return;
    }
    loop {
        let bytes = t.bytes_to_send().to_vec();
        if !bytes.is_empty() {
            let n = bytes.len();
            let msg_type = t.send_msg_type().to_string();
            t.mark_bytes_sent(n);
            if !queue(peer, bytes) {
                peer.disconnect.store(true, Ordering::SeqCst);
                return;
            }
            if msg_type.is_empty() {
                // Handshake bytes: counted in the totals only (messages are
                // counted when queued).
                net.total_sent.fetch_add(n as u64, Ordering::SeqCst);
                lock(&peer.stats).bytes_sent += n as u64;
            }
        }
        if !t.can_send_message() {
            return;
        }
        let Some((msg_type, payload)) = pending.pop_front() else {
            return;
        };
        t.set_message_to_send(&msg_type, &payload);
    }
}

/// Queues a message given in v1 framing (header and payload) through the
/// connection's transport; the bytes it takes on the wire (what Core counts
/// per message type), or `None` when the writer is gone.
pub(crate) fn queue_message(net: &Inner, peer: &PeerShared, v1_bytes: Vec<u8>) -> Option<usize> {
    let mut transport = lock(&peer.transport);
    if transport.is_v1() {
        let n = v1_bytes.len();
        return queue(peer, v1_bytes).then_some(n);
    }
    let raw = &v1_bytes[4..16];
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    let msg_type = String::from_utf8_lossy(&raw[..end]).into_owned();
    let payload = v1_bytes[HEADER_SIZE..].to_vec();
    let wire = encode_contents(&msg_type, &payload).len() + EXPANSION;
    if let Transport::V2 { pending, .. } = &mut *transport {
        pending.push_back((msg_type, payload));
    }
    flush(net, peer, &mut transport);
    if lock(&peer.outbox).is_none() {
        return None;
    }
    Some(wire)
}

/// Takes the next message out of the received bytes in `buf` (consumed as
/// far as the transport needs), decrypting v2 packets and switching to v1
/// framing when an inbound peer turns out to speak v1.
pub(crate) fn next_frame(
    net: &Inner,
    peer: &PeerShared,
    buf: &mut Vec<u8>,
) -> Result<Option<Frame>, FrameError> {
    let magic = net.config.magic;
    let mut transport = lock(&peer.transport);
    let Transport::V2 { t, .. } = &mut *transport else {
        return decode_frame(buf, magic);
    };
    if t.is_v1_fallback() {
        return decode_frame(buf, magic);
    }
    let mut data: &[u8] = buf;
    let result = t.received_bytes(&mut data);
    let consumed = buf.len() - data.len();
    buf.drain(..consumed);
    result.map_err(FrameError::V2)?;
    if t.is_v1_fallback() {
        let mut v1 = t.take_v1_bytes();
        v1.append(buf);
        *buf = v1;
        return decode_frame(buf, magic);
    }
    let complete = t.received_message_complete();
    let frame = if complete {
        Some(match t.get_received_message() {
            Ok(m) => Frame::Message {
                command: m.msg_type,
                payload: m.payload,
                size: m.raw_size,
            },
            Err(r) => Frame::Rejected {
                reason: format!(
                    "V2 transport error: invalid message type ({} bytes contents)",
                    r.raw_size - EXPANSION
                ),
                size: r.raw_size,
            },
        })
    } else {
        None
    };
    flush(net, peer, &mut transport);
    Ok(frame)
}
