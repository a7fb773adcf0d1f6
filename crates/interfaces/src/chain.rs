//! `Chain`: what a wallet needs from the node (Core's `interfaces::Chain`,
//! `src/interfaces/chain.h`), and the [`Handler`] a registration returns.
//!
//! For now it carries the RPC registration (`handleRpc`) and a few lookups
//! that prove calls flow wallet -> node; the rest of Core's `Chain` (block
//! lookups, coins, mempool, broadcast, fees, notifications) grows with the
//! chainstate and mempool.

use std::sync::Arc;

use crate::error::IpcError;
use crate::rpc_doc::RpcMethodDoc;

/// A registration that ends when dropped (Core's `interfaces::Handler`):
/// dropping it (or calling [`Handler::disconnect`]) unregisters what it
/// stands for, e.g. an RPC method registered with [`Chain::handle_rpc`].
pub trait Handler: Send + Sync {
    /// Unregisters now, before the handler is dropped. Idempotent.
    fn disconnect(&self) -> Result<(), IpcError>;
}

/// One JSON-RPC call, as the node hands it to a handler registered by another
/// process. Everything is owned text, so it crosses a process boundary as is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpcCall {
    /// The method name. A handler may be registered for several names, so it
    /// is passed with every call (Core's handlers are name-independent).
    pub method: String,
    /// The parameters as JSON text: an array, already positional and
    /// type-checked against the method's documentation by the node.
    pub params_json: String,
    /// The request id as JSON text.
    pub id_json: String,
    /// The HTTP request URI (`/` or `/wallet/<name>`).
    pub uri: String,
    /// The user name the client authenticated with.
    pub auth_user: String,
    /// The client's `address:port`.
    pub peer_addr: String,
    /// Whether this is the last handler registered for the method; one that
    /// is not may answer `RPC_WALLET_NOT_FOUND` to pass the call on.
    pub last_handler: bool,
}

/// The implementation of an RPC method living in another process (the
/// `actor` of Core's `CRPCCommand`): the node calls it for each request.
pub trait RpcHandlerRemote: Send + Sync {
    /// The result as JSON text, or the JSON-RPC error to answer with
    /// (`IpcError::Remote`, which keeps code and message intact).
    fn call(&self, call: &RpcCall) -> Result<String, IpcError>;
}

/// An RPC method another process registers with the node (Core's
/// `CRPCCommand` without its actor).
#[derive(Debug, Clone, PartialEq)]
pub struct RpcCommandSpec {
    /// The help category ("wallet", "hidden", ...).
    pub category: String,
    /// The documentation, from which the node builds the help text, the
    /// named-argument map and the argument type checks. Its `name` is the
    /// method's name.
    pub doc: RpcMethodDoc,
}

/// What a wallet needs from the node (Core's `interfaces::Chain`).
pub trait Chain: Send + Sync {
    /// The height of the active tip; `None` when there is no block at all
    /// (Core's `getHeight`).
    fn get_height(&self) -> Result<Option<u32>, IpcError>;

    /// The hash of the active-chain block at `height`, in consensus byte
    /// order (Core's `getBlockHash`); `None` when the chain is shorter
    /// (Core asserts instead: a remote caller must not crash the node).
    fn get_block_hash(&self, height: u32) -> Result<Option<[u8; 32]>, IpcError>;

    /// The effective value of a node setting as its text (`-name`; Core's
    /// `getSetting`), `None` when unset. A spawned process takes no
    /// arguments: it reads its settings through this.
    fn get_setting(&self, name: &str) -> Result<Option<String>, IpcError>;

    /// Registers an RPC method on the node's server (Core's `handleRpc`):
    /// every call of `command.doc.name` on the node's RPC port, after the
    /// node's argument checks, goes to `handler`. Dropping the returned
    /// [`Handler`] unregisters the method.
    fn handle_rpc(
        &self,
        command: RpcCommandSpec,
        handler: Arc<dyn RpcHandlerRemote>,
    ) -> Result<Box<dyn Handler>, IpcError>;

    /// See [`crate::Echo::runs_inline`]. The default is no.
    fn runs_inline(&self, method: &str) -> bool {
        let _ = method;
        false
    }
}
