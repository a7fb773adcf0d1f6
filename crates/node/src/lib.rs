//! The node: start-up (Core's `AppInit*` in `src/init.cpp`), the node's state
//! and RPC methods, and shutdown. Binaries call [`main_widecoind`].

mod addr_setup;
pub mod chain;
pub mod context;
mod daemon;
pub mod fee_estimation;
mod indexes;
mod init;
mod interaction;
mod not_yet;
pub mod notify;
mod p2p;
pub mod rpc;
mod server;
pub mod shutdown;
pub mod txpool;
pub mod wallet_process;

pub use init::IpcChainSlot;
pub use init::{main_widecoind, run_node, run_widecoind, EchoIpc, IpcBind, ProcessKind};
pub use wallet_process::{ChildProcess, SpawnWallet, SpawnedWallet};
