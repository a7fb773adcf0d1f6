//! The pre-shared key that authenticates a TCP IPC connection (an extension:
//! Core has no TCP transport), kept in a key file like RPC's `.cookie`.
//!
//! The file holds 64 hexadecimal digits (32 random bytes) and an optional
//! newline. By default it is `<network datadir>/ipc.cookie`; `-ipcauthfile=<path>`
//! names another. The listening node creates it (mode 0600) when it does not
//! exist and keeps it across restarts, so that a wallet or GUI on another
//! machine can be given a copy once. A connecting process only reads it.
//! What the key is used for: see [`crate::secure`].

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rand::RngCore as _;
use widecoin_interfaces::IpcError;

/// The default key file's name in the network datadir.
pub const DEFAULT_KEY_FILE: &str = "ipc.cookie";

/// A 32-byte pre-shared key. Its `Debug` does not show it; it is wiped when
/// dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct IpcKey([u8; 32]);

impl fmt::Debug for IpcKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IpcKey(..)")
    }
}

impl Drop for IpcKey {
    fn drop(&mut self) {
        // Best effort: the fence keeps the compiler from dropping the wipe.
        self.0 = [0; 32];
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    }
}

impl IpcKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> IpcKey {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        IpcKey(key)
    }

    /// A key with these bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> IpcKey {
        IpcKey(bytes)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// `<net_datadir>/ipc.cookie`, or `authfile` (relative to the network
    /// datadir) when `-ipcauthfile` is given.
    pub fn path(net_datadir: &Path, authfile: Option<&Path>) -> PathBuf {
        net_datadir.join(authfile.unwrap_or(Path::new(DEFAULT_KEY_FILE)))
    }

    /// Reads the key file at `path` (for a connecting process).
    pub fn load(path: &Path) -> Result<IpcKey, IpcError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            IpcError::Transport(format!("cannot read IPC key file {}: {e}", path.display()))
        })?;
        let hex_digits = text.trim_end_matches(['\n', '\r']);
        let mut key = [0u8; 32];
        match hex::decode_to_slice(hex_digits, &mut key) {
            Ok(()) => Ok(IpcKey(key)),
            Err(_) => Err(IpcError::Transport(format!(
                "IPC key file {} must hold 64 hexadecimal digits",
                path.display()
            ))),
        }
    }

    /// Reads the key file at `path`, creating it with a new random key (mode
    /// 0600, parent directories created) when it does not exist (for the
    /// listening node).
    pub fn load_or_create(path: &Path) -> Result<IpcKey, IpcError> {
        if path.exists() {
            return IpcKey::load(path);
        }
        let key = IpcKey::generate();
        let fail = |e: std::io::Error| {
            IpcError::Transport(format!(
                "cannot create IPC key file {}: {e}",
                path.display()
            ))
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                writeln!(file, "{}", hex::encode(key.0)).map_err(fail)?;
                file.sync_all().map_err(fail)?;
                Ok(key)
            }
            // Another process created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => IpcKey::load(path),
            Err(e) => Err(fail(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = IpcKey::path(dir.path(), None);
        assert_eq!(path, dir.path().join("ipc.cookie"));
        assert_eq!(
            IpcKey::path(dir.path(), Some(Path::new("k/x"))),
            dir.path().join("k/x")
        );
        assert!(IpcKey::load(&path).is_err());
        let created = IpcKey::load_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(IpcKey::load(&path).unwrap(), created);
        assert_eq!(IpcKey::load_or_create(&path).unwrap(), created);
        assert_eq!(format!("{created:?}"), "IpcKey(..)");

        std::fs::write(&path, "abc").unwrap();
        let e = IpcKey::load(&path).unwrap_err().to_string();
        assert!(e.ends_with("must hold 64 hexadecimal digits"), "{e}");
        std::fs::write(&path, format!("{}\r\n", "0f".repeat(32))).unwrap();
        assert_eq!(IpcKey::load(&path).unwrap(), IpcKey::from_bytes([0x0f; 32]));
    }
}
