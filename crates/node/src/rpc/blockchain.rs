//! Blockchain RPCs answerable from the active chain (Core's `rpc/blockchain.cpp`).

use std::sync::Arc;
use std::time::Duration;

use bitcoin::BlockHash;
use serde_json::{json, Value};
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use super::util::float;
use widecoin_chainstate::BlockIndexEntry;

use crate::chain::{difficulty_from_bits, TipInfo};
use crate::context::NodeContext;

const UNIX_EPOCH_TIME: &str = "UNIX epoch time";

fn examples(method: &str, args: &str, rpc_args: &str) -> String {
    help_example_cli(method, args) + &help_example_rpc(method, rpc_args)
}

/// Registers the blockchain category.
pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(getblockcount(node.clone()));
    table.register(getbestblockhash(node.clone()));
    table.register(getblockhash(node.clone()));
    table.register(getdifficulty(node.clone()));
    table.register(getblockchaininfo(node.clone()));
    table.register(waitfornewblock(node.clone()));
    table.register(waitforblock(node.clone()));
    table.register(waitforblockheight(node.clone()));
    table.register(syncwithvalidationinterfacequeue());
    table.register(getdeploymentinfo(node.clone()));
    table.register(getchaintxstats(node.clone()));
}

/// Validation notifications are delivered synchronously until the chainstate
/// crate brings a queue, so there is never anything to wait for.
fn syncwithvalidationinterfacequeue() -> RpcCommand {
    let spec = RpcMethod::new(
        "syncwithvalidationinterfacequeue",
        "\nWaits for the validation interface queue to catch up on everything that was there when we entered this function.\n",
        vec![],
        vec![RpcResult::new(ResultType::None, "", "")],
        examples("syncwithvalidationinterfacequeue", "", ""),
    );
    RpcCommand::new("hidden", spec, move |_req: &RpcRequest| Ok(Value::Null))
}

fn getblockcount(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "getblockcount",
        "\nReturns the height of the most-work fully-validated chain.\nThe genesis block has height 0.\n",
        vec![],
        vec![RpcResult::new(ResultType::Num, "", "The current block count")],
        examples("getblockcount", "", ""),
    );
    RpcCommand::new("blockchain", spec, move |_req: &RpcRequest| {
        Ok(json!(node.chain.lock().height()))
    })
}

fn getbestblockhash(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "getbestblockhash",
        "\nReturns the hash of the best (tip) block in the most-work fully-validated chain.\n",
        vec![],
        vec![RpcResult::new(
            ResultType::StrHex,
            "",
            "the block hash, hex-encoded",
        )],
        examples("getbestblockhash", "", ""),
    );
    RpcCommand::new("blockchain", spec, move |_req: &RpcRequest| {
        // The active chain itself: invalidateblock moves it back without a
        // tip notification.
        let tip = node.chain.lock().tip().map(|t| t.hash);
        Ok(json!(tip.unwrap_or(node.chain.tip_info().hash).to_string()))
    })
}

fn getblockhash(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "getblockhash",
        "\nReturns hash of block in best-block-chain at height provided.\n",
        vec![RpcArg::required("height", ArgType::Num, "The height index")],
        vec![RpcResult::new(ResultType::StrHex, "", "The block hash")],
        examples("getblockhash", "1000", "1000"),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        let height: i64 = req.arg(0)?;
        let hash = u32::try_from(height)
            .ok()
            .and_then(|h| node.chain.lock().block_hash_at(h))
            .ok_or_else(|| RpcError::invalid_parameter("Block height out of range"))?;
        Ok(json!(hash.to_string()))
    })
}

fn getdifficulty(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "getdifficulty",
        "\nReturns the proof-of-work difficulty as a multiple of the minimum difficulty.\n",
        vec![],
        vec![RpcResult::new(
            ResultType::Num,
            "",
            "the proof-of-work difficulty as a multiple of the minimum difficulty.",
        )],
        examples("getdifficulty", "", ""),
    );
    RpcCommand::new("blockchain", spec, move |_req: &RpcRequest| {
        let cm = node.chain.lock();
        let tip = cm.tip().expect("the chainstate holds genesis");
        Ok(float(difficulty_from_bits(tip.header.bits.to_consensus())))
    })
}

/// Core's `GuessVerificationProgress` for the tip.
fn verification_progress(node: &NodeContext, tip: &BlockIndexEntry) -> f64 {
    let data = node.chain_params.tx_data();
    let now = widecoin_common::time::system_time() as f64;
    let total = if (tip.chain_tx as i64) <= data.tx_count {
        data.tx_count as f64 + (now - data.time as f64) * data.tx_rate
    } else {
        tip.chain_tx as f64 + (now - f64::from(tip.header.time)) * data.tx_rate
    };
    (tip.chain_tx as f64 / total).min(1.0)
}

fn getblockchaininfo(node: Arc<NodeContext>) -> RpcCommand {
    let field = |t, k, d: &str| RpcResult::new(t, k, d);
    let spec = RpcMethod::new(
        "getblockchaininfo",
        "Returns an object containing various state info regarding blockchain processing.\n",
        vec![],
        vec![RpcResult::new(ResultType::Obj, "", "").inner(vec![
            field(ResultType::Str, "chain", "current network name (main, test, signet, regtest)"),
            field(ResultType::Num, "blocks", "the height of the most-work fully-validated chain. The genesis block has height 0"),
            field(ResultType::Num, "headers", "the current number of headers we have validated"),
            field(ResultType::Str, "bestblockhash", "the hash of the currently best block"),
            field(ResultType::Num, "difficulty", "the current difficulty"),
            field(ResultType::NumTime, "time", &format!("The block time expressed in {UNIX_EPOCH_TIME}")),
            field(ResultType::NumTime, "mediantime", &format!("The median block time expressed in {UNIX_EPOCH_TIME}")),
            field(ResultType::Num, "verificationprogress", "estimate of verification progress [0..1]"),
            field(ResultType::Bool, "initialblockdownload", "(debug information) estimate of whether this node is in Initial Block Download mode"),
            field(ResultType::StrHex, "chainwork", "total amount of work in active chain, in hexadecimal"),
            field(ResultType::Num, "size_on_disk", "the estimated size of the block and undo files on disk"),
            field(ResultType::Bool, "pruned", "if the blocks are subject to pruning"),
            field(ResultType::Num, "pruneheight", "height of the last block pruned, plus one (only present if pruning is enabled)").optional(),
            field(ResultType::Bool, "automatic_pruning", "whether automatic pruning is enabled (only present if pruning is enabled)").optional(),
            field(ResultType::Num, "prune_target_size", "the target size used by pruning (only present if automatic pruning is enabled)").optional(),
            field(ResultType::Str, "warnings", "any network and blockchain warnings"),
        ])],
        examples("getblockchaininfo", "", ""),
    );
    RpcCommand::new("blockchain", spec, move |_req: &RpcRequest| {
        let ibd = node.is_initial_block_download();
        let cm = node.chain.lock();
        let tip = cm.tip().expect("the chainstate holds genesis");
        let headers = cm.best_header().map_or(-1, |h| i64::from(h.height));
        Ok(super::indexes::add_prune_info(
            &cm,
            json!({
                "chain": node.chain_params.chain_type_string(),
                "blocks": tip.height,
                "headers": headers,
                "bestblockhash": tip.hash.to_string(),
                "difficulty": float(difficulty_from_bits(tip.header.bits.to_consensus())),
                "time": tip.header.time,
                "mediantime": cm.tip_median_time_past().unwrap_or(0),
                "verificationprogress": float(verification_progress(&node, tip)),
                "initialblockdownload": ibd,
                "chainwork": hex::encode(tip.chain_work.to_be_bytes()),
                "size_on_disk": cm.block_store().current_usage(),
                "pruned": false,
                "warnings": crate::notify::misc_warning(),
            }),
        ))
    })
}

fn tip_result() -> Vec<RpcResult> {
    vec![RpcResult::new(ResultType::Obj, "", "").inner(vec![
        RpcResult::new(ResultType::StrHex, "hash", "The blockhash"),
        RpcResult::new(ResultType::Num, "height", "Block height"),
    ])]
}

fn tip_json(tip: TipInfo) -> Value {
    json!({"hash": tip.hash.to_string(), "height": tip.height})
}

fn timeout_arg() -> RpcArg {
    RpcArg::with_default(
        "timeout",
        ArgType::Num,
        json!(0),
        "Time in milliseconds to wait for a response. 0 indicates no timeout.",
    )
}

/// A timeout argument in milliseconds; 0 (or negative) waits forever.
fn timeout_of(ms: i64) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms as u64))
}

fn wait(node: &NodeContext, ms: i64, done: &dyn Fn(&TipInfo) -> bool) -> Value {
    let shutdown = node.shutdown.clone();
    let tip = node
        .chain
        .wait_for(timeout_of(ms), &|| shutdown.is_requested(), done);
    tip_json(tip)
}

fn waitfornewblock(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "waitfornewblock",
        "\nWaits for a specific new block and returns useful info about it.\n\nReturns the current block on timeout or exit.\n",
        vec![timeout_arg()],
        tip_result(),
        examples("waitfornewblock", "1000", "1000"),
    );
    RpcCommand::new("hidden", spec, move |req: &RpcRequest| {
        let ms: i64 = req.arg(0)?;
        let start = node.chain.tip_info();
        Ok(wait(&node, ms, &|t| *t != start))
    })
}

fn waitforblock(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "waitforblock",
        "\nWaits for a specific new block and returns useful info about it.\n\nReturns the current block on timeout or exit.\n",
        vec![
            RpcArg::required("blockhash", ArgType::StrHex, "Block hash to wait for."),
            timeout_arg(),
        ],
        tip_result(),
        examples(
            "waitforblock",
            "\"0000000000079f8ef3d2c688c244eb7a4570b24c9ed7b4a8c619eb02596f8862\" 1000",
            "\"0000000000079f8ef3d2c688c244eb7a4570b24c9ed7b4a8c619eb02596f8862\", 1000",
        ),
    );
    RpcCommand::new("hidden", spec, move |req: &RpcRequest| {
        let hash = parse_hash_v(&req.arg::<String>(0)?, "blockhash")?;
        let ms: i64 = req.arg(1)?;
        Ok(wait(&node, ms, &|t| t.hash == hash))
    })
}

fn waitforblockheight(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "waitforblockheight",
        "\nWaits for (at least) block height and returns the height and hash\nof the current tip.\n\nReturns the current block on timeout or exit.\n",
        vec![
            RpcArg::required("height", ArgType::Num, "Block height to wait for."),
            timeout_arg(),
        ],
        tip_result(),
        examples("waitforblockheight", "100 1000", "100, 1000"),
    );
    RpcCommand::new("hidden", spec, move |req: &RpcRequest| {
        let height: i64 = req.arg(0)?;
        let ms: i64 = req.arg(1)?;
        Ok(wait(&node, ms, &|t| i64::from(t.height) >= height))
    })
}

/// Core's `ParseHashV`: 64 hex characters, with its error messages.
pub fn parse_hash_v(text: &str, name: &str) -> Result<BlockHash, RpcError> {
    if text.len() != 64 {
        return Err(RpcError::invalid_parameter(format!(
            "{name} must be of length 64 (not {}, for '{text}')",
            text.len()
        )));
    }
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(RpcError::invalid_parameter(format!(
            "{name} must be hexadecimal string (not '{text}')"
        )));
    }
    text.parse().map_err(|_| {
        RpcError::invalid_parameter(format!("{name} must be hexadecimal string (not '{text}')"))
    })
}

fn deployment_help() -> Vec<RpcResult> {
    let r = |t, k, d: &str| RpcResult::new(t, k, d);
    vec![
        r(ResultType::Str, "type", "one of \"buried\", \"bip9\""),
        r(ResultType::Num, "height", "height of the first block which the rules are or will be enforced (only for \"buried\" type, or \"bip9\" type with \"active\" status)").optional(),
        r(ResultType::Bool, "active", "true if the rules are enforced for the mempool and the next block"),
        r(ResultType::Obj, "bip9", "status of bip9 softforks (only for \"bip9\" type)").optional().inner(vec![
            r(ResultType::Num, "bit", "the bit (0-28) in the block version field used to signal this softfork (only for \"started\" and \"locked_in\" status)").optional(),
            r(ResultType::NumTime, "start_time", "the minimum median time past of a block at which the bit gains its meaning"),
            r(ResultType::NumTime, "timeout", "the median time past of a block at which the deployment is considered failed if not yet locked in"),
            r(ResultType::Num, "min_activation_height", "minimum height of blocks for which the rules may be enforced"),
            r(ResultType::Str, "status", "status of deployment at specified block (one of \"defined\", \"started\", \"locked_in\", \"active\", \"failed\")"),
            r(ResultType::Num, "since", "height of the first block to which the status applies"),
            r(ResultType::Str, "status_next", "status of deployment at the next block"),
            r(ResultType::Obj, "statistics", "numeric statistics about signalling for a softfork (only for \"started\" and \"locked_in\" status)").optional().inner(vec![
                r(ResultType::Num, "period", "the length in blocks of the signalling period"),
                r(ResultType::Num, "threshold", "the number of blocks with the version bit set required to activate the feature (only for \"started\" status)").optional(),
                r(ResultType::Num, "elapsed", "the number of blocks elapsed since the beginning of the current period"),
                r(ResultType::Num, "count", "the number of blocks with the version bit set in the current period"),
                r(ResultType::Bool, "possible", "returns false if there are not enough blocks left in this period to pass activation threshold (only for \"started\" status)").optional(),
            ]),
            r(ResultType::Str, "signalling", "indicates blocks that signalled with a # and blocks that did not with a -").optional(),
        ]),
    ]
}

/// Core's `DeploymentInfo`: the buried deployments, then the BIP9 ones, as
/// of the block `id` (their `active` is for the block after it).
pub fn deployment_info(
    cm: &widecoin_chainstate::ChainstateManager,
    versionbits: &widecoin_mining::VersionBitsCache,
    id: widecoin_chainstate::EntryId,
) -> Value {
    use widecoin_chainparams::consensus::{Bip9Deployment, BuriedDeployment, DeploymentPos};
    use widecoin_mining::versionbits::statistics;
    use widecoin_mining::ThresholdState;
    let c = &cm.params().consensus;
    let index = cm.block_index();
    let entry = index.entry(id);
    let mut out = serde_json::Map::new();
    // Core's order: bip34, bip66, bip65, csv, segwit.
    for dep in [
        BuriedDeployment::HeightInCb,
        BuriedDeployment::DerSig,
        BuriedDeployment::Cltv,
        BuriedDeployment::Csv,
        BuriedDeployment::Segwit,
    ] {
        let height = c.deployment_height(dep);
        if height == i32::MAX {
            continue;
        }
        out.insert(
            dep.name().to_string(),
            json!({
                "type": "buried",
                "active": i64::from(entry.height) + 1 >= i64::from(height),
                "height": height,
            }),
        );
    }
    for pos in DeploymentPos::ALL {
        let d = c.deployment(pos);
        if d.start_time == Bip9Deployment::NEVER_ACTIVE {
            continue;
        }
        let next = versionbits.state(index, Some(id), c, pos);
        let current = versionbits.state(index, entry.prev, c, pos);
        let has_signal = matches!(current, ThresholdState::Started | ThresholdState::LockedIn);
        let mut bip9 = serde_json::Map::new();
        if has_signal {
            bip9.insert("bit".into(), json!(d.bit));
        }
        bip9.insert("start_time".into(), json!(d.start_time));
        bip9.insert("timeout".into(), json!(d.timeout));
        bip9.insert(
            "min_activation_height".into(),
            json!(d.min_activation_height),
        );
        bip9.insert("status".into(), json!(current.name()));
        bip9.insert(
            "since".into(),
            json!(versionbits.state_since_height(index, entry.prev, c, pos)),
        );
        bip9.insert("status_next".into(), json!(next.name()));
        if has_signal {
            let (stats, signals) = statistics(index, Some(id), c, pos);
            let mut s = serde_json::Map::new();
            s.insert("period".into(), json!(stats.period));
            s.insert("elapsed".into(), json!(stats.elapsed));
            s.insert("count".into(), json!(stats.count));
            if current != ThresholdState::LockedIn {
                s.insert("threshold".into(), json!(stats.threshold));
                s.insert("possible".into(), json!(stats.possible));
            }
            bip9.insert("statistics".into(), Value::Object(s));
            let sig: String = signals.iter().map(|&b| if b { '#' } else { '-' }).collect();
            bip9.insert("signalling".into(), json!(sig));
        }
        let mut rv = serde_json::Map::new();
        rv.insert("type".into(), json!("bip9"));
        if next == ThresholdState::Active {
            rv.insert(
                "height".into(),
                json!(versionbits.state_since_height(index, Some(id), c, pos)),
            );
        }
        rv.insert("active".into(), json!(next == ThresholdState::Active));
        rv.insert("bip9".into(), Value::Object(bip9));
        out.insert(pos.name().to_string(), Value::Object(rv));
    }
    Value::Object(out)
}

fn getdeploymentinfo(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "getdeploymentinfo",
        "Returns an object containing various state info regarding deployments of consensus changes.",
        vec![RpcArg::with_default(
            "blockhash",
            ArgType::StrHex,
            json!("hash of current chain tip"),
            "The block hash at which to query deployment state",
        )],
        vec![RpcResult::new(ResultType::Obj, "", "").inner(vec![
            RpcResult::new(ResultType::Str, "hash", "requested block hash (or tip)"),
            RpcResult::new(ResultType::Num, "height", "requested block height (or tip)"),
            RpcResult::new(ResultType::ObjDyn, "deployments", "").inner(vec![RpcResult::new(
                ResultType::Obj,
                "xxxx",
                "name of the deployment",
            )
            .inner(deployment_help())]),
        ])],
        examples("getdeploymentinfo", "", ""),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        // The default is documentation only: no argument means the tip.
        let hash = match req.param(0) {
            Value::Null => None,
            Value::String(text) => Some(parse_hash_v(text, "blockhash")?),
            _ => Some(parse_hash_v(&req.arg::<String>(0)?, "blockhash")?),
        };
        let cm = node.chain.lock();
        let id = match hash {
            None => cm
                .active_chain()
                .tip()
                .expect("the chainstate holds genesis"),
            Some(h) => cm.lookup_id(&h).ok_or_else(|| {
                RpcError::new(
                    widecoin_rpc::RpcErrorCode::INVALID_ADDRESS_OR_KEY,
                    "Block not found",
                )
            })?,
        };
        let entry = cm.block_index().entry(id);
        Ok(json!({
            "hash": entry.hash.to_string(),
            "height": entry.height,
            "deployments": deployment_info(&cm, node.miner.versionbits(), id),
        }))
    })
}

fn getchaintxstats(node: Arc<NodeContext>) -> RpcCommand {
    let r = |t, k, d: &str| RpcResult::new(t, k, d);
    let spec = RpcMethod::new(
        "getchaintxstats",
        "\nCompute statistics about the total number and rate of transactions in the chain.\n",
        vec![
            RpcArg::with_hint("nblocks", ArgType::Num, "one month", "Size of the window in number of blocks"),
            RpcArg::with_hint("blockhash", ArgType::StrHex, "chain tip", "The hash of the block that ends the window."),
        ],
        vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::NumTime, "time", &format!("The timestamp for the final block in the window, expressed in {UNIX_EPOCH_TIME}")),
            r(ResultType::Num, "txcount", "The total number of transactions in the chain up to that point"),
            r(ResultType::StrHex, "window_final_block_hash", "The hash of the final block in the window"),
            r(ResultType::Num, "window_final_block_height", "The height of the final block in the window."),
            r(ResultType::Num, "window_block_count", "Size of the window in number of blocks"),
            r(ResultType::Num, "window_tx_count", "The number of transactions in the window. Only returned if \"window_block_count\" is > 0").optional(),
            r(ResultType::Num, "window_interval", "The elapsed time in the window in seconds. Only returned if \"window_block_count\" is > 0").optional(),
            r(ResultType::Num, "txrate", "The average rate of transactions per second in the window. Only returned if \"window_interval\" is > 0").optional(),
        ])],
        help_example_cli("getchaintxstats", "") + &help_example_rpc("getchaintxstats", "2016"),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        let hash = match req.param(1) {
            Value::Null => None,
            _ => Some(parse_hash_v(&req.arg::<String>(1)?, "blockhash")?),
        };
        let cm = node.chain.lock();
        let id = match hash {
            None => cm
                .active_chain()
                .tip()
                .expect("the chainstate holds genesis"),
            Some(h) => {
                let id = cm.lookup_id(&h).ok_or_else(|| {
                    RpcError::new(
                        widecoin_rpc::RpcErrorCode::INVALID_ADDRESS_OR_KEY,
                        "Block not found",
                    )
                })?;
                if !cm.active_chain().contains(cm.block_index(), id) {
                    return Err(RpcError::invalid_parameter("Block is not in main chain"));
                }
                id
            }
        };
        let index = cm.block_index();
        let e = index.entry(id);
        let height = i64::from(e.height);
        let blockcount = match req.param(0) {
            Value::Null => {
                let month = 30 * 24 * 60 * 60 / cm.params().consensus.pow_target_spacing;
                month.min(height - 1).max(0)
            }
            _ => {
                let n = i64::from(req.arg::<i32>(0)?);
                if n < 0 || (n > 0 && n >= height) {
                    return Err(RpcError::invalid_parameter(
                        "Invalid block count: should be between 0 and the block's height - 1",
                    ));
                }
                n
            }
        };
        let past = index
            .ancestor(id, (height - blockcount) as u32)
            .expect("an ancestor at a lower height");
        let time_diff = index.median_time_past(id) - index.median_time_past(past);
        let tx_diff = e.chain_tx as i64 - index.entry(past).chain_tx as i64;
        let mut out = serde_json::Map::new();
        out.insert("time".into(), json!(e.header.time));
        out.insert("txcount".into(), json!(e.chain_tx));
        out.insert("window_final_block_hash".into(), json!(e.hash.to_string()));
        out.insert("window_final_block_height".into(), json!(e.height));
        out.insert("window_block_count".into(), json!(blockcount));
        if blockcount > 0 {
            out.insert("window_tx_count".into(), json!(tx_diff));
            out.insert("window_interval".into(), json!(time_diff));
            if time_diff > 0 {
                out.insert("txrate".into(), float(tx_diff as f64 / time_diff as f64));
            }
        }
        Ok(Value::Object(out))
    })
}
