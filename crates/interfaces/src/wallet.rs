//! `WalletLoader`: the node's handle on a wallet module (Core's
//! `interfaces::WalletLoader`, a `ChainClient`, `src/interfaces/wallet.h`).
//!
//! The node makes one with `Init::make_wallet_loader(chain)`, then drives it
//! through start-up and shutdown. Creating, loading and unloading wallets
//! follow with the wallet issue.

use crate::error::IpcError;

/// Core's `ChainClient` part of `WalletLoader`, in the order the node calls it.
pub trait WalletLoader: Send + Sync {
    /// Registers the wallet's RPC methods with the node through
    /// `Chain::handle_rpc` (Core's `registerRpcs`).
    fn register_rpcs(&self) -> Result<(), IpcError>;

    /// Starts background work once the node is up (Core's `start`).
    fn start(&self) -> Result<(), IpcError>;

    /// Stops: unregisters the RPC methods and releases everything the loader
    /// holds of the node (Core's `stop`). Idempotent.
    fn stop(&self) -> Result<(), IpcError>;
}
