//! widecoin-cli
