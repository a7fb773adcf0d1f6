//! The node's view of its active chain, until the chainstate crate takes over:
//! an in-memory list of block index entries starting at the genesis block, and
//! a notification point for "the tip changed" that `waitfornewblock` and
//! friends wait on.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use bitcoin::block::Header;
use bitcoin::pow::Work;
use bitcoin::BlockHash;

/// What the RPCs need to know of one block on the active chain
/// (a subset of Core's `CBlockIndex`).
#[derive(Clone, Debug)]
pub struct BlockEntry {
    pub hash: BlockHash,
    pub height: u32,
    pub header: Header,
    /// Total work of the chain up to and including this block.
    pub chain_work: Work,
    /// Number of transactions in the chain up to and including this block.
    pub chain_tx: u64,
}

/// The tip as `waitfornewblock` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TipInfo {
    pub hash: BlockHash,
    pub height: u32,
}

/// The active chain and its tip-changed notification.
pub struct ActiveChain {
    blocks: Mutex<Vec<BlockEntry>>,
    tip_changed: Condvar,
}

impl ActiveChain {
    /// A chain holding only the genesis block.
    pub fn new(genesis: &bitcoin::Block) -> Self {
        let entry = BlockEntry {
            hash: genesis.block_hash(),
            height: 0,
            header: genesis.header,
            chain_work: genesis.header.work(),
            chain_tx: genesis.txdata.len() as u64,
        };
        ActiveChain {
            blocks: Mutex::new(vec![entry]),
            tip_changed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<BlockEntry>> {
        self.blocks.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn height(&self) -> u32 {
        (self.lock().len() - 1) as u32
    }

    pub fn tip(&self) -> BlockEntry {
        self.lock()
            .last()
            .cloned()
            .expect("the chain holds genesis")
    }

    pub fn tip_info(&self) -> TipInfo {
        let tip = self.tip();
        TipInfo {
            hash: tip.hash,
            height: tip.height,
        }
    }

    pub fn at_height(&self, height: u32) -> Option<BlockEntry> {
        self.lock().get(height as usize).cloned()
    }

    pub fn by_hash(&self, hash: &BlockHash) -> Option<BlockEntry> {
        self.lock().iter().find(|e| &e.hash == hash).cloned()
    }

    /// Median time of the last 11 blocks ending at `height` (Core's
    /// `CBlockIndex::GetMedianTimePast`).
    pub fn median_time_past(&self, height: u32) -> u32 {
        let blocks = self.lock();
        let end = (height as usize + 1).min(blocks.len());
        let start = end.saturating_sub(11);
        let mut times: Vec<u32> = blocks[start..end].iter().map(|e| e.header.time).collect();
        times.sort_unstable();
        times[times.len() / 2]
    }

    /// Wakes every waiter; called whenever the tip moves, and at shutdown.
    pub fn notify_all(&self) {
        let _guard = self.lock();
        self.tip_changed.notify_all();
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
        let mut blocks = self.lock();
        loop {
            let tip = blocks.last().expect("the chain holds genesis");
            let info = TipInfo {
                hash: tip.hash,
                height: tip.height,
            };
            if done(&info) || interrupted() {
                return info;
            }
            // Wake at least every 100 ms to notice an interruption that was
            // signalled without the chain lock.
            let mut slice = Duration::from_millis(100);
            if let Some(d) = deadline {
                let now = Instant::now();
                if now >= d {
                    return info;
                }
                slice = slice.min(d - now);
            }
            blocks = self
                .tip_changed
                .wait_timeout(blocks, slice)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Core's `GetDifficulty`: the block's target relative to 0x1d00ffff, computed
/// from the compact bits exactly as Core does (so the printed value matches).
pub fn difficulty_from_bits(bits: u32) -> f64 {
    let mut shift = (bits >> 24) & 0xff;
    let mut diff = 0x0000ffff as f64 / (bits & 0x00ff_ffff) as f64;
    while shift < 29 {
        diff *= 256.0;
        shift += 1;
    }
    while shift > 29 {
        diff /= 256.0;
        shift -= 1;
    }
    diff
}

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
