//! End-to-end runs of [`command_line_rpc`] against a scripted HTTP server on
//! 127.0.0.1 (a `TcpListener` in a thread).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use widecoin_chainparams::ChainType;

use crate::command::{command_line_rpc, Outcome, Terminal};
use crate::config::{Config, Mode};

/// One request as the server saw it.
#[derive(Debug)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Serves one scripted `(status, body)` per connection, in order, and reports
/// each request it read.
fn serve(replies: Vec<(u16, &'static str)>) -> (u16, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("local addr").port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for (status, body) in replies {
            let (stream, _) = listener.accept().expect("accept");
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            reader.read_line(&mut request_line).expect("request line");
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).expect("header");
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (n, v) = line.split_once(':').expect("header colon");
                headers.push((n.to_owned(), v.trim().to_owned()));
            }
            let len: usize = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.parse().expect("length"))
                .unwrap_or(0);
            let mut buf = vec![0; len];
            reader.read_exact(&mut buf).expect("body");
            let mut stream = reader.into_inner();
            write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .expect("write reply");
            let _ = tx.send(Seen {
                request_line: request_line.trim_end().to_owned(),
                headers,
                body: String::from_utf8(buf).expect("utf-8 body"),
            });
        }
    });
    (port, rx)
}

fn config(port: u16, dir: &Path) -> Config {
    let mut c = Config::defaults(
        ChainType::Regtest,
        dir.join(".cookie"),
        dir.join("widecoin.conf"),
    );
    c.port = port;
    c.rpcuser = "user".into();
    c.rpcpassword = "pass".into();
    c.retry_delay = Duration::from_millis(10);
    c
}

fn run(c: &mut Config, words: &[&str], stdin: &str) -> Outcome {
    let words: Vec<String> = words.iter().map(|s| s.to_string()).collect();
    let mut input = stdin.as_bytes();
    let mut term = Terminal {
        input: &mut input,
        stdin_is_terminal: false,
        stdout_is_terminal: false,
        client_version: "v6.0.0".into(),
        time_now: 0,
    };
    command_line_rpc(c, &words, &mut term)
}

fn ok(text: &str) -> Outcome {
    Outcome {
        text: text.into(),
        code: 0,
    }
}

fn failed(text: &str, code: i32) -> Outcome {
    Outcome {
        text: text.into(),
        code,
    }
}

#[test]
fn sends_json_rpc_and_prints_results() {
    let dir = tempfile::tempdir().unwrap();
    let (port, seen) = serve(vec![
        (200, r#"{"result":{"a":[],"b":1.50},"error":null,"id":1}"#),
        (200, r#"{"result":"text\nraw","error":null,"id":1}"#),
        (200, r#"{"result":null,"error":null,"id":1}"#),
    ]);
    let mut c = config(port, dir.path());
    assert_eq!(
        run(&mut c, &["getblockhash", "5"], ""),
        ok("{\n  \"a\": [\n  ],\n  \"b\": 1.50\n}")
    );
    let req = seen.recv().unwrap();
    assert_eq!(req.request_line, "POST / HTTP/1.1");
    assert_eq!(req.header("Authorization"), Some("Basic dXNlcjpwYXNz"));
    assert_eq!(req.header("Content-Type"), Some("application/json"));
    assert_eq!(req.header("Host"), Some("127.0.0.1"));
    assert_eq!(
        req.body,
        "{\"method\":\"getblockhash\",\"params\":[5],\"id\":1}\n"
    );
    assert_eq!(run(&mut c, &["echo"], ""), ok("text\nraw"));
    assert_eq!(run(&mut c, &["echo"], ""), ok(""));
}

#[test]
fn rpc_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (port, _seen) = serve(vec![
        (
            404,
            r#"{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":1}"#,
        ),
        (
            500,
            r#"{"result":null,"error":{"code":-19,"message":"Wallet file not specified"},"id":1}"#,
        ),
        (500, r#"{"result":null,"error":"odd","id":1}"#),
    ]);
    let mut c = config(port, dir.path());
    assert_eq!(
        run(&mut c, &["nosuch"], ""),
        failed(
            "error code: -32601\nerror message:\nMethod not found",
            32601
        )
    );
    assert_eq!(
        run(&mut c, &["getwalletinfo"], ""),
        failed(
            "error code: -19\nerror message:\nWallet file not specified\nTry adding \"-rpcwallet=<filename>\" option to widecoin-cli command line.",
            19
        )
    );
    assert_eq!(
        run(&mut c, &["x"], ""),
        failed(
            "error: JSON value of type null is not of expected type number",
            1
        )
    );
}

#[test]
fn http_failures() {
    let dir = tempfile::tempdir().unwrap();
    let (port, _seen) = serve(vec![
        (401, ""),
        (503, "Work queue depth exceeded"),
        (403, ""),
        (200, ""),
        (200, "{not json"),
        (401, ""),
    ]);
    let mut c = config(port, dir.path());
    assert_eq!(
        run(&mut c, &["echo"], ""),
        failed(
            "error: Authorization failed: Incorrect rpcuser or rpcpassword",
            1
        )
    );
    assert_eq!(
        run(&mut c, &["echo"], ""),
        failed("error: Server response: Work queue depth exceeded", 1)
    );
    assert_eq!(
        run(&mut c, &["echo"], ""),
        failed("error: server returned HTTP error 403", 1)
    );
    assert_eq!(
        run(&mut c, &["echo"], ""),
        failed("error: no response from server", 1)
    );
    assert_eq!(
        run(&mut c, &["echo"], ""),
        failed("error: couldn't parse reply from server", 1)
    );
    c.rpcpassword.clear();
    let expected = format!(
        "error: Could not locate RPC credentials. No authentication cookie could be found, and RPC password is not set.  See -rpcpassword and -stdinrpcpass.  Configuration file: ({})",
        dir.path().join("widecoin.conf").display()
    );
    assert_eq!(run(&mut c, &["echo"], ""), failed(&expected, 1));
}

#[test]
fn connection_refused() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut c = config(port, dir.path());
    let expected = format!(
        "error: timeout on transient error: Could not connect to the server 127.0.0.1:{port}\n\nMake sure the widecoind server is running and that you are connecting to the correct RPC port."
    );
    assert_eq!(run(&mut c, &["echo"], ""), failed(&expected, 1));
}

#[test]
fn cookie_wallet_endpoint_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".cookie"), "__cookie__:abcd\n").unwrap();
    let (port, seen) = serve(vec![(200, r#"{"result":1,"error":null,"id":1}"#); 2]);
    let mut c = config(port, dir.path());
    c.rpcpassword.clear();
    c.rpcwallet = Some("my w/1".into());
    c.stdin = true;
    assert_eq!(run(&mut c, &["sendtoaddress", "a"], "0.5\nc\r\n"), ok("1"));
    let req = seen.recv().unwrap();
    assert_eq!(req.request_line, "POST /wallet/my%20w%2F1 HTTP/1.1");
    // base64("__cookie__:abcd")
    assert_eq!(
        req.header("Authorization"),
        Some("Basic X19jb29raWVfXzphYmNk")
    );
    assert_eq!(
        req.body,
        "{\"method\":\"sendtoaddress\",\"params\":[\"a\",0.5,\"c\\r\"],\"id\":1}\n"
    );
    // -stdinrpcpass takes the first line; -stdinwalletpassphrase the second.
    c.stdin = false;
    c.stdinrpcpass = true;
    c.stdinwalletpassphrase = true;
    c.rpcwallet = None;
    assert_eq!(
        run(&mut c, &["walletpassphrase", "60"], "secret\nphrase\n"),
        ok("1")
    );
    let req = seen.recv().unwrap();
    assert_eq!(req.header("Authorization"), Some("Basic dXNlcjpzZWNyZXQ="));
    assert_eq!(
        req.body,
        "{\"method\":\"walletpassphrase\",\"params\":[\"phrase\",60],\"id\":1}\n"
    );
    assert_eq!(
        run(&mut c, &["getinfo"], "x\ny\n"),
        failed(
            "error: -stdinwalletpassphrase is only applicable for walletpassphrase(change)",
            1
        )
    );
}

#[test]
fn rpcwait_retries_during_warmup() {
    let dir = tempfile::tempdir().unwrap();
    let (port, _seen) = serve(vec![
        (
            500,
            r#"{"result":null,"error":{"code":-28,"message":"Loading block index..."},"id":1}"#,
        ),
        (200, r#"{"result":7,"error":null,"id":1}"#),
    ]);
    let mut c = config(port, dir.path());
    c.rpcwait = true;
    assert_eq!(run(&mut c, &["getblockcount"], ""), ok("7"));
}

#[test]
fn getinfo_prints_text() {
    let dir = tempfile::tempdir().unwrap();
    let (port, seen) = serve(vec![
        (
            200,
            r#"[{"result":{"version":60000,"timeoffset":0,"connections_in":1,"connections_out":2,"connections":3,"networks":[],"relayfee":0.00001000,"warnings":""},"error":null,"id":0},
{"result":{"blocks":5,"headers":6,"verificationprogress":0.5,"difficulty":1,"chain":"main"},"error":null,"id":1},
{"result":null,"error":{"code":-18,"message":"x"},"id":2},
{"result":null,"error":{"code":-18,"message":"x"},"id":3}]"#,
        ),
        (200, r#"{"result":[],"error":null,"id":1}"#),
    ]);
    let mut c = config(port, dir.path());
    c.mode = Mode::GetInfo;
    c.getinfo_text = true;
    let out = run(&mut c, &[], "");
    assert_eq!(out.code, 0);
    let bar = "▒".repeat(10) + &"░".repeat(10);
    assert_eq!(
        out.text,
        format!(
            "Chain: main\nBlocks: 5\nHeaders: 6\nVerification progress: {bar} 50.0000%\nDifficulty: 1\n\n\
             Network: in 1, out 2, total 3\nVersion: 60000\nTime offset (s): 0\nProxies: n/a\n\
             Min tx relay fee rate (WCN/kvB): 0.00001000\n\nWarnings: (none)"
        )
    );
    assert!(seen
        .recv()
        .unwrap()
        .body
        .starts_with("[{\"method\":\"getnetworkinfo\""));
    assert_eq!(
        seen.recv().unwrap().body,
        "{\"method\":\"listwallets\",\"params\":[],\"id\":1}\n"
    );
}
