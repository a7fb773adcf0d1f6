//! `widecoin.conf` and its `includeconf` files (Core's `src/common/config.cpp`).

use std::path::Path;

use super::parse::interpret_key;
use super::{ArgsManager, SectionInfo, WIDECOIN_CONF_FILENAME};
use crate::settings::Span;

const TRIM: &[char] = &[' ', '\t', '\r', '\n'];

/// Splits a config file into `(section.name, value)` pairs and records the
/// sections seen (Core's `GetConfigOptions`).
pub(crate) fn get_config_options(
    text: &str,
    filepath: &str,
    sections: &mut Vec<SectionInfo>,
) -> Result<Vec<(String, String)>, String> {
    let mut options = Vec::new();
    let mut prefix = String::new();
    for (index, raw) in text.split('\n').enumerate() {
        let linenr = index + 1;
        let (line, used_hash) = match raw.find('#') {
            Some(pos) => (&raw[..pos], true),
            None => (raw, false),
        };
        let line = line.trim_matches(TRIM);
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') && line.len() >= 2 {
            let section = &line[1..line.len() - 1];
            sections.push(SectionInfo {
                name: section.to_string(),
                file: filepath.to_string(),
                line: linenr,
            });
            prefix = format!("{section}.");
        } else if line.starts_with('-') {
            return Err(format!(
                "parse error on line {linenr}: {line}, options in configuration file must be specified without leading -"
            ));
        } else if let Some(pos) = line.find('=') {
            let name = format!("{prefix}{}", line[..pos].trim_matches(TRIM));
            let value = line[pos + 1..].trim_matches(TRIM);
            if used_hash && name.contains("rpcpassword") {
                return Err(format!(
                    "parse error on line {linenr}, using # in rpcpassword can be ambiguous and should be avoided"
                ));
            }
            if let Some(dot) = name.rfind('.') {
                if prefix.len() <= dot {
                    sections.push(SectionInfo {
                        name: name[..dot].to_string(),
                        file: filepath.to_string(),
                        line: linenr,
                    });
                }
            }
            options.push((name, value.to_string()));
        } else {
            let mut error = format!("parse error on line {linenr}: {line}");
            if line.starts_with("no") {
                error +=
                    &format!(", if you intended to specify a negated option, use {line}=1 instead");
            }
            return Err(error);
        }
    }
    Ok(options)
}

impl ArgsManager {
    /// Adds the options of one config file's text (Core's `ReadConfigStream`).
    /// `filepath` names the file in section warnings. Unknown options are an
    /// error (`Invalid configuration value x`) unless `ignore_invalid_keys`,
    /// in which case they are logged as ignored.
    pub fn read_config_stream(
        &mut self,
        text: &str,
        filepath: &str,
        ignore_invalid_keys: bool,
    ) -> Result<(), String> {
        let options = get_config_options(text, filepath, &mut self.config_sections)?;
        for (name, value) in options {
            let key = interpret_key(&name);
            if key.name == "conf" {
                return Err("conf cannot be set in the configuration file; use includeconf= if you want to include additional config files".to_string());
            }
            if key.name == "reindex" {
                self.log_messages.push("Warning: reindex=1 is set in the configuration file, which will significantly slow down startup. Consider removing or commenting out this option for better performance, unless there is currently a condition which makes rebuilding the indexes necessary".to_string());
            }
            match self.get_arg_flags(&format!("-{}", key.name)) {
                Some(flags) => {
                    let value = self.interpret_value(&key, Some(&value), flags)?;
                    self.settings
                        .ro_config
                        .entry(key.section)
                        .or_default()
                        .entry(key.name)
                        .or_default()
                        .push(value);
                }
                None if ignore_invalid_keys => {
                    self.log_messages
                        .push(format!("Ignoring unknown configuration value {name}"));
                }
                None => return Err(format!("Invalid configuration value {name}")),
            }
        }
        Ok(())
    }

    /// Reads the config file and its includes, ignoring unknown options, as
    /// `widecoind` and `widecoin-cli` do (Core's `ReadConfigFiles(error, true)`).
    /// The caller prefixes the error with `Error reading configuration file: `.
    pub fn read_config_files(&mut self) -> Result<(), String> {
        self.read_config_files_with(true)
    }

    /// [`Self::read_config_files`] choosing whether unknown options are an error.
    pub fn read_config_files_with(&mut self, ignore_invalid_keys: bool) -> Result<(), String> {
        self.settings.ro_config.clear();
        self.config_sections.clear();
        let conf = self.get_path_arg("-conf", Path::new(WIDECOIN_CONF_FILENAME));
        let conf_path = self.abs_path_for_config_val(&conf, false);
        self.config_path = Some(conf_path.clone());

        // -noconf reads nothing; a missing default file is fine, a missing -conf is not.
        let text = if conf.as_os_str().is_empty() {
            None
        } else {
            match std::fs::read(&conf_path) {
                Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
                Err(_) if self.is_arg_set("-conf") => {
                    return Err(format!(
                        "specified config file \"{}\" could not be opened.",
                        conf_path.display()
                    ));
                }
                Err(_) => None,
            }
        };
        if let Some(text) = text {
            let shown = conf_path.display().to_string();
            self.read_config_stream(&text, &shown, ignore_invalid_keys)?;
            // -noincludeconf on the command line disables includes.
            if !self
                .settings
                .command_line_options
                .contains_key("includeconf")
            {
                // An invalid chain combination is reported by the caller's
                // get_chain_type(), as Core reports it (without the prefix).
                let Ok(chain_id) = self.get_chain_type_string() else {
                    return Ok(());
                };
                let mut names = Vec::new();
                let chain_includes = self.add_includes(&chain_id, 0, &mut names);
                let default_includes = self.add_includes("", 0, &mut names);
                for name in &names {
                    let path = self.abs_path_for_config_val(Path::new(name), false);
                    match std::fs::read(&path) {
                        Ok(bytes) => {
                            let text = String::from_utf8_lossy(&bytes).into_owned();
                            self.read_config_stream(&text, name, ignore_invalid_keys)?;
                            self.log_messages
                                .push(format!("Included configuration file {name}"));
                        }
                        Err(_) => {
                            return Err(format!("Failed to include configuration file {name}"));
                        }
                    }
                }
                // Included files cannot include further files.
                let mut ignored = Vec::new();
                self.add_includes(&chain_id, chain_includes, &mut ignored);
                self.add_includes("", default_includes, &mut ignored);
                let Ok(chain_id_final) = self.get_chain_type_string() else {
                    return Ok(());
                };
                if chain_id_final != chain_id {
                    self.add_includes(&chain_id_final, 0, &mut ignored);
                }
                for name in ignored {
                    eprintln!(
                        "warning: -includeconf cannot be used from included files; ignoring -includeconf={name}"
                    );
                }
            }
        }
        if !self.check_data_dir_option() {
            return Err(format!(
                "specified data directory \"{}\" does not exist.",
                self.get_arg_or("-datadir", "")
            ));
        }
        Ok(())
    }

    /// Appends the `includeconf` values of `section` from index `skip` on
    /// (after the last negation); returns how many values there are.
    fn add_includes(&self, section: &str, skip: usize, out: &mut Vec<String>) -> usize {
        let Some(values) = self
            .settings
            .ro_config
            .get(section)
            .and_then(|m| m.get("includeconf"))
        else {
            return 0;
        };
        let start = skip.max(Span(values).negated());
        for value in values.iter().skip(start) {
            if let Some(s) = value.as_str() {
                out.push(s.to_string());
            }
        }
        values.len()
    }
}
