//! Signet parameters (BIP325; Core's `SigNetParams` and `ReadSigNetArgs`).

use std::collections::BTreeMap;

use bitcoin::hashes::{sha256d, Hash};
use bitcoin::{Target, Work};

use crate::base::ChainType;
use crate::consensus::ConsensusParams;
use crate::error::{try_parse_hex, ChainParamsError};
use crate::genesis::create_genesis_block;
use crate::networks::{be_bytes, taproot_always, testdummy_never};
use crate::params::{
    hash, null_hash, sha256d_hash, AssumeutxoData, Base58Prefixes, ChainParams, ChainTxData,
    MessageStart,
};

/// The default signet challenge: a 1-of-2 bare multisig, the same as Bitcoin's.
pub const DEFAULT_SIGNET_CHALLENGE: &str = "512103ad5e0edad18cb1f0fc0d28a3d4f1f3e445640337489abb10404f2d1e086be430210359ef5021964fe22d6f8e05b2463c9540ce96883fe3b278760f048f5189f2e6c452ae";

/// Options for building signet parameters (Core's `CChainParams::SigNetOptions`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignetOptions {
    /// `-signetchallenge`; `None` uses [`DEFAULT_SIGNET_CHALLENGE`].
    pub challenge: Option<Vec<u8>>,
    /// `-signetseednode`; `None` keeps the default (no seeds).
    pub seeds: Option<Vec<String>>,
}

impl SignetOptions {
    /// Reads the options from the values of `-signetseednode` and
    /// `-signetchallenge` (`None` when the argument is not set).
    pub fn from_args(
        signet_seednode: Option<Vec<String>>,
        signet_challenge: Option<Vec<String>>,
    ) -> Result<SignetOptions, ChainParamsError> {
        let mut options = SignetOptions {
            seeds: signet_seednode,
            challenge: None,
        };
        if let Some(values) = signet_challenge {
            if values.len() != 1 {
                return Err(ChainParamsError::SignetChallengeMultiple);
            }
            let bytes = try_parse_hex(&values[0])
                .ok_or_else(|| ChainParamsError::SignetChallengeNotHex(values[0].clone()))?;
            options.challenge = Some(bytes);
        }
        Ok(options)
    }
}

/// The signet message start: the first four bytes of the SHA256d of the
/// challenge serialized with its compact-size length prefix.
pub fn signet_message_start(challenge: &[u8]) -> MessageStart {
    let mut data = Vec::with_capacity(challenge.len() + 9);
    let len = challenge.len() as u64;
    match len {
        0..=0xfc => data.push(len as u8),
        0xfd..=0xffff => {
            data.push(0xfd);
            data.extend_from_slice(&(len as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            data.push(0xfe);
            data.extend_from_slice(&(len as u32).to_le_bytes());
        }
        _ => {
            data.push(0xff);
            data.extend_from_slice(&len.to_le_bytes());
        }
    }
    data.extend_from_slice(challenge);
    let digest = sha256d::Hash::hash(&data);
    let bytes = digest.to_byte_array();
    [bytes[0], bytes[1], bytes[2], bytes[3]]
}

pub(crate) fn signet(options: &SignetOptions) -> ChainParams {
    let (challenge, assumed_blockchain_size, chain_tx_data) = match &options.challenge {
        None => (
            hex::decode(DEFAULT_SIGNET_CHALLENGE).expect("constant hex"),
            1,
            ChainTxData {
                time: 1_617_605_541,
                tx_count: 0,
                tx_rate: 0.00159272030651341,
            },
        ),
        Some(custom) => {
            tracing::info!("Signet with challenge {}", hex::encode(custom));
            (
                custom.clone(),
                0,
                ChainTxData {
                    time: 0,
                    tx_count: 0,
                    tx_rate: 0.0,
                },
            )
        }
    };
    let genesis = create_genesis_block(1_617_605_541, 1_689_853, 0x1e03_77ae, 1);
    let consensus = ConsensusParams {
        hash_genesis_block: genesis.block_hash(),
        subsidy_halving_interval: 2_102_400,
        script_flag_exceptions: BTreeMap::new(),
        bip34_height: 1,
        bip34_hash: null_hash(),
        bip65_height: 1,
        bip66_height: 1,
        csv_height: 1,
        segwit_height: 1,
        min_bip9_warning_height: 0,
        rule_change_activation_threshold: 95,
        miner_confirmation_window: 120,
        deployments: [testdummy_never(), taproot_always()],
        pow_limit: Target::from_be_bytes(be_bytes(
            "00000377ae000000000000000000000000000000000000000000000000000000",
        )),
        pow_allow_min_difficulty_blocks: false,
        pow_no_retargeting: false,
        pow_target_spacing: 30,
        pow_target_timespan: 3600,
        minimum_chain_work: Work::from_be_bytes([0; 32]),
        default_assume_valid: null_hash(),
        signet_blocks: true,
        signet_challenge: challenge,
    };
    ChainParams {
        chain_type: ChainType::Signet,
        message_start: signet_message_start(&consensus.signet_challenge),
        consensus,
        default_port: 38553,
        prune_after_height: 1000,
        assumed_blockchain_size,
        assumed_chain_state_size: 0,
        dns_seeds: options.seeds.clone().unwrap_or_default(),
        base58_prefixes: Base58Prefixes::new(
            111,
            65,
            239,
            Base58Prefixes::TEST_XPUB,
            Base58Prefixes::TEST_XPRV,
        ),
        bech32_hrp: "tw".to_string(),
        genesis,
        fixed_seeds: Vec::new(),
        default_consistency_checks: false,
        is_mockable_chain: false,
        checkpoints: BTreeMap::new(),
        // Bitcoin's signet entry, copied verbatim by Widecoin; it cannot match.
        assumeutxo_data: vec![AssumeutxoData {
            height: 160_000,
            hash_serialized: sha256d_hash(
                "fe0a44309b74d6b5883d246cb419c6221bcccf0b308c9b59b7d70783dbdf928a",
            ),
            chain_tx: 2_289_496,
            blockhash: hash("0000003ca3c99aff040f2563c2ad8f8ec88bd0fd6b8f0895cfaf1ef90353a62c"),
        }],
        chain_tx_data,
    }
}
