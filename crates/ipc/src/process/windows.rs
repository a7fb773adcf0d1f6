//! Spawning on Windows: not built yet (`CreateProcess` with an inherited
//! socket handle, or `WSADuplicateSocket`, and `WaitForSingleObject`).
//! Everything Windows-specific about spawning, handing over the socket and
//! reaping lives here and only here (`cfg(windows)`); `unix.rs` beside it is
//! the other implementation and `process.rs` is platform-free.

use std::path::Path;
use std::process::Child;
use std::sync::Arc;

use widecoin_interfaces::{Init, IpcError};

use crate::connection::Connection;

fn unsupported() -> IpcError {
    IpcError::Transport("spawning IPC processes is not supported on Windows yet".into())
}

/// Not supported on Windows yet.
pub fn spawn_process_path(_path: &Path) -> Result<(Child, Connection), IpcError> {
    Err(unsupported())
}

/// Not supported on Windows yet.
pub fn spawn_process_with(
    _path: &Path,
    _options: &super::SpawnOptions,
) -> Result<(Child, Connection), IpcError> {
    Err(unsupported())
}

/// Not supported on Windows yet.
pub fn wait_process(_name: &str, _child: &mut Child) -> Result<i32, IpcError> {
    Err(unsupported())
}

/// Not supported on Windows yet: prints why and returns 1.
pub fn serve_ipcfd(_fd: i32, _init: Arc<dyn Init>) -> i32 {
    eprintln!("Error: {}", unsupported());
    1
}
