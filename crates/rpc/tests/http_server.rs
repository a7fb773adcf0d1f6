//! The HTTP server on loopback, driven by a raw HTTP/1.1 client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::{json, Value};
use widecoin_rpc::*;

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(addr: SocketAddr) -> Self {
        let s = TcpStream::connect(addr).unwrap();
        Client {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        }
    }

    fn send(&mut self, method: &str, path: &str, auth: Option<&str>, body: &str) {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(a) = auth {
            let enc = base64::engine::general_purpose::STANDARD.encode(a);
            req += &format!("Authorization: Basic {enc}\r\n");
        }
        req += "\r\n";
        req += body;
        self.writer.write_all(req.as_bytes()).unwrap();
    }

    fn read(&mut self) -> Reply {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            self.reader.read_line(&mut h).unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').unwrap();
            headers.push((k.to_string(), v.trim().to_string()));
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body).unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8(body).unwrap(),
        }
    }

    fn call(&mut self, method: &str, path: &str, auth: Option<&str>, body: &str) -> Reply {
        self.send(method, path, auth, body);
        self.read()
    }
}

const AUTH: Option<&str> = Some("user:pass");

type Gate = Arc<Mutex<Option<mpsc::Receiver<()>>>>;

fn table(gate: Gate) -> Arc<RpcTable> {
    let table = Arc::new(RpcTable::new());
    register_control_rpcs(
        &table,
        ControlContext {
            startup_time: 0,
            log_path: "debug.log".into(),
            shutdown: Arc::new(|| {}),
        },
    );
    let spec = RpcMethod::new("block", "", vec![], vec![], "");
    table.register(RpcCommand::new("hidden", spec, move |_: &RpcRequest| {
        if let Some(rx) = gate.lock().unwrap().take() {
            rx.recv().unwrap();
        }
        Ok(json!("done"))
    }));
    let spec = RpcMethod::new("walletname", "", vec![], vec![], "");
    table.register(RpcCommand::new("hidden", spec, |req: &RpcRequest| {
        Ok(json!(req.wallet_name()))
    }));
    let spec = RpcMethod::new(
        "entries",
        "",
        vec![
            RpcArg::omitted("first", ArgType::Num, ""),
            RpcArg::omitted("second|alias", ArgType::ObjUserKeys, ""),
        ],
        vec![],
        "",
    );
    table.register(RpcCommand::new("hidden", spec, |req: &RpcRequest| {
        Ok(match req.object_entries(1) {
            Some(entries) => {
                Value::Array(entries.into_iter().map(|(k, v)| json!([k, v])).collect())
            }
            None => Value::Null,
        })
    }));
    table.set_warmup_finished();
    table
}

fn config(dir: &std::path::Path) -> RpcServerConfig {
    let mut cfg = RpcServerConfig::new(0, dir.join(".cookie"));
    cfg.bind = vec!["127.0.0.1:0".into()];
    cfg.allow_ip = vec!["127.0.0.1".into()];
    cfg.auth.rpc_user = "user".into();
    cfg.auth.rpc_password = "pass".into();
    cfg
}

fn start(cfg: RpcServerConfig) -> (ServerHandle, SocketAddr, Arc<RpcTable>) {
    let t = table(Arc::new(Mutex::new(None)));
    let h = start_http_server(cfg, t.clone()).unwrap();
    let addr = h.local_addrs()[0];
    (h, addr, t)
}

#[test]
fn auth_failures_get_401() {
    let dir = tempfile::tempdir().unwrap();
    let (h, addr, _) = start(config(dir.path()));
    let mut c = Client::connect(addr);
    let r = c.call("POST", "/", Some("user:wrong"), r#"{"method":"echo"}"#);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("WWW-Authenticate"),
        Some("Basic realm=\"jsonrpc\"")
    );
    assert!(r.body.is_empty());
    let r = c.call("POST", "/", None, r#"{"method":"echo"}"#);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("WWW-Authenticate"),
        Some("Basic realm=\"jsonrpc\"")
    );
    assert!(!dir.path().join(".cookie").exists());
    h.stop();
}

#[test]
fn keep_alive_named_args_errors_and_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (h, addr, _) = start(config(dir.path()));
    let mut c = Client::connect(addr);

    let r = c.call(
        "POST",
        "/",
        AUTH,
        r#"{"method":"echo","params":[1,"a"],"id":7}"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.body, "{\"result\":[1,\"a\"],\"error\":null,\"id\":7}\n");

    // Same connection, named parameters.
    let r = c.call(
        "POST",
        "/",
        AUTH,
        r#"{"method":"echo","params":{"arg1":"x"},"id":"i"}"#,
    );
    assert_eq!(
        r.json(),
        json!({"result": [null, "x"], "error": null, "id": "i"})
    );
    let r = c.call(
        "POST",
        "/",
        AUTH,
        r#"{"method":"echo","params":{"arg1":1,"arg1":2},"id":1}"#,
    );
    assert_eq!(r.status, 500);
    assert_eq!(
        r.json()["error"],
        json!({"code": -8, "message": "Parameter arg1 specified multiple times"})
    );

    let r = c.call("POST", "/", AUTH, r#"{"method":"nosuch","id":1}"#);
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"result": null, "error": {"code": -32601, "message": "Method not found"}, "id": 1})
    );

    let r = c.call("POST", "/", AUTH, r#"{"method":"#);
    assert_eq!(r.status, 500);
    assert_eq!(
        r.json()["error"],
        json!({"code": -32700, "message": "Parse error"})
    );
    let r = c.call("POST", "/", AUTH, "17");
    assert_eq!(r.json()["error"]["message"], "Top-level object parse error");
    let r = c.call("POST", "/", AUTH, r#"{"params":[],"id":3}"#);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"result": null, "error": {"code": -32600, "message": "Missing method"}, "id": 3})
    );

    let r = c.call(
        "POST",
        "/",
        AUTH,
        r#"[{"method":"echo","params":[1],"id":1},{"method":"nosuch","id":2},5]"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!([
            {"result": [1], "error": null, "id": 1},
            {"result": null, "error": {"code": -32601, "message": "Method not found"}, "id": 2},
            {"result": null, "error": {"code": -32600, "message": "Invalid Request object"}, "id": null}
        ])
    );

    let r = c.call("GET", "/", AUTH, "");
    assert_eq!(r.status, 405);
    assert_eq!(r.body, "JSONRPC server handles only POST requests");
    let r = c.call("POST", "/other", AUTH, "{}");
    assert_eq!(r.status, 404);
    let r = c.call(
        "POST",
        "/wallet/my%20w",
        AUTH,
        r#"{"method":"walletname","id":1}"#,
    );
    assert_eq!(r.json()["result"], "my w");
    h.stop();
}

#[test]
fn warmup_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let t = Arc::new(RpcTable::new());
    t.set_warmup_status("Loading block index…");
    let h = start_http_server(config(dir.path()), t.clone()).unwrap();
    let mut c = Client::connect(h.local_addrs()[0]);
    let r = c.call("POST", "/", AUTH, r#"{"method":"getblockcount","id":1}"#);
    assert_eq!(r.status, 500);
    assert_eq!(
        r.json()["error"],
        json!({"code": -28, "message": "Loading block index…"})
    );
    h.stop();
}

#[test]
fn cookie_auth_and_whitelist() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.auth.rpc_password.clear();
    cfg.auth.whitelist = vec!["__cookie__:echo,help".into()];
    let (h, addr, _) = start(cfg);
    let (user, pass) = read_auth_cookie(&dir.path().join(".cookie")).unwrap();
    let auth = format!("{user}:{pass}");
    let mut c = Client::connect(addr);
    assert_eq!(
        c.call("POST", "/", Some("user:pass"), r#"{"method":"echo"}"#)
            .status,
        401
    );
    assert_eq!(
        c.call("POST", "/", Some(&auth), r#"{"method":"echo","id":1}"#)
            .status,
        200
    );
    let r = c.call("POST", "/", Some(&auth), r#"{"method":"uptime","id":1}"#);
    assert_eq!((r.status, r.body.as_str()), (403, ""));
    let r = c.call(
        "POST",
        "/",
        Some(&auth),
        r#"[{"method":"echo"},{"method":"uptime"}]"#,
    );
    assert_eq!(r.status, 403);
    h.stop();
    assert!(!dir.path().join(".cookie").exists());
}

#[test]
fn full_work_queue_gets_503() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.threads = 1;
    cfg.work_queue = 1;
    let (release, gate_rx) = mpsc::channel();
    let t = table(Arc::new(Mutex::new(Some(gate_rx))));
    let h = start_http_server(cfg, t.clone()).unwrap();
    let addr = h.local_addrs()[0];

    // Occupy the only worker.
    let mut first = Client::connect(addr);
    first.send("POST", "/", AUTH, r#"{"method":"block","id":1}"#);
    while t.active_commands().is_empty() {
        std::thread::yield_now();
    }
    // Two more: one waits in the queue, the other finds it full.
    let (tx, rx) = mpsc::channel();
    for _ in 0..2 {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut c = Client::connect(addr);
            let r = c.call("POST", "/", AUTH, r#"{"method":"echo","id":2}"#);
            tx.send((r.status, r.body)).unwrap();
        });
    }
    let (status, body) = rx.recv().unwrap();
    assert_eq!((status, body.as_str()), (503, "Work queue depth exceeded"));
    release.send(()).unwrap();
    assert_eq!(first.read().json()["result"], "done");
    assert_eq!(rx.recv().unwrap().0, 200);
    h.stop();
}

/// A non-loopback address of this machine, if it has one.
fn local_non_loopback_ip() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn clients_outside_allow_list_get_403() {
    let Some(ip) = local_non_loopback_ip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.bind = vec![format!("{ip}:0")];
    cfg.allow_ip = vec!["198.51.100.0/24".into()];
    if SubNet::parse("198.51.100.0/24").unwrap().matches(ip) {
        return;
    }
    let Ok(h) = start_http_server(cfg, table(Arc::new(Mutex::new(None)))) else {
        return;
    };
    let mut c = Client::connect(h.local_addrs()[0]);
    let r = c.call("POST", "/", AUTH, r#"{"method":"echo","id":1}"#);
    assert_eq!((r.status, r.body.as_str()), (403, ""));
    h.stop();
}

#[test]
fn start_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.allow_ip = vec!["1.2.3.4/99".into()];
    let e = start_http_server(cfg, Arc::new(RpcTable::new()))
        .err()
        .unwrap();
    assert_eq!(e.to_string(), "Invalid -rpcallowip subnet specification: 1.2.3.4/99. Valid are a single IP (e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0) or a network/CIDR (e.g. 1.2.3.4/24).");
    let mut cfg = config(dir.path());
    cfg.bind = vec!["203.0.113.55:0".into()];
    let e = start_http_server(cfg, Arc::new(RpcTable::new()))
        .err()
        .unwrap();
    assert_eq!(e.to_string(), "Unable to bind any endpoint for RPC server");
    let mut cfg = config(dir.path());
    cfg.auth.rpc_auth = vec!["nosalt".into()];
    assert!(matches!(
        start_http_server(cfg, Arc::new(RpcTable::new())),
        Err(ServerError::InvalidRpcAuth)
    ));
}

#[test]
fn stop_replies_then_closes() {
    let dir = tempfile::tempdir().unwrap();
    let (h, addr, t) = start(config(dir.path()));
    let mut c = Client::connect(addr);
    let r = c.call("POST", "/", AUTH, r#"{"method":"stop","id":1}"#);
    assert_eq!(r.json()["result"], STOP_RESULT);
    assert_eq!(r.header("Connection"), Some("close"));
    assert!(t.is_shutdown_requested());
    h.interrupt();
    let mut c2 = Client::connect(addr);
    let r = c2.call("POST", "/", AUTH, r#"{"method":"echo","id":1}"#);
    assert_eq!(r.status, 503);
    h.stop();
    assert!(!t.is_rpc_running());
}

#[test]
fn handlers_see_repeated_keys_of_nested_objects() {
    let dir = tempfile::tempdir().unwrap();
    let (h, addr, _) = start(config(dir.path()));
    let mut c = Client::connect(addr);
    let pairs = json!([["x", 1], ["y", 2], ["x", 3]]);
    let r = c.call(
        "POST",
        "/",
        AUTH,
        r#"{"method":"entries","params":[0, {"x":1,"y":2,"x":3}],"id":1}"#,
    );
    assert_eq!(r.json()["result"], pairs);
    let r = c.call(
        "POST",
        "/",
        AUTH,
        r#"{"method":"entries","params":{"alias":{"x":1,"y":2,"x":3}},"id":1}"#,
    );
    assert_eq!(r.json()["result"], pairs);
    let r = c.call(
        "POST",
        "/",
        AUTH,
        r#"[{"method":"entries","params":[0, {"a":1}],"id":1},{"method":"entries","params":[0, {"x":1,"y":2,"x":3}],"id":2}]"#,
    );
    assert_eq!(r.json()[0]["result"], json!([["a", 1]]));
    assert_eq!(r.json()[1]["result"], pairs);
    // Nothing there: nothing to see.
    let r = c.call(
        "POST",
        "/",
        AUTH,
        r#"{"method":"entries","params":[0],"id":1}"#,
    );
    assert_eq!(r.json()["result"], Value::Null);
    h.stop();
}
