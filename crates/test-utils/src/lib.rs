//! Process-level test support: start a real `widecoind` (or `widecoin-node`) on a
//! temporary data directory, talk to it over HTTP exactly as a client would, and
//! stop it. Waits are on conditions (cookie present, RPC answering, process
//! exited), polled with a deadline, never fixed sleeps.

mod http;
mod node;

pub use http::{HttpClient, HttpResponse};
pub use node::{free_port, NodeOptions, RpcCallError, TestNode};
