//! `-ipcbind` / `-ipcconnect`: a [`Listener`] on a unix socket and on TCP
//! (authenticated, encrypted), the `Echo` conformance suite over each, and
//! the failure modes Core hit (../shared/IPC.md "Known trouble"): a client
//! vanishing mid-call, several calls on one proxy at once, the listener
//! closing with clients attached or looping on calls.

use std::io::Write as _;
use std::path::Path;
use std::sync::{mpsc, Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use widecoin_interfaces::echo::conformance;
use widecoin_interfaces::{Echo, Init, IpcError, LocalEcho, LocalInit};
use widecoin_ipc::{connect, connect_arg, listen, ConnectArg, IpcAddress, IpcKey, Listener};

/// How long a test waits for something that should happen at once.
const PROMPTLY: Duration = Duration::from_secs(10);

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// This test process's log (the subscriber is process-wide).
fn log_text() -> String {
    static LOG: OnceLock<Captured> = OnceLock::new();
    let log = LOG.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .without_time()
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        captured
    });
    String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned()
}

/// Waits (polling, bounded) until `f` holds.
fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + PROMPTLY;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn unix_listener(dir: &Path, init: Arc<dyn Init>) -> Listener {
    let address = IpcAddress::parse("unix", dir).unwrap();
    listen(&address, init, None).expect("listen on unix")
}

fn tcp_listener(init: Arc<dyn Init>, key: &IpcKey) -> Listener {
    let address = IpcAddress::parse("tcp:0", Path::new("/")).unwrap();
    listen(&address, init, Some(key.clone())).expect("listen on tcp")
}

fn tcp_address(listener: &Listener) -> IpcAddress {
    let port = listener.local_addr().unwrap().port();
    IpcAddress::parse(&format!("tcp:127.0.0.1:{port}"), Path::new("/")).unwrap()
}

#[test]
fn conformance_over_every_transport() {
    conformance::run_all(&LocalEcho);

    let dir = tempfile::tempdir().unwrap();
    let unix = unix_listener(dir.path(), Arc::new(LocalInit));
    let (init, _conn) = connect(unix.address(), None).unwrap();
    conformance::run_all(init.make_echo().unwrap().as_ref());

    let key = IpcKey::generate();
    let tcp = tcp_listener(Arc::new(LocalInit), &key);
    let (init, _conn) = connect(&tcp_address(&tcp), Some(&key)).unwrap();
    conformance::run_all(init.make_echo().unwrap().as_ref());
}

#[test]
fn a_tcp_client_with_a_wrong_key_is_refused_and_logged() {
    log_text();
    let key = IpcKey::generate();
    let listener = tcp_listener(Arc::new(LocalInit), &key);
    let address = tcp_address(&listener);
    let e = connect(&address, Some(&IpcKey::generate())).unwrap_err();
    assert!(
        matches!(&e, IpcError::Transport(m) if m.contains("refused the key")),
        "{e:?}"
    );
    wait_until("the refusal in the log", || {
        log_text().contains("IPC connection from 127.0.0.1:")
    });
    let log = log_text();
    assert!(log.contains(" refused: wrong IPC key"), "{log}");
    assert_eq!(listener.client_count(), 0);

    // Not speaking the protocol at all is refused as well.
    let mut raw = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    raw.write_all(b"GET / HTTP/1.1\r\n\r\nxxxxxxxxxxxxxxxxxxxxxxxxxx")
        .unwrap();
    wait_until("the second refusal", || {
        log_text().contains("refused: not a Widecoin IPC peer")
    });

    // No key at all: neither side goes ahead.
    assert!(connect(&address, None).is_err());
    let e = listen(&address, Arc::new(LocalInit), None).unwrap_err();
    assert!(e.to_string().contains("needs an IPC key"), "{e}");

    // The right key still works afterwards.
    let (init, _conn) = connect(&address, Some(&key)).unwrap();
    assert_eq!(init.make_echo().unwrap().echo("ok").unwrap(), "ok");
}

#[test]
fn listening_logs_the_address() {
    log_text();
    let dir = tempfile::tempdir().unwrap();
    let listener = unix_listener(dir.path(), Arc::new(LocalInit));
    let line = format!(
        "Listening for IPC requests on address unix:{}",
        dir.path().join("node.sock").display()
    );
    assert_eq!(
        listener.address().to_string(),
        line.rsplit(' ').next().unwrap()
    );
    assert!(log_text().contains(&line), "{}", log_text());
}

#[test]
fn unix_socket_files() {
    let dir = tempfile::tempdir().unwrap();
    // Parent directories are created.
    let address = IpcAddress::parse("unix:a/b/n.sock", dir.path()).unwrap();
    let path = dir.path().join("a/b/n.sock");
    let listener = listen(&address, Arc::new(LocalInit), None).unwrap();
    assert!(path.exists());
    // A live socket is never removed.
    let e = listen(&address, Arc::new(LocalInit), None).unwrap_err();
    assert!(
        e.to_string().contains("another process is listening"),
        "{e}"
    );
    let (init, _conn) = connect(&address, None).unwrap();
    assert_eq!(init.make_echo().unwrap().echo("x").unwrap(), "x");
    // Closing removes the file.
    listener.close();
    assert!(!path.exists());

    // A stale socket file (its listener gone without cleaning up) is replaced.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let _listener = listen(&address, Arc::new(LocalInit), None).unwrap();
    let (init, _conn) = connect(&address, None).unwrap();
    assert_eq!(init.make_echo().unwrap().echo("y").unwrap(), "y");

    // Something else at the path is left alone.
    let file = dir.path().join("plain");
    std::fs::write(&file, "data").unwrap();
    let e = listen(&IpcAddress::Unix(file.clone()), Arc::new(LocalInit), None).unwrap_err();
    assert!(e.to_string().contains("exists and is not a socket"), "{e}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "data");
}

#[test]
fn connect_arg_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let auto = ConnectArg::parse(None, dir.path()).unwrap();
    // `auto` with no node: no connection, no error.
    assert!(connect_arg(&auto, None).unwrap().is_none());
    let disabled = ConnectArg::parse(Some("0"), dir.path()).unwrap();
    assert!(connect_arg(&disabled, None).unwrap().is_none());
    // An explicit address that nobody listens on is an error naming it.
    let explicit = ConnectArg::parse(Some("unix"), dir.path()).unwrap();
    let e = connect_arg(&explicit, None).unwrap_err().to_string();
    assert!(
        e.contains("cannot connect to unix:") && e.contains("node.sock"),
        "{e}"
    );
    // With a node listening, `auto` connects.
    let _listener = unix_listener(dir.path(), Arc::new(LocalInit));
    let (init, _conn) = connect_arg(&auto, None).unwrap().expect("connected");
    assert_eq!(init.make_echo().unwrap().echo("a").unwrap(), "a");
}

#[test]
fn many_clients_over_time() {
    let dir = tempfile::tempdir().unwrap();
    let listener = unix_listener(dir.path(), Arc::new(LocalInit));
    let key = IpcKey::generate();
    let tcp = tcp_listener(Arc::new(LocalInit), &key);
    for round in 0..5 {
        let clients: Vec<_> = (0..3)
            .map(|_| connect(listener.address(), None).unwrap())
            .chain((0..2).map(|_| connect(&tcp_address(&tcp), Some(&key)).unwrap()))
            .collect();
        for (i, (init, _)) in clients.iter().enumerate() {
            let text = format!("round {round} client {i}");
            assert_eq!(init.make_echo().unwrap().echo(&text).unwrap(), text);
        }
        for (_, conn) in clients {
            conn.close();
        }
    }
    wait_until("clients gone", || {
        listener.client_count() == 0 && tcp.client_count() == 0
    });
}

/// An `Echo` whose calls of `"block"` wait until released (or the gate is
/// dropped); other texts come back at once.
#[derive(Default)]
struct Gate {
    state: Mutex<(usize, bool)>,
    cvar: Condvar,
}

impl Gate {
    fn wait_entered(&self, n: usize) {
        let deadline = Instant::now() + PROMPTLY;
        let mut s = self.state.lock().unwrap();
        while s.0 < n {
            assert!(
                Instant::now() < deadline,
                "no call reached the implementation"
            );
            s = self.cvar.wait_timeout(s, PROMPTLY).unwrap().0;
        }
    }
    fn release(&self) {
        self.state.lock().unwrap().1 = true;
        self.cvar.notify_all();
    }
}

struct GatedEcho(Arc<Gate>);

impl Echo for GatedEcho {
    fn echo(&self, text: &str) -> Result<String, IpcError> {
        if text == "block" {
            let mut s = self.0.state.lock().unwrap();
            s.0 += 1;
            self.0.cvar.notify_all();
            while !s.1 {
                s = self.0.cvar.wait(s).unwrap();
            }
        }
        Ok(text.to_string())
    }
}

impl Init for GatedEcho {
    fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError> {
        Ok(Box::new(GatedEcho(self.0.clone())))
    }
}

#[test]
fn the_server_survives_a_client_vanishing_mid_call() {
    let dir = tempfile::tempdir().unwrap();
    let gate = Arc::new(Gate::default());
    let listener = unix_listener(dir.path(), Arc::new(GatedEcho(gate.clone())));
    let (init, conn) = connect(listener.address(), None).unwrap();
    let echo: Arc<dyn Echo> = Arc::from(init.make_echo().unwrap());
    let caller = {
        let echo = echo.clone();
        std::thread::spawn(move || echo.echo("block"))
    };
    gate.wait_entered(1);
    // The client's socket goes away while the server runs its call.
    conn.close();
    assert_eq!(caller.join().unwrap(), Err(IpcError::Disconnected));
    wait_until("the server to drop the client", || {
        listener.client_count() == 0
    });
    // The call finishes into a closed socket; the server carries on.
    gate.release();
    let (init, _conn) = connect(listener.address(), None).unwrap();
    assert_eq!(init.make_echo().unwrap().echo("next").unwrap(), "next");
}

/// The child half of [`the_server_survives_a_client_process_killed_mid_call`]:
/// connects to the address in the environment and makes a call that blocks.
#[test]
fn child_client_process() {
    let Ok(address) = std::env::var("WIDECOIN_IPC_TEST_CONNECT") else {
        return;
    };
    let address = IpcAddress::Unix(address.into());
    let (init, _conn) = connect(&address, None).unwrap();
    let _ = init.make_echo().unwrap().echo("block");
    std::thread::sleep(PROMPTLY * 6);
}

#[test]
fn the_server_survives_a_client_process_killed_mid_call() {
    let dir = tempfile::tempdir().unwrap();
    let gate = Arc::new(Gate::default());
    let listener = unix_listener(dir.path(), Arc::new(GatedEcho(gate.clone())));
    let IpcAddress::Unix(path) = listener.address() else {
        unreachable!()
    };
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_client_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WIDECOIN_IPC_TEST_CONNECT", path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    gate.wait_entered(1);
    assert_eq!(listener.client_count(), 1);
    child.kill().unwrap();
    child.wait().unwrap();
    wait_until("the server to drop the killed client", || {
        listener.client_count() == 0
    });
    gate.release();
    let (init, _conn) = connect(listener.address(), None).unwrap();
    assert_eq!(init.make_echo().unwrap().echo("alive").unwrap(), "alive");
}

#[test]
fn calls_on_one_proxy_while_another_is_blocked() {
    let gate = Arc::new(Gate::default());
    let key = IpcKey::generate();
    let listener = tcp_listener(Arc::new(GatedEcho(gate.clone())), &key);
    let (init, _conn) = connect(&tcp_address(&listener), Some(&key)).unwrap();
    let echo: Arc<dyn Echo> = Arc::from(init.make_echo().unwrap());
    // Two calls blocked on the same proxy at once...
    let blocked: Vec<_> = (0..2)
        .map(|_| {
            let echo = echo.clone();
            std::thread::spawn(move || echo.echo("block"))
        })
        .collect();
    gate.wait_entered(2);
    // ...while several threads keep calling through that same proxy.
    conformance::concurrent_callers(echo.as_ref(), 4);
    gate.release();
    for b in blocked {
        assert_eq!(b.join().unwrap().unwrap(), "block");
    }
}

#[test]
fn closing_the_listener_disconnects_attached_clients_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let gate = Arc::new(Gate::default());
    let listener = unix_listener(dir.path(), Arc::new(GatedEcho(gate.clone())));
    let key = IpcKey::generate();
    let tcp = tcp_listener(Arc::new(GatedEcho(gate.clone())), &key);
    let (idle, _c1) = connect(listener.address(), None).unwrap();
    let idle_echo = idle.make_echo().unwrap();
    let (busy, _c2) = connect(&tcp_address(&tcp), Some(&key)).unwrap();
    let busy_echo: Arc<dyn Echo> = Arc::from(busy.make_echo().unwrap());
    let (done_tx, done_rx) = mpsc::channel();
    {
        let echo = busy_echo.clone();
        std::thread::spawn(move || done_tx.send(echo.echo("block")).unwrap());
    }
    gate.wait_entered(1);
    let started = Instant::now();
    listener.close();
    tcp.close();
    // The blocked call is answered without waiting for the implementation.
    assert_eq!(
        done_rx.recv_timeout(PROMPTLY).unwrap(),
        Err(IpcError::Disconnected)
    );
    assert!(started.elapsed() < PROMPTLY);
    assert_eq!(idle_echo.echo("x"), Err(IpcError::Disconnected));
    assert_eq!(busy_echo.echo("x"), Err(IpcError::Disconnected));
    // Nobody can connect any more.
    assert!(connect(listener.address(), None).is_err());
    gate.release();
}

#[test]
fn a_client_looping_on_calls_during_shutdown_terminates() {
    let dir = tempfile::tempdir().unwrap();
    let listener = unix_listener(dir.path(), Arc::new(LocalInit));
    let key = IpcKey::generate();
    let tcp = tcp_listener(Arc::new(LocalInit), &key);
    let mut loopers = Vec::new();
    for address_key in [
        (listener.address().clone(), None),
        (tcp_address(&tcp), Some(key)),
    ] {
        let (init, _conn) = connect(&address_key.0, address_key.1.as_ref()).unwrap();
        let echo = init.make_echo().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut calls = 0u64;
            let end = loop {
                match echo.echo("again") {
                    Ok(_) => calls += 1,
                    Err(e) => break e,
                }
                if calls == 5 {
                    let _ = tx.send(None);
                }
            };
            let _ = tx.send(Some(end));
        });
        assert_eq!(rx.recv_timeout(PROMPTLY).unwrap(), None, "the loop runs");
        loopers.push(rx);
    }
    listener.close();
    tcp.close();
    for rx in loopers {
        let end = loop {
            if let Some(end) = rx.recv_timeout(PROMPTLY).expect("the loop ends") {
                break end;
            }
        };
        assert_eq!(end, IpcError::Disconnected);
    }
}

#[test]
fn the_node_and_client_argument_helpers() {
    let dir = tempfile::tempdir().unwrap();
    let e = widecoin_ipc::bind_arg("pipe", dir.path(), None, Arc::new(LocalInit)).unwrap_err();
    assert_eq!(
        e,
        "Unable to bind to IPC address 'pipe'. Unrecognized address 'pipe'"
    );
    // TCP: the node creates the key file, a client reads it.
    let listener = widecoin_ipc::bind_arg("tcp:0", dir.path(), None, Arc::new(LocalInit)).unwrap();
    assert!(dir.path().join("ipc.cookie").exists());
    let port = listener.local_addr().unwrap().port();
    let value = format!("tcp:{port}");
    let (init, _conn) = widecoin_ipc::connect_from_args(Some(&value), dir.path(), None)
        .unwrap()
        .expect("connected");
    assert_eq!(init.make_echo().unwrap().echo("k").unwrap(), "k");
    // Another key file: refused.
    let other = dir.path().join("other.cookie");
    IpcKey::load_or_create(&other).unwrap();
    let e = widecoin_ipc::connect_from_args(Some(&value), dir.path(), Some(&other)).unwrap_err();
    assert!(e.contains("refused the key"), "{e}");
    // Unix, default: `auto` finds it.
    let _unix = widecoin_ipc::bind_arg("unix", dir.path(), None, Arc::new(LocalInit)).unwrap();
    assert!(widecoin_ipc::connect_from_args(None, dir.path(), None)
        .unwrap()
        .is_some());
    assert!(widecoin_ipc::connect_from_args(Some("0"), dir.path(), None)
        .unwrap()
        .is_none());
}
