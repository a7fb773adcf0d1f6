//! Block-level RPCs over the chainstate (Core's `rpc/blockchain.cpp` and
//! `submitblock` of `rpc/mining.cpp`): headers, blocks, chain tips, and the
//! test helpers that invalidate, reconsider or prefer a block.

use std::sync::Arc;

use bitcoin::consensus::{deserialize, serialize};
use bitcoin::{Block, BlockHash};
use serde_json::{json, Value};
use widecoin_chainstate::{block_status, BlockIndexEntry, ChainstateError, ChainstateManager};
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcErrorCode, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

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
}

fn block_not_found() -> RpcError {
    RpcError::new(RpcErrorCode::INVALID_ADDRESS_OR_KEY, "Block not found")
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
        let block = match cm.get_block(&hash) {
            Ok(Some(b)) => b,
            _ if entry.status & block_status::HAVE_DATA == 0 => {
                return Err(RpcError::misc("Block not available (not fully downloaded)"))
            }
            _ => return Err(RpcError::misc("Block not found on disk")),
        };
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
        let block: Block = raw.and_then(|b| deserialize(&b).ok()).ok_or_else(|| {
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
            Ok(true) => Ok(Value::Null),
            Err(ChainstateError::Invalid(e)) => {
                let reason = e.reject_reason();
                Ok(json!(if reason.is_empty() {
                    "rejected".to_string()
                } else {
                    reason.to_string()
                }))
            }
            Err(e) => Err(RpcError::new(RpcErrorCode::VERIFY_ERROR, e.to_string())),
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
