//! Proxies and servers of [`Chain`], [`Handler`] and [`RpcHandlerRemote`]
//! (Core's `handleRpc`): the node serves `Chain`; a wallet process calls it
//! and hands it an `RpcHandler` capability that the node calls back for each
//! request of a method the wallet registered.
//!
//! Every served method runs on the connection's worker pool, never on the
//! loop thread: a wallet's RPC handler calling `Chain.getHeight` while the
//! node waits for that very handler is then served by another worker of the
//! node, while the waiting thread stays blocked on its own channel.

use std::rc::Rc;
use std::sync::Arc;

use widecoin_interfaces::{
    Chain, ChainNotifications, CoinInfo, FeeEstimate, FoundBlock, FoundBlockRequest, Handler,
    Hash256, IpcError, OutPointRef, PolicyFeeRates, RbfState, RpcArgDoc, RpcArgFallback, RpcCall,
    RpcCommandSpec, RpcHandlerRemote, RpcMethodDoc, RpcResultDoc, TxAncestry,
};

use crate::chain_types::{
    hash_param, hex_contents, rbf_from_wire, rbf_to_wire, read_ancestry, read_coin, read_fee_rates,
    read_found, read_outpoint, read_want, show_found, write_ancestry, write_coin, write_fee_rates,
    write_found, write_outpoint, write_want, ChainNotificationsClient, ChainNotificationsServer,
};

use crate::chain_capnp::{
    chain, handler, rpc_arg_doc, rpc_call, rpc_command, rpc_handler, rpc_result_doc,
};
use crate::client::{call_remote, release_remote, remote_error, utf8};
use crate::connection::{capnp_error, Connection, LocalFuture, LoopLocal};
use crate::log::{escape_contents, log, next_server_seq, Event};
use crate::server::{ipc_to_capnp, remote_parts, run_inline, write_error};

fn text(r: capnp::Result<capnp::text::Reader<'_>>) -> Result<String, capnp::Error> {
    r?.to_string().map_err(crate::server::utf8)
}

// ----- the RPC command's documentation on the wire -----

fn write_arg(mut b: rpc_arg_doc::Builder<'_>, a: &RpcArgDoc) {
    b.set_names(&a.names[..]);
    b.set_arg_type(&a.arg_type[..]);
    {
        let mut f = b.reborrow().init_fallback();
        match &a.fallback {
            RpcArgFallback::Required => f.set_required(()),
            RpcArgFallback::Omitted => f.set_omitted(()),
            RpcArgFallback::DefaultHint(h) => f.set_default_hint(&h[..]),
            RpcArgFallback::Default(json) => f.set_default_json(&json[..]),
        }
    }
    b.set_description(&a.description[..]);
    {
        let mut inner = b.reborrow().init_inner(a.inner.len() as u32);
        for (i, arg) in a.inner.iter().enumerate() {
            write_arg(inner.reborrow().get(i as u32), arg);
        }
    }
    b.set_skip_type_check(a.skip_type_check);
    b.set_oneline_description(&a.oneline_description[..]);
    {
        let mut ts = b.reborrow().init_type_str(a.type_str.len() as u32);
        for (i, t) in a.type_str.iter().enumerate() {
            ts.set(i as u32, &t[..]);
        }
    }
    b.set_hidden(a.hidden);
    b.set_also_positional(a.also_positional);
}

fn read_arg(r: rpc_arg_doc::Reader<'_>) -> Result<RpcArgDoc, capnp::Error> {
    use rpc_arg_doc::fallback::Which;
    let fallback = match r.get_fallback().which()? {
        Which::Required(()) => RpcArgFallback::Required,
        Which::Omitted(()) => RpcArgFallback::Omitted,
        Which::DefaultHint(h) => RpcArgFallback::DefaultHint(text(h)?),
        Which::DefaultJson(j) => RpcArgFallback::Default(text(j)?),
    };
    Ok(RpcArgDoc {
        names: text(r.get_names())?,
        arg_type: text(r.get_arg_type())?,
        fallback,
        description: text(r.get_description())?,
        inner: r
            .get_inner()?
            .iter()
            .map(read_arg)
            .collect::<Result<_, _>>()?,
        skip_type_check: r.get_skip_type_check(),
        oneline_description: text(r.get_oneline_description())?,
        type_str: r
            .get_type_str()?
            .iter()
            .map(text)
            .collect::<Result<_, _>>()?,
        hidden: r.get_hidden(),
        also_positional: r.get_also_positional(),
    })
}

fn write_result(mut b: rpc_result_doc::Builder<'_>, d: &RpcResultDoc) {
    b.set_cond(&d.cond[..]);
    b.set_result_type(&d.result_type[..]);
    b.set_key_name(&d.key_name[..]);
    b.set_optional(d.optional);
    b.set_skip_type_check(d.skip_type_check);
    b.set_description(&d.description[..]);
    let mut inner = b.init_inner(d.inner.len() as u32);
    for (i, r) in d.inner.iter().enumerate() {
        write_result(inner.reborrow().get(i as u32), r);
    }
}

fn read_result(r: rpc_result_doc::Reader<'_>) -> Result<RpcResultDoc, capnp::Error> {
    Ok(RpcResultDoc {
        cond: text(r.get_cond())?,
        result_type: text(r.get_result_type())?,
        key_name: text(r.get_key_name())?,
        optional: r.get_optional(),
        skip_type_check: r.get_skip_type_check(),
        description: text(r.get_description())?,
        inner: r
            .get_inner()?
            .iter()
            .map(read_result)
            .collect::<Result<_, _>>()?,
    })
}

fn write_command(mut b: rpc_command::Builder<'_>, c: &RpcCommandSpec) {
    b.set_category(&c.category[..]);
    b.set_name(&c.doc.name[..]);
    b.set_description(&c.doc.description[..]);
    b.set_examples(&c.doc.examples[..]);
    {
        let mut args = b.reborrow().init_args(c.doc.args.len() as u32);
        for (i, a) in c.doc.args.iter().enumerate() {
            write_arg(args.reborrow().get(i as u32), a);
        }
    }
    let mut results = b.init_results(c.doc.results.len() as u32);
    for (i, r) in c.doc.results.iter().enumerate() {
        write_result(results.reborrow().get(i as u32), r);
    }
}

fn read_command(r: rpc_command::Reader<'_>) -> Result<RpcCommandSpec, capnp::Error> {
    Ok(RpcCommandSpec {
        category: text(r.get_category())?,
        doc: RpcMethodDoc {
            name: text(r.get_name())?,
            description: text(r.get_description())?,
            args: r
                .get_args()?
                .iter()
                .map(read_arg)
                .collect::<Result<_, _>>()?,
            results: r
                .get_results()?
                .iter()
                .map(read_result)
                .collect::<Result<_, _>>()?,
            examples: text(r.get_examples())?,
        },
    })
}

fn write_call(mut b: rpc_call::Builder<'_>, c: &RpcCall) {
    b.set_method(&c.method[..]);
    b.set_params_json(&c.params_json[..]);
    b.set_id_json(&c.id_json[..]);
    b.set_uri(&c.uri[..]);
    b.set_auth_user(&c.auth_user[..]);
    b.set_peer_addr(&c.peer_addr[..]);
    b.set_last_handler(c.last_handler);
}

fn read_call(r: rpc_call::Reader<'_>) -> Result<RpcCall, capnp::Error> {
    Ok(RpcCall {
        method: text(r.get_method())?,
        params_json: text(r.get_params_json())?,
        id_json: text(r.get_id_json())?,
        uri: text(r.get_uri())?,
        auth_user: text(r.get_auth_user())?,
        peer_addr: text(r.get_peer_addr())?,
        last_handler: r.get_last_handler(),
    })
}

/// Reads the `error` field of a result struct, if set.
macro_rules! check_error {
    ($results:expr) => {
        if $results.has_error() {
            return Err(remote_error($results.get_error().map_err(capnp_error)?));
        }
    };
}

// ----- Chain -----

/// A remote [`Chain`], as a proxy (in the wallet process).
#[derive(Debug)]
pub struct ChainClient {
    conn: Connection,
    id: u64,
}

impl ChainClient {
    pub(crate) fn new(conn: Connection, id: u64) -> ChainClient {
        ChainClient { conn, id }
    }

    /// Wraps `cap`, received on this loop, for callers on any thread.
    pub(crate) fn adopt(
        local: &LoopLocal,
        cap: capnp::capability::Client,
    ) -> Result<ChainClient, IpcError> {
        let (conn, id) = local.adopt(cap)?;
        Ok(ChainClient { conn, id })
    }
}

impl ChainClient {
    /// Calls `Chain.<method>` through [`call_remote`].
    fn rpc<T: Send + 'static>(
        &self,
        method: &'static str,
        contents: impl FnOnce() -> String,
        f: impl FnOnce(chain::Client) -> LocalFuture<Result<T, IpcError>> + Send + 'static,
        shown: impl FnOnce(&T) -> String,
    ) -> Result<T, IpcError> {
        call_remote(
            &self.conn,
            self.id,
            method,
            contents,
            move |client: chain::Client, _| f(client),
            shown,
        )
    }
}

impl Drop for ChainClient {
    fn drop(&mut self) {
        release_remote(&self.conn, self.id);
    }
}

impl Chain for ChainClient {
    fn get_height(&self) -> Result<Option<u32>, IpcError> {
        call_remote(
            &self.conn,
            self.id,
            "Chain.getHeight",
            String::new,
            |client: chain::Client, _| -> LocalFuture<_> {
                Box::pin(async move {
                    let response = client
                        .get_height_request()
                        .send()
                        .promise
                        .await
                        .map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    Ok(r.get_has_height().then(|| r.get_height()))
                })
            },
            |h| format!("{h:?}"),
        )
    }

    fn get_block_hash(&self, height: u32) -> Result<Option<[u8; 32]>, IpcError> {
        call_remote(
            &self.conn,
            self.id,
            "Chain.getBlockHash",
            || height.to_string(),
            move |client: chain::Client, _| -> LocalFuture<_> {
                Box::pin(async move {
                    let mut request = client.get_block_hash_request();
                    request.get().set_height(height);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    let hash = r.get_hash().map_err(capnp_error)?;
                    if hash.is_empty() {
                        return Ok(None);
                    }
                    let hash: [u8; 32] = hash.try_into().map_err(|_| {
                        IpcError::Transport(format!("a block hash of {} bytes", hash.len()))
                    })?;
                    Ok(Some(hash))
                })
            },
            |h| h.map(hex_rev).unwrap_or_default(),
        )
    }

    fn get_setting(&self, name: &str) -> Result<Option<String>, IpcError> {
        let name = name.to_owned();
        let shown = escape_contents(&name);
        call_remote(
            &self.conn,
            self.id,
            "Chain.getSetting",
            || shown,
            move |client: chain::Client, _| -> LocalFuture<_> {
                Box::pin(async move {
                    let mut request = client.get_setting_request();
                    request.get().set_name(&name[..]);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    if !r.get_has_value() {
                        return Ok(None);
                    }
                    let value = r.get_value().map_err(capnp_error)?;
                    Ok(Some(value.to_string().map_err(utf8)?))
                })
            },
            |v| v.as_deref().map(escape_contents).unwrap_or_default(),
        )
    }

    fn handle_rpc(
        &self,
        command: RpcCommandSpec,
        handler: Arc<dyn RpcHandlerRemote>,
    ) -> Result<Box<dyn Handler>, IpcError> {
        let name = escape_contents(&command.doc.name);
        let id = call_remote(
            &self.conn,
            self.id,
            "Chain.handleRpc",
            || name,
            move |client: chain::Client, ctx| -> LocalFuture<_> {
                // The handler is served by this process's loop; the server is
                // made on the loop thread, where capnp objects live.
                let local = ctx.local();
                Box::pin(async move {
                    let server = RpcHandlerServer {
                        handler,
                        local: local.clone(),
                    };
                    let mut request = client.handle_rpc_request();
                    write_command(request.get().init_command(), &command);
                    request.get().set_handler(capnp_rpc::new_client(server));
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    let result: handler::Client = r.get_result().map_err(capnp_error)?;
                    Ok(local.caps.add(result.client))
                })
            },
            |_| String::new(),
        )?;
        Ok(Box::new(HandlerClient {
            conn: self.conn.clone(),
            id,
        }))
    }

    fn have_block_on_disk(&self, height: u32) -> Result<bool, IpcError> {
        self.rpc(
            "Chain.haveBlockOnDisk",
            || height.to_string(),
            move |c| {
                Box::pin(async move {
                    let mut request = c.have_block_on_disk_request();
                    request.get().set_height(height);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    Ok(r.get_result())
                })
            },
            |v| v.to_string(),
        )
    }

    fn find_block(
        &self,
        hash: &Hash256,
        want: &FoundBlockRequest,
    ) -> Result<Option<FoundBlock>, IpcError> {
        let (hash, want) = (*hash, *want);
        self.rpc(
            "Chain.findBlock",
            || format!("{} {want:?}", hex_rev(hash)),
            move |c| {
                Box::pin(async move {
                    let mut request = c.find_block_request();
                    request.get().set_hash(&hash[..]);
                    write_want(request.get().init_want(), &want);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    read_found(r.get_result().map_err(capnp_error)?)
                })
            },
            show_found,
        )
    }

    fn find_first_block_with_time_and_height(
        &self,
        min_time: i64,
        min_height: u32,
        want: &FoundBlockRequest,
    ) -> Result<Option<FoundBlock>, IpcError> {
        let want = *want;
        self.rpc(
            "Chain.findFirstBlockWithTimeAndHeight",
            || format!("{min_time} {min_height} {want:?}"),
            move |c| {
                Box::pin(async move {
                    let mut request = c.find_first_block_with_time_and_height_request();
                    request.get().set_min_time(min_time);
                    request.get().set_min_height(min_height);
                    write_want(request.get().init_want(), &want);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    read_found(r.get_result().map_err(capnp_error)?)
                })
            },
            show_found,
        )
    }

    fn find_ancestor_by_height(
        &self,
        hash: &Hash256,
        ancestor_height: u32,
        want: &FoundBlockRequest,
    ) -> Result<Option<FoundBlock>, IpcError> {
        let (hash, want) = (*hash, *want);
        self.rpc(
            "Chain.findAncestorByHeight",
            || format!("{} {ancestor_height} {want:?}", hex_rev(hash)),
            move |c| {
                Box::pin(async move {
                    let mut request = c.find_ancestor_by_height_request();
                    request.get().set_hash(&hash[..]);
                    request.get().set_ancestor_height(ancestor_height);
                    write_want(request.get().init_want(), &want);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    read_found(r.get_result().map_err(capnp_error)?)
                })
            },
            show_found,
        )
    }

    fn find_coins(&self, outpoints: &[OutPointRef]) -> Result<Vec<Option<CoinInfo>>, IpcError> {
        let outpoints = outpoints.to_vec();
        let shown = format!("{} outpoints", outpoints.len());
        self.rpc(
            "Chain.findCoins",
            || shown,
            move |c| {
                Box::pin(async move {
                    let mut request = c.find_coins_request();
                    {
                        let mut list = request.get().init_outpoints(outpoints.len() as u32);
                        for (i, o) in outpoints.iter().enumerate() {
                            write_outpoint(list.reborrow().get(i as u32), o);
                        }
                    }
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    let coins = r.get_coins().map_err(capnp_error)?;
                    if coins.len() as usize != outpoints.len() {
                        return Err(IpcError::Transport(format!(
                            "{} coins for {} outpoints",
                            coins.len(),
                            outpoints.len()
                        )));
                    }
                    coins.iter().map(read_coin).collect()
                })
            },
            |v: &Vec<Option<CoinInfo>>| {
                format!("{} found", v.iter().filter(|c| c.is_some()).count())
            },
        )
    }

    fn is_in_mempool(&self, txid: &Hash256) -> Result<bool, IpcError> {
        let txid = *txid;
        self.rpc(
            "Chain.isInMempool",
            || hex_rev(txid),
            move |c| {
                Box::pin(async move {
                    let mut request = c.is_in_mempool_request();
                    request.get().set_txid(&txid[..]);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    Ok(r.get_result())
                })
            },
            |v| v.to_string(),
        )
    }

    fn has_descendants_in_mempool(&self, txid: &Hash256) -> Result<bool, IpcError> {
        let txid = *txid;
        self.rpc(
            "Chain.hasDescendantsInMempool",
            || hex_rev(txid),
            move |c| {
                Box::pin(async move {
                    let mut request = c.has_descendants_in_mempool_request();
                    request.get().set_txid(&txid[..]);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    Ok(r.get_result())
                })
            },
            |v| v.to_string(),
        )
    }

    fn get_transaction_ancestry(&self, txid: &Hash256) -> Result<TxAncestry, IpcError> {
        let txid = *txid;
        self.rpc(
            "Chain.getTransactionAncestry",
            || hex_rev(txid),
            move |c| {
                Box::pin(async move {
                    let mut request = c.get_transaction_ancestry_request();
                    request.get().set_txid(&txid[..]);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    Ok(read_ancestry(r.get_result().map_err(capnp_error)?))
                })
            },
            |v| format!("{v:?}"),
        )
    }

    fn is_rbf_opt_in(&self, tx: &[u8]) -> Result<RbfState, IpcError> {
        let tx = tx.to_vec();
        let shown = hex_contents(&tx);
        self.rpc(
            "Chain.isRbfOptIn",
            || shown,
            move |c| {
                Box::pin(async move {
                    let mut request = c.is_rbf_opt_in_request();
                    request.get().set_tx(&tx[..]);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    let state = r
                        .get_result()
                        .map_err(|e| IpcError::Transport(format!("unknown RBF state {}", e.0)))?;
                    Ok(rbf_from_wire(state))
                })
            },
            |v| format!("{v:?}"),
        )
    }

    fn check_chain_limits(&self, tx: &[u8]) -> Result<(), IpcError> {
        let tx = tx.to_vec();
        let shown = hex_contents(&tx);
        self.rpc(
            "Chain.checkChainLimits",
            || shown,
            move |c| {
                Box::pin(async move {
                    let mut request = c.check_chain_limits_request();
                    request.get().set_tx(&tx[..]);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    Ok(())
                })
            },
            |_| String::new(),
        )
    }

    fn broadcast_transaction(
        &self,
        tx: &[u8],
        max_tx_fee: i64,
        relay: bool,
    ) -> Result<Result<(), String>, IpcError> {
        let tx = tx.to_vec();
        let shown = format!("{max_tx_fee} {relay} {}", hex_contents(&tx));
        self.rpc(
            "Chain.broadcastTransaction",
            || shown,
            move |c| {
                Box::pin(async move {
                    let mut request = c.broadcast_transaction_request();
                    request.get().set_tx(&tx[..]);
                    request.get().set_max_tx_fee(max_tx_fee);
                    request.get().set_relay(relay);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    if r.get_success() {
                        return Ok(Ok(()));
                    }
                    let why = r.get_err_string().map_err(capnp_error)?;
                    Ok(Err(why.to_string().map_err(utf8)?))
                })
            },
            |v| format!("{v:?}"),
        )
    }

    fn estimate_smart_fee(
        &self,
        target: u32,
        conservative: bool,
    ) -> Result<Option<FeeEstimate>, IpcError> {
        self.rpc(
            "Chain.estimateSmartFee",
            || format!("{target} {conservative}"),
            move |c| {
                Box::pin(async move {
                    let mut request = c.estimate_smart_fee_request();
                    request.get().set_target(target);
                    request.get().set_conservative(conservative);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    Ok(r.get_has_estimate().then(|| FeeEstimate {
                        fee_rate: r.get_fee_rate(),
                        returned_target: r.get_returned_target(),
                    }))
                })
            },
            |v| format!("{v:?}"),
        )
    }

    fn policy_fee_rates(&self) -> Result<PolicyFeeRates, IpcError> {
        self.rpc(
            "Chain.policyFeeRates",
            String::new,
            move |c| {
                Box::pin(async move {
                    let request = c.policy_fee_rates_request();
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    Ok(read_fee_rates(r.get_result().map_err(capnp_error)?))
                })
            },
            |v| format!("{v:?}"),
        )
    }

    fn is_initial_block_download(&self) -> Result<bool, IpcError> {
        self.rpc(
            "Chain.isInitialBlockDownload",
            String::new,
            move |c| {
                Box::pin(async move {
                    let request = c.is_initial_block_download_request();
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    Ok(r.get_result())
                })
            },
            |v| v.to_string(),
        )
    }

    fn shutdown_requested(&self) -> Result<bool, IpcError> {
        self.rpc(
            "Chain.shutdownRequested",
            String::new,
            move |c| {
                Box::pin(async move {
                    let request = c.shutdown_requested_request();
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    Ok(r.get_result())
                })
            },
            |v| v.to_string(),
        )
    }

    fn get_settings_list(&self, name: &str) -> Result<Vec<String>, IpcError> {
        let name = name.to_owned();
        let shown = escape_contents(&name);
        self.rpc(
            "Chain.getSettingsList",
            || shown,
            move |c| {
                Box::pin(async move {
                    let mut request = c.get_settings_list_request();
                    request.get().set_name(&name[..]);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    r.get_values()
                        .map_err(capnp_error)?
                        .iter()
                        .map(|v| v.map_err(capnp_error)?.to_string().map_err(utf8))
                        .collect()
                })
            },
            |v: &Vec<String>| escape_contents(&v.join(",")),
        )
    }

    fn get_rw_setting(&self, name: &str) -> Result<Option<String>, IpcError> {
        let name = name.to_owned();
        let shown = escape_contents(&name);
        self.rpc(
            "Chain.getRwSetting",
            || shown,
            move |c| {
                Box::pin(async move {
                    let mut request = c.get_rw_setting_request();
                    request.get().set_name(&name[..]);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    if !r.get_has_value() {
                        return Ok(None);
                    }
                    let v = r.get_value().map_err(capnp_error)?;
                    Ok(Some(v.to_string().map_err(utf8)?))
                })
            },
            |v| v.as_deref().map(escape_contents).unwrap_or_default(),
        )
    }

    fn update_rw_setting(&self, name: &str, value_json: Option<&str>) -> Result<bool, IpcError> {
        let name = name.to_owned();
        let value = value_json.map(str::to_owned);
        let shown = format!(
            "{} {}",
            escape_contents(&name),
            value.as_deref().map(escape_contents).unwrap_or_default()
        );
        self.rpc(
            "Chain.updateRwSetting",
            || shown,
            move |c| {
                Box::pin(async move {
                    let mut request = c.update_rw_setting_request();
                    request.get().set_name(&name[..]);
                    if let Some(v) = &value {
                        request.get().set_has_value(true);
                        request.get().set_value(&v[..]);
                    }
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    Ok(r.get_result())
                })
            },
            |v| v.to_string(),
        )
    }

    fn handle_notifications(
        &self,
        notifications: Arc<dyn ChainNotifications>,
    ) -> Result<Box<dyn Handler>, IpcError> {
        let id = call_remote(
            &self.conn,
            self.id,
            "Chain.handleNotifications",
            String::new,
            move |client: chain::Client, ctx| -> LocalFuture<_> {
                let local = ctx.local();
                Box::pin(async move {
                    let server = ChainNotificationsServer {
                        notifications,
                        local: local.clone(),
                    };
                    let mut request = client.handle_notifications_request();
                    request
                        .get()
                        .set_notifications(capnp_rpc::new_client(server));
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    let result: handler::Client = r.get_result().map_err(capnp_error)?;
                    Ok(local.caps.add(result.client))
                })
            },
            |_| String::new(),
        )?;
        Ok(Box::new(HandlerClient {
            conn: self.conn.clone(),
            id,
        }))
    }

    fn wait_for_notifications_if_tip_changed(&self, old_tip: &Hash256) -> Result<(), IpcError> {
        let old_tip = *old_tip;
        self.rpc(
            "Chain.waitForNotificationsIfTipChanged",
            || hex_rev(old_tip),
            move |c| {
                Box::pin(async move {
                    let mut request = c.wait_for_notifications_if_tip_changed_request();
                    request.get().set_old_tip(&old_tip[..]);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    Ok(())
                })
            },
            |_| String::new(),
        )
    }
}

/// A hash in the byte order people read (reversed), for the log.
fn hex_rev(h: [u8; 32]) -> String {
    h.iter().rev().map(|b| format!("{b:02x}")).collect()
}

/// Serves a [`Chain`] implementation (in the node).
pub(crate) struct ChainServer {
    chain: Arc<dyn Chain>,
    local: Rc<LoopLocal>,
}

impl ChainServer {
    pub(crate) fn new(chain: Arc<dyn Chain>, local: Rc<LoopLocal>) -> ChainServer {
        ChainServer { chain, local }
    }

    /// Runs `f` on a worker, or inline when the implementation says so.
    async fn run<T: Send + 'static>(
        &self,
        method: &str,
        f: impl FnOnce(&dyn Chain) -> T + Send + 'static,
    ) -> Result<T, capnp::Error> {
        let chain = self.chain.clone();
        if chain.runs_inline(method) {
            run_inline(move || f(chain.as_ref()))
        } else {
            self.local.pool.run(move || f(chain.as_ref())).await
        }
    }
}

impl ChainServer {
    /// Logs the request, runs `f` (see [`ChainServer::run`]), logs the
    /// response; the application error to write back, if any.
    async fn serve<T: Send + 'static>(
        &self,
        method: &'static str,
        contents: String,
        f: impl FnOnce(&dyn Chain) -> Result<T, IpcError> + Send + 'static,
        shown: impl FnOnce(&T) -> String,
    ) -> Result<Result<T, (i32, String)>, capnp::Error> {
        let name = format!("Chain.{method}");
        let seq = next_server_seq();
        log(Event::ServerRecvRequest, seq, &name, || contents);
        let answer = self.run(method, f).await?;
        log(Event::ServerSendResponse, seq, &name, || match &answer {
            Ok(v) => shown(v),
            Err(e) => e.to_string(),
        });
        match answer {
            Ok(v) => Ok(Ok(v)),
            Err(e) => Ok(Err(remote_parts(e)?)),
        }
    }
}

impl chain::Server for ChainServer {
    async fn get_height(
        self: Rc<Self>,
        _params: chain::GetHeightParams,
        mut results: chain::GetHeightResults,
    ) -> Result<(), capnp::Error> {
        let seq = next_server_seq();
        log(
            Event::ServerRecvRequest,
            seq,
            "Chain.getHeight",
            String::new,
        );
        let answer = self.run("getHeight", |c| c.get_height()).await?;
        let shown = format!("{answer:?}");
        match answer {
            Ok(h) => {
                let mut r = results.get();
                r.set_has_height(h.is_some());
                r.set_height(h.unwrap_or(0));
            }
            Err(e) => write_error(results.get().init_error(), remote_parts(e)?),
        }
        log(Event::ServerSendResponse, seq, "Chain.getHeight", || shown);
        Ok(())
    }

    async fn get_block_hash(
        self: Rc<Self>,
        params: chain::GetBlockHashParams,
        mut results: chain::GetBlockHashResults,
    ) -> Result<(), capnp::Error> {
        let height = params.get()?.get_height();
        let seq = next_server_seq();
        log(Event::ServerRecvRequest, seq, "Chain.getBlockHash", || {
            height.to_string()
        });
        let answer = self
            .run("getBlockHash", move |c| c.get_block_hash(height))
            .await?;
        let shown = match &answer {
            Ok(h) => h.map(hex_rev).unwrap_or_default(),
            Err(e) => e.to_string(),
        };
        match answer {
            Ok(Some(h)) => results.get().set_hash(&h[..]),
            Ok(None) => {}
            Err(e) => write_error(results.get().init_error(), remote_parts(e)?),
        }
        log(Event::ServerSendResponse, seq, "Chain.getBlockHash", || {
            shown
        });
        Ok(())
    }

    async fn get_setting(
        self: Rc<Self>,
        params: chain::GetSettingParams,
        mut results: chain::GetSettingResults,
    ) -> Result<(), capnp::Error> {
        let name = text(params.get()?.get_name())?;
        let seq = next_server_seq();
        log(Event::ServerRecvRequest, seq, "Chain.getSetting", || {
            escape_contents(&name)
        });
        let answer = self
            .run("getSetting", move |c| c.get_setting(&name))
            .await?;
        let shown = match &answer {
            Ok(v) => v.as_deref().map(escape_contents).unwrap_or_default(),
            Err(e) => e.to_string(),
        };
        match answer {
            Ok(Some(v)) => {
                let mut r = results.get();
                r.set_has_value(true);
                r.set_value(&v[..]);
            }
            Ok(None) => {}
            Err(e) => write_error(results.get().init_error(), remote_parts(e)?),
        }
        log(Event::ServerSendResponse, seq, "Chain.getSetting", || shown);
        Ok(())
    }

    async fn handle_rpc(
        self: Rc<Self>,
        params: chain::HandleRpcParams,
        mut results: chain::HandleRpcResults,
    ) -> Result<(), capnp::Error> {
        let p = params.get()?;
        let command = read_command(p.get_command()?)?;
        let seq = next_server_seq();
        log(Event::ServerRecvRequest, seq, "Chain.handleRpc", || {
            escape_contents(&command.doc.name)
        });
        let remote: Arc<dyn RpcHandlerRemote> = Arc::new(
            RpcHandlerClient::adopt(&self.local, p.get_handler()?.client).map_err(ipc_to_capnp)?,
        );
        let answer = self
            .run("handleRpc", move |c| c.handle_rpc(command, remote))
            .await?;
        let shown = match &answer {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        };
        match answer {
            Ok(h) => {
                let server = HandlerServer {
                    handler: Arc::from(h),
                    local: self.local.clone(),
                };
                results.get().set_result(capnp_rpc::new_client(server));
            }
            Err(e) => write_error(results.get().init_error(), remote_parts(e)?),
        }
        log(Event::ServerSendResponse, seq, "Chain.handleRpc", || shown);
        Ok(())
    }

    async fn have_block_on_disk(
        self: Rc<Self>,
        params: chain::HaveBlockOnDiskParams,
        mut results: chain::HaveBlockOnDiskResults,
    ) -> Result<(), capnp::Error> {
        let height = params.get()?.get_height();
        match self
            .serve(
                "haveBlockOnDisk",
                height.to_string(),
                move |c| c.have_block_on_disk(height),
                |v| v.to_string(),
            )
            .await?
        {
            Ok(v) => results.get().set_result(v),
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn find_block(
        self: Rc<Self>,
        params: chain::FindBlockParams,
        mut results: chain::FindBlockResults,
    ) -> Result<(), capnp::Error> {
        let p = params.get()?;
        let hash = hash_param(p.get_hash()?)?;
        let want = read_want(p.get_want()?);
        match self
            .serve(
                "findBlock",
                format!("{} {want:?}", hex_rev(hash)),
                move |c| c.find_block(&hash, &want),
                show_found,
            )
            .await?
        {
            Ok(v) => write_found(results.get().init_result(), &v),
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn find_first_block_with_time_and_height(
        self: Rc<Self>,
        params: chain::FindFirstBlockWithTimeAndHeightParams,
        mut results: chain::FindFirstBlockWithTimeAndHeightResults,
    ) -> Result<(), capnp::Error> {
        let p = params.get()?;
        let (min_time, min_height) = (p.get_min_time(), p.get_min_height());
        let want = read_want(p.get_want()?);
        match self
            .serve(
                "findFirstBlockWithTimeAndHeight",
                format!("{min_time} {min_height} {want:?}"),
                move |c| c.find_first_block_with_time_and_height(min_time, min_height, &want),
                show_found,
            )
            .await?
        {
            Ok(v) => write_found(results.get().init_result(), &v),
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn find_ancestor_by_height(
        self: Rc<Self>,
        params: chain::FindAncestorByHeightParams,
        mut results: chain::FindAncestorByHeightResults,
    ) -> Result<(), capnp::Error> {
        let p = params.get()?;
        let hash = hash_param(p.get_hash()?)?;
        let height = p.get_ancestor_height();
        let want = read_want(p.get_want()?);
        match self
            .serve(
                "findAncestorByHeight",
                format!("{} {height} {want:?}", hex_rev(hash)),
                move |c| c.find_ancestor_by_height(&hash, height, &want),
                show_found,
            )
            .await?
        {
            Ok(v) => write_found(results.get().init_result(), &v),
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn find_coins(
        self: Rc<Self>,
        params: chain::FindCoinsParams,
        mut results: chain::FindCoinsResults,
    ) -> Result<(), capnp::Error> {
        let outpoints = params
            .get()?
            .get_outpoints()?
            .iter()
            .map(read_outpoint)
            .collect::<Result<Vec<_>, _>>()?;
        match self
            .serve(
                "findCoins",
                format!("{} outpoints", outpoints.len()),
                move |c| c.find_coins(&outpoints),
                |v: &Vec<Option<CoinInfo>>| {
                    format!("{} found", v.iter().filter(|c| c.is_some()).count())
                },
            )
            .await?
        {
            Ok(coins) => {
                let mut list = results.get().init_coins(coins.len() as u32);
                for (i, c) in coins.iter().enumerate() {
                    write_coin(list.reborrow().get(i as u32), c);
                }
            }
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn is_in_mempool(
        self: Rc<Self>,
        params: chain::IsInMempoolParams,
        mut results: chain::IsInMempoolResults,
    ) -> Result<(), capnp::Error> {
        let txid = hash_param(params.get()?.get_txid()?)?;
        match self
            .serve(
                "isInMempool",
                hex_rev(txid),
                move |c| c.is_in_mempool(&txid),
                |v| v.to_string(),
            )
            .await?
        {
            Ok(v) => results.get().set_result(v),
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn has_descendants_in_mempool(
        self: Rc<Self>,
        params: chain::HasDescendantsInMempoolParams,
        mut results: chain::HasDescendantsInMempoolResults,
    ) -> Result<(), capnp::Error> {
        let txid = hash_param(params.get()?.get_txid()?)?;
        match self
            .serve(
                "hasDescendantsInMempool",
                hex_rev(txid),
                move |c| c.has_descendants_in_mempool(&txid),
                |v| v.to_string(),
            )
            .await?
        {
            Ok(v) => results.get().set_result(v),
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn get_transaction_ancestry(
        self: Rc<Self>,
        params: chain::GetTransactionAncestryParams,
        mut results: chain::GetTransactionAncestryResults,
    ) -> Result<(), capnp::Error> {
        let txid = hash_param(params.get()?.get_txid()?)?;
        match self
            .serve(
                "getTransactionAncestry",
                hex_rev(txid),
                move |c| c.get_transaction_ancestry(&txid),
                |v| format!("{v:?}"),
            )
            .await?
        {
            Ok(v) => write_ancestry(results.get().init_result(), &v),
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn is_rbf_opt_in(
        self: Rc<Self>,
        params: chain::IsRbfOptInParams,
        mut results: chain::IsRbfOptInResults,
    ) -> Result<(), capnp::Error> {
        let tx = params.get()?.get_tx()?.to_vec();
        match self
            .serve(
                "isRbfOptIn",
                hex_contents(&tx),
                move |c| c.is_rbf_opt_in(&tx),
                |v| format!("{v:?}"),
            )
            .await?
        {
            Ok(v) => results.get().set_result(rbf_to_wire(v)),
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn check_chain_limits(
        self: Rc<Self>,
        params: chain::CheckChainLimitsParams,
        mut results: chain::CheckChainLimitsResults,
    ) -> Result<(), capnp::Error> {
        let tx = params.get()?.get_tx()?.to_vec();
        if let Err(e) = self
            .serve(
                "checkChainLimits",
                hex_contents(&tx),
                move |c| c.check_chain_limits(&tx),
                |_| String::new(),
            )
            .await?
        {
            write_error(results.get().init_error(), e);
        }
        Ok(())
    }

    async fn broadcast_transaction(
        self: Rc<Self>,
        params: chain::BroadcastTransactionParams,
        mut results: chain::BroadcastTransactionResults,
    ) -> Result<(), capnp::Error> {
        let p = params.get()?;
        let tx = p.get_tx()?.to_vec();
        let (max_tx_fee, relay) = (p.get_max_tx_fee(), p.get_relay());
        match self
            .serve(
                "broadcastTransaction",
                format!("{max_tx_fee} {relay} {}", hex_contents(&tx)),
                move |c| c.broadcast_transaction(&tx, max_tx_fee, relay),
                |v| format!("{v:?}"),
            )
            .await?
        {
            Ok(Ok(())) => results.get().set_success(true),
            Ok(Err(why)) => results.get().set_err_string(&why[..]),
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn estimate_smart_fee(
        self: Rc<Self>,
        params: chain::EstimateSmartFeeParams,
        mut results: chain::EstimateSmartFeeResults,
    ) -> Result<(), capnp::Error> {
        let p = params.get()?;
        let (target, conservative) = (p.get_target(), p.get_conservative());
        match self
            .serve(
                "estimateSmartFee",
                format!("{target} {conservative}"),
                move |c| c.estimate_smart_fee(target, conservative),
                |v| format!("{v:?}"),
            )
            .await?
        {
            Ok(Some(f)) => {
                let mut r = results.get();
                r.set_has_estimate(true);
                r.set_fee_rate(f.fee_rate);
                r.set_returned_target(f.returned_target);
            }
            Ok(None) => {}
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn policy_fee_rates(
        self: Rc<Self>,
        _params: chain::PolicyFeeRatesParams,
        mut results: chain::PolicyFeeRatesResults,
    ) -> Result<(), capnp::Error> {
        match self
            .serve(
                "policyFeeRates",
                String::new(),
                |c| c.policy_fee_rates(),
                |v| format!("{v:?}"),
            )
            .await?
        {
            Ok(v) => write_fee_rates(results.get().init_result(), &v),
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn is_initial_block_download(
        self: Rc<Self>,
        _params: chain::IsInitialBlockDownloadParams,
        mut results: chain::IsInitialBlockDownloadResults,
    ) -> Result<(), capnp::Error> {
        match self
            .serve(
                "isInitialBlockDownload",
                String::new(),
                |c| c.is_initial_block_download(),
                |v| v.to_string(),
            )
            .await?
        {
            Ok(v) => results.get().set_result(v),
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn shutdown_requested(
        self: Rc<Self>,
        _params: chain::ShutdownRequestedParams,
        mut results: chain::ShutdownRequestedResults,
    ) -> Result<(), capnp::Error> {
        match self
            .serve(
                "shutdownRequested",
                String::new(),
                |c| c.shutdown_requested(),
                |v| v.to_string(),
            )
            .await?
        {
            Ok(v) => results.get().set_result(v),
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn get_settings_list(
        self: Rc<Self>,
        params: chain::GetSettingsListParams,
        mut results: chain::GetSettingsListResults,
    ) -> Result<(), capnp::Error> {
        let name = text(params.get()?.get_name())?;
        match self
            .serve(
                "getSettingsList",
                escape_contents(&name),
                move |c| c.get_settings_list(&name),
                |v: &Vec<String>| escape_contents(&v.join(",")),
            )
            .await?
        {
            Ok(values) => {
                let mut list = results.get().init_values(values.len() as u32);
                for (i, v) in values.iter().enumerate() {
                    list.set(i as u32, &v[..]);
                }
            }
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn get_rw_setting(
        self: Rc<Self>,
        params: chain::GetRwSettingParams,
        mut results: chain::GetRwSettingResults,
    ) -> Result<(), capnp::Error> {
        let name = text(params.get()?.get_name())?;
        match self
            .serve(
                "getRwSetting",
                escape_contents(&name),
                move |c| c.get_rw_setting(&name),
                |v| v.as_deref().map(escape_contents).unwrap_or_default(),
            )
            .await?
        {
            Ok(Some(v)) => {
                let mut r = results.get();
                r.set_has_value(true);
                r.set_value(&v[..]);
            }
            Ok(None) => {}
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn update_rw_setting(
        self: Rc<Self>,
        params: chain::UpdateRwSettingParams,
        mut results: chain::UpdateRwSettingResults,
    ) -> Result<(), capnp::Error> {
        let p = params.get()?;
        let name = text(p.get_name())?;
        let value = if p.get_has_value() {
            Some(text(p.get_value())?)
        } else {
            None
        };
        let shown = format!(
            "{} {}",
            escape_contents(&name),
            value.as_deref().map(escape_contents).unwrap_or_default()
        );
        match self
            .serve(
                "updateRwSetting",
                shown,
                move |c| c.update_rw_setting(&name, value.as_deref()),
                |v| v.to_string(),
            )
            .await?
        {
            Ok(v) => results.get().set_result(v),
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn handle_notifications(
        self: Rc<Self>,
        params: chain::HandleNotificationsParams,
        mut results: chain::HandleNotificationsResults,
    ) -> Result<(), capnp::Error> {
        let cap = params.get()?.get_notifications()?;
        let remote: Arc<dyn ChainNotifications> = Arc::new(
            ChainNotificationsClient::adopt(&self.local, cap.client).map_err(ipc_to_capnp)?,
        );
        match self
            .serve(
                "handleNotifications",
                String::new(),
                move |c| c.handle_notifications(remote),
                |_| String::new(),
            )
            .await?
        {
            Ok(h) => {
                let server = HandlerServer {
                    handler: Arc::from(h),
                    local: self.local.clone(),
                };
                results.get().set_result(capnp_rpc::new_client(server));
            }
            Err(e) => write_error(results.get().init_error(), e),
        }
        Ok(())
    }

    async fn wait_for_notifications_if_tip_changed(
        self: Rc<Self>,
        params: chain::WaitForNotificationsIfTipChangedParams,
        mut results: chain::WaitForNotificationsIfTipChangedResults,
    ) -> Result<(), capnp::Error> {
        let old_tip = hash_param(params.get()?.get_old_tip()?)?;
        if let Err(e) = self
            .serve(
                "waitForNotificationsIfTipChanged",
                hex_rev(old_tip),
                move |c| c.wait_for_notifications_if_tip_changed(&old_tip),
                |_| String::new(),
            )
            .await?
        {
            write_error(results.get().init_error(), e);
        }
        Ok(())
    }
}

// ----- Handler -----

/// A remote [`Handler`], as a proxy: dropping it releases the remote
/// registration, which unregisters it.
#[derive(Debug)]
pub struct HandlerClient {
    conn: Connection,
    id: u64,
}

impl Handler for HandlerClient {
    fn disconnect(&self) -> Result<(), IpcError> {
        call_remote(
            &self.conn,
            self.id,
            "Handler.disconnect",
            String::new,
            |client: handler::Client, _| -> LocalFuture<_> {
                Box::pin(async move {
                    let response = client
                        .disconnect_request()
                        .send()
                        .promise
                        .await
                        .map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    Ok(())
                })
            },
            |_| String::new(),
        )
    }
}

impl Drop for HandlerClient {
    fn drop(&mut self) {
        release_remote(&self.conn, self.id);
    }
}

/// Serves a [`Handler`]; dropped (with the handler, which unregisters) when
/// the peer releases it or the connection closes.
pub(crate) struct HandlerServer {
    handler: Arc<dyn Handler>,
    local: Rc<LoopLocal>,
}

impl handler::Server for HandlerServer {
    async fn disconnect(
        self: Rc<Self>,
        _params: handler::DisconnectParams,
        mut results: handler::DisconnectResults,
    ) -> Result<(), capnp::Error> {
        let seq = next_server_seq();
        log(
            Event::ServerRecvRequest,
            seq,
            "Handler.disconnect",
            String::new,
        );
        let handler = self.handler.clone();
        let answer = self.local.pool.run(move || handler.disconnect()).await?;
        if let Err(e) = answer {
            write_error(results.get().init_error(), remote_parts(e)?);
        }
        log(
            Event::ServerSendResponse,
            seq,
            "Handler.disconnect",
            String::new,
        );
        Ok(())
    }
}

// ----- RpcHandler -----

/// A remote [`RpcHandlerRemote`], as a proxy (in the node).
#[derive(Debug)]
pub struct RpcHandlerClient {
    conn: Connection,
    id: u64,
}

impl RpcHandlerClient {
    fn adopt(local: &LoopLocal, cap: capnp::capability::Client) -> Result<Self, IpcError> {
        let (conn, id) = local.adopt(cap)?;
        Ok(RpcHandlerClient { conn, id })
    }
}

impl Drop for RpcHandlerClient {
    fn drop(&mut self) {
        release_remote(&self.conn, self.id);
    }
}

impl RpcHandlerRemote for RpcHandlerClient {
    fn call(&self, call: &RpcCall) -> Result<String, IpcError> {
        let call = call.clone();
        let shown = format!("{} {}", call.method, escape_contents(&call.params_json));
        call_remote(
            &self.conn,
            self.id,
            "RpcHandler.call",
            || shown,
            move |client: rpc_handler::Client, _| -> LocalFuture<_> {
                Box::pin(async move {
                    let mut request = client.call_request();
                    write_call(request.get().init_call(), &call);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    check_error!(r);
                    r.get_result_json()
                        .map_err(capnp_error)?
                        .to_string()
                        .map_err(utf8)
                })
            },
            |json| escape_contents(json),
        )
    }
}

/// Serves an [`RpcHandlerRemote`] (in the process that registered a method).
struct RpcHandlerServer {
    handler: Arc<dyn RpcHandlerRemote>,
    local: Rc<LoopLocal>,
}

impl rpc_handler::Server for RpcHandlerServer {
    async fn call(
        self: Rc<Self>,
        params: rpc_handler::CallParams,
        mut results: rpc_handler::CallResults,
    ) -> Result<(), capnp::Error> {
        let call = read_call(params.get()?.get_call()?)?;
        let seq = next_server_seq();
        log(Event::ServerRecvRequest, seq, "RpcHandler.call", || {
            format!("{} {}", call.method, escape_contents(&call.params_json))
        });
        let handler = self.handler.clone();
        let answer = self.local.pool.run(move || handler.call(&call)).await?;
        let shown = match &answer {
            Ok(json) => escape_contents(json),
            Err(e) => e.to_string(),
        };
        match answer {
            Ok(json) => results.get().set_result_json(&json[..]),
            Err(e) => write_error(results.get().init_error(), remote_parts(e)?),
        }
        log(Event::ServerSendResponse, seq, "RpcHandler.call", || shown);
        Ok(())
    }
}
