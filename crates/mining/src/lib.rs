//! Mining (Core's `node/miner.cpp`, `versionbits.cpp` and the work of
//! `rpc/mining.cpp`): block templates from the chain tip and transactions
//! chosen elsewhere, BIP9 version bits, the nonce search of
//! `generatetoaddress` / `generatetodescriptor` / `generateblock`, and the
//! numbers of `getmininginfo` and `getnetworkhashps`.
//!
//! The RPC layer parses addresses and descriptors into a script and maps
//! [`MiningError::rpc_code`] and its message to the JSON-RPC error.

pub mod assembler;
pub mod error;
pub mod generate;
pub mod info;
pub mod validity;
pub mod versionbits;

pub use assembler::{
    AssemblerOptions, BlockAssembler, BlockTemplate, BlockTx, NoTxs, TxSource,
    DEFAULT_BLOCK_MAX_WEIGHT, DEFAULT_BLOCK_MIN_TX_FEE,
};
pub use error::MiningError;
pub use generate::{
    decode_generateblock_tx, solve, GeneratedBlock, Miner, Solve, DEFAULT_MAX_TRIES,
};
pub use info::{difficulty, network_hash_ps, MiningInfo, DEFAULT_NETWORK_HASHPS_BLOCKS};
pub use validity::test_block_validity;
pub use versionbits::{ThresholdState, VersionBitsCache};
