//! Widecoin Core 6.0's mempool policy as pure functions: fee rates, standardness and dust,
//! contextual input checks, lock times, BIP125 replacement and package rules. Reject reasons
//! and debug messages are Widecoin Core's word for word.
//!
//! The policy values are Bitcoin Core v26's (Widecoin changes none of them); only
//! `DEFAULT_BLOCK_MAX_WEIGHT` follows Widecoin's larger block weight. [`check_tx_inputs`] and
//! the lock-time functions are consensus rules shared with block connection: they work over
//! the small [`CoinView`] and [`ChainMtp`] traits so that any UTXO view can use them.
//! [`Mempool`] is the pool itself, over the chain as a [`ChainView`]; [`Mempool::accept`] runs
//! Core's acceptance checks in Core's order, replacing conflicts under BIP125;
//! [`Mempool::accept_package`] and [`Mempool::accept_multiple`] evaluate packages;
//! [`Mempool::update_for_reorg`] re-adds the transactions of disconnected blocks;
//! [`Mempool::limit_size`] expires and evicts; [`MempoolDump`] is `mempool.dat`.
//!
//! ```
//! use widecoin_mempool::{FeeRate, get_dust_threshold, DUST_RELAY_TX_FEE};
//! use bitcoin::{Amount, ScriptBuf, TxOut};
//! let mut spk = vec![0x00, 20];
//! spk.extend([0u8; 20]);
//! let out = TxOut { value: Amount::from_sat(294), script_pubkey: ScriptBuf::from_bytes(spk) };
//! assert_eq!(get_dust_threshold(&out, FeeRate::from_sat_per_kvb(DUST_RELAY_TX_FEE)), 294);
//! ```

pub mod accept;
pub mod constants;
pub mod feerate;
pub mod inputs;
pub mod locks;
pub mod packages;
pub mod persist;
pub mod pool;
pub mod rbf;
pub mod reject;
/// Core's `Solver`, shared with address and descriptor code.
pub use widecoin_consensus::solver;
pub mod standard;

pub use accept::{AcceptArgs, AcceptResult, PackageAcceptResult, PackageFailure, TxOutcome};
pub use constants::*;
pub use feerate::{format_money, money_range, FeeEstimateMode, FeeRate};
pub use inputs::{check_tx_inputs, Coin, CoinView, InputsError};
pub use locks::{
    calculate_lock_points_at_tip, calculate_sequence_locks, check_final_tx_at_tip,
    check_sequence_locks_at_tip, evaluate_lock_points_at_tip, evaluate_sequence_locks, is_final_tx,
    sequence_locks, ChainMtp, LockPoints, LockTimeError, MtpFn, SequenceLock,
    LOCKTIME_VERIFY_SEQUENCE, STANDARD_LOCKTIME_VERIFY_FLAGS,
};
pub use packages::{
    check_child_with_parents, check_package, is_child_with_parents, is_child_with_parents_tree,
    PackageError, PackageValidationResult,
};
pub use persist::{DumpError, MempoolDump, MEMPOOL_DUMP_VERSION};
pub use pool::{
    Aggregate, ChainView, Limits, Mempool, MempoolEntry, MempoolOptions, PoolView, RemovalReason,
};
pub use rbf::{
    check_conflict_replaceable, check_replacement_count, entries_and_txids_disjoint,
    has_no_new_unconfirmed, is_rbf_opt_in, is_rbf_opt_in_empty_mempool, pays_for_rbf,
    pays_more_than_conflicts, signals_opt_in_rbf, DirectConflict, RbfTransactionState,
    ReplacementError,
};
pub use reject::{TxRejection, TxValidationResult};
pub use solver::{solver, TxoutType};
pub use standard::{
    are_inputs_standard, check_min_nonwitness_size, check_sigops_cost, get_dust_threshold,
    get_virtual_transaction_size, is_dust, is_standard_script, is_standard_tx, is_witness_standard,
    tx_virtual_size, StandardError,
};

impl From<widecoin_consensus::TxValidationError> for TxRejection {
    /// `CheckTransaction` failures are consensus failures without a debug message.
    fn from(e: widecoin_consensus::TxValidationError) -> Self {
        TxRejection::new(TxValidationResult::Consensus, e.reject_reason(), "")
    }
}
