//! BIP152 in message processing (Core's handling of `sendcmpct`,
//! `cmpctblock`, `getblocktxn` and `blocktxn` in `ProcessMessage`,
//! `ProcessCompactBlockTxns`, `MaybeSetPeerAsAnnouncingHeaderAndIDs` and
//! `vExtraTxnForCompact`).
//!
//! Simplified from Core: a block is in flight from one peer at a time, so a
//! `cmpctblock` for a block already requested elsewhere is only used for an
//! optimistic reconstruction.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bitcoin::block::Header;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::p2p::message_compact_blocks::{BlockTxn, GetBlockTxn, SendCmpct};
use bitcoin::{Block, BlockHash, Transaction, Wtxid};

use super::{
    blocktxn_for, check_merkle_root, decode_blocktxn, decode_cmpctblock, decode_getblocktxn,
    decode_sendcmpct, PartiallyDownloadedBlock, ReadStatus,
};
use crate::connman::lock;
use crate::peer::{Conn, PeerShared};
use crate::sync::ChainAccess;
use crate::CMPCTBLOCKS_VERSION;

/// `MAX_BLOCKTXN_DEPTH`: deeper blocks are answered with the full block.
pub const MAX_BLOCKTXN_DEPTH: u32 = 10;
/// `MAX_CMPCTBLOCK_DEPTH`: deeper blocks asked as `MSG_CMPCT_BLOCK` are
/// sent in full.
pub const MAX_CMPCTBLOCK_DEPTH: u32 = 5;
/// `DEFAULT_BLOCK_RECONSTRUCTION_EXTRA_TXN`.
pub const DEFAULT_BLOCK_RECONSTRUCTION_EXTRA_TXN: usize = 100;
/// High-bandwidth peers we select (BIP152 allows three).
const MAX_HB_PEERS: usize = 3;
/// Transactions larger than this (in memory) are not kept as extra ones.
const MAX_EXTRA_TX_USAGE: usize = 100_000;

/// One peer's BIP152 state.
#[derive(Debug, Clone, Copy, Default)]
pub struct PeerCmpct {
    /// `m_provides_cmpctblocks`: the peer sent `sendcmpct` version 2.
    pub provides: bool,
    /// `m_requested_hb_cmpctblocks` (`m_bip152_highbandwidth_from`): the
    /// peer wants new blocks as `cmpctblock` without asking.
    pub hb_from: bool,
    /// `m_bip152_highbandwidth_to`: we selected the peer as high-bandwidth.
    pub hb_to: bool,
    /// We dropped the peer from the high-bandwidth list; its thread sends
    /// `sendcmpct(false)`.
    pub(crate) demote_pending: bool,
}

/// Node-wide BIP152 state.
#[derive(Default)]
pub(crate) struct CompactShared {
    /// `lNodesAnnouncingHeaderAndIDs`, oldest first.
    hb_peers: Mutex<VecDeque<Arc<PeerShared>>>,
    /// The peers a block is being downloaded from through `cmpctblock`s,
    /// first requester first (`id`, inbound); Core's `mapBlocksInFlight`
    /// holds up to `MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK` of them.
    requesters: Mutex<std::collections::HashMap<BlockHash, Vec<(i64, bool)>>>,
    /// `vExtraTxnForCompact`: recently orphaned or rejected transactions.
    extra_txn: Mutex<VecDeque<(Wtxid, Arc<Transaction>)>>,
}

impl CompactShared {
    /// Core's `AddToCompactExtraTransactions`.
    pub(crate) fn add_extra_txn(&self, tx: &Arc<Transaction>, max: usize) {
        if max == 0 {
            return;
        }
        let mut extra = lock(&self.extra_txn);
        if extra.len() >= max {
            extra.pop_front();
        }
        extra.push_back((tx.compute_wtxid(), tx.clone()));
    }

    /// A rejected transaction is kept unless it is large (Core's
    /// `RecursiveDynamicUsage < 100000`, approximated by twice its size).
    pub(crate) fn add_rejected_txn(&self, tx: &Arc<Transaction>, max: usize) {
        if tx.total_size() * 2 < MAX_EXTRA_TX_USAGE {
            self.add_extra_txn(tx, max);
        }
    }

    fn extra_txn(&self) -> Vec<(Wtxid, Arc<Transaction>)> {
        lock(&self.extra_txn).iter().cloned().collect()
    }
}

/// The header of a known block (through the chain's header walk).
pub(crate) fn header_of(chain: &dyn ChainAccess, hash: &BlockHash) -> Option<Header> {
    chain
        .new_tip_headers(hash, None, 1)
        .pop()
        .filter(|h| h.block_hash() == *hash)
}

/// `MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK`.
const MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK: usize = 3;

impl Conn {
    /// Records this peer as one more source of `hash` (`BlockRequested`).
    pub(crate) fn add_requester(&self, hash: BlockHash) {
        let id = self.id();
        let mut map = lock(&self.compact().requesters);
        let list = map.entry(hash).or_default();
        if !list.iter().any(|(p, _)| *p == id) {
            list.push((id, self.peer.inbound));
        }
    }

    /// Forgets this peer's request of `hash` (`RemoveBlockRequest`): the
    /// next peer downloading it becomes the first.
    pub(crate) fn forget_block_request(&self, hash: BlockHash) {
        let id = self.id();
        let mut map = lock(&self.compact().requesters);
        let mut flight = lock(&self.net.blocks_in_flight);
        let next = map.get_mut(&hash).and_then(|list| {
            list.retain(|(p, _)| *p != id);
            list.first().map(|(p, _)| *p)
        });
        if map.get(&hash).is_some_and(|l| l.is_empty()) {
            map.remove(&hash);
        }
        if flight.get(&hash) == Some(&id) {
            match next {
                Some(p) => {
                    flight.insert(hash, p);
                }
                None => {
                    flight.remove(&hash);
                }
            }
        }
    }

    /// The peers `hash` is in flight from, the first first, and whether
    /// one of them is outbound.
    fn requesters(&self, hash: &BlockHash) -> (Vec<i64>, bool) {
        let owner = lock(&self.net.blocks_in_flight).get(hash).copied();
        let map = lock(&self.compact().requesters);
        let list = map.get(hash).cloned().unwrap_or_default();
        let mut ids: Vec<i64> = owner.into_iter().collect();
        ids.extend(list.iter().map(|(p, _)| *p).filter(|p| Some(*p) != owner));
        let outbound = list.iter().any(|(_, inbound)| !inbound);
        (ids, outbound)
    }

    fn compact(&self) -> &CompactShared {
        &self.net.txrelay.compact
    }

    pub(crate) fn cmpct_state(&self) -> PeerCmpct {
        self.peer.stats().cmpct
    }

    /// Dispatches the BIP152 messages.
    pub(crate) fn process_compact_message(&mut self, command: &str, payload: &[u8]) {
        if command == "sendcmpct" {
            match decode_sendcmpct(payload) {
                Ok(msg) if msg.version == CMPCTBLOCKS_VERSION => {
                    let mut s = self.peer.stats();
                    s.cmpct.provides = true;
                    s.cmpct.hb_from = msg.send_compact;
                }
                Ok(_) => {}
                Err(e) => self.log_exception(command, payload.len(), &e),
            }
            return;
        }
        let Some(chain) = self.net.config.chain.clone() else {
            return;
        };
        let chain = chain.as_ref();
        let result = match command {
            "cmpctblock" => self.process_cmpctblock(chain, payload),
            "getblocktxn" => self.process_getblocktxn(chain, payload),
            "blocktxn" => match decode_blocktxn(payload) {
                Ok(resp) => {
                    self.process_block_txns(chain, resp.block_hash, &resp.transactions);
                    Ok(())
                }
                Err(e) => Err(e.to_string()),
            },
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.log_exception(command, payload.len(), &e);
        }
    }

    /// Core's `CanDirectFetch`: our tip is recent.
    pub(crate) fn can_direct_fetch(&self, chain: &dyn ChainAccess) -> bool {
        let (tip, _) = chain.tip();
        let time = header_of(chain, &tip).map_or(0, |h| i64::from(h.time));
        time > self.net.now_micros() / 1_000_000 - chain.pow_target_spacing() * 20
    }

    /// The pool's transactions by wtxid, for reconstruction.
    fn compact_mempool(&self) -> Vec<(Wtxid, Arc<Transaction>)> {
        self.net
            .config
            .mempool
            .as_ref()
            .map(|m| m.compact_txs())
            .unwrap_or_default()
    }

    fn getdata_full_block(&mut self, hash: BlockHash) {
        self.push(NetworkMessage::GetData(vec![Inventory::WitnessBlock(hash)]));
    }

    fn process_cmpctblock(
        &mut self,
        chain: &dyn ChainAccess,
        payload: &[u8],
    ) -> Result<(), String> {
        let id = self.id();
        if chain.loading_blocks() {
            tracing::debug!(target: "net", "Unexpected cmpctblock message received from peer {id}");
            return Ok(());
        }
        let cmpct = decode_cmpctblock(payload).map_err(|e| e.to_string())?;
        let header = cmpct.header;
        let hash = header.block_hash();
        let Some(prev) = chain.header_state(&header.prev_blockhash) else {
            if !chain.is_initial_block_download() {
                if let Some((best, _)) = chain.best_header() {
                    self.maybe_send_getheaders(chain.locator(&best));
                }
            }
            return Ok(());
        };
        let work = prev.chain_work + header.work();
        if work < crate::sync::anti_dos_work_threshold(chain, header.work()) {
            tracing::debug!(target: "net", "Ignoring low-work compact block from peer {id}");
            return Ok(());
        }
        let received_new_header = chain.header_state(&hash).is_none();
        if let Err(rejected) = chain.process_headers(&[header]) {
            if rejected.kind != crate::sync::RejectKind::NoPunishment {
                self.punish_for_header_via_compact(&rejected);
            }
            return Ok(());
        }
        if received_new_header {
            tracing::info!(target: "net", "Saw new cmpctblock header hash={hash} peer={id}");
        }
        self.update_block_availability(chain, hash);
        let Some(state) = chain.header_state(&hash) else {
            return Ok(());
        };
        if state.have_data {
            return Ok(());
        }
        let (requesters, from_outbound) = self.requesters(&hash);
        let already_in_flight = requesters.len();
        let from_this_peer = requesters.contains(&id);
        let first_in_flight = requesters.first().is_none_or(|p| *p == id);
        let (tip, tip_work) = chain.tip();
        if state.chain_work <= tip_work {
            if from_this_peer {
                self.getdata_full_block(hash);
            }
            return Ok(());
        }
        if already_in_flight == 0 && !self.can_direct_fetch(chain) {
            return Ok(());
        }
        let tip_height = chain.header_state(&tip).map_or(0, |s| s.height);
        if state.height > tip_height + 2 {
            if from_this_peer {
                self.getdata_full_block(hash);
            } else {
                // An announcement too far ahead: treat it as a header.
                self.process_headers(chain, vec![header], true);
            }
            return Ok(());
        }
        let mempool = self.compact_mempool();
        let extra = self.compact().extra_txn();
        let room = self.sync.in_flight.len() < crate::sync::MAX_BLOCKS_IN_TRANSIT_PER_PEER;
        if (already_in_flight < MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK && room) || from_this_peer {
            if self.sync.partial.contains_key(&hash) {
                tracing::debug!(target: "net", "Peer sent us compact block we were already syncing!");
                return Ok(());
            }
            self.block_requested(hash);
            let mut partial = PartiallyDownloadedBlock::new();
            match partial.init_data(&cmpct, &mempool, &extra) {
                ReadStatus::Invalid => {
                    self.remove_block_request(hash);
                    self.misbehaving(100, "invalid compact block");
                    return Ok(());
                }
                ReadStatus::Failed => {
                    if first_in_flight {
                        self.getdata_full_block(hash);
                    } else {
                        self.remove_block_request(hash);
                    }
                    return Ok(());
                }
                ReadStatus::Ok | ReadStatus::CheckBlockFailed => {}
            }
            let missing = partial.missing_indexes();
            self.sync.partial.insert(hash, partial);
            let hb_to = self.cmpct_state().hb_to;
            if missing.is_empty() {
                self.process_block_txns(chain, hash, &[]);
            } else if first_in_flight
                || (hb_to
                    && (!self.peer.inbound
                        || from_outbound
                        || already_in_flight < MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK - 1))
            {
                let req = bitcoin::bip152::BlockTransactionsRequest {
                    block_hash: hash,
                    indexes: missing,
                };
                self.push(NetworkMessage::GetBlockTxn(GetBlockTxn {
                    txs_request: req,
                }));
            } else {
                self.remove_block_request(hash);
            }
        } else {
            // In flight from another peer: try without a round trip.
            let mut temp = PartiallyDownloadedBlock::new();
            if temp.init_data(&cmpct, &mempool, &extra) != ReadStatus::Ok {
                return Ok(());
            }
            if let (ReadStatus::Ok, Some(block)) = temp.fill_block(&[], |b| chain.check_block(b)) {
                self.handle_block(chain, block, true);
            }
        }
        Ok(())
    }

    /// Core's `ProcessCompactBlockTxns`.
    fn process_block_txns(
        &mut self,
        chain: &dyn ChainAccess,
        hash: BlockHash,
        txs: &[Transaction],
    ) {
        let id = self.id();
        let (requesters, _) = self.requesters(&hash);
        let first_in_flight = requesters.first().is_none_or(|p| *p == id);
        let Some(mut partial) = self.sync.partial.remove(&hash) else {
            tracing::debug!(target: "net", "Peer {id} sent us block transactions for block we weren't expecting");
            return;
        };
        match partial.fill_block(txs, |b| chain.check_block(b)) {
            (ReadStatus::Invalid, _) => {
                self.remove_block_request(hash);
                self.misbehaving(100, "invalid compact block/non-matching block transactions");
            }
            (ReadStatus::Failed, _) => {
                if first_in_flight {
                    self.getdata_full_block(hash);
                } else {
                    self.remove_block_request(hash);
                    tracing::debug!(target: "net", "Peer {id} sent us a compact block but it failed to reconstruct, waiting on first download to complete");
                }
            }
            (_, Some(block)) => self.handle_block(chain, block, true),
            (_, None) => {}
        }
    }

    fn process_getblocktxn(
        &mut self,
        chain: &dyn ChainAccess,
        payload: &[u8],
    ) -> Result<(), String> {
        let id = self.id();
        let req = decode_getblocktxn(payload).map_err(|e| e.to_string())?;
        let hash = req.block_hash;
        let Some(state) = chain.header_state(&hash).filter(|s| s.have_data) else {
            tracing::debug!(target: "net", "Peer {id} sent us a getblocktxn for a block we don't have");
            return Ok(());
        };
        let (tip, _) = chain.tip();
        let tip_height = chain.header_state(&tip).map_or(0, |s| s.height);
        let Some(block) = chain.block(&hash) else {
            return Ok(());
        };
        if state.height + MAX_BLOCKTXN_DEPTH >= tip_height {
            match blocktxn_for(&block, &req) {
                Some(resp) => self.push(NetworkMessage::BlockTxn(BlockTxn { transactions: resp })),
                None => self.misbehaving(100, "getblocktxn with out-of-bounds tx indices"),
            }
            return Ok(());
        }
        tracing::debug!(target: "net", "Peer {id} sent us a getblocktxn for a block > {MAX_BLOCKTXN_DEPTH} deep");
        self.push(NetworkMessage::Block(block));
        Ok(())
    }

    /// The answer to `getdata(MSG_CMPCT_BLOCK)`: a `cmpctblock` for a block
    /// near the tip while we are synced, else the full block.
    pub(crate) fn serve_compact_block(&mut self, chain: &dyn ChainAccess, block: Block) {
        let hash = block.block_hash();
        let (tip, _) = chain.tip();
        let tip_height = chain.header_state(&tip).map_or(0, |s| s.height);
        let height = chain.header_state(&hash).map_or(0, |s| s.height);
        if self.can_direct_fetch(chain) && height + MAX_CMPCTBLOCK_DEPTH >= tip_height {
            let cmpct = super::compact_block_for(&block);
            self.push(NetworkMessage::CmpctBlock(
                bitcoin::p2p::message_compact_blocks::CmpctBlock {
                    compact_block: cmpct,
                },
            ));
        } else {
            self.push(NetworkMessage::Block(block));
        }
    }

    /// Sends a new block as `cmpctblock` (to a high-bandwidth peer).
    pub(crate) fn announce_compact(&mut self, chain: &dyn ChainAccess, hash: &BlockHash) -> bool {
        let Some(block) = chain.block(hash) else {
            return false;
        };
        tracing::debug!(target: "net", "SendMessages sending header-and-ids {hash} to peer={}", self.id());
        let cmpct = super::compact_block_for(&block);
        self.push(NetworkMessage::CmpctBlock(
            bitcoin::p2p::message_compact_blocks::CmpctBlock {
                compact_block: cmpct,
            },
        ));
        true
    }

    /// Core's `MaybeSetPeerAsAnnouncingHeaderAndIDs`: the peer gave us a
    /// new tip; ask it to announce blocks as `cmpctblock`, dropping the
    /// oldest of three (keeping our only outbound one).
    pub(crate) fn maybe_set_hb_peer(&mut self) {
        if self.net.config.ignore_incoming_txs || !self.cmpct_state().provides {
            return;
        }
        let id = self.id();
        let net = self.net.clone();
        let mut list = lock(&net.txrelay.compact.hb_peers);
        if let Some(pos) = list.iter().position(|p| p.id == id) {
            let me = list.remove(pos).expect("found");
            list.push_back(me);
            return;
        }
        let outbound = list.iter().filter(|p| !p.inbound).count();
        if list.len() >= MAX_HB_PEERS {
            if self.peer.inbound && outbound == 1 && !list[0].inbound {
                list.swap(0, 1);
            }
            if let Some(stop) = list.pop_front() {
                let mut s = stop.stats();
                s.cmpct.hb_to = false;
                s.cmpct.demote_pending = true;
            }
        }
        self.push(NetworkMessage::SendCmpct(SendCmpct {
            send_compact: true,
            version: CMPCTBLOCKS_VERSION,
        }));
        {
            let mut s = self.peer.stats();
            s.cmpct.hb_to = true;
            s.cmpct.demote_pending = false;
        }
        list.push_back(self.peer.clone());
    }

    /// Sends the `sendcmpct(false)` of a demotion by another peer's thread.
    pub(crate) fn send_pending_sendcmpct(&mut self) {
        let pending = std::mem::take(&mut self.peer.stats().cmpct.demote_pending);
        if pending {
            self.push(NetworkMessage::SendCmpct(SendCmpct {
                send_compact: false,
                version: CMPCTBLOCKS_VERSION,
            }));
        }
    }

    /// Core's `MaybePunishNodeForBlock` with `via_compact_block` for a
    /// header: a peer on an invalid chain is not punished.
    fn punish_for_header_via_compact(&mut self, rejected: &crate::sync::BlockRejected) {
        let howmuch = match rejected.kind {
            crate::sync::RejectKind::Invalid => 100,
            crate::sync::RejectKind::MissingPrev => 10,
            _ => return,
        };
        let message = "invalid header via cmpctblock";
        self.misbehaving(howmuch, message);
        tracing::debug!(target: "net", "peer={}: {message}", self.id());
    }

    /// Forgets the peer in the high-bandwidth list.
    pub(crate) fn finalize_compact(&mut self) {
        let id = self.id();
        lock(&self.compact().hb_peers).retain(|p| p.id != id);
    }
}

/// `CheckBlock`'s mutation checks for a reconstructed block (the default
/// of [`ChainAccess::check_block`]).
pub fn default_check_block(block: &Block) -> Result<(), super::BlockCheckError> {
    check_merkle_root(block)
}

#[cfg(test)]
mod extra_txn_tests {
    use super::*;
    use bitcoin::{absolute::LockTime, transaction::Version};

    fn tx(n: u32) -> Arc<Transaction> {
        Arc::new(Transaction {
            version: Version::TWO,
            lock_time: LockTime::from_consensus(n),
            input: Vec::new(),
            output: Vec::new(),
        })
    }

    #[test]
    fn extra_transactions_are_bounded_by_the_option() {
        let shared = CompactShared::default();
        for n in 0..3 {
            shared.add_extra_txn(&tx(n), 2);
        }
        let kept: Vec<Wtxid> = shared.extra_txn().into_iter().map(|(w, _)| w).collect();
        assert_eq!(kept, vec![tx(1).compute_wtxid(), tx(2).compute_wtxid()]);

        let none = CompactShared::default();
        none.add_extra_txn(&tx(0), 0);
        none.add_rejected_txn(&tx(1), 0);
        assert!(none.extra_txn().is_empty());
    }
}
