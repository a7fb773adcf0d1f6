//! Start-up configuration shared by the node binaries (Core's
//! `common::InitConfig`, `src/common/init.cpp`): data directory check, config
//! files, chain selection, data directory creation, the ignored-config check
//! and `settings.json`.

use std::path::Path;

use crate::args::{ArgsManager, WIDECOIN_CONF_FILENAME};

/// What failed in [`init_config`] (Core's `ConfigStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigStatus {
    Failed,
    FailedWrite,
}

/// A start-up configuration error (Core's `ConfigError`): `message` is what
/// the node prints after `Error: `; `details` are the settings file errors.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    pub status: ConfigStatus,
    pub message: String,
    pub details: Vec<String>,
}

impl ConfigError {
    fn failed(message: impl Into<String>) -> Self {
        ConfigError {
            status: ConfigStatus::Failed,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// The message with the details appended as Core's `InitError` shows
    /// them: `message:\n- detail1\n- detail2`.
    pub fn full_message(&self) -> String {
        if self.details.is_empty() {
            return self.message.clone();
        }
        let list: Vec<String> = self.details.iter().map(|d| format!("- {d}")).collect();
        format!("{}:\n{}", self.message, list.join("\n"))
    }
}

/// Core's `std::filesystem::quoted`: the text in double quotes, with `"` and
/// `\` escaped.
fn quoted(text: &str) -> String {
    let mut s = String::from('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

/// Reads the configuration of a node binary after `parse_parameters` and
/// selects the chain (`select_config_network`). Creates the data directories
/// (with `wallets/`), refuses a `widecoin.conf` in the data directory that a
/// `datadir=` or `-conf` would ignore, and reads then rewrites `settings.json`.
pub fn init_config(args: &mut ArgsManager) -> Result<(), ConfigError> {
    if !args.check_data_dir_option() {
        return Err(ConfigError::failed(format!(
            "Specified data directory \"{}\" does not exist.",
            args.get_arg_or("-datadir", "")
        )));
    }
    let orig_datadir_path = args.get_data_dir_base().map_err(ConfigError::failed)?;
    let conf = args.get_path_arg("-conf", Path::new(WIDECOIN_CONF_FILENAME));
    let orig_config_path = args.abs_path_for_config_val(&conf, false);

    args.read_config_files()
        .map_err(|e| ConfigError::failed(format!("Error reading configuration file: {e}")))?;

    let chain = args.get_chain_type().map_err(ConfigError::failed)?;
    args.select_config_network(chain.as_str());

    let create = |path: &Path| {
        if !path.exists() {
            std::fs::create_dir_all(path.join("wallets"))
                .map_err(|e| ConfigError::failed(format!("{}: {e}", path.display())))?;
        }
        Ok::<(), ConfigError>(())
    };
    let base_path = args.get_data_dir_base().map_err(ConfigError::failed)?;
    create(&base_path)?;
    let net_path = args.get_data_dir_net().map_err(ConfigError::failed)?;
    create(&net_path)?;

    let base_config_path = base_path.join(WIDECOIN_CONF_FILENAME);
    if base_config_path.exists() && !same_file(&orig_config_path, &base_config_path) {
        let cli_config_path = args.get_arg_or("-conf", "");
        let config_source = if cli_config_path.is_empty() {
            format!(
                "data directory {}",
                quoted(&orig_datadir_path.display().to_string())
            )
        } else {
            format!(
                "command line argument {}",
                quoted(&format!("-conf={cli_config_path}"))
            )
        };
        let base = quoted(&base_path.display().to_string());
        let name = quoted(WIDECOIN_CONF_FILENAME);
        let error = format!(
            "Data directory {base} contains a {name} file which is ignored, because a different configuration file \
             {} from {config_source} is being used instead. Possible ways to address this would be to:\n\
             - Delete or rename the {name} file in data directory {base}.\n\
             - Change datadir= or conf= options to specify one configuration file, not two, and use \
             includeconf= to include any other configuration files.\n\
             - Set allowignoredconf=1 option to treat this condition as a warning, not an error.",
            quoted(&orig_config_path.display().to_string()),
        );
        if args.get_bool_arg("-allowignoredconf", false) {
            args.log_messages.push(format!("Warning: {error}"));
        } else {
            return Err(ConfigError::failed(error));
        }
    }

    if args.get_settings_path(false, false).is_some() {
        if let Err(details) = args.read_settings_file() {
            return Err(ConfigError {
                status: ConfigStatus::Failed,
                message: "Settings file could not be read".to_string(),
                details,
            });
        }
        if let Err(details) = args.write_settings_file() {
            return Err(ConfigError {
                status: ConfigStatus::FailedWrite,
                message: "Settings file could not be written".to_string(),
                details,
            });
        }
    }
    Ok(())
}

/// `std::filesystem::equivalent`: both exist and are the same file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
