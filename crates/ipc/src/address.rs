//! IPC addresses as `-ipcbind` (node) and `-ipcconnect` (wallet, GUI, cli)
//! take them (Core's `ParseAddress`, `src/ipc/process.cpp`), plus TCP, which
//! Core never built.
//!
//! | address | meaning |
//! |---|---|
//! | `unix` or `unix:` | `<network datadir>/node.sock` |
//! | `unix:<path>` | `<path>`, relative to the network datadir (an absolute path stays absolute) |
//! | `tcp:<port>` or `tcp::<port>` | `127.0.0.1:<port>`: loopback unless a host is given |
//! | `tcp:<host>:<port>` | `<host>:<port>` (IPv6 in brackets: `tcp:[::1]:<port>`); always authenticated and encrypted, see [`crate::auth`] |
//!
//! The connecting side's `-ipcconnect` adds two values that are not addresses
//! (Core's `connectAddress`), handled by [`ConnectArg::parse`]:
//! - `auto` (what a wallet or GUI does without `-ipcconnect`): like `unix`,
//!   but a socket that does not exist, refuses connections or whose path is
//!   too long is no error: the process then works without a node connection
//!   (or spawns its own node).
//! - `-noipcconnect` (the value `0`) or an empty value: do not connect.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs as _};
use std::path::{Path, PathBuf};

/// The file name of the default socket in the network datadir: Core names it
/// after the listening executable without its `bitcoin-` prefix.
pub const DEFAULT_SOCKET_NAME: &str = "node.sock";

/// The size of `sockaddr_un.sun_path` on Linux; a path must fit with its
/// terminating NUL, so at most `SUN_PATH_MAX - 1` bytes.
pub const SUN_PATH_MAX: usize = 108;

/// A parsed IPC address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpcAddress {
    /// A unix domain socket at this (datadir-resolved) path.
    Unix(PathBuf),
    /// A TCP endpoint; the host as given (for messages) and its resolution.
    Tcp {
        /// `host:port` as given, or `127.0.0.1:<port>` when no host was given.
        host: String,
        /// The port.
        port: u16,
    },
}

impl IpcAddress {
    /// Parses `-ipcbind` / `-ipcconnect` value `s`, resolving relative unix
    /// paths against `net_datadir` (e.g. `~/.widecoin/regtest`). Errors are
    /// Core's texts where Core has one.
    pub fn parse(s: &str, net_datadir: &Path) -> Result<IpcAddress, String> {
        if s == "unix" || s.starts_with("unix:") {
            let rest = &s[4..];
            let rest = rest.strip_prefix(':').unwrap_or(rest);
            let path = if rest.is_empty() {
                net_datadir.join(DEFAULT_SOCKET_NAME)
            } else {
                net_datadir.join(rest)
            };
            let len = path.as_os_str().len();
            if len >= SUN_PATH_MAX {
                return Err(format!(
                    "Unix address path {:?} exceeded maximum socket path length ({len} bytes; at most {} allowed)",
                    path.display().to_string(),
                    SUN_PATH_MAX - 1
                ));
            }
            return Ok(IpcAddress::Unix(path));
        }
        if let Some(rest) = s.strip_prefix("tcp:") {
            return parse_tcp(rest).map_err(|why| format!("Invalid TCP address '{s}': {why}"));
        }
        Err(format!("Unrecognized address '{s}'"))
    }

    /// The socket addresses a TCP address resolves to (IP literals without a
    /// lookup).
    pub fn socket_addrs(&self) -> Result<Vec<SocketAddr>, String> {
        match self {
            IpcAddress::Unix(_) => Err("not a TCP address".into()),
            IpcAddress::Tcp { host, port } => {
                let bare = host
                    .strip_prefix('[')
                    .and_then(|h| h.strip_suffix(']'))
                    .unwrap_or(host);
                if let Ok(ip) = bare.parse::<IpAddr>() {
                    return Ok(vec![SocketAddr::new(ip, *port)]);
                }
                let addrs: Vec<SocketAddr> = (bare, *port)
                    .to_socket_addrs()
                    .map_err(|e| format!("cannot resolve {host}: {e}"))?
                    .collect();
                if addrs.is_empty() {
                    return Err(format!("cannot resolve {host}"));
                }
                Ok(addrs)
            }
        }
    }
}

fn parse_tcp(rest: &str) -> Result<IpcAddress, String> {
    // `<port>`, `:<port>`, `<host>:<port>`, `[v6]:<port>`.
    let (host, port) = match rest.rfind(':') {
        Some(i) if !rest.starts_with('[') || rest[..i].ends_with(']') => {
            (&rest[..i], &rest[i + 1..])
        }
        None => ("", rest),
        Some(_) => return Err("expected [<IPv6 address>]:<port>".into()),
    };
    let port: u16 = port.parse().map_err(|_| format!("invalid port '{port}'"))?;
    let host = if host.is_empty() {
        Ipv4Addr::LOCALHOST.to_string()
    } else if host.contains(':') && !host.starts_with('[') {
        return Err("an IPv6 host must be in brackets: tcp:[<address>]:<port>".into());
    } else {
        host.to_string()
    };
    Ok(IpcAddress::Tcp { host, port })
}

impl fmt::Display for IpcAddress {
    /// `unix:<absolute or datadir-joined path>` or `tcp:<host>:<port>`, as
    /// the `Listening for IPC requests on address ...` line shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpcAddress::Unix(path) => write!(f, "unix:{}", path.display()),
            IpcAddress::Tcp { host, port } => write!(f, "tcp:{host}:{port}"),
        }
    }
}

/// What a connecting process's `-ipcconnect` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectArg {
    /// `-noipcconnect`, `-ipcconnect=0` or `-ipcconnect=`: do not connect.
    Disabled,
    /// `auto` (the default): try `unix`; no socket is not an error.
    Auto(IpcAddress),
    /// An explicit address: failing to connect is an error.
    Address(IpcAddress),
}

impl ConnectArg {
    /// Parses a `-ipcconnect` value (`None` when the option is not given,
    /// which means `auto`).
    pub fn parse(value: Option<&str>, net_datadir: &Path) -> Result<ConnectArg, String> {
        match value {
            Some("" | "0") => Ok(ConnectArg::Disabled),
            None | Some("auto") => match IpcAddress::parse("unix", net_datadir) {
                Ok(a) => Ok(ConnectArg::Auto(a)),
                // Core: a too-long default path just means "no node to talk to".
                Err(_) => Ok(ConnectArg::Disabled),
            },
            Some(s) => IpcAddress::parse(s, net_datadir).map(ConnectArg::Address),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dd() -> PathBuf {
        PathBuf::from("/home/u/.widecoin/regtest")
    }

    #[test]
    fn unix_addresses() {
        let p = |s| IpcAddress::parse(s, &dd());
        assert_eq!(p("unix"), Ok(IpcAddress::Unix(dd().join("node.sock"))));
        assert_eq!(p("unix:"), Ok(IpcAddress::Unix(dd().join("node.sock"))));
        assert_eq!(
            p("unix:x/n.sock"),
            Ok(IpcAddress::Unix(dd().join("x/n.sock")))
        );
        assert_eq!(
            p("unix:/tmp/a.sock"),
            Ok(IpcAddress::Unix("/tmp/a.sock".into()))
        );
        assert_eq!(
            p("unix").unwrap().to_string(),
            "unix:/home/u/.widecoin/regtest/node.sock"
        );
        assert_eq!(p("unixx"), Err("Unrecognized address 'unixx'".into()));
        assert_eq!(p("pipe:x"), Err("Unrecognized address 'pipe:x'".into()));
        assert_eq!(p(""), Err("Unrecognized address ''".into()));
    }

    #[test]
    fn the_sun_path_limit_fails_clearly() {
        let ok = format!("/{}", "a".repeat(SUN_PATH_MAX - 2));
        assert!(IpcAddress::parse(&format!("unix:{ok}"), &dd()).is_ok());
        let long = format!("/{}", "a".repeat(SUN_PATH_MAX - 1));
        let e = IpcAddress::parse(&format!("unix:{long}"), &dd()).unwrap_err();
        assert_eq!(
            e,
            format!(
                "Unix address path \"{long}\" exceeded maximum socket path length (108 bytes; at most 107 allowed)"
            )
        );
    }

    #[test]
    fn tcp_addresses() {
        let p = |s| IpcAddress::parse(s, &dd());
        let tcp = |h: &str, port| {
            Ok(IpcAddress::Tcp {
                host: h.into(),
                port,
            })
        };
        assert_eq!(p("tcp:8400"), tcp("127.0.0.1", 8400));
        assert_eq!(p("tcp::8400"), tcp("127.0.0.1", 8400));
        assert_eq!(p("tcp:0.0.0.0:8400"), tcp("0.0.0.0", 8400));
        assert_eq!(p("tcp:[::1]:8400"), tcp("[::1]", 8400));
        assert_eq!(p("tcp:localhost:1"), tcp("localhost", 1));
        assert_eq!(p("tcp:8400").unwrap().to_string(), "tcp:127.0.0.1:8400");
        assert_eq!(
            p("tcp:[::1]:8400").unwrap().socket_addrs().unwrap(),
            vec!["[::1]:8400".parse().unwrap()]
        );
        assert_eq!(
            p("tcp:host:x"),
            Err("Invalid TCP address 'tcp:host:x': invalid port 'x'".into())
        );
        assert_eq!(
            p("tcp:70000"),
            Err("Invalid TCP address 'tcp:70000': invalid port '70000'".into())
        );
        assert!(p("tcp:::1:5").is_err());
        assert!(p("tcp:[::1]").is_err());
        assert!(p("tcp:").is_err());
    }

    #[test]
    fn connect_arguments() {
        let unix = IpcAddress::Unix(dd().join("node.sock"));
        assert_eq!(
            ConnectArg::parse(None, &dd()),
            Ok(ConnectArg::Auto(unix.clone()))
        );
        assert_eq!(
            ConnectArg::parse(Some("auto"), &dd()),
            Ok(ConnectArg::Auto(unix.clone()))
        );
        assert_eq!(
            ConnectArg::parse(Some("0"), &dd()),
            Ok(ConnectArg::Disabled)
        );
        assert_eq!(ConnectArg::parse(Some(""), &dd()), Ok(ConnectArg::Disabled));
        assert_eq!(
            ConnectArg::parse(Some("unix"), &dd()),
            Ok(ConnectArg::Address(unix))
        );
        assert!(ConnectArg::parse(Some("bogus"), &dd()).is_err());
        let deep = PathBuf::from(format!("/{}", "d".repeat(SUN_PATH_MAX)));
        assert_eq!(ConnectArg::parse(None, &deep), Ok(ConnectArg::Disabled));
    }
}
