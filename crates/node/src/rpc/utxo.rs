//! RPCs over the UTXO set (Core's `gettxout`, `gettxoutsetinfo` and
//! `scantxoutset` of `rpc/blockchain.cpp`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{OutPoint, ScriptBuf, Txid};
use serde_json::{json, Map, Value};
use widecoin_chainstate::coinstats::{self, CoinStatsHashType};
use widecoin_chainstate::ChainstateError;
use widecoin_keys::descriptor::{self, add_checksum, infer_descriptor, InferProvider};
use widecoin_rpc::{
    help_example_cli, help_example_rpc, type_error_message, ArgType, ResultType, RpcArg,
    RpcCommand, RpcError, RpcErrorCode, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use super::blockchain::parse_hash_v;
use super::output_script::{parse_descriptor_range, script_to_univ};
use super::util::amount;
use crate::context::NodeContext;

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(gettxout(node.clone()));
    table.register(gettxoutsetinfo(node.clone()));
    table.register(scantxoutset(node.clone()));
}

fn db_error(e: ChainstateError) -> RpcError {
    RpcError::new(RpcErrorCode::DATABASE_ERROR, e.to_string())
}

fn gettxout(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "gettxout",
        "\nReturns details about an unspent transaction output.\n",
        vec![
            RpcArg::required("txid", ArgType::Str, "The transaction id"),
            RpcArg::required("n", ArgType::Num, "vout number"),
            RpcArg::with_default("include_mempool", ArgType::Bool, json!(true), "Whether to include the mempool. Note that an unspent output that is spent in the mempool won't appear."),
        ],
        vec![
            r(ResultType::None, "", "").cond("If the UTXO was not found"),
            r(ResultType::Obj, "", "").cond("Otherwise").inner(vec![
                r(ResultType::StrHex, "bestblock", "The hash of the block at the tip of the chain"),
                r(ResultType::Num, "confirmations", "The number of confirmations"),
                r(ResultType::StrAmount, "value", "The transaction value in WCN"),
                r(ResultType::Obj, "scriptPubKey", "").inner(vec![
                    r(ResultType::Str, "asm", "Disassembly of the public key script"),
                    r(ResultType::Str, "desc", "Inferred descriptor for the output"),
                    r(ResultType::StrHex, "hex", "The raw public key script bytes, hex-encoded"),
                    r(ResultType::Str, "type", "The type, eg pubkeyhash"),
                    r(ResultType::Str, "address", "The Widecoin address (only if a well-defined address exists)").optional(),
                ]),
                r(ResultType::Bool, "coinbase", "Coinbase or not"),
            ]),
        ],
        "\nGet unspent transactions\n".to_string()
            + &help_example_cli("listunspent", "")
            + "\nView the details\n"
            + &help_example_cli("gettxout", "\"txid\" 1")
            + "\nAs a JSON-RPC call\n"
            + &help_example_rpc("gettxout", "\"txid\", 1"),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        let hash = parse_hash_v(&req.arg::<String>(0)?, "txid")?;
        let op = OutPoint {
            txid: Txid::from_byte_array(hash.to_byte_array()),
            vout: req.arg(1)?,
        };
        // There is no mempool yet, so `include_mempool` cannot change the
        // answer: the coin is looked up in the chainstate's view either way.
        let _include_mempool: bool = req.arg(2)?;
        let cm = node.chain.lock();
        let Some(coin) = cm.get_coin(&op).map_err(db_error)? else {
            return Ok(Value::Null);
        };
        let (tip_hash, tip_height) = cm
            .tip()
            .map(|t| (t.hash, i64::from(t.height)))
            .ok_or_else(|| RpcError::misc("no tip"))?;
        let script = script_to_univ(
            coin.output.script_pubkey.as_bytes(),
            true,
            &InferProvider::default(),
            &node.chain_params,
        );
        Ok(json!({
            "bestblock": tip_hash.to_string(),
            "confirmations": tip_height - i64::from(coin.height) + 1,
            "value": amount(coin.output.value.to_sat() as i64),
            "scriptPubKey": Value::Object(script),
            "coinbase": coin.coinbase,
        }))
    })
}

/// Core's `ParseHashType`.
fn parse_hash_type(s: &str) -> Result<CoinStatsHashType, RpcError> {
    match s {
        "hash_serialized_3" => Ok(CoinStatsHashType::HashSerialized),
        "muhash" => Ok(CoinStatsHashType::MuHash),
        "none" => Ok(CoinStatsHashType::None),
        _ => Err(RpcError::invalid_parameter(format!(
            "'{s}' is not a valid hash_type"
        ))),
    }
}

fn shutting_down() -> RpcError {
    RpcError::new(RpcErrorCode::CLIENT_NOT_CONNECTED, "Shutting down")
}

fn gettxoutsetinfo(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let a = ResultType::StrAmount;
    let spec = RpcMethod::new(
        "gettxoutsetinfo",
        "\nReturns statistics about the unspent transaction output set.\nNote this call may take some time if you are not using coinstatsindex.\n",
        vec![
            RpcArg::with_default("hash_type", ArgType::Str, json!("hash_serialized_3"), "Which UTXO set hash should be calculated. Options: 'hash_serialized_3' (the legacy algorithm), 'muhash', 'none'."),
            RpcArg::with_hint("hash_or_height", ArgType::Num, "the current best block", "The block hash or height of the target height (only available with coinstatsindex).")
                .skip_type_check()
                .type_str("", "string or numeric"),
            RpcArg::with_default("use_index", ArgType::Bool, json!(true), "Use coinstatsindex, if available."),
        ],
        vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::Num, "height", "The block height (index) of the returned statistics"),
            r(ResultType::StrHex, "bestblock", "The hash of the block at which these statistics are calculated"),
            r(ResultType::Num, "txouts", "The number of unspent transaction outputs"),
            r(ResultType::Num, "bogosize", "Database-independent, meaningless metric indicating the UTXO set size"),
            r(ResultType::StrHex, "hash_serialized_3", "The serialized hash (only present if 'hash_serialized_3' hash_type is chosen)").optional(),
            r(ResultType::StrHex, "muhash", "The serialized hash (only present if 'muhash' hash_type is chosen)").optional(),
            r(ResultType::Num, "transactions", "The number of transactions with unspent outputs (not available when coinstatsindex is used)").optional(),
            r(ResultType::Num, "disk_size", "The estimated size of the chainstate on disk (not available when coinstatsindex is used)").optional(),
            r(a, "total_amount", "The total amount of coins in the UTXO set"),
            r(a, "total_unspendable_amount", "The total amount of coins permanently excluded from the UTXO set (only available if coinstatsindex is used)").optional(),
            r(ResultType::Obj, "block_info", "Info on amounts in the block at this block height (only available if coinstatsindex is used)").optional().inner(vec![
                r(a, "prevout_spent", "Total amount of all prevouts spent in this block"),
                r(a, "coinbase", "Coinbase subsidy amount of this block"),
                r(a, "new_outputs_ex_coinbase", "Total amount of new outputs created by this block"),
                r(a, "unspendable", "Total amount of unspendable outputs created in this block"),
                r(ResultType::Obj, "unspendables", "Detailed view of the unspendable categories").inner(vec![
                    r(a, "genesis_block", "The unspendable amount of the Genesis block subsidy"),
                    r(a, "bip30", "Transactions overridden by duplicates (no longer possible with BIP30)"),
                    r(a, "scripts", "Amounts sent to scripts that are unspendable (for example OP_RETURN outputs)"),
                    r(a, "unclaimed_rewards", "Fee rewards that miners did not claim in their coinbase transaction"),
                ]),
            ]),
        ])],
        help_example_cli("gettxoutsetinfo", "")
            + &help_example_cli("gettxoutsetinfo", "\"none\"")
            + &help_example_cli("gettxoutsetinfo", "\"none\" 1000")
            + &help_example_cli("gettxoutsetinfo", "\"none\" '\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\"'")
            + &help_example_cli("-named gettxoutsetinfo", "hash_type='muhash' use_index='false'")
            + &help_example_rpc("gettxoutsetinfo", "")
            + &help_example_rpc("gettxoutsetinfo", "\"none\"")
            + &help_example_rpc("gettxoutsetinfo", "\"none\", 1000")
            + &help_example_rpc("gettxoutsetinfo", "\"none\", \"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\""),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        let hash_type = parse_hash_type(&req.arg::<String>(0)?)?;
        // There is no coinstatsindex: `use_index` has nothing to select, and
        // a specific block cannot be queried.
        let _use_index: bool = req.arg(2)?;
        // -coinstatsindex answers when it can (Core's `GetUTXOStats` with the index).
        if let Some(answer) = super::indexes::gettxoutsetinfo_from_index(&node, req, hash_type)? {
            return Ok(answer);
        }
        if !req.param(1).is_null() {
            return Err(RpcError::invalid_parameter(
                "Querying specific block heights requires coinstatsindex",
            ));
        }
        let shutdown = node.shutdown.clone();
        let stats = {
            let mut cm = node.chain.lock();
            coinstats::compute_utxo_stats(&mut cm, hash_type, || shutdown.is_requested())
                .map_err(db_error)?
        }
        .ok_or_else(shutting_down)?;
        let mut ret = Map::new();
        ret.insert("height".into(), json!(stats.height));
        ret.insert("bestblock".into(), json!(stats.best_block.to_string()));
        ret.insert("txouts".into(), json!(stats.txouts));
        ret.insert("bogosize".into(), json!(stats.bogosize));
        if let Some(mut hash) = stats.hash {
            hash.reverse();
            let key = match hash_type {
                CoinStatsHashType::MuHash => "muhash",
                _ => "hash_serialized_3",
            };
            ret.insert(key.into(), json!(hex::encode(hash)));
        }
        let total = stats.total_amount.ok_or_else(|| {
            RpcError::misc("Internal bug detected: stats.total_amount.has_value()")
        })?;
        ret.insert("total_amount".into(), amount(total));
        ret.insert("transactions".into(), json!(stats.transactions));
        ret.insert("disk_size".into(), json!(stats.disk_size));
        Ok(Value::Object(ret))
    })
}

/// The one scan that may run at a time (Core's `g_scan_in_progress`,
/// `g_scan_progress` and `g_should_abort_scan`).
static SCAN_IN_PROGRESS: AtomicBool = AtomicBool::new(false);
static SCAN_PROGRESS: AtomicI32 = AtomicI32::new(0);
static SCAN_ABORT: AtomicBool = AtomicBool::new(false);

/// Core's `CoinsViewScanReserver`: holds the scan slot until dropped.
struct ScanReserver {
    reserved: bool,
}

impl ScanReserver {
    fn reserve() -> Self {
        ScanReserver {
            reserved: !SCAN_IN_PROGRESS.swap(true, Ordering::SeqCst),
        }
    }
}

impl Drop for ScanReserver {
    fn drop(&mut self) {
        if self.reserved {
            SCAN_PROGRESS.store(0, Ordering::SeqCst);
            SCAN_IN_PROGRESS.store(false, Ordering::SeqCst);
        }
    }
}

/// Core's `EvalDescriptorStringOrObject`: the scripts of one scan object,
/// with what is known to infer their descriptors.
fn eval_scan_object(
    obj: &Value,
    node: &NodeContext,
) -> Result<(Vec<ScriptBuf>, InferProvider), RpcError> {
    let mut range = (0i64, 1000i64);
    let text = match obj {
        Value::String(s) => s.clone(),
        Value::Object(o) => {
            let d = o.get("desc").unwrap_or(&Value::Null);
            if d.is_null() {
                return Err(RpcError::invalid_parameter(
                    "Descriptor needs to be provided in scan object",
                ));
            }
            let d = d.as_str().ok_or_else(|| {
                RpcError::new(RpcErrorCode::PARSE_ERROR, type_error_message(d, "string"))
            })?;
            if let Some(r) = o.get("range").filter(|r| !r.is_null()) {
                range = parse_descriptor_range(r)?;
            }
            d.to_string()
        }
        _ => {
            return Err(RpcError::invalid_parameter(
                "Scan object needs to be either a string or an object",
            ))
        }
    };
    // A multipath descriptor (Bitcoin Core v27) scans each expansion at
    // every position of the range.
    let descs = descriptor::parse_multipath(&text, &node.chain_params, false)
        .map_err(|e| RpcError::new(RpcErrorCode::INVALID_ADDRESS_OR_KEY, e))?;
    if !descs[0].is_range() {
        range = (0, 0);
    }
    let mut scripts = Vec::new();
    let mut known = InferProvider::default();
    for pos in range.0..=range.1 {
        let pos = pos as u32;
        for desc in &descs {
            let expanded = desc.expand(pos).ok_or_else(|| {
                RpcError::new(
                    RpcErrorCode::INVALID_ADDRESS_OR_KEY,
                    format!("Cannot derive script without private keys: '{text}'"),
                )
            })?;
            desc.collect_known(pos, &mut known);
            scripts.extend(expanded);
        }
    }
    Ok((scripts, known))
}

fn scantxoutset(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    const EXAMPLE_DESCRIPTOR_RAW: &str =
        "raw(76a91411b366edfc0a8b66feebae5c2e25a7b6a5d1cf3188ac)#fm24fxxy";
    let spec = RpcMethod::new(
        "scantxoutset",
        "\nScans the unspent transaction output set for entries that match certain output descriptors.\n\
         Examples of output descriptors are:\n    \
         addr(<address>)                      Outputs whose scriptPubKey corresponds to the specified address (does not include P2PK)\n    \
         raw(<hex script>)                    Outputs whose scriptPubKey equals the specified hex scripts\n    \
         combo(<pubkey>)                      P2PK, P2PKH, P2WPKH, and P2SH-P2WPKH outputs for the given pubkey\n    \
         pkh(<pubkey>)                        P2PKH outputs for the given pubkey\n    \
         sh(multi(<n>,<pubkey>,<pubkey>,...)) P2SH-multisig outputs for the given threshold and pubkeys\n    \
         tr(<pubkey>)                         P2TR\n    \
         tr(<pubkey>,{pk(<pubkey>)})          P2TR with single fallback pubkey in tapscript\n    \
         rawtr(<pubkey>)                      P2TR with the specified key as output key rather than inner\n    \
         wsh(and_v(v:pk(<pubkey>),after(2)))  P2WSH miniscript with mandatory pubkey and a timelock\n\
         \nIn the above, <pubkey> either refers to a fixed public key in hexadecimal notation, or to an xpub/xprv optionally followed by one\n\
         or more path elements separated by \"/\", and optionally ending in \"/*\" (unhardened), or \"/*'\" or \"/*h\" (hardened) to specify all\n\
         unhardened or hardened child keys.\n\
         In the latter case, a range needs to be specified by below if different from 1000.\n\
         For more information on output descriptors, see the documentation in the doc/descriptors.md file.\n",
        vec![
            RpcArg::required("action", ArgType::Str, "The action to execute\n\"start\" for starting a scan\n\"abort\" for aborting the current scan (returns true when abort was successful)\n\"status\" for progress report (in %) of the current scan"),
            RpcArg::omitted("scanobjects", ArgType::Arr, "Array of scan objects. Required for \"start\" action\nEvery scan object is either a string descriptor or an object:")
                .inner(vec![
                    RpcArg::omitted("descriptor", ArgType::Str, "An output descriptor"),
                    RpcArg::omitted("", ArgType::Obj, "An object with output descriptor and metadata").inner(vec![
                        RpcArg::required("desc", ArgType::Str, "An output descriptor"),
                        RpcArg::with_default("range", ArgType::Range, json!(1000), "The range of HD chain indexes to explore (either end or [begin,end])"),
                    ]),
                ])
                .oneline("[scanobjects,...]"),
        ],
        vec![
            r(ResultType::Obj, "", "").cond("when action=='start'; only returns after scan completes").inner(vec![
                r(ResultType::Bool, "success", "Whether the scan was completed"),
                r(ResultType::Num, "txouts", "The number of unspent transaction outputs scanned"),
                r(ResultType::Num, "height", "The current block height (index)"),
                r(ResultType::StrHex, "bestblock", "The hash of the block at the tip of the chain"),
                r(ResultType::Arr, "unspents", "").inner(vec![r(ResultType::Obj, "", "").inner(vec![
                    r(ResultType::StrHex, "txid", "The transaction id"),
                    r(ResultType::Num, "vout", "The vout value"),
                    r(ResultType::StrHex, "scriptPubKey", "The script key"),
                    r(ResultType::Str, "desc", "A specialized descriptor for the matched scriptPubKey"),
                    r(ResultType::StrAmount, "amount", "The total amount in WCN of the unspent output"),
                    r(ResultType::Bool, "coinbase", "Whether this is a coinbase output"),
                    r(ResultType::Num, "height", "Height of the unspent transaction output"),
                ])]),
                r(ResultType::StrAmount, "total_amount", "The total amount of all found unspent outputs in WCN"),
            ]),
            r(ResultType::Bool, "success", "True if scan will be aborted (not necessarily before this RPC returns), or false if there is no scan to abort").cond("when action=='abort'"),
            r(ResultType::Obj, "", "").cond("when action=='status' and a scan is currently in progress").inner(vec![
                r(ResultType::Num, "progress", "Approximate percent complete"),
            ]),
            r(ResultType::None, "", "").cond("when action=='status' and no scan is in progress - possibly already completed"),
        ],
        help_example_cli("scantxoutset", &format!("start '[\"{EXAMPLE_DESCRIPTOR_RAW}\"]'"))
            + &help_example_cli("scantxoutset", "status")
            + &help_example_cli("scantxoutset", "abort")
            + &help_example_rpc("scantxoutset", &format!("\"start\", [\"{EXAMPLE_DESCRIPTOR_RAW}\"]"))
            + &help_example_rpc("scantxoutset", "\"status\"")
            + &help_example_rpc("scantxoutset", "\"abort\""),
    );
    RpcCommand::new("blockchain", spec, move |req: &RpcRequest| {
        let action: String = req.arg(0)?;
        match action.as_str() {
            "status" => {
                let reserver = ScanReserver::reserve();
                if reserver.reserved {
                    return Ok(Value::Null);
                }
                Ok(json!({ "progress": SCAN_PROGRESS.load(Ordering::SeqCst) }))
            }
            "abort" => {
                let reserver = ScanReserver::reserve();
                if reserver.reserved {
                    return Ok(json!(false));
                }
                SCAN_ABORT.store(true, Ordering::SeqCst);
                Ok(json!(true))
            }
            "start" => {
                let _reserver = {
                    let r = ScanReserver::reserve();
                    if !r.reserved {
                        return Err(RpcError::invalid_parameter(
                            "Scan already in progress, use action \"abort\" or \"status\"",
                        ));
                    }
                    r
                };
                if req.params_len() < 2 {
                    return Err(RpcError::misc(
                        "scanobjects argument is required for the start action",
                    ));
                }
                start_scan(&node, req.param(1))
            }
            _ => Err(RpcError::invalid_parameter(format!(
                "Invalid action '{action}'"
            ))),
        }
    })
}

/// `scantxoutset start`, with the scan slot reserved.
fn start_scan(node: &NodeContext, objects: &Value) -> Result<Value, RpcError> {
    let objects = objects.as_array().ok_or_else(|| {
        RpcError::new(
            RpcErrorCode::PARSE_ERROR,
            type_error_message(objects, "array"),
        )
    })?;
    let mut needles = HashSet::new();
    let mut descriptors: HashMap<ScriptBuf, String> = HashMap::new();
    for obj in objects {
        let (scripts, known) = eval_scan_object(obj, node)?;
        for script in scripts {
            let inferred =
                infer_descriptor(script.as_bytes(), &known).to_string(&node.chain_params);
            descriptors
                .entry(script.clone())
                .or_insert_with(|| add_checksum(&inferred));
            needles.insert(script);
        }
    }
    SCAN_ABORT.store(false, Ordering::SeqCst);
    SCAN_PROGRESS.store(0, Ordering::SeqCst);
    let mut count: u64 = 0;
    let mut aborted = false;
    let mut unspents = Vec::new();
    let mut total: i64 = 0;
    let (height, tip) = {
        // The chainstate stays locked for the scan: blocks cannot be
        // connected meanwhile, so the result belongs to exactly one tip.
        let mut cm = node.chain.lock();
        coinstats::scan_coins(&mut cm, |op, coin| {
            count += 1;
            if count.is_multiple_of(8192)
                && (SCAN_ABORT.load(Ordering::SeqCst) || node.shutdown.is_requested())
            {
                aborted = true;
                return false;
            }
            if count.is_multiple_of(256) {
                let b = op.txid.as_byte_array();
                let high = 0x100 * u32::from(b[0]) + u32::from(b[1]);
                SCAN_PROGRESS.store(
                    (f64::from(high) * 100.0 / 65536.0 + 0.5) as i32,
                    Ordering::SeqCst,
                );
            }
            if needles.contains(&coin.output.script_pubkey) {
                let value = coin.output.value.to_sat() as i64;
                total += value;
                unspents.push(json!({
                    "txid": op.txid.to_string(),
                    "vout": op.vout,
                    "scriptPubKey": hex::encode(coin.output.script_pubkey.as_bytes()),
                    "desc": descriptors.get(&coin.output.script_pubkey).cloned().unwrap_or_default(),
                    "amount": amount(value),
                    "coinbase": coin.coinbase,
                    "height": coin.height,
                }));
            }
            true
        })
        .map_err(db_error)?
    };
    if node.shutdown.is_requested() && aborted && !SCAN_ABORT.load(Ordering::SeqCst) {
        return Err(shutting_down());
    }
    if !aborted {
        SCAN_PROGRESS.store(100, Ordering::SeqCst);
    }
    Ok(json!({
        "success": !aborted,
        "txouts": count,
        "height": height,
        "bestblock": tip.to_string(),
        "unspents": unspents,
        "total_amount": amount(total),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_types() {
        assert_eq!(
            parse_hash_type("muhash").unwrap(),
            CoinStatsHashType::MuHash
        );
        assert_eq!(
            parse_hash_type("foo").unwrap_err().message,
            "'foo' is not a valid hash_type"
        );
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_descriptor_range(&json!(5)).unwrap(), (0, 5));
        assert_eq!(
            parse_descriptor_range(&json!(-1)).unwrap_err().message,
            "End of range is too high"
        );
        assert_eq!(
            parse_descriptor_range(&json!([0, 1000001]))
                .unwrap_err()
                .message,
            "Range is too large"
        );
    }

    #[test]
    fn scan_slot_is_exclusive() {
        let first = ScanReserver::reserve();
        assert!(first.reserved);
        assert!(!ScanReserver::reserve().reserved);
        drop(first);
        assert!(ScanReserver::reserve().reserved);
    }
}
