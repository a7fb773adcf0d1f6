//! `IpcError`: what a call through an interface can fail with.
//!
//! Every method of a trait that may cross a process boundary returns
//! `Result<_, IpcError>`, so that a caller can tell a dead or broken peer
//! (`Disconnected`, `Transport`) from an answer the implementation gave
//! (`Remote`). In-process implementations only ever return `Remote`.

use crate::rpc::{RpcError, RpcErrorCode};

/// Failure of a call through an interface (local or over IPC).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpcError {
    /// The peer process went away (socket closed, process exited or killed),
    /// before or during the call. The call may or may not have run.
    #[error("IPC peer disconnected")]
    Disconnected,
    /// The transport failed for another reason: a malformed message, a
    /// process that could not be spawned, an I/O error.
    #[error("IPC transport error: {0}")]
    Transport(String),
    /// The implementation answered with an application error. `code` and
    /// `message` are those of a JSON-RPC error object when the error is one,
    /// so that an [`RpcError`] survives the trip intact.
    #[error("{message} (code {code})")]
    Remote { code: i32, message: String },
}

impl IpcError {
    /// Is this a transport failure rather than an answer from the peer?
    pub fn is_transport(&self) -> bool {
        !matches!(self, IpcError::Remote { .. })
    }

    /// The JSON-RPC error to answer a client with: an application error
    /// as it was; a transport failure as `RPC_MISC_ERROR` (-1) carrying its
    /// description, as Core answers an exception thrown by a handler.
    pub fn into_rpc_error(self) -> RpcError {
        match self {
            IpcError::Remote { code, message } => RpcError { code, message },
            other => RpcError::new(RpcErrorCode::MISC_ERROR, other.to_string()),
        }
    }
}

impl From<RpcError> for IpcError {
    fn from(e: RpcError) -> Self {
        IpcError::Remote {
            code: e.code,
            message: e.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_error_survives_the_conversion() {
        let e = RpcError::new(
            RpcErrorCode::WALLET_NOT_FOUND,
            "Requested wallet does not exist or is not loaded",
        );
        let ipc: IpcError = e.clone().into();
        assert!(!ipc.is_transport());
        assert_eq!(ipc.into_rpc_error(), e);
    }

    #[test]
    fn transport_failures_become_misc_errors() {
        assert!(IpcError::Disconnected.is_transport());
        let e = IpcError::Disconnected.into_rpc_error();
        assert_eq!(e, RpcError::misc("IPC peer disconnected"));
        let e = IpcError::Transport("bad message".into()).into_rpc_error();
        assert_eq!(e.code, RpcErrorCode::MISC_ERROR);
        assert_eq!(e.message, "IPC transport error: bad message");
    }
}
