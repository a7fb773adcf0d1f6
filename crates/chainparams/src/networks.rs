//! Mainnet and testnet parameters (Core's `CMainParams` and `CTestNetParams`).

use std::collections::BTreeMap;

use bitcoin::{Target, Work};

use crate::base::ChainType;
use crate::consensus::script_flags::SCRIPT_VERIFY_NONE;
use crate::consensus::{Bip9Deployment, ConsensusParams};
use crate::genesis::create_genesis_block;
use crate::params::{
    hash, null_hash, sha256d_hash, AssumeutxoData, Base58Prefixes, ChainParams, ChainTxData,
};
use crate::seeds;

/// Parses 64 hex digits, most significant first, into a 32-byte big-endian array.
pub(crate) fn be_bytes(hex_str: &str) -> [u8; 32] {
    let bytes = hex::decode(hex_str).expect("constant hex");
    bytes.try_into().expect("32 bytes")
}

/// `00000fff…ff`: main and testnet proof-of-work limit (compact 0x1e0fffff).
const MAIN_POW_LIMIT: &str = "00000fffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

const MAIN_BIP34_HASH: &str = "0000000000a0cd53ce693673c9cd2ea429f18578a9d6b1c48a67045afb017338";

pub(crate) fn testdummy_never() -> Bip9Deployment {
    Bip9Deployment {
        bit: 28,
        start_time: Bip9Deployment::NEVER_ACTIVE,
        timeout: Bip9Deployment::NO_TIMEOUT,
        min_activation_height: 0,
    }
}

pub(crate) fn taproot_always() -> Bip9Deployment {
    Bip9Deployment {
        bit: 2,
        start_time: Bip9Deployment::ALWAYS_ACTIVE,
        timeout: Bip9Deployment::NO_TIMEOUT,
        min_activation_height: 0,
    }
}

fn taproot_2021(min_activation_height: i32) -> Bip9Deployment {
    Bip9Deployment {
        bit: 2,
        start_time: 1_619_222_400, // April 24th, 2021
        timeout: 1_628_640_000,    // August 11th, 2021
        min_activation_height,
    }
}

pub(crate) fn main() -> ChainParams {
    let genesis = create_genesis_block(1_616_638_264, 1_485_372, 0x1e0f_fff0, 1);
    // Core emplaces this hash twice (NONE, then P2SH|WITNESS); in an ordered
    // map the second insert is ignored, leaving NONE.
    let script_flag_exceptions = BTreeMap::from([(hash(MAIN_BIP34_HASH), SCRIPT_VERIFY_NONE)]);
    let consensus = ConsensusParams {
        hash_genesis_block: genesis.block_hash(),
        subsidy_halving_interval: 2_102_400,
        script_flag_exceptions,
        bip34_height: 10_000,
        bip34_hash: hash(MAIN_BIP34_HASH),
        bip65_height: 10_000,
        bip66_height: 10_000,
        csv_height: 10_000,
        segwit_height: 0,
        min_bip9_warning_height: 120,
        rule_change_activation_threshold: 95,
        miner_confirmation_window: 120,
        deployments: [testdummy_never(), taproot_2021(709_632)],
        pow_limit: Target::from_be_bytes(be_bytes(MAIN_POW_LIMIT)),
        pow_allow_min_difficulty_blocks: false,
        pow_no_retargeting: false,
        pow_target_spacing: 30,
        pow_target_timespan: 3600,
        minimum_chain_work: Work::from_be_bytes(be_bytes(
            "0000000000000000000000000000000000000000000000a0a04a0abc10ce96cd",
        )),
        default_assume_valid: hash(
            "000000000000071f43020a9b04d1281308a8997818d858b4b0102fb1628d0053",
        ), // 2230968
        signet_blocks: false,
        signet_challenge: Vec::new(),
    };
    ChainParams {
        chain_type: ChainType::Main,
        consensus,
        message_start: [0xf8, 0xbf, 0xc3, 0xdc],
        default_port: 8553,
        prune_after_height: 100_000,
        assumed_blockchain_size: 4,
        assumed_chain_state_size: 3,
        dns_seeds: seeds::strings(&seeds::MAIN_DNS_SEEDS),
        base58_prefixes: Base58Prefixes::new(
            73,
            33,
            153,
            [0x04, 0x88, 0xB2, 0x1E],
            [0x04, 0x88, 0xAD, 0xE4],
        ),
        bech32_hrp: "wc".to_string(),
        genesis,
        fixed_seeds: seeds::main_fixed_seeds(),
        default_consistency_checks: false,
        is_mockable_chain: false,
        checkpoints: BTreeMap::from([
            (
                2294,
                hash("0000000b9fe756297c4f3b60ed7f55169680f8277812855ec546d5cb888c93a6"),
            ),
            (
                30281,
                hash("000000000000089104aa31da64a0648db63d8179ca6f9f9930683709e54aa699"),
            ),
            (
                184_917,
                hash("00000000000020d6c2f60a4ddc255706716668be96a60a94161bb9fc68ed7a06"),
            ),
            (
                281_240,
                hash("000000000000150874a451cd20ea12c13c6d11db6490c4c18db729d18a1b1259"),
            ),
        ]),
        assumeutxo_data: Vec::new(),
        chain_tx_data: ChainTxData {
            time: 1_627_560_852,
            tx_count: 333_769,
            tx_rate: 0.03335011704430017,
        },
    }
}

pub(crate) fn testnet() -> ChainParams {
    let genesis = create_genesis_block(1_616_884_884, 157_408, 0x1e0f_fff0, 1);
    let consensus = ConsensusParams {
        hash_genesis_block: genesis.block_hash(),
        subsidy_halving_interval: 2_102_400,
        // Keyed by the null hash, so it never matches a block.
        script_flag_exceptions: BTreeMap::from([(null_hash(), SCRIPT_VERIFY_NONE)]),
        bip34_height: 0,
        bip34_hash: null_hash(),
        bip65_height: 0,
        bip66_height: 0,
        csv_height: 0,
        segwit_height: 0,
        min_bip9_warning_height: 0,
        rule_change_activation_threshold: 95,
        miner_confirmation_window: 120,
        deployments: [testdummy_never(), taproot_2021(0)],
        pow_limit: Target::from_be_bytes(be_bytes(MAIN_POW_LIMIT)),
        pow_allow_min_difficulty_blocks: true,
        pow_no_retargeting: false,
        pow_target_spacing: 30,
        pow_target_timespan: 3600,
        minimum_chain_work: Work::from_be_bytes([0; 32]),
        default_assume_valid: null_hash(),
        signet_blocks: false,
        signet_challenge: Vec::new(),
    };
    ChainParams {
        chain_type: ChainType::Testnet,
        consensus,
        message_start: [0xfe, 0xc2, 0xb5, 0xdb],
        default_port: 18553,
        prune_after_height: 1000,
        assumed_blockchain_size: 3,
        assumed_chain_state_size: 3,
        dns_seeds: seeds::strings(&seeds::TEST_DNS_SEEDS),
        base58_prefixes: Base58Prefixes::new(
            111,
            65,
            239,
            Base58Prefixes::TEST_XPUB,
            Base58Prefixes::TEST_XPRV,
        ),
        bech32_hrp: "tw".to_string(),
        genesis,
        fixed_seeds: seeds::test_fixed_seeds(),
        default_consistency_checks: false,
        is_mockable_chain: false,
        checkpoints: BTreeMap::from([(0, null_hash())]),
        // Bitcoin's testnet entry, copied verbatim by Widecoin; it cannot match.
        assumeutxo_data: vec![AssumeutxoData {
            height: 2_500_000,
            hash_serialized: sha256d_hash(
                "f841584909f68e47897952345234e37fcd9128cd818f41ee6c3ca68db8071be7",
            ),
            chain_tx: 66_484_552,
            blockhash: hash("0000000000000093bcb68c03a9a168ae252572d348a2eaeba2cdf9231d73206f"),
        }],
        chain_tx_data: ChainTxData {
            time: 1_616_884_884,
            tx_count: 0,
            tx_rate: 0.1232886622799463,
        },
    }
}
