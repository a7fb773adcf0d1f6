//! Proxy and server of [`WalletLoader`] (Core's `ChainClient`): the wallet
//! process serves it; the node drives it.

use std::rc::Rc;
use std::sync::Arc;

use widecoin_interfaces::{IpcError, WalletLoader};

use crate::client::{call_remote, release_remote, remote_error};
use crate::connection::LoopLocal;
use crate::connection::{capnp_error, Connection, LocalFuture};
use crate::log::{log, next_server_seq, Event};
use crate::server::{remote_parts, write_error};
use crate::wallet_capnp::wallet_loader;

/// A remote [`WalletLoader`], as a proxy (in the node).
#[derive(Debug)]
pub struct WalletLoaderClient {
    conn: Connection,
    id: u64,
}

impl WalletLoaderClient {
    pub(crate) fn new(conn: Connection, id: u64) -> Self {
        WalletLoaderClient { conn, id }
    }
}

impl Drop for WalletLoaderClient {
    fn drop(&mut self) {
        release_remote(&self.conn, self.id);
    }
}

/// The three methods have the same shape: no arguments, an optional error.
macro_rules! void_call {
    ($self:ident, $name:literal, $request:ident) => {
        call_remote(
            &$self.conn,
            $self.id,
            $name,
            String::new,
            |client: wallet_loader::Client, _| -> LocalFuture<_> {
                Box::pin(async move {
                    let response = client
                        .$request()
                        .send()
                        .promise
                        .await
                        .map_err(capnp_error)?;
                    let r = response.get().map_err(capnp_error)?;
                    if r.has_error() {
                        return Err(remote_error(r.get_error().map_err(capnp_error)?));
                    }
                    Ok(())
                })
            },
            |_| String::new(),
        )
    };
}

impl WalletLoader for WalletLoaderClient {
    fn register_rpcs(&self) -> Result<(), IpcError> {
        void_call!(self, "WalletLoader.registerRpcs", register_rpcs_request)
    }

    fn start(&self) -> Result<(), IpcError> {
        void_call!(self, "WalletLoader.start", start_request)
    }

    fn stop(&self) -> Result<(), IpcError> {
        void_call!(self, "WalletLoader.stop", stop_request)
    }
}

/// Serves a [`WalletLoader`] (in the wallet process). Its methods call back
/// into the node's `Chain` (e.g. `registerRpcs` calls `handleRpc`), so they
/// always run on workers.
pub(crate) struct WalletLoaderServer {
    loader: Arc<dyn WalletLoader>,
    local: Rc<LoopLocal>,
}

impl WalletLoaderServer {
    pub(crate) fn new(loader: Arc<dyn WalletLoader>, local: Rc<LoopLocal>) -> Self {
        WalletLoaderServer { loader, local }
    }

    /// Runs `f` on a worker; the application error to write back, if any.
    async fn serve(
        &self,
        name: &'static str,
        f: fn(&dyn WalletLoader) -> Result<(), IpcError>,
    ) -> Result<Option<(i32, String)>, capnp::Error> {
        let seq = next_server_seq();
        log(Event::ServerRecvRequest, seq, name, String::new);
        let loader = self.loader.clone();
        let answer = self.local.pool.run(move || f(loader.as_ref())).await?;
        let shown = match &answer {
            Ok(()) => String::new(),
            Err(e) => e.to_string(),
        };
        log(Event::ServerSendResponse, seq, name, || shown);
        answer.err().map(remote_parts).transpose()
    }
}

impl wallet_loader::Server for WalletLoaderServer {
    async fn register_rpcs(
        self: Rc<Self>,
        _params: wallet_loader::RegisterRpcsParams,
        mut results: wallet_loader::RegisterRpcsResults,
    ) -> Result<(), capnp::Error> {
        let error = self
            .serve("WalletLoader.registerRpcs", |l| l.register_rpcs())
            .await?;
        if let Some(e) = error {
            write_error(results.get().init_error(), e);
        }
        Ok(())
    }

    async fn start(
        self: Rc<Self>,
        _params: wallet_loader::StartParams,
        mut results: wallet_loader::StartResults,
    ) -> Result<(), capnp::Error> {
        if let Some(e) = self.serve("WalletLoader.start", |l| l.start()).await? {
            write_error(results.get().init_error(), e);
        }
        Ok(())
    }

    async fn stop(
        self: Rc<Self>,
        _params: wallet_loader::StopParams,
        mut results: wallet_loader::StopResults,
    ) -> Result<(), capnp::Error> {
        if let Some(e) = self.serve("WalletLoader.stop", |l| l.stop()).await? {
            write_error(results.get().init_error(), e);
        }
        Ok(())
    }
}
