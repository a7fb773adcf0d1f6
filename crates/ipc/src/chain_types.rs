//! The owned data of `Chain` and `ChainNotifications` on the wire, both
//! directions, and the `ChainNotifications` proxy and server.

use std::rc::Rc;
use std::sync::Arc;

use widecoin_interfaces::{
    BlockInfo, ChainNotifications, CoinInfo, FoundBlock, FoundBlockRequest, Hash256, IpcError,
    OutPointRef, PolicyFeeRates, RbfState, RemovalReason, TxAncestry,
};

use crate::chain_capnp::{
    block_info, chain_notifications, coin, found_block, found_block_request, out_point,
    policy_fee_rates, tx_ancestry,
};
use crate::client::{call_remote, release_remote, remote_error};
use crate::connection::{capnp_error, Connection, LocalFuture, LoopLocal};
use crate::log::{escape_contents, log, next_server_seq, Event};
use crate::server::{remote_parts, write_error};

/// Hex of the first bytes of binary contents, for trace lines (the log
/// cuts it at 200 characters).
pub(crate) fn hex_contents(data: &[u8]) -> String {
    let n = data.len().min(100);
    let mut s = hex::encode(&data[..n]);
    if data.len() > n {
        s.push_str(&format!("... ({} bytes)", data.len()));
    }
    s
}

/// A hash in the byte order people read (reversed), for the log.
pub(crate) fn hex_rev(h: &Hash256) -> String {
    h.iter().rev().map(|b| format!("{b:02x}")).collect()
}

/// A hash sent by the peer (caller side): empty is none.
pub(crate) fn opt_hash(d: &[u8]) -> Result<Option<Hash256>, IpcError> {
    if d.is_empty() {
        return Ok(None);
    }
    d.try_into()
        .map(Some)
        .map_err(|_| IpcError::Transport(format!("a hash of {} bytes", d.len())))
}

/// A hash parameter (server side): exactly 32 bytes.
pub(crate) fn hash_param(d: &[u8]) -> Result<Hash256, capnp::Error> {
    d.try_into()
        .map_err(|_| capnp::Error::failed(format!("a hash of {} bytes", d.len())))
}

pub(crate) fn write_want(mut b: found_block_request::Builder<'_>, w: &FoundBlockRequest) {
    b.set_hash(w.hash);
    b.set_height(w.height);
    b.set_time(w.time);
    b.set_max_time(w.max_time);
    b.set_mtp_time(w.mtp_time);
    b.set_in_active_chain(w.in_active_chain);
    b.set_next_block(w.next_block);
    b.set_data(w.data);
}

pub(crate) fn read_want(r: found_block_request::Reader<'_>) -> FoundBlockRequest {
    FoundBlockRequest {
        hash: r.get_hash(),
        height: r.get_height(),
        time: r.get_time(),
        max_time: r.get_max_time(),
        mtp_time: r.get_mtp_time(),
        in_active_chain: r.get_in_active_chain(),
        next_block: r.get_next_block(),
        data: r.get_data(),
    }
}

pub(crate) fn write_found(mut b: found_block::Builder<'_>, f: &Option<FoundBlock>) {
    let Some(f) = f else {
        return;
    };
    b.set_found(true);
    if let Some(h) = &f.hash {
        b.set_hash(&h[..]);
    }
    if let Some(v) = f.height {
        b.set_has_height(true);
        b.set_height(v);
    }
    if let Some(v) = f.time {
        b.set_has_time(true);
        b.set_time(v);
    }
    if let Some(v) = f.max_time {
        b.set_has_max_time(true);
        b.set_max_time(v);
    }
    if let Some(v) = f.mtp_time {
        b.set_has_mtp_time(true);
        b.set_mtp_time(v);
    }
    if let Some(v) = f.in_active_chain {
        b.set_has_in_active_chain(true);
        b.set_in_active_chain(v);
    }
    if let Some(h) = &f.next_block {
        b.set_next_block(&h[..]);
    }
    if let Some(d) = &f.data {
        b.set_has_data(true);
        b.set_data(&d[..]);
    }
}

pub(crate) fn read_found(r: found_block::Reader<'_>) -> Result<Option<FoundBlock>, IpcError> {
    if !r.get_found() {
        return Ok(None);
    }
    Ok(Some(FoundBlock {
        hash: opt_hash(r.get_hash().map_err(capnp_error)?)?,
        height: r.get_has_height().then(|| r.get_height()),
        time: r.get_has_time().then(|| r.get_time()),
        max_time: r.get_has_max_time().then(|| r.get_max_time()),
        mtp_time: r.get_has_mtp_time().then(|| r.get_mtp_time()),
        in_active_chain: r.get_has_in_active_chain().then(|| r.get_in_active_chain()),
        next_block: opt_hash(r.get_next_block().map_err(capnp_error)?)?,
        data: if r.get_has_data() {
            Some(r.get_data().map_err(capnp_error)?.to_vec())
        } else {
            None
        },
    }))
}

/// A found block for the log.
pub(crate) fn show_found(f: &Option<FoundBlock>) -> String {
    match f {
        None => "not found".into(),
        Some(f) => format!(
            "hash={} height={:?} time={:?} max_time={:?} mtp_time={:?} active={:?} next={} data={}",
            f.hash.as_ref().map(hex_rev).unwrap_or_default(),
            f.height,
            f.time,
            f.max_time,
            f.mtp_time,
            f.in_active_chain,
            f.next_block.as_ref().map(hex_rev).unwrap_or_default(),
            f.data.as_deref().map(hex_contents).unwrap_or_default()
        ),
    }
}

pub(crate) fn write_outpoint(mut b: out_point::Builder<'_>, o: &OutPointRef) {
    b.set_txid(&o.txid[..]);
    b.set_vout(o.vout);
}

pub(crate) fn read_outpoint(r: out_point::Reader<'_>) -> Result<OutPointRef, capnp::Error> {
    Ok(OutPointRef {
        txid: hash_param(r.get_txid()?)?,
        vout: r.get_vout(),
    })
}

pub(crate) fn write_coin(mut b: coin::Builder<'_>, c: &Option<CoinInfo>) {
    if let Some(c) = c {
        b.set_found(true);
        b.set_value(c.value);
        b.set_script_pub_key(&c.script_pubkey[..]);
        b.set_height(c.height);
        b.set_coinbase(c.coinbase);
    }
}

pub(crate) fn read_coin(r: coin::Reader<'_>) -> Result<Option<CoinInfo>, IpcError> {
    if !r.get_found() {
        return Ok(None);
    }
    Ok(Some(CoinInfo {
        value: r.get_value(),
        script_pubkey: r.get_script_pub_key().map_err(capnp_error)?.to_vec(),
        height: r.get_height(),
        coinbase: r.get_coinbase(),
    }))
}

pub(crate) fn write_ancestry(mut b: tx_ancestry::Builder<'_>, a: &TxAncestry) {
    b.set_ancestors(a.ancestors);
    b.set_descendants(a.descendants);
    b.set_ancestor_size(a.ancestor_size);
    b.set_ancestor_fees(a.ancestor_fees);
}

pub(crate) fn read_ancestry(r: tx_ancestry::Reader<'_>) -> TxAncestry {
    TxAncestry {
        ancestors: r.get_ancestors(),
        descendants: r.get_descendants(),
        ancestor_size: r.get_ancestor_size(),
        ancestor_fees: r.get_ancestor_fees(),
    }
}

pub(crate) fn rbf_to_wire(s: RbfState) -> crate::chain_capnp::RbfState {
    use crate::chain_capnp::RbfState as W;
    match s {
        RbfState::Unknown => W::Unknown,
        RbfState::ReplaceableBip125 => W::ReplaceableBip125,
        RbfState::Final => W::Final,
    }
}

pub(crate) fn rbf_from_wire(s: crate::chain_capnp::RbfState) -> RbfState {
    use crate::chain_capnp::RbfState as W;
    match s {
        W::Unknown => RbfState::Unknown,
        W::ReplaceableBip125 => RbfState::ReplaceableBip125,
        W::Final => RbfState::Final,
    }
}

pub(crate) fn write_fee_rates(mut b: policy_fee_rates::Builder<'_>, f: &PolicyFeeRates) {
    b.set_mempool_min_fee(f.mempool_min_fee);
    b.set_relay_min_fee(f.relay_min_fee);
    b.set_relay_incremental_fee(f.relay_incremental_fee);
    b.set_relay_dust_fee(f.relay_dust_fee);
}

pub(crate) fn read_fee_rates(r: policy_fee_rates::Reader<'_>) -> PolicyFeeRates {
    PolicyFeeRates {
        mempool_min_fee: r.get_mempool_min_fee(),
        relay_min_fee: r.get_relay_min_fee(),
        relay_incremental_fee: r.get_relay_incremental_fee(),
        relay_dust_fee: r.get_relay_dust_fee(),
    }
}

fn write_block_info(mut b: block_info::Builder<'_>, i: &BlockInfo) {
    b.set_hash(&i.hash[..]);
    b.set_prev_hash(&i.prev_hash[..]);
    b.set_height(i.height);
    b.set_data(&i.data[..]);
    b.set_chain_time_max(i.chain_time_max);
}

fn read_block_info(r: block_info::Reader<'_>) -> Result<BlockInfo, capnp::Error> {
    Ok(BlockInfo {
        hash: hash_param(r.get_hash()?)?,
        prev_hash: hash_param(r.get_prev_hash()?)?,
        height: r.get_height(),
        data: r.get_data()?.to_vec(),
        chain_time_max: r.get_chain_time_max(),
    })
}

fn show_block_info(i: &BlockInfo) -> String {
    format!("{} height={}", hex_rev(&i.hash), i.height)
}

// ----- ChainNotifications -----

/// A remote [`ChainNotifications`], as a proxy (in the node).
#[derive(Debug)]
pub struct ChainNotificationsClient {
    conn: Connection,
    id: u64,
}

impl ChainNotificationsClient {
    pub(crate) fn adopt(
        local: &LoopLocal,
        cap: capnp::capability::Client,
    ) -> Result<Self, IpcError> {
        let (conn, id) = local.adopt(cap)?;
        Ok(ChainNotificationsClient { conn, id })
    }

    fn notify(
        &self,
        method: &'static str,
        contents: impl FnOnce() -> String,
        f: impl FnOnce(chain_notifications::Client) -> LocalFuture<Result<(), IpcError>>
            + Send
            + 'static,
    ) -> Result<(), IpcError> {
        call_remote(
            &self.conn,
            self.id,
            method,
            contents,
            move |client: chain_notifications::Client, _| f(client),
            |_| String::new(),
        )
    }
}

impl Drop for ChainNotificationsClient {
    fn drop(&mut self) {
        release_remote(&self.conn, self.id);
    }
}

/// Sends `$request` and checks the `error` field of the answer.
macro_rules! send_void {
    ($request:expr) => {{
        let response = $request.send().promise.await.map_err(capnp_error)?;
        let r = response.get().map_err(capnp_error)?;
        if r.has_error() {
            return Err(remote_error(r.get_error().map_err(capnp_error)?));
        }
        Ok(())
    }};
}

impl ChainNotifications for ChainNotificationsClient {
    fn transaction_added_to_mempool(
        &self,
        tx: &[u8],
        mempool_sequence: u64,
    ) -> Result<(), IpcError> {
        let tx = tx.to_vec();
        let shown = hex_contents(&tx);
        self.notify(
            "ChainNotifications.transactionAddedToMempool",
            || shown,
            move |c| {
                Box::pin(async move {
                    let mut request = c.transaction_added_to_mempool_request();
                    request.get().set_tx(&tx[..]);
                    request.get().set_mempool_sequence(mempool_sequence);
                    send_void!(request)
                })
            },
        )
    }

    fn transaction_removed_from_mempool(
        &self,
        tx: &[u8],
        reason: RemovalReason,
        mempool_sequence: u64,
    ) -> Result<(), IpcError> {
        let tx = tx.to_vec();
        let shown = format!("{} {}", reason.as_str(), hex_contents(&tx));
        self.notify(
            "ChainNotifications.transactionRemovedFromMempool",
            || shown,
            move |c| {
                Box::pin(async move {
                    let mut request = c.transaction_removed_from_mempool_request();
                    request.get().set_tx(&tx[..]);
                    request.get().set_reason(reason.as_str());
                    request.get().set_mempool_sequence(mempool_sequence);
                    send_void!(request)
                })
            },
        )
    }

    fn block_connected(&self, block: &BlockInfo) -> Result<(), IpcError> {
        let block = block.clone();
        let shown = show_block_info(&block);
        self.notify(
            "ChainNotifications.blockConnected",
            || shown,
            move |c| {
                Box::pin(async move {
                    let mut request = c.block_connected_request();
                    write_block_info(request.get().init_block(), &block);
                    send_void!(request)
                })
            },
        )
    }

    fn block_disconnected(&self, block: &BlockInfo) -> Result<(), IpcError> {
        let block = block.clone();
        let shown = show_block_info(&block);
        self.notify(
            "ChainNotifications.blockDisconnected",
            || shown,
            move |c| {
                Box::pin(async move {
                    let mut request = c.block_disconnected_request();
                    write_block_info(request.get().init_block(), &block);
                    send_void!(request)
                })
            },
        )
    }

    fn updated_block_tip(&self) -> Result<(), IpcError> {
        self.notify(
            "ChainNotifications.updatedBlockTip",
            String::new,
            move |c| {
                Box::pin(async move {
                    let request = c.updated_block_tip_request();
                    send_void!(request)
                })
            },
        )
    }

    fn chain_state_flushed(&self, locator: &[Hash256]) -> Result<(), IpcError> {
        let locator = locator.to_vec();
        let shown = locator.first().map(hex_rev).unwrap_or_default();
        self.notify(
            "ChainNotifications.chainStateFlushed",
            || shown,
            move |c| {
                Box::pin(async move {
                    let mut request = c.chain_state_flushed_request();
                    let mut list = request.get().init_locator(locator.len() as u32);
                    for (i, h) in locator.iter().enumerate() {
                        list.set(i as u32, &h[..]);
                    }
                    send_void!(request)
                })
            },
        )
    }
}

/// Serves a [`ChainNotifications`] (in the client, e.g. the wallet). Each
/// notification runs on a worker: the implementation may call the node.
pub(crate) struct ChainNotificationsServer {
    pub(crate) notifications: Arc<dyn ChainNotifications>,
    pub(crate) local: Rc<LoopLocal>,
}

impl ChainNotificationsServer {
    async fn serve(
        &self,
        method: &'static str,
        contents: String,
        f: impl FnOnce(&dyn ChainNotifications) -> Result<(), IpcError> + Send + 'static,
    ) -> Result<Option<(i32, String)>, capnp::Error> {
        let seq = next_server_seq();
        log(Event::ServerRecvRequest, seq, method, || contents);
        let n = self.notifications.clone();
        let answer = self.local.pool.run(move || f(n.as_ref())).await?;
        log(Event::ServerSendResponse, seq, method, || match &answer {
            Ok(()) => String::new(),
            Err(e) => e.to_string(),
        });
        answer.err().map(remote_parts).transpose()
    }
}

impl chain_notifications::Server for ChainNotificationsServer {
    async fn transaction_added_to_mempool(
        self: Rc<Self>,
        params: chain_notifications::TransactionAddedToMempoolParams,
        mut results: chain_notifications::TransactionAddedToMempoolResults,
    ) -> Result<(), capnp::Error> {
        let p = params.get()?;
        let tx = p.get_tx()?.to_vec();
        let seq = p.get_mempool_sequence();
        let shown = hex_contents(&tx);
        if let Some(e) = self
            .serve(
                "ChainNotifications.transactionAddedToMempool",
                shown,
                move |n| n.transaction_added_to_mempool(&tx, seq),
            )
            .await?
        {
            write_error(results.get().init_error(), e);
        }
        Ok(())
    }

    async fn transaction_removed_from_mempool(
        self: Rc<Self>,
        params: chain_notifications::TransactionRemovedFromMempoolParams,
        mut results: chain_notifications::TransactionRemovedFromMempoolResults,
    ) -> Result<(), capnp::Error> {
        let p = params.get()?;
        let tx = p.get_tx()?.to_vec();
        let seq = p.get_mempool_sequence();
        let reason_text = p.get_reason()?.to_string().map_err(crate::server::utf8)?;
        let reason = RemovalReason::from_name(&reason_text).ok_or_else(|| {
            capnp::Error::failed(format!(
                "unknown removal reason {}",
                escape_contents(&reason_text)
            ))
        })?;
        let shown = format!("{reason_text} {}", hex_contents(&tx));
        if let Some(e) = self
            .serve(
                "ChainNotifications.transactionRemovedFromMempool",
                shown,
                move |n| n.transaction_removed_from_mempool(&tx, reason, seq),
            )
            .await?
        {
            write_error(results.get().init_error(), e);
        }
        Ok(())
    }

    async fn block_connected(
        self: Rc<Self>,
        params: chain_notifications::BlockConnectedParams,
        mut results: chain_notifications::BlockConnectedResults,
    ) -> Result<(), capnp::Error> {
        let block = read_block_info(params.get()?.get_block()?)?;
        let shown = show_block_info(&block);
        if let Some(e) = self
            .serve("ChainNotifications.blockConnected", shown, move |n| {
                n.block_connected(&block)
            })
            .await?
        {
            write_error(results.get().init_error(), e);
        }
        Ok(())
    }

    async fn block_disconnected(
        self: Rc<Self>,
        params: chain_notifications::BlockDisconnectedParams,
        mut results: chain_notifications::BlockDisconnectedResults,
    ) -> Result<(), capnp::Error> {
        let block = read_block_info(params.get()?.get_block()?)?;
        let shown = show_block_info(&block);
        if let Some(e) = self
            .serve("ChainNotifications.blockDisconnected", shown, move |n| {
                n.block_disconnected(&block)
            })
            .await?
        {
            write_error(results.get().init_error(), e);
        }
        Ok(())
    }

    async fn updated_block_tip(
        self: Rc<Self>,
        _params: chain_notifications::UpdatedBlockTipParams,
        mut results: chain_notifications::UpdatedBlockTipResults,
    ) -> Result<(), capnp::Error> {
        if let Some(e) = self
            .serve(
                "ChainNotifications.updatedBlockTip",
                String::new(),
                move |n| n.updated_block_tip(),
            )
            .await?
        {
            write_error(results.get().init_error(), e);
        }
        Ok(())
    }

    async fn chain_state_flushed(
        self: Rc<Self>,
        params: chain_notifications::ChainStateFlushedParams,
        mut results: chain_notifications::ChainStateFlushedResults,
    ) -> Result<(), capnp::Error> {
        let locator = params
            .get()?
            .get_locator()?
            .iter()
            .map(|h| hash_param(h?))
            .collect::<Result<Vec<_>, _>>()?;
        let shown = locator.first().map(hex_rev).unwrap_or_default();
        if let Some(e) = self
            .serve("ChainNotifications.chainStateFlushed", shown, move |n| {
                n.chain_state_flushed(&locator)
            })
            .await?
        {
            write_error(results.get().init_error(), e);
        }
        Ok(())
    }
}
