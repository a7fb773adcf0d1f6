//! Submitting and fetching transactions: `sendrawtransaction`, `testmempoolaccept` (Core's
//! `rpc/mempool.cpp`, `node/transaction.cpp` `BroadcastTransaction`) and `getrawtransaction`
//! (Core's `rpc/rawtransaction.cpp`, without `-txindex`).

use std::sync::Arc;

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::{OutPoint, Transaction, Txid};
use serde_json::{json, Map, Value};
use widecoin_keys::script::has_valid_ops;
use widecoin_mempool::standard::is_unspendable;
use widecoin_mempool::{FeeRate, TxRejection, TxValidationResult, MAX_PACKAGE_COUNT};
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcErrorCode, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use super::blockchain::parse_hash_v;
use super::rawtransaction::{decode_hex_tx, decode_tx_doc};
use super::tx_json::{tx_to_univ, TxVerbosity};
use super::util::amount;
use crate::context::NodeContext;
use crate::txpool::ChainAdapter;

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(sendrawtransaction(node.clone()));
    table.register(testmempoolaccept(node.clone()));
    table.register(getrawtransaction(node.clone()));
}

/// Core's `AmountFromValue`: a JSON number or string with at most `decimals` decimals.
fn amount_from_value(v: &Value, decimals: usize) -> Result<i64, RpcError> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err(RpcError::type_error("Amount is not a number or string")),
    };
    let sats = crate::interaction::parse_money(&text)
        .filter(|_| {
            text.split_once('.')
                .is_none_or(|(_, f)| f.len() <= decimals)
        })
        .ok_or_else(|| RpcError::type_error("Invalid amount"))?;
    Ok(sats)
}

/// `maxfeerate` (default `DEFAULT_MAX_RAW_TX_FEE_RATE`, 0.10 per kvB).
fn max_fee_rate(req: &RpcRequest, i: usize) -> Result<FeeRate, RpcError> {
    let v = req.param(i);
    if v.is_null() {
        return Ok(widecoin_mempool::DEFAULT_MAX_RAW_TX_FEE_RATE);
    }
    Ok(FeeRate::from_sat_per_kvb(amount_from_value(v, 8)?))
}

fn max_fee_rate_arg(description: &str) -> RpcArg {
    RpcArg::with_default("maxfeerate", ArgType::Amount, json!("0.10"), description)
}

/// Core's `JSONRPCTransactionError` for a mempool rejection (`HandleATMPError`).
fn rejection_error(r: &TxRejection) -> RpcError {
    let code = if r.result == TxValidationResult::MissingInputs {
        RpcErrorCode::VERIFY_ERROR
    } else {
        RpcErrorCode::VERIFY_REJECTED
    };
    RpcError::new(code, r.to_string())
}

fn sendrawtransaction(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "sendrawtransaction",
        "\nSubmit a raw transaction (serialized, hex-encoded) to local node and network.\n\nThe transaction will be sent unconditionally to all peers, so using sendrawtransaction\nfor manual rebroadcast may degrade privacy by leaking the transaction's origin, as\nnodes will normally not rebroadcast non-wallet transactions already in their mempool.\n\nA specific exception, RPC_TRANSACTION_ALREADY_IN_CHAIN, may throw if the transaction cannot be added to the mempool.\n\nRelated RPCs: createrawtransaction, signrawtransactionwithkey\n",
        vec![
            RpcArg::required("hexstring", ArgType::StrHex, "The hex string of the raw transaction"),
            max_fee_rate_arg("Reject transactions whose fee rate is higher than the specified value, expressed in WCN/kvB.\nSet to 0 to accept any fee rate."),
            RpcArg::with_default("maxburnamount", ArgType::Amount, json!("0.00"), "Reject transactions with provably unspendable outputs (e.g. 'datacarrier' outputs that use the OP_RETURN opcode) greater than the specified value, expressed in WCN.\nIf burning funds through unspendable outputs is desired, increase this value.\nThis check is based on heuristics and does not guarantee spendability of outputs.\n"),
        ],
        vec![RpcResult::new(ResultType::StrHex, "", "The transaction hash in hex")],
        format!(
            "\nCreate a transaction\n{}Sign the transaction, and get back the hex\n{}\nSend the transaction (signed hex)\n{}\nAs a JSON-RPC call\n{}",
            help_example_cli("createrawtransaction", "\"[{\\\"txid\\\" : \\\"mytxid\\\",\\\"vout\\\":0}]\" \"{\\\"myaddress\\\":0.01}\""),
            help_example_cli("signrawtransactionwithwallet", "\"myhex\""),
            help_example_cli("sendrawtransaction", "\"signedhex\""),
            help_example_rpc("sendrawtransaction", "\"signedhex\""),
        ),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let max_burn = if req.param(2).is_null() {
            0
        } else {
            amount_from_value(req.param(2), 8)?
        };
        let hex_str: String = req.arg(0)?;
        let tx = decode_hex_tx(&hex_str, true, true).ok_or_else(|| {
            RpcError::new(
                RpcErrorCode::DESERIALIZATION_ERROR,
                "TX decode failed. Make sure the tx has at least one input.",
            )
        })?;
        if tx.output.iter().any(|o| {
            let spk = o.script_pubkey.as_bytes();
            (is_unspendable(spk) || !has_valid_ops(spk)) && o.value.to_sat() as i64 > max_burn
        }) {
            return Err(RpcError::new(
                RpcErrorCode::VERIFY_ERROR,
                "Unspendable output exceeds maximum configured by user (maxburnamount)",
            ));
        }
        let max_rate = max_fee_rate(req, 1)?;
        let vsize = tx.vsize() as u32;
        let max_fee = max_rate.get_fee(vsize);
        broadcast(&node, &tx, max_fee)?;
        Ok(json!(tx.compute_txid().to_string()))
    })
}

/// Core's `BroadcastTransaction` without relay (there is no P2P relay of transactions yet).
fn broadcast(node: &NodeContext, tx: &Transaction, max_fee: i64) -> Result<(), RpcError> {
    let cm = node.chain.lock();
    let chain = ChainAdapter(&cm);
    let txid = tx.compute_txid();
    for vout in 0..tx.output.len() as u32 {
        if widecoin_mempool::CoinView::coin(&chain, &OutPoint { txid, vout }).is_some() {
            return Err(RpcError::new(
                RpcErrorCode::VERIFY_ALREADY_IN_CHAIN,
                "Transaction already in block chain",
            ));
        }
    }
    let mut pool = node.pool.lock();
    if pool.get(&txid).is_some() {
        return Ok(());
    }
    let now = widecoin_common::time::get_time();
    if max_fee > 0 {
        let r = pool
            .test_accept(tx, &chain, now)
            .map_err(|e| rejection_error(&e))?;
        if r.fee > max_fee {
            return Err(RpcError::new(
                RpcErrorCode::VERIFY_ERROR,
                "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)",
            ));
        }
    }
    pool.accept(tx, &chain, now)
        .map_err(|e| rejection_error(&e))?;
    Ok(())
}

fn testmempoolaccept(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "testmempoolaccept",
        &format!("\nReturns result of mempool acceptance tests indicating if raw transaction(s) (serialized, hex-encoded) would be accepted by mempool.\n\nIf multiple transactions are passed in, parents must come before children and package policies apply: the transactions cannot conflict with any mempool transactions or each other.\n\nIf one transaction fails, other transactions may not be fully validated (the 'allowed' key will be blank).\n\nThe maximum number of transactions allowed is {MAX_PACKAGE_COUNT}.\n\nThis checks if transactions violate the consensus or policy rules.\n\nSee sendrawtransaction call.\n"),
        vec![
            RpcArg::required("rawtxs", ArgType::Arr, "An array of hex strings of raw transactions.")
                .inner(vec![RpcArg::omitted("rawtx", ArgType::StrHex, "")]),
            max_fee_rate_arg("Reject transactions whose fee rate is higher than the specified value, expressed in WCN/kvB\n"),
        ],
        vec![r(ResultType::Arr, "", "The result of the mempool acceptance test for each raw transaction in the input array.\nReturns results for each transaction in the same order they were passed in.\nTransactions that cannot be fully validated due to failures in other transactions will not contain an 'allowed' result.\n")
            .inner(vec![r(ResultType::Obj, "", "").inner(vec![
                r(ResultType::StrHex, "txid", "The transaction hash in hex"),
                r(ResultType::StrHex, "wtxid", "The transaction witness hash in hex"),
                r(ResultType::Str, "package-error", "Package validation error, if any (only possible if rawtxs had more than 1 transaction).").optional(),
                r(ResultType::Bool, "allowed", "Whether this tx would be accepted to the mempool and pass client-specified maxfeerate. If not present, the tx was not fully validated due to a failure in another tx in the list.").optional(),
                r(ResultType::Num, "vsize", "Virtual transaction size as defined in BIP 141. This is different from actual serialized size for witness transactions as witness data is discounted (only present when 'allowed' is true)").optional(),
                r(ResultType::Obj, "fees", "Transaction fees (only present if 'allowed' is true)").optional().inner(vec![
                    r(ResultType::StrAmount, "base", "transaction fee in WCN"),
                    r(ResultType::StrAmount, "effective-feerate", "the effective feerate in WCN per KvB. May differ from the base feerate if, for example, there are modified fees from prioritisetransaction or a package feerate was used."),
                    r(ResultType::Arr, "effective-includes", "transactions whose fees and vsizes are included in effective-feerate.")
                        .inner(vec![r(ResultType::StrHex, "", "transaction wtxid in hex")]),
                ]),
                r(ResultType::Str, "reject-reason", "Rejection string (only present when 'allowed' is false)").optional(),
            ])])],
        format!(
            "\nCreate a transaction\n{}Sign the transaction, and get back the hex\n{}\nTest acceptance of the transaction (signed hex)\n{}\nAs a JSON-RPC call\n{}",
            help_example_cli("createrawtransaction", "\"[{\\\"txid\\\" : \\\"mytxid\\\",\\\"vout\\\":0}]\" \"{\\\"myaddress\\\":0.01}\""),
            help_example_cli("signrawtransactionwithwallet", "\"myhex\""),
            help_example_cli("testmempoolaccept", "'[\"signedhex\"]'"),
            help_example_rpc("testmempoolaccept", "[\"signedhex\"]"),
        ),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let raw: Vec<Value> = req.arg(0)?;
        if raw.is_empty() || raw.len() > MAX_PACKAGE_COUNT {
            return Err(RpcError::invalid_parameter(format!(
                "Array must contain between 1 and {MAX_PACKAGE_COUNT} transactions."
            )));
        }
        let max_rate = max_fee_rate(req, 1)?;
        let mut txs = Vec::with_capacity(raw.len());
        for v in &raw {
            let text = v.as_str().ok_or_else(|| {
                RpcError::type_error(widecoin_rpc::type_error_message(v, "string"))
            })?;
            let tx = decode_hex_tx(text, true, true).ok_or_else(|| {
                RpcError::new(
                    RpcErrorCode::DESERIALIZATION_ERROR,
                    format!("TX decode failed: {text} Make sure the tx has at least one input."),
                )
            })?;
            txs.push(tx);
        }
        if txs.len() > 1 {
            return Err(RpcError::invalid_parameter(
                "Package acceptance is not supported yet",
            ));
        }
        let tx = &txs[0];
        let result = {
            let cm = node.chain.lock();
            let pool = node.pool.lock();
            pool.test_accept(tx, &ChainAdapter(&cm), widecoin_common::time::get_time())
        };
        let mut out = Map::new();
        out.insert("txid".into(), json!(tx.compute_txid().to_string()));
        out.insert("wtxid".into(), json!(tx.compute_wtxid().to_string()));
        match result {
            Ok(r) => {
                let max_fee = max_rate.get_fee(r.vsize as u32);
                if max_fee != 0 && r.fee > max_fee {
                    out.insert("allowed".into(), json!(false));
                    out.insert("reject-reason".into(), json!("max-fee-exceeded"));
                } else {
                    out.insert("allowed".into(), json!(true));
                    out.insert("vsize".into(), json!(r.vsize));
                    let rate = FeeRate::from_fee_and_vsize(r.fee, r.vsize as u32);
                    out.insert(
                        "fees".into(),
                        json!({
                            "base": amount(r.fee),
                            "effective-feerate": amount(rate.fee_per_k()),
                            "effective-includes": [r.wtxid.to_string()],
                        }),
                    );
                }
            }
            Err(e) => {
                out.insert("allowed".into(), json!(false));
                let reason = if e.result == TxValidationResult::MissingInputs {
                    "missing-inputs".to_owned()
                } else {
                    e.reason
                };
                out.insert("reject-reason".into(), json!(reason));
            }
        }
        Ok(json!([Value::Object(out)]))
    })
}

fn getrawtransaction(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let mut verbose1 = vec![
        r(ResultType::Bool, "in_active_chain", "Whether specified block is in the active chain or not (only present with explicit \"blockhash\" argument)").optional(),
        r(ResultType::StrHex, "blockhash", "the block hash").optional(),
        r(ResultType::Num, "confirmations", "The confirmations").optional(),
        r(ResultType::NumTime, "blocktime", "The block time expressed in UNIX epoch time").optional(),
        r(ResultType::Num, "time", "Same as \"blocktime\"").optional(),
        r(ResultType::StrHex, "hex", "The serialized, hex-encoded data for 'txid'"),
    ];
    verbose1.extend(decode_tx_doc("The transaction id (same as provided)"));
    let spec = RpcMethod::new(
        "getrawtransaction",
        "By default, this call only returns a transaction if it is in the mempool. If -txindex is enabled\nand no blockhash argument is passed, it will return the transaction if it is in the mempool or any block.\nIf a blockhash argument is passed, it will return the transaction if\nthe specified block is available and the transaction is in that block.\n\nHint: Use gettransaction for wallet transactions.\n\nIf verbosity is 0 or omitted, returns the serialized transaction as a hex-encoded string.\nIf verbosity is 1, returns a JSON Object with information about the transaction.\nIf verbosity is 2, returns a JSON Object with information about the transaction, including fee and prevout information.",
        vec![
            RpcArg::required("txid", ArgType::StrHex, "The transaction id"),
            RpcArg::with_default("verbosity|verbose", ArgType::Num, json!(0), "0 for hex-encoded data, 1 for a JSON object, and 2 for JSON object with fee and prevout").skip_type_check(),
            RpcArg::omitted("blockhash", ArgType::StrHex, "The block in which to look for the transaction"),
        ],
        vec![
            r(ResultType::Str, "data", "The serialized transaction as a hex-encoded string for 'txid'").cond("if verbosity is not set or set to 0"),
            r(ResultType::Obj, "", "").cond("if verbosity is set to 1").inner(verbose1),
        ],
        help_example_cli("getrawtransaction", "\"mytxid\"")
            + &help_example_cli("getrawtransaction", "\"mytxid\" 1")
            + &help_example_rpc("getrawtransaction", "\"mytxid\", 1")
            + &help_example_cli("getrawtransaction", "\"mytxid\" 0 \"myblockhash\"")
            + &help_example_cli("getrawtransaction", "\"mytxid\" 1 \"myblockhash\"")
            + &help_example_cli("getrawtransaction", "\"mytxid\" 2 \"myblockhash\""),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let text: String = req.arg(0)?;
        let txid = Txid::from_raw_hash(parse_hash_v(&text, "parameter 1")?.to_raw_hash());
        let genesis_root = node.chain_params.genesis_block().header.merkle_root;
        if txid.to_raw_hash() == genesis_root.to_raw_hash() {
            return Err(RpcError::new(RpcErrorCode::INVALID_ADDRESS_OR_KEY, "The genesis block coinbase is not considered an ordinary transaction and cannot be retrieved"));
        }
        let verbosity: i64 = match req.param(1) {
            Value::Null => 0,
            Value::Bool(b) => i64::from(*b),
            v => req
                .arg::<i64>(1)
                .map_err(|_| RpcError::type_error(widecoin_rpc::type_error_message(v, "number")))?,
        };
        let cm = node.chain.lock();
        let block_hash = if req.has_param(2) {
            let text: String = req.arg(2)?;
            let hash = parse_hash_v(&text, "parameter 3")?;
            let entry = cm.lookup(&hash).ok_or_else(|| {
                RpcError::new(RpcErrorCode::INVALID_ADDRESS_OR_KEY, "Block hash not found")
            })?;
            if !entry.have_data() {
                return Err(RpcError::misc("Block not available"));
            }
            Some(hash)
        } else {
            None
        };
        let (tx, undo) = match block_hash {
            Some(hash) => {
                let block = cm
                    .get_block(&hash)
                    .map_err(|e| RpcError::misc(e.to_string()))?
                    .ok_or_else(|| RpcError::misc("Block not available"))?;
                let found = block.txdata.iter().position(|t| t.compute_txid() == txid);
                let Some(pos) = found else {
                    return Err(RpcError::new(RpcErrorCode::INVALID_ADDRESS_OR_KEY, "No such transaction found in the provided block. Use gettransaction for wallet transactions."));
                };
                let undo = if verbosity >= 2 && pos > 0 {
                    cm.get_block_undo(&hash)
                        .ok()
                        .flatten()
                        .and_then(|u| u.txs.get(pos - 1).cloned())
                } else {
                    None
                };
                (block.txdata[pos].clone(), undo)
            }
            None => {
                let pool = node.pool.lock();
                let Some(e) = pool.get(&txid) else {
                    return Err(RpcError::new(RpcErrorCode::INVALID_ADDRESS_OR_KEY, "No such mempool transaction. Use -txindex or provide a block hash to enable blockchain transaction queries. Use gettransaction for wallet transactions."));
                };
                ((*e.tx).clone(), None)
            }
        };
        if verbosity <= 0 {
            return Ok(json!(serialize_hex(&tx)));
        }
        let mut result = Map::new();
        if let Some(hash) = &block_hash {
            result.insert("in_active_chain".into(), json!(cm.is_active(hash)));
        }
        let detail = if undo.is_some() {
            TxVerbosity::DetailsAndPrevout
        } else {
            TxVerbosity::Details
        };
        if let Value::Object(m) =
            tx_to_univ(&tx, None, true, undo.as_ref(), detail, &node.chain_params)
        {
            result.extend(m);
        }
        if let Some(hash) = &block_hash {
            result.insert("blockhash".into(), json!(hash.to_string()));
            if let Some(entry) = cm.lookup(hash) {
                if cm.is_active(hash) {
                    let confirmations = 1 + cm.height() - i64::from(entry.height);
                    result.insert("confirmations".into(), json!(confirmations));
                    result.insert("time".into(), json!(entry.time()));
                    result.insert("blocktime".into(), json!(entry.time()));
                } else {
                    result.insert("confirmations".into(), json!(0));
                }
            }
        }
        Ok(Value::Object(result))
    })
}
