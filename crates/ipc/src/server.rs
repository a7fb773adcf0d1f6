//! The serving side: capnp servers that wrap the `widecoin-interfaces`
//! implementations, and the worker threads their calls run on.
//!
//! A request arrives on the loop thread; its arguments are copied out there,
//! the implementation runs on a worker thread (so a blocking implementation
//! never stalls the loop, and with it every other call on the connection),
//! and the answer is written back on the loop thread.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::{Arc, Condvar, Mutex};

use widecoin_interfaces::{Echo, Init, IpcError};

use crate::chain::ChainClient;
use crate::common_capnp::remote_error;
use crate::connection::LoopLocal;
use crate::echo_capnp::echo;
use crate::init_capnp::init;
use crate::log::{escape_contents, log, next_server_seq, Event};
use crate::wallet::WalletLoaderServer;
use crate::wallet_capnp::wallet_loader;

/// Most worker threads one connection starts; calls beyond that many at
/// once wait for a worker.
const MAX_WORKERS: usize = 64;

type Task = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct PoolState {
    queue: VecDeque<Task>,
    /// Workers waiting for a task.
    idle: usize,
    threads: usize,
    closed: bool,
}

#[derive(Default)]
struct PoolShared {
    state: Mutex<PoolState>,
    cvar: Condvar,
}

/// Worker threads of one connection. A new worker starts when a task
/// arrives and none is idle; workers live until the connection closes.
pub(crate) struct WorkerPool {
    shared: Arc<PoolShared>,
}

impl WorkerPool {
    pub(crate) fn new() -> WorkerPool {
        WorkerPool {
            shared: Arc::default(),
        }
    }

    fn execute(&self, task: Task) {
        let mut state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        state.queue.push_back(task);
        if state.queue.len() > state.idle && state.threads < MAX_WORKERS {
            let n = state.threads;
            let shared = self.shared.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("ipc-worker.{n}"))
                .spawn(move || worker(&shared));
            if spawned.is_ok() {
                state.threads += 1;
            }
        }
        drop(state);
        self.shared.cvar.notify_one();
    }

    /// Runs `f` on a worker thread; the future resolves to its result.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = Result<T, capnp::Error>> + 'static {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.execute(Box::new(move || {
            if let Ok(r) = std::panic::catch_unwind(AssertUnwindSafe(f)) {
                let _ = tx.send(r);
            }
        }));
        async move {
            rx.await.map_err(|_| {
                capnp::Error::failed("the implementation of an IPC call panicked".into())
            })
        }
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .closed = true;
        self.shared.cvar.notify_all();
    }
}

fn worker(shared: &PoolShared) {
    loop {
        let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        state.idle += 1;
        while state.queue.is_empty() && !state.closed {
            state = shared.cvar.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.idle -= 1;
        let Some(task) = state.queue.pop_front() else {
            state.threads -= 1;
            return;
        };
        drop(state);
        task();
    }
}

/// Runs a cheap implementation method on the loop thread, catching a panic
/// as a worker does.
pub(crate) fn run_inline<T>(f: impl FnOnce() -> T) -> Result<T, capnp::Error> {
    std::panic::catch_unwind(AssertUnwindSafe(f))
        .map_err(|_| capnp::Error::failed("the implementation of an IPC call panicked".into()))
}

/// The code and message of an application error, to be written into a
/// result's `error` field; a transport error of the implementation (itself a
/// proxy) becomes an exception instead.
pub(crate) fn remote_parts(e: IpcError) -> Result<(i32, String), capnp::Error> {
    match e {
        IpcError::Remote { code, message } => Ok((code, message)),
        other => Err(capnp::Error::failed(other.to_string())),
    }
}

pub(crate) fn write_error(mut b: remote_error::Builder<'_>, (code, message): (i32, String)) {
    b.set_code(code);
    b.set_message(&message[..]);
}

pub(crate) fn utf8(e: std::str::Utf8Error) -> capnp::Error {
    capnp::Error::failed(format!("invalid UTF-8 in IPC text: {e}"))
}

/// Serves an [`Init`] implementation.
pub(crate) struct InitServer {
    init: Arc<dyn Init>,
    local: Rc<LoopLocal>,
}

impl InitServer {
    pub(crate) fn new(init: Arc<dyn Init>, local: Rc<LoopLocal>) -> InitServer {
        InitServer { init, local }
    }
}

impl init::Server for InitServer {
    async fn make_echo(
        self: Rc<Self>,
        _params: init::MakeEchoParams,
        mut results: init::MakeEchoResults,
    ) -> Result<(), capnp::Error> {
        let seq = next_server_seq();
        log(Event::ServerRecvRequest, seq, "Init.makeEcho", String::new);
        let init = self.init.clone();
        let made = self.local.pool.run(move || init.make_echo()).await?;
        match made {
            Ok(echo) => {
                let server = EchoServer::new(Arc::from(echo), self.local.clone());
                let client: echo::Client = capnp_rpc::new_client(server);
                results.get().set_result(client);
            }
            Err(e) => write_error(results.get().init_error(), remote_parts(e)?),
        }
        log(Event::ServerSendResponse, seq, "Init.makeEcho", String::new);
        Ok(())
    }

    async fn make_chain(
        self: Rc<Self>,
        _params: init::MakeChainParams,
        mut results: init::MakeChainResults,
    ) -> Result<(), capnp::Error> {
        let seq = next_server_seq();
        log(Event::ServerRecvRequest, seq, "Init.makeChain", String::new);
        let init = self.init.clone();
        let made = self.local.pool.run(move || init.make_chain()).await?;
        let answer = match made {
            Ok(chain) => {
                let server = crate::chain::ChainServer::new(chain, self.local.clone());
                let client: crate::chain_capnp::chain::Client = capnp_rpc::new_client(server);
                results.get().set_result(client);
                String::new()
            }
            Err(e) => {
                let text = e.to_string();
                write_error(results.get().init_error(), remote_parts(e)?);
                text
            }
        };
        log(Event::ServerSendResponse, seq, "Init.makeChain", || answer);
        Ok(())
    }

    async fn make_wallet_loader(
        self: Rc<Self>,
        params: init::MakeWalletLoaderParams,
        mut results: init::MakeWalletLoaderResults,
    ) -> Result<(), capnp::Error> {
        let seq = next_server_seq();
        log(
            Event::ServerRecvRequest,
            seq,
            "Init.makeWalletLoader",
            String::new,
        );
        let chain = params.get()?.get_chain()?;
        let chain = ChainClient::adopt(&self.local, chain.client).map_err(ipc_to_capnp)?;
        let init = self.init.clone();
        let made = self
            .local
            .pool
            .run(move || init.make_wallet_loader(Arc::new(chain)))
            .await?;
        let answer = match made {
            Ok(loader) => {
                let server = WalletLoaderServer::new(Arc::from(loader), self.local.clone());
                let client: wallet_loader::Client = capnp_rpc::new_client(server);
                results.get().set_result(client);
                String::new()
            }
            Err(e) => {
                let text = e.to_string();
                write_error(results.get().init_error(), remote_parts(e)?);
                text
            }
        };
        log(
            Event::ServerSendResponse,
            seq,
            "Init.makeWalletLoader",
            || answer,
        );
        Ok(())
    }
}

/// A transport failure of this side, as the exception the peer sees.
pub(crate) fn ipc_to_capnp(e: IpcError) -> capnp::Error {
    match e {
        IpcError::Disconnected => capnp::Error::disconnected(e.to_string()),
        other => capnp::Error::failed(other.to_string()),
    }
}

/// Serves an [`Echo`] implementation.
pub(crate) struct EchoServer {
    echo: Arc<dyn Echo>,
    local: Rc<LoopLocal>,
    /// `echo` runs on the loop thread ([`Echo::runs_inline`]).
    echo_inline: bool,
}

impl EchoServer {
    fn new(echo: Arc<dyn Echo>, local: Rc<LoopLocal>) -> EchoServer {
        let echo_inline = echo.runs_inline("echo");
        EchoServer {
            echo,
            local,
            echo_inline,
        }
    }
}

impl echo::Server for EchoServer {
    async fn echo(
        self: Rc<Self>,
        params: echo::EchoParams,
        mut results: echo::EchoResults,
    ) -> Result<(), capnp::Error> {
        let text = params.get()?.get_text()?.to_string().map_err(utf8)?;
        let seq = next_server_seq();
        log(Event::ServerRecvRequest, seq, "Echo.echo", || {
            escape_contents(&text)
        });
        let echo = self.echo.clone();
        let answer = if self.echo_inline {
            run_inline(move || echo.echo(&text))?
        } else {
            self.local.pool.run(move || echo.echo(&text)).await?
        };
        match answer {
            Ok(back) => {
                log(Event::ServerSendResponse, seq, "Echo.echo", || {
                    escape_contents(&back)
                });
                results.get().set_result(&back[..]);
            }
            Err(e) => {
                log(Event::ServerSendResponse, seq, "Echo.echo", || {
                    e.to_string()
                });
                write_error(results.get().init_error(), remote_parts(e)?);
            }
        }
        Ok(())
    }
}
