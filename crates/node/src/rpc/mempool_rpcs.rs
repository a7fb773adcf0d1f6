//! Submitting and fetching transactions: `sendrawtransaction`, `testmempoolaccept` (Core's
//! `rpc/mempool.cpp`, `node/transaction.cpp` `BroadcastTransaction`) and `getrawtransaction`
//! (Core's `rpc/rawtransaction.cpp`, without `-txindex`).

use std::sync::Arc;

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::{OutPoint, Transaction, Txid};
use serde_json::{json, Map, Value};
use widecoin_keys::script::has_valid_ops;
use widecoin_mempool::standard::is_unspendable;
use widecoin_mempool::{
    is_child_with_parents_tree, AcceptArgs, FeeRate, PackageAcceptResult, PackageValidationResult,
    TxOutcome, TxRejection, TxValidationResult, MAX_PACKAGE_COUNT,
};
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcErrorCode, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use super::blockchain::parse_hash_v;
use super::rawtransaction::{decode_hex_tx, decode_tx_doc, script_pub_key_doc};
use super::tx_json::{tx_to_univ, TxVerbosity};
use super::util::amount;
use crate::context::NodeContext;
use crate::txpool::ChainAdapter;

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(sendrawtransaction(node.clone()));
    table.register(testmempoolaccept(node.clone()));
    table.register(submitpackage(node.clone()));
    table.register(getrawtransaction(node.clone()));
}

/// Core's `AmountFromValue`: a JSON number or string with at most `decimals` decimals.
fn amount_from_value(v: &Value, decimals: u32) -> Result<i64, RpcError> {
    super::rawtx_create::amount_from_value_decimals(v, decimals)
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
    if let Some(entry) = pool.get(&txid) {
        // Core re-announces the pool's version (its wtxid may differ).
        let wtxid = entry.wtxid;
        drop(pool);
        drop(cm);
        crate::p2p::relay_transaction(node, txid, wtxid);
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
    let accepted = pool
        .accept(tx, &chain, now)
        .map_err(|e| rejection_error(&e))?;
    pool.add_unbroadcast(&txid);
    drop(pool);
    drop(cm);
    crate::p2p::relay_transaction(node, txid, accepted.wtxid);
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
        let now = widecoin_common::time::get_time();
        let package_result = {
            let cm = node.chain.lock();
            let mut pool = node.pool.lock();
            let chain = ChainAdapter(&cm);
            if txs.len() > 1 {
                pool.accept_multiple(&txs, &chain, AcceptArgs::package_test(now))
            } else {
                let outcome = match pool.test_accept(&txs[0], &chain, now) {
                    Ok(r) => TxOutcome::Valid(r),
                    Err(e) => TxOutcome::Invalid(e),
                };
                PackageAcceptResult {
                    failure: None,
                    results: [(txs[0].compute_wtxid(), outcome)].into_iter().collect(),
                }
            }
        };
        let package_error = package_result
            .failure
            .as_ref()
            .filter(|f| f.result == PackageValidationResult::Policy)
            .map(|f| f.reason.clone());
        let mut rpc_result = Vec::with_capacity(txs.len());
        let mut exit_early = false;
        for tx in &txs {
            let mut out = Map::new();
            out.insert("txid".into(), json!(tx.compute_txid().to_string()));
            out.insert("wtxid".into(), json!(tx.compute_wtxid().to_string()));
            if let Some(reason) = &package_error {
                out.insert("package-error".into(), json!(reason));
            }
            let found = package_result.results.get(&tx.compute_wtxid());
            let Some(outcome) = found.filter(|_| !exit_early) else {
                rpc_result.push(Value::Object(out));
                continue;
            };
            match outcome {
                TxOutcome::Valid(r) => {
                    let max_fee = max_rate.get_fee(r.vsize as u32);
                    if max_fee != 0 && r.fee > max_fee {
                        out.insert("allowed".into(), json!(false));
                        out.insert("reject-reason".into(), json!("max-fee-exceeded"));
                        exit_early = true;
                    } else {
                        out.insert("allowed".into(), json!(true));
                        out.insert("vsize".into(), json!(r.vsize));
                        out.insert("fees".into(), fees_json(r));
                    }
                }
                TxOutcome::Invalid(e) => {
                    out.insert("allowed".into(), json!(false));
                    let reason = if e.result == TxValidationResult::MissingInputs {
                        "missing-inputs".to_owned()
                    } else {
                        e.reason.clone()
                    };
                    out.insert("reject-reason".into(), json!(reason));
                }
                TxOutcome::InMempool { .. } | TxOutcome::DifferentWitness { .. } => {}
            }
            rpc_result.push(Value::Object(out));
        }
        Ok(json!(rpc_result))
    })
}

/// The `fees` object of an accepted transaction.
fn fees_json(r: &widecoin_mempool::AcceptResult) -> Value {
    let includes: Vec<String> = r.effective_includes.iter().map(|w| w.to_string()).collect();
    json!({
        "base": amount(r.fee),
        "effective-feerate": amount(r.effective_feerate.fee_per_k()),
        "effective-includes": includes,
    })
}

/// Core's `submitpackage`.
fn submitpackage(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "submitpackage",
        "Submit a package of raw transactions (serialized, hex-encoded) to local node.\nThe package must consist of a child with its parents, and none of the parents may depend on one another.\nThe package will be validated according to consensus and mempool policy rules. If all transactions pass, they will be accepted to mempool.\nThis RPC is experimental and the interface may be unstable. Refer to doc/policy/packages.md for documentation on package policies.\nWarning: successful submission does not mean the transactions will propagate throughout the network.\n",
        vec![RpcArg::required("package", ArgType::Arr, "An array of raw transactions.")
            .inner(vec![RpcArg::omitted("rawtx", ArgType::StrHex, "")])],
        vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::ObjDyn, "tx-results", "transaction results keyed by wtxid").inner(vec![
                r(ResultType::Obj, "wtxid", "transaction wtxid").inner(vec![
                    r(ResultType::StrHex, "txid", "The transaction hash in hex"),
                    r(ResultType::StrHex, "other-wtxid", "The wtxid of a different transaction with the same txid but different witness found in the mempool. This means the submitted transaction was ignored.").optional(),
                    r(ResultType::Num, "vsize", "Virtual transaction size as defined in BIP 141."),
                    r(ResultType::Obj, "fees", "Transaction fees").inner(vec![
                        r(ResultType::StrAmount, "base", "transaction fee in WCN"),
                        r(ResultType::StrAmount, "effective-feerate", "if the transaction was not already in the mempool, the effective feerate in WCN per KvB. For example, the package feerate and/or feerate with modified fees from prioritisetransaction.").optional(),
                        r(ResultType::Arr, "effective-includes", "if effective-feerate is provided, the wtxids of the transactions whose fees and vsizes are included in effective-feerate.").optional()
                            .inner(vec![r(ResultType::StrHex, "", "transaction wtxid in hex")]),
                    ]),
                ]),
            ]),
            r(ResultType::Arr, "replaced-transactions", "List of txids of replaced transactions").optional()
                .inner(vec![r(ResultType::StrHex, "", "The transaction id")]),
        ])],
        help_example_cli("testmempoolaccept", "[rawtx1, rawtx2]")
            + &help_example_cli("submitpackage", "[rawtx1, rawtx2]"),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let raw: Vec<Value> = req.arg(0)?;
        if raw.is_empty() || raw.len() > MAX_PACKAGE_COUNT {
            return Err(RpcError::invalid_parameter(format!(
                "Array must contain between 1 and {MAX_PACKAGE_COUNT} transactions."
            )));
        }
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
        if !is_child_with_parents_tree(&txs) {
            return Err(RpcError::new(
                RpcErrorCode::VERIFY_ERROR,
                "package topology disallowed. not child-with-parents or parents depend on each other.",
            ));
        }
        let result = {
            let cm = node.chain.lock();
            let mut pool = node.pool.lock();
            pool.accept_package(
                &txs,
                &ChainAdapter(&cm),
                AcceptArgs::package_child_with_parents(widecoin_common::time::get_time()),
            )
        };
        if let Some(f) = &result.failure {
            match f.result {
                PackageValidationResult::Policy | PackageValidationResult::MempoolError => {
                    return Err(RpcError::new(RpcErrorCode::VERIFY_ERROR, f.reason.clone()));
                }
                PackageValidationResult::Tx => {
                    for tx in &txs {
                        if let Some(TxOutcome::Invalid(e)) = result.results.get(&tx.compute_wtxid())
                        {
                            return Err(RpcError::new(
                                RpcErrorCode::VERIFY_REJECTED,
                                format!("{} failed: {}", tx.compute_txid(), e.reason),
                            ));
                        }
                    }
                    return Err(RpcError::new(RpcErrorCode::VERIFY_ERROR, f.reason.clone()));
                }
            }
        }
        // Core's BroadcastTransaction for each: all are in the pool now, so each is relayed
        // under the pool's wtxid.
        for tx in &txs {
            let txid = tx.compute_txid();
            let wtxid = node.pool.lock().get(&txid).map(|e| e.wtxid);
            if let Some(wtxid) = wtxid {
                crate::p2p::relay_transaction(&node, txid, wtxid);
            }
        }
        let mut tx_results = Map::new();
        let mut replaced = std::collections::BTreeSet::new();
        for tx in &txs {
            let wtxid = tx.compute_wtxid();
            let mut inner = Map::new();
            inner.insert("txid".into(), json!(tx.compute_txid().to_string()));
            match result.results.get(&wtxid) {
                Some(TxOutcome::DifferentWitness { other_wtxid }) => {
                    inner.insert("other-wtxid".into(), json!(other_wtxid.to_string()));
                }
                Some(TxOutcome::Valid(r)) => {
                    inner.insert("vsize".into(), json!(r.vsize));
                    inner.insert("fees".into(), fees_json(r));
                    for t in &r.replaced {
                        replaced.insert(t.compute_txid().to_string());
                    }
                }
                Some(TxOutcome::InMempool { vsize, fee }) => {
                    inner.insert("vsize".into(), json!(vsize));
                    inner.insert("fees".into(), json!({"base": amount(*fee)}));
                }
                _ => {}
            }
            tx_results.insert(wtxid.to_string(), Value::Object(inner));
        }
        tracing::info!("DEBUGPKG {:?} {:?}", tx_results, result.results);
        Ok(json!({
            "tx-results": tx_results,
            "replaced-transactions": replaced.into_iter().collect::<Vec<_>>(),
        }))
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
            r(ResultType::Obj, "", "").cond("for verbosity = 2").inner(vec![
                r(ResultType::Elision, "", "Same output as verbosity = 1"),
                r(ResultType::Num, "fee", "transaction fee in WCN, omitted if block undo data is not available").optional(),
                r(ResultType::Arr, "vin", "").inner(vec![
                    r(ResultType::Obj, "", "utxo being spent").inner(vec![
                        r(ResultType::Elision, "", "Same output as verbosity = 1"),
                        r(ResultType::Obj, "prevout", "The previous output, omitted if block undo data is not available").optional().inner(vec![
                            r(ResultType::Bool, "generated", "Coinbase or not"),
                            r(ResultType::Num, "height", "The height of the prevout"),
                            r(ResultType::StrAmount, "value", "The value in WCN"),
                            r(ResultType::Obj, "scriptPubKey", "").inner(script_pub_key_doc()),
                        ]),
                    ]),
                ]),
            ]),
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
        // -txindex: a confirmed transaction without a block hash.
        if !req.has_param(2) {
            if let Some(found) = super::indexes::txindex_getrawtransaction(&node, &txid, verbosity)?
            {
                if verbosity >= 2 {
                    if let Some(detailed) = with_block_prevouts(&node, &txid, &found) {
                        return Ok(detailed);
                    }
                }
                return Ok(found);
            }
        }
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

/// Verbosity 2 of a transaction found through `-txindex`: `found` (the
/// verbosity-1 answer, with its "blockhash") with the fee and the prevouts
/// from the block's undo data, or `None` for a coinbase or when the block or
/// its undo data is not available (Core answers verbosity 1 then).
fn with_block_prevouts(node: &NodeContext, txid: &Txid, found: &Value) -> Option<Value> {
    let hash: bitcoin::BlockHash = found.get("blockhash")?.as_str()?.parse().ok()?;
    let cm = node.chain.lock();
    let block = cm.get_block(&hash).ok()??;
    let pos = block
        .txdata
        .iter()
        .position(|t| t.compute_txid() == *txid)?;
    if pos == 0 {
        return None;
    }
    let undo = cm.get_block_undo(&hash).ok()??.txs.get(pos - 1).cloned()?;
    let detailed = tx_to_univ(
        &block.txdata[pos],
        None,
        true,
        Some(&undo),
        TxVerbosity::DetailsAndPrevout,
        &node.chain_params,
    );
    let (Value::Object(mut out), Value::Object(extra)) = (found.clone(), detailed) else {
        return None;
    };
    out.extend(extra);
    Some(Value::Object(out))
}
