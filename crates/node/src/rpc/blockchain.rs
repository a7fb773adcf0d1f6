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
        Ok(json!({
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
            "warnings": "",
        }))
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
