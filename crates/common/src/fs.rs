//! The data directory lock and the pid file (Core's `LockDirectory` in
//! `src/util/fs_helpers.cpp`, `LockDataDirectory` and `CreatePidFile` in
//! `src/init.cpp`).

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

use crate::args::ArgsManager;
use crate::version::PACKAGE_NAME;

/// The pid file's default name (`-pid`).
pub const WIDECOIN_PID_FILENAME: &str = "widecoind.pid";
/// The data directory's lock file.
pub const LOCK_FILE_NAME: &str = ".lock";

/// Why a directory could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process (or another handle in this one) holds the lock. The
    /// message is what Core's `LockDataDirectory` reports.
    #[error("Cannot obtain a lock on data directory {}. {PACKAGE_NAME} is probably already running.", .dir.display())]
    AlreadyLocked { dir: PathBuf },
    /// The lock file could not be created or locked.
    #[error("Error while attempting to lock directory {}: {source}", .dir.display())]
    Io {
        dir: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// An exclusive lock on a directory, held until dropped.
#[derive(Debug)]
pub struct DirLock {
    file: File,
    path: PathBuf,
}

impl DirLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Creates `dir/lockfile_name` if needed and locks it exclusively without
/// waiting (Core's `LockDirectory`).
pub fn lock_directory(dir: &Path, lockfile_name: &str) -> Result<DirLock, LockError> {
    let path = dir.join(lockfile_name);
    let io_err = |source| LockError::Io {
        dir: dir.to_path_buf(),
        source,
    };
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io_err)?;
    match file.try_lock() {
        Ok(()) => Ok(DirLock { file, path }),
        Err(TryLockError::WouldBlock) => Err(LockError::AlreadyLocked {
            dir: dir.to_path_buf(),
        }),
        Err(TryLockError::Error(e)) => Err(io_err(e)),
    }
}

/// Checks that `dir` could be locked, without keeping the lock (Core's
/// `LockDirectory(..., probe_only=true)`).
pub fn probe_directory_lock(dir: &Path, lockfile_name: &str) -> Result<(), LockError> {
    lock_directory(dir, lockfile_name).map(drop)
}

/// True if a file can be created in `dir` (Core's `DirIsWritable`).
pub fn dir_is_writable(dir: &Path) -> bool {
    let probe = dir.join(format!(
        ".tmp{:016x}",
        std::process::id() as u64 ^ 0x5749_4445
    ));
    match File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            true
        }
        Err(_) => false,
    }
}

/// Core's error when the data directory is not writable.
pub fn dir_not_writable_message(dir: &Path) -> String {
    format!(
        "Cannot write to data directory '{}'; check permissions.",
        dir.display()
    )
}

/// The pid file: `-pid`, relative to the chain's data directory
/// (Core's `GetPidFile`).
pub fn pid_file_path(args: &ArgsManager) -> PathBuf {
    let pid = args.get_path_arg("-pid", Path::new(WIDECOIN_PID_FILENAME));
    args.abs_path_for_config_val(&pid, true)
}

/// Writes this process's id and a newline to `path` (Core's `CreatePidFile`).
/// The error is Core's: `Unable to create the PID file '<path>': <reason>`.
pub fn create_pid_file(path: &Path) -> Result<(), String> {
    std::fs::write(path, format!("{}\n", std::process::id())).map_err(|e| {
        format!(
            "Unable to create the PID file '{}': {}",
            path.display(),
            sys_error_string(&e)
        )
    })
}

/// Removes the pid file; the error is the debug.log line Core writes.
pub fn remove_pid_file(path: &Path) -> Result<(), String> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Err("Shutdown: Unable to remove PID file: File does not exist".to_string())
        }
        Err(e) => Err(format!("Shutdown: Unable to remove PID file: {e}")),
    }
}

/// `strerror`-like text of an I/O error, without Rust's "(os error N)".
fn sys_error_string(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_reported_as_already_locked() {
        let dir = tempfile::tempdir().unwrap();
        let lock = lock_directory(dir.path(), LOCK_FILE_NAME).unwrap();
        assert!(dir.path().join(".lock").exists());
        let err = lock_directory(dir.path(), LOCK_FILE_NAME).unwrap_err();
        assert!(matches!(err, LockError::AlreadyLocked { .. }));
        assert_eq!(
            err.to_string(),
            format!(
                "Cannot obtain a lock on data directory {}. Widecoin Core is probably already running.",
                dir.path().display()
            )
        );
        drop(lock);
        probe_directory_lock(dir.path(), LOCK_FILE_NAME).unwrap();
        let _again = lock_directory(dir.path(), LOCK_FILE_NAME).unwrap();
    }

    #[test]
    fn lock_in_missing_directory_is_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = lock_directory(&dir.path().join("nope"), LOCK_FILE_NAME).unwrap_err();
        assert!(matches!(err, LockError::Io { .. }));
        assert!(dir_is_writable(dir.path()));
        assert!(!dir_is_writable(&dir.path().join("nope")));
    }

    #[test]
    fn pid_file_default_relative_and_absolute() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("regtest")).unwrap();
        let mut args = ArgsManager::new();
        crate::options::setup_server_args(&mut args);
        let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let datadir = format!("-datadir={}", dir.path().display());
        args.parse_parameters(&argv(&["widecoind", &datadir, "-regtest"]))
            .unwrap();
        let path = pid_file_path(&args);
        assert_eq!(path, dir.path().join("regtest").join("widecoind.pid"));
        create_pid_file(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("{}\n", std::process::id()));
        remove_pid_file(&path).unwrap();
        assert!(remove_pid_file(&path)
            .unwrap_err()
            .contains("File does not exist"));

        let abs = dir.path().join("other.pid");
        args.parse_parameters(&argv(&[
            "widecoind",
            &datadir,
            &format!("-pid={}", abs.display()),
        ]))
        .unwrap();
        assert_eq!(pid_file_path(&args), abs);
        let err = create_pid_file(&dir.path().join("no/dir/x.pid")).unwrap_err();
        assert!(err.starts_with("Unable to create the PID file '"), "{err}");
        assert!(err.ends_with("': No such file or directory"), "{err}");
    }
}
