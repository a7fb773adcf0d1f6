//! One JSON-RPC call as a handler sees it (Core's `JSONRPCRequest`), with
//! typed accessors that apply the defaults of the method's documentation.
//!
//! ```
//! # use widecoin_rpc::*;
//! # use serde_json::json;
//! // In a handler of a method documented with
//! //   1. height   (numeric, required)
//! //   2. verbose  (boolean, optional, default=false)
//! fn handler(req: &RpcRequest) -> Result<serde_json::Value, RpcError> {
//!     let height: i32 = req.arg(0)?;        // required: always present
//!     let verbose: bool = req.arg(1)?;      // absent -> the documented default
//!     let label: Option<String> = req.maybe_arg(2)?; // absent -> None
//!     Ok(json!([height, verbose, label]))
//! }
//! ```

use std::sync::Arc;

use serde_json::{Map, Value};
use widecoin_interfaces::rpc::{RpcError, RpcErrorCode};

use crate::check::type_error_message;
use crate::spec::RpcMethod;

/// The URI prefix of wallet requests (`WALLET_ENDPOINT_BASE`).
pub const WALLET_ENDPOINT_BASE: &str = "/wallet/";

static NULL: Value = Value::Null;

/// A JSON-RPC request.
///
/// `params` is what the client sent (an array, or an object of named
/// parameters); by the time a handler runs, the table has turned named
/// parameters into an array, so handlers read positions only.
#[derive(Debug, Clone, Default)]
pub struct RpcRequest {
    /// The method name.
    pub method: String,
    /// The parameters: an array (always, inside a handler) or an object.
    pub params: Value,
    /// The request id, echoed in the reply.
    pub id: Value,
    /// The HTTP request URI (`/` or `/wallet/<name>`).
    pub uri: String,
    /// The user name the client authenticated with.
    pub auth_user: String,
    /// The peer's `address:port`.
    pub peer_addr: String,
    /// The first key repeated in a params object (detected while parsing the
    /// body, where a JSON map would otherwise silently keep one of them).
    pub(crate) duplicate_param: Option<String>,
    /// The `params` as the client wrote them, for [`RpcRequest::object_entries`].
    pub(crate) raw_params: Option<Arc<serde_json::value::RawValue>>,
    pub(crate) spec: Option<Arc<RpcMethod>>,
    pub(crate) last_handler: bool,
}

impl RpcRequest {
    /// A request for `method` with `params` (an array or an object).
    pub fn new(method: impl Into<String>, params: Value) -> Self {
        RpcRequest {
            method: method.into(),
            params,
            last_handler: true,
            ..Default::default()
        }
    }

    /// Sets the URI (e.g. `/wallet/w1`).
    pub fn with_uri(mut self, uri: impl Into<String>) -> Self {
        self.uri = uri.into();
        self
    }

    /// `JSONRPCRequest::parse`: fills id, method and params from a request
    /// object; the id is set before any error so the reply can carry it.
    pub fn parse(&mut self, value: &Value, log_ips: bool) -> Result<(), RpcError> {
        let Value::Object(obj) = value else {
            return Err(RpcError::new(
                RpcErrorCode::INVALID_REQUEST,
                "Invalid Request object",
            ));
        };
        self.id = obj.get("id").cloned().unwrap_or(Value::Null);
        match obj.get("method") {
            None | Some(Value::Null) => {
                return Err(RpcError::new(
                    RpcErrorCode::INVALID_REQUEST,
                    "Missing method",
                ))
            }
            Some(Value::String(m)) => self.method = m.clone(),
            Some(_) => {
                return Err(RpcError::new(
                    RpcErrorCode::INVALID_REQUEST,
                    "Method must be a string",
                ))
            }
        }
        if log_ips {
            tracing::debug!(target: "rpc", "ThreadRPCServer method={} user={} peeraddr={}",
                sanitize(&self.method), self.auth_user, self.peer_addr);
        } else {
            tracing::debug!(target: "rpc", "ThreadRPCServer method={} user={}",
                sanitize(&self.method), self.auth_user);
        }
        self.params = match obj.get("params") {
            Some(p @ (Value::Array(_) | Value::Object(_))) => p.clone(),
            None | Some(Value::Null) => Value::Array(Vec::new()),
            Some(_) => {
                return Err(RpcError::new(
                    RpcErrorCode::INVALID_REQUEST,
                    "Params must be an array or object",
                ))
            }
        };
        Ok(())
    }

    /// The entries of argument `i` if the client sent an object there, in order and with
    /// repeated keys kept (Core's `UniValue` keeps them; the parsed params keep one of
    /// them). `None` when the argument is absent or not an object, or the request did not
    /// come through the HTTP server; then read [`RpcRequest::param`].
    pub fn object_entries(&self, i: usize) -> Option<Vec<(String, Value)>> {
        let raw = self.raw_params.as_deref()?;
        let names = self
            .spec
            .as_ref()
            .map(|s| s.arg_names())
            .unwrap_or_default();
        let pattern = names
            .iter()
            .filter(|(_, named_only)| !named_only)
            .nth(i)
            .map(|(p, _)| p.as_str());
        let arg = crate::dupkeys::raw_arg(raw, i, pattern)?;
        crate::dupkeys::object_entries(&arg)
    }

    /// The number of positional parameters.
    pub fn params_len(&self) -> usize {
        match &self.params {
            Value::Array(a) => a.len(),
            _ => 0,
        }
    }

    /// The raw positional parameter `i`, `null` when absent
    /// (Core's `request.params[i]`).
    pub fn param(&self, i: usize) -> &Value {
        match &self.params {
            Value::Array(a) => a.get(i).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// The positional parameters as a slice (empty for a params object).
    pub fn params_array(&self) -> &[Value] {
        match &self.params {
            Value::Array(a) => a,
            _ => &[],
        }
    }

    /// Whether parameter `i` was given and is not `null`.
    pub fn has_param(&self, i: usize) -> bool {
        !self.param(i).is_null()
    }

    /// The value of argument `i`, or its documented default (`Arg<T>(i)`).
    ///
    /// For required arguments and arguments with a `Fallback::Default`. A
    /// value of the wrong JSON type gives Core's `RPC_TYPE_ERROR`
    /// ("JSON value of type string is not of expected type number").
    pub fn arg<T: FromRpcArg>(&self, i: usize) -> Result<T, RpcError> {
        match self.arg_or_default(i) {
            Some(v) => T::from_rpc_arg(v),
            None => Err(internal_bug(&format!(
                "argument {i} of {} is neither given nor has a default",
                self.method
            ))),
        }
    }

    /// The value of argument `i`, its documented default, or `None`
    /// (`MaybeArg<T>(i)`).
    pub fn maybe_arg<T: FromRpcArg>(&self, i: usize) -> Result<Option<T>, RpcError> {
        self.arg_or_default(i).map(T::from_rpc_arg).transpose()
    }

    fn arg_or_default(&self, i: usize) -> Option<&Value> {
        let v = self.param(i);
        if !v.is_null() {
            return Some(v);
        }
        self.spec.as_ref()?.args.get(i)?.default_value()
    }

    /// The documentation of the method being run (set by the table).
    pub fn spec(&self) -> Option<&RpcMethod> {
        self.spec.as_deref()
    }

    /// Whether this handler is the last one registered for the method; a
    /// handler that is not may pass the call on
    /// (see [`RpcTable::register`](crate::RpcTable::register)).
    pub fn is_last_handler(&self) -> bool {
        self.last_handler
    }

    /// The URL-decoded wallet name of a `/wallet/<name>` request
    /// (`GetWalletNameFromJSONRPCRequest`).
    pub fn wallet_name(&self) -> Option<String> {
        self.uri.strip_prefix(WALLET_ENDPOINT_BASE).map(url_decode)
    }
}

/// Conversion of a JSON argument to a Rust value, with UniValue's errors.
pub trait FromRpcArg: Sized {
    fn from_rpc_arg(v: &Value) -> Result<Self, RpcError>;
}

fn expect_number(v: &Value) -> Result<&serde_json::Number, RpcError> {
    match v {
        Value::Number(n) => Ok(n),
        _ => Err(RpcError::type_error(type_error_message(v, "number"))),
    }
}

macro_rules! int_from_arg {
    ($($t:ty),*) => {$(
        impl FromRpcArg for $t {
            fn from_rpc_arg(v: &Value) -> Result<Self, RpcError> {
                let n = expect_number(v)?;
                n.to_string()
                    .parse::<$t>()
                    .map_err(|_| RpcError::misc("JSON integer out of range"))
            }
        }
    )*};
}
int_from_arg!(i8, i16, i32, i64, u8, u16, u32, u64);

impl FromRpcArg for f64 {
    fn from_rpc_arg(v: &Value) -> Result<Self, RpcError> {
        let n = expect_number(v)?;
        n.as_f64()
            .filter(|f| f.is_finite())
            .ok_or_else(|| RpcError::misc("JSON double out of range"))
    }
}

impl FromRpcArg for bool {
    fn from_rpc_arg(v: &Value) -> Result<Self, RpcError> {
        v.as_bool()
            .ok_or_else(|| RpcError::type_error(type_error_message(v, "bool")))
    }
}

impl FromRpcArg for String {
    fn from_rpc_arg(v: &Value) -> Result<Self, RpcError> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| RpcError::type_error(type_error_message(v, "string")))
    }
}

impl FromRpcArg for Value {
    fn from_rpc_arg(v: &Value) -> Result<Self, RpcError> {
        Ok(v.clone())
    }
}

impl FromRpcArg for Vec<Value> {
    fn from_rpc_arg(v: &Value) -> Result<Self, RpcError> {
        v.as_array()
            .cloned()
            .ok_or_else(|| RpcError::type_error(type_error_message(v, "array")))
    }
}

impl FromRpcArg for Map<String, Value> {
    fn from_rpc_arg(v: &Value) -> Result<Self, RpcError> {
        v.as_object()
            .cloned()
            .ok_or_else(|| RpcError::type_error(type_error_message(v, "object")))
    }
}

/// An `RPC_MISC_ERROR` in the shape of Core's `NonFatalCheckError`
/// ("Internal bug detected: ..."), located at the caller.
#[track_caller]
pub fn internal_bug(msg: &str) -> RpcError {
    let at = std::panic::Location::caller();
    internal_bug_at(msg, &format!("{}:{}", at.file(), at.line()))
}

/// [`internal_bug`] with an explicit `file:line (function)` location.
pub fn internal_bug_at(msg: &str, location: &str) -> RpcError {
    RpcError::misc(format!(
        "Internal bug detected: {msg}\n{location}\n{}\nPlease report this issue here: {}\n",
        crate::PACKAGE_NAME_VERSION,
        crate::PACKAGE_BUGREPORT
    ))
}

/// `JSONRPCReplyObj`: `{"result": ..., "error": ..., "id": ...}` in that
/// order; the result is `null` whenever there is an error.
pub fn reply_object(result: Result<Value, RpcError>, id: Value) -> Value {
    let mut reply = Map::new();
    match result {
        Ok(v) => {
            reply.insert("result".into(), v);
            reply.insert("error".into(), Value::Null);
        }
        Err(e) => {
            reply.insert("result".into(), Value::Null);
            reply.insert("error".into(), error_object(&e));
        }
    }
    reply.insert("id".into(), id);
    Value::Object(reply)
}

/// `JSONRPCError`: `{"code": n, "message": "..."}`.
pub fn error_object(e: &RpcError) -> Value {
    let mut obj = Map::new();
    obj.insert("code".into(), Value::from(e.code));
    obj.insert("message".into(), Value::String(e.message.clone()));
    Value::Object(obj)
}

/// `SanitizeString` with `SAFE_CHARS_DEFAULT`, for log lines.
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || " .,;-_/:?@()".contains(*c))
        .collect()
}

/// `urlDecode` (libevent's `evhttp_uridecode` without `+` decoding): `%XX`
/// sequences become bytes; the result ends at a decoded NUL.
pub fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).expect("ASCII hex digits");
            out.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    if let Some(nul) = out.iter().position(|&c| c == 0) {
        out.truncate(nul);
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ArgType, RpcArg};
    use serde_json::json;

    #[test]
    fn parse_errors() {
        let mut r = RpcRequest::default();
        let e = r.parse(&json!([1]), false).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (-32600, "Invalid Request object")
        );
        let e = r.parse(&json!({"id": 7}), false).unwrap_err();
        assert_eq!((e.message.as_str(), &r.id), ("Missing method", &json!(7)));
        let e = r.parse(&json!({"method": 1}), false).unwrap_err();
        assert_eq!(e.message, "Method must be a string");
        let e = r
            .parse(&json!({"method": "m", "params": 1}), false)
            .unwrap_err();
        assert_eq!(e.message, "Params must be an array or object");
        r.parse(&json!({"method": "m"}), false).unwrap();
        assert_eq!(r.params, json!([]));
    }

    #[test]
    fn typed_args_and_defaults() {
        let mut r = RpcRequest::new("m", json!([5, null, "x", 1.5, 99999999999u64]));
        r.spec = Some(Arc::new(RpcMethod::new(
            "m",
            "",
            vec![
                RpcArg::required("a", ArgType::Num, ""),
                RpcArg::with_default("b", ArgType::Bool, json!(true), ""),
                RpcArg::omitted("c", ArgType::Str, ""),
                RpcArg::omitted("d", ArgType::Num, ""),
                RpcArg::omitted("e", ArgType::Num, ""),
                RpcArg::omitted("f", ArgType::Num, ""),
            ],
            vec![],
            "",
        )));
        assert_eq!(r.arg::<i64>(0).unwrap(), 5);
        assert!(r.arg::<bool>(1).unwrap());
        assert_eq!(r.maybe_arg::<String>(2).unwrap().as_deref(), Some("x"));
        assert_eq!(r.maybe_arg::<i64>(5).unwrap(), None);
        let e = r.arg::<String>(0).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                -3,
                "JSON value of type number is not of expected type string"
            )
        );
        assert_eq!(
            r.arg::<i64>(3).unwrap_err().message,
            "JSON integer out of range"
        );
        assert_eq!(r.arg::<f64>(3).unwrap(), 1.5);
        assert_eq!(r.arg::<i32>(4).unwrap_err().code, -1);
        assert!(r
            .arg::<i64>(5)
            .unwrap_err()
            .message
            .starts_with("Internal bug detected"));
    }

    #[test]
    fn replies_and_urls() {
        let ok = reply_object(Ok(json!(1)), json!(2));
        assert_eq!(ok.to_string(), r#"{"result":1,"error":null,"id":2}"#);
        let err = reply_object(Err(RpcError::new(-32601, "Method not found")), Value::Null);
        assert_eq!(
            err.to_string(),
            r#"{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":null}"#
        );
        assert_eq!(url_decode("my%20wallet%2"), "my wallet%2");
        assert_eq!(url_decode("a%zzb+c"), "a%zzb+c");
        assert_eq!(
            RpcRequest::new("m", json!([]))
                .with_uri("/wallet/w%2F1")
                .wallet_name()
                .unwrap(),
            "w/1"
        );
    }
}
