//! `Init`: the first interface of every process (Core's `interfaces::Init`,
//! `src/interfaces/init.h`).
//!
//! A spawned or connecting process hands its peer an `Init` on a new
//! connection, and the peer asks it for the other interfaces. For now it only
//! makes an [`Echo`]; `make_node`, `make_chain` and `make_wallet_loader`
//! follow with those interfaces.

use crate::echo::{Echo, LocalEcho};
use crate::error::IpcError;

/// The bootstrap interface, served by every process.
pub trait Init: Send + Sync {
    /// A new [`Echo`] (Core's `makeEcho`).
    fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError>;
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
