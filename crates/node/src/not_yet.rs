//! Options that Widecoin Core accepts but whose subsystem this node does not
//! have yet: they are accepted (a configuration written for Widecoin Core must
//! keep working) and each one that is set is named in debug.log, so that none
//! is silently ignored.

use widecoin_common::args::ArgsManager;

/// Options that take effect in this build; every other registered option that
/// is set gets a "not yet effective" line.
const EFFECTIVE: &[&str] = &[
    // fee estimation
    "-acceptstalefeeestimates",
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
    "-checkblocks",
    "-checklevel",
    "-mocktime",
    "-stopatheight",
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
    "-mempoolexpiry",
    "-persistmempool",
    "-datacarrier",
    "-datacarriersize",
    "-permitbaremultisig",
    "-bytespersigop",
    "-dustrelayfee",
    "-limitancestorcount",
    "-limitancestorsize",
    "-limitdescendantcount",
    "-limitdescendantsize",
    "-peertimeout",
    "-networkactive",
    "-blocksonly",
    "-peerbloomfilters",
    "-peerblockfilters",
    "-v2transport",
    // wallet process (widecoin-node) and IPC
    "-disablewallet",
    "-ipcbind",
    "-ipcauthfile",
    // chainstate
    "-dbcache",
    "-par",
    "-assumevalid",
    "-reindex",
    "-reindex-chainstate",
    "-loadblock",
    "-checkpoints",
    "-minimumchainwork",
    // indexes and pruning
    "-txindex",
    "-blockfilterindex",
    "-coinstatsindex",
    "-prune",
    // block assembly
    "-blockmaxweight",
    "-blockmintxfee",
    "-blockversion",
    // P2P connections
    "-bind",
    "-port",
    "-listen",
    "-connect",
    "-addnode",
    "-maxconnections",
    "-maxuploadtarget",
    // address manager and seeding
    "-dnsseed",
    "-forcednsseed",
    "-fixedseeds",
    "-seednode",
    "-onlynet",
    "-checkaddrman",
    "-externalip",
    "-addrmantest",
    // P2P relay, permissions, bans
    "-whitelist",
    "-whitebind",
    "-whitelistrelay",
    "-whitelistforcerelay",
    "-bantime",
    "-maxorphantx",
    "-blockreconstructionextratxn",
    "-acceptnonstdtxn",
    // notifications
    "-blocknotify",
    "-startupnotify",
    "-shutdownnotify",
    "-alertnotify",
    "-stopafterblockimport",
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

#[cfg(test)]
mod tests {
    use super::EFFECTIVE;
    use widecoin_common::args::ArgsManager;

    /// Every name in the list is an option widecoind or widecoin-node
    /// registers, so a typo cannot silently keep an option "effective".
    #[test]
    fn effective_options_are_registered() {
        let mut args = ArgsManager::new();
        widecoin_common::options::setup_server_args(&mut args);
        widecoin_common::options::setup_ipc_bind_args(&mut args);
        let registered = args.registered_args();
        for name in EFFECTIVE {
            assert!(
                registered.iter().any(|r| r == name),
                "{name} is not an option"
            );
        }
    }
}
