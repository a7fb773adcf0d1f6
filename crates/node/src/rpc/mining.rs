//! Mining RPCs (Core's `rpc/mining.cpp`): `generatetoaddress`,
//! `generatetodescriptor`, `generateblock`, `getmininginfo`,
//! `getnetworkhashps`, and the removed `generate`.

use std::sync::Arc;

use bitcoin::consensus::serialize;
use bitcoin::ScriptBuf;
use serde_json::{json, Value};
use widecoin_keys::{decode_destination, descriptor, script_for_destination};
use widecoin_mining::{decode_generateblock_tx, network_hash_ps, MiningError, DEFAULT_MAX_TRIES};
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcErrorCode, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use super::util::float;
use crate::context::NodeContext;

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(getnetworkhashps(node.clone()));
    table.register(getmininginfo(node.clone()));
    table.register(generatetoaddress(node.clone()));
    table.register(generatetodescriptor(node.clone()));
    table.register(generateblock(node.clone()));
    table.register(generate());
}

fn mining_error(e: MiningError) -> RpcError {
    RpcError::new(e.rpc_code(), e.to_string())
}

/// Core's `getScriptFromDescriptor`: `Ok(None)` when the text is no descriptor.
fn script_from_descriptor(node: &NodeContext, text: &str) -> Result<Option<ScriptBuf>, RpcError> {
    let Ok(desc) = descriptor::parse(text, &node.chain_params, false) else {
        return Ok(None);
    };
    if desc.is_range() {
        return Err(RpcError::invalid_parameter(
            "Ranged descriptor not accepted. Maybe pass through deriveaddresses first?",
        ));
    }
    let scripts = desc.expand(0).ok_or_else(|| {
        RpcError::new(
            RpcErrorCode::INVALID_ADDRESS_OR_KEY,
            "Cannot derive script without private keys",
        )
    })?;
    // combo() gives 2 or 4 scripts: take P2PKH, or P2WPKH for 4.
    let script = match scripts.len() {
        1 => scripts[0].clone(),
        4 => scripts[2].clone(),
        _ => scripts[1].clone(),
    };
    Ok(Some(script))
}

fn blocks_result() -> Vec<RpcResult> {
    vec![
        RpcResult::new(ResultType::Arr, "", "hashes of blocks generated")
            .inner(vec![RpcResult::new(ResultType::StrHex, "", "blockhash")]),
    ]
}

fn max_tries_arg() -> RpcArg {
    RpcArg::with_default(
        "maxtries",
        ArgType::Num,
        json!(DEFAULT_MAX_TRIES),
        "How many iterations to try.",
    )
}

fn generate_to(
    node: &NodeContext,
    script: &ScriptBuf,
    n: i64,
    max_tries: i64,
) -> Result<Value, RpcError> {
    let mut cm = node.chain.lock();
    let hashes = node
        .miner
        .generate_blocks(
            &mut cm,
            script,
            n.max(0) as u64,
            max_tries.max(0) as u64,
            &mut node.pool.clone(),
        )
        .map_err(mining_error)?;
    Ok(json!(hashes
        .iter()
        .map(|h| h.to_string())
        .collect::<Vec<_>>()))
}

fn generatetoaddress(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "generatetoaddress",
        "Mine to a specified address and return the block hashes.",
        vec![
            RpcArg::required("nblocks", ArgType::Num, "How many blocks are generated."),
            RpcArg::required("address", ArgType::Str, "The address to send the newly generated widecoin to."),
            max_tries_arg(),
        ],
        blocks_result(),
        format!(
            "\nGenerate 11 blocks to myaddress\n{}If you are using the Widecoin Core wallet, you can get a new address to send the newly generated widecoin to with:\n{}",
            help_example_cli("generatetoaddress", "11 \"myaddress\""),
            help_example_cli("getnewaddress", "")
        ),
    );
    RpcCommand::new("hidden", spec, move |req: &RpcRequest| {
        let n: i64 = req.arg(0)?;
        let address: String = req.arg(1)?;
        let max_tries: i64 = req.arg(2)?;
        let dest = decode_destination(&address, &node.chain_params)
            .ok()
            .filter(|d| d.is_valid())
            .ok_or_else(|| {
                RpcError::new(
                    RpcErrorCode::INVALID_ADDRESS_OR_KEY,
                    "Error: Invalid address",
                )
            })?;
        generate_to(&node, &script_for_destination(&dest), n, max_tries)
    })
}

fn generatetodescriptor(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "generatetodescriptor",
        "Mine to a specified descriptor and return the block hashes.",
        vec![
            RpcArg::required("num_blocks", ArgType::Num, "How many blocks are generated."),
            RpcArg::required(
                "descriptor",
                ArgType::Str,
                "The descriptor to send the newly generated widecoin to.",
            ),
            max_tries_arg(),
        ],
        blocks_result(),
        format!(
            "\nGenerate 11 blocks to mydesc\n{}",
            help_example_cli("generatetodescriptor", "11 \"mydesc\"")
        ),
    );
    RpcCommand::new("hidden", spec, move |req: &RpcRequest| {
        let n: i64 = req.arg(0)?;
        let text: String = req.arg(1)?;
        let max_tries: i64 = req.arg(2)?;
        let script = match script_from_descriptor(&node, &text)? {
            Some(s) => s,
            None => {
                let err = descriptor::parse(&text, &node.chain_params, false)
                    .err()
                    .unwrap_or_default();
                return Err(RpcError::new(RpcErrorCode::INVALID_ADDRESS_OR_KEY, err));
            }
        };
        generate_to(&node, &script, n, max_tries)
    })
}

fn generateblock(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "generateblock",
        "Mine a set of ordered transactions to a specified address or descriptor and return the block hash.",
        vec![
            RpcArg::required("output", ArgType::Str, "The address or descriptor to send the newly generated widecoin to."),
            RpcArg::required(
                "transactions",
                ArgType::Arr,
                "An array of hex strings which are either txids or raw transactions.\nTxids must reference transactions currently in the mempool.\nAll transactions must be valid and in valid order, otherwise the block will be rejected.",
            )
            .inner(vec![RpcArg::omitted("rawtx/txid", ArgType::StrHex, "")]),
            RpcArg::with_default("submit", ArgType::Bool, json!(true), "Whether to submit the block before the RPC call returns or to return it as hex."),
        ],
        vec![RpcResult::new(ResultType::Obj, "", "").inner(vec![
            RpcResult::new(ResultType::StrHex, "hash", "hash of generated block"),
            RpcResult::new(ResultType::StrHex, "hex", "hex of generated block, only present when submit=false").optional(),
        ])],
        format!(
            "\nGenerate a block to myaddress, with txs rawtx and mempool_txid\n{}",
            help_example_cli("generateblock", r#""myaddress" '["rawtx", "mempool_txid"]'"#)
        ),
    );
    RpcCommand::new("hidden", spec, move |req: &RpcRequest| {
        let output: String = req.arg(0)?;
        let submit: bool = req.arg(2)?;
        let script = match script_from_descriptor(&node, &output)? {
            Some(s) => s,
            None => {
                let dest = decode_destination(&output, &node.chain_params)
                    .ok()
                    .filter(|d| d.is_valid())
                    .ok_or_else(|| {
                        RpcError::new(
                            RpcErrorCode::INVALID_ADDRESS_OR_KEY,
                            "Error: Invalid address or descriptor",
                        )
                    })?;
                script_for_destination(&dest)
            }
        };
        let mut txs = Vec::new();
        for item in req.param(1).as_array().into_iter().flatten() {
            let text = item.as_str().ok_or_else(|| {
                RpcError::type_error(widecoin_rpc::type_error_message(item, "string"))
            })?;
            let from_pool =
                |txid: &bitcoin::Txid| node.pool.lock().get(txid).map(|e| (*e.tx).clone());
            txs.push(decode_generateblock_tx(text, from_pool).map_err(mining_error)?);
        }
        let mut cm = node.chain.lock();
        let generated = node
            .miner
            .generate_block(&mut cm, &script, txs, submit)
            .map_err(mining_error)?;
        let mut result = json!({"hash": generated.hash.to_string()});
        if !submit {
            result["hex"] = json!(hex::encode(serialize(&generated.block)));
        }
        Ok(result)
    })
}

fn getmininginfo(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "getmininginfo",
        "\nReturns a json object containing mining-related information.",
        vec![],
        vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::Num, "blocks", "The current block"),
            r(ResultType::Num, "currentblockweight", "The block weight of the last assembled block (only present if a block was ever assembled)").optional(),
            r(ResultType::Num, "currentblocktx", "The number of block transactions of the last assembled block (only present if a block was ever assembled)").optional(),
            r(ResultType::Num, "difficulty", "The current difficulty"),
            r(ResultType::Num, "networkhashps", "The network hashes per second"),
            r(ResultType::Num, "pooledtx", "The size of the mempool"),
            r(ResultType::Str, "chain", "current network name (main, test, signet, regtest)"),
            r(ResultType::Str, "warnings", "any network and blockchain warnings"),
        ])],
        help_example_cli("getmininginfo", "") + &help_example_rpc("getmininginfo", ""),
    );
    RpcCommand::new("mining", spec, move |_req: &RpcRequest| {
        let cm = node.chain.lock();
        let info = node.miner.mining_info(&cm, 0, String::new());
        let mut obj = serde_json::Map::new();
        obj.insert("blocks".into(), json!(info.blocks));
        if let Some(w) = info.current_block_weight {
            obj.insert("currentblockweight".into(), json!(w));
        }
        if let Some(t) = info.current_block_tx {
            obj.insert("currentblocktx".into(), json!(t));
        }
        obj.insert("difficulty".into(), float(info.difficulty));
        obj.insert("networkhashps".into(), float(info.network_hash_ps));
        obj.insert("pooledtx".into(), json!(info.pooled_tx));
        obj.insert("chain".into(), json!(info.chain));
        obj.insert("warnings".into(), json!(info.warnings));
        Ok(Value::Object(obj))
    })
}

fn getnetworkhashps(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "getnetworkhashps",
        "\nReturns the estimated network hashes per second based on the last n blocks.\nPass in [blocks] to override # of blocks, -1 specifies since last difficulty change.\nPass in [height] to estimate the network speed at the time when a certain block was found.\n",
        vec![
            RpcArg::with_default("nblocks", ArgType::Num, json!(120), "The number of blocks, or -1 for blocks since last difficulty change."),
            RpcArg::with_default("height", ArgType::Num, json!(-1), "To estimate at the time of the given height."),
        ],
        vec![RpcResult::new(ResultType::Num, "", "Hashes per second estimated")],
        help_example_cli("getnetworkhashps", "") + &help_example_rpc("getnetworkhashps", ""),
    );
    RpcCommand::new("mining", spec, move |req: &RpcRequest| {
        let nblocks: i64 = req.arg(0)?;
        let height: i64 = req.arg(1)?;
        let cm = node.chain.lock();
        Ok(float(network_hash_ps(&cm, nblocks, height)))
    })
}

/// `generate` was replaced by `widecoin-cli -generate`; Core keeps a stub
/// that answers "Method not found" with its help text.
fn generate() -> RpcCommand {
    let spec = RpcMethod::new(
        "generate",
        "has been replaced by the -generate cli option. Refer to -help for more information.",
        vec![],
        vec![],
        "",
    );
    let help = spec.help_text();
    RpcCommand::new("hidden", spec, move |_req: &RpcRequest| {
        Err(RpcError::new(RpcErrorCode::METHOD_NOT_FOUND, help.clone()))
    })
}
