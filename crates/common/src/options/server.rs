//! `widecoind`'s options (Core's `SetupServerArgs`, `src/init.cpp`).

use super::{
    add_logging_args, add_wallet_options, onion_ports, rpc_ports, setup_chain_params_base_options,
    setup_help_options, ANY, DEBUG, DEFAULT_P2P_PORTS, NET, SENSITIVE,
};
use crate::args::{ArgFlags, ArgsManager, OptionsCategory};

/// `defaultAssumeValid` of main, test and signet.
const ASSUMEVALID: [&str; 3] = [
    "000000000000071f43020a9b04d1281308a8997818d858b4b0102fb1628d0053",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
];
/// `nMinimumChainWork` of main, test and signet.
const MINIMUMCHAINWORK: [&str; 3] = [
    "0000000000000000000000000000000000000000000000a0a04a0abc10ce96cd",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
];
/// Height of the last mainnet checkpoint.
const LAST_CHECKPOINT_HEIGHT: u32 = 281240;
/// `DEFAULT_BLOCK_MAX_WEIGHT`: MAX_BLOCK_WEIGHT (32,000,000) - 4000.
const DEFAULT_BLOCK_MAX_WEIGHT: u32 = 31_996_000;

const NET_PERMISSIONS_DOC: &str = "bloomfilter (allow requesting BIP37 filtered blocks and transactions), noban (do not ban for misbehavior; implies download), forcerelay (relay transactions that are already in the mempool; implies relay), relay (relay even in -blocksonly mode, and unlimited transaction announcements), mempool (allow requesting BIP35 mempool contents), download (allow getheaders during IBD, no disconnect after maxuploadtarget limit), addr (responses to GETADDR avoid hitting the cache and contain random records with the most up-to-date info)";

/// Registers every option `widecoind` accepts.
pub fn setup_server_args(args: &mut ArgsManager) {
    use OptionsCategory::{BlockCreation, Connection, DebugTest, NodeRelay, Options, Rpc, Zmq};
    setup_help_options(args);
    args.add_arg(
        "-help-debug",
        "Print help message with debugging options and exit",
        ANY,
        DebugTest,
    );
    add_logging_args(args);

    let p2p = DEFAULT_P2P_PORTS;
    let rpc = rpc_ports();
    let onion = onion_ports();

    args.add_arg("-version", "Print version and exit", ANY, Options);
    args.add_arg(
        "-alertnotify=<cmd>",
        "Execute command when an alert is raised (%s in cmd is replaced by message)",
        ANY,
        Options,
    );
    args.add_arg("-assumevalid=<hex>", &format!("If this block is in the chain assume that it and its ancestors are valid and potentially skip their script verification (0 to verify all, default: {}, testnet: {}, signet: {})", ASSUMEVALID[0], ASSUMEVALID[1], ASSUMEVALID[2]), ANY, Options);
    args.add_arg(
        "-blocksdir=<dir>",
        "Specify directory to hold blocks subdirectory for *.dat files (default: <datadir>)",
        ANY,
        Options,
    );
    args.add_arg(
        "-fastprune",
        "Use smaller block files and lower minimum prune height for testing purposes",
        DEBUG,
        DebugTest,
    );
    args.add_arg(
        "-blocknotify=<cmd>",
        "Execute command when the best block changes (%s in cmd is replaced by block hash)",
        ANY,
        Options,
    );
    args.add_arg(
        "-blockreconstructionextratxn=<n>",
        "Extra transactions to keep in memory for compact block reconstructions (default: 100)",
        ANY,
        Options,
    );
    args.add_arg("-blocksonly", "Whether to reject transactions from network peers. Automatic broadcast and rebroadcast of any transactions from inbound peers is disabled, unless the peer has the 'forcerelay' permission. RPC transactions are not affected. (default: 0)", ANY, Options);
    args.add_arg(
        "-coinstatsindex",
        "Maintain coinstats index used by the gettxoutsetinfo RPC (default: 0)",
        ANY,
        Options,
    );
    args.add_arg("-conf=<file>", "Specify path to read-only configuration file. Relative paths will be prefixed by datadir location (only useable from command line, not configuration file) (default: widecoin.conf)", ANY, Options);
    args.add_arg("-datadir=<dir>", "Specify data directory", ANY, Options);
    args.add_arg(
        "-dbbatchsize",
        "Maximum database write batch size in bytes (default: 16777216)",
        DEBUG,
        Options,
    );
    args.add_arg("-dbcache=<n>", "Maximum database cache size <n> MiB (4 to 16384, default: 450). In addition, unused mempool memory is shared for this cache (see -maxmempool).", ANY, Options);
    args.add_arg("-includeconf=<file>", "Specify additional configuration file, relative to the -datadir path (only useable from configuration file, not command line)", ANY, Options);
    args.add_arg("-allowignoredconf", "For backwards compatibility, treat an unused widecoin.conf file in the datadir as a warning, not an error.", ANY, Options);
    args.add_arg(
        "-loadblock=<file>",
        "Imports blocks from external file on startup",
        ANY,
        Options,
    );
    args.add_arg(
        "-maxmempool=<n>",
        "Keep the transaction memory pool below <n> megabytes (default: 300)",
        ANY,
        Options,
    );
    args.add_arg(
        "-maxorphantx=<n>",
        "Keep at most <n> unconnectable transactions in memory (default: 100)",
        ANY,
        Options,
    );
    args.add_arg(
        "-mempoolexpiry=<n>",
        "Do not keep transactions in the mempool longer than <n> hours (default: 336)",
        ANY,
        Options,
    );
    args.add_arg("-minimumchainwork=<hex>", &format!("Minimum work assumed to exist on a valid chain in hex (default: {}, testnet: {}, signet: {})", MINIMUMCHAINWORK[0], MINIMUMCHAINWORK[1], MINIMUMCHAINWORK[2]), DEBUG, Options);
    args.add_arg("-par=<n>", "Set the number of script verification threads (0 = auto, up to 15, <0 = leave that many cores free, default: 0)", ANY, Options);
    args.add_arg(
        "-persistmempool",
        "Whether to save the mempool on shutdown and load on restart (default: 1)",
        ANY,
        Options,
    );
    args.add_arg("-pid=<file>", "Specify pid file. Relative paths will be prefixed by a net-specific datadir location. (default: widecoind.pid)", ANY, Options);
    args.add_arg("-prune=<n>", "Reduce storage requirements by enabling pruning (deleting) of old blocks. This allows the pruneblockchain RPC to be called to delete specific blocks and enables automatic pruning of old blocks if a target size in MiB is provided. This mode is incompatible with -txindex. Warning: Reverting this setting requires re-downloading the entire blockchain. (default: 0 = disable pruning blocks, 1 = allow manual pruning via RPC, >=550 = automatically prune block files to stay under the specified target size in MiB)", ANY, Options);
    args.add_arg("-reindex", "If enabled, wipe chain state and block index, and rebuild them from blk*.dat files on disk. Also wipe and rebuild other optional indexes that are active. If an assumeutxo snapshot was loaded, its chainstate will be wiped as well. The snapshot can then be reloaded via RPC.", ANY, Options);
    args.add_arg("-reindex-chainstate", "If enabled, wipe chain state, and rebuild it from blk*.dat files on disk. If an assumeutxo snapshot was loaded, its chainstate will be wiped as well. The snapshot can then be reloaded via RPC.", ANY, Options);
    args.add_arg("-settings=<file>", "Specify path to dynamic settings data file. Can be disabled with -nosettings. File is written at runtime and not meant to be edited by users (use widecoin.conf instead for custom settings). Relative paths will be prefixed by datadir location. (default: settings.json)", ANY, Options);
    args.add_arg(
        "-startupnotify=<cmd>",
        "Execute command on startup.",
        ANY,
        Options,
    );
    args.add_arg("-shutdownnotify=<cmd>", "Execute command immediately before beginning shutdown. The need for shutdown may be urgent, so be careful not to delay it long (if the command doesn't require interaction with the server, consider having it fork into the background).", ANY, Options);
    args.add_arg(
        "-txindex",
        "Maintain a full transaction index, used by the getrawtransaction rpc call (default: 0)",
        ANY,
        Options,
    );
    args.add_arg("-blockfilterindex=<type>", "Maintain an index of compact filters by block (default: 0, values: basic). If <type> is not supplied or if <type> = 1, indexes for all known types are enabled.", ANY, Options);

    args.add_arg("-addnode=<ip>", "Add a node to connect to and attempt to keep the connection open (see the addnode RPC help for more info). This option can be specified multiple times to add multiple nodes; connections are limited to 8 at a time and are counted separately from the -maxconnections limit.", NET, Connection);
    args.add_arg("-asmap=<file>", "Specify asn mapping used for bucketing of the peers (default: ip_asn.map). Relative paths will be prefixed by the net-specific datadir location.", ANY, Connection);
    args.add_arg(
        "-bantime=<n>",
        "Default duration (in seconds) of manually configured bans (default: 86400)",
        ANY,
        Connection,
    );
    args.add_arg("-bind=<addr>[:<port>][=onion]", &format!("Bind to given address and always listen on it (default: 0.0.0.0). Use [host]:port notation for IPv6. Append =onion to tag any incoming connections to that address and port as incoming Tor connections (default: 127.0.0.1:{}=onion, testnet: 127.0.0.1:{}=onion, signet: 127.0.0.1:{}=onion, regtest: 127.0.0.1:{}=onion)", onion[0], onion[1], onion[2], onion[3]), NET, Connection);
    args.add_arg("-cjdnsreachable", "If set, then this host is configured for CJDNS (connecting to fc00::/8 addresses would lead us to the CJDNS network, see doc/cjdns.md) (default: 0)", ANY, Connection);
    args.add_arg("-connect=<ip>", "Connect only to the specified node; -noconnect disables automatic connections (the rules for this peer are the same as for -addnode). This option can be specified multiple times to connect to multiple nodes.", NET, Connection);
    args.add_arg(
        "-discover",
        "Discover own IP addresses (default: 1 when listening and no -externalip or -proxy)",
        ANY,
        Connection,
    );
    args.add_arg(
        "-dns",
        "Allow DNS lookups for -addnode, -seednode and -connect (default: 1)",
        ANY,
        Connection,
    );
    args.add_arg("-dnsseed", "Query for peer addresses via DNS lookup, if low on addresses (default: 1 unless -connect used or -maxconnections=0)", ANY, Connection);
    args.add_arg(
        "-externalip=<ip>",
        "Specify your own public address",
        ANY,
        Connection,
    );
    args.add_arg(
        "-fixedseeds",
        "Allow fixed seeds if DNS seeds don't provide peers (default: 1)",
        ANY,
        Connection,
    );
    args.add_arg(
        "-forcednsseed",
        "Always query for peer addresses via DNS lookup (default: 0)",
        ANY,
        Connection,
    );
    args.add_arg(
        "-listen",
        "Accept connections from outside (default: 1 if no -proxy, -connect or -maxconnections=0)",
        ANY,
        Connection,
    );
    args.add_arg(
        "-listenonion",
        "Automatically create Tor onion service (default: 1)",
        ANY,
        Connection,
    );
    args.add_arg("-maxconnections=<n>", "Maintain at most <n> connections to peers (default: 125). This limit does not apply to connections manually added via -addnode or the addnode RPC, which have a separate limit of 8.", ANY, Connection);
    args.add_arg(
        "-maxreceivebuffer=<n>",
        "Maximum per-connection receive buffer, <n>*1000 bytes (default: 5000)",
        ANY,
        Connection,
    );
    args.add_arg(
        "-maxsendbuffer=<n>",
        "Maximum per-connection memory usage for the send buffer, <n>*1000 bytes (default: 1000)",
        ANY,
        Connection,
    );
    args.add_arg("-maxtimeadjustment", "Maximum allowed median peer time offset adjustment. Local perspective of time may be influenced by outbound peers forward or backward by this amount (default: 4200 seconds).", ANY, Connection);
    args.add_arg("-maxuploadtarget=<n>", "Tries to keep outbound traffic under the given target per 24h. Limit does not apply to peers with 'download' permission or blocks created within past week. 0 = no limit (default: 0M). Optional suffix units [k|K|m|M|g|G|t|T] (default: M). Lowercase is 1000 base while uppercase is 1024 base", ANY, Connection);
    args.add_arg("-onion=<ip:port>", "Use separate SOCKS5 proxy to reach peers via Tor onion services, set -noonion to disable (default: -proxy)", ANY, Connection);
    args.add_arg(
        "-i2psam=<ip:port>",
        "I2P SAM proxy to reach I2P peers and accept I2P connections (default: none)",
        ANY,
        Connection,
    );
    args.add_arg("-i2pacceptincoming", "Whether to accept inbound I2P connections (default: 1). Ignored if -i2psam is not set. Listening for inbound I2P connections is done through the SAM proxy, not by binding to a local address and port.", ANY, Connection);
    args.add_arg("-onlynet=<net>", "Make automatic outbound connections only to network <net> (ipv4, ipv6, onion, i2p, cjdns). Inbound and manual connections are not affected by this option. It can be specified multiple times to allow multiple networks.", ANY, Connection);
    args.add_arg(
        "-v2transport",
        "Support v2 transport (default: 0)",
        ANY,
        Connection,
    );
    args.add_arg(
        "-peerbloomfilters",
        "Support filtering of blocks and transaction with bloom filters (default: 0)",
        ANY,
        Connection,
    );
    args.add_arg(
        "-peerblockfilters",
        "Serve compact block filters to peers per BIP 157 (default: 0)",
        ANY,
        Connection,
    );
    args.add_arg(
        "-txreconciliation",
        "Enable transaction reconciliations per BIP 330 (default: 0)",
        DEBUG,
        Connection,
    );
    args.add_arg("-port=<port>", &format!("Listen for connections on <port>. Nodes not using the default ports (default: {}, testnet: {}, signet: {}, regtest: {}) are unlikely to get incoming connections. Not relevant for I2P (see doc/i2p.md).", p2p[0], p2p[1], p2p[2], p2p[3]), NET, Connection);
    args.add_arg(
        "-proxy=<ip:port>",
        "Connect through SOCKS5 proxy, set -noproxy to disable (default: disabled)",
        ANY | ArgFlags::DISALLOW_ELISION,
        Connection,
    );
    args.add_arg("-proxyrandomize", "Randomize credentials for every proxy connection. This enables Tor stream isolation (default: 1)", ANY, Connection);
    args.add_arg("-seednode=<ip>", "Connect to a node to retrieve peer addresses, and disconnect. This option can be specified multiple times to connect to multiple nodes.", ANY, Connection);
    args.add_arg("-networkactive", "Enable all P2P network activity (default: 1). Can be changed by the setnetworkactive RPC command", ANY, Connection);
    args.add_arg("-timeout=<n>", "Specify socket connection timeout in milliseconds. If an initial attempt to connect is unsuccessful after this amount of time, drop it (minimum: 1, default: 5000)", ANY, Connection);
    args.add_arg("-peertimeout=<n>", "Specify a p2p connection timeout delay in seconds. After connecting to a peer, wait this amount of time before considering disconnection based on inactivity (minimum: 1, default: 60)", DEBUG, Connection);
    args.add_arg("-torcontrol=<ip>:<port>", "Tor control host and port to use if onion listening enabled (default: 127.0.0.1:9051). If no port is specified, the default port of 9051 will be used.", ANY, Connection);
    args.add_arg(
        "-torpassword=<pass>",
        "Tor control port password (default: empty)",
        SENSITIVE,
        Connection,
    );
    args.add_arg(
        "-upnp",
        "Use UPnP to map the listening port (default: 1 when listening and no -proxy)",
        ANY,
        Connection,
    );
    args.add_arg(
        "-natpmp",
        "Use NAT-PMP to map the listening port (default: 0)",
        ANY,
        Connection,
    );
    args.add_arg("-whitebind=<[permissions@]addr>", &format!("Bind to the given address and add permission flags to the peers connecting to it. Use [host]:port notation for IPv6. Allowed permissions: {NET_PERMISSIONS_DOC}. Specify multiple permissions separated by commas (default: download,noban,mempool,relay). Can be specified multiple times."), ANY, Connection);
    args.add_arg("-whitelist=<[permissions@]IP address or network>", "Add permission flags to the peers connecting from the given IP address (e.g. 1.2.3.4) or CIDR-notated network (e.g. 1.2.3.0/24). Uses the same permissions as -whitebind. Can be specified multiple times.", ANY, Connection);

    add_wallet_options(args);

    args.add_arg(
        "-zmqpubhashblock=<address>",
        "Enable publish hash block in <address>",
        ANY,
        Zmq,
    );
    args.add_arg(
        "-zmqpubhashtx=<address>",
        "Enable publish hash transaction in <address>",
        ANY,
        Zmq,
    );
    args.add_arg(
        "-zmqpubrawblock=<address>",
        "Enable publish raw block in <address>",
        ANY,
        Zmq,
    );
    args.add_arg(
        "-zmqpubrawtx=<address>",
        "Enable publish raw transaction in <address>",
        ANY,
        Zmq,
    );
    args.add_arg(
        "-zmqpubsequence=<address>",
        "Enable publish hash block and tx sequence in <address>",
        ANY,
        Zmq,
    );
    args.add_arg(
        "-zmqpubhashblockhwm=<n>",
        "Set publish hash block outbound message high water mark (default: 1000)",
        ANY,
        Zmq,
    );
    args.add_arg(
        "-zmqpubhashtxhwm=<n>",
        "Set publish hash transaction outbound message high water mark (default: 1000)",
        ANY,
        Zmq,
    );
    args.add_arg(
        "-zmqpubrawblockhwm=<n>",
        "Set publish raw block outbound message high water mark (default: 1000)",
        ANY,
        Zmq,
    );
    args.add_arg(
        "-zmqpubrawtxhwm=<n>",
        "Set publish raw transaction outbound message high water mark (default: 1000)",
        ANY,
        Zmq,
    );
    args.add_arg(
        "-zmqpubsequencehwm=<n>",
        "Set publish hash sequence message high water mark (default: 1000)",
        ANY,
        Zmq,
    );

    args.add_arg(
        "-checkblocks=<n>",
        "How many blocks to check at startup (default: 6, 0 = all)",
        DEBUG,
        DebugTest,
    );
    args.add_arg("-checklevel=<n>", "How thorough the block verification of -checkblocks is: level 0 reads the blocks from disk, level 1 verifies block validity, level 2 verifies undo data, level 3 checks disconnection of tip blocks, level 4 tries to reconnect the blocks, each level includes the checks of the previous levels (0-4, default: 3)", DEBUG, DebugTest);
    args.add_arg("-checkblockindex", "Do a consistency check for the block tree, chainstate, and other validation data structures occasionally. (default: 0, regtest: 1)", DEBUG, DebugTest);
    args.add_arg(
        "-checkaddrman=<n>",
        "Run addrman consistency checks every <n> operations. Use 0 to disable. (default: 0)",
        DEBUG,
        DebugTest,
    );
    args.add_arg("-checkmempool=<n>", "Run mempool consistency checks every <n> transactions. Use 0 to disable. (default: 0, regtest: 1)", DEBUG, DebugTest);
    args.add_arg("-checkpoints", &format!("Enable rejection of any forks from the known historical chain until block {LAST_CHECKPOINT_HEIGHT} (default: 1)"), DEBUG, DebugTest);
    args.add_arg(
        "-deprecatedrpc=<method>",
        "Allows deprecated RPC method(s) to be used",
        DEBUG,
        DebugTest,
    );
    args.add_arg(
        "-stopafterblockimport",
        "Stop running after importing blocks from disk (default: 0)",
        DEBUG,
        DebugTest,
    );
    args.add_arg(
        "-stopatheight",
        "Stop running after reaching the given height in the main chain (default: 0)",
        DEBUG,
        DebugTest,
    );
    args.add_arg(
        "-limitancestorcount=<n>",
        "Do not accept transactions if number of in-mempool ancestors is <n> or more (default: 25)",
        DEBUG,
        DebugTest,
    );
    args.add_arg("-limitancestorsize=<n>", "Do not accept transactions whose size with all in-mempool ancestors exceeds <n> kilobytes (default: 101)", DEBUG, DebugTest);
    args.add_arg("-limitdescendantcount=<n>", "Do not accept transactions if any ancestor would have <n> or more in-mempool descendants (default: 25)", DEBUG, DebugTest);
    args.add_arg("-limitdescendantsize=<n>", "Do not accept transactions if any ancestor would have more than <n> kilobytes of in-mempool descendants (default: 101).", DEBUG, DebugTest);
    args.add_arg(
        "-addrmantest",
        "Allows to test address relay on localhost",
        DEBUG,
        DebugTest,
    );
    args.add_arg(
        "-capturemessages",
        "Capture all P2P messages to disk",
        DEBUG,
        DebugTest,
    );
    args.add_arg(
        "-mocktime=<n>",
        "Replace actual time with UNIX epoch time (default: 0)",
        DEBUG,
        DebugTest,
    );
    args.add_arg(
        "-maxsigcachesize=<n>",
        "Limit sum of signature cache and script execution cache sizes to <n> MiB (default: 32)",
        DEBUG,
        DebugTest,
    );
    args.add_arg(
        "-maxtipage=<n>",
        "Maximum tip age in seconds to consider node in initial block download (default: 86400)",
        DEBUG,
        DebugTest,
    );
    args.add_arg(
        "-printpriority",
        "Log transaction fee rate in WCN/kvB when mining blocks (default: 0)",
        DEBUG,
        DebugTest,
    );
    args.add_arg(
        "-uacomment=<cmt>",
        "Append comment to the user agent string",
        ANY,
        DebugTest,
    );

    setup_chain_params_base_options(args);

    args.add_arg(
        "-acceptnonstdtxn",
        "Relay and mine \"non-standard\" transactions (test networks only; default: 0)",
        DEBUG,
        NodeRelay,
    );
    args.add_arg("-incrementalrelayfee=<amt>", "Fee rate (in WCN/kvB) used to define cost of relay, used for mempool limiting and replacement policy. (default: 0.00001)", DEBUG, NodeRelay);
    args.add_arg("-dustrelayfee=<amt>", "Fee rate (in WCN/kvB) used to define dust, the value of an output such that it will cost more than its value in fees at this fee rate to spend it. (default: 0.00003)", DEBUG, NodeRelay);
    args.add_arg("-acceptstalefeeestimates", "Read fee estimates even if they are stale (regtest only; default: 0) fee estimates are considered stale if they are 60 hours old", DEBUG, DebugTest);
    args.add_arg(
        "-bytespersigop",
        "Equivalent bytes per sigop in transactions for relay and mining (default: 20)",
        ANY,
        NodeRelay,
    );
    args.add_arg(
        "-datacarrier",
        "Relay and mine data carrier transactions (default: 1)",
        ANY,
        NodeRelay,
    );
    args.add_arg("-datacarriersize", "Relay and mine transactions whose data-carrying raw scriptPubKey is of this size or less (default: 83)", ANY, NodeRelay);
    args.add_arg(
        "-mempoolfullrbf",
        "Accept transaction replace-by-fee without requiring replaceability signaling (default: 0)",
        ANY,
        NodeRelay,
    );
    args.add_arg(
        "-permitbaremultisig",
        "Relay non-P2SH multisig (default: 1)",
        ANY,
        NodeRelay,
    );
    args.add_arg("-minrelaytxfee=<amt>", "Fees (in WCN/kvB) smaller than this are considered zero fee for relaying, mining and transaction creation (default: 0.00001)", ANY, NodeRelay);
    args.add_arg("-whitelistforcerelay", "Add 'forcerelay' permission to whitelisted inbound peers with default permissions. This will relay transactions even if the transactions were already in the mempool. (default: 0)", ANY, NodeRelay);
    args.add_arg("-whitelistrelay", "Add 'relay' permission to whitelisted inbound peers with default permissions. This will accept relayed transactions even when not relaying transactions (default: 1)", ANY, NodeRelay);

    args.add_arg(
        "-blockmaxweight=<n>",
        &format!("Set maximum BIP141 block weight (default: {DEFAULT_BLOCK_MAX_WEIGHT})"),
        ANY,
        BlockCreation,
    );
    args.add_arg("-blockmintxfee=<amt>", "Set lowest fee rate (in WCN/kvB) for transactions to be included in block creation. (default: 0.00001)", ANY, BlockCreation);
    args.add_arg(
        "-blockversion=<n>",
        "Override block version to test forking scenarios",
        DEBUG,
        BlockCreation,
    );

    args.add_arg(
        "-rest",
        "Accept public REST requests (default: 0)",
        ANY,
        Rpc,
    );
    args.add_arg("-rpcallowip=<ip>", "Allow JSON-RPC connections from specified source. Valid values for <ip> are a single IP (e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0), a network/CIDR (e.g. 1.2.3.4/24), all ipv4 (0.0.0.0/0), or all ipv6 (::/0). This option can be specified multiple times", ANY, Rpc);
    args.add_arg("-rpcauth=<userpw>", "Username and HMAC-SHA-256 hashed password for JSON-RPC connections. The field <userpw> comes in the format: <USERNAME>:<SALT>$<HASH>. A canonical python script is included in share/rpcauth. The client then connects normally using the rpcuser=<USERNAME>/rpcpassword=<PASSWORD> pair of arguments. This option can be specified multiple times", SENSITIVE, Rpc);
    args.add_arg("-rpcbind=<addr>[:port]", "Bind to given address to listen for JSON-RPC connections. Do not expose the RPC server to untrusted networks such as the public internet! This option is ignored unless -rpcallowip is also passed. Port is optional and overrides -rpcport. Use [host]:port notation for IPv6. This option can be specified multiple times (default: 127.0.0.1 and ::1 i.e., localhost)", NET, Rpc);
    args.add_arg("-rpcdoccheck", "Throw a non-fatal error at runtime if the documentation for an RPC is incorrect (default: 0)", DEBUG, Rpc);
    args.add_arg("-rpccookiefile=<loc>", "Location of the auth cookie. Relative paths will be prefixed by a net-specific datadir location. (default: data dir)", ANY, Rpc);
    args.add_arg(
        "-rpcpassword=<pw>",
        "Password for JSON-RPC connections",
        SENSITIVE,
        Rpc,
    );
    args.add_arg("-rpcport=<port>", &format!("Listen for JSON-RPC connections on <port> (default: {}, testnet: {}, signet: {}, regtest: {})", rpc[0], rpc[1], rpc[2], rpc[3]), NET, Rpc);
    args.add_arg("-rpcserialversion", "Sets the serialization of raw transaction or block hex returned in non-verbose mode, non-segwit(0) (DEPRECATED) or segwit(1) (default: 1)", ANY, Rpc);
    args.add_arg(
        "-rpcservertimeout=<n>",
        "Timeout during HTTP requests (default: 30)",
        DEBUG,
        Rpc,
    );
    args.add_arg(
        "-rpcthreads=<n>",
        "Set the number of threads to service RPC calls (default: 4)",
        ANY,
        Rpc,
    );
    args.add_arg(
        "-rpcuser=<user>",
        "Username for JSON-RPC connections",
        SENSITIVE,
        Rpc,
    );
    args.add_arg("-rpcwhitelist=<whitelist>", "Set a whitelist to filter incoming RPC calls for a specific user. The field <whitelist> comes in the format: <USERNAME>:<rpc 1>,<rpc 2>,...,<rpc n>. If multiple whitelists are set for a given user, they are set-intersected. See -rpcwhitelistdefault documentation for information on default whitelist behavior.", ANY, Rpc);
    args.add_arg("-rpcwhitelistdefault", "Sets default behavior for rpc whitelisting. Unless rpcwhitelistdefault is set to 0, if any -rpcwhitelist is set, the rpc server acts as if all rpc users are subject to empty-unless-otherwise-specified whitelists. If rpcwhitelistdefault is set to 1 and no -rpcwhitelist is set, rpc server acts as if all rpc users are subject to empty whitelists.", ANY, Rpc);
    args.add_arg(
        "-rpcworkqueue=<n>",
        "Set the depth of the work queue to service RPC calls (default: 16)",
        DEBUG,
        Rpc,
    );
    args.add_arg(
        "-server",
        "Accept command line and JSON-RPC commands",
        ANY,
        Rpc,
    );

    args.add_arg(
        "-daemon",
        "Run in the background as a daemon and accept commands (default: 0)",
        ANY,
        Options,
    );
    args.add_arg(
        "-daemonwait",
        "Wait for initialization to be finished before exiting. This implies -daemon (default: 0)",
        ANY,
        Options,
    );

    args.add_hidden_args(&[
        "-dbcrashratio",
        "-forcecompactdb",
        // GUI options, registered for real only by widecoin-qt.
        "-choosedatadir",
        "-lang=<lang>",
        "-min",
        "-resetguisettings",
        "-splash",
        "-uiplatform",
    ]);
}
