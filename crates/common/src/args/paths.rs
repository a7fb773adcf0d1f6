//! Paths from arguments: the data directory, the blocks directory, the config
//! and settings files (Core's `GetDataDir`, `GetPathArg`, `AbsPathForConfigVal`,
//! `GetSettingsPath`, `ReadSettingsFile`, `WriteSettingsFile`).

use std::path::{Component, Path, PathBuf};

use widecoin_chainparams::ChainType;

use super::parse::interpret_key;
use super::{ArgsManager, WIDECOIN_SETTINGS_FILENAME};
use crate::settings;

/// The default data directory: `~/.widecoin` on Unix,
/// `~/Library/Application Support/Widecoin` on macOS, `%APPDATA%\Widecoin`
/// on Windows (Core's `GetDefaultDataDir`).
pub fn default_data_dir() -> PathBuf {
    #[cfg(windows)]
    {
        let appdata = std::env::var_os("APPDATA").unwrap_or_default();
        PathBuf::from(appdata).join("Widecoin")
    }
    #[cfg(not(windows))]
    {
        let home = match std::env::var_os("HOME") {
            Some(h) if !h.is_empty() => PathBuf::from(h),
            _ => PathBuf::from("/"),
        };
        if cfg!(target_os = "macos") {
            home.join("Library/Application Support/Widecoin")
        } else {
            home.join(".widecoin")
        }
    }
}

/// Removes `.` components, `dir/..` pairs and trailing separators, without
/// touching the file system (`std::filesystem::path::lexically_normal`
/// followed by Core's trailing-slash removal in `GetPathArg`).
pub fn lexically_normal(path: &Path) -> PathBuf {
    let mut parts: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => parts.push(component),
            },
            other => parts.push(other),
        }
    }
    if parts.is_empty() && !path.as_os_str().is_empty() {
        return PathBuf::from(".");
    }
    parts.iter().collect()
}

impl ArgsManager {
    /// A path option, normalized; `default` when unset or empty, the empty
    /// path when negated (Core's `GetPathArg`).
    pub fn get_path_arg(&self, arg: &str, default: &Path) -> PathBuf {
        if self.is_arg_negated(arg) {
            return PathBuf::new();
        }
        let value = self.get_arg_or(arg, "");
        if value.is_empty() {
            return default.to_path_buf();
        }
        lexically_normal(Path::new(&value))
    }

    /// True if `-datadir` is unset or names a directory (Core's `CheckDataDirOption`).
    pub fn check_data_dir_option(&self) -> bool {
        let datadir = self.get_path_arg("-datadir", Path::new(""));
        datadir.as_os_str().is_empty() || absolute(&datadir).is_dir()
    }

    /// The data directory, without the chain's sub-directory. `-datadir` must
    /// name an existing directory.
    pub fn get_data_dir_base(&self) -> Result<PathBuf, String> {
        let datadir = self.get_path_arg("-datadir", Path::new(""));
        if datadir.as_os_str().is_empty() {
            return Ok(default_data_dir());
        }
        let path = absolute(&datadir);
        if !path.is_dir() {
            return Err(format!(
                "Specified data directory \"{}\" does not exist.",
                self.get_arg_or("-datadir", "")
            ));
        }
        Ok(path)
    }

    /// The chain whose sub-directory is used: the selected network if it is
    /// one, else the chain the arguments name.
    pub fn selected_chain(&self) -> Result<ChainType, String> {
        match self.network.parse::<ChainType>() {
            Ok(chain) => Ok(chain),
            Err(_) => self.get_chain_type(),
        }
    }

    /// The data directory with the chain's sub-directory (`regtest`, `testnet3`...).
    pub fn get_data_dir_net(&self) -> Result<PathBuf, String> {
        let base = self.get_data_dir_base()?;
        let sub = self.selected_chain()?.base_params().data_dir;
        Ok(if sub.is_empty() { base } else { base.join(sub) })
    }

    /// `<-blocksdir or datadir>/<chain sub-dir>/blocks`, created if missing
    /// (Core's `GetBlocksDirPath`).
    pub fn get_blocks_dir_path(&self) -> Result<PathBuf, String> {
        let mut path = if self.is_arg_set("-blocksdir") {
            let path = absolute(&self.get_path_arg("-blocksdir", Path::new("")));
            if !path.is_dir() {
                return Err(format!(
                    "Specified blocks directory \"{}\" does not exist.",
                    self.get_arg_or("-blocksdir", "")
                ));
            }
            path
        } else {
            self.get_data_dir_base()?
        };
        let sub = self.selected_chain()?.base_params().data_dir;
        if !sub.is_empty() {
            path.push(sub);
        }
        path.push("blocks");
        std::fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    /// `path` if absolute, else joined to the data directory (the chain's if
    /// `net_specific`); an invalid data directory counts as empty, as in Core
    /// (Core's `AbsPathForConfigVal`).
    pub fn abs_path_for_config_val(&self, path: &Path, net_specific: bool) -> PathBuf {
        if path.is_absolute() {
            return path.to_path_buf();
        }
        let base = if net_specific {
            self.get_data_dir_net()
        } else {
            self.get_data_dir_base()
        };
        base.unwrap_or_default().join(path)
    }

    /// The config file read by the last [`Self::read_config_files`], or the one
    /// it would read.
    pub fn get_config_file_path(&self) -> PathBuf {
        self.config_path.clone().unwrap_or_else(|| {
            let conf = self.get_path_arg("-conf", Path::new(super::WIDECOIN_CONF_FILENAME));
            self.abs_path_for_config_val(&conf, false)
        })
    }

    /// `settings.json`'s path (`-settings`), `None` with `-nosettings`
    /// (Core's `GetSettingsPath`). `temp` adds `.tmp`, `backup` adds `.bak`.
    pub fn get_settings_path(&self, temp: bool, backup: bool) -> Option<PathBuf> {
        let settings = self.get_path_arg("-settings", Path::new(WIDECOIN_SETTINGS_FILENAME));
        if settings.as_os_str().is_empty() {
            return None;
        }
        let mut name = settings.into_os_string();
        if backup {
            name.push(".bak");
        }
        if temp {
            name.push(".tmp");
        }
        let name = PathBuf::from(name);
        if name.is_absolute() {
            return Some(name);
        }
        Some(self.get_data_dir_net().unwrap_or_default().join(name))
    }

    /// Loads `settings.json`; nothing to do with `-nosettings`. Errors are
    /// Core's details; the caller reports them under `Settings file could not
    /// be read`.
    pub fn read_settings_file(&mut self) -> Result<(), Vec<String>> {
        let Some(path) = self.get_settings_path(false, false) else {
            return Ok(());
        };
        self.settings.rw_settings.clear();
        self.settings.rw_settings = settings::read_settings(&path)?;
        let unknown: Vec<String> = self
            .settings
            .rw_settings
            .keys()
            .filter(|k| {
                self.get_arg_flags(&format!("-{}", interpret_key(k).name))
                    .is_none()
            })
            .cloned()
            .collect();
        for key in unknown {
            self.log_messages
                .push(format!("Ignoring unknown rw_settings value {key}"));
        }
        Ok(())
    }

    /// Writes `settings.json` through a `.tmp` file and a rename (Core's
    /// `WriteSettingsFile`); `backup` writes `settings.json.bak`.
    pub fn write_settings_file_with(&self, backup: bool) -> Result<(), Vec<String>> {
        let (Some(path), Some(tmp)) = (
            self.get_settings_path(false, backup),
            self.get_settings_path(true, backup),
        ) else {
            return Err(vec![
                "Attempt to write settings file when dynamic settings are disabled.".to_string(),
            ]);
        };
        settings::write_settings(&tmp, &self.settings.rw_settings)?;
        std::fs::rename(&tmp, &path).map_err(|_| {
            vec![format!(
                "Failed renaming settings file {} to {}\n",
                tmp.display(),
                path.display()
            )]
        })
    }

    /// Writes `settings.json`; the caller reports errors under `Settings file
    /// could not be written`.
    pub fn write_settings_file(&self) -> Result<(), Vec<String>> {
        self.write_settings_file_with(false)
    }
}

/// `std::filesystem::absolute`: joined to the current directory, not normalized.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
