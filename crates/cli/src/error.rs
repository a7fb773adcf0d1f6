//! Errors of a `widecoin-cli` run, split as Core splits them: a failed
//! connection (retried under `-rpcwait`) and every other failure.

use crate::convert::ParseJsonError;
use crate::univalue::TypeError;

/// Why a request could not produce a reply to print.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CliError {
    /// Core's `CConnectionFailed`: no connection, or the server is warming up.
    #[error("{0}")]
    ConnectionFailed(String),
    /// Core's `std::runtime_error`s; printed as `error: <message>`.
    #[error("{0}")]
    Runtime(String),
}

impl CliError {
    pub fn runtime(msg: impl Into<String>) -> CliError {
        CliError::Runtime(msg.into())
    }
}

impl From<TypeError> for CliError {
    fn from(e: TypeError) -> Self {
        CliError::Runtime(e.0)
    }
}

impl From<ParseJsonError> for CliError {
    fn from(e: ParseJsonError) -> Self {
        CliError::Runtime(e.to_string())
    }
}
