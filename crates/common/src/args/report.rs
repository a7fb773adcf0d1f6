//! What the node reports about its configuration: ignored network-only
//! options, unknown sections, the `Config file arg:` lines of debug.log
//! (Core's `GetUnsuitableSectionOnlyArgs`, `GetUnrecognizedSections`, `LogArgs`).

use std::collections::{BTreeMap, BTreeSet};

use widecoin_chainparams::ChainType;

use super::{setting_name, ArgFlags, ArgsManager, SectionInfo};
use crate::settings::{self, SettingsValue};

impl ArgsManager {
    /// Network-only options set only in the config file's default section,
    /// which are therefore ignored (Core's `GetUnsuitableSectionOnlyArgs`).
    pub fn get_unsuitable_section_only_args(&self) -> BTreeSet<String> {
        if self.network.is_empty() || self.network == ChainType::Main.as_str() {
            return BTreeSet::new();
        }
        self.network_only_args
            .iter()
            .filter(|arg| {
                settings::only_has_default_section_setting(
                    &self.settings,
                    &self.network,
                    setting_name(arg),
                )
            })
            .cloned()
            .collect()
    }

    /// The start-up error for [`Self::get_unsuitable_section_only_args`], as
    /// Core's `AppInitParameterInteraction` words it, one line per option.
    pub fn unsuitable_section_only_args_error(&self) -> Option<String> {
        let chain = &self.network;
        let errors: String = self
            .get_unsuitable_section_only_args()
            .iter()
            .map(|arg| {
                format!("Config setting for {arg} only applied on {chain} network when in [{chain}] section.\n")
            })
            .collect();
        (!errors.is_empty()).then_some(errors)
    }

    /// Config file sections that name no network (Core's `GetUnrecognizedSections`).
    pub fn get_unrecognized_sections(&self) -> Vec<SectionInfo> {
        self.config_sections
            .iter()
            .filter(|s| s.name.parse::<ChainType>().is_err())
            .cloned()
            .collect()
    }

    /// The start-up warnings for [`Self::get_unrecognized_sections`]:
    /// `<file>:<line> Section [<name>] is not recognized.`
    pub fn unrecognized_section_warnings(&self) -> Vec<String> {
        self.get_unrecognized_sections()
            .iter()
            .map(|s| {
                format!(
                    "{}:{} Section [{}] is not recognized.",
                    s.file, s.line, s.name
                )
            })
            .collect()
    }

    /// The debug.log lines describing the configuration (Core's `LogArgs`):
    /// `Config file arg: [section] name="value"`, `Setting file arg: ...`,
    /// `Command-line arg: ...`, sensitive values as `****`.
    pub fn log_args(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (section, args) in &self.settings.ro_config {
            self.log_args_prefix(&mut lines, "Config file arg:", section, args);
        }
        for (name, value) in &self.settings.rw_settings {
            lines.push(format!(
                "Setting file arg: {name} = {}",
                settings::write_json(value, 0, 0)
            ));
        }
        self.log_args_prefix(
            &mut lines,
            "Command-line arg:",
            "",
            &self.settings.command_line_options,
        );
        lines
    }

    fn log_args_prefix(
        &self,
        lines: &mut Vec<String>,
        prefix: &str,
        section: &str,
        args: &BTreeMap<String, Vec<SettingsValue>>,
    ) {
        let section_str = if section.is_empty() {
            String::new()
        } else {
            format!("[{section}] ")
        };
        for (name, values) in args {
            let Some(flags) = self.get_arg_flags(&format!("-{name}")) else {
                continue;
            };
            for value in values {
                let shown = if flags.contains(ArgFlags::SENSITIVE) {
                    "****".to_string()
                } else {
                    settings::write_json(value, 0, 0)
                };
                lines.push(format!("{prefix} {section_str}{name}={shown}"));
            }
        }
    }

    /// Messages Core writes to debug.log while parsing (unknown config values
    /// ignored, double negatives, included files...), oldest first; they are
    /// removed. The caller logs them once logging is up.
    pub fn take_log_messages(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log_messages)
    }
}
