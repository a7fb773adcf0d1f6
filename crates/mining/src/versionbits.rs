//! BIP9 version bits (Core's `versionbits.cpp`): the threshold state of each
//! deployment of the chain parameters, per retarget-sized period of
//! `miner_confirmation_window` blocks (120 on Widecoin, threshold 95), and the
//! block version a miner signals with (`ComputeBlockVersion`).

use std::collections::HashMap;
use std::sync::Mutex;

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use widecoin_chainparams::consensus::{
    Bip9Deployment, DeploymentPos, MAX_VERSION_BITS_DEPLOYMENTS,
};
use widecoin_chainparams::ConsensusParams;
use widecoin_chainstate::index::{BlockIndex, EntryId};

/// `VERSIONBITS_TOP_BITS`: what a version-bits block version starts with.
pub const VERSIONBITS_TOP_BITS: i32 = 0x2000_0000;
/// `VERSIONBITS_TOP_MASK`.
pub const VERSIONBITS_TOP_MASK: i32 = 0xE000_0000_u32 as i32;
/// `VERSIONBITS_NUM_BITS`.
pub const VERSIONBITS_NUM_BITS: u32 = 29;
/// `VERSIONBITS_LAST_OLD_BLOCK_VERSION`.
pub const VERSIONBITS_LAST_OLD_BLOCK_VERSION: i32 = 4;

/// A deployment's BIP9 state (Core's `ThresholdState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThresholdState {
    Defined,
    Started,
    LockedIn,
    Active,
    Failed,
}

impl ThresholdState {
    /// The name used by `getdeploymentinfo` and `getblocktemplate`.
    pub fn name(self) -> &'static str {
        match self {
            ThresholdState::Defined => "defined",
            ThresholdState::Started => "started",
            ThresholdState::LockedIn => "locked_in",
            ThresholdState::Active => "active",
            ThresholdState::Failed => "failed",
        }
    }
}

/// Signalling statistics of the current period (Core's `BIP9Stats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bip9Stats {
    pub period: u32,
    pub threshold: u32,
    pub elapsed: u32,
    pub count: u32,
    pub possible: bool,
}

/// The `nVersion` bit of a deployment (`VersionBitsCache::Mask`).
pub fn mask(params: &ConsensusParams, pos: DeploymentPos) -> u32 {
    1u32 << params.deployment(pos).bit
}

/// Whether the block `id` signals for `pos` (the checker's `Condition`).
fn signals(index: &BlockIndex, id: EntryId, params: &ConsensusParams, pos: DeploymentPos) -> bool {
    let v = index.entry(id).header.version.to_consensus();
    (v & VERSIONBITS_TOP_MASK) == VERSIONBITS_TOP_BITS && (v as u32 & mask(params, pos)) != 0
}

/// Core's `VersionBitsCache`: per deployment, the state of the block after
/// each period's last block (keyed by that block's hash; the zero hash stands
/// for the parent of the genesis block). Shared by the miner and the RPCs.
#[derive(Debug, Default)]
pub struct VersionBitsCache {
    caches: Mutex<[HashMap<BlockHash, ThresholdState>; MAX_VERSION_BITS_DEPLOYMENTS]>,
}

impl VersionBitsCache {
    pub fn new() -> VersionBitsCache {
        VersionBitsCache::default()
    }

    /// Forgets every cached state (Core's `Clear`, after `-vbparams` changes).
    pub fn clear(&self) {
        let mut caches = self.caches.lock().expect("not poisoned");
        for c in caches.iter_mut() {
            c.clear();
        }
    }

    /// The state of `pos` for the block after `prev` (`None`: the genesis
    /// block) (Core's `GetStateFor`).
    pub fn state(
        &self,
        index: &BlockIndex,
        prev: Option<EntryId>,
        params: &ConsensusParams,
        pos: DeploymentPos,
    ) -> ThresholdState {
        let mut caches = self.caches.lock().expect("not poisoned");
        state_for(index, prev, params, pos, &mut caches[pos as usize])
    }

    /// The height from which the current state of `pos` holds for the block
    /// after `prev` (Core's `GetStateSinceHeightFor`).
    pub fn state_since_height(
        &self,
        index: &BlockIndex,
        prev: Option<EntryId>,
        params: &ConsensusParams,
        pos: DeploymentPos,
    ) -> u32 {
        let d = params.deployment(pos);
        if d.start_time == Bip9Deployment::ALWAYS_ACTIVE
            || d.start_time == Bip9Deployment::NEVER_ACTIVE
        {
            return 0;
        }
        let mut caches = self.caches.lock().expect("not poisoned");
        let cache = &mut caches[pos as usize];
        let initial = state_for(index, prev, params, pos, cache);
        if initial == ThresholdState::Defined {
            return 0;
        }
        let period = params.miner_confirmation_window;
        let prev = prev.expect("only the genesis block has no parent, and it is DEFINED");
        let mut p = period_end(index, prev, period).expect("not DEFINED, so past the first period");
        loop {
            let h = index.entry(p).height;
            let Some(earlier) = h.checked_sub(period).and_then(|h| index.ancestor(p, h)) else {
                break;
            };
            if state_for(index, Some(earlier), params, pos, cache) != initial {
                break;
            }
            p = earlier;
        }
        index.entry(p).height + 1
    }

    /// `ComputeBlockVersion`: the top bits, plus the bit of every deployment
    /// STARTED or LOCKED_IN for the block after `prev`.
    pub fn compute_block_version(
        &self,
        index: &BlockIndex,
        prev: Option<EntryId>,
        params: &ConsensusParams,
    ) -> i32 {
        let mut version = VERSIONBITS_TOP_BITS;
        for pos in DeploymentPos::ALL {
            let s = self.state(index, prev, params, pos);
            if matches!(s, ThresholdState::Started | ThresholdState::LockedIn) {
                version |= mask(params, pos) as i32;
            }
        }
        version
    }
}

/// The last block of the period before the one holding the block after
/// `prev`, or `None` when that block is in the first period.
fn period_end(index: &BlockIndex, prev: EntryId, period: u32) -> Option<EntryId> {
    let h = index.entry(prev).height;
    let back = (h + 1) % period;
    // The parent of the genesis block is represented by `None`.
    (h + 1 - back).checked_sub(1).map(|target| {
        index
            .ancestor(prev, target)
            .expect("ancestor of a lower height")
    })
}

fn cache_key(index: &BlockIndex, id: Option<EntryId>) -> BlockHash {
    id.map_or(BlockHash::all_zeros(), |id| index.entry(id).hash)
}

/// Core's `AbstractThresholdConditionChecker::GetStateFor`.
fn state_for(
    index: &BlockIndex,
    prev: Option<EntryId>,
    params: &ConsensusParams,
    pos: DeploymentPos,
    cache: &mut HashMap<BlockHash, ThresholdState>,
) -> ThresholdState {
    let d = params.deployment(pos);
    if d.start_time == Bip9Deployment::ALWAYS_ACTIVE {
        return ThresholdState::Active;
    }
    if d.start_time == Bip9Deployment::NEVER_ACTIVE {
        return ThresholdState::Failed;
    }
    let period = params.miner_confirmation_window;
    let threshold = params.rule_change_activation_threshold;
    // A block's state is that of the first block of its period.
    let mut p = prev.and_then(|prev| period_end(index, prev, period));
    // Walk back a period at a time to a known state.
    let mut to_compute = Vec::new();
    loop {
        let key = cache_key(index, p);
        if cache.contains_key(&key) {
            break;
        }
        let Some(id) = p else {
            // The genesis block is DEFINED by definition.
            cache.insert(key, ThresholdState::Defined);
            break;
        };
        if index.median_time_past(id) < d.start_time {
            // Every earlier block is before the start time too.
            cache.insert(key, ThresholdState::Defined);
            break;
        }
        to_compute.push(id);
        let h = index.entry(id).height;
        p = h
            .checked_sub(period)
            .map(|h| index.ancestor(id, h).expect("lower height"));
    }
    let mut state = cache[&cache_key(index, p)];
    // Walk forward computing each period's state.
    while let Some(id) = to_compute.pop() {
        let next = match state {
            ThresholdState::Defined => {
                if index.median_time_past(id) >= d.start_time {
                    ThresholdState::Started
                } else {
                    state
                }
            }
            ThresholdState::Started => {
                let mut count = 0;
                let mut c = Some(id);
                for _ in 0..period {
                    let Some(cid) = c else { break };
                    if signals(index, cid, params, pos) {
                        count += 1;
                    }
                    c = index.entry(cid).prev;
                }
                if count >= threshold {
                    ThresholdState::LockedIn
                } else if index.median_time_past(id) >= d.timeout {
                    ThresholdState::Failed
                } else {
                    state
                }
            }
            ThresholdState::LockedIn => {
                if i64::from(index.entry(id).height) + 1 >= i64::from(d.min_activation_height) {
                    ThresholdState::Active
                } else {
                    state
                }
            }
            ThresholdState::Failed | ThresholdState::Active => state,
        };
        cache.insert(index.entry(id).hash, next);
        state = next;
    }
    state
}

/// Signalling in the period of the block `id` up to and including it (Core's
/// `GetStateStatisticsFor`); also returns which of those blocks signalled.
pub fn statistics(
    index: &BlockIndex,
    id: Option<EntryId>,
    params: &ConsensusParams,
    pos: DeploymentPos,
) -> (Bip9Stats, Vec<bool>) {
    let period = params.miner_confirmation_window;
    let threshold = params.rule_change_activation_threshold;
    let mut stats = Bip9Stats {
        period,
        threshold,
        ..Bip9Stats::default()
    };
    let Some(id) = id else {
        return (stats, Vec::new());
    };
    let in_period = 1 + index.entry(id).height % period;
    let mut signalling = vec![false; in_period as usize];
    let mut cur = Some(id);
    for slot in (0..in_period as usize).rev() {
        let c = cur.expect("the period starts at or after genesis");
        stats.elapsed += 1;
        if signals(index, c, params, pos) {
            stats.count += 1;
            signalling[slot] = true;
        }
        cur = index.entry(c).prev;
    }
    stats.possible = period - threshold >= stats.elapsed - stats.count;
    (stats, signalling)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::block::{Header, Version};
    use bitcoin::{CompactTarget, TxMerkleNode};
    use widecoin_chainparams::{ChainParams, ChainType};
    use widecoin_chainstate::block_status;

    /// A header chain of `versions.len()` blocks after a genesis, 30 s apart.
    fn chain(versions: &[i32]) -> (BlockIndex, Vec<EntryId>) {
        let mut index = BlockIndex::default();
        let mut prev = BlockHash::all_zeros();
        let mut ids = Vec::new();
        for (n, v) in std::iter::once(&1).chain(versions).enumerate() {
            let h = Header {
                version: Version::from_consensus(*v),
                prev_blockhash: prev,
                merkle_root: TxMerkleNode::all_zeros(),
                time: 1_000_000 + 30 * n as u32,
                bits: CompactTarget::from_consensus(0x207f_ffff),
                nonce: n as u32,
            };
            prev = h.block_hash();
            ids.push(index.insert(h, block_status::VALID_TREE));
        }
        (index, ids)
    }

    fn params(start: i64, timeout: i64, min_act: i32) -> ConsensusParams {
        let mut c = ChainParams::new(ChainType::Regtest).consensus;
        c.deployments[DeploymentPos::TestDummy as usize] = Bip9Deployment {
            bit: 28,
            start_time: start,
            timeout,
            min_activation_height: min_act,
        };
        c
    }

    const SIGNAL: i32 = 0x3000_0000;
    const NO_SIGNAL: i32 = 0x2000_0000;

    /// State of the block at `height` (its parent is `ids[height - 1]`).
    fn at(
        cache: &VersionBitsCache,
        index: &BlockIndex,
        ids: &[EntryId],
        c: &ConsensusParams,
        height: usize,
    ) -> ThresholdState {
        cache.state(index, Some(ids[height - 1]), c, DeploymentPos::TestDummy)
    }

    #[test]
    fn regtest_periods_of_120_lock_in_at_95() {
        let c = params(0, Bip9Deployment::NO_TIMEOUT, 0);
        assert_eq!(c.miner_confirmation_window, 120);
        assert_eq!(c.rule_change_activation_threshold, 95);
        // Period 1 (120..239): 95 signal, exactly the threshold.
        let mut v = vec![NO_SIGNAL; 119];
        v.extend(std::iter::repeat_n(SIGNAL, 95));
        v.extend(std::iter::repeat_n(NO_SIGNAL, 25));
        v.extend(std::iter::repeat_n(NO_SIGNAL, 130));
        let (index, ids) = chain(&v);
        let cache = VersionBitsCache::new();
        let dummy = DeploymentPos::TestDummy;
        assert_eq!(
            cache.state(&index, None, &c, dummy),
            ThresholdState::Defined
        );
        assert_eq!(at(&cache, &index, &ids, &c, 119), ThresholdState::Defined);
        assert_eq!(at(&cache, &index, &ids, &c, 120), ThresholdState::Started);
        assert_eq!(at(&cache, &index, &ids, &c, 239), ThresholdState::Started);
        assert_eq!(at(&cache, &index, &ids, &c, 240), ThresholdState::LockedIn);
        assert_eq!(at(&cache, &index, &ids, &c, 359), ThresholdState::LockedIn);
        assert_eq!(at(&cache, &index, &ids, &c, 360), ThresholdState::Active);
        assert_eq!(
            cache.state_since_height(&index, Some(ids[359]), &c, dummy),
            360
        );
        assert_eq!(
            cache.state_since_height(&index, Some(ids[300]), &c, dummy),
            240
        );
        assert_eq!(
            cache.state_since_height(&index, Some(ids[130]), &c, dummy),
            120
        );
        assert_eq!(
            cache.state_since_height(&index, Some(ids[100]), &c, dummy),
            0
        );
        // The version signals while STARTED or LOCKED_IN only.
        assert_eq!(
            cache.compute_block_version(&index, Some(ids[118]), &c),
            NO_SIGNAL
        );
        assert_eq!(
            cache.compute_block_version(&index, Some(ids[119]), &c),
            SIGNAL
        );
        assert_eq!(
            cache.compute_block_version(&index, Some(ids[300]), &c),
            SIGNAL
        );
        assert_eq!(
            cache.compute_block_version(&index, Some(ids[359]), &c),
            NO_SIGNAL
        );
        // A fresh cache computing straight from a late block agrees.
        let fresh = VersionBitsCache::new();
        assert_eq!(at(&fresh, &index, &ids, &c, 370), ThresholdState::Active);
        // Statistics of the partial period 240..=250.
        let (s, bits) = statistics(&index, Some(ids[250]), &c, dummy);
        assert_eq!((s.elapsed, s.count, s.possible), (11, 0, true));
        assert_eq!(bits.len(), 11);
        let (s, _) = statistics(&index, Some(ids[239]), &c, dummy);
        assert_eq!((s.elapsed, s.count, s.possible), (120, 95, true));
    }

    #[test]
    fn one_short_of_the_threshold_stays_started_then_times_out() {
        let timeout = 1_000_000 + 30 * 300;
        let c = params(0, timeout, 0);
        let mut v = vec![NO_SIGNAL; 119];
        v.extend(std::iter::repeat_n(SIGNAL, 94));
        v.extend(std::iter::repeat_n(NO_SIGNAL, 26 + 240));
        let (index, ids) = chain(&v);
        let cache = VersionBitsCache::new();
        assert_eq!(at(&cache, &index, &ids, &c, 240), ThresholdState::Started);
        // MTP of block 359 is past the timeout.
        assert_eq!(at(&cache, &index, &ids, &c, 360), ThresholdState::Failed);
        let (s, _) = statistics(&index, Some(ids[239]), &c, DeploymentPos::TestDummy);
        assert!(!s.possible);
    }

    #[test]
    fn min_activation_height_delays_active() {
        let c = params(0, Bip9Deployment::NO_TIMEOUT, 480);
        let mut v = vec![NO_SIGNAL; 119];
        v.extend(std::iter::repeat_n(SIGNAL, 120));
        v.extend(std::iter::repeat_n(NO_SIGNAL, 300));
        let (index, ids) = chain(&v);
        let cache = VersionBitsCache::new();
        assert_eq!(at(&cache, &index, &ids, &c, 360), ThresholdState::LockedIn);
        assert_eq!(at(&cache, &index, &ids, &c, 479), ThresholdState::LockedIn);
        assert_eq!(at(&cache, &index, &ids, &c, 480), ThresholdState::Active);
    }

    #[test]
    fn always_and_never_active() {
        let c = params(Bip9Deployment::NEVER_ACTIVE, Bip9Deployment::NO_TIMEOUT, 0);
        let (index, ids) = chain(&[SIGNAL; 5]);
        let cache = VersionBitsCache::new();
        assert_eq!(at(&cache, &index, &ids, &c, 5), ThresholdState::Failed);
        assert_eq!(
            cache.state(&index, Some(ids[4]), &c, DeploymentPos::Taproot),
            ThresholdState::Active
        );
        assert_eq!(
            cache.compute_block_version(&index, Some(ids[4]), &c),
            NO_SIGNAL
        );
    }
}
