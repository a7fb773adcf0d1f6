//! Lock times: `IsFinalTx`, BIP68 sequence locks, and the mempool's checks at the tip
//! (scenarios of Core's `miner_tests` sequence-lock section).

mod common;

use std::collections::HashMap;

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{OutPoint, Sequence, Transaction};
use common::*;
use widecoin_consensus::constants::{SEQUENCE_LOCKTIME_DISABLE_FLAG, SEQUENCE_LOCKTIME_TYPE_FLAG};
use widecoin_mempool::*;

/// A chain whose block at height h has median time past 1_000_000 + 30 * h.
fn chain(tip: i32) -> Vec<i64> {
    (0..=tip).map(|h| 1_000_000 + 30 * i64::from(h)).collect()
}

fn with_sequences(seqs: &[u32], lock_time: u32) -> Transaction {
    let mut t = tx(
        seqs.iter()
            .enumerate()
            .map(|(i, s)| {
                let mut txin = input(outpoint(1, i as u32));
                txin.sequence = Sequence(*s);
                txin
            })
            .collect(),
        vec![output(1000, vec![0x51])],
    );
    t.lock_time = LockTime::from_consensus(lock_time);
    t
}

#[test]
fn final_tx() {
    let t = with_sequences(&[0], 0);
    assert!(is_final_tx(&t, 0, 0));
    // Height locks: final once the block height is above the lock time.
    let t = with_sequences(&[0], 100);
    assert!(!is_final_tx(&t, 100, i64::MAX));
    assert!(is_final_tx(&t, 101, 0));
    // Time locks compare with the block time (the median time past under BIP113).
    let t = with_sequences(&[0], 500_000_000);
    assert!(!is_final_tx(&t, i32::MAX, 500_000_000));
    assert!(is_final_tx(&t, 0, 500_000_001));
    // All-final sequences disable the lock time.
    let t = with_sequences(&[0xffff_ffff, 0xffff_ffff], 100);
    assert!(is_final_tx(&t, 1, 0));
    let t = with_sequences(&[0xffff_ffff, 0xffff_fffe], 100);
    assert!(!is_final_tx(&t, 1, 0));

    // At the tip: the next block's height and the tip's median time past.
    let t = with_sequences(&[0], 100);
    assert_eq!(check_final_tx_at_tip(&t, 100, 0), Ok(()));
    let e = check_final_tx_at_tip(&t, 99, 0).unwrap_err();
    assert_eq!(e.reject_reason(), "non-final");
    assert_eq!(e.block_reject_reason(), "bad-txns-nonfinal");
    assert_eq!(e.result(), TxValidationResult::PrematureSpend);
    assert_eq!(TxRejection::from(e).to_string(), "non-final");
    let t = with_sequences(&[0], 1_000_000_000);
    assert_eq!(
        check_final_tx_at_tip(&t, 5, 1_000_000_000),
        Err(LockTimeError::NonFinal)
    );
    assert_eq!(check_final_tx_at_tip(&t, 5, 1_000_000_001), Ok(()));
}

#[test]
fn height_and_time_sequence_locks() {
    let c = chain(300);
    // Height lock of 10 on a coin at height 100: locked through height 109.
    let t = with_sequences(&[10], 0);
    let mut heights = [100];
    let lock = calculate_sequence_locks(&t, LOCKTIME_VERIFY_SEQUENCE, &mut heights, &c);
    assert_eq!(
        lock,
        SequenceLock {
            min_height: 109,
            min_time: -1
        }
    );
    assert!(!sequence_locks(
        &t,
        LOCKTIME_VERIFY_SEQUENCE,
        &mut [100],
        109,
        &c
    ));
    assert!(sequence_locks(
        &t,
        LOCKTIME_VERIFY_SEQUENCE,
        &mut [100],
        110,
        &c
    ));

    // Time lock of 2 * 512 s from the median time past of the block before the coin's.
    let t = with_sequences(&[SEQUENCE_LOCKTIME_TYPE_FLAG | 2], 0);
    let lock = calculate_sequence_locks(&t, LOCKTIME_VERIFY_SEQUENCE, &mut [100], &c);
    let expected = c[99] + 1024 - 1;
    assert_eq!(
        lock,
        SequenceLock {
            min_height: -1,
            min_time: expected
        }
    );
    assert!(!evaluate_sequence_locks(200, expected, lock));
    assert!(evaluate_sequence_locks(200, expected + 1, lock));
    // Block 135's parent has MTP c[99] + 35 * 30 = c[99] + 1050 > expected.
    assert!(!sequence_locks(
        &t,
        LOCKTIME_VERIFY_SEQUENCE,
        &mut [100],
        134,
        &c
    ));
    assert!(sequence_locks(
        &t,
        LOCKTIME_VERIFY_SEQUENCE,
        &mut [100],
        136,
        &c
    ));
    // A coin at height 0 measures from block 0.
    let lock = calculate_sequence_locks(&t, LOCKTIME_VERIFY_SEQUENCE, &mut [0], &c);
    assert_eq!(lock.min_time, c[0] + 1023);

    // The largest lock of several inputs wins; the mask ignores bits 16..22.
    let t = with_sequences(&[5, 3 | (1 << 16), SEQUENCE_LOCKTIME_TYPE_FLAG | 1], 0);
    let lock = calculate_sequence_locks(&t, LOCKTIME_VERIFY_SEQUENCE, &mut [100, 103, 50], &c);
    assert_eq!(lock.min_height, 105);
    assert_eq!(lock.min_time, c[49] + 511);
}

#[test]
fn when_bip68_does_not_apply() {
    let c = chain(10);
    let mut t = with_sequences(&[SEQUENCE_LOCKTIME_DISABLE_FLAG | 10, 10], 0);
    let mut heights = [7, 8];
    let lock = calculate_sequence_locks(&t, LOCKTIME_VERIFY_SEQUENCE, &mut heights, &c);
    assert_eq!(lock.min_height, 17);
    // A disabled input's height is zeroed, as in Core.
    assert_eq!(heights, [0, 8]);

    let none = SequenceLock {
        min_height: -1,
        min_time: -1,
    };
    // Without the flag, or before version 2, no locks.
    assert_eq!(calculate_sequence_locks(&t, 0, &mut [7, 8], &c), none);
    t.version = Version(1);
    assert_eq!(
        calculate_sequence_locks(&t, LOCKTIME_VERIFY_SEQUENCE, &mut [7, 8], &c),
        none
    );
    // The version is read unsigned: -1 is 0xffffffff >= 2.
    t.version = Version(-1);
    assert_eq!(
        calculate_sequence_locks(&t, LOCKTIME_VERIFY_SEQUENCE, &mut [7, 8], &c).min_height,
        17
    );
    // A zero relative lock is no lock.
    let t = with_sequences(&[0], 0);
    assert!(sequence_locks(
        &t,
        LOCKTIME_VERIFY_SEQUENCE,
        &mut [10],
        10,
        &c
    ));
}

fn coin_at(height: u32) -> Coin {
    Coin {
        output: output(1000, vec![0x51]),
        height,
        is_coinbase: false,
    }
}

#[test]
fn mempool_checks_at_tip() {
    let tip = 200;
    let c = chain(tip);
    let confirmed = outpoint(1, 0);
    let in_mempool = outpoint(1, 1);
    let view: HashMap<OutPoint, Coin> = [
        (confirmed, coin_at(150)),
        (in_mempool, coin_at(MEMPOOL_HEIGHT)),
    ]
    .into_iter()
    .collect();

    // Confirmed coin at 150, lock 51: the next block (201) is the first allowed.
    let t = with_sequences(&[51, 0], 0);
    let lp = check_sequence_locks_at_tip(&t, &view, tip, &c).unwrap();
    assert_eq!(
        lp,
        LockPoints {
            height: 200,
            time: -1,
            max_input_height: 150
        }
    );
    let t = with_sequences(&[52, 0], 0);
    let e = check_sequence_locks_at_tip(&t, &view, tip, &c).unwrap_err();
    assert_eq!(e.reject_reason(), "non-BIP68-final");
    assert_eq!(e.block_reject_reason(), "bad-txns-nonfinal");
    let lp = calculate_lock_points_at_tip(&t, &view, tip, &c).unwrap();
    assert!(!evaluate_lock_points_at_tip(tip, c[200], &lp));
    assert!(evaluate_lock_points_at_tip(tip + 1, c[200], &lp));

    // Mempool coins count as confirmed in the next block: any non-zero lock fails, and they
    // do not count for max_input_height.
    let t = with_sequences(&[0, 1], 0);
    assert_eq!(
        check_sequence_locks_at_tip(&t, &view, tip, &c),
        Err(LockTimeError::NonBip68Final)
    );
    let t = with_sequences(&[0xffff_fffe, 0], 0);
    let lp = check_sequence_locks_at_tip(&t, &view, tip, &c).unwrap();
    assert_eq!(lp.max_input_height, 0);
    // A time lock on a mempool coin counts from the tip's own median time past.
    let t = with_sequences(&[0, SEQUENCE_LOCKTIME_TYPE_FLAG | 1], 0);
    assert_eq!(
        check_sequence_locks_at_tip(&t, &view, tip, &c),
        Err(LockTimeError::NonBip68Final)
    );

    // A time lock against the tip's median time past, using an MtpFn chain.
    let f = MtpFn(|h: u32| 1_000_000 + 600 * i64::from(h));
    let t = with_sequences(&[SEQUENCE_LOCKTIME_TYPE_FLAG | 1, 0xffff_fffe], 0);
    // Coin at 150: unlocked when the tip MTP exceeds mtp(149) + 511.
    assert!(check_sequence_locks_at_tip(&t, &view, 150, &f).is_ok());
    let g = MtpFn(|h: u32| if h >= 150 { 1_000_000 + 511 } else { 1_000_000 });
    assert_eq!(
        check_sequence_locks_at_tip(&t, &view, 160, &g),
        Err(LockTimeError::NonBip68Final)
    );

    // Missing inputs.
    let t = tx(vec![input(outpoint(9, 9))], vec![output(1, vec![0x51])]);
    assert_eq!(calculate_lock_points_at_tip(&t, &view, tip, &c), None);
    assert_eq!(
        check_sequence_locks_at_tip(&t, &view, tip, &c),
        Err(LockTimeError::NonBip68Final)
    );
}
