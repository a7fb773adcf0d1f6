//! The RPC server as the node runs it (Core's `AppInitServers`,
//! `StartHTTPRPC`, `StopHTTPServer`): the method table with every node method,
//! the HTTP server configured from arguments, and the cookie.

use std::path::Path;
use std::sync::Arc;

use widecoin_common::args::ArgsManager;
use widecoin_logging::LogConfig;
use widecoin_rpc::{
    cookie_path, register_control_rpcs, start_http_server, ControlContext, RpcServerConfig,
    RpcTable, ServerError, ServerHandle, START_FAILED_MESSAGE,
};

use crate::context::NodeContext;
use crate::init::init_error;

/// The running server and its table.
pub struct RpcServer {
    table: Arc<RpcTable>,
    handle: ServerHandle,
}

/// Builds the HTTP server settings from `-rpc*` arguments.
fn server_config(args: &ArgsManager, net_dir: &Path, default_port: u16) -> RpcServerConfig {
    let cookie_file = args.get_arg("-rpccookiefile");
    let port = args.get_int_arg("-rpcport", i64::from(default_port));
    let mut config = RpcServerConfig::new(
        u16::try_from(port).unwrap_or(default_port),
        cookie_path(net_dir, cookie_file.as_deref()),
    );
    config.bind = args.get_args("-rpcbind");
    config.allow_ip = args.get_args("-rpcallowip");
    config.threads = args.get_int_arg("-rpcthreads", config.threads);
    config.work_queue = args.get_int_arg("-rpcworkqueue", config.work_queue);
    config.server_timeout = args.get_int_arg("-rpcservertimeout", config.server_timeout);
    config.auth.rpc_user = args.get_arg_or("-rpcuser", "");
    config.auth.rpc_password = args.get_arg_or("-rpcpassword", "");
    config.auth.rpc_auth = args.get_args("-rpcauth");
    config.auth.whitelist = args.get_args("-rpcwhitelist");
    config.auth.whitelist_default = args.get_bool_arg_opt("-rpcwhitelistdefault");
    config.log_ips = args.get_bool_arg("-logips", false);
    config
}

impl RpcServer {
    /// Registers the node's methods and starts serving. Errors have been
    /// reported; the returned text is the final init error.
    pub fn start(
        args: &ArgsManager,
        net_dir: &Path,
        node: &Arc<NodeContext>,
        log: &LogConfig,
    ) -> Result<RpcServer, String> {
        let table = Arc::new(RpcTable::new());
        table.set_doc_check(args.get_bool_arg("-rpcdoccheck", false));
        let shutdown = node.shutdown.clone();
        register_control_rpcs(
            &table,
            ControlContext {
                startup_time: widecoin_common::time::get_time(),
                log_path: log
                    .debug_log_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                shutdown: Arc::new(move || shutdown.request()),
            },
        );
        crate::rpc::register_node_rpcs(&table, node);

        let default_port = node.chain_params.chain_type.base_params().rpc_port;
        let config = server_config(args, net_dir, default_port);
        match start_http_server(config, table.clone()) {
            Ok(handle) => Ok(RpcServer { table, handle }),
            Err(e) => {
                if let ServerError::InvalidAllowIp(_) = e {
                    init_error(&e.to_string());
                } else {
                    tracing::info!("{e}");
                }
                Err(START_FAILED_MESSAGE.to_string())
            }
        }
    }

    pub fn table(&self) -> &RpcTable {
        &self.table
    }

    /// The table, shared (for methods other processes register).
    pub fn shared_table(&self) -> Arc<RpcTable> {
        self.table.clone()
    }

    /// Core's `InterruptHTTPServer` + `InterruptRPC`.
    pub fn interrupt(&self) {
        self.handle.interrupt();
    }

    /// Core's `StopHTTPRPC` + `StopRPC` + `StopHTTPServer`.
    pub fn stop(self) {
        self.handle.stop();
    }
}
