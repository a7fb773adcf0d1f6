use super::*;
use bitcoin::absolute::LockTime;
use bitcoin::block::Version;
use bitcoin::{
    Amount, CompactTarget, OutPoint, ScriptBuf, Sequence, TxIn, TxMerkleNode, TxOut, Txid, Witness,
};

fn tx(inputs: u8, seed: u8) -> Transaction {
    Transaction {
        version: bitcoin::transaction::Version::ONE,
        lock_time: LockTime::ZERO,
        input: (0..inputs)
            .map(|i| TxIn {
                previous_output: OutPoint {
                    txid: Txid::from_byte_array([seed.wrapping_add(i); 32]),
                    vout: 0,
                },
                script_sig: ScriptBuf::from_bytes(vec![0; 10]),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            })
            .collect(),
        output: vec![TxOut {
            value: Amount::from_sat(42),
            script_pubkey: ScriptBuf::new(),
        }],
    }
}

fn segwit_tx(seed: u8) -> Transaction {
    let mut t = tx(1, seed);
    t.input[0].witness = Witness::from_slice(&[vec![seed; 20]]);
    t
}

/// Like Core's `BuildBlockTestCase`: a coinbase-like tx and two spends.
fn test_block() -> Block {
    let mut coinbase = tx(1, 0);
    coinbase.input[0].previous_output = OutPoint::null();
    let mut block = Block {
        header: Header {
            version: Version::from_consensus(42),
            prev_blockhash: BlockHash::from_byte_array([0x5a; 32]),
            merkle_root: TxMerkleNode::all_zeros(),
            time: 1_700_000_000,
            bits: CompactTarget::from_consensus(0x207f_ffff),
            nonce: 0,
        },
        txdata: vec![coinbase, tx(1, 1), tx(10, 2), segwit_tx(3)],
    };
    block.header.merkle_root = block.compute_merkle_root().unwrap();
    block
}

fn pool_of(txs: &[&Transaction]) -> Vec<(Wtxid, Arc<Transaction>)> {
    txs.iter()
        .map(|t| (t.compute_wtxid(), Arc::new((*t).clone())))
        .collect()
}

/// `fill_block` with the merkle check, as a `Result`.
fn fill(partial: &mut PartiallyDownloadedBlock, txs: &[Transaction]) -> Result<Block, ReadStatus> {
    match partial.fill_block(txs, check_merkle_root) {
        (ReadStatus::Ok, Some(block)) => Ok(block),
        (status, _) => Err(status),
    }
}

fn round_trip(cmpct: &HeaderAndShortIds) -> HeaderAndShortIds {
    decode_cmpctblock(&encode_cmpctblock(cmpct)).unwrap()
}

#[test]
fn sendcmpct_round_trip() {
    let msg = SendCmpct {
        send_compact: true,
        version: 2,
    };
    let bytes = encode_sendcmpct(&msg);
    assert_eq!(bytes, [1, 2, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(decode_sendcmpct(&bytes).unwrap(), msg);
    let low = decode_sendcmpct(&[0, 1, 0, 0, 0, 0, 0, 0, 0]).unwrap();
    assert_eq!(
        low,
        SendCmpct {
            send_compact: false,
            version: 1
        }
    );
    assert!(decode_sendcmpct(&[1, 2, 0]).is_err());
}

#[test]
fn short_id_matches_independent_computation() {
    // Expected values computed outside this code base (SHA256 and a
    // SipHash-2-4 checked against the SipHash reference vectors).
    let header = Header {
        version: Version::from_consensus(42),
        prev_blockhash: BlockHash::from_byte_array([0x11; 32]),
        merkle_root: TxMerkleNode::from_byte_array([0x22; 32]),
        time: 1_700_000_000,
        bits: CompactTarget::from_consensus(0x207f_ffff),
        nonce: 7,
    };
    let keys = short_id_keys(&header, 0x0102_0304_0506_0708);
    assert_eq!(keys, (0x3f3a_c745_2953_53fa, 0xca69_3123_12d5_6f3a));
    assert_eq!(
        short_id(keys, &Wtxid::from_byte_array([0x33; 32])),
        0x0d2b_b570_d3f6
    );
    let counting: [u8; 32] = core::array::from_fn(|i| i as u8);
    assert_eq!(
        short_id(keys, &Wtxid::from_byte_array(counting)),
        0x61c9_1e8f_36c0
    );
    // Wire form: 6 bytes little endian.
    let wire = short_id_from_u64(0x61c9_1e8f_36c0);
    assert_eq!(
        <ShortId as AsRef<[u8]>>::as_ref(&wire),
        &[0xc0, 0x36, 0x8f, 0x1e, 0xc9, 0x61]
    );
    assert_eq!(short_id_to_u64(&wire), 0x61c9_1e8f_36c0);
}

#[test]
fn cmpctblock_round_trip_and_matches_rust_bitcoin() {
    let block = test_block();
    let cmpct = compact_block_with_nonce(&block, 99);
    assert_eq!(cmpct.prefilled_txs.len(), 1);
    assert_eq!(cmpct.prefilled_txs[0].idx, 0);
    assert_eq!(cmpct.short_ids.len(), 3);
    assert_eq!(round_trip(&cmpct), cmpct);
    let theirs = HeaderAndShortIds::from_block(&block, 99, 2, &[]).unwrap();
    assert_eq!(cmpct, theirs);
    // The segwit transaction's short ID is over its wtxid, not its txid.
    let keys = short_id_keys(&block.header, 99);
    let t = &block.txdata[3];
    assert_eq!(
        short_id_to_u64(&cmpct.short_ids[2]),
        short_id(keys, &t.compute_wtxid())
    );
    assert_ne!(
        t.compute_wtxid().to_byte_array(),
        t.compute_txid().to_byte_array()
    );
    // Random nonces differ.
    assert_ne!(
        compact_block_for(&block).nonce,
        compact_block_for(&block).nonce
    );
}

#[test]
fn cmpctblock_with_too_many_transactions_rejected() {
    let mut payload = bitcoin::consensus::serialize(&test_block().header);
    payload.extend_from_slice(&5u64.to_le_bytes());
    payload.extend(bitcoin::consensus::serialize(&VarInt(65_536)));
    payload.extend(vec![0u8; 65_536 * SHORTTXIDS_LENGTH]);
    payload.push(0);
    let err = decode_cmpctblock(&payload).unwrap_err();
    assert_eq!(err.to_string(), "indexes overflowed 16 bits");
    // 65535 is fine.
    let mut payload = bitcoin::consensus::serialize(&test_block().header);
    payload.extend_from_slice(&5u64.to_le_bytes());
    payload.extend(bitcoin::consensus::serialize(&VarInt(65_535)));
    payload.extend(vec![0u8; 65_535 * SHORTTXIDS_LENGTH]);
    payload.push(0);
    assert_eq!(decode_cmpctblock(&payload).unwrap().short_ids.len(), 65_535);
}

#[test]
fn getblocktxn_round_trip_with_differential_indexes() {
    let req = BlockTransactionsRequest {
        block_hash: BlockHash::from_byte_array([7; 32]),
        indexes: vec![0, 1, 3, 4],
    };
    let bytes = encode_getblocktxn(&req);
    assert_eq!(&bytes[32..], &[4, 0, 0, 1, 0]);
    assert_eq!(decode_getblocktxn(&bytes).unwrap(), req);

    // The highest index decodes.
    let max = BlockTransactionsRequest {
        indexes: vec![0xffff],
        ..req.clone()
    };
    assert_eq!(decode_getblocktxn(&encode_getblocktxn(&max)).unwrap(), max);

    // Deltas summing past 0xffff overflow (Core's overflow test case).
    let mut raw = vec![7u8; 32];
    raw.push(3);
    for d in [0x7000u64, 0x10000 - 0x7000 - 2, 0] {
        raw.extend(bitcoin::consensus::serialize(&VarInt(d)));
    }
    let err = decode_getblocktxn(&raw).unwrap_err();
    assert_eq!(err.to_string(), "differential value overflow");

    let mut raw = vec![7u8; 32];
    raw.push(1);
    raw.extend(bitcoin::consensus::serialize(&VarInt(0x10000)));
    assert!(matches!(
        decode_getblocktxn(&raw),
        Err(CompactDecodeError::DifferentialOverflow)
    ));

    let mut raw = vec![7u8; 32];
    raw.extend(bitcoin::consensus::serialize(&VarInt(MAX_SIZE + 1)));
    assert!(matches!(
        decode_getblocktxn(&raw),
        Err(CompactDecodeError::SizeTooLarge)
    ));
}

#[test]
fn blocktxn_round_trip_and_answer() {
    let block = test_block();
    let req = BlockTransactionsRequest {
        block_hash: block.block_hash(),
        indexes: vec![1, 3],
    };
    let resp = blocktxn_for(&block, &req).unwrap();
    assert_eq!(
        resp.transactions,
        vec![block.txdata[1].clone(), block.txdata[3].clone()]
    );
    let decoded = decode_blocktxn(&encode_blocktxn(&resp)).unwrap();
    assert_eq!(decoded, resp);
    assert_eq!(
        decoded.transactions[1].input[0].witness.len(),
        1,
        "witness kept"
    );
    let bad = BlockTransactionsRequest {
        indexes: vec![4],
        ..req
    };
    assert!(blocktxn_for(&block, &bad).is_none());
}

#[test]
fn reconstruct_with_missing_tx_from_blocktxn() {
    let block = test_block();
    let pool = pool_of(&[&block.txdata[2], &block.txdata[3]]);
    let cmpct = round_trip(&compact_block_with_nonce(&block, 1));
    let mut partial = PartiallyDownloadedBlock::new();
    assert_eq!(partial.init_data(&cmpct, &pool, &[]), ReadStatus::Ok);
    assert!(partial.is_tx_available(0));
    assert!(!partial.is_tx_available(1));
    assert!(partial.is_tx_available(2));
    assert!(partial.is_tx_available(3));
    assert_eq!(partial.missing_indexes(), vec![1]);
    let req = partial.request().unwrap();
    assert_eq!(req.block_hash, block.block_hash());

    // The peer answers the request from its full block.
    let resp = decode_blocktxn(&encode_blocktxn(&blocktxn_for(&block, &req).unwrap())).unwrap();

    // No transactions: invalid, state kept.
    assert_eq!(fill(&mut partial.clone(), &[]), Err(ReadStatus::Invalid));
    // Too many: invalid.
    let two = [block.txdata[1].clone(), block.txdata[1].clone()];
    assert_eq!(fill(&mut partial.clone(), &two), Err(ReadStatus::Invalid));
    // Wrong transaction: the merkle root no longer matches.
    let wrong = [block.txdata[2].clone()];
    assert_eq!(fill(&mut partial.clone(), &wrong), Err(ReadStatus::Failed));
    // CheckBlock failing for another reason.
    assert_eq!(
        partial
            .clone()
            .fill_block(&resp.transactions, |_| Err(BlockCheckError::Invalid)),
        (ReadStatus::CheckBlockFailed, Some(block.clone())),
        "the block is still processed, to be marked invalid"
    );

    let rebuilt = fill(&mut partial, &resp.transactions).unwrap();
    assert_eq!(rebuilt, block);
    assert!(partial.header().is_none(), "consumed");
    assert_eq!(fill(&mut partial, &[]), Err(ReadStatus::Invalid));
}

#[test]
fn reconstruct_with_non_coinbase_prefilled() {
    let block = test_block();
    let keys = short_id_keys(&block.header, 5);
    let sid = |i: usize| short_id_from_u64(short_id(keys, &block.txdata[i].compute_wtxid()));
    let cmpct = HeaderAndShortIds {
        header: block.header,
        nonce: 5,
        short_ids: vec![sid(0), sid(2), sid(3)],
        prefilled_txs: vec![PrefilledTransaction {
            idx: 1,
            tx: block.txdata[1].clone(),
        }],
    };
    let cmpct = round_trip(&cmpct);
    let pool = pool_of(&[&block.txdata[2], &block.txdata[3]]);
    let mut partial = PartiallyDownloadedBlock::new();
    assert_eq!(partial.init_data(&cmpct, &pool, &[]), ReadStatus::Ok);
    assert_eq!(partial.missing_indexes(), vec![0]);
    let rebuilt = fill(&mut partial, &[block.txdata[0].clone()]).unwrap();
    assert_eq!(rebuilt, block);
}

#[test]
fn reconstruct_with_sufficient_prefill_and_extra_txn() {
    let block = test_block();
    let keys = short_id_keys(&block.header, 6);
    let sid = |i: usize| short_id_from_u64(short_id(keys, &block.txdata[i].compute_wtxid()));
    // Coinbase and tx 2 prefilled (differential index 1 after index 0).
    let cmpct = HeaderAndShortIds {
        header: block.header,
        nonce: 6,
        short_ids: vec![sid(1), sid(3)],
        prefilled_txs: vec![
            PrefilledTransaction {
                idx: 0,
                tx: block.txdata[0].clone(),
            },
            PrefilledTransaction {
                idx: 1,
                tx: block.txdata[2].clone(),
            },
        ],
    };
    let cmpct = round_trip(&cmpct);
    let pool = pool_of(&[&block.txdata[1]]);
    let extra = pool_of(&[&block.txdata[3]]);
    let mut partial = PartiallyDownloadedBlock::new();
    assert_eq!(partial.init_data(&cmpct, &pool, &extra), ReadStatus::Ok);
    assert!(partial.missing_indexes().is_empty());
    assert_eq!(partial.extra_count, 1);
    assert_eq!(partial.mempool_count, 2);
    assert_eq!(fill(&mut partial, &[]).unwrap(), block);
}

#[test]
fn coinbase_only_block() {
    let mut block = test_block();
    block.txdata.truncate(1);
    block.header.merkle_root = block.compute_merkle_root().unwrap();
    let cmpct = round_trip(&compact_block_for(&block));
    assert!(cmpct.short_ids.is_empty());
    let mut partial = PartiallyDownloadedBlock::new();
    assert_eq!(partial.init_data(&cmpct, &Vec::new(), &[]), ReadStatus::Ok);
    assert_eq!(fill(&mut partial, &[]).unwrap(), block);
}

#[test]
fn short_id_collision_in_block_fails() {
    let block = test_block();
    let mut cmpct = compact_block_with_nonce(&block, 8);
    cmpct.short_ids[1] = cmpct.short_ids[0];
    let mut partial = PartiallyDownloadedBlock::new();
    assert_eq!(
        partial.init_data(&cmpct, &Vec::new(), &[]),
        ReadStatus::Failed
    );
}

#[test]
fn colliding_pool_transactions_are_requested() {
    let block = test_block();
    let cmpct = compact_block_with_nonce(&block, 9);
    // Two pool entries whose wtxids give tx 1's short ID: a collision. The
    // slot is left empty so the transaction gets requested.
    let wtxid = block.txdata[1].compute_wtxid();
    let pool = vec![
        (wtxid, Arc::new(block.txdata[1].clone())),
        (wtxid, Arc::new(tx(3, 0x77))),
        (
            block.txdata[2].compute_wtxid(),
            Arc::new(block.txdata[2].clone()),
        ),
    ];
    let mut partial = PartiallyDownloadedBlock::new();
    assert_eq!(partial.init_data(&cmpct, &pool, &[]), ReadStatus::Ok);
    assert_eq!(partial.missing_indexes(), vec![1, 3]);
    // A third match does not refill the slot.
    let pool3 = [
        pool.clone(),
        vec![(wtxid, Arc::new(block.txdata[1].clone()))],
    ]
    .concat();
    let mut partial3 = PartiallyDownloadedBlock::new();
    assert_eq!(partial3.init_data(&cmpct, &pool3, &[]), ReadStatus::Ok);
    assert_eq!(partial3.missing_indexes(), vec![1, 3]);
    let resp = [block.txdata[1].clone(), block.txdata[3].clone()];
    assert_eq!(fill(&mut partial, &resp).unwrap(), block);
}

#[test]
fn extra_txn_conflicting_with_pool_clears_slot() {
    let block = test_block();
    let cmpct = compact_block_with_nonce(&block, 10);
    let pool = pool_of(&[&block.txdata[1]]);
    // Same claimed wtxid (so same short ID), different transaction.
    let extra = vec![(block.txdata[1].compute_wtxid(), Arc::new(tx(2, 0x55)))];
    let mut partial = PartiallyDownloadedBlock::new();
    assert_eq!(partial.init_data(&cmpct, &pool, &extra), ReadStatus::Ok);
    assert_eq!(partial.missing_indexes(), vec![1, 2, 3]);
    // The identical transaction in the extra pool does not clear it.
    let same = pool_of(&[&block.txdata[1]]);
    let mut partial = PartiallyDownloadedBlock::new();
    assert_eq!(partial.init_data(&cmpct, &pool, &same), ReadStatus::Ok);
    assert_eq!(partial.missing_indexes(), vec![2, 3]);
}

#[test]
fn invalid_compact_blocks() {
    let block = test_block();
    let good = compact_block_with_nonce(&block, 11);
    let init =
        |c: &HeaderAndShortIds| PartiallyDownloadedBlock::new().init_data(c, &Vec::new(), &[]);

    let mut null_header = good.clone();
    null_header.header.bits = CompactTarget::from_consensus(0);
    assert_eq!(init(&null_header), ReadStatus::Invalid);

    let empty = HeaderAndShortIds {
        short_ids: vec![],
        prefilled_txs: vec![],
        ..good.clone()
    };
    assert_eq!(init(&empty), ReadStatus::Invalid);

    // A prefilled index past the end.
    let mut past_end = good.clone();
    past_end.prefilled_txs[0].idx = 4;
    assert_eq!(init(&past_end), ReadStatus::Invalid);
    let mut last = good.clone();
    last.prefilled_txs[0].idx = 3;
    assert_eq!(init(&last), ReadStatus::Ok, "index 3 of 4 is the last slot");

    let mut null_tx = good.clone();
    null_tx.prefilled_txs[0].tx.input.clear();
    null_tx.prefilled_txs[0].tx.output.clear();
    assert_eq!(init(&null_tx), ReadStatus::Invalid);

    let mut partial = PartiallyDownloadedBlock::new();
    assert_eq!(partial.init_data(&good, &Vec::new(), &[]), ReadStatus::Ok);
    assert_eq!(
        partial.init_data(&good, &Vec::new(), &[]),
        ReadStatus::Invalid,
        "twice"
    );
}

#[test]
fn mutation_detected_by_merkle_check() {
    let mut block = test_block();
    block.txdata.truncate(3);
    block.header.merkle_root = block.compute_merkle_root().unwrap();
    assert_eq!(check_merkle_root(&block), Ok(()));
    // Duplicating the odd last transaction keeps the root but is a mutation.
    let mut dup = block.clone();
    dup.txdata.push(dup.txdata[2].clone());
    assert_eq!(dup.compute_merkle_root(), Some(block.header.merkle_root));
    assert_eq!(check_merkle_root(&dup), Err(BlockCheckError::Mutated));
}
