//! The documentation of an RPC method: its arguments, results and examples.
//!
//! Modelled on Widecoin Core's `RPCHelpMan`, `RPCArg` and `RPCResult`
//! (`src/rpc/util.h`). The same description drives four things: the help text
//! (`help <method>`), the named → positional transformation of parameters, the
//! argument type checks done before a handler runs, and the defaults returned
//! by [`RpcRequest::arg`](crate::RpcRequest::arg).

use serde_json::{json, Value};

/// `RPCArg::Type`: the JSON type an argument accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    /// A JSON object with predefined keys (the `inner` args).
    Obj,
    /// A JSON array whose elements are described by the `inner` args.
    Arr,
    /// A string.
    Str,
    /// A number.
    Num,
    /// A boolean.
    Bool,
    /// An options object whose keys may also be passed as top-level named
    /// parameters (Core's `OBJ_NAMED_PARAMS`).
    ObjNamedParams,
    /// An object whose keys the user chooses (e.g. addresses).
    ObjUserKeys,
    /// An amount: a number or a string (checked when parsed, not before).
    Amount,
    /// A string of hex characters.
    StrHex,
    /// A number or a `[number, number]` pair (checked when parsed).
    Range,
}

impl ArgType {
    fn has_inner(self) -> bool {
        matches!(
            self,
            ArgType::Obj | ArgType::Arr | ArgType::ObjNamedParams | ArgType::ObjUserKeys
        )
    }
}

/// `RPCArg::Fallback`: what happens when an argument is not given.
#[derive(Debug, Clone, PartialEq)]
pub enum Fallback {
    /// Required (`RPCArg::Optional::NO`).
    Required,
    /// Optional, the default is omitted from the help (`RPCArg::Optional::OMITTED`).
    Omitted,
    /// Optional, the help shows this hint as the default (`RPCArg::DefaultHint`).
    DefaultHint(String),
    /// Optional with this default value (`RPCArg::Default`), which
    /// [`RpcRequest::arg`](crate::RpcRequest::arg) returns when the argument is absent.
    Default(Value),
}

/// `RPCArgOptions`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArgOptions {
    /// Do not check the JSON type of the argument before calling the handler.
    pub skip_type_check: bool,
    /// Replaces the generated one-line summary of the argument.
    pub oneline_description: String,
    /// Empty, or two strings overriding the type shown in a key-value pair
    /// and in the argument description.
    pub type_str: Vec<String>,
    /// Hidden from the help (for testing); every later argument is hidden too.
    pub hidden: bool,
    /// Lets a key of an `ObjNamedParams` options object share its name with a
    /// top-level parameter.
    pub also_positional: bool,
}

/// One argument of a method (`RPCArg`).
#[derive(Debug, Clone, PartialEq)]
pub struct RpcArg {
    /// The name, or several aliases separated by `|` (`"conf_target|target"`).
    pub names: String,
    pub arg_type: ArgType,
    pub fallback: Fallback,
    pub description: String,
    /// Elements of an array or keys of an object.
    pub inner: Vec<RpcArg>,
    pub opts: ArgOptions,
}

impl RpcArg {
    /// An argument with the given fallback.
    pub fn new(
        names: impl Into<String>,
        arg_type: ArgType,
        fallback: Fallback,
        description: impl Into<String>,
    ) -> Self {
        RpcArg {
            names: names.into(),
            arg_type,
            fallback,
            description: description.into(),
            inner: Vec::new(),
            opts: ArgOptions::default(),
        }
    }

    /// A required argument.
    pub fn required(names: &str, arg_type: ArgType, description: &str) -> Self {
        Self::new(names, arg_type, Fallback::Required, description)
    }

    /// An optional argument with no documented default.
    pub fn omitted(names: &str, arg_type: ArgType, description: &str) -> Self {
        Self::new(names, arg_type, Fallback::Omitted, description)
    }

    /// An optional argument with a default value.
    pub fn with_default(names: &str, arg_type: ArgType, default: Value, description: &str) -> Self {
        Self::new(names, arg_type, Fallback::Default(default), description)
    }

    /// An optional argument whose default is described by a hint.
    pub fn with_hint(names: &str, arg_type: ArgType, hint: &str, description: &str) -> Self {
        Self::new(
            names,
            arg_type,
            Fallback::DefaultHint(hint.into()),
            description,
        )
    }

    /// Sets the inner arguments (for `Obj`, `Arr`, `ObjNamedParams`, `ObjUserKeys`).
    pub fn inner(mut self, inner: Vec<RpcArg>) -> Self {
        self.inner = inner;
        self
    }

    /// Sets the options.
    pub fn options(mut self, opts: ArgOptions) -> Self {
        self.opts = opts;
        self
    }

    /// Hides the argument (and all following ones) from the help.
    pub fn hidden(mut self) -> Self {
        self.opts.hidden = true;
        self
    }

    /// Disables the type check of this argument.
    pub fn skip_type_check(mut self) -> Self {
        self.opts.skip_type_check = true;
        self
    }

    /// Overrides the one-line summary shown in the first line of the help.
    pub fn oneline(mut self, summary: &str) -> Self {
        self.opts.oneline_description = summary.into();
        self
    }

    /// Overrides the type strings (key-value pair, description).
    pub fn type_str(mut self, in_pair: &str, in_description: &str) -> Self {
        self.opts.type_str = vec![in_pair.into(), in_description.into()];
        self
    }

    /// Allows an options key to share a top-level parameter's name.
    pub fn also_positional(mut self) -> Self {
        self.opts.also_positional = true;
        self
    }

    /// `RPCArg::IsOptional`.
    pub fn is_optional(&self) -> bool {
        !matches!(self.fallback, Fallback::Required)
    }

    /// The first of the aliases.
    pub fn first_name(&self) -> &str {
        self.names.split('|').next().unwrap_or("")
    }

    /// The default value, if the spec gives one.
    pub fn default_value(&self) -> Option<&Value> {
        match &self.fallback {
            Fallback::Default(v) => Some(v),
            _ => None,
        }
    }
}

/// `RPCResult::Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultType {
    Obj,
    Arr,
    Str,
    Num,
    Bool,
    /// JSON null.
    None,
    /// Any type; not shown in the help and not checked (for testing).
    Any,
    /// An amount, written as a number.
    StrAmount,
    /// A hex string.
    StrHex,
    /// An object whose keys are not literals.
    ObjDyn,
    /// An array with a fixed number of entries.
    ArrFixed,
    /// A UNIX epoch time.
    NumTime,
    /// `...`: elided content.
    Elision,
}

/// One documented result, or a field of one (`RPCResult`).
#[derive(Debug, Clone, PartialEq)]
pub struct RpcResult {
    /// The condition under which this result is returned ("if verbose is set
    /// to true"); empty when there is only one result.
    pub cond: String,
    pub result_type: ResultType,
    /// The key when this is a field of an object.
    pub key_name: String,
    pub optional: bool,
    pub skip_type_check: bool,
    pub description: String,
    pub inner: Vec<RpcResult>,
}

impl RpcResult {
    /// A result (or an object field when `key_name` is not empty).
    pub fn new(result_type: ResultType, key_name: &str, description: &str) -> Self {
        RpcResult {
            cond: String::new(),
            result_type,
            key_name: key_name.into(),
            optional: false,
            skip_type_check: false,
            description: description.into(),
            inner: Vec::new(),
        }
    }

    /// Sets the inner results (fields of an object, elements of an array).
    pub fn inner(mut self, inner: Vec<RpcResult>) -> Self {
        self.inner = inner;
        self
    }

    /// Marks the field as optional.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Sets the condition shown as "Result (cond):".
    pub fn cond(mut self, cond: &str) -> Self {
        self.cond = cond.into();
        self
    }

    /// Disables the `-rpcdoccheck` check of this result.
    pub fn skip_type_check(mut self) -> Self {
        self.skip_type_check = true;
        self
    }
}

/// The whole description of a method (`RPCHelpMan` without its function).
#[derive(Debug, Clone, PartialEq)]
pub struct RpcMethod {
    pub name: String,
    pub description: String,
    pub args: Vec<RpcArg>,
    pub results: Vec<RpcResult>,
    /// Already formatted examples, usually built with
    /// [`help_example_cli`](crate::help_example_cli) and
    /// [`help_example_rpc`](crate::help_example_rpc). May be empty.
    pub examples: String,
}

impl RpcMethod {
    /// A method description.
    pub fn new(
        name: &str,
        description: &str,
        args: Vec<RpcArg>,
        results: Vec<RpcResult>,
        examples: impl Into<String>,
    ) -> Self {
        let method = RpcMethod {
            name: name.into(),
            description: description.into(),
            args,
            results,
            examples: examples.into(),
        };
        debug_assert!(
            method.check_consistency().is_ok(),
            "{:?}",
            method.check_consistency()
        );
        method
    }

    /// The sanity checks of the `RPCHelpMan` constructor: names unique, inner
    /// args only where allowed, defaults of the argument's type.
    pub fn check_consistency(&self) -> Result<(), String> {
        const POSITIONAL: u8 = 1;
        const NAMED: u8 = 2;
        const NAMED_ONLY: u8 = 4;
        let mut seen = std::collections::HashMap::<&str, u8>::new();
        for arg in &self.args {
            if !arg.arg_type.has_inner() && !arg.inner.is_empty() {
                return Err(format!(
                    "argument {} cannot have inner arguments",
                    arg.names
                ));
            }
            for name in arg.names.split('|') {
                let t = seen.entry(name).or_default();
                if *t & (POSITIONAL | NAMED_ONLY) != 0 {
                    return Err(format!("parameter {name} is not unique"));
                }
                *t |= POSITIONAL;
            }
            if arg.arg_type == ArgType::ObjNamedParams {
                for inner in &arg.inner {
                    for name in inner.names.split('|') {
                        let t = seen.entry(name).or_default();
                        if (*t & POSITIONAL != 0 && !inner.opts.also_positional)
                            || *t & (NAMED | NAMED_ONLY) != 0
                        {
                            return Err(format!("parameter {name} is not unique"));
                        }
                        *t |= if inner.opts.also_positional {
                            NAMED
                        } else {
                            NAMED_ONLY
                        };
                    }
                }
            }
            if let Fallback::Default(v) = &arg.fallback {
                let ok = match v {
                    Value::Object(_) => arg.arg_type == ArgType::Obj,
                    Value::Array(_) => arg.arg_type == ArgType::Arr,
                    Value::String(_) => {
                        matches!(
                            arg.arg_type,
                            ArgType::Str | ArgType::StrHex | ArgType::Amount
                        )
                    }
                    Value::Number(_) => {
                        matches!(
                            arg.arg_type,
                            ArgType::Num | ArgType::Amount | ArgType::Range
                        )
                    }
                    Value::Bool(_) => arg.arg_type == ArgType::Bool,
                    Value::Null => true,
                };
                if !ok {
                    return Err(format!("default of {} does not match its type", arg.names));
                }
            }
        }
        Ok(())
    }

    /// `RPCHelpMan::IsValidNumArgs`: at least every argument up to the last
    /// required one, at most all of them.
    pub fn is_valid_num_args(&self, num_args: usize) -> bool {
        let num_required = self
            .args
            .iter()
            .rposition(|a| !a.is_optional())
            .map_or(0, |p| p + 1);
        num_required <= num_args && num_args <= self.args.len()
    }

    /// `RPCHelpMan::GetArgNames`: the name pattern of every argument and
    /// whether it is named-only (a key of an `ObjNamedParams` object, listed
    /// before the object itself).
    pub fn arg_names(&self) -> Vec<(String, bool)> {
        let mut ret = Vec::with_capacity(self.args.len());
        for arg in &self.args {
            if arg.arg_type == ArgType::ObjNamedParams {
                for inner in &arg.inner {
                    ret.push((inner.names.clone(), true));
                }
            }
            ret.push((arg.names.clone(), false));
        }
        ret
    }

    /// `RPCHelpMan::GetArgMap`: `[method, position, name, is_string]` for
    /// every name of every argument (used by `help dump_all_command_conversions`).
    pub fn arg_map(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let is_str = |t: ArgType| matches!(t, ArgType::Str | ArgType::StrHex);
        for (i, arg) in self.args.iter().enumerate() {
            for name in arg.names.split('|') {
                out.push(json!([self.name, i, name, is_str(arg.arg_type)]));
                if arg.arg_type == ArgType::ObjNamedParams {
                    for inner in &arg.inner {
                        for inner_name in inner.names.split('|') {
                            out.push(json!([self.name, i, inner_name, is_str(inner.arg_type)]));
                        }
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> RpcMethod {
        RpcMethod::new(
            "m",
            "d",
            vec![
                RpcArg::required("a", ArgType::Num, ""),
                RpcArg::required("b|bee", ArgType::Str, ""),
                RpcArg::with_default("c", ArgType::Bool, json!(false), ""),
                RpcArg::omitted("options", ArgType::ObjNamedParams, "")
                    .inner(vec![RpcArg::omitted("x", ArgType::Num, "")]),
            ],
            vec![],
            "",
        )
    }

    #[test]
    fn num_args() {
        let s = spec();
        assert!(!s.is_valid_num_args(1));
        assert!(s.is_valid_num_args(2));
        assert!(s.is_valid_num_args(4));
        assert!(!s.is_valid_num_args(5));
    }

    #[test]
    fn names_and_map() {
        let s = spec();
        assert_eq!(
            s.arg_names(),
            vec![
                ("a".into(), false),
                ("b|bee".into(), false),
                ("c".into(), false),
                ("x".into(), true),
                ("options".into(), false)
            ]
        );
        let map = s.arg_map();
        assert_eq!(map[1], json!(["m", 1, "b", true]));
        assert_eq!(map[2], json!(["m", 1, "bee", true]));
        assert_eq!(map[5], json!(["m", 3, "x", false]));
    }

    #[test]
    fn duplicate_names_are_rejected() {
        let m = RpcMethod {
            name: "m".into(),
            description: String::new(),
            args: vec![
                RpcArg::required("a", ArgType::Num, ""),
                RpcArg::omitted("o", ArgType::ObjNamedParams, "").inner(vec![RpcArg::omitted(
                    "a",
                    ArgType::Num,
                    "",
                )]),
            ],
            results: vec![],
            examples: String::new(),
        };
        assert!(m.check_consistency().is_err());
    }
}
