//! The wallet process's view of the node's settings, shared by
//! `widecoin-wallet` (spawned, it takes no arguments and reads them over IPC)
//! and `widecoin-node` (which sandboxes the wallet it spawns to the paths
//! computed here).

use std::path::{Path, PathBuf};

use widecoin_chainparams::ChainType;
use widecoin_interfaces::Chain;
use widecoin_ipc::sandbox::SandboxPolicy;
use widecoin_logging::{LogArgs, LogConfig};

/// Every value of `name` as Core's `GetArgs` gives them: a negation is "0".
pub fn setting_strings(chain: &dyn Chain, name: &str) -> Vec<String> {
    chain
        .get_settings_list(name)
        .unwrap_or_default()
        .iter()
        .filter_map(
            |json| match serde_json::from_str::<serde_json::Value>(json) {
                Ok(serde_json::Value::String(s)) => Some(s),
                Ok(serde_json::Value::Bool(b)) => Some(if b { "1" } else { "0" }.to_string()),
                Ok(serde_json::Value::Null) | Err(_) => None,
                Ok(other) => Some(other.to_string()),
            },
        )
        .collect()
}

fn last(chain: &dyn Chain, name: &str) -> Option<String> {
    setting_strings(chain, name).pop()
}

fn truthy(v: Option<String>) -> bool {
    v.is_some_and(|v| widecoin_logging::interpret_bool(&v))
}

/// The node's network data directory (`<datadir>/<chain sub-dir>`).
pub fn net_dir(chain: &dyn Chain) -> Result<PathBuf, String> {
    let base = match last(chain, "-datadir") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => widecoin_common::args::default_data_dir(),
    };
    let name = match last(chain, "-chain") {
        Some(c) => c,
        None if truthy(last(chain, "-regtest")) => "regtest".into(),
        None if truthy(last(chain, "-testnet")) => "test".into(),
        None if truthy(last(chain, "-signet")) => "signet".into(),
        None => "main".into(),
    };
    let chain_type: ChainType = name.parse().map_err(|_| format!("Unknown chain {name}."))?;
    let sub = chain_type.base_params().data_dir;
    Ok(if sub.is_empty() { base } else { base.join(sub) })
}

/// The node's settings as logging reads them: every value, and the
/// effective one (the command line wins over the config file).
struct NodeLogArgs<'a>(&'a dyn Chain);

impl LogArgs for NodeLogArgs<'_> {
    fn get_args(&self, name: &str) -> Vec<String> {
        setting_strings(self.0, name)
    }
    fn get_arg(&self, name: &str) -> Option<String> {
        self.0.get_setting(name).ok().flatten()
    }
    fn is_arg_negated(&self, name: &str) -> bool {
        self.get_arg(name).as_deref() == Some("0")
    }
}

/// The node's logging options, for the wallet process to log as the node
/// does (into the same debug.log, with its own process name on IPC lines).
pub fn log_config(chain: &dyn Chain, net_dir: &Path) -> Result<LogConfig, String> {
    let args = NodeLogArgs(chain);
    let mut config = LogConfig::from_args(&args, net_dir).map_err(|e| e.to_string())?;
    // The node owns debug.log: never shrink it from here.
    config.shrink_debug_file = false;
    Ok(config)
}

/// What a spawned wallet may touch: its wallet directory (`-walletdir`, else
/// `<net datadir>/wallets`, created here) and the node's debug.log read-write,
/// the config file read-only.
pub fn sandbox_policy(chain: &dyn Chain) -> Result<SandboxPolicy, String> {
    let net_dir = net_dir(chain)?;
    let wallet_dir = match last(chain, "-walletdir") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => net_dir.join("wallets"),
    };
    std::fs::create_dir_all(&wallet_dir)
        .map_err(|e| format!("cannot create {}: {e}", wallet_dir.display()))?;
    let mut read_write = vec![wallet_dir];
    if let Some(log) = log_config(chain, &net_dir)?.debug_log_file {
        read_write.push(log);
    }
    let datadir = net_dir
        .parent()
        .filter(|_| net_dir.file_name().is_some())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| net_dir.clone());
    let conf = last(chain, "-conf").unwrap_or_else(|| "widecoin.conf".into());
    let conf = PathBuf::from(conf);
    let conf = if conf.is_absolute() {
        conf
    } else {
        datadir.join(conf)
    };
    Ok(SandboxPolicy {
        read_write,
        read_only: vec![conf],
    })
}
