//! Process-level test support: start a real `widecoind` (or `widecoin-node`) on a
//! temporary data directory, talk to it over HTTP exactly as a client would, and
//! stop it. Waits are on conditions (cookie present, RPC answering, process
//! exited), polled with a deadline, never fixed sleeps.

mod http;
mod node;
mod util;

pub use http::{basic_auth, HttpClient, HttpResponse};
pub use node::{chain_subdir, free_port, NodeOptions, RpcCallError, TestNode};
pub use util::{
    kill_pid, local_non_loopback_ipv4, pid_alive, poll_until, rpcauth_value, run_to_exit,
    RunOutput, DEADLINE,
};
