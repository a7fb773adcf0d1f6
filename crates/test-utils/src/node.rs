//! A node process on a temporary data directory.

use std::fs;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::http::{HttpClient, HttpResponse};

/// How long a node may take to start or stop before a test gives up.
const DEADLINE: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(20);

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
    /// Extra lines for the `[regtest]` section of `widecoin.conf`.
    pub conf: String,
    /// Whether to wait for RPC to answer before returning from `start`.
    pub wait_for_rpc: bool,
}

impl NodeOptions {
    pub fn new(binary: impl Into<PathBuf>) -> Self {
        NodeOptions {
            binary: binary.into(),
            args: Vec::new(),
            conf: String::new(),
            wait_for_rpc: true,
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
    pub dir: tempfile::TempDir,
    pub rpc_port: u16,
    pub p2p_port: u16,
    child: Option<Child>,
    options: NodeOptions,
}

impl TestNode {
    /// Writes a `widecoin.conf` like Widecoin Core's test framework does and
    /// starts the node. With `wait_for_rpc`, returns once `getblockcount` answers.
    pub fn start(options: NodeOptions) -> io::Result<TestNode> {
        let dir = tempfile::Builder::new().prefix("wcn-test").tempdir()?;
        let rpc_port = free_port();
        let p2p_port = free_port();
        let conf = format!(
            "regtest=1\n[regtest]\nport={p2p_port}\nrpcport={rpc_port}\nrpcservertimeout=99000\n\
             rpcdoccheck=1\nfallbackfee=0.0002\nserver=1\nkeypool=1\ndiscover=0\ndnsseed=0\n\
             fixedseeds=0\nlistenonion=0\npeertimeout=999999999\nprinttoconsole=0\nupnp=0\n\
             natpmp=0\nshrinkdebugfile=0\nunsafesqlitesync=1\nconnect=0\n{}",
            options.conf
        );
        fs::write(dir.path().join("widecoin.conf"), conf)?;
        let mut node = TestNode {
            dir,
            rpc_port,
            p2p_port,
            child: None,
            options,
        };
        node.spawn()?;
        Ok(node)
    }

    /// Starts the process again on the same data directory.
    pub fn restart(&mut self, args: &[&str]) -> io::Result<()> {
        if self.child.is_some() {
            self.stop()?;
        }
        self.options.args = args.iter().map(|s| s.to_string()).collect();
        self.spawn()
    }

    fn spawn(&mut self) -> io::Result<()> {
        let stdout = fs::File::create(self.dir.path().join("stdout"))?;
        let stderr = fs::File::create(self.dir.path().join("stderr"))?;
        let child = Command::new(&self.options.binary)
            .arg(format!("-datadir={}", self.dir.path().display()))
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

    /// The `regtest` directory inside the data directory.
    pub fn net_dir(&self) -> PathBuf {
        self.dir.path().join("regtest")
    }

    pub fn rpc_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.rpc_port))
    }

    /// `__cookie__:<hex>` from the cookie file, if present.
    pub fn cookie(&self) -> Option<String> {
        fs::read_to_string(self.net_dir().join(".cookie"))
            .ok()
            .map(|s| s.trim().to_string())
    }

    /// Polls until the node answers `getblockcount`, or fails with its stderr
    /// when it exits first.
    pub fn wait_for_rpc(&mut self) -> io::Result<()> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.try_wait()? {
                return Err(io::Error::other(format!(
                    "node exited with {status} during start-up: {}",
                    self.stderr()
                )));
            }
            if self.cookie().is_some() {
                match self.rpc("getblockcount", json!([])) {
                    Ok(_) => return Ok(()),
                    Err(e) if e.code == Some(-28) || e.http_status == 0 => {}
                    Err(e) => return Err(io::Error::other(format!("{e:?}"))),
                }
            }
            if start.elapsed() > DEADLINE {
                return Err(io::Error::other("node did not answer RPC in time"));
            }
            std::thread::sleep(POLL);
        }
    }

    /// One JSON-RPC call on a fresh connection with the cookie.
    pub fn rpc(&self, method: &str, params: Value) -> Result<Value, RpcCallError> {
        let auth = self.cookie().unwrap_or_default();
        let body = json!({"jsonrpc": "1.0", "id": 1, "method": method, "params": params});
        let reply = HttpClient::connect(self.rpc_addr())
            .and_then(|mut c| c.post("/", &auth, body.to_string().as_bytes()));
        match reply {
            Ok(r) => Self::rpc_result(r),
            Err(e) => Err(RpcCallError {
                http_status: 0,
                code: None,
                message: e.to_string(),
            }),
        }
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

    /// Runs `widecoin-cli` against this node, returning (exit code, stdout, stderr).
    pub fn cli(&self, cli: &Path, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(cli)
            .arg(format!("-datadir={}", self.dir.path().display()))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run widecoin-cli");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        match self.child.as_mut() {
            Some(c) => c.try_wait(),
            None => Ok(None),
        }
    }

    /// Waits for the process to exit by itself (after `stop` or a signal).
    pub fn wait_exit(&mut self) -> io::Result<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.try_wait()? {
                self.child = None;
                return Ok(status);
            }
            if start.elapsed() > DEADLINE {
                return Err(io::Error::other("node did not exit in time"));
            }
            std::thread::sleep(POLL);
        }
    }

    /// Sends `stop` and waits for the process to exit.
    pub fn stop(&mut self) -> io::Result<ExitStatus> {
        self.rpc("stop", json!([]))
            .map_err(|e| io::Error::other(format!("stop failed: {e:?}")))?;
        self.wait_exit()
    }

    /// Sends a signal to the process (e.g. `libc::SIGTERM` = 15).
    pub fn signal(&self, signal: i32) -> io::Result<()> {
        let pid = self
            .child
            .as_ref()
            .ok_or_else(|| io::Error::other("not running"))?
            .id();
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other("kill failed"))
        }
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
