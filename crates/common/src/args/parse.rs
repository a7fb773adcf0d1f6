//! Command-line parsing and the interpretation of keys and values
//! (Core's `ParseParameters`, `InterpretKey`, `InterpretValue`, `InterpretBool`,
//! `LocaleIndependentAtoi`).

use super::{ArgFlags, ArgsManager};
use crate::settings::{write_json, SettingsValue, Span};

/// `[section.][no]name` split into its parts (Core's `KeyInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct KeyInfo {
    pub name: String,
    pub section: String,
    pub negated: bool,
}

/// Splits `section.name` at the first dot and a leading `no` (Core's `InterpretKey`).
pub fn interpret_key(key: &str) -> KeyInfo {
    let (section, rest) = match key.find('.') {
        Some(i) => (&key[..i], &key[i + 1..]),
        None => ("", key),
    };
    let (name, negated) = match rest.strip_prefix("no") {
        Some(name) => (name, true),
        None => (rest, false),
    };
    KeyInfo {
        name: name.to_string(),
        section: section.to_string(),
        negated,
    }
}

/// Core's `LocaleIndependentAtoi`: optional whitespace, an optional sign, the
/// leading digits; 0 when there are none; saturated at `min`/`max`.
pub fn locale_independent_atoi(s: &str, min: i64, max: i64) -> i64 {
    let mut s = s.trim_matches([' ', '\x0c', '\n', '\r', '\t', '\x0b']);
    if let Some(rest) = s.strip_prefix('+') {
        if rest.starts_with('-') {
            return 0;
        }
        s = rest;
    }
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let len = digits.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 {
        return 0;
    }
    let mut value: i128 = 0;
    for b in digits[..len].bytes() {
        value = value * 10 + i128::from(b - b'0');
        if value > i128::from(u64::MAX) {
            break;
        }
    }
    if negative {
        value = -value;
    }
    if value > i128::from(max) {
        max
    } else if value < i128::from(min) {
        min
    } else {
        value as i64
    }
}

/// `""` is true, anything else is its leading integer != 0 (Core's `InterpretBool`).
pub fn interpret_bool(s: &str) -> bool {
    s.is_empty() || locale_independent_atoi(s, i64::from(i32::MIN), i64::from(i32::MAX)) != 0
}

impl ArgsManager {
    /// A value for `key` under `flags` (Core's `InterpretValue`).
    pub(crate) fn interpret_value(
        &mut self,
        key: &KeyInfo,
        value: Option<&str>,
        flags: ArgFlags,
    ) -> Result<SettingsValue, String> {
        if key.negated {
            if flags.contains(ArgFlags::DISALLOW_NEGATION) {
                return Err(format!(
                    "Negating of -{} is meaningless and therefore forbidden",
                    key.name
                ));
            }
            // Double negatives like -nofoo=0 mean foo=1 (discouraged).
            if let Some(v) = value {
                if !interpret_bool(v) {
                    self.log_messages.push(format!(
                        "Warning: parsed potentially confusing double-negative -{}={v}",
                        key.name
                    ));
                    return Ok(SettingsValue::Bool(true));
                }
            }
            return Ok(SettingsValue::Bool(false));
        }
        match value {
            None if flags.contains(ArgFlags::DISALLOW_ELISION) => Err(format!(
                "Can not set -{0} with no value. Please specify value with -{0}=value.",
                key.name
            )),
            v => Ok(SettingsValue::String(v.unwrap_or("").to_string())),
        }
    }

    /// Parses `argv` (whose first element, the program name, is skipped).
    /// Parsing stops at the first argument without a dash: it and all that
    /// follow are the command (see [`ArgsManager::get_command`]). The error
    /// is Core's, e.g. `Invalid parameter -foo`; callers prefix it with
    /// `Error parsing command line arguments: `.
    pub fn parse_parameters(&mut self, argv: &[String]) -> Result<(), String> {
        self.settings.command_line_options.clear();
        self.command.clear();
        let mut i = 1;
        while i < argv.len() {
            let original = &argv[i];
            if original == "-" {
                break; // widecoin-tx reading stdin
            }
            let (mut key, val) = match original.find('=') {
                Some(eq) => (&original[..eq], Some(&original[eq + 1..])),
                None => (original.as_str(), None),
            };
            if !key.starts_with('-') {
                if !self.accept_any_command && self.command.is_empty() {
                    let is_command = self
                        .get_arg_flags(key)
                        .is_some_and(|f| f.contains(ArgFlags::COMMAND));
                    if !is_command {
                        return Err(format!("Invalid command '{original}'"));
                    }
                }
                self.command.push(key.to_string());
                self.command.extend(argv[i + 1..].iter().cloned());
                break;
            }
            // --foo is -foo
            if key.len() > 1 && key.as_bytes()[1] == b'-' {
                key = &key[1..];
            }
            let keyinfo = interpret_key(&key[1..]);
            let flags = self.get_arg_flags(&format!("-{}", keyinfo.name));
            // Unknown options and network-qualified ones (-test.foo) are invalid here.
            let flags = match flags {
                Some(f) if keyinfo.section.is_empty() => f,
                _ => return Err(format!("Invalid parameter {original}")),
            };
            let value = self.interpret_value(&keyinfo, val, flags)?;
            self.settings
                .command_line_options
                .entry(keyinfo.name)
                .or_default()
                .push(value);
            i += 1;
        }
        // -includeconf is for config files only; -noincludeconf is allowed.
        if let Some(includes) = self.settings.command_line_options.get("includeconf") {
            let span = Span(includes);
            if !span.is_empty() {
                return Err(format!(
                    "-includeconf cannot be used from commandline; -includeconf={}",
                    write_json(&span.values()[0], 0, 0)
                ));
            }
        }
        Ok(())
    }
}
