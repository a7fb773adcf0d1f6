//! `widecoin-wallet`: for now only the spawned side of multiprocess
//! Widecoin. With `-ipcfd <n>` it serves its `Init` to the parent on
//! descriptor `n` until the parent closes the socket, then exits 0.
//!
//! Until the wallet crate lands, its wallet module registers one test-only
//! RPC method with the node, hidden `walletprocessinfo`, which proves that
//! an RPC on the node's port is answered by this process and that this
//! process can call the node back while doing so.

use std::sync::{Arc, Mutex};

use widecoin_interfaces::{
    Chain, Echo, Handler, Init, IpcError, LocalEcho, RpcArgDoc, RpcCall, RpcCommandSpec,
    RpcHandlerRemote, RpcMethodDoc, RpcResultDoc, WalletLoader,
};

/// This process's `Init`: an `Echo`, and the wallet loader.
struct WalletInit;

impl Init for WalletInit {
    fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError> {
        Ok(Box::new(LocalEcho))
    }

    fn make_wallet_loader(&self, chain: Arc<dyn Chain>) -> Result<Box<dyn WalletLoader>, IpcError> {
        Ok(Box::new(ProcessInfoLoader {
            chain,
            handlers: Mutex::new(Vec::new()),
        }))
    }
}

/// The placeholder wallet module: registers `walletprocessinfo`.
struct ProcessInfoLoader {
    chain: Arc<dyn Chain>,
    handlers: Mutex<Vec<Box<dyn Handler>>>,
}

impl WalletLoader for ProcessInfoLoader {
    fn register_rpcs(&self) -> Result<(), IpcError> {
        let handler = self.chain.handle_rpc(
            RpcCommandSpec {
                category: "hidden".into(),
                doc: process_info_doc(),
            },
            Arc::new(ProcessInfo {
                chain: self.chain.clone(),
            }),
        )?;
        self.handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(handler);
        Ok(())
    }

    fn start(&self) -> Result<(), IpcError> {
        Ok(())
    }

    fn stop(&self) -> Result<(), IpcError> {
        // Dropping the handlers unregisters the methods on the node.
        self.handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        Ok(())
    }
}

fn result_field(result_type: &str, key: &str, description: &str) -> RpcResultDoc {
    RpcResultDoc {
        cond: String::new(),
        result_type: result_type.into(),
        key_name: key.into(),
        optional: false,
        skip_type_check: false,
        description: description.into(),
        inner: Vec::new(),
    }
}

/// `walletprocessinfo`'s documentation.
fn process_info_doc() -> RpcMethodDoc {
    let no_args: Vec<RpcArgDoc> = Vec::new();
    let mut result = result_field("OBJ", "", "");
    result.inner = vec![
        result_field("NUM", "pid", "The process id of the wallet process"),
        result_field(
            "NUM",
            "chain_height",
            "The height of the node's active chain, as the wallet process asked the node for it",
        ),
    ];
    RpcMethodDoc {
        name: "walletprocessinfo".into(),
        description: "\nTest-only: answered by the wallet process through the node's RPC server.\n"
            .into(),
        args: no_args,
        results: vec![result],
        examples: "> widecoin-cli walletprocessinfo \n".into(),
    }
}

/// `walletprocessinfo`: `{"pid": <this process>, "chain_height": <asked of the node>}`.
struct ProcessInfo {
    chain: Arc<dyn Chain>,
}

impl RpcHandlerRemote for ProcessInfo {
    fn call(&self, _call: &RpcCall) -> Result<String, IpcError> {
        let height = match self.chain.get_height()? {
            Some(h) => i64::from(h),
            None => -1,
        };
        Ok(format!(
            "{{\"pid\":{},\"chain_height\":{height}}}",
            std::process::id()
        ))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(code) = widecoin_ipc::serve_if_spawned(&args, Arc::new(WalletInit)) {
        std::process::exit(code);
    }
    eprintln!("Error: widecoin-wallet can only be started by another Widecoin process (with -ipcfd) for now.");
    std::process::exit(1);
}
