//! Spawning and reaping on unix (Core's `mp::SpawnProcess` /
//! `mp::WaitProcess`), and serving a parent on an inherited descriptor.
#![allow(unsafe_code)]

use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command};
use std::sync::Arc;

use widecoin_interfaces::{Init, IpcError};

use super::{exe_display_name, SpawnOptions};
use crate::connection::{Connection, Role};
use crate::sandbox::SandboxPolicy;

/// Spawns `<path> -ipcfd <n>`, where `n` is the child's end of a new
/// socketpair, and starts a connection on the parent's end, restricting the
/// child with an empty [`SandboxPolicy`] (see [`crate::sandbox`]).
pub fn spawn_process_path(path: &Path) -> Result<(Child, Connection), IpcError> {
    spawn_process_with(path, &SpawnOptions::sandboxed(SandboxPolicy::default()))
}

/// [`spawn_process_path`] with `options`. Both ends of the socketpair are
/// close-on-exec in this process, so no other child inherits them; the flag
/// is cleared on the child's end only, in the child, between fork and exec.
/// The child ignores SIGINT: a Ctrl-C in a terminal reaches the whole process
/// group, and the parent shuts its children down itself.
pub fn spawn_process_with(
    path: &Path,
    options: &SpawnOptions,
) -> Result<(Child, Connection), IpcError> {
    let name = exe_display_name(path);
    let (parent_end, child_end) = UnixStream::pair().map_err(|e| {
        IpcError::Transport(format!("cannot create a socketpair to spawn {name}: {e}"))
    })?;
    let child_fd = child_end.as_raw_fd();
    let mut command = Command::new(path);
    command
        .args(&options.args)
        .arg("-ipcfd")
        .arg(child_fd.to_string());
    #[cfg(target_os = "linux")]
    let prepared = options
        .sandbox
        .as_ref()
        .map(|policy| crate::sandbox::prepare(path, policy));
    #[cfg(target_os = "linux")]
    let ruleset = prepared.as_ref().map(|p| p.raw_fd());
    #[cfg(not(target_os = "linux"))]
    let ruleset: Option<Option<RawFd>> = None;
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe calls (prctl, setrlimit, landlock_restrict_self,
    // close_range, fcntl, signal) on values prepared before the fork; it
    // allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(move || {
            #[cfg(target_os = "linux")]
            if let Some(fd) = ruleset {
                crate::sandbox::apply_before_exec(fd)?;
            }
            #[cfg(not(target_os = "linux"))]
            let _ = ruleset;
            let flags = libc::fcntl(child_fd, libc::F_GETFD);
            if flags == -1 || libc::fcntl(child_fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) == -1
            {
                return Err(std::io::Error::last_os_error());
            }
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            Ok(())
        });
    }
    let child = command
        .spawn()
        .map_err(|e| IpcError::Transport(format!("cannot spawn {}: {e}", path.display())))?;
    drop(child_end);
    tracing::debug!(target: "ipc", "Process {} pid {} launched", name, child.id());
    #[cfg(target_os = "linux")]
    if let Some(p) = &prepared {
        tracing::debug!(target: "ipc", "Process {} pid {}: {}", name, child.id(), p.note);
    }
    match Connection::new(parent_end, Role::Client, None) {
        Ok(conn) => Ok((child, conn)),
        Err(e) => {
            let mut child = child;
            let _ = child.kill();
            let _ = wait_process(&name, &mut child);
            Err(e)
        }
    }
}

/// Waits for `child` to exit and logs `Process <name> pid <pid> exited with
/// status <status>`. Returns the wait status as Core does (0 for a clean
/// exit, the raw `waitpid` status otherwise).
pub fn wait_process(name: &str, child: &mut Child) -> Result<i32, IpcError> {
    let status = child
        .wait()
        .map_err(|e| IpcError::Transport(format!("cannot wait for {name}: {e}")))?;
    let raw = status.into_raw();
    tracing::debug!(target: "ipc", "Process {} pid {} exited with status {}", name, child.id(), raw);
    Ok(raw)
}

/// The spawned side: serves `init` to the parent on descriptor `fd` (from
/// `-ipcfd`) until the parent closes the socket, then returns the exit code
/// (0). SIGINT is ignored: the parent shuts this process down.
pub fn serve_ipcfd(fd: RawFd, init: Arc<dyn Init>) -> i32 {
    // SAFETY: fcntl(F_GETFD) only inspects the descriptor table.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags == -1 {
        eprintln!(
            "Error: Invalid -ipcfd number '{fd}': {}",
            std::io::Error::last_os_error()
        );
        return 1;
    }
    // SAFETY: `fd` is open (checked above), was handed to this process by its
    // parent for this purpose, and nothing else in this process owns it; the
    // stream takes ownership and closes it. Setting close-on-exec and ignoring
    // SIGINT have no memory-safety preconditions.
    let stream = unsafe {
        libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        UnixStream::from_raw_fd(fd)
    };
    match Connection::new(stream, Role::Server, Some(init)) {
        Ok(conn) => {
            conn.wait_closed();
            0
        }
        Err(e) => {
            eprintln!("Error: {e}");
            1
        }
    }
}
