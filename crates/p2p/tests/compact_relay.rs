//! A compact-block exchange between a sender holding the block and a
//! receiver holding part of it in its mempool, through the public API and
//! the wire encodings only.

use std::sync::Arc;

use bitcoin::absolute::LockTime;
use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::{
    Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxMerkleNode, TxOut, Txid, Witness, Wtxid,
};
use widecoin_p2p::compact::{
    blocktxn_for, check_merkle_root, compact_block_for, decode_blocktxn, decode_cmpctblock,
    decode_getblocktxn, encode_blocktxn, encode_cmpctblock, encode_getblocktxn,
    PartiallyDownloadedBlock, ReadStatus,
};

fn spend(seed: u8) -> Transaction {
    Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: Txid::from_byte_array([seed; 32]),
                vout: 1,
            },
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[vec![seed; 72], vec![2; 33]]),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(1000 + u64::from(seed)),
            script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
        }],
    }
}

fn block_of(n: u8) -> Block {
    let mut coinbase = spend(0);
    coinbase.input[0].previous_output = OutPoint::null();
    coinbase.input[0].witness = Witness::from_slice(&[vec![0u8; 32]]);
    let mut txdata = vec![coinbase];
    txdata.extend((1..=n).map(spend));
    let mut block = Block {
        header: Header {
            version: Version::from_consensus(0x2000_0000),
            prev_blockhash: BlockHash::from_byte_array([1; 32]),
            merkle_root: TxMerkleNode::all_zeros(),
            time: 1_700_000_123,
            bits: CompactTarget::from_consensus(0x207f_ffff),
            nonce: 3,
        },
        txdata,
    };
    block.header.merkle_root = block.compute_merkle_root().unwrap();
    block
}

#[test]
fn receiver_rebuilds_block_asking_only_for_missing_transactions() {
    let block = block_of(40);
    // The receiver has every third transaction missing from its pool.
    let mempool: Vec<(Wtxid, Arc<Transaction>)> = block
        .txdata
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(i, _)| !i.is_multiple_of(3))
        .map(|(_, tx)| (tx.compute_wtxid(), Arc::new(tx.clone())))
        .collect();

    let wire = encode_cmpctblock(&compact_block_for(&block));
    let cmpct = decode_cmpctblock(&wire).unwrap();
    let mut partial = PartiallyDownloadedBlock::new();
    assert_eq!(partial.init_data(&cmpct, &mempool, &[]), ReadStatus::Ok);
    let request = partial.request().unwrap();
    assert_eq!(request.indexes, (3..=39).step_by(3).collect::<Vec<u64>>());

    // Sender side: answer the getblocktxn.
    let req = decode_getblocktxn(&encode_getblocktxn(&request)).unwrap();
    assert_eq!(req.block_hash, block.block_hash());
    let answer = encode_blocktxn(&blocktxn_for(&block, &req).unwrap());

    // Receiver side: fill in.
    let resp = decode_blocktxn(&answer).unwrap();
    let (status, rebuilt) = partial.fill_block(&resp.transactions, check_merkle_root);
    assert_eq!(status, ReadStatus::Ok);
    assert_eq!(rebuilt.unwrap(), block);
}
