//! Objects with repeated keys. Core's `UniValue` keeps every key of an object, so a handler
//! can refuse `{"addr": 1, "addr": 1}`; a `serde_json` map keeps one of them. The raw text of
//! each request's params is kept beside the parsed value, and a handler reads an argument's
//! entries from it, in order and with repeats.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The entries of a JSON object, in order, repeated keys kept.
struct Entries<V>(Vec<(String, V)>);

impl<'de, V: DeserializeOwned> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<V>(PhantomData<V>);
        impl<'de, V: DeserializeOwned> Visitor<'de> for V2<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<V>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, V>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V2(PhantomData))
    }
}

/// The `params` member of one request object, unparsed.
#[derive(Deserialize)]
struct RawRequest {
    #[serde(default)]
    params: Option<Box<RawValue>>,
}

/// The raw params of a single request body.
pub(crate) fn raw_params_single(body: &[u8]) -> Option<Box<RawValue>> {
    serde_json::from_slice::<RawRequest>(body).ok()?.params
}

/// The raw params of each request of a batch body.
pub(crate) fn raw_params_batch(body: &[u8]) -> Vec<Option<Box<RawValue>>> {
    serde_json::from_slice::<Vec<RawRequest>>(body)
        .map(|v| v.into_iter().map(|r| r.params).collect())
        .unwrap_or_default()
}

/// The raw argument at position `i`: from an array of params, or from an object of named
/// params by the argument's name pattern (`"a|b"`).
pub(crate) fn raw_arg(raw: &RawValue, i: usize, pattern: Option<&str>) -> Option<Box<RawValue>> {
    let text = raw.get().trim_start();
    if text.starts_with('[') {
        let mut all: Vec<Box<RawValue>> = serde_json::from_str(text).ok()?;
        (i < all.len()).then(|| all.swap_remove(i))
    } else {
        let entries: Entries<Box<RawValue>> = serde_json::from_str(text).ok()?;
        let pattern = pattern?;
        entries
            .0
            .into_iter()
            .find(|(k, _)| pattern.split('|').any(|n| n == k))
            .map(|(_, v)| v)
    }
}

/// The entries of `raw` if it is an object, in order with repeated keys.
pub(crate) fn object_entries(raw: &RawValue) -> Option<Vec<(String, serde_json::Value)>> {
    serde_json::from_str::<Entries<serde_json::Value>>(raw.get())
        .ok()
        .map(|e| e.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_repeated_keys_of_positional_and_named_args() {
        let body = br#"{"method":"m","params":[[], {"a":1,"b":2,"a":3}]}"#;
        let raw = raw_params_single(body).unwrap();
        let arg = raw_arg(&raw, 1, None).unwrap();
        assert_eq!(
            object_entries(&arg).unwrap(),
            vec![
                ("a".to_string(), json!(1)),
                ("b".to_string(), json!(2)),
                ("a".to_string(), json!(3))
            ]
        );
        assert!(object_entries(&raw_arg(&raw, 0, None).unwrap()).is_none());
        assert!(raw_arg(&raw, 2, None).is_none());

        let body = br#"[{"method":"m","params":{"outputs":{"d":"aa","d":"bb"}}}, 5]"#;
        assert!(raw_params_batch(body).is_empty());
        let body = br#"[{"method":"m","params":{"outputs":{"d":"aa","d":"bb"}}}]"#;
        let raws = raw_params_batch(body);
        let arg = raw_arg(raws[0].as_ref().unwrap(), 1, Some("outputs")).unwrap();
        assert_eq!(object_entries(&arg).unwrap().len(), 2);
        assert!(raw_arg(raws[0].as_ref().unwrap(), 1, Some("other")).is_none());
    }
}
