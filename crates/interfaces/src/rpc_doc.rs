//! The documentation of an RPC method as plain owned data, so that a method
//! registered by another process (`Chain::handle_rpc`) shows in the node's
//! `help` and gets the node's argument handling.
//!
//! It mirrors the `widecoin-rpc` crate's `RpcMethod` / `RpcArg` /
//! `RpcResult` (Core's `RPCHelpMan`, `RPCArg`, `RPCResult`), which this
//! crate cannot name (`widecoin-rpc` depends on it); the node converts.
//! Types are Core's enum names as text (`"STR"`, `"OBJ_NAMED_PARAMS"`,
//! `"STR_AMOUNT"`, ...) and default values are JSON text.

/// `RPCArg::Fallback`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpcArgFallback {
    /// Required.
    Required,
    /// Optional, no default shown.
    Omitted,
    /// Optional; the help shows this hint as the default.
    DefaultHint(String),
    /// Optional with this default value (JSON text).
    Default(String),
}

/// One argument (`RPCArg`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcArgDoc {
    pub names: String,
    /// `RPCArg::Type` as Core spells it: `OBJ`, `ARR`, `STR`, `NUM`, `BOOL`,
    /// `OBJ_NAMED_PARAMS`, `OBJ_USER_KEYS`, `AMOUNT`, `STR_HEX`, `RANGE`.
    pub arg_type: String,
    pub fallback: RpcArgFallback,
    pub description: String,
    pub inner: Vec<RpcArgDoc>,
    pub skip_type_check: bool,
    pub oneline_description: String,
    pub type_str: Vec<String>,
    pub hidden: bool,
    pub also_positional: bool,
}

/// One result or result field (`RPCResult`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcResultDoc {
    pub cond: String,
    /// `RPCResult::Type` as Core spells it: `OBJ`, `ARR`, `STR`, `NUM`,
    /// `BOOL`, `NONE`, `ANY`, `STR_AMOUNT`, `STR_HEX`, `OBJ_DYN`,
    /// `ARR_FIXED`, `NUM_TIME`, `ELISION`.
    pub result_type: String,
    pub key_name: String,
    pub optional: bool,
    pub skip_type_check: bool,
    pub description: String,
    pub inner: Vec<RpcResultDoc>,
}

/// A method's whole documentation (`RPCHelpMan` without its function).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcMethodDoc {
    pub name: String,
    pub description: String,
    pub args: Vec<RpcArgDoc>,
    pub results: Vec<RpcResultDoc>,
    /// Already formatted examples.
    pub examples: String,
}
