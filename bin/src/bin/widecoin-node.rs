//! `widecoin-node`: the node, with other processes reached over Cap'n Proto.
//! `echoipc` goes through a spawned `widecoin-wallet`; `-ipcbind` lets other
//! processes connect to this one.

use std::sync::Arc;

use widecoin_interfaces::LocalInit;
use widecoin_node::{run_node, ProcessKind};

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
    };
    std::process::exit(run_node(&argv, kind))
}
