//! Wallet options of `widecoind` (Core's `WalletInit::AddWalletOptions`,
//! `src/wallet/init.cpp`) and the options of `widecoin-wallet`
//! (`SetupWalletToolArgs`, `src/widecoin-wallet.cpp`).

use super::{setup_chain_params_base_options, setup_help_options, ANY, DEBUG, NET};
use crate::args::{ArgFlags, ArgsManager, OptionsCategory};

/// Registers the wallet's options of `widecoind`.
pub fn add_wallet_options(args: &mut ArgsManager) {
    use OptionsCategory::{DebugTest, Wallet, WalletDebugTest};
    args.add_arg("-addresstype", "What type of addresses to use (\"legacy\", \"p2sh-segwit\", \"bech32\", or \"bech32m\", default: \"bech32\")", ANY, Wallet);
    args.add_arg("-avoidpartialspends", "Group outputs by address, selecting many (possibly all) or none, instead of selecting on a per-output basis. Privacy is improved as addresses are mostly swept with fewer transactions and outputs are aggregated in clean change addresses. It may result in higher fees due to less optimal coin selection caused by this added limitation and possibly a larger-than-necessary number of inputs being used. Always enabled for wallets with \"avoid_reuse\" enabled, otherwise default: 0.", ANY, Wallet);
    args.add_arg("-changetype", "What type of change to use (\"legacy\", \"p2sh-segwit\", \"bech32\", or \"bech32m\"). Default is \"legacy\" when -addresstype=legacy, else it is an implementation detail.", ANY, Wallet);
    args.add_arg("-consolidatefeerate=<amt>", "The maximum feerate (in WCN/kvB) at which transaction building may use more inputs than strictly necessary so that the wallet's UTXO pool can be reduced (default: 0.0001).", ANY, Wallet);
    args.add_arg(
        "-disablewallet",
        "Do not load the wallet and disable wallet RPC calls",
        ANY,
        Wallet,
    );
    args.add_arg("-discardfee=<amt>", "The fee rate (in WCN/kvB) that indicates your tolerance for discarding change by adding it to the fee (default: 0.0001). Note: An output is discarded if it is dust at this rate, but we will always discard up to the dust relay fee and a discard fee above that is limited by the fee estimate for the longest target", ANY, Wallet);
    args.add_arg("-fallbackfee=<amt>", "A fee rate (in WCN/kvB) that will be used when fee estimation has insufficient data. 0 to entirely disable the fallbackfee feature. (default: 0.00)", ANY, Wallet);
    args.add_arg("-keypool=<n>", "Set key pool size to <n> (default: 1000). Warning: Smaller sizes may increase the risk of losing funds when restoring from an old backup, if none of the addresses in the original keypool have been used.", ANY, Wallet);
    args.add_arg("-maxapsfee=<n>", "Spend up to this amount in additional (absolute) fees (in WCN) if it allows the use of partial spend avoidance (default: 0.00)", ANY, Wallet);
    args.add_arg("-maxtxfee=<amt>", "Maximum total fees (in WCN) to use in a single wallet transaction; setting this too low may abort large transactions (default: 0.10)", ANY, DebugTest);
    args.add_arg("-mintxfee=<amt>", "Fee rates (in WCN/kvB) smaller than this are considered zero fee for transaction creation (default: 0.00001)", ANY, Wallet);
    args.add_arg(
        "-paytxfee=<amt>",
        "Fee rate (in WCN/kvB) to add to transactions you send (default: 0.00)",
        ANY,
        Wallet,
    );
    args.add_arg(
        "-signer=<cmd>",
        "External signing tool, see doc/external-signer.md",
        ANY,
        Wallet,
    );
    args.add_arg(
        "-spendzeroconfchange",
        "Spend unconfirmed change when sending transactions (default: 1)",
        ANY,
        Wallet,
    );
    args.add_arg("-txconfirmtarget=<n>", "If paytxfee is not set, include enough fee so transactions begin confirmation on average within n blocks (default: 6)", ANY, Wallet);
    args.add_arg("-wallet=<path>", "Specify wallet path to load at startup. Can be used multiple times to load multiple wallets. Path is to a directory containing wallet data and log files. If the path is not absolute, it is interpreted relative to <walletdir>. This only loads existing wallets and does not create new ones. For backwards compatibility this also accepts names of existing top-level data files in <walletdir>.", NET, Wallet);
    args.add_arg(
        "-walletbroadcast",
        "Make the wallet broadcast transactions (default: 1)",
        ANY,
        Wallet,
    );
    args.add_arg("-walletdir=<dir>", "Specify directory to hold wallets (default: <datadir>/wallets if it exists, otherwise <datadir>)", NET, Wallet);
    args.add_arg("-walletnotify=<cmd>", "Execute command when a wallet transaction changes. %s in cmd is replaced by TxID, %w is replaced by wallet name, %b is replaced by the hash of the block including the transaction (set to 'unconfirmed' if the transaction is not included) and %h is replaced by the block height (-1 if not included). %w is not currently implemented on windows. On systems where %w is supported, it should NOT be quoted because this would break shell escaping used to invoke the command.", ANY, Wallet);
    args.add_arg(
        "-walletrbf",
        "Send transactions with full-RBF opt-in enabled (RPC only, default: 1)",
        ANY,
        Wallet,
    );

    args.add_arg(
        "-dblogsize=<n>",
        "Flush wallet database activity from memory to disk log every <n> megabytes (default: 100)",
        DEBUG,
        WalletDebugTest,
    );
    args.add_arg(
        "-flushwallet",
        "Run a thread to flush wallet periodically (default: 1)",
        DEBUG,
        WalletDebugTest,
    );
    args.add_arg(
        "-privdb",
        "Sets the DB_PRIVATE flag in the wallet db environment (default: 1)",
        DEBUG,
        WalletDebugTest,
    );
    args.add_arg("-unsafesqlitesync", "Set SQLite synchronous=OFF to disable waiting for the database to sync to disk. This is unsafe and can cause data loss and corruption. This option is only used by tests to improve their performance (default: false)", DEBUG, WalletDebugTest);
    args.add_arg(
        "-walletrejectlongchains",
        "Wallet will not create transactions that violate mempool chain limits (default: 1)",
        DEBUG,
        WalletDebugTest,
    );
    args.add_arg(
        "-walletcrosschain",
        "Allow reusing wallet files across chains (default: 0)",
        DEBUG,
        WalletDebugTest,
    );

    args.add_hidden_args(&["-zapwallettxes"]);
}

/// Registers the options and commands of `widecoin-wallet`.
pub fn setup_wallet_tool_args(args: &mut ArgsManager) {
    use OptionsCategory::{DebugTest, Options};
    setup_help_options(args);
    setup_chain_params_base_options(args);
    args.add_arg("-version", "Print version and exit", ANY, Options);
    args.add_arg("-datadir=<dir>", "Specify data directory", ANY, Options);
    args.add_arg("-wallet=<wallet-name>", "Specify wallet name", NET, Options);
    args.add_arg("-dumpfile=<file name>", "When used with 'dump', writes out the records to this file. When used with 'createfromdump', loads the records into a new wallet.", ANY | ArgFlags::DISALLOW_NEGATION, Options);
    args.add_arg(
        "-debug=<category>",
        "Output debugging information (default: 0).",
        ANY,
        DebugTest,
    );
    args.add_arg(
        "-descriptors",
        "Create descriptors wallet. Only for 'create'",
        ANY,
        Options,
    );
    args.add_arg(
        "-legacy",
        "Create legacy wallet. Only for 'create'",
        ANY,
        Options,
    );
    args.add_arg("-format=<format>", "The format of the wallet file to create. Either \"bdb\" or \"sqlite\". Only used with 'createfromdump'", ANY, Options);
    args.add_arg(
        "-printtoconsole",
        "Send trace/debug info to console (default: 1 when no -debug is true, 0 otherwise).",
        ANY,
        DebugTest,
    );

    args.add_command("info", "Get wallet info");
    args.add_command("create", "Create new wallet file");
    args.add_command("salvage", "Attempt to recover private keys from a corrupt wallet. Warning: 'salvage' is experimental.");
    args.add_command("dump", "Print out all of the wallet key-value records");
    args.add_command(
        "createfromdump",
        "Create new wallet file from dumped records",
    );
}
