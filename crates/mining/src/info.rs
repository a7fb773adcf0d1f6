//! The numbers of `getmininginfo` and `getnetworkhashps` (Core's
//! `GetDifficulty`, `GetNetworkHashPS`).

use bitcoin::Work;
use widecoin_chainstate::ChainstateManager;

/// `getnetworkhashps`'s default `nblocks`.
pub const DEFAULT_NETWORK_HASHPS_BLOCKS: i64 = 120;

/// The data of `getmininginfo`, in Core's field order.
#[derive(Clone, Debug, PartialEq)]
pub struct MiningInfo {
    /// "blocks": height of the tip.
    pub blocks: i64,
    /// "currentblockweight": only after a template was made.
    pub current_block_weight: Option<u64>,
    /// "currentblocktx": only after a template was made.
    pub current_block_tx: Option<u64>,
    pub difficulty: f64,
    pub network_hash_ps: f64,
    pub pooled_tx: u64,
    pub chain: String,
    pub warnings: String,
}

/// Core's `GetDifficulty`: the target of `bits` relative to 0x1d00ffff.
pub fn difficulty(bits: u32) -> f64 {
    let mut shift = (bits >> 24) & 0xff;
    let mut diff = f64::from(0x0000_ffff_u32) / f64::from(bits & 0x00ff_ffff);
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

/// `arith_uint256::getdouble` of `a - b`.
fn work_diff_f64(a: Work, b: Work) -> f64 {
    let (a, b) = (a.to_le_bytes(), b.to_le_bytes());
    let mut diff = [0u8; 32];
    let mut borrow = 0i16;
    for i in 0..32 {
        let mut v = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = 0;
        if v < 0 {
            v += 256;
            borrow = 1;
        }
        diff[i] = v as u8;
    }
    let mut ret = 0.0;
    let mut fact = 1.0;
    for chunk in diff.chunks(4) {
        let word = u32::from_le_bytes(chunk.try_into().expect("4 bytes"));
        ret += fact * f64::from(word);
        fact *= 4_294_967_296.0;
    }
    ret
}

/// Core's `GetNetworkHashPS`: work per second over the `lookup` blocks
/// before the tip (or the block at `height`, when in range); `lookup` <= 0
/// means since the last difficulty change.
pub fn network_hash_ps(chainman: &ChainstateManager, lookup: i64, height: i64) -> f64 {
    let index = chainman.block_index();
    let chain = chainman.active_chain();
    let mut pb = chain.tip();
    if height >= 0 && height < chain.height() {
        pb = chain.at(height as u32);
    }
    let Some(pb) = pb else { return 0.0 };
    let e = index.entry(pb);
    if e.height == 0 {
        return 0.0;
    }
    let mut lookup = lookup;
    if lookup <= 0 {
        lookup =
            i64::from(e.height) % chainman.params().consensus.difficulty_adjustment_interval() + 1;
    }
    lookup = lookup.min(i64::from(e.height));
    let mut pb0 = pb;
    let mut min_time = e.time();
    let mut max_time = min_time;
    for _ in 0..lookup {
        pb0 = index.entry(pb0).prev.expect("above genesis");
        let t = index.entry(pb0).time();
        min_time = min_time.min(t);
        max_time = max_time.max(t);
    }
    if min_time == max_time {
        return 0.0;
    }
    work_diff_f64(e.chain_work, index.entry(pb0).chain_work) / (max_time - min_time) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difficulty_like_core() {
        assert_eq!(difficulty(0x1d00_ffff), 1.0);
        // Widecoin's genesis (0x1e0ffff0): 0.000244140625 per the params notes.
        assert_eq!(difficulty(0x1e0f_fff0), 0.000244140625);
        // Regtest; RPC JSON prints 16 significant digits: 4.656542373906925e-10.
        assert_eq!(difficulty(0x207f_ffff), 65535.0 / 8388607.0 / 16_777_216.0);
        assert_eq!(
            format!("{:.15e}", difficulty(0x207f_ffff)),
            "4.656542373906925e-10"
        );
    }

    #[test]
    fn work_difference() {
        let w = |n: u64, high: u8| {
            let mut b = [0u8; 32];
            b[..8].copy_from_slice(&n.to_le_bytes());
            b[8] = high;
            Work::from_le_bytes(b)
        };
        assert_eq!(work_diff_f64(w(5, 1), w(2, 1)), 3.0);
        // A borrow across the 64-bit boundary: 2^64 - 1.
        assert_eq!(work_diff_f64(w(0, 2), w(1, 1)), u64::MAX as f64);
    }
}
