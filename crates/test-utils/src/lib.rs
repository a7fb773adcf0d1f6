//! widecoin-test-utils
