//! Hard-coded seed peers (Core's `src/chainparamsseeds.h`) and DNS seeds.

use std::net::SocketAddr;

/// Mainnet fixed seeds; all on port 8553 except one on 8554, as shipped.
const MAIN_FIXED_SEEDS: [&str; 14] = [
    "138.68.139.151:8553",
    "143.198.237.205:8553",
    "104.236.103.132:8553",
    "8.208.89.40:8553",
    "93.104.213.68:8553",
    "144.91.104.184:8553",
    "5.189.163.17:8553",
    "78.109.130.97:8553",
    "66.228.34.29:8553",
    "95.111.247.164:8554",
    "161.97.112.55:8553",
    "135.125.235.154:8553",
    "173.212.212.109:8553",
    "95.165.168.191:8553",
];

const TEST_FIXED_SEEDS: [&str; 2] = ["138.68.139.151:18553", "143.198.237.205:18553"];

pub(crate) const MAIN_DNS_SEEDS: [&str; 5] = [
    "seed01.widecoin.org",
    "seed02.widecoin.org",
    "seed03.widecoin.org",
    "seed04.widecoin.org",
    "seed05.widecoin.org",
];

pub(crate) const TEST_DNS_SEEDS: [&str; 2] =
    ["testnetseed01.widecoin.org", "testnetseed02.widecoin.org"];

fn parse(list: &[&str]) -> Vec<SocketAddr> {
    list.iter()
        .map(|s| s.parse().expect("constant socket address"))
        .collect()
}

pub(crate) fn main_fixed_seeds() -> Vec<SocketAddr> {
    parse(&MAIN_FIXED_SEEDS)
}

pub(crate) fn test_fixed_seeds() -> Vec<SocketAddr> {
    parse(&TEST_FIXED_SEEDS)
}

pub(crate) fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}
