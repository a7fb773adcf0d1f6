//! Regtest parameters (Core's `CRegTestParams` and `ReadRegTestArgs`).

use std::collections::BTreeMap;

use bitcoin::{Target, Work};

use crate::base::ChainType;
use crate::consensus::{Bip9Deployment, BuriedDeployment, ConsensusParams, DeploymentPos};
use crate::error::{parse_int, ChainParamsError};
use crate::genesis::create_genesis_block;
use crate::networks::{be_bytes, taproot_always};
use crate::params::{
    hash, null_hash, sha256d_hash, AssumeutxoData, Base58Prefixes, ChainParams, ChainTxData,
};

/// Activation parameters set by `-vbparams` (Core's `VersionBitsParameters`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionBitsParameters {
    pub start_time: i64,
    pub timeout: i64,
    pub min_activation_height: i32,
}

/// Options for building regtest parameters (Core's `CChainParams::RegTestOptions`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegtestOptions {
    pub version_bits_parameters: BTreeMap<DeploymentPos, VersionBitsParameters>,
    pub activation_heights: BTreeMap<BuriedDeployment, i32>,
    /// `-fastprune`: prune after height 100 instead of 1000.
    pub fastprune: bool,
}

impl RegtestOptions {
    /// Reads `-fastprune` (`None` when unset), the values of
    /// `-testactivationheight=name@height` and of
    /// `-vbparams=deployment:start:end[:min_activation_height]`.
    pub fn from_args(
        fastprune: Option<bool>,
        test_activation_heights: &[String],
        vbparams: &[String],
    ) -> Result<RegtestOptions, ChainParamsError> {
        let mut options = RegtestOptions {
            fastprune: fastprune.unwrap_or(false),
            ..RegtestOptions::default()
        };
        for arg in test_activation_heights {
            let (name, value) = arg
                .split_once('@')
                .ok_or_else(|| ChainParamsError::ActivationHeightFormat(arg.clone()))?;
            let height = parse_int::<i32>(value)
                .filter(|h| *h >= 0 && *h < i32::MAX)
                .ok_or_else(|| ChainParamsError::ActivationHeightValue(arg.clone()))?;
            let dep = BuriedDeployment::from_test_activation_name(name)
                .ok_or_else(|| ChainParamsError::ActivationHeightName(arg.clone()))?;
            options.activation_heights.insert(dep, height);
        }
        for arg in vbparams {
            let fields: Vec<&str> = arg.split(':').collect();
            if !(3..=4).contains(&fields.len()) {
                return Err(ChainParamsError::VbParamsMalformed);
            }
            let start_time = parse_int::<i64>(fields[1])
                .ok_or_else(|| ChainParamsError::VbParamsStartTime(fields[1].to_string()))?;
            let timeout = parse_int::<i64>(fields[2])
                .ok_or_else(|| ChainParamsError::VbParamsTimeout(fields[2].to_string()))?;
            let min_activation_height = match fields.get(3) {
                Some(v) => parse_int::<i32>(v)
                    .ok_or_else(|| ChainParamsError::VbParamsMinActivationHeight(v.to_string()))?,
                None => 0,
            };
            let pos = DeploymentPos::from_name(fields[0])
                .ok_or_else(|| ChainParamsError::VbParamsDeployment(fields[0].to_string()))?;
            options.version_bits_parameters.insert(
                pos,
                VersionBitsParameters {
                    start_time,
                    timeout,
                    min_activation_height,
                },
            );
            tracing::info!(
                "Setting version bits activation parameters for {} to start={}, timeout={}, min_activation_height={}",
                fields[0],
                start_time,
                timeout,
                min_activation_height
            );
        }
        Ok(options)
    }
}

pub(crate) fn regtest(options: &RegtestOptions) -> ChainParams {
    let genesis = create_genesis_block(1_296_688_602, 4, 0x207f_ffff, 1);
    let mut consensus = ConsensusParams {
        hash_genesis_block: genesis.block_hash(),
        subsidy_halving_interval: 150,
        script_flag_exceptions: BTreeMap::new(),
        bip34_height: 1,
        bip34_hash: null_hash(),
        bip65_height: 1,
        bip66_height: 1,
        csv_height: 1,
        segwit_height: 0,
        min_bip9_warning_height: 0,
        rule_change_activation_threshold: 95,
        miner_confirmation_window: 120,
        deployments: [
            Bip9Deployment {
                bit: 28,
                start_time: 0,
                timeout: Bip9Deployment::NO_TIMEOUT,
                min_activation_height: 0,
            },
            taproot_always(),
        ],
        pow_limit: Target::from_be_bytes(be_bytes(
            "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        )),
        pow_allow_min_difficulty_blocks: true,
        pow_no_retargeting: true,
        pow_target_spacing: 30,
        pow_target_timespan: 3600,
        minimum_chain_work: Work::from_be_bytes([0; 32]),
        default_assume_valid: null_hash(),
        signet_blocks: false,
        signet_challenge: Vec::new(),
    };
    for (dep, height) in &options.activation_heights {
        let slot = match dep {
            BuriedDeployment::Segwit => &mut consensus.segwit_height,
            BuriedDeployment::HeightInCb => &mut consensus.bip34_height,
            BuriedDeployment::DerSig => &mut consensus.bip66_height,
            BuriedDeployment::Cltv => &mut consensus.bip65_height,
            BuriedDeployment::Csv => &mut consensus.csv_height,
        };
        *slot = *height;
    }
    for (pos, vb) in &options.version_bits_parameters {
        let d = &mut consensus.deployments[*pos as usize];
        d.start_time = vb.start_time;
        d.timeout = vb.timeout;
        d.min_activation_height = vb.min_activation_height;
    }
    ChainParams {
        chain_type: ChainType::Regtest,
        consensus,
        message_start: [0xfa, 0xbf, 0xb5, 0xda],
        default_port: 18444,
        prune_after_height: if options.fastprune { 100 } else { 1000 },
        assumed_blockchain_size: 0,
        assumed_chain_state_size: 0,
        dns_seeds: Vec::new(),
        base58_prefixes: Base58Prefixes::new(
            111,
            196,
            239,
            Base58Prefixes::TEST_XPUB,
            Base58Prefixes::TEST_XPRV,
        ),
        bech32_hrp: "wcrt".to_string(),
        genesis,
        fixed_seeds: Vec::new(),
        default_consistency_checks: true,
        is_mockable_chain: true,
        checkpoints: BTreeMap::from([(0, null_hash())]),
        // Bitcoin's regtest entries, copied verbatim by Widecoin; they cannot match.
        assumeutxo_data: vec![
            AssumeutxoData {
                height: 110,
                hash_serialized: sha256d_hash(
                    "6657b736d4fe4db0cbc796789e812d5dba7f5c143764b1b6905612f1830609d1",
                ),
                chain_tx: 111,
                blockhash: hash("696e92821f65549c7ee134edceeeeaaa4105647a3c4fd9f298c0aec0ab50425c"),
            },
            AssumeutxoData {
                height: 299,
                hash_serialized: sha256d_hash(
                    "61d9c2b29a2571a5fe285fe2d8554f91f93309666fc9b8223ee96338de25ff53",
                ),
                chain_tx: 300,
                blockhash: hash("7e0517ef3ea6ecbed9117858e42eedc8eb39e8698a38dcbd1b3962a283233f4c"),
            },
        ],
        chain_tx_data: ChainTxData {
            time: 0,
            tx_count: 0,
            tx_rate: 0.0,
        },
    }
}
