//! Listening on and connecting to an [`IpcAddress`] (Core's
//! `Ipc::listenAddress` / `connectAddress`): `-ipcbind` on the node,
//! `-ipcconnect` on wallet, GUI and cli.
//!
//! A [`Listener`] accepts any number of clients over time and serves `Init`
//! to each on its own [`Connection`] (own loop thread, own workers), so a
//! client that vanishes, even mid-call, only ends its own connection.

use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::Notify;
use widecoin_interfaces::{Init, IpcError};

use crate::address::{ConnectArg, IpcAddress};
use crate::auth::IpcKey;
use crate::client::InitClient;
use crate::connection::{io_error, Connection, Role, Transport};
use crate::secure::{client_handshake, server_handshake, HandshakeError};

/// How long a TCP peer has to complete the handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The listening thread's name.
pub const LISTEN_THREAD_NAME: &str = "ipc-listen";

#[derive(Default)]
struct Clients {
    conns: Vec<Connection>,
    closed: bool,
}

impl Clients {
    /// Keeps `conn`, unless the listener closed meanwhile (then closes it).
    fn add(this: &Mutex<Clients>, conn: Connection) {
        let mut clients = this.lock().unwrap_or_else(|e| e.into_inner());
        if clients.closed {
            drop(clients);
            conn.close();
            return;
        }
        clients.conns.retain(|c| !c.is_closed());
        clients.conns.push(conn);
    }
}

/// A socket accepting IPC clients. Closing or dropping it stops accepting,
/// disconnects every client (their calls fail with `Disconnected`) and
/// removes the unix socket file it created.
pub struct Listener {
    address: IpcAddress,
    local_addr: Option<SocketAddr>,
    shutdown: Arc<Notify>,
    thread: Mutex<Option<JoinHandle<()>>>,
    clients: Arc<Mutex<Clients>>,
    /// The socket file and its identity, to remove it only if still ours.
    socket_file: Option<(PathBuf, u64, u64)>,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("address", &self.address.to_string())
            .finish()
    }
}

impl Listener {
    /// The address listened on (`unix:<path>` or `tcp:<host>:<port>`).
    pub fn address(&self) -> &IpcAddress {
        &self.address
    }

    /// The bound TCP address (its port when listening on port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// How many clients are connected now.
    pub fn client_count(&self) -> usize {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients.conns.retain(|c| !c.is_closed());
        clients.conns.len()
    }

    /// Stops accepting, disconnects every client and waits for their
    /// connections to end (Core's `disconnectIncoming`). Idempotent.
    pub fn close(&self) {
        self.shutdown.notify_one();
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(t) = thread {
            let _ = t.join();
        }
        let conns = {
            let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
            clients.closed = true;
            std::mem::take(&mut clients.conns)
        };
        for conn in conns {
            conn.close();
        }
        if let Some((path, dev, ino)) = &self.socket_file {
            use std::os::unix::fs::MetadataExt as _;
            if let Ok(m) = std::fs::symlink_metadata(path) {
                if m.dev() == *dev && m.ino() == *ino {
                    let _ = std::fs::remove_file(path);
                }
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.close();
    }
}

enum Bound {
    Unix(std::os::unix::net::UnixListener),
    Tcp(std::net::TcpListener, IpcKey),
}

/// Binds a unix socket at `path`: parents created; a socket file nobody
/// listens on (left by a crash) removed; a live one left alone.
fn bind_unix(path: &Path) -> Result<std::os::unix::net::UnixListener, String> {
    use std::os::unix::fs::FileTypeExt as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create directory {}: {e}", parent.display()))?;
    }
    if let Ok(m) = std::fs::symlink_metadata(path) {
        if !m.file_type().is_socket() {
            return Err(format!("{} exists and is not a socket", path.display()));
        }
        match UnixStream::connect(path) {
            Ok(_) => {
                return Err(format!(
                    "another process is listening on {}",
                    path.display()
                ))
            }
            // Nobody listening: a stale socket file.
            Err(_) => {
                let _ = std::fs::remove_file(path);
            }
        }
    }
    std::os::unix::net::UnixListener::bind(path).map_err(|e| e.to_string())
}

fn bind(address: &IpcAddress, auth: Option<IpcKey>) -> Result<Bound, String> {
    match address {
        IpcAddress::Unix(path) => bind_unix(path).map(Bound::Unix),
        IpcAddress::Tcp { .. } => {
            let key = auth.ok_or("a TCP address needs an IPC key (see -ipcauthfile)")?;
            let addrs = address.socket_addrs()?;
            let listener = std::net::TcpListener::bind(&addrs[..]).map_err(|e| e.to_string())?;
            Ok(Bound::Tcp(listener, key))
        }
    }
}

/// Listens on `address`, serving `init` to every client that connects. A TCP
/// address needs `auth`, the key clients must hold ([`IpcKey::load_or_create`]);
/// a unix socket is protected by its file permissions and ignores it.
///
/// Logs `Listening for IPC requests on address <address>`. The error is the
/// reason only; the node prefixes Core's `Unable to bind to IPC address '<arg>'. `.
pub fn listen(
    address: &IpcAddress,
    init: Arc<dyn Init>,
    auth: Option<IpcKey>,
) -> Result<Listener, IpcError> {
    let bound = bind(address, auth).map_err(IpcError::Transport)?;
    let (address, local_addr, socket_file) = match &bound {
        Bound::Unix(_) => {
            use std::os::unix::fs::MetadataExt as _;
            let IpcAddress::Unix(path) = address else {
                unreachable!("a unix listener comes from a unix address")
            };
            let file = std::fs::symlink_metadata(path)
                .ok()
                .map(|m| (path.clone(), m.dev(), m.ino()));
            (address.clone(), None, file)
        }
        Bound::Tcp(l, _) => {
            let local = l.local_addr().map_err(io_error)?;
            let shown = IpcAddress::Tcp {
                host: match local.ip() {
                    std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                    ip => ip.to_string(),
                },
                port: local.port(),
            };
            (shown, Some(local), None)
        }
    };
    let shutdown = Arc::new(Notify::new());
    let clients = Arc::new(Mutex::new(Clients::default()));
    let thread = {
        let shutdown = shutdown.clone();
        let clients = clients.clone();
        std::thread::Builder::new()
            .name(LISTEN_THREAD_NAME.into())
            .spawn(move || accept_loop(bound, init, shutdown, clients))
            .map_err(io_error)?
    };
    tracing::info!("Listening for IPC requests on address {address}");
    Ok(Listener {
        address,
        local_addr,
        shutdown,
        thread: Mutex::new(Some(thread)),
        clients,
        socket_file,
    })
}

fn accept_loop(
    bound: Bound,
    init: Arc<dyn Init>,
    shutdown: Arc<Notify>,
    clients: Arc<Mutex<Clients>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::info!("IPC listener failed to start: {e}");
            return;
        }
    };
    runtime.block_on(async move {
        match bound {
            Bound::Unix(l) => {
                let l = match l
                    .set_nonblocking(true)
                    .and_then(|()| tokio::net::UnixListener::from_std(l))
                {
                    Ok(l) => l,
                    Err(e) => return tracing::info!("IPC listener failed: {e}"),
                };
                loop {
                    tokio::select! {
                        _ = shutdown.notified() => return,
                        r = l.accept() => match r.and_then(|(s, _)| s.into_std()) {
                            Ok(s) => {
                                tracing::debug!(target: "ipc", "{} IPC client connected on unix socket", crate::log::tag());
                                match Connection::new(s, Role::Server, Some(init.clone())) {
                                    Ok(conn) => Clients::add(&clients, conn),
                                    Err(e) => tracing::debug!(target: "ipc", "IPC connection failed: {e}"),
                                }
                            }
                            Err(e) => accept_failed(e).await,
                        },
                    }
                }
            }
            Bound::Tcp(l, key) => {
                let l = match l
                    .set_nonblocking(true)
                    .and_then(|()| tokio::net::TcpListener::from_std(l))
                {
                    Ok(l) => l,
                    Err(e) => return tracing::info!("IPC listener failed: {e}"),
                };
                loop {
                    tokio::select! {
                        _ = shutdown.notified() => return,
                        r = l.accept() => match r.and_then(|(s, peer)| Ok((s.into_std()?, peer))) {
                            Ok((s, peer)) => {
                                let (init, key, clients) = (init.clone(), key.clone(), clients.clone());
                                // The handshake blocks; it gets its own thread so a slow
                                // or silent peer holds up nobody else.
                                let _ = std::thread::Builder::new()
                                    .name("ipc-handshake".into())
                                    .spawn(move || serve_tcp(s, peer, &key, init, &clients));
                            }
                            Err(e) => accept_failed(e).await,
                        },
                    }
                }
            }
        }
    });
}

/// Out of descriptors and the like: log, pause, keep going.
async fn accept_failed(e: std::io::Error) {
    tracing::debug!(target: "ipc", "IPC accept failed: {e}");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

fn serve_tcp(
    mut s: TcpStream,
    peer: SocketAddr,
    key: &IpcKey,
    init: Arc<dyn Init>,
    clients: &Mutex<Clients>,
) {
    let handshake = s
        .set_nonblocking(false)
        .and_then(|()| s.set_read_timeout(Some(HANDSHAKE_TIMEOUT)))
        .and_then(|()| s.set_write_timeout(Some(HANDSHAKE_TIMEOUT)))
        .map_err(HandshakeError::from)
        .and_then(|()| server_handshake(&mut s, key));
    let keys = match handshake {
        Ok(keys) => keys,
        Err(e) => {
            let why = match e {
                HandshakeError::Refused(why) => why.to_string(),
                HandshakeError::Io(e) => format!("handshake failed: {e}"),
            };
            tracing::info!("IPC connection from {peer} refused: {why}");
            return;
        }
    };
    let _ = s.set_read_timeout(None);
    let _ = s.set_write_timeout(None);
    tracing::debug!(target: "ipc", "{} IPC client connected from {peer}", crate::log::tag());
    match Connection::with_transport(Transport::Tcp(s, keys), Role::Server, Some(init)) {
        Ok(conn) => Clients::add(clients, conn),
        Err(e) => tracing::debug!(target: "ipc", "IPC connection from {peer} failed: {e}"),
    }
}

/// Connects to the node at `address` and returns its `Init`. A TCP address
/// needs `auth`, the listener's key ([`IpcKey::load`]).
pub fn connect(
    address: &IpcAddress,
    auth: Option<&IpcKey>,
) -> Result<(InitClient, Connection), IpcError> {
    let transport = match address {
        IpcAddress::Unix(path) => Transport::Unix(
            UnixStream::connect(path)
                .map_err(|e| IpcError::Transport(format!("cannot connect to {address}: {e}")))?,
        ),
        IpcAddress::Tcp { .. } => {
            let key = auth.ok_or_else(|| {
                IpcError::Transport(format!("{address} needs an IPC key (see -ipcauthfile)"))
            })?;
            let addrs = address.socket_addrs().map_err(IpcError::Transport)?;
            let fail = |e: String| IpcError::Transport(format!("cannot connect to {address}: {e}"));
            let mut s = TcpStream::connect(&addrs[..]).map_err(|e| fail(e.to_string()))?;
            s.set_read_timeout(Some(HANDSHAKE_TIMEOUT))
                .and_then(|()| s.set_write_timeout(Some(HANDSHAKE_TIMEOUT)))
                .map_err(|e| fail(e.to_string()))?;
            let keys = client_handshake(&mut s, key).map_err(|e| fail(e.to_string()))?;
            let _ = s.set_read_timeout(None);
            let _ = s.set_write_timeout(None);
            Transport::Tcp(s, keys)
        }
    };
    let conn = Connection::with_transport(transport, Role::Client, None)?;
    Ok((InitClient::new(conn.clone()), conn))
}

/// Connects as `-ipcconnect` says ([`ConnectArg`]): `Ok(None)` when it is
/// disabled, or when it is `auto` and no node listens on the default socket
/// (it does not exist or refuses connections).
pub fn connect_arg(
    arg: &ConnectArg,
    auth: Option<&IpcKey>,
) -> Result<Option<(InitClient, Connection)>, IpcError> {
    match arg {
        ConnectArg::Disabled => Ok(None),
        ConnectArg::Address(a) => connect(a, auth).map(Some),
        ConnectArg::Auto(IpcAddress::Unix(path)) => match UnixStream::connect(path) {
            Ok(s) => {
                let conn = Connection::new(s, Role::Client, None)?;
                Ok(Some((InitClient::new(conn.clone()), conn)))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound
                        | std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(IpcError::Transport(format!(
                "cannot connect to {arg_addr}: {e}",
                arg_addr = IpcAddress::Unix(path.clone())
            ))),
        },
        ConnectArg::Auto(a) => connect(a, auth).map(Some),
    }
}

/// The node's `-ipcbind=<value>` in one call: parses `value` against the
/// network datadir, loads or creates the key file for a TCP address
/// (`-ipcauthfile`, else `<net_datadir>/ipc.cookie`) and listens. The error
/// is Core's start-up error text: `Unable to bind to IPC address '<value>'. <reason>`.
pub fn bind_arg(
    value: &str,
    net_datadir: &Path,
    authfile: Option<&Path>,
    init: Arc<dyn Init>,
) -> Result<Listener, String> {
    let fail = |why: String| format!("Unable to bind to IPC address '{value}'. {why}");
    let address = IpcAddress::parse(value, net_datadir).map_err(fail)?;
    let key = match address {
        IpcAddress::Tcp { .. } => Some(
            IpcKey::load_or_create(&IpcKey::path(net_datadir, authfile))
                .map_err(|e| fail(e.to_string()))?,
        ),
        IpcAddress::Unix(_) => None,
    };
    listen(&address, init, key).map_err(|e| match e {
        IpcError::Transport(why) => fail(why),
        other => fail(other.to_string()),
    })
}

/// A wallet's, GUI's or cli's `-ipcconnect` in one call (`None` when the
/// option is absent, i.e. `auto`): reads the key file for a TCP address
/// (`-ipcauthfile`, else `<net_datadir>/ipc.cookie`). `Ok(None)`: no
/// connection wanted, or `auto` and no node listening.
pub fn connect_from_args(
    value: Option<&str>,
    net_datadir: &Path,
    authfile: Option<&Path>,
) -> Result<Option<(InitClient, Connection)>, String> {
    let arg = ConnectArg::parse(value, net_datadir)?;
    let key = match &arg {
        ConnectArg::Address(IpcAddress::Tcp { .. }) => {
            Some(IpcKey::load(&IpcKey::path(net_datadir, authfile)).map_err(|e| e.to_string())?)
        }
        _ => None,
    };
    connect_arg(&arg, key.as_ref()).map_err(|e| e.to_string())
}
