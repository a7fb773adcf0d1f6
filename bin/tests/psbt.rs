//! Raw transactions and PSBTs without a wallet: a P2WPKH coin signed with
//! `signrawtransactionwithkey` and accepted by the mempool; a PSBT taken
//! from `createpsbt` through `utxoupdatepsbt`, `descriptorprocesspsbt` and
//! `finalizepsbt` to `sendrawtransaction`.

mod common;

use common::*;
use serde_json::{json, Value};
use widecoin_test_utils::TestNode;

/// Regtest WIF keys (compressed) of the secrets 0x01.. and 0x02...
const KEY_A: &str = "cMceqPhHedrhbcR9eXgzmfWy7kRqLyAxMYwFT6ABDWsiwUp9Nsq9";
const KEY_B: &str = "cMec2DGaTXkYJYfi7x3ZGjRXkeqmAvYAoWzMAcWj5fdLaqudWsNi";

fn with_checksum(node: &TestNode, desc: &str) -> String {
    rpc(node, "getdescriptorinfo", json!([desc]))["descriptor"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn address_of(node: &TestNode, desc: &str) -> String {
    let d = with_checksum(node, desc);
    rpc(node, "deriveaddresses", json!([d]))[0]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The coinbase of block `height`: (txid, value in WCN as JSON).
fn coinbase(node: &TestNode, height: u32) -> (String, Value) {
    let hash = rpc(node, "getblockhash", json!([height]));
    let block = rpc(node, "getblock", json!([hash, 2]));
    let cb = &block["tx"][0];
    (
        cb["txid"].as_str().unwrap().to_owned(),
        cb["vout"][0]["value"].clone(),
    )
}

#[test]
fn sign_a_p2wpkh_spend_with_a_key() {
    let node = start(options().arg("-rpcdoccheck"));
    let addr_a = address_of(&node, &format!("wpkh({KEY_A})"));
    let addr_b = address_of(&node, &format!("wpkh({KEY_B})"));
    assert!(addr_a.starts_with("wcrt1q"), "{addr_a}");
    rpc(&node, "generatetoaddress", json!([60, addr_a]));
    let (txid, value) = coinbase(&node, 2);
    assert_eq!(value.to_string(), "50.00000000");

    let raw = rpc(
        &node,
        "createrawtransaction",
        json!([[{"txid": txid, "vout": 0}], [{addr_b.clone(): 49.999}]]),
    );
    let decoded = rpc(&node, "decoderawtransaction", json!([raw]));
    // Replaceable by default.
    assert_eq!(decoded["vin"][0]["sequence"], 0xffff_fffd_u32);
    assert_eq!(decoded["vout"][0]["scriptPubKey"]["address"], json!(addr_b));

    // The wrong key: not complete, with Core's error for the input.
    let signed = rpc(&node, "signrawtransactionwithkey", json!([raw, [KEY_B]]));
    assert_eq!(signed["complete"], false);
    assert_eq!(signed["errors"][0]["txid"], json!(txid));
    assert_eq!(signed["errors"][0]["vout"], 0);
    assert_eq!(
        signed["errors"][0]["error"],
        "Witness program hash mismatch"
    );
    let (code, msg) = rpc_err(
        &node,
        "signrawtransactionwithkey",
        json!([raw, ["notakey"]]),
    );
    assert_eq!((code, msg.as_str()), (-5, "Invalid private key"));

    let signed = rpc(&node, "signrawtransactionwithkey", json!([raw, [KEY_A]]));
    assert_eq!(signed["complete"], true, "{signed}");
    assert!(signed.get("errors").is_none());
    let sent = rpc(&node, "sendrawtransaction", json!([signed["hex"]]));
    assert_eq!(rpc(&node, "getrawmempool", json!([])), json!([sent]));

    // combinerawtransaction keeps the complete signature.
    let combined = rpc(
        &node,
        "combinerawtransaction",
        json!([[raw, signed["hex"]]]),
    );
    assert_eq!(combined, signed["hex"]);

    // Errors of createrawtransaction in Core's words.
    let (code, msg) = rpc_err(&node, "createrawtransaction", json!([[{"txid": txid}], {}]));
    assert_eq!(
        (code, msg.as_str()),
        (-8, "Invalid parameter, missing vout key")
    );
    let (code, msg) = rpc_err(&node, "createrawtransaction", json!([[], {"nope": 1}]));
    assert_eq!((code, msg.as_str()), (-5, "Invalid Widecoin address: nope"));
    let (code, msg) = rpc_err(
        &node,
        "createrawtransaction",
        json!([[], [{addr_b.clone(): 1}, {addr_b.clone(): 1}]]),
    );
    assert_eq!(code, -8);
    assert_eq!(
        msg,
        format!("Invalid parameter, duplicated address: {addr_b}")
    );
}

#[test]
fn psbt_round_trip() {
    let node = start(options().arg("-rpcdoccheck"));
    let desc_a = with_checksum(&node, &format!("wpkh({KEY_A})"));
    let addr_a = address_of(&node, &format!("wpkh({KEY_A})"));
    let addr_b = address_of(&node, &format!("wpkh({KEY_B})"));
    rpc(&node, "generatetoaddress", json!([60, addr_a]));
    let (txid, _) = coinbase(&node, 3);

    let psbt = rpc(
        &node,
        "createpsbt",
        json!([[{"txid": txid, "vout": 0}], [{addr_b: 49.99}]]),
    );
    let decoded = rpc(&node, "decodepsbt", json!([psbt]));
    assert_eq!(decoded["psbt_version"], 0);
    assert_eq!(decoded["inputs"], json!([{}]));
    assert!(decoded.get("fee").is_none());
    assert_eq!(rpc(&node, "analyzepsbt", json!([psbt]))["next"], "updater");

    let updated = rpc(&node, "utxoupdatepsbt", json!([psbt, [desc_a]]));
    let decoded = rpc(&node, "decodepsbt", json!([updated]));
    assert_eq!(
        decoded["inputs"][0]["witness_utxo"]["amount"].to_string(),
        "50.00000000"
    );
    assert_eq!(decoded["fee"].to_string(), "0.01000000");
    let analysis = rpc(&node, "analyzepsbt", json!([updated]));
    assert_eq!(analysis["next"], "signer");
    assert_eq!(analysis["inputs"][0]["has_utxo"], true);

    let processed = rpc(
        &node,
        "descriptorprocesspsbt",
        json!([updated, [format!("wpkh({KEY_A})")], "ALL", true, false]),
    );
    assert_eq!(processed["complete"], false);
    let decoded = rpc(&node, "decodepsbt", json!([processed["psbt"]]));
    assert_eq!(
        decoded["inputs"][0]["partial_signatures"]
            .as_object()
            .unwrap()
            .len(),
        1
    );
    let analysis = rpc(&node, "analyzepsbt", json!([processed["psbt"]]));
    assert_eq!(analysis["next"], "finalizer");
    // Finalizable: the size and fee rate of the final transaction are known.
    assert_eq!(analysis["estimated_vsize"], 110);
    assert_eq!(analysis["fee"].to_string(), "0.01000000");

    // Combining the unsigned and the signed PSBT keeps the signature.
    let combined = rpc(&node, "combinepsbt", json!([[updated, processed["psbt"]]]));
    let finalized = rpc(&node, "finalizepsbt", json!([combined]));
    assert_eq!(finalized["complete"], true);
    let hex = finalized["hex"].clone();
    let not_extracted = rpc(&node, "finalizepsbt", json!([combined, false]));
    assert!(not_extracted.get("hex").is_none());
    assert_eq!(
        rpc(&node, "analyzepsbt", json!([not_extracted["psbt"]]))["next"],
        "extractor"
    );

    let sent = rpc(&node, "sendrawtransaction", json!([hex]));
    assert_eq!(rpc(&node, "getrawmempool", json!([])), json!([sent]));

    let (code, msg) = rpc_err(&node, "joinpsbts", json!([[psbt]]));
    assert_eq!(
        (code, msg.as_str()),
        (-8, "At least two PSBTs are required to join PSBTs.")
    );
    let (code, _) = rpc_err(&node, "decodepsbt", json!(["notbase64!"]));
    assert_eq!(code, -22);
    let (code, msg) = rpc_err(&node, "combinepsbt", json!([[]]));
    assert_eq!(
        (code, msg.as_str()),
        (-8, "Parameter 'txs' cannot be empty")
    );
}

#[test]
fn psbt_signed_with_an_extended_key_descriptor() {
    let node = start(options().arg("-rpcdoccheck"));
    let tprv = "tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK";
    let desc = format!("wpkh({tprv}/0/*)");
    let info = rpc(&node, "getdescriptorinfo", json!([desc]));
    let public = info["descriptor"].as_str().unwrap().to_owned();
    let addr = rpc(&node, "deriveaddresses", json!([public, [0, 0]]))[0]
        .as_str()
        .unwrap()
        .to_owned();
    let addr_b = address_of(&node, &format!("wpkh({KEY_B})"));
    rpc(&node, "generatetoaddress", json!([55, addr]));
    let (txid, _) = coinbase(&node, 2);
    let psbt = rpc(
        &node,
        "createpsbt",
        json!([[{"txid": txid, "vout": 0}], [{addr_b: 49.999}]]),
    );
    // The public descriptor adds the UTXO and the key's origin.
    let updated = rpc(
        &node,
        "utxoupdatepsbt",
        json!([psbt, [{"desc": public, "range": 2}]]),
    );
    let decoded = rpc(&node, "decodepsbt", json!([updated]));
    let derivs = &decoded["inputs"][0]["bip32_derivs"];
    assert_eq!(derivs[0]["master_fingerprint"], "0c5f9a1e");
    assert_eq!(derivs[0]["path"], "m/0/0");
    // Outputs to keys of the descriptors get theirs too (UpdatePSBTOutput).
    let to_self = rpc(&node, "deriveaddresses", json!([public, [1, 1]]))[0].clone();
    let psbt2 = rpc(
        &node,
        "createpsbt",
        json!([[{"txid": txid, "vout": 0}], [{to_self.as_str().unwrap(): 1}]]),
    );
    let updated2 = rpc(
        &node,
        "utxoupdatepsbt",
        json!([psbt2, [{"desc": public, "range": 2}]]),
    );
    let out_derivs = &rpc(&node, "decodepsbt", json!([updated2]))["outputs"][0]["bip32_derivs"];
    assert_eq!(out_derivs[0]["path"], "m/0/1");
    // The private one signs.
    let processed = rpc(
        &node,
        "descriptorprocesspsbt",
        json!([updated, [{"desc": desc, "range": [0, 2]}]]),
    );
    assert_eq!(processed["complete"], true, "{processed}");
    let sent = rpc(&node, "sendrawtransaction", json!([processed["hex"]]));
    assert_eq!(rpc(&node, "getrawmempool", json!([])), json!([sent]));
}
