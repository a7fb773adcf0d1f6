//! Block download stalling and timeouts (Core's `m_stalling_since`,
//! `m_block_stalling_timeout`, `m_downloading_since` and
//! `m_peers_downloading_from` in `net_processing.cpp`).
//!
//! A peer holding the first block of the download window while another peer
//! could download more is "stalling" once it has held it longer than the
//! stalling timeout (2 s, doubled up to 64 s on each disconnection, slowly
//! reduced as blocks connect). A peer whose first requested block has taken
//! longer than `spacing × (1 + 0.5 × other downloading peers)` is
//! disconnected.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Mutex;

use bitcoin::BlockHash;

use crate::connman::lock;
use crate::peer::Conn;

/// `BLOCK_STALLING_TIMEOUT_DEFAULT`: 2 seconds.
pub const BLOCK_STALLING_TIMEOUT_DEFAULT_US: i64 = 2_000_000;
/// `BLOCK_STALLING_TIMEOUT_MAX`: 64 seconds.
pub const BLOCK_STALLING_TIMEOUT_MAX_US: i64 = 64_000_000;

/// Download state shared by the peers.
pub(crate) struct StallingShared {
    /// `m_stalling_since` by peer.
    stalling_since: Mutex<HashMap<i64, i64>>,
    /// `m_block_stalling_timeout`.
    timeout_us: AtomicI64,
    /// `m_peers_downloading_from`.
    downloading_from: AtomicUsize,
    /// `m_num_preferred_download_peers`.
    pub preferred_download: AtomicUsize,
    /// `m_last_block_inv_triggering_headers_sync`.
    last_block_inv_triggering_sync: Mutex<Option<BlockHash>>,
}

impl Default for StallingShared {
    fn default() -> Self {
        StallingShared {
            stalling_since: Mutex::new(HashMap::new()),
            timeout_us: AtomicI64::new(BLOCK_STALLING_TIMEOUT_DEFAULT_US),
            downloading_from: AtomicUsize::new(0),
            preferred_download: AtomicUsize::new(0),
            last_block_inv_triggering_sync: Mutex::new(None),
        }
    }
}

impl StallingShared {
    /// A block connected: a raised timeout shrinks back towards 2 s.
    pub fn block_connected(&self) {
        let current = self.timeout_us.load(Ordering::SeqCst);
        if current != BLOCK_STALLING_TIMEOUT_DEFAULT_US {
            let new = ((current as f64 * 0.85) as i64 / 1_000_000 * 1_000_000)
                .max(BLOCK_STALLING_TIMEOUT_DEFAULT_US);
            if self
                .timeout_us
                .compare_exchange(current, new, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                tracing::debug!(target: "net", "Decreased stalling timeout to {} seconds", new / 1_000_000);
            }
        }
    }
}

impl Conn {
    fn stalling(&self) -> &StallingShared {
        &self.net.stalling
    }

    /// Blocks were just requested; `was_empty` when none were in flight.
    pub(crate) fn download_started(&mut self, was_empty: bool, now: i64) {
        if was_empty {
            self.sync.downloading_since_us = now;
            self.stalling()
                .downloading_from
                .fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A requested block arrived from this peer (Core's `RemoveBlockRequest`).
    pub(crate) fn download_received(&mut self, was_first: bool, now_empty: bool, now: i64) {
        if was_first {
            self.sync.downloading_since_us = self.sync.downloading_since_us.max(now);
        }
        if now_empty {
            self.stalling()
                .downloading_from
                .fetch_sub(1, Ordering::SeqCst);
        }
        lock(&self.stalling().stalling_since).remove(&self.id());
    }

    /// Nothing could be requested from this peer and `blocker` (in flight
    /// from another peer) holds the window: that peer starts stalling.
    pub(crate) fn mark_staller(&self, blocker: &BlockHash, now: i64) {
        let Some(staller) = lock(&self.net.blocks_in_flight).get(blocker).copied() else {
            return;
        };
        if staller == self.id() {
            return;
        }
        let mut since = lock(&self.stalling().stalling_since);
        if let std::collections::hash_map::Entry::Vacant(e) = since.entry(staller) {
            e.insert(now);
            tracing::debug!(target: "net", "Stall started peer={staller}");
        }
    }

    /// The stalling and block download timeout checks of `SendMessages`;
    /// true when the peer was disconnected.
    pub(crate) fn check_download_timeouts(
        &mut self,
        first_in_flight: Option<BlockHash>,
        spacing_secs: i64,
    ) -> bool {
        let id = self.id();
        let now = self.net.now_micros();
        let timeout = self.stalling().timeout_us.load(Ordering::SeqCst);
        let since = lock(&self.stalling().stalling_since).get(&id).copied();
        if since.is_some_and(|s| s < now - timeout) {
            tracing::info!("Peer={id} is stalling block download, disconnecting");
            self.disconnect();
            let new = (2 * timeout).min(BLOCK_STALLING_TIMEOUT_MAX_US);
            if new != timeout
                && self
                    .stalling()
                    .timeout_us
                    .compare_exchange(timeout, new, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
            {
                tracing::debug!(target: "net", "Increased stalling timeout temporarily to {} seconds", new / 1_000_000);
            }
            return true;
        }
        if let Some(first) = first_in_flight {
            let others = self
                .stalling()
                .downloading_from
                .load(Ordering::SeqCst)
                .saturating_sub(1) as i64;
            // BLOCK_DOWNLOAD_TIMEOUT_BASE 1, BLOCK_DOWNLOAD_TIMEOUT_PER_PEER 0.5.
            let allowed = spacing_secs * 1_000_000 * (2 + others) / 2;
            if now > self.sync.downloading_since_us + allowed {
                tracing::info!("Timeout downloading block {first} from peer={id}, disconnecting");
                self.disconnect();
                return true;
            }
        }
        false
    }

    /// Whether an `inv` of `block` may start a headers sync with this peer:
    /// only the first peer announcing each new block does.
    pub(crate) fn claim_inv_triggered_sync(&self, block: BlockHash) -> bool {
        let mut last = lock(&self.stalling().last_block_inv_triggering_sync);
        if *last == Some(block) {
            return false;
        }
        *last = Some(block);
        true
    }

    /// Core's `fPreferredDownload`: outbound (not addr-fetch) or `noban`
    /// peers that serve blocks; counted once the handshake is done.
    pub(crate) fn count_preferred_download(&mut self) {
        if self.sync.preferred_download.is_some() {
            return;
        }
        let services = self.peer.stats().services;
        let noban = crate::permissions::has_flag(
            self.peer.permissions.load(Ordering::SeqCst),
            crate::permissions::flags::NO_BAN,
        );
        let preferred = (!self.peer.inbound || noban)
            && self.peer.conn_type() != crate::addr_relay::ConnType::AddrFetch
            && services & (1 | (1 << 10)) != 0;
        self.sync.preferred_download = Some(preferred);
        if preferred {
            self.stalling()
                .preferred_download
                .fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The headers sync with this peer started: it must finish within
    /// 15 minutes plus 1 ms per header expected since our best one.
    pub(crate) fn start_headers_sync_timeout(&mut self, best_header_time: i64, spacing: i64) {
        let now = self.net.now_micros();
        let expected_headers = (now - best_header_time * 1_000_000) / spacing.max(1);
        // HEADERS_DOWNLOAD_TIMEOUT_BASE 15 min, _PER_HEADER 1 ms.
        self.sync.headers_sync_timeout_us = now + 15 * 60 * 1_000_000 + expected_headers / 1000;
    }

    /// Core's headers sync timeout check: our only sync peer, far behind
    /// after the timeout while another preferred peer exists, is dropped.
    pub(crate) fn check_headers_sync_timeout(&mut self, best_header_time: i64) {
        let deadline = self.sync.headers_sync_timeout_us;
        if deadline == 0 || deadline == i64::MAX {
            return;
        }
        let now = self.net.now_micros();
        if best_header_time * 1_000_000 > now - 24 * 60 * 60 * 1_000_000 {
            // Caught up once: never time out later.
            self.sync.headers_sync_timeout_us = i64::MAX;
            return;
        }
        let mine = usize::from(self.sync.preferred_download == Some(true));
        let others = self
            .stalling()
            .preferred_download
            .load(Ordering::SeqCst)
            .saturating_sub(mine);
        if now > deadline && self.net.sync_started.load(Ordering::SeqCst) == 1 && others >= 1 {
            let id = self.id();
            let noban = crate::permissions::has_flag(
                self.peer.permissions.load(Ordering::SeqCst),
                crate::permissions::flags::NO_BAN,
            );
            if !noban {
                tracing::info!("Timeout downloading headers from peer={id}, disconnecting");
                self.disconnect();
            } else {
                tracing::info!(
                    "Timeout downloading headers from noban peer={id}, not disconnecting"
                );
                self.reset_headers_sync();
            }
        }
    }

    /// Core's `FinalizeNode` for the download state.
    pub(crate) fn finalize_stalling(&mut self, had_in_flight: bool) {
        if had_in_flight {
            self.stalling()
                .downloading_from
                .fetch_sub(1, Ordering::SeqCst);
        }
        lock(&self.stalling().stalling_since).remove(&self.id());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_shrinks_back_to_default() {
        let s = StallingShared::default();
        s.block_connected();
        assert_eq!(s.timeout_us.load(Ordering::SeqCst), 2_000_000);
        s.timeout_us.store(64_000_000, Ordering::SeqCst);
        s.block_connected();
        assert_eq!(s.timeout_us.load(Ordering::SeqCst), 54_000_000);
        for _ in 0..40 {
            s.block_connected();
        }
        assert_eq!(s.timeout_us.load(Ordering::SeqCst), 2_000_000);
    }
}
