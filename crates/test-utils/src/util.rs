//! Small helpers for process-level tests: polling with a deadline, running a
//! binary to completion, signals, rpcauth lines, a local non-loopback address.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a node may take to start or stop before a test gives up.
pub const DEADLINE: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(20);

/// Calls `condition` until it returns true or `deadline` passes; returns
/// whether it became true.
pub fn poll_until(deadline: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if condition() {
            return true;
        }
        if start.elapsed() > deadline {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

/// What a finished process left behind.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    /// The exit code, or -1 when a signal ended the process.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `binary args...` to completion (killed after [`DEADLINE`]), feeding
/// `stdin` if given.
pub fn run_to_exit(binary: &Path, args: &[String], stdin: Option<&str>) -> RunOutput {
    let dir = tempfile::tempdir().expect("temp dir for output");
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let mut child = Command::new(binary)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("run {}: {e}", binary.display()));
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("piped stdin");
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    let mut status = None;
    poll_until(DEADLINE, || {
        status = child.try_wait().expect("try_wait");
        status.is_some()
    });
    let status = match status {
        Some(s) => s,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{} {args:?} did not exit in time", binary.display());
        }
    };
    let read = |p: &Path| {
        let mut s = Vec::new();
        std::fs::File::open(p)
            .and_then(|mut f| f.read_to_end(&mut s))
            .expect("read output");
        String::from_utf8_lossy(&s).into_owned()
    };
    RunOutput {
        code: status.code().unwrap_or(-1),
        stdout: read(&out_path),
        stderr: read(&err_path),
    }
}

/// Sends `signal` to process `pid` (only processes a test started itself).
pub fn kill_pid(pid: u32, signal: i32) -> io::Result<()> {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("kill -{signal} {pid} failed")))
    }
}

/// Whether process `pid` exists and is not a zombie (a daemon's exit is
/// reaped by init, not by the test).
pub fn pid_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// The `-rpcauth=` value for `user`, `salt` and `password`, computed as
/// `share/rpcauth/rpcauth.py` does: HMAC-SHA256 keyed with the salt over the
/// password, hex.
pub fn rpcauth_value(user: &str, salt: &str, password: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(salt.as_bytes()).expect("any key length");
    mac.update(password.as_bytes());
    format!("{user}:{salt}${}", hex::encode(mac.finalize().into_bytes()))
}

/// An IPv4 address of this machine that is not loopback, if it has one: the
/// source address the kernel would pick for an outside destination (no packet
/// is sent), else the first global address `ip -4 -o addr` lists.
pub fn local_non_loopback_ipv4() -> Option<Ipv4Addr> {
    let routed = UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.255:9").map(|_| s))
        .and_then(|s| s.local_addr())
        .ok()
        .and_then(|a| match a.ip() {
            IpAddr::V4(v4) if !v4.is_loopback() && !v4.is_unspecified() => Some(v4),
            _ => None,
        });
    if routed.is_some() {
        return routed;
    }
    let out = Command::new("ip")
        .args(["-4", "-o", "addr"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            words.find(|w| *w == "inet")?;
            words.next()?.split('/').next()?.parse::<Ipv4Addr>().ok()
        })
        .find(|a| !a.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpcauth_matches_core_vector() {
        // test/functional/rpc_users.py: user rt, this password, this line.
        assert_eq!(
            rpcauth_value(
                "rt",
                "93648e835a54c573682c2eb19f882535",
                "cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM="
            ),
            "rt:93648e835a54c573682c2eb19f882535$\
             7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144"
        );
    }
}
