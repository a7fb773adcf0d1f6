//! Low-work headers pre-synchronisation with one peer (Core's
//! `HeadersSyncState`, headerssync.cpp).
//!
//! A chain whose headers do not yet show enough work is first downloaded
//! without storing it (PRESYNC): only its total work and, every
//! [`HEADER_COMMITMENT_PERIOD`] headers, one salted bit of a header hash are
//! kept. Once the work suffices, the same headers are asked for again
//! (REDOWNLOAD), checked against those bits, and handed on for storage once
//! a buffer of [`REDOWNLOAD_BUFFER_SIZE`] headers is ahead of them, or all
//! of them once the redownloaded chain itself shows enough work.

use std::collections::hash_map::RandomState;
use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, Work};

/// Headers between two commitments.
pub(crate) const HEADER_COMMITMENT_PERIOD: u32 = 606;
/// Redownloaded headers held back until the commitments ahead of them have
/// been checked.
pub(crate) const REDOWNLOAD_BUFFER_SIZE: usize = 14441;
/// `MAX_FUTURE_BLOCK_TIME`, seconds.
const MAX_FUTURE_BLOCK_TIME: i64 = 2 * 60 * 60;

/// The phase of the sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Presync,
    Redownload,
    Final,
}

/// Where the sync starts: a block we know.
#[derive(Debug, Clone)]
pub(crate) struct ChainStart {
    pub hash: BlockHash,
    pub height: u32,
    pub chain_work: Work,
    pub header: Header,
    /// Its median time past.
    pub median_time_past: i64,
    /// Its locator (`LocatorEntries`).
    pub locator: Vec<BlockHash>,
}

/// The outcome of one `headers` message.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// The message was valid for the sync.
    pub success: bool,
    /// Ask the peer for the next headers.
    pub request_more: bool,
    /// Headers whose work is established, to be stored.
    pub validated: Vec<Header>,
}

/// One peer's low-work headers sync.
pub(crate) struct HeadersSync {
    peer: i64,
    start: ChainStart,
    min_work: Work,
    phase: Phase,
    hasher: RandomState,
    commit_offset: u32,
    max_commitments: u64,
    commitments: VecDeque<bool>,
    // PRESYNC
    current_work: Work,
    last_received: Header,
    current_height: u32,
    // REDOWNLOAD
    redownloaded: VecDeque<Header>,
    redownload_last_height: u32,
    redownload_last_hash: BlockHash,
    redownload_work: Work,
    process_all: bool,
}

impl HeadersSync {
    /// Starts a sync from `start` that must reach `min_work`; `now` is the
    /// (adjusted) time in seconds.
    pub(crate) fn new(peer: i64, start: ChainStart, min_work: Work, now: i64) -> HeadersSync {
        let hasher = RandomState::new();
        let commit_offset = (hasher.hash_one(peer) % u64::from(HEADER_COMMITMENT_PERIOD)) as u32;
        // At most six blocks a second can follow the start without breaking
        // the median-time-past rule.
        let seconds = (now - start.median_time_past + MAX_FUTURE_BLOCK_TIME).max(0) as u64;
        let max_commitments = 6 * seconds / u64::from(HEADER_COMMITMENT_PERIOD);
        tracing::debug!(target: "net", "Initial headers sync started with peer={peer}: height={}, max_commitments={max_commitments}, min_work={}",
            start.height, hex_work(min_work));
        HeadersSync {
            peer,
            current_work: start.chain_work,
            last_received: start.header,
            current_height: start.height,
            redownloaded: VecDeque::new(),
            redownload_last_height: 0,
            redownload_last_hash: BlockHash::all_zeros(),
            redownload_work: Work::from_be_bytes([0; 32]),
            process_all: false,
            start,
            min_work,
            phase: Phase::Presync,
            hasher,
            commit_offset,
            max_commitments,
            commitments: VecDeque::new(),
        }
    }

    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }

    /// The height reached in PRESYNC (`GetPresyncHeight`).
    pub(crate) fn presync_height(&self) -> u32 {
        self.current_height
    }

    /// The work reached in PRESYNC (`GetPresyncWork`).
    pub(crate) fn presync_work(&self) -> Work {
        self.current_work
    }

    /// The time of the last header received in PRESYNC (`GetPresyncTime`).
    pub(crate) fn presync_time(&self) -> u32 {
        self.last_received.time
    }

    fn commitment_bit(&self, hash: &BlockHash) -> bool {
        let mut h = self.hasher.build_hasher();
        h.write(hash.as_byte_array());
        h.finish() & 1 == 1
    }

    /// `ProcessNextHeaders`; `full`: the message had the maximum size.
    /// `permitted` is `PermittedDifficultyTransition(height, old, new)`.
    pub(crate) fn process_next(
        &mut self,
        headers: &[Header],
        full: bool,
        permitted: &dyn Fn(u32, u32, u32) -> bool,
    ) -> Outcome {
        let mut out = Outcome::default();
        if headers.is_empty() || self.phase == Phase::Final {
            return out;
        }
        let peer = self.peer;
        if self.phase == Phase::Presync {
            out.success = self.store_commitments(headers, permitted);
            if out.success {
                if full || self.phase == Phase::Redownload {
                    out.request_more = true;
                } else {
                    tracing::debug!(target: "net", "Initial headers sync aborted with peer={peer}: incomplete headers message at height={} (presync phase)", self.current_height);
                }
            }
        } else {
            out.success = headers
                .iter()
                .all(|h| self.store_redownloaded(h, permitted));
            if out.success {
                out.validated = self.pop_ready();
                if self.redownloaded.is_empty() && self.process_all {
                    tracing::debug!(target: "net", "Initial headers sync complete with peer={peer}: releasing all at height={} (redownload phase)", self.redownload_last_height);
                } else if full {
                    out.request_more = true;
                } else {
                    tracing::debug!(target: "net", "Initial headers sync aborted with peer={peer}: incomplete headers message at height={} (redownload phase)", self.redownload_last_height);
                }
            }
        }
        if !(out.success && out.request_more) {
            self.finalize();
        }
        out
    }

    fn finalize(&mut self) {
        self.commitments = VecDeque::new();
        self.redownloaded = VecDeque::new();
        self.process_all = false;
        self.current_height = 0;
        self.phase = Phase::Final;
    }

    fn store_commitments(
        &mut self,
        headers: &[Header],
        permitted: &dyn Fn(u32, u32, u32) -> bool,
    ) -> bool {
        let peer = self.peer;
        if headers[0].prev_blockhash != self.last_received.block_hash() {
            tracing::debug!(target: "net", "Initial headers sync aborted with peer={peer}: non-continuous headers at height={} (presync phase)", self.current_height);
            return false;
        }
        for h in headers {
            if !self.presync_one(h, permitted) {
                return false;
            }
        }
        if self.current_work >= self.min_work {
            self.redownloaded.clear();
            self.redownload_last_height = self.start.height;
            self.redownload_last_hash = self.start.hash;
            self.redownload_work = self.start.chain_work;
            self.phase = Phase::Redownload;
            tracing::debug!(target: "net", "Initial headers sync transition with peer={peer}: reached sufficient work at height={}, redownloading from height={}",
                self.current_height, self.redownload_last_height);
        }
        true
    }

    fn presync_one(&mut self, header: &Header, permitted: &dyn Fn(u32, u32, u32) -> bool) -> bool {
        let peer = self.peer;
        let next = self.current_height + 1;
        if !permitted(
            next,
            self.last_received.bits.to_consensus(),
            header.bits.to_consensus(),
        ) {
            tracing::debug!(target: "net", "Initial headers sync aborted with peer={peer}: invalid difficulty transition at height={next} (presync phase)");
            return false;
        }
        if next % HEADER_COMMITMENT_PERIOD == self.commit_offset {
            let bit = self.commitment_bit(&header.block_hash());
            self.commitments.push_back(bit);
            if self.commitments.len() as u64 > self.max_commitments {
                tracing::debug!(target: "net", "Initial headers sync aborted with peer={peer}: exceeded max commitments at height={next} (presync phase)");
                return false;
            }
        }
        self.current_work = self.current_work + header.work();
        self.last_received = *header;
        self.current_height = next;
        true
    }

    fn store_redownloaded(
        &mut self,
        header: &Header,
        permitted: &dyn Fn(u32, u32, u32) -> bool,
    ) -> bool {
        let peer = self.peer;
        let next = self.redownload_last_height + 1;
        if header.prev_blockhash != self.redownload_last_hash {
            tracing::debug!(target: "net", "Initial headers sync aborted with peer={peer}: non-continuous headers at height={next} (redownload phase)");
            return false;
        }
        let previous_bits = self
            .redownloaded
            .back()
            .map_or(self.start.header.bits, |h| h.bits);
        if !permitted(
            next,
            previous_bits.to_consensus(),
            header.bits.to_consensus(),
        ) {
            tracing::debug!(target: "net", "Initial headers sync aborted with peer={peer}: invalid difficulty transition at height={next} (redownload phase)");
            return false;
        }
        self.redownload_work = self.redownload_work + header.work();
        if self.redownload_work >= self.min_work {
            self.process_all = true;
        }
        if !self.process_all && next % HEADER_COMMITMENT_PERIOD == self.commit_offset {
            let Some(expected) = self.commitments.pop_front() else {
                tracing::debug!(target: "net", "Initial headers sync aborted with peer={peer}: commitment overrun at height={next} (redownload phase)");
                return false;
            };
            if self.commitment_bit(&header.block_hash()) != expected {
                tracing::debug!(target: "net", "Initial headers sync aborted with peer={peer}: commitment mismatch at height={next} (redownload phase)");
                return false;
            }
        }
        self.redownloaded.push_back(*header);
        self.redownload_last_height = next;
        self.redownload_last_hash = header.block_hash();
        true
    }

    fn pop_ready(&mut self) -> Vec<Header> {
        let mut out = Vec::new();
        while self.redownloaded.len() > REDOWNLOAD_BUFFER_SIZE
            || (!self.redownloaded.is_empty() && self.process_all)
        {
            out.extend(self.redownloaded.pop_front());
        }
        out
    }

    /// `NextHeadersRequestLocator`: the last header received, then the
    /// locator of the start.
    pub(crate) fn next_locator(&self) -> Vec<BlockHash> {
        let first = match self.phase {
            Phase::Presync => self.last_received.block_hash(),
            Phase::Redownload => self.redownload_last_hash,
            Phase::Final => return Vec::new(),
        };
        let mut out = vec![first];
        out.extend(self.start.locator.iter().copied());
        out
    }
}

/// A work value as Core's `arith_uint256::ToString` prints it.
fn hex_work(w: Work) -> String {
    w.to_be_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::block::Version;
    use bitcoin::{CompactTarget, TxMerkleNode};

    fn header(prev: BlockHash, n: u32) -> Header {
        Header {
            version: Version::from_consensus(4),
            prev_blockhash: prev,
            merkle_root: TxMerkleNode::all_zeros(),
            time: 1_000_000 + n,
            bits: CompactTarget::from_consensus(0x207fffff),
            nonce: n,
        }
    }

    fn chain(from: &Header, n: u32) -> Vec<Header> {
        let mut out: Vec<Header> = Vec::new();
        let mut prev = from.block_hash();
        for i in 0..n {
            let h = header(prev, i + 1);
            prev = h.block_hash();
            out.push(h);
        }
        out
    }

    fn start_at(genesis: &Header) -> ChainStart {
        ChainStart {
            hash: genesis.block_hash(),
            height: 0,
            chain_work: genesis.work(),
            header: *genesis,
            median_time_past: i64::from(genesis.time),
            locator: vec![genesis.block_hash()],
        }
    }

    fn any(_: u32, _: u32, _: u32) -> bool {
        true
    }

    #[test]
    fn presync_then_redownload_releases_the_verified_chain() {
        let genesis = header(BlockHash::all_zeros(), 0);
        let headers = chain(&genesis, 4000);
        // 3000 headers of work 2, plus genesis.
        let min_work = headers[..3000]
            .iter()
            .fold(genesis.work(), |w, h| w + h.work());
        let mut sync = HeadersSync::new(7, start_at(&genesis), min_work, 2_000_000);
        let out = sync.process_next(&headers[..2000], true, &any);
        assert!(out.success && out.request_more && out.validated.is_empty());
        assert_eq!(sync.presync_height(), 2000);
        assert_eq!(sync.next_locator()[0], headers[1999].block_hash());
        let out = sync.process_next(&headers[2000..4000], true, &any);
        assert!(out.success && out.request_more);
        assert_eq!(sync.phase(), Phase::Redownload);
        assert_eq!(sync.next_locator()[0], genesis.block_hash());

        let out = sync.process_next(&headers[..2000], true, &any);
        assert!(out.success && out.validated.is_empty());
        let out = sync.process_next(&headers[2000..4000], true, &any);
        assert!(out.success);
        assert_eq!(out.validated, headers);
        assert_eq!(sync.phase(), Phase::Final);
    }

    #[test]
    fn a_different_chain_on_redownload_fails_a_commitment() {
        let genesis = header(BlockHash::all_zeros(), 0);
        let headers = chain(&genesis, 2000);
        let min_work = headers[..1999]
            .iter()
            .fold(genesis.work(), |w, h| w + h.work());
        let mut sync = HeadersSync::new(7, start_at(&genesis), min_work, 2_000_000);
        assert!(sync.process_next(&headers, true, &any).success);
        assert_eq!(sync.phase(), Phase::Redownload);
        // Another chain from the same start: each of its commitment bits
        // matches by chance only, so one of many such chains fails.
        let failed = (0..20u32).any(|k| {
            let mut s = HeadersSync::new(7, start_at(&genesis), min_work, 2_000_000);
            s.process_next(&headers, true, &any);
            let mut prev = genesis.block_hash();
            let other: Vec<Header> = (0..2000)
                .map(|i| {
                    let h = header(prev, 10_000 * (k + 1) + i);
                    prev = h.block_hash();
                    h
                })
                .collect();
            !s.process_next(&other, true, &any).success
        });
        assert!(failed);
    }

    #[test]
    fn a_short_presync_message_ends_the_sync() {
        let genesis = header(BlockHash::all_zeros(), 0);
        let headers = chain(&genesis, 10);
        let min_work = Work::from_be_bytes([0xff; 32]);
        let mut sync = HeadersSync::new(1, start_at(&genesis), min_work, 2_000_000);
        let out = sync.process_next(&headers, false, &any);
        assert!(out.success && !out.request_more);
        assert_eq!(sync.phase(), Phase::Final);
    }
}
