//! Everything `widecoin-cli` takes from its options and `widecoin.conf`,
//! resolved once after start-up into a plain [`Config`].
//!
//! The options come through the small [`ArgSource`] trait so that the rest of
//! the crate does not depend on how arguments are parsed.

use std::path::PathBuf;

use widecoin_chainparams::ChainType;

/// `-rpcconnect`'s default.
pub const DEFAULT_RPCCONNECT: &str = "127.0.0.1";
/// `-rpcclienttimeout`'s default, in seconds.
pub const DEFAULT_HTTP_CLIENT_TIMEOUT: i64 = 900;
/// `-rpcwaittimeout`'s default (0: wait forever).
pub const DEFAULT_WAIT_CLIENT_TIMEOUT: i64 = 0;
/// `-named`'s default.
pub const DEFAULT_NAMED: bool = false;
/// The cookie file name in the network's data directory (`COOKIEAUTH_FILE`).
pub const COOKIEAUTH_FILE: &str = ".cookie";

/// Read access to parsed options, with `ArgsManager`'s semantics (settings
/// from the command line override the config file; `-noX` negates).
pub trait ArgSource {
    fn get_arg(&self, name: &str) -> Option<String>;
    fn is_arg_set(&self, name: &str) -> bool;
    fn get_bool_arg(&self, name: &str, default: bool) -> bool;
    fn get_int_arg(&self, name: &str, default: i64) -> i64;
}

/// Which request handler runs (chosen in `CommandLineRPC`'s order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `-getinfo`.
    GetInfo,
    /// `-netinfo [level|help]`.
    NetInfo,
    /// `-generate [nblocks [maxtries]]`.
    Generate,
    /// `-addrinfo`.
    AddrInfo,
    /// `<command> [params]`.
    Default,
}

/// The resolved settings of one `widecoin-cli` run.
#[derive(Debug, Clone)]
pub struct Config {
    pub chain: ChainType,
    /// Host from `-rpcconnect`, without a port or IPv6 brackets.
    pub host: String,
    pub port: u16,
    pub rpcuser: String,
    /// Empty means: use the cookie file.
    pub rpcpassword: String,
    pub cookie_file: PathBuf,
    /// Shown when no credentials can be found.
    pub config_file: PathBuf,
    pub rpcwait: bool,
    pub rpcwaittimeout: i64,
    pub rpcwallet: Option<String>,
    /// Seconds; 0 or less means no timeout.
    pub rpcclienttimeout: i64,
    pub named: bool,
    pub stdin: bool,
    pub stdinrpcpass: bool,
    pub stdinwalletpassphrase: bool,
    pub mode: Mode,
    /// `-getinfo` given and not negated: print the human-readable summary.
    pub getinfo_text: bool,
    /// `-color`, when given.
    pub color: Option<String>,
    /// The pause between attempts under `-rpcwait`: one second, as in Core
    /// (not an option; tests shorten it).
    pub retry_delay: std::time::Duration,
}

impl Config {
    /// Settings for `chain` with every option at its default (handy for tests).
    pub fn defaults(chain: ChainType, cookie_file: PathBuf, config_file: PathBuf) -> Config {
        Config {
            chain,
            host: DEFAULT_RPCCONNECT.to_owned(),
            port: chain.base_params().rpc_port,
            rpcuser: String::new(),
            rpcpassword: String::new(),
            cookie_file,
            config_file,
            rpcwait: false,
            rpcwaittimeout: DEFAULT_WAIT_CLIENT_TIMEOUT,
            rpcwallet: None,
            rpcclienttimeout: DEFAULT_HTTP_CLIENT_TIMEOUT,
            named: DEFAULT_NAMED,
            stdin: false,
            stdinrpcpass: false,
            stdinwalletpassphrase: false,
            mode: Mode::Default,
            getinfo_text: false,
            color: None,
            retry_delay: std::time::Duration::from_secs(1),
        }
    }

    /// Resolves the options of `args` for `chain`. `cookie_file` is the
    /// absolute path of `-rpccookiefile` (default [`COOKIEAUTH_FILE`] in the
    /// network's data directory), `config_file` the config file's path.
    pub fn from_args(
        args: &dyn ArgSource,
        chain: ChainType,
        cookie_file: PathBuf,
        config_file: PathBuf,
    ) -> Config {
        let mut c = Config::defaults(chain, cookie_file, config_file);
        // Port preference: -rpcport, then a port in -rpcconnect, then the chain's.
        let connect = args
            .get_arg("-rpcconnect")
            .unwrap_or_else(|| DEFAULT_RPCCONNECT.to_owned());
        let (port, host) = split_host_port(&connect, c.port);
        c.host = host;
        // Core stores GetIntArg's int64 in a uint16_t: keep the low 16 bits.
        c.port = args.get_int_arg("-rpcport", i64::from(port)) as u16;
        c.rpcuser = args.get_arg("-rpcuser").unwrap_or_default();
        c.rpcpassword = args.get_arg("-rpcpassword").unwrap_or_default();
        c.rpcwait = args.get_bool_arg("-rpcwait", false);
        c.rpcwaittimeout = args.get_int_arg("-rpcwaittimeout", DEFAULT_WAIT_CLIENT_TIMEOUT);
        if args.is_arg_set("-rpcwallet") {
            c.rpcwallet = Some(args.get_arg("-rpcwallet").unwrap_or_default());
        }
        c.rpcclienttimeout = args.get_int_arg("-rpcclienttimeout", DEFAULT_HTTP_CLIENT_TIMEOUT);
        c.named = args.get_bool_arg("-named", DEFAULT_NAMED);
        c.stdin = args.get_bool_arg("-stdin", false);
        c.stdinrpcpass = args.get_bool_arg("-stdinrpcpass", false);
        c.stdinwalletpassphrase = args.get_bool_arg("-stdinwalletpassphrase", false);
        c.mode = if args.is_arg_set("-getinfo") {
            Mode::GetInfo
        } else if args.get_bool_arg("-netinfo", false) {
            Mode::NetInfo
        } else if args.get_bool_arg("-generate", false) {
            Mode::Generate
        } else if args.get_bool_arg("-addrinfo", false) {
            Mode::AddrInfo
        } else {
            Mode::Default
        };
        c.getinfo_text = args.get_bool_arg("-getinfo", false);
        if args.is_arg_set("-color") {
            c.color = Some(args.get_arg("-color").unwrap_or_default());
        }
        c
    }
}

/// Splits `host:port` like Core's `SplitHostPort`: a trailing `:port` counts
/// when the host is bracketed (`[::1]:8552`) or has no other colon; a port
/// that does not parse leaves the whole text as the host. Returns the port
/// (`default` when none) and the host without IPv6 brackets.
pub fn split_host_port(input: &str, default: u16) -> (u16, String) {
    let mut port = default;
    let mut rest = input;
    if let Some(colon) = input.rfind(':') {
        let bracketed = input.starts_with('[') && input[..colon].ends_with(']');
        let multi_colon = colon != 0 && input[..colon].contains(':');
        if colon == 0 || bracketed || !multi_colon {
            if let Some(n) = parse_u16(&input[colon + 1..]) {
                rest = &input[..colon];
                port = n;
            }
        }
    }
    let host = if rest.len() >= 2 && rest.starts_with('[') && rest.ends_with(']') {
        &rest[1..rest.len() - 1]
    } else {
        rest
    };
    (port, host.to_owned())
}

/// Core's `ParseUInt16`: an optional '+', decimal digits only, in range.
fn parse_u16(text: &str) -> Option<u16> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_splitting() {
        assert_eq!(split_host_port("127.0.0.1", 1), (1, "127.0.0.1".into()));
        assert_eq!(split_host_port("127.0.0.1:99", 1), (99, "127.0.0.1".into()));
        assert_eq!(split_host_port("[::1]:99", 1), (99, "::1".into()));
        assert_eq!(split_host_port("[::1]", 1), (1, "::1".into()));
        assert_eq!(split_host_port("::1", 1), (1, "::1".into()));
        assert_eq!(split_host_port("host:", 1), (1, "host:".into()));
        assert_eq!(split_host_port("host:x", 1), (1, "host:x".into()));
        assert_eq!(split_host_port("host:70000", 1), (1, "host:70000".into()));
        assert_eq!(split_host_port("host:+5", 1), (5, "host".into()));
    }
}
