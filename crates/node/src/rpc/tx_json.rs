//! Transactions as JSON, exactly as Core's `TxToUniv` (`core_write.cpp`)
//! writes them for `getblock` (verbosity 2 and 3) and `decoderawtransaction`.

use bitcoin::consensus::serialize;
use bitcoin::{BlockHash, Transaction};
use serde_json::{json, Map, Value};
use widecoin_chainparams::ChainParams;
use widecoin_chainstate::undo::TxUndo;
use widecoin_keys::descriptor::InferProvider;
use widecoin_keys::script::script_to_asm;

use super::output_script::script_to_univ;
use super::util::amount;

/// How much `TxToUniv` shows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TxVerbosity {
    /// `SHOW_DETAILS`: no prevouts.
    Details,
    /// `SHOW_DETAILS_AND_PREVOUT`: inputs carry the coins they spend.
    DetailsAndPrevout,
}

fn script_pub_key(script: &[u8], params: &ChainParams) -> Value {
    Value::Object(script_to_univ(
        script,
        true,
        &InferProvider::default(),
        params,
    ))
}

/// Core's `TxToUniv`. `undo` (the coins the inputs spent) adds the fee, and
/// with [`TxVerbosity::DetailsAndPrevout`] each input's prevout.
pub fn tx_to_univ(
    tx: &Transaction,
    block_hash: Option<&BlockHash>,
    include_hex: bool,
    undo: Option<&TxUndo>,
    verbosity: TxVerbosity,
    params: &ChainParams,
) -> Value {
    let mut entry = Map::new();
    let weight = tx.weight().to_wu();
    entry.insert("txid".into(), json!(tx.compute_txid().to_string()));
    entry.insert("hash".into(), json!(tx.compute_wtxid().to_string()));
    entry.insert("version".into(), json!(tx.version.0 as u32));
    entry.insert("size".into(), json!(tx.total_size()));
    entry.insert("vsize".into(), json!(weight.div_ceil(4)));
    entry.insert("weight".into(), json!(weight));
    entry.insert("locktime".into(), json!(tx.lock_time.to_consensus_u32()));

    let mut total_in: i64 = 0;
    let mut vin = Vec::with_capacity(tx.input.len());
    for (i, txin) in tx.input.iter().enumerate() {
        let mut input = Map::new();
        if tx.is_coinbase() {
            input.insert(
                "coinbase".into(),
                json!(hex::encode(txin.script_sig.as_bytes())),
            );
        } else {
            input.insert("txid".into(), json!(txin.previous_output.txid.to_string()));
            input.insert("vout".into(), json!(txin.previous_output.vout));
            input.insert(
                "scriptSig".into(),
                json!({
                    "asm": script_to_asm(txin.script_sig.as_bytes(), true),
                    "hex": hex::encode(txin.script_sig.as_bytes()),
                }),
            );
        }
        if !txin.witness.is_empty() {
            let items: Vec<String> = txin.witness.iter().map(hex::encode).collect();
            input.insert("txinwitness".into(), json!(items));
        }
        if let Some(coin) = undo.and_then(|u| u.prevouts.get(i)) {
            let value = coin.output.value.to_sat() as i64;
            total_in += value;
            if verbosity == TxVerbosity::DetailsAndPrevout {
                input.insert(
                    "prevout".into(),
                    json!({
                        "generated": coin.coinbase,
                        "height": coin.height,
                        "value": amount(value),
                        "scriptPubKey": script_pub_key(coin.output.script_pubkey.as_bytes(), params),
                    }),
                );
            }
        }
        input.insert("sequence".into(), json!(txin.sequence.0));
        vin.push(Value::Object(input));
    }
    entry.insert("vin".into(), Value::Array(vin));

    let mut total_out: i64 = 0;
    let vout: Vec<Value> = tx
        .output
        .iter()
        .enumerate()
        .map(|(n, out)| {
            total_out += out.value.to_sat() as i64;
            json!({
                "value": amount(out.value.to_sat() as i64),
                "n": n,
                "scriptPubKey": script_pub_key(out.script_pubkey.as_bytes(), params),
            })
        })
        .collect();
    entry.insert("vout".into(), Value::Array(vout));
    if undo.is_some() {
        entry.insert("fee".into(), amount(total_in - total_out));
    }
    if let Some(hash) = block_hash {
        entry.insert("blockhash".into(), json!(hash.to_string()));
    }
    if include_hex {
        entry.insert("hex".into(), json!(hex::encode(serialize(tx))));
    }
    Value::Object(entry)
}
