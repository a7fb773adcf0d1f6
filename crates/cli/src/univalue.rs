//! A JSON value with UniValue's semantics (Widecoin Core's `src/univalue/`).
//!
//! `widecoin-cli` prints what the node sends back byte for byte where Core does,
//! so it keeps numbers as their source text, keeps object keys in order (and
//! allows duplicates, as `pushKVEnd` does), and writes JSON exactly like
//! `UniValue::write` (`univalue_write.cpp`), whose pretty printing differs from
//! serde_json's (an empty array prints as `[\n]`, for instance).

mod read;

pub use read::MAX_JSON_DEPTH;

/// A JSON value as UniValue holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum UniValue {
    #[default]
    Null,
    Bool(bool),
    /// A number, kept as the text it was read from or written as.
    Num(String),
    Str(String),
    Array(Vec<UniValue>),
    /// Keys in insertion order; duplicates are possible (see [`UniValue::push_kv_end`]).
    Object(Vec<(String, UniValue)>),
}

/// A value of the wrong JSON type, or a number out of range (UniValue's
/// `type_error` and `runtime_error`s); the text is Core's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TypeError(pub String);

static NULL: UniValue = UniValue::Null;

impl UniValue {
    /// Parses `text` as `UniValue::read` does; `None` where Core's `read` fails.
    pub fn read(text: &str) -> Option<UniValue> {
        read::parse(text)
    }

    /// A new empty object.
    pub fn object() -> UniValue {
        UniValue::Object(Vec::new())
    }

    /// A new empty array.
    pub fn array() -> UniValue {
        UniValue::Array(Vec::new())
    }

    /// A string value.
    pub fn str(s: impl Into<String>) -> UniValue {
        UniValue::Str(s.into())
    }

    /// An integer value.
    pub fn int(n: i64) -> UniValue {
        UniValue::Num(n.to_string())
    }

    /// UniValue's type name (`uvTypeName`).
    pub fn type_name(&self) -> &'static str {
        match self {
            UniValue::Null => "null",
            UniValue::Bool(_) => "bool",
            UniValue::Object(_) => "object",
            UniValue::Array(_) => "array",
            UniValue::Str(_) => "string",
            UniValue::Num(_) => "number",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, UniValue::Null)
    }

    pub fn is_str(&self) -> bool {
        matches!(self, UniValue::Str(_))
    }

    pub fn is_num(&self) -> bool {
        matches!(self, UniValue::Num(_))
    }

    pub fn is_object(&self) -> bool {
        matches!(self, UniValue::Object(_))
    }

    pub fn is_array(&self) -> bool {
        matches!(self, UniValue::Array(_))
    }

    /// The value of the first `key` in an object, or null (`find_value`, `operator[]`).
    pub fn get(&self, key: &str) -> &UniValue {
        match self {
            UniValue::Object(kvs) => kvs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// The keys of an object, in order (`getKeys`); empty for anything else.
    pub fn keys(&self) -> Vec<&str> {
        match self {
            UniValue::Object(kvs) => kvs.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// The number of members of an array or object; 0 for anything else (`size`).
    pub fn size(&self) -> usize {
        match self {
            UniValue::Array(v) => v.len(),
            UniValue::Object(kvs) => kvs.len(),
            _ => 0,
        }
    }

    /// True when the value has no members (`empty`), which holds for every scalar.
    pub fn is_empty(&self) -> bool {
        self.size() == 0
    }

    /// The members of an array or the values of an object (`getValues`).
    pub fn values(&self) -> Result<Vec<&UniValue>, TypeError> {
        match self {
            UniValue::Array(v) => Ok(v.iter().collect()),
            UniValue::Object(kvs) => Ok(kvs.iter().map(|(_, v)| v).collect()),
            _ => Err(TypeError(
                "JSON value is not an object or array as expected".into(),
            )),
        }
    }

    /// Sets `key`, replacing the value of an existing key in place (`pushKV`).
    pub fn push_kv(&mut self, key: impl Into<String>, val: UniValue) {
        let key = key.into();
        if let UniValue::Object(kvs) = self {
            if let Some(slot) = kvs.iter_mut().find(|(k, _)| *k == key) {
                slot.1 = val;
            } else {
                kvs.push((key, val));
            }
        }
    }

    /// Appends `key` even when it is already present (`pushKVEnd`).
    pub fn push_kv_end(&mut self, key: impl Into<String>, val: UniValue) {
        if let UniValue::Object(kvs) = self {
            kvs.push((key.into(), val));
        }
    }

    /// Appends to an array (`push_back`).
    pub fn push(&mut self, val: UniValue) {
        if let UniValue::Array(v) = self {
            v.push(val);
        }
    }

    fn check_type(&self, expected: &'static str) -> Result<(), TypeError> {
        if self.type_name() == expected {
            Ok(())
        } else {
            Err(TypeError(format!(
                "JSON value of type {} is not of expected type {}",
                self.type_name(),
                expected
            )))
        }
    }

    /// The text of a string (`get_str`).
    pub fn get_str(&self) -> Result<&str, TypeError> {
        self.check_type("string")?;
        Ok(self.val_str())
    }

    /// A boolean (`get_bool`).
    pub fn get_bool(&self) -> Result<bool, TypeError> {
        self.check_type("bool")?;
        Ok(matches!(self, UniValue::Bool(true)))
    }

    /// An integer that must be written in plain decimal and fit in `T` (`getInt<T>`).
    pub fn get_int<T: std::str::FromStr>(&self) -> Result<T, TypeError> {
        self.check_type("number")?;
        let text = self.val_str();
        // `std::from_chars` takes no leading '+', and must consume everything.
        if text.starts_with('+') {
            return Err(TypeError("JSON integer out of range".into()));
        }
        text.parse::<T>()
            .map_err(|_| TypeError("JSON integer out of range".into()))
    }

    /// A floating-point number (`get_real`).
    pub fn get_real(&self) -> Result<f64, TypeError> {
        self.check_type("number")?;
        self.val_str()
            .parse::<f64>()
            .map_err(|_| TypeError("JSON double out of range".into()))
    }

    /// The object itself (`get_obj`).
    pub fn get_obj(&self) -> Result<&UniValue, TypeError> {
        self.check_type("object")?;
        Ok(self)
    }

    /// The raw text UniValue keeps (`getValStr`): a number's or string's text,
    /// "1" for true, and "" for false, null, arrays and objects.
    pub fn val_str(&self) -> &str {
        match self {
            UniValue::Num(s) | UniValue::Str(s) => s,
            UniValue::Bool(true) => "1",
            _ => "",
        }
    }

    /// Compact JSON (`write()`).
    pub fn write(&self) -> String {
        self.write_pretty(0)
    }

    /// JSON indented by `pretty_indent` spaces per level, or compact when 0
    /// (`write(prettyIndent)`).
    pub fn write_pretty(&self, pretty_indent: usize) -> String {
        let mut s = String::new();
        self.write_to(pretty_indent, 0, &mut s);
        s
    }

    fn write_to(&self, pretty: usize, indent_level: usize, s: &mut String) {
        let level = indent_level.max(1);
        match self {
            UniValue::Null => s.push_str("null"),
            UniValue::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
            UniValue::Num(n) => s.push_str(n),
            UniValue::Str(v) => {
                s.push('"');
                json_escape(v, s);
                s.push('"');
            }
            UniValue::Array(items) => {
                s.push('[');
                if pretty > 0 {
                    s.push('\n');
                }
                for (i, item) in items.iter().enumerate() {
                    push_indent(pretty, level, s);
                    item.write_to(pretty, level + 1, s);
                    if i + 1 != items.len() {
                        s.push(',');
                    }
                    if pretty > 0 {
                        s.push('\n');
                    }
                }
                push_indent(pretty, level - 1, s);
                s.push(']');
            }
            UniValue::Object(kvs) => {
                s.push('{');
                if pretty > 0 {
                    s.push('\n');
                }
                for (i, (key, val)) in kvs.iter().enumerate() {
                    push_indent(pretty, level, s);
                    s.push('"');
                    json_escape(key, s);
                    s.push_str("\":");
                    if pretty > 0 {
                        s.push(' ');
                    }
                    val.write_to(pretty, level + 1, s);
                    if i + 1 != kvs.len() {
                        s.push(',');
                    }
                    if pretty > 0 {
                        s.push('\n');
                    }
                }
                push_indent(pretty, level - 1, s);
                s.push('}');
            }
        }
    }
}

impl From<&str> for UniValue {
    fn from(s: &str) -> Self {
        UniValue::Str(s.to_owned())
    }
}

impl From<String> for UniValue {
    fn from(s: String) -> Self {
        UniValue::Str(s)
    }
}

impl From<bool> for UniValue {
    fn from(b: bool) -> Self {
        UniValue::Bool(b)
    }
}

fn push_indent(pretty: usize, level: usize, s: &mut String) {
    s.extend(std::iter::repeat_n(' ', pretty * level));
}

/// Escapes as UniValue's table (`univalue_escapes.h`): `"` and `\`, the control
/// characters (with the short forms `\b \t \n \f \r`) and DEL; nothing else.
fn json_escape(text: &str, out: &mut String) {
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests;
