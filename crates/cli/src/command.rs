//! One `widecoin-cli` command after start-up (Core's `CommandLineRPC`,
//! `ParseResult`, `ParseError`, `GetWalletBalances`).

use std::io::{BufRead, Write};

use crate::client::RpcClient;
use crate::config::{Config, Mode};
use crate::error::CliError;
use crate::getinfo::{format_getinfo, should_colorize};
use crate::handlers::{
    set_generate_to_address_args, AddrinfoRequestHandler, DefaultRequestHandler,
    GenerateToAddressRequestHandler, GetinfoRequestHandler, RequestHandler,
};
use crate::netinfo::{NetinfoRequestHandler, NETINFO_HELP};
use crate::univalue::UniValue;

/// `RPC_WALLET_NOT_SPECIFIED`: Core adds a hint about `-rpcwallet`.
pub const RPC_WALLET_NOT_SPECIFIED: i32 = -19;

/// What a run prints and returns: `text` goes to stdout (followed by a
/// newline) when `code` is 0, else to stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub text: String,
    pub code: i32,
}

/// The terminal and standard input of the process.
pub struct Terminal<'a> {
    pub input: &'a mut dyn BufRead,
    pub stdin_is_terminal: bool,
    pub stdout_is_terminal: bool,
    /// `FormatFullVersion()`, for `-netinfo`'s header.
    pub client_version: String,
    /// Unix time in seconds, for `-netinfo`'s ages.
    pub time_now: i64,
}

/// The printable form of a result: strings raw, null nothing, anything else
/// as JSON indented by 2 (`ParseResult`).
pub fn format_result(result: &UniValue) -> String {
    match result {
        UniValue::Null => String::new(),
        UniValue::Str(s) => s.clone(),
        other => other.write_pretty(2),
    }
}

/// The printable form of an RPC error and the exit code, `|code|` (`ParseError`).
pub fn format_error(error: &UniValue) -> Result<(String, i32), CliError> {
    let mut text = String::new();
    if error.is_object() {
        let code = error.get("code");
        let message = error.get("message");
        if !code.is_null() {
            text = format!("error code: {}\n", code.val_str());
        }
        if let UniValue::Str(m) = message {
            text += &format!("error message:\n{m}");
        }
        if code.is_num() && code.get_int::<i32>()? == RPC_WALLET_NOT_SPECIFIED {
            text += "\nTry adding \"-rpcwallet=<filename>\" option to widecoin-cli command line.";
        }
    } else {
        text = format!("error: {}", error.write());
    }
    let code = error.get("code").get_int::<i32>()?;
    Ok((text, code.wrapping_abs()))
}

/// Reads one line like `std::getline`: without its `\n`; `None` at EOF.
fn getline(input: &mut dyn BufRead) -> Option<String> {
    let mut line = Vec::new();
    match input.read_until(b'\n', &mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => {
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            Some(String::from_utf8_lossy(&line).into_owned())
        }
    }
}

fn prompt(term: &Terminal<'_>, text: &str) {
    // Core prompts unless input is already waiting; we prompt on a terminal.
    if term.stdin_is_terminal {
        eprint!("{text}");
        let _ = std::io::stderr().flush();
    }
}

fn newline_after_terminal_input(term: &Terminal<'_>) {
    if term.stdin_is_terminal {
        println!();
    }
}

/// Runs the command of `words` (the command line after its leading options).
pub fn command_line_rpc(config: &mut Config, words: &[String], term: &mut Terminal<'_>) -> Outcome {
    match run(config, words, term) {
        Ok(outcome) => outcome,
        Err(e) => Outcome {
            text: format!("error: {e}"),
            code: 1,
        },
    }
}

/// Prints an outcome as Core does.
pub fn print_outcome(outcome: &Outcome) {
    if outcome.text.is_empty() {
        return;
    }
    if outcome.code == 0 {
        println!("{}", outcome.text);
    } else {
        eprintln!("{}", outcome.text);
    }
}

fn run(
    config: &mut Config,
    words: &[String],
    term: &mut Terminal<'_>,
) -> Result<Outcome, CliError> {
    if config.stdinrpcpass {
        prompt(term, "RPC password> ");
        let _no_echo = term
            .stdin_is_terminal
            .then(crate::echo_off::NoStdinEcho::new);
        let pass = getline(term.input).ok_or_else(|| {
            CliError::runtime("-stdinrpcpass specified but failed to read from standard input")
        })?;
        newline_after_terminal_input(term);
        config.rpcpassword = pass;
    }
    let mut args = words.to_vec();
    if config.stdinwalletpassphrase {
        if args
            .first()
            .is_none_or(|m| !m.starts_with("walletpassphrase"))
        {
            return Err(CliError::runtime(
                "-stdinwalletpassphrase is only applicable for walletpassphrase(change)",
            ));
        }
        prompt(term, "Wallet passphrase> ");
        let _no_echo = term
            .stdin_is_terminal
            .then(crate::echo_off::NoStdinEcho::new);
        let pass = getline(term.input).ok_or_else(|| {
            CliError::runtime(
                "-stdinwalletpassphrase specified but failed to read from standard input",
            )
        })?;
        newline_after_terminal_input(term);
        args.insert(1, pass);
    }
    if config.stdin {
        while let Some(line) = getline(term.input) {
            args.push(line);
        }
        newline_after_terminal_input(term);
    }

    let config = &*config;
    let client = RpcClient::new(config);
    let wallet = config.rpcwallet.as_deref();
    let mut method = String::new();
    let mut rh: Box<dyn RequestHandler> = match config.mode {
        Mode::GetInfo => Box::new(GetinfoRequestHandler),
        Mode::NetInfo => {
            if args.first().is_some_and(|a| a == "help") {
                return Ok(Outcome {
                    text: NETINFO_HELP.to_owned(),
                    code: 0,
                });
            }
            Box::new(NetinfoRequestHandler::new(
                config.chain,
                &term.client_version,
                term.time_now,
            ))
        }
        Mode::Generate => {
            let mut rh = DefaultRequestHandler { named: false };
            let reply = client.connect_and_call(&mut rh, "getnewaddress", &[], wallet)?;
            let error = reply.get("error");
            if !error.is_null() {
                let (text, code) = format_error(error)?;
                return Ok(Outcome { text, code });
            }
            let address = reply.get("result").get_str()?.to_owned();
            set_generate_to_address_args(&address, &mut args)?;
            Box::<GenerateToAddressRequestHandler>::default()
        }
        Mode::AddrInfo => Box::new(AddrinfoRequestHandler),
        Mode::Default => {
            if args.is_empty() {
                return Err(CliError::runtime(
                    "too few parameters (need at least command)",
                ));
            }
            method = args.remove(0);
            Box::new(DefaultRequestHandler {
                named: config.named,
            })
        }
    };

    let reply = client.connect_and_call(rh.as_mut(), &method, &args, wallet)?;
    let mut result = reply.get("result").clone();
    let error = reply.get("error");
    if !error.is_null() {
        let (text, code) = format_error(error)?;
        return Ok(Outcome { text, code });
    }
    if config.getinfo_text {
        if config.rpcwallet.is_none() {
            add_wallet_balances(&client, &mut result)?;
        }
        if result.get("error").is_null() {
            let colorize = should_colorize(config.color.as_deref(), term.stdout_is_terminal)?;
            result = UniValue::Str(format_getinfo(&result, colorize)?);
        }
    }
    Ok(Outcome {
        text: format_result(&result),
        code: 0,
    })
}

/// With more than one wallet loaded, adds `"balances"`: each wallet's trusted
/// balance (`GetWalletBalances`).
fn add_wallet_balances(client: &RpcClient<'_>, result: &mut UniValue) -> Result<(), CliError> {
    let mut rh = DefaultRequestHandler { named: false };
    let listwallets = client.connect_and_call(&mut rh, "listwallets", &[], None)?;
    if !listwallets.get("error").is_null() {
        return Ok(());
    }
    let wallets = listwallets.get("result");
    if wallets.size() <= 1 {
        return Ok(());
    }
    let mut balances = UniValue::object();
    for wallet in wallets.values()? {
        let name = wallet.get_str()?;
        let reply = client.connect_and_call(&mut rh, "getbalances", &[], Some(name))?;
        let trusted = reply.get("result").get("mine").get("trusted").clone();
        balances.push_kv(name, trusted);
    }
    result.push_kv("balances", balances);
    Ok(())
}
