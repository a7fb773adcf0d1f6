//! The options each binary accepts, with Widecoin Core's help texts and
//! defaults (Core's `SetupServerArgs` in `src/init.cpp`, `SetupCliArgs` in
//! `src/widecoin-cli.cpp`, `SetupHelpOptions`, `AddLoggingArgs` in
//! `src/init/common.cpp`, `SetupChainParamsBaseOptions` in
//! `src/chainparamsbase.cpp`, `AddWalletOptions` in `src/wallet/init.cpp`).
//!
//! The set mirrors a release build of Widecoin Core 6.0 on Linux: wallet
//! (SQLite and Berkeley DB), ZeroMQ, UPnP, NAT-PMP, external signer,
//! `fork()` (`-daemon`) and `system()` (`-*notify`) are all compiled in.

mod cli;
mod server;
mod wallet;

use widecoin_chainparams::ChainType;

use crate::args::{ArgFlags, ArgsManager, OptionsCategory};

pub use cli::setup_cli_args;
pub use server::setup_server_args;
pub use wallet::{add_wallet_options, setup_wallet_tool_args};

const ANY: ArgFlags = ArgFlags::ALLOW_ANY;
const DEBUG: ArgFlags = ArgFlags(ArgFlags::ALLOW_ANY.0 | ArgFlags::DEBUG_ONLY.0);
const NET: ArgFlags = ArgFlags(ArgFlags::ALLOW_ANY.0 | ArgFlags::NETWORK_ONLY.0);
const SENSITIVE: ArgFlags = ArgFlags(ArgFlags::ALLOW_ANY.0 | ArgFlags::SENSITIVE.0);

/// Default P2P ports of main, test, signet and regtest (`nDefaultPort`).
pub const DEFAULT_P2P_PORTS: [u16; 4] = [8553, 18553, 38553, 18444];

/// The `-debug` categories, sorted as Core lists them.
pub const LOG_CATEGORIES: &str = "addrman, bench, blockstorage, cmpctblock, coindb, estimatefee, http, i2p, ipc, leveldb, libevent, mempool, mempoolrej, net, proxy, prune, qt, rand, reindex, rpc, scan, selectcoins, tor, txpackages, txreconciliation, util, validation, walletdb, zmq";

fn rpc_ports() -> [u16; 4] {
    ChainType::ALL.map(|c| c.base_params().rpc_port)
}

fn onion_ports() -> [u16; 4] {
    ChainType::ALL.map(|c| c.base_params().onion_service_target_port)
}

/// `-?`, `-h`, `-help` (Core's `SetupHelpOptions`).
pub fn setup_help_options(args: &mut ArgsManager) {
    args.add_arg(
        "-?",
        "Print this help message and exit",
        ANY,
        OptionsCategory::Options,
    );
    args.add_hidden_args(&["-h", "-help"]);
}

/// The chain selection options (Core's `SetupChainParamsBaseOptions`).
pub fn setup_chain_params_base_options(args: &mut ArgsManager) {
    use OptionsCategory::{ChainParams, DebugTest};
    let no_negation = ArgFlags(ArgFlags::ALLOW_ANY.0 | ArgFlags::DISALLOW_NEGATION.0);
    args.add_arg(
        "-chain=<chain>",
        "Use the chain <chain> (default: main). Allowed values: main, test, signet, regtest",
        ANY,
        ChainParams,
    );
    args.add_arg("-regtest", "Enter regression test mode, which uses a special chain in which blocks can be solved instantly. This is intended for regression testing tools and app development. Equivalent to -chain=regtest.", DEBUG, ChainParams);
    args.add_arg(
        "-testactivationheight=name@height.",
        "Set the activation height of 'name' (segwit, bip34, dersig, cltv, csv). (regtest-only)",
        DEBUG,
        DebugTest,
    );
    args.add_arg(
        "-testnet",
        "Use the test chain. Equivalent to -chain=test.",
        ANY,
        ChainParams,
    );
    args.add_arg("-vbparams=deployment:start:end[:min_activation_height]", "Use given start/end times and min_activation_height for specified version bits deployment (regtest-only)", DEBUG, ChainParams);
    args.add_arg("-signet", "Use the signet chain. Equivalent to -chain=signet. Note that the network is defined by the -signetchallenge parameter", ANY, ChainParams);
    args.add_arg("-signetchallenge", "Blocks must satisfy the given script to be considered valid (only for signet networks; defaults to the global default signet test network challenge)", no_negation, ChainParams);
    args.add_arg("-signetseednode", "Specify a seed node for the signet network, in the hostname[:port] format, e.g. sig.net:1234 (may be used multiple times to specify multiple seed nodes; defaults to the global default signet test network seed node(s))", no_negation, ChainParams);
}

/// The logging options (Core's `init::AddLoggingArgs`).
pub fn add_logging_args(args: &mut ArgsManager) {
    use OptionsCategory::{DebugTest, Options};
    args.add_arg("-debuglogfile=<file>", "Specify location of debug log file (default: debug.log). Relative paths will be prefixed by a net-specific datadir location. Pass -nodebuglogfile to disable writing the log to a file.", ANY, Options);
    args.add_arg("-debug=<category>", &format!("Output debug and trace logging (default: -nodebug, supplying <category> is optional). If <category> is not supplied or if <category> = 1, output all debug and trace logging. <category> can be: {LOG_CATEGORIES}. This option can be specified multiple times to output multiple categories."), ANY, DebugTest);
    args.add_arg("-debugexclude=<category>", "Exclude debug and trace logging for a category. Can be used in conjunction with -debug=1 to output debug and trace logging for all categories except the specified category. This option can be specified multiple times to exclude multiple categories.", ANY, DebugTest);
    args.add_arg(
        "-logips",
        "Include IP addresses in debug output (default: 0)",
        ANY,
        DebugTest,
    );
    args.add_arg(
        "-loglevel=<level>|<category>:<level>",
        &format!("Set the global or per-category severity level for logging categories enabled with the -debug configuration option or the logging RPC: info, debug, trace (default=debug); warning and error levels are always logged. If <category>:<level> is supplied, the setting will override the global one and may be specified multiple times to set multiple category-specific levels. <category> can be: {LOG_CATEGORIES}."),
        ArgFlags::DISALLOW_NEGATION | ArgFlags::DISALLOW_ELISION | ArgFlags::DEBUG_ONLY,
        DebugTest,
    );
    args.add_arg(
        "-logtimestamps",
        "Prepend debug output with timestamp (default: 1)",
        ANY,
        DebugTest,
    );
    args.add_arg("-logthreadnames", "Prepend debug output with name of the originating thread (only available on platforms supporting thread_local) (default: 0)", ANY, DebugTest);
    args.add_arg("-logsourcelocations", "Prepend debug output with name of the originating source location (source file, line number and function name) (default: 0)", ANY, DebugTest);
    args.add_arg(
        "-logtimemicros",
        "Add microsecond precision to debug timestamps (default: 0)",
        DEBUG,
        DebugTest,
    );
    args.add_arg("-printtoconsole", "Send trace/debug info to console (default: 1 when no -daemon. To disable logging to file, set -nodebuglogfile)", ANY, DebugTest);
    args.add_arg(
        "-shrinkdebugfile",
        "Shrink debug.log file on client startup (default: 1 when no -debug)",
        ANY,
        DebugTest,
    );
}

#[cfg(test)]
#[path = "options/tests.rs"]
mod tests;

/// `-ipcbind` and `-ipcauthfile`, registered by the binaries that can serve
/// other processes (`widecoin-node`): Widecoin Core 6.0 has no IPC options,
/// so `widecoind` keeps refusing them as unknown.
pub fn setup_ipc_bind_args(args: &mut ArgsManager) {
    args.add_arg(
        "-ipcbind=<address>",
        "Bind to Unix socket address or TCP port and listen for incoming connections. Valid address values are \"unix\" to listen on the default path, <datadir>/node.sock, \"unix:/custom/path\" to specify a custom path, or \"tcp:<host>:<port>\" to listen on a TCP port (authenticated with the key in -ipcauthfile and encrypted). Can be specified multiple times to listen on multiple addresses. Default behavior is not to listen on any address. If relative paths are specified, they are interpreted relative to the network data directory. If paths include any parent directory components and the parent directories do not exist, they will be created.",
        ArgFlags::ALLOW_ANY,
        OptionsCategory::Ipc,
    );
    args.add_arg(
        "-ipcauthfile=<file>",
        "Key file authenticating TCP IPC connections (default: ipc.cookie in the network data directory, created if missing). Relative paths will be prefixed by a net-specific datadir location.",
        ArgFlags::ALLOW_ANY,
        OptionsCategory::Ipc,
    );
}
