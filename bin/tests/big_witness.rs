//! A block whose transaction carries a single input witness larger than 4,000,000 bytes.
//! Widecoin's blocks weigh up to 32,000,000, so Widecoin Core accepts it; rust-bitcoin's own
//! decoders would refuse it. The node must take it through `submitblock` and read it back from
//! its block files on `-reindex`.

mod common;

use bitcoin::block::{Header, Version};
use bitcoin::consensus::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::{
    absolute, transaction, Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence,
    Transaction, TxIn, TxMerkleNode, TxOut, Witness,
};
use serde_json::{json, Value};
use widecoin_test_utils::TestNode;

/// A version-2 witness program: anyone can spend it under the consensus rules.
const V2_PROGRAM: &str = "52200101010101010101010101010101010101010101010101010101010101010101";

fn coinbase(height: i64, outputs: Vec<TxOut>, witness: Witness) -> Transaction {
    let script_sig = Builder::new()
        .push_int(height)
        .push_opcode(bitcoin::opcodes::OP_0)
        .into_script();
    Transaction {
        version: transaction::Version(2),
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig,
            sequence: Sequence::MAX,
            witness,
        }],
        output: outputs,
    }
}

fn get(node: &TestNode, method: &str, params: Value) -> Value {
    common::rpc(node, method, params)
}

#[test]
fn a_block_with_a_witness_over_4mb_is_accepted_and_reindexed() {
    let mut node = common::start(common::options());
    let desc = get(
        &node,
        "getdescriptorinfo",
        json!([format!("raw({V2_PROGRAM})")]),
    )["descriptor"]
        .as_str()
        .unwrap()
        .to_string();
    // 1 block to spend, and enough on top for its coinbase to mature (50).
    let hashes = get(&node, "generatetodescriptor", json!([51, desc]));
    let first = hashes[0].as_str().unwrap();
    let raw = hex::decode(get(&node, "getblock", json!([first, 0])).as_str().unwrap()).unwrap();
    let funding: Block = deserialize(&raw).unwrap();
    let funding_cb = &funding.txdata[0];
    assert_eq!(
        funding_cb.output[0].script_pubkey.to_hex_string(),
        V2_PROGRAM
    );

    let tip_hash = hashes[50].as_str().unwrap();
    let tip = get(&node, "getblockheader", json!([tip_hash]));
    let spend = Transaction {
        version: transaction::Version(2),
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: funding_cb.compute_txid(),
                vout: 0,
            },
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[vec![0x61u8; 5_000_000], vec![1]]),
        }],
        output: vec![TxOut {
            value: funding_cb.output[0].value,
            script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
        }],
    };
    let spend_bytes = serialize(&spend);
    assert!(bitcoin::consensus::deserialize::<Transaction>(&spend_bytes).is_err());

    let mut cb = coinbase(
        52,
        vec![TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
        }],
        Witness::from_slice(&[[0u8; 32]]),
    );
    let mut block = Block {
        header: Header {
            version: Version::from_consensus(0x2000_0000),
            prev_blockhash: tip_hash.parse::<BlockHash>().unwrap(),
            merkle_root: TxMerkleNode::all_zeros(),
            time: tip["time"].as_u64().unwrap() as u32 + 1,
            bits: CompactTarget::from_consensus(
                u32::from_str_radix(tip["bits"].as_str().unwrap(), 16).unwrap(),
            ),
            nonce: 0,
        },
        txdata: vec![cb.clone(), spend],
    };
    let witness_root = block.witness_root().unwrap();
    let commitment = Block::compute_witness_commitment(&witness_root, &[0u8; 32]);
    let mut data = vec![0xaa, 0x21, 0xa9, 0xed];
    data.extend_from_slice(commitment.as_byte_array());
    cb.output.push(TxOut {
        value: Amount::ZERO,
        script_pubkey: Builder::new()
            .push_opcode(bitcoin::opcodes::all::OP_RETURN)
            .push_slice(PushBytesBuf::try_from(data).unwrap())
            .into_script(),
    });
    block.txdata[0] = cb;
    block.header.merkle_root = block.compute_merkle_root().unwrap();
    let target = block.header.target();
    while !target.is_met_by(block.header.block_hash()) {
        block.header.nonce += 1;
    }
    let raw = serialize(&block);
    assert!(raw.len() > 5_000_000);
    assert!(bitcoin::consensus::deserialize::<Block>(&raw).is_err());
    let hash = block.block_hash().to_string();

    let result = get(&node, "submitblock", json!([hex::encode(&raw)]));
    let log = std::fs::read_to_string(node.net_dir().join("debug.log")).unwrap_or_default();
    let tail: String = log.lines().rev().take(15).collect::<Vec<_>>().join("\n");
    assert_eq!(result, Value::Null, "debug.log ends with:\n{tail}");
    assert_eq!(get(&node, "getbestblockhash", json!([])), json!(hash));
    // Read back from the block file.
    let stored = get(&node, "getblock", json!([hash, 1]));
    assert_eq!(stored["nTx"], 2);

    node.restart(&["-reindex"]).unwrap();
    common::wait_until("the reindex to reach the big block", || {
        get(&node, "getblockcount", json!([])) == json!(52)
    });
    assert_eq!(get(&node, "getbestblockhash", json!([])), json!(hash));
    common::stop_clean(&mut node);
}
