//! Consensus constants and parameters (Core's `src/consensus/amount.h`,
//! `src/consensus/consensus.h`, `src/consensus/params.h`) and the block subsidy
//! (`GetBlockSubsidy`, `src/validation.cpp`).

use std::collections::BTreeMap;

use bitcoin::{BlockHash, Target, Work};

/// Satoshis in one WCN.
pub const COIN: u64 = 100_000_000;
/// No amount larger than this (in satoshis) is valid: 35,000,000 WCN (Bitcoin: 21 M).
pub const MAX_MONEY: u64 = 35_000_000 * COIN;
/// Maximum block weight (BIP141), 8 × Bitcoin's.
pub const MAX_BLOCK_WEIGHT: u64 = 32_000_000;
/// Maximum serialized block size, including witness data.
pub const MAX_BLOCK_SERIALIZED_SIZE: u64 = 8_000_000;
/// Maximum sigop cost of a block (not scaled with the weight).
pub const MAX_BLOCK_SIGOPS_COST: u64 = 80_000;
/// Coinbase outputs can be spent only this many blocks later (Bitcoin: 100).
pub const COINBASE_MATURITY: u32 = 50;
/// Witness bytes count one quarter of non-witness bytes.
pub const WITNESS_SCALE_FACTOR: u64 = 4;
/// Smallest possible transaction weight (60 stripped bytes).
pub const MIN_TRANSACTION_WEIGHT: u64 = WITNESS_SCALE_FACTOR * 60;
/// Smallest weight of a serializable transaction (10 stripped bytes).
pub const MIN_SERIALIZABLE_TRANSACTION_WEIGHT: u64 = WITNESS_SCALE_FACTOR * 10;

/// The premine paid at height 1 (`GET_PRE_VALUES` in Widecoin's `validation.cpp`), in WCN.
pub const PREMINE_WCN: u64 = 3_500_000;

/// `MoneyRange`: whether `value` (in satoshis) lies in 0..=MAX_MONEY.
pub fn money_range(value: i64) -> bool {
    value >= 0 && value as u64 <= MAX_MONEY
}

/// Script verification flags named by the script-flag exceptions
/// (Core's `SCRIPT_VERIFY_*`, `src/script/interpreter.h`).
pub mod script_flags {
    pub const SCRIPT_VERIFY_NONE: u32 = 0;
    pub const SCRIPT_VERIFY_P2SH: u32 = 1 << 0;
    pub const SCRIPT_VERIFY_WITNESS: u32 = 1 << 11;
}

/// A deployment whose activation height is hard-coded (BIP90; Core's
/// `Consensus::BuriedDeployment`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BuriedDeployment {
    /// BIP34, block height in coinbase.
    HeightInCb,
    /// BIP65, OP_CHECKLOCKTIMEVERIFY.
    Cltv,
    /// BIP66, strict DER signatures.
    DerSig,
    /// BIP68/112/113.
    Csv,
    /// BIP141/143/147.
    Segwit,
}

impl BuriedDeployment {
    pub const ALL: [BuriedDeployment; 5] = [
        BuriedDeployment::HeightInCb,
        BuriedDeployment::Cltv,
        BuriedDeployment::DerSig,
        BuriedDeployment::Csv,
        BuriedDeployment::Segwit,
    ];

    /// The name shown by `getdeploymentinfo` (Core's `DeploymentName`).
    pub fn name(self) -> &'static str {
        match self {
            BuriedDeployment::HeightInCb => "bip34",
            BuriedDeployment::Cltv => "bip65",
            BuriedDeployment::DerSig => "bip66",
            BuriedDeployment::Csv => "csv",
            BuriedDeployment::Segwit => "segwit",
        }
    }

    /// The name accepted by `-testactivationheight` (Core's `GetBuriedDeployment`);
    /// note it differs from [`BuriedDeployment::name`] for DERSIG and CLTV.
    pub fn from_test_activation_name(name: &str) -> Option<BuriedDeployment> {
        match name {
            "segwit" => Some(BuriedDeployment::Segwit),
            "bip34" => Some(BuriedDeployment::HeightInCb),
            "dersig" => Some(BuriedDeployment::DerSig),
            "cltv" => Some(BuriedDeployment::Cltv),
            "csv" => Some(BuriedDeployment::Csv),
            _ => None,
        }
    }
}

/// A BIP9 deployment slot (Core's `Consensus::DeploymentPos`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeploymentPos {
    TestDummy = 0,
    Taproot = 1,
}

/// Number of BIP9 deployment slots (`MAX_VERSION_BITS_DEPLOYMENTS`).
pub const MAX_VERSION_BITS_DEPLOYMENTS: usize = 2;

impl DeploymentPos {
    pub const ALL: [DeploymentPos; MAX_VERSION_BITS_DEPLOYMENTS] =
        [DeploymentPos::TestDummy, DeploymentPos::Taproot];

    /// The name used by `-vbparams` and the RPCs (Core's `VersionBitsDeploymentInfo`).
    pub fn name(self) -> &'static str {
        match self {
            DeploymentPos::TestDummy => "testdummy",
            DeploymentPos::Taproot => "taproot",
        }
    }

    /// Whether getblocktemplate clients must understand this rule (`gbt_force`).
    pub fn gbt_force(self) -> bool {
        true
    }

    pub fn from_name(name: &str) -> Option<DeploymentPos> {
        DeploymentPos::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// One BIP9 deployment (Core's `Consensus::BIP9Deployment`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bip9Deployment {
    /// Bit of nVersion that signals.
    pub bit: u8,
    /// Start median time past, or [`Bip9Deployment::ALWAYS_ACTIVE`] / [`Bip9Deployment::NEVER_ACTIVE`].
    pub start_time: i64,
    /// Timeout median time past, or [`Bip9Deployment::NO_TIMEOUT`].
    pub timeout: i64,
    /// Once locked in, activation waits until at least this height.
    pub min_activation_height: i32,
}

impl Bip9Deployment {
    /// `nTimeout` very far in the future.
    pub const NO_TIMEOUT: i64 = i64::MAX;
    /// `nStartTime` meaning the deployment is always active.
    pub const ALWAYS_ACTIVE: i64 = -1;
    /// `nStartTime` meaning the deployment is never active.
    pub const NEVER_ACTIVE: i64 = -2;
}

/// Parameters that influence chain consensus (Core's `Consensus::Params`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsensusParams {
    pub hash_genesis_block: BlockHash,
    pub subsidy_halving_interval: u32,
    /// Blocks validated with other base script flags than P2SH|WITNESS|TAPROOT.
    /// An ordered map as in Core, so mainnet's duplicated key keeps its first
    /// value (see widecoin-params.md note A).
    pub script_flag_exceptions: BTreeMap<BlockHash, u32>,
    pub bip34_height: i32,
    pub bip34_hash: BlockHash,
    pub bip65_height: i32,
    pub bip66_height: i32,
    pub csv_height: i32,
    pub segwit_height: i32,
    /// Don't warn about unknown BIP9 activations below this height.
    pub min_bip9_warning_height: i32,
    pub rule_change_activation_threshold: u32,
    pub miner_confirmation_window: u32,
    pub deployments: [Bip9Deployment; MAX_VERSION_BITS_DEPLOYMENTS],
    pub pow_limit: Target,
    pub pow_allow_min_difficulty_blocks: bool,
    pub pow_no_retargeting: bool,
    /// Seconds between blocks.
    pub pow_target_spacing: i64,
    /// Seconds per difficulty period.
    pub pow_target_timespan: i64,
    pub minimum_chain_work: Work,
    pub default_assume_valid: BlockHash,
    /// BIP325: blocks carry a solution to `signet_challenge`.
    pub signet_blocks: bool,
    pub signet_challenge: Vec<u8>,
}

impl ConsensusParams {
    /// Blocks per difficulty period (120 on every Widecoin network).
    pub fn difficulty_adjustment_interval(&self) -> i64 {
        self.pow_target_timespan / self.pow_target_spacing
    }

    /// Activation height of a buried deployment (`DeploymentHeight`).
    pub fn deployment_height(&self, dep: BuriedDeployment) -> i32 {
        match dep {
            BuriedDeployment::HeightInCb => self.bip34_height,
            BuriedDeployment::Cltv => self.bip65_height,
            BuriedDeployment::DerSig => self.bip66_height,
            BuriedDeployment::Csv => self.csv_height,
            BuriedDeployment::Segwit => self.segwit_height,
        }
    }

    pub fn deployment(&self, pos: DeploymentPos) -> &Bip9Deployment {
        &self.deployments[pos as usize]
    }
}

/// The block subsidy at `height`, in satoshis (Widecoin's `GetBlockSubsidy`).
///
/// The base is chosen by height before halving: 3,500,000 WCN at height 1,
/// 50 WCN up to 50,000, 20 up to 100,000, 10 up to 500,000, else 5 (so height 0
/// gives 5 WCN, a quirk of Widecoin Core); it is halved every
/// `subsidy_halving_interval` blocks and is 0 from the 64th halving on.
pub fn get_block_subsidy(height: u32, params: &ConsensusParams) -> u64 {
    let halvings = height / params.subsidy_halving_interval;
    if halvings >= 64 {
        return 0;
    }
    let base = match height {
        1 => PREMINE_WCN * COIN,
        2..=50_000 => 50 * COIN,
        50_001..=100_000 => 20 * COIN,
        100_001..=500_000 => 10 * COIN,
        _ => 5 * COIN,
    };
    base >> halvings
}
