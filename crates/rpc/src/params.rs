//! Named → positional parameters (Core's `transformNamedArguments`,
//! `src/rpc/server.cpp`), and detection of keys repeated in a params object
//! while the request body is parsed.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use widecoin_interfaces::rpc::RpcError;

/// Turns a params object into the positional array a handler reads.
///
/// `arg_names` is [`RpcMethod::arg_names`](crate::RpcMethod::arg_names):
/// the name pattern (`"a|b"`) of each argument and whether it is named-only.
/// Unspecified arguments before a specified one become `null`; named-only
/// parameters are collected into the options object at their position; a
/// leftover `args` array supplies leading positional arguments.
pub fn transform_named_arguments(
    params: &Map<String, Value>,
    duplicate: Option<&str>,
    arg_names: &[(String, bool)],
) -> Result<Vec<Value>, RpcError> {
    if let Some(key) = duplicate {
        return Err(RpcError::invalid_parameter(format!(
            "Parameter {key} specified multiple times"
        )));
    }
    let mut args_in: Vec<(String, Value)> =
        params.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut out: Vec<Value> = Vec::new();
    let mut hole = 0usize;
    let mut initial_hole_size = 0usize;
    let mut initial_param: Option<&str> = None;
    let mut options = Map::new();

    for (pattern, named_only) in arg_names {
        let found = pattern
            .split('|')
            .find_map(|name| args_in.iter().position(|(k, _)| k == name));
        if *named_only {
            if let Some(pos) = found {
                let (key, value) = args_in.remove(pos);
                if options.contains_key(&key) {
                    return Err(RpcError::invalid_parameter(format!(
                        "Parameter {key} specified multiple times"
                    )));
                }
                options.insert(key, value);
            }
            continue;
        }

        if !options.is_empty() || found.is_some() {
            // Fill the hole before a specified parameter with nulls, but not
            // at the end: some methods act on the number of parameters.
            out.extend(std::iter::repeat_n(Value::Null, hole));
            hole = 0;
            initial_param.get_or_insert(pattern);
        } else {
            hole += 1;
            if out.is_empty() {
                initial_hole_size = hole;
            }
        }

        if let Some(pos) = found {
            let (key, value) = args_in.remove(pos);
            if let Some(first_option) = options.keys().next() {
                return Err(RpcError::invalid_parameter(format!(
                    "Parameter {key} conflicts with parameter {first_option}"
                )));
            }
            out.push(value);
        }
        if !options.is_empty() {
            out.push(Value::Object(std::mem::take(&mut options)));
        }
    }

    if let Some(pos) = args_in.iter().position(|(k, _)| k == "args") {
        let (_, positional) = args_in.remove(pos);
        if let Value::Array(positional) = positional {
            if let Some(param) = initial_param.filter(|_| initial_hole_size < positional.len()) {
                return Err(RpcError::invalid_parameter(format!(
                    "Parameter {param} specified twice both as positional and named argument"
                )));
            }
            let named = std::mem::replace(&mut out, positional);
            if named.len() > out.len() {
                let start = out.len();
                out.extend(named.into_iter().skip(start));
            }
        }
    }

    if let Some((key, _)) = args_in.first() {
        return Err(RpcError::invalid_parameter(format!(
            "Unknown named parameter {key}"
        )));
    }
    Ok(out)
}

/// Keys repeated inside the `params` object of each request in a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DuplicateParams {
    /// The body is a single request: its first repeated params key.
    Single(Option<String>),
    /// The body is a batch: the first repeated params key of each element.
    Batch(Vec<Option<String>>),
    /// Neither an object nor an array.
    None,
}

/// Finds keys given twice in a params object. A JSON map keeps only one of
/// them, while Core rejects the call ("Parameter x specified multiple
/// times"), so the raw body is scanned once more for them.
pub fn find_duplicate_params(body: &[u8]) -> DuplicateParams {
    let mut de = serde_json::Deserializer::from_slice(body);
    match (Probe { level: Level::Top }).deserialize(&mut de) {
        Ok(Found::Top(d)) => d,
        _ => DuplicateParams::None,
    }
}

#[derive(Clone, Copy)]
enum Level {
    Top,
    Request,
    Params,
}

enum Found {
    Top(DuplicateParams),
    Key(Option<String>),
}

struct Probe {
    level: Level,
}

impl<'de> DeserializeSeed<'de> for Probe {
    type Value = Found;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Found, D::Error> {
        d.deserialize_any(self)
    }
}

impl Probe {
    fn nothing(&self) -> Found {
        match self.level {
            Level::Top => Found::Top(DuplicateParams::None),
            _ => Found::Key(None),
        }
    }
}

macro_rules! scalar_visits {
    ($($name:ident: $t:ty),*) => {$(
        fn $name<E: de::Error>(self, _: $t) -> Result<Found, E> {
            Ok(self.nothing())
        }
    )*};
}

impl<'de> Visitor<'de> for Probe {
    type Value = Found;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalar_visits!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);

    fn visit_unit<E: de::Error>(self) -> Result<Found, E> {
        Ok(self.nothing())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Found, A::Error> {
        match self.level {
            Level::Top => {
                let mut all = Vec::new();
                while let Some(found) = seq.next_element_seed(Probe {
                    level: Level::Request,
                })? {
                    all.push(match found {
                        Found::Key(k) => k,
                        Found::Top(_) => None,
                    });
                }
                Ok(Found::Top(DuplicateParams::Batch(all)))
            }
            _ => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(self.nothing())
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found, A::Error> {
        let mut found: Option<String> = None;
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            match self.level {
                Level::Top | Level::Request if key == "params" && found.is_none() => {
                    if let Found::Key(k) = map.next_value_seed(Probe {
                        level: Level::Params,
                    })? {
                        found = k;
                    }
                }
                Level::Params => {
                    map.next_value::<IgnoredAny>()?;
                    if !seen.insert(key.clone()) && found.is_none() {
                        found = Some(key);
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(match self.level {
            Level::Top => Found::Top(DuplicateParams::Single(found)),
            _ => Found::Key(found),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(v: &[(&str, bool)]) -> Vec<(String, bool)> {
        v.iter().map(|(n, b)| (n.to_string(), *b)).collect()
    }

    fn run(params: Value, arg_names: &[(&str, bool)]) -> Result<Value, String> {
        let Value::Object(map) = params else { panic!() };
        transform_named_arguments(&map, None, &names(arg_names))
            .map(Value::Array)
            .map_err(|e| e.message)
    }

    #[test]
    fn holes_and_aliases() {
        let n = [("arg1", false), ("arg2|alias2", false), ("arg3", false)];
        assert_eq!(
            run(json!({"arg3": 3, "arg1": 1}), &n).unwrap(),
            json!([1, null, 3])
        );
        assert_eq!(run(json!({"alias2": 2}), &n).unwrap(), json!([null, 2]));
        assert_eq!(run(json!({}), &n).unwrap(), json!([]));
        assert_eq!(
            run(json!({"arg4": 1}), &n).unwrap_err(),
            "Unknown named parameter arg4"
        );
    }

    #[test]
    fn named_only_options() {
        // Core's rpc_tests "rpc_namedonlyparams".
        let n = [
            ("arg1", false),
            ("arg2", false),
            ("opt1", true),
            ("opt2", true),
            ("options", false),
        ];
        assert_eq!(
            run(json!({"arg1": 1, "opt1": 2}), &n).unwrap(),
            json!([1, null, {"opt1": 2}])
        );
        assert_eq!(
            run(json!({"options": {"opt1": 3}}), &n).unwrap(),
            json!([null, null, {"opt1": 3}])
        );
        assert_eq!(
            run(json!({"opt2": 1, "options": {"opt1": 3}}), &n).unwrap_err(),
            "Parameter options conflicts with parameter opt2"
        );
    }

    #[test]
    fn positional_args_mixed_with_named() {
        let n = [("arg1", false), ("arg2", false), ("arg3", false)];
        assert_eq!(
            run(json!({"args": [1, 2], "arg3": 3}), &n).unwrap(),
            json!([1, 2, 3])
        );
        assert_eq!(
            run(json!({"args": [1, 2], "arg2": 3}), &n).unwrap_err(),
            "Parameter arg2 specified twice both as positional and named argument"
        );
        assert_eq!(run(json!({"args": [1]}), &n).unwrap(), json!([1]));
    }

    #[test]
    fn duplicates() {
        let dup = find_duplicate_params(br#"{"method":"m","params":{"a":1,"b":2,"a":3},"id":1}"#);
        assert_eq!(dup, DuplicateParams::Single(Some("a".into())));
        let e = transform_named_arguments(&Map::new(), Some("a"), &[]).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (-8, "Parameter a specified multiple times")
        );
        let dup = find_duplicate_params(br#"[{"params":{"x":1.5,"x":[1]}}, 3, {"params":[1,1]}]"#);
        assert_eq!(
            dup,
            DuplicateParams::Batch(vec![Some("x".into()), None, None])
        );
        assert_eq!(
            find_duplicate_params(br#"{"params":{"a":1}}"#),
            DuplicateParams::Single(None)
        );
    }
}
