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
    Chain, Handler, IpcError, RpcArgDoc, RpcArgFallback, RpcCall, RpcCommandSpec, RpcHandlerRemote,
    RpcMethodDoc, RpcResultDoc,
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
    /// Wraps `cap`, received on this loop, for callers on any thread.
    pub(crate) fn adopt(
        local: &LoopLocal,
        cap: capnp::capability::Client,
    ) -> Result<ChainClient, IpcError> {
        let (conn, id) = local.adopt(cap)?;
        Ok(ChainClient { conn, id })
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
struct HandlerServer {
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
