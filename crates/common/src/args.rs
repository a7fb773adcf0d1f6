//! Command-line arguments, `widecoin.conf` and their merge with `settings.json`
//! (Widecoin Core's `ArgsManager`, `src/common/args.cpp`).
//!
//! Names are given with their dash (`"-rpcport"`), as in Core. Values keep
//! Core's semantics exactly: `-foo` is `""` (true), `-nofoo` is negated,
//! the config file's first value wins, network-only options ignore the
//! default section off main, and so on.

mod config;
mod parse;
mod paths;
mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::BitOr;
use std::path::PathBuf;

use widecoin_chainparams::ChainType;

use crate::settings::{self, Settings, SettingsValue};

pub use parse::{interpret_bool, interpret_key, locale_independent_atoi, KeyInfo};
pub use paths::{default_data_dir, lexically_normal};

/// The config file's default name (Core's `WIDECOIN_CONF_FILENAME`).
pub const WIDECOIN_CONF_FILENAME: &str = "widecoin.conf";
/// The read-write settings file's default name (Core's `WIDECOIN_SETTINGS_FILENAME`).
pub const WIDECOIN_SETTINGS_FILENAME: &str = "settings.json";

/// How an option is validated and shown (Core's `ArgsManager::Flags`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ArgFlags(pub u32);

impl ArgFlags {
    /// No validation.
    pub const ALLOW_ANY: ArgFlags = ArgFlags(0x01);
    /// `-nofoo` is an error.
    pub const DISALLOW_NEGATION: ArgFlags = ArgFlags(0x20);
    /// `-foo` without `=value` is an error.
    pub const DISALLOW_ELISION: ArgFlags = ArgFlags(0x40);
    /// Shown only by `-help-debug`.
    pub const DEBUG_ONLY: ArgFlags = ArgFlags(0x100);
    /// Off main, read from the config file only in the network's section.
    pub const NETWORK_ONLY: ArgFlags = ArgFlags(0x200);
    /// The value is logged as `****`.
    pub const SENSITIVE: ArgFlags = ArgFlags(0x400);
    /// A sub-command (`AddCommand`).
    pub const COMMAND: ArgFlags = ArgFlags(0x800);

    /// True if every flag of `other` is set.
    pub fn contains(self, other: ArgFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for ArgFlags {
    type Output = ArgFlags;
    fn bitor(self, rhs: ArgFlags) -> ArgFlags {
        ArgFlags(self.0 | rhs.0)
    }
}

/// The groups of `-help` (Core's `OptionsCategory`), in the order shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OptionsCategory {
    Options,
    Connection,
    Wallet,
    WalletDebugTest,
    Zmq,
    DebugTest,
    ChainParams,
    NodeRelay,
    BlockCreation,
    Rpc,
    Gui,
    Commands,
    RegisterCommands,
    /// Options of the multiprocess binaries (`-ipcbind`, ...), as later Core
    /// versions group them.
    Ipc,
    /// Accepted but never shown; always last.
    Hidden,
}

#[derive(Clone, Debug)]
pub(crate) struct Arg {
    pub(crate) help_param: String,
    pub(crate) help_text: String,
    pub(crate) flags: ArgFlags,
}

/// Where a `[section]` (or `section.key=`) appeared in a config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionInfo {
    pub name: String,
    pub file: String,
    pub line: usize,
}

/// The sub-command and its arguments (Core's `ArgsManager::Command`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Command {
    /// The registered command, or empty when any command is accepted.
    pub command: String,
    /// The arguments after it (or the unregistered command and its arguments).
    pub args: Vec<String>,
}

/// Arguments and settings of one process (Core's `ArgsManager`).
#[derive(Debug, Clone)]
pub struct ArgsManager {
    pub(crate) settings: Settings,
    pub(crate) command: Vec<String>,
    pub(crate) network: String,
    pub(crate) network_only_args: BTreeSet<String>,
    pub(crate) available_args: BTreeMap<OptionsCategory, BTreeMap<String, Arg>>,
    pub(crate) accept_any_command: bool,
    pub(crate) config_sections: Vec<SectionInfo>,
    pub(crate) config_path: Option<PathBuf>,
    pub(crate) log_messages: Vec<String>,
}

impl Default for ArgsManager {
    fn default() -> Self {
        Self::new()
    }
}

/// Strips the leading dash of `-name` (Core's `SettingName`).
pub(crate) fn setting_name(arg: &str) -> &str {
    arg.strip_prefix('-').unwrap_or(arg)
}

/// A setting as a string: `false` is "0", `true` is "1" (Core's `SettingToString`).
pub fn setting_to_string(value: &SettingsValue) -> Option<String> {
    match value {
        SettingsValue::Null => None,
        SettingsValue::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
        SettingsValue::Number(n) => Some(n.to_string()),
        SettingsValue::String(s) => Some(s.clone()),
        other => Some(settings::write_json(other, 0, 0)),
    }
}

/// A setting as an integer, with Core's atoi rules (Core's `SettingToInt`).
pub fn setting_to_int(value: &SettingsValue) -> Option<i64> {
    match value {
        SettingsValue::Null => None,
        SettingsValue::Bool(b) => Some(i64::from(*b)),
        SettingsValue::Number(n) => Some(
            n.as_i64()
                .unwrap_or_else(|| locale_independent_atoi(&n.to_string(), i64::MIN, i64::MAX)),
        ),
        SettingsValue::String(s) => Some(locale_independent_atoi(s, i64::MIN, i64::MAX)),
        _ => Some(0),
    }
}

/// A setting as a boolean: `""` is true, else atoi != 0 (Core's `SettingToBool`).
pub fn setting_to_bool(value: &SettingsValue) -> Option<bool> {
    match value {
        SettingsValue::Null => None,
        SettingsValue::Bool(b) => Some(*b),
        SettingsValue::String(s) => Some(interpret_bool(s)),
        SettingsValue::Number(n) => Some(interpret_bool(&n.to_string())),
        _ => Some(false),
    }
}

impl ArgsManager {
    pub fn new() -> Self {
        ArgsManager {
            settings: Settings::default(),
            command: Vec::new(),
            network: String::new(),
            network_only_args: BTreeSet::new(),
            available_args: BTreeMap::new(),
            accept_any_command: true,
            config_sections: Vec::new(),
            config_path: None,
            log_messages: Vec::new(),
        }
    }

    /// Registers an option; `name` may carry its help parameter, as in
    /// `"-rpcport=<port>"`. Panics on a duplicate, as Core asserts.
    pub fn add_arg(&mut self, name: &str, help: &str, flags: ArgFlags, cat: OptionsCategory) {
        assert!(
            !flags.contains(ArgFlags::COMMAND),
            "use add_command for commands"
        );
        let eq = name.find('=').unwrap_or(name.len());
        let (arg_name, help_param) = name.split_at(eq);
        let previous = self.available_args.entry(cat).or_default().insert(
            arg_name.to_string(),
            Arg {
                help_param: help_param.to_string(),
                help_text: help.to_string(),
                flags,
            },
        );
        assert!(previous.is_none(), "argument {arg_name} registered twice");
        if flags.contains(ArgFlags::NETWORK_ONLY) {
            self.network_only_args.insert(arg_name.to_string());
        }
    }

    /// Registers a sub-command; from then on the first non-dash argument must be one.
    pub fn add_command(&mut self, cmd: &str, help: &str) {
        assert!(!cmd.contains('=') && !cmd.starts_with('-'));
        self.accept_any_command = false;
        let previous = self
            .available_args
            .entry(OptionsCategory::Commands)
            .or_default()
            .insert(
                cmd.to_string(),
                Arg {
                    help_param: String::new(),
                    help_text: help.to_string(),
                    flags: ArgFlags::COMMAND,
                },
            );
        assert!(previous.is_none(), "command {cmd} registered twice");
    }

    /// Registers options that are accepted but not shown in `-help`.
    pub fn add_hidden_args(&mut self, names: &[&str]) {
        for name in names {
            self.add_arg(name, "", ArgFlags::ALLOW_ANY, OptionsCategory::Hidden);
        }
    }

    /// Forgets every registered option.
    pub fn clear_args(&mut self) {
        self.available_args.clear();
        self.network_only_args.clear();
    }

    /// The names (with the leading dash) of every registered option.
    pub fn registered_args(&self) -> Vec<String> {
        self.available_args
            .values()
            .flat_map(|args| args.keys().cloned())
            .collect()
    }

    /// The flags of a registered option (`"-name"`), `None` if unknown.
    pub fn get_arg_flags(&self, name: &str) -> Option<ArgFlags> {
        self.available_args
            .values()
            .find_map(|m| m.get(name).map(|a| a.flags))
    }

    /// Selects the config file section whose values apply (Core's `SelectConfigNetwork`).
    pub fn select_config_network(&mut self, network: &str) {
        self.network = network.to_string();
    }

    /// The selected network section, empty if none.
    pub fn network(&self) -> &str {
        &self.network
    }

    fn use_default_section(&self, arg: &str) -> bool {
        self.network == ChainType::Main.as_str() || !self.network_only_args.contains(arg)
    }

    /// The effective value of `arg`, `Null` when unset (Core's `GetSetting`).
    pub fn get_setting(&self, arg: &str) -> SettingsValue {
        settings::get_setting(
            &self.settings,
            &self.network,
            setting_name(arg),
            !self.use_default_section(arg),
            false,
            false,
        )
    }

    /// Every value of `arg` (Core's `GetSettingsList`).
    pub fn get_settings_list(&self, arg: &str) -> Vec<SettingsValue> {
        settings::get_settings_list(
            &self.settings,
            &self.network,
            setting_name(arg),
            !self.use_default_section(arg),
        )
    }

    /// The value from the config file or `settings.json` only, ignoring the
    /// command line and forced values (Core's `GetPersistentSetting`).
    pub fn get_persistent_setting(&self, name: &str) -> SettingsValue {
        settings::get_setting(
            &self.settings,
            &self.network,
            name,
            !self.use_default_section(&format!("-{name}")),
            true,
            false,
        )
    }

    /// All values of a multi-valued option as strings (Core's `GetArgs`).
    pub fn get_args(&self, arg: &str) -> Vec<String> {
        self.get_settings_list(arg)
            .iter()
            .filter_map(setting_to_string)
            .collect()
    }

    /// True if the option was given at all, negated or not.
    pub fn is_arg_set(&self, arg: &str) -> bool {
        !self.get_setting(arg).is_null()
    }

    /// True if the effective value is a negation (`-nofoo`).
    pub fn is_arg_negated(&self, arg: &str) -> bool {
        settings::is_false(&self.get_setting(arg))
    }

    pub fn get_arg(&self, arg: &str) -> Option<String> {
        setting_to_string(&self.get_setting(arg))
    }

    pub fn get_arg_or(&self, arg: &str, default: &str) -> String {
        self.get_arg(arg).unwrap_or_else(|| default.to_string())
    }

    pub fn get_int_arg_opt(&self, arg: &str) -> Option<i64> {
        setting_to_int(&self.get_setting(arg))
    }

    /// The integer value (0 if not a number), or `default` when unset.
    pub fn get_int_arg(&self, arg: &str, default: i64) -> i64 {
        self.get_int_arg_opt(arg).unwrap_or(default)
    }

    pub fn get_bool_arg_opt(&self, arg: &str) -> Option<bool> {
        setting_to_bool(&self.get_setting(arg))
    }

    /// The boolean value, or `default` when unset.
    pub fn get_bool_arg(&self, arg: &str, default: bool) -> bool {
        self.get_bool_arg_opt(arg).unwrap_or(default)
    }

    /// Sets `arg` unless it already has a value; true if it was set.
    pub fn soft_set_arg(&mut self, arg: &str, value: &str) -> bool {
        if self.is_arg_set(arg) {
            return false;
        }
        self.force_set_arg(arg, value);
        true
    }

    pub fn soft_set_bool_arg(&mut self, arg: &str, value: bool) -> bool {
        self.soft_set_arg(arg, if value { "1" } else { "0" })
    }

    /// Sets `arg` above every other source.
    pub fn force_set_arg(&mut self, arg: &str, value: &str) {
        self.settings.forced_settings.insert(
            setting_name(arg).to_string(),
            SettingsValue::String(value.to_string()),
        );
    }

    /// All settings, to read or change (Core's `LockSettings`), e.g. to update
    /// `settings.json` values before `write_settings_file`.
    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The command and its arguments, `None` if no non-dash argument was given.
    pub fn get_command(&self) -> Option<Command> {
        let mut it = self.command.iter();
        let mut ret = Command::default();
        if self.command.is_empty() {
            return None;
        }
        if !self.accept_any_command {
            ret.command = it.next().cloned().unwrap_or_default();
        }
        ret.args = it.cloned().collect();
        Some(ret)
    }

    /// The first non-dash argument and everything after it, as given.
    pub fn command_args(&self) -> &[String] {
        &self.command
    }

    /// The chain from `-chain`, `-regtest`, `-signet`, `-testnet` (Core's `GetChainType`).
    pub fn get_chain_type(&self) -> Result<ChainType, String> {
        let name = self.get_chain_type_string()?;
        name.parse::<ChainType>()
            .map_err(|_| format!("Unknown chain {name}."))
    }

    /// The chain name, an unknown `-chain=` value returned as given
    /// (Core's `GetChainTypeString`).
    pub fn get_chain_type_string(&self) -> Result<String, String> {
        let get_net = |arg: &str| {
            let value =
                settings::get_setting(&self.settings, "", setting_name(arg), false, false, true);
            setting_to_bool(&value).unwrap_or(false)
        };
        let regtest = get_net("-regtest");
        let signet = get_net("-signet");
        let testnet = get_net("-testnet");
        let chain_arg = self.get_arg("-chain");
        let count = usize::from(chain_arg.is_some())
            + usize::from(regtest)
            + usize::from(signet)
            + usize::from(testnet);
        if count > 1 {
            return Err("Invalid combination of -regtest, -signet, -testnet and -chain. Can use at most one.".to_string());
        }
        Ok(match chain_arg {
            Some(chain) => chain,
            None if regtest => ChainType::Regtest.as_str().to_string(),
            None if signet => ChainType::Signet.as_str().to_string(),
            None if testnet => ChainType::Testnet.as_str().to_string(),
            None => ChainType::Main.as_str().to_string(),
        })
    }
}

/// True if `-?`, `-h`, `-help` or `-help-debug` was given (Core's `HelpRequested`).
pub fn help_requested(args: &ArgsManager) -> bool {
    ["-?", "-h", "-help", "-help-debug"]
        .iter()
        .any(|a| args.is_arg_set(a))
}

#[cfg(test)]
#[path = "args/tests.rs"]
mod tests;

#[cfg(test)]
#[path = "args/tests_files.rs"]
mod tests_files;
