//! `widecoin-cli`'s options (Core's `SetupCliArgs`, `src/widecoin-cli.cpp`).

use super::{rpc_ports, setup_chain_params_base_options, setup_help_options, ANY, NET};
use crate::args::{ArgFlags, ArgsManager, OptionsCategory};

/// `-rpcclienttimeout` default, in seconds.
pub const DEFAULT_HTTP_CLIENT_TIMEOUT: i64 = 900;
/// `-rpcwaittimeout` default, in seconds (0: no timeout).
pub const DEFAULT_WAIT_CLIENT_TIMEOUT: i64 = 0;
/// `-rpcconnect` default.
pub const DEFAULT_RPCCONNECT: &str = "127.0.0.1";
/// `-color` default.
pub const DEFAULT_COLOR_SETTING: &str = "auto";

/// Registers every option `widecoin-cli` accepts.
pub fn setup_cli_args(args: &mut ArgsManager) {
    use OptionsCategory::Options;
    let no_negation = ANY | ArgFlags::DISALLOW_NEGATION;
    let rpc = rpc_ports();
    setup_help_options(args);
    args.add_arg("-version", "Print version and exit", ANY, Options);
    args.add_arg("-conf=<file>", "Specify configuration file. Relative paths will be prefixed by datadir location. (default: widecoin.conf)", ANY, Options);
    args.add_arg("-datadir=<dir>", "Specify data directory", ANY, Options);
    args.add_arg("-generate", "Generate blocks, equivalent to RPC getnewaddress followed by RPC generatetoaddress. Optional positional integer arguments are number of blocks to generate (default: 1) and maximum iterations to try (default: 1000000), equivalent to RPC generatetoaddress nblocks and maxtries arguments. Example: widecoin-cli -generate 4 1000", ANY, Options);
    args.add_arg("-addrinfo", "Get the number of addresses known to the node, per network and total, after filtering for quality and recency. The total number of addresses known to the node may be higher.", ANY, Options);
    args.add_arg("-getinfo", "Get general information from the remote server. Note that unlike server-side RPC calls, the output of -getinfo is the result of multiple non-atomic requests. Some entries in the output may represent results from different states (e.g. wallet balance may be as of a different block from the chain state reported)", ANY, Options);
    args.add_arg("-netinfo", "Get network peer connection information from the remote server. An optional integer argument from 0 to 4 can be passed for different peers listings (default: 0). Pass \"help\" for detailed help documentation.", ANY, Options);

    setup_chain_params_base_options(args);
    args.add_arg("-color=<when>", &format!("Color setting for CLI output (default: {DEFAULT_COLOR_SETTING}). Valid values: always, auto (add color codes when standard output is connected to a terminal and OS is not WIN32), never."), no_negation, Options);
    args.add_arg(
        "-named",
        "Pass named instead of positional arguments (default: false)",
        ANY,
        Options,
    );
    args.add_arg("-rpcclienttimeout=<n>", &format!("Timeout in seconds during HTTP requests, or 0 for no timeout. (default: {DEFAULT_HTTP_CLIENT_TIMEOUT})"), ANY, Options);
    args.add_arg(
        "-rpcconnect=<ip>",
        &format!("Send commands to node running on <ip> (default: {DEFAULT_RPCCONNECT})"),
        ANY,
        Options,
    );
    args.add_arg("-rpccookiefile=<loc>", "Location of the auth cookie. Relative paths will be prefixed by a net-specific datadir location. (default: data dir)", ANY, Options);
    args.add_arg(
        "-rpcpassword=<pw>",
        "Password for JSON-RPC connections",
        ANY,
        Options,
    );
    args.add_arg(
        "-rpcport=<port>",
        &format!(
            "Connect to JSON-RPC on <port> (default: {}, testnet: {}, signet: {}, regtest: {})",
            rpc[0], rpc[1], rpc[2], rpc[3]
        ),
        NET,
        Options,
    );
    args.add_arg(
        "-rpcuser=<user>",
        "Username for JSON-RPC connections",
        ANY,
        Options,
    );
    args.add_arg("-rpcwait", "Wait for RPC server to start", ANY, Options);
    args.add_arg("-rpcwaittimeout=<n>", &format!("Timeout in seconds to wait for the RPC server to start, or 0 for no timeout. (default: {DEFAULT_WAIT_CLIENT_TIMEOUT})"), no_negation, Options);
    args.add_arg("-rpcwallet=<walletname>", "Send RPC for non-default wallet on RPC server (needs to exactly match corresponding -wallet option passed to widecoind). This changes the RPC endpoint used, e.g. http://127.0.0.1:8332/wallet/<walletname>", ANY, Options);
    args.add_arg("-stdin", "Read extra arguments from standard input, one per line until EOF/Ctrl-D (recommended for sensitive information such as passphrases). When combined with -stdinrpcpass, the first line from standard input is used for the RPC password.", ANY, Options);
    args.add_arg("-stdinrpcpass", "Read RPC password from standard input as a single line. When combined with -stdin, the first line from standard input is used for the RPC password. When combined with -stdinwalletpassphrase, -stdinrpcpass consumes the first line, and -stdinwalletpassphrase consumes the second.", ANY, Options);
    args.add_arg("-stdinwalletpassphrase", "Read wallet passphrase from standard input as a single line. When combined with -stdin, the first line from standard input is used for the wallet passphrase.", ANY, Options);
}
