//! Start-up: options, config file and chain (Core's `AppInitRPC` and `main`
//! in `src/widecoin-cli.cpp`), then the command.

use std::io::IsTerminal;
use std::path::Path;

use widecoin_common::options::setup_cli_args;
use widecoin_common::version::{cli_help_text, cli_version_text, format_full_version};
use widecoin_common::{help_requested, ArgsManager};

use crate::command::{command_line_rpc, print_outcome, Terminal};
use crate::config::{ArgSource, Config, COOKIEAUTH_FILE};

impl ArgSource for ArgsManager {
    fn get_arg(&self, name: &str) -> Option<String> {
        ArgsManager::get_arg(self, name)
    }

    fn is_arg_set(&self, name: &str) -> bool {
        ArgsManager::is_arg_set(self, name)
    }

    fn get_bool_arg(&self, name: &str, default: bool) -> bool {
        ArgsManager::get_bool_arg(self, name, default)
    }

    fn get_int_arg(&self, name: &str, default: i64) -> i64 {
        ArgsManager::get_int_arg(self, name, default)
    }
}

/// What start-up decided: run a command with these settings, or exit now.
enum Init {
    Continue(Box<Config>),
    Exit(i32),
}

/// Parses `argv`, handles `-help`/`-version`, reads `widecoin.conf` and selects
/// the chain (Core's `AppInitRPC`). Messages go to stdout/stderr as in Core.
fn app_init_rpc(argv: &[String]) -> Init {
    let mut args = ArgsManager::new();
    setup_cli_args(&mut args);
    if let Err(e) = args.parse_parameters(argv) {
        eprintln!("Error parsing command line arguments: {e}");
        return Init::Exit(1);
    }
    if argv.len() < 2 || help_requested(&args) || args.is_arg_set("-version") {
        if args.is_arg_set("-version") {
            print!("{}", cli_version_text());
        } else {
            print!("{}", cli_help_text(&args));
        }
        if argv.len() < 2 {
            eprintln!("Error: too few parameters");
            return Init::Exit(1);
        }
        return Init::Exit(0);
    }
    if !args.check_data_dir_option() {
        eprintln!(
            "Error: Specified data directory \"{}\" does not exist.",
            args.get_arg("-datadir").unwrap_or_default()
        );
        return Init::Exit(1);
    }
    if let Err(e) = args.read_config_files() {
        eprintln!("Error reading configuration file: {e}");
        return Init::Exit(1);
    }
    let chain = match args.get_chain_type() {
        Ok(chain) => chain,
        Err(e) => {
            eprintln!("Error: {e}");
            return Init::Exit(1);
        }
    };
    args.select_config_network(chain.as_str());
    let cookie = args.get_path_arg("-rpccookiefile", Path::new(COOKIEAUTH_FILE));
    let cookie_file = args.abs_path_for_config_val(&cookie, true);
    let config_file = args.get_config_file_path();
    Init::Continue(Box::new(Config::from_args(
        &args,
        chain,
        cookie_file,
        config_file,
    )))
}

/// The command words: everything after the leading options (Core skips every
/// leading word that starts with '-').
fn command_words(argv: &[String]) -> Vec<String> {
    argv.iter()
        .skip(1)
        .skip_while(|w| w.starts_with('-'))
        .cloned()
        .collect()
}

/// Runs `widecoin-cli` with `argv` (program name first); returns the exit code.
pub fn run_cli(argv: &[String]) -> i32 {
    let mut config = match app_init_rpc(argv) {
        Init::Continue(config) => config,
        Init::Exit(code) => return code,
    };
    let words = command_words(argv);
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let time_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut term = Terminal {
        input: &mut input,
        stdin_is_terminal: std::io::stdin().is_terminal(),
        stdout_is_terminal: std::io::stdout().is_terminal(),
        client_version: format_full_version(),
        time_now,
    };
    let outcome = command_line_rpc(&mut config, &words, &mut term);
    print_outcome(&outcome);
    outcome.code
}

/// Runs `widecoin-cli` with the process's arguments; returns the exit code.
pub fn main_cli() -> i32 {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    run_cli(&argv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn command_words_skip_leading_options() {
        assert_eq!(
            command_words(&argv(&[
                "cli", "-regtest", "-named", "getblock", "-x", "a=1"
            ])),
            argv(&["getblock", "-x", "a=1"])
        );
        assert!(command_words(&argv(&["cli", "-getinfo"])).is_empty());
    }

    #[test]
    fn options_resolve_to_config() {
        let dir = tempfile::tempdir().unwrap();
        let datadir = format!("-datadir={}", dir.path().display());
        std::fs::write(
            dir.path().join("widecoin.conf"),
            "rpcuser=u\nrpcpassword=p\n[regtest]\nrpcport=1234\n",
        )
        .unwrap();
        let Init::Continue(c) = app_init_rpc(&argv(&[
            "cli",
            &datadir,
            "-regtest",
            "-rpcconnect=10.0.0.1:99",
            "-rpcwallet=w",
            "-named",
            "echo",
        ])) else {
            panic!("start-up failed");
        };
        assert_eq!(c.chain.as_str(), "regtest");
        assert_eq!((c.host.as_str(), c.port), ("10.0.0.1", 1234));
        assert_eq!((c.rpcuser.as_str(), c.rpcpassword.as_str()), ("u", "p"));
        assert_eq!(c.rpcwallet.as_deref(), Some("w"));
        assert!(c.named);
        assert_eq!(c.cookie_file, dir.path().join("regtest").join(".cookie"));
        assert_eq!(c.config_file, dir.path().join("widecoin.conf"));

        let Init::Continue(c) = app_init_rpc(&argv(&[
            "cli",
            &datadir,
            "-testnet",
            "-rpcconnect=[::1]:99",
            "echo",
        ])) else {
            panic!("start-up failed");
        };
        assert_eq!((c.host.as_str(), c.port), ("::1", 99));
        let Init::Continue(c) = app_init_rpc(&argv(&["cli", &datadir, "echo"])) else {
            panic!("start-up failed");
        };
        assert_eq!(c.port, 8552);
    }

    #[test]
    fn start_up_errors() {
        assert!(matches!(
            app_init_rpc(&argv(&["cli", "-nosuchoption", "echo"])),
            Init::Exit(1)
        ));
        assert!(matches!(
            app_init_rpc(&argv(&["cli", "-datadir=/nonexistent/dir/x", "echo"])),
            Init::Exit(1)
        ));
    }
}
