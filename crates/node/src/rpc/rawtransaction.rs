//! Raw-transaction RPCs that need no mempool or wallet (Core's
//! `rpc/rawtransaction.cpp`): `decoderawtransaction`.

use std::sync::Arc;

use bitcoin::Transaction;
use widecoin_consensus::decode::{decode_transaction, decode_transaction_no_witness};
use widecoin_keys::script::has_valid_ops;
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcErrorCode, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use super::tx_json::{tx_to_univ, TxVerbosity};
use crate::context::NodeContext;

/// `MAX_SCRIPT_SIZE`.
const MAX_SCRIPT_SIZE: usize = 10_000;

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(decoderawtransaction(node.clone()));
}

/// `ScriptPubKeyDoc`.
pub fn script_pub_key_doc() -> Vec<RpcResult> {
    let r = RpcResult::new;
    vec![
        r(ResultType::Str, "asm", "Disassembly of the public key script"),
        r(ResultType::Str, "desc", "Inferred descriptor for the output"),
        r(ResultType::StrHex, "hex", "The raw public key script bytes, hex-encoded"),
        r(ResultType::Str, "address", "The Widecoin address (only if a well-defined address exists)").optional(),
        r(ResultType::Str, "type", "The type (one of: nonstandard, pubkey, pubkeyhash, scripthash, multisig, nulldata, witness_v0_scripthash, witness_v0_keyhash, witness_v1_taproot, witness_unknown)"),
    ]
}

/// `DecodeTxDoc`.
pub fn decode_tx_doc(txid_doc: &str) -> Vec<RpcResult> {
    let r = RpcResult::new;
    vec![
        r(ResultType::StrHex, "txid", txid_doc),
        r(
            ResultType::StrHex,
            "hash",
            "The transaction hash (differs from txid for witness transactions)",
        ),
        r(ResultType::Num, "size", "The serialized transaction size"),
        r(
            ResultType::Num,
            "vsize",
            "The virtual transaction size (differs from size for witness transactions)",
        ),
        r(
            ResultType::Num,
            "weight",
            "The transaction's weight (between vsize*4-3 and vsize*4)",
        ),
        r(ResultType::Num, "version", "The version"),
        r(ResultType::NumTime, "locktime", "The lock time"),
        r(ResultType::Arr, "vin", "").inner(vec![r(ResultType::Obj, "", "").inner(vec![
            r(
                ResultType::StrHex,
                "coinbase",
                "The coinbase value (only if coinbase transaction)",
            )
            .optional(),
            r(
                ResultType::StrHex,
                "txid",
                "The transaction id (if not coinbase transaction)",
            )
            .optional(),
            r(
                ResultType::Num,
                "vout",
                "The output number (if not coinbase transaction)",
            )
            .optional(),
            r(
                ResultType::Obj,
                "scriptSig",
                "The script (if not coinbase transaction)",
            )
            .optional()
            .inner(vec![
                r(
                    ResultType::Str,
                    "asm",
                    "Disassembly of the signature script",
                ),
                r(
                    ResultType::StrHex,
                    "hex",
                    "The raw signature script bytes, hex-encoded",
                ),
            ]),
            r(ResultType::Arr, "txinwitness", "")
                .optional()
                .inner(vec![r(
                    ResultType::StrHex,
                    "hex",
                    "hex-encoded witness data (if any)",
                )]),
            r(ResultType::Num, "sequence", "The script sequence number"),
        ])]),
        r(ResultType::Arr, "vout", "").inner(vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::StrAmount, "value", "The value in WCN"),
            r(ResultType::Num, "n", "index"),
            r(ResultType::Obj, "scriptPubKey", "").inner(script_pub_key_doc()),
        ])]),
    ]
}

/// Core's `CheckTxScriptsSanity`.
fn scripts_sane(tx: &Transaction) -> bool {
    let ok = |s: &[u8]| has_valid_ops(s) && s.len() <= MAX_SCRIPT_SIZE;
    (tx.is_coinbase() || tx.input.iter().all(|i| ok(i.script_sig.as_bytes())))
        && tx.output.iter().all(|o| ok(o.script_pubkey.as_bytes()))
}

/// Core's `DecodeHexTx`: tries the extended (segwit) and the legacy
/// serialization as allowed, keeps those that consume all bytes, and prefers
/// the one whose scripts look sane, else the extended one.
pub fn decode_hex_tx(
    hex_str: &str,
    try_no_witness: bool,
    try_witness: bool,
) -> Option<Transaction> {
    let data = hex::decode(hex_str).ok()?;
    let extended = if try_witness {
        decode_transaction(&data).ok()
    } else {
        None
    };
    let legacy = if try_no_witness {
        decode_transaction_no_witness(&data).ok()
    } else {
        None
    };
    match (extended, legacy) {
        (Some(e), Some(l)) => {
            if !scripts_sane(&e) && scripts_sane(&l) {
                Some(l)
            } else {
                Some(e)
            }
        }
        (e, l) => e.or(l),
    }
}

fn decoderawtransaction(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "decoderawtransaction",
        "Return a JSON object representing the serialized, hex-encoded transaction.",
        vec![
            RpcArg::required("hexstring", ArgType::StrHex, "The transaction hex string"),
            RpcArg::with_hint(
                "iswitness",
                ArgType::Bool,
                "depends on heuristic tests",
                "Whether the transaction hex is a serialized witness transaction.\nIf iswitness is not present, heuristic tests will be used in decoding.\nIf true, only witness deserialization will be tried.\nIf false, only non-witness deserialization will be tried.\nThis boolean should reflect whether the transaction has inputs\n(e.g. fully valid, or on-chain transactions), if known by the caller.",
            ),
        ],
        vec![RpcResult::new(ResultType::Obj, "", "").inner(decode_tx_doc("The transaction id"))],
        help_example_cli("decoderawtransaction", "\"hexstring\"")
            + &help_example_rpc("decoderawtransaction", "\"hexstring\""),
    );
    RpcCommand::new("rawtransactions", spec, move |req: &RpcRequest| {
        let hex_str: String = req.arg(0)?;
        let iswitness: Option<bool> = req.maybe_arg(1)?;
        let try_witness = iswitness.unwrap_or(true);
        let try_no_witness = iswitness.is_none_or(|w| !w);
        let tx = decode_hex_tx(&hex_str, try_no_witness, try_witness).ok_or_else(|| {
            RpcError::new(RpcErrorCode::DESERIALIZATION_ERROR, "TX decode failed")
        })?;
        Ok(tx_to_univ(
            &tx,
            None,
            false,
            None,
            TxVerbosity::Details,
            &node.chain_params,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::{absolute, transaction, TxIn, TxOut, Witness};

    #[test]
    fn heuristics_pick_the_sane_reading() {
        // The regtest genesis coinbase: no witness marker, legacy only.
        let genesis = "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff2604ffff001d01041e303031202d20497420697320616e20416d617a696e67205468696e67732effffffff0100f2052a0100000043410423b8bd9783e79e64a62e18cebf06bb4c89ddaf13b3152178ff259138ab3732e615ad1c4f8ccd5bb96f5e0b49da3953f1b518322f12127ddfd73cfdf3022180e8ac00000000";
        let tx = decode_hex_tx(genesis, true, true).unwrap();
        assert_eq!(tx.input.len(), 1);
        assert!(decode_hex_tx(genesis, false, true).is_some());
        // A zero-input one-output transaction is only readable as legacy.
        let empty_in = "0100000000010000000000000000015100000000";
        let tx = decode_hex_tx(empty_in, true, true).unwrap();
        assert!(tx.input.is_empty());
        assert_eq!(tx.output.len(), 1);
        assert!(decode_hex_tx(empty_in, false, true).is_none());
        assert!(decode_hex_tx("zz", true, true).is_none());
        assert!(decode_hex_tx(&format!("{genesis}00"), true, true).is_none());
    }

    #[test]
    fn decodes_a_witness_larger_than_4mb() {
        let txin = TxIn {
            witness: Witness::from_slice(&[vec![0x51; 5_000_000], vec![1]]),
            ..TxIn::default()
        };
        let tx = Transaction {
            version: transaction::Version(2),
            lock_time: absolute::LockTime::ZERO,
            input: vec![txin],
            output: vec![TxOut::NULL],
        };
        let bytes = bitcoin::consensus::serialize(&tx);
        // rust-bitcoin's own decoder refuses it.
        assert!(bitcoin::consensus::deserialize::<Transaction>(&bytes).is_err());
        let decoded = decode_hex_tx(&hex::encode(&bytes), true, true).expect("decodes");
        assert_eq!(decoded, tx);
    }

    #[test]
    fn extended_reading_as_core() {
        let tx = Transaction {
            version: transaction::Version(2),
            lock_time: absolute::LockTime::from_consensus(7),
            input: vec![TxIn::default()],
            output: vec![TxOut::NULL],
        };
        let mut with_witness = tx.clone();
        with_witness.input[0].witness = Witness::from_slice(&[[1u8]]);
        for t in [&tx, &with_witness] {
            let bytes = bitcoin::consensus::serialize(t);
            assert_eq!(decode_transaction(&bytes).ok().as_ref(), Some(t));
        }
        // A witness flag with only empty witnesses: "Superfluous witness record".
        let mut bytes = bitcoin::consensus::serialize(&with_witness);
        let at = bytes.len() - 4 - 3;
        assert_eq!(&bytes[at..at + 3], &[1, 1, 1]);
        bytes.splice(at..at + 3, [0]);
        assert_eq!(decode_transaction(&bytes).ok(), None);
        // Unknown flags.
        let mut bytes = bitcoin::consensus::serialize(&with_witness);
        bytes[5] = 3;
        assert_eq!(decode_transaction(&bytes).ok(), None);
        // No inputs and flag 0: Core reads no outputs either.
        let empty = hex::decode("02000000000007000000").unwrap();
        let t = decode_transaction(&empty).unwrap();
        assert!(t.input.is_empty() && t.output.is_empty());
    }

    #[test]
    fn decodes_transactions_larger_than_4mb() {
        // 8 MB of inputs (Core decodes it; the size checks reject it later).
        let txin = TxIn::default();
        let tx = Transaction {
            version: transaction::Version(2),
            lock_time: absolute::LockTime::ZERO,
            input: vec![txin; 8_000_000 / 41 + 1],
            output: vec![TxOut::NULL],
        };
        let hex_str = hex::encode(bitcoin::consensus::serialize(&tx));
        assert!(hex_str.len() / 2 > 8_000_000);
        let decoded = decode_hex_tx(&hex_str, true, true).expect("decodes");
        assert_eq!(decoded.input.len(), tx.input.len());
        let decoded = decode_hex_tx(&hex_str, true, false).expect("legacy decodes");
        assert_eq!(decoded.input.len(), tx.input.len());
    }
}
