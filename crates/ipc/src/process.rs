//! Spawning a process to talk to over a socketpair (Core's `ipc::Process`,
//! `src/ipc/process.cpp`), and the spawned side's `-ipcfd` serving.
//!
//! The platform-specific parts (creating the socketpair, handing one end to
//! the child, reaping it) live in `process/unix.rs`, with a Windows stub beside
//! it; everything here is platform-free.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use widecoin_interfaces::{Echo, Init, IpcError};

use crate::client::InitClient;
use crate::connection::Connection;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::{serve_ipcfd, spawn_process_path, spawn_process_with, wait_process};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::{serve_ipcfd, spawn_process_path, spawn_process_with, wait_process};

/// How to spawn a process ([`spawn_init_with`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpawnOptions {
    /// Arguments before `-ipcfd <n>`. A Widecoin binary takes none (it gets
    /// its settings over IPC); a test harness re-running itself does.
    pub args: Vec<String>,
    /// Restrict the child ([`crate::sandbox`]); `None`: not restricted.
    pub sandbox: Option<crate::sandbox::SandboxPolicy>,
}

impl SpawnOptions {
    /// No extra arguments, sandboxed with `policy`.
    pub fn sandboxed(policy: crate::sandbox::SandboxPolicy) -> Self {
        SpawnOptions {
            args: Vec::new(),
            sandbox: Some(policy),
        }
    }
}

/// How long closing a [`ProcessHandle`] waits for the child to exit by itself
/// (it exits when its socket closes) before killing it.
const EXIT_GRACE: Duration = Duration::from_secs(10);

/// `<directory of the current executable>/<exe_name>`, as Core finds the
/// executable to spawn.
pub fn sibling_executable(exe_name: &str) -> Result<PathBuf, IpcError> {
    let me = std::env::current_exe()
        .map_err(|e| IpcError::Transport(format!("cannot find the current executable: {e}")))?;
    let dir = me.parent().unwrap_or(Path::new("."));
    Ok(dir.join(format!("{exe_name}{}", std::env::consts::EXE_SUFFIX)))
}

/// Spawns `<directory of the current executable>/<exe_name> -ipcfd <n>` and
/// connects to it. The caller must reap the child ([`wait_process`]); a
/// [`ProcessHandle`] does that for you.
pub fn spawn_process(exe_name: &str) -> Result<(Child, Connection), IpcError> {
    spawn_process_path(&sibling_executable(exe_name)?)
}

/// A spawned process and the connection to it. Closing or dropping it closes
/// the connection (the child then exits by itself) and reaps the child,
/// logging `Process <name> pid <pid> exited with status <status>`.
#[derive(Debug)]
pub struct ProcessHandle {
    name: String,
    child: Option<Child>,
    conn: Connection,
}

impl ProcessHandle {
    fn new(path: &Path, child: Child, conn: Connection) -> ProcessHandle {
        ProcessHandle {
            name: exe_display_name(path),
            child: Some(child),
            conn,
        }
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// The connection to the child.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Closes the connection and reaps the child. Returns its wait status
    /// (0 for a clean exit). A child still running after 10 seconds is killed.
    pub fn close(mut self) -> Result<i32, IpcError> {
        self.close_inner()
    }

    fn close_inner(&mut self) -> Result<i32, IpcError> {
        self.conn.close();
        let Some(mut child) = self.child.take() else {
            return Ok(0);
        };
        let deadline = Instant::now() + EXIT_GRACE;
        let mut pause = Duration::from_micros(100);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Ok(None) => {
                    tracing::debug!(target: "ipc", "Process {} pid {} did not exit after its connection closed; killing it", self.name, child.id());
                    let _ = child.kill();
                    break;
                }
                Err(_) => break,
            }
        }
        wait_process(&self.name, &mut child)
    }
}

impl Drop for ProcessHandle {
    fn drop(&mut self) {
        let _ = self.close_inner();
    }
}

pub(crate) fn exe_display_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Spawns `<dir of current executable>/<exe_name>` and returns its [`Init`].
pub fn spawn_init(exe_name: &str) -> Result<(InitClient, ProcessHandle), IpcError> {
    spawn_init_path(&sibling_executable(exe_name)?)
}

/// Spawns the executable at `path` and returns its [`Init`].
pub fn spawn_init_path(path: &Path) -> Result<(InitClient, ProcessHandle), IpcError> {
    let (child, conn) = spawn_process_path(path)?;
    let handle = ProcessHandle::new(path, child, conn.clone());
    Ok((InitClient::new(conn), handle))
}

/// Spawns the executable at `path` as `options` say and returns its [`Init`].
pub fn spawn_init_with(
    path: &Path,
    options: &SpawnOptions,
) -> Result<(InitClient, ProcessHandle), IpcError> {
    let (child, conn) = spawn_process_with(path, options)?;
    let handle = ProcessHandle::new(path, child, conn.clone());
    Ok((InitClient::new(conn), handle))
}

/// Spawns `<dir of current executable>/<exe_name>` (e.g. `widecoin-wallet`)
/// and returns an [`Echo`] served by it: what the `echoipc` RPC needs.
///
/// The `Echo` stays usable until the handle is closed or dropped; after that
/// its calls fail with [`IpcError::Disconnected`]. Closing the handle closes
/// the connection and reaps the child:
///
/// ```no_run
/// let (echo, process) = widecoin_ipc::spawn_echo("widecoin-wallet")?;
/// let answer = echo.echo("hello");
/// process.close()?; // or drop it
/// # Ok::<(), widecoin_interfaces::IpcError>(())
/// ```
pub fn spawn_echo(exe_name: &str) -> Result<(Box<dyn Echo>, ProcessHandle), IpcError> {
    spawn_echo_path(&sibling_executable(exe_name)?)
}

/// [`spawn_echo`] of the executable at `path`.
pub fn spawn_echo_path(path: &Path) -> Result<(Box<dyn Echo>, ProcessHandle), IpcError> {
    let (init, handle) = spawn_init_path(path)?;
    let echo = init.make_echo()?;
    Ok((echo, handle))
}

/// What a binary's arguments say about serving a parent over `-ipcfd`.
#[derive(Debug, PartialEq, Eq)]
pub enum IpcfdArg {
    /// No `-ipcfd`: the process was not spawned by [`spawn_process`].
    Absent,
    /// `-ipcfd=<n>` or `-ipcfd <n>`, alone: serve on descriptor `n`.
    Fd(i32),
    /// `-ipcfd` given wrongly; the message to print.
    Invalid(String),
}

/// Looks for `-ipcfd <n>` / `-ipcfd=<n>` in `args` (without the program
/// name). As in Core, a spawned process takes no other argument: it receives
/// its settings over IPC.
pub fn parse_ipcfd_arg<S: AsRef<str>>(args: &[S]) -> IpcfdArg {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let value = match args.as_slice() {
        ["-ipcfd", n] => *n,
        [one] => match one.strip_prefix("-ipcfd=") {
            Some(n) => n,
            None if *one == "-ipcfd" => {
                return IpcfdArg::Invalid("Invalid -ipcfd number ''".into())
            }
            None => return IpcfdArg::Absent,
        },
        _ if args
            .iter()
            .any(|a| *a == "-ipcfd" || a.starts_with("-ipcfd=")) =>
        {
            return IpcfdArg::Invalid("-ipcfd takes no other arguments".into());
        }
        _ => return IpcfdArg::Absent,
    };
    match value.parse::<i32>() {
        Ok(n) if n >= 0 => IpcfdArg::Fd(n),
        _ => IpcfdArg::Invalid(format!("Invalid -ipcfd number '{value}'")),
    }
}

/// Serves `init` on `-ipcfd` if `args` (without the program name) ask for
/// it: `Some(exit code)`, or `None` when there is no `-ipcfd`. For the
/// `main` of every spawnable binary.
pub fn serve_if_spawned<S: AsRef<str>>(args: &[S], init: Arc<dyn Init>) -> Option<i32> {
    match parse_ipcfd_arg(args) {
        IpcfdArg::Absent => None,
        IpcfdArg::Fd(fd) => Some(serve_ipcfd(fd, init)),
        IpcfdArg::Invalid(message) => {
            eprintln!("Error: {message}");
            Some(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipcfd_arguments() {
        assert_eq!(parse_ipcfd_arg::<&str>(&[]), IpcfdArg::Absent);
        assert_eq!(parse_ipcfd_arg(&["-help"]), IpcfdArg::Absent);
        assert_eq!(parse_ipcfd_arg(&["-ipcfd", "7"]), IpcfdArg::Fd(7));
        assert_eq!(parse_ipcfd_arg(&["-ipcfd=12"]), IpcfdArg::Fd(12));
        assert_eq!(
            parse_ipcfd_arg(&["-ipcfd", "x"]),
            IpcfdArg::Invalid("Invalid -ipcfd number 'x'".into())
        );
        assert_eq!(
            parse_ipcfd_arg(&["-ipcfd=-1"]),
            IpcfdArg::Invalid("Invalid -ipcfd number '-1'".into())
        );
        assert!(matches!(
            parse_ipcfd_arg(&["-ipcfd=3", "-regtest"]),
            IpcfdArg::Invalid(_)
        ));
    }
}
