//! `Init`: the first interface of every process (Core's `interfaces::Init`,
//! `src/interfaces/init.h`).
//!
//! A spawned or connecting process hands its peer an `Init` on a new
//! connection, and the peer asks it for the other interfaces: an [`Echo`],
//! the node's [`Chain`] (for a wallet that connected), a [`WalletLoader`]
//! (of a wallet process, driven through a `Chain` the node hands it);
//! `make_node` follows with the GUI.

use std::sync::Arc;

use crate::chain::Chain;
use crate::echo::{Echo, LocalEcho};
use crate::error::IpcError;
use crate::rpc::RpcError;
use crate::wallet::WalletLoader;

/// The bootstrap interface, served by every process.
pub trait Init: Send + Sync {
    /// A new [`Echo`] (Core's `makeEcho`).
    fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError>;

    /// This process's [`Chain`] (Core's `makeChain`): what a wallet that
    /// connects to the node (`-ipcconnect`) is driven by. The default: this
    /// process is not a node.
    fn make_chain(&self) -> Result<Arc<dyn Chain>, IpcError> {
        Err(RpcError::misc("This process has no chain").into())
    }

    /// A wallet module of this process, driven by the node through `chain`
    /// (Core's `makeWalletLoader`). The default: this process has none.
    fn make_wallet_loader(&self, chain: Arc<dyn Chain>) -> Result<Box<dyn WalletLoader>, IpcError> {
        let _ = chain;
        Err(RpcError::misc("This process has no wallet").into())
    }
}

/// The `Init` of a process that implements every interface in-process.
/// `widecoin-wallet` serves it when spawned with `-ipcfd`.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalInit;

impl Init for LocalInit {
    fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError> {
        Ok(Box::new(LocalEcho))
    }
}
