//! The node's handle on the chainstate: the `ChainstateManager` behind one
//! lock (Core's `cs_main`), and a tip-changed notification that
//! `waitfornewblock` and friends wait on. Also the node's `Chain` for other
//! processes ([`ChainInterface`], Core's `ChainImpl`), with its notification
//! queues fed by the chainstate's events and the mempool.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bitcoin::{Block, BlockHash};
use widecoin_chainstate::{BlockIndexEntry, ChainstateManager, ValidationListener};

/// The tip as `waitfornewblock` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TipInfo {
    pub hash: BlockHash,
    pub height: u32,
}

/// The latest tip, updated by the chainstate's notifications.
struct TipState {
    tip: Mutex<TipInfo>,
    changed: Condvar,
}

impl ValidationListener for TipState {
    fn updated_block_tip(&self, tip: &BlockIndexEntry, _fork: Option<u32>, _ibd: bool) {
        let mut t = self.tip.lock().unwrap_or_else(|e| e.into_inner());
        *t = TipInfo {
            hash: tip.hash,
            height: tip.height,
        };
        self.changed.notify_all();
    }
}

/// The chainstate shared by RPC threads.
pub struct NodeChain {
    chainman: Mutex<ChainstateManager>,
    tip: Arc<TipState>,
}

impl NodeChain {
    pub fn new(mut chainman: ChainstateManager) -> Self {
        let entry = chainman.tip().expect("the chainstate holds genesis");
        let tip = Arc::new(TipState {
            tip: Mutex::new(TipInfo {
                hash: entry.hash,
                height: entry.height,
            }),
            changed: Condvar::new(),
        });
        chainman.add_listener(tip.clone());
        NodeChain {
            chainman: Mutex::new(chainman),
            tip,
        }
    }

    /// Locks the chainstate (Core's `LOCK(cs_main)`).
    pub fn lock(&self) -> MutexGuard<'_, ChainstateManager> {
        self.chainman.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Processes a block as if received (`ProcessNewBlock`).
    pub fn process_new_block(
        &self,
        block: &Block,
    ) -> Result<bool, widecoin_chainstate::ChainstateError> {
        self.lock().process_new_block(block)
    }

    pub fn tip_info(&self) -> TipInfo {
        *self.tip.tip.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes every waiter (at shutdown).
    pub fn notify_all(&self) {
        let _g = self.tip.tip.lock().unwrap_or_else(|e| e.into_inner());
        self.tip.changed.notify_all();
    }

    /// Blocks until `done(tip)` holds, `interrupted()` holds, or `timeout`
    /// passes (`None` waits forever); returns the tip at that moment.
    pub fn wait_for(
        &self,
        timeout: Option<Duration>,
        interrupted: &dyn Fn() -> bool,
        done: &dyn Fn(&TipInfo) -> bool,
    ) -> TipInfo {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut tip = self.tip.tip.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if done(&tip) || interrupted() {
                return *tip;
            }
            // Wake at least every 100 ms to notice an interruption that was
            // signalled without this lock.
            let mut slice = Duration::from_millis(100);
            if let Some(d) = deadline {
                let now = Instant::now();
                if now >= d {
                    return *tip;
                }
                slice = slice.min(d - now);
            }
            tip = self
                .tip
                .changed
                .wait_timeout(tip, slice)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Core's `GetDifficulty`, shared with the miner's `getmininginfo`.
pub use widecoin_mining::difficulty as difficulty_from_bits;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difficulty_matches_core() {
        assert_eq!(difficulty_from_bits(0x1d00ffff), 1.0);
        assert_eq!(
            crate::rpc::util::format_g16(difficulty_from_bits(0x207fffff)),
            "4.656542373906925e-10"
        );
        assert_eq!(difficulty_from_bits(0x1e0ffff0), 0.000244140625);
    }
}

// ----- the node's `Chain` for other processes (Core's `ChainImpl`) -----

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Weak;

use bitcoin::consensus::serialize;
use bitcoin::hashes::Hash as _;
use bitcoin::{OutPoint, Transaction, Txid};
use widecoin_chainstate::EntryId;
use widecoin_common::args::ArgsManager;
use widecoin_interfaces::{
    BlockInfo, Chain, ChainNotifications, CoinInfo, FeeEstimate, FoundBlock, FoundBlockRequest,
    Handler, Hash256, IpcError, OutPointRef, PolicyFeeRates, RbfState, RemovalReason,
    RpcCommandSpec, RpcError, RpcErrorCode, RpcHandlerRemote, TxAncestry,
};
use widecoin_rpc::RpcTable;

use crate::context::NodeContext;
use crate::txpool::{PoolEvent, PoolSubscriber};

/// The node's `Chain` for the wallet process and for processes that connect
/// (`-ipcbind`), made once per node: `node.chain_interface`.
pub fn chain_interface(
    node: &Arc<NodeContext>,
    table: Option<&Arc<RpcTable>>,
    args: &ArgsManager,
) -> Arc<ChainInterface> {
    node.chain_interface
        .get_or_init(|| {
            let notifier = Arc::new(Notifier {
                clients: Mutex::new(Vec::new()),
            });
            {
                // Lock order: chain, then pool (the pool tells its changes
                // while locked).
                let mut cm = node.chain.lock();
                cm.add_listener(notifier.clone());
                node.pool.subscribe(notifier.clone());
            }
            // The node's live settings (Core's `gArgs`), shared with the
            // node: a change made through the interface is the node's.
            let settings = node
                .args
                .get_or_init(|| Arc::new(Mutex::new(args.clone())))
                .clone();
            Arc::new(ChainInterface {
                node: Arc::downgrade(node),
                table: table.map(Arc::downgrade),
                args: settings,
                notifier,
                stopped: AtomicBool::new(false),
            })
        })
        .clone()
}

/// The node's [`Chain`] (Core's `ChainImpl`). It holds the node and the RPC
/// table weakly: a client keeping its capability cannot keep them alive.
pub struct ChainInterface {
    node: Weak<NodeContext>,
    /// `None` without `-server`: RPC registrations then go nowhere.
    table: Option<Weak<RpcTable>>,
    /// The node's settings (`NodeContext::args`).
    args: Arc<Mutex<ArgsManager>>,
    notifier: Arc<Notifier>,
    /// Set at the end of shutdown: every call then fails.
    stopped: AtomicBool,
}

fn shutting_down() -> IpcError {
    RpcError::misc("The node is shutting down").into()
}

fn bad_tx(e: impl std::fmt::Display) -> IpcError {
    RpcError::new(
        RpcErrorCode::DESERIALIZATION_ERROR,
        format!("TX decode failed: {e}"),
    )
    .into()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ChainInterface {
    fn node(&self) -> Result<Arc<NodeContext>, IpcError> {
        if self.stopped.load(Ordering::SeqCst) {
            return Err(shutting_down());
        }
        self.node.upgrade().ok_or_else(shutting_down)
    }

    /// The end of shutdown: every later call fails with "The node is
    /// shutting down", and the notification queues stop.
    pub fn node_stopped(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        for c in std::mem::take(&mut *lock(&self.notifier.clients)) {
            c.close();
        }
    }

    /// Core's final `ChainStateFlushed` at shutdown: queues it for every
    /// client and waits (at most `timeout`) until they have it.
    pub fn chain_state_flushed_at_shutdown(&self, timeout: Duration) {
        let Ok(node) = self.node() else { return };
        let locator = {
            let cm = node.chain.lock();
            cm.active_chain().locator(cm.block_index())
        };
        let locator: Vec<Hash256> = locator.iter().map(|h| h.to_byte_array()).collect();
        self.notifier.push(&Event::Flushed(locator));
        self.notifier
            .drain(Some(Instant::now() + timeout), &|| false);
    }
}

fn found_block(
    cm: &ChainstateManager,
    id: EntryId,
    want: &FoundBlockRequest,
) -> Result<FoundBlock, IpcError> {
    let index = cm.block_index();
    let e = index.entry(id);
    let active = cm.active_chain().contains(index, id);
    let data = if want.data {
        cm.get_block(&e.hash)
            .map_err(|err| {
                IpcError::from(RpcError::misc(format!("Can't read block from disk: {err}")))
            })?
            .map(|b| serialize(&b))
    } else {
        None
    };
    Ok(FoundBlock {
        hash: want.hash.then(|| e.hash.to_byte_array()),
        height: want.height.then_some(e.height),
        time: want.time.then(|| i64::from(e.header.time)),
        max_time: want.max_time.then(|| i64::from(e.time_max)),
        mtp_time: want.mtp_time.then(|| index.median_time_past(id)),
        in_active_chain: want.in_active_chain.then_some(active),
        next_block: if want.next_block && active {
            cm.block_hash_at(e.height + 1).map(|h| h.to_byte_array())
        } else {
            None
        },
        data,
    })
}

fn decode_tx(tx: &[u8]) -> Result<Transaction, IpcError> {
    widecoin_consensus::decode::decode_transaction(tx).map_err(bad_tx)
}

impl Chain for ChainInterface {
    fn get_height(&self) -> Result<Option<u32>, IpcError> {
        let node = self.node()?;
        let height = node.chain.lock().height();
        Ok(u32::try_from(height).ok())
    }

    fn get_block_hash(&self, height: u32) -> Result<Option<[u8; 32]>, IpcError> {
        let node = self.node()?;
        let hash = node.chain.lock().block_hash_at(height);
        Ok(hash.map(|h| h.to_byte_array()))
    }

    fn get_setting(&self, name: &str) -> Result<Option<String>, IpcError> {
        self.node()?;
        Ok(lock(&self.args).get_arg(name))
    }

    fn handle_rpc(
        &self,
        command: RpcCommandSpec,
        handler: Arc<dyn RpcHandlerRemote>,
    ) -> Result<Box<dyn Handler>, IpcError> {
        self.node()?;
        crate::wallet_process::register_remote_rpc(self.table.as_ref(), command, handler)
    }

    fn have_block_on_disk(&self, height: u32) -> Result<bool, IpcError> {
        let node = self.node()?;
        let cm = node.chain.lock();
        Ok(cm
            .active_chain()
            .at(height)
            .is_some_and(|id| cm.block_index().entry(id).have_data()))
    }

    fn find_block(
        &self,
        hash: &Hash256,
        want: &FoundBlockRequest,
    ) -> Result<Option<FoundBlock>, IpcError> {
        let node = self.node()?;
        let cm = node.chain.lock();
        let Some(id) = cm.lookup_id(&bitcoin::BlockHash::from_byte_array(*hash)) else {
            return Ok(None);
        };
        found_block(&cm, id, want).map(Some)
    }

    fn find_first_block_with_time_and_height(
        &self,
        min_time: i64,
        min_height: u32,
        want: &FoundBlockRequest,
    ) -> Result<Option<FoundBlock>, IpcError> {
        let node = self.node()?;
        let cm = node.chain.lock();
        let (chain, index) = (cm.active_chain(), cm.block_index());
        let Ok(tip_height) = u32::try_from(chain.height()) else {
            return Ok(None);
        };
        // `time_max` never decreases along a chain: binary search for the
        // first block reaching `min_time` (Core's `FindEarliestAtLeast`).
        let (mut lo, mut hi) = (0u32, tip_height + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let id = chain.at(mid).expect("below the tip");
            if i64::from(index.entry(id).time_max) < min_time {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let height = lo.max(min_height);
        match chain.at(height) {
            Some(id) => found_block(&cm, id, want).map(Some),
            None => Ok(None),
        }
    }

    fn find_ancestor_by_height(
        &self,
        hash: &Hash256,
        ancestor_height: u32,
        want: &FoundBlockRequest,
    ) -> Result<Option<FoundBlock>, IpcError> {
        let node = self.node()?;
        let cm = node.chain.lock();
        let Some(id) = cm.lookup_id(&bitcoin::BlockHash::from_byte_array(*hash)) else {
            return Ok(None);
        };
        match cm.block_index().ancestor(id, ancestor_height) {
            Some(a) => found_block(&cm, a, want).map(Some),
            None => Ok(None),
        }
    }

    fn find_coins(&self, outpoints: &[OutPointRef]) -> Result<Vec<Option<CoinInfo>>, IpcError> {
        let node = self.node()?;
        let cm = node.chain.lock();
        let pool = node.pool.lock();
        let mut out = Vec::with_capacity(outpoints.len());
        for o in outpoints {
            let op = OutPoint {
                txid: Txid::from_byte_array(o.txid),
                vout: o.vout,
            };
            let coin = cm
                .get_coin(&op)
                .map_err(|e| IpcError::from(RpcError::misc(e.to_string())))?;
            out.push(match coin {
                Some(c) => Some(CoinInfo {
                    value: c.output.value.to_sat() as i64,
                    script_pubkey: c.output.script_pubkey.to_bytes(),
                    height: c.height,
                    coinbase: c.coinbase,
                }),
                None => pool
                    .get(&op.txid)
                    .and_then(|e| e.tx.output.get(op.vout as usize))
                    .map(|txout| CoinInfo {
                        value: txout.value.to_sat() as i64,
                        script_pubkey: txout.script_pubkey.to_bytes(),
                        height: widecoin_mempool::MEMPOOL_HEIGHT,
                        coinbase: false,
                    }),
            });
        }
        Ok(out)
    }

    fn is_in_mempool(&self, txid: &Hash256) -> Result<bool, IpcError> {
        let node = self.node()?;
        let pool = node.pool.lock();
        Ok(pool.get(&Txid::from_byte_array(*txid)).is_some())
    }

    fn has_descendants_in_mempool(&self, txid: &Hash256) -> Result<bool, IpcError> {
        let node = self.node()?;
        let pool = node.pool.lock();
        Ok(pool
            .get(&Txid::from_byte_array(*txid))
            .is_some_and(|e| !e.children.is_empty()))
    }

    fn get_transaction_ancestry(&self, txid: &Hash256) -> Result<TxAncestry, IpcError> {
        let node = self.node()?;
        let pool = node.pool.lock();
        let txid = Txid::from_byte_array(*txid);
        if pool.get(&txid).is_none() {
            return Ok(TxAncestry::default());
        }
        let up = pool.with_ancestors(&txid);
        let down = pool.with_descendants(&txid);
        Ok(TxAncestry {
            ancestors: up.count,
            descendants: down.count,
            ancestor_size: up.vsize,
            ancestor_fees: up.fees,
        })
    }

    fn is_rbf_opt_in(&self, tx: &[u8]) -> Result<RbfState, IpcError> {
        let tx = decode_tx(tx)?;
        let node = self.node()?;
        let pool = node.pool.lock();
        let txid = tx.compute_txid();
        let in_pool = pool.get(&txid).is_some();
        let ancestors: Vec<Arc<Transaction>> = if in_pool {
            pool.ancestors(&txid)
                .iter()
                .filter_map(|t| pool.get(t).map(|e| e.tx.clone()))
                .collect()
        } else {
            Vec::new()
        };
        let state =
            widecoin_mempool::is_rbf_opt_in(&tx, in_pool, ancestors.iter().map(|t| t.as_ref()));
        Ok(match state {
            widecoin_mempool::RbfTransactionState::Unknown => RbfState::Unknown,
            widecoin_mempool::RbfTransactionState::ReplaceableBip125 => RbfState::ReplaceableBip125,
            widecoin_mempool::RbfTransactionState::Final => RbfState::Final,
        })
    }

    fn check_chain_limits(&self, tx: &[u8]) -> Result<(), IpcError> {
        let tx = decode_tx(tx)?;
        let node = self.node()?;
        let pool = node.pool.lock();
        let limits = pool.options().limits;
        let mut ancestors: HashSet<Txid> = HashSet::new();
        for input in &tx.input {
            let parent = input.previous_output.txid;
            if pool.get(&parent).is_some() {
                ancestors.insert(parent);
                ancestors.extend(pool.ancestors(&parent));
            }
        }
        if ancestors.len() as u64 + 1 > limits.ancestor_count {
            return Err(RpcError::misc(format!(
                "too many unconfirmed ancestors [limit: {}]",
                limits.ancestor_count
            ))
            .into());
        }
        for a in &ancestors {
            if pool.with_descendants(a).count + 1 > limits.descendant_count {
                return Err(RpcError::misc(format!(
                    "too many descendants for tx {a} [limit: {}]",
                    limits.descendant_count
                ))
                .into());
            }
        }
        Ok(())
    }

    fn broadcast_transaction(
        &self,
        tx: &[u8],
        max_tx_fee: i64,
        relay: bool,
    ) -> Result<Result<(), String>, IpcError> {
        // There is no transaction relay yet: `relay` changes nothing.
        let _ = relay;
        let tx = decode_tx(tx)?;
        let node = self.node()?;
        let cm = node.chain.lock();
        let chain = crate::txpool::ChainAdapter(&cm);
        let txid = tx.compute_txid();
        for vout in 0..tx.output.len() as u32 {
            if widecoin_mempool::CoinView::coin(&chain, &OutPoint { txid, vout }).is_some() {
                return Ok(Err("Transaction already in block chain".into()));
            }
        }
        let mut pool = node.pool.lock();
        if pool.get(&txid).is_none() {
            let now = widecoin_common::time::get_time();
            if max_tx_fee > 0 {
                match pool.test_accept(&tx, &chain, now) {
                    Ok(r) if r.fee > max_tx_fee => {
                        return Ok(Err(
                            "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)"
                                .into(),
                        ))
                    }
                    Ok(_) => {}
                    Err(e) => return Ok(Err(e.to_string())),
                }
            }
            if let Err(e) = pool.accept(&tx, &chain, now) {
                return Ok(Err(e.to_string()));
            }
        }
        Ok(Ok(()))
    }

    fn estimate_smart_fee(
        &self,
        target: u32,
        conservative: bool,
    ) -> Result<Option<FeeEstimate>, IpcError> {
        // The node's fee estimator (crates/fees), when it runs.
        let node = self.node()?;
        let Some(estimator) = node.fee_estimation.estimator() else {
            return Ok(None);
        };
        let target = i32::try_from(target).unwrap_or(i32::MAX);
        let (fee_rate, calc) = estimator.estimate_smart_fee(target, conservative);
        Ok((fee_rate > 0).then(|| FeeEstimate {
            fee_rate,
            returned_target: u32::try_from(calc.returned_target).unwrap_or(0),
        }))
    }

    fn policy_fee_rates(&self) -> Result<PolicyFeeRates, IpcError> {
        let node = self.node()?;
        let pool = node.pool.lock();
        let options = pool.options();
        Ok(PolicyFeeRates {
            mempool_min_fee: pool.min_fee(widecoin_common::time::get_time()).fee_per_k(),
            relay_min_fee: options.min_relay_feerate.fee_per_k(),
            relay_incremental_fee: options.incremental_relay_feerate.fee_per_k(),
            relay_dust_fee: options.dust_relay_feerate.fee_per_k(),
        })
    }

    fn is_initial_block_download(&self) -> Result<bool, IpcError> {
        Ok(self.node()?.is_initial_block_download())
    }

    fn shutdown_requested(&self) -> Result<bool, IpcError> {
        Ok(self
            .node
            .upgrade()
            .is_none_or(|n| n.shutdown.is_requested()))
    }

    fn get_settings_list(&self, name: &str) -> Result<Vec<String>, IpcError> {
        Ok(lock(&self.args)
            .get_settings_list(name)
            .iter()
            .map(|v| v.to_string())
            .collect())
    }

    fn get_rw_setting(&self, name: &str) -> Result<Option<String>, IpcError> {
        Ok(lock(&self.args)
            .settings()
            .rw_settings
            .get(name)
            .map(|v| v.to_string()))
    }

    fn update_rw_setting(&self, name: &str, value_json: Option<&str>) -> Result<bool, IpcError> {
        let value = value_json
            .map(serde_json::from_str::<serde_json::Value>)
            .transpose()
            .map_err(|e| IpcError::from(RpcError::misc(format!("Invalid setting value: {e}"))))?;
        let mut args = lock(&self.args);
        match value {
            Some(v) if !v.is_null() => {
                args.settings_mut().rw_settings.insert(name.to_string(), v);
            }
            _ => {
                args.settings_mut().rw_settings.remove(name);
            }
        }
        Ok(args.write_settings_file().is_ok())
    }

    fn handle_notifications(
        &self,
        notifications: Arc<dyn ChainNotifications>,
    ) -> Result<Box<dyn Handler>, IpcError> {
        let node = self.node()?;
        Ok(Box::new(self.notifier.register(&node, notifications)))
    }

    fn wait_for_notifications_if_tip_changed(&self, old_tip: &Hash256) -> Result<(), IpcError> {
        let node = self.node()?;
        // A client looping on this call must not keep a stopping node busy:
        // from shutdown on it fails at once.
        if node.shutdown.is_requested() {
            return Err(shutting_down());
        }
        {
            // The chainstate tells its listeners while locked: once locked
            // here, every notification of the tip below is queued.
            let _cm = node.chain.lock();
            if node.chain.tip_info().hash.to_byte_array() == *old_tip {
                return Ok(());
            }
        }
        let shutdown = node.shutdown.clone();
        drop(node);
        self.notifier.drain(None, &|| shutdown.is_requested());
        if shutdown.is_requested() {
            return Err(shutting_down());
        }
        Ok(())
    }
}

// ----- notifications: one ordered queue per client -----

/// A queued notification.
#[derive(Clone)]
enum Event {
    TxAdded(Arc<Vec<u8>>, u64),
    TxRemoved(Arc<Vec<u8>>, RemovalReason, u64),
    Connected(Arc<BlockInfo>),
    Disconnected(Arc<BlockInfo>),
    UpdatedTip,
    Flushed(Vec<Hash256>),
}

#[derive(Default)]
struct QueueState {
    events: VecDeque<Event>,
    pushed: u64,
    delivered: u64,
    closed: bool,
}

/// One client's queue and the thread that delivers it, in order: the node
/// only appends, so a slow or stuck client never stalls validation.
struct ClientQueue {
    state: Mutex<QueueState>,
    changed: Condvar,
    target: Arc<dyn ChainNotifications>,
}

impl ClientQueue {
    fn run(&self) {
        loop {
            let event = {
                let mut st = lock(&self.state);
                loop {
                    if st.closed {
                        return;
                    }
                    if let Some(e) = st.events.pop_front() {
                        break e;
                    }
                    st = self.changed.wait(st).unwrap_or_else(|e| e.into_inner());
                }
            };
            let t = &self.target;
            // A failing client is the client's problem, never the node's.
            let _ = match &event {
                Event::TxAdded(tx, seq) => t.transaction_added_to_mempool(tx, *seq),
                Event::TxRemoved(tx, reason, seq) => {
                    t.transaction_removed_from_mempool(tx, *reason, *seq)
                }
                Event::Connected(b) => t.block_connected(b),
                Event::Disconnected(b) => t.block_disconnected(b),
                Event::UpdatedTip => t.updated_block_tip(),
                Event::Flushed(l) => t.chain_state_flushed(l),
            };
            let mut st = lock(&self.state);
            st.delivered += 1;
            self.changed.notify_all();
        }
    }

    fn close(&self) {
        let mut st = lock(&self.state);
        st.closed = true;
        st.events.clear();
        self.changed.notify_all();
    }
}

/// Turns the chainstate's events and mempool changes into queued
/// notifications.
struct Notifier {
    clients: Mutex<Vec<Arc<ClientQueue>>>,
}

impl Notifier {
    fn has_clients(&self) -> bool {
        !lock(&self.clients).is_empty()
    }

    fn push(&self, event: &Event) {
        for c in lock(&self.clients).iter() {
            let mut st = lock(&c.state);
            if !st.closed {
                st.events.push_back(event.clone());
                st.pushed += 1;
                c.changed.notify_all();
            }
        }
    }

    /// Waits until every client has everything queued so far, `stop()`
    /// holds, or `deadline` passes.
    fn drain(&self, deadline: Option<Instant>, stop: &dyn Fn() -> bool) {
        let clients: Vec<Arc<ClientQueue>> = lock(&self.clients).clone();
        for c in clients {
            let mut st = lock(&c.state);
            let target = st.pushed;
            while !st.closed && st.delivered < target && !stop() {
                let mut slice = Duration::from_millis(100);
                if let Some(d) = deadline {
                    let now = Instant::now();
                    if now >= d {
                        return;
                    }
                    slice = slice.min(d - now);
                }
                st = c
                    .changed
                    .wait_timeout(st, slice)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
    }

    fn register(
        self: &Arc<Self>,
        node: &Arc<NodeContext>,
        target: Arc<dyn ChainNotifications>,
    ) -> NotificationsRegistration {
        let queue = Arc::new(ClientQueue {
            state: Mutex::new(QueueState::default()),
            changed: Condvar::new(),
            target,
        });
        {
            // Between the chain's and the pool's changes, so that neither a
            // block nor a mempool change is half told.
            // Lock order: chain, pool, clients.
            let _cm = node.chain.lock();
            let _pool = node.pool.lock();
            lock(&self.clients).push(queue.clone());
        }
        {
            let queue = queue.clone();
            let _ = std::thread::Builder::new()
                .name("ipc-notify".into())
                .spawn(move || queue.run());
        }
        NotificationsRegistration {
            queue,
            notifier: Arc::downgrade(self),
        }
    }

    fn block_info(block: &Block, entry: &BlockIndexEntry) -> Arc<BlockInfo> {
        Arc::new(BlockInfo {
            hash: entry.hash.to_byte_array(),
            prev_hash: block.header.prev_blockhash.to_byte_array(),
            height: entry.height,
            data: serialize(block),
            chain_time_max: i64::from(entry.time_max),
        })
    }
}

/// The pool's changes, told while the pool is locked (Core's
/// `TransactionAddedToMempool` / `TransactionRemovedFromMempool`): a removal
/// for a block is not told, the block is (Core's `removeUnchecked`).
impl PoolSubscriber for Notifier {
    fn pool_events(&self, events: &[PoolEvent]) {
        if !self.has_clients() {
            return;
        }
        for e in events {
            match e {
                PoolEvent::Added { tx, sequence } => {
                    self.push(&Event::TxAdded(Arc::new(serialize(tx.as_ref())), *sequence));
                }
                PoolEvent::Removed {
                    reason: widecoin_mempool::RemovalReason::Block,
                    ..
                } => {}
                PoolEvent::Removed {
                    tx,
                    reason,
                    sequence,
                } => {
                    self.push(&Event::TxRemoved(
                        Arc::new(serialize(tx.as_ref())),
                        removal_reason(*reason),
                        *sequence,
                    ));
                }
            }
        }
    }
}

fn removal_reason(r: widecoin_mempool::RemovalReason) -> RemovalReason {
    use widecoin_mempool::RemovalReason as R;
    match r {
        R::Block => RemovalReason::Block,
        R::Conflict => RemovalReason::Conflict,
        R::Reorg => RemovalReason::Reorg,
        R::Expiry => RemovalReason::Expiry,
        R::SizeLimit => RemovalReason::SizeLimit,
        R::Replaced => RemovalReason::Replaced,
    }
}

impl ValidationListener for Notifier {
    fn block_connected(&self, block: &Block, entry: &BlockIndexEntry) {
        // The pool's own listener (registered first) has removed the block's
        // transactions and told their conflicts: those come first, as in Core.
        if !self.has_clients() {
            return;
        }
        self.push(&Event::Connected(Self::block_info(block, entry)));
    }

    fn block_disconnected(&self, block: &Block, entry: &BlockIndexEntry) {
        if !self.has_clients() {
            return;
        }
        self.push(&Event::Disconnected(Self::block_info(block, entry)));
    }

    fn updated_block_tip(&self, _tip: &BlockIndexEntry, _fork: Option<u32>, _ibd: bool) {
        if self.has_clients() {
            self.push(&Event::UpdatedTip);
        }
    }
}

/// A client's notifications; dropping it stops them.
struct NotificationsRegistration {
    queue: Arc<ClientQueue>,
    notifier: Weak<Notifier>,
}

impl Handler for NotificationsRegistration {
    fn disconnect(&self) -> Result<(), IpcError> {
        if let Some(n) = self.notifier.upgrade() {
            lock(&n.clients).retain(|c| !Arc::ptr_eq(c, &self.queue));
        }
        self.queue.close();
        Ok(())
    }
}

impl Drop for NotificationsRegistration {
    fn drop(&mut self) {
        let _ = self.disconnect();
    }
}
