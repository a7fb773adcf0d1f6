//! The RPC server as the node runs it: the method table with every node
//! method, the HTTP server configured from arguments, the cookie.

use std::path::Path;
use std::sync::Arc;

use widecoin_common::args::ArgsManager;
use widecoin_logging::LogConfig;
use widecoin_rpc::RpcTable;

use crate::context::NodeContext;

pub struct RpcServer {
    table: Arc<RpcTable>,
}

impl RpcServer {
    pub fn start(
        _args: &ArgsManager,
        _net_dir: &Path,
        _node: &Arc<NodeContext>,
        _log: &LogConfig,
    ) -> Result<RpcServer, String> {
        Err("not yet".into())
    }
    pub fn table(&self) -> &RpcTable {
        &self.table
    }
    pub fn interrupt(&self) {}
    pub fn stop(self) {}
}
