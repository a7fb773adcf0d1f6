//! `widecoin-node`: the node, with other processes reached over Cap'n Proto.
//! It spawns `widecoin-wallet` at start-up (unless `-disablewallet`) and
//! hands it the node's `Chain`; `echoipc` goes through a spawned
//! `widecoin-wallet`; `-ipcbind` lets other processes connect to this one and
//! ask for the node's `Chain` (`widecoin-wallet -ipcconnect`).

use std::sync::{Arc, Mutex};

use std::sync::OnceLock;

use widecoin_interfaces::{Chain, Echo, Init, IpcError, LocalEcho, RpcError};
use widecoin_ipc::{Connection, ProcessHandle, SpawnOptions};
use widecoin_node::{run_node, ChildProcess, IpcChainSlot, ProcessKind, SpawnedWallet};

#[path = "../widecoin-wallet-settings.rs"]
#[allow(dead_code)]
mod wallet_settings;

/// The node's `Init` for processes that connect to `-ipcbind`: an `Echo`,
/// and the node's `Chain` (for a wallet started with `-ipcconnect`).
struct NodeInit {
    chain: IpcChainSlot,
}

impl Init for NodeInit {
    fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError> {
        Ok(Box::new(LocalEcho))
    }

    fn make_chain(&self) -> Result<Arc<dyn Chain>, IpcError> {
        self.chain
            .get()
            .cloned()
            .ok_or_else(|| RpcError::misc("The node is still starting").into())
    }
}

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
    // The wallet may only touch its wallet directory, debug.log and the
    // config file (see widecoin_ipc::sandbox).
    let policy = wallet_settings::sandbox_policy(chain.as_ref()).map_err(IpcError::Transport)?;
    let path = widecoin_ipc::sibling_executable("widecoin-wallet")?;
    let (init, process) = widecoin_ipc::spawn_init_with(&path, &SpawnOptions::sandboxed(policy))?;
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
    let chain_slot: IpcChainSlot = Arc::new(OnceLock::new());
    let bind_init: Arc<dyn Init> = Arc::new(NodeInit {
        chain: chain_slot.clone(),
    });
    let kind = ProcessKind {
        echo_ipc: Some(Arc::new(|text: &str| {
            let (echo, process) = widecoin_ipc::spawn_echo("widecoin-wallet")?;
            let echoed = echo.echo(text);
            drop(echo);
            process.close()?;
            echoed
        })),
        ipc_bind: Some(Arc::new(move |address, net_dir, authfile| {
            let listener = widecoin_ipc::bind_arg(address, net_dir, authfile, bind_init.clone())?;
            Ok(Box::new(listener) as Box<dyn Send>)
        })),
        spawn_wallet: Some(Arc::new(spawn_wallet)),
        ipc_chain: Some(chain_slot),
    };
    std::process::exit(run_node(&argv, kind))
}
