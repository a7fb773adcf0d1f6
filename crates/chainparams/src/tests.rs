//! Test vectors from `../shared/widecoin-params.md` §3 and §4.

mod genesis;
mod options;
mod subsidy;
