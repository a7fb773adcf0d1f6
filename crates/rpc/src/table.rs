//! The method table and dispatch (Core's `CRPCTable`, `src/rpc/server.cpp`),
//! with the server-wide RPC state Core keeps beside it: warm-up, running
//! flag, active commands.

use std::collections::{BTreeMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Mutex, RwLock};
use serde_json::Value;
use widecoin_interfaces::rpc::{RpcError, RpcErrorCode};

use crate::check::{check_args, check_result, pretty_json};
use crate::params::transform_named_arguments;
use crate::request::{internal_bug, RpcRequest};
use crate::spec::RpcMethod;

/// A method implementation. It reads its arguments from the request (already
/// positional and type-checked against the spec) and returns the result.
pub type RpcHandler = Arc<dyn Fn(&RpcRequest) -> Result<Value, RpcError> + Send + Sync>;

/// The code of the error a handler returns to let the next handler
/// registered for the same method try (see [`pass_to_next_handler`]).
pub const PASS_TO_NEXT_HANDLER: i32 = i32::MIN;

/// The "not mine, try the next handler" result (Core's actor returning
/// `false`). When the last handler passes too, the caller gets
/// "Method not found".
pub fn pass_to_next_handler() -> RpcError {
    RpcError::new(PASS_TO_NEXT_HANDLER, "pass to next handler")
}

/// Whether `e` is [`pass_to_next_handler`].
pub fn is_pass_to_next_handler(e: &RpcError) -> bool {
    e.code == PASS_TO_NEXT_HANDLER
}

/// Wraps a wallet handler as Core's `RpcHandlerImpl` does: a
/// `RPC_WALLET_NOT_FOUND` error from a handler that is not the last one
/// passes the call on, so each loaded wallet module can try it in turn.
pub fn pass_on_wallet_not_found(handler: RpcHandler) -> RpcHandler {
    Arc::new(move |req: &RpcRequest| match handler(req) {
        Err(e) if e.code == RpcErrorCode::WALLET_NOT_FOUND && !req.is_last_handler() => {
            Err(pass_to_next_handler())
        }
        other => other,
    })
}

/// Identifies a registered command; aliases share it (Core's `unique_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommandId(u64);

static NEXT_COMMAND_ID: AtomicU64 = AtomicU64::new(1);

/// A method as registered in the table: category, documentation, handler.
#[derive(Clone)]
pub struct RpcCommand {
    /// The help category ("blockchain", "control", "hidden", ...).
    pub category: String,
    pub spec: Arc<RpcMethod>,
    pub handler: RpcHandler,
    id: CommandId,
}

impl RpcCommand {
    /// A command with a new id.
    pub fn new<F>(category: &str, spec: RpcMethod, handler: F) -> Self
    where
        F: Fn(&RpcRequest) -> Result<Value, RpcError> + Send + Sync + 'static,
    {
        Self::from_handler(category, spec, Arc::new(handler))
    }

    /// A command from an already shared handler.
    pub fn from_handler(category: &str, spec: RpcMethod, handler: RpcHandler) -> Self {
        RpcCommand {
            category: category.into(),
            spec: Arc::new(spec),
            handler,
            id: CommandId(NEXT_COMMAND_ID.fetch_add(1, Ordering::Relaxed)),
        }
    }

    /// The method name (from the spec).
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// The id shared by this command's aliases.
    pub fn id(&self) -> CommandId {
        self.id
    }
}

impl std::fmt::Debug for RpcCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcCommand")
            .field("category", &self.category)
            .field("name", &self.spec.name)
            .finish()
    }
}

struct ActiveCommand {
    id: u64,
    method: String,
    start: Instant,
}

/// The dispatch table. Shared as `Arc<RpcTable>`; methods can be added and
/// removed at any time, also while the server runs.
pub struct RpcTable {
    commands: RwLock<BTreeMap<String, Vec<RpcCommand>>>,
    /// `Some(status)` while warming up.
    warmup: Mutex<Option<String>>,
    running: AtomicBool,
    shutdown_requested: AtomicBool,
    doc_check: AtomicBool,
    active: Mutex<Vec<ActiveCommand>>,
    next_active: AtomicU64,
}

impl Default for RpcTable {
    fn default() -> Self {
        Self::new()
    }
}

impl RpcTable {
    /// An empty table in warm-up ("RPC server started").
    pub fn new() -> Self {
        RpcTable {
            commands: RwLock::new(BTreeMap::new()),
            warmup: Mutex::new(Some("RPC server started".into())),
            running: AtomicBool::new(false),
            shutdown_requested: AtomicBool::new(false),
            doc_check: AtomicBool::new(false),
            active: Mutex::new(Vec::new()),
            next_active: AtomicU64::new(0),
        }
    }

    /// Appends a handler for `command.name()` (`appendCommand`). Several
    /// handlers of one method are tried in registration order.
    pub fn register(&self, command: RpcCommand) -> CommandId {
        let name = command.spec.name.clone();
        self.register_as(&name, command)
    }

    /// Registers `command` under another name (an alias sharing its id).
    pub fn register_as(&self, name: &str, command: RpcCommand) -> CommandId {
        let id = command.id;
        self.commands
            .write()
            .entry(name.to_string())
            .or_default()
            .push(command);
        id
    }

    /// Removes the handler with `id` from `name` (`removeCommand`).
    pub fn unregister(&self, name: &str, id: CommandId) -> bool {
        let mut commands = self.commands.write();
        let Some(list) = commands.get_mut(name) else {
            return false;
        };
        let before = list.len();
        list.retain(|c| c.id != id);
        let removed = list.len() != before;
        if list.is_empty() {
            commands.remove(name);
        }
        removed
    }

    /// The registered method names, sorted (`listCommands`).
    pub fn list_commands(&self) -> Vec<String> {
        self.commands.read().keys().cloned().collect()
    }

    /// `SetRPCWarmupStatus`.
    pub fn set_warmup_status(&self, status: &str) {
        let mut w = self.warmup.lock();
        if w.is_some() {
            *w = Some(status.to_string());
        }
    }

    /// `SetRPCWarmupFinished`: calls are executed from now on.
    pub fn set_warmup_finished(&self) {
        *self.warmup.lock() = None;
    }

    /// `RPCIsInWarmup`: the status while warming up.
    pub fn warmup_status(&self) -> Option<String> {
        self.warmup.lock().clone()
    }

    /// `StartRPC`.
    pub fn start_rpc(&self) {
        tracing::debug!(target: "rpc", "Starting RPC");
        self.running.store(true, Ordering::SeqCst);
    }

    /// `InterruptRPC`: long polls see [`is_rpc_running`](Self::is_rpc_running) false.
    pub fn interrupt_rpc(&self) {
        if self.running.swap(false, Ordering::SeqCst) {
            tracing::debug!(target: "rpc", "Interrupting RPC");
        }
    }

    /// `IsRPCRunning`.
    pub fn is_rpc_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    /// `RpcInterruptionPoint`: "Shutting down" once RPC is interrupted.
    pub fn interruption_point(&self) -> Result<(), RpcError> {
        if self.is_rpc_running() {
            Ok(())
        } else {
            Err(RpcError::new(
                RpcErrorCode::CLIENT_NOT_CONNECTED,
                "Shutting down",
            ))
        }
    }

    /// Records that shutdown was requested (the `stop` RPC does); replies
    /// then carry `Connection: close`.
    pub fn request_shutdown(&self) {
        self.shutdown_requested.store(true, Ordering::SeqCst);
    }

    /// Whether shutdown was requested.
    pub fn is_shutdown_requested(&self) -> bool {
        self.shutdown_requested.load(Ordering::SeqCst)
    }

    /// `-rpcdoccheck`: check every result against the documentation.
    pub fn set_doc_check(&self, on: bool) {
        self.doc_check.store(on, Ordering::Relaxed);
    }

    /// The commands being executed: method and running time in microseconds.
    pub fn active_commands(&self) -> Vec<(String, u64)> {
        let now = Instant::now();
        let active = self.active.lock();
        active
            .iter()
            .map(|c| {
                (
                    c.method.clone(),
                    now.duration_since(c.start).as_micros() as u64,
                )
            })
            .collect()
    }

    /// `CRPCTable::execute`: warm-up check, then each handler of the method
    /// in turn until one does not pass the call on.
    pub fn execute(&self, request: &RpcRequest) -> Result<Value, RpcError> {
        if let Some(status) = self.warmup_status() {
            return Err(RpcError::new(RpcErrorCode::IN_WARMUP, status));
        }
        let handlers = self
            .commands
            .read()
            .get(&request.method)
            .cloned()
            .unwrap_or_default();
        for (i, command) in handlers.iter().enumerate() {
            match self.execute_command(command, request, i + 1 == handlers.len()) {
                Err(e) if is_pass_to_next_handler(&e) => continue,
                other => return other,
            }
        }
        Err(RpcError::new(
            RpcErrorCode::METHOD_NOT_FOUND,
            "Method not found",
        ))
    }

    /// `ExecuteCommand` + `RPCHelpMan::HandleRequest`.
    fn execute_command(
        &self,
        command: &RpcCommand,
        request: &RpcRequest,
        last: bool,
    ) -> Result<Value, RpcError> {
        let _active = ActiveGuard::new(self, &request.method);
        let spec = &command.spec;
        let mut req = request.clone();
        req.spec = Some(spec.clone());
        req.last_handler = last;
        match &request.params {
            Value::Object(map) => {
                let dup = request.duplicate_param.as_deref();
                req.params = Value::Array(transform_named_arguments(map, dup, &spec.arg_names())?);
            }
            Value::Array(_) => {}
            _ => req.params = Value::Array(Vec::new()),
        }
        if !spec.is_valid_num_args(req.params_len()) {
            return Err(RpcError::misc(spec.help_text()));
        }
        if let Some(mismatch) = check_args(spec, req.params_array()) {
            return Err(RpcError::type_error(format!(
                "Wrong type passed:\n{}",
                pretty_json(&Value::Object(mismatch))
            )));
        }
        let result = match catch_unwind(AssertUnwindSafe(|| (command.handler)(&req))) {
            Ok(r) => r,
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "handler panicked".into());
                Err(internal_bug(&msg))
            }
        };
        if let Ok(v) = &result {
            if self.doc_check.load(Ordering::Relaxed) {
                if let Some(explain) = check_result(spec, v) {
                    return Err(RpcError::misc(format!(
                        "Internal bug detected: RPC call \"{}\" returned incorrect type:\n{explain}\n{}\nPlease report this issue here: {}\n",
                        spec.name,
                        crate::PACKAGE_NAME_VERSION,
                        crate::PACKAGE_BUGREPORT
                    )));
                }
            }
        }
        result
    }

    /// `CRPCTable::help`: one method's help, or (for "") the first line of
    /// every method's help grouped under "== Category ==", hidden excluded.
    pub fn help(&self, command: &str) -> String {
        let commands = self.commands.read();
        let mut entries: Vec<(String, &RpcCommand)> = commands
            .iter()
            .filter_map(|(name, list)| list.first().map(|c| (format!("{}{name}", c.category), c)))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));

        let mut ret = String::new();
        let mut category = String::new();
        let mut done = HashSet::new();
        for (_, cmd) in entries {
            let name = cmd.name();
            if (!command.is_empty() || cmd.category == "hidden") && name != command {
                continue;
            }
            if !done.insert(cmd.id) {
                continue;
            }
            let mut text = cmd.spec.help_text();
            if command.is_empty() {
                if let Some(nl) = text.find('\n') {
                    text.truncate(nl);
                }
                if category != cmd.category {
                    if !category.is_empty() {
                        ret.push('\n');
                    }
                    category = cmd.category.clone();
                    ret += &format!("== {} ==\n", capitalize(&category));
                }
            }
            ret += &text;
            ret.push('\n');
        }
        if ret.is_empty() {
            ret = format!("help: unknown command: {command}\n");
        }
        ret.pop();
        ret
    }

    /// `CRPCTable::dumpArgMap`: `[method, position, name, is_string]` for
    /// every argument name of every method.
    pub fn dump_arg_map(&self) -> Value {
        let commands = self.commands.read();
        let all = commands
            .values()
            .filter_map(|l| l.first())
            .flat_map(|c| c.spec.arg_map())
            .collect();
        Value::Array(all)
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// `RPCCommandExecution`: an entry in the active commands while alive.
struct ActiveGuard<'a> {
    table: &'a RpcTable,
    id: u64,
}

impl<'a> ActiveGuard<'a> {
    fn new(table: &'a RpcTable, method: &str) -> Self {
        let id = table.next_active.fetch_add(1, Ordering::Relaxed);
        table.active.lock().push(ActiveCommand {
            id,
            method: method.into(),
            start: Instant::now(),
        });
        ActiveGuard { table, id }
    }
}

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        self.table.active.lock().retain(|c| c.id != self.id);
    }
}

#[cfg(test)]
mod tests;
