//! The JSON-RPC server of Widecoin Core (`src/httpserver.cpp`,
//! `src/httprpc.cpp`, `src/rpc/server.cpp`, `src/rpc/request.cpp`,
//! `src/rpc/util.cpp`): the method table and its dispatch, argument checking
//! and help text, the control RPCs, and the HTTP server with its
//! authentication, allow list and bounded work queue.
//!
//! # Registering a method
//! ```
//! use std::sync::Arc;
//! use serde_json::json;
//! use widecoin_rpc::*;
//!
//! let table = Arc::new(RpcTable::new());
//! let spec = RpcMethod::new(
//!     "getblockhash",
//!     "\nReturns hash of block in best-block-chain at height provided.\n",
//!     vec![RpcArg::required("height", ArgType::Num, "The height index")],
//!     vec![RpcResult::new(ResultType::StrHex, "", "The block hash")],
//!     help_example_cli("getblockhash", "1000") + &help_example_rpc("getblockhash", "1000"),
//! );
//! table.register(RpcCommand::new("blockchain", spec, |req: &RpcRequest| {
//!     let height: i32 = req.arg(0)?;
//!     if height != 0 {
//!         return Err(RpcError::invalid_parameter("Block height out of range"));
//!     }
//!     Ok(json!("00".repeat(32)))
//! }));
//! table.set_warmup_finished();
//! let reply = table.execute(&RpcRequest::new("getblockhash", json!({"height": 0})));
//! assert_eq!(reply.unwrap(), json!("00".repeat(32)));
//! ```
//!
//! # Serving it
//! Build a [`RpcServerConfig`], call [`start_http_server`], and keep the
//! [`ServerHandle`]; at shutdown call [`ServerHandle::interrupt`] then
//! [`ServerHandle::stop`].

mod auth;
mod check;
mod control;
mod dupkeys;
mod help;
mod http;
mod jsonrpc;
mod netaddr;
mod params;
mod request;
mod server;
mod spec;
mod table;
mod workqueue;

pub use auth::{
    cookie_path, delete_auth_cookie, generate_auth_cookie, read_auth_cookie, AuthConfig,
    CookieError, COOKIEAUTH_USER,
};
pub use check::{json_type_name, type_error_message};
pub use control::{register_control_rpcs, ControlContext, STOP_RESULT};
pub use help::{
    help_example_cli, help_example_cli_named, help_example_rpc, help_example_rpc_named,
};
pub use netaddr::{split_host_port, SubNet};
pub use params::transform_named_arguments;
pub use request::{
    error_object, internal_bug, internal_bug_at, reply_object, url_decode, FromRpcArg, RpcRequest,
    WALLET_ENDPOINT_BASE,
};
pub use server::{
    start_http_server, RpcServerConfig, ServerError, ServerHandle, DEFAULT_HTTP_SERVER_TIMEOUT,
    DEFAULT_HTTP_THREADS, DEFAULT_HTTP_WORKQUEUE, START_FAILED_MESSAGE,
};
pub use spec::{ArgOptions, ArgType, Fallback, ResultType, RpcArg, RpcMethod, RpcResult};
pub use table::{
    is_pass_to_next_handler, pass_on_wallet_not_found, pass_to_next_handler, CommandId, RpcCommand,
    RpcHandler, RpcTable, PASS_TO_NEXT_HANDLER,
};
pub use widecoin_interfaces::rpc::{RpcError, RpcErrorCode};

/// `PACKAGE_NAME` and `FormatFullVersion()`, as internal bug reports show them.
pub const PACKAGE_NAME_VERSION: &str = concat!("Widecoin Core v", env!("CARGO_PKG_VERSION"));
/// `PACKAGE_BUGREPORT`.
pub const PACKAGE_BUGREPORT: &str = "https://github.com/widecoin/widecoin/issues";
