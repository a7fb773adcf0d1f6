//! `getmempoolinfo`, `getrawmempool` and `getmempoolentry` (Core's `rpc/mempool.cpp`) over
//! the node's pool.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::Txid;
use serde_json::{json, Value};
use widecoin_mempool::{signals_opt_in_rbf, Mempool, MempoolEntry};
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcErrorCode, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use super::blockchain::parse_hash_v;
use super::util::amount;
use crate::context::NodeContext;

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(getmempoolinfo(node.clone()));
    table.register(getrawmempool(node.clone()));
    table.register(getmempoolentry(node.clone()));
    super::mempool_rpcs::register(table, node);
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

/// Core's `getrawmempool`.
fn getrawmempool(node: Arc<NodeContext>) -> RpcCommand {
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
        if verbose && sequence {
            return Err(RpcError::invalid_parameter(
                "Verbose results cannot contain mempool sequence values.",
            ));
        }
        let pool = node.pool.lock();
        let txids = sorted_txids(&pool);
        if verbose {
            let mut map = serde_json::Map::new();
            for txid in txids {
                let e = pool.get(&txid).expect("listed");
                map.insert(txid.to_string(), entry_to_json(&pool, e));
            }
            return Ok(Value::Object(map));
        }
        let list: Vec<String> = txids.iter().map(|t| t.to_string()).collect();
        if sequence {
            return Ok(json!({"txids": list, "mempool_sequence": pool.sequence()}));
        }
        Ok(json!(list))
    })
}

/// Core's `getmempoolentry`.
fn getmempoolentry(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "getmempoolentry",
        "\nReturns mempool data for given transaction\n",
        vec![RpcArg::required(
            "txid",
            ArgType::StrHex,
            "The transaction id (must be in mempool)",
        )],
        vec![RpcResult::new(ResultType::Obj, "", "").inner(mempool_entry_description())],
        help_example_cli("getmempoolentry", "\"mytxid\"")
            + &help_example_rpc("getmempoolentry", "\"mytxid\""),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        let text: String = req.arg(0)?;
        let txid = Txid::from_raw_hash(parse_hash_v(&text, "parameter 1")?.to_raw_hash());
        let pool = node.pool.lock();
        let e = pool.get(&txid).ok_or_else(|| {
            RpcError::new(
                RpcErrorCode::INVALID_ADDRESS_OR_KEY,
                "Transaction not in mempool",
            )
        })?;
        Ok(entry_to_json(&pool, e))
    })
}

/// The pool's txids in Core's `GetSortedDepthAndScore` order: fewer ancestors first, then
/// higher fee rate, then the larger hash.
fn sorted_txids(pool: &Mempool) -> Vec<Txid> {
    let mut keyed: Vec<(u64, i64, u64, Txid)> = pool
        .entries()
        .map(|e| (pool.with_ancestors(&e.txid).count, e.fee, e.vsize, e.txid))
        .collect();
    keyed.sort_by(|a, b| {
        let by_rate = (i128::from(b.1) * i128::from(a.2)).cmp(&(i128::from(a.1) * i128::from(b.2)));
        a.0.cmp(&b.0)
            .then(by_rate)
            .then_with(|| b.3.to_byte_array().cmp(&a.3.to_byte_array()))
    });
    keyed.into_iter().map(|k| k.3).collect()
}

/// Core's `entryToJSON`.
fn entry_to_json(pool: &Mempool, e: &MempoolEntry) -> Value {
    let anc = pool.with_ancestors(&e.txid);
    let desc = pool.with_descendants(&e.txid);
    let mut depends: Vec<String> = e.parents.iter().map(|t| t.to_string()).collect();
    depends.sort();
    let mut spentby: Vec<String> = e.children.iter().map(|t| t.to_string()).collect();
    spentby.sort();
    let replaceable = signals_opt_in_rbf(&e.tx)
        || pool
            .ancestors(&e.txid)
            .iter()
            .filter_map(|t| pool.get(t))
            .any(|a| signals_opt_in_rbf(&a.tx));
    json!({
        "vsize": e.vsize,
        "weight": e.weight,
        "time": e.time,
        "height": e.height,
        "descendantcount": desc.count,
        "descendantsize": desc.vsize,
        "ancestorcount": anc.count,
        "ancestorsize": anc.vsize,
        "wtxid": e.wtxid.to_string(),
        "fees": {
            "base": amount(e.fee),
            "modified": amount(e.fee),
            "ancestor": amount(anc.fees),
            "descendant": amount(desc.fees),
        },
        "depends": depends,
        "spentby": spentby,
        "bip125-replaceable": replaceable,
        "unbroadcast": false,
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
        let pool = node.pool.lock();
        Ok(json!({
            "loaded": m.loaded.load(Ordering::SeqCst),
            "size": pool.len(),
            "bytes": pool.total_vsize(),
            "usage": pool.usage(),
            "total_fee": amount(pool.total_fee()),
            "maxmempool": m.max_size_bytes,
            "mempoolminfee": amount(m.min_relay_feerate),
            "minrelaytxfee": amount(m.min_relay_feerate),
            "incrementalrelayfee": amount(m.incremental_relay_feerate),
            "unbroadcastcount": 0,
            "fullrbf": m.full_rbf,
        }))
    })
}
