//! Start-up and shutdown in Widecoin Core's order and words
//! (`src/widecoind.cpp` `AppInit`, `src/init.cpp` `AppInit*`, `Shutdown`).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use widecoin_chainparams::{ChainParams, ChainType, RegtestOptions, SignetOptions};
use widecoin_common::args::{help_requested, ArgsManager};
use widecoin_common::{fs as wfs, init::init_config, options, version};
use widecoin_logging::{LogArgs, LogConfig, Logger, LoggerHandle};

use widecoin_interfaces::IpcError;

use bitcoin::hashes::Hash as _;
use std::path::Path;
use widecoin_chainstate::{ChainstateManager, ChainstateOptions};

use crate::chain::NodeChain;
use crate::context::{MempoolSettings, NetworkSettings, NodeContext};
use crate::interaction::{parameter_interaction, parse_amount_arg};
use crate::server::RpcServer;
use crate::shutdown::{install_signal_handlers, Shutdown};

/// How this process reaches other processes: `None` in `widecoind` (one
/// process), set by `widecoin-node`. Only binaries choose, so this crate does
/// not depend on the IPC crate.
#[derive(Clone, Default)]
pub struct ProcessKind {
    /// Echoes a text through a freshly spawned process (`echoipc`).
    pub echo_ipc: Option<EchoIpc>,
    /// Listens on one `-ipcbind` address; set by binaries that can serve other
    /// processes, which also makes `-ipcbind`/`-ipcauthfile` valid options.
    pub ipc_bind: Option<IpcBind>,
    /// Spawns the wallet process at start-up (unless `-disablewallet`).
    pub spawn_wallet: Option<crate::wallet_process::SpawnWallet>,
    /// Filled with the node's `Chain` before `-ipcbind` listeners start, so
    /// that processes connecting to them (`-ipcconnect`) can ask for it.
    pub ipc_chain: Option<IpcChainSlot>,
}

/// Binds one `-ipcbind=<address>` (value, network datadir, `-ipcauthfile`);
/// the returned guard stops listening when dropped.
pub type IpcBind =
    Arc<dyn Fn(&str, &Path, Option<&Path>) -> Result<Box<dyn Send>, String> + Send + Sync>;

/// Where `widecoin-node` finds the node's `Chain` for connecting processes.
pub type IpcChainSlot = Arc<std::sync::OnceLock<Arc<dyn widecoin_interfaces::Chain>>>;

/// `echoipc`'s round trip through another process.
pub type EchoIpc = Arc<dyn Fn(&str) -> Result<String, IpcError> + Send + Sync>;

/// `widecoind`'s `main`: returns the process exit code.
pub fn main_widecoind() -> i32 {
    run_node(
        &std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>(),
        ProcessKind::default(),
    )
}

/// Runs `widecoind` with these arguments.
pub fn run_widecoind(argv: &[String]) -> i32 {
    run_node(argv, ProcessKind::default())
}

/// Core's `InitError`: logged, and printed to stderr as `Error: ...`.
pub(crate) fn init_error(msg: &str) {
    tracing::info!("Error: {msg}");
    eprintln!("Error: {msg}");
}

/// Core's `InitWarning`.
pub(crate) fn init_warning(msg: &str) {
    tracing::info!("Warning: {msg}");
    eprintln!("Warning: {msg}");
}

/// Parses arguments and configuration, then runs the node until shutdown.
pub fn run_node(argv: &[String], kind: ProcessKind) -> i32 {
    // Buffer log messages until debug.log is open, as Core does.
    let logger = Logger::install();
    let mut args = ArgsManager::new();
    options::setup_server_args(&mut args);
    if kind.ipc_bind.is_some() {
        options::setup_ipc_bind_args(&mut args);
    }
    if let Err(e) = args.parse_parameters(argv) {
        init_error(&format!("Error parsing command line arguments: {e}"));
        return 1;
    }
    if let Err(e) = init_config(&mut args) {
        init_error(&e.full_message());
        return 1;
    }
    if let Some(token) = argv.iter().skip(1).find(|a| !a.starts_with('-')) {
        init_error(&format!(
            "Command line contains unexpected token '{token}', see widecoind -h for a list of options."
        ));
        return 1;
    }
    if help_requested(&args) || args.is_arg_set("-version") {
        let text = if args.is_arg_set("-version") {
            version::widecoind_version_text()
        } else {
            version::widecoind_help_text(&args)
        };
        print!("{text}");
        return 0;
    }

    let shutdown = Shutdown::new();
    let node = app_init(&mut args, &logger, &shutdown, kind).ok();
    let ok = node.is_some();
    crate::daemon::report_init_result(ok);
    // Core interrupts (and so runs -shutdownnotify) after a failed start too.
    if !ok {
        crate::notify::shutdown_notify(&args);
    }
    if let Some(node) = &node {
        shutdown.wait();
        // Core's Interrupt starts with ShutdownNotify.
        crate::notify::shutdown_notify(&args);
        node.interrupt();
    }
    if let Some(node) = node {
        node.shutdown();
    }
    logger.flush();
    if ok {
        0
    } else {
        1
    }
}

/// The logging options, read through the node's argument manager.
struct LogArgsOf<'a>(&'a ArgsManager);

impl LogArgs for LogArgsOf<'_> {
    fn get_args(&self, name: &str) -> Vec<String> {
        self.0.get_args(name)
    }
    fn get_arg(&self, name: &str) -> Option<String> {
        self.0.get_arg(name)
    }
    fn get_bool_arg(&self, name: &str, default: bool) -> bool {
        self.0.get_bool_arg(name, default)
    }
    fn is_arg_negated(&self, name: &str) -> bool {
        self.0.is_arg_negated(name)
    }
}

/// Initialisation failed; the reason was already reported with [`init_error`].
pub(crate) struct InitFailed;

/// What runs between start-up and shutdown.
pub(crate) struct RunningNode {
    node: Arc<NodeContext>,
    server: Option<RpcServer>,
    /// `-ipcbind` listeners; dropping them stops listening.
    ipc_listeners: Vec<Box<dyn Send>>,
    /// The spawned wallet process (`widecoin-node`).
    wallet: Option<crate::wallet_process::WalletProcess>,
    pid_file: Option<PathBuf>,
    _lock: wfs::DirLock,
}

impl RunningNode {
    /// Core's `Interrupt`: wake everything that waits.
    fn interrupt(&self) {
        if let Some(s) = &self.server {
            s.interrupt();
        }
        self.node.chain.notify_all();
        if let Some(connman) = self.node.connman.get() {
            connman.interrupt();
        }
    }

    /// Core's `Shutdown`.
    fn shutdown(mut self) {
        tracing::info!("Shutdown: In progress...");
        if let Some(connman) = self.node.connman.get() {
            connman.stop();
            connman.dump_addresses();
            connman.dump_anchors();
        }
        // Core's ChainStateFlushed to every client of the node's Chain
        // (spawned or connected wallets) while they are still attached.
        if let Some(chain) = self.node.chain_interface.get() {
            chain.chain_state_flushed_at_shutdown(std::time::Duration::from_secs(2));
        }
        self.ipc_listeners.clear();
        if let Some(mut wallet) = self.wallet.take() {
            wallet.stop();
        }
        if let Some(s) = self.server.take() {
            s.stop();
        }
        crate::txpool::dump_at_shutdown(&self.node);
        self.node.fee_estimation.shutdown();
        crate::indexes::stop(&self.node);
        if let Err(e) = self.node.chain.lock().flush() {
            tracing::error!("Shutdown: failed to flush the chainstate: {e}");
        }
        if let Some(p) = &self.pid_file {
            if let Err(e) = std::fs::remove_file(p) {
                tracing::info!("Shutdown: Unable to remove PID file: {e}");
            }
        }
        if let Some(chain) = self.node.chain_interface.get() {
            chain.node_stopped();
        }
        tracing::info!("Shutdown: done");
    }
}

fn app_init(
    args: &mut ArgsManager,
    logger: &LoggerHandle,
    shutdown: &Arc<Shutdown>,
    kind: ProcessKind,
) -> Result<RunningNode, InitFailed> {
    let fail = |msg: &str| {
        init_error(msg);
        InitFailed
    };
    // -server defaults to true for widecoind.
    args.soft_set_bool_arg("-server", true);

    // InitLogging
    let net_dir = args.get_data_dir_net().map_err(|e| fail(&e))?;
    let log_config =
        LogConfig::from_args(&LogArgsOf(args), &net_dir).map_err(|e| fail(&e.to_string()))?;
    logger.configure(&log_config);
    parameter_interaction(args);

    // AppInitParameterInteraction
    let chain_type = args.get_chain_type().map_err(|e| fail(&e))?;
    let chain_params = make_chain_params(args, chain_type).map_err(|e| fail(&e))?;
    // -minimumchainwork (Core's ApplyArgsManOptions), logged as in LoadChainstate.
    let mut chain_params = chain_params;
    let default_min_work = chain_params.consensus.minimum_chain_work;
    if let Some(v) = args.get_arg("-minimumchainwork") {
        chain_params.consensus.minimum_chain_work =
            parse_minimum_chain_work(&v).ok_or_else(|| {
                fail(&format!(
                    "Invalid non-hex ({v}) minimum chain work value specified"
                ))
            })?;
    }
    let min_work = chain_params.consensus.minimum_chain_work;
    tracing::info!(
        "Setting nMinimumChainWork={}",
        hex::encode(min_work.to_be_bytes())
    );
    if min_work < default_min_work {
        tracing::info!(
            "Warning: nMinimumChainWork set below default value of {}",
            hex::encode(default_min_work.to_be_bytes())
        );
    }
    if let Some(err) = args.unsuitable_section_only_args_error() {
        init_warning(&err);
    }
    // Core gathers them into one warning, a line each.
    let section_warnings = args.unrecognized_section_warnings();
    if !section_warnings.is_empty() {
        init_warning(&section_warnings.join("\n"));
    }
    if args.is_arg_set("-blocksdir") {
        let dir = PathBuf::from(args.get_arg_or("-blocksdir", ""));
        if !dir.is_dir() {
            return Err(fail(&format!(
                "Specified blocks directory \"{}\" does not exist.",
                args.get_arg_or("-blocksdir", "")
            )));
        }
    }
    if args.get_int_arg("-peertimeout", 60) <= 0 {
        return Err(fail("peertimeout must be a positive integer."));
    }
    // Start-up with the clock mocked (regression tests); 0 leaves it alone.
    if args.is_arg_set("-mocktime") {
        widecoin_common::time::set_mock_time(args.get_int_arg("-mocktime", 0));
    }
    crate::indexes::check_args(args).map_err(|e| fail(&e))?;
    let mempool = mempool_settings(args).map_err(|e| fail(&e))?;
    // Core's ApplyArgsManOptions for the mempool: non-standard transactions
    // only on test chains.
    if !chain_params.is_test_chain() && args.get_bool_arg("-acceptnonstdtxn", false) {
        return Err(fail(&format!(
            "acceptnonstdtxn is not currently supported for {} chain",
            chain_params.chain_type_string()
        )));
    }

    // Daemonize before any thread is started, then lock the data directory.
    if args.get_bool_arg("-daemon", false) || args.get_bool_arg("-daemonwait", false) {
        crate::daemon::daemonize(args.get_bool_arg("-daemonwait", false)).map_err(|e| fail(&e))?;
    }
    if !wfs::dir_is_writable(&net_dir) {
        return Err(fail(&wfs::dir_not_writable_message(&net_dir)));
    }
    let lock =
        wfs::lock_directory(&net_dir, wfs::LOCK_FILE_NAME).map_err(|e| fail(&e.to_string()))?;

    // AppInitMain
    widecoin_p2p::uploadtarget::parse_max_upload_target(args.get_arg("-maxuploadtarget"))
        .map_err(|e| fail(&e))?;
    let pid_file = wfs::pid_file_path(args);
    wfs::create_pid_file(&pid_file).map_err(|e| fail(&e))?;
    if let Err(e) =
        logger.start_logging(log_config.debug_log_file.is_some() && log_config.shrink_debug_file)
    {
        let _ = std::fs::remove_file(&pid_file);
        return Err(fail(&e.to_string()));
    }
    log_startup(args, &net_dir);
    crate::not_yet::log_not_yet_effective(args);
    {
        let logger = logger.clone();
        let shutdown = shutdown.clone();
        install_signal_handlers(shutdown, move || logger.reopen())
            .map_err(|e| fail(&format!("Failed to install signal handlers: {e}")))?;
    }

    // Load the block index and the UTXO set (Core's LoadChainstate), replay
    // what a crash left unflushed, then -reindex / -loadblock.
    tracing::info!("init message: Loading block index…");
    let chain = open_chainstate(args, &net_dir, chain_params.clone()).map_err(|e| {
        let _ = std::fs::remove_file(&pid_file);
        fail(&e)
    })?;
    if let Err(failure) = verify_loaded_chainstate(args, &mut chain.lock()) {
        let _ = std::fs::remove_file(&pid_file);
        match failure {
            VerifyFailure::Init(msg) => init_error(&msg),
            VerifyFailure::Rebuild(msg) => {
                // Core's question to rebuild the database, which a daemon
                // answers with its caption-less message and an exit.
                let msg = format!(
                    "{msg}.\nPlease restart with -reindex or -reindex-chainstate to recover."
                );
                tracing::info!(": {msg}");
                eprintln!(": {msg}");
                tracing::info!("Aborted block database rebuild. Exiting.");
            }
        }
        return Err(InitFailed);
    }
    // -reindex and -loadblock ran in open_chainstate.
    crate::notify::stop_after_block_import(args, shutdown);
    let mut node = NodeContext::new(
        chain_params,
        chain,
        shutdown.clone(),
        logger.clone(),
        mempool,
        network_settings(args),
        kind.echo_ipc.clone(),
    );
    node.miner.options = assembler_options(args).map_err(|e| fail(&e))?;
    if let Err(e) = node
        .fee_estimation
        .init(args, &node.chain_params, &net_dir, shutdown)
    {
        let _ = std::fs::remove_file(&pid_file);
        return Err(fail(&e));
    }
    let node = Arc::new(node);
    // The node's live settings, shared with its `Chain` interface.
    let _ = node.args.set(Arc::new(std::sync::Mutex::new(args.clone())));
    {
        // Weak: the node owns `shutdown`, which must not keep the node alive.
        let node = Arc::downgrade(&node);
        shutdown.on_request(move || {
            if let Some(node) = node.upgrade() {
                node.chain.notify_all();
            }
        });
    }
    // -blocknotify and -alertnotify.
    crate::notify::install(args, &node);
    // -stopatheight: shut down once the active tip reaches that height.
    let stop_at_height = args.get_int_arg("-stopatheight", 0);
    if stop_at_height > 0 {
        node.chain.lock().add_listener(Arc::new(StopAtHeight {
            height: stop_at_height,
            shutdown: shutdown.clone(),
        }));
    }
    if let Err(e) = crate::indexes::start(args, &node, &net_dir) {
        let _ = std::fs::remove_file(&pid_file);
        return Err(fail(&e));
    }

    if let Err(e) = check_uacomments(&node.network.subversion, &args.get_args("-uacomment")) {
        let _ = std::fs::remove_file(&pid_file);
        return Err(fail(&e));
    }

    let server = if args.get_bool_arg("-server", false) {
        let server = RpcServer::start(args, &net_dir, &node, &log_config).map_err(|e| {
            let _ = std::fs::remove_file(&pid_file);
            fail(&e)
        })?;
        Some(server)
    } else {
        None
    };
    let set_status = |s: &str| {
        tracing::info!("init message: {s}");
        if let Some(server) = &server {
            server.table().set_warmup_status(s);
        }
    };
    set_status("Verifying blocks…");
    tracing::info!("nBestHeight = {}", node.chain.tip_info().height);
    // After -stopafterblockimport Core neither loads mempool.dat nor, since the
    // load was never tried, writes it at shutdown.
    if !args.get_bool_arg("-stopafterblockimport", false) {
        crate::txpool::load_at_startup(&node, &net_dir);
    }
    node.mempool
        .loaded
        .store(true, std::sync::atomic::Ordering::SeqCst);
    if let Some(slot) = &kind.ipc_chain {
        let table = server.as_ref().map(RpcServer::shared_table);
        let _ = slot.set(crate::chain::chain_interface(&node, table.as_ref(), args));
    }
    let mut ipc_listeners = Vec::new();
    if let Some(bind) = &kind.ipc_bind {
        let authfile = args
            .get_arg("-ipcauthfile")
            .map(|f| args.abs_path_for_config_val(Path::new(&f), true));
        for address in args.get_args("-ipcbind") {
            match bind(&address, &net_dir, authfile.as_deref()) {
                Ok(listener) => ipc_listeners.push(listener),
                Err(e) => {
                    if let Some(s) = server {
                        s.stop();
                    }
                    let _ = std::fs::remove_file(&pid_file);
                    return Err(fail(&e));
                }
            }
        }
    }
    let wallet = match &kind.spawn_wallet {
        Some(spawn) => {
            let table = server.as_ref().map(RpcServer::shared_table);
            match crate::wallet_process::WalletProcess::start(spawn, args, &node, table.as_ref()) {
                Ok(wallet) => wallet,
                Err(e) => {
                    if let Some(s) = server {
                        s.stop();
                    }
                    let _ = std::fs::remove_file(&pid_file);
                    return Err(fail(&e));
                }
            }
        }
        None => None,
    };
    // Core's LoadAddrman and the seeding options, before the network starts.
    let addr_opts = match crate::addr_setup::prepare(args, &node) {
        Ok(opts) => opts,
        Err(e) => {
            if let Some(mut w) = wallet {
                w.stop();
            }
            if let Some(s) = server {
                s.stop();
            }
            let _ = std::fs::remove_file(&pid_file);
            return Err(fail(&e));
        }
    };
    match crate::p2p::start(args, &node) {
        Ok(connman) => {
            crate::addr_setup::attach(&connman, addr_opts, node.network.network_active);
            let _ = node.connman.set(connman);
        }
        Err(e) => {
            if let Some(mut w) = wallet {
                w.stop();
            }
            if let Some(s) = server {
                s.stop();
            }
            let _ = std::fs::remove_file(&pid_file);
            return Err(fail(&e));
        }
    }
    if let Some(server) = &server {
        server.table().set_warmup_finished();
    }
    tracing::info!("init message: Done loading");
    crate::notify::startup_notify(args);
    Ok(RunningNode {
        node,
        server,
        ipc_listeners,
        wallet,
        pid_file: Some(pid_file),
        _lock: lock,
    })
}

/// `init::LogPackageVersion` and the data directory lines of `AppInitMain`.
fn log_startup(args: &mut ArgsManager, net_dir: &std::path::Path) {
    tracing::info!(
        "{} version {}",
        version::PACKAGE_NAME,
        version::format_full_version()
    );
    for line in args.take_log_messages() {
        tracing::info!("{line}");
    }
    tracing::info!(
        "Default data directory {}",
        widecoin_common::args::default_data_dir().display()
    );
    tracing::info!("Using data directory {}", net_dir.display());
    tracing::info!("Config file: {}", args.get_config_file_path().display());
    for line in args.log_args() {
        tracing::info!("{line}");
    }
}

/// Opens the chainstate with the options of `-dbcache`, `-par`,
/// `-assumevalid`, `-reindex`, `-reindex-chainstate`, `-checkpoints`,
/// `-fastprune`, then runs `-reindex` and `-loadblock`.
fn open_chainstate(
    args: &ArgsManager,
    net_dir: &Path,
    params: ChainParams,
) -> Result<NodeChain, String> {
    let blocks_dir = args.get_blocks_dir_path()?;
    let assumevalid = match args.get_arg("-assumevalid") {
        Some(v) if v == "0" => Some(bitcoin::BlockHash::all_zeros()),
        Some(v) => Some(
            v.parse()
                .map_err(|_| format!("Invalid -assumevalid value: '{v}'"))?,
        ),
        None => None,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as i64;
    let par = match args.get_int_arg("-par", 0) {
        0 => cores,
        n if n < 0 => (cores + n).max(1),
        n => n.min(15),
    };
    let options = ChainstateOptions {
        dbcache: (args.get_int_arg("-dbcache", 450).clamp(4, 1 << 20) as usize) << 20,
        par: par as usize,
        assumevalid,
        reindex: args.get_bool_arg("-reindex", false),
        reindex_chainstate: args.get_bool_arg("-reindex-chainstate", false),
        checkpoints: args.get_bool_arg("-checkpoints", true),
        fast_prune: args.get_bool_arg("-fastprune", false),
        clock: Arc::new(widecoin_common::time::get_time),
        max_tip_age: args.get_int_arg("-maxtipage", widecoin_chainstate::DEFAULT_MAX_TIP_AGE),
    };
    let mut cm = ChainstateManager::open(&blocks_dir, &net_dir.join("chainstate"), params, options)
        .map_err(|e| {
            tracing::error!("Error opening block database: {e}");
            format!("Error opening block database.\nPlease restart with -reindex or -reindex-chainstate to recover. ({e})")
        })?;
    if cm.is_reindexing() {
        tracing::info!("Reindexing block file blk?????.dat...");
        cm.reindex()
            .map_err(|e| format!("Failed to reindex: {e}"))?;
    }
    crate::indexes::start_pruning(args, &mut cm)?;
    for file in args.get_args("-loadblock") {
        let path = PathBuf::from(&file);
        tracing::info!("Importing blocks file {}...", path.display());
        if let Err(e) = cm.load_external_block_file(&path) {
            tracing::info!(
                "Warning: Could not open blocks file {}: {e}",
                path.display()
            );
        }
    }
    Ok(NodeChain::new(cm))
}

/// `-stopatheight` (Core's `StopAtHeight` check after each step of
/// `ActivateBestChain`): requests shutdown when the tip reaches the height.
struct StopAtHeight {
    height: i64,
    shutdown: Arc<Shutdown>,
}

impl widecoin_chainstate::ValidationListener for StopAtHeight {
    fn updated_block_tip(
        &self,
        tip: &widecoin_chainstate::BlockIndexEntry,
        _fork: Option<u32>,
        _ibd: bool,
    ) {
        if i64::from(tip.height) >= self.height && !self.shutdown.is_requested() {
            // Called with the chainstate locked: request from another thread,
            // as shutdown listeners may take the chainstate.
            let shutdown = self.shutdown.clone();
            std::thread::spawn(move || shutdown.request());
        }
    }
}

/// How start-up verification failed: an init error, or Core's question to
/// rebuild the block database.
enum VerifyFailure {
    Init(String),
    Rebuild(String),
}

/// Core's `VerifyLoadedChainstate` (skipped with `-reindex` and
/// `-reindex-chainstate`): the tip is not from the future, and the last
/// `-checkblocks` blocks pass `-checklevel` (Core's `VerifyDB`).
fn verify_loaded_chainstate(
    args: &ArgsManager,
    cm: &mut ChainstateManager,
) -> Result<(), VerifyFailure> {
    use widecoin_chainstate::{VerifyDbResult, DEFAULT_CHECKBLOCKS, DEFAULT_CHECKLEVEL};
    if args.get_bool_arg("-reindex", false) || args.get_bool_arg("-reindex-chainstate", false) {
        return Ok(());
    }
    if cm
        .tip()
        .is_some_and(|t| t.time() > widecoin_common::time::get_time() + 2 * 60 * 60)
    {
        return Err(VerifyFailure::Rebuild("The block database contains a block which appears to be from the future. This may be due to your computer's date and time being set incorrectly. Only rebuild the block database if you are sure that your computer's date and time are correct".into()));
    }
    let level = args.get_int_arg("-checklevel", DEFAULT_CHECKLEVEL);
    let blocks = args.get_int_arg("-checkblocks", DEFAULT_CHECKBLOCKS);
    let full = args.is_arg_set("-checkblocks") || args.is_arg_set("-checklevel");
    let corrupted = || VerifyFailure::Rebuild("Corrupted block database detected".into());
    match cm.verify_db(level, blocks, &|| false) {
        Err(e) => {
            tracing::info!("{e}");
            Err(corrupted())
        }
        Ok(VerifyDbResult::Success | VerifyDbResult::SkippedMissingBlocks) => Ok(()),
        Ok(VerifyDbResult::Interrupted) => Err(VerifyFailure::Init(
            "Block verification was interrupted".into(),
        )),
        Ok(VerifyDbResult::CorruptedBlockDb) => Err(corrupted()),
        Ok(VerifyDbResult::SkippedL3Checks) if full => Err(VerifyFailure::Init(
            "Insufficient dbcache for block verification".into(),
        )),
        Ok(VerifyDbResult::SkippedL3Checks) => Ok(()),
    }
}

/// A `-minimumchainwork` value: hex digits after an optional `0x` (Core's
/// `IsHexNumber`), the last 64 of them read as a 256-bit number.
fn parse_minimum_chain_work(value: &str) -> Option<bitcoin::Work> {
    let digits = value.strip_prefix("0x").unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let tail = &digits[digits.len().saturating_sub(64)..];
    let padded = format!("{tail:0>64}");
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(&padded, &mut bytes).ok()?;
    Some(bitcoin::Work::from_be_bytes(bytes))
}

/// `CreateChainParams`, with `-signetchallenge`/`-signetseednode` and the regtest
/// test options.
fn make_chain_params(args: &ArgsManager, chain: ChainType) -> Result<ChainParams, String> {
    match chain {
        ChainType::Regtest => {
            let opts = RegtestOptions::from_args(
                args.get_bool_arg_opt("-fastprune"),
                &args.get_args("-testactivationheight"),
                &args.get_args("-vbparams"),
            )
            .map_err(|e| e.to_string())?;
            Ok(ChainParams::regtest(&opts))
        }
        ChainType::Signet => {
            let opts = SignetOptions::from_args(
                args.is_arg_set("-signetseednode")
                    .then(|| args.get_args("-signetseednode")),
                args.is_arg_set("-signetchallenge")
                    .then(|| args.get_args("-signetchallenge")),
            )
            .map_err(|e| e.to_string())?;
            Ok(ChainParams::signet(&opts))
        }
        other => Ok(ChainParams::new(other)),
    }
}

fn mempool_settings(args: &ArgsManager) -> Result<MempoolSettings, String> {
    let blocksonly = args.get_bool_arg("-blocksonly", false);
    let default_mb = if blocksonly { 5 } else { 300 };
    // Core: the pool must hold forty packages of the descendant size limit.
    let descendant_limit_bytes =
        i64::from(widecoin_mempool::DEFAULT_DESCENDANT_SIZE_LIMIT_KVB) * 1000 * 40;
    let max_bytes = args
        .get_int_arg("-maxmempool", default_mb)
        .saturating_mul(1_000_000);
    if max_bytes < descendant_limit_bytes {
        return Err(format!(
            "-maxmempool must be at least {} MB",
            (descendant_limit_bytes as f64 / 1_000_000.0).ceil()
        ));
    }
    Ok(MempoolSettings {
        max_size_bytes: args.get_int_arg("-maxmempool", default_mb) * 1_000_000,
        min_relay_feerate: parse_amount_arg(args, "-minrelaytxfee", 1000)?,
        incremental_relay_feerate: parse_amount_arg(args, "-incrementalrelayfee", 1000)?,
        full_rbf: args.get_bool_arg("-mempoolfullrbf", false),
        loaded: AtomicBool::new(false),
        expiry_hours: args.get_int_arg("-mempoolexpiry", 336),
        persist: args.get_bool_arg("-persistmempool", true),
        require_standard: !args.get_bool_arg("-acceptnonstdtxn", false),
        max_datacarrier_bytes: args.get_bool_arg("-datacarrier", true).then(|| {
            args.get_int_arg(
                "-datacarriersize",
                i64::from(widecoin_mempool::MAX_OP_RETURN_RELAY),
            )
            .clamp(0, i64::from(u32::MAX)) as u32
        }),
        permit_bare_multisig: args.get_bool_arg("-permitbaremultisig", true),
        bytes_per_sigop: args
            .get_int_arg(
                "-bytespersigop",
                i64::from(widecoin_mempool::DEFAULT_BYTES_PER_SIGOP),
            )
            .clamp(0, i64::from(u32::MAX)) as u32,
        dust_relay_feerate: parse_amount_arg(
            args,
            "-dustrelayfee",
            widecoin_mempool::DUST_RELAY_TX_FEE,
        )?,
        limits: widecoin_mempool::Limits {
            ancestor_count: args
                .get_int_arg(
                    "-limitancestorcount",
                    i64::from(widecoin_mempool::DEFAULT_ANCESTOR_LIMIT),
                )
                .max(0) as u64,
            ancestor_size_vbytes: args
                .get_int_arg(
                    "-limitancestorsize",
                    i64::from(widecoin_mempool::DEFAULT_ANCESTOR_SIZE_LIMIT_KVB),
                )
                .max(0) as u64
                * 1000,
            descendant_count: args
                .get_int_arg(
                    "-limitdescendantcount",
                    i64::from(widecoin_mempool::DEFAULT_DESCENDANT_LIMIT),
                )
                .max(0) as u64,
            descendant_size_vbytes: args
                .get_int_arg(
                    "-limitdescendantsize",
                    i64::from(widecoin_mempool::DEFAULT_DESCENDANT_SIZE_LIMIT_KVB),
                )
                .max(0) as u64
                * 1000,
        },
    })
}

/// `-blockmaxweight`, `-blockmintxfee`, `-blockversion` (Core's
/// `ApplyArgsManOptions` for the block assembler).
fn assembler_options(args: &ArgsManager) -> Result<widecoin_mining::AssemblerOptions, String> {
    let mut options = widecoin_mining::AssemblerOptions::default();
    options.block_max_weight = args
        .get_int_arg("-blockmaxweight", options.block_max_weight as i64)
        .max(0) as u64;
    options.block_min_fee_rate =
        parse_amount_arg(args, "-blockmintxfee", options.block_min_fee_rate as i64)? as u64;
    if args.is_arg_set("-blockversion") {
        options.block_version = Some(args.get_int_arg("-blockversion", 0) as i32);
    }
    Ok(options)
}

/// `MAX_SUBVERSION_LENGTH`.
const MAX_SUBVERSION_LENGTH: usize = 256;

/// BIP14 user agent comments may only use `SAFE_CHARS_UA_COMMENT`, and the
/// whole user agent must fit `MAX_SUBVERSION_LENGTH` (Core's `AppInitMain`).
fn check_uacomments(subversion: &str, comments: &[String]) -> Result<(), String> {
    let safe = |c: char| c.is_ascii_alphanumeric() || " .,;-_?@".contains(c);
    if let Some(bad) = comments.iter().find(|c| !c.chars().all(safe)) {
        return Err(format!(
            "User Agent comment ({bad}) contains unsafe characters."
        ));
    }
    if subversion.len() > MAX_SUBVERSION_LENGTH {
        return Err(format!(
            "Total length of network version string ({}) exceeds maximum length ({MAX_SUBVERSION_LENGTH}). Reduce the number or size of uacomments.",
            subversion.len()
        ));
    }
    Ok(())
}

/// `NODE_NETWORK | NODE_WITNESS | NODE_NETWORK_LIMITED`, plus what options add.
fn network_settings(args: &ArgsManager) -> NetworkSettings {
    let mut services: u64 = (1 << 10) | (1 << 3);
    if args.get_int_arg("-prune", 0) == 0 {
        services |= 1;
    }
    if args.get_bool_arg("-peerbloomfilters", false) {
        services |= 1 << 2;
    }
    if args.get_bool_arg("-peerblockfilters", false) {
        services |= 1 << 6;
    }
    if args.get_bool_arg("-v2transport", false) {
        services |= 1 << 11;
    }
    let comments = args.get_args("-uacomment");
    NetworkSettings {
        subversion: version::format_sub_version(
            version::CLIENT_NAME,
            version::CLIENT_VERSION,
            &comments,
        ),
        local_services: services,
        network_active: args.get_bool_arg("-networkactive", true),
        relay_txes: !args.get_bool_arg("-blocksonly", false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uacomments_checked_like_core() {
        assert!(check_uacomments("/WidecoinCore:6.0.0(a; b)/", &["a".into(), "b".into()]).is_ok());
        assert_eq!(
            check_uacomments("/x/", &["bad/".into()]).unwrap_err(),
            "User Agent comment (bad/) contains unsafe characters."
        );
        let long = "a".repeat(300);
        assert_eq!(
            check_uacomments(&long, &[]).unwrap_err(),
            "Total length of network version string (300) exceeds maximum length (256). Reduce the number or size of uacomments."
        );
    }
}
