//! JSON-RPC error objects, as Widecoin Core defines them (`src/rpc/protocol.h`).
//!
//! They live here because an RPC error must survive a trip across a process
//! boundary intact: a wallet process answering a call for the node returns one.

use std::fmt;

/// Widecoin Core's `RPCErrorCode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RpcErrorCode;

#[allow(missing_docs)]
impl RpcErrorCode {
    // Standard JSON-RPC 2.0 errors
    pub const INVALID_REQUEST: i32 = -32600;
    pub const METHOD_NOT_FOUND: i32 = -32601;
    pub const INVALID_PARAMS: i32 = -32602;
    pub const INTERNAL_ERROR: i32 = -32603;
    pub const PARSE_ERROR: i32 = -32700;

    // General application defined errors
    pub const MISC_ERROR: i32 = -1;
    pub const TYPE_ERROR: i32 = -3;
    pub const INVALID_ADDRESS_OR_KEY: i32 = -5;
    pub const OUT_OF_MEMORY: i32 = -7;
    pub const INVALID_PARAMETER: i32 = -8;
    pub const DATABASE_ERROR: i32 = -20;
    pub const DESERIALIZATION_ERROR: i32 = -22;
    pub const VERIFY_ERROR: i32 = -25;
    pub const VERIFY_REJECTED: i32 = -26;
    pub const VERIFY_ALREADY_IN_CHAIN: i32 = -27;
    pub const IN_WARMUP: i32 = -28;
    pub const METHOD_DEPRECATED: i32 = -32;

    // P2P client errors
    pub const CLIENT_NOT_CONNECTED: i32 = -9;
    pub const CLIENT_IN_INITIAL_DOWNLOAD: i32 = -10;
    pub const CLIENT_NODE_ALREADY_ADDED: i32 = -23;
    pub const CLIENT_NODE_NOT_ADDED: i32 = -24;
    pub const CLIENT_NODE_NOT_CONNECTED: i32 = -29;
    pub const CLIENT_INVALID_IP_OR_SUBNET: i32 = -30;
    pub const CLIENT_P2P_DISABLED: i32 = -31;
    pub const CLIENT_NODE_CAPACITY_REACHED: i32 = -34;

    // Chain errors
    pub const CLIENT_MEMPOOL_DISABLED: i32 = -33;

    // Wallet errors
    pub const WALLET_ERROR: i32 = -4;
    pub const WALLET_INSUFFICIENT_FUNDS: i32 = -6;
    pub const WALLET_INVALID_LABEL_NAME: i32 = -11;
    pub const WALLET_KEYPOOL_RAN_OUT: i32 = -12;
    pub const WALLET_UNLOCK_NEEDED: i32 = -13;
    pub const WALLET_PASSPHRASE_INCORRECT: i32 = -14;
    pub const WALLET_WRONG_ENC_STATE: i32 = -15;
    pub const WALLET_ENCRYPTION_FAILED: i32 = -16;
    pub const WALLET_ALREADY_UNLOCKED: i32 = -17;
    pub const WALLET_NOT_FOUND: i32 = -18;
    pub const WALLET_NOT_SPECIFIED: i32 = -19;
    pub const WALLET_ALREADY_LOADED: i32 = -35;
    pub const WALLET_ALREADY_EXISTS: i32 = -36;

    // Unused reserved codes, kept around for backwards compatibility
    pub const FORBIDDEN_BY_SAFE_MODE: i32 = -2;
}

/// A JSON-RPC error object: `{"code": N, "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    pub code: i32,
    pub message: String,
}

impl RpcError {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
        }
    }

    /// `RPC_INVALID_PARAMETER` (-8), the commonest error.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(RpcErrorCode::INVALID_PARAMETER, message)
    }

    /// `RPC_TYPE_ERROR` (-3).
    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new(RpcErrorCode::TYPE_ERROR, message)
    }

    /// `RPC_MISC_ERROR` (-1).
    pub fn misc(message: impl Into<String>) -> Self {
        Self::new(RpcErrorCode::MISC_ERROR, message)
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)
    }
}

impl std::error::Error for RpcError {}
