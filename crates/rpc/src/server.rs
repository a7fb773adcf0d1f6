//! Starting and stopping the RPC HTTP server (Core's `InitHTTPServer`,
//! `StartHTTPRPC`, `StartHTTPServer`, `Interrupt*`, `Stop*`).
//!
//! The server runs on its own threads: one named `http` drives a
//! single-threaded tokio runtime for all sockets (libevent's loop), and
//! `-rpcthreads` workers named `httpworker.N` execute the calls.

use std::net::{SocketAddr, TcpListener as StdListener, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::watch;

use crate::auth::{delete_auth_cookie, AuthConfig, Authenticator, CookieError};
use crate::http::{serve, HttpShared};
use crate::jsonrpc::JsonRpcEndpoint;
use crate::netaddr::{split_host_port, SubNet};
use crate::table::RpcTable;
use crate::workqueue::WorkQueue;

/// `DEFAULT_HTTP_THREADS` (`-rpcthreads`).
pub const DEFAULT_HTTP_THREADS: i64 = 4;
/// `DEFAULT_HTTP_WORKQUEUE` (`-rpcworkqueue`).
pub const DEFAULT_HTTP_WORKQUEUE: i64 = 16;
/// `DEFAULT_HTTP_SERVER_TIMEOUT` (`-rpcservertimeout`, seconds).
pub const DEFAULT_HTTP_SERVER_TIMEOUT: i64 = 30;

/// The init error the node shows after any [`ServerError`]; for
/// [`ServerError::InvalidAllowIp`] Core first shows that error's own text.
pub const START_FAILED_MESSAGE: &str = "Unable to start HTTP server. See debug log for details.";

/// Server settings, filled by the node from its arguments.
#[derive(Debug, Clone)]
pub struct RpcServerConfig {
    /// `-rpcbind` values (`addr`, `addr:port`, `[v6]:port`); used only
    /// together with `-rpcallowip`, as in Core.
    pub bind: Vec<String>,
    /// `-rpcallowip` values (IP, `ip/cidr`, `ip/netmask`).
    pub allow_ip: Vec<String>,
    /// `-rpcport` (or the chain's default RPC port); 0 picks a free port.
    pub port: u16,
    /// `-rpcthreads` (at least 1 is used).
    pub threads: i64,
    /// `-rpcworkqueue` (at least 1 is used).
    pub work_queue: i64,
    /// `-rpcservertimeout`, seconds an idle connection is kept.
    pub server_timeout: i64,
    /// Credentials, whitelists and the cookie path.
    pub auth: AuthConfig,
    /// Serve `/wallet/<name>` (Core does when built with wallet support).
    pub wallet_endpoint: bool,
    /// `-logips`.
    pub log_ips: bool,
}

impl RpcServerConfig {
    /// Core's defaults on `port`, writing the cookie to `cookie_file`.
    pub fn new(port: u16, cookie_file: PathBuf) -> Self {
        RpcServerConfig {
            bind: Vec::new(),
            allow_ip: Vec::new(),
            port,
            threads: DEFAULT_HTTP_THREADS,
            work_queue: DEFAULT_HTTP_WORKQUEUE,
            server_timeout: DEFAULT_HTTP_SERVER_TIMEOUT,
            auth: AuthConfig {
                cookie_file,
                ..Default::default()
            },
            wallet_endpoint: true,
            log_ips: false,
        }
    }
}

/// Why the server did not start. Each has been logged as Core logs it.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("Invalid -rpcallowip subnet specification: {0}. Valid are a single IP (e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0) or a network/CIDR (e.g. 1.2.3.4/24).")]
    InvalidAllowIp(String),
    #[error("Unable to bind any endpoint for RPC server")]
    BindFailed,
    #[error("Invalid -rpcauth argument.")]
    InvalidRpcAuth,
    #[error(transparent)]
    Cookie(#[from] CookieError),
    #[error("couldn't start the HTTP server threads: {0}")]
    Io(#[from] std::io::Error),
}

/// `InitHTTPAllowList`: loopback always, then each `-rpcallowip`.
fn allow_list(cfg: &RpcServerConfig) -> Result<Vec<SubNet>, ServerError> {
    let mut allow = vec![
        SubNet::parse("127.0.0.1/8").expect("valid subnet"),
        SubNet::parse("::1").expect("valid subnet"),
    ];
    for entry in &cfg.allow_ip {
        match SubNet::parse(entry) {
            Some(s) => allow.push(s),
            // The node shows this one to the user (Core's message box).
            None => return Err(ServerError::InvalidAllowIp(entry.clone())),
        }
    }
    let list: String = allow.iter().map(|s| format!("{s} ")).collect();
    tracing::debug!(target: "http", "Allowing HTTP connections from: {list}");
    Ok(allow)
}

/// `HTTPBindAddresses`.
fn bind_addresses(cfg: &RpcServerConfig) -> Vec<StdListener> {
    let mut endpoints: Vec<(String, u16)> = Vec::new();
    if cfg.allow_ip.is_empty() || cfg.bind.is_empty() {
        // Loopback only unless external IPs are allowed.
        endpoints.push(("::1".into(), cfg.port));
        endpoints.push(("127.0.0.1".into(), cfg.port));
        if !cfg.allow_ip.is_empty() {
            tracing::info!("WARNING: option -rpcallowip was specified without -rpcbind; this doesn't usually make sense");
        }
        if !cfg.bind.is_empty() {
            tracing::info!("WARNING: option -rpcbind was ignored because -rpcallowip was not specified, refusing to allow everyone to connect");
        }
    } else {
        for b in &cfg.bind {
            let (host, port, _) = split_host_port(b, cfg.port);
            endpoints.push((host, port));
        }
    }
    let mut bound = Vec::new();
    for (host, port) in endpoints {
        tracing::info!("Binding RPC on address {host} port {port}");
        let target = if host.is_empty() {
            "0.0.0.0"
        } else {
            host.as_str()
        };
        let addr = (target, port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next());
        match addr.map(StdListener::bind) {
            Some(Ok(listener)) => {
                if host.is_empty() || addr.is_some_and(|a| a.ip().is_unspecified()) {
                    tracing::info!("WARNING: the RPC server is not safe to expose to untrusted networks such as the public internet");
                }
                bound.push(listener);
            }
            _ => tracing::info!("Binding RPC on address {host} port {port} failed."),
        }
    }
    bound
}

/// Starts the server on its own threads and marks RPC as running
/// ([`RpcTable::start_rpc`]). The table may still be in warm-up.
pub fn start_http_server(
    config: RpcServerConfig,
    table: Arc<RpcTable>,
) -> Result<ServerHandle, ServerError> {
    let allow = allow_list(&config)?;
    let listeners = bind_addresses(&config);
    if listeners.is_empty() {
        tracing::info!("Unable to bind any endpoint for RPC server");
        return Err(ServerError::BindFailed);
    }
    let local_addrs: Vec<SocketAddr> = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect();
    tracing::debug!(target: "http", "Initialized HTTP server");
    let depth = config.work_queue.max(1);
    tracing::info!(target: "http", "creating work queue of depth {depth}");
    let queue = WorkQueue::new(depth as usize);

    table.start_rpc();
    tracing::debug!(target: "rpc", "Starting HTTP RPC server");
    let auth = Authenticator::new(&config.auth)?;
    let cookie = auth.cookie.clone();
    let endpoint = Arc::new(JsonRpcEndpoint {
        table: table.clone(),
        auth,
        log_ips: config.log_ips,
    });
    let timeout = Duration::from_secs(config.server_timeout.max(1) as u64);
    let shared = Arc::new(HttpShared::new(
        endpoint,
        queue.clone(),
        allow,
        config.wallet_endpoint,
        timeout,
    ));

    tracing::debug!(target: "http", "Starting HTTP server");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let tokio_listeners = {
        let _guard = runtime.enter();
        listeners
            .into_iter()
            .map(|l| {
                l.set_nonblocking(true)?;
                tokio::net::TcpListener::from_std(l)
            })
            .collect::<std::io::Result<Vec<_>>>()?
    };
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let http_shared = shared.clone();
    let http_thread = std::thread::Builder::new()
        .name("http".into())
        .spawn(move || runtime.block_on(serve(tokio_listeners, http_shared, shutdown_rx)))?;
    let threads = config.threads.max(1);
    tracing::info!(target: "http", "starting {threads} worker threads");
    let workers = queue.spawn_workers(threads as usize)?;

    Ok(ServerHandle {
        shared,
        table,
        queue,
        shutdown_tx,
        http_thread: Some(http_thread),
        workers,
        local_addrs,
        cookie,
        stopped: false,
    })
}

/// A running server. Dropping it stops it.
pub struct ServerHandle {
    shared: Arc<HttpShared>,
    table: Arc<RpcTable>,
    queue: Arc<WorkQueue>,
    shutdown_tx: watch::Sender<bool>,
    http_thread: Option<JoinHandle<()>>,
    workers: Vec<JoinHandle<()>>,
    local_addrs: Vec<SocketAddr>,
    cookie: Option<PathBuf>,
    stopped: bool,
}

impl ServerHandle {
    /// The addresses actually bound (useful with port 0).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// `InterruptHTTPRPC` + `InterruptRPC` + `InterruptHTTPServer`: long
    /// polls see RPC stopped, new requests get 503, queued ones still run.
    pub fn interrupt(&self) {
        tracing::debug!(target: "rpc", "Interrupting HTTP RPC server");
        self.table.interrupt_rpc();
        tracing::debug!(target: "http", "Interrupting HTTP server");
        self.shared.interrupted.store(true, Ordering::SeqCst);
        self.queue.interrupt();
    }

    /// `StopHTTPRPC` + `StopRPC` + `StopHTTPServer`: interrupts if not yet
    /// done, joins the workers once the queue is drained, closes the
    /// listeners, lets open connections deliver their replies, joins the
    /// `http` thread and deletes the cookie. Must not be called from a
    /// handler (it joins the worker running it).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        self.interrupt();
        tracing::debug!(target: "rpc", "Stopping HTTP RPC server");
        tracing::debug!(target: "http", "Stopping HTTP server");
        tracing::debug!(target: "http", "Waiting for HTTP worker threads to exit");
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        let _ = self.shutdown_tx.send(true);
        tracing::debug!(target: "http", "Waiting for HTTP event thread to exit");
        if let Some(t) = self.http_thread.take() {
            let _ = t.join();
        }
        tracing::debug!(target: "rpc", "Stopping RPC");
        if let Some(cookie) = self.cookie.take() {
            delete_auth_cookie(&cookie);
        }
        tracing::debug!(target: "http", "Stopped HTTP server");
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}
