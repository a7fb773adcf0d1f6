//! RPCs of the optional indexes and of pruning (Core's `getindexinfo` of
//! `rpc/node.cpp`; `getblockfilter`, `pruneblockchain` and the index and
//! prune parts of `gettxoutsetinfo`, `getblockchaininfo` of
//! `rpc/blockchain.cpp`; the `-txindex` lookup of `getrawtransaction`).

use std::sync::Arc;

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::Txid;
use serde_json::{json, Map, Value};
use widecoin_chainstate::coinstats::CoinStatsHashType;
use widecoin_chainstate::prune::{MIN_BLOCKS_TO_KEEP, PRUNE_TARGET_MANUAL};
use widecoin_chainstate::{block_status, ChainstateManager};
use widecoin_index::IndexedStats;
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcErrorCode, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use super::blockchain::parse_hash_v;
use super::tx_json::{tx_to_univ, TxVerbosity};
use super::util::amount;
use crate::context::NodeContext;

/// `TIMESTAMP_WINDOW`: two hours.
const TIMESTAMP_WINDOW: i64 = 2 * 60 * 60;

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(getindexinfo(node.clone()));
    table.register(getblockfilter(node.clone()));
    table.register(pruneblockchain(node.clone()));
}

fn getindexinfo(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "getindexinfo",
        "\nReturns the status of one or all available indices currently running in the node.\n",
        vec![RpcArg::omitted(
            "index_name",
            ArgType::Str,
            "Filter results for an index with a specific name.",
        )],
        vec![r(ResultType::ObjDyn, "", "").inner(vec![r(
            ResultType::Obj,
            "name",
            "The name of the index",
        )
        .inner(vec![
            r(
                ResultType::Bool,
                "synced",
                "Whether the index is synced or not",
            ),
            r(
                ResultType::Num,
                "best_block_height",
                "The block height to which the index is synced",
            ),
        ])])],
        help_example_cli("getindexinfo", "")
            + &help_example_rpc("getindexinfo", "")
            + &help_example_cli("getindexinfo", "txindex")
            + &help_example_rpc("getindexinfo", "txindex"),
    );
    RpcCommand::new("util", spec, move |req: &RpcRequest| {
        let wanted: Option<String> = if req.param(0).is_null() {
            None
        } else {
            Some(req.arg(0)?)
        };
        let mut result = Map::new();
        if let Some(indexes) = node.indexes.get() {
            for s in indexes.summaries() {
                if wanted.as_ref().is_none_or(|w| w.is_empty() || *w == s.name) {
                    result.insert(
                        s.name.clone(),
                        json!({"synced": s.synced, "best_block_height": s.best_block_height}),
                    );
                }
            }
        }
        Ok(Value::Object(result))
    })
}

fn getblockfilter(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "getblockfilter",
        "\nRetrieve a BIP 157 content filter for a particular block.\n",
        vec![
            RpcArg::required("blockhash", ArgType::StrHex, "The hash of the block"),
            RpcArg::with_default(
                "filtertype",
                ArgType::Str,
                json!("basic"),
                "The type name of the filter",
            ),
        ],
        vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::StrHex, "filter", "the hex-encoded filter data"),
            r(
                ResultType::StrHex,
                "header",
                "the hex-encoded filter header",
            ),
        ])],
        help_example_cli(
            "getblockfilter",
            "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\" \"basic\"",
        ) + &help_example_rpc(
            "getblockfilter",
            "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\", \"basic\"",
        ),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        let hash = parse_hash_v(&req.arg::<String>(0)?, "blockhash")?;
        let filtertype: String = req.arg(1)?;
        if filtertype != widecoin_index::blockfilter::FILTER_TYPE_BASIC {
            return Err(RpcError::new(
                RpcErrorCode::INVALID_ADDRESS_OR_KEY,
                "Unknown filtertype",
            ));
        }
        let Some(index) = node.indexes.get().and_then(|i| i.blockfilter.clone()) else {
            return Err(RpcError::misc(format!(
                "Index is not enabled for filtertype {filtertype}"
            )));
        };
        let connected = {
            let cm = node.chain.lock();
            let entry = cm.lookup(&hash).ok_or_else(|| {
                RpcError::new(RpcErrorCode::INVALID_ADDRESS_OR_KEY, "Block not found")
            })?;
            entry.is_valid(block_status::VALID_SCRIPTS)
        };
        let ready = index.block_until_synced_to_current_chain();
        let found = index
            .backend()
            .lookup(&hash)
            .map_err(|e| RpcError::misc(e.to_string()))?;
        match found {
            Some((filter, header)) => Ok(json!({
                "filter": hex::encode(&filter.content),
                "header": header.to_string(),
            })),
            None => {
                let (code, more) = if !connected {
                    (
                        RpcErrorCode::INVALID_ADDRESS_OR_KEY,
                        " Block was not connected to active chain.",
                    )
                } else if !ready {
                    (
                        RpcErrorCode::MISC_ERROR,
                        " Block filters are still in the process of being indexed.",
                    )
                } else {
                    (
                        RpcErrorCode::INTERNAL_ERROR,
                        " This error is unexpected and indicates index corruption.",
                    )
                };
                Err(RpcError::new(code, format!("Filter not found.{more}")))
            }
        }
    })
}

fn pruneblockchain(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "pruneblockchain",
        "",
        vec![RpcArg::required(
            "height",
            ArgType::Num,
            "The block height to prune up to. May be set to a discrete height, or to a UNIX epoch time\n                  to prune blocks whose block time is at least 2 hours older than the provided timestamp.",
        )],
        vec![RpcResult::new(
            ResultType::Num,
            "",
            "Height of the last block pruned",
        )],
        help_example_cli("pruneblockchain", "1000") + &help_example_rpc("pruneblockchain", "1000"),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        let mut cm = node.chain.lock();
        if !cm.is_prune_mode() {
            return Err(RpcError::misc(
                "Cannot prune blocks because node is not in prune mode.",
            ));
        }
        let mut height: i64 = req.arg(0)?;
        if height < 0 {
            return Err(RpcError::invalid_parameter("Negative block height."));
        }
        if height > 1_000_000_000 {
            height = earliest_at_least(&cm, height - TIMESTAMP_WINDOW)
                .ok_or_else(|| {
                    RpcError::invalid_parameter(
                        "Could not find block with at least the specified timestamp.",
                    )
                })?
                .into();
        }
        let chain_height = cm.height().max(0);
        if (chain_height as u64) < cm.params().prune_after_height {
            return Err(RpcError::misc("Blockchain is too short for pruning."));
        }
        if height > chain_height {
            return Err(RpcError::invalid_parameter(
                "Blockchain is shorter than the attempted prune height.",
            ));
        }
        if height > chain_height - i64::from(MIN_BLOCKS_TO_KEEP) {
            tracing::debug!(target: "rpc", "Attempt to prune blocks close to the tip.  Retaining the minimum number of blocks.");
            height = chain_height - i64::from(MIN_BLOCKS_TO_KEEP);
        }
        cm.prune_block_files_manual(height.max(0) as u32)
            .map_err(|e| RpcError::misc(e.to_string()))?;
        let tip = cm.tip().expect("the chainstate holds genesis");
        if !tip.have_data() {
            return Ok(json!(tip.height));
        }
        let first = cm.first_stored_block().map_or(0, |e| e.height);
        Ok(json!(i64::from(first) - 1))
    })
}

/// `CChain::FindEarliestAtLeast(time, 0)`: the first block of the active
/// chain whose maximum time so far reaches `time`.
fn earliest_at_least(cm: &ChainstateManager, time: i64) -> Option<u32> {
    let tip = cm.height();
    let mut max_time = 0i64;
    for h in 0..=tip.max(0) as u32 {
        let hash = cm.block_hash_at(h)?;
        max_time = max_time.max(cm.lookup(&hash)?.time());
        if max_time >= time {
            return Some(h);
        }
    }
    None
}

/// getblockchaininfo's prune fields after `pruned`: `pruneheight`,
/// `automatic_pruning`, `prune_target_size` (Core's order).
pub(crate) fn add_prune_info(cm: &ChainstateManager, info: Value) -> Value {
    let Value::Object(map) = info else {
        return info;
    };
    let mut out = Map::new();
    for (k, v) in map {
        if k == "pruned" {
            out.insert(k, json!(cm.is_prune_mode()));
            if cm.is_prune_mode() {
                let tip = cm.tip().expect("the chainstate holds genesis");
                let prune_height = if tip.have_data() {
                    cm.first_stored_block().map_or(0, |e| e.height)
                } else {
                    tip.height + 1
                };
                out.insert("pruneheight".into(), json!(prune_height));
                let automatic = cm.prune_target() != PRUNE_TARGET_MANUAL;
                out.insert("automatic_pruning".into(), json!(automatic));
                if automatic {
                    out.insert("prune_target_size".into(), json!(cm.prune_target()));
                }
            }
        } else {
            out.insert(k, v);
        }
    }
    Value::Object(out)
}

/// `getrawtransaction` without a block hash, with `-txindex`: the answer
/// for a confirmed transaction, Core's errors for one not found, or `None`
/// when the index is off or the transaction is in the mempool (the caller
/// answers then). Call it without the chainstate locked.
pub(crate) fn txindex_getrawtransaction(
    node: &NodeContext,
    txid: &Txid,
    verbosity: i64,
) -> Result<Option<Value>, RpcError> {
    let Some(index) = node.indexes.get().and_then(|i| i.txindex.clone()) else {
        return Ok(None);
    };
    if node.pool.lock().get(txid).is_some() {
        return Ok(None);
    }
    let ready = index.block_until_synced_to_current_chain();
    let found = index
        .backend()
        .find_tx(txid)
        .map_err(|e| RpcError::misc(e.to_string()))?;
    let Some((block_hash, tx)) = found else {
        let msg = if ready {
            "No such mempool or blockchain transaction"
        } else {
            "No such mempool transaction. Blockchain transactions are still in the process of being indexed"
        };
        return Err(RpcError::new(
            RpcErrorCode::INVALID_ADDRESS_OR_KEY,
            format!("{msg}. Use gettransaction for wallet transactions."),
        ));
    };
    if verbosity <= 0 {
        return Ok(Some(json!(serialize_hex(&tx))));
    }
    let mut result = Map::new();
    if let Value::Object(m) = tx_to_univ(
        &tx,
        None,
        true,
        None,
        TxVerbosity::Details,
        &node.chain_params,
    ) {
        result.extend(m);
    }
    result.insert("blockhash".into(), json!(block_hash.to_string()));
    let cm = node.chain.lock();
    if let Some(entry) = cm.lookup(&block_hash) {
        if cm.is_active(&block_hash) {
            result.insert(
                "confirmations".into(),
                json!(1 + cm.height() - i64::from(entry.height)),
            );
            result.insert("time".into(), json!(entry.time()));
            result.insert("blocktime".into(), json!(entry.time()));
        } else {
            result.insert("confirmations".into(), json!(0));
        }
    }
    Ok(Some(Value::Object(result)))
}

/// Core's `ParseHashOrHeight`: the hash and height of a block given by
/// height on the active chain or by hash.
fn parse_hash_or_height(
    cm: &ChainstateManager,
    param: &Value,
) -> Result<(bitcoin::BlockHash, u32), RpcError> {
    if let Some(height) = param.as_i64() {
        if height < 0 {
            return Err(RpcError::invalid_parameter(format!(
                "Target block height {height} is negative"
            )));
        }
        let tip = cm.height();
        if height > tip {
            return Err(RpcError::invalid_parameter(format!(
                "Target block height {height} after current tip {tip}"
            )));
        }
        let hash = cm
            .block_hash_at(height as u32)
            .expect("height within the chain");
        return Ok((hash, height as u32));
    }
    let text = param
        .as_str()
        .ok_or_else(|| RpcError::type_error(widecoin_rpc::type_error_message(param, "string")))?;
    let hash = parse_hash_v(text, "hash_or_height")?;
    let entry = cm
        .lookup(&hash)
        .ok_or_else(|| RpcError::new(RpcErrorCode::INVALID_ADDRESS_OR_KEY, "Block not found"))?;
    Ok((hash, entry.height))
}

/// `gettxoutsetinfo` through the coinstatsindex: the answer when the index
/// serves this request, Core's errors for requests it refuses, `None` when
/// the set must be scanned instead (no index, `use_index=false`, or
/// `hash_serialized_3` for the tip). Call it without the chainstate locked.
pub(crate) fn gettxoutsetinfo_from_index(
    node: &NodeContext,
    req: &RpcRequest,
    hash_type: CoinStatsHashType,
) -> Result<Option<Value>, RpcError> {
    let Some(index) = node.indexes.get().and_then(|i| i.coinstats.clone()) else {
        return Ok(None);
    };
    let index_requested = req.param(2).is_null() || req.arg::<bool>(2)?;
    let target = if req.param(1).is_null() {
        None
    } else {
        if hash_type == CoinStatsHashType::HashSerialized {
            return Err(RpcError::invalid_parameter(
                "hash_serialized_3 hash type cannot be queried for a specific block",
            ));
        }
        if !index_requested {
            return Err(RpcError::invalid_parameter(
                "Cannot set use_index to false when querying for a specific block",
            ));
        }
        Some(parse_hash_or_height(&node.chain.lock(), req.param(1))?)
    };
    if !index_requested || hash_type == CoinStatsHashType::HashSerialized {
        return Ok(None);
    }
    let (hash, height) = match target {
        Some(t) => t,
        None => {
            let mut cm = node.chain.lock();
            cm.flush().map_err(|e| RpcError::misc(e.to_string()))?;
            let tip = cm.tip().expect("the chainstate holds genesis");
            (tip.hash, tip.height)
        }
    };
    if !index.block_until_synced_to_current_chain() {
        let summary = index.summary();
        if height > summary.best_block_height {
            return Err(RpcError::new(
                RpcErrorCode::INTERNAL_ERROR,
                format!(
                    "Unable to get data because coinstatsindex is still syncing. Current height: {}",
                    summary.best_block_height
                ),
            ));
        }
    }
    let unreadable = || RpcError::new(RpcErrorCode::INTERNAL_ERROR, "Unable to read UTXO set");
    let look_up = |h: &bitcoin::BlockHash| {
        index
            .backend()
            .look_up_stats(h)
            .map_err(|e| RpcError::misc(e.to_string()))
    };
    let stats = look_up(&hash)?.ok_or_else(unreadable)?;
    let prev = if height > 0 {
        let prev_hash = node
            .chain
            .lock()
            .lookup(&hash)
            .map(|e| e.header.prev_blockhash)
            .ok_or_else(unreadable)?;
        Some(look_up(&prev_hash)?.ok_or_else(unreadable)?)
    } else {
        None
    };
    Ok(Some(stats_json(&stats, prev.as_ref(), hash_type)))
}

fn stats_json(
    s: &IndexedStats,
    prev: Option<&IndexedStats>,
    hash_type: CoinStatsHashType,
) -> Value {
    let d = |f: fn(&IndexedStats) -> i64| amount(f(s) - prev.map_or(0, f));
    let mut ret = Map::new();
    ret.insert("height".into(), json!(s.height));
    ret.insert("bestblock".into(), json!(s.block_hash.to_string()));
    ret.insert("txouts".into(), json!(s.txouts));
    ret.insert("bogosize".into(), json!(s.bogosize));
    if hash_type == CoinStatsHashType::MuHash {
        let mut h = s.muhash;
        h.reverse();
        ret.insert("muhash".into(), json!(hex::encode(h)));
    }
    ret.insert("total_amount".into(), amount(s.total_amount));
    ret.insert(
        "total_unspendable_amount".into(),
        amount(s.total_unspendable_amount),
    );
    ret.insert(
        "block_info".into(),
        json!({
            "prevout_spent": d(|x| x.total_prevout_spent_amount),
            "coinbase": d(|x| x.total_coinbase_amount),
            "new_outputs_ex_coinbase": d(|x| x.total_new_outputs_ex_coinbase_amount),
            "unspendable": d(|x| x.total_unspendable_amount),
            "unspendables": {
                "genesis_block": d(|x| x.total_unspendables_genesis_block),
                "bip30": d(|x| x.total_unspendables_bip30),
                "scripts": d(|x| x.total_unspendables_scripts),
                "unclaimed_rewards": d(|x| x.total_unspendables_unclaimed_rewards),
            },
        }),
    );
    Value::Object(ret)
}
