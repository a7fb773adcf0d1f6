//! Proxies: `Send + Sync` implementations of the `widecoin-interfaces` traits
//! that forward each call over a [`Connection`].

use std::sync::Arc;

use widecoin_interfaces::{Chain, Echo, Init, IpcError, WalletLoader};

use crate::chain::ChainServer;
use crate::common_capnp::remote_error;
use crate::connection::{capnp_error, Connection, LocalFuture, LoopCtx};
use crate::echo_capnp::echo;
use crate::log::{escape_contents, log, next_client_seq, Event};
use crate::wallet::WalletLoaderClient;
use crate::wallet_capnp::wallet_loader;

pub(crate) fn remote_error(e: remote_error::Reader<'_>) -> IpcError {
    IpcError::Remote {
        code: e.get_code(),
        message: e
            .get_message()
            .ok()
            .and_then(|m| m.to_string().ok())
            .unwrap_or_default(),
    }
}

pub(crate) fn utf8(e: std::str::Utf8Error) -> IpcError {
    IpcError::Transport(format!("invalid UTF-8 in IPC text: {e}"))
}

/// The peer's [`Init`], as a proxy.
#[derive(Debug, Clone)]
pub struct InitClient {
    conn: Connection,
}

impl InitClient {
    /// The `Init` served by the other end of `conn`.
    pub fn new(conn: Connection) -> InitClient {
        InitClient { conn }
    }

    /// The connection this proxy calls through.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

impl Init for InitClient {
    fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError> {
        let seq = next_client_seq();
        log(Event::ClientSendRequest, seq, "Init.makeEcho", String::new);
        let id = self.conn.call(|ctx| -> LocalFuture<Result<u64, IpcError>> {
            let request = ctx.remote_init.make_echo_request();
            let ctx_caps = ctx.cap_registry();
            Box::pin(async move {
                let response = request.send().promise.await.map_err(capnp_error)?;
                let results = response.get().map_err(capnp_error)?;
                if results.has_error() {
                    return Err(remote_error(results.get_error().map_err(capnp_error)?));
                }
                let echo: echo::Client = results.get_result().map_err(capnp_error)?;
                Ok(ctx_caps.add(echo.client))
            })
        });
        log(
            Event::ClientRecvResponse,
            seq,
            "Init.makeEcho",
            || match &id {
                Ok(_) => String::new(),
                Err(e) => e.to_string(),
            },
        );
        Ok(Box::new(EchoClient {
            conn: self.conn.clone(),
            id: id?,
        }))
    }

    fn make_chain(&self) -> Result<Arc<dyn Chain>, IpcError> {
        let seq = next_client_seq();
        log(Event::ClientSendRequest, seq, "Init.makeChain", String::new);
        let id = self.conn.call(|ctx| -> LocalFuture<Result<u64, IpcError>> {
            let request = ctx.remote_init.make_chain_request();
            let ctx_caps = ctx.cap_registry();
            Box::pin(async move {
                let response = request.send().promise.await.map_err(capnp_error)?;
                let results = response.get().map_err(capnp_error)?;
                if results.has_error() {
                    return Err(remote_error(results.get_error().map_err(capnp_error)?));
                }
                let chain: crate::chain_capnp::chain::Client =
                    results.get_result().map_err(capnp_error)?;
                Ok(ctx_caps.add(chain.client))
            })
        });
        log(
            Event::ClientRecvResponse,
            seq,
            "Init.makeChain",
            || match &id {
                Ok(_) => String::new(),
                Err(e) => e.to_string(),
            },
        );
        Ok(Arc::new(crate::chain::ChainClient::new(
            self.conn.clone(),
            id?,
        )))
    }

    fn make_wallet_loader(&self, chain: Arc<dyn Chain>) -> Result<Box<dyn WalletLoader>, IpcError> {
        let seq = next_client_seq();
        log(
            Event::ClientSendRequest,
            seq,
            "Init.makeWalletLoader",
            String::new,
        );
        let id = self.conn.call(|ctx| -> LocalFuture<Result<u64, IpcError>> {
            // This process serves `chain` to the peer from now on.
            let server = ChainServer::new(chain, ctx.local());
            let mut request = ctx.remote_init.make_wallet_loader_request();
            request.get().set_chain(capnp_rpc::new_client(server));
            let ctx_caps = ctx.cap_registry();
            Box::pin(async move {
                let response = request.send().promise.await.map_err(capnp_error)?;
                let results = response.get().map_err(capnp_error)?;
                if results.has_error() {
                    return Err(remote_error(results.get_error().map_err(capnp_error)?));
                }
                let loader: wallet_loader::Client = results.get_result().map_err(capnp_error)?;
                Ok(ctx_caps.add(loader.client))
            })
        });
        log(
            Event::ClientRecvResponse,
            seq,
            "Init.makeWalletLoader",
            || match &id {
                Ok(_) => String::new(),
                Err(e) => e.to_string(),
            },
        );
        Ok(Box::new(WalletLoaderClient::new(self.conn.clone(), id?)))
    }
}

/// A remote [`Echo`], as a proxy.
#[derive(Debug)]
pub struct EchoClient {
    conn: Connection,
    id: u64,
}

impl Echo for EchoClient {
    fn echo(&self, text: &str) -> Result<String, IpcError> {
        let seq = next_client_seq();
        log(Event::ClientSendRequest, seq, "Echo.echo", || {
            escape_contents(text)
        });
        let id = self.id;
        let text = text.to_owned();
        let answer = self
            .conn
            .call(move |ctx| -> LocalFuture<Result<String, IpcError>> {
                let client: Option<echo::Client> = ctx.cap(id);
                Box::pin(async move {
                    let client = client.ok_or(IpcError::Disconnected)?;
                    let mut request = client.echo_request();
                    request.get().set_text(&text[..]);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let results = response.get().map_err(capnp_error)?;
                    if results.has_error() {
                        return Err(remote_error(results.get_error().map_err(capnp_error)?));
                    }
                    results
                        .get_result()
                        .map_err(capnp_error)?
                        .to_string()
                        .map_err(utf8)
                })
            });
        log(
            Event::ClientRecvResponse,
            seq,
            "Echo.echo",
            || match &answer {
                Ok(back) => escape_contents(back),
                Err(e) => e.to_string(),
            },
        );
        answer
    }
}

impl Drop for EchoClient {
    fn drop(&mut self) {
        let id = self.id;
        // Releases the remote object; nothing to do if the connection is gone.
        let _ = self.conn.post(Box::new(move |ctx| ctx.release_cap(id)));
    }
}

/// Calls a method of the remote capability `id` (an interface `C`) through
/// `conn`, logging the request and the response (`-debug=ipc`). `f` builds
/// and sends the request on the loop thread (the context lets it serve a
/// capability it passes).
pub(crate) fn call_remote<C, T, F>(
    conn: &Connection,
    id: u64,
    method: &'static str,
    request_contents: impl FnOnce() -> String,
    f: F,
    response_contents: impl FnOnce(&T) -> String,
) -> Result<T, IpcError>
where
    C: capnp::capability::FromClientHook + 'static,
    T: Send + 'static,
    F: FnOnce(C, &LoopCtx) -> LocalFuture<Result<T, IpcError>> + Send + 'static,
{
    let seq = next_client_seq();
    log(Event::ClientSendRequest, seq, method, request_contents);
    let answer = conn.call(move |ctx| -> LocalFuture<Result<T, IpcError>> {
        match ctx.cap::<C>(id) {
            Some(client) => f(client, ctx),
            None => Box::pin(async { Err(IpcError::Disconnected) }),
        }
    });
    log(Event::ClientRecvResponse, seq, method, || match &answer {
        Ok(v) => response_contents(v),
        Err(e) => e.to_string(),
    });
    answer
}

/// Releases the remote capability `id` of `conn` (when a proxy is dropped);
/// nothing to do if the connection is gone.
pub(crate) fn release_remote(conn: &Connection, id: u64) {
    let _ = conn.post(Box::new(move |ctx| ctx.release_cap(id)));
}
