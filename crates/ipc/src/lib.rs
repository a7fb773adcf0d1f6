//! Cap'n Proto IPC between Widecoin processes (Core's `src/ipc` and
//! libmultiprocess): the schemas, `Send + Sync` proxies of the
//! `widecoin-interfaces` traits, the servers that wrap their implementations,
//! and spawning a process to talk to. See `../shared/IPC.md`.
//!
//! Threads: each [`Connection`] has one event-loop thread (`capnp-loop`) that
//! does all its socket I/O; callers block on their own thread until the loop
//! hands back the answer; served calls run on worker threads (`ipc-worker.N`).
//!
//! Listening and connecting (`-ipcbind`, `-ipcconnect`): [`IpcAddress`],
//! [`listen`] / [`bind_arg`], [`connect`] / [`connect_from_args`]; TCP is
//! authenticated and encrypted with a pre-shared key ([`IpcKey`], [`secure`]).
//! See `README.md`.
//!
//! Only binaries should depend on this crate: libraries take the traits.

#[allow(clippy::all, unused, unreachable_pub, rust_2018_idioms)]
#[rustfmt::skip]
#[path = "generated/chain_capnp.rs"]
pub(crate) mod chain_capnp;
#[allow(clippy::all, unused, unreachable_pub, rust_2018_idioms)]
#[rustfmt::skip]
#[path = "generated/common_capnp.rs"]
pub(crate) mod common_capnp;
#[allow(clippy::all, unused, unreachable_pub, rust_2018_idioms)]
#[rustfmt::skip]
#[path = "generated/echo_capnp.rs"]
pub(crate) mod echo_capnp;
#[allow(clippy::all, unused, unreachable_pub, rust_2018_idioms)]
#[rustfmt::skip]
#[path = "generated/init_capnp.rs"]
pub(crate) mod init_capnp;
#[allow(clippy::all, unused, unreachable_pub, rust_2018_idioms)]
#[rustfmt::skip]
#[path = "generated/wallet_capnp.rs"]
pub(crate) mod wallet_capnp;

pub mod address;
pub mod auth;
mod chain;
mod chain_types;
mod client;
mod connection;
mod listen;
mod log;
mod process;
pub mod sandbox;
pub mod secure;
mod server;
mod wallet;

pub use address::{ConnectArg, IpcAddress};
pub use auth::IpcKey;
pub use listen::{
    bind_arg, connect, connect_arg, connect_from_args, listen, Listener, LISTEN_THREAD_NAME,
};

pub use chain::{ChainClient, HandlerClient, RpcHandlerClient};
pub use chain_types::ChainNotificationsClient;
pub use client::{EchoClient, InitClient};
pub use connection::{Connection, Role, LOOP_THREAD_NAME};
pub use process::{
    parse_ipcfd_arg, serve_if_spawned, serve_ipcfd, sibling_executable, spawn_echo,
    spawn_echo_path, spawn_init, spawn_init_path, spawn_init_with, spawn_process,
    spawn_process_path, spawn_process_with, wait_process, IpcfdArg, ProcessHandle, SpawnOptions,
};
pub use wallet::WalletLoaderClient;
