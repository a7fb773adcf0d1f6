//! Raw transactions without a wallet (Core's `rpc/rawtransaction.cpp` and
//! `rpc/rawtransaction_util.cpp`): `createrawtransaction`,
//! `combinerawtransaction`, `signrawtransactionwithkey`, and what
//! `createpsbt` shares with them.

use std::collections::HashSet;
use std::sync::Arc;

use bitcoin::absolute::LockTime;
use bitcoin::consensus::serialize;
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use serde_json::{json, Value};
use widecoin_keys::sign::{self, KeyStore, MISSING_AMOUNT};
use widecoin_keys::{decode_destination, decode_secret, script_for_destination};
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcErrorCode, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use super::rawtransaction::decode_hex_tx;
use crate::context::NodeContext;

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(createrawtransaction(node.clone()));
    table.register(combinerawtransaction(node.clone()));
    table.register(signrawtransactionwithkey(node.clone()));
}

const MAX_BIP125_RBF_SEQUENCE: u32 = 0xffff_fffd;
const LOCKTIME_MAX: i64 = 0xffff_ffff;

/// Core's `AmountFromValue` (8 decimals).
pub fn amount_from_value(v: &Value) -> Result<i64, RpcError> {
    amount_from_value_decimals(v, 8)
}

/// Core's `AmountFromValue` with `decimals` digits allowed after the point
/// (a JSON number or a string, exponent notation included: Python sends
/// 0.00001 as `1e-05`), then the money range check.
pub fn amount_from_value_decimals(v: &Value, decimals: u32) -> Result<i64, RpcError> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err(RpcError::type_error("Amount is not a number or string")),
    };
    let sats =
        parse_fixed_point(&text, decimals).ok_or_else(|| RpcError::type_error("Invalid amount"))?;
    if !(0..=35_000_000 * 100_000_000).contains(&sats) {
        return Err(RpcError::type_error("Amount out of range"));
    }
    Ok(sats)
}

/// Core's `ParseFixedPoint`: a JSON number (`-`, digits, optional fraction,
/// optional exponent) as an integer of `10^-decimals` units; `None` when it
/// is malformed, has more precision than `decimals`, or reaches 10^18 units.
pub fn parse_fixed_point(text: &str, decimals: u32) -> Option<i64> {
    const BOUND: i64 = 1_000_000_000_000_000_000 - 1;
    let b = text.as_bytes();
    let mut i = 0;
    let negative = b.first() == Some(&b'-');
    if negative {
        i += 1;
    }
    // Significant digits, with trailing zeros counted apart (so that long
    // zero tails do not overflow before the exponent is known).
    let mut mantissa: i64 = 0;
    let mut zeros: i64 = 0;
    let digit = |d: u8, mantissa: &mut i64, zeros: &mut i64| -> bool {
        if d == b'0' {
            *zeros += 1;
            return true;
        }
        for _ in 0..=*zeros {
            if *mantissa > BOUND / 10 {
                return false;
            }
            *mantissa *= 10;
        }
        *mantissa += i64::from(d - b'0');
        *zeros = 0;
        true
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while let Some(&d) = b.get(i).filter(|d| d.is_ascii_digit()) {
                if !digit(d, &mut mantissa, &mut zeros) {
                    return None;
                }
                i += 1;
            }
        }
        _ => return None,
    }
    let mut fraction_digits: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while let Some(&d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if !digit(d, &mut mantissa, &mut zeros) {
                return None;
            }
            i += 1;
            fraction_digits += 1;
        }
    }
    let mut exponent: i64 = 0;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exp_negative = match b.get(i) {
            Some(b'+') => {
                i += 1;
                false
            }
            Some(b'-') => {
                i += 1;
                true
            }
            _ => false,
        };
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while let Some(&d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if exponent > BOUND / 10 {
                return None;
            }
            exponent = exponent * 10 + i64::from(d - b'0');
            i += 1;
        }
        if exp_negative {
            exponent = -exponent;
        }
    }
    if i != b.len() {
        return None;
    }
    let scale = exponent - fraction_digits + zeros + i64::from(decimals);
    if !(0..18).contains(&scale) {
        return None;
    }
    let mut value = if negative { -mantissa } else { mantissa };
    for _ in 0..scale {
        if !(-(BOUND / 10)..=BOUND / 10).contains(&value) {
            return None;
        }
        value *= 10;
    }
    (-BOUND..=BOUND).contains(&value).then_some(value)
}

/// Core's `ParseHashO`/`ParseHashV` for a txid.
pub fn parse_txid(v: &Value, name: &str) -> Result<Txid, RpcError> {
    let s = v
        .as_str()
        .ok_or_else(|| RpcError::type_error(widecoin_rpc::type_error_message(v, "string")))?;
    let hash = super::parse_hash_v(s, name)?;
    Ok(Txid::from_byte_array(hash.to_byte_array()))
}

/// Core's `ParseHexV`.
pub fn parse_hex_v(v: &Value, name: &str) -> Result<Vec<u8>, RpcError> {
    let s = v.as_str().unwrap_or_default();
    hex::decode(s).map_err(|_| {
        RpcError::invalid_parameter(format!("{name} must be hexadecimal string (not '{s}')"))
    })
}

/// Core's `CreateTxDoc`: the arguments of `createrawtransaction` and `createpsbt`.
pub fn create_tx_doc() -> Vec<RpcArg> {
    vec![
        RpcArg::required("inputs", ArgType::Arr, "The inputs").inner(vec![
            RpcArg::omitted("", ArgType::Obj, "").inner(vec![
                RpcArg::required("txid", ArgType::StrHex, "The transaction id"),
                RpcArg::required("vout", ArgType::Num, "The output number"),
                RpcArg::with_hint("sequence", ArgType::Num, "depends on the value of the 'replaceable' and 'locktime' arguments", "The sequence number"),
            ]),
        ]),
        RpcArg::required("outputs", ArgType::Arr, "The outputs specified as key-value pairs.\nEach key may only appear once, i.e. there can only be one 'data' output, and no address may be duplicated.\nAt least one output of either type must be specified.\nFor compatibility reasons, a dictionary, which holds the key-value pairs directly, is also\n                             accepted as second parameter.").inner(vec![
            RpcArg::omitted("", ArgType::ObjUserKeys, "").inner(vec![
                RpcArg::required("address", ArgType::Amount, "A key-value pair. The key (string) is the widecoin address, the value (float or string) is the amount in WCN"),
            ]),
            RpcArg::omitted("", ArgType::Obj, "").inner(vec![
                RpcArg::required("data", ArgType::StrHex, "A key-value pair. The key must be \"data\", the value is hex-encoded data"),
            ]),
        ]).skip_type_check(),
        RpcArg::with_default("locktime", ArgType::Num, json!(0), "Raw locktime. Non-0 value also locktime-activates inputs"),
        RpcArg::with_default("replaceable", ArgType::Bool, json!(true), "Marks this transaction as BIP125-replaceable.\nAllows this transaction to be replaced by a transaction with higher fees. If provided, it is an error if explicit sequence numbers are incompatible."),
    ]
}

/// Core's `ConstructTransaction`.
pub fn construct_transaction(
    node: &NodeContext,
    inputs: &Value,
    outputs: &Value,
    outputs_entries: Option<Vec<(String, Value)>>,
    locktime: &Value,
    rbf: Option<bool>,
) -> Result<Transaction, RpcError> {
    let mut tx = Transaction {
        version: Version(2),
        lock_time: LockTime::ZERO,
        input: vec![],
        output: vec![],
    };
    if !locktime.is_null() {
        let n = locktime.as_i64().ok_or_else(|| {
            RpcError::type_error(widecoin_rpc::type_error_message(locktime, "number"))
        })?;
        if !(0..=LOCKTIME_MAX).contains(&n) {
            return Err(RpcError::invalid_parameter(
                "Invalid parameter, locktime out of range",
            ));
        }
        tx.lock_time = LockTime::from_consensus(n as u32);
    }
    // AddInputs
    let empty = Vec::new();
    let inputs = match inputs {
        Value::Null => &empty,
        Value::Array(a) => a,
        v => {
            return Err(RpcError::type_error(widecoin_rpc::type_error_message(
                v, "array",
            )))
        }
    };
    for input in inputs {
        let o = input.as_object().ok_or_else(|| {
            RpcError::type_error(widecoin_rpc::type_error_message(input, "object"))
        })?;
        let txid = parse_txid(o.get("txid").unwrap_or(&Value::Null), "txid")?;
        let vout = match o.get("vout") {
            Some(v) if v.is_number() => v.as_i64().unwrap_or(-1),
            _ => {
                return Err(RpcError::invalid_parameter(
                    "Invalid parameter, missing vout key",
                ))
            }
        };
        if vout < 0 {
            return Err(RpcError::invalid_parameter(
                "Invalid parameter, vout cannot be negative",
            ));
        }
        let mut sequence = if rbf.unwrap_or(true) {
            MAX_BIP125_RBF_SEQUENCE
        } else if tx.lock_time.to_consensus_u32() != 0 {
            0xffff_fffe
        } else {
            0xffff_ffff
        };
        if let Some(s) = o.get("sequence").filter(|s| s.is_number()) {
            let n = s.as_i64().unwrap_or(-1);
            if !(0..=0xffff_ffff).contains(&n) {
                return Err(RpcError::invalid_parameter(
                    "Invalid parameter, sequence number is out of range",
                ));
            }
            sequence = n as u32;
        }
        tx.input.push(TxIn {
            previous_output: OutPoint::new(txid, vout as u32),
            script_sig: ScriptBuf::new(),
            sequence: Sequence(sequence),
            witness: Witness::new(),
        });
    }
    // AddOutputs
    if outputs.is_null() {
        return Err(RpcError::invalid_parameter(
            "Invalid parameter, output argument must be non-null",
        ));
    }
    let mut pairs: Vec<(String, Value)> = Vec::new();
    match outputs {
        // The client's entries, repeated keys kept, when the request carries them.
        Value::Object(m) => match outputs_entries {
            Some(entries) => pairs = entries,
            None => pairs.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
        },
        Value::Array(a) => {
            for output in a {
                let Some(m) = output.as_object() else {
                    return Err(RpcError::invalid_parameter(
                        "Invalid parameter, key-value pair not an object as expected",
                    ));
                };
                if m.len() != 1 {
                    return Err(RpcError::invalid_parameter(
                        "Invalid parameter, key-value pair must contain exactly one key",
                    ));
                }
                // Core's pushKVs appends: a repeated key is caught below.
                for (k, v) in m {
                    pairs.push((k.clone(), v.clone()));
                }
            }
        }
        v => {
            return Err(RpcError::type_error(widecoin_rpc::type_error_message(
                v, "array",
            )))
        }
    }
    let mut seen: HashSet<ScriptBuf> = HashSet::new();
    let mut has_data = false;
    for (name, value) in &pairs {
        if name == "data" {
            if has_data {
                return Err(RpcError::invalid_parameter(
                    "Invalid parameter, duplicate key: data",
                ));
            }
            has_data = true;
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let data = parse_hex_v(&json!(text), "Data")?;
            let push = bitcoin::script::PushBytesBuf::try_from(data)
                .map_err(|_| RpcError::invalid_parameter("Data too large"))?;
            tx.output.push(TxOut {
                value: Amount::ZERO,
                script_pubkey: ScriptBuf::new_op_return(push),
            });
        } else {
            let dest = decode_destination(name, &node.chain_params)
                .ok()
                .filter(|d| d.is_valid())
                .ok_or_else(|| {
                    RpcError::new(
                        RpcErrorCode::INVALID_ADDRESS_OR_KEY,
                        format!("Invalid Widecoin address: {name}"),
                    )
                })?;
            let spk = script_for_destination(&dest);
            if !seen.insert(spk.clone()) {
                return Err(RpcError::invalid_parameter(format!(
                    "Invalid parameter, duplicated address: {name}"
                )));
            }
            let amount = amount_from_value(value)?;
            tx.output.push(TxOut {
                value: Amount::from_sat(amount as u64),
                script_pubkey: spk,
            });
        }
    }
    if rbf == Some(true)
        && !tx.input.is_empty()
        && !tx
            .input
            .iter()
            .any(|i| i.sequence.0 <= MAX_BIP125_RBF_SEQUENCE)
    {
        return Err(RpcError::invalid_parameter(
            "Invalid parameter combination: Sequence number(s) contradict replaceable option",
        ));
    }
    Ok(tx)
}

/// Core's `EncodeHexTx`: the witness serialization only when an input has
/// a witness (the `bitcoin` crate also uses it for a transaction without
/// inputs, Core does not).
pub fn encode_hex_tx(tx: &Transaction) -> String {
    if !tx.input.is_empty() {
        return hex::encode(serialize(tx));
    }
    let mut v = Vec::new();
    v.extend_from_slice(&tx.version.0.to_le_bytes());
    v.push(0);
    v.extend(serialize(&tx.output));
    v.extend_from_slice(&tx.lock_time.to_consensus_u32().to_le_bytes());
    hex::encode(v)
}

/// Core's `FindCoins`: each outpoint's output from the mempool or the UTXO
/// set, `None` when neither has it.
pub fn find_coins(node: &NodeContext, outpoints: &[OutPoint]) -> Vec<Option<TxOut>> {
    let cm = node.chain.lock();
    let pool = node.pool.lock();
    outpoints
        .iter()
        .map(|op| {
            if let Some(e) = pool.get(&op.txid) {
                return e.tx.output.get(op.vout as usize).cloned();
            }
            cm.get_coin(op).ok().flatten().map(|c| c.output)
        })
        .collect()
}

fn createrawtransaction(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "createrawtransaction",
        "\nCreate a transaction spending the given inputs and creating new outputs.\nOutputs can be addresses or data.\nReturns hex-encoded raw transaction.\nNote that the transaction's inputs are not signed, and\nit is not stored in the wallet or transmitted to the network.\n",
        create_tx_doc(),
        vec![RpcResult::new(ResultType::StrHex, "transaction", "hex string of the transaction")],
        help_example_cli("createrawtransaction", "\"[{\\\"txid\\\":\\\"myid\\\",\\\"vout\\\":0}]\" \"[{\\\"address\\\":0.01}]\"")
            + &help_example_cli("createrawtransaction", "\"[{\\\"txid\\\":\\\"myid\\\",\\\"vout\\\":0}]\" \"[{\\\"data\\\":\\\"00010203\\\"}]\"")
            + &help_example_rpc("createrawtransaction", "\"[{\\\"txid\\\":\\\"myid\\\",\\\"vout\\\":0}]\", \"[{\\\"address\\\":0.01}]\"")
            + &help_example_rpc("createrawtransaction", "\"[{\\\"txid\\\":\\\"myid\\\",\\\"vout\\\":0}]\", \"[{\\\"data\\\":\\\"00010203\\\"}]\""),
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
        Ok(json!(encode_hex_tx(&tx)))
    })
}

/// Core's `ParsePrevouts`: outputs given by the caller (amount `MAX_MONEY`
/// when not given) replace the found ones; their redeem and witness scripts
/// go to `store`.
fn parse_prevouts(
    prevtxs: &Value,
    tx: &Transaction,
    coins: &mut [Option<TxOut>],
    store: &mut KeyStore,
) -> Result<(), RpcError> {
    let Some(list) = prevtxs.as_array() else {
        return Ok(());
    };
    for p in list {
        let Some(o) = p.as_object() else {
            return Err(RpcError::new(
                RpcErrorCode::DESERIALIZATION_ERROR,
                "expected object with {\"txid'\",\"vout\",\"scriptPubKey\"}",
            ));
        };
        for (key, want) in [
            ("txid", "string"),
            ("vout", "number"),
            ("scriptPubKey", "string"),
        ] {
            let v = o.get(key).unwrap_or(&Value::Null);
            let ok = if want == "number" {
                v.is_number()
            } else {
                v.is_string()
            };
            if !ok {
                return Err(RpcError::type_error(format!(
                    "JSON value of type {} for field {key} is not of expected type {want}",
                    widecoin_rpc::json_type_name(v)
                )));
            }
        }
        let txid = parse_txid(&o["txid"], "txid")?;
        let vout = o["vout"].as_i64().unwrap_or(-1);
        if vout < 0 {
            return Err(RpcError::new(
                RpcErrorCode::DESERIALIZATION_ERROR,
                "vout cannot be negative",
            ));
        }
        let spk = ScriptBuf::from_bytes(parse_hex_v(&o["scriptPubKey"], "scriptPubKey")?);
        let op = OutPoint::new(txid, vout as u32);
        let value = match o.get("amount") {
            Some(a) => amount_from_value(a)? as u64,
            None => MISSING_AMOUNT,
        };
        for (i, input) in tx.input.iter().enumerate() {
            if input.previous_output != op {
                continue;
            }
            if let Some(c) = &coins[i] {
                if c.script_pubkey != spk {
                    return Err(RpcError::new(
                        RpcErrorCode::DESERIALIZATION_ERROR,
                        format!(
                            "Previous output scriptPubKey mismatch:\n{}\nvs:\n{}",
                            widecoin_keys::script::script_to_asm(c.script_pubkey.as_bytes(), false),
                            widecoin_keys::script::script_to_asm(spk.as_bytes(), false)
                        ),
                    ));
                }
            }
            coins[i] = Some(TxOut {
                value: Amount::from_sat(value),
                script_pubkey: spk.clone(),
            });
        }
        if store.has_keys() && (spk.is_p2sh() || spk.is_p2wsh()) {
            let rs = o.get("redeemScript").filter(|v| !v.is_null());
            let ws = o.get("witnessScript").filter(|v| !v.is_null());
            for (k, v) in [("redeemScript", rs), ("witnessScript", ws)] {
                if let Some(v) = v {
                    if !v.is_string() {
                        return Err(RpcError::type_error(format!(
                            "JSON value of type {} for field {k} is not of expected type string",
                            widecoin_rpc::json_type_name(v)
                        )));
                    }
                }
            }
            let script = match (ws, rs) {
                (Some(w), _) => ScriptBuf::from_bytes(parse_hex_v(w, "witnessScript")?),
                (None, Some(r)) => ScriptBuf::from_bytes(parse_hex_v(r, "redeemScript")?),
                (None, None) => {
                    return Err(RpcError::invalid_parameter(
                        "Missing redeemScript/witnessScript",
                    ))
                }
            };
            let p2wsh = ScriptBuf::new_p2wsh(&script.wscript_hash());
            store.add_script(script.clone());
            store.add_script(p2wsh.clone());
            if let (Some(w), Some(r)) = (ws, rs) {
                if w != r {
                    let redeem = ScriptBuf::from_bytes(parse_hex_v(r, "redeemScript")?);
                    if redeem != p2wsh {
                        return Err(RpcError::invalid_parameter(
                            "redeemScript does not correspond to witnessScript",
                        ));
                    }
                }
            }
            let matches = if spk.is_p2sh() {
                spk == ScriptBuf::new_p2sh(&script.script_hash())
                    || spk == ScriptBuf::new_p2sh(&p2wsh.script_hash())
            } else {
                spk == p2wsh
            };
            if !matches {
                return Err(RpcError::invalid_parameter(
                    "redeemScript/witnessScript does not match scriptPubKey",
                ));
            }
        }
    }
    Ok(())
}

/// Core's `TxInErrorToJSON`.
fn input_error_json(input: &TxIn, error: &str) -> Value {
    json!({
        "txid": input.previous_output.txid.to_string(),
        "vout": input.previous_output.vout,
        "witness": input.witness.iter().map(hex::encode).collect::<Vec<_>>(),
        "scriptSig": hex::encode(input.script_sig.as_bytes()),
        "sequence": input.sequence.0,
        "error": error,
    })
}

/// The sighash argument (Core's `ParseSighashString`).
pub fn parse_sighash_arg(v: &Value) -> Result<u32, RpcError> {
    match v {
        Value::Null => Ok(0),
        Value::String(s) => sign::parse_sighash(s).ok_or_else(|| {
            RpcError::invalid_parameter(format!("{s} is not a valid sighash parameter."))
        }),
        other => Err(RpcError::type_error(widecoin_rpc::type_error_message(
            other, "string",
        ))),
    }
}

/// Signs `tx` and builds Core's result object (`SignTransactionResultToJSON`).
pub fn sign_and_report(
    tx: &mut Transaction,
    store: &KeyStore,
    coins: &[Option<TxOut>],
    sighash: u32,
) -> Result<Value, RpcError> {
    let errors = sign::sign_transaction(tx, store, coins, sighash).map_err(|i| {
        let out = coins[i].clone().expect("found");
        RpcError::type_error(format!(
            "Missing amount for CTxOut(nValue={}.{:08}, scriptPubKey={})",
            out.value.to_sat() / 100_000_000,
            out.value.to_sat() % 100_000_000,
            hex::encode(&out.script_pubkey.as_bytes()[..out.script_pubkey.len().min(30)])
        ))
    })?;
    let mut result = serde_json::Map::new();
    result.insert("hex".into(), json!(encode_hex_tx(tx)));
    result.insert("complete".into(), json!(errors.is_empty()));
    if !errors.is_empty() {
        let list: Vec<Value> = errors
            .iter()
            .map(|(i, e)| input_error_json(&tx.input[*i], e))
            .collect();
        result.insert("errors".into(), Value::Array(list));
    }
    Ok(Value::Object(result))
}

fn signrawtransactionwithkey(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "signrawtransactionwithkey",
        "\nSign inputs for raw transaction (serialized, hex-encoded).\nThe second argument is an array of base58-encoded private\nkeys that will be the only keys used to sign the transaction.\nThe third optional argument (may be null) is an array of previous transaction outputs that\nthis transaction depends on but may not yet be in the block chain.\n",
        vec![
            RpcArg::required("hexstring", ArgType::Str, "The transaction hex string"),
            RpcArg::required("privkeys", ArgType::Arr, "The base58-encoded private keys for signing").inner(vec![
                RpcArg::omitted("privatekey", ArgType::StrHex, "private key in base58-encoding"),
            ]),
            RpcArg::omitted("prevtxs", ArgType::Arr, "The previous dependent transaction outputs").inner(vec![
                RpcArg::omitted("", ArgType::Obj, "").inner(vec![
                    RpcArg::required("txid", ArgType::StrHex, "The transaction id"),
                    RpcArg::required("vout", ArgType::Num, "The output number"),
                    RpcArg::required("scriptPubKey", ArgType::StrHex, "script key"),
                    RpcArg::omitted("redeemScript", ArgType::StrHex, "(required for P2SH) redeem script"),
                    RpcArg::omitted("witnessScript", ArgType::StrHex, "(required for P2WSH or P2SH-P2WSH) witness script"),
                    RpcArg::omitted("amount", ArgType::Amount, "(required for Segwit inputs) the amount spent"),
                ]),
            ]),
            RpcArg::with_hint("sighashtype", ArgType::Str, "DEFAULT for Taproot, ALL otherwise", "The signature hash type. Must be one of:\n       \"DEFAULT\"\n       \"ALL\"\n       \"NONE\"\n       \"SINGLE\"\n       \"ALL|ANYONECANPAY\"\n       \"NONE|ANYONECANPAY\"\n       \"SINGLE|ANYONECANPAY\"\n"),
        ],
        vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::StrHex, "hex", "The hex-encoded raw transaction with signature(s)"),
            r(ResultType::Bool, "complete", "If the transaction has a complete set of signatures"),
            r(ResultType::Arr, "errors", "Script verification errors (if there are any)").optional().inner(vec![
                r(ResultType::Obj, "", "").inner(vec![
                    r(ResultType::StrHex, "txid", "The hash of the referenced, previous transaction"),
                    r(ResultType::Num, "vout", "The index of the output to spent and used as input"),
                    r(ResultType::Arr, "witness", "").inner(vec![r(ResultType::StrHex, "witness", "")]),
                    r(ResultType::StrHex, "scriptSig", "The hex-encoded signature script"),
                    r(ResultType::Num, "sequence", "Script sequence number"),
                    r(ResultType::Str, "error", "Verification or signing error related to the input"),
                ]),
            ]),
        ])],
        help_example_cli("signrawtransactionwithkey", "\"myhex\" \"[\\\"key1\\\",\\\"key2\\\"]\"")
            + &help_example_rpc("signrawtransactionwithkey", "\"myhex\", \"[\\\"key1\\\",\\\"key2\\\"]\""),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let hex_str: String = req.arg(0)?;
        let mut tx = decode_hex_tx(&hex_str, true, true).ok_or_else(|| {
            RpcError::new(
                RpcErrorCode::DESERIALIZATION_ERROR,
                "TX decode failed. Make sure the tx has at least one input.",
            )
        })?;
        let mut store = KeyStore::new();
        for k in req.param(1).as_array().into_iter().flatten() {
            let secret = k
                .as_str()
                .and_then(|s| decode_secret(s, &node.chain_params))
                .ok_or_else(|| {
                    RpcError::new(RpcErrorCode::INVALID_ADDRESS_OR_KEY, "Invalid private key")
                })?;
            store.add_key(bitcoin::PrivateKey {
                compressed: secret.compressed,
                network: bitcoin::NetworkKind::Test,
                inner: secret.key,
            });
        }
        let outpoints: Vec<OutPoint> = tx.input.iter().map(|i| i.previous_output).collect();
        let mut coins = find_coins(&node, &outpoints);
        parse_prevouts(req.param(2), &tx, &mut coins, &mut store)?;
        let sighash = parse_sighash_arg(req.param(3))?;
        sign_and_report(&mut tx, &store, &coins, sighash)
    })
}

fn combinerawtransaction(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "combinerawtransaction",
        "\nCombine multiple partially signed transactions into one transaction.\nThe combined transaction may be another partially signed transaction or a \nfully signed transaction.",
        vec![RpcArg::required("txs", ArgType::Arr, "The hex strings of partially signed transactions").inner(vec![
            RpcArg::omitted("hexstring", ArgType::StrHex, "A hex-encoded raw transaction"),
        ])],
        vec![RpcResult::new(ResultType::Str, "", "The hex-encoded raw transaction with signature(s)")],
        help_example_cli("combinerawtransaction", r#"'["myhex1", "myhex2", "myhex3"]'"#),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let mut variants = Vec::new();
        for (i, v) in req.param(0).as_array().into_iter().flatten().enumerate() {
            let tx = v
                .as_str()
                .and_then(|s| decode_hex_tx(s, true, true))
                .ok_or_else(|| {
                    RpcError::new(
                        RpcErrorCode::DESERIALIZATION_ERROR,
                        format!(
                            "TX decode failed for tx {i}. Make sure the tx has at least one input."
                        ),
                    )
                })?;
            variants.push(tx);
        }
        let Some(first) = variants.first() else {
            return Err(RpcError::new(
                RpcErrorCode::DESERIALIZATION_ERROR,
                "Missing transactions",
            ));
        };
        let mut merged = first.clone();
        let outpoints: Vec<OutPoint> = merged.input.iter().map(|i| i.previous_output).collect();
        let coins = find_coins(&node, &outpoints);
        if coins.iter().any(Option::is_none) {
            return Err(RpcError::new(
                RpcErrorCode::VERIFY_ERROR,
                "Input not found or already spent",
            ));
        }
        let spent: Vec<TxOut> = coins.into_iter().map(|c| c.expect("checked")).collect();
        let base = merged.clone();
        for i in 0..merged.input.len() {
            let copies: Vec<&TxIn> = variants.iter().filter_map(|v| v.input.get(i)).collect();
            let (script_sig, witness) = sign::combine_input(&base, i, &spent, &copies);
            merged.input[i].script_sig = script_sig;
            merged.input[i].witness = witness;
        }
        Ok(json!(encode_hex_tx(&merged)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_fixed_point_as_core() {
        let p = |s: &str| parse_fixed_point(s, 8);
        assert_eq!(p("0"), Some(0));
        assert_eq!(p("1"), Some(100_000_000));
        assert_eq!(p("0.00001000"), Some(1000));
        // Python's json sends 0.00001 as 1e-05.
        assert_eq!(p("1e-05"), Some(1000));
        assert_eq!(p("1E+2"), Some(10_000_000_000));
        assert_eq!(p("-0.5"), Some(-50_000_000));
        assert_eq!(p("0.000000001"), None);
        assert_eq!(p("1e-9"), None);
        assert_eq!(p("10000000000"), None);
        assert_eq!(
            p("1000000000.00000000000000000000"),
            Some(100_000_000_000_000_000)
        );
        for bad in [
            "", "-", ".5", "1.", "01", "1e", "1e+", " 1", "1 ", "0x1", "+1", "1..0",
        ] {
            assert_eq!(p(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn amounts_in_range_only() {
        assert_eq!(amount_from_value(&json!(1e-5)).unwrap(), 1000);
        assert_eq!(amount_from_value(&json!("0.1")).unwrap(), 10_000_000);
        let e = amount_from_value(&json!(-1)).unwrap_err();
        assert_eq!(e.message, "Amount out of range");
        let e = amount_from_value(&json!("1.123456789")).unwrap_err();
        assert_eq!(e.message, "Invalid amount");
        let e = amount_from_value(&json!(true)).unwrap_err();
        assert_eq!(e.message, "Amount is not a number or string");
    }
}
