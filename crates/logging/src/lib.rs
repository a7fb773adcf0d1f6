//! widecoin-logging
