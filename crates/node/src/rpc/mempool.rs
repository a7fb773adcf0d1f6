//! `getmempoolinfo`, `getrawmempool`, `getmempoolentry`, `getmempoolancestors`,
//! `getmempooldescendants`, `gettxspendingprevout`, `savemempool` and `importmempool` (Core's
//! `rpc/mempool.cpp`) over the node's pool.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bitcoin::{OutPoint, Txid};
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
    table.register(getmempoolancestors(node.clone()));
    table.register(getmempooldescendants(node.clone()));
    table.register(gettxspendingprevout(node.clone()));
    table.register(savemempool(node.clone()));
    table.register(importmempool(node.clone()));
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

/// The pool's txids in Core's `GetSortedDepthAndScore` order.
fn sorted_txids(pool: &Mempool) -> Vec<Txid> {
    pool.sorted_depth_and_score()
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
            "modified": amount(e.modified_fee()),
            "ancestor": amount(anc.fees),
            "descendant": amount(desc.fees),
        },
        "depends": depends,
        "spentby": spentby,
        "bip125-replaceable": replaceable,
        "unbroadcast": pool.is_unbroadcast(&e.txid),
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
        let min_fee = pool
            .min_fee(widecoin_common::time::get_time())
            .fee_per_k()
            .max(m.min_relay_feerate);
        Ok(json!({
            "loaded": m.loaded.load(Ordering::SeqCst),
            "size": pool.len(),
            "bytes": pool.total_vsize(),
            "usage": pool.usage(),
            "total_fee": amount(pool.total_fee()),
            "maxmempool": m.max_size_bytes,
            "mempoolminfee": amount(min_fee),
            "minrelaytxfee": amount(m.min_relay_feerate),
            "incrementalrelayfee": amount(m.incremental_relay_feerate),
            "unbroadcastcount": pool.unbroadcast().len(),
            "fullrbf": m.full_rbf,
        }))
    })
}

/// The relatives of a pool transaction as `getmempoolancestors` / `getmempooldescendants`
/// report them.
fn relatives(
    node: Arc<NodeContext>,
    name: &'static str,
    description: &'static str,
    item: &'static str,
    descendants: bool,
) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        name,
        description,
        vec![
            RpcArg::required(
                "txid",
                ArgType::StrHex,
                "The transaction id (must be in mempool)",
            ),
            RpcArg::with_default(
                "verbose",
                ArgType::Bool,
                json!(false),
                "True for a json object, false for array of transaction ids",
            ),
        ],
        vec![
            r(ResultType::Arr, "", "")
                .cond("for verbose = false")
                .inner(vec![r(ResultType::StrHex, "", item)]),
            r(ResultType::ObjDyn, "", "")
                .cond("for verbose = true")
                .inner(vec![
                    r(ResultType::Obj, "transactionid", "").inner(mempool_entry_description())
                ]),
        ],
        help_example_cli(name, "\"mytxid\"") + &help_example_rpc(name, "\"mytxid\""),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        let verbose = match req.param(1) {
            Value::Null => false,
            _ => req.arg::<bool>(1)?,
        };
        let text: String = req.arg(0)?;
        let txid = Txid::from_raw_hash(parse_hash_v(&text, "parameter 1")?.to_raw_hash());
        let pool = node.pool.lock();
        if pool.get(&txid).is_none() {
            return Err(RpcError::new(
                RpcErrorCode::INVALID_ADDRESS_OR_KEY,
                "Transaction not in mempool",
            ));
        }
        let set = if descendants {
            pool.descendants(&txid)
        } else {
            pool.ancestors(&txid)
        };
        if !verbose {
            return Ok(json!(set.iter().map(|t| t.to_string()).collect::<Vec<_>>()));
        }
        let mut map = serde_json::Map::new();
        for t in set {
            if let Some(e) = pool.get(&t) {
                map.insert(t.to_string(), entry_to_json(&pool, e));
            }
        }
        Ok(Value::Object(map))
    })
}

/// Core's `getmempoolancestors`.
fn getmempoolancestors(node: Arc<NodeContext>) -> RpcCommand {
    relatives(
        node,
        "getmempoolancestors",
        "\nIf txid is in the mempool, returns all in-mempool ancestors.\n",
        "The transaction id of an in-mempool ancestor transaction",
        false,
    )
}

/// Core's `getmempooldescendants`.
fn getmempooldescendants(node: Arc<NodeContext>) -> RpcCommand {
    relatives(
        node,
        "getmempooldescendants",
        "\nIf txid is in the mempool, returns all in-mempool descendants.\n",
        "The transaction id of an in-mempool descendant transaction",
        true,
    )
}

/// Core's `gettxspendingprevout`.
fn gettxspendingprevout(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let example = "\"[{\\\"txid\\\":\\\"a08e6907dbbd3d809776dbfc5d82e371b764ed838b5655e72f463568df1aadf0\\\",\\\"vout\\\":3}]\"";
    let spec = RpcMethod::new(
        "gettxspendingprevout",
        "Scans the mempool to find transactions spending any of the given outputs",
        vec![RpcArg::required("outputs", ArgType::Arr, "The transaction outputs that we want to check, and within each, the txid (string) vout (numeric).")
            .inner(vec![RpcArg::omitted("", ArgType::Obj, "").inner(vec![
                RpcArg::required("txid", ArgType::StrHex, "The transaction id"),
                RpcArg::required("vout", ArgType::Num, "The output number"),
            ])])],
        vec![r(ResultType::Arr, "", "").inner(vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::StrHex, "txid", "the transaction id of the checked output"),
            r(ResultType::Num, "vout", "the vout value of the checked output"),
            r(ResultType::StrHex, "spendingtxid", "the transaction id of the mempool transaction spending this output (omitted if unspent)").optional(),
        ])])],
        help_example_cli("gettxspendingprevout", example)
            + &help_example_rpc("gettxspendingprevout", example),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        let outputs: Vec<Value> = req.arg(0)?;
        if outputs.is_empty() {
            return Err(RpcError::invalid_parameter(
                "Invalid parameter, outputs are missing",
            ));
        }
        let mut prevouts = Vec::with_capacity(outputs.len());
        for o in &outputs {
            let obj = o.as_object().ok_or_else(|| {
                RpcError::type_error(widecoin_rpc::type_error_message(o, "object"))
            })?;
            // Core's RPCTypeCheckObj, strict, nulls not allowed.
            for (key, want) in [("txid", "string"), ("vout", "number")] {
                let v = obj.get(key).unwrap_or(&Value::Null);
                if v.is_null() {
                    return Err(RpcError::type_error(format!("Missing {key}")));
                }
                if uv_type_name(v) != want {
                    return Err(RpcError::type_error(format!(
                        "JSON value of type {} for field {key} is not of expected type {want}",
                        uv_type_name(v)
                    )));
                }
            }
            if let Some(k) = obj.keys().find(|k| *k != "txid" && *k != "vout") {
                return Err(RpcError::type_error(format!("Unexpected key {k}")));
            }
            let txid_s = obj["txid"].as_str().expect("checked");
            let vout_v = &obj["vout"];
            let txid = Txid::from_raw_hash(parse_hash_v(txid_s, "txid")?.to_raw_hash());
            let vout = vout_v
                .as_i64()
                .ok_or_else(|| RpcError::type_error("JSON integer out of range"))?;
            if vout < 0 {
                return Err(RpcError::invalid_parameter(
                    "Invalid parameter, vout cannot be negative",
                ));
            }
            prevouts.push(OutPoint::new(txid, vout as u32));
        }
        let pool = node.pool.lock();
        let result: Vec<Value> = prevouts
            .iter()
            .map(|p| {
                let mut o = serde_json::Map::new();
                o.insert("txid".into(), json!(p.txid.to_string()));
                o.insert("vout".into(), json!(p.vout));
                if let Some(s) = pool.spender(p) {
                    o.insert("spendingtxid".into(), json!(s.to_string()));
                }
                Value::Object(o)
            })
            .collect();
        Ok(json!(result))
    })
}

/// Core's `savemempool`.
fn savemempool(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "savemempool",
        "\nDumps the mempool to disk. It will fail until the previous dump is fully loaded.\n",
        vec![],
        vec![
            RpcResult::new(ResultType::Obj, "", "").inner(vec![RpcResult::new(
                ResultType::Str,
                "filename",
                "the directory and file where the mempool was saved",
            )]),
        ],
        help_example_cli("savemempool", "") + &help_example_rpc("savemempool", ""),
    );
    RpcCommand::new("blockchain", spec, move |_req: &RpcRequest| {
        if !node.mempool.loaded.load(Ordering::SeqCst) {
            return Err(RpcError::misc("The mempool was not loaded yet"));
        }
        let path = node
            .pool
            .dump_path()
            .ok_or_else(|| RpcError::misc("The mempool was not loaded yet"))?;
        if !node.pool.dump(path) {
            return Err(RpcError::misc("Unable to dump mempool to disk"));
        }
        Ok(json!({"filename": path.to_string_lossy()}))
    })
}

/// Core's `importmempool`.
fn importmempool(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "importmempool",
        "Import a mempool.dat file and attempt to add its contents to the mempool.\nWarning: Importing untrusted files is dangerous, especially if metadata from the file is taken over.",
        vec![
            RpcArg::required("filepath", ArgType::Str, "The mempool file"),
            RpcArg::omitted("options", ArgType::ObjNamedParams, "").inner(vec![
                RpcArg::with_default("use_current_time", ArgType::Bool, json!(true), "Whether to use the current system time or use the entry time metadata from the mempool file.\nWarning: Importing untrusted metadata may lead to unexpected issues and undesirable behavior."),
                RpcArg::with_default("apply_fee_delta_priority", ArgType::Bool, json!(false), "Whether to apply the fee delta metadata from the mempool file.\nIt will be added to any existing fee deltas.\nThe fee delta can be set by the prioritisetransaction RPC.\nWarning: Importing untrusted metadata may lead to unexpected issues and undesirable behavior.\nOnly set this bool if you understand what it does."),
                RpcArg::with_default("apply_unbroadcast_set", ArgType::Bool, json!(false), "Whether to apply the unbroadcast set metadata from the mempool file.\nWarning: Importing untrusted metadata may lead to unexpected issues and undesirable behavior."),
            ]),
        ],
        vec![RpcResult::new(ResultType::Obj, "", "")],
        help_example_cli("importmempool", "/path/to/mempool.dat")
            + &help_example_rpc("importmempool", "/path/to/mempool.dat"),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        if node.is_initial_block_download() {
            return Err(RpcError::new(
                RpcErrorCode::CLIENT_IN_INITIAL_DOWNLOAD,
                "Can only import the mempool after the block download and sync is done.",
            ));
        }
        let path: String = req.arg(0)?;
        let opts = req.param(1);
        let flag = |k: &str, default: bool| -> Result<bool, RpcError> {
            match opts.get(k) {
                None | Some(Value::Null) => Ok(default),
                Some(Value::Bool(b)) => Ok(*b),
                Some(v) => Err(RpcError::type_error(widecoin_rpc::type_error_message(
                    v, "bool",
                ))),
            }
        };
        let options = crate::txpool::ImportOptions {
            use_current_time: flag("use_current_time", true)?,
            apply_fee_delta_priority: flag("apply_fee_delta_priority", false)?,
            apply_unbroadcast_set: flag("apply_unbroadcast_set", false)?,
        };
        if !node
            .pool
            .load(&node.chain, std::path::Path::new(&path), options)
        {
            return Err(RpcError::misc(
                "Unable to import mempool file, see debug.log for details.",
            ));
        }
        Ok(json!({}))
    })
}

/// UniValue's `uvTypeName`.
fn uv_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
    }
}
