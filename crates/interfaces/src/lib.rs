//! The traits that cross process boundaries, and the owned data they carry.
//!
//! Every interface here has an in-process implementation (next to the code that
//! owns the state) and a Cap'n Proto proxy in the `ipc` crate. Only binaries
//! choose between them. See `../shared/IPC.md`.

pub mod chain;
pub mod echo;
pub mod error;
pub mod init;
pub mod rpc;
pub mod rpc_doc;
pub mod wallet;

pub use chain::{
    BlockInfo, Chain, ChainNotifications, CoinInfo, FeeEstimate, FoundBlock, FoundBlockRequest,
    Handler, Hash256, OutPointRef, PolicyFeeRates, RbfState, RemovalReason, RpcCall,
    RpcCommandSpec, RpcHandlerRemote, TxAncestry,
};
pub use echo::{Echo, LocalEcho};
pub use error::IpcError;
pub use init::{Init, LocalInit};
pub use rpc::{RpcError, RpcErrorCode};
pub use rpc_doc::{RpcArgDoc, RpcArgFallback, RpcMethodDoc, RpcResultDoc};
pub use wallet::WalletLoader;
