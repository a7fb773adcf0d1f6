//! Starts the P2P network (`widecoin-p2p`) with the node's options: the part
//! of Core's `AppInitMain` that fills `CConnman::Options` (`-listen`, `-bind`,
//! `-port`, `-maxconnections`, `-connect`, `-addnode`, `-peertimeout`), and
//! the chainstate's side of block sync ([`ChainAccess`]) and announcements.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Weak};

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, Work};
use widecoin_chainstate::{
    BlockIndexEntry, ChainstateError, ChainstateManager, EntryId, ValidationListener,
};
use widecoin_common::args::ArgsManager;
use widecoin_p2p::banman::{BanMan, DEFAULT_MISBEHAVING_BANTIME};
use widecoin_p2p::permissions::{Whitebind, Whitelist};
use widecoin_p2p::txrelay::DEFAULT_MAX_ORPHAN_TRANSACTIONS;
use widecoin_p2p::{
    parse_host_port, BlockRejected, ChainAccess, Connman, GenTxid, HeaderState, MempoolAccess,
    P2pConfig, RejectKind, TxAccepted, TxInfo, TxRejected, TxResult,
};

use crate::context::NodeContext;

/// `DEFAULT_MAX_PEER_CONNECTIONS`.
const DEFAULT_MAX_PEER_CONNECTIONS: i64 = 125;
/// `DEFAULT_PEER_CONNECT_TIMEOUT`, seconds.
const DEFAULT_PEER_CONNECT_TIMEOUT: i64 = 60;

/// Core's `GetTime<std::chrono::microseconds>()`: mock time when set.
fn clock_micros() -> i64 {
    match widecoin_common::time::mock_time() {
        0 => widecoin_common::time::system_time_micros(),
        t => t * 1_000_000,
    }
}

/// The addresses to listen on: each `-bind` (`addr[:port][=onion]`), else
/// every interface on `-port`.
fn bind_addrs(args: &ArgsManager, port: u16) -> Result<(Vec<SocketAddr>, bool), String> {
    let whitebinds = !args.get_args("-whitebind").is_empty();
    // Core: -whitebind implies -listen=1.
    let listen = args.get_bool_arg("-listen", true) || (whitebinds && !args.is_arg_set("-listen"));
    if !listen {
        if whitebinds || !args.get_args("-bind").is_empty() {
            return Err("Cannot set -bind or -whitebind together with -listen=0".into());
        }
        return Ok((Vec::new(), false));
    }
    let binds = args.get_args("-bind");
    if binds.is_empty() && whitebinds {
        return Ok((Vec::new(), false));
    }
    if binds.is_empty() {
        return Ok((
            vec![
                SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
                SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
            ],
            true,
        ));
    }
    let mut out = Vec::new();
    for bind in binds {
        let value = bind.strip_suffix("=onion").unwrap_or(&bind);
        let (host, p) = parse_host_port(value, port);
        let ip: IpAddr = host
            .parse()
            .map_err(|_| format!("Cannot resolve -bind address: '{bind}'"))?;
        out.push(SocketAddr::new(ip, p));
    }
    Ok((out, false))
}

/// Builds the network's options and starts it.
pub(crate) fn start(args: &ArgsManager, node: &Arc<NodeContext>) -> Result<Arc<Connman>, String> {
    let params = &node.chain_params;
    let port = args.get_int_arg("-port", params.default_port() as i64);
    let port =
        u16::try_from(port).map_err(|_| format!("Invalid port specified in -port: '{port}'"))?;
    let (binds, bind_any) = bind_addrs(args, port)?;
    let connect: Vec<String> = args
        .get_args("-connect")
        .into_iter()
        .filter(|c| c != "0" && !c.is_empty())
        .collect();
    let weak: Weak<NodeContext> = Arc::downgrade(node);
    let whitebinds = args
        .get_args("-whitebind")
        .iter()
        .map(|w| Whitebind::parse(w))
        .collect::<Result<Vec<_>, _>>()?;
    let whitelist = args
        .get_args("-whitelist")
        .iter()
        .map(|w| Whitelist::parse(w))
        .collect::<Result<Vec<_>, _>>()?;
    let blocksonly = args.get_bool_arg("-blocksonly", false);
    let whitelist_force_relay = args.get_bool_arg("-whitelistforcerelay", false);
    // Core's parameter interaction: -blocksonly turns -whitelistrelay off,
    // -whitelistforcerelay turns it on, unless given.
    let whitelist_relay = if args.is_arg_set("-whitelistrelay") {
        args.get_bool_arg("-whitelistrelay", true)
    } else {
        !blocksonly || whitelist_force_relay
    };
    let banlist = args.get_data_dir_net().map(|d| d.join("banlist.json")).ok();
    let banman = Arc::new(BanMan::new(
        banlist,
        args.get_int_arg("-bantime", DEFAULT_MISBEHAVING_BANTIME),
        Arc::new(widecoin_common::time::get_time),
    ));
    let config = P2pConfig {
        magic: params.message_start(),
        default_port: params.default_port(),
        binds,
        bind_any,
        max_connections: args
            .get_int_arg("-maxconnections", DEFAULT_MAX_PEER_CONNECTIONS)
            .max(0) as usize,
        local_services: node.network.local_services,
        user_agent: node.network.subversion.clone(),
        relay_txes: node.network.relay_txes,
        peer_timeout: args.get_int_arg("-peertimeout", DEFAULT_PEER_CONNECT_TIMEOUT),
        connect,
        add_nodes: args.get_args("-addnode"),
        start_height: Arc::new(move || {
            weak.upgrade()
                .map_or(0, |n| n.chain.tip_info().height as i32)
        }),
        clock_micros: Arc::new(clock_micros),
        chain: Some(Arc::new(NodeChainAccess {
            node: Arc::downgrade(node),
        })),
        mempool: Some(Arc::new(NodeMempoolAccess {
            node: Arc::downgrade(node),
        })),
        whitebinds,
        whitelist,
        whitelist_relay,
        whitelist_force_relay,
        ignore_incoming_txs: blocksonly,
        max_orphan_txs: args
            .get_int_arg("-maxorphantx", DEFAULT_MAX_ORPHAN_TRANSACTIONS as i64)
            .max(0) as usize,
        block_reconstruction_extra_txn: args
            .get_int_arg(
                "-blockreconstructionextratxn",
                widecoin_p2p::compact::DEFAULT_BLOCK_RECONSTRUCTION_EXTRA_TXN as i64,
            )
            .max(0) as usize,
        banman: Some(banman),
    };
    node.chain.lock().add_listener(Arc::new(TipAnnouncer {
        node: Arc::downgrade(node),
    }));
    let connman =
        Connman::start_with(config, node.network.network_active).map_err(|e| e.to_string())?;
    // Checked by init already (Core's "Unable to parse -maxuploadtarget").
    connman.set_max_upload_target(
        widecoin_p2p::uploadtarget::parse_max_upload_target(args.get_arg("-maxuploadtarget"))?,
        widecoin_chainparams::consensus::MAX_BLOCK_SERIALIZED_SIZE,
    );
    Ok(Arc::new(connman))
}

/// `BLOCK_DOWNLOAD_WINDOW`: blocks further than this past the last common
/// block are not requested yet.
const BLOCK_DOWNLOAD_WINDOW: u32 = 1024;

/// Passes tip changes to the network (Core's `PeerManagerImpl::UpdatedBlockTip`).
struct TipAnnouncer {
    node: Weak<NodeContext>,
}

impl ValidationListener for TipAnnouncer {
    fn updated_block_tip(&self, tip: &BlockIndexEntry, fork: Option<u32>, ibd: bool) {
        if let Some(connman) = self.node.upgrade().and_then(|n| n.connman.get().cloned()) {
            connman.block_tip_changed(tip.hash, fork, ibd);
        }
    }

    fn block_connected(&self, block: &Block, _entry: &BlockIndexEntry) {
        if let Some(connman) = self.node.upgrade().and_then(|n| n.connman.get().cloned()) {
            connman.block_connected(block);
        }
    }

    fn block_disconnected(&self, _block: &Block, _entry: &BlockIndexEntry) {
        if let Some(connman) = self.node.upgrade().and_then(|n| n.connman.get().cloned()) {
            connman.block_disconnected();
        }
    }
}

/// Core's `PeerManager::RelayTransaction` for `sendrawtransaction`: every
/// peer announces the transaction on its next trickle. Call without the
/// chainstate's or the pool's lock.
pub(crate) fn relay_transaction(node: &NodeContext, txid: bitcoin::Txid, wtxid: bitcoin::Wtxid) {
    if let Some(connman) = node.connman.get() {
        connman.relay_transaction(txid, wtxid);
    }
}

/// The mempool as transaction relay sees it.
struct NodeMempoolAccess {
    node: Weak<NodeContext>,
}

fn tx_info(e: &widecoin_mempool::MempoolEntry) -> TxInfo {
    TxInfo {
        tx: e.tx.clone(),
        fee: e.fee,
        vsize: e.vsize,
        sequence: e.sequence,
    }
}

impl MempoolAccess for NodeMempoolAccess {
    fn accept(&self, tx: &bitcoin::Transaction) -> Result<TxAccepted, TxRejected> {
        let Some(node) = self.node.upgrade() else {
            return Err(TxRejected {
                result: TxResult::NoMempool,
                state: "no-mempool".into(),
            });
        };
        let cm = node.chain.lock();
        let chain = crate::txpool::ChainAdapter(&cm);
        let mut pool = node.pool.lock();
        match pool.accept(tx, &chain, widecoin_common::time::get_time()) {
            Ok(_) => Ok(TxAccepted {
                pool_size: pool.len(),
                usage_bytes: pool.usage(),
            }),
            Err(r) => Err(TxRejected {
                result: r.result,
                state: r.to_string(),
            }),
        }
    }

    fn exists(&self, gtxid: &GenTxid) -> bool {
        let Some(node) = self.node.upgrade() else {
            return false;
        };
        let pool = node.pool.lock();
        match gtxid.as_wtxid() {
            Some(w) => pool.contains_wtxid(&w),
            None => pool.get(&gtxid.hash).is_some(),
        }
    }

    fn info(&self, gtxid: &GenTxid) -> Option<TxInfo> {
        let node = self.node.upgrade()?;
        let pool = node.pool.lock();
        match gtxid.as_wtxid() {
            Some(w) => pool.get_by_wtxid(&w).map(tx_info),
            None => pool.get(&gtxid.hash).map(tx_info),
        }
    }

    fn compact_txs(&self) -> Vec<(bitcoin::Wtxid, std::sync::Arc<bitcoin::Transaction>)> {
        let Some(node) = self.node.upgrade() else {
            return Vec::new();
        };
        let pool = node.pool.lock();
        pool.entries().map(|e| (e.wtxid, e.tx.clone())).collect()
    }

    fn infos(&self) -> Vec<TxInfo> {
        let Some(node) = self.node.upgrade() else {
            return Vec::new();
        };
        let pool = node.pool.lock();
        let mut out: Vec<TxInfo> = pool.entries().map(tx_info).collect();
        out.sort_by_key(|i| i.sequence);
        out
    }

    fn sequence(&self) -> u64 {
        self.node.upgrade().map_or(0, |n| n.pool.lock().sequence())
    }

    fn min_fee_per_kvb(&self) -> i64 {
        self.node.upgrade().map_or(0, |n| {
            n.pool
                .lock()
                .min_fee(widecoin_common::time::get_time())
                .fee_per_k()
        })
    }

    fn min_relay_fee_per_kvb(&self) -> i64 {
        self.node
            .upgrade()
            .map_or(0, |n| n.mempool.min_relay_feerate)
    }

    fn incremental_relay_fee_per_kvb(&self) -> i64 {
        self.node
            .upgrade()
            .map_or(0, |n| n.mempool.incremental_relay_feerate)
    }

    fn remove_unbroadcast(&self, txid: &bitcoin::Txid) {
        if let Some(n) = self.node.upgrade() {
            n.pool.lock().remove_unbroadcast(txid);
        }
    }

    fn reattempt_broadcast(&self) -> Vec<(bitcoin::Txid, bitcoin::Wtxid)> {
        let Some(n) = self.node.upgrade() else {
            return Vec::new();
        };
        let mut pool = n.pool.lock();
        let txids: Vec<bitcoin::Txid> = pool.unbroadcast().iter().copied().collect();
        let mut out = Vec::new();
        for txid in txids {
            match pool.get(&txid).map(|e| e.wtxid) {
                Some(wtxid) => out.push((txid, wtxid)),
                None => pool.remove_unbroadcast(&txid),
            }
        }
        out
    }
}

/// The chainstate as block sync sees it.
struct NodeChainAccess {
    node: Weak<NodeContext>,
}

/// Core's `BlockValidationResult` of a chainstate error, for punishment.
fn rejected(e: ChainstateError) -> BlockRejected {
    use widecoin_chainstate::BlockValidationError as V;
    let kind = match &e {
        ChainstateError::Invalid(V::Duplicate) => RejectKind::CachedInvalid,
        ChainstateError::Invalid(V::PrevBlockNotFound(_)) => RejectKind::MissingPrev,
        ChainstateError::Invalid(V::TimeTooNew) => RejectKind::NoPunishment,
        ChainstateError::Invalid(_) => RejectKind::Invalid,
        _ => RejectKind::NoPunishment,
    };
    BlockRejected {
        reason: e.reject_reason().unwrap_or_else(|| e.to_string()),
        kind,
    }
}

fn zero_work() -> Work {
    Work::from_be_bytes([0; 32])
}

impl NodeChainAccess {
    fn with<R>(&self, default: R, f: impl FnOnce(&mut ChainstateManager) -> R) -> R {
        match self.node.upgrade() {
            Some(node) => f(&mut node.chain.lock()),
            None => default,
        }
    }
}

/// `STALE_RELAY_AGE_LIMIT`: 30 days.
const STALE_RELAY_AGE_LIMIT: i64 = 30 * 24 * 60 * 60;

/// Core's `BlockRequestAllowed`: blocks of the active chain, or fully
/// validated ones not much older than our best header.
fn block_request_allowed(cm: &ChainstateManager, id: EntryId) -> bool {
    let index = cm.block_index();
    if cm.active_chain().contains(index, id) {
        return true;
    }
    let e = index.entry(id);
    e.is_valid(widecoin_chainstate::block_status::VALID_SCRIPTS)
        && cm
            .best_header()
            .is_some_and(|b| b.time() - e.time() < STALE_RELAY_AGE_LIMIT)
}

/// Core's `GetLocator` from any entry of the index.
fn locator_from(cm: &ChainstateManager, id: EntryId) -> Vec<BlockHash> {
    let index = cm.block_index();
    let mut out = Vec::new();
    let mut step = 1u32;
    let mut cur = Some(id);
    while let Some(c) = cur {
        let entry = index.entry(c);
        out.push(entry.hash);
        if entry.height == 0 {
            break;
        }
        let height = entry.height.saturating_sub(step);
        cur = if cm.active_chain().contains(index, c) {
            cm.active_chain().at(height)
        } else {
            index.ancestor(c, height)
        };
        if out.len() > 10 {
            step = step.saturating_mul(2);
        }
    }
    out
}

impl ChainAccess for NodeChainAccess {
    fn block_request_allowed(&self, hash: &BlockHash) -> bool {
        self.with(false, |cm| {
            cm.lookup_id(hash)
                .is_some_and(|id| block_request_allowed(cm, id))
        })
    }

    fn ancestor_hashes(&self, hash: &BlockHash, heights: &[u32]) -> Option<Vec<BlockHash>> {
        self.with(None, |cm| {
            let id = cm.lookup_id(hash)?;
            let index = cm.block_index();
            heights
                .iter()
                .map(|&h| index.ancestor(id, h).map(|a| index.entry(a).hash))
                .collect()
        })
    }

    fn block_filters(&self, hashes: &[BlockHash]) -> Option<Vec<(Vec<u8>, [u8; 32])>> {
        let node = self.node.upgrade()?;
        let index = node.indexes.get()?.blockfilter.clone()?;
        // As getblockfilter: wait for the index to see the current tip.
        index.block_until_synced_to_current_chain();
        match index.backend().lookup_many(hashes) {
            Ok(found) => Some(
                found?
                    .into_iter()
                    .map(|(f, h)| (f.content, h.to_byte_array()))
                    .collect(),
            ),
            Err(e) => {
                tracing::error!("block filter index lookup failed: {e}");
                None
            }
        }
    }

    fn permitted_difficulty_transition(&self, height: u32, old_bits: u32, new_bits: u32) -> bool {
        let Some(node) = self.node.upgrade() else {
            return true;
        };
        widecoin_chainstate::pow::permitted_difficulty_transition(
            &node.chain_params.consensus,
            i64::from(height),
            old_bits,
            new_bits,
        )
    }

    fn check_proof_of_work(&self, header: &Header) -> bool {
        let Some(node) = self.node.upgrade() else {
            return true;
        };
        widecoin_chainstate::pow::check_proof_of_work(
            &header.block_hash(),
            header.bits.to_consensus(),
            &node.chain_params.consensus,
        )
    }

    fn is_initial_block_download(&self) -> bool {
        self.node
            .upgrade()
            .is_some_and(|n| n.is_initial_block_download())
    }

    fn header_state(&self, hash: &BlockHash) -> Option<HeaderState> {
        self.with(None, |cm| {
            let id = cm.lookup_id(hash)?;
            let e = cm.block_index().entry(id);
            Some(HeaderState {
                height: e.height,
                chain_work: e.chain_work,
                have_data: e.have_data(),
                failed: e.failed(),
                in_active_chain: cm.active_chain().contains(cm.block_index(), id),
            })
        })
    }

    fn tip(&self) -> (BlockHash, Work) {
        self.with((BlockHash::all_zeros(), zero_work()), |cm| {
            cm.tip().map_or((BlockHash::all_zeros(), zero_work()), |t| {
                (t.hash, t.chain_work)
            })
        })
    }

    fn best_header(&self) -> Option<(BlockHash, Header)> {
        self.with(None, |cm| {
            cm.best_header().or(cm.tip()).map(|e| (e.hash, e.header))
        })
    }

    fn minimum_chain_work(&self) -> Work {
        self.with(zero_work(), |cm| cm.params().consensus.minimum_chain_work)
    }

    fn loading_blocks(&self) -> bool {
        self.with(false, |cm| cm.is_reindexing())
    }

    fn locator(&self, from: &BlockHash) -> Vec<BlockHash> {
        self.with(Vec::new(), |cm| match cm.lookup_id(from) {
            Some(id) => locator_from(cm, id),
            None => Vec::new(),
        })
    }

    fn headers_after(
        &self,
        locator: &[BlockHash],
        stop: &BlockHash,
        max: usize,
    ) -> Option<(i64, Vec<Header>)> {
        self.with(None, |cm| {
            let index = cm.block_index();
            let chain = cm.active_chain();
            let start = if locator.is_empty() {
                let id = cm.lookup_id(stop)?;
                let e = index.entry(id);
                if !block_request_allowed(cm, id) {
                    tracing::debug!(target: "net", "ProcessGetHeaders: ignoring request for old block header that isn't in the main chain");
                    return None;
                }
                return Some((i64::from(e.height), vec![e.header]));
            } else {
                // Core's FindForkInGlobalIndex: the first locator entry on
                // the active chain, else genesis.
                let fork = locator
                    .iter()
                    .filter_map(|h| cm.lookup_id(h))
                    .find(|&id| chain.contains(index, id))
                    .or_else(|| chain.at(0))?;
                chain.at(index.entry(fork).height + 1)
            };
            let mut headers = Vec::new();
            let mut cur = start;
            while let Some(id) = cur {
                let e = index.entry(id);
                headers.push(e.header);
                if headers.len() >= max || e.hash == *stop {
                    break;
                }
                cur = chain.at(e.height + 1);
            }
            let first = start.map_or(-1, |id| i64::from(index.entry(id).height));
            Some((first, headers))
        })
    }

    fn blocks_after(
        &self,
        locator: &[BlockHash],
        stop: &BlockHash,
        max: usize,
    ) -> (i64, Vec<BlockHash>) {
        self.with((-1, Vec::new()), |cm| {
            let index = cm.block_index();
            let chain = cm.active_chain();
            let Some(fork) = locator
                .iter()
                .filter_map(|h| cm.lookup_id(h))
                .find(|&id| chain.contains(index, id))
                .or_else(|| chain.at(0))
            else {
                return (-1, Vec::new());
            };
            let start = chain.at(index.entry(fork).height + 1);
            let mut out = Vec::new();
            let mut cur = start;
            while let Some(id) = cur {
                let e = index.entry(id);
                if e.hash == *stop {
                    tracing::debug!(target: "net", "  getblocks stopping at {} {}", e.height, e.hash);
                    break;
                }
                out.push(e.hash);
                if out.len() >= max {
                    break;
                }
                cur = chain.at(e.height + 1);
            }
            (start.map_or(-1, |id| i64::from(index.entry(id).height)), out)
        })
    }

    fn block(&self, hash: &BlockHash) -> Option<Block> {
        self.with(None, |cm| {
            let id = cm.lookup_id(hash)?;
            if !block_request_allowed(cm, id) {
                tracing::debug!(target: "net", "ProcessGetBlockData: ignoring request for old block that isn't in the main chain");
                return None;
            }
            match cm.get_block(hash) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!("Cannot load block from disk {hash}: {e}");
                    None
                }
            }
        })
    }

    fn process_headers(&self, headers: &[Header]) -> Result<(), BlockRejected> {
        self.with(Ok(()), |cm| {
            cm.process_new_block_headers(headers).map_err(rejected)
        })
    }

    fn process_block(&self, block: &Block) -> Result<bool, BlockRejected> {
        self.with(Ok(false), |cm| {
            cm.process_new_block(block).map_err(rejected)
        })
    }

    fn blocks_to_download(
        &self,
        target: &BlockHash,
        max: usize,
        skip: &HashSet<BlockHash>,
    ) -> Vec<BlockHash> {
        self.with(Vec::new(), |cm| {
            let Some(target_id) = cm.lookup_id(target) else {
                return Vec::new();
            };
            let index = cm.block_index();
            let tip_work = cm.tip().map_or(zero_work(), |t| t.chain_work);
            let target_entry = index.entry(target_id);
            if target_entry.chain_work < tip_work
                || target_entry.chain_work < cm.params().consensus.minimum_chain_work
            {
                return Vec::new();
            }
            let chain = cm.active_chain();
            let Some(fork) = chain.find_fork(index, target_id) else {
                return Vec::new();
            };
            let fork = last_common_block(index, fork, target_id);
            let fork_height = index.entry(fork).height;
            let window_end = fork_height.saturating_add(BLOCK_DOWNLOAD_WINDOW);
            let end = if target_entry.height > window_end {
                match index.ancestor(target_id, window_end) {
                    Some(id) => id,
                    None => return Vec::new(),
                }
            } else {
                target_id
            };
            let mut path = Vec::new();
            let mut cur = Some(end);
            while let Some(id) = cur {
                if id == fork {
                    break;
                }
                let e = index.entry(id);
                if e.failed() {
                    // Never download towards an invalid chain.
                    return Vec::new();
                }
                path.push(id);
                cur = e.prev;
            }
            path.iter()
                .rev()
                .map(|&id| index.entry(id))
                .filter(|e| !e.have_data() && !skip.contains(&e.hash))
                .take(max)
                .map(|e| e.hash)
                .collect()
        })
    }

    fn download_window_blocker(
        &self,
        target: &BlockHash,
        in_flight: &HashSet<BlockHash>,
    ) -> Option<BlockHash> {
        self.with(None, |cm| {
            let target_id = cm.lookup_id(target)?;
            let index = cm.block_index();
            let target_entry = index.entry(target_id);
            let tip_work = cm.tip().map_or(zero_work(), |t| t.chain_work);
            if target_entry.chain_work < tip_work {
                return None;
            }
            let fork = cm.active_chain().find_fork(index, target_id)?;
            let fork = last_common_block(index, fork, target_id);
            let window_end = index
                .entry(fork)
                .height
                .saturating_add(BLOCK_DOWNLOAD_WINDOW);
            if target_entry.height <= window_end {
                return None;
            }
            let end = index.ancestor(target_id, window_end)?;
            let mut path = Vec::new();
            let mut cur = Some(end);
            while let Some(id) = cur {
                if id == fork {
                    break;
                }
                path.push(id);
                cur = index.entry(id).prev;
            }
            let mut waiting_for = None;
            for &id in path.iter().rev() {
                let e = index.entry(id);
                if e.have_data() {
                    continue;
                }
                if in_flight.contains(&e.hash) {
                    waiting_for.get_or_insert(e.hash);
                } else {
                    // Something in the window can still be fetched.
                    return None;
                }
            }
            waiting_for
        })
    }

    fn pow_target_spacing(&self) -> i64 {
        self.node
            .upgrade()
            .map_or(600, |n| n.chain_params.consensus.pow_target_spacing)
    }

    fn last_common_height(&self, hash: &BlockHash) -> Option<u32> {
        self.with(None, |cm| {
            let id = cm.lookup_id(hash)?;
            let fork = cm.active_chain().find_fork(cm.block_index(), id)?;
            Some(cm.block_index().entry(fork).height)
        })
    }

    fn is_ancestor(&self, ancestor: &BlockHash, descendant: &BlockHash) -> bool {
        self.with(false, |cm| {
            match (cm.lookup_id(ancestor), cm.lookup_id(descendant)) {
                (Some(a), Some(d)) => {
                    let index = cm.block_index();
                    index.ancestor(d, index.entry(a).height) == Some(a)
                }
                _ => false,
            }
        })
    }

    fn new_tip_headers(
        &self,
        tip: &BlockHash,
        fork_height: Option<u32>,
        max: usize,
    ) -> Vec<Header> {
        self.with(Vec::new(), |cm| {
            let Some(id) = cm.lookup_id(tip) else {
                return Vec::new();
            };
            let index = cm.block_index();
            let mut out = Vec::new();
            let mut cur = Some(id);
            while let Some(c) = cur {
                let e = index.entry(c);
                if fork_height.is_some_and(|f| e.height <= f) || out.len() >= max {
                    break;
                }
                out.push(e.header);
                cur = e.prev;
            }
            out.reverse();
            out
        })
    }
}

/// Where the download window starts on the way to `target` (Core's
/// `pindexLastCommonBlock` as `FindNextBlocksToDownload` advances it): past
/// the fork with the active chain, over every block of the target's branch
/// whose data, and all of whose ancestors' data, is stored
/// (`HaveTxsDownloaded`). Without this a branch longer than the window that
/// is still being downloaded (a large reorganisation) would never get past
/// `fork + BLOCK_DOWNLOAD_WINDOW`.
fn last_common_block(
    index: &widecoin_chainstate::index::BlockIndex,
    fork: widecoin_chainstate::EntryId,
    target: widecoin_chainstate::EntryId,
) -> widecoin_chainstate::EntryId {
    let mut path = Vec::new();
    let mut cur = Some(target);
    while let Some(id) = cur {
        if id == fork {
            break;
        }
        path.push(id);
        cur = index.entry(id).prev;
    }
    let mut start = fork;
    for &id in path.iter().rev() {
        if index.entry(id).chain_tx == 0 {
            break;
        }
        start = id;
    }
    start
}
