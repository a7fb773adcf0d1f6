//! `getmempoolinfo` (Core's `rpc/mempool.cpp`), for the empty mempool that
//! exists until the mempool crate lands.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::json;
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use super::util::amount;
use crate::context::NodeContext;

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(getmempoolinfo(node.clone()));
    table.register(getrawmempool());
}

fn mempool_entry_description() -> Vec<RpcResult> {
    let r = RpcResult::new;
    let fee = |k, d: &str| r(ResultType::StrAmount, k, d);
    vec![
        r(ResultType::Num, "vsize", "virtual transaction size as defined in BIP 141. This is different from actual serialized size for witness transactions as witness data is discounted."),
        r(ResultType::Num, "weight", "transaction weight as defined in BIP 141."),
        r(ResultType::NumTime, "time", "local time transaction entered pool in seconds since 1 Jan 1970 GMT"),
        r(ResultType::Num, "height", "block height when transaction entered pool"),
        r(ResultType::Num, "descendantcount", "number of in-mempool descendant transactions (including this one)"),
        r(ResultType::Num, "descendantsize", "virtual transaction size of in-mempool descendants (including this one)"),
        r(ResultType::Num, "ancestorcount", "number of in-mempool ancestor transactions (including this one)"),
        r(ResultType::Num, "ancestorsize", "virtual transaction size of in-mempool ancestors (including this one)"),
        r(ResultType::StrHex, "wtxid", "hash of serialized transaction, including witness data"),
        r(ResultType::Obj, "fees", "").inner(vec![
            fee("base", "transaction fee, denominated in WCN"),
            fee("modified", "transaction fee with fee deltas used for mining priority, denominated in WCN"),
            fee("ancestor", "transaction fees of in-mempool ancestors (including this one) with fee deltas used for mining priority, denominated in WCN"),
            fee("descendant", "transaction fees of in-mempool descendants (including this one) with fee deltas used for mining priority, denominated in WCN"),
        ]),
        r(ResultType::Arr, "depends", "unconfirmed transactions used as inputs for this transaction")
            .inner(vec![r(ResultType::StrHex, "transactionid", "parent transaction id")]),
        r(ResultType::Arr, "spentby", "unconfirmed transactions spending outputs from this transaction")
            .inner(vec![r(ResultType::StrHex, "transactionid", "child transaction id")]),
        r(ResultType::Bool, "bip125-replaceable", "Whether this transaction signals BIP125 replaceability or has an unconfirmed ancestor signaling BIP125 replaceability.\n"),
        r(ResultType::Bool, "unbroadcast", "Whether this transaction is currently unbroadcast (initial broadcast not yet acknowledged by any peers)"),
    ]
}

/// The mempool holds no transaction until the mempool crate lands (nothing
/// can add one yet), so the lists are empty and the sequence is 1, its
/// starting value in Core.
fn getrawmempool() -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "getrawmempool",
        "\nReturns all transaction ids in memory pool as a json array of string transaction ids.\n\nHint: use getmempoolentry to fetch a specific transaction from the mempool.\n",
        vec![
            RpcArg::with_default("verbose", ArgType::Bool, json!(false), "True for a json object, false for array of transaction ids"),
            RpcArg::with_default("mempool_sequence", ArgType::Bool, json!(false), "If verbose=false, returns a json object with transaction list and mempool sequence number attached."),
        ],
        vec![
            r(ResultType::Arr, "", "").cond("for verbose = false")
                .inner(vec![r(ResultType::StrHex, "", "The transaction id")]),
            r(ResultType::ObjDyn, "", "").cond("for verbose = true")
                .inner(vec![r(ResultType::Obj, "transactionid", "").inner(mempool_entry_description())]),
            r(ResultType::Obj, "", "").cond("for verbose = false and mempool_sequence = true").inner(vec![
                r(ResultType::Arr, "txids", "").inner(vec![r(ResultType::StrHex, "", "The transaction id")]),
                r(ResultType::Num, "mempool_sequence", "The mempool sequence value."),
            ]),
        ],
        help_example_cli("getrawmempool", "true") + &help_example_rpc("getrawmempool", "true"),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        let verbose: bool = req.arg(0)?;
        let sequence: bool = req.arg(1)?;
        if verbose {
            if sequence {
                return Err(RpcError::invalid_parameter(
                    "Verbose results cannot contain mempool sequence values.",
                ));
            }
            return Ok(json!({}));
        }
        if sequence {
            return Ok(json!({"txids": [], "mempool_sequence": 1}));
        }
        Ok(json!([]))
    })
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
