//! The block index (Core's `CBlockIndex`, `chain.h`): every header the node
//! knows, in an arena of entries linked to their parents, with skip pointers
//! for fast ancestor lookup, and the active chain (`CChain`).

use std::collections::HashMap;

use bitcoin::block::Header;
use bitcoin::{BlockHash, Work};

use crate::blockstore::FlatFilePos;
use crate::pow::block_proof;

/// Index of an entry in the [`BlockIndex`] arena.
pub type EntryId = usize;

/// Core's `BlockStatus` bits.
pub mod status {
    pub const VALID_UNKNOWN: u32 = 0;
    pub const VALID_RESERVED: u32 = 1;
    /// Parsed, version ok, hash meets the claimed target, parent known.
    pub const VALID_TREE: u32 = 2;
    /// Transactions checked (CheckBlock, ContextualCheckBlock), data received.
    pub const VALID_TRANSACTIONS: u32 = 3;
    /// Outputs do not overspend, no double spends, coinbase output ok.
    pub const VALID_CHAIN: u32 = 4;
    /// Scripts and signatures ok.
    pub const VALID_SCRIPTS: u32 = 5;
    pub const VALID_MASK: u32 = 7;
    pub const HAVE_DATA: u32 = 8;
    pub const HAVE_UNDO: u32 = 16;
    pub const FAILED_VALID: u32 = 32;
    pub const FAILED_CHILD: u32 = 64;
    pub const FAILED_MASK: u32 = FAILED_VALID | FAILED_CHILD;
    pub const OPT_WITNESS: u32 = 128;
}

/// One header in the index.
#[derive(Clone, Debug)]
pub struct BlockIndexEntry {
    pub hash: BlockHash,
    pub header: Header,
    pub prev: Option<EntryId>,
    /// An ancestor further back, for `GetAncestor` in O(log n).
    pub skip: Option<EntryId>,
    pub height: u32,
    pub status: u32,
    /// Total work of the chain up to and including this block.
    pub chain_work: Work,
    /// Transactions in this block (0 until its data is received).
    pub n_tx: u32,
    /// Transactions in the chain up to this block; non-zero only when this
    /// block and all its ancestors have data.
    pub chain_tx: u64,
    pub file: u32,
    pub data_pos: u32,
    pub undo_pos: u32,
    /// Order of arrival; lower wins among equal work (`nSequenceId`).
    pub sequence_id: i32,
    /// Maximum time in the chain up to this block (`nTimeMax`).
    pub time_max: u32,
}

impl BlockIndexEntry {
    /// Core's `IsValid(nUpTo)`.
    pub fn is_valid(&self, up_to: u32) -> bool {
        self.status & status::FAILED_MASK == 0 && self.status & status::VALID_MASK >= up_to
    }

    /// Core's `RaiseValidity`: true if changed.
    pub fn raise_validity(&mut self, up_to: u32) -> bool {
        if self.status & status::FAILED_MASK != 0 {
            return false;
        }
        if self.status & status::VALID_MASK < up_to {
            self.status = (self.status & !status::VALID_MASK) | up_to;
            return true;
        }
        false
    }

    pub fn have_data(&self) -> bool {
        self.status & status::HAVE_DATA != 0
    }

    pub fn have_undo(&self) -> bool {
        self.status & status::HAVE_UNDO != 0
    }

    pub fn failed(&self) -> bool {
        self.status & status::FAILED_MASK != 0
    }

    pub fn data_pos(&self) -> Option<FlatFilePos> {
        self.have_data().then_some(FlatFilePos {
            file: self.file,
            pos: self.data_pos,
        })
    }

    pub fn undo_pos(&self) -> Option<FlatFilePos> {
        self.have_undo().then_some(FlatFilePos {
            file: self.file,
            pos: self.undo_pos,
        })
    }

    pub fn time(&self) -> i64 {
        i64::from(self.header.time)
    }
}

/// Core's `GetSkipHeight`: which height the skip pointer of `height` targets.
fn skip_height(height: u32) -> u32 {
    fn invert_lowest_one(n: u32) -> u32 {
        n & n.wrapping_sub(1)
    }
    if height < 2 {
        return 0;
    }
    if height & 1 == 1 {
        invert_lowest_one(invert_lowest_one(height - 1)) + 1
    } else {
        invert_lowest_one(height)
    }
}

/// The arena of entries, looked up by hash.
#[derive(Default)]
pub struct BlockIndex {
    entries: Vec<BlockIndexEntry>,
    by_hash: HashMap<BlockHash, EntryId>,
}

impl BlockIndex {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entry(&self, id: EntryId) -> &BlockIndexEntry {
        &self.entries[id]
    }

    pub fn entry_mut(&mut self, id: EntryId) -> &mut BlockIndexEntry {
        &mut self.entries[id]
    }

    pub fn lookup(&self, hash: &BlockHash) -> Option<EntryId> {
        self.by_hash.get(hash).copied()
    }

    pub fn ids(&self) -> std::ops::Range<EntryId> {
        0..self.entries.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (EntryId, &BlockIndexEntry)> {
        self.entries.iter().enumerate()
    }

    /// Adds a header whose parent (if any) is already in the index (Core's
    /// `AddToBlockIndex`, minus the candidate bookkeeping).
    pub fn insert(&mut self, header: Header, status: u32) -> EntryId {
        let hash = header.block_hash();
        if let Some(id) = self.lookup(&hash) {
            return id;
        }
        let prev = self.lookup(&header.prev_blockhash);
        let id = self.entries.len();
        let (height, prev_work, time_max) = match prev {
            Some(p) => {
                let e = &self.entries[p];
                (e.height + 1, e.chain_work, e.time_max.max(header.time))
            }
            None => (0, Work::from_le_bytes([0; 32]), header.time),
        };
        let skip = prev.and_then(|p| self.ancestor(p, skip_height(height)));
        self.entries.push(BlockIndexEntry {
            hash,
            header,
            prev,
            skip,
            height,
            status,
            chain_work: prev_work + block_proof(header.bits.to_consensus()),
            n_tx: 0,
            chain_tx: 0,
            file: 0,
            data_pos: 0,
            undo_pos: 0,
            sequence_id: 0,
            time_max,
        });
        self.by_hash.insert(hash, id);
        id
    }

    /// Core's `GetAncestor`: the entry at `height` on the chain of `id`.
    pub fn ancestor(&self, id: EntryId, height: u32) -> Option<EntryId> {
        let mut walk = id;
        let mut h = self.entries[id].height;
        if height > h {
            return None;
        }
        while h > height {
            let e = &self.entries[walk];
            let hs = skip_height(h);
            let hs_prev = skip_height(h - 1);
            match e.skip {
                Some(s)
                    if hs == height
                        || (hs > height && !(hs_prev + 2 < hs && hs_prev >= height)) =>
                {
                    walk = s;
                    h = hs;
                }
                _ => {
                    walk = e.prev.expect("height > 0 has a parent");
                    h -= 1;
                }
            }
        }
        Some(walk)
    }

    /// Whether `a` is `b` or an ancestor of `b`.
    pub fn is_ancestor(&self, a: EntryId, b: EntryId) -> bool {
        self.ancestor(b, self.entries[a].height) == Some(a)
    }

    /// Core's `LastCommonAncestor`.
    pub fn last_common_ancestor(&self, a: EntryId, b: EntryId) -> EntryId {
        let (mut a, mut b) = (a, b);
        let ha = self.entries[a].height;
        let hb = self.entries[b].height;
        if ha > hb {
            a = self.ancestor(a, hb).expect("lower height");
        } else if hb > ha {
            b = self.ancestor(b, ha).expect("lower height");
        }
        while a != b {
            a = self.entries[a].prev.expect("common genesis");
            b = self.entries[b].prev.expect("common genesis");
        }
        a
    }

    /// Core's `GetMedianTimePast`: median of the last 11 block times.
    pub fn median_time_past(&self, id: EntryId) -> i64 {
        let mut times = Vec::with_capacity(11);
        let mut cur = Some(id);
        while let Some(c) = cur {
            if times.len() == 11 {
                break;
            }
            times.push(self.entries[c].time());
            cur = self.entries[c].prev;
        }
        times.sort_unstable();
        times[times.len() / 2]
    }

    /// Takes out `id` when it is the newest entry (the stand-in entry of
    /// `test_block_validity`); any other id is left alone.
    pub(crate) fn remove_last(&mut self, id: EntryId) {
        if id + 1 == self.entries.len() {
            let e = self.entries.pop().expect("not empty");
            self.by_hash.remove(&e.hash);
        }
    }

    /// Recomputes `chain_tx` for `id` from its parent (Core's part of
    /// `ReceivedBlockTransactions`); true when it became known.
    pub fn link_chain_tx(&mut self, id: EntryId) -> bool {
        let e = &self.entries[id];
        if e.n_tx == 0 {
            return false;
        }
        let parent_tx = match e.prev {
            None => 0,
            Some(p) => {
                let c = self.entries[p].chain_tx;
                if c == 0 {
                    return false;
                }
                c
            }
        };
        self.entries[id].chain_tx = parent_tx + u64::from(self.entries[id].n_tx);
        true
    }
}

/// The active chain: height → entry (`CChain`).
#[derive(Default, Clone)]
pub struct Chain {
    ids: Vec<EntryId>,
}

impl Chain {
    pub fn tip(&self) -> Option<EntryId> {
        self.ids.last().copied()
    }

    /// Height of the tip; -1 for an empty chain.
    pub fn height(&self) -> i64 {
        self.ids.len() as i64 - 1
    }

    pub fn at(&self, height: u32) -> Option<EntryId> {
        self.ids.get(height as usize).copied()
    }

    pub fn contains(&self, index: &BlockIndex, id: EntryId) -> bool {
        self.at(index.entry(id).height) == Some(id)
    }

    /// Makes `tip` the tip, rewriting heights back to the fork (`SetTip`).
    pub fn set_tip(&mut self, index: &BlockIndex, tip: Option<EntryId>) {
        let Some(tip) = tip else {
            self.ids.clear();
            return;
        };
        let height = index.entry(tip).height as usize;
        self.ids.resize(height + 1, usize::MAX);
        let mut cur = Some(tip);
        while let Some(c) = cur {
            let h = index.entry(c).height as usize;
            if self.ids[h] == c {
                break;
            }
            self.ids[h] = c;
            cur = index.entry(c).prev;
        }
    }

    /// Core's `FindFork`: the last entry of this chain that is an ancestor of `id`.
    pub fn find_fork(&self, index: &BlockIndex, id: EntryId) -> Option<EntryId> {
        let mut cur = id;
        if i64::from(index.entry(cur).height) > self.height() {
            cur = index.ancestor(cur, u32::try_from(self.height()).ok()?)?;
        }
        loop {
            if self.contains(index, cur) {
                return Some(cur);
            }
            cur = index.entry(cur).prev?;
        }
    }

    /// The hashes of a block locator from the tip (`GetLocator`).
    pub fn locator(&self, index: &BlockIndex) -> Vec<BlockHash> {
        let mut out = Vec::new();
        let mut step = 1i64;
        let mut h = self.height();
        while h >= 0 {
            out.push(index.entry(self.ids[h as usize]).hash);
            if h == 0 {
                break;
            }
            if out.len() > 10 {
                step *= 2;
            }
            h = (h - step).max(0);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::block::Version;
    use bitcoin::hashes::Hash;
    use bitcoin::{CompactTarget, TxMerkleNode};

    fn header(prev: BlockHash, n: u32) -> Header {
        Header {
            version: Version::from_consensus(4),
            prev_blockhash: prev,
            merkle_root: TxMerkleNode::all_zeros(),
            time: 1000 + n,
            bits: CompactTarget::from_consensus(0x207f_ffff),
            nonce: n,
        }
    }

    #[test]
    fn ancestors_and_forks() {
        let mut index = BlockIndex::default();
        let mut prev = BlockHash::all_zeros();
        let mut ids = Vec::new();
        for n in 0..300 {
            let h = header(prev, n);
            prev = h.block_hash();
            ids.push(index.insert(h, status::VALID_TREE));
        }
        for target in [0u32, 1, 2, 77, 128, 255, 299] {
            assert_eq!(index.ancestor(ids[299], target), Some(ids[target as usize]));
        }
        assert_eq!(index.ancestor(ids[10], 11), None);
        // A fork at 150.
        let mut fprev = index.entry(ids[150]).hash;
        let mut fork = Vec::new();
        for n in 0..20 {
            let h = header(fprev, 10_000 + n);
            fprev = h.block_hash();
            fork.push(index.insert(h, status::VALID_TREE));
        }
        assert_eq!(index.last_common_ancestor(ids[299], fork[19]), ids[150]);
        let mut chain = Chain::default();
        chain.set_tip(&index, Some(ids[299]));
        assert_eq!(chain.height(), 299);
        assert_eq!(chain.find_fork(&index, fork[19]), Some(ids[150]));
        chain.set_tip(&index, Some(fork[19]));
        assert_eq!(chain.height(), 170);
        assert_eq!(chain.at(151), Some(fork[0]));
        assert_eq!(index.median_time_past(ids[20]), 1015);
        assert!(chain.locator(&index).len() < 30);
    }
}
