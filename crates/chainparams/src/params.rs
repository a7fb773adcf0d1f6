//! Full chain parameters of one network (Core's `CChainParams`,
//! `src/kernel/chainparams.h`).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bitcoin::hashes::sha256d;
use bitcoin::{Block, BlockHash};

use crate::base::ChainType;
use crate::consensus::ConsensusParams;
use crate::regtest::RegtestOptions;
use crate::signet::SignetOptions;

/// The four bytes that start every P2P message, blk*.dat record and peers.dat.
pub type MessageStart = [u8; 4];

/// Default for `-acceptnonstdtxn` (`DEFAULT_ACCEPT_NON_STD_TXN`).
pub const DEFAULT_ACCEPT_NON_STD_TXN: bool = false;

/// Which base58 prefix (Core's `CChainParams::Base58Type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Base58Type {
    PubkeyAddress,
    ScriptAddress,
    SecretKey,
    ExtPublicKey,
    ExtSecretKey,
}

/// Base58 version bytes of one network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Base58Prefixes {
    pub pubkey_address: Vec<u8>,
    pub script_address: Vec<u8>,
    pub secret_key: Vec<u8>,
    pub ext_public_key: Vec<u8>,
    pub ext_secret_key: Vec<u8>,
}

impl Base58Prefixes {
    pub(crate) fn new(pubkey: u8, script: u8, secret: u8, xpub: [u8; 4], xprv: [u8; 4]) -> Self {
        Base58Prefixes {
            pubkey_address: vec![pubkey],
            script_address: vec![script],
            secret_key: vec![secret],
            ext_public_key: xpub.to_vec(),
            ext_secret_key: xprv.to_vec(),
        }
    }

    /// The testnet/signet/regtest extended-key prefixes (tpub/tprv).
    pub(crate) const TEST_XPUB: [u8; 4] = [0x04, 0x35, 0x87, 0xCF];
    pub(crate) const TEST_XPRV: [u8; 4] = [0x04, 0x35, 0x83, 0x94];
}

/// What a UTXO snapshot at a given block must hash to (Core's `AssumeutxoData`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssumeutxoData {
    pub height: i32,
    /// Expected hash of the deserialized UTXO set.
    pub hash_serialized: sha256d::Hash,
    /// Transactions in the chain up to and including the base block.
    pub chain_tx: u32,
    pub blockhash: BlockHash,
}

/// Transaction statistics for estimating verification progress (Core's `ChainTxData`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChainTxData {
    /// UNIX time of the last known transaction count.
    pub time: i64,
    /// Transactions between genesis and `time`.
    pub tx_count: i64,
    /// Estimated transactions per second after `time`.
    pub tx_rate: f64,
}

/// Parameters of one Widecoin network (Core's `CChainParams`).
#[derive(Clone, Debug)]
pub struct ChainParams {
    pub chain_type: ChainType,
    pub consensus: ConsensusParams,
    pub message_start: MessageStart,
    pub default_port: u16,
    pub prune_after_height: u64,
    /// Minimum free space (GB) for the data directory.
    pub assumed_blockchain_size: u64,
    /// Minimum free space (GB) when pruned, excluding the prune target.
    pub assumed_chain_state_size: u64,
    /// Host names to look up for DNS seeds.
    pub dns_seeds: Vec<String>,
    pub base58_prefixes: Base58Prefixes,
    pub bech32_hrp: String,
    pub genesis: Block,
    /// Hard-coded peers (Core's BIP155-serialized `vFixedSeeds`).
    pub fixed_seeds: Vec<SocketAddr>,
    /// Default of `-checkmempool` and `-checkblockindex`.
    pub default_consistency_checks: bool,
    /// Whether `setmocktime` is allowed.
    pub is_mockable_chain: bool,
    pub checkpoints: BTreeMap<i32, BlockHash>,
    pub assumeutxo_data: Vec<AssumeutxoData>,
    pub chain_tx_data: ChainTxData,
}

impl ChainParams {
    /// Parameters of `chain`, with default options for signet and regtest.
    pub fn new(chain: ChainType) -> ChainParams {
        match chain {
            ChainType::Main => crate::networks::main(),
            ChainType::Testnet => crate::networks::testnet(),
            ChainType::Signet => ChainParams::signet(&SignetOptions::default()),
            ChainType::Regtest => ChainParams::regtest(&RegtestOptions::default()),
        }
    }

    /// Signet parameters, with a custom challenge and seeds when given.
    pub fn signet(options: &SignetOptions) -> ChainParams {
        crate::signet::signet(options)
    }

    /// Regtest parameters with `-testactivationheight`, `-vbparams` and `-fastprune` applied.
    pub fn regtest(options: &RegtestOptions) -> ChainParams {
        crate::regtest::regtest(options)
    }

    pub fn consensus(&self) -> &ConsensusParams {
        &self.consensus
    }

    pub fn message_start(&self) -> MessageStart {
        self.message_start
    }

    pub fn default_port(&self) -> u16 {
        self.default_port
    }

    pub fn genesis_block(&self) -> &Block {
        &self.genesis
    }

    pub fn genesis_hash(&self) -> BlockHash {
        self.consensus.hash_genesis_block
    }

    /// Whether this chain is only for testing (every chain but main).
    pub fn is_test_chain(&self) -> bool {
        self.chain_type != ChainType::Main
    }

    /// Default policy: non-standard transactions are rejected on every chain
    /// (`-acceptnonstdtxn` defaults to false, and is only allowed on test chains).
    pub fn require_standard(&self) -> bool {
        !DEFAULT_ACCEPT_NON_STD_TXN
    }

    /// Whether blocks can be mined on demand (no retargeting).
    pub fn mine_blocks_on_demand(&self) -> bool {
        self.consensus.pow_no_retargeting
    }

    /// `-chain=` name of this network.
    pub fn chain_type_string(&self) -> &'static str {
        self.chain_type.as_str()
    }

    pub fn base58_prefix(&self, kind: Base58Type) -> &[u8] {
        let p = &self.base58_prefixes;
        match kind {
            Base58Type::PubkeyAddress => &p.pubkey_address,
            Base58Type::ScriptAddress => &p.script_address,
            Base58Type::SecretKey => &p.secret_key,
            Base58Type::ExtPublicKey => &p.ext_public_key,
            Base58Type::ExtSecretKey => &p.ext_secret_key,
        }
    }

    /// Height of the last checkpoint (Core's `CCheckpointData::GetHeight`); 0 when there is none.
    pub fn last_checkpoint_height(&self) -> i32 {
        self.checkpoints.keys().next_back().copied().unwrap_or(0)
    }

    pub fn assumeutxo_for_height(&self, height: i32) -> Option<AssumeutxoData> {
        self.assumeutxo_data
            .iter()
            .find(|d| d.height == height)
            .copied()
    }

    pub fn assumeutxo_for_blockhash(&self, hash: &BlockHash) -> Option<AssumeutxoData> {
        self.assumeutxo_data
            .iter()
            .find(|d| &d.blockhash == hash)
            .copied()
    }

    pub fn tx_data(&self) -> &ChainTxData {
        &self.chain_tx_data
    }
}

/// Parses a Core `uint256S`-style hex string (display order) into a block hash.
pub(crate) fn hash(hex: &str) -> BlockHash {
    hex.parse().expect("constant block hash hex")
}

/// The null hash Core writes as `uint256S("0x")`.
pub(crate) fn null_hash() -> BlockHash {
    use bitcoin::hashes::Hash;
    BlockHash::all_zeros()
}

pub(crate) fn sha256d_hash(hex: &str) -> sha256d::Hash {
    hex.parse().expect("constant hash hex")
}
