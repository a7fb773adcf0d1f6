//! Type checks against a method's documentation: the arguments before the
//! handler runs (`RPCArg::MatchesType`), and, with `-rpcdoccheck`, the result
//! after it ran (`RPCResult::MatchesType`).

use serde_json::{Map, Value};

use crate::spec::{ArgType, ResultType, RpcArg, RpcMethod, RpcResult};

/// UniValue's type names (`uvTypeName`), used in Core's type errors.
pub fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
    }
}

/// The message of UniValue's `type_error`.
pub fn type_error_message(got: &Value, expected: &'static str) -> String {
    format!(
        "JSON value of type {} is not of expected type {expected}",
        json_type_name(got)
    )
}

fn expected_arg_type(t: ArgType) -> Option<&'static str> {
    match t {
        ArgType::StrHex | ArgType::Str => Some("string"),
        ArgType::Num => Some("number"),
        // Checked when parsed (AmountFromValue, ParseRange).
        ArgType::Amount | ArgType::Range => None,
        ArgType::Bool => Some("bool"),
        ArgType::Obj | ArgType::ObjNamedParams | ArgType::ObjUserKeys => Some("object"),
        ArgType::Arr => Some("array"),
    }
}

/// `RPCArg::MatchesType`: `None` when the value is acceptable, else the error.
pub fn arg_mismatch(arg: &RpcArg, value: &Value) -> Option<String> {
    if arg.opts.skip_type_check || (arg.is_optional() && value.is_null()) {
        return None;
    }
    let expected = expected_arg_type(arg.arg_type)?;
    (json_type_name(value) != expected).then(|| type_error_message(value, expected))
}

/// The check of `RPCHelpMan::HandleRequest`: every mismatching position, as
/// the object Core prints after "Wrong type passed:\n".
pub fn check_args(method: &RpcMethod, params: &[Value]) -> Option<Map<String, Value>> {
    let mut mismatches = Map::new();
    for (i, arg) in method.args.iter().enumerate() {
        let value = params.get(i).unwrap_or(&Value::Null);
        if let Some(err) = arg_mismatch(arg, value) {
            mismatches.insert(
                format!("Position {} ({})", i + 1, arg.names),
                Value::String(err),
            );
        }
    }
    (!mismatches.is_empty()).then_some(mismatches)
}

/// Writes a value the way UniValue's `write(4)` does.
pub fn pretty_json(v: &Value) -> String {
    use serde::Serialize;
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    v.serialize(&mut ser)
        .expect("serializing a Value cannot fail");
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

fn expected_result_type(t: ResultType) -> Option<&'static str> {
    match t {
        ResultType::Elision | ResultType::Any => None,
        ResultType::None => Some("null"),
        ResultType::Str | ResultType::StrHex => Some("string"),
        ResultType::Num | ResultType::StrAmount | ResultType::NumTime => Some("number"),
        ResultType::Bool => Some("bool"),
        ResultType::ArrFixed | ResultType::Arr => Some("array"),
        ResultType::ObjDyn | ResultType::Obj => Some("object"),
    }
}

/// `RPCResult::MatchesType`: `None` when the result fits the doc, else a
/// description of the mismatch.
pub fn result_mismatch(doc: &RpcResult, result: &Value) -> Option<Value> {
    if doc.skip_type_check {
        return None;
    }
    let expected = expected_result_type(doc.result_type)?;
    if json_type_name(result) != expected {
        return Some(Value::String(format!(
            "returned type is {}, but declared as {expected} in doc",
            json_type_name(result)
        )));
    }
    let mut errors = Map::new();
    match result {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                // More elements than documented re-use the last description.
                let Some(inner) = doc.inner.get(i.min(doc.inner.len().saturating_sub(1))) else {
                    break;
                };
                if let Some(e) = result_mismatch(inner, item) {
                    errors.insert(i.to_string(), e);
                }
            }
        }
        Value::Object(obj) => {
            if doc.inner.first().map(|r| r.result_type) == Some(ResultType::Elision) {
                return None;
            }
            if doc.result_type == ResultType::ObjDyn {
                if let Some(inner) = doc.inner.first() {
                    for (k, v) in obj {
                        if let Some(e) = result_mismatch(inner, v) {
                            errors.insert(k.clone(), e);
                        }
                    }
                }
            } else {
                let mut keys: Vec<&String> = obj.keys().collect();
                keys.sort();
                for k in keys {
                    if !doc.inner.iter().any(|d| &d.key_name == k) {
                        errors.insert(k.clone(), "key returned that was not in doc".into());
                    }
                }
                for d in &doc.inner {
                    match obj.get(&d.key_name) {
                        None if !d.optional => {
                            errors.insert(
                                d.key_name.clone(),
                                "key missing, despite not being optional in doc".into(),
                            );
                        }
                        None => {}
                        Some(v) => {
                            if let Some(e) = result_mismatch(d, v) {
                                errors.insert(d.key_name.clone(), e);
                            }
                        }
                    }
                }
            }
        }
        _ => {}
    }
    (!errors.is_empty()).then_some(Value::Object(errors))
}

/// The `-rpcdoccheck` explanation, or `None` when one documented result fits.
pub fn check_result(method: &RpcMethod, result: &Value) -> Option<String> {
    let mut mismatches = Vec::new();
    for doc in &method.results {
        match result_mismatch(doc, result) {
            None => return None,
            Some(m) => mismatches.push(m),
        }
    }
    Some(match mismatches.len() {
        0 => "no possible results defined".to_string(),
        1 => pretty_json(&mismatches[0]),
        _ => pretty_json(&Value::Array(mismatches)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arg_checks() {
        let num = RpcArg::required("n", ArgType::Num, "");
        assert_eq!(
            arg_mismatch(&num, &json!("x")).unwrap(),
            "JSON value of type string is not of expected type number"
        );
        assert_eq!(
            arg_mismatch(&num, &Value::Null).unwrap(),
            "JSON value of type null is not of expected type number"
        );
        assert!(arg_mismatch(&RpcArg::omitted("n", ArgType::Num, ""), &Value::Null).is_none());
        assert!(arg_mismatch(&RpcArg::required("a", ArgType::Amount, ""), &json!([])).is_none());
        assert!(arg_mismatch(&num.clone().skip_type_check(), &json!(true)).is_none());
    }

    #[test]
    fn wrong_type_passed_text() {
        let m = RpcMethod::new(
            "help",
            "",
            vec![RpcArg::with_hint(
                "command",
                ArgType::Str,
                "all commands",
                "",
            )],
            vec![],
            "",
        );
        let mism = check_args(&m, &[json!(0)]).unwrap();
        assert_eq!(
            pretty_json(&Value::Object(mism)),
            "{\n    \"Position 1 (command)\": \"JSON value of type number is not of expected type string\"\n}"
        );
    }

    #[test]
    fn result_checks() {
        let doc = RpcResult::new(ResultType::Obj, "", "").inner(vec![
            RpcResult::new(ResultType::Num, "a", ""),
            RpcResult::new(ResultType::Str, "b", "").optional(),
        ]);
        assert!(result_mismatch(&doc, &json!({"a": 1})).is_none());
        assert_eq!(
            result_mismatch(&doc, &json!({"a": "x", "c": 1})).unwrap(),
            json!({"c": "key returned that was not in doc", "a": "returned type is string, but declared as number in doc"})
        );
        let arr = RpcResult::new(ResultType::Arr, "", "").inner(vec![RpcResult::new(
            ResultType::Num,
            "",
            "",
        )]);
        assert!(result_mismatch(&arr, &json!([1, 2, 3])).is_none());
        assert!(result_mismatch(&arr, &json!([1, "x"])).is_some());
    }
}
