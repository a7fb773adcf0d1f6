//! The node's handle on the chainstate: the `ChainstateManager` behind one
//! lock (Core's `cs_main`), and a tip-changed notification that
//! `waitfornewblock` and friends wait on.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bitcoin::{Block, BlockHash};
use widecoin_chainstate::{BlockIndexEntry, ChainstateManager, ValidationListener};

/// The tip as `waitfornewblock` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TipInfo {
    pub hash: BlockHash,
    pub height: u32,
}

/// The latest tip, updated by the chainstate's notifications.
struct TipState {
    tip: Mutex<TipInfo>,
    changed: Condvar,
}

impl ValidationListener for TipState {
    fn updated_block_tip(&self, tip: &BlockIndexEntry, _fork: Option<u32>, _ibd: bool) {
        let mut t = self.tip.lock().unwrap_or_else(|e| e.into_inner());
        *t = TipInfo {
            hash: tip.hash,
            height: tip.height,
        };
        self.changed.notify_all();
    }
}

/// The chainstate shared by RPC threads.
pub struct NodeChain {
    chainman: Mutex<ChainstateManager>,
    tip: Arc<TipState>,
}

impl NodeChain {
    pub fn new(mut chainman: ChainstateManager) -> Self {
        let entry = chainman.tip().expect("the chainstate holds genesis");
        let tip = Arc::new(TipState {
            tip: Mutex::new(TipInfo {
                hash: entry.hash,
                height: entry.height,
            }),
            changed: Condvar::new(),
        });
        chainman.add_listener(tip.clone());
        NodeChain {
            chainman: Mutex::new(chainman),
            tip,
        }
    }

    /// Locks the chainstate (Core's `LOCK(cs_main)`).
    pub fn lock(&self) -> MutexGuard<'_, ChainstateManager> {
        self.chainman.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Processes a block as if received (`ProcessNewBlock`).
    pub fn process_new_block(
        &self,
        block: &Block,
    ) -> Result<bool, widecoin_chainstate::ChainstateError> {
        self.lock().process_new_block(block)
    }

    pub fn tip_info(&self) -> TipInfo {
        *self.tip.tip.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes every waiter (at shutdown).
    pub fn notify_all(&self) {
        let _g = self.tip.tip.lock().unwrap_or_else(|e| e.into_inner());
        self.tip.changed.notify_all();
    }

    /// Blocks until `done(tip)` holds, `interrupted()` holds, or `timeout`
    /// passes (`None` waits forever); returns the tip at that moment.
    pub fn wait_for(
        &self,
        timeout: Option<Duration>,
        interrupted: &dyn Fn() -> bool,
        done: &dyn Fn(&TipInfo) -> bool,
    ) -> TipInfo {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut tip = self.tip.tip.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if done(&tip) || interrupted() {
                return *tip;
            }
            // Wake at least every 100 ms to notice an interruption that was
            // signalled without this lock.
            let mut slice = Duration::from_millis(100);
            if let Some(d) = deadline {
                let now = Instant::now();
                if now >= d {
                    return *tip;
                }
                slice = slice.min(d - now);
            }
            tip = self
                .tip
                .changed
                .wait_timeout(tip, slice)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Core's `GetDifficulty`, shared with the miner's `getmininginfo`.
pub use widecoin_mining::difficulty as difficulty_from_bits;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difficulty_matches_core() {
        assert_eq!(difficulty_from_bits(0x1d00ffff), 1.0);
        assert_eq!(
            crate::rpc::util::format_g16(difficulty_from_bits(0x207fffff)),
            "4.656542373906925e-10"
        );
        assert_eq!(difficulty_from_bits(0x1e0ffff0), 0.000244140625);
    }
}
