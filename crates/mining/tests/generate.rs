//! Mining regtest chains through `generate_blocks` / `generate_block` into a
//! real chainstate on a temporary directory.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{
    Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness,
};
use widecoin_chainparams::consensus::DeploymentPos;
use widecoin_chainparams::{ChainParams, ChainType};
use widecoin_chainstate::checks::witness_commitment_script;
use widecoin_chainstate::{ChainstateManager, ChainstateOptions};
use widecoin_mining::error::{
    RPC_DESERIALIZATION_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_VERIFY_ERROR,
};
use widecoin_mining::{
    decode_generateblock_tx, AssemblerOptions, BlockTx, Miner, MiningError, NoTxs, ThresholdState,
    DEFAULT_MAX_TRIES,
};

const COIN: u64 = 100_000_000;

struct Fixture {
    _dir: tempfile::TempDir,
    cm: ChainstateManager,
    miner: Miner,
    now: Arc<AtomicI64>,
}

fn op_true() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![0x51])
}

fn genesis_time() -> i64 {
    i64::from(
        ChainParams::new(ChainType::Regtest)
            .genesis_block()
            .header
            .time,
    )
}

fn fixture(options: AssemblerOptions, now: i64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock_value = Arc::new(AtomicI64::new(now));
    let c = clock_value.clone();
    let clock: widecoin_chainstate::Clock = Arc::new(move || c.load(Ordering::SeqCst));
    let cm = ChainstateManager::open(
        &dir.path().join("blocks"),
        &dir.path().join("chainstate"),
        ChainParams::new(ChainType::Regtest),
        ChainstateOptions {
            par: 1,
            clock: clock.clone(),
            ..ChainstateOptions::default()
        },
    )
    .unwrap();
    Fixture {
        _dir: dir,
        cm,
        miner: Miner::new(options, clock),
        now: clock_value,
    }
}

impl Fixture {
    fn mine(&mut self, n: u64) -> Vec<bitcoin::BlockHash> {
        self.miner
            .generate_blocks(&mut self.cm, &op_true(), n, DEFAULT_MAX_TRIES, &mut NoTxs)
            .unwrap()
    }

    fn block_at(&self, height: u32) -> Block {
        let hash = self.cm.block_hash_at(height).unwrap();
        self.cm.get_block(&hash).unwrap().unwrap()
    }

    fn testdummy_for_next(&self) -> ThresholdState {
        self.miner.versionbits().state(
            self.cm.block_index(),
            self.cm.active_chain().tip(),
            &self.cm.params().consensus,
            DeploymentPos::TestDummy,
        )
    }
}

fn spend(prevout: OutPoint, value: u64) -> Transaction {
    Transaction {
        version: TxVersion(2),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: prevout,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(value),
            script_pubkey: op_true(),
        }],
    }
}

fn coinbase_outpoint(block: &Block) -> OutPoint {
    OutPoint {
        txid: block.txdata[0].compute_txid(),
        vout: 0,
    }
}

#[test]
fn two_hundred_regtest_blocks() {
    // The clock stays at the genesis time: every block takes MTP + 1.
    let mut f = fixture(AssemblerOptions::default(), genesis_time());
    assert_eq!(f.testdummy_for_next(), ThresholdState::Defined);
    let hashes = f.mine(119);
    assert_eq!(hashes.len(), 119);
    assert_eq!(f.cm.height(), 119);
    // The next block opens the second period of 120: testdummy (start 0) STARTED.
    assert_eq!(f.testdummy_for_next(), ThresholdState::Started);
    let more = f.mine(81);
    assert_eq!(more.len(), 81);
    assert_eq!(f.cm.height(), 200);
    assert_eq!(f.cm.tip().unwrap().hash, *more.last().unwrap());

    let consensus = f.cm.params().consensus.clone();
    let mut last_time = genesis_time();
    for height in 1..=200u32 {
        let block = f.block_at(height);
        let entry = f.cm.lookup(&block.block_hash()).unwrap();
        assert_eq!(entry.height, height);
        if height <= 119 {
            assert_eq!(
                block.header.version.to_consensus(),
                0x2000_0000,
                "height {height}"
            );
        } else {
            assert_eq!(
                block.header.version.to_consensus(),
                0x3000_0000,
                "height {height}"
            );
        }
        let cb = &block.txdata[0];
        assert_eq!(block.txdata.len(), 1);
        // Subsidy: the premine at 1, 50 WCN to 149, 25 WCN from the halving at 150.
        let expect = match height {
            1 => 3_500_000 * COIN,
            2..=149 => 50 * COIN,
            _ => 25 * COIN,
        };
        assert_eq!(cb.output[0].value.to_sat(), expect, "height {height}");
        assert_eq!(cb.output[0].script_pubkey, op_true());
        assert_eq!(
            widecoin_chainparams::get_block_subsidy(height, &consensus),
            expect
        );
        // BIP34: `CScript() << height << OP_0`.
        let sig = cb.input[0].script_sig.as_bytes();
        let push = widecoin_chainstate::checks::bip34_height_script(height);
        assert_eq!(&sig[..push.len()], &push[..]);
        assert_eq!(&sig[push.len()..], &[0x00]);
        // Witness commitment as the last output, reserved value of 32 zeros.
        assert_eq!(cb.output.len(), 2);
        assert_eq!(cb.output[1].value, Amount::ZERO);
        let spk = cb.output[1].script_pubkey.as_bytes();
        assert_eq!(&spk[..6], &[0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed]);
        assert_eq!(spk, &witness_commitment_script(&block)[..]);
        assert_eq!(cb.input[0].witness.len(), 1);
        assert_eq!(cb.input[0].witness.iter().next().unwrap(), &[0u8; 32]);
        // Time: max(MTP + 1, now) with now behind = MTP + 1, never going back.
        let mtp = f.cm.median_time_past(&block.header.prev_blockhash).unwrap();
        assert_eq!(i64::from(block.header.time), mtp + 1, "height {height}");
        assert!(i64::from(block.header.time) >= last_time);
        last_time = i64::from(block.header.time);
        assert_eq!(block.header.bits.to_consensus(), 0x207f_ffff);
    }
    // Exact coinbase scripts of a few heights.
    assert_eq!(
        f.block_at(1).txdata[0].input[0].script_sig.as_bytes(),
        &[0x51, 0x00]
    );
    assert_eq!(
        f.block_at(16).txdata[0].input[0].script_sig.as_bytes(),
        &[0x60, 0x00]
    );
    assert_eq!(
        f.block_at(17).txdata[0].input[0].script_sig.as_bytes(),
        &[0x01, 0x11, 0x00]
    );
    assert_eq!(
        f.block_at(128).txdata[0].input[0].script_sig.as_bytes(),
        &[0x02, 0x80, 0x00, 0x00]
    );

    // getmininginfo after an empty template.
    let info = f.miner.mining_info(&f.cm, 0, String::new());
    assert_eq!(info.blocks, 200);
    assert_eq!(info.current_block_weight, Some(4000));
    assert_eq!(info.current_block_tx, Some(0));
    assert_eq!(info.difficulty, widecoin_mining::difficulty(0x207f_ffff));
    assert_eq!(info.chain, "regtest");
    assert!(info.network_hash_ps > 0.0);
}

#[test]
fn testdummy_locks_in_and_activates_with_signalling_miners() {
    let mut f = fixture(AssemblerOptions::default(), genesis_time());
    let mut seen = vec![(0u32, f.testdummy_for_next())];
    for _ in 0..361 {
        f.mine(1);
        let s = f.testdummy_for_next();
        if s != seen.last().unwrap().1 {
            seen.push((f.cm.height() as u32 + 1, s));
        }
    }
    assert_eq!(
        seen,
        vec![
            (0, ThresholdState::Defined),
            (120, ThresholdState::Started),
            (240, ThresholdState::LockedIn),
            (360, ThresholdState::Active),
        ]
    );
    // Signalling stops once active.
    assert_eq!(f.block_at(359).header.version.to_consensus(), 0x3000_0000);
    assert_eq!(f.block_at(360).header.version.to_consensus(), 0x2000_0000);
    let vb = f.miner.versionbits();
    let index = f.cm.block_index();
    let tip = f.cm.active_chain().tip();
    let c = &f.cm.params().consensus;
    assert_eq!(
        vb.state_since_height(index, tip, c, DeploymentPos::TestDummy),
        360
    );
    // Taproot is ALWAYS_ACTIVE on regtest and never signalled.
    assert_eq!(
        vb.state(index, tip, c, DeploymentPos::Taproot),
        ThresholdState::Active
    );
}

#[test]
fn block_times_follow_the_clock_and_never_fall_below_mtp() {
    let start = genesis_time() + 1_000;
    let mut f = fixture(AssemblerOptions::default(), start);
    let mut times = Vec::new();
    for i in 0..20 {
        f.now.store(start + 30 * i, Ordering::SeqCst);
        f.mine(1);
        times.push(i64::from(f.cm.tip().unwrap().header.time));
    }
    assert_eq!(times, (0..20).map(|i| start + 30 * i).collect::<Vec<_>>());
    assert!(times.windows(2).all(|w| w[0] < w[1]));
    // The clock goes back an hour: the next block takes MTP + 1.
    f.now.store(start - 3_600, Ordering::SeqCst);
    let mtp = f.cm.tip_median_time_past().unwrap();
    f.mine(1);
    assert_eq!(i64::from(f.cm.tip().unwrap().header.time), mtp + 1);
}

#[test]
fn max_tries_exhausted_returns_what_was_mined() {
    let mut f = fixture(AssemblerOptions::default(), genesis_time());
    let hashes = f
        .miner
        .generate_blocks(&mut f.cm, &op_true(), 1_000, 8, &mut NoTxs)
        .unwrap();
    assert!(hashes.len() < 1_000);
    assert_eq!(f.cm.height(), hashes.len() as i64);
    // No tries at all: nothing.
    let none = f
        .miner
        .generate_blocks(&mut f.cm, &op_true(), 5, 0, &mut NoTxs)
        .unwrap();
    assert!(none.is_empty());
}

#[test]
fn generate_block_rejects_a_missing_input_with_cores_message() {
    let mut f = fixture(AssemblerOptions::default(), genesis_time());
    f.mine(1);
    let bogus = spend(
        OutPoint {
            txid: Txid::from_byte_array([7; 32]),
            vout: 0,
        },
        COIN,
    );
    let err = f
        .miner
        .generate_block(&mut f.cm, &op_true(), vec![bogus], true)
        .unwrap_err();
    assert_eq!(err.rpc_code(), RPC_VERIFY_ERROR);
    assert_eq!(
        err.to_string(),
        "TestBlockValidity failed: bad-txns-inputs-missingorspent, CheckTxInputs: inputs missing/spent"
    );
    assert_eq!(f.cm.height(), 1);
}

#[test]
fn generate_block_with_a_spend_and_without_submitting() {
    let mut f = fixture(AssemblerOptions::default(), genesis_time());
    f.mine(50);
    let premine = coinbase_outpoint(&f.block_at(1));
    // Height 51 may spend the coinbase of height 1 (maturity 50)...
    let tx = spend(premine, 3_499_999 * COIN);
    // ...but an immature one is refused.
    let young = spend(coinbase_outpoint(&f.block_at(2)), COIN);
    let err = f
        .miner
        .generate_block(&mut f.cm, &op_true(), vec![young], true)
        .unwrap_err();
    assert!(err
        .to_string()
        .starts_with("TestBlockValidity failed: bad-txns-premature-spend-of-coinbase"));

    let unsubmitted = f
        .miner
        .generate_block(&mut f.cm, &op_true(), vec![tx.clone()], false)
        .unwrap();
    assert_eq!(f.cm.height(), 50);
    assert!(f.cm.lookup(&unsubmitted.hash).is_none());
    let got = f
        .miner
        .generate_block(&mut f.cm, &op_true(), vec![tx.clone()], true)
        .unwrap();
    assert_eq!(f.cm.height(), 51);
    assert_eq!(f.cm.tip().unwrap().hash, got.hash);
    let block = f.block_at(51);
    assert_eq!(block.txdata[1], tx);
    // generateblock claims no fees (its template has no mempool).
    assert_eq!(block.txdata[0].output[0].value.to_sat(), 50 * COIN);
    let spk = block.txdata[0]
        .output
        .last()
        .unwrap()
        .script_pubkey
        .as_bytes()
        .to_vec();
    assert_eq!(spk, witness_commitment_script(&block));
}

#[test]
fn templates_take_given_transactions_and_their_fees() {
    let mut f = fixture(AssemblerOptions::default(), genesis_time());
    f.mine(50);
    let premine = coinbase_outpoint(&f.block_at(1));
    let tx = spend(premine, 3_500_000 * COIN - 10_000);
    let mut source = vec![BlockTx {
        tx: tx.clone(),
        fee: 10_000,
        sigop_cost: 0,
    }];
    let hashes = f
        .miner
        .generate_blocks(&mut f.cm, &op_true(), 1, DEFAULT_MAX_TRIES, &mut source)
        .unwrap();
    let block = f.cm.get_block(&hashes[0]).unwrap().unwrap();
    assert_eq!(block.txdata.len(), 2);
    assert_eq!(block.txdata[0].output[0].value.to_sat(), 50 * COIN + 10_000);
    let info = f.miner.mining_info(&f.cm, 1, String::new());
    assert_eq!(info.current_block_tx, Some(1));
    assert_eq!(info.current_block_weight, Some(4000 + tx.weight().to_wu()));
    assert_eq!(info.pooled_tx, 1);
}

#[test]
fn block_max_weight_is_clamped_and_leaves_out_what_does_not_fit() {
    let opts = AssemblerOptions {
        block_max_weight: 1,
        ..AssemblerOptions::default()
    };
    assert_eq!(opts.clamped_max_weight(), 4000);
    let big = AssemblerOptions {
        block_max_weight: 100_000_000,
        ..AssemblerOptions::default()
    };
    assert_eq!(big.clamped_max_weight(), 31_996_000);

    let mut f = fixture(opts, genesis_time());
    f.mine(50);
    let tx = spend(coinbase_outpoint(&f.block_at(1)), 3_400_000 * COIN);
    let mut source = vec![BlockTx {
        tx,
        fee: 100_000 * COIN as i64,
        sigop_cost: 0,
    }];
    let template = f
        .miner
        .create_new_block(&mut f.cm, &op_true(), &mut source)
        .unwrap();
    assert_eq!(template.block.txdata.len(), 1);
    assert_eq!(template.tx_fees, vec![0]);
}

#[test]
fn blockversion_overrides_on_regtest() {
    let opts = AssemblerOptions {
        block_version: Some(0x2000_0007),
        ..AssemblerOptions::default()
    };
    let mut f = fixture(opts, genesis_time());
    f.mine(2);
    assert_eq!(f.block_at(2).header.version.to_consensus(), 0x2000_0007);
}

#[test]
fn generateblock_arguments() {
    let err = decode_generateblock_tx("zz", |_| None).unwrap_err();
    assert_eq!(err.rpc_code(), RPC_DESERIALIZATION_ERROR);
    assert_eq!(
        err.to_string(),
        "Transaction decode failed for zz. Make sure the tx has at least one input."
    );
    let txid = "ab".repeat(32);
    let err = decode_generateblock_tx(&txid, |_| None).unwrap_err();
    assert_eq!(err.rpc_code(), RPC_INVALID_ADDRESS_OR_KEY);
    assert_eq!(
        err.to_string(),
        format!("Transaction {txid} not in mempool.")
    );
    let tx = spend(OutPoint::null(), 1);
    let hex = hex::encode(bitcoin::consensus::serialize(&tx));
    assert_eq!(decode_generateblock_tx(&hex, |_| None).unwrap(), tx);
    // A txid found in the mempool.
    let id = tx.compute_txid();
    let got = decode_generateblock_tx(&id.to_string(), |t| (*t == id).then(|| tx.clone()));
    assert_eq!(got.unwrap(), tx);
    assert!(matches!(
        decode_generateblock_tx("00", |_| None),
        Err(MiningError::TxDecode(_))
    ));
}

#[test]
fn test_block_validity_checks_scripts_and_stores_nothing() {
    let mut f = fixture(AssemblerOptions::default(), genesis_time());
    f.mine(50);
    // The premine pays OP_TRUE; spend it with a script that fails (OP_RETURN).
    let mut tx = spend(coinbase_outpoint(&f.block_at(1)), COIN);
    tx.input[0].script_sig = ScriptBuf::from_bytes(vec![0x6a]);
    let index_len = f.cm.block_index().len();
    let template = f
        .miner
        .create_new_block(&mut f.cm, &op_true(), &mut NoTxs)
        .unwrap();
    let mut block = template.block;
    block.txdata.push(tx);
    widecoin_mining::assembler::regenerate_commitments(
        &mut block,
        51,
        f.cm.params().consensus.segwit_height,
    );
    let now = f.miner.now();
    let err = widecoin_mining::test_block_validity(&mut f.cm, &block, now, false).unwrap_err();
    // A script failure (the fixture checks scripts on one thread).
    assert!(
        widecoin_mining::validity::state_string(&err)
            .starts_with("mandatory-script-verify-flag-failed"),
        "{err}"
    );
    // The stand-in index entry is gone and the tip is unchanged.
    assert_eq!(f.cm.block_index().len(), index_len);
    assert!(f.cm.lookup(&block.block_hash()).is_none());
    assert_eq!(f.cm.height(), 50);
    // A valid block passes, and is not stored either.
    block.txdata.pop();
    widecoin_mining::assembler::regenerate_commitments(
        &mut block,
        51,
        f.cm.params().consensus.segwit_height,
    );
    widecoin_mining::test_block_validity(&mut f.cm, &block, now, false).unwrap();
    assert_eq!(f.cm.block_index().len(), index_len);
    let premine = coinbase_outpoint(&f.block_at(1));
    assert!(f.cm.get_coin(&premine).unwrap().is_some());
}
