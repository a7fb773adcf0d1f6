//! widecoin-rpc
