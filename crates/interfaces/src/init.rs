//! `Init`: the first interface of every process (Core's `interfaces::Init`,
//! `src/interfaces/init.h`).
//!
//! A spawned or connecting process hands its peer an `Init` on a new
//! connection, and the peer asks it for the other interfaces. For now it only
//! makes an [`Echo`] and a [`WalletLoader`]; `make_node` and `make_chain`
//! follow with those interfaces.

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
