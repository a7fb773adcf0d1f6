//! The node's RPC methods, by Core's categories.

mod blockchain;
mod blocks;
mod fees;
mod indexes;
mod mempool;
mod mempool_rpcs;
mod mining;
mod misc;
mod net;
mod net_addr;
mod net_peers;
mod node;
mod output_script;
mod psbt;
mod rawtransaction;
mod rawtx_create;
mod tx_json;
pub mod util;
mod utxo;

use std::sync::Arc;

use widecoin_rpc::RpcTable;

use crate::context::NodeContext;

pub use blockchain::parse_hash_v;
pub use net::PROTOCOL_VERSION;

/// Registers every node-side method.
pub fn register_node_rpcs(table: &RpcTable, node: &Arc<NodeContext>) {
    blockchain::register(table, node);
    blocks::register(table, node);
    mempool::register(table, node);
    net::register(table, node);
    net_peers::register(table, node);
    net_addr::register(table, node);
    node::register(table, node);
    mining::register(table, node);
    fees::register(table, node);
    rawtransaction::register(table, node);
    rawtx_create::register(table, node);
    psbt::register(table, node);
    utxo::register(table, node);
    misc::register(table, node);
    indexes::register(table, node);
}
