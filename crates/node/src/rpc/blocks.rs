//! Block-level RPCs over the chainstate (Core's `rpc/blockchain.cpp` and
//! `submitblock` of `rpc/mining.cpp`): headers, blocks, chain tips, and the
//! test helpers that invalidate, reconsider or prefer a block.

use std::sync::Arc;

use bitcoin::consensus::{deserialize, serialize};
use bitcoin::{Block, BlockHash};
use serde_json::{json, Value};
use widecoin_chainstate::{
    block_status, BlockIndexEntry, ChainstateError, ChainstateManager, EntryId,
};
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcErrorCode, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use widecoin_consensus::decode::decode_block_partial;

use super::blockchain::parse_hash_v;
use super::tx_json::{tx_to_univ, TxVerbosity};
use super::util::float;
use crate::chain::difficulty_from_bits;
use crate::context::NodeContext;

const EXAMPLE_HASH: &str = "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\"";

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(getblockheader(node.clone()));
    table.register(getblock(node.clone()));
    table.register(getchaintips(node.clone()));
    table.register(submitblock(node.clone()));
    table.register(preciousblock(node.clone()));
    table.register(invalidateblock(node.clone()));
    table.register(reconsiderblock(node.clone()));
    table.register(getblockstats(node.clone()));
    table.register(verifychain(node.clone()));
    table.register(submitheader(node.clone()));
}

fn block_not_found() -> RpcError {
    RpcError::new(RpcErrorCode::INVALID_ADDRESS_OR_KEY, "Block not found")
}

/// Core's `GetBlockChecked`: the block's data, or why it cannot be read.
fn block_checked(cm: &ChainstateManager, entry: &BlockIndexEntry) -> Result<Block, RpcError> {
    if cm.is_block_pruned(entry) {
        return Err(RpcError::misc("Block not available (pruned data)"));
    }
    match cm.get_block(&entry.hash) {
        Ok(Some(b)) => Ok(b),
        _ => Err(RpcError::misc("Block not found on disk")),
    }
}

/// Core's `GetUndoChecked` (genesis has no undo data).
fn undo_checked(
    cm: &ChainstateManager,
    entry: &BlockIndexEntry,
) -> Result<widecoin_chainstate::undo::BlockUndo, RpcError> {
    if entry.height == 0 {
        return Ok(widecoin_chainstate::undo::BlockUndo::default());
    }
    if cm.is_block_pruned(entry) {
        return Err(RpcError::misc("Undo data not available (pruned data)"));
    }
    match cm.get_block_undo(&entry.hash) {
        Ok(Some(u)) => Ok(u),
        _ => Err(RpcError::misc("Can't read undo data from disk")),
    }
}

/// `blockheaderToJSON`.
fn header_json(cm: &ChainstateManager, entry: &BlockIndexEntry) -> Value {
    let tip_height = cm.height();
    let on_chain = cm.is_active(&entry.hash);
    let confirmations = if on_chain {
        tip_height - i64::from(entry.height) + 1
    } else {
        -1
    };
    let mut obj = json!({
        "hash": entry.hash.to_string(),
        "confirmations": confirmations,
        "height": entry.height,
        "version": entry.header.version.to_consensus(),
        "versionHex": format!("{:08x}", entry.header.version.to_consensus()),
        "merkleroot": entry.header.merkle_root.to_string(),
        "time": entry.header.time,
        "mediantime": cm.median_time_past(&entry.hash).unwrap_or(0),
        "nonce": entry.header.nonce,
        "bits": format!("{:08x}", entry.header.bits.to_consensus()),
        "difficulty": float(difficulty_from_bits(entry.header.bits.to_consensus())),
        "chainwork": hex::encode(entry.chain_work.to_be_bytes()),
        "nTx": entry.n_tx,
    });
    if entry.height > 0 {
        obj["previousblockhash"] = json!(entry.header.prev_blockhash.to_string());
    }
    if on_chain {
        if let Some(next) = cm.block_hash_at(entry.height + 1) {
            obj["nextblockhash"] = json!(next.to_string());
        }
    }
    obj
}

fn header_fields() -> Vec<RpcResult> {
    let r = RpcResult::new;
    vec![
        r(
            ResultType::StrHex,
            "hash",
            "the block hash (same as provided)",
        ),
        r(
            ResultType::Num,
            "confirmations",
            "The number of confirmations, or -1 if the block is not on the main chain",
        ),
        r(ResultType::Num, "height", "The block height or index"),
        r(ResultType::Num, "version", "The block version"),
        r(
            ResultType::StrHex,
            "versionHex",
            "The block version formatted in hexadecimal",
        ),
        r(ResultType::StrHex, "merkleroot", "The merkle root"),
        r(
            ResultType::NumTime,
            "time",
            "The block time expressed in UNIX epoch time",
        ),
        r(
            ResultType::NumTime,
            "mediantime",
            "The median block time expressed in UNIX epoch time",
        ),
        r(ResultType::Num, "nonce", "The nonce"),
        r(ResultType::StrHex, "bits", "The bits"),
        r(ResultType::Num, "difficulty", "The difficulty"),
        r(
            ResultType::StrHex,
            "chainwork",
            "Expected number of hashes required to produce the current chain",
        ),
        r(
            ResultType::Num,
            "nTx",
            "The number of transactions in the block",
        ),
        r(
            ResultType::StrHex,
            "previousblockhash",
            "The hash of the previous block (if available)",
        )
        .optional(),
        r(
            ResultType::StrHex,
            "nextblockhash",
            "The hash of the next block (if available)",
        )
        .optional(),
    ]
}

fn getblockheader(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "getblockheader",
        "\nIf verbose is false, returns a string that is serialized, hex-encoded data for blockheader 'hash'.\nIf verbose is true, returns an Object with information about blockheader <hash>.\n",
        vec![
            RpcArg::required("blockhash", ArgType::StrHex, "The block hash"),
            RpcArg::with_default("verbose", ArgType::Bool, json!(true), "true for a json object, false for the hex-encoded data"),
        ],
        vec![
            RpcResult::new(ResultType::Obj, "", "").cond("for verbose = true").inner(header_fields()),
            RpcResult::new(ResultType::StrHex, "", "A string that is serialized, hex-encoded data for block 'hash'").cond("for verbose=false"),
        ],
        help_example_cli("getblockheader", EXAMPLE_HASH) + &help_example_rpc("getblockheader", EXAMPLE_HASH),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        let hash = parse_hash_v(&req.arg::<String>(0)?, "hash")?;
        let verbose: bool = req.arg(1)?;
        let cm = node.chain.lock();
        let entry = cm.lookup(&hash).ok_or_else(block_not_found)?;
        if !verbose {
            return Ok(json!(hex::encode(serialize(&entry.header))));
        }
        Ok(header_json(&cm, entry))
    })
}

fn getblock(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let mut fields = vec![
        r(
            ResultType::StrHex,
            "hash",
            "the block hash (same as provided)",
        ),
        r(
            ResultType::Num,
            "confirmations",
            "The number of confirmations, or -1 if the block is not on the main chain",
        ),
        r(ResultType::Num, "size", "The block size"),
        r(
            ResultType::Num,
            "strippedsize",
            "The block size excluding witness data",
        ),
        r(
            ResultType::Num,
            "weight",
            "The block weight as defined in BIP 141",
        ),
    ];
    fields.extend(header_fields().into_iter().skip(2));
    fields.push(
        r(ResultType::Arr, "tx", "The transaction ids").inner(vec![r(
            ResultType::StrHex,
            "",
            "The transaction id",
        )]),
    );
    let spec = RpcMethod::new(
        "getblock",
        "\nIf verbosity is 0, returns a string that is serialized, hex-encoded data for block 'hash'.\nIf verbosity is 1, returns an Object with information about block <hash>.\nIf verbosity is 2, returns an Object with information about block <hash> and information about each transaction.\nIf verbosity is 3, returns an Object with information about block <hash> and information about each transaction, including prevout information for inputs (only for unpruned blocks in the current best chain).\n",
        vec![
            RpcArg::required("blockhash", ArgType::StrHex, "The block hash"),
            RpcArg::with_default("verbosity|verbose", ArgType::Num, json!(1), "0 for hex-encoded data, 1 for a JSON object, 2 for JSON object with transaction data, and 3 for JSON object with transaction data including prevout information for inputs")
                .type_str("", "numeric or boolean")
                .skip_type_check(),
        ],
        vec![
            r(ResultType::StrHex, "", "A string that is serialized, hex-encoded data for block 'hash'").cond("for verbosity = 0"),
            r(ResultType::Obj, "", "").cond("for verbosity = 1").inner(fields),
            r(ResultType::Obj, "", "").cond("for verbosity = 2").inner(vec![
                r(ResultType::Elision, "", "Same output as verbosity = 1"),
                r(ResultType::Arr, "tx", "").inner(vec![r(ResultType::Obj, "", "").inner(vec![
                    r(ResultType::Elision, "", "The transactions in the format of the getrawtransaction RPC. Different from verbosity = 1 \"tx\" result"),
                    r(ResultType::Num, "fee", "The transaction fee in WCN, omitted if block undo data is not available"),
                ])]),
            ]),
            r(ResultType::Obj, "", "").cond("for verbosity = 3").inner(vec![
                r(ResultType::Elision, "", "Same output as verbosity = 2"),
                r(ResultType::Arr, "tx", "").inner(vec![r(ResultType::Obj, "", "").inner(vec![
                    r(ResultType::Arr, "vin", "").inner(vec![r(ResultType::Obj, "", "").inner(vec![
                        r(ResultType::Elision, "", "The same output as verbosity = 2"),
                        r(ResultType::Obj, "prevout", "(Only if undo information is available)").inner(vec![
                            r(ResultType::Bool, "generated", "Coinbase or not"),
                            r(ResultType::Num, "height", "The height of the prevout"),
                            r(ResultType::StrAmount, "value", "The value in WCN"),
                            r(ResultType::Obj, "scriptPubKey", "").inner(vec![
                                r(ResultType::Str, "asm", "Disassembly of the public key script"),
                                r(ResultType::Str, "desc", "Inferred descriptor for the output"),
                                r(ResultType::StrHex, "hex", "The raw public key script bytes, hex-encoded"),
                                r(ResultType::Str, "address", "The Widecoin address (only if a well-defined address exists)").optional(),
                                r(ResultType::Str, "type", "The type (one of: nonstandard, pubkey, pubkeyhash, scripthash, multisig, nulldata, witness_v0_scripthash, witness_v0_keyhash, witness_v1_taproot, witness_unknown)"),
                            ]),
                        ]),
                    ])]),
                ])]),
            ]),
        ],
        help_example_cli("getblock", EXAMPLE_HASH) + &help_example_rpc("getblock", EXAMPLE_HASH),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        let hash = parse_hash_v(&req.arg::<String>(0)?, "blockhash")?;
        let verbosity = match req.param(1) {
            Value::Null => 1,
            Value::Bool(b) => i64::from(*b),
            v => v.as_i64().ok_or_else(|| {
                RpcError::type_error(widecoin_rpc::type_error_message(v, "number"))
            })?,
        };
        let cm = node.chain.lock();
        let entry = cm.lookup(&hash).ok_or_else(block_not_found)?;
        let block = block_checked(&cm, entry)?;
        if verbosity <= 0 {
            return Ok(json!(hex::encode(serialize(&block))));
        }
        // Verbosity 2 and 3 describe each transaction; the undo data (absent
        // for genesis) adds fees and, at 3, the spent coins.
        let undo = if verbosity >= 2 {
            cm.get_block_undo(&hash).ok().flatten()
        } else {
            None
        };
        let tx_verbosity = if verbosity >= 3 {
            TxVerbosity::DetailsAndPrevout
        } else {
            TxVerbosity::Details
        };
        // Core's blockToJSON: the header fields, then sizes and transactions.
        let mut obj = header_json(&cm, entry);
        let map = obj.as_object_mut().expect("an object");
        let stripped = block.txdata.iter().map(|t| t.base_size()).sum::<usize>()
            + serialize(&block.header).len()
            + bitcoin::VarInt(block.txdata.len() as u64).size();
        map.insert("strippedsize".into(), json!(stripped));
        map.insert("size".into(), json!(serialize(&block).len()));
        map.insert("weight".into(), json!(block.weight().to_wu()));
        let txs: Vec<Value> = block
            .txdata
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if verbosity < 2 {
                    return json!(t.compute_txid().to_string());
                }
                let tx_undo = i.checked_sub(1).and_then(|j| undo.as_ref()?.txs.get(j));
                tx_to_univ(t, None, true, tx_undo, tx_verbosity, &node.chain_params)
            })
            .collect();
        map.insert("tx".into(), Value::Array(txs));
        Ok(obj)
    })
}

fn getchaintips(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "getchaintips",
        "Return information about all known tips in the block tree, including the main chain as well as orphaned branches.\n",
        vec![],
        vec![r(ResultType::Arr, "", "").inner(vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::Num, "height", "height of the chain tip"),
            r(ResultType::StrHex, "hash", "block hash of the tip"),
            r(ResultType::Num, "branchlen", "zero for main chain, otherwise length of branch connecting the tip to the main chain"),
            r(ResultType::Str, "status", "status of the chain, \"active\" for the main chain\nPossible values for status:\n1.  \"invalid\"               This branch contains at least one invalid block\n2.  \"headers-only\"          Not all blocks for this branch are available, but the headers are valid\n3.  \"valid-headers\"         All blocks are available for this branch, but they were never fully validated\n4.  \"valid-fork\"            This branch is not part of the active chain, but is fully validated\n5.  \"active\"                This is the tip of the active main chain, which is certainly valid"),
        ])])],
        help_example_cli("getchaintips", "") + &help_example_rpc("getchaintips", ""),
    );
    RpcCommand::new("blockchain", spec, move |_req: &RpcRequest| {
        let tips = node.chain.lock().chain_tips();
        Ok(Value::Array(
            tips.into_iter()
                .map(|t| json!({"height": t.height, "hash": t.hash.to_string(), "branchlen": t.branch_len, "status": t.status}))
                .collect(),
        ))
    })
}

fn submitblock(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "submitblock",
        "\nAttempts to submit new block to network.\nSee https://en.widecoin.it/wiki/BIP_0022 for full specification.\n",
        vec![
            RpcArg::required("hexdata", ArgType::StrHex, "the hex-encoded block data to submit"),
            RpcArg::with_hint("dummy", ArgType::Str, "ignored", "dummy value, for compatibility with BIP22. This value is ignored."),
        ],
        vec![
            RpcResult::new(ResultType::None, "", "").cond("If the block was accepted"),
            RpcResult::new(ResultType::Str, "", "According to BIP22").cond("Otherwise"),
        ],
        help_example_cli("submitblock", "\"mydata\"") + &help_example_rpc("submitblock", "\"mydata\""),
    );
    RpcCommand::new("mining", spec, move |req: &RpcRequest| {
        let raw = hex::decode(req.arg::<String>(0)?).ok();
        // Core's `DecodeHexBlk` reads the block from a stream and ignores what follows.
        let block: Block = raw
            .and_then(|b| decode_block_partial(&b).ok().map(|(block, _)| block))
            .ok_or_else(|| {
                RpcError::new(RpcErrorCode::DESERIALIZATION_ERROR, "Block decode failed")
            })?;
        if block.txdata.first().is_none_or(|tx| !tx.is_coinbase()) {
            return Err(RpcError::new(
                RpcErrorCode::DESERIALIZATION_ERROR,
                "Block does not start with a coinbase",
            ));
        }
        let hash = block.block_hash();
        {
            let cm = node.chain.lock();
            if let Some(entry) = cm.lookup(&hash) {
                if entry.is_valid(block_status::VALID_SCRIPTS) {
                    return Ok(json!("duplicate"));
                }
                if entry.failed() {
                    return Ok(json!("duplicate-invalid"));
                }
            }
        }
        match node.chain.process_new_block(&block) {
            Ok(false) => Ok(json!("duplicate")),
            result => super::mining::bip22_result(result.map(|_| ())),
        }
    })
}

/// The three test helpers share their shape: one block hash, no result.
fn block_action(
    name: &str,
    description: &str,
    arg_description: &str,
    node: Arc<NodeContext>,
    category: &str,
    action: fn(&mut ChainstateManager, &BlockHash) -> Result<(), ChainstateError>,
) -> RpcCommand {
    let spec = RpcMethod::new(
        name,
        description,
        vec![RpcArg::required(
            "blockhash",
            ArgType::StrHex,
            arg_description,
        )],
        vec![RpcResult::new(ResultType::None, "", "")],
        help_example_cli(name, "\"blockhash\"") + &help_example_rpc(name, "\"blockhash\""),
    );
    RpcCommand::new(category, spec, move |req: &RpcRequest| {
        let hash = parse_hash_v(&req.arg::<String>(0)?, "blockhash")?;
        let mut cm = node.chain.lock();
        if cm.lookup(&hash).is_none() {
            return Err(block_not_found());
        }
        action(&mut cm, &hash)
            .map_err(|e| RpcError::new(RpcErrorCode::DATABASE_ERROR, e.to_string()))?;
        Ok(Value::Null)
    })
}

fn preciousblock(node: Arc<NodeContext>) -> RpcCommand {
    block_action(
        "preciousblock",
        "\nTreats a block as if it were received before others with the same work.\n\nA later preciousblock call can override the effect of an earlier one.\n\nThe effects of preciousblock are not retained across restarts.\n",
        "the hash of the block to mark as precious",
        node,
        "blockchain",
        |cm, h| cm.precious_block(h),
    )
}

fn invalidateblock(node: Arc<NodeContext>) -> RpcCommand {
    block_action(
        "invalidateblock",
        "\nPermanently marks a block as invalid, as if it violated a consensus rule.\n",
        "the hash of the block to mark as invalid",
        node,
        "hidden",
        |cm, h| cm.invalidate_block(h),
    )
}

fn reconsiderblock(node: Arc<NodeContext>) -> RpcCommand {
    block_action(
        "reconsiderblock",
        "\nRemoves invalidity status of a block, its ancestors and its descendants, reconsider them for activation.\nThis can be used to undo the effects of invalidateblock.\n",
        "the hash of the block to reconsider",
        node,
        "hidden",
        |cm, h| cm.reconsider_block(h),
    )
}

/// Core's `ParseHashOrHeight`: a height on the active chain, or any known hash.
fn parse_hash_or_height(cm: &ChainstateManager, param: &Value) -> Result<EntryId, RpcError> {
    if param.is_number() {
        let height: i32 = <i32 as widecoin_rpc::FromRpcArg>::from_rpc_arg(param)?;
        if height < 0 {
            return Err(RpcError::invalid_parameter(format!(
                "Target block height {height} is negative"
            )));
        }
        let tip = cm.height();
        if i64::from(height) > tip {
            return Err(RpcError::invalid_parameter(format!(
                "Target block height {height} after current tip {tip}"
            )));
        }
        return Ok(cm
            .active_chain()
            .at(height as u32)
            .expect("height at most the tip's"));
    }
    let text: String = <String as widecoin_rpc::FromRpcArg>::from_rpc_arg(param)?;
    let hash = parse_hash_v(&text, "hash_or_height")?;
    cm.lookup_id(&hash).ok_or_else(block_not_found)
}

/// Core's `CalculateTruncatedMedian`.
fn truncated_median(mut v: Vec<i64>) -> i64 {
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    let n = v.len();
    if n.is_multiple_of(2) {
        (v[n / 2 - 1] + v[n / 2]) / 2
    } else {
        v[n / 2]
    }
}

/// Core's `CalculatePercentilesByWeight`: the feerates at the 10th, 25th,
/// 50th, 75th and 90th percentile weight unit.
fn percentiles_by_weight(mut scores: Vec<(i64, i64)>, total_weight: i64) -> [i64; 5] {
    let mut result = [0i64; 5];
    if scores.is_empty() {
        return result;
    }
    scores.sort_unstable();
    let tw = total_weight as f64;
    let marks = [
        tw / 10.0,
        tw / 4.0,
        tw / 2.0,
        (tw * 3.0) / 4.0,
        (tw * 9.0) / 10.0,
    ];
    let mut next = 0;
    let mut cumulative: i64 = 0;
    for (feerate, weight) in &scores {
        cumulative += weight;
        while next < 5 && cumulative as f64 >= marks[next] {
            result[next] = *feerate;
            next += 1;
        }
    }
    let last = scores.last().expect("not empty").0;
    for r in result.iter_mut().skip(next) {
        *r = last;
    }
    result
}

/// Outpoint, height and coinbase flag: what a UTXO costs beyond its output
/// (Core's `PER_UTXO_OVERHEAD`).
const PER_UTXO_OVERHEAD: i64 = 36 + 4 + 1;
/// Core's `MAX_SCRIPT_SIZE`: longer output scripts are unspendable.
const MAX_SCRIPT_SIZE: usize = 10_000;

fn getblockstats(node: Arc<NodeContext>) -> RpcCommand {
    let r = |t, k, d: &str| RpcResult::new(t, k, d).optional();
    let n = ResultType::Num;
    let spec = RpcMethod::new(
        "getblockstats",
        "\nCompute per block statistics for a given window. All amounts are in satoshis.\nIt won't work for some heights with pruning.\n",
        vec![
            RpcArg::required("hash_or_height", ArgType::Num, "The block hash or height of the target block")
                .skip_type_check()
                .type_str("", "string or numeric"),
            RpcArg::with_hint("stats", ArgType::Arr, "all values", "Values to plot (see result below)")
                .inner(vec![
                    RpcArg::omitted("height", ArgType::Str, "Selected statistic"),
                    RpcArg::omitted("time", ArgType::Str, "Selected statistic"),
                ])
                .oneline("stats"),
        ],
        vec![RpcResult::new(ResultType::Obj, "", "").inner(vec![
            r(n, "avgfee", "Average fee in the block"),
            r(n, "avgfeerate", "Average feerate (in satoshis per virtual byte)"),
            r(n, "avgtxsize", "Average transaction size"),
            r(ResultType::StrHex, "blockhash", "The block hash (to check for potential reorgs)"),
            r(ResultType::ArrFixed, "feerate_percentiles", "Feerates at the 10th, 25th, 50th, 75th, and 90th percentile weight unit (in satoshis per virtual byte)").inner(vec![
                RpcResult::new(n, "10th_percentile_feerate", "The 10th percentile feerate"),
                RpcResult::new(n, "25th_percentile_feerate", "The 25th percentile feerate"),
                RpcResult::new(n, "50th_percentile_feerate", "The 50th percentile feerate"),
                RpcResult::new(n, "75th_percentile_feerate", "The 75th percentile feerate"),
                RpcResult::new(n, "90th_percentile_feerate", "The 90th percentile feerate"),
            ]),
            r(n, "height", "The height of the block"),
            r(n, "ins", "The number of inputs (excluding coinbase)"),
            r(n, "maxfee", "Maximum fee in the block"),
            r(n, "maxfeerate", "Maximum feerate (in satoshis per virtual byte)"),
            r(n, "maxtxsize", "Maximum transaction size"),
            r(n, "medianfee", "Truncated median fee in the block"),
            r(n, "mediantime", "The block median time past"),
            r(n, "mediantxsize", "Truncated median transaction size"),
            r(n, "minfee", "Minimum fee in the block"),
            r(n, "minfeerate", "Minimum feerate (in satoshis per virtual byte)"),
            r(n, "mintxsize", "Minimum transaction size"),
            r(n, "outs", "The number of outputs"),
            r(n, "subsidy", "The block subsidy"),
            r(n, "swtotal_size", "Total size of all segwit transactions"),
            r(n, "swtotal_weight", "Total weight of all segwit transactions"),
            r(n, "swtxs", "The number of segwit transactions"),
            r(n, "time", "The block time"),
            r(n, "total_out", "Total amount in all outputs (excluding coinbase and thus reward [ie subsidy + totalfee])"),
            r(n, "total_size", "Total size of all non-coinbase transactions"),
            r(n, "total_weight", "Total weight of all non-coinbase transactions"),
            r(n, "totalfee", "The fee total"),
            r(n, "txs", "The number of transactions (including coinbase)"),
            r(n, "utxo_increase", "The increase/decrease in the number of unspent outputs (not discounting op_return and similar)"),
            r(n, "utxo_size_inc", "The increase/decrease in size for the utxo index (not discounting op_return and similar)"),
            r(n, "utxo_increase_actual", "The increase/decrease in the number of unspent outputs, not counting unspendables"),
            r(n, "utxo_size_inc_actual", "The increase/decrease in size for the utxo index, not counting unspendables"),
        ])],
        help_example_cli("getblockstats", r#"'"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09"' '["minfeerate","avgfeerate"]'"#)
            + &help_example_cli("getblockstats", r#"1000 '["minfeerate","avgfeerate"]'"#)
            + &help_example_rpc("getblockstats", r#""00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09", ["minfeerate","avgfeerate"]"#)
            + &help_example_rpc("getblockstats", r#"1000, ["minfeerate","avgfeerate"]"#),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        let cm = node.chain.lock();
        let id = parse_hash_or_height(&cm, req.param(0))?;
        let mut selected = std::collections::BTreeSet::new();
        if !req.param(1).is_null() {
            let list: Vec<Value> = req.arg(1)?;
            for v in &list {
                selected.insert(<String as widecoin_rpc::FromRpcArg>::from_rpc_arg(v)?);
            }
        }
        let entry = cm.block_index().entry(id).clone();
        let block = block_checked(&cm, &entry)?;
        let undo = undo_checked(&cm, &entry)?;
        let subsidy = widecoin_chainparams::get_block_subsidy(entry.height, &cm.params().consensus);
        let mediantime = cm.median_time_past(&entry.hash).unwrap_or(0);
        drop(cm);
        let stats = block_stats(&block, &undo, entry.height, subsidy).map_err(RpcError::misc)?;
        let mut all = serde_json::Map::new();
        let txs = block.txdata.len() as i64;
        all.insert(
            "avgfee".into(),
            json!(if txs > 1 {
                stats.totalfee / (txs - 1)
            } else {
                0
            }),
        );
        all.insert(
            "avgfeerate".into(),
            json!(if stats.total_weight > 0 {
                stats.totalfee * 4 / stats.total_weight
            } else {
                0
            }),
        );
        all.insert(
            "avgtxsize".into(),
            json!(if txs > 1 {
                stats.total_size / (txs - 1)
            } else {
                0
            }),
        );
        all.insert("blockhash".into(), json!(entry.hash.to_string()));
        all.insert(
            "feerate_percentiles".into(),
            json!(percentiles_by_weight(stats.feerates, stats.total_weight)),
        );
        all.insert("height".into(), json!(entry.height));
        all.insert("ins".into(), json!(stats.inputs));
        all.insert("maxfee".into(), json!(stats.maxfee));
        all.insert("maxfeerate".into(), json!(stats.maxfeerate));
        all.insert("maxtxsize".into(), json!(stats.maxtxsize));
        all.insert("medianfee".into(), json!(truncated_median(stats.fees)));
        all.insert("mediantime".into(), json!(mediantime));
        all.insert(
            "mediantxsize".into(),
            json!(truncated_median(stats.txsizes)),
        );
        all.insert("minfee".into(), json!(stats.minfee.unwrap_or(0)));
        all.insert("minfeerate".into(), json!(stats.minfeerate.unwrap_or(0)));
        all.insert("mintxsize".into(), json!(stats.mintxsize.unwrap_or(0)));
        all.insert("outs".into(), json!(stats.outputs));
        all.insert("subsidy".into(), json!(subsidy));
        all.insert("swtotal_size".into(), json!(stats.swtotal_size));
        all.insert("swtotal_weight".into(), json!(stats.swtotal_weight));
        all.insert("swtxs".into(), json!(stats.swtxs));
        all.insert("time".into(), json!(entry.header.time));
        all.insert("total_out".into(), json!(stats.total_out));
        all.insert("total_size".into(), json!(stats.total_size));
        all.insert("total_weight".into(), json!(stats.total_weight));
        all.insert("totalfee".into(), json!(stats.totalfee));
        all.insert("txs".into(), json!(txs));
        all.insert("utxo_increase".into(), json!(stats.outputs - stats.inputs));
        all.insert("utxo_size_inc".into(), json!(stats.utxo_size_inc));
        all.insert(
            "utxo_increase_actual".into(),
            json!(stats.utxos - stats.inputs),
        );
        all.insert(
            "utxo_size_inc_actual".into(),
            json!(stats.utxo_size_inc_actual),
        );
        if selected.is_empty() {
            return Ok(Value::Object(all));
        }
        let mut out = serde_json::Map::new();
        for stat in selected {
            match all.get(&stat) {
                Some(v) => {
                    out.insert(stat, v.clone());
                }
                None => {
                    return Err(RpcError::invalid_parameter(format!(
                        "Invalid selected statistic '{stat}'"
                    )))
                }
            }
        }
        Ok(Value::Object(out))
    })
}

/// The sums `getblockstats` reports, over the block and its undo data.
#[derive(Default)]
struct BlockStats {
    inputs: i64,
    outputs: i64,
    utxos: i64,
    utxo_size_inc: i64,
    utxo_size_inc_actual: i64,
    total_out: i64,
    totalfee: i64,
    maxfee: i64,
    minfee: Option<i64>,
    maxfeerate: i64,
    minfeerate: Option<i64>,
    maxtxsize: i64,
    mintxsize: Option<i64>,
    total_size: i64,
    total_weight: i64,
    swtxs: i64,
    swtotal_size: i64,
    swtotal_weight: i64,
    fees: Vec<i64>,
    txsizes: Vec<i64>,
    /// (feerate, weight) per non-coinbase transaction.
    feerates: Vec<(i64, i64)>,
}

fn output_size(out: &bitcoin::TxOut) -> i64 {
    serialize(out).len() as i64 + PER_UTXO_OVERHEAD
}

fn block_stats(
    block: &Block,
    undo: &widecoin_chainstate::undo::BlockUndo,
    height: u32,
    _subsidy: u64,
) -> Result<BlockStats, String> {
    let mut s = BlockStats::default();
    for (i, tx) in block.txdata.iter().enumerate() {
        s.outputs += tx.output.len() as i64;
        let mut tx_out: i64 = 0;
        for out in &tx.output {
            tx_out += out.value.to_sat() as i64;
            let size = output_size(out);
            s.utxo_size_inc += size;
            if height == 0 {
                continue;
            }
            let spk = &out.script_pubkey;
            if spk.is_op_return() || spk.len() > MAX_SCRIPT_SIZE {
                continue;
            }
            s.utxos += 1;
            s.utxo_size_inc_actual += size;
        }
        if tx.is_coinbase() {
            continue;
        }
        s.inputs += tx.input.len() as i64;
        s.total_out += tx_out;
        let size = tx.total_size() as i64;
        s.txsizes.push(size);
        s.maxtxsize = s.maxtxsize.max(size);
        s.mintxsize = Some(s.mintxsize.map_or(size, |m| m.min(size)));
        s.total_size += size;
        let weight = tx.weight().to_wu() as i64;
        s.total_weight += weight;
        if tx.input.iter().any(|inp| !inp.witness.is_empty()) {
            s.swtxs += 1;
            s.swtotal_size += size;
            s.swtotal_weight += weight;
        }
        let txundo = undo
            .txs
            .get(i - 1)
            .ok_or_else(|| "Can't read undo data from disk".to_string())?;
        let mut tx_in: i64 = 0;
        for coin in &txundo.prevouts {
            tx_in += coin.output.value.to_sat() as i64;
            let size = output_size(&coin.output);
            s.utxo_size_inc -= size;
            s.utxo_size_inc_actual -= size;
        }
        let fee = tx_in - tx_out;
        s.fees.push(fee);
        s.maxfee = s.maxfee.max(fee);
        s.minfee = Some(s.minfee.map_or(fee, |m| m.min(fee)));
        s.totalfee += fee;
        let feerate = if weight > 0 { fee * 4 / weight } else { 0 };
        s.feerates.push((feerate, weight));
        s.maxfeerate = s.maxfeerate.max(feerate);
        s.minfeerate = Some(s.minfeerate.map_or(feerate, |m| m.min(feerate)));
    }
    Ok(s)
}

fn verifychain(node: Arc<NodeContext>) -> RpcCommand {
    use widecoin_chainstate::verify::CHECKLEVEL_DOC;
    let doc: Vec<String> = CHECKLEVEL_DOC.iter().map(|l| format!("- {l}")).collect();
    let spec = RpcMethod::new(
        "verifychain",
        "\nVerifies blockchain database.\n",
        vec![
            RpcArg::with_hint(
                "checklevel",
                ArgType::Num,
                &format!("{}, range=0-4", widecoin_chainstate::DEFAULT_CHECKLEVEL),
                &format!(
                    "How thorough the block verification is:\n{}",
                    doc.join("\n")
                ),
            ),
            RpcArg::with_hint(
                "nblocks",
                ArgType::Num,
                &format!("{}, 0=all", widecoin_chainstate::DEFAULT_CHECKBLOCKS),
                "The number of blocks to check.",
            ),
        ],
        vec![RpcResult::new(
            ResultType::Bool,
            "",
            "Verification finished successfully. If false, check debug.log for reason.",
        )],
        help_example_cli("verifychain", "") + &help_example_rpc("verifychain", ""),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        let level = match req.param(0) {
            Value::Null => widecoin_chainstate::DEFAULT_CHECKLEVEL,
            _ => i64::from(req.arg::<i32>(0)?),
        };
        let depth = match req.param(1) {
            Value::Null => widecoin_chainstate::DEFAULT_CHECKBLOCKS,
            _ => i64::from(req.arg::<i32>(1)?),
        };
        let shutdown = node.shutdown.clone();
        let mut cm = node.chain.lock();
        let result = cm
            .verify_db(level, depth, &|| shutdown.is_requested())
            .map_err(|e| RpcError::new(RpcErrorCode::DATABASE_ERROR, e.to_string()))?;
        Ok(json!(
            result == widecoin_chainstate::VerifyDbResult::Success
        ))
    })
}

fn submitheader(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "submitheader",
        "\nDecode the given hexdata as a header and submit it as a candidate chain tip if valid.\nThrows when the header is invalid.\n",
        vec![RpcArg::required("hexdata", ArgType::StrHex, "the hex-encoded block header data")],
        vec![RpcResult::new(ResultType::None, "", "None")],
        help_example_cli("submitheader", "\"aabbcc\"") + &help_example_rpc("submitheader", "\"aabbcc\""),
    );
    RpcCommand::new("mining", spec, move |req: &RpcRequest| {
        let text: String = req.arg(0)?;
        let header: Option<bitcoin::block::Header> = hex::decode(&text)
            .ok()
            .filter(|b| b.len() >= 80)
            .and_then(|b| deserialize(&b[..80]).ok());
        let header = header.ok_or_else(|| {
            RpcError::new(
                RpcErrorCode::DESERIALIZATION_ERROR,
                "Block header decode failed",
            )
        })?;
        let mut cm = node.chain.lock();
        if cm.lookup(&header.prev_blockhash).is_none() {
            return Err(RpcError::new(
                RpcErrorCode::VERIFY_ERROR,
                format!(
                    "Must submit previous header ({}) first",
                    header.prev_blockhash
                ),
            ));
        }
        match cm.process_new_block_headers(&[header]) {
            Ok(()) => Ok(Value::Null),
            Err(ChainstateError::Invalid(e)) => {
                Err(RpcError::new(RpcErrorCode::VERIFY_ERROR, e.reject_reason()))
            }
            Err(e) => Err(RpcError::new(RpcErrorCode::VERIFY_ERROR, e.to_string())),
        }
    })
}
