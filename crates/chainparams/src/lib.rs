//! Chain parameters of Widecoin's four networks (main, test, signet, regtest).
//!
//! Values come from Widecoin Core 6.0's `src/kernel/chainparams.cpp` and
//! `src/chainparamsbase.cpp` as recorded in `../shared/widecoin-params.md` §3.

mod base;
pub mod consensus;
mod error;
pub mod genesis;
mod networks;
mod params;
mod regtest;
mod seeds;
mod signet;

pub use base::{BaseParams, ChainType, UnknownChainError};
pub use consensus::{get_block_subsidy, ConsensusParams};
pub use error::ChainParamsError;
pub use params::{
    AssumeutxoData, Base58Prefixes, Base58Type, ChainParams, ChainTxData, MessageStart,
    DEFAULT_ACCEPT_NON_STD_TXN,
};
pub use regtest::{RegtestOptions, VersionBitsParameters};
pub use signet::{signet_message_start, SignetOptions, DEFAULT_SIGNET_CHALLENGE};

#[cfg(test)]
mod tests;
