//! Round trip of `echo("x")` from a blocking caller: in-process, over a
//! socketpair inside one process, over a socketpair to a child process
//! (this executable, re-run with `-ipcfd`), and to a listener in this process
//! over a unix socket and over encrypted TCP. Prints median and p99.
//!
//! `cargo bench -p widecoin-ipc --bench echo_roundtrip [-- <iterations>]`

use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use widecoin_interfaces::{Echo, Init, LocalEcho, LocalInit};
use widecoin_ipc::{Connection, InitClient, IpcAddress, IpcKey, Role};

fn measure(name: &str, echo: &dyn Echo, iterations: usize) {
    // `-- tcp` (any word) measures only the cases whose name contains it.
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-') && a.parse::<usize>().is_err());
    if let Some(only) = filter {
        if !name.contains(only.as_str()) {
            return;
        }
    }
    for _ in 0..iterations / 10 {
        echo.echo("x").unwrap();
    }
    let mut times: Vec<Duration> = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        let back = echo.echo("x").unwrap();
        times.push(start.elapsed());
        assert_eq!(back, "x");
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{name:<34} median {:>9.2} us   p99 {:>9.2} us   ({iterations} calls)",
        at(0.5).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6
    );
}

/// `LocalEcho` served on a worker thread (as any implementation that does
/// not mark its methods cheap), to compare with `LocalEcho` run inline.
struct WorkerEcho;

impl Echo for WorkerEcho {
    fn echo(&self, text: &str) -> Result<String, widecoin_interfaces::IpcError> {
        LocalEcho.echo(text)
    }
}

impl Init for WorkerEcho {
    fn make_echo(&self) -> Result<Box<dyn Echo>, widecoin_interfaces::IpcError> {
        Ok(Box::new(WorkerEcho))
    }
}

/// The child serves [`WorkerEcho`] when this is set.
const WORKER_ENV: &str = "WIDECOIN_BENCH_WORKER_ECHO";

/// The child skips its seccomp filter when this is set (to measure what the
/// filter costs).
const NO_SECCOMP_ENV: &str = "WIDECOIN_BENCH_NO_SECCOMP";

fn socketpair_echo(init: Arc<dyn Init>) -> (Connection, Box<dyn Echo>) {
    let (a, b) = UnixStream::pair().unwrap();
    let server = Connection::new(a, Role::Server, Some(init)).unwrap();
    let client = InitClient::new(Connection::new(b, Role::Client, None).unwrap());
    (server, client.make_echo().unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let init: Arc<dyn Init> = if std::env::var_os(WORKER_ENV).is_some() {
        Arc::new(WorkerEcho)
    } else {
        Arc::new(LocalInit)
    };
    if matches!(
        widecoin_ipc::parse_ipcfd_arg(&args),
        widecoin_ipc::IpcfdArg::Fd(_)
    ) && std::env::var_os(NO_SECCOMP_ENV).is_none()
    {
        // The child restricts itself as `widecoin-wallet` does (seccomp).
        let _ = widecoin_ipc::sandbox::restrict_spawned_self();
    }
    if let Some(code) = widecoin_ipc::serve_if_spawned(&args, init) {
        std::process::exit(code);
    }
    let iterations = args
        .iter()
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(20_000);

    measure("in-process (LocalEcho)", &LocalEcho, iterations);

    {
        let (_server, echo) = socketpair_echo(Arc::new(WorkerEcho));
        measure(
            "socketpair, same process, worker",
            echo.as_ref(),
            iterations,
        );
        let (_server, echo) = socketpair_echo(Arc::new(LocalInit));
        measure(
            "socketpair, same process, inline",
            echo.as_ref(),
            iterations,
        );
    }

    {
        let dir = tempfile::tempdir().unwrap();
        let address = IpcAddress::parse("unix", dir.path()).unwrap();
        let listener = widecoin_ipc::listen(&address, Arc::new(LocalInit), None).unwrap();
        let (init, conn) = widecoin_ipc::connect(listener.address(), None).unwrap();
        measure(
            "unix socket listener",
            init.make_echo().unwrap().as_ref(),
            iterations,
        );
        conn.close();

        let key = IpcKey::generate();
        let tcp = IpcAddress::parse("tcp:0", dir.path()).unwrap();
        let listener = widecoin_ipc::listen(&tcp, Arc::new(LocalInit), Some(key.clone())).unwrap();
        let port = listener.local_addr().unwrap().port();
        let address = IpcAddress::parse(&format!("tcp:{port}"), dir.path()).unwrap();
        let (init, conn) = widecoin_ipc::connect(&address, Some(&key)).unwrap();
        measure(
            "tcp listener, encrypted",
            init.make_echo().unwrap().as_ref(),
            iterations,
        );
        conn.close();
    }

    let me = std::env::current_exe().unwrap();
    for (name, worker) in [
        ("socketpair, child process, worker", true),
        ("socketpair, child process, inline", false),
    ] {
        if worker {
            std::env::set_var(WORKER_ENV, "1");
        } else {
            std::env::remove_var(WORKER_ENV);
        }
        let (echo, process) = widecoin_ipc::spawn_echo_path(&me).unwrap();
        measure(name, echo.as_ref(), iterations);
        drop(echo);
        process.close().unwrap();
    }
}
