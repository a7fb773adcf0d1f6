//! Chain parameters of Widecoin's four networks (main, test, signet, regtest).
//!
//! Values come from Widecoin Core 6.0's `src/kernel/chainparams.cpp` and
//! `src/chainparamsbase.cpp` as recorded in `../shared/widecoin-params.md` §3.

mod base;
pub use base::{BaseParams, ChainType, UnknownChainError};
