//! A node process on a temporary data directory.

use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

use serde_json::{json, Value};

use crate::http::{HttpClient, HttpResponse};
use crate::util::{poll_until, run_to_exit, RunOutput, DEADLINE};

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port on 127.0.0.1")
}

/// What to start.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// The node binary (`widecoind` or `widecoin-node`).
    pub binary: PathBuf,
    /// Extra command-line arguments after `-datadir=...`.
    pub args: Vec<String>,
    /// Extra lines for the chain's section of the generated `widecoin.conf`.
    pub conf: String,
    /// Whether to wait for RPC to answer before returning from `start`.
    pub wait_for_rpc: bool,
    /// The chain's `-chain=` name: `main`, `test`, `signet` or `regtest` (the default).
    /// Only `regtest` is selected by the generated config file; for the others
    /// the test passes `-testnet`, `-chain=...` etc. itself.
    pub chain: String,
    /// Replaces the generated config file. `{rpcport}` and `{port}` are replaced
    /// by the node's ports.
    pub raw_conf: Option<String>,
    /// File name of the config file inside the data directory.
    pub conf_name: String,
    /// The data directory is `<temp>/<datadir_name>` instead of `<temp>` itself.
    pub datadir_name: Option<String>,
    /// Extra files written into the data directory before the start
    /// (same placeholders as `raw_conf`).
    pub files: Vec<(String, String)>,
    /// `user:password` for RPC instead of the cookie.
    pub rpc_auth: Option<String>,
    /// The address the harness connects to for RPC.
    pub rpc_host: IpAddr,
}

impl NodeOptions {
    pub fn new(binary: impl Into<PathBuf>) -> Self {
        NodeOptions {
            binary: binary.into(),
            args: Vec::new(),
            conf: String::new(),
            wait_for_rpc: true,
            chain: "regtest".to_string(),
            raw_conf: None,
            conf_name: "widecoin.conf".to_string(),
            datadir_name: None,
            files: Vec::new(),
            rpc_auth: None,
            rpc_host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }

    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn conf_line(mut self, line: &str) -> Self {
        self.conf.push_str(line);
        self.conf.push('\n');
        self
    }

    pub fn no_wait(mut self) -> Self {
        self.wait_for_rpc = false;
        self
    }

    pub fn chain(mut self, chain: &str) -> Self {
        self.chain = chain.to_string();
        self
    }

    pub fn raw_conf(mut self, conf: &str) -> Self {
        self.raw_conf = Some(conf.to_string());
        self
    }

    pub fn conf_name(mut self, name: &str) -> Self {
        self.conf_name = name.to_string();
        self
    }

    pub fn datadir_name(mut self, name: &str) -> Self {
        self.datadir_name = Some(name.to_string());
        self
    }

    pub fn file(mut self, name: &str, contents: &str) -> Self {
        self.files.push((name.to_string(), contents.to_string()));
        self
    }

    pub fn rpc_auth(mut self, user_pass: &str) -> Self {
        self.rpc_auth = Some(user_pass.to_string());
        self
    }

    pub fn rpc_host(mut self, host: IpAddr) -> Self {
        self.rpc_host = host;
        self
    }
}

/// The chain's data sub-directory (Core's `CBaseChainParams::DataDir()`).
pub fn chain_subdir(chain: &str) -> &'static str {
    match chain {
        "main" => "",
        "test" => "testnet3",
        "signet" => "signet",
        "regtest" => "regtest",
        other => panic!("unknown chain {other}"),
    }
}

/// An RPC call that did not return a result.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcCallError {
    pub http_status: u16,
    /// The JSON-RPC error code, when the reply carried an error object.
    pub code: Option<i64>,
    pub message: String,
}

/// A running (or exited) node and its data directory.
pub struct TestNode {
    /// The temporary directory; the node's stdout and stderr are captured here.
    pub dir: tempfile::TempDir,
    /// The data directory (`dir` itself unless `datadir_name` was given).
    pub datadir: PathBuf,
    pub rpc_port: u16,
    pub p2p_port: u16,
    child: Option<Child>,
    options: NodeOptions,
}

impl TestNode {
    /// Writes a `widecoin.conf` like Widecoin Core's test framework does and
    /// starts the node. With `wait_for_rpc`, returns once `getblockcount` answers.
    pub fn start(options: NodeOptions) -> io::Result<TestNode> {
        let mut node = TestNode::prepare(options)?;
        node.spawn()?;
        Ok(node)
    }

    /// Creates the data directory and its files without starting the node.
    pub fn prepare(options: NodeOptions) -> io::Result<TestNode> {
        let dir = tempfile::Builder::new().prefix("wcn-test").tempdir()?;
        let datadir = match &options.datadir_name {
            Some(name) => dir.path().join(name),
            None => dir.path().to_path_buf(),
        };
        fs::create_dir_all(&datadir)?;
        let rpc_port = free_port();
        let p2p_port = free_port();
        let fill = |s: &str| {
            s.replace("{rpcport}", &rpc_port.to_string())
                .replace("{port}", &p2p_port.to_string())
        };
        let conf = match &options.raw_conf {
            Some(raw) => fill(raw),
            None => {
                let header = if options.chain == "regtest" {
                    "regtest=1\n"
                } else {
                    ""
                };
                format!(
                    "{header}[{}]\nport={p2p_port}\nrpcport={rpc_port}\nrpcservertimeout=99000\n\
                     rpcdoccheck=1\nfallbackfee=0.0002\nserver=1\nkeypool=1\ndiscover=0\ndnsseed=0\n\
                     fixedseeds=0\nlistenonion=0\npeertimeout=999999999\nprinttoconsole=0\nupnp=0\n\
                     natpmp=0\nshrinkdebugfile=0\nunsafesqlitesync=1\nconnect=0\n{}",
                    options.chain, options.conf
                )
            }
        };
        fs::write(datadir.join(&options.conf_name), conf)?;
        for (name, contents) in &options.files {
            fs::write(datadir.join(name), fill(contents))?;
        }
        Ok(TestNode {
            dir,
            datadir,
            rpc_port,
            p2p_port,
            child: None,
            options,
        })
    }

    /// Starts the process again on the same data directory.
    pub fn restart(&mut self, args: &[&str]) -> io::Result<()> {
        if self.child.is_some() {
            self.stop()?;
        }
        self.options.args = args.iter().map(|s| s.to_string()).collect();
        self.spawn()
    }

    /// Starts the process (after `prepare`, or after it exited).
    pub fn spawn(&mut self) -> io::Result<()> {
        let stdout = fs::File::create(self.dir.path().join("stdout"))?;
        let stderr = fs::File::create(self.dir.path().join("stderr"))?;
        let child = Command::new(&self.options.binary)
            .arg(format!("-datadir={}", self.datadir.display()))
            .args(&self.options.args)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()?;
        self.child = Some(child);
        if self.options.wait_for_rpc {
            self.wait_for_rpc()?;
        }
        Ok(())
    }

    /// The chain's directory inside the data directory (`regtest`, ...).
    pub fn net_dir(&self) -> PathBuf {
        self.datadir.join(chain_subdir(&self.options.chain))
    }

    pub fn rpc_addr(&self) -> SocketAddr {
        SocketAddr::new(self.options.rpc_host, self.rpc_port)
    }

    /// `__cookie__:<hex>` from the cookie file, if present.
    pub fn cookie(&self) -> Option<String> {
        fs::read_to_string(self.net_dir().join(".cookie"))
            .ok()
            .map(|s| s.trim().to_string())
    }

    /// The credentials the harness uses: `rpc_auth` if given, else the cookie.
    pub fn auth(&self) -> Option<String> {
        self.options.rpc_auth.clone().or_else(|| self.cookie())
    }

    /// Polls until the node answers `getblockcount`, or fails with its stderr
    /// when it exits first.
    pub fn wait_for_rpc(&mut self) -> io::Result<()> {
        let mut failure = None;
        let answered = poll_until(DEADLINE, || {
            match self.try_wait() {
                Ok(Some(status)) => {
                    failure = Some(format!(
                        "node exited with {status} during start-up: {}",
                        self.stderr()
                    ));
                    return true;
                }
                Ok(None) => {}
                Err(e) => {
                    failure = Some(e.to_string());
                    return true;
                }
            }
            if self.auth().is_none() {
                return false;
            }
            match self.rpc("getblockcount", json!([])) {
                Ok(_) => true,
                Err(e) if e.code == Some(-28) || e.http_status == 0 => false,
                Err(e) => {
                    failure = Some(format!("{e:?}"));
                    true
                }
            }
        });
        match (answered, failure) {
            (_, Some(f)) => Err(io::Error::other(f)),
            (true, None) => Ok(()),
            (false, None) => Err(io::Error::other("node did not answer RPC in time")),
        }
    }

    /// One JSON-RPC call on a fresh connection with the harness's credentials.
    pub fn rpc(&self, method: &str, params: Value) -> Result<Value, RpcCallError> {
        self.rpc_as(&self.auth().unwrap_or_default(), method, params)
    }

    /// One JSON-RPC call on a fresh connection as `user:password`.
    pub fn rpc_as(&self, auth: &str, method: &str, params: Value) -> Result<Value, RpcCallError> {
        let body = json!({"jsonrpc": "1.0", "id": 1, "method": method, "params": params});
        let reply = HttpClient::connect(self.rpc_addr())
            .and_then(|mut c| c.post("/", auth, body.to_string().as_bytes()));
        match reply {
            Ok(r) => Self::rpc_result(r),
            Err(e) => Err(RpcCallError {
                http_status: 0,
                code: None,
                message: e.to_string(),
            }),
        }
    }

    /// A new keep-alive connection to the RPC server.
    pub fn http(&self) -> HttpClient {
        HttpClient::connect(self.rpc_addr()).expect("connect to the RPC port")
    }

    fn rpc_result(r: HttpResponse) -> Result<Value, RpcCallError> {
        let parsed: Option<Value> = serde_json::from_slice(&r.body).ok();
        match parsed {
            Some(v) if v.get("error").is_some_and(|e| !e.is_null()) => Err(RpcCallError {
                http_status: r.status,
                code: v["error"]["code"].as_i64(),
                message: v["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            }),
            Some(v) if r.status == 200 => Ok(v["result"].clone()),
            _ => Err(RpcCallError {
                http_status: r.status,
                code: None,
                message: r.body_str(),
            }),
        }
    }

    /// Runs `widecoin-cli -datadir=<datadir> <args>` against this node.
    pub fn cli(&self, cli: &Path, args: &[&str]) -> (i32, String, String) {
        let out = self.cli_stdin(cli, args, None);
        (out.code, out.stdout, out.stderr)
    }

    /// Runs `widecoin-cli`, feeding `stdin` if given.
    pub fn cli_stdin(&self, cli: &Path, args: &[&str], stdin: Option<&str>) -> RunOutput {
        let mut all = vec![format!("-datadir={}", self.datadir.display())];
        all.extend(args.iter().map(|s| s.to_string()));
        run_to_exit(cli, &all, stdin)
    }

    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        match self.child.as_mut() {
            Some(c) => c.try_wait(),
            None => Ok(None),
        }
    }

    /// Waits for the process to exit by itself (after `stop` or a signal).
    pub fn wait_exit(&mut self) -> io::Result<ExitStatus> {
        let mut status = None;
        poll_until(DEADLINE, || {
            status = self.try_wait().ok().flatten();
            status.is_some()
        });
        match status {
            Some(s) => {
                self.child = None;
                Ok(s)
            }
            None => Err(io::Error::other("node did not exit in time")),
        }
    }

    /// Sends `stop` and waits for the process to exit.
    pub fn stop(&mut self) -> io::Result<ExitStatus> {
        let reply = self
            .rpc("stop", json!([]))
            .map_err(|e| io::Error::other(format!("stop failed: {e:?}")))?;
        if reply != json!("Widecoin Core stopping") {
            return Err(io::Error::other(format!("unexpected stop reply {reply}")));
        }
        self.wait_exit()
    }

    /// Sends a signal to the process (e.g. `libc::SIGTERM` = 15).
    pub fn signal(&self, signal: i32) -> io::Result<()> {
        let pid = self
            .child
            .as_ref()
            .ok_or_else(|| io::Error::other("not running"))?
            .id();
        crate::util::kill_pid(pid, signal)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    pub fn stdout(&self) -> String {
        fs::read_to_string(self.dir.path().join("stdout")).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        fs::read_to_string(self.dir.path().join("stderr")).unwrap_or_default()
    }

    pub fn debug_log(&self) -> String {
        fs::read_to_string(self.net_dir().join("debug.log")).unwrap_or_default()
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
