//! Headers-first block sync and block announcements (Core's handling of
//! `getheaders`, `headers`, `inv`, `getdata`, `block` and `sendheaders` in
//! `PeerManagerImpl::ProcessMessage`, and the sync start, `sendheaders`,
//! block download and block announcement parts of `SendMessages`).
//!
//! Simplified from Core: no misbehaviour scores yet (a peer that would be
//! discouraged is disconnected), no stalling or download timeouts, no
//! compact blocks, no low-work headers pre-sync.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bitcoin::block::Header;
use bitcoin::consensus::encode::{deserialize_partial, Decodable, VarInt};
use bitcoin::hashes::Hash;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::{GetHeadersMessage, Inventory};
use bitcoin::{Block, BlockHash, Work};

use crate::connman::lock;
use crate::peer::Conn;
use crate::PROTOCOL_VERSION;

/// `MAX_HEADERS_RESULTS`: headers in one `headers` message.
pub const MAX_HEADERS_RESULTS: usize = 2000;
/// Blocks in one answer to `getblocks`.
const MAX_GETBLOCKS_RESULTS: usize = 500;
/// `MAX_BLOCKS_IN_TRANSIT_PER_PEER`.
const MAX_BLOCKS_IN_TRANSIT_PER_PEER: usize = 16;
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
    in_flight: Vec<BlockHash>,
    /// `m_last_getheaders_timestamp`, 0 when none is outstanding.
    last_getheaders_us: i64,
    /// `m_prefers_headers`: the peer sent `sendheaders`.
    prefers_headers: bool,
    /// `m_sent_sendheaders`.
    sent_sendheaders: bool,
    /// `m_num_unconnecting_headers_msgs`.
    unconnecting_headers: u32,
}

/// Core's `CNetAddr::IsLocal`: loopback and the unspecified address.
fn is_local(ip: std::net::IpAddr) -> bool {
    ip.is_loopback() || ip.is_unspecified()
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
            "headers" => self.process_headers_message(chain, payload),
            "inv" => self.process_inv(chain, payload),
            "getdata" => self.process_getdata(chain, payload),
            "block" => self.process_block_message(chain, payload),
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.log_exception(command, payload.len(), &e);
        }
    }

    /// Core's `Misbehaving` log line; a peer reaching the discouragement
    /// threshold is disconnected (Core also discourages its address).
    fn misbehaving(&mut self, howmuch: i32, message: &str) {
        let id = self.id();
        let before = self.peer.stats().misbehavior;
        let now = before + howmuch;
        self.peer.stats().misbehavior = now;
        let warning = if now >= 100 && before < 100 {
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
        if warning.is_empty() {
            return;
        }
        // Core's MaybeDiscourageAndDisconnect (discouragement itself is to come).
        if !self.peer.inbound {
            // Every outbound connection is manual for now.
            tracing::info!("Warning: not punishing manually connected peer {id}!");
        } else if is_local(self.peer.addr.ip()) {
            tracing::debug!(target: "net", "Warning: disconnecting but not discouraging local peer {id}!");
            self.disconnect();
        } else {
            tracing::debug!(target: "net", "Disconnecting and discouraging peer {id}!");
            self.disconnect();
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
    fn maybe_send_getheaders(&mut self, locator: Vec<BlockHash>) -> bool {
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
    fn update_block_availability(&mut self, chain: &dyn ChainAccess, hash: BlockHash) {
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
        self.process_headers(chain, headers);
        Ok(())
    }

    /// Core's `ProcessHeadersMessage`.
    fn process_headers(&mut self, chain: &dyn ChainAccess, headers: Vec<Header>) {
        let id = self.id();
        let Some(first) = headers.first() else {
            return;
        };
        if headers
            .windows(2)
            .any(|w| w[1].prev_blockhash != w[0].block_hash())
        {
            self.misbehaving(20, "non-continuous headers sequence");
            return;
        }
        let last_hash = headers.last().expect("not empty").block_hash();
        if chain.header_state(&first.prev_blockhash).is_none() {
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
        }
        // Core processes one message at a time: the peer whose headers
        // announce blocks fetches them (HeadersDirectFetchBlocks) before any
        // other peer's announcement of the same blocks is looked at.
        self.net.direct_fetches.fetch_add(1, Ordering::SeqCst);
        let processed = chain.process_headers(&headers);
        if processed.is_ok() {
            self.update_block_availability(chain, last_hash);
            self.request_blocks(chain, &last_hash);
        }
        self.net.direct_fetches.fetch_sub(1, Ordering::SeqCst);
        if let Err(rejected) = processed {
            self.punish_for_block(&rejected, "invalid header received");
            return;
        }
        self.sync.unconnecting_headers = 0;
        if headers.len() == MAX_HEADERS_RESULTS {
            let height = chain.header_state(&last_hash).map_or(0, |s| s.height);
            if self.maybe_send_getheaders(chain.locator(&last_hash)) {
                let start = self.peer.stats().starting_height;
                tracing::debug!(target: "net", "more getheaders ({height}) to end to peer={id} (startheight:{start})");
            }
        }
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
            let hash = match inv {
                Inventory::Block(h) | Inventory::WitnessBlock(h) => h,
                _ => continue,
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
            let best_height = chain.header_state(&best).map_or(0, |s| s.height);
            if self.maybe_send_getheaders(chain.locator(&best)) {
                tracing::debug!(target: "net", "getheaders ({best_height}) {hash} to peer={id}");
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
        let mut not_found = Vec::new();
        for inv in invs {
            if self.should_stop() {
                return Ok(());
            }
            match inv {
                Inventory::Block(hash) | Inventory::WitnessBlock(hash) => {
                    // Core answers nothing for a block it cannot serve.
                    if let Some(block) = chain.block(&hash) {
                        let block = if matches!(inv, Inventory::Block(_)) {
                            strip_witness(block)
                        } else {
                            block
                        };
                        self.push(NetworkMessage::Block(block));
                    }
                }
                // No mempool yet: every transaction is unknown.
                Inventory::Transaction(_)
                | Inventory::WitnessTransaction(_)
                | Inventory::WTx(_) => not_found.push(inv),
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
        let block: Block = parse(payload)?;
        let hash = block.block_hash();
        tracing::debug!(target: "net", "received block {hash} peer={id}");
        self.sync.in_flight.retain(|h| *h != hash);
        {
            let mut flight = lock(&self.net.blocks_in_flight);
            if flight.get(&hash) == Some(&id) {
                flight.remove(&hash);
            }
        }
        if let Err(rejected) = chain.process_block(&block) {
            self.punish_for_block(&rejected, "");
        }
        Ok(())
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
                }
            }
        }

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
    }

    /// Requests the blocks we lack on the way to `target`, up to
    /// `MAX_BLOCKS_IN_TRANSIT_PER_PEER` in flight, none already requested
    /// from another peer (Core's `FindNextBlocksToDownload` and
    /// `HeadersDirectFetchBlocks`).
    fn request_blocks(&mut self, chain: &dyn ChainAccess, target: &BlockHash) {
        let id = self.id();
        let room = MAX_BLOCKS_IN_TRANSIT_PER_PEER.saturating_sub(self.sync.in_flight.len());
        if room == 0 {
            return;
        }
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
        if !requests.is_empty() {
            self.sync.in_flight.extend(requests.iter().copied());
            self.push(NetworkMessage::GetData(
                requests.into_iter().map(Inventory::WitnessBlock).collect(),
            ));
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
        let mut revert = !self.sync.prefers_headers || blocks.len() > MAX_BLOCKS_TO_ANNOUNCE;
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
            if !revert && !to_send.is_empty() {
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

    /// Core's `FinalizeNode` for the sync state.
    pub(crate) fn finalize_sync(&mut self) {
        if self.sync.sync_started {
            self.net.sync_started.fetch_sub(1, Ordering::SeqCst);
        }
        let id = self.id();
        lock(&self.net.blocks_in_flight).retain(|_, peer| *peer != id);
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
