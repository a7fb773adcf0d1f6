//! Headers-first block sync and block announcements (Core's handling of
//! `getheaders`, `headers`, `inv`, `getdata`, `block` and `sendheaders` in
//! `PeerManagerImpl::ProcessMessage`, and the sync start, `sendheaders`,
//! block download and block announcement parts of `SendMessages`).
//!
//! The low-work headers pre-sync is in `sync/presync.rs`; BIP152
//! messages are in `compact/relay.rs`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bitcoin::block::Header;
use bitcoin::consensus::encode::{deserialize_partial, Decodable, VarInt};
use bitcoin::hashes::Hash;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::{GetHeadersMessage, Inventory};
use bitcoin::{Block, BlockHash, Work};

mod presync;

use crate::connman::lock;
use crate::peer::Conn;
use crate::PROTOCOL_VERSION;

/// `MIN_BLOCKS_TO_KEEP`: an unrequested block further above our tip is not
/// stored.
const MIN_BLOCKS_TO_KEEP: u32 = 288;
/// `MAX_HEADERS_RESULTS`: headers in one `headers` message.
pub const MAX_HEADERS_RESULTS: usize = 2000;
/// Blocks in one answer to `getblocks`.
const MAX_GETBLOCKS_RESULTS: usize = 500;
/// `MAX_BLOCKS_IN_TRANSIT_PER_PEER`.
pub(crate) const MAX_BLOCKS_IN_TRANSIT_PER_PEER: usize = 16;
/// `MAX_BLOCKS_TO_ANNOUNCE`: more new blocks than this are announced by `inv`.
const MAX_BLOCKS_TO_ANNOUNCE: usize = 8;
/// `HEADERS_RESPONSE_TIME`: a `getheaders` is not repeated sooner (2 min).
const HEADERS_RESPONSE_TIME_US: i64 = 2 * 60 * 1_000_000;
/// `MAX_LOCATOR_SZ`.
const MAX_LOCATOR_SZ: usize = 101;
/// `MAX_INV_SZ`.
const MAX_INV_SZ: usize = 50_000;
/// `SENDHEADERS_VERSION`.
const SENDHEADERS_VERSION: i32 = 70012;
/// `NODE_NETWORK | NODE_NETWORK_LIMITED`: the peer can serve blocks.
const SERVES_BLOCKS: u64 = 1 | (1 << 10);
/// A day in microseconds: a best header younger than this lets us sync
/// headers from every peer.
const RECENT_HEADER_US: i64 = 24 * 60 * 60 * 1_000_000;

/// What the index knows of one header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderState {
    pub height: u32,
    pub chain_work: Work,
    pub have_data: bool,
    pub failed: bool,
    pub in_active_chain: bool,
}

/// How Core punishes the peer that sent a rejected header or block
/// (`MaybePunishNodeForBlock` by `BlockValidationResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectKind {
    /// Consensus failure, mutated block, invalid header, checkpoint or
    /// invalid parent: 100 points.
    Invalid,
    /// Already known invalid (`BLOCK_CACHED_INVALID`): 100 points to
    /// outbound peers only.
    CachedInvalid,
    /// Unknown parent (`BLOCK_MISSING_PREV`): 10 points.
    MissingPrev,
    /// Time too far in the future, or not a validation failure: none.
    NoPunishment,
}

/// Why the chainstate rejected a header or block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRejected {
    /// The reject reason (or the error's text).
    pub reason: String,
    pub kind: RejectKind,
}

/// What block sync needs from the chainstate; the node implements it.
/// Every method takes and releases the chainstate lock itself.
pub trait ChainAccess: Send + Sync {
    /// The index's knowledge of `hash`, `None` when the header is unknown.
    fn header_state(&self, hash: &BlockHash) -> Option<HeaderState>;
    /// The active tip's hash and chain work.
    fn tip(&self) -> (BlockHash, Work);
    /// The best header (`m_best_header`): hash and header.
    fn best_header(&self) -> Option<(BlockHash, Header)>;
    /// `nMinimumChainWork`.
    fn minimum_chain_work(&self) -> Work;
    /// Whether blocks are being imported or reindexed (`LoadingBlocks`).
    fn loading_blocks(&self) -> bool;
    /// A block locator starting at the known header `from` (`GetLocator`).
    fn locator(&self, from: &BlockHash) -> Vec<BlockHash>;
    /// The answer to `getheaders`: the height of the first header and up to
    /// `max` headers of the active chain after the fork point of `locator`
    /// (or the `stop` header alone for an empty locator), ending at `stop`;
    /// `None` when there is nothing to answer.
    fn headers_after(
        &self,
        locator: &[BlockHash],
        stop: &BlockHash,
        max: usize,
    ) -> Option<(i64, Vec<Header>)>;
    /// The answer to `getblocks`: the height of the first block after the
    /// fork point of `locator` (genesis when none matches) and the hashes of
    /// the active chain from there, up to `max`, stopping before `stop`.
    fn blocks_after(
        &self,
        locator: &[BlockHash],
        stop: &BlockHash,
        max: usize,
    ) -> (i64, Vec<BlockHash>);
    /// The block data, when we have it and may serve it.
    fn block(&self, hash: &BlockHash) -> Option<Block>;
    /// `ProcessNewBlockHeaders`.
    fn process_headers(&self, headers: &[Header]) -> Result<(), BlockRejected>;
    /// `ProcessNewBlock`: whether the block was new.
    fn process_block(&self, block: &Block) -> Result<bool, BlockRejected>;
    /// Blocks to request for the chain ending at `target` (when it has more
    /// work than our tip): the first ones without data after the fork with
    /// the active chain, at most `max`, skipping `skip`, within Core's
    /// download window of 1024 blocks.
    fn blocks_to_download(
        &self,
        target: &BlockHash,
        max: usize,
        skip: &HashSet<BlockHash>,
    ) -> Vec<BlockHash>;
    /// Height of the last block of the active chain that is an ancestor of `hash`.
    fn last_common_height(&self, hash: &BlockHash) -> Option<u32>;
    /// Whether `ancestor` is `descendant` or one of its ancestors.
    fn is_ancestor(&self, ancestor: &BlockHash, descendant: &BlockHash) -> bool;
    /// The headers of the active chain from the fork (exclusive) up to `tip`,
    /// oldest first, at most the last `max` of them.
    fn new_tip_headers(&self, tip: &BlockHash, fork_height: Option<u32>, max: usize)
        -> Vec<Header>;
    /// `IsInitialBlockDownload`.
    fn is_initial_block_download(&self) -> bool {
        false
    }
    /// `PermittedDifficultyTransition`: whether a header at `height` may
    /// have `new_bits` after a parent with `old_bits`.
    fn permitted_difficulty_transition(
        &self,
        _height: u32,
        _old_bits: u32,
        _new_bits: u32,
    ) -> bool {
        true
    }
    /// `CheckProofOfWork` of one header (its hash meets its own target).
    fn check_proof_of_work(&self, _header: &Header) -> bool {
        true
    }
    /// When nothing can be downloaded towards `target` because the download
    /// window ends, the first block of the window that is in `in_flight`
    /// (Core's `waitingfor` in `FindNextBlocksToDownload`).
    fn download_window_blocker(
        &self,
        _target: &BlockHash,
        _in_flight: &HashSet<BlockHash>,
    ) -> Option<BlockHash> {
        None
    }
    /// `nPowTargetSpacing`, seconds.
    fn pow_target_spacing(&self) -> i64 {
        600
    }
    /// `CheckBlock` of a block rebuilt from a `cmpctblock`; a mutated block
    /// (likely a short-ID collision) is [`crate::compact::BlockCheckError::Mutated`].
    fn check_block(&self, block: &Block) -> Result<(), crate::compact::BlockCheckError> {
        crate::compact::default_check_block(block)
    }
    /// Core's `BlockRequestAllowed`: `hash` is known and on the active chain,
    /// or a valid block not much older than the best header.
    fn block_request_allowed(&self, hash: &BlockHash) -> bool {
        self.header_state(hash).is_some_and(|s| s.in_active_chain)
    }
    /// The hashes of the ancestors of the known block `hash` at `heights`
    /// (each at most its height), in that order (`GetAncestor`).
    fn ancestor_hashes(&self, _hash: &BlockHash, _heights: &[u32]) -> Option<Vec<BlockHash>> {
        None
    }
    /// BIP158 basic filters and filter headers of `hashes` from
    /// `-blockfilterindex`, in order; `None` when one is missing.
    fn block_filters(&self, _hashes: &[BlockHash]) -> Option<Vec<crate::cfilters::FilterEntry>> {
        None
    }
}

/// A tip change to announce.
#[derive(Debug, Clone, Copy)]
pub struct TipEvent {
    pub hash: BlockHash,
    pub fork_height: Option<u32>,
}

/// One peer's block sync state (Core's `CNodeState` and parts of `Peer`).
#[derive(Default)]
pub(crate) struct SyncState {
    /// `fSyncStarted`.
    sync_started: bool,
    /// `pindexBestKnownBlock`.
    best_known: Option<BlockHash>,
    /// `hashLastUnknownBlock`.
    last_unknown: Option<BlockHash>,
    /// `pindexBestHeaderSent`.
    best_header_sent: Option<BlockHash>,
    /// `vBlocksInFlight`.
    pub(crate) in_flight: Vec<BlockHash>,
    /// The blocks in flight from this peer being rebuilt from `cmpctblock`s
    /// (`QueuedBlock::partialBlock`).
    pub(crate) partial: HashMap<BlockHash, crate::compact::PartiallyDownloadedBlock>,
    /// `request_blocks` runs for a `headers` announcement
    /// (`HeadersDirectFetchBlocks`).
    direct_fetch: bool,
    /// `m_last_getheaders_timestamp`, 0 when none is outstanding.
    last_getheaders_us: i64,
    /// `m_prefers_headers`: the peer sent `sendheaders`.
    prefers_headers: bool,
    /// `m_sent_sendheaders`.
    sent_sendheaders: bool,
    /// `m_num_unconnecting_headers_msgs`.
    unconnecting_headers: u32,
    /// `m_downloading_since`.
    pub(crate) downloading_since_us: i64,
    /// `m_headers_sync_timeout`: 0 before the sync starts, `i64::MAX` once
    /// caught up.
    pub(crate) headers_sync_timeout_us: i64,
    /// `fPreferredDownload`, once known (counted in the shared total).
    pub(crate) preferred_download: Option<bool>,
    /// `m_inv_triggered_getheaders_before_sync`.
    inv_triggered_getheaders_before_sync: bool,
    /// `m_headers_sync`: the low-work headers sync with the peer.
    presync: Option<presync::HeadersSync>,
}

/// Core's `GetAntiDoSWorkThreshold`: the work of our tip less 144 blocks
/// (of `proof` each), at least `nMinimumChainWork`.
pub(crate) fn anti_dos_work_threshold(chain: &dyn ChainAccess, proof: Work) -> Work {
    let (_, tip_work) = chain.tip();
    let zero = Work::from_be_bytes([0; 32]);
    let mut buffer = zero;
    for _ in 0..144 {
        buffer = buffer + proof;
    }
    let near_tip = if tip_work > buffer {
        tip_work - buffer
    } else {
        zero
    };
    near_tip.max(chain.minimum_chain_work())
}

/// Whether a block that was not requested is to be processed (Core's
/// `AcceptBlock` with `fRequested` false). Its header is accepted first; the
/// block is then kept only when it has at least the work of our tip, is at
/// most `MIN_BLOCKS_TO_KEEP` above it and reaches the minimum chain work. A
/// block failing `CheckBlock`, whose header fails, or that is stored already
/// goes to the chainstate, which rejects it or reports it as known.
fn unrequested_block_wanted(chain: &dyn ChainAccess, block: &Block) -> bool {
    let hash = block.block_hash();
    if chain.check_block(block).is_err() {
        return true;
    }
    if chain.header_state(&hash).is_none()
        && chain
            .process_headers(std::slice::from_ref(&block.header))
            .is_err()
    {
        return true;
    }
    let Some(state) = chain.header_state(&hash) else {
        return true;
    };
    if state.failed || state.have_data {
        return true;
    }
    let (tip, tip_work) = chain.tip();
    let tip_height = chain.header_state(&tip).map_or(0, |s| s.height);
    state.chain_work >= tip_work
        && state.height <= tip_height.saturating_add(MIN_BLOCKS_TO_KEEP)
        && state.chain_work >= chain.minimum_chain_work()
}

/// The median time past of the known block `header` (its time and those of
/// up to ten ancestors).
fn median_time_past(chain: &dyn ChainAccess, header: Header) -> i64 {
    let mut times = vec![header.time];
    let mut prev = header.prev_blockhash;
    while times.len() < 11 && prev != BlockHash::all_zeros() {
        let Some(h) = crate::compact::header_of(chain, &prev) else {
            break;
        };
        times.push(h.time);
        prev = h.prev_blockhash;
    }
    times.sort_unstable();
    i64::from(times[times.len() / 2])
}

/// Reads a `headers` payload: headers each followed by a transaction count.
fn parse_headers(payload: &[u8]) -> Result<Vec<Header>, String> {
    let mut r = payload;
    let count = VarInt::consensus_decode(&mut r)
        .map_err(|e| e.to_string())?
        .0;
    if count > MAX_HEADERS_RESULTS as u64 {
        return Err(format!("headers message size = {count}"));
    }
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        out.push(Header::consensus_decode(&mut r).map_err(|e| e.to_string())?);
        VarInt::consensus_decode(&mut r).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

fn parse<T: bitcoin::consensus::Decodable>(payload: &[u8]) -> Result<T, String> {
    deserialize_partial::<T>(payload)
        .map(|(v, _)| v)
        .map_err(|e| e.to_string())
}

/// The block without witness data (what `MSG_BLOCK` asks for).
fn strip_witness(mut block: Block) -> Block {
    for tx in &mut block.txdata {
        for input in &mut tx.input {
            input.witness.clear();
        }
    }
    block
}

impl Conn {
    fn chain(&self) -> Option<Arc<dyn ChainAccess>> {
        self.net.config.chain.clone()
    }

    /// Dispatches the block sync messages.
    pub(crate) fn process_sync_message(&mut self, command: &str, payload: &[u8]) {
        let Some(chain) = self.chain() else {
            if command == "inv" || command == "getdata" {
                // Without a chainstate only the transaction entries count.
                if let Err(e) = self.process_tx_inv_or_getdata(command, payload) {
                    self.log_exception(command, payload.len(), &e);
                }
                return;
            }
            tracing::debug!(target: "net", "ignoring \"{command}\" from peer={}: not handled yet", self.id());
            return;
        };
        let chain = chain.as_ref();
        let result = match command {
            "sendheaders" => {
                self.sync.prefers_headers = true;
                Ok(())
            }
            "getheaders" => self.process_getheaders(chain, payload),
            "getblocks" => self.process_getblocks(chain, payload),
            "headers" => {
                let r = self.process_headers_message(chain, payload);
                let presynced = self.presynced_headers();
                self.peer.stats().presynced_headers = presynced;
                r
            }
            "inv" => self.process_inv(chain, payload),
            "getdata" => self.process_getdata(chain, payload),
            "block" => self.process_block_message(chain, payload),
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.log_exception(command, payload.len(), &e);
        }
    }

    /// Core's `MaybePunishNodeForBlock` (not via compact blocks).
    fn punish_for_block(&mut self, rejected: &BlockRejected, message: &str) {
        let howmuch = match rejected.kind {
            RejectKind::Invalid => 100,
            RejectKind::CachedInvalid if !self.peer.inbound => 100,
            RejectKind::MissingPrev => 10,
            _ => return,
        };
        self.misbehaving(howmuch, message);
        if !message.is_empty() {
            tracing::debug!(target: "net", "peer={}: {message}", self.id());
        }
    }

    /// Core's `MaybeSendGetHeaders`: at most one outstanding `getheaders`
    /// per `HEADERS_RESPONSE_TIME`.
    pub(crate) fn maybe_send_getheaders(&mut self, locator: Vec<BlockHash>) -> bool {
        let now = self.net.now_micros();
        if self.sync.last_getheaders_us != 0
            && now - self.sync.last_getheaders_us <= HEADERS_RESPONSE_TIME_US
        {
            return false;
        }
        self.sync.last_getheaders_us = now;
        self.push(NetworkMessage::GetHeaders(GetHeadersMessage {
            version: PROTOCOL_VERSION as u32,
            locator_hashes: locator,
            stop_hash: BlockHash::all_zeros(),
        }));
        true
    }

    /// Core's `UpdateBlockAvailability`.
    pub(crate) fn update_block_availability(&mut self, chain: &dyn ChainAccess, hash: BlockHash) {
        self.process_block_availability(chain);
        match chain.header_state(&hash) {
            Some(s) if s.chain_work > Work::from_be_bytes([0; 32]) => {
                let better = match self.sync.best_known.and_then(|b| chain.header_state(&b)) {
                    Some(best) => s.chain_work >= best.chain_work,
                    None => true,
                };
                if better {
                    self.sync.best_known = Some(hash);
                }
            }
            Some(_) => {}
            None => self.sync.last_unknown = Some(hash),
        }
    }

    /// Core's `ProcessBlockAvailability`.
    fn process_block_availability(&mut self, chain: &dyn ChainAccess) {
        let Some(hash) = self.sync.last_unknown else {
            return;
        };
        if let Some(s) = chain.header_state(&hash) {
            if s.chain_work > Work::from_be_bytes([0; 32]) {
                let better = match self.sync.best_known.and_then(|b| chain.header_state(&b)) {
                    Some(best) => s.chain_work >= best.chain_work,
                    None => true,
                };
                if better {
                    self.sync.best_known = Some(hash);
                }
                self.sync.last_unknown = None;
            }
        }
    }

    fn process_getheaders(
        &mut self,
        chain: &dyn ChainAccess,
        payload: &[u8],
    ) -> Result<(), String> {
        let id = self.id();
        let msg: GetHeadersMessage = parse(payload)?;
        if msg.locator_hashes.len() > MAX_LOCATOR_SZ {
            tracing::debug!(target: "net", "getheaders locator size {} > {MAX_LOCATOR_SZ}, disconnect peer={id}", msg.locator_hashes.len());
            self.disconnect();
            return Ok(());
        }
        if chain.loading_blocks() {
            tracing::debug!(target: "net", "Ignoring getheaders from peer={id} while importing/reindexing");
            return Ok(());
        }
        let (tip, tip_work) = chain.tip();
        if tip_work < chain.minimum_chain_work() {
            tracing::debug!(target: "net", "Ignoring getheaders from peer={id} because active chain has too little work; sending empty response");
            self.push(NetworkMessage::Headers(Vec::new()));
            return Ok(());
        }
        let Some((start, headers)) =
            chain.headers_after(&msg.locator_hashes, &msg.stop_hash, MAX_HEADERS_RESULTS)
        else {
            return Ok(());
        };
        let stop = if msg.stop_hash == BlockHash::all_zeros() {
            "end".to_string()
        } else {
            msg.stop_hash.to_string()
        };
        tracing::debug!(target: "net", "getheaders {start} to {stop} from peer={id}");
        // Core: the last header sent, or our tip when the peer has it.
        let last = headers.last().map(|h| h.block_hash());
        self.sync.best_header_sent = Some(match last {
            Some(h) if headers.len() >= MAX_HEADERS_RESULTS || h == msg.stop_hash => h,
            _ => tip,
        });
        self.push(NetworkMessage::Headers(headers));
        Ok(())
    }

    fn process_getblocks(&mut self, chain: &dyn ChainAccess, payload: &[u8]) -> Result<(), String> {
        let id = self.id();
        // Same layout as getheaders.
        let msg: GetHeadersMessage = parse(payload)?;
        if msg.locator_hashes.len() > MAX_LOCATOR_SZ {
            tracing::debug!(target: "net", "getblocks locator size {} > {MAX_LOCATOR_SZ}, disconnect peer={id}", msg.locator_hashes.len());
            self.disconnect();
            return Ok(());
        }
        let (start, hashes) =
            chain.blocks_after(&msg.locator_hashes, &msg.stop_hash, MAX_GETBLOCKS_RESULTS);
        let stop = if msg.stop_hash == BlockHash::all_zeros() {
            "end".to_string()
        } else {
            msg.stop_hash.to_string()
        };
        tracing::debug!(target: "net", "getblocks {start} to {stop} limit {MAX_GETBLOCKS_RESULTS} from peer={id}");
        if hashes.len() >= MAX_GETBLOCKS_RESULTS {
            let last = hashes[hashes.len() - 1];
            let height = chain.header_state(&last).map_or(0, |s| s.height);
            tracing::debug!(target: "net", "  getblocks stopping at limit {height} {last}");
        }
        if !hashes.is_empty() {
            self.push(NetworkMessage::Inv(
                hashes.into_iter().map(Inventory::Block).collect(),
            ));
        }
        Ok(())
    }

    fn process_headers_message(
        &mut self,
        chain: &dyn ChainAccess,
        payload: &[u8],
    ) -> Result<(), String> {
        // Whatever it is, it answers our outstanding getheaders.
        self.sync.last_getheaders_us = 0;
        let headers = match parse_headers(payload) {
            Ok(h) => h,
            Err(e) if e.starts_with("headers message size") => {
                self.misbehaving(20, &e);
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        self.process_headers(chain, headers, false);
        Ok(())
    }

    /// Core's `ProcessHeadersMessage`; `via_compact`: the header came in a
    /// `cmpctblock` (a peer on an invalid chain is not punished).
    pub(crate) fn process_headers(
        &mut self,
        chain: &dyn ChainAccess,
        mut headers: Vec<Header>,
        via_compact: bool,
    ) {
        let id = self.id();
        let count = headers.len();
        if headers.is_empty() {
            return;
        }
        // Core's CheckHeadersPoW.
        if !headers.iter().all(|h| chain.check_proof_of_work(h)) {
            self.misbehaving(100, "header with invalid proof of work");
            return;
        }
        if headers
            .windows(2)
            .any(|w| w[1].prev_blockhash != w[0].block_hash())
        {
            self.misbehaving(20, "non-continuous headers sequence");
            return;
        }
        // A low-work headers sync under way takes the headers; it hands back
        // those whose work is established.
        let mut work_validated = self.continue_headers_presync(chain, &mut headers);
        if headers.is_empty() {
            return;
        }
        let have_presync = self.sync.presync.is_some();
        let first = headers[0];
        let last_hash = headers.last().expect("not empty").block_hash();
        let Some(start) = chain.header_state(&first.prev_blockhash) else {
            // Core's HandleUnconnectingHeaders.
            self.sync.unconnecting_headers += 1;
            let best = chain.best_header().map_or(first.prev_blockhash, |b| b.0);
            let best_height = chain.header_state(&best).map_or(0, |s| s.height);
            if self.maybe_send_getheaders(chain.locator(&best)) {
                tracing::debug!(target: "net",
                    "received header {}: missing prev block {}, sending getheaders ({best_height}) to end (peer={id}, m_num_unconnecting_headers_msgs={})",
                    first.block_hash(), first.prev_blockhash, self.sync.unconnecting_headers);
            }
            self.update_block_availability(chain, last_hash);
            if self.sync.unconnecting_headers.is_multiple_of(10) {
                let n = self.sync.unconnecting_headers;
                self.misbehaving(20, &format!("{n} non-connecting headers"));
            }
            return;
        };
        // Core's anti-DoS check (TryLowWorkHeadersSync): a chain with too
        // little work is not stored unless the peer is trusted or we know
        // the headers already; a full message starts a low-work headers
        // sync instead.
        let no_ban = crate::permissions::has_flag(
            self.peer.permissions.load(Ordering::SeqCst),
            crate::permissions::flags::NO_BAN,
        );
        let known = chain.header_state(&last_hash).is_some()
            && (chain.is_ancestor(&last_hash, &chain.tip().0)
                || chain
                    .best_header()
                    .is_some_and(|(b, _)| chain.is_ancestor(&last_hash, &b)));
        work_validated |= known || no_ban;
        if !work_validated {
            let mut total = start.chain_work;
            for h in &headers {
                total = total + h.work();
            }
            let threshold = anti_dos_work_threshold(chain, headers[0].work());
            if total < threshold {
                if headers.len() == MAX_HEADERS_RESULTS {
                    self.start_headers_presync(
                        chain,
                        &first.prev_blockhash,
                        start,
                        threshold,
                        headers,
                    );
                } else {
                    tracing::debug!(target: "net", "Ignoring low-work chain (height={}) from peer={id}",
                        start.height as usize + headers.len());
                }
                return;
            }
        }
        let best_before = chain.best_header().map(|b| b.0);
        // Core processes one message at a time: the peer whose headers
        // announce blocks fetches them (HeadersDirectFetchBlocks) before any
        // other peer's announcement of the same blocks is looked at.
        self.net.direct_fetches.fetch_add(1, Ordering::SeqCst);
        let processed = chain.process_headers(&headers);
        if processed.is_ok() {
            self.update_block_availability(chain, last_hash);
            self.sync.direct_fetch = true;
            self.request_blocks(chain, &last_hash);
            self.sync.direct_fetch = false;
        }
        self.net.direct_fetches.fetch_sub(1, Ordering::SeqCst);
        if let Err(rejected) = processed {
            if !(via_compact && rejected.kind == RejectKind::CachedInvalid) {
                self.punish_for_block(&rejected, "invalid header received");
            }
            return;
        }
        self.log_header_sync_progress(chain, best_before, &last_hash);
        self.sync.unconnecting_headers = 0;
        if count == MAX_HEADERS_RESULTS && !have_presync {
            let height = chain.header_state(&last_hash).map_or(0, |s| s.height);
            if self.maybe_send_getheaders(chain.locator(&last_hash)) {
                let start = self.peer.stats().starting_height;
                tracing::debug!(target: "net", "more getheaders ({height}) to end to peer={id} (startheight:{start})");
            }
        }
    }

    /// Core's `IsContinuationOfLowWorkHeadersSync`: feeds `headers` to the
    /// low-work headers sync under way, if any. On success `headers` becomes
    /// the headers whose work is established (often none) and the result is
    /// true; on failure the sync ends and `headers` is left as it was.
    fn continue_headers_presync(
        &mut self,
        chain: &dyn ChainAccess,
        headers: &mut Vec<Header>,
    ) -> bool {
        let id = self.id();
        let Some(sync) = self.sync.presync.as_mut() else {
            return false;
        };
        let full = headers.len() == MAX_HEADERS_RESULTS;
        let permitted = |height: u32, old: u32, new: u32| {
            chain.permitted_difficulty_transition(height, old, new)
        };
        let outcome = sync.process_next(headers, full, &permitted);
        let locator = outcome.request_more.then(|| sync.next_locator());
        let phase = sync.phase();
        let presync = (phase == presync::Phase::Presync).then(|| {
            (
                sync.presync_height(),
                sync.presync_time(),
                sync.presync_work(),
            )
        });
        if let Some(locator) = locator.filter(|l| !l.is_empty()) {
            let from = locator[0];
            if self.maybe_send_getheaders(locator) {
                tracing::debug!(target: "net", "more getheaders (from {from}) to peer={id}");
            } else {
                tracing::debug!(target: "net", "error sending next getheaders (from {from}) to continue sync with peer={id}");
            }
        }
        if phase == presync::Phase::Final {
            self.sync.presync = None;
        } else if let Some((height, time, work)) = presync {
            self.report_headers_presync(chain, height, time, work);
        }
        if outcome.success {
            *headers = outcome.validated;
        }
        outcome.success
    }

    /// Core's `TryLowWorkHeadersSync` for a full message of too little work:
    /// starts a low-work headers sync from `prev` (the parent of the first
    /// header) that must reach `threshold`, and feeds it the headers.
    fn start_headers_presync(
        &mut self,
        chain: &dyn ChainAccess,
        prev: &BlockHash,
        prev_state: HeaderState,
        threshold: Work,
        mut headers: Vec<Header>,
    ) {
        let Some(prev_header) = crate::compact::header_of(chain, prev) else {
            return;
        };
        let start = presync::ChainStart {
            hash: *prev,
            height: prev_state.height,
            chain_work: prev_state.chain_work,
            header: prev_header,
            median_time_past: median_time_past(chain, prev_header),
            locator: chain.locator(prev),
        };
        let now = self.net.now_micros() / 1_000_000;
        self.sync.presync = Some(presync::HeadersSync::new(self.id(), start, threshold, now));
        // Its failures end it; nothing is stored from these headers.
        self.continue_headers_presync(chain, &mut headers);
    }

    /// Core's `ReportHeadersPresync`: the pre-sync progress line during
    /// initial block download, until we have a header chain with the
    /// minimum chain work.
    fn report_headers_presync(&self, chain: &dyn ChainAccess, height: u32, time: u32, _work: Work) {
        let best_work = chain
            .best_header()
            .and_then(|(b, _)| chain.header_state(&b))
            .map(|s| s.chain_work);
        if best_work.is_some_and(|w| w >= chain.minimum_chain_work()) {
            return;
        }
        if !chain.is_initial_block_download() {
            return;
        }
        let now = self.net.now_micros() / 1_000_000;
        let blocks_left = (now - i64::from(time)) / chain.pow_target_spacing().max(1);
        let h = f64::from(height);
        let progress = 100.0 * h / (h + blocks_left as f64);
        tracing::info!("Pre-synchronizing blockheaders, height: {height} (~{progress:.2}%)");
    }

    /// `getpeerinfo`'s `presynced_headers`: the height of the low-work
    /// headers sync with this peer while in its first phase, else -1.
    pub(crate) fn presynced_headers(&self) -> i64 {
        self.sync
            .presync
            .as_ref()
            .filter(|s| s.phase() == presync::Phase::Presync)
            .map_or(-1, |s| i64::from(s.presync_height()))
    }

    /// Core's progress line of `ProcessNewBlockHeaders` during initial
    /// block download, when the best header moved.
    fn log_header_sync_progress(
        &self,
        chain: &dyn ChainAccess,
        best_before: Option<BlockHash>,
        last: &BlockHash,
    ) {
        let Some((best, _)) = chain.best_header() else {
            return;
        };
        if Some(best) == best_before || !chain.is_initial_block_download() {
            return;
        }
        let (Some(state), Some(header)) = (
            chain.header_state(last),
            crate::compact::header_of(chain, last),
        ) else {
            return;
        };
        let now = self.net.now_micros() / 1_000_000;
        let blocks_left = (now - i64::from(header.time)) / chain.pow_target_spacing().max(1);
        let height = f64::from(state.height);
        let progress = 100.0 * height / (height + blocks_left as f64);
        tracing::info!(
            "Synchronizing blockheaders, height: {} (~{progress:.2}%)",
            state.height
        );
    }

    fn process_inv(&mut self, chain: &dyn ChainAccess, payload: &[u8]) -> Result<(), String> {
        let id = self.id();
        let invs: Vec<Inventory> = parse(payload)?;
        if invs.len() > MAX_INV_SZ {
            self.misbehaving(20, &format!("inv message size = {}", invs.len()));
            return Ok(());
        }
        let mut best_block = None;
        for inv in invs {
            if self.should_stop() {
                return Ok(());
            }
            if self.ignores_inv(&inv) {
                continue;
            }
            let hash = match inv {
                Inventory::Block(h) | Inventory::WitnessBlock(h) => h,
                _ => {
                    if !self.process_tx_inv(&inv) {
                        return Ok(());
                    }
                    continue;
                }
            };
            let have = chain.header_state(&hash).is_some();
            tracing::debug!(target: "net", "got inv: block {hash}  {} peer={id}", if have { "have" } else { "new" });
            self.update_block_availability(chain, hash);
            let requested = lock(&self.net.blocks_in_flight).contains_key(&hash);
            if !have && !chain.loading_blocks() && !requested {
                best_block = Some(hash);
            }
        }
        if let (Some(hash), Some((best, _))) = (best_block, chain.best_header()) {
            // Before the headers sync with this peer started, one more peer
            // per new block is asked (Core's
            // m_last_block_inv_triggering_headers_sync).
            let ask = self.sync.sync_started
                || (!self.sync.inv_triggered_getheaders_before_sync
                    && self.claim_inv_triggered_sync(hash));
            if ask {
                let best_height = chain.header_state(&best).map_or(0, |s| s.height);
                if self.maybe_send_getheaders(chain.locator(&best)) {
                    tracing::debug!(target: "net", "getheaders ({best_height}) {hash} to peer={id}");
                }
                if !self.sync.sync_started {
                    self.sync.inv_triggered_getheaders_before_sync = true;
                }
            }
        }
        Ok(())
    }

    fn process_getdata(&mut self, chain: &dyn ChainAccess, payload: &[u8]) -> Result<(), String> {
        let id = self.id();
        let invs: Vec<Inventory> = parse(payload)?;
        if invs.len() > MAX_INV_SZ {
            self.misbehaving(20, &format!("getdata message size = {}", invs.len()));
            return Ok(());
        }
        tracing::debug!(target: "net", "received getdata ({} invsz) peer={id}", invs.len());
        if let Some(first) = invs.first() {
            tracing::debug!(target: "net", "received getdata for: {} peer={id}", crate::txrelay::inv_string(first));
        }
        let mut not_found = Vec::new();
        for inv in invs {
            if self.should_stop() {
                return Ok(());
            }
            match inv {
                Inventory::Block(hash)
                | Inventory::WitnessBlock(hash)
                | Inventory::CompactBlock(hash) => {
                    if self.refuse_historical_block(&hash) {
                        return Ok(());
                    }
                    // Core answers nothing for a block it cannot serve.
                    if let Some(block) = chain.block(&hash) {
                        if matches!(inv, Inventory::CompactBlock(_)) {
                            self.serve_compact_block(chain, block);
                            continue;
                        }
                        let block = if matches!(inv, Inventory::Block(_)) {
                            strip_witness(block)
                        } else {
                            block
                        };
                        self.push(NetworkMessage::Block(block));
                    }
                }
                Inventory::Transaction(_)
                | Inventory::WitnessTransaction(_)
                | Inventory::WTx(_) => self.serve_tx(&inv, &mut not_found),
                // MSG_FILTERED_BLOCK: not served, but it counts as historical.
                Inventory::Unknown { inv_type: 3, hash }
                    if self.refuse_filtered_block(&BlockHash::from_byte_array(hash)) =>
                {
                    return Ok(());
                }
                _ => {}
            }
        }
        if !not_found.is_empty() {
            self.push(NetworkMessage::NotFound(not_found));
        }
        Ok(())
    }

    fn process_block_message(
        &mut self,
        chain: &dyn ChainAccess,
        payload: &[u8],
    ) -> Result<(), String> {
        let id = self.id();
        let block: Block = widecoin_consensus::decode::decode_block_partial(payload)
            .map(|(block, _)| block)
            .map_err(|e| e.to_string())?;
        tracing::debug!(target: "net", "received block {} peer={id}", block.block_hash());
        self.handle_block(chain, block, false);
        Ok(())
    }

    /// Processes a block from the peer (`ProcessBlock`): forgets its request,
    /// stores it, and punishes (unless it was rebuilt from a `cmpctblock`,
    /// which BIP152 lets peers relay before validating) or selects the peer
    /// for high-bandwidth relay.
    pub(crate) fn handle_block(
        &mut self,
        chain: &dyn ChainAccess,
        block: Block,
        via_compact: bool,
    ) {
        let hash = block.block_hash();
        if !via_compact && chain.header_state(&hash).is_none() {
            // Core's min_pow_checked: a new header must connect to a chain
            // with enough work.
            // A missing or invalid parent is the chainstate's to report.
            let too_little = chain
                .header_state(&block.header.prev_blockhash)
                .is_some_and(|prev| {
                    !prev.failed
                        && prev.chain_work + block.header.work()
                            < anti_dos_work_threshold(chain, block.header.work())
                });
            if too_little {
                self.remove_block_request(hash);
                tracing::debug!(target: "validation", "AcceptBlockHeader: not adding new block header {hash}, missing anti-dos proof-of-work validation");
                return;
            }
        }
        // Core's AcceptBlock without fRequested: a block nobody asked for
        // is stored only when it could soon be part of the best chain.
        let requested = via_compact || lock(&self.net.blocks_in_flight).contains_key(&hash);
        if !requested && !unrequested_block_wanted(chain, &block) {
            return;
        }
        self.sync.partial.remove(&hash);
        let was_first = self.sync.in_flight.first() == Some(&hash);
        let had = self.sync.in_flight.contains(&hash);
        self.sync.in_flight.retain(|h| *h != hash);
        if had {
            let now = self.net.now_micros();
            let empty = self.sync.in_flight.is_empty();
            self.download_received(was_first, empty, now);
        }
        // The request stays registered until the block is stored, so that
        // no other peer is asked for it meanwhile.
        let processed = chain.process_block(&block);
        self.forget_block_request(hash);
        match processed {
            Ok(true) => {
                self.peer.stats().last_block = self.net.now_micros() / 1_000_000;
                // Core's BlockChecked: a valid new tip while nothing else is
                // being downloaded.
                let nothing_in_flight = lock(&self.net.blocks_in_flight).keys().all(|h| *h == hash);
                if nothing_in_flight && !chain.is_initial_block_download() && chain.tip().0 == hash
                {
                    self.maybe_set_hb_peer();
                }
            }
            Ok(false) => {}
            Err(rejected) if !via_compact => self.punish_for_block(&rejected, ""),
            Err(_) => {}
        }
    }

    /// Core's `BlockRequested` for a `cmpctblock`: registers the block as in
    /// flight from this peer (unless it already is).
    pub(crate) fn block_requested(&mut self, hash: BlockHash) {
        let id = self.id();
        if self.sync.in_flight.contains(&hash) {
            return;
        }
        lock(&self.net.blocks_in_flight).entry(hash).or_insert(id);
        self.add_requester(hash);
        let was_empty = self.sync.in_flight.is_empty();
        self.sync.in_flight.push(hash);
        let now = self.net.now_micros();
        self.download_started(was_empty, now);
    }

    /// Core's `RemoveBlockRequest` for this peer.
    pub(crate) fn remove_block_request(&mut self, hash: BlockHash) {
        self.sync.partial.remove(&hash);
        self.forget_block_request(hash);
        if self.sync.in_flight.contains(&hash) {
            let was_first = self.sync.in_flight.first() == Some(&hash);
            self.sync.in_flight.retain(|h| *h != hash);
            let empty = self.sync.in_flight.is_empty();
            let now = self.net.now_micros();
            self.download_received(was_first, empty, now);
        }
    }

    /// Whether the peer has `hash` as far as we know (Core's `PeerHasHeader`).
    fn peer_has_header(&self, chain: &dyn ChainAccess, hash: &BlockHash) -> bool {
        [self.sync.best_known, self.sync.best_header_sent]
            .into_iter()
            .flatten()
            .any(|b| chain.is_ancestor(hash, &b))
    }

    /// The block sync part of Core's `SendMessages`, after the handshake.
    pub(crate) fn send_sync_messages(&mut self) {
        let Some(chain) = self.chain() else {
            return;
        };
        let chain = chain.as_ref();
        let id = self.id();
        self.process_block_availability(chain);
        self.count_preferred_download();

        // MaybeSendSendHeaders.
        let (common, services, starting_height) = {
            let s = self.peer.stats();
            (s.common_version, s.services, s.starting_height)
        };
        if !self.sync.sent_sendheaders && common >= SENDHEADERS_VERSION {
            let enough = self
                .sync
                .best_known
                .and_then(|b| chain.header_state(&b))
                .is_some_and(|s| s.chain_work > chain.minimum_chain_work());
            if enough {
                self.push(NetworkMessage::SendHeaders);
                self.sync.sent_sendheaders = true;
            }
        }

        // Core syncs nothing with short-lived addr-fetch peers.
        if self.peer.conn_type() == crate::addr_relay::ConnType::AddrFetch {
            return;
        }
        // Start the headers sync.
        let best = chain.best_header();
        if let (false, Some((best, best_header))) = (
            self.sync.sync_started || services & SERVES_BLOCKS == 0 || chain.loading_blocks(),
            best,
        ) {
            let recent =
                i64::from(best_header.time) * 1_000_000 > self.net.now_micros() - RECENT_HEADER_US;
            if self.net.sync_started.load(Ordering::SeqCst) == 0 || recent {
                let start = if best_header.prev_blockhash == BlockHash::all_zeros() {
                    best
                } else {
                    best_header.prev_blockhash
                };
                let height = chain.header_state(&start).map_or(0, |s| s.height);
                if self.maybe_send_getheaders(chain.locator(&start)) {
                    tracing::debug!(target: "net", "initial getheaders ({height}) to peer={id} (startheight:{starting_height})");
                    self.sync.sync_started = true;
                    self.net.sync_started.fetch_add(1, Ordering::SeqCst);
                    self.start_headers_sync_timeout(
                        i64::from(best_header.time),
                        chain.pow_target_spacing(),
                    );
                }
            }
        }

        self.send_pending_sendcmpct();
        self.announce_blocks(chain);

        // Block download.
        if let Some(target) = self.sync.best_known {
            if self.net.direct_fetches.load(Ordering::SeqCst) == 0 {
                self.request_blocks(chain, &target);
            }
            let synced_headers = chain
                .header_state(&target)
                .map_or(-1, |s| i64::from(s.height));
            let synced_blocks = chain.last_common_height(&target).map_or(-1, i64::from);
            let inflight = self
                .sync
                .in_flight
                .iter()
                .filter_map(|h| chain.header_state(h).map(|s| s.height))
                .collect();
            let mut s = self.peer.stats();
            s.synced_headers = synced_headers;
            s.synced_blocks = synced_blocks;
            s.inflight = inflight;
        }

        // Blocks we requested that arrived from elsewhere are no longer awaited.
        if !self.sync.in_flight.is_empty() {
            let now = self.net.now_micros();
            let pending: Vec<BlockHash> = self.sync.in_flight.clone();
            for hash in pending {
                if chain.header_state(&hash).is_some_and(|s| s.have_data) {
                    let was_first = self.sync.in_flight.first() == Some(&hash);
                    self.sync.in_flight.retain(|h| *h != hash);
                    let empty = self.sync.in_flight.is_empty();
                    self.download_received(was_first, empty, now);
                    self.forget_block_request(hash);
                }
            }
        }
        let first = self.sync.in_flight.first().copied();
        if self.check_download_timeouts(first, chain.pow_target_spacing()) {
            return;
        }
        let best_time = chain.best_header().map_or(0, |(_, h)| i64::from(h.time));
        self.check_headers_sync_timeout(best_time);
    }

    /// Requests the blocks we lack on the way to `target`, up to
    /// `MAX_BLOCKS_IN_TRANSIT_PER_PEER` in flight, none already requested
    /// from another peer (Core's `FindNextBlocksToDownload` and
    /// `HeadersDirectFetchBlocks`).
    fn request_blocks(&mut self, chain: &dyn ChainAccess, target: &BlockHash) {
        let id = self.id();
        // Core's `IsLimitedPeer`: a pruned peer (NODE_NETWORK_LIMITED without
        // NODE_NETWORK) is not asked for blocks during initial block download.
        let services = self.peer.stats().services;
        let limited = services & 1 == 0 && services & (1 << 10) != 0;
        if limited && chain.is_initial_block_download() {
            return;
        }
        let room = MAX_BLOCKS_IN_TRANSIT_PER_PEER.saturating_sub(self.sync.in_flight.len());
        if room == 0 {
            return;
        }
        let was_empty = self.sync.in_flight.is_empty();
        let skip: HashSet<BlockHash> = lock(&self.net.blocks_in_flight).keys().copied().collect();
        let wanted = chain.blocks_to_download(target, room, &skip);
        let mut requests = Vec::new();
        {
            let mut flight = lock(&self.net.blocks_in_flight);
            for hash in wanted {
                if flight.contains_key(&hash) {
                    continue;
                }
                flight.insert(hash, id);
                requests.push(hash);
            }
        }
        for hash in &requests {
            let height = chain.header_state(hash).map_or(0, |s| s.height);
            tracing::debug!(target: "net", "Requesting block {hash} ({height}) peer={id}");
        }
        let now = self.net.now_micros();
        if !requests.is_empty() {
            self.sync.in_flight.extend(requests.iter().copied());
            self.download_started(was_empty, now);
            // HeadersDirectFetchBlocks asks for a single new tip as a
            // compact block.
            let compact = self.sync.direct_fetch
                && requests.len() == 1
                && !self.net.config.ignore_incoming_txs
                && self.cmpct_state().provides
                && lock(&self.net.blocks_in_flight).len() == 1
                && crate::compact::header_of(chain, &requests[0])
                    .is_some_and(|h| chain.header_state(&h.prev_blockhash).is_some());
            self.push(NetworkMessage::GetData(
                requests
                    .into_iter()
                    .map(if compact {
                        Inventory::CompactBlock
                    } else {
                        Inventory::WitnessBlock
                    })
                    .collect(),
            ));
        }
        if self.sync.in_flight.is_empty() {
            if let Some(blocker) = chain.download_window_blocker(target, &skip) {
                self.mark_staller(&blocker, now);
            }
        }
    }

    /// Announces new tips: `headers` to peers that prefer them when they
    /// connect, else an `inv` of the newest block.
    fn announce_blocks(&mut self, chain: &dyn ChainAccess) {
        let events: Vec<TipEvent> = std::mem::take(&mut *lock(&self.peer.announce));
        if events.is_empty() {
            return;
        }
        let id = self.id();
        let mut blocks: Vec<Header> = Vec::new();
        for e in &events {
            for h in chain.new_tip_headers(&e.hash, e.fork_height, MAX_BLOCKS_TO_ANNOUNCE) {
                let hash = h.block_hash();
                if !blocks.iter().any(|b| b.block_hash() == hash) {
                    blocks.push(h);
                }
            }
        }
        let Some(last) = blocks.last().map(|h| h.block_hash()) else {
            return;
        };
        let hb = self.cmpct_state().hb_from;
        if hb {
            // Core's NewPoWValidBlock: each new block whose parent the
            // high-bandwidth peer has goes out as a `cmpctblock` at once.
            for h in &blocks {
                let hash = h.block_hash();
                if chain.header_state(&hash).is_some_and(|s| s.in_active_chain)
                    && !self.peer_has_header(chain, &hash)
                    && self.peer_has_header(chain, &h.prev_blockhash)
                    && self.announce_compact(chain, &hash)
                {
                    self.sync.best_header_sent = Some(hash);
                }
            }
        }
        let mut revert = (!self.sync.prefers_headers && (!hb || blocks.len() > 1))
            || blocks.len() > MAX_BLOCKS_TO_ANNOUNCE;
        let mut to_send = Vec::new();
        if !revert {
            let mut found_start = false;
            let mut previous: Option<BlockHash> = None;
            for h in &blocks {
                let hash = h.block_hash();
                if !chain.header_state(&hash).is_some_and(|s| s.in_active_chain) {
                    revert = true;
                    break;
                }
                if previous.is_some_and(|p| h.prev_blockhash != p) {
                    revert = true;
                    break;
                }
                previous = Some(hash);
                if found_start {
                    to_send.push(*h);
                } else if self.peer_has_header(chain, &hash) {
                    continue;
                } else if chain.header_state(&h.prev_blockhash).is_none()
                    || self.peer_has_header(chain, &h.prev_blockhash)
                {
                    found_start = true;
                    to_send.push(*h);
                } else {
                    revert = true;
                    break;
                }
            }
            if !revert && to_send.len() == 1 && hb {
                let hash = to_send[0].block_hash();
                if self.announce_compact(chain, &hash) {
                    self.sync.best_header_sent = previous;
                    return;
                }
            }
            if !revert && !to_send.is_empty() && self.sync.prefers_headers {
                if to_send.len() == 1 {
                    tracing::debug!(target: "net", "SendMessages: sending header {} to peer={id}", to_send[0].block_hash());
                } else {
                    tracing::debug!(target: "net", "SendMessages: {} headers, range ({}, {}), to peer={id}",
                        to_send.len(), to_send[0].block_hash(), to_send[to_send.len() - 1].block_hash());
                }
                self.sync.best_header_sent = previous;
                self.push(NetworkMessage::Headers(to_send));
                return;
            }
            revert = true;
        }
        if revert && !self.peer_has_header(chain, &last) {
            if !chain.header_state(&last).is_some_and(|s| s.in_active_chain) {
                let (tip, _) = chain.tip();
                tracing::debug!(target: "net", "Announcing block {last} not on main chain (tip={tip})");
            }
            tracing::debug!(target: "net", "SendMessages: sending inv peer={id} hash={last}");
            self.push(NetworkMessage::Inv(vec![Inventory::Block(last)]));
        }
    }

    /// Forgets the headers sync with this peer so another one can be tried.
    pub(crate) fn reset_headers_sync(&mut self) {
        if self.sync.sync_started {
            self.sync.sync_started = false;
            self.net.sync_started.fetch_sub(1, Ordering::SeqCst);
        }
        self.sync.headers_sync_timeout_us = 0;
    }

    /// Core's `FinalizeNode` for the sync state.
    pub(crate) fn finalize_sync(&mut self) {
        if self.sync.sync_started {
            self.net.sync_started.fetch_sub(1, Ordering::SeqCst);
        }
        let had_in_flight = !self.sync.in_flight.is_empty();
        self.finalize_stalling(had_in_flight);
        if self.sync.preferred_download == Some(true) {
            self.net
                .stalling
                .preferred_download
                .fetch_sub(1, Ordering::SeqCst);
        }
        let id = self.id();
        lock(&self.net.blocks_in_flight).retain(|_, peer| *peer != id);
        self.finalize_compact();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::consensus::encode::serialize;

    #[test]
    fn headers_payload_round_trip() {
        let header = bitcoin::constants::genesis_block(bitcoin::Network::Regtest).header;
        let mut p = vec![2u8];
        for _ in 0..2 {
            p.extend(serialize(&header));
            p.push(0);
        }
        assert_eq!(parse_headers(&p).unwrap(), vec![header, header]);
        assert!(parse_headers(&p[..50]).is_err());
        let mut big = Vec::new();
        big.extend(serialize(&VarInt(2001)));
        assert_eq!(
            parse_headers(&big).unwrap_err(),
            "headers message size = 2001"
        );
    }
}
