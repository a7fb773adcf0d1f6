//! Mining RPCs (Core's `rpc/mining.cpp`): `generatetoaddress`,
//! `generatetodescriptor`, `generateblock`, `getmininginfo`,
//! `getnetworkhashps`, and the removed `generate`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bitcoin::consensus::serialize;
use bitcoin::hashes::Hash;
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
    let prioritised = Arc::new(AtomicU64::new(0));
    table.register(getblocktemplate(node.clone(), prioritised.clone()));
    table.register(prioritisetransaction(node.clone(), prioritised));
    table.register(getprioritisedtransactions(node.clone()));
}

/// The pool as the miner's source, with the `prioritisetransaction` deltas
/// the assembler counts when choosing (Core's modified fees).
struct ModifiedFees(crate::txpool::TxPool);

impl widecoin_mining::TxSource for ModifiedFees {
    fn block_txs(&mut self, height: u32, lock_time_cutoff: i64) -> Vec<widecoin_mining::BlockTx> {
        self.0.block_txs(height, lock_time_cutoff)
    }

    fn fee_delta(&self, txid: &bitcoin::Txid) -> i64 {
        self.0.lock().delta(txid)
    }
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
            &mut ModifiedFees(node.pool.clone()),
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
        obj.insert("warnings".into(), json!(crate::notify::misc_warning()));
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

/// The template `getblocktemplate` keeps between calls (Core's statics
/// `pindexPrev`, `time_start`, `pblocktemplate`, `nTransactionsUpdatedLast`).
#[derive(Default)]
struct GbtCache {
    /// The tip the template builds on; `None` forces a new template.
    prev: Option<bitcoin::BlockHash>,
    time_start: i64,
    /// The mempool's update counter when the template was made.
    updated_last: u64,
    template: Option<widecoin_mining::BlockTemplate>,
}

/// Core's `BIP22ValidationResult` (also `submitblock`'s answer).
pub(super) fn bip22_result(
    result: Result<(), widecoin_chainstate::ChainstateError>,
) -> Result<Value, RpcError> {
    match result {
        Ok(()) => Ok(Value::Null),
        Err(widecoin_chainstate::ChainstateError::Invalid(e)) => {
            let reason = e.reject_reason();
            Ok(json!(if reason.is_empty() {
                "rejected".to_string()
            } else {
                reason.to_string()
            }))
        }
        Err(e) => Err(RpcError::new(RpcErrorCode::VERIFY_ERROR, e.to_string())),
    }
}

/// `mode: "proposal"` (BIP23): checks a block as the next one on the tip.
fn gbt_proposal(
    node: &NodeContext,
    request: &serde_json::Map<String, Value>,
) -> Result<Value, RpcError> {
    let Some(data) = request.get("data").and_then(Value::as_str) else {
        return Err(RpcError::new(
            RpcErrorCode::TYPE_ERROR,
            "Missing data String key for proposal",
        ));
    };
    let block: bitcoin::Block = hex::decode(data)
        .ok()
        .and_then(|b| widecoin_consensus::decode::decode_block_partial(&b).ok())
        .map(|(block, _)| block)
        .ok_or_else(|| RpcError::new(RpcErrorCode::DESERIALIZATION_ERROR, "Block decode failed"))?;
    let hash = block.block_hash();
    let mut cm = node.chain.lock();
    if let Some(entry) = cm.lookup(&hash) {
        if entry.is_valid(widecoin_chainstate::block_status::VALID_SCRIPTS) {
            return Ok(json!("duplicate"));
        }
        if entry.failed() {
            return Ok(json!("duplicate-invalid"));
        }
        return Ok(json!("duplicate-inconclusive"));
    }
    let tip = cm.tip().map(|t| t.hash);
    if Some(block.header.prev_blockhash) != tip {
        return Ok(json!("inconclusive-not-best-prevblk"));
    }
    let now = node.miner.now();
    bip22_result(widecoin_mining::test_block_validity(
        &mut cm, &block, now, false,
    ))
}

/// Waits as a long poll asks (Core: until the tip changes, or after a minute
/// and then every ten seconds, until the mempool changed).
fn gbt_long_poll(
    node: &NodeContext,
    prioritised: &AtomicU64,
    lp: &Value,
    updated_last: u64,
) -> Result<(), RpcError> {
    let (watched, updated_lp) = match lp.as_str() {
        Some(s) => {
            let head: String = s.chars().take(64).collect();
            let hash = super::parse_hash_v(&head, "longpollid")?;
            let tail: String = s.chars().skip(64).collect();
            (hash, locale_independent_atoi(&tail))
        }
        None => (node.chain.tip_info().hash, updated_last),
    };
    let shutdown = node.shutdown.clone();
    let mut deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let timeout = deadline.saturating_duration_since(std::time::Instant::now());
        let tip = node
            .chain
            .wait_for(Some(timeout), &|| shutdown.is_requested(), &|t| {
                t.hash != watched
            });
        if tip.hash != watched || shutdown.is_requested() {
            break;
        }
        if std::time::Instant::now() >= deadline {
            if transactions_updated(node, prioritised) != updated_lp {
                break;
            }
            deadline += std::time::Duration::from_secs(10);
        }
    }
    if shutdown.is_requested() {
        return Err(RpcError::new(
            RpcErrorCode::CLIENT_NOT_CONNECTED,
            "Shutting down",
        ));
    }
    Ok(())
}

/// `LocaleIndependentAtoi<int64_t>`: leading digits (after an optional sign),
/// zero when none; a negative value wraps as Core's cast to unsigned does.
fn locale_independent_atoi(s: &str) -> u64 {
    let s = s.trim_start();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let n: String = digits.chars().take_while(|c| c.is_ascii_digit()).collect();
    let v: i64 = n.parse().unwrap_or(0);
    (if neg { -v } else { v }) as u64
}

/// Core's `GetTransactionsUpdated`: the pool's changes, and the
/// `prioritisetransaction` calls (which Core counts there too).
fn transactions_updated(node: &NodeContext, prioritised: &AtomicU64) -> u64 {
    node.pool.lock().sequence() + prioritised.load(Ordering::SeqCst)
}

fn getblocktemplate(node: Arc<NodeContext>, prioritised: Arc<AtomicU64>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "getblocktemplate",
        "\nIf the request parameters include a 'mode' key, that is used to explicitly select between the default 'template' request or a 'proposal'.\nIt returns data needed to construct a block to work on.\nFor full specification, see BIPs 22, 23, 9, and 145:\n    https://github.com/widecoin/bips/blob/master/bip-0022.mediawiki\n    https://github.com/widecoin/bips/blob/master/bip-0023.mediawiki\n    https://github.com/widecoin/bips/blob/master/bip-0009.mediawiki#getblocktemplate_changes\n    https://github.com/widecoin/bips/blob/master/bip-0145.mediawiki\n",
        vec![RpcArg::required("template_request", ArgType::Obj, "Format of the template").inner(vec![
            RpcArg::omitted("mode", ArgType::Str, "This must be set to \"template\", \"proposal\" (see BIP 23), or omitted"),
            RpcArg::omitted("capabilities", ArgType::Arr, "A list of strings").inner(vec![
                RpcArg::omitted("str", ArgType::Str, "client side supported feature, 'longpoll', 'coinbasevalue', 'proposal', 'serverlist', 'workid'"),
            ]),
            RpcArg::required("rules", ArgType::Arr, "A list of strings").inner(vec![
                RpcArg::required("segwit", ArgType::Str, "(literal) indicates client side segwit support"),
                RpcArg::omitted("str", ArgType::Str, "other client side supported softfork deployment"),
            ]),
            RpcArg::omitted("longpollid", ArgType::Str, "delay processing request until the result would vary significantly from the \"longpollid\" of a prior template"),
            RpcArg::omitted("data", ArgType::StrHex, "proposed block data to check, encoded in hexadecimal; valid only for mode=\"proposal\""),
        ])],
        vec![
            r(ResultType::None, "", "").cond("If the proposal was accepted with mode=='proposal'"),
            r(ResultType::Str, "", "According to BIP22").cond("If the proposal was not accepted with mode=='proposal'"),
            r(ResultType::Obj, "", "").cond("Otherwise").inner(vec![
                r(ResultType::Num, "version", "The preferred block version"),
                r(ResultType::Arr, "rules", "specific block rules that are to be enforced").inner(vec![
                    r(ResultType::Str, "", "name of a rule the client must understand to some extent; see BIP 9 for format"),
                ]),
                r(ResultType::ObjDyn, "vbavailable", "set of pending, supported versionbit (BIP 9) softfork deployments").inner(vec![
                    r(ResultType::Num, "rulename", "identifies the bit number as indicating acceptance and readiness for the named softfork rule"),
                ]),
                r(ResultType::Arr, "capabilities", "").inner(vec![
                    r(ResultType::Str, "value", "A supported feature, for example 'proposal'"),
                ]),
                r(ResultType::Num, "vbrequired", "bit mask of versionbits the server requires set in submissions"),
                r(ResultType::Str, "previousblockhash", "The hash of current highest block"),
                r(ResultType::Arr, "transactions", "contents of non-coinbase transactions that should be included in the next block").inner(vec![
                    r(ResultType::Obj, "", "").inner(vec![
                        r(ResultType::StrHex, "data", "transaction data encoded in hexadecimal (byte-for-byte)"),
                        r(ResultType::StrHex, "txid", "transaction id encoded in little-endian hexadecimal"),
                        r(ResultType::StrHex, "hash", "hash encoded in little-endian hexadecimal (including witness data)"),
                        r(ResultType::Arr, "depends", "array of numbers").inner(vec![
                            r(ResultType::Num, "", "transactions before this one (by 1-based index in 'transactions' list) that must be present in the final block if this one is"),
                        ]),
                        r(ResultType::Num, "fee", "difference in value between transaction inputs and outputs (in satoshis); for coinbase transactions, this is a negative Number of the total collected block fees (ie, not including the block subsidy); if key is not present, fee is unknown and clients MUST NOT assume there isn't one"),
                        r(ResultType::Num, "sigops", "total SigOps cost, as counted for purposes of block limits; if key is not present, sigop cost is unknown and clients MUST NOT assume it is zero"),
                        r(ResultType::Num, "weight", "total transaction weight, as counted for purposes of block limits"),
                    ]),
                ]),
                r(ResultType::ObjDyn, "coinbaseaux", "data that should be included in the coinbase's scriptSig content").inner(vec![
                    r(ResultType::StrHex, "key", "values must be in the coinbase (keys may be ignored)"),
                ]),
                r(ResultType::Num, "coinbasevalue", "maximum allowable input to coinbase transaction, including the generation award and transaction fees (in satoshis)"),
                r(ResultType::Str, "longpollid", "an id to include with a request to longpoll on an update to this template"),
                r(ResultType::Str, "target", "The hash target"),
                r(ResultType::NumTime, "mintime", "The minimum timestamp appropriate for the next block time, expressed in UNIX epoch time"),
                r(ResultType::Arr, "mutable", "list of ways the block template may be changed").inner(vec![
                    r(ResultType::Str, "value", "A way the block template may be changed, e.g. 'time', 'transactions', 'prevblock'"),
                ]),
                r(ResultType::StrHex, "noncerange", "A range of valid nonces"),
                r(ResultType::Num, "sigoplimit", "limit of sigops in blocks"),
                r(ResultType::Num, "sizelimit", "limit of block size"),
                r(ResultType::Num, "weightlimit", "limit of block weight").optional(),
                r(ResultType::NumTime, "curtime", "current timestamp in UNIX epoch time"),
                r(ResultType::Str, "bits", "compressed target of next block"),
                r(ResultType::Num, "height", "The height of the next block"),
                r(ResultType::StrHex, "signet_challenge", "Only on signet").optional(),
                r(ResultType::StrHex, "default_witness_commitment", "a valid witness commitment for the unmodified block template").optional(),
            ]),
        ],
        help_example_cli("getblocktemplate", "'{\"rules\": [\"segwit\"]}'")
            + &help_example_rpc("getblocktemplate", "{\"rules\": [\"segwit\"]}"),
    );
    let cache = std::sync::Mutex::new(GbtCache::default());
    RpcCommand::new("mining", spec, move |req: &RpcRequest| {
        let mut mode = "template".to_string();
        let mut lpval = Value::Null;
        let mut client_rules = std::collections::BTreeSet::new();
        if let Some(request) = req.param(0).as_object() {
            match request.get("mode") {
                Some(Value::String(m)) => mode = m.clone(),
                None | Some(Value::Null) => {}
                Some(_) => return Err(RpcError::invalid_parameter("Invalid mode")),
            }
            lpval = request.get("longpollid").cloned().unwrap_or(Value::Null);
            if mode == "proposal" {
                return gbt_proposal(&node, request);
            }
            if let Some(rules) = request.get("rules").and_then(Value::as_array) {
                for v in rules {
                    let s = v.as_str().ok_or_else(|| {
                        RpcError::type_error(widecoin_rpc::type_error_message(v, "string"))
                    })?;
                    client_rules.insert(s.to_string());
                }
            }
        }
        if mode != "template" {
            return Err(RpcError::invalid_parameter("Invalid mode"));
        }
        if !node.chain_params.is_test_chain() {
            let peers = node.connman.get().map_or(0, |c| {
                let n = c.connection_counts();
                n.inbound + n.outbound
            });
            if peers == 0 {
                return Err(RpcError::new(
                    RpcErrorCode::CLIENT_NOT_CONNECTED,
                    "Widecoin Core is not connected!",
                ));
            }
            if node.is_initial_block_download() {
                return Err(RpcError::new(
                    RpcErrorCode::CLIENT_IN_INITIAL_DOWNLOAD,
                    "Widecoin Core is in initial sync and waiting for blocks...",
                ));
            }
        }
        if !lpval.is_null() {
            let updated_last = cache.lock().unwrap_or_else(|e| e.into_inner()).updated_last;
            gbt_long_poll(&node, &prioritised, &lpval, updated_last)?;
        }
        let consensus = &node.chain_params.consensus;
        if consensus.signet_blocks && !client_rules.contains("signet") {
            return Err(RpcError::invalid_parameter(
                "getblocktemplate must be called with the signet rule set (call with {\"rules\": [\"segwit\", \"signet\"]})",
            ));
        }
        if !client_rules.contains("segwit") {
            return Err(RpcError::invalid_parameter(
                "getblocktemplate must be called with the segwit rule set (call with {\"rules\": [\"segwit\"]})",
            ));
        }

        let mut cm = node.chain.lock();
        let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
        let tip_hash = cm.tip().map(|t| t.hash);
        let updated = transactions_updated(&node, &prioritised);
        let now = widecoin_common::time::get_time();
        if cache.prev != tip_hash
            || cache.template.is_none()
            || (updated != cache.updated_last && now - cache.time_start > 5)
        {
            cache.prev = None;
            cache.updated_last = updated;
            cache.time_start = now;
            let dummy = ScriptBuf::from_bytes(vec![0x51]);
            let template = node
                .miner
                .create_new_block(&mut cm, &dummy, &mut ModifiedFees(node.pool.clone()))
                .map_err(mining_error)?;
            cache.template = Some(template);
            cache.prev = tip_hash;
        }
        let updated_last = cache.updated_last;
        let template = cache.template.as_mut().expect("made above");
        let index = cm.block_index();
        let prev = index
            .lookup(&template.block.header.prev_blockhash)
            .expect("the template builds on a known block");
        let block = &mut template.block;
        widecoin_mining::assembler::update_time(
            &mut block.header,
            index,
            prev,
            consensus,
            node.miner.now(),
        );
        block.header.nonce = 0;
        let height = index.entry(prev).height + 1;
        let pre_segwit = (height as i64) < i64::from(consensus.segwit_height);

        let mut transactions = Vec::new();
        let mut positions: std::collections::HashMap<bitcoin::Txid, usize> = Default::default();
        for (i, tx) in block.txdata.iter().enumerate() {
            let txid = tx.compute_txid();
            positions.insert(txid, i);
            if tx.is_coinbase() {
                continue;
            }
            let depends: Vec<usize> = tx
                .input
                .iter()
                .filter_map(|inp| positions.get(&inp.previous_output.txid).copied())
                .collect();
            let mut sigops = template.tx_sigops_cost[i];
            if pre_segwit {
                sigops /= widecoin_chainparams::consensus::WITNESS_SCALE_FACTOR as i64;
            }
            transactions.push(json!({
                "data": hex::encode(serialize(tx)),
                "txid": txid.to_string(),
                "hash": tx.compute_wtxid().to_string(),
                "depends": depends,
                "fee": template.tx_fees[i],
                "sigops": sigops,
                "weight": tx.weight().to_wu(),
            }));
        }

        let mut rules = vec![json!("csv")];
        if !pre_segwit {
            rules.push(json!("!segwit"));
        }
        if consensus.signet_blocks {
            rules.push(json!("!signet"));
        }
        let mut version = block.header.version.to_consensus();
        let mut vbavailable = serde_json::Map::new();
        for pos in widecoin_chainparams::consensus::DeploymentPos::ALL {
            use widecoin_mining::ThresholdState as S;
            let state = node
                .miner
                .versionbits()
                .state(index, Some(prev), consensus, pos);
            let mask = widecoin_mining::versionbits::mask(consensus, pos) as i32;
            let name = if pos.gbt_force() {
                pos.name().to_string()
            } else {
                format!("!{}", pos.name())
            };
            match state {
                S::Defined | S::Failed => {}
                S::LockedIn | S::Started => {
                    if state == S::LockedIn {
                        version |= mask;
                    }
                    vbavailable.insert(name, json!(consensus.deployment(pos).bit));
                    if !client_rules.contains(pos.name()) && !pos.gbt_force() {
                        version &= !mask;
                    }
                }
                S::Active => {
                    rules.push(json!(name));
                    if !client_rules.contains(pos.name()) && !pos.gbt_force() {
                        return Err(RpcError::invalid_parameter(format!(
                            "Support for '{}' rule requires explicit client support",
                            pos.name()
                        )));
                    }
                }
            }
        }
        block.header.version = bitcoin::block::Version::from_consensus(version);

        let target = bitcoin::Target::from_compact(block.header.bits);
        let mut sigop_limit = widecoin_chainparams::consensus::MAX_BLOCK_SIGOPS_COST;
        let mut size_limit = widecoin_chainparams::consensus::MAX_BLOCK_SERIALIZED_SIZE;
        if pre_segwit {
            sigop_limit /= widecoin_chainparams::consensus::WITNESS_SCALE_FACTOR;
            size_limit /= widecoin_chainparams::consensus::WITNESS_SCALE_FACTOR;
        }
        let mut result = serde_json::Map::new();
        result.insert("capabilities".into(), json!(["proposal"]));
        result.insert("version".into(), json!(version));
        result.insert("rules".into(), Value::Array(rules));
        result.insert("vbavailable".into(), Value::Object(vbavailable));
        result.insert("vbrequired".into(), json!(0));
        result.insert(
            "previousblockhash".into(),
            json!(block.header.prev_blockhash.to_string()),
        );
        result.insert("transactions".into(), Value::Array(transactions));
        result.insert("coinbaseaux".into(), json!({}));
        result.insert(
            "coinbasevalue".into(),
            json!(block.txdata[0].output[0].value.to_sat()),
        );
        result.insert(
            "longpollid".into(),
            json!(format!(
                "{}{}",
                cm.tip().map(|t| t.hash.to_string()).unwrap_or_default(),
                updated_last
            )),
        );
        result.insert("target".into(), json!(hex::encode(target.to_be_bytes())));
        result.insert("mintime".into(), json!(index.median_time_past(prev) + 1));
        result.insert(
            "mutable".into(),
            json!(["time", "transactions", "prevblock"]),
        );
        result.insert("noncerange".into(), json!("00000000ffffffff"));
        result.insert("sigoplimit".into(), json!(sigop_limit));
        result.insert("sizelimit".into(), json!(size_limit));
        if !pre_segwit {
            result.insert(
                "weightlimit".into(),
                json!(widecoin_chainparams::consensus::MAX_BLOCK_WEIGHT),
            );
        }
        result.insert("curtime".into(), json!(block.header.time));
        result.insert(
            "bits".into(),
            json!(format!("{:08x}", block.header.bits.to_consensus())),
        );
        result.insert("height".into(), json!(height));
        if consensus.signet_blocks {
            result.insert(
                "signet_challenge".into(),
                json!(hex::encode(&consensus.signet_challenge)),
            );
        }
        if !template.coinbase_commitment.is_empty() {
            result.insert(
                "default_witness_commitment".into(),
                json!(hex::encode(&template.coinbase_commitment)),
            );
        }
        Ok(Value::Object(result))
    })
}

fn prioritisetransaction(node: Arc<NodeContext>, prioritised: Arc<AtomicU64>) -> RpcCommand {
    let spec = RpcMethod::new(
        "prioritisetransaction",
        "Accepts the transaction into mined blocks at a higher (or lower) priority\n",
        vec![
            RpcArg::required("txid", ArgType::StrHex, "The transaction id."),
            RpcArg::omitted("dummy", ArgType::Num, "API-Compatibility for previous API. Must be zero or null.\n                  DEPRECATED. For forward compatibility use named arguments and omit this parameter."),
            RpcArg::required("fee_delta", ArgType::Num, "The fee value (in satoshis) to add (or subtract, if negative).\n                  Note, that this value is not a fee rate. It is a value to modify absolute fee of the TX.\n                  The fee is not actually paid, only the algorithm for selecting transactions into a block\n                  considers the transaction as it would have paid a higher (or lower) fee."),
        ],
        vec![RpcResult::new(ResultType::Bool, "", "Returns true")],
        help_example_cli("prioritisetransaction", "\"txid\" 0.0 10000")
            + &help_example_rpc("prioritisetransaction", "\"txid\", 0.0, 10000"),
    );
    RpcCommand::new("mining", spec, move |req: &RpcRequest| {
        let text: String = req.arg(0)?;
        let hash = super::parse_hash_v(&text, "txid")?;
        let dummy = req.param(1).as_f64();
        let delta: i64 = req.arg(2)?;
        if dummy.is_some_and(|d| d != 0.0) {
            return Err(RpcError::invalid_parameter(
                "Priority is no longer supported, dummy argument to prioritisetransaction must be 0.",
            ));
        }
        let txid = bitcoin::Txid::from_byte_array(hash.to_byte_array());
        node.pool.lock().prioritise(&txid, delta);
        prioritised.fetch_add(1, Ordering::SeqCst);
        Ok(json!(true))
    })
}

fn getprioritisedtransactions(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "getprioritisedtransactions",
        "Returns a map of all user-created (see prioritisetransaction) fee deltas by txid, and whether the tx is present in mempool.",
        vec![],
        vec![r(ResultType::ObjDyn, "prioritisation-map", "prioritisation keyed by txid").inner(vec![
            r(ResultType::Obj, "txid", "").inner(vec![
                r(ResultType::Num, "fee_delta", "transaction fee delta in satoshis"),
                r(ResultType::Bool, "in_mempool", "whether this transaction is currently in mempool"),
            ]),
        ])],
        help_example_cli("getprioritisedtransactions", "")
            + &help_example_rpc("getprioritisedtransactions", ""),
    );
    RpcCommand::new("mining", spec, move |_req: &RpcRequest| {
        let mut out = serde_json::Map::new();
        for (txid, delta, in_mempool) in node.pool.lock().prioritised() {
            out.insert(
                txid.to_string(),
                json!({"fee_delta": delta, "in_mempool": in_mempool}),
            );
        }
        Ok(Value::Object(out))
    })
}
