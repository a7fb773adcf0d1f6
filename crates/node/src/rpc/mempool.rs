//! `getmempoolinfo` (Core's `rpc/mempool.cpp`), for the empty mempool that
//! exists until the mempool crate lands.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::json;
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ResultType, RpcCommand, RpcMethod, RpcRequest, RpcResult,
    RpcTable,
};

use super::util::amount;
use crate::context::NodeContext;

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(getmempoolinfo(node.clone()));
}

fn getmempoolinfo(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "getmempoolinfo",
        "Returns details on the active state of the TX memory pool.",
        vec![],
        vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::Bool, "loaded", "True if the initial load attempt of the persisted mempool finished"),
            r(ResultType::Num, "size", "Current tx count"),
            r(ResultType::Num, "bytes", "Sum of all virtual transaction sizes as defined in BIP 141. Differs from actual serialized size because witness data is discounted"),
            r(ResultType::Num, "usage", "Total memory usage for the mempool"),
            r(ResultType::StrAmount, "total_fee", "Total fees for the mempool in WCN, ignoring modified fees through prioritisetransaction"),
            r(ResultType::Num, "maxmempool", "Maximum memory usage for the mempool"),
            r(ResultType::StrAmount, "mempoolminfee", "Minimum fee rate in WCN/kvB for tx to be accepted. Is the maximum of minrelaytxfee and minimum mempool fee"),
            r(ResultType::StrAmount, "minrelaytxfee", "Current minimum relay fee for transactions"),
            r(ResultType::Num, "incrementalrelayfee", "minimum fee rate increment for mempool limiting or replacement in WCN/kvB"),
            r(ResultType::Num, "unbroadcastcount", "Current number of transactions that haven't passed initial broadcast yet"),
            r(ResultType::Bool, "fullrbf", "True if the mempool accepts RBF without replaceability signaling inspection"),
        ])],
        help_example_cli("getmempoolinfo", "") + &help_example_rpc("getmempoolinfo", ""),
    );
    RpcCommand::new("blockchain", spec, move |_req: &RpcRequest| {
        let m = &node.mempool;
        Ok(json!({
            "loaded": m.loaded.load(Ordering::SeqCst),
            "size": 0,
            "bytes": 0,
            "usage": 0,
            "total_fee": amount(0),
            "maxmempool": m.max_size_bytes,
            "mempoolminfee": amount(m.min_relay_feerate),
            "minrelaytxfee": amount(m.min_relay_feerate),
            "incrementalrelayfee": amount(m.incremental_relay_feerate),
            "unbroadcastcount": 0,
            "fullrbf": m.full_rbf,
        }))
    })
}
