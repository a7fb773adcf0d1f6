//! Merging of settings from their sources, and the `settings.json` file
//! (Widecoin Core's `src/common/settings.cpp`).
//!
//! A setting can come from five sources, in decreasing precedence: forced
//! values, the command line, the read-write `settings.json`, the network
//! section of the config file and its default section. The merge rules keep
//! Core's odd but relied-upon behaviours (first value wins in the config file,
//! negation in the default section applies to network-only options, ...).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// A setting value: `""`/string for `-name[=value]`, `false` for `-noname`,
/// `true` for a double negative, any JSON from `settings.json` (Core's `UniValue`).
pub type SettingsValue = serde_json::Value;

/// Every setting from every source (Core's `common::Settings`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// Values set by the program itself (`ForceSetArg`).
    pub forced_settings: BTreeMap<String, SettingsValue>,
    /// Command-line values, in order, per name.
    pub command_line_options: BTreeMap<String, Vec<SettingsValue>>,
    /// Values of the read-write `settings.json`.
    pub rw_settings: BTreeMap<String, SettingsValue>,
    /// Config file values per section ("" is the default section), per name.
    pub ro_config: BTreeMap<String, BTreeMap<String, Vec<SettingsValue>>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Source {
    Forced,
    CommandLine,
    RwSettings,
    ConfigFileNetworkSection,
    ConfigFileDefaultSection,
}

impl Source {
    fn is_config_file(self) -> bool {
        matches!(
            self,
            Source::ConfigFileNetworkSection | Source::ConfigFileDefaultSection
        )
    }
}

/// The values of one setting from one source, with negation bookkeeping
/// (Core's `SettingsSpan`).
#[derive(Clone, Copy)]
pub(crate) struct Span<'a>(pub(crate) &'a [SettingsValue]);

impl<'a> Span<'a> {
    /// Number of values up to and including the last negation.
    pub(crate) fn negated(&self) -> usize {
        self.0
            .iter()
            .rposition(is_false)
            .map(|i| i + 1)
            .unwrap_or(0)
    }
    /// The values after the last negation.
    pub(crate) fn values(&self) -> &'a [SettingsValue] {
        &self.0[self.negated()..]
    }
    /// True if the last value is a negation.
    pub(crate) fn last_negated(&self) -> bool {
        self.0.last().is_some_and(is_false)
    }
    /// True if there is no value after the last negation.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty() || self.last_negated()
    }
}

pub(crate) fn is_false(v: &SettingsValue) -> bool {
    matches!(v, SettingsValue::Bool(false))
}

/// Calls `f` with each source of `name`, highest precedence first.
fn merge_settings<'a>(
    settings: &'a Settings,
    section: &str,
    name: &str,
    mut f: impl FnMut(Span<'a>, Source),
) {
    if let Some(v) = settings.forced_settings.get(name) {
        f(Span(std::slice::from_ref(v)), Source::Forced);
    }
    if let Some(v) = settings.command_line_options.get(name) {
        f(Span(v), Source::CommandLine);
    }
    if let Some(v) = settings.rw_settings.get(name) {
        f(Span(std::slice::from_ref(v)), Source::RwSettings);
    }
    if !section.is_empty() {
        if let Some(v) = settings.ro_config.get(section).and_then(|m| m.get(name)) {
            f(Span(v), Source::ConfigFileNetworkSection);
        }
    }
    if let Some(v) = settings.ro_config.get("").and_then(|m| m.get(name)) {
        f(Span(v), Source::ConfigFileDefaultSection);
    }
}

/// The effective value of a setting, `Null` when unset (Core's `common::GetSetting`).
pub fn get_setting(
    settings: &Settings,
    section: &str,
    name: &str,
    ignore_default_section_config: bool,
    ignore_nonpersistent: bool,
    get_chain_type: bool,
) -> SettingsValue {
    let mut result = SettingsValue::Null;
    let mut done = false;
    merge_settings(settings, section, name, |span, source| {
        if done {
            return;
        }
        // A negation in the default section applies even where plain values
        // from that section would be ignored.
        let never_ignore_negated = span.last_negated();
        // In the config file the first value wins, except for chain options.
        let reverse_precedence = source.is_config_file() && !get_chain_type;
        // Negated -regtest/-testnet on the command line are silently ignored.
        let skip_negated_command_line = get_chain_type;

        if ignore_default_section_config
            && source == Source::ConfigFileDefaultSection
            && !never_ignore_negated
        {
            return;
        }
        if ignore_nonpersistent && matches!(source, Source::CommandLine | Source::Forced) {
            return;
        }
        if skip_negated_command_line && span.last_negated() {
            return;
        }
        if !span.is_empty() {
            let values = span.values();
            result = if reverse_precedence {
                values[0].clone()
            } else {
                values[values.len() - 1].clone()
            };
            done = true;
        } else if span.last_negated() {
            result = SettingsValue::Bool(false);
            done = true;
        }
    });
    result
}

/// All values of a multi-valued setting (Core's `common::GetSettingsList`).
pub fn get_settings_list(
    settings: &Settings,
    section: &str,
    name: &str,
    ignore_default_section_config: bool,
) -> Vec<SettingsValue> {
    let mut result: Vec<SettingsValue> = Vec::new();
    let mut done = false;
    let mut prev_negated_empty = false;
    merge_settings(settings, section, name, |span, source| {
        // Config file values come back "from the dead" unless a command-line
        // negation left the list empty.
        let add_zombie_config_values = source.is_config_file() && !prev_negated_empty;
        if ignore_default_section_config && source == Source::ConfigFileDefaultSection {
            return;
        }
        if !done || add_zombie_config_values {
            for value in span.values() {
                match value {
                    SettingsValue::Array(items) => result.extend(items.iter().cloned()),
                    other => result.push(other.clone()),
                }
            }
        }
        done |= span.negated() > 0 || source == Source::Forced;
        prev_negated_empty |= span.last_negated() && result.is_empty();
    });
    result
}

/// True when a setting has a value only in the config file's default section
/// (Core's `common::OnlyHasDefaultSectionSetting`).
pub fn only_has_default_section_setting(settings: &Settings, section: &str, name: &str) -> bool {
    let mut has_default = false;
    let mut has_other = false;
    merge_settings(settings, section, name, |span, source| {
        if span.is_empty() {
            return;
        }
        if source == Source::ConfigFileDefaultSection {
            has_default = true;
        } else {
            has_other = true;
        }
    });
    has_default && !has_other
}

/// The top-level members of a JSON object in file order, duplicates kept.
struct ObjectEntries(Vec<(String, SettingsValue)>);

impl<'de> Deserialize<'de> for ObjectEntries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ObjectEntries;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ObjectEntries, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, SettingsValue>()? {
                    entries.push((k, v));
                }
                Ok(ObjectEntries(entries))
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads `settings.json` (Core's `common::ReadSettings`). A missing file is
/// no settings; the errors are Core's words.
pub fn read_settings(path: &Path) -> Result<BTreeMap<String, SettingsValue>, Vec<String>> {
    let shown = path.display();
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    let mut file = match fs::File::open(path) {
        Ok(f) => f,
        Err(_) => return Err(vec![format!("{shown}. Please check permissions.")]),
    };
    let mut bytes = Vec::new();
    if std::io::Read::read_to_end(&mut file, &mut bytes).is_err() {
        // Core's parse of an unreadable stream fails before its read check.
        return Err(vec![format!("Unable to parse settings file {shown}")]);
    }
    drop(file);
    let value: SettingsValue = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return Err(vec![format!("Unable to parse settings file {shown}")]),
    };
    if !value.is_object() {
        return Err(vec![format!(
            "Found non-object value {} in settings file {shown}",
            write_json(&value, 0, 0)
        )]);
    }
    let entries: ObjectEntries = serde_json::from_slice(&bytes)
        .map_err(|_| vec![format!("Unable to parse settings file {shown}")])?;
    let mut values = BTreeMap::new();
    for (k, v) in entries.0 {
        if values.contains_key(&k) {
            return Err(vec![format!(
                "Found duplicate key {k} in settings file {shown}"
            )]);
        }
        values.insert(k, v);
    }
    Ok(values)
}

/// Writes `settings.json` the way Core does: a 4-space indented object and a
/// newline (Core's `common::WriteSettings`).
pub fn write_settings(
    path: &Path,
    values: &BTreeMap<String, SettingsValue>,
) -> Result<(), Vec<String>> {
    let object =
        SettingsValue::Object(values.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    let mut text = write_json(&object, 4, 1);
    text.push('\n');
    fs::write(path, text).map_err(|_| {
        vec![format!(
            "Error: Unable to open settings file {} for writing",
            path.display()
        )]
    })
}

/// JSON text exactly as Core's `UniValue::write(pretty_indent, indent_level)`:
/// used for `settings.json` and for values in `Config file arg:` log lines.
pub fn write_json(value: &SettingsValue, pretty_indent: usize, indent_level: usize) -> String {
    let mut s = String::new();
    write_value(value, pretty_indent, indent_level.max(1), &mut s);
    s
}

fn write_value(value: &SettingsValue, pretty: usize, level: usize, s: &mut String) {
    let indent = |n: usize, s: &mut String| s.extend(std::iter::repeat_n(' ', pretty * n));
    match value {
        SettingsValue::Null => s.push_str("null"),
        SettingsValue::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
        SettingsValue::Number(n) => s.push_str(&n.to_string()),
        SettingsValue::String(text) => push_json_string(text, s),
        SettingsValue::Array(items) => {
            s.push('[');
            if pretty > 0 {
                s.push('\n');
            }
            for (i, item) in items.iter().enumerate() {
                if pretty > 0 {
                    indent(level, s);
                }
                write_value(item, pretty, level + 1, s);
                if i + 1 != items.len() {
                    s.push(',');
                }
                if pretty > 0 {
                    s.push('\n');
                }
            }
            if pretty > 0 {
                indent(level - 1, s);
            }
            s.push(']');
        }
        SettingsValue::Object(map) => {
            s.push('{');
            if pretty > 0 {
                s.push('\n');
            }
            let len = map.len();
            for (i, (k, v)) in map.iter().enumerate() {
                if pretty > 0 {
                    indent(level, s);
                }
                push_json_string(k, s);
                s.push(':');
                if pretty > 0 {
                    s.push(' ');
                }
                write_value(v, pretty, level + 1, s);
                if i + 1 != len {
                    s.push(',');
                }
                if pretty > 0 {
                    s.push('\n');
                }
            }
            if pretty > 0 {
                indent(level - 1, s);
            }
            s.push('}');
        }
    }
}

/// UniValue's string escaping: quotes, backslash and control characters.
fn push_json_string(text: &str, s: &mut String) {
    s.push('"');
    for c in text.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\u{8}' => s.push_str("\\b"),
            '\u{c}' => s.push_str("\\f"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                s.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => s.push(c),
        }
    }
    s.push('"');
}

#[cfg(test)]
#[path = "settings/tests.rs"]
mod tests;
