//! `widecoin-node`: the node, with other processes reached over Cap'n Proto.
//! It spawns `widecoin-wallet` at start-up (unless `-disablewallet`) and
//! hands it the node's `Chain`; `echoipc` goes through a spawned
//! `widecoin-wallet`; `-ipcbind` lets other processes connect to this one.

use std::sync::{Arc, Mutex};

use widecoin_interfaces::{Chain, Init, IpcError, LocalInit};
use widecoin_ipc::{Connection, ProcessHandle};
use widecoin_node::{run_node, ChildProcess, ProcessKind, SpawnedWallet};

/// A spawned process as the node's `ChildProcess`.
struct Spawned {
    pid: u32,
    conn: Connection,
    handle: Mutex<Option<ProcessHandle>>,
}

impl ChildProcess for Spawned {
    fn pid(&self) -> u32 {
        self.pid
    }

    fn wait_disconnected(&self) {
        self.conn.wait_closed();
    }

    fn close(&self) -> Result<i32, IpcError> {
        let handle = self.handle.lock().unwrap_or_else(|e| e.into_inner()).take();
        handle.map_or(Ok(0), ProcessHandle::close)
    }
}

fn spawn_wallet(chain: Arc<dyn Chain>) -> Result<SpawnedWallet, IpcError> {
    let (init, process) = widecoin_ipc::spawn_init("widecoin-wallet")?;
    let loader = init.make_wallet_loader(chain)?;
    Ok(SpawnedWallet {
        loader,
        process: Box::new(Spawned {
            pid: process.pid(),
            conn: process.connection().clone(),
            handle: Mutex::new(Some(process)),
        }),
    })
}

fn main() {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let kind = ProcessKind {
        echo_ipc: Some(Arc::new(|text: &str| {
            let (echo, process) = widecoin_ipc::spawn_echo("widecoin-wallet")?;
            let echoed = echo.echo(text);
            drop(echo);
            process.close()?;
            echoed
        })),
        ipc_bind: Some(Arc::new(|address, net_dir, authfile| {
            let listener = widecoin_ipc::bind_arg(address, net_dir, authfile, Arc::new(LocalInit))?;
            Ok(Box::new(listener) as Box<dyn Send>)
        })),
        spawn_wallet: Some(Arc::new(spawn_wallet)),
    };
    std::process::exit(run_node(&argv, kind))
}
