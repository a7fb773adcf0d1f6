//! `widecoin-wallet`: for now only the spawned side of multiprocess
//! Widecoin. With `-ipcfd <n>` it serves its `Init` to the parent on
//! descriptor `n` until the parent closes the socket, then exits 0.

use std::sync::Arc;

use widecoin_interfaces::LocalInit;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(code) = widecoin_ipc::serve_if_spawned(&args, Arc::new(LocalInit)) {
        std::process::exit(code);
    }
    eprintln!("Error: widecoin-wallet can only be started by another Widecoin process (with -ipcfd) for now.");
    std::process::exit(1);
}
