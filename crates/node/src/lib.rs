//! widecoin-node
