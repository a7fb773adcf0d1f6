//! Round trip of `echo("x")` from a blocking caller: in-process, over a
//! socketpair inside one process, and over a socketpair to a child process
//! (this executable, re-run with `-ipcfd`). Prints median and p99.
//!
//! `cargo bench -p widecoin-ipc --bench echo_roundtrip [-- <iterations>]`

use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use widecoin_interfaces::{Echo, Init, LocalEcho, LocalInit};
use widecoin_ipc::{Connection, InitClient, Role};

fn measure(name: &str, echo: &dyn Echo, iterations: usize) {
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

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(code) = widecoin_ipc::serve_if_spawned(&args, Arc::new(LocalInit)) {
        std::process::exit(code);
    }
    let iterations = args
        .iter()
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(20_000);

    measure("in-process (LocalEcho)", &LocalEcho, iterations);

    {
        let (a, b) = UnixStream::pair().unwrap();
        let init: Arc<dyn Init> = Arc::new(LocalInit);
        let _server = Connection::new(a, Role::Server, Some(init)).unwrap();
        let client = InitClient::new(Connection::new(b, Role::Client, None).unwrap());
        let echo = client.make_echo().unwrap();
        measure("socketpair, same process", echo.as_ref(), iterations);
    }

    let me = std::env::current_exe().unwrap();
    let (echo, process) = widecoin_ipc::spawn_echo_path(&me).unwrap();
    measure("socketpair, child process", echo.as_ref(), iterations);
    drop(echo);
    process.close().unwrap();
}
