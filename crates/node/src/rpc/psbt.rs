//! PSBT RPCs without a wallet (Core's `rpc/rawtransaction.cpp`): `createpsbt`,
//! `decodepsbt`, `combinepsbt`, `finalizepsbt`, `converttopsbt`,
//! `utxoupdatepsbt`, `joinpsbts`, `analyzepsbt`, `descriptorprocesspsbt`.
//! Serialization and combining are the `bitcoin` crate's (BIP174, as Core),
//! final scripts `miniscript`'s finalizer.

use std::sync::Arc;

use base64::Engine;
use bitcoin::consensus::serialize;
use bitcoin::hashes::Hash;
use bitcoin::psbt::{Psbt, PsbtSighashType};
use bitcoin::secp256k1::Secp256k1;
use bitcoin::{OutPoint, ScriptBuf, Transaction, TxOut};
use miniscript::psbt::PsbtExt;
use serde_json::{json, Map, Value};
use widecoin_keys::descriptor::{self, Desc, InferProvider};
use widecoin_keys::sign::{self, KeyStore};
use widecoin_rpc::{
    help_example_cli, ArgType, ResultType, RpcArg, RpcCommand, RpcError, RpcErrorCode, RpcMethod,
    RpcRequest, RpcResult, RpcTable,
};

use super::output_script::script_to_univ;
use super::rawtransaction::decode_hex_tx;
use super::rawtx_create::{construct_transaction, create_tx_doc, find_coins, parse_sighash_arg};
use super::tx_json::{tx_to_univ, TxVerbosity};
use super::util::amount;
use crate::context::NodeContext;

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(decodepsbt(node.clone()));
    table.register(combinepsbt());
    table.register(finalizepsbt());
    table.register(createpsbt(node.clone()));
    table.register(converttopsbt());
    table.register(utxoupdatepsbt(node.clone()));
    table.register(joinpsbts());
    table.register(analyzepsbt());
    table.register(descriptorprocesspsbt(node.clone()));
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Core's `DecodeBase64PSBT`, with its error for the RPCs.
pub fn decode_psbt(v: &Value) -> Result<Psbt, RpcError> {
    let s = v
        .as_str()
        .ok_or_else(|| RpcError::type_error(widecoin_rpc::type_error_message(v, "string")))?;
    let err = |e: String| {
        RpcError::new(
            RpcErrorCode::DESERIALIZATION_ERROR,
            format!("TX decode failed {e}"),
        )
    };
    let raw = b64().decode(s).map_err(|_| err("invalid base64".into()))?;
    Psbt::deserialize(&raw).map_err(|e| err(e.to_string()))
}

pub fn encode_psbt(p: &Psbt) -> String {
    b64().encode(p.serialize())
}

fn psbt_from_tx(tx: Transaction) -> Psbt {
    Psbt::from_unsigned_tx(tx).expect("no scripts")
}

fn createpsbt(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "createpsbt",
        "\nCreates a transaction in the Partially Signed Transaction format.\nImplements the Creator role.\n",
        create_tx_doc(),
        vec![RpcResult::new(ResultType::Str, "", "The resulting raw transaction (base64-encoded string)")],
        help_example_cli("createpsbt", "\"[{\\\"txid\\\":\\\"myid\\\",\\\"vout\\\":0}]\" \"[{\\\"data\\\":\\\"00010203\\\"}]\""),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let rbf = req.param(3).as_bool();
        let tx = construct_transaction(
            &node,
            req.param(0),
            req.param(1),
            req.object_entries(1),
            req.param(2),
            rbf,
        )?;
        Ok(json!(encode_psbt(&psbt_from_tx(tx))))
    })
}

fn converttopsbt() -> RpcCommand {
    let spec = RpcMethod::new(
        "converttopsbt",
        "\nConverts a network serialized transaction to a PSBT. This should be used only with createrawtransaction and fundrawtransaction\ncreatepsbt and walletcreatefundedpsbt should be used for new applications.\n",
        vec![
            RpcArg::required("hexstring", ArgType::StrHex, "The hex string of a raw transaction"),
            RpcArg::with_default("permitsigdata", ArgType::Bool, json!(false), "If true, any signatures in the input will be discarded and conversion\n                              will continue. If false, RPC will fail if any signatures are present."),
            RpcArg::with_hint("iswitness", ArgType::Bool, "depends on heuristic tests", "Whether the transaction hex is a serialized witness transaction.\nIf iswitness is not present, heuristic tests will be used in decoding.\nIf true, only witness deserialization will be tried.\nIf false, only non-witness deserialization will be tried.\nThis boolean should reflect whether the transaction has inputs\n(e.g. fully valid, or on-chain transactions), if known by the caller."),
        ],
        vec![RpcResult::new(ResultType::Str, "", "The resulting raw transaction (base64-encoded string)")],
        format!(
            "\nCreate a transaction\n{}\nConvert the transaction to a PSBT\n{}",
            help_example_cli("createrawtransaction", "\"[{\\\"txid\\\":\\\"myid\\\",\\\"vout\\\":0}]\" \"[{\\\"data\\\":\\\"00010203\\\"}]\""),
            help_example_cli("converttopsbt", "\"rawtransaction\"")
        ),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let hex_str: String = req.arg(0)?;
        let permit: bool = req.arg(1)?;
        let witness = req.param(2).as_bool();
        let (try_no_witness, try_witness) = match witness {
            Some(w) => (!w, w),
            None => (true, true),
        };
        let mut tx = decode_hex_tx(&hex_str, try_no_witness, try_witness).ok_or_else(|| {
            RpcError::new(RpcErrorCode::DESERIALIZATION_ERROR, "TX decode failed")
        })?;
        for input in &mut tx.input {
            if (!input.script_sig.is_empty() || !input.witness.is_empty()) && !permit {
                return Err(RpcError::new(
                    RpcErrorCode::DESERIALIZATION_ERROR,
                    "Inputs must not have scriptSigs and scriptWitnesses",
                ));
            }
            input.script_sig = ScriptBuf::new();
            input.witness = bitcoin::Witness::new();
        }
        Ok(json!(encode_psbt(&psbt_from_tx(tx))))
    })
}

fn combinepsbt() -> RpcCommand {
    let spec = RpcMethod::new(
        "combinepsbt",
        "\nCombine multiple partially signed Widecoin transactions into one transaction.\nImplements the Combiner role.\n",
        vec![RpcArg::required("txs", ArgType::Arr, "The base64 strings of partially signed transactions").inner(vec![
            RpcArg::omitted("psbt", ArgType::Str, "A base64 string of a PSBT"),
        ])],
        vec![RpcResult::new(ResultType::Str, "", "The base64-encoded partially signed transaction")],
        help_example_cli("combinepsbt", r#"'["mybase64_1", "mybase64_2", "mybase64_3"]'"#),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let list = req.param(0).as_array().cloned().unwrap_or_default();
        if list.is_empty() {
            return Err(RpcError::invalid_parameter(
                "Parameter 'txs' cannot be empty",
            ));
        }
        let mut psbts = Vec::new();
        for v in &list {
            psbts.push(decode_psbt(v)?);
        }
        let mut merged = psbts[0].clone();
        for p in psbts.into_iter().skip(1) {
            merged.combine(p).map_err(|_| {
                RpcError::invalid_parameter("PSBTs not compatible (different transactions)")
            })?;
        }
        Ok(json!(encode_psbt(&merged)))
    })
}

/// Core's `FinalizeAndExtractPSBT`: finalizes what it can; the network
/// transaction when every input is final.
fn finalize_and_extract(psbt: &mut Psbt) -> Option<Transaction> {
    let secp = Secp256k1::verification_only();
    for i in 0..psbt.inputs.len() {
        let input = &psbt.inputs[i];
        if input.final_script_sig.is_some() || input.final_script_witness.is_some() {
            continue;
        }
        let _ = psbt.finalize_inp_mut(&secp, i);
    }
    let complete = psbt
        .inputs
        .iter()
        .all(|i| i.final_script_sig.is_some() || i.final_script_witness.is_some());
    complete.then(|| {
        let mut tx = psbt.unsigned_tx.clone();
        for (txin, input) in tx.input.iter_mut().zip(&psbt.inputs) {
            txin.script_sig = input.final_script_sig.clone().unwrap_or_default();
            txin.witness = input.final_script_witness.clone().unwrap_or_default();
        }
        tx
    })
}

fn finalizepsbt() -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "finalizepsbt",
        "Finalize the inputs of a PSBT. If the transaction is fully signed, it will produce a\nnetwork serialized transaction which can be broadcast with sendrawtransaction. Otherwise a PSBT will be\ncreated which has the final_scriptSig and final_scriptWitness fields filled for inputs that are complete.\nImplements the Finalizer and Extractor roles.\n",
        vec![
            RpcArg::required("psbt", ArgType::Str, "A base64 string of a PSBT"),
            RpcArg::with_default("extract", ArgType::Bool, json!(true), "If true and the transaction is complete,\n                             extract and return the complete transaction in normal network serialization instead of the PSBT."),
        ],
        vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::Str, "psbt", "The base64-encoded partially signed transaction if not extracted").optional(),
            r(ResultType::StrHex, "hex", "The hex-encoded network transaction if extracted").optional(),
            r(ResultType::Bool, "complete", "If the transaction has a complete set of signatures"),
        ])],
        help_example_cli("finalizepsbt", "\"psbt\""),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let mut psbt = decode_psbt(req.param(0))?;
        let extract = req.param(1).as_bool().unwrap_or(true);
        let tx = finalize_and_extract(&mut psbt);
        let mut result = Map::new();
        match (&tx, extract) {
            (Some(tx), true) => {
                result.insert("hex".into(), json!(hex::encode(serialize(tx))));
            }
            _ => {
                result.insert("psbt".into(), json!(encode_psbt(&psbt)));
            }
        }
        result.insert("complete".into(), json!(tx.is_some()));
        Ok(Value::Object(result))
    })
}

/// The keys and scripts of descriptors (Core's `EvalDescriptorStringOrObject`
/// into a `FlatSigningProvider`): private keys given in them, and the redeem
/// and witness scripts of `sh()` and `wsh()` at each position of the range.
fn descriptors_store(node: &NodeContext, descs: &Value) -> Result<KeyStore, RpcError> {
    let mut store = KeyStore::new();
    for d in descs.as_array().into_iter().flatten() {
        let (text, range) = match d {
            Value::String(s) => (s.clone(), None),
            Value::Object(o) => {
                let s = o.get("desc").and_then(Value::as_str).ok_or_else(|| {
                    RpcError::invalid_parameter("Descriptor object missing 'desc'")
                })?;
                (s.to_string(), o.get("range").cloned())
            }
            _ => {
                return Err(RpcError::invalid_parameter(
                    "Invalid descriptor, expected string or object",
                ))
            }
        };
        let parsed = descriptor::parse(&text, &node.chain_params, false)
            .map_err(|e| RpcError::new(RpcErrorCode::INVALID_ADDRESS_OR_KEY, e))?;
        let (start, end) = if parsed.is_range() {
            match range.as_ref().and_then(Value::as_u64) {
                Some(n) => (0, n as u32),
                None => match range.as_ref().and_then(Value::as_array) {
                    Some(a) if a.len() == 2 => (
                        a[0].as_u64().unwrap_or(0) as u32,
                        a[1].as_u64().unwrap_or(0) as u32,
                    ),
                    _ => (0, 1000),
                },
            }
        } else {
            (0, 0)
        };
        for secret in parsed.provider.keys.values() {
            store.add_key(bitcoin::PrivateKey {
                compressed: secret.compressed,
                network: bitcoin::NetworkKind::Test,
                inner: secret.key,
            });
        }
        for pos in start..=end {
            add_inner_scripts(&parsed.desc, pos, &parsed.provider, &mut store);
            // Derived private keys, and every key's origin.
            for (_, secret, _) in parsed.private_keys(pos) {
                store.add_key(bitcoin::PrivateKey {
                    compressed: secret.compressed,
                    network: bitcoin::NetworkKind::Test,
                    inner: secret.key,
                });
            }
            let mut known = InferProvider::default();
            parsed.collect_known(pos, &mut known);
            for (id, (fp, path)) in &known.origins {
                if let Some(pk) = known.pubkeys.get(id) {
                    store.add_origin(pk, *fp, path.clone());
                }
            }
        }
    }
    Ok(store)
}

fn add_inner_scripts(
    d: &Desc,
    pos: u32,
    provider: &descriptor::SigningProvider,
    store: &mut KeyStore,
) {
    if let Desc::Sh(sub) | Desc::Wsh(sub) = d {
        if let Some(scripts) = sub.expand(pos, provider) {
            for s in scripts {
                store.add_script(s);
            }
        }
        add_inner_scripts(sub, pos, provider, store);
    }
}

/// Core's `ProcessPSBT`: UTXOs from the mempool and the UTXO set, scripts
/// from the descriptors, signatures when `sign` (with `sighash`), then
/// finalizing when `finalize`.
fn process_psbt(
    node: &NodeContext,
    psbt: &mut Psbt,
    store: &KeyStore,
    sign: bool,
    sighash: u32,
    finalize: bool,
) {
    let outpoints: Vec<OutPoint> = psbt
        .unsigned_tx
        .input
        .iter()
        .map(|i| i.previous_output)
        .collect();
    {
        let pool = node.pool.lock();
        for (i, op) in outpoints.iter().enumerate() {
            if psbt.inputs[i].non_witness_utxo.is_none() {
                if let Some(e) = pool.get(&op.txid) {
                    psbt.inputs[i].non_witness_utxo = Some((*e.tx).clone());
                }
            }
        }
    }
    let coins = find_coins(node, &outpoints);
    for (i, coin) in coins.into_iter().enumerate() {
        let input = &mut psbt.inputs[i];
        if input.non_witness_utxo.is_some() {
            continue;
        }
        if let Some(out) = coin {
            let mut probe = bitcoin::psbt::Input::default();
            store.fill_scripts(&mut probe, &out.script_pubkey);
            let segwit = out.script_pubkey.is_witness_program()
                || probe
                    .redeem_script
                    .as_ref()
                    .is_some_and(|r| r.is_witness_program());
            if segwit {
                input.witness_utxo = Some(out);
            }
        }
    }
    let secp = Secp256k1::new();
    for i in 0..psbt.inputs.len() {
        let input = &psbt.inputs[i];
        if input.final_script_sig.is_some() || input.final_script_witness.is_some() {
            continue;
        }
        if let Some(out) = sign::spent_output(psbt, i) {
            store.fill_scripts(&mut psbt.inputs[i], &out.script_pubkey);
            if sign {
                if sighash != 0 && psbt.inputs[i].sighash_type.is_none() {
                    psbt.inputs[i].sighash_type = Some(PsbtSighashType::from_u32(sighash));
                }
                store.sign_input(psbt, i, &secp);
            }
            if finalize {
                let _ = psbt.finalize_inp_mut(&secp, i);
            }
        }
    }
    for i in 0..psbt.outputs.len() {
        let spk = psbt.unsigned_tx.output[i].script_pubkey.clone();
        store.fill_output(&mut psbt.outputs[i], &spk);
    }
}

fn descriptors_arg(required: bool) -> RpcArg {
    let desc = "An array of either strings or objects";
    let inner = vec![
        RpcArg::omitted("", ArgType::Str, "An output descriptor"),
        RpcArg::omitted(
            "",
            ArgType::Obj,
            "An object with an output descriptor and extra information",
        )
        .inner(vec![
            RpcArg::required("desc", ArgType::Str, "An output descriptor"),
            RpcArg::with_default(
                "range",
                ArgType::Range,
                json!(1000),
                "Up to what index HD chains should be explored (either end or [begin,end])",
            ),
        ]),
    ];
    if required {
        RpcArg::required("descriptors", ArgType::Arr, desc).inner(inner)
    } else {
        RpcArg::omitted("descriptors", ArgType::Arr, desc).inner(inner)
    }
}

fn utxoupdatepsbt(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "utxoupdatepsbt",
        "\nUpdates all segwit inputs and outputs in a PSBT with data from output descriptors, the UTXO set, txindex, or the mempool.\n",
        vec![
            RpcArg::required("psbt", ArgType::Str, "A base64 string of a PSBT"),
            descriptors_arg(false),
        ],
        vec![RpcResult::new(ResultType::Str, "", "The base64-encoded partially signed transaction with inputs updated")],
        help_example_cli("utxoupdatepsbt", "\"psbt\""),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let mut psbt = decode_psbt(req.param(0))?;
        let store = descriptors_store(&node, req.param(1))?;
        // Like Core (a provider that hides private keys): no signatures.
        process_psbt(&node, &mut psbt, &store, false, 1, false);
        Ok(json!(encode_psbt(&psbt)))
    })
}

fn descriptorprocesspsbt(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "descriptorprocesspsbt",
        "\nUpdate all segwit inputs in a PSBT with information from output descriptors, the UTXO set or the mempool. \nThen, sign the inputs we are able to with information from the output descriptors. ",
        vec![
            RpcArg::required("psbt", ArgType::Str, "The transaction base64 string"),
            descriptors_arg(true),
            RpcArg::with_default("sighashtype", ArgType::Str, json!("DEFAULT for Taproot, ALL otherwise"), "The signature hash type to sign with if not specified by the PSBT. Must be one of\n       \"DEFAULT\"\n       \"ALL\"\n       \"NONE\"\n       \"SINGLE\"\n       \"ALL|ANYONECANPAY\"\n       \"NONE|ANYONECANPAY\"\n       \"SINGLE|ANYONECANPAY\""),
            RpcArg::with_default("bip32derivs", ArgType::Bool, json!(true), "Include BIP 32 derivation paths for public keys if we know them"),
            RpcArg::with_default("finalize", ArgType::Bool, json!(true), "Also finalize inputs if possible"),
        ],
        vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::Str, "psbt", "The base64-encoded partially signed transaction"),
            r(ResultType::Bool, "complete", "If the transaction has a complete set of signatures"),
            r(ResultType::StrHex, "hex", "The hex-encoded network transaction if complete").optional(),
        ])],
        help_example_cli("descriptorprocesspsbt", "\"psbtstring\" \"[\\\"descriptor1\\\", \\\"descriptor2\\\"]\"")
            + &help_example_cli("descriptorprocesspsbt", "\"psbtstring\" \"[{\\\"desc\\\":\\\"mydescriptor\\\", \\\"range\\\":21}]\""),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let mut psbt = decode_psbt(req.param(0))?;
        let store = descriptors_store(&node, req.param(1))?;
        let sighash = match req.param(2) {
            Value::String(s) if s == "DEFAULT for Taproot, ALL otherwise" => 0,
            v => parse_sighash_arg(v)?,
        };
        let finalize = req.param(4).as_bool().unwrap_or(true);
        process_psbt(&node, &mut psbt, &store, true, sighash, finalize);
        let complete = psbt
            .inputs
            .iter()
            .all(|i| i.final_script_sig.is_some() || i.final_script_witness.is_some());
        let mut result = Map::new();
        result.insert("psbt".into(), json!(encode_psbt(&psbt)));
        result.insert("complete".into(), json!(complete));
        if complete {
            let mut p = psbt.clone();
            if let Some(tx) = finalize_and_extract(&mut p) {
                result.insert("hex".into(), json!(hex::encode(serialize(&tx))));
            }
        }
        Ok(Value::Object(result))
    })
}

fn joinpsbts() -> RpcCommand {
    let spec = RpcMethod::new(
        "joinpsbts",
        "\nJoins multiple distinct PSBTs with different inputs and outputs into one PSBT with inputs and outputs from all of the PSBTs\nNo input in any of the PSBTs can be in more than one of the PSBTs.\n",
        vec![RpcArg::required("txs", ArgType::Arr, "The base64 strings of partially signed transactions").inner(vec![
            RpcArg::required("psbt", ArgType::Str, "A base64 string of a PSBT"),
        ])],
        vec![RpcResult::new(ResultType::Str, "", "The base64-encoded partially signed transaction")],
        help_example_cli("joinpsbts", "\"psbt\""),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let list = req.param(0).as_array().cloned().unwrap_or_default();
        if list.len() <= 1 {
            return Err(RpcError::invalid_parameter(
                "At least two PSBTs are required to join PSBTs.",
            ));
        }
        let mut psbts = Vec::new();
        for v in &list {
            psbts.push(decode_psbt(v)?);
        }
        let mut version = 0;
        let mut lock_time = u32::MAX;
        for p in &psbts {
            version = version.max(p.unsigned_tx.version.0);
            lock_time = lock_time.min(p.unsigned_tx.lock_time.to_consensus_u32());
        }
        let mut merged = psbts[0].clone();
        merged.unsigned_tx.input.clear();
        merged.unsigned_tx.output.clear();
        merged.inputs.clear();
        merged.outputs.clear();
        merged.unsigned_tx.version = bitcoin::transaction::Version(version);
        merged.unsigned_tx.lock_time = bitcoin::absolute::LockTime::from_consensus(lock_time);
        for p in psbts {
            for (txin, input) in p.unsigned_tx.input.into_iter().zip(p.inputs) {
                if merged
                    .unsigned_tx
                    .input
                    .iter()
                    .any(|i| i.previous_output == txin.previous_output)
                {
                    return Err(RpcError::invalid_parameter(format!(
                        "Input {}:{} exists in multiple PSBTs",
                        txin.previous_output.txid, txin.previous_output.vout
                    )));
                }
                merged.unsigned_tx.input.push(txin);
                merged.inputs.push(input);
            }
            for (txout, output) in p.unsigned_tx.output.into_iter().zip(p.outputs) {
                merged.unsigned_tx.output.push(txout);
                merged.outputs.push(output);
            }
            for (k, v) in p.xpub {
                merged.xpub.insert(k, v);
            }
            merged.unknown.extend(p.unknown);
        }
        // Core shuffles the inputs and outputs so their origin is hidden.
        shuffle(&mut merged);
        Ok(json!(encode_psbt(&merged)))
    })
}

/// Shuffles inputs and outputs (with their PSBT fields) together.
fn shuffle(p: &mut Psbt) {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ (p as *const Psbt as u64);
    let mut state = seed | 1;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for i in (1..p.inputs.len()).rev() {
        let j = next(i + 1);
        p.inputs.swap(i, j);
        p.unsigned_tx.input.swap(i, j);
    }
    for i in (1..p.outputs.len()).rev() {
        let j = next(i + 1);
        p.outputs.swap(i, j);
        p.unsigned_tx.output.swap(i, j);
    }
}

fn analyzepsbt() -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "analyzepsbt",
        "\nAnalyzes and provides information about the current status of a PSBT and its inputs\n",
        vec![RpcArg::required("psbt", ArgType::Str, "A base64 string of a PSBT")],
        vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::Arr, "inputs", "").optional().inner(vec![
                r(ResultType::Obj, "", "").inner(vec![
                    r(ResultType::Bool, "has_utxo", "Whether a UTXO is provided"),
                    r(ResultType::Bool, "is_final", "Whether the input is finalized"),
                    r(ResultType::Obj, "missing", "Things that are missing that are required to complete this input").optional().inner(vec![
                        r(ResultType::Arr, "pubkeys", "").optional().inner(vec![r(ResultType::StrHex, "keyid", "Public key ID, hash160 of the public key, of a public key whose BIP 32 derivation path is missing")]),
                        r(ResultType::Arr, "signatures", "").optional().inner(vec![r(ResultType::StrHex, "keyid", "Public key ID, hash160 of the public key, of a public key whose signature is missing")]),
                        r(ResultType::StrHex, "redeemscript", "Hash160 of the redeemScript that is missing").optional(),
                        r(ResultType::StrHex, "witnessscript", "SHA256 of the witnessScript that is missing").optional(),
                    ]),
                    r(ResultType::Str, "next", "Role of the next person that this input needs to go to").optional(),
                ]),
            ]),
            r(ResultType::Num, "estimated_vsize", "Estimated vsize of the final signed transaction").optional(),
            r(ResultType::StrAmount, "estimated_feerate", "Estimated feerate of the final signed transaction in WCN/kvB. Shown only if all UTXO slots in the PSBT have been filled").optional(),
            r(ResultType::StrAmount, "fee", "The transaction fee paid. Shown only if all UTXO slots in the PSBT have been filled").optional(),
            r(ResultType::Str, "next", "Role of the next person that this psbt needs to go to"),
            r(ResultType::Str, "error", "Error message (if there is one)").optional(),
        ])],
        help_example_cli("analyzepsbt", "\"psbt\""),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let psbt = decode_psbt(req.param(0))?;
        const ROLES: [&str; 5] = ["creator", "updater", "signer", "finalizer", "extractor"];
        let mut next = 4usize;
        let mut inputs = Vec::new();
        let mut total_in: Option<u64> = Some(0);
        let secp = Secp256k1::verification_only();
        for i in 0..psbt.inputs.len() {
            let utxo = sign::spent_output(&psbt, i);
            let input = &psbt.inputs[i];
            let is_final = input.final_script_sig.is_some() || input.final_script_witness.is_some();
            let mut missing = Missing::default();
            let role = if utxo.is_none() {
                1
            } else if is_final {
                4
            } else {
                let spk = utxo
                    .as_ref()
                    .map(|o| o.script_pubkey.clone())
                    .unwrap_or_default();
                let solved = produce_signature(input, spk.as_bytes(), &mut missing);
                let mut probe = psbt.clone();
                if solved && probe.finalize_inp_mut(&secp, i).is_ok() {
                    3
                } else if missing.only_signatures() {
                    2
                } else {
                    1
                }
            };
            total_in = match (total_in, &utxo) {
                (Some(t), Some(o)) => Some(t + o.value.to_sat()),
                _ => None,
            };
            next = next.min(role);
            let mut entry = json!({
                "has_utxo": utxo.is_some(),
                "is_final": is_final,
                "next": ROLES[role],
            });
            if role < 3 {
                if let Some(m) = missing.to_json() {
                    entry["missing"] = m;
                }
            }
            inputs.push(entry);
        }
        let mut result = Map::new();
        if !inputs.is_empty() {
            result.insert("inputs".into(), Value::Array(inputs));
        }
        if let Some(total_in) = total_in {
            let out: u64 = psbt
                .unsigned_tx
                .output
                .iter()
                .map(|o| o.value.to_sat())
                .sum();
            if total_in < out {
                result.insert("next".into(), json!("creator"));
                result.insert(
                    "error".into(),
                    json!("Input amounts do not sum to more than output amounts"),
                );
                return Ok(Value::Object(result));
            }
            let fee = total_in - out;
            if next >= 3 {
                let mut p = psbt.clone();
                if let Some(tx) = finalize_and_extract(&mut p) {
                    let vsize = tx.vsize() as u64;
                    result.insert("estimated_vsize".into(), json!(vsize));
                    result.insert(
                        "estimated_feerate".into(),
                        amount((fee * 1000 / vsize) as i64),
                    );
                }
            }
            result.insert("fee".into(), amount(fee as i64));
        }
        result.insert("next".into(), json!(ROLES[next]));
        Ok(Value::Object(result))
    })
}

/// What Core's `SignatureData` records as missing when it signs an input
/// with nothing but the input's own data (`AnalyzePSBT`).
#[derive(Default)]
struct Missing {
    /// Key ids of public keys not known (no partial signature, no BIP 32 path).
    pubkeys: Vec<[u8; 20]>,
    /// Key ids of public keys without a signature.
    sigs: Vec<[u8; 20]>,
    /// HASH160 of a redeem script not known.
    redeem_script: Option<[u8; 20]>,
    /// SHA256 of a witness script not known.
    witness_script: Option<[u8; 32]>,
}

impl Missing {
    /// Only signatures are missing: the input goes to a signer.
    fn only_signatures(&self) -> bool {
        self.pubkeys.is_empty()
            && self.redeem_script.is_none()
            && self.witness_script.is_none()
            && !self.sigs.is_empty()
    }

    /// `analyzepsbt`'s "missing" object, `None` when nothing is missing.
    fn to_json(&self) -> Option<Value> {
        let mut m = Map::new();
        if !self.pubkeys.is_empty() {
            m.insert(
                "pubkeys".into(),
                self.pubkeys.iter().map(hex::encode).collect(),
            );
        }
        if let Some(h) = &self.redeem_script {
            m.insert("redeemscript".into(), json!(hex::encode(h)));
        }
        if let Some(h) = &self.witness_script {
            m.insert("witnessscript".into(), json!(hex::encode(h)));
        }
        if !self.sigs.is_empty() {
            m.insert(
                "signatures".into(),
                self.sigs.iter().map(hex::encode).collect(),
            );
        }
        (!m.is_empty()).then_some(Value::Object(m))
    }
}

fn hash160_of(data: &[u8]) -> [u8; 20] {
    bitcoin::hashes::hash160::Hash::hash(data).to_byte_array()
}

/// Core's `GetPubKey` over a PSBT input: from a partial signature or a BIP 32
/// derivation.
fn input_pubkey(input: &bitcoin::psbt::Input, keyid: &[u8]) -> Option<Vec<u8>> {
    input
        .partial_sigs
        .keys()
        .map(|pk| pk.to_bytes())
        .chain(
            input
                .bip32_derivation
                .keys()
                .map(|pk| pk.serialize().to_vec()),
        )
        .find(|pk| hash160_of(pk) == keyid)
}

/// Core's `CreateSig` without keys: the input's partial signature for
/// `pubkey`, else the key id is recorded as missing a signature.
fn input_has_sig(input: &bitcoin::psbt::Input, pubkey: &[u8], missing: &mut Missing) -> bool {
    let id = hash160_of(pubkey);
    let found = input
        .partial_sigs
        .keys()
        .any(|pk| hash160_of(&pk.to_bytes()) == id);
    if !found {
        missing.sigs.push(id);
    }
    found
}

/// Core's `GetCScript` over a PSBT input: its redeem or witness script with
/// HASH160 `id`.
fn input_script(input: &bitcoin::psbt::Input, id: &[u8]) -> Option<Vec<u8>> {
    [&input.redeem_script, &input.witness_script]
        .into_iter()
        .flatten()
        .map(|s| s.to_bytes())
        .find(|s| hash160_of(s) == id)
}

/// Core's `SignStep` with the input's data only: `Some` with the script type
/// and, for P2SH / P2WPKH / P2WSH, the script (or key hash) to go on with.
fn sign_step(
    input: &bitcoin::psbt::Input,
    script: &[u8],
    missing: &mut Missing,
) -> Option<(widecoin_mempool::TxoutType, Vec<u8>)> {
    use widecoin_mempool::TxoutType as T;
    let (kind, sol) = widecoin_mempool::solver(script);
    let next = match kind {
        T::PubKey => input_has_sig(input, &sol[0], missing).then(Vec::new),
        T::PubKeyHash => match input_pubkey(input, &sol[0]) {
            Some(pk) => input_has_sig(input, &pk, missing).then(Vec::new),
            None => {
                missing.pubkeys.push(sol[0].as_slice().try_into().ok()?);
                None
            }
        },
        T::ScriptHash => match input_script(input, &sol[0]) {
            Some(redeem) => Some(redeem),
            None => {
                missing.redeem_script = sol[0].as_slice().try_into().ok();
                None
            }
        },
        T::Multisig => {
            let required = usize::from(sol[0][0]);
            // Every key is asked for, so that all missing signatures are listed.
            let have = sol[1..sol.len() - 1]
                .iter()
                .filter(|pk| input_has_sig(input, pk, missing))
                .count();
            (have >= required).then(Vec::new)
        }
        T::WitnessV0KeyHash => Some(sol[0].clone()),
        T::WitnessV0ScriptHash => {
            let id = bitcoin::hashes::ripemd160::Hash::hash(&sol[0]).to_byte_array();
            match input_script(input, &id) {
                Some(ws) => Some(ws),
                None => {
                    missing.witness_script = sol[0].as_slice().try_into().ok();
                    None
                }
            }
        }
        T::WitnessV1Taproot => {
            (input.tap_key_sig.is_some() || !input.tap_script_sigs.is_empty()).then(Vec::new)
        }
        _ => None,
    }?;
    Some((kind, next))
}

/// Core's `ProduceSignature` with a provider that knows nothing (what
/// `AnalyzePSBT` runs): whether the input's data solve `spk`, recording in
/// `missing` what is not there.
fn produce_signature(input: &bitcoin::psbt::Input, spk: &[u8], missing: &mut Missing) -> bool {
    use widecoin_mempool::TxoutType as T;
    let Some((mut kind, mut next)) = sign_step(input, spk, missing) else {
        return false;
    };
    if kind == T::ScriptHash {
        match sign_step(input, &next, missing) {
            Some((T::ScriptHash, _)) | None => return false,
            Some(r) => (kind, next) = r,
        }
    }
    match kind {
        T::WitnessV0KeyHash => {
            let p2pkh = ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::from_byte_array(
                next.as_slice().try_into().unwrap_or([0; 20]),
            ));
            sign_step(input, p2pkh.as_bytes(), missing).is_some()
        }
        T::WitnessV0ScriptHash => matches!(
            sign_step(input, &next, missing),
            Some((k, _)) if !matches!(k, T::ScriptHash | T::WitnessV0ScriptHash | T::WitnessV0KeyHash)
        ),
        _ => true,
    }
}

/// `ScriptToUniv` without the address (redeem and witness scripts).
fn script_json(node: &NodeContext, script: &ScriptBuf) -> Value {
    let mut m = script_to_univ(
        script.as_bytes(),
        true,
        &InferProvider::default(),
        &node.chain_params,
    );
    m.remove("address");
    Value::Object(m)
}

fn bip32_json(
    map: &std::collections::BTreeMap<bitcoin::secp256k1::PublicKey, bitcoin::bip32::KeySource>,
) -> Value {
    Value::Array(
        map.iter()
            .map(|(pk, (fp, path))| {
                json!({
                    "pubkey": hex::encode(pk.serialize()),
                    "master_fingerprint": fp.to_string(),
                    "path": hd_keypath(path),
                })
            })
            .collect(),
    )
}

fn decodepsbt(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "decodepsbt",
        "Return a JSON object representing the serialized, base64-encoded partially signed Widecoin transaction.",
        vec![RpcArg::required("psbt", ArgType::Str, "The PSBT base64 string")],
        vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::Obj, "tx", "The decoded network-serialized unsigned transaction.").inner(vec![r(ResultType::Elision, "", "The layout is the same as the output of decoderawtransaction.")]),
            r(ResultType::Arr, "global_xpubs", "").inner(vec![r(ResultType::Obj, "", "").inner(vec![
                r(ResultType::Str, "xpub", "The extended public key this path corresponds to"),
                r(ResultType::StrHex, "master_fingerprint", "The fingerprint of the master key"),
                r(ResultType::Str, "path", "The path"),
            ])]),
            r(ResultType::Num, "psbt_version", "The PSBT version number. Not to be confused with the unsigned transaction version"),
            r(ResultType::Arr, "proprietary", "The global proprietary map").inner(vec![r(ResultType::Obj, "", "").inner(vec![
                r(ResultType::StrHex, "identifier", "The hex string for the proprietary identifier"),
                r(ResultType::Num, "subtype", "The number for the subtype"),
                r(ResultType::StrHex, "key", "The hex for the key"),
                r(ResultType::StrHex, "value", "The hex for the value"),
            ])]),
            r(ResultType::ObjDyn, "unknown", "The unknown global fields").inner(vec![r(ResultType::StrHex, "key", "(key-value pair) An unknown key-value pair")]),
            r(ResultType::Arr, "inputs", "").inner(vec![r(ResultType::Obj, "", "").skip_type_check().inner(vec![r(ResultType::Elision, "", "")])]),
            r(ResultType::Arr, "outputs", "").inner(vec![r(ResultType::Obj, "", "").skip_type_check().inner(vec![r(ResultType::Elision, "", "")])]),
            r(ResultType::StrAmount, "fee", "The transaction fee paid if all UTXOs slots in the PSBT have been filled.").optional(),
        ])],
        help_example_cli("decodepsbt", "\"psbt\""),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let psbt = decode_psbt(req.param(0))?;
        let params = &node.chain_params;
        let mut result = Map::new();
        result.insert(
            "tx".into(),
            tx_to_univ(
                &psbt.unsigned_tx,
                None,
                false,
                None,
                TxVerbosity::Details,
                params,
            ),
        );
        let xpubs: Vec<Value> = psbt
            .xpub
            .iter()
            .map(|(xpub, (fp, path))| {
                json!({
                    "xpub": widecoin_keys::key::encode_ext_pubkey(xpub, params),
                    "master_fingerprint": fp.to_string(),
                    "path": hd_keypath(path),
                })
            })
            .collect();
        result.insert("global_xpubs".into(), Value::Array(xpubs));
        result.insert("psbt_version".into(), json!(psbt.version));
        let prop =
            |m: &std::collections::BTreeMap<bitcoin::psbt::raw::ProprietaryKey, Vec<u8>>| -> Value {
                Value::Array(
                    m.iter()
                        .map(|(k, v)| {
                            json!({
                                "identifier": hex::encode(&k.prefix),
                                "subtype": k.subtype,
                                "key": hex::encode(&k.key),
                                "value": hex::encode(v),
                            })
                        })
                        .collect(),
                )
            };
        let unknown = |m: &std::collections::BTreeMap<bitcoin::psbt::raw::Key, Vec<u8>>| -> Value {
            Value::Object(
                m.iter()
                    .map(|(k, v)| (hex::encode(serialize_key(k)), json!(hex::encode(v))))
                    .collect(),
            )
        };
        result.insert("proprietary".into(), prop(&psbt.proprietary));
        result.insert("unknown".into(), unknown(&psbt.unknown));

        let mut total_in: Option<u64> = Some(0);
        let mut inputs = Vec::new();
        for (i, input) in psbt.inputs.iter().enumerate() {
            let mut o = Map::new();
            let mut txout: Option<TxOut> = None;
            if let Some(w) = &input.witness_utxo {
                let spk = script_to_univ(
                    w.script_pubkey.as_bytes(),
                    true,
                    &InferProvider::default(),
                    params,
                );
                o.insert(
                    "witness_utxo".into(),
                    json!({"amount": amount(w.value.to_sat() as i64), "scriptPubKey": spk}),
                );
                txout = Some(w.clone());
            }
            if let Some(t) = &input.non_witness_utxo {
                let vout = psbt.unsigned_tx.input[i].previous_output.vout as usize;
                txout = t.output.get(vout).cloned().or(txout);
                o.insert(
                    "non_witness_utxo".into(),
                    tx_to_univ(t, None, false, None, TxVerbosity::Details, params),
                );
            }
            total_in = match (total_in, &txout) {
                (Some(s), Some(t)) => Some(s + t.value.to_sat()),
                _ => None,
            };
            if !input.partial_sigs.is_empty() {
                let sigs: Map<String, Value> = input
                    .partial_sigs
                    .iter()
                    .map(|(pk, sig)| (hex::encode(pk.to_bytes()), json!(hex::encode(sig.to_vec()))))
                    .collect();
                o.insert("partial_signatures".into(), Value::Object(sigs));
            }
            if let Some(t) = input.sighash_type {
                o.insert("sighash".into(), json!(sighash_to_str(t.to_u32())));
            }
            if let Some(s) = &input.redeem_script {
                o.insert("redeem_script".into(), script_json(&node, s));
            }
            if let Some(s) = &input.witness_script {
                o.insert("witness_script".into(), script_json(&node, s));
            }
            if !input.bip32_derivation.is_empty() {
                o.insert("bip32_derivs".into(), bip32_json(&input.bip32_derivation));
            }
            if let Some(s) = &input.final_script_sig {
                o.insert(
                    "final_scriptSig".into(),
                    json!({
                        "asm": widecoin_keys::script::script_to_asm(s.as_bytes(), true),
                        "hex": hex::encode(s.as_bytes()),
                    }),
                );
            }
            if let Some(w) = &input.final_script_witness {
                o.insert(
                    "final_scriptwitness".into(),
                    json!(w.iter().map(hex::encode).collect::<Vec<_>>()),
                );
            }
            if let Some(sig) = &input.tap_key_sig {
                o.insert(
                    "taproot_key_path_sig".into(),
                    json!(hex::encode(sig.to_vec())),
                );
            }
            if let Some(k) = &input.tap_internal_key {
                o.insert(
                    "taproot_internal_key".into(),
                    json!(hex::encode(k.serialize())),
                );
            }
            if let Some(m) = &input.tap_merkle_root {
                o.insert(
                    "taproot_merkle_root".into(),
                    json!(hex::encode(m.to_byte_array())),
                );
            }
            if !input.proprietary.is_empty() {
                o.insert("proprietary".into(), prop(&input.proprietary));
            }
            if !input.unknown.is_empty() {
                o.insert("unknown".into(), unknown(&input.unknown));
            }
            inputs.push(Value::Object(o));
        }
        result.insert("inputs".into(), Value::Array(inputs));
        let mut outputs = Vec::new();
        for output in &psbt.outputs {
            let mut o = Map::new();
            if let Some(s) = &output.redeem_script {
                o.insert("redeem_script".into(), script_json(&node, s));
            }
            if let Some(s) = &output.witness_script {
                o.insert("witness_script".into(), script_json(&node, s));
            }
            if !output.bip32_derivation.is_empty() {
                o.insert("bip32_derivs".into(), bip32_json(&output.bip32_derivation));
            }
            if let Some(k) = &output.tap_internal_key {
                o.insert(
                    "taproot_internal_key".into(),
                    json!(hex::encode(k.serialize())),
                );
            }
            if !output.proprietary.is_empty() {
                o.insert("proprietary".into(), prop(&output.proprietary));
            }
            if !output.unknown.is_empty() {
                o.insert("unknown".into(), unknown(&output.unknown));
            }
            outputs.push(Value::Object(o));
        }
        result.insert("outputs".into(), Value::Array(outputs));
        if let Some(total_in) = total_in {
            let out: u64 = psbt
                .unsigned_tx
                .output
                .iter()
                .map(|o| o.value.to_sat())
                .sum();
            result.insert("fee".into(), amount(total_in as i64 - out as i64));
        }
        Ok(Value::Object(result))
    })
}

/// A PSBT map key as serialized (type then key data), as Core shows it.
fn serialize_key(k: &bitcoin::psbt::raw::Key) -> Vec<u8> {
    let mut v = Vec::new();
    let mut t = bitcoin::consensus::encode::VarInt(u64::from(k.type_value));
    let _ = &mut t;
    v.extend(serialize(&t));
    v.extend_from_slice(&k.key);
    v
}

/// Core's `WriteHDKeypath`: `m`, then each step, hardened ones with `h`.
fn hd_keypath(path: &bitcoin::bip32::DerivationPath) -> String {
    let mut s = String::from("m");
    for c in path.into_iter() {
        match c {
            bitcoin::bip32::ChildNumber::Normal { index } => s.push_str(&format!("/{index}")),
            bitcoin::bip32::ChildNumber::Hardened { index } => s.push_str(&format!("/{index}h")),
        }
    }
    s
}

/// Core's `SighashToStr`.
fn sighash_to_str(t: u32) -> String {
    match t {
        0 => "DEFAULT",
        1 => "ALL",
        2 => "NONE",
        3 => "SINGLE",
        0x81 => "ALL|ANYONECANPAY",
        0x82 => "NONE|ANYONECANPAY",
        0x83 => "SINGLE|ANYONECANPAY",
        _ => "",
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::secp256k1::{Message, SecretKey};

    fn key(n: u8) -> (SecretKey, bitcoin::PublicKey) {
        let secp = Secp256k1::new();
        let sk = SecretKey::from_slice(&[n; 32]).unwrap();
        (sk, bitcoin::PublicKey::new(sk.public_key(&secp)))
    }

    fn dummy_sig(sk: &SecretKey) -> bitcoin::ecdsa::Signature {
        let secp = Secp256k1::new();
        bitcoin::ecdsa::Signature::sighash_all(secp.sign_ecdsa(&Message::from_digest([7; 32]), sk))
    }

    fn analyze(input: &bitcoin::psbt::Input, spk: &ScriptBuf) -> (bool, Missing) {
        let mut m = Missing::default();
        let solved = produce_signature(input, spk.as_bytes(), &mut m);
        (solved, m)
    }

    #[test]
    fn p2wpkh_missing_pubkey_then_signature() {
        let (sk, pk) = key(1);
        let spk = ScriptBuf::new_p2wpkh(&pk.wpubkey_hash().unwrap());
        let mut input = bitcoin::psbt::Input::default();
        let (solved, m) = analyze(&input, &spk);
        assert!(!solved);
        assert_eq!(m.pubkeys, vec![hash160_of(&pk.to_bytes())]);
        assert!(m.sigs.is_empty() && !m.only_signatures());
        assert_eq!(
            m.to_json().unwrap(),
            json!({"pubkeys": [hex::encode(hash160_of(&pk.to_bytes()))]})
        );
        // With a BIP 32 path the key is known: only the signature is missing.
        input
            .bip32_derivation
            .insert(pk.inner, (Default::default(), Default::default()));
        let (solved, m) = analyze(&input, &spk);
        assert!(!solved);
        assert!(m.only_signatures());
        assert_eq!(m.sigs, vec![hash160_of(&pk.to_bytes())]);
        input.partial_sigs.insert(pk, dummy_sig(&sk));
        let (solved, m) = analyze(&input, &spk);
        assert!(solved);
        assert!(m.to_json().is_none());
    }

    #[test]
    fn scripts_missing_by_hash() {
        let (_, pk1) = key(1);
        let (sk2, pk2) = key(2);
        let ms = bitcoin::blockdata::script::Builder::new()
            .push_int(1)
            .push_key(&pk1)
            .push_key(&pk2)
            .push_int(2)
            .push_opcode(bitcoin::opcodes::all::OP_CHECKMULTISIG)
            .into_script();
        let p2wsh = ScriptBuf::new_p2wsh(&ms.wscript_hash());
        let p2sh = ScriptBuf::new_p2sh(&p2wsh.script_hash());
        let mut input = bitcoin::psbt::Input::default();
        let (_, m) = analyze(&input, &p2sh);
        assert_eq!(m.redeem_script, Some(hash160_of(p2wsh.as_bytes())));
        input.redeem_script = Some(p2wsh.clone());
        let (_, m) = analyze(&input, &p2sh);
        assert_eq!(m.redeem_script, None);
        assert_eq!(
            m.witness_script.map(hex::encode),
            Some(hex::encode(ms.wscript_hash().to_byte_array()))
        );
        input.witness_script = Some(ms.clone());
        let (solved, m) = analyze(&input, &p2sh);
        assert!(!solved);
        // Every key of the multisig is listed.
        assert_eq!(
            m.sigs,
            vec![hash160_of(&pk1.to_bytes()), hash160_of(&pk2.to_bytes())]
        );
        assert!(m.only_signatures());
        input.partial_sigs.insert(pk2, dummy_sig(&sk2));
        let (solved, m) = analyze(&input, &p2sh);
        assert!(solved);
        assert_eq!(m.sigs, vec![hash160_of(&pk1.to_bytes())]);
    }
}
