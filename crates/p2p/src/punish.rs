//! Misbehaviour (Core's `Misbehaving` and `MaybeDiscourageAndDisconnect`):
//! a peer whose score reaches 100 is disconnected and its address
//! discouraged, unless it has `noban`, is a manual connection, or is local.

use std::sync::atomic::Ordering;

use crate::peer::Conn;
use crate::permissions::{flags, has_flag};

/// `DISCOURAGEMENT_THRESHOLD`.
pub const DISCOURAGEMENT_THRESHOLD: i32 = 100;

/// Core's `CNetAddr::IsLocal`: loopback and the unspecified address.
fn is_local(ip: std::net::IpAddr) -> bool {
    ip.is_loopback() || ip.is_unspecified()
}

impl Conn {
    /// Core's `Misbehaving`: adds to the score, logs, and marks the peer for
    /// discouragement when the threshold is crossed.
    pub(crate) fn misbehaving(&mut self, howmuch: i32, message: &str) {
        let id = self.id();
        let (before, now) = {
            let mut s = self.peer.stats();
            let before = s.misbehavior;
            s.misbehavior += howmuch;
            let now = s.misbehavior;
            if now >= DISCOURAGEMENT_THRESHOLD && before < DISCOURAGEMENT_THRESHOLD {
                s.should_discourage = true;
            }
            (before, now)
        };
        let warning = if now >= DISCOURAGEMENT_THRESHOLD && before < DISCOURAGEMENT_THRESHOLD {
            " DISCOURAGE THRESHOLD EXCEEDED"
        } else {
            ""
        };
        let message = if message.is_empty() {
            String::new()
        } else {
            format!(": {message}")
        };
        tracing::debug!(target: "net", "Misbehaving: peer={id} ({before} -> {now}){warning}{message}");
    }

    /// Core's `MaybeDiscourageAndDisconnect`; true when the peer goes.
    pub(crate) fn maybe_discourage_and_disconnect(&mut self) -> bool {
        {
            let mut s = self.peer.stats();
            if !s.should_discourage {
                return false;
            }
            s.should_discourage = false;
        }
        let id = self.id();
        if has_flag(self.peer.permissions.load(Ordering::SeqCst), flags::NO_BAN) {
            tracing::info!("Warning: not punishing noban peer {id}!");
            return false;
        }
        if self.peer.conn_type() == crate::addr_relay::ConnType::Manual {
            tracing::info!("Warning: not punishing manually connected peer {id}!");
            return false;
        }
        if is_local(self.peer.addr.ip()) {
            tracing::debug!(target: "net", "Warning: disconnecting but not discouraging local peer {id}!");
            self.disconnect();
            return true;
        }
        tracing::debug!(target: "net", "Disconnecting and discouraging peer {id}!");
        if let Some(banman) = &self.net.config.banman {
            banman.discourage(self.peer.addr.ip());
        }
        self.net.disconnect_address(self.peer.addr.ip());
        true
    }
}
