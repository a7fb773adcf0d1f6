//! `Echo` over IPC to a spawned `widecoin-wallet` process: the conformance
//! suite, the process's lifetime (exits 0 when its socket closes, ignores
//! SIGINT), a killed process answering `Disconnected`, and the `-debug=ipc`
//! lines of the spawn.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::Duration;

use widecoin_interfaces::echo::conformance;
use widecoin_interfaces::{Echo, Init, IpcError};

const WALLET: &str = env!("CARGO_BIN_EXE_widecoin-wallet");
const PROMPTLY: Duration = Duration::from_secs(10);

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log of this test process at debug level (the subscriber is process-wide).
fn captured_log() -> &'static Captured {
    static LOG: OnceLock<Captured> = OnceLock::new();
    LOG.get_or_init(|| {
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
    })
}

fn log_text() -> String {
    String::from_utf8_lossy(&captured_log().0.lock().unwrap()).into_owned()
}

#[test]
fn echo_through_a_spawned_wallet_conforms() {
    captured_log();
    let (echo, process) =
        widecoin_ipc::spawn_echo_path(Path::new(WALLET)).expect("spawn widecoin-wallet");
    conformance::run_all(echo.as_ref());
    let pid = process.pid();
    assert_eq!(
        process.close().expect("reap"),
        0,
        "the wallet exits 0 when its socket closes"
    );
    assert_eq!(echo.echo("after close"), Err(IpcError::Disconnected));

    let log = log_text();
    for line in [
        format!("Process widecoin-wallet pid {pid} launched"),
        format!("Process widecoin-wallet pid {pid} exited with status 0"),
    ] {
        assert!(
            log.contains(&format!("ipc: {line}")),
            "no {line:?} in:\n{log}"
        );
    }
    let send = log
        .lines()
        .find(|l| l.contains("IPC client send request #") && l.contains("Echo.echo"))
        .unwrap_or_else(|| panic!("no request line in:\n{log}"));
    // At debug level: no contents.
    assert!(send.trim_end().ends_with("Echo.echo"), "{send}");
    assert!(send.contains("DEBUG ipc: {ipc_echo"), "{send}");
    assert!(log.contains("IPC client recv response #"), "{log}");
}

#[test]
fn spawned_wallet_ignores_sigint_and_exits_when_the_socket_closes() {
    let (init, process) = widecoin_ipc::spawn_init_path(Path::new(WALLET)).unwrap();
    let echo = init.make_echo().unwrap();
    let status = Command::new("kill")
        .args(["-INT", &process.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(echo.echo("still here").unwrap(), "still here");
    drop(echo);
    drop(init);
    assert_eq!(process.close().unwrap(), 0);
}

#[test]
fn killed_wallet_gives_disconnected_not_a_hang() {
    let (echo, process) = widecoin_ipc::spawn_echo_path(Path::new(WALLET)).unwrap();
    let echo: Arc<dyn Echo> = Arc::from(echo);
    assert_eq!(echo.echo("alive").unwrap(), "alive");
    // Callers keep calls in flight (1 MiB each) while the process is killed.
    let big = "k".repeat(1 << 20);
    let (done_tx, done_rx) = mpsc::channel();
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let echo = echo.clone();
            let big = big.clone();
            let done_tx = done_tx.clone();
            std::thread::spawn(move || loop {
                match echo.echo(&big) {
                    Ok(back) => assert_eq!(back.len(), big.len()),
                    Err(e) => {
                        done_tx.send(e).unwrap();
                        return;
                    }
                }
            })
        })
        .collect();
    let status = Command::new("kill")
        .args(["-KILL", &process.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for _ in 0..callers.len() {
        let e = done_rx
            .recv_timeout(PROMPTLY)
            .expect("every caller is answered");
        assert_eq!(e, IpcError::Disconnected);
    }
    for c in callers {
        c.join().unwrap();
    }
    assert_eq!(echo.echo("dead"), Err(IpcError::Disconnected));
    // Reaped: the raw wait status of SIGKILL.
    assert_eq!(process.close().unwrap(), 9);
}

#[test]
fn wallet_without_ipcfd_refuses() {
    let out = Command::new(WALLET).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("Error: "));
    let out = Command::new(WALLET)
        .args(["-ipcfd", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error: Invalid -ipcfd number 'nope'\n"
    );
}

#[test]
fn spawning_a_missing_executable_fails_cleanly() {
    let e = widecoin_ipc::spawn_echo("widecoin-no-such-binary")
        .err()
        .unwrap();
    assert!(
        matches!(e, IpcError::Transport(ref m) if m.starts_with("cannot spawn ")),
        "{e:?}"
    );
}
