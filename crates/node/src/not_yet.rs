//! Options that Widecoin Core accepts but whose subsystem this node does not
//! have yet: they are accepted (a configuration written for Widecoin Core must
//! keep working) and each one that is set is named in debug.log, so that none
//! is silently ignored.

use widecoin_common::args::ArgsManager;

/// Options that take effect in this build; every other registered option that
/// is set gets a "not yet effective" line.
const EFFECTIVE: &[&str] = &[
    // help and version
    "-?",
    "-h",
    "-help",
    "-help-debug",
    "-version",
    // data directory, configuration, process
    "-datadir",
    "-conf",
    "-includeconf",
    "-settings",
    "-pid",
    "-daemon",
    "-daemonwait",
    "-blocksdir",
    "-server",
    // chain selection and test chain parameters
    "-chain",
    "-regtest",
    "-testnet",
    "-signet",
    "-signetchallenge",
    "-signetseednode",
    "-testactivationheight",
    "-vbparams",
    "-fastprune",
    // logging
    "-debug",
    "-debugexclude",
    "-debuglogfile",
    "-loglevel",
    "-logips",
    "-logtimestamps",
    "-logtimemicros",
    "-logthreadnames",
    "-logsourcelocations",
    "-printtoconsole",
    "-shrinkdebugfile",
    // RPC server
    "-rpcallowip",
    "-rpcauth",
    "-rpcbind",
    "-rpccookiefile",
    "-rpcpassword",
    "-rpcport",
    "-rpcservertimeout",
    "-rpcthreads",
    "-rpcuser",
    "-rpcwhitelist",
    "-rpcwhitelistdefault",
    "-rpcworkqueue",
    "-rpcdoccheck",
    // values reported by getnetworkinfo / getmempoolinfo / getblockchaininfo
    "-uacomment",
    "-maxtipage",
    "-minrelaytxfee",
    "-incrementalrelayfee",
    "-maxmempool",
    "-mempoolfullrbf",
    "-peertimeout",
    "-networkactive",
    "-blocksonly",
    "-peerbloomfilters",
    "-peerblockfilters",
    "-v2transport",
    // no wallet is built yet, so disabling it is exactly what happens
    "-disablewallet",
];

/// Logs each set option that has no effect yet.
pub fn log_not_yet_effective(args: &ArgsManager) {
    for name in args.registered_args() {
        if EFFECTIVE.contains(&name.as_str()) || !args.is_arg_set(&name) {
            continue;
        }
        tracing::info!("Option {name} is accepted but has no effect yet in this version");
    }
}
