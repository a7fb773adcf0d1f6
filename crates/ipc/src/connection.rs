//! A connection to a peer process and the event-loop thread that runs it.
//!
//! capnp-rust objects are `!Send`, so each connection gets its own thread
//! (`capnp-loop`) running capnp-rpc on a current-thread tokio runtime inside a
//! `LocalSet`. The rest of the program holds a [`Connection`] (`Send + Sync`)
//! and hands the loop closures ([`Job`]s) through a channel; a caller blocks
//! on a channel of its own for the answer. When the socket closes, or the
//! connection is closed from this side, the loop ends and drops every pending
//! job and call, which answers every waiting caller with
//! [`IpcError::Disconnected`] at once: a dead peer never leaves a caller
//! hanging.
//!
//! After each message read and each job run, the loop polls for a few tens
//! of microseconds before it sleeps ([`SPIN_AFTER_ACTIVITY`]): a blocking
//! call's answer then rarely has to wake a sleeping thread.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use capnp_rpc::rpc_twoparty_capnp::Side;
use capnp_rpc::{twoparty, RpcSystem};
use futures::FutureExt as _;
use tokio::sync::{mpsc, Notify};
use tokio_util::compat::{TokioAsyncReadCompatExt as _, TokioAsyncWriteCompatExt as _};
use widecoin_interfaces::{Init, IpcError};

use crate::init_capnp::init;
use crate::secure::{OpenedReader, SealedWriter, SessionKeys};
use crate::server::{InitServer, WorkerPool};

/// The name of every connection's event-loop thread (Core's `capnp-loop`).
pub const LOOP_THREAD_NAME: &str = "capnp-loop";

/// A closure run on the loop thread.
pub(crate) type Job = Box<dyn FnOnce(&LoopCtx) + Send>;

/// A future that runs on the loop thread (it may hold `!Send` capnp objects).
pub(crate) type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

thread_local! {
    static ON_LOOP_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Which end of the connection this process is. It only decides which
/// bootstrap capability is whose; both ends may serve an `Init` and both may
/// call the other's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The spawning or connecting process.
    Client,
    /// The spawned or listening process.
    Server,
}

impl Role {
    fn side(self) -> Side {
        match self {
            Role::Client => Side::Client,
            Role::Server => Side::Server,
        }
    }
    fn peer_side(self) -> Side {
        match self {
            Role::Client => Side::Server,
            Role::Server => Side::Client,
        }
    }
}

/// State that lives on the loop thread: the peer's `Init` and the remote
/// capabilities that proxies refer to by number.
pub(crate) struct LoopCtx {
    pub(crate) remote_init: init::Client,
    local: Rc<LoopLocal>,
}

impl LoopCtx {
    /// The capability `id` as an interface `C`.
    pub(crate) fn cap<C: capnp::capability::FromClientHook>(&self, id: u64) -> Option<C> {
        self.local.caps.get(id)
    }

    pub(crate) fn release_cap(&self, id: u64) {
        self.local.caps.0.borrow_mut().map.remove(&id);
    }

    /// The registry, for a future that outlives the job.
    pub(crate) fn cap_registry(&self) -> CapRegistry {
        self.local.caps.clone()
    }

    /// What servers on this loop share, for a future that outlives the job.
    pub(crate) fn local(&self) -> Rc<LoopLocal> {
        self.local.clone()
    }
}

/// What the servers and the jobs of one loop share: the worker pool served
/// calls run on, the registry of remote capabilities, and the connection
/// itself, so that a server handed a capability (a callback) can wrap it in
/// a `Send` proxy.
pub(crate) struct LoopLocal {
    pub(crate) pool: WorkerPool,
    pub(crate) caps: CapRegistry,
    conn: Weak<Shared>,
}

impl LoopLocal {
    /// The connection, unless it is being dropped.
    pub(crate) fn connection(&self) -> Result<Connection, IpcError> {
        self.conn
            .upgrade()
            .map(|shared| Connection { shared })
            .ok_or(IpcError::Disconnected)
    }

    /// Keeps the remote capability `cap` for a proxy: its connection and the
    /// number it refers to the capability by.
    pub(crate) fn adopt(
        &self,
        cap: capnp::capability::Client,
    ) -> Result<(Connection, u64), IpcError> {
        let conn = self.connection()?;
        Ok((conn, self.caps.add(cap)))
    }
}

#[derive(Default)]
struct Caps {
    map: HashMap<u64, capnp::capability::Client>,
    next: u64,
}

/// Remote capabilities that `Send` proxies refer to by number.
#[derive(Clone, Default)]
pub(crate) struct CapRegistry(Rc<RefCell<Caps>>);

impl CapRegistry {
    /// Keeps `cap` alive for a proxy; the proxy refers to it by the number returned.
    pub(crate) fn add(&self, cap: capnp::capability::Client) -> u64 {
        let mut caps = self.0.borrow_mut();
        caps.next += 1;
        let id = caps.next;
        caps.map.insert(id, cap);
        id
    }

    fn get<C: capnp::capability::FromClientHook>(&self, id: u64) -> Option<C> {
        self.0
            .borrow()
            .map
            .get(&id)
            .map(|c| C::new(c.hook.add_ref()))
    }
}

struct Shared {
    jobs: mpsc::UnboundedSender<Job>,
    shutdown: Arc<Notify>,
    closed: Arc<(Mutex<bool>, Condvar)>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// A second descriptor of the socket, to shut it down whatever the loop
    /// thread is doing.
    socket: SocketHandle,
}

/// What a connection runs over.
pub(crate) enum Transport {
    /// A unix socket (a socketpair or an accepted or connected unix socket).
    Unix(UnixStream),
    /// A TCP stream after its handshake, encrypted with these keys.
    Tcp(TcpStream, SessionKeys),
}

enum SocketHandle {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl SocketHandle {
    fn shutdown(&self) {
        let _ = match self {
            SocketHandle::Unix(s) => s.shutdown(std::net::Shutdown::Both),
            SocketHandle::Tcp(s) => s.shutdown(std::net::Shutdown::Both),
        };
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.shutdown.notify_one();
        self.socket.shutdown();
    }
}

/// A connection to a peer process (`Send + Sync`, cheap to clone). The
/// connection closes when [`Connection::close`] is called, when the peer
/// closes its end, or when the last clone (including the proxies made from
/// it) is dropped.
#[derive(Clone)]
pub struct Connection {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Connection {
    /// Starts the event loop for `stream`, serving `local_init` (if any) as
    /// this side's bootstrap capability.
    pub fn new(
        stream: UnixStream,
        role: Role,
        local_init: Option<Arc<dyn Init>>,
    ) -> Result<Connection, IpcError> {
        Connection::with_transport(Transport::Unix(stream), role, local_init)
    }

    pub(crate) fn with_transport(
        transport: Transport,
        role: Role,
        local_init: Option<Arc<dyn Init>>,
    ) -> Result<Connection, IpcError> {
        let socket = match &transport {
            Transport::Unix(s) => {
                s.set_nonblocking(true).map_err(io_error)?;
                SocketHandle::Unix(s.try_clone().map_err(io_error)?)
            }
            Transport::Tcp(s, _) => {
                s.set_nonblocking(true).map_err(io_error)?;
                let _ = s.set_nodelay(true);
                SocketHandle::Tcp(s.try_clone().map_err(io_error)?)
            }
        };
        let (jobs_tx, jobs_rx) = mpsc::unbounded_channel();
        let shutdown = Arc::new(Notify::new());
        let closed = Arc::new((Mutex::new(false), Condvar::new()));
        let shared = Arc::new(Shared {
            jobs: jobs_tx,
            shutdown: shutdown.clone(),
            closed: closed.clone(),
            thread: Mutex::new(None),
            socket,
        });
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
        let thread = {
            let weak = Arc::downgrade(&shared);
            std::thread::Builder::new()
                .name(LOOP_THREAD_NAME.into())
                .spawn(move || {
                    ON_LOOP_THREAD.with(|f| f.set(true));
                    run_loop(
                        transport, role, local_init, jobs_rx, shutdown, weak, ready_tx,
                    );
                    let (lock, cvar) = &*closed;
                    *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
                    cvar.notify_all();
                })
                .map_err(io_error)?
        };
        // The loop reports whether it could set up its runtime.
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(IpcError::Transport("IPC event loop failed to start".into()));
            }
        }
        *shared.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(thread);
        Ok(Connection { shared })
    }

    /// Runs `job` on the loop thread, without waiting for it.
    pub(crate) fn post(&self, job: Job) -> Result<(), IpcError> {
        self.shared
            .jobs
            .send(job)
            .map_err(|_| IpcError::Disconnected)
    }

    /// Runs `f` on the loop thread and blocks until the future it returns
    /// finishes. Returns `Disconnected` if the connection closes first.
    pub(crate) fn call<T, F>(&self, f: F) -> Result<T, IpcError>
    where
        T: Send + 'static,
        F: FnOnce(&LoopCtx) -> LocalFuture<Result<T, IpcError>> + Send + 'static,
    {
        if ON_LOOP_THREAD.with(|f| f.get()) {
            return Err(IpcError::Transport(
                "blocking IPC call made on the IPC event loop thread".into(),
            ));
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.post(Box::new(move |ctx| {
            let fut = f(ctx);
            tokio::task::spawn_local(fut.map(move |r| {
                let _ = tx.send(r);
            }));
        }))?;
        // A closed connection drops the job or the task, and with it `tx`.
        rx.recv().unwrap_or(Err(IpcError::Disconnected))
    }

    /// Closes the connection (the peer sees the socket close) and waits for
    /// the loop thread to finish. Calls in progress fail with
    /// `Disconnected`. Does nothing if already closed.
    pub fn close(&self) {
        self.shared.shutdown.notify_one();
        self.shared.socket.shutdown();
        self.join();
    }

    /// Blocks until the connection is closed, by either side.
    pub fn wait_closed(&self) {
        let (lock, cvar) = &*self.shared.closed;
        let mut closed = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !*closed {
            closed = cvar.wait(closed).unwrap_or_else(|e| e.into_inner());
        }
        drop(closed);
        self.join();
    }

    /// Has the connection closed?
    pub fn is_closed(&self) -> bool {
        *self
            .shared
            .closed
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn join(&self) {
        if ON_LOOP_THREAD.with(|f| f.get()) {
            return;
        }
        let thread = self
            .shared
            .thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(t) = thread {
            let _ = t.join();
        } else {
            // Another thread is joining: wait for the flag instead.
            let (lock, cvar) = &*self.shared.closed;
            let mut closed = lock.lock().unwrap_or_else(|e| e.into_inner());
            while !*closed {
                closed = cvar.wait(closed).unwrap_or_else(|e| e.into_inner());
            }
        }
    }
}

pub(crate) fn io_error(e: std::io::Error) -> IpcError {
    IpcError::Transport(e.to_string())
}

/// Maps a Cap'n Proto exception to the error a caller sees.
pub(crate) fn capnp_error(e: capnp::Error) -> IpcError {
    match e.kind {
        // A socket closed in the middle of a message is a dead peer too.
        capnp::ErrorKind::Disconnected | capnp::ErrorKind::PrematureEndOfFile => {
            IpcError::Disconnected
        }
        _ => IpcError::Transport(e.to_string()),
    }
}

/// How long the loop keeps polling its socket and its job queue after the
/// last thing it did (a message read, a job run) before it sleeps in the
/// kernel. A blocking call's answer, and the next call of a caller making
/// several, usually come within this time: polling for them instead of
/// sleeping saves the wake-ups of an idle thread (and, on a virtual machine,
/// of an idle CPU), which cost more than the rest of the round trip. Bounded,
/// so an idle connection costs no CPU.
const SPIN_AFTER_ACTIVITY: Duration = Duration::from_micros(50);

/// When the loop last did something, and how to wake its spinner.
#[derive(Default)]
struct Activity {
    last: Cell<Option<Instant>>,
    wake: Notify,
}

impl Activity {
    fn bump(&self) {
        self.last.set(Some(Instant::now()));
        self.wake.notify_one();
    }

    /// A task that keeps the loop busy (polling the socket without waiting)
    /// for [`SPIN_AFTER_ACTIVITY`] after each activity.
    async fn spin(self: Rc<Self>) {
        loop {
            match self.last.get() {
                Some(last) if last.elapsed() < SPIN_AFTER_ACTIVITY => {
                    // Lets another thread that is ready run on this CPU (the
                    // caller this loop just answered), then lets the runtime
                    // poll the socket with a zero timeout.
                    std::thread::yield_now();
                    tokio::task::yield_now().await;
                }
                _ => {
                    self.last.set(None);
                    self.wake.notified().await;
                }
            }
        }
    }
}

/// The reading half of the socket, noting each read that brings data.
struct NoteReads<R> {
    inner: R,
    activity: Rc<Activity>,
}

impl<R: futures::io::AsyncRead + Unpin> futures::io::AsyncRead for NoteReads<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            if n > 0 {
                self.activity.bump();
            }
        }
        r
    }
}

type Network = Box<dyn capnp_rpc::VatNetwork<twoparty::VatId>>;

/// The Cap'n Proto network over `transport` (on the loop thread's runtime).
fn network(transport: Transport, role: Role, activity: Rc<Activity>) -> std::io::Result<Network> {
    let options = capnp::message::ReaderOptions::new();
    Ok(match transport {
        Transport::Unix(s) => {
            let (read, write) = tokio::net::UnixStream::from_std(s)?.into_split();
            let read = NoteReads {
                inner: read.compat(),
                activity,
            };
            Box::new(twoparty::VatNetwork::new(
                futures::io::BufReader::new(read),
                futures::io::BufWriter::new(write.compat_write()),
                role.side(),
                options,
            ))
        }
        Transport::Tcp(s, keys) => {
            let (read, write) = tokio::net::TcpStream::from_std(s)?.into_split();
            let read = NoteReads {
                inner: read.compat(),
                activity,
            };
            Box::new(twoparty::VatNetwork::new(
                OpenedReader::new(read, keys.recv),
                SealedWriter::new(write.compat_write(), keys.send),
                role.side(),
                options,
            ))
        }
    })
}

/// The body of the loop thread.
fn run_loop(
    transport: Transport,
    role: Role,
    local_init: Option<Arc<dyn Init>>,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    shutdown: Arc<Notify>,
    conn: Weak<Shared>,
    ready: std::sync::mpsc::SyncSender<Result<(), IpcError>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(io_error(e)));
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let activity = Rc::new(Activity::default());
        let network = match network(transport, role, activity.clone()) {
            Ok(n) => n,
            Err(e) => {
                let _ = ready.send(Err(io_error(e)));
                return;
            }
        };
        let local = Rc::new(LoopLocal {
            pool: WorkerPool::new(),
            caps: CapRegistry::default(),
            conn,
        });
        let bootstrap = local_init.map(|init| {
            let client: init::Client = capnp_rpc::new_client(InitServer::new(init, local.clone()));
            client.client
        });
        let mut rpc_system = RpcSystem::new(network, bootstrap);
        let ctx = LoopCtx {
            remote_init: rpc_system.bootstrap(role.peer_side()),
            local: local.clone(),
        };
        let _ = ready.send(Ok(()));
        tokio::task::spawn_local(activity.clone().spin());
        let run_jobs = async {
            while let Some(job) = jobs.recv().await {
                activity.bump();
                job(&ctx);
            }
        };
        tokio::select! {
            r = rpc_system => {
                if let Err(e) = r {
                    tracing::debug!(target: "ipc", "{} IPC connection error: {}", crate::log::tag(), e);
                }
            }
            _ = shutdown.notified() => {}
            _ = run_jobs => {}
        }
        // Everything holding a capability goes before the runtime does.
        local.caps.0.borrow_mut().map.clear();
        drop(ctx);
        drop(local);
    });
    // Dropping the LocalSet drops the calls still in progress, and with them
    // their callers' reply channels: each caller gets `Disconnected`.
    drop(local);
    drop(runtime);
}
