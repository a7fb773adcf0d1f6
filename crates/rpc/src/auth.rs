//! RPC authentication: the cookie file (`src/rpc/request.cpp`), `-rpcuser`/
//! `-rpcpassword`, `-rpcauth` and `-rpcwhitelist` (`src/httprpc.cpp`).

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::server::ServerError;

/// The user name of cookie authentication.
pub const COOKIEAUTH_USER: &str = "__cookie__";
/// The default cookie file name.
pub const COOKIEAUTH_FILE: &str = ".cookie";

/// Authentication settings, from the node's arguments.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// `-rpcuser`.
    pub rpc_user: String,
    /// `-rpcpassword`; when empty a random cookie is generated instead.
    pub rpc_password: String,
    /// `-rpcauth` values (`user:salt$hash`), unparsed.
    pub rpc_auth: Vec<String>,
    /// `-rpcwhitelist` values (`user:method,method`), unparsed.
    pub whitelist: Vec<String>,
    /// `-rpcwhitelistdefault`; `None` when not given (then it is on exactly
    /// when some `-rpcwhitelist` is given).
    pub whitelist_default: Option<bool>,
    /// Where to write the cookie (see [`cookie_path`]).
    pub cookie_file: PathBuf,
}

/// Cookie file errors, with Core's log messages.
#[derive(Debug, thiserror::Error)]
pub enum CookieError {
    #[error("Unable to open cookie authentication file {0} for writing")]
    Open(String),
    #[error("Unable to rename cookie authentication file {0} to {1}")]
    Rename(String, String),
}

/// The cookie file path: `-rpccookiefile` (default `.cookie`), relative
/// paths taken from the network-specific data directory (`GetAuthCookieFile`).
pub fn cookie_path(net_datadir: &Path, rpccookiefile: Option<&str>) -> PathBuf {
    let file = Path::new(rpccookiefile.unwrap_or(COOKIEAUTH_FILE));
    if file.is_absolute() {
        file.to_path_buf()
    } else {
        net_datadir.join(file)
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

/// `GenerateAuthCookie`: writes `__cookie__:<64 hex>` to `<path>.tmp` (mode
/// 0600), renames it over `path`, and returns the `user:password` string.
pub fn generate_auth_cookie(path: &Path) -> Result<String, CookieError> {
    let secret: [u8; 32] = rand::random();
    let cookie = format!("{COOKIEAUTH_USER}:{}", hex::encode(secret));
    let tmp = temp_path(path);
    let write = || -> std::io::Result<()> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(cookie.as_bytes())
    };
    if write().is_err() {
        let e = CookieError::Open(tmp.display().to_string());
        tracing::info!("{e}");
        return Err(e);
    }
    if std::fs::rename(&tmp, path).is_err() {
        let e = CookieError::Rename(tmp.display().to_string(), path.display().to_string());
        tracing::info!("{e}");
        return Err(e);
    }
    tracing::info!("Generated RPC authentication cookie {}", path.display());
    Ok(cookie)
}

/// `GetAuthCookie` for clients: the first line of the cookie file split at
/// its first `:` into user and password.
pub fn read_auth_cookie(path: &Path) -> Option<(String, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().next().unwrap_or("");
    let (user, pass) = line.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

/// `DeleteAuthCookie`.
pub fn delete_auth_cookie(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::info!("DeleteAuthCookie: Unable to remove random auth cookie file: {e}");
        }
    }
}

/// `TimingResistantEqual`: the time taken depends only on `a`'s length.
fn timing_resistant_equal(a: &[u8], b: &[u8]) -> bool {
    if b.is_empty() {
        return a.is_empty();
    }
    let mut acc = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        acc |= usize::from(x ^ b[i % b.len()]);
    }
    acc == 0
}

/// The hex HMAC-SHA256 of `password` keyed with `salt` (share/rpcauth).
pub(crate) fn rpcauth_hmac(salt: &str, password: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(salt.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(password);
    hex::encode(mac.finalize().into_bytes())
}

/// The checks `InitRPCAuthentication` prepares and `RPCAuthorized` runs.
#[derive(Debug, Default)]
pub(crate) struct Authenticator {
    user_colon_pass: Vec<u8>,
    rpcauth: Vec<(String, String, String)>,
    whitelist: HashMap<String, BTreeSet<String>>,
    whitelist_default: bool,
    /// The cookie file this server wrote (deleted at stop).
    pub(crate) cookie: Option<PathBuf>,
}

impl Authenticator {
    /// `InitRPCAuthentication`.
    pub(crate) fn new(cfg: &AuthConfig) -> Result<Self, ServerError> {
        let mut auth = Authenticator::default();
        if cfg.rpc_password.is_empty() {
            tracing::info!("Using random cookie authentication.");
            auth.user_colon_pass = generate_auth_cookie(&cfg.cookie_file)?.into_bytes();
            auth.cookie = Some(cfg.cookie_file.clone());
        } else {
            tracing::info!("Config options rpcuser and rpcpassword will soon be deprecated. Locally-run instances may remove rpcuser to use cookie-based auth, or may be replaced with rpcauth. Please see share/rpcauth for rpcauth auth generation.");
            auth.user_colon_pass = format!("{}:{}", cfg.rpc_user, cfg.rpc_password).into_bytes();
        }
        if cfg.rpc_auth.last().is_some_and(|last| !last.is_empty()) {
            tracing::info!("Using rpcauth authentication.");
            for entry in &cfg.rpc_auth {
                let fields: Vec<&str> = entry.split(':').collect();
                let salt_hmac: Vec<&str> = fields.last().map_or(vec![], |f| f.split('$').collect());
                if fields.len() == 2 && salt_hmac.len() == 2 {
                    auth.rpcauth
                        .push((fields[0].into(), salt_hmac[0].into(), salt_hmac[1].into()));
                } else {
                    tracing::info!("Invalid -rpcauth argument.");
                    if let Some(cookie) = &auth.cookie {
                        delete_auth_cookie(cookie);
                    }
                    return Err(ServerError::InvalidRpcAuth);
                }
            }
        }

        auth.whitelist_default = cfg.whitelist_default.unwrap_or(!cfg.whitelist.is_empty());
        for entry in &cfg.whitelist {
            let (user, methods) = match entry.split_once(':') {
                Some((u, m)) => (u, Some(m)),
                None => (entry.as_str(), None),
            };
            let seen = auth.whitelist.contains_key(user);
            let current = auth.whitelist.entry(user.to_string()).or_default();
            if let Some(methods) = methods {
                let new: BTreeSet<String> = methods.split([',', ' ']).map(str::to_string).collect();
                *current = if seen {
                    new.intersection(current).cloned().collect()
                } else {
                    new
                };
            }
        }
        Ok(auth)
    }

    /// `RPCAuthorized`: whether the `Authorization` header is valid, and the
    /// user name it claims (set even when the password is wrong).
    pub(crate) fn authorize(&self, header: &str) -> (bool, String) {
        if self.user_colon_pass.is_empty() {
            return (false, String::new());
        }
        let Some(encoded) = header.strip_prefix("Basic ") else {
            return (false, String::new());
        };
        let encoded = encoded.trim_matches([' ', '\x0c', '\n', '\r', '\t', '\x0b']);
        let Ok(user_pass) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
            return (false, String::new());
        };
        let colon = user_pass.iter().position(|&c| c == b':');
        let user = colon.map_or(String::new(), |p| {
            String::from_utf8_lossy(&user_pass[..p]).into_owned()
        });
        if timing_resistant_equal(&user_pass, &self.user_colon_pass) {
            return (true, user);
        }
        let Some(colon) = colon else {
            return (false, user);
        };
        let (name, pass) = (&user_pass[..colon], &user_pass[colon + 1..]);
        let ok = self.rpcauth.iter().any(|(entry_user, salt, hash)| {
            timing_resistant_equal(name, entry_user.as_bytes())
                && timing_resistant_equal(rpcauth_hmac(salt, pass).as_bytes(), hash.as_bytes())
        });
        (ok, user)
    }

    /// The methods `user` may call, when the user has a whitelist.
    pub(crate) fn whitelist(&self, user: &str) -> Option<&BTreeSet<String>> {
        self.whitelist.get(user)
    }

    /// `g_rpc_whitelist_default`.
    pub(crate) fn whitelist_default(&self) -> bool {
        self.whitelist_default
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user_pass: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_pass)
        )
    }

    fn config(dir: &Path) -> AuthConfig {
        AuthConfig {
            cookie_file: dir.join(".cookie"),
            ..Default::default()
        }
    }

    #[test]
    fn rpcauth_hmac_matches_share_rpcauth() {
        // Vector from test/functional/rpc_users.py.
        assert_eq!(
            rpcauth_hmac(
                "93648e835a54c573682c2eb19f882535",
                b"cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM="
            ),
            "7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144"
        );
        // Computed independently with Python's hmac module.
        assert_eq!(
            rpcauth_hmac("cb77f0957de88ff388cf817ddbc7273", b"pass"),
            "00f38ebf667f384f94165d44e8bbe088d5726d392b4f36d6100bb5b6f6685e48"
        );
    }

    #[test]
    fn password_and_rpcauth() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(dir.path());
        cfg.rpc_user = "u".into();
        cfg.rpc_password = "p".into();
        cfg.rpc_auth = vec![
            "rt:93648e835a54c573682c2eb19f882535$7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144".into(),
        ];
        let a = Authenticator::new(&cfg).unwrap();
        assert!(!dir.path().join(".cookie").exists());
        assert_eq!(a.authorize(&basic("u:p")), (true, "u".into()));
        assert_eq!(a.authorize(&basic("u:q")), (false, "u".into()));
        assert!(
            a.authorize(&basic("rt:cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM="))
                .0
        );
        assert!(!a.authorize(&basic("rt:wrong")).0);
        assert!(
            !a.authorize(&basic("rtx:cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM="))
                .0
        );
        assert!(!a.authorize("Bearer x").0);
        assert!(!a.authorize("Basic !!!").0);
        assert!(a.authorize(&format!("{}  ", basic("u:p"))).0);

        cfg.rpc_auth.push("bad".into());
        assert!(matches!(
            Authenticator::new(&cfg),
            Err(ServerError::InvalidRpcAuth)
        ));
        cfg.rpc_auth = vec!["a:b:c$d".into()];
        assert!(matches!(
            Authenticator::new(&cfg),
            Err(ServerError::InvalidRpcAuth)
        ));
    }

    #[test]
    fn cookie_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let a = Authenticator::new(&config(dir.path())).unwrap();
        let path = dir.path().join(".cookie");
        let (user, pass) = read_auth_cookie(&path).unwrap();
        assert_eq!(user, COOKIEAUTH_USER);
        assert_eq!(pass.len(), 64);
        assert!(a.authorize(&basic(&format!("{user}:{pass}"))).0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(!dir.path().join(".cookie.tmp").exists());
        delete_auth_cookie(&path);
        assert!(read_auth_cookie(&path).is_none());
        assert_eq!(
            cookie_path(Path::new("/d/regtest"), Some("c/x")),
            PathBuf::from("/d/regtest/c/x")
        );
        assert_eq!(
            cookie_path(Path::new("/d"), Some("/abs")),
            PathBuf::from("/abs")
        );
        assert_eq!(
            cookie_path(Path::new("/d"), None),
            PathBuf::from("/d/.cookie")
        );
    }

    #[test]
    fn whitelists() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(dir.path());
        cfg.rpc_password = "p".into();
        cfg.whitelist = vec![
            "u1:getinfo,help stop".into(),
            "u1:help,stop".into(),
            "u2".into(),
        ];
        let a = Authenticator::new(&cfg).unwrap();
        assert!(a.whitelist_default());
        let u1: Vec<&str> = a
            .whitelist("u1")
            .unwrap()
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(u1, ["help", "stop"]);
        assert!(a.whitelist("u2").unwrap().is_empty());
        assert!(a.whitelist("u3").is_none());
        cfg.whitelist_default = Some(false);
        assert!(!Authenticator::new(&cfg).unwrap().whitelist_default());
        cfg.whitelist.clear();
        cfg.whitelist_default = None;
        assert!(!Authenticator::new(&cfg).unwrap().whitelist_default());
    }
}
