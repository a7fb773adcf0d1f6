use super::*;
use crate::version::{cli_help_text, widecoind_help_text};

fn server() -> ArgsManager {
    let mut a = ArgsManager::new();
    setup_server_args(&mut a);
    a
}

fn count(args: &ArgsManager) -> usize {
    args.available_args.values().map(|m| m.len()).sum()
}

#[test]
fn server_registers_every_option_once() {
    let args = server();
    // 138 shown by -help, the rest debug-only or hidden (Core's list).
    assert_eq!(count(&args), 192);
    let shown = args.help_message(false).matches("\n  -").count();
    assert_eq!(shown, 138);
    let hidden = &args.available_args[&OptionsCategory::Hidden];
    for name in [
        "-h",
        "-help",
        "-dbcrashratio",
        "-forcecompactdb",
        "-choosedatadir",
        "-lang",
        "-min",
        "-resetguisettings",
        "-splash",
        "-uiplatform",
        "-zapwallettxes",
    ] {
        assert!(hidden.contains_key(name), "{name}");
    }
    for name in [
        "-rpcport",
        "-port",
        "-bind",
        "-connect",
        "-addnode",
        "-rpcbind",
        "-wallet",
        "-walletdir",
    ] {
        assert!(args.network_only_args.contains(name), "{name}");
    }
    for name in ["-rpcuser", "-rpcpassword", "-rpcauth", "-torpassword"] {
        assert!(
            args.get_arg_flags(name)
                .unwrap()
                .contains(ArgFlags::SENSITIVE),
            "{name}"
        );
    }
    assert!(args
        .get_arg_flags("-proxy")
        .unwrap()
        .contains(ArgFlags::DISALLOW_ELISION));
    assert!(args
        .get_arg_flags("-loglevel")
        .unwrap()
        .contains(ArgFlags::DISALLOW_NEGATION));
}

#[test]
fn help_layout() {
    let args = server();
    let help = args.help_message(false);
    assert!(help.starts_with(
        "Options:\n\n  -?\n       Print this help message and exit\n\n  -alertnotify=<cmd>\n"
    ));
    assert!(help.contains("\n  -rpcport=<port>\n       Listen for JSON-RPC connections on <port> (default: 8552, testnet:\n       18552, signet: 38552, regtest: 18443)\n\n"));
    for heading in [
        "Connection options:",
        "Wallet options:",
        "ZeroMQ notification options:",
        "Debugging/Testing options:",
        "Chain selection options:",
        "Node relay options:",
        "Block creation options:",
        "RPC server options:",
    ] {
        assert!(help.contains(&format!("\n{heading}\n\n")), "{heading}");
    }
    assert!(!help.contains("Wallet debugging/testing options:"));
    assert!(!help.contains("-rpcdoccheck"));
    assert!(!help.contains("-splash"));
    for line in help.lines() {
        // Only unbreakable words may exceed Core's 79 columns.
        assert!(line.len() <= 79 || !line.trim().contains(' '), "{line}");
    }
    let debug = args.help_message(true);
    assert!(debug.contains("Wallet debugging/testing options:\n\n  -dblogsize=<n>\n"));
    assert!(debug.contains("  -rpcdoccheck\n"));
    assert!(debug.contains("  -peertimeout=<n>\n"));
    assert!(debug.contains("  -checkpoints\n       Enable rejection of any forks from the known historical chain until\n       block 281240 (default: 1)\n"));
    assert!(!debug.contains("-splash"));
}

#[test]
fn help_debug_switch_and_header() {
    let mut args = server();
    args.parse_parameters(&["widecoind".into(), "-help-debug".into()])
        .unwrap();
    assert!(crate::help_requested(&args));
    let text = widecoind_help_text(&args);
    assert!(text.starts_with("Widecoin Core version v6.0.0\n\nUsage:  widecoind [options]                     Start Widecoin Core\n\nOptions:\n\n"));
    assert!(text.contains("-rpcdoccheck"));
    args.parse_parameters(&["widecoind".into(), "-h".into()])
        .unwrap();
    assert!(crate::help_requested(&args));
    assert!(!widecoind_help_text(&args).contains("-rpcdoccheck"));
}

#[test]
fn cli_options() {
    let mut args = ArgsManager::new();
    setup_cli_args(&mut args);
    assert_eq!(count(&args), 32);
    let text = cli_help_text(&args);
    assert!(text.starts_with("Widecoin Core RPC client version v6.0.0\n\nUsage:  widecoin-cli [options] <command> [params]  Send command to Widecoin Core\nor:     widecoin-cli [options] -named <command> [name=value]...  Send command to Widecoin Core (with named arguments)\nor:     widecoin-cli [options] help                List commands\nor:     widecoin-cli [options] help <command>      Get help for a command\n\nOptions:\n\n  -?\n"));
    assert!(text.contains("Connect to JSON-RPC on <port> (default: 8552, testnet: 18552, signet:\n       38552, regtest: 18443)"));
    let argv: Vec<String> = [
        "widecoin-cli",
        "-regtest",
        "-rpcwait",
        "-named",
        "getblockchaininfo",
        "-x",
        "a=b",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.parse_parameters(&argv).unwrap();
    assert_eq!(args.command_args(), ["getblockchaininfo", "-x", "a=b"]);
    assert!(args.get_bool_arg("-named", false));
    assert_eq!(
        args.parse_parameters(&["widecoin-cli".into(), "-norpcwaittimeout".into()]),
        Err("Negating of -rpcwaittimeout is meaningless and therefore forbidden".to_string())
    );
}

#[test]
fn wallet_tool_options() {
    let mut args = ArgsManager::new();
    setup_wallet_tool_args(&mut args);
    let argv: Vec<String> = ["widecoin-wallet", "-regtest", "-wallet=w", "create"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.parse_parameters(&argv).unwrap();
    assert_eq!(args.get_command().unwrap().command, "create");
    assert!(args
        .help_message(false)
        .contains("Commands:\n\n  create\n       Create new wallet file\n\n"));
}
