//! `widecoin-cli` against a real `widecoind` (widecoin-cli.cpp): output
//! formats, error texts and exit codes, `-named`, `-stdin`, `-rpcwait`,
//! `-getinfo`.

mod common;

use std::net::TcpListener;
use std::process::{Command, Stdio};

use common::*;
use serde_json::json;
use widecoin_test_utils::TestNode;

const CONNECT_HINT: &str = "\n\nMake sure the widecoind server is running and that you are \
                            connecting to the correct RPC port.\n";

fn ok(stdout: &str) -> (i32, String, String) {
    (0, stdout.to_string(), String::new())
}

#[test]
fn plain_results() {
    let mut node = start(options());
    let cli = cli_path();
    assert_eq!(node.cli(cli, &["getblockcount"]), ok("0\n"));
    // A string result is printed raw, without quotes.
    assert_eq!(
        node.cli(cli, &["getblockhash", "0"]),
        ok(&format!("{REGTEST_GENESIS}\n"))
    );
    assert_eq!(
        node.cli(cli, &["-named", "getblockhash", "height=0"]),
        ok(&format!("{REGTEST_GENESIS}\n"))
    );
    // A null result prints nothing.
    assert_eq!(
        node.cli(cli, &["setmocktime", "0"]),
        (0, String::new(), String::new())
    );
    stop_clean(&mut node);
}

#[test]
fn objects_are_pretty_printed_with_two_spaces() {
    let mut node = start(options());
    let (code, stdout, stderr) = node.cli(cli_path(), &["getblockchaininfo"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert!(
        stdout.starts_with("{\n  \"chain\": \"regtest\",\n  \"blocks\": 0,\n  \"headers\": 0,\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n  \"difficulty\": 4.656542373906925e-10,\n"),
        "{stdout}"
    );
    assert!(stdout.ends_with("\"\n}\n"), "{stdout}");
    let parsed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(parsed, node.rpc("getblockchaininfo", json!([])).unwrap());
    stop_clean(&mut node);
}

#[test]
fn rpc_error_goes_to_stderr_with_the_code_as_exit_status() {
    let mut node = start(options());
    // CommandLineRPC returns abs(code) = 32601; the process exit status keeps
    // its low 8 bits: 32601 % 256 = 89.
    assert_eq!(
        node.cli(cli_path(), &["nosuchmethod"]),
        (
            89,
            String::new(),
            "error code: -32601\nerror message:\nMethod not found\n".to_string()
        )
    );
    // -8 → exit status 8.
    assert_eq!(
        node.cli(cli_path(), &["getblockhash", "42"]),
        (
            8,
            String::new(),
            "error code: -8\nerror message:\nBlock height out of range\n".to_string()
        )
    );
    stop_clean(&mut node);
}

#[test]
fn stdin_supplies_arguments() {
    let mut node = start(options());
    let out = node.cli_stdin(cli_path(), &["-stdin", "getblockhash"], Some("0\n"));
    assert_eq!(
        (out.code, out.stdout, out.stderr),
        ok(&format!("{REGTEST_GENESIS}\n"))
    );
    let out = node.cli_stdin(
        cli_path(),
        &["-stdin", "-named", "getblockhash"],
        Some("height=0\n"),
    );
    assert_eq!(
        (out.code, out.stdout, out.stderr),
        ok(&format!("{REGTEST_GENESIS}\n"))
    );
    stop_clean(&mut node);
}

#[test]
fn rpcwait_waits_for_a_starting_node() {
    let mut node = TestNode::prepare(options()).unwrap();
    // The cli starts first: nothing listens yet.
    let waiting = Command::new(cli_path())
        .arg(format!("-datadir={}", node.datadir.display()))
        .args(["-rpcwait", "-rpcwaittimeout=60", "getblockcount"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    node.spawn().unwrap();
    let out = waiting.wait_with_output().unwrap();
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned()
        ),
        (Some(0), "0\n".to_string(), String::new())
    );
    stop_clean(&mut node);
}

#[test]
fn getinfo_is_cores_text() {
    let mut node = start(options().arg("-disablewallet"));
    assert_eq!(
        node.cli(cli_path(), &["-getinfo"]),
        ok("Chain: regtest\n\
            Blocks: 0\n\
            Headers: 0\n\
            Verification progress: 100.0000%\n\
            Difficulty: 4.656542373906925e-10\n\
            \n\
            Network: in 0, out 0, total 0\n\
            Version: 60000\n\
            Time offset (s): 0\n\
            Proxies: n/a\n\
            Min tx relay fee rate (WCN/kvB): 0.00001000\n\
            \n\
            Warnings: (none)\n")
    );
    stop_clean(&mut node);
}

#[test]
fn wrong_password_and_missing_cookie() {
    let mut node = start(options());
    assert_eq!(
        node.cli(
            cli_path(),
            &["-rpcuser=someone", "-rpcpassword=wrong", "getblockcount"]
        ),
        (
            1,
            String::new(),
            "error: Authorization failed: Incorrect rpcuser or rpcpassword\n".to_string()
        )
    );

    // Another datadir pointing at the same port has no cookie.
    let other = TestNode::prepare(options().raw_conf(&format!(
        "regtest=1\n[regtest]\nrpcport={}\n",
        node.rpc_port
    )))
    .unwrap();
    assert_eq!(
        other.cli(cli_path(), &["getblockcount"]),
        (
            1,
            String::new(),
            format!(
                "error: Could not locate RPC credentials. No authentication cookie could be \
                 found, and RPC password is not set.  See -rpcpassword and -stdinrpcpass.  \
                 Configuration file: ({})\n",
                other.datadir.join("widecoin.conf").display()
            )
        )
    );
    stop_clean(&mut node);
}

/// ConnectAndCallRPC wraps the connection failure in "timeout on transient
/// error" even without -rpcwait (widecoin-cli.cpp).
#[test]
fn no_server_is_could_not_connect() {
    let node = TestNode::prepare(options()).unwrap();
    let (code, stdout, stderr) = node.cli(cli_path(), &["getblockcount"]);
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    let prefix = format!(
        "error: timeout on transient error: Could not connect to the server 127.0.0.1:{}",
        node.rpc_port
    );
    assert!(
        stderr.starts_with(&prefix) && stderr.ends_with(CONNECT_HINT),
        "{stderr}"
    );
}

/// The cli's default RPC port per chain (chainparamsbase.cpp), seen in the
/// connection error when nothing listens there.
#[test]
fn default_rpc_port_per_chain() {
    let empty = TestNode::prepare(options().raw_conf("")).unwrap();
    for (flag, port) in [
        ("-chain=main", 8552),
        ("-testnet", 18552),
        ("-signet", 38552),
        ("-regtest", 18443),
    ] {
        if TcpListener::bind(("127.0.0.1", port)).is_err() {
            println!("note: SKIPPED {flag}: port {port} is in use on this machine");
            continue;
        }
        let (code, _, stderr) = empty.cli(cli_path(), &[flag, "getblockcount"]);
        assert_eq!(code, 1, "{flag}: {stderr}");
        let prefix = format!(
            "error: timeout on transient error: Could not connect to the server 127.0.0.1:{port}"
        );
        assert!(
            stderr.starts_with(&prefix) && stderr.ends_with(CONNECT_HINT),
            "{flag}: {stderr}"
        );
    }
}

#[test]
fn version_goes_to_stdout() {
    let out = widecoin_test_utils::run_to_exit(cli_path(), &["-version".to_string()], None);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert!(
        out.stdout
            .starts_with("Widecoin Core RPC client version v6.0.0\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn argument_errors_and_connection_options() {
    let mut node = start(options());
    let cli = cli_path();
    // Too many arguments: the method's help as an RPC_MISC_ERROR (-1 → exit 1).
    let (code, stdout, stderr) = node.cli(cli, &["getblockcount", "extra"]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(
        stderr.starts_with("error code: -1\nerror message:\ngetblockcount\n\nReturns the height"),
        "{stderr}"
    );
    assert_eq!(
        node.cli(cli, &["-named", "getblockhash", "hight=0"]),
        (
            8,
            String::new(),
            "error code: -8\nerror message:\nUnknown named parameter hight\n".to_string()
        )
    );
    // -rpcport (here from the config file) wins over a port in -rpcconnect.
    assert_eq!(
        node.cli(cli, &["-rpcconnect=127.0.0.1:1", "getblockcount"]),
        ok("0\n")
    );
    // Without -rpcport, the port in -rpcconnect wins over the chain default;
    // -rpccookiefile may be absolute.
    let elsewhere = TestNode::prepare(options().raw_conf("regtest=1\n")).unwrap();
    assert_eq!(
        elsewhere.cli(
            cli,
            &[
                &format!("-rpcconnect=127.0.0.1:{}", node.rpc_port),
                &format!(
                    "-rpccookiefile={}",
                    node.net_dir().join(".cookie").display()
                ),
                "getblockcount"
            ]
        ),
        ok("0\n")
    );
    // -rpcwallet goes to /wallet/<name>, which serves node methods too.
    assert_eq!(
        node.cli(cli, &["-rpcwallet=foo", "getblockcount"]),
        ok("0\n")
    );
    // Arguments in Core's conversion table must parse as JSON
    // (rpc/client.cpp ParseNonRFCJSONValue), before any call is made.
    assert_eq!(
        node.cli(cli, &["-named", "getblockhash", "height=x"]),
        (
            1,
            String::new(),
            "error: Error parsing JSON: x\n".to_string()
        )
    );
    stop_clean(&mut node);
}

#[test]
fn rpcwait_gives_up_after_rpcwaittimeout() {
    let node = TestNode::prepare(options()).unwrap();
    let (code, stdout, stderr) = node.cli(
        cli_path(),
        &["-rpcwait", "-rpcwaittimeout=1", "getblockcount"],
    );
    assert_eq!((code, stdout.as_str()), (1, ""));
    let prefix = format!(
        "error: timeout on transient error: Could not connect to the server 127.0.0.1:{}",
        node.rpc_port
    );
    assert!(
        stderr.starts_with(&prefix) && stderr.ends_with(CONNECT_HINT),
        "{stderr}"
    );
}
