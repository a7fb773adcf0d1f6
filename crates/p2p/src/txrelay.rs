//! Transaction relay (Core's `net_processing.cpp` handling of `tx`, tx
//! `inv`s and `getdata`s, `notfound`, `feefilter` and `mempool`; the
//! inventory trickle and `MaybeSendFeefilter` of `SendMessages`;
//! `txorphanage.cpp`; a simplified `TxRequestTracker`).
//!
//! The mempool is reached through [`MempoolAccess`]; no lock of this module
//! is held while calling it (the node takes the chainstate's and the pool's
//! locks inside).

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bitcoin::consensus::encode::deserialize_partial;
use bitcoin::hashes::Hash;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::{Block, BlockHash, OutPoint, Transaction, Txid, Wtxid};

use crate::connman::lock;
use crate::peer::Conn;
use crate::permissions::{flags, has_flag};

/// `DEFAULT_MAX_ORPHAN_TRANSACTIONS`.
pub const DEFAULT_MAX_ORPHAN_TRANSACTIONS: usize = 100;
/// `MAX_STANDARD_TX_WEIGHT`: larger orphans are not kept.
const MAX_STANDARD_TX_WEIGHT: u64 = 400_000;
/// `ORPHAN_TX_EXPIRE_TIME`, seconds.
const ORPHAN_TX_EXPIRE_TIME: i64 = 20 * 60;
/// `ORPHAN_TX_EXPIRE_INTERVAL`, seconds.
const ORPHAN_TX_EXPIRE_INTERVAL: i64 = 5 * 60;
/// `MAX_PEER_TX_ANNOUNCEMENTS`.
const MAX_PEER_TX_ANNOUNCEMENTS: usize = 5000;
/// `MAX_PEER_TX_REQUEST_IN_FLIGHT`.
const MAX_PEER_TX_REQUEST_IN_FLIGHT: usize = 100;
/// `NONPREF_PEER_TX_DELAY`, `TXID_RELAY_DELAY`, `OVERLOADED_PEER_TX_DELAY`: 2 s each.
const TX_DELAY_US: i64 = 2_000_000;
/// `GETDATA_TX_INTERVAL`: 60 s.
const GETDATA_TX_INTERVAL_US: i64 = 60_000_000;
/// `INBOUND_INVENTORY_BROADCAST_INTERVAL`: 5 s.
const INBOUND_INVENTORY_BROADCAST_INTERVAL_US: f64 = 5e6;
/// `OUTBOUND_INVENTORY_BROADCAST_INTERVAL`: 2 s.
const OUTBOUND_INVENTORY_BROADCAST_INTERVAL_US: f64 = 2e6;
/// `INVENTORY_BROADCAST_TARGET` (7 per second × 5 s × 2).
const INVENTORY_BROADCAST_TARGET: usize = 70;
/// `INVENTORY_BROADCAST_MAX`.
const INVENTORY_BROADCAST_MAX: usize = 1000;
/// `MAX_INV_SZ`.
const MAX_INV_SZ: usize = 50_000;
/// `MAX_GETDATA_SZ`.
const MAX_GETDATA_SZ: usize = 1000;
/// `AVG_FEEFILTER_BROADCAST_INTERVAL`: 10 minutes.
const AVG_FEEFILTER_BROADCAST_INTERVAL_US: f64 = 600e6;
/// `MAX_FEEFILTER_CHANGE_DELAY`: 5 minutes.
const MAX_FEEFILTER_CHANGE_DELAY_US: i64 = 300_000_000;
/// `FEEFILTER_VERSION`.
const FEEFILTER_VERSION: i32 = 70013;
/// `MAX_MONEY`.
const MAX_MONEY: i64 = 21_000_000 * 100_000_000;
/// Size of the known-inventory filter (Core's rolling bloom filter of 50,000).
const MAX_KNOWN_INVENTORY: usize = 50_000;
/// Size of the recent rejects filter (120,000) and of recently confirmed (48,000).
const MAX_RECENT_REJECTS: usize = 120_000;
const MAX_RECENT_CONFIRMED: usize = 48_000;

/// A transaction named by txid or wtxid (Core's `GenTxid`); a wtxid is
/// stored in a `Txid` for uniform handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GenTxid {
    pub is_wtxid: bool,
    pub hash: Txid,
}

impl GenTxid {
    pub fn txid(txid: Txid) -> GenTxid {
        GenTxid {
            is_wtxid: false,
            hash: txid,
        }
    }

    pub fn wtxid(wtxid: Wtxid) -> GenTxid {
        GenTxid {
            is_wtxid: true,
            hash: as_txid(wtxid),
        }
    }

    /// The wtxid, when this is one.
    pub fn as_wtxid(&self) -> Option<Wtxid> {
        self.is_wtxid
            .then(|| Wtxid::from_byte_array(self.hash.to_byte_array()))
    }
}

fn as_txid(w: Wtxid) -> Txid {
    Txid::from_byte_array(w.to_byte_array())
}

/// Core's `TxValidationResult`, for deciding how to treat the sender: the
/// mempool's own classification.
pub use widecoin_mempool::TxValidationResult as TxResult;

/// A rejected transaction: its class and Core's `state.ToString()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxRejected {
    pub result: TxResult,
    pub state: String,
}

/// An accepted transaction: the pool's size afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxAccepted {
    pub pool_size: usize,
    pub usage_bytes: u64,
}

/// What relay needs of a pool entry (Core's `TxMempoolInfo`).
#[derive(Debug, Clone)]
pub struct TxInfo {
    pub tx: Arc<Transaction>,
    pub fee: i64,
    pub vsize: u64,
    /// The pool's sequence when the entry was added.
    pub sequence: u64,
}

/// What transaction relay needs from the mempool; the node implements it.
pub trait MempoolAccess: Send + Sync {
    /// `AcceptToMemoryPool` of a transaction from the network.
    fn accept(&self, tx: &Transaction) -> Result<TxAccepted, TxRejected>;
    /// Whether the pool holds the transaction.
    fn exists(&self, gtxid: &GenTxid) -> bool;
    /// The entry, when the pool holds it.
    fn info(&self, gtxid: &GenTxid) -> Option<TxInfo>;
    /// Every entry, in entry order.
    fn infos(&self) -> Vec<TxInfo>;
    /// The pool's sequence number (`GetSequence`).
    fn sequence(&self) -> u64;
    /// `GetMinFee` in sat/kvB (0 when the pool is not full).
    fn min_fee_per_kvb(&self) -> i64;
    /// `-minrelaytxfee` in sat/kvB.
    fn min_relay_fee_per_kvb(&self) -> i64;
    /// `-incrementalrelayfee` in sat/kvB.
    fn incremental_relay_fee_per_kvb(&self) -> i64;
    /// A peer asked for the transaction: its initial broadcast is done
    /// (`RemoveUnbroadcastTx`).
    fn remove_unbroadcast(&self, _txid: &Txid) {}
    /// The unbroadcast transactions still in the pool, to announce again;
    /// those that left the pool are forgotten.
    fn reattempt_broadcast(&self) -> Vec<(Txid, Wtxid)> {
        Vec::new()
    }
    /// Every pool transaction with its wtxid, for rebuilding compact
    /// blocks (Core's `vTxHashes`). The default hashes each transaction;
    /// an implementation that keeps wtxids should return them.
    fn compact_txs(&self) -> Vec<(Wtxid, Arc<Transaction>)> {
        self.infos()
            .into_iter()
            .map(|i| (i.tx.compute_wtxid(), i.tx))
            .collect()
    }
}

/// A set that forgets its oldest members past a size (stands in for Core's
/// rolling bloom filters, without false positives).
#[derive(Debug, Default)]
pub(crate) struct BoundedSet {
    set: HashSet<Txid>,
    order: VecDeque<Txid>,
}

impl BoundedSet {
    fn insert(&mut self, h: Txid, max: usize) {
        if self.set.insert(h) {
            self.order.push_back(h);
            while self.order.len() > max {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }

    fn contains(&self, h: &Txid) -> bool {
        self.set.contains(h)
    }

    fn clear(&mut self) {
        self.set.clear();
        self.order.clear();
    }
}

/// One peer's transaction relay state other threads reach (Core's
/// `Peer::TxRelay`).
#[derive(Debug, Default)]
pub(crate) struct PeerTxRelay {
    /// Whether we relay transactions to the peer at all (`GetTxRelay() != nullptr`).
    pub enabled: bool,
    /// The `relay` flag of its `version` (`m_relay_txs`).
    pub relay_txs: bool,
    /// `m_next_inv_send_time`, 0 until the first pass after the handshake.
    pub next_inv_send_us: i64,
    /// `m_tx_inventory_to_send`: txids or wtxids per the peer's relay mode.
    pub to_send: BTreeSet<Txid>,
    /// `m_tx_inventory_known_filter`.
    pub known: BoundedSet,
    /// `m_last_inv_sequence`.
    pub last_inv_sequence: u64,
    /// `m_fee_filter_received`, sat/kvB.
    pub fee_filter_received: i64,
    /// `m_send_mempool`.
    pub send_mempool: bool,
}

/// One peer's state only its own thread uses.
#[derive(Debug, Default)]
pub(crate) struct ConnTxState {
    /// `m_fee_filter_sent`.
    fee_filter_sent: i64,
    /// `m_next_send_feefilter`.
    next_send_feefilter_us: i64,
    /// Whether this peer counted in `wtxid_relay_peers`.
    counted_wtxid: bool,
    /// Whether the last filter sent was the one for initial block download.
    sent_ibd_filter: bool,
}

struct OrphanTx {
    tx: Arc<Transaction>,
    from_peer: i64,
    expire: i64,
    list_pos: usize,
}

/// Core's `TxOrphanage`.
#[derive(Default)]
struct Orphanage {
    orphans: HashMap<Txid, OrphanTx>,
    list: Vec<Txid>,
    by_wtxid: HashMap<Wtxid, Txid>,
    by_prevout: HashMap<OutPoint, BTreeSet<Txid>>,
    work_sets: HashMap<i64, BTreeSet<Txid>>,
    next_sweep: i64,
}

impl Orphanage {
    fn add(&mut self, tx: Arc<Transaction>, peer: i64, now: i64) -> bool {
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        if self.orphans.contains_key(&txid) {
            return false;
        }
        let weight = tx.weight().to_wu();
        if weight > MAX_STANDARD_TX_WEIGHT {
            tracing::debug!(target: "txpackages", "ignoring large orphan tx (size: {weight}, txid: {txid}, wtxid: {wtxid})");
            return false;
        }
        for input in &tx.input {
            self.by_prevout
                .entry(input.previous_output)
                .or_default()
                .insert(txid);
        }
        self.orphans.insert(
            txid,
            OrphanTx {
                tx,
                from_peer: peer,
                expire: now + ORPHAN_TX_EXPIRE_TIME,
                list_pos: self.list.len(),
            },
        );
        self.list.push(txid);
        self.by_wtxid.insert(wtxid, txid);
        tracing::debug!(target: "txpackages", "stored orphan tx {txid} (wtxid={wtxid}) (mapsz {} outsz {})", self.orphans.len(), self.by_prevout.len());
        true
    }

    fn erase(&mut self, txid: &Txid) -> usize {
        let Some(o) = self.orphans.remove(txid) else {
            return 0;
        };
        for input in &o.tx.input {
            if let Some(set) = self.by_prevout.get_mut(&input.previous_output) {
                set.remove(txid);
                if set.is_empty() {
                    self.by_prevout.remove(&input.previous_output);
                }
            }
        }
        let last = self.list.len() - 1;
        if o.list_pos != last {
            let moved = self.list[last];
            self.list[o.list_pos] = moved;
            if let Some(m) = self.orphans.get_mut(&moved) {
                m.list_pos = o.list_pos;
            }
        }
        self.list.pop();
        let wtxid = o.tx.compute_wtxid();
        self.by_wtxid.remove(&wtxid);
        tracing::debug!(target: "txpackages", "   removed orphan tx {txid} (wtxid={wtxid})");
        1
    }

    fn erase_for_peer(&mut self, peer: i64) {
        self.work_sets.remove(&peer);
        let mine: Vec<Txid> = self
            .orphans
            .iter()
            .filter(|(_, o)| o.from_peer == peer)
            .map(|(t, _)| *t)
            .collect();
        let erased: usize = mine.iter().map(|t| self.erase(t)).sum();
        if erased > 0 {
            tracing::debug!(target: "txpackages", "Erased {erased} orphan tx from peer={peer}");
        }
    }

    fn limit(&mut self, max: usize, now: i64) {
        if self.next_sweep <= now {
            let mut min_exp = now + ORPHAN_TX_EXPIRE_TIME - ORPHAN_TX_EXPIRE_INTERVAL;
            let expired: Vec<Txid> = self
                .orphans
                .iter()
                .filter(|(_, o)| o.expire <= now)
                .map(|(t, _)| *t)
                .collect();
            for o in self.orphans.values() {
                if o.expire > now {
                    min_exp = min_exp.min(o.expire);
                }
            }
            let erased: usize = expired.iter().map(|t| self.erase(t)).sum();
            self.next_sweep = min_exp + ORPHAN_TX_EXPIRE_INTERVAL;
            if erased > 0 {
                tracing::debug!(target: "txpackages", "Erased {erased} orphan tx due to expiration");
            }
        }
        let mut evicted = 0;
        while self.orphans.len() > max {
            let pos = rand::random::<usize>() % self.list.len();
            let txid = self.list[pos];
            self.erase(&txid);
            evicted += 1;
        }
        if evicted > 0 {
            tracing::debug!(target: "txpackages", "orphanage overflow, removed {evicted} tx");
        }
    }

    fn add_children_to_work_set(&mut self, tx: &Transaction) {
        let txid = tx.compute_txid();
        for vout in 0..tx.output.len() as u32 {
            let Some(children) = self.by_prevout.get(&OutPoint { txid, vout }) else {
                continue;
            };
            for child in children {
                if let Some(o) = self.orphans.get(child) {
                    self.work_sets
                        .entry(o.from_peer)
                        .or_default()
                        .insert(*child);
                    tracing::debug!(target: "txpackages", "added {txid} (wtxid={}) to peer {} workset", tx.compute_wtxid(), o.from_peer);
                }
            }
        }
    }

    fn have(&self, g: &GenTxid) -> bool {
        match g.as_wtxid() {
            Some(w) => self.by_wtxid.contains_key(&w),
            None => self.orphans.contains_key(&g.hash),
        }
    }

    fn tx_to_reconsider(&mut self, peer: i64) -> Option<Arc<Transaction>> {
        let set = self.work_sets.get_mut(&peer)?;
        while let Some(txid) = set.pop_first() {
            if let Some(o) = self.orphans.get(&txid) {
                return Some(o.tx.clone());
            }
        }
        None
    }

    fn erase_for_block(&mut self, block: &Block) {
        let mut erase = Vec::new();
        for tx in &block.txdata {
            for input in &tx.input {
                if let Some(set) = self.by_prevout.get(&input.previous_output) {
                    erase.extend(set.iter().copied());
                }
            }
        }
        if !erase.is_empty() {
            let erased: usize = erase.iter().map(|t| self.erase(t)).sum();
            tracing::debug!(target: "txpackages", "Erased {erased} orphan tx included or conflicted by block");
        }
    }
}

struct Announcement {
    peer: i64,
    gtxid: GenTxid,
    preferred: bool,
    reqtime: i64,
    /// Expiry of the outstanding request, when requested.
    requested: Option<i64>,
    seq: u64,
}

/// A simplified `TxRequestTracker`: who announced what, when it may be
/// requested, and which request is outstanding (one per transaction).
#[derive(Default)]
struct TxRequests {
    by_hash: HashMap<Txid, Vec<Announcement>>,
    seq: u64,
}

impl TxRequests {
    fn count(&self, peer: i64) -> usize {
        self.by_hash
            .values()
            .flatten()
            .filter(|a| a.peer == peer)
            .count()
    }

    fn count_in_flight(&self, peer: i64) -> usize {
        self.by_hash
            .values()
            .flatten()
            .filter(|a| a.peer == peer && a.requested.is_some())
            .count()
    }

    fn received_inv(&mut self, peer: i64, gtxid: GenTxid, preferred: bool, reqtime: i64) {
        let list = self.by_hash.entry(gtxid.hash).or_default();
        if list.iter().any(|a| a.peer == peer) {
            return;
        }
        self.seq += 1;
        list.push(Announcement {
            peer,
            gtxid,
            preferred,
            reqtime,
            requested: None,
            seq: self.seq,
        });
    }

    fn received_response(&mut self, peer: i64, hash: &Txid) {
        if let Some(list) = self.by_hash.get_mut(hash) {
            list.retain(|a| a.peer != peer);
            if list.is_empty() {
                self.by_hash.remove(hash);
            }
        }
    }

    fn forget(&mut self, hash: &Txid) {
        self.by_hash.remove(hash);
    }

    fn disconnected(&mut self, peer: i64) {
        self.by_hash.retain(|_, list| {
            list.retain(|a| a.peer != peer);
            !list.is_empty()
        });
    }

    /// Expires old requests, then the transactions `peer` may be asked for
    /// now, oldest announcement first.
    fn requestable(&mut self, peer: i64, now: i64) -> (Vec<GenTxid>, Vec<(i64, GenTxid)>) {
        let mut expired = Vec::new();
        for list in self.by_hash.values_mut() {
            list.retain(|a| match a.requested {
                Some(exp) if exp <= now => {
                    expired.push((a.peer, a.gtxid));
                    false
                }
                _ => true,
            });
        }
        self.by_hash.retain(|_, l| !l.is_empty());
        let mut out: Vec<(u64, GenTxid)> = Vec::new();
        for list in self.by_hash.values() {
            if list.iter().any(|a| a.requested.is_some()) {
                continue;
            }
            let Some(mine) = list.iter().find(|a| a.peer == peer && a.reqtime <= now) else {
                continue;
            };
            let better = list
                .iter()
                .any(|a| a.peer != peer && a.reqtime <= now && a.preferred && !mine.preferred);
            if !better {
                out.push((mine.seq, mine.gtxid));
            }
        }
        out.sort();
        (out.into_iter().map(|(_, g)| g).collect(), expired)
    }

    fn requested(&mut self, peer: i64, hash: &Txid, expiry: i64) {
        if let Some(a) = self
            .by_hash
            .get_mut(hash)
            .and_then(|l| l.iter_mut().find(|a| a.peer == peer))
        {
            a.requested = Some(expiry);
        }
    }
}

#[derive(Default)]
struct RecentRejects {
    tip: Option<BlockHash>,
    set: BoundedSet,
}

/// Transaction relay state shared by all peers.
#[derive(Default)]
pub(crate) struct TxRelayShared {
    orphans: Mutex<Orphanage>,
    requests: Mutex<TxRequests>,
    rejects: Mutex<RecentRejects>,
    recent_confirmed: Mutex<BoundedSet>,
    /// `m_next_inv_to_inbounds`.
    next_inv_to_inbounds: Mutex<i64>,
    /// `m_wtxid_relay_peers`.
    wtxid_relay_peers: AtomicUsize,
    /// The transactions of the last connected block by txid and wtxid
    /// (`m_most_recent_block_txs`), served to `getdata` too.
    most_recent_block_txs: Mutex<HashMap<Txid, Arc<Transaction>>>,
    /// BIP152's node-wide state (high-bandwidth peers, extra transactions).
    pub(crate) compact: crate::compact::CompactShared,
}

impl TxRelayShared {
    /// Core's `TxOrphanage::EraseForBlock` and `m_recent_confirmed_transactions`.
    pub fn block_connected(&self, block: &Block) {
        lock(&self.orphans).erase_for_block(block);
        {
            let mut recent = lock(&self.most_recent_block_txs);
            recent.clear();
            for tx in &block.txdata {
                let tx = Arc::new(tx.clone());
                recent.insert(tx.compute_txid(), tx.clone());
                recent.insert(as_txid(tx.compute_wtxid()), tx);
            }
        }
        let mut confirmed = lock(&self.recent_confirmed);
        let mut requests = lock(&self.requests);
        for tx in &block.txdata {
            let (txid, wtxid) = (tx.compute_txid(), as_txid(tx.compute_wtxid()));
            confirmed.insert(txid, MAX_RECENT_CONFIRMED);
            confirmed.insert(wtxid, MAX_RECENT_CONFIRMED);
            requests.forget(&txid);
            requests.forget(&wtxid);
        }
    }

    /// A reorganisation: confirmed transactions may be unconfirmed again.
    pub fn block_disconnected(&self) {
        lock(&self.recent_confirmed).clear();
    }

    /// Number of orphans held.
    pub fn orphan_count(&self) -> usize {
        lock(&self.orphans).orphans.len()
    }
}

/// `GetExponentialRand`: `now` plus an exponentially distributed delay.
fn exponential_rand(now: i64, average_us: f64) -> i64 {
    let u: f64 = rand::random::<f64>();
    let delay = -(1.0 - u).ln() * average_us;
    now + delay as i64
}

/// Core's `FeeFilterRounder::round` over `MakeFeeSet`.
fn round_fee_filter(min_incremental: i64, current: i64) -> i64 {
    let mut set = vec![0f64];
    let mut b = (min_incremental / 2).max(1) as f64;
    while b <= 1e7 {
        set.push(b);
        b *= 1.1;
    }
    let pos = set.partition_point(|&x| x < current as f64);
    let idx = if pos == set.len() || (pos != 0 && !rand::random::<u32>().is_multiple_of(3)) {
        pos - 1
    } else {
        pos
    };
    set[idx] as i64
}

/// `CFeeRate::GetFee`.
fn fee_for(rate_per_kvb: i64, vsize: u64) -> i64 {
    let fee = (rate_per_kvb as i128 * vsize as i128 / 1000) as i64;
    if fee == 0 && vsize != 0 && rate_per_kvb > 0 {
        1
    } else {
        fee
    }
}

/// `CFeeRate::ToString`: `0.00001000 WCN/kvB`.
fn feerate_string(sat_per_kvb: i64) -> String {
    let sign = if sat_per_kvb < 0 { "-" } else { "" };
    let a = sat_per_kvb.unsigned_abs();
    format!("{sign}{}.{:08} WCN/kvB", a / 100_000_000, a % 100_000_000)
}

/// Reads a `tx` payload as Core does (the shared decoder: an empty input list
/// followed by a zero flag byte is a transaction without inputs and outputs; what
/// follows the transaction is ignored).
pub fn decode_tx(payload: &[u8]) -> Result<Transaction, String> {
    widecoin_consensus::decode::decode_transaction_partial(payload)
        .map(|(tx, _)| tx)
        .map_err(|e| e.to_string())
}

fn strip_witness(tx: &Transaction) -> Transaction {
    let mut tx = tx.clone();
    for input in &mut tx.input {
        input.witness.clear();
    }
    tx
}

pub(crate) fn inv_string(inv: &Inventory) -> String {
    match inv {
        Inventory::Transaction(t) => format!("tx {t}"),
        Inventory::WitnessTransaction(t) => format!("witness-tx {t}"),
        Inventory::WTx(w) => format!("wtx {w}"),
        Inventory::Block(b) => format!("block {b}"),
        Inventory::WitnessBlock(b) => format!("witness-block {b}"),
        other => format!("{other:?}"),
    }
}

/// The `GenTxid` of a transaction inventory, if it is one.
pub(crate) fn inv_gtxid(inv: &Inventory) -> Option<GenTxid> {
    match inv {
        Inventory::Transaction(t) | Inventory::WitnessTransaction(t) => Some(GenTxid::txid(*t)),
        Inventory::WTx(w) => Some(GenTxid::wtxid(*w)),
        _ => None,
    }
}

/// Core's `RelayTransaction`: queue the announcement for every peer that
/// completed its handshake and does not know the transaction yet.
pub(crate) fn relay_transaction(peers: &[Arc<crate::peer::PeerShared>], txid: Txid, wtxid: Wtxid) {
    for p in peers {
        let wtxid_relay = p.stats().wtxid_relay;
        let mut t = lock(&p.tx);
        if !t.enabled || t.next_inv_send_us == 0 {
            continue;
        }
        let hash = if wtxid_relay { as_txid(wtxid) } else { txid };
        if !t.known.contains(&hash) {
            t.to_send.insert(hash);
        }
    }
}

impl Conn {
    fn mempool(&self) -> Option<Arc<dyn MempoolAccess>> {
        self.net.config.mempool.clone()
    }

    fn permissions(&self) -> u32 {
        self.peer.permissions.load(Ordering::SeqCst)
    }

    fn tx_shared(&self) -> &TxRelayShared {
        &self.net.txrelay
    }

    fn is_ibd(&self) -> bool {
        self.net
            .config
            .chain
            .as_ref()
            .is_some_and(|c| c.is_initial_block_download())
    }

    /// Core's `RejectIncomingTxs`.
    fn reject_incoming_txs(&self) -> bool {
        // Block-relay-only and feeler connections never relay transactions.
        if self.peer.conn_type().is_block_only_or_feeler() {
            return true;
        }
        self.net.config.ignore_incoming_txs && !has_flag(self.permissions(), flags::RELAY)
    }

    /// The `relay` flag of our `version`: whether we take transactions from
    /// the peer (`!RejectIncomingTxs`).
    pub(crate) fn tx_relay_flag(&self) -> bool {
        !self.reject_incoming_txs()
    }

    /// Sets up the relay state from the peer's `version` (`SetTxRelay`).
    pub(crate) fn init_tx_relay(&mut self, relay: bool) {
        if self.peer.conn_type().is_block_only_or_feeler() {
            return;
        }
        let bloom = self.net.config.local_services & (1 << 2) != 0;
        let mut t = lock(&self.peer.tx);
        t.enabled = relay || bloom;
        t.relay_txs = relay;
    }

    /// The peer sent `wtxidrelay` (counted for `TXID_RELAY_DELAY`).
    pub(crate) fn count_wtxid_relay_peer(&mut self) {
        if !self.tx.counted_wtxid {
            self.tx.counted_wtxid = true;
            self.tx_shared()
                .wtxid_relay_peers
                .fetch_add(1, Ordering::SeqCst);
        }
    }

    fn add_known_tx(&self, hash: Txid) {
        lock(&self.peer.tx).known.insert(hash, MAX_KNOWN_INVENTORY);
    }

    /// Core's `AlreadyHaveTx`.
    fn already_have_tx(&self, g: &GenTxid) -> bool {
        let shared = self.tx_shared();
        if let Some(chain) = &self.net.config.chain {
            let (tip, _) = chain.tip();
            let mut rejects = lock(&shared.rejects);
            if rejects.tip != Some(tip) {
                rejects.tip = Some(tip);
                rejects.set.clear();
            }
        }
        if lock(&shared.orphans).have(g) {
            return true;
        }
        if lock(&shared.recent_confirmed).contains(&g.hash) {
            return true;
        }
        if lock(&shared.rejects).set.contains(&g.hash) {
            return true;
        }
        self.mempool().is_some_and(|m| m.exists(g))
    }

    fn add_reject(&self, hash: Txid) {
        lock(&self.tx_shared().rejects)
            .set
            .insert(hash, MAX_RECENT_REJECTS);
    }

    /// Core's `AddTxAnnouncement`.
    fn add_tx_announcement(&self, g: GenTxid, now: i64) {
        let id = self.id();
        let perms = self.permissions();
        let mut req = lock(&self.tx_shared().requests);
        if !has_flag(perms, flags::RELAY) && req.count(id) >= MAX_PEER_TX_ANNOUNCEMENTS {
            return;
        }
        let preferred = (!self.peer.inbound || has_flag(perms, flags::NO_BAN))
            && self.peer.conn_type() != crate::addr_relay::ConnType::AddrFetch;
        let mut delay = 0;
        if !preferred {
            delay += TX_DELAY_US;
        }
        if !g.is_wtxid && self.tx_shared().wtxid_relay_peers.load(Ordering::SeqCst) > 0 {
            delay += TX_DELAY_US;
        }
        if !has_flag(perms, flags::RELAY)
            && req.count_in_flight(id) >= MAX_PEER_TX_REQUEST_IN_FLIGHT
        {
            delay += TX_DELAY_US;
        }
        req.received_inv(id, g, preferred, now + delay);
    }

    /// A transaction `inv` entry (from `process_inv`); false when the peer
    /// was disconnected for it.
    pub(crate) fn process_tx_inv(&mut self, inv: &Inventory) -> bool {
        let Some(g) = inv_gtxid(inv) else { return true };
        let id = self.id();
        if self.reject_incoming_txs() {
            tracing::debug!(target: "net", "transaction ({}) inv sent in violation of protocol, disconnecting peer={id}", g.hash);
            self.disconnect();
            return false;
        }
        let have = self.already_have_tx(&g);
        tracing::debug!(target: "net", "got inv: {}  {} peer={id}", inv_string(inv), if have { "have" } else { "new" });
        self.add_known_tx(g.hash);
        if !have && !self.is_ibd() {
            self.add_tx_announcement(g, self.net.now_micros());
        }
        true
    }

    /// Whether an `inv` of this type is ignored for the peer's relay mode.
    pub(crate) fn ignores_inv(&self, inv: &Inventory) -> bool {
        let wtxid_relay = self.peer.stats().wtxid_relay;
        match inv {
            Inventory::Transaction(_) => wtxid_relay,
            Inventory::WTx(_) => !wtxid_relay,
            _ => false,
        }
    }

    /// Core's `FindTxForGetData`: transactions in the pool before our last
    /// `inv` to the peer.
    pub(crate) fn find_tx_for_getdata(&self, g: &GenTxid) -> Option<Arc<Transaction>> {
        let (enabled, last_seq) = {
            let t = lock(&self.peer.tx);
            (t.enabled, t.last_inv_sequence)
        };
        if !enabled {
            return None;
        }
        if let Some(info) = self.mempool().and_then(|m| m.info(g)) {
            if info.sequence < last_seq {
                return Some(info.tx);
            }
        }
        lock(&self.tx_shared().most_recent_block_txs)
            .get(&g.hash)
            .cloned()
    }

    /// Serves the transaction items of a `getdata`; the rest go to `not_found`.
    pub(crate) fn serve_tx(&mut self, inv: &Inventory, not_found: &mut Vec<Inventory>) {
        let Some(g) = inv_gtxid(inv) else { return };
        if !lock(&self.peer.tx).enabled {
            return;
        }
        match self.find_tx_for_getdata(&g) {
            Some(tx) => {
                let txid = tx.compute_txid();
                let tx = if matches!(inv, Inventory::Transaction(_)) {
                    strip_witness(&tx)
                } else {
                    (*tx).clone()
                };
                self.push(NetworkMessage::Tx(tx));
                if let Some(m) = self.mempool() {
                    m.remove_unbroadcast(&txid);
                }
            }
            None => not_found.push(*inv),
        }
    }

    /// `inv` or `getdata` when there is no chainstate: the transaction
    /// entries only.
    pub(crate) fn process_tx_inv_or_getdata(
        &mut self,
        command: &str,
        payload: &[u8],
    ) -> Result<(), String> {
        let invs: Vec<Inventory> = deserialize_partial(payload)
            .map(|(v, _)| v)
            .map_err(|e| e.to_string())?;
        if invs.len() > MAX_INV_SZ {
            self.misbehaving(20, &format!("{command} message size = {}", invs.len()));
            return Ok(());
        }
        let mut not_found = Vec::new();
        for inv in &invs {
            if command == "inv" {
                if !self.ignores_inv(inv) && !self.process_tx_inv(inv) {
                    return Ok(());
                }
            } else {
                self.serve_tx(inv, &mut not_found);
            }
        }
        if !not_found.is_empty() {
            self.push(NetworkMessage::NotFound(not_found));
        }
        Ok(())
    }

    /// `notfound`.
    fn process_notfound(&mut self, payload: &[u8]) -> Result<(), String> {
        let invs: Vec<Inventory> = deserialize_partial(payload)
            .map(|(v, _)| v)
            .map_err(|e| e.to_string())?;
        if invs.len() <= MAX_PEER_TX_ANNOUNCEMENTS + 16 {
            let mut req = lock(&self.tx_shared().requests);
            for inv in &invs {
                if let Some(g) = inv_gtxid(inv) {
                    req.received_response(self.id(), &g.hash);
                }
            }
        }
        Ok(())
    }

    /// Dispatches `tx`, `notfound`, `feefilter` and `mempool`.
    pub(crate) fn process_tx_message(&mut self, command: &str, payload: &[u8]) {
        let result = match command {
            "tx" => self.process_tx(payload),
            "notfound" => self.process_notfound(payload),
            "feefilter" => self.process_feefilter(payload),
            "mempool" => {
                self.process_mempool_request();
                Ok(())
            }
            "filterload" | "filteradd" | "filterclear" => {
                // BIP37 filters are only served with NODE_BLOOM (-peerbloomfilters).
                if self.net.config.local_services & (1 << 2) == 0 {
                    tracing::debug!(target: "net", "{command} received despite not offering bloom services from peer={}; disconnecting", self.id());
                    self.disconnect();
                }
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.log_exception(command, payload.len(), &e);
        }
    }

    fn process_feefilter(&mut self, payload: &[u8]) -> Result<(), String> {
        if payload.len() < 8 {
            return Err("CDataStream::read(): end of data: iostream error".into());
        }
        let rate = i64::from_le_bytes(payload[..8].try_into().expect("8 bytes"));
        if (0..=MAX_MONEY).contains(&rate) {
            let mut t = lock(&self.peer.tx);
            if t.enabled {
                t.fee_filter_received = rate;
            }
            drop(t);
            tracing::debug!(target: "net", "received: feefilter of {} from peer={}", feerate_string(rate), self.id());
        }
        Ok(())
    }

    fn process_mempool_request(&mut self) {
        let perms = self.permissions();
        let bloom = self.net.config.local_services & (1 << 2) != 0;
        if !bloom && !has_flag(perms, flags::MEMPOOL) {
            if !has_flag(perms, flags::NO_BAN) {
                tracing::debug!(target: "net", "mempool request with bloom filters disabled, disconnect peer={}", self.id());
                self.disconnect();
            }
            return;
        }
        if self.refuse_mempool_over_target() {
            return;
        }
        let mut t = lock(&self.peer.tx);
        if t.enabled {
            t.send_mempool = true;
        }
    }

    /// `tx` (Core's `ProcessMessage` for `TX`).
    fn process_tx(&mut self, payload: &[u8]) -> Result<(), String> {
        let id = self.id();
        if self.reject_incoming_txs() {
            tracing::debug!(target: "net", "transaction sent in violation of protocol peer={id}");
            self.disconnect();
            return Ok(());
        }
        if self.is_ibd() {
            return Ok(());
        }
        let tx = Arc::new(decode_tx(payload)?);
        let Some(mempool) = self.mempool() else {
            return Ok(());
        };
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        let wtxid_relay = self.peer.stats().wtxid_relay;
        self.add_known_tx(if wtxid_relay { as_txid(wtxid) } else { txid });
        {
            let mut req = lock(&self.tx_shared().requests);
            req.received_response(id, &txid);
            if txid != as_txid(wtxid) {
                req.received_response(id, &as_txid(wtxid));
            }
        }
        if self.already_have_tx(&GenTxid::wtxid(wtxid)) {
            if has_flag(self.permissions(), flags::FORCE_RELAY) {
                if !mempool.exists(&GenTxid::txid(txid)) {
                    tracing::info!("Not relaying non-mempool transaction {txid} (wtxid={wtxid}) from forcerelay peer={id}");
                } else {
                    tracing::info!("Force relaying tx {txid} (wtxid={wtxid}) from peer={id}");
                    self.net.relay_transaction(txid, wtxid);
                }
            }
            return Ok(());
        }
        match mempool.accept(&tx) {
            Ok(accepted) => {
                {
                    let mut req = lock(&self.tx_shared().requests);
                    req.forget(&txid);
                    req.forget(&as_txid(wtxid));
                }
                self.net.relay_transaction(txid, wtxid);
                lock(&self.tx_shared().orphans).add_children_to_work_set(&tx);
                self.peer.stats().last_transaction = self.net.now_micros() / 1_000_000;
                tracing::debug!(target: "mempool", "AcceptToMemoryPool: peer={id}: accepted {txid} (wtxid={wtxid}) (poolsz {} txn, {} kB)", accepted.pool_size, accepted.usage_bytes / 1000);
            }
            Err(rejected) if rejected.result == TxResult::MissingInputs => {
                let mut parents: Vec<Txid> =
                    tx.input.iter().map(|i| i.previous_output.txid).collect();
                parents.sort();
                parents.dedup();
                let rejected_parents = {
                    let rejects = lock(&self.tx_shared().rejects);
                    parents.iter().any(|p| rejects.set.contains(p))
                };
                if !rejected_parents {
                    let now = self.net.now_micros();
                    for p in &parents {
                        let g = GenTxid::txid(*p);
                        self.add_known_tx(*p);
                        if !self.already_have_tx(&g) {
                            self.add_tx_announcement(g, now);
                        }
                    }
                    let now_s = now / 1_000_000;
                    let max = self.net.config.max_orphan_txs;
                    let mut orphans = lock(&self.tx_shared().orphans);
                    self.tx_shared()
                        .compact
                        .add_extra_txn(&tx, self.net.config.block_reconstruction_extra_txn);
                    orphans.add(tx.clone(), id, now_s);
                    {
                        let mut req = lock(&self.tx_shared().requests);
                        req.forget(&txid);
                        req.forget(&as_txid(wtxid));
                    }
                    orphans.limit(max, now_s);
                } else {
                    tracing::debug!(target: "mempool", "not keeping orphan with rejected parents {txid} (wtxid={wtxid})");
                    self.add_reject(txid);
                    self.add_reject(as_txid(wtxid));
                    let mut req = lock(&self.tx_shared().requests);
                    req.forget(&txid);
                    req.forget(&as_txid(wtxid));
                }
                self.log_not_accepted(&txid, &wtxid, &rejected);
            }
            Err(rejected) => {
                if rejected.result != TxResult::WitnessStripped {
                    self.add_reject(as_txid(wtxid));
                    self.tx_shared()
                        .compact
                        .add_rejected_txn(&tx, self.net.config.block_reconstruction_extra_txn);
                    lock(&self.tx_shared().requests).forget(&as_txid(wtxid));
                    if rejected.result == TxResult::InputsNotStandard && txid != as_txid(wtxid) {
                        self.add_reject(txid);
                        lock(&self.tx_shared().requests).forget(&txid);
                    }
                }
                self.log_not_accepted(&txid, &wtxid, &rejected);
                self.punish_for_tx(&rejected);
            }
        }
        Ok(())
    }

    fn log_not_accepted(&self, txid: &Txid, wtxid: &Wtxid, rejected: &TxRejected) {
        tracing::debug!(target: "mempoolrej", "{txid} (wtxid={wtxid}) from peer={} was not accepted: {}", self.id(), rejected.state);
    }

    /// Core's `MaybePunishNodeForTx`.
    fn punish_for_tx(&mut self, rejected: &TxRejected) {
        if rejected.result == TxResult::Consensus {
            self.misbehaving(100, "");
        }
    }

    /// Core's `ProcessOrphanTx`: reconsiders orphans whose parents arrived,
    /// until one is accepted or the work set is empty; true when one was
    /// processed to the end.
    pub(crate) fn process_orphan_tx(&mut self) -> bool {
        let Some(mempool) = self.mempool() else {
            return false;
        };
        let id = self.id();
        loop {
            let next = lock(&self.tx_shared().orphans).tx_to_reconsider(id);
            let Some(tx) = next else { return false };
            let txid = tx.compute_txid();
            let wtxid = tx.compute_wtxid();
            match mempool.accept(&tx) {
                Ok(accepted) => {
                    tracing::debug!(target: "txpackages", "   accepted orphan tx {txid} (wtxid={wtxid})");
                    tracing::debug!(target: "mempool", "AcceptToMemoryPool: peer={id}: accepted {txid} (wtxid={wtxid}) (poolsz {} txn, {} kB)", accepted.pool_size, accepted.usage_bytes / 1000);
                    self.net.relay_transaction(txid, wtxid);
                    let mut orphans = lock(&self.tx_shared().orphans);
                    orphans.add_children_to_work_set(&tx);
                    orphans.erase(&txid);
                    return true;
                }
                Err(rejected) if rejected.result != TxResult::MissingInputs => {
                    tracing::debug!(target: "txpackages", "   invalid orphan tx {txid} (wtxid={wtxid}) from peer={id}. {}", rejected.state);
                    self.log_not_accepted(&txid, &wtxid, &rejected);
                    self.punish_for_tx(&rejected);
                    tracing::debug!(target: "txpackages", "   removed orphan tx {txid} (wtxid={wtxid})");
                    if rejected.result != TxResult::WitnessStripped {
                        self.add_reject(as_txid(wtxid));
                        if rejected.result == TxResult::InputsNotStandard && txid != as_txid(wtxid)
                        {
                            self.add_reject(txid);
                        }
                    }
                    lock(&self.tx_shared().orphans).erase(&txid);
                    return true;
                }
                Err(_) => {}
            }
        }
    }

    /// The transaction parts of Core's `SendMessages`: the inventory
    /// trickle, requests for announced transactions and `feefilter`.
    pub(crate) fn send_tx_messages(&mut self) {
        let Some(mempool) = self.mempool() else {
            return;
        };
        self.send_tx_inventory(mempool.as_ref());
        if self.should_stop() {
            return;
        }
        self.send_tx_requests();
        self.maybe_send_feefilter(mempool.as_ref());
    }

    fn send_tx_inventory(&mut self, mempool: &dyn MempoolAccess) {
        let now = self.net.now_micros();
        let wtxid_relay = self.peer.stats().wtxid_relay;
        let (candidates, send_mempool, filter) = {
            let mut t = lock(&self.peer.tx);
            if !t.enabled {
                return;
            }
            let mut trickle = has_flag(self.permissions(), flags::NO_BAN);
            if t.next_inv_send_us < now {
                trickle = true;
                t.next_inv_send_us = if self.peer.inbound {
                    let mut next = lock(&self.net.txrelay.next_inv_to_inbounds);
                    if *next < now {
                        *next = exponential_rand(now, INBOUND_INVENTORY_BROADCAST_INTERVAL_US);
                    }
                    *next
                } else {
                    exponential_rand(now, OUTBOUND_INVENTORY_BROADCAST_INTERVAL_US)
                };
            }
            if !trickle {
                return;
            }
            if !t.relay_txs {
                t.to_send.clear();
            }
            let send_mempool = std::mem::take(&mut t.send_mempool);
            (
                std::mem::take(&mut t.to_send),
                send_mempool,
                t.fee_filter_received,
            )
        };
        let make_inv = |h: Txid| {
            if wtxid_relay {
                Inventory::WTx(Wtxid::from_byte_array(h.to_byte_array()))
            } else {
                Inventory::Transaction(h)
            }
        };
        let key = |info: &TxInfo| {
            if wtxid_relay {
                as_txid(info.tx.compute_wtxid())
            } else {
                info.tx.compute_txid()
            }
        };
        let mut invs = Vec::new();
        let mut known_add = Vec::new();
        let mut candidates = candidates;
        if send_mempool {
            for info in mempool.infos() {
                let h = key(&info);
                candidates.remove(&h);
                if info.fee < fee_for(filter, info.vsize) {
                    continue;
                }
                known_add.push(h);
                invs.push(make_inv(h));
            }
        }
        // Core sends in mempool order (parents first, then by fee rate); the
        // order of entry keeps parents first.
        let mut ready: Vec<(u64, Txid, TxInfo)> = candidates
            .iter()
            .filter_map(|h| {
                let g = GenTxid {
                    is_wtxid: wtxid_relay,
                    hash: *h,
                };
                mempool.info(&g).map(|i| (i.sequence, *h, i))
            })
            .collect();
        ready.sort_by_key(|(s, _, _)| *s);
        let broadcast_max =
            (INVENTORY_BROADCAST_TARGET + candidates.len() / 1000 * 5).min(INVENTORY_BROADCAST_MAX);
        let mut leftover = BTreeSet::new();
        let mut relayed = 0;
        {
            let t = lock(&self.peer.tx);
            for (_, h, info) in ready {
                if relayed >= broadcast_max {
                    leftover.insert(h);
                    continue;
                }
                if t.known.contains(&h) || known_add.contains(&h) {
                    continue;
                }
                if info.fee < fee_for(filter, info.vsize) {
                    continue;
                }
                invs.push(make_inv(h));
                known_add.push(h);
                relayed += 1;
            }
        }
        let sequence = mempool.sequence();
        {
            let mut t = lock(&self.peer.tx);
            for h in known_add {
                t.known.insert(h, MAX_KNOWN_INVENTORY);
            }
            t.to_send.extend(leftover);
            t.last_inv_sequence = sequence;
        }
        for chunk in invs.chunks(MAX_INV_SZ) {
            self.push(NetworkMessage::Inv(chunk.to_vec()));
        }
    }

    fn send_tx_requests(&mut self) {
        let id = self.id();
        let now = self.net.now_micros();
        let (requestable, expired) = lock(&self.tx_shared().requests).requestable(id, now);
        for (peer, g) in expired {
            tracing::debug!(target: "net", "timeout of inflight {} {} from peer={peer}", if g.is_wtxid { "wtx" } else { "tx" }, g.hash);
        }
        let mut getdata = Vec::new();
        // GetFetchFlags: witness data only from NODE_WITNESS peers.
        let witness = self.peer.stats().services & (1 << 3) != 0;
        for g in requestable {
            if !self.already_have_tx(&g) {
                tracing::debug!(target: "net", "Requesting {} {} peer={id}", if g.is_wtxid { "wtx" } else { "tx" }, g.hash);
                getdata.push(match g.as_wtxid() {
                    Some(w) => Inventory::WTx(w),
                    None if witness => Inventory::WitnessTransaction(g.hash),
                    None => Inventory::Transaction(g.hash),
                });
                lock(&self.tx_shared().requests).requested(
                    id,
                    &g.hash,
                    now + GETDATA_TX_INTERVAL_US,
                );
            } else {
                lock(&self.tx_shared().requests).forget(&g.hash);
            }
        }
        for chunk in getdata.chunks(MAX_GETDATA_SZ) {
            self.push(NetworkMessage::GetData(chunk.to_vec()));
        }
    }

    /// Core's `MaybeSendFeefilter`.
    fn maybe_send_feefilter(&mut self, mempool: &dyn MempoolAccess) {
        if self.net.config.ignore_incoming_txs {
            return;
        }
        if self.peer.stats().common_version < FEEFILTER_VERSION {
            return;
        }
        if has_flag(self.permissions(), flags::FORCE_RELAY) {
            return;
        }
        if self.peer.conn_type() == crate::addr_relay::ConnType::BlockRelay {
            return;
        }
        let now = self.net.now_micros();
        let incremental = mempool.incremental_relay_fee_per_kvb();
        let mut current = mempool.min_fee_per_kvb();
        let ibd = self.is_ibd();
        if ibd {
            current = MAX_MONEY;
        } else if self.tx.sent_ibd_filter {
            // Send the real filter once out of initial block download.
            self.tx.next_send_feefilter_us = 0;
        }
        if now > self.tx.next_send_feefilter_us {
            let to_send =
                round_fee_filter(incremental, current).max(mempool.min_relay_fee_per_kvb());
            if to_send != self.tx.fee_filter_sent {
                self.push(NetworkMessage::FeeFilter(to_send));
                self.tx.fee_filter_sent = to_send;
            }
            self.tx.sent_ibd_filter = ibd;
            self.tx.next_send_feefilter_us =
                exponential_rand(now, AVG_FEEFILTER_BROADCAST_INTERVAL_US);
        } else if now + MAX_FEEFILTER_CHANGE_DELAY_US < self.tx.next_send_feefilter_us
            && (current < 3 * self.tx.fee_filter_sent / 4
                || current > 4 * self.tx.fee_filter_sent / 3)
        {
            self.tx.next_send_feefilter_us =
                now + (rand::random::<u64>() % MAX_FEEFILTER_CHANGE_DELAY_US as u64) as i64;
        }
    }

    /// Core's `FinalizeNode` for transaction relay.
    pub(crate) fn finalize_tx(&mut self) {
        let id = self.id();
        lock(&self.tx_shared().orphans).erase_for_peer(id);
        lock(&self.tx_shared().requests).disconnected(id);
        if self.tx.counted_wtxid {
            self.tx_shared()
                .wtxid_relay_peers
                .fetch_sub(1, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::consensus::encode::serialize;

    #[test]
    fn empty_tx_decodes_like_core() {
        let payload = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let tx = decode_tx(&payload).unwrap();
        assert!(tx.input.is_empty() && tx.output.is_empty());
        assert!(decode_tx(&payload[..8]).is_err());
    }

    fn tx_spending(prev: Txid, vout: u32, nonce: u8) -> Transaction {
        Transaction {
            version: bitcoin::transaction::Version(2),
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: vec![bitcoin::TxIn {
                previous_output: OutPoint { txid: prev, vout },
                ..Default::default()
            }],
            output: vec![bitcoin::TxOut {
                value: bitcoin::Amount::from_sat(u64::from(nonce) + 1),
                script_pubkey: bitcoin::ScriptBuf::new(),
            }],
        }
    }

    #[test]
    fn orphanage_work_sets_and_limits() {
        let parent = tx_spending(Txid::all_zeros(), 0, 0);
        let child = Arc::new(tx_spending(parent.compute_txid(), 0, 1));
        let mut o = Orphanage::default();
        assert!(o.add(child.clone(), 7, 100));
        assert!(!o.add(child.clone(), 8, 100));
        assert!(o.have(&GenTxid::txid(child.compute_txid())));
        assert!(o.have(&GenTxid::wtxid(child.compute_wtxid())));
        o.add_children_to_work_set(&parent);
        assert_eq!(o.tx_to_reconsider(8), None);
        assert_eq!(
            o.tx_to_reconsider(7).unwrap().compute_txid(),
            child.compute_txid()
        );
        assert_eq!(o.tx_to_reconsider(7), None);
        for i in 0..10u8 {
            o.add(
                Arc::new(tx_spending(Txid::all_zeros(), u32::from(i) + 1, i)),
                9,
                100,
            );
        }
        o.limit(5, 100);
        assert_eq!(o.orphans.len(), 5);
        assert_eq!(o.list.len(), 5);
        o.erase_for_peer(9);
        assert!(o.orphans.len() <= 1);
        // Expiry.
        o.limit(100, 100 + ORPHAN_TX_EXPIRE_TIME + 1);
        assert!(o.orphans.is_empty() && o.by_prevout.is_empty() && o.by_wtxid.is_empty());
        let _ = serialize(&parent);
    }

    #[test]
    fn requests_one_peer_at_a_time() {
        let mut r = TxRequests::default();
        let g = GenTxid::txid(Txid::all_zeros());
        r.received_inv(1, g, false, 100);
        r.received_inv(2, g, true, 50);
        assert!(r.requestable(1, 60).0.is_empty());
        assert_eq!(r.requestable(2, 60).0, vec![g]);
        r.requested(2, &g.hash, 1000);
        assert!(r.requestable(1, 200).0.is_empty());
        // The request times out: peer 1 may be asked.
        let (ready, expired) = r.requestable(1, 1000);
        assert_eq!(expired, vec![(2, g)]);
        assert_eq!(ready, vec![g]);
        r.received_response(1, &g.hash);
        assert_eq!(r.count(1), 0);
    }

    #[test]
    fn fee_filter_rounding() {
        assert_eq!(round_fee_filter(1000, 0), 0);
        let top = round_fee_filter(1000, MAX_MONEY);
        assert!(top > 9_000_000 && top <= 10_000_000);
        assert_eq!(fee_for(1000, 250), 250);
        assert_eq!(fee_for(1, 10), 1);
        assert_eq!(feerate_string(1000), "0.00001000 WCN/kvB");
    }
}
