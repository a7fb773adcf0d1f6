//! Help text of a method, laid out exactly as Widecoin Core's
//! `RPCHelpMan::ToString` (`src/rpc/util.cpp`), and the example helpers
//! `HelpExampleCli`/`HelpExampleRpc`.

use serde_json::Value;

use crate::spec::{ArgType, Fallback, ResultType, RpcArg, RpcMethod, RpcResult};

/// `HelpExampleCli`: `> widecoin-cli method args\n`.
pub fn help_example_cli(method: &str, args: &str) -> String {
    format!("> widecoin-cli {method} {args}\n")
}

/// `HelpExampleCliNamed`: `> widecoin-cli -named method k=v ...\n`.
pub fn help_example_cli_named(method: &str, args: &[(&str, Value)]) -> String {
    let mut out = format!("> widecoin-cli -named {method}");
    for (name, value) in args {
        let text = match value {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        out += &format!(" {name}={}", shell_quote_if_needed(&text));
    }
    out + "\n"
}

/// `HelpExampleRpc`: the curl command line with positional parameters.
pub fn help_example_rpc(method: &str, args: &str) -> String {
    format!(
        "> curl --user myusername --data-binary '{{\"jsonrpc\": \"1.0\", \"id\": \"curltest\", \
         \"method\": \"{method}\", \"params\": [{args}]}}' -H 'content-type: text/plain;' http://127.0.0.1:8332/\n"
    )
}

/// `HelpExampleRpcNamed`: the curl command line with named parameters.
pub fn help_example_rpc_named(method: &str, args: &[(&str, Value)]) -> String {
    let params: serde_json::Map<String, Value> = args
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    format!(
        "> curl --user myusername --data-binary '{{\"jsonrpc\": \"1.0\", \"id\": \"curltest\", \
         \"method\": \"{method}\", \"params\": {}}}' -H 'content-type: text/plain;' http://127.0.0.1:8332/\n",
        Value::Object(params)
    )
}

fn shell_quote_if_needed(s: &str) -> String {
    if s.contains([' ', '\'', '"']) {
        format!("'{}'", s.replace('\'', "'\\''"))
    } else {
        s.to_string()
    }
}

/// Trims Core's whitespace set (`" \f\n\r\t\v"`).
fn trim_core(s: &str) -> &str {
    s.trim_matches([' ', '\x0c', '\n', '\r', '\t', '\x0b'])
}

/// Where a value sits: decides whether a key name is printed and whether a
/// trailing comma follows (`OuterType`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outer {
    Arr,
    Obj,
    None,
}

/// Two-column help lines (`Sections`): the left part padded to a common width.
#[derive(Default)]
struct Sections {
    lines: Vec<(String, String)>,
    max_pad: usize,
}

impl Sections {
    fn push(&mut self, left: String, right: String) {
        self.max_pad = self.max_pad.max(left.len());
        self.lines.push((left, right));
    }

    /// `Sections::Push`: an argument and, recursively, its inner arguments.
    fn push_arg(&mut self, arg: &RpcArg, indent: usize, outer: Outer) {
        let ind = " ".repeat(indent);
        let ind_next = " ".repeat(indent + 2);
        let push_name = outer == Outer::Obj;
        let top = outer == Outer::None;
        match arg.arg_type {
            ArgType::StrHex
            | ArgType::Str
            | ArgType::Num
            | ArgType::Amount
            | ArgType::Range
            | ArgType::Bool
            | ArgType::ObjNamedParams => {
                if top {
                    return;
                }
                let mut left = ind;
                if !arg.opts.type_str.is_empty() && push_name {
                    left += &format!("\"{}\": {}", arg.names, arg.opts.type_str[0]);
                } else if push_name {
                    left += &arg_to_string_obj(arg, false);
                } else {
                    left += &arg_to_string(arg, false);
                }
                left.push(',');
                self.push(left, arg_description(arg, push_name));
            }
            ArgType::Obj | ArgType::ObjUserKeys => {
                let right = if top {
                    String::new()
                } else {
                    arg_description(arg, push_name)
                };
                let key = if push_name {
                    format!("\"{}\": ", arg.names)
                } else {
                    String::new()
                };
                self.push(format!("{ind}{key}{{"), right);
                for inner in &arg.inner {
                    self.push_arg(inner, indent + 2, Outer::Obj);
                }
                if arg.arg_type != ArgType::Obj {
                    self.push(format!("{ind_next}..."), String::new());
                }
                self.push(
                    format!("{ind}}}{}", if top { "" } else { "," }),
                    String::new(),
                );
            }
            ArgType::Arr => {
                let key = if push_name {
                    format!("\"{}\": ", arg.names)
                } else {
                    String::new()
                };
                let right = if top {
                    String::new()
                } else {
                    arg_description(arg, push_name)
                };
                self.push(format!("{ind}{key}["), right);
                for inner in &arg.inner {
                    self.push_arg(inner, indent + 2, Outer::Arr);
                }
                self.push(format!("{ind_next}..."), String::new());
                self.push(
                    format!("{ind}]{}", if top { "" } else { "," }),
                    String::new(),
                );
            }
        }
    }

    /// `RPCResult::ToSections`.
    fn push_result(&mut self, res: &RpcResult, outer: Outer, indent: usize) {
        let ind = " ".repeat(indent);
        let ind_next = " ".repeat(indent + 2);
        let sep = if outer != Outer::None { "," } else { "" };
        let key = if outer == Outer::Obj {
            format!("\"{}\" : ", res.key_name)
        } else {
            String::new()
        };
        let describe = |t: &str| {
            let mut d = format!("({t}{})", if res.optional { ", optional" } else { "" });
            if !res.description.is_empty() {
                d += " ";
                d += &res.description;
            }
            d
        };
        let simple = |s: &mut Sections, shape: &str, t: &str| {
            s.push(format!("{ind}{key}{shape}{sep}"), describe(t));
        };
        match res.result_type {
            ResultType::Elision => self.push(format!("{ind}...{sep}"), res.description.clone()),
            ResultType::Any => {}
            ResultType::None => self.push(format!("{ind}null{sep}"), describe("json null")),
            ResultType::Str => simple(self, "\"str\"", "string"),
            ResultType::StrAmount | ResultType::Num => simple(self, "n", "numeric"),
            ResultType::StrHex => simple(self, "\"hex\"", "string"),
            ResultType::NumTime => simple(self, "xxx", "numeric"),
            ResultType::Bool => simple(self, "true|false", "boolean"),
            ResultType::Arr | ResultType::ArrFixed => {
                self.push(format!("{ind}{key}["), describe("json array"));
                for inner in &res.inner {
                    self.push_result(inner, Outer::Arr, indent + 2);
                }
                let last_elided =
                    res.inner.last().map(|r| r.result_type) == Some(ResultType::Elision);
                if res.result_type == ResultType::Arr && !last_elided {
                    self.push(format!("{ind_next}..."), String::new());
                } else {
                    self.pop_trailing_comma();
                }
                self.push(format!("{ind}]{sep}"), String::new());
            }
            ResultType::Obj | ResultType::ObjDyn => {
                if res.inner.is_empty() {
                    self.push(format!("{ind}{key}{{}}"), describe("empty JSON object"));
                    return;
                }
                self.push(format!("{ind}{key}{{"), describe("json object"));
                for inner in &res.inner {
                    self.push_result(inner, Outer::Obj, indent + 2);
                }
                let last_elided =
                    res.inner.last().map(|r| r.result_type) == Some(ResultType::Elision);
                if res.result_type == ResultType::ObjDyn && !last_elided {
                    self.push(format!("{ind_next}..."), String::new());
                } else {
                    self.pop_trailing_comma();
                }
                self.push(format!("{ind}}}{sep}"), String::new());
            }
        }
    }

    fn pop_trailing_comma(&mut self) {
        if let Some((left, _)) = self.lines.last_mut() {
            left.pop();
        }
    }

    /// `Sections::ToString`: pads the left column and indents continuation
    /// lines of the right one.
    fn render(&self) -> String {
        let pad = self.max_pad + 4;
        let mut ret = String::new();
        for (left, right) in &self.lines {
            if right.is_empty() {
                ret += left;
                ret.push('\n');
                continue;
            }
            ret += &format!("{left:<pad$}");
            let bytes = right.as_bytes();
            let find_nl = |from: usize| {
                bytes[from.min(bytes.len())..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map(|p| p + from)
            };
            let mut begin = 0;
            let mut nl = find_nl(0);
            loop {
                match nl {
                    None => {
                        ret += &right[begin..];
                        break;
                    }
                    Some(n) => {
                        ret += &right[begin..n];
                        ret.push('\n');
                        ret += &" ".repeat(pad);
                        match bytes[n + 1..].iter().position(|&b| b != b' ') {
                            None => break,
                            Some(p) => begin = n + 1 + p,
                        }
                        nl = find_nl(begin + 1);
                    }
                }
            }
            ret.push('\n');
        }
        ret
    }
}

/// `RPCArg::ToString`: the argument in the one-line summary or in an array.
fn arg_to_string(arg: &RpcArg, oneline: bool) -> String {
    if oneline && !arg.opts.oneline_description.is_empty() {
        return arg.opts.oneline_description.clone();
    }
    match arg.arg_type {
        ArgType::StrHex | ArgType::Str => format!("\"{}\"", arg.first_name()),
        ArgType::Num | ArgType::Range | ArgType::Amount | ArgType::Bool => {
            arg.first_name().to_string()
        }
        ArgType::Obj | ArgType::ObjNamedParams | ArgType::ObjUserKeys => {
            let inner: Vec<String> = arg
                .inner
                .iter()
                .map(|i| arg_to_string_obj(i, oneline))
                .collect();
            if arg.arg_type == ArgType::Obj {
                format!("{{{}}}", inner.join(","))
            } else {
                format!("{{{},...}}", inner.join(","))
            }
        }
        ArgType::Arr => {
            let inner: String = arg
                .inner
                .iter()
                .map(|i| arg_to_string(i, oneline) + ",")
                .collect();
            format!("[{inner}...]")
        }
    }
}

/// `RPCArg::ToStringObj`: the argument as a key-value pair.
fn arg_to_string_obj(arg: &RpcArg, oneline: bool) -> String {
    let res = format!(
        "\"{}\"{}",
        arg.first_name(),
        if oneline { ":" } else { ": " }
    );
    match arg.arg_type {
        ArgType::Str => res + "\"str\"",
        ArgType::StrHex => res + "\"hex\"",
        ArgType::Num => res + "n",
        ArgType::Range => res + "n or [n,n]",
        ArgType::Amount => res + "amount",
        ArgType::Bool => res + "bool",
        ArgType::Arr => {
            let inner: String = arg
                .inner
                .iter()
                .map(|i| arg_to_string(i, oneline) + ",")
                .collect();
            format!("{res}[{inner}...]")
        }
        // Core never prints nested objects this way.
        ArgType::Obj | ArgType::ObjNamedParams | ArgType::ObjUserKeys => res + "{...}",
    }
}

/// `RPCArg::ToDescriptionString`: "(type, required) description".
fn arg_description(arg: &RpcArg, is_named_arg: bool) -> String {
    let mut ret = String::from("(");
    if arg.opts.type_str.len() > 1 {
        ret += &arg.opts.type_str[1];
    } else {
        ret += match arg.arg_type {
            ArgType::StrHex | ArgType::Str => "string",
            ArgType::Num => "numeric",
            ArgType::Amount => "numeric or string",
            ArgType::Range => "numeric or array",
            ArgType::Bool => "boolean",
            ArgType::Obj | ArgType::ObjNamedParams | ArgType::ObjUserKeys => "json object",
            ArgType::Arr => "json array",
        };
    }
    match &arg.fallback {
        Fallback::DefaultHint(hint) => ret += &format!(", optional, default={hint}"),
        Fallback::Default(v) => ret += &format!(", optional, default={v}"),
        Fallback::Omitted if is_named_arg => ret += ", optional",
        Fallback::Omitted => {}
        Fallback::Required => ret += ", required",
    }
    ret.push(')');
    if arg.arg_type == ArgType::ObjNamedParams {
        ret += " Options object that can be used to pass named arguments, listed below.";
    }
    if !arg.description.is_empty() {
        ret.push(' ');
        ret += &arg.description;
    }
    ret
}

impl RpcMethod {
    /// The full help text (`RPCHelpMan::ToString`), as `help <method>` and a
    /// wrong number of arguments return it.
    pub fn help_text(&self) -> String {
        let mut ret = self.name.clone();
        let mut was_optional = false;
        for arg in self.args.iter().take_while(|a| !a.opts.hidden) {
            ret.push(' ');
            if arg.is_optional() {
                if !was_optional {
                    ret += "( ";
                }
                was_optional = true;
            } else {
                if was_optional {
                    ret += ") ";
                }
                was_optional = false;
            }
            ret += &arg_to_string(arg, true);
        }
        if was_optional {
            ret += " )";
        }
        ret += &format!("\n\n{}\n", trim_core(&self.description));

        let mut sections = Sections::default();
        let mut named_only = Sections::default();
        for (i, arg) in self.args.iter().take_while(|a| !a.opts.hidden).enumerate() {
            sections.push(
                format!("{}. {}", i + 1, arg.first_name()),
                arg_description(arg, true),
            );
            sections.push_arg(arg, 5, Outer::None);
            if arg.arg_type == ArgType::ObjNamedParams {
                for inner in &arg.inner {
                    named_only.push(inner.first_name().to_string(), arg_description(inner, true));
                    named_only.push_arg(inner, 5, Outer::None);
                }
            }
        }
        if !sections.lines.is_empty() {
            ret += "\nArguments:\n";
        }
        ret += &sections.render();
        if !named_only.lines.is_empty() {
            ret += "\nNamed Arguments:\n";
        }
        ret += &named_only.render();

        for res in &self.results {
            if res.result_type == ResultType::Any {
                continue;
            }
            if res.cond.is_empty() {
                ret += "\nResult:\n";
            } else {
                ret += &format!("\nResult ({}):\n", res.cond);
            }
            let mut s = Sections::default();
            s.push_result(res, Outer::None, 0);
            ret += &s.render();
        }

        if !self.examples.is_empty() {
            ret += "\nExamples:\n";
            ret += &self.examples;
        }
        ret
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn getblockhash_help_matches_core() {
        let m = RpcMethod::new(
            "getblockhash",
            "\nReturns hash of block in best-block-chain at height provided.\n",
            vec![RpcArg::required("height", ArgType::Num, "The height index")],
            vec![RpcResult::new(ResultType::StrHex, "", "The block hash")],
            help_example_cli("getblockhash", "1000") + &help_example_rpc("getblockhash", "1000"),
        );
        let expected = "getblockhash height\n\
\n\
Returns hash of block in best-block-chain at height provided.\n\
\n\
Arguments:\n\
1. height    (numeric, required) The height index\n\
\n\
Result:\n\
\"hex\"    (string) The block hash\n\
\n\
Examples:\n\
> widecoin-cli getblockhash 1000\n\
> curl --user myusername --data-binary '{\"jsonrpc\": \"1.0\", \"id\": \"curltest\", \"method\": \"getblockhash\", \"params\": [1000]}' -H 'content-type: text/plain;' http://127.0.0.1:8332/\n";
        assert_eq!(m.help_text(), expected);
    }

    #[test]
    fn optional_args_objects_and_results() {
        let m = RpcMethod::new(
            "f",
            "Does f.",
            vec![
                RpcArg::required("a", ArgType::Str, "first"),
                RpcArg::with_default("b", ArgType::Num, json!(6), "second\nline two"),
                RpcArg::omitted("opts", ArgType::Obj, "").inner(vec![RpcArg::with_default(
                    "k",
                    ArgType::Bool,
                    json!(true),
                    "key",
                )]),
            ],
            vec![RpcResult::new(ResultType::Obj, "", "").inner(vec![
                RpcResult::new(ResultType::Num, "n", "a number"),
                RpcResult::new(ResultType::Arr, "l", "list").inner(vec![RpcResult::new(
                    ResultType::Str,
                    "",
                    "item",
                )]),
            ])],
            "",
        );
        let expected = r#"f "a" ( b {"k":bool} )

Does f.

Arguments:
1. a                 (string, required) first
2. b                 (numeric, optional, default=6) second
                     line two
3. opts              (json object, optional)
     {
       "k": bool,    (boolean, optional, default=true) key
     }

Result:
{             (json object)
  "n" : n,    (numeric) a number
  "l" : [     (json array) list
    "str",    (string) item
    ...
  ]
}
"#;
        assert_eq!(m.help_text(), expected);
    }

    #[test]
    fn hidden_args_are_not_shown() {
        let m = RpcMethod::new(
            "stop",
            "\nRequest a graceful shutdown.",
            vec![RpcArg::omitted("wait", ArgType::Num, "how long").hidden()],
            vec![RpcResult::new(ResultType::Str, "", "x")],
            "",
        );
        assert_eq!(
            m.help_text(),
            "stop\n\nRequest a graceful shutdown.\n\nResult:\n\"str\"    (string) x\n"
        );
    }

    #[test]
    fn named_examples() {
        assert_eq!(
            help_example_cli_named("m", &[("a", json!("x y")), ("b", json!(1))]),
            "> widecoin-cli -named m a='x y' b=1\n"
        );
        assert!(help_example_rpc_named("m", &[("a", json!(1))]).contains("\"params\": {\"a\":1}}'"));
    }
}
