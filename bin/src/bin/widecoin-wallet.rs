//! `widecoin-wallet`: the wallet side of multiprocess Widecoin.
//!
//! - Spawned by `widecoin-node` with `-ipcfd <n>` (and nothing else): it
//!   sandboxes itself (`widecoin_ipc::sandbox`), serves its `Init` to the
//!   parent on descriptor `n` until the parent closes the socket, then exits
//!   0. It takes its settings (logging, paths) from the node's `Chain`.
//! - Started by a user with `-ipcconnect=<address>` (`unix`, `unix:<path>`,
//!   `tcp:<host>:<port>` with the node's `-ipcauthfile` key): it connects to
//!   a running node's `-ipcbind`, asks it for its `Chain`, registers its RPC
//!   methods with it and serves them until the node goes away (then it exits;
//!   start it again to reconnect). The node keeps serving when it goes away.
//!
//! Until the wallet crate lands, its wallet module registers test-only
//! hidden RPC methods with the node: `walletprocessinfo` (this process's pid,
//! the node's height as asked of the node, what its chain notifications
//! told it) and `walletsandboxprobe` (what the sandbox lets it do).

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use widecoin_common::args::{ArgFlags, ArgsManager, OptionsCategory};
use widecoin_interfaces::{
    BlockInfo, Chain, ChainNotifications, Echo, Handler, Hash256, Init, IpcError, LocalEcho,
    RemovalReason, RpcArgDoc, RpcArgFallback, RpcCall, RpcCommandSpec, RpcError, RpcHandlerRemote,
    RpcMethodDoc, RpcResultDoc, WalletLoader,
};
use widecoin_ipc::IpcfdArg;
use widecoin_logging::{LogArgs, LogConfig, Logger, LoggerHandle};

#[path = "../widecoin-wallet-settings.rs"]
#[allow(dead_code)]
mod wallet_settings;

/// The log subscriber, installed first thing so that nothing is lost.
fn logger() -> &'static LoggerHandle {
    static LOGGER: OnceLock<LoggerHandle> = OnceLock::new();
    LOGGER.get_or_init(Logger::install)
}

/// This process's `Init`: an `Echo`, and the wallet loader.
struct WalletInit {
    /// Spawned: start logging with the node's settings on the first loader.
    spawned: bool,
    logging: OnceLock<()>,
}

impl Init for WalletInit {
    fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError> {
        Ok(Box::new(LocalEcho))
    }

    fn make_wallet_loader(&self, chain: Arc<dyn Chain>) -> Result<Box<dyn WalletLoader>, IpcError> {
        if self.spawned {
            self.logging
                .get_or_init(|| start_logging_from_node(chain.as_ref()));
        }
        Ok(Box::new(ProcessInfoLoader::new(chain)))
    }
}

/// A spawned wallet logs as the node says (`-debug`, `-loglevel`,
/// `-printtoconsole`, debug.log), read over IPC: it has no arguments.
fn start_logging_from_node(chain: &dyn Chain) {
    let config = wallet_settings::net_dir(chain)
        .and_then(|net_dir| wallet_settings::log_config(chain, &net_dir));
    match config {
        Ok(config) => {
            if let Err(e) = logger().start(&config) {
                eprintln!("Error: {e}");
            }
        }
        Err(e) => eprintln!("Error: cannot read the node's logging settings: {e}"),
    }
}

/// The placeholder wallet module: registers the test-only methods and
/// follows the node's chain notifications.
struct ProcessInfoLoader {
    chain: Arc<dyn Chain>,
    handlers: Mutex<Vec<Box<dyn Handler>>>,
    seen: Arc<Seen>,
}

impl ProcessInfoLoader {
    fn new(chain: Arc<dyn Chain>) -> Self {
        ProcessInfoLoader {
            chain,
            handlers: Mutex::new(Vec::new()),
            seen: Arc::new(Seen::default()),
        }
    }

    fn keep(&self, handler: Box<dyn Handler>) {
        self.handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(handler);
    }
}

impl WalletLoader for ProcessInfoLoader {
    fn register_rpcs(&self) -> Result<(), IpcError> {
        self.keep(self.chain.handle_rpc(
            RpcCommandSpec {
                category: "hidden".into(),
                doc: process_info_doc(),
            },
            Arc::new(ProcessInfo {
                chain: self.chain.clone(),
                seen: self.seen.clone(),
            }),
        )?);
        self.keep(self.chain.handle_rpc(
            RpcCommandSpec {
                category: "hidden".into(),
                doc: sandbox_probe_doc(),
            },
            Arc::new(SandboxProbe),
        )?);
        Ok(())
    }

    fn start(&self) -> Result<(), IpcError> {
        self.keep(self.chain.handle_notifications(self.seen.clone())?);
        Ok(())
    }

    fn stop(&self) -> Result<(), IpcError> {
        // Unregisters the methods and notifications before answering (a
        // dropped handler unregisters too, but asynchronously).
        let handlers: Vec<_> = self
            .handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        for h in handlers {
            let _ = h.disconnect();
        }
        Ok(())
    }
}

/// What the node's notifications told this process.
#[derive(Default)]
struct Seen(Mutex<SeenState>);

#[derive(Default, Clone)]
struct SeenState {
    tip: Hash256,
    height: Option<u32>,
    connected: u64,
    disconnected: u64,
    mempool_added: u64,
    mempool_removed: u64,
}

impl Seen {
    fn with(&self, f: impl FnOnce(&mut SeenState)) -> Result<(), IpcError> {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()));
        Ok(())
    }
}

impl ChainNotifications for Seen {
    fn transaction_added_to_mempool(&self, _tx: &[u8], _seq: u64) -> Result<(), IpcError> {
        self.with(|s| s.mempool_added += 1)
    }
    fn transaction_removed_from_mempool(
        &self,
        _tx: &[u8],
        _reason: RemovalReason,
        _seq: u64,
    ) -> Result<(), IpcError> {
        self.with(|s| s.mempool_removed += 1)
    }
    fn block_connected(&self, block: &BlockInfo) -> Result<(), IpcError> {
        self.with(|s| {
            s.tip = block.hash;
            s.height = Some(block.height);
            s.connected += 1;
        })
    }
    fn block_disconnected(&self, block: &BlockInfo) -> Result<(), IpcError> {
        self.with(|s| {
            s.tip = block.prev_hash;
            s.height = block.height.checked_sub(1);
            s.disconnected += 1;
        })
    }
    fn updated_block_tip(&self) -> Result<(), IpcError> {
        Ok(())
    }
    fn chain_state_flushed(&self, _locator: &[Hash256]) -> Result<(), IpcError> {
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
    let mut result = result_field("OBJ", "", "");
    result.inner = vec![
        result_field("NUM", "pid", "The process id of the wallet process"),
        result_field(
            "NUM",
            "chain_height",
            "The height of the node's active chain, as the wallet process asked the node for it",
        ),
        result_field(
            "NUM",
            "notified_height",
            "The tip height the node's notifications told the wallet process (-1 before any)",
        ),
        result_field(
            "NUM",
            "blocks_connected",
            "blockConnected notifications received",
        ),
        result_field(
            "NUM",
            "blocks_disconnected",
            "blockDisconnected notifications received",
        ),
        result_field(
            "NUM",
            "mempool_added",
            "transactionAddedToMempool notifications received",
        ),
        result_field(
            "NUM",
            "mempool_removed",
            "transactionRemovedFromMempool notifications received",
        ),
    ];
    RpcMethodDoc {
        name: "walletprocessinfo".into(),
        description: "\nTest-only: answered by the wallet process through the node's RPC server.\n"
            .into(),
        args: Vec::new(),
        results: vec![result],
        examples: "> widecoin-cli walletprocessinfo \n".into(),
    }
}

/// `walletprocessinfo`: this process, and the node as it sees it. Waits for
/// the notifications of a tip it has not heard of yet
/// (`waitForNotificationsIfTipChanged`), as Core's wallet RPCs do.
struct ProcessInfo {
    chain: Arc<dyn Chain>,
    seen: Arc<Seen>,
}

impl RpcHandlerRemote for ProcessInfo {
    fn call(&self, _call: &RpcCall) -> Result<String, IpcError> {
        let tip = self.seen.0.lock().unwrap_or_else(|e| e.into_inner()).tip;
        self.chain.wait_for_notifications_if_tip_changed(&tip)?;
        let height = match self.chain.get_height()? {
            Some(h) => i64::from(h),
            None => -1,
        };
        let s = self
            .seen
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Ok(serde_json::json!({
            "pid": std::process::id(),
            "chain_height": height,
            "notified_height": s.height.map_or(-1, i64::from),
            "blocks_connected": s.connected,
            "blocks_disconnected": s.disconnected,
            "mempool_added": s.mempool_added,
            "mempool_removed": s.mempool_removed,
        })
        .to_string())
    }
}

/// `walletsandboxprobe`'s documentation.
fn sandbox_probe_doc() -> RpcMethodDoc {
    let mut result = result_field("OBJ", "", "");
    result.inner = vec![
        result_field(
            "STR",
            "read",
            "\"ok\" or why opening the path for reading failed",
        ),
        result_field(
            "STR",
            "write",
            "\"ok\" or why opening the path for appending failed",
        ),
        result_field("STR", "tcp", "\"ok\" or why opening a TCP socket failed"),
        result_field("STR", "exec", "\"ok\" or why running /bin/true failed"),
    ];
    RpcMethodDoc {
        name: "walletsandboxprobe".into(),
        description: "\nTest-only: what the wallet process's sandbox lets it do.\n".into(),
        args: vec![RpcArgDoc {
            names: "path".into(),
            arg_type: "STR".into(),
            fallback: RpcArgFallback::Required,
            description: "A file to open for reading, then for appending".into(),
            inner: Vec::new(),
            skip_type_check: false,
            oneline_description: String::new(),
            type_str: Vec::new(),
            hidden: false,
            also_positional: false,
        }],
        results: vec![result],
        examples: "> widecoin-cli walletsandboxprobe \"/etc/passwd\"\n".into(),
    }
}

/// `walletsandboxprobe "<path>"`: tries to read and append to `path`, to
/// open a TCP socket and to run a program, and says what happened.
struct SandboxProbe;

impl RpcHandlerRemote for SandboxProbe {
    fn call(&self, call: &RpcCall) -> Result<String, IpcError> {
        let params: Vec<String> = serde_json::from_str(&call.params_json)
            .map_err(|e| IpcError::from(RpcError::invalid_parameter(e.to_string())))?;
        let path = params.first().cloned().unwrap_or_default();
        let outcome = |r: std::io::Result<()>| match r {
            Ok(()) => "ok".to_string(),
            Err(e) => e.to_string(),
        };
        let read = outcome(std::fs::File::open(&path).map(drop));
        let write = outcome(
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&path)
                .map(drop),
        );
        let tcp = outcome(std::net::TcpListener::bind("127.0.0.1:0").map(drop));
        let exec = outcome(std::process::Command::new("/bin/true").status().map(drop));
        Ok(serde_json::json!({"read": read, "write": write, "tcp": tcp, "exec": exec}).to_string())
    }
}

/// The logging options, read through this process's arguments.
struct LogArgsOf<'a>(&'a ArgsManager);

impl LogArgs for LogArgsOf<'_> {
    fn get_args(&self, name: &str) -> Vec<String> {
        self.0.get_args(name)
    }
    fn get_arg(&self, name: &str) -> Option<String> {
        self.0.get_arg(name)
    }
    fn is_arg_negated(&self, name: &str) -> bool {
        self.0.is_arg_negated(name)
    }
}

const NO_NODE: &str = "widecoin-wallet can only be started by another Widecoin process (with -ipcfd) or connect to a running node (-ipcconnect) for now.";

/// `-ipcconnect`: connect to a running node, register with it, serve until
/// it goes away.
fn run_connected(argv: &[String]) -> i32 {
    let logger = logger();
    let mut args = ArgsManager::new();
    widecoin_common::options::setup_server_args(&mut args);
    args.add_arg(
        "-ipcconnect=<address>",
        "Connect to a running node's IPC socket (-ipcbind): \"unix\" for <datadir>/node.sock, \"unix:<path>\", or \"tcp:<host>:<port>\" (authenticated with the key in -ipcauthfile). Default: \"auto\", the default unix socket if a node listens there. -noipcconnect does not connect.",
        ArgFlags::ALLOW_ANY,
        OptionsCategory::Ipc,
    );
    args.add_arg(
        "-ipcauthfile=<file>",
        "Key file of the node's TCP IPC address (default: ipc.cookie in the network data directory). Relative paths will be prefixed by a net-specific datadir location.",
        ArgFlags::ALLOW_ANY,
        OptionsCategory::Ipc,
    );
    let fail = |msg: &str| {
        tracing::info!("Error: {msg}");
        logger.flush();
        eprintln!("Error: {msg}");
        1
    };
    if let Err(e) = args.parse_parameters(argv) {
        return fail(&format!("Error parsing command line arguments: {e}"));
    }
    if widecoin_common::args::help_requested(&args) {
        print!(
            "{} version {}\n\nUsage:  widecoin-wallet -ipcconnect=<address> [options]  Serve a wallet for a running node\nor:     widecoin-wallet -ipcfd <n>  (started by widecoin-node)\n\n{}",
            widecoin_common::version::PACKAGE_NAME,
            widecoin_common::version::format_full_version(),
            args.get_help_message()
        );
        return 0;
    }
    if let Err(e) = widecoin_common::init::init_config(&mut args) {
        return fail(&e.full_message());
    }
    let net_dir = match args.get_data_dir_net() {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    let mut config = match LogConfig::from_args(&LogArgsOf(&args), &net_dir) {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    config.shrink_debug_file = false;
    if let Err(e) = logger.start(&config) {
        return fail(&e.to_string());
    }
    let value = args.get_arg("-ipcconnect");
    let authfile = args
        .get_arg("-ipcauthfile")
        .map(|f| args.abs_path_for_config_val(Path::new(&f), true));
    let connected =
        widecoin_ipc::connect_from_args(value.as_deref(), &net_dir, authfile.as_deref());
    let (init, conn) = match connected {
        Ok(Some(c)) => c,
        Ok(None) => return fail(NO_NODE),
        Err(e) => return fail(&format!("Cannot connect to the node: {e}")),
    };
    let loader = match init
        .make_chain()
        .map(ProcessInfoLoader::new)
        .and_then(|l| l.register_rpcs().and_then(|()| l.start()).map(|()| l))
    {
        Ok(l) => l,
        Err(e) => return fail(&format!("Cannot register with the node: {e}")),
    };
    tracing::info!(
        "Connected to the node at {}; wallet RPC methods registered",
        value.as_deref().unwrap_or("auto")
    );
    logger.flush();
    conn.wait_closed();
    let _ = loader.stop();
    drop(loader);
    tracing::info!("The node closed the IPC connection; exiting");
    logger.flush();
    0
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let code = match widecoin_ipc::parse_ipcfd_arg(&argv[1..]) {
        IpcfdArg::Fd(fd) => {
            // Buffer log lines until the node's settings say where they go.
            let _ = logger();
            match widecoin_ipc::sandbox::restrict_spawned_self() {
                Ok(line) | Err(line) => tracing::info!("{line}"),
            }
            let init = Arc::new(WalletInit {
                spawned: true,
                logging: OnceLock::new(),
            });
            let code = widecoin_ipc::serve_ipcfd(fd, init);
            logger().flush();
            code
        }
        IpcfdArg::Invalid(message) => {
            eprintln!("Error: {message}");
            1
        }
        IpcfdArg::Absent if argv.len() > 1 => run_connected(&argv),
        IpcfdArg::Absent => {
            eprintln!("Error: {NO_NODE}");
            1
        }
    };
    std::process::exit(code)
}
