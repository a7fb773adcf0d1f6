//! The wallet as a separate process (`widecoin-node`): spawning it after the
//! RPC server is up, handing it the node's [`Chain`] (`crate::chain`), the
//! RPC methods it registers through it (Core's `RpcHandlerImpl`,
//! `src/node/interfaces.cpp`), and stopping and reaping it at shutdown.
//!
//! This crate does not know how the process is spawned or talked to: the
//! binary supplies a [`SpawnWallet`] (over `widecoin-ipc`); here only the
//! `widecoin-interfaces` traits are used.
//!
//! The wallet registers its RPC methods through [`Chain::handle_rpc`]; each
//! becomes a command of the node's table whose handler forwards the request
//! (method, positional params, URI, ...) to the wallet's handler capability,
//! so a wallet method answers on the node's RPC port and `/wallet/<name>`
//! endpoints. If the wallet process dies, its connection closes, every
//! registration it held is dropped and so unregistered: its methods then
//! answer `Method not found` (-32601), as in a node without that wallet;
//! a call already on its way answers `RPC_MISC_ERROR` (-1) "IPC peer
//! disconnected". Everything else keeps being served.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use widecoin_common::args::ArgsManager;
use widecoin_interfaces::{
    Chain, Handler, IpcError, RpcArgDoc, RpcArgFallback, RpcCall, RpcCommandSpec, RpcError,
    RpcHandlerRemote, RpcMethodDoc, RpcResultDoc, WalletLoader,
};
use widecoin_rpc::{
    pass_on_wallet_not_found, ArgOptions, ArgType, CommandId, Fallback, ResultType, RpcArg,
    RpcCommand, RpcHandler, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use crate::context::NodeContext;

/// How long shutdown waits for the wallet process to answer `stop`.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Spawns a wallet process and makes its wallet loader with `chain`.
pub type SpawnWallet = Arc<dyn Fn(Arc<dyn Chain>) -> Result<SpawnedWallet, IpcError> + Send + Sync>;

/// A spawned wallet process: its loader and the process itself.
pub struct SpawnedWallet {
    pub loader: Box<dyn WalletLoader>,
    pub process: Box<dyn ChildProcess>,
}

/// A spawned process as the node sees it.
pub trait ChildProcess: Send + Sync {
    /// Its process id.
    fn pid(&self) -> u32;
    /// Blocks until the connection to it closes (it exited, was killed, or
    /// [`ChildProcess::close`] was called).
    fn wait_disconnected(&self);
    /// Closes the connection and reaps the process (logging
    /// `Process <name> pid <pid> exited with status <status>`); its wait
    /// status. Later calls do nothing and return 0.
    fn close(&self) -> Result<i32, IpcError>;
}

/// The running wallet process, from spawn to shutdown.
pub(crate) struct WalletProcess {
    loader: Option<Box<dyn WalletLoader>>,
    process: Arc<dyn ChildProcess>,
    stopping: Arc<AtomicBool>,
    monitor: Option<JoinHandle<()>>,
}

impl WalletProcess {
    /// Core's wallet start-up in `AppInitMain` (`-disablewallet` aside):
    /// spawns the wallet process, hands it the node's [`Chain`], and has it
    /// register its RPC methods in `table` and start. `Ok(None)` with
    /// `-disablewallet`.
    pub(crate) fn start(
        spawn: &SpawnWallet,
        args: &ArgsManager,
        node: &Arc<NodeContext>,
        table: Option<&Arc<RpcTable>>,
    ) -> Result<Option<WalletProcess>, String> {
        if args.get_bool_arg("-disablewallet", false) {
            tracing::info!("Wallet disabled!");
            return Ok(None);
        }
        let chain: Arc<dyn Chain> = crate::chain::chain_interface(node, table, args);
        let spawned =
            spawn(chain).map_err(|e| format!("Failed to start the wallet process: {e}"))?;
        let process: Arc<dyn ChildProcess> = Arc::from(spawned.process);
        let stopping = Arc::new(AtomicBool::new(false));
        let monitor = {
            let process = process.clone();
            let stopping = stopping.clone();
            std::thread::Builder::new()
                .name("walletproc".into())
                .spawn(move || {
                    process.wait_disconnected();
                    if !stopping.load(Ordering::SeqCst) {
                        tracing::info!(
                            "Warning: wallet process pid {} disconnected; its RPC methods are unregistered",
                            process.pid()
                        );
                    }
                    let _ = process.close();
                })
                .map_err(|e| format!("Failed to start the wallet process: {e}"))?
        };
        let mut running = WalletProcess {
            loader: Some(spawned.loader),
            process,
            stopping,
            monitor: Some(monitor),
        };
        let loader = running.loader.as_ref().expect("just set");
        if let Err(e) = loader.register_rpcs().and_then(|()| loader.start()) {
            running.stop();
            return Err(format!("Failed to start the wallet process: {e}"));
        }
        Ok(Some(running))
    }

    /// Core's wallet part of `Shutdown`: the loader stops (the wallet drops
    /// its RPC registrations), then the connection closes and the process
    /// is reaped. Never blocks on a dead process.
    pub(crate) fn stop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(loader) = self.loader.take() {
            // A wallet that does not answer (stopped, looping) must not keep
            // the node from shutting down: after STOP_TIMEOUT the connection
            // is closed under the call, which then fails at once.
            let (done_tx, done_rx) = std::sync::mpsc::channel();
            let stopper = std::thread::Builder::new()
                .name("walletstop".into())
                .spawn(move || {
                    let _ = done_tx.send(loader.stop());
                });
            match done_rx.recv_timeout(STOP_TIMEOUT) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::debug!(target: "ipc", "Wallet process stop: {e}"),
                Err(_) => tracing::info!(
                    "Warning: wallet process pid {} did not stop within {} seconds",
                    self.process.pid(),
                    STOP_TIMEOUT.as_secs()
                ),
            }
            if let Err(e) = self.process.close() {
                tracing::info!("Error: stopping the wallet process: {e}");
            }
            if let Ok(stopper) = stopper {
                let _ = stopper.join();
            }
        } else if let Err(e) = self.process.close() {
            tracing::info!("Error: stopping the wallet process: {e}");
        }
        if let Some(monitor) = self.monitor.take() {
            let _ = monitor.join();
        }
    }
}

impl Drop for WalletProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Core's `handleRpc` of the node's `Chain`: registers `command` in
/// `table`, forwarding each call to `handler` (another process).
pub(crate) fn register_remote_rpc(
    table: Option<&Weak<RpcTable>>,
    command: RpcCommandSpec,
    handler: Arc<dyn RpcHandlerRemote>,
) -> Result<Box<dyn Handler>, IpcError> {
    let Some(table) = table else {
        return Ok(Box::new(RpcRegistration {
            table: Weak::new(),
            name: command.doc.name,
            id: Mutex::new(None),
        }));
    };
    let table = table
        .upgrade()
        .ok_or_else(|| IpcError::from(RpcError::misc("The node is shutting down")))?;
    let spec = rpc_method(&command.doc).map_err(|e| {
        IpcError::from(RpcError::misc(format!(
            "Invalid RPC method documentation of {}: {e}",
            command.doc.name
        )))
    })?;
    let forward: RpcHandler = Arc::new(move |req: &RpcRequest| {
        let call = RpcCall {
            method: req.method.clone(),
            params_json: Value::Array(req.params_array().to_vec()).to_string(),
            id_json: req.id.to_string(),
            uri: req.uri.clone(),
            auth_user: req.auth_user.clone(),
            peer_addr: req.peer_addr.clone(),
            last_handler: req.is_last_handler(),
        };
        let json = handler.call(&call).map_err(IpcError::into_rpc_error)?;
        serde_json::from_str(&json).map_err(|e| {
            RpcError::misc(format!(
                "Invalid JSON in the answer of {}: {e}",
                call.method
            ))
        })
    });
    let name = spec.name.clone();
    let command =
        RpcCommand::from_handler(&command.category, spec, pass_on_wallet_not_found(forward));
    let id = table.register(command);
    tracing::debug!(target: "rpc", "Registered RPC method {name} of another process");
    Ok(Box::new(RpcRegistration {
        table: Arc::downgrade(&table),
        name,
        id: Mutex::new(Some(id)),
    }))
}

/// A method registered by another process (Core's `RpcHandlerImpl`):
/// dropping or disconnecting it removes it from the table.
struct RpcRegistration {
    table: Weak<RpcTable>,
    name: String,
    id: Mutex<Option<CommandId>>,
}

impl Handler for RpcRegistration {
    fn disconnect(&self) -> Result<(), IpcError> {
        let id = self.id.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let (Some(id), Some(table)) = (id, self.table.upgrade()) {
            table.unregister(&self.name, id);
        }
        Ok(())
    }
}

impl Drop for RpcRegistration {
    fn drop(&mut self) {
        let _ = self.disconnect();
    }
}

// ----- RPC documentation as plain data (both directions) -----

const ARG_TYPES: &[(ArgType, &str)] = &[
    (ArgType::Obj, "OBJ"),
    (ArgType::Arr, "ARR"),
    (ArgType::Str, "STR"),
    (ArgType::Num, "NUM"),
    (ArgType::Bool, "BOOL"),
    (ArgType::ObjNamedParams, "OBJ_NAMED_PARAMS"),
    (ArgType::ObjUserKeys, "OBJ_USER_KEYS"),
    (ArgType::Amount, "AMOUNT"),
    (ArgType::StrHex, "STR_HEX"),
    (ArgType::Range, "RANGE"),
];

const RESULT_TYPES: &[(ResultType, &str)] = &[
    (ResultType::Obj, "OBJ"),
    (ResultType::Arr, "ARR"),
    (ResultType::Str, "STR"),
    (ResultType::Num, "NUM"),
    (ResultType::Bool, "BOOL"),
    (ResultType::None, "NONE"),
    (ResultType::Any, "ANY"),
    (ResultType::StrAmount, "STR_AMOUNT"),
    (ResultType::StrHex, "STR_HEX"),
    (ResultType::ObjDyn, "OBJ_DYN"),
    (ResultType::ArrFixed, "ARR_FIXED"),
    (ResultType::NumTime, "NUM_TIME"),
    (ResultType::Elision, "ELISION"),
];

fn arg_doc(a: &RpcArg) -> RpcArgDoc {
    RpcArgDoc {
        names: a.names.clone(),
        arg_type: ARG_TYPES
            .iter()
            .find(|(t, _)| *t == a.arg_type)
            .map_or("", |(_, s)| s)
            .into(),
        fallback: match &a.fallback {
            Fallback::Required => RpcArgFallback::Required,
            Fallback::Omitted => RpcArgFallback::Omitted,
            Fallback::DefaultHint(h) => RpcArgFallback::DefaultHint(h.clone()),
            Fallback::Default(v) => RpcArgFallback::Default(v.to_string()),
        },
        description: a.description.clone(),
        inner: a.inner.iter().map(arg_doc).collect(),
        skip_type_check: a.opts.skip_type_check,
        oneline_description: a.opts.oneline_description.clone(),
        type_str: a.opts.type_str.clone(),
        hidden: a.opts.hidden,
        also_positional: a.opts.also_positional,
    }
}

fn result_doc(r: &RpcResult) -> RpcResultDoc {
    RpcResultDoc {
        cond: r.cond.clone(),
        result_type: RESULT_TYPES
            .iter()
            .find(|(t, _)| *t == r.result_type)
            .map_or("", |(_, s)| s)
            .into(),
        key_name: r.key_name.clone(),
        optional: r.optional,
        skip_type_check: r.skip_type_check,
        description: r.description.clone(),
        inner: r.inner.iter().map(result_doc).collect(),
    }
}

/// A method's documentation as plain data, to send to the node.
pub fn method_doc(m: &RpcMethod) -> RpcMethodDoc {
    RpcMethodDoc {
        name: m.name.clone(),
        description: m.description.clone(),
        args: m.args.iter().map(arg_doc).collect(),
        results: m.results.iter().map(result_doc).collect(),
        examples: m.examples.clone(),
    }
}

fn rpc_arg(d: &RpcArgDoc) -> Result<RpcArg, String> {
    let arg_type = ARG_TYPES
        .iter()
        .find(|(_, s)| *s == d.arg_type)
        .map(|(t, _)| *t)
        .ok_or_else(|| format!("unknown argument type {}", d.arg_type))?;
    let fallback = match &d.fallback {
        RpcArgFallback::Required => Fallback::Required,
        RpcArgFallback::Omitted => Fallback::Omitted,
        RpcArgFallback::DefaultHint(h) => Fallback::DefaultHint(h.clone()),
        RpcArgFallback::Default(json) => Fallback::Default(
            serde_json::from_str(json)
                .map_err(|e| format!("default of {} is not JSON: {e}", d.names))?,
        ),
    };
    Ok(RpcArg {
        names: d.names.clone(),
        arg_type,
        fallback,
        description: d.description.clone(),
        inner: d.inner.iter().map(rpc_arg).collect::<Result<_, _>>()?,
        opts: ArgOptions {
            skip_type_check: d.skip_type_check,
            oneline_description: d.oneline_description.clone(),
            type_str: d.type_str.clone(),
            hidden: d.hidden,
            also_positional: d.also_positional,
        },
    })
}

fn rpc_result(d: &RpcResultDoc) -> Result<RpcResult, String> {
    let result_type = RESULT_TYPES
        .iter()
        .find(|(_, s)| *s == d.result_type)
        .map(|(t, _)| *t)
        .ok_or_else(|| format!("unknown result type {}", d.result_type))?;
    Ok(RpcResult {
        cond: d.cond.clone(),
        result_type,
        key_name: d.key_name.clone(),
        optional: d.optional,
        skip_type_check: d.skip_type_check,
        description: d.description.clone(),
        inner: d.inner.iter().map(rpc_result).collect::<Result<_, _>>()?,
    })
}

/// The documentation another process sent, checked as `RPCHelpMan` checks
/// its own (a bad one is refused, not registered).
pub fn rpc_method(d: &RpcMethodDoc) -> Result<RpcMethod, String> {
    let method = RpcMethod {
        name: d.name.clone(),
        description: d.description.clone(),
        args: d.args.iter().map(rpc_arg).collect::<Result<_, _>>()?,
        results: d.results.iter().map(rpc_result).collect::<Result<_, _>>()?,
        examples: d.examples.clone(),
    };
    if method.name.is_empty() {
        return Err("no method name".into());
    }
    method.check_consistency()?;
    Ok(method)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> RpcMethod {
        let mut hidden = RpcArg::with_default("verbose", ArgType::Bool, json!(false), "verbose?");
        hidden.opts.hidden = true;
        let mut options = RpcArg::omitted("options", ArgType::ObjNamedParams, "options");
        options.inner = vec![
            RpcArg::new(
                "conf_target|target",
                ArgType::Num,
                Fallback::DefaultHint("wallet -txconfirmtarget".into()),
                "target",
            ),
            RpcArg::with_default("fee_rate", ArgType::Amount, json!("1.5"), "rate"),
        ];
        RpcMethod::new(
            "sample",
            "A sample ☃.",
            vec![
                RpcArg::required("height", ArgType::Num, "a height"),
                options,
                hidden,
            ],
            vec![RpcResult::new(ResultType::Obj, "", "")
                .cond("if verbose")
                .inner(vec![
                    RpcResult::new(ResultType::StrAmount, "fee", "fee").optional(),
                    RpcResult::new(ResultType::Arr, "list", "")
                        .inner(vec![RpcResult::new(ResultType::Elision, "", "")])
                        .skip_type_check(),
                ])],
            "> widecoin-cli sample 1\n",
        )
    }

    #[test]
    fn documentation_survives_the_round_trip() {
        let m = sample();
        let back = rpc_method(&method_doc(&m)).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.help_text(), m.help_text());
    }

    #[test]
    fn bad_documentation_is_refused() {
        let mut d = method_doc(&sample());
        d.args[0].arg_type = "NOPE".into();
        assert_eq!(rpc_method(&d).unwrap_err(), "unknown argument type NOPE");
        let mut d = method_doc(&sample());
        d.args[1].fallback = RpcArgFallback::Default("{".into());
        assert!(rpc_method(&d)
            .unwrap_err()
            .starts_with("default of options is not JSON"));
        let mut d = method_doc(&sample());
        d.args[2].names = "height".into();
        assert!(rpc_method(&d).is_err());
    }

    /// A wallet-side handler answering with its argument and a fixed error.
    struct Remote;
    impl RpcHandlerRemote for Remote {
        fn call(&self, call: &RpcCall) -> Result<String, IpcError> {
            if call.params_json == "[0]" {
                return Err(RpcError::new(-4, "wallet error ☃").into());
            }
            Ok(format!(
                "{{\"params\":{},\"uri\":\"{}\",\"method\":\"{}\"}}",
                call.params_json, call.uri, call.method
            ))
        }
    }

    #[test]
    fn registered_methods_forward_and_unregister() {
        let table = Arc::new(RpcTable::new());
        table.set_warmup_finished();
        let handler = register_remote_rpc(
            Some(&Arc::downgrade(&table)),
            RpcCommandSpec {
                category: "wallet".into(),
                doc: method_doc(&sample()),
            },
            Arc::new(Remote),
        )
        .unwrap();
        assert!(table.list_commands().contains(&"sample".to_string()));
        assert!(table.help("").contains("== Wallet ==\nsample"));
        assert_eq!(table.help("sample"), sample().help_text());
        // Named parameters arrive positional, with the URI.
        let r = table
            .execute(&RpcRequest::new("sample", json!({"height": 5})).with_uri("/wallet/w"))
            .unwrap();
        assert_eq!(
            r,
            json!({"params": [5], "uri": "/wallet/w", "method": "sample"})
        );
        // The node's argument checks run first.
        let e = table
            .execute(&RpcRequest::new("sample", json!(["x"])))
            .unwrap_err();
        assert_eq!(e.code, -3);
        // An error object comes back intact.
        let e = table
            .execute(&RpcRequest::new("sample", json!([0])))
            .unwrap_err();
        assert_eq!(e, RpcError::new(-4, "wallet error ☃"));
        drop(handler);
        assert!(!table.list_commands().contains(&"sample".to_string()));
        let e = table
            .execute(&RpcRequest::new("sample", json!([1])))
            .unwrap_err();
        assert_eq!(e.code, -32601);
    }
}
