//! The block subsidy schedule (widecoin-params.md §4.1).

use crate::consensus::{get_block_subsidy, COIN, MAX_MONEY};
use crate::{ChainParams, ChainType};

#[test]
fn subsidy_values() {
    let main = ChainParams::new(ChainType::Main);
    let c = main.consensus();
    let cases = [
        (0, 5 * COIN),
        (1, 3_500_000 * COIN),
        (2, 50 * COIN),
        (50_000, 50 * COIN),
        (50_001, 20 * COIN),
        (100_000, 20 * COIN),
        (100_001, 10 * COIN),
        (500_000, 10 * COIN),
        (500_001, 5 * COIN),
        (2_102_399, 5 * COIN),
        (2_102_400, 250_000_000),
        (60_969_599, 1),
        (60_969_600, 0),
        (2_102_400 * 64, 0),
        (u32::MAX, 0),
    ];
    for (height, expected) in cases {
        assert_eq!(get_block_subsidy(height, c), expected, "height {height}");
    }
}

#[test]
fn regtest_subsidy() {
    let regtest = ChainParams::new(ChainType::Regtest);
    let c = regtest.consensus();
    assert_eq!(get_block_subsidy(1, c), 3_500_000 * COIN);
    assert_eq!(get_block_subsidy(149, c), 50 * COIN);
    assert_eq!(get_block_subsidy(150, c), 25 * COIN);
    assert_eq!(get_block_subsidy(299, c), 25 * COIN);
    assert_eq!(get_block_subsidy(9_600, c), 0);
}

/// Sum of subsidies over heights 1.. in closed form: the subsidy is constant
/// between consecutive breakpoints (tier edges and halving edges).
#[test]
fn mainnet_total_issuance() {
    let main = ChainParams::new(ChainType::Main);
    let c = main.consensus();
    let interval = u64::from(c.subsidy_halving_interval);
    let mut breaks: Vec<u64> = vec![1, 2, 50_001, 100_001, 500_001];
    breaks.extend((1..=64).map(|k| k * interval));
    breaks.sort_unstable();
    let mut total: u64 = 0;
    let mut era0: u64 = 0;
    for pair in breaks.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        let amount = get_block_subsidy(start as u32, c);
        assert_eq!(get_block_subsidy((end - 1) as u32, c), amount);
        total += (end - start) * amount;
        if end <= interval {
            era0 += (end - start) * amount;
        }
    }
    assert_eq!(get_block_subsidy((64 * interval) as u32, c), 0);
    assert_eq!(era0, 19_011_945 * COIN);
    assert_eq!(total, 2_952_394_472_668_800);
    assert!(total <= MAX_MONEY);
}

#[test]
fn constants() {
    use crate::consensus::*;
    assert_eq!(MAX_MONEY, 3_500_000_000_000_000);
    assert_eq!(COINBASE_MATURITY, 50);
    assert_eq!(MAX_BLOCK_WEIGHT, 32_000_000);
    assert_eq!(MAX_BLOCK_SERIALIZED_SIZE, 8_000_000);
    assert_eq!(MAX_BLOCK_SIGOPS_COST, 80_000);
    assert_eq!(WITNESS_SCALE_FACTOR, 4);
    assert!(money_range(MAX_MONEY as i64) && !money_range(MAX_MONEY as i64 + 1));
    assert!(!money_range(-1));
}
