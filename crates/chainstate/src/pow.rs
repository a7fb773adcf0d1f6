//! Proof of work (Core's `pow.cpp` and `arith_uint256`): compact targets,
//! `CheckProofOfWork` and `GetNextWorkRequired` with Widecoin's 120-block
//! retarget (Bitcoin's algorithm with its off-by-one: 119 intervals measured).

use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, Target, Work};
use widecoin_chainparams::ConsensusParams;

use crate::index::{BlockIndex, EntryId};

/// A 256-bit unsigned integer, little-endian 64-bit limbs (`arith_uint256`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct U256(pub [u64; 4]);

impl PartialOrd for U256 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for U256 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.iter().rev().cmp(other.0.iter().rev())
    }
}

impl U256 {
    pub fn from_le_bytes(b: [u8; 32]) -> U256 {
        let mut l = [0u64; 4];
        for (i, limb) in l.iter_mut().enumerate() {
            *limb = u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        }
        U256(l)
    }

    pub fn to_le_bytes(self) -> [u8; 32] {
        let mut b = [0u8; 32];
        for (i, limb) in self.0.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&limb.to_le_bytes());
        }
        b
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 4]
    }

    /// Number of significant bits.
    pub fn bits(&self) -> u32 {
        for i in (0..4).rev() {
            if self.0[i] != 0 {
                return 64 * i as u32 + (64 - self.0[i].leading_zeros());
            }
        }
        0
    }

    fn shl(self, n: u32) -> U256 {
        let mut out = [0u64; 4];
        let (words, bits) = ((n / 64) as usize, n % 64);
        for i in (0..4).rev() {
            if i < words {
                continue;
            }
            let mut v = self.0[i - words] << bits;
            if bits > 0 && i > words {
                v |= self.0[i - words - 1] >> (64 - bits);
            }
            out[i] = v;
        }
        U256(out)
    }

    fn shr(self, n: u32) -> U256 {
        let mut out = [0u64; 4];
        let (words, bits) = ((n / 64) as usize, n % 64);
        for (i, o) in out.iter_mut().enumerate() {
            if i + words >= 4 {
                break;
            }
            let mut v = self.0[i + words] >> bits;
            if bits > 0 && i + words + 1 < 4 {
                v |= self.0[i + words + 1] << (64 - bits);
            }
            *o = v;
        }
        U256(out)
    }

    /// Multiplication by a 64-bit value, wrapping at 256 bits as Core's does.
    pub fn mul_u64(self, m: u64) -> U256 {
        let mut out = [0u64; 4];
        let mut carry: u128 = 0;
        for (i, o) in out.iter_mut().enumerate() {
            let v = u128::from(self.0[i]) * u128::from(m) + carry;
            *o = v as u64;
            carry = v >> 64;
        }
        U256(out)
    }

    pub fn div_u64(self, d: u64) -> U256 {
        let mut out = [0u64; 4];
        let mut rem: u128 = 0;
        for i in (0..4).rev() {
            let cur = (rem << 64) | u128::from(self.0[i]);
            out[i] = (cur / u128::from(d)) as u64;
            rem = cur % u128::from(d);
        }
        U256(out)
    }

    /// Core's `SetCompact`: the value and the negative and overflow flags.
    pub fn from_compact(compact: u32) -> (U256, bool, bool) {
        let size = compact >> 24;
        let mut word = compact & 0x007f_ffff;
        let value = if size <= 3 {
            word >>= 8 * (3 - size);
            U256([u64::from(word), 0, 0, 0])
        } else {
            U256([u64::from(word), 0, 0, 0]).shl(8 * (size - 3))
        };
        let negative = word != 0 && compact & 0x0080_0000 != 0;
        let overflow =
            word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
        (value, negative, overflow)
    }

    /// Core's `GetCompact` (never negative here).
    pub fn to_compact(self) -> u32 {
        let mut size = self.bits().div_ceil(8);
        let mut compact = if size <= 3 {
            (self.0[0] << (8 * (3 - size))) as u32
        } else {
            self.shr(8 * (size - 3)).0[0] as u32
        };
        if compact & 0x0080_0000 != 0 {
            compact >>= 8;
            size += 1;
        }
        compact | (size << 24)
    }

    pub fn from_target(t: Target) -> U256 {
        U256::from_le_bytes(t.to_le_bytes())
    }

    fn from_hash(h: &BlockHash) -> U256 {
        U256::from_le_bytes(h.to_byte_array())
    }
}

/// Core's `GetBlockProof`: the expected number of hashes for `bits`
/// (zero for an invalid target).
pub fn block_proof(bits: u32) -> Work {
    let (target, negative, overflow) = U256::from_compact(bits);
    if negative || overflow || target.is_zero() {
        return Work::from_le_bytes([0; 32]);
    }
    Target::from_le_bytes(target.to_le_bytes()).to_work()
}

/// Core's `CheckProofOfWork`: `bits` is a valid target no easier than the
/// limit, and `hash` meets it.
pub fn check_proof_of_work(hash: &BlockHash, bits: u32, params: &ConsensusParams) -> bool {
    let (target, negative, overflow) = U256::from_compact(bits);
    if negative || overflow || target.is_zero() || target > U256::from_target(params.pow_limit) {
        return false;
    }
    U256::from_hash(hash) <= target
}

/// Core's `CalculateNextWorkRequired`.
pub fn calculate_next_work_required(
    last_bits: u32,
    last_time: i64,
    first_block_time: i64,
    params: &ConsensusParams,
) -> u32 {
    if params.pow_no_retargeting {
        return last_bits;
    }
    let timespan = params.pow_target_timespan;
    let actual = (last_time - first_block_time).clamp(timespan / 4, timespan * 4);
    let limit = U256::from_target(params.pow_limit);
    let (target, _, _) = U256::from_compact(last_bits);
    let mut new = target.mul_u64(actual as u64).div_u64(timespan as u64);
    if new > limit {
        new = limit;
    }
    new.to_compact()
}

/// Core's `GetNextWorkRequired`: the nBits a block with time `time` on top of
/// `prev` must carry.
pub fn next_work_required(
    index: &BlockIndex,
    prev: EntryId,
    time: i64,
    params: &ConsensusParams,
) -> u32 {
    let limit_bits = U256::from_target(params.pow_limit).to_compact();
    let interval = params.difficulty_adjustment_interval();
    let p = index.entry(prev);
    if (i64::from(p.height) + 1) % interval != 0 {
        if params.pow_allow_min_difficulty_blocks {
            // Testnet: a block more than 2 spacings after its parent may be
            // mined at the limit; otherwise use the last real difficulty.
            if time > i64::from(p.header.time) + params.pow_target_spacing * 2 {
                return limit_bits;
            }
            let mut id = prev;
            loop {
                let e = index.entry(id);
                match e.prev {
                    Some(parent)
                        if i64::from(e.height) % interval != 0
                            && e.header.bits.to_consensus() == limit_bits =>
                    {
                        id = parent
                    }
                    _ => return e.header.bits.to_consensus(),
                }
            }
        }
        return p.header.bits.to_consensus();
    }
    // Bitcoin's off-by-one: interval - 1 blocks back, so 119 intervals.
    let first_height = i64::from(p.height) - (interval - 1);
    let first = index
        .ancestor(prev, first_height as u32)
        .expect("retarget start is an ancestor");
    calculate_next_work_required(
        p.header.bits.to_consensus(),
        i64::from(p.header.time),
        i64::from(index.entry(first).header.time),
        params,
    )
}

/// Core's `PermittedDifficultyTransition`: whether a header at `height` may
/// carry `new_bits` after a parent with `old_bits` (used on headers whose
/// ancestors we may not have, during the low-work header pre-sync): equal
/// bits between retargets, and at a retarget within the factor-4 bounds,
/// each bound rounded through the compact form.
pub fn permitted_difficulty_transition(
    params: &ConsensusParams,
    height: i64,
    old_bits: u32,
    new_bits: u32,
) -> bool {
    if params.pow_allow_min_difficulty_blocks {
        return true;
    }
    if height % params.difficulty_adjustment_interval() != 0 {
        return old_bits == new_bits;
    }
    let timespan = params.pow_target_timespan;
    let limit = U256::from_target(params.pow_limit);
    let (observed, _, _) = U256::from_compact(new_bits);
    let (old, _, _) = U256::from_compact(old_bits);
    let bound = |span: i64| {
        let mut t = old.mul_u64(span as u64).div_u64(timespan as u64);
        if t > limit {
            t = limit;
        }
        U256::from_compact(t.to_compact()).0
    };
    bound(timespan * 4) >= observed && bound(timespan / 4) <= observed
}

#[cfg(test)]
mod transition_tests {
    use super::*;

    #[test]
    fn difficulty_transitions_follow_the_retarget_bounds() {
        let main = widecoin_chainparams::ChainParams::new(widecoin_chainparams::ChainType::Main);
        let p = &main.consensus;
        let interval = p.difficulty_adjustment_interval();
        let bits = 0x1d00ffff;
        // Between retargets the bits must not change.
        assert!(permitted_difficulty_transition(p, interval + 1, bits, bits));
        assert!(!permitted_difficulty_transition(
            p,
            interval + 1,
            bits,
            0x1c7fffff
        ));
        // At a retarget: within a factor of four either way, not beyond.
        let (t, _, _) = U256::from_compact(bits);
        let quarter = t.div_u64(4).to_compact();
        let eighth = t.div_u64(8).to_compact();
        assert!(permitted_difficulty_transition(p, interval, bits, quarter));
        assert!(!permitted_difficulty_transition(p, interval, bits, eighth));
        let four = t.mul_u64(4).to_compact();
        let eight = t.mul_u64(8).to_compact();
        assert!(permitted_difficulty_transition(p, interval, bits, four));
        assert!(!permitted_difficulty_transition(p, interval, bits, eight));
        // Test chains with min-difficulty blocks allow anything.
        let regtest =
            widecoin_chainparams::ChainParams::new(widecoin_chainparams::ChainType::Regtest);
        assert!(permitted_difficulty_transition(
            &regtest.consensus,
            interval + 1,
            bits,
            eight
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use widecoin_chainparams::{ChainParams, ChainType};

    #[test]
    fn compact_round_trips_like_core() {
        // arith_uint256_tests.cpp SetCompact cases.
        for (c, norm) in [
            (0x0012_3456u32, 0u32),
            (0x0100_3456, 0),
            (0x0200_0056, 0),
            (0x0300_0000, 0),
            (0x0400_0000, 0),
            (0x0112_3456, 0x0112_0000),
            (0x0212_3456, 0x0212_3400),
            (0x0312_3456, 0x0312_3456),
            (0x0412_3456, 0x0412_3456),
            (0x2012_3456, 0x2012_3456),
            (0x1e0f_fff0, 0x1e0f_fff0),
            (0x207f_ffff, 0x207f_ffff),
        ] {
            let (v, neg, over) = U256::from_compact(c);
            assert!(!neg && !over, "{c:08x}");
            assert_eq!(v.to_compact(), norm, "{c:08x}");
        }
        assert!(U256::from_compact(0x0492_3456).1);
        assert!(U256::from_compact(0xff12_3456).2);
        let (v, _, _) = U256::from_compact(0x0500_9234);
        assert_eq!(v.to_compact(), 0x0500_9234);
    }

    #[test]
    fn retarget_clamps_and_caps() {
        let p = ChainParams::new(ChainType::Main);
        let c = &p.consensus;
        // On schedule: unchanged.
        assert_eq!(
            calculate_next_work_required(0x1c0f_ffff, 3600, 0, c),
            0x1c0f_ffff
        );
        // Four times faster than the clamp: target / 4.
        assert_eq!(
            calculate_next_work_required(0x1c0f_ffff, 1, 0, c),
            0x1c03_ffff
        );
        // Far too slow at the limit stays at the limit (0x1e0fffff).
        assert_eq!(
            calculate_next_work_required(0x1e0f_fff0, 100_000, 0, c),
            0x1e0f_ffff
        );
        assert!(check_proof_of_work(&p.genesis_hash(), 0x1e0f_fff0, c));
        assert!(!check_proof_of_work(&p.genesis_hash(), 0x1d00_ffff, c));
        // Easier than the limit is invalid even if met.
        assert!(!check_proof_of_work(&p.genesis_hash(), 0x1f00_ffff, c));
    }
}

#[cfg(test)]
mod retarget_tests {
    use super::*;
    use crate::index::{status, BlockIndex};
    use bitcoin::block::{Header, Version};
    use bitcoin::{CompactTarget, TxMerkleNode};
    use widecoin_chainparams::{ChainParams, ChainType};

    fn build(bits: &[(u32, u32)]) -> (BlockIndex, Vec<EntryId>) {
        let mut index = BlockIndex::default();
        let mut prev = BlockHash::all_zeros();
        let mut ids = Vec::new();
        for (n, (bits, time)) in bits.iter().enumerate() {
            let h = Header {
                version: Version::from_consensus(4),
                prev_blockhash: prev,
                merkle_root: TxMerkleNode::all_zeros(),
                time: *time,
                bits: CompactTarget::from_consensus(*bits),
                nonce: n as u32,
            };
            prev = h.block_hash();
            ids.push(index.insert(h, status::VALID_TREE));
        }
        (index, ids)
    }

    #[test]
    fn retargets_every_120_blocks_measuring_119_intervals() {
        let p = ChainParams::new(ChainType::Main);
        let c = &p.consensus;
        // 120 blocks (heights 0..=119) 15 s apart: twice as fast as 30 s.
        let rows: Vec<(u32, u32)> = (0..120)
            .map(|i| (0x1d0f_ffff, 1_000_000 + 15 * i))
            .collect();
        let (index, ids) = build(&rows);
        // Height 119 is not a boundary for its own bits; the next (120) is.
        let next = next_work_required(&index, ids[119], 1_000_000 + 15 * 120, c);
        // 119 intervals of 15 s = 1785 s of 3600: target * 1785 / 3600.
        let expect = calculate_next_work_required(0x1d0f_ffff, 1785, 0, c);
        assert_eq!(next, expect);
        assert_ne!(next, 0x1d0f_ffff);
        // Between boundaries the bits carry over.
        assert_eq!(next_work_required(&index, ids[100], 0, c), 0x1d0f_ffff);
    }

    #[test]
    fn testnet_min_difficulty_rules() {
        let p = ChainParams::new(ChainType::Testnet);
        let c = &p.consensus;
        let limit = U256::from_target(c.pow_limit).to_compact();
        let hard = 0x1d0f_ffff;
        let (index, ids) = build(&[(limit, 1000), (hard, 1030), (limit, 1200), (limit, 1400)]);
        // More than 60 s after the parent: the limit is allowed.
        assert_eq!(next_work_required(&index, ids[3], 1400 + 61, c), limit);
        // Otherwise the last block that is not at the limit sets the bits.
        assert_eq!(next_work_required(&index, ids[3], 1400 + 60, c), hard);
    }
}
