//! Errors of the chainstate: consensus failures of a block or header, one
//! variant per rule with Widecoin Core's reject reason, and operational errors
//! (storage, corruption) that are not the block's fault.

use bitcoin::BlockHash;
use widecoin_consensus::{ScriptError, TxValidationError};

use crate::blockstore::BlockStoreError;
use crate::undo::DecodeError;

/// A block or header broke a consensus rule (Core's `BlockValidationState`
/// when invalid). [`BlockValidationError::reject_reason`] gives Core's string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockValidationError {
    /// `CheckBlockHeader`: the hash does not meet the claimed target.
    #[error("proof of work failed")]
    HighHash,
    /// `ContextualCheckBlockHeader`: nBits is not what the retarget rules require.
    #[error("incorrect proof of work")]
    BadDiffBits,
    /// Time is not above the median time past of the last 11 blocks.
    #[error("block's timestamp is too early")]
    TimeTooOld,
    /// Time is more than two hours ahead of the adjusted time.
    #[error("block timestamp too far in the future")]
    TimeTooNew,
    /// nVersion below what BIP34/66/65 require at this height.
    #[error("rejected nVersion={0:#010x} block")]
    BadVersion(i32),
    /// The header forks off below the last checkpoint in the index.
    #[error("forked chain older than last checkpoint")]
    BadForkPriorToCheckpoint,
    /// The parent is not in the block index.
    #[error("previous block {0} not found")]
    PrevBlockNotFound(BlockHash),
    /// The parent is known to be invalid.
    #[error("previous block is invalid")]
    BadPrevBlock,
    /// The block itself is already known to be invalid (`BLOCK_CACHED_INVALID`).
    #[error("block is marked invalid")]
    Duplicate,
    /// The merkle root does not match the transactions.
    #[error("hashMerkleRoot mismatch")]
    BadMerkleRoot,
    /// CVE-2012-2459: duplicate transactions give the same merkle root.
    #[error("duplicate transaction")]
    BadTxnsDuplicate,
    /// No transactions, too many, or too large without witness.
    #[error("size limits failed")]
    BadBlockLength,
    /// The first transaction is not a coinbase.
    #[error("first tx is not coinbase")]
    CoinbaseMissing,
    /// A transaction after the first is a coinbase.
    #[error("more than one coinbase")]
    CoinbaseMultiple,
    /// `CheckTransaction` failed for a transaction of the block.
    #[error("transaction {index} check failed: {error}")]
    Transaction {
        index: usize,
        error: TxValidationError,
    },
    /// Too many (legacy, or in `ConnectBlock` weighted) sigops.
    #[error("out-of-bounds SigOpCount")]
    BlockSigops,
    /// A transaction is not final by nLockTime (BIP113 cutoff).
    #[error("non-final transaction")]
    NonFinal,
    /// BIP34: the coinbase does not start with the block height.
    #[error("block height mismatch in coinbase")]
    BadCoinbaseHeight,
    /// The witness reserved value is not a single 32-byte item.
    #[error("invalid witness reserved value size")]
    BadWitnessNonceSize,
    /// The witness commitment does not match.
    #[error("witness merkle commitment mismatch")]
    BadWitnessMerkleMatch,
    /// Witness data without a commitment (or before segwit).
    #[error("unexpected witness data found")]
    UnexpectedWitness,
    /// Block weight above MAX_BLOCK_WEIGHT.
    #[error("weight limit failed")]
    BadBlockWeight,
    /// BIP30: a transaction would overwrite an unspent output.
    #[error("tried to overwrite transaction")]
    Bip30,
    /// An input is missing or already spent.
    #[error("CheckTxInputs: inputs missing/spent")]
    InputsMissingOrSpent { index: usize },
    /// A coinbase output spent before COINBASE_MATURITY confirmations.
    #[error("tried to spend coinbase at depth {depth}")]
    PrematureSpendOfCoinbase { depth: u32 },
    /// An input value or the input total is outside MoneyRange.
    #[error("input values out of range")]
    InputValuesOutOfRange,
    /// Inputs worth less than the outputs.
    #[error(
        "value in ({}) < value out ({})",
        widecoin_consensus::amount::format_money(*.value_in as i64),
        widecoin_consensus::amount::format_money(*.value_out as i64)
    )]
    InBelowOut { value_in: u64, value_out: u64 },
    /// The fee of a transaction is outside MoneyRange.
    #[error("fee out of range")]
    FeeOutOfRange,
    /// The fees of the block are outside MoneyRange.
    #[error("accumulated fee in the block out of range")]
    AccumulatedFeeOutOfRange,
    /// BIP68: a relative lock time is not satisfied.
    #[error("contains a non-BIP68-final transaction")]
    SequenceLocks,
    /// The coinbase pays more than subsidy plus fees.
    #[error("coinbase pays too much (actual={actual} vs limit={limit})")]
    CoinbaseAmount { actual: u64, limit: u64 },
    /// A script failed. With parallel checks Core reports only
    /// `block-validation-failed`; checked inline it names the script error.
    #[error("script check failed on input {input} of transaction {tx}: {error}")]
    Script {
        tx: usize,
        input: usize,
        error: ScriptError,
        parallel: bool,
    },
    /// The parent of a block to connect is invalid (`bad-prevblk` at connection).
    #[error("block descends from an invalid block")]
    InvalidChild,
}

impl BlockValidationError {
    /// Core's reject reason (`state.GetRejectReason()`).
    pub fn reject_reason(&self) -> String {
        use BlockValidationError::*;
        let s = match self {
            HighHash => "high-hash",
            BadDiffBits => "bad-diffbits",
            TimeTooOld => "time-too-old",
            TimeTooNew => "time-too-new",
            BadVersion(v) => return format!("bad-version(0x{:08x})", *v as u32),
            BadForkPriorToCheckpoint => "bad-fork-prior-to-checkpoint",
            PrevBlockNotFound(_) => "prev-blk-not-found",
            BadPrevBlock | InvalidChild => "bad-prevblk",
            Duplicate => "duplicate",
            BadMerkleRoot => "bad-txnmrklroot",
            BadTxnsDuplicate => "bad-txns-duplicate",
            BadBlockLength => "bad-blk-length",
            CoinbaseMissing => "bad-cb-missing",
            CoinbaseMultiple => "bad-cb-multiple",
            Transaction { error, .. } => error.reject_reason(),
            BlockSigops => "bad-blk-sigops",
            NonFinal | SequenceLocks => "bad-txns-nonfinal",
            BadCoinbaseHeight => "bad-cb-height",
            BadWitnessNonceSize => "bad-witness-nonce-size",
            BadWitnessMerkleMatch => "bad-witness-merkle-match",
            UnexpectedWitness => "unexpected-witness",
            BadBlockWeight => "bad-blk-weight",
            Bip30 => "bad-txns-BIP30",
            InputsMissingOrSpent { .. } => "bad-txns-inputs-missingorspent",
            PrematureSpendOfCoinbase { .. } => "bad-txns-premature-spend-of-coinbase",
            InputValuesOutOfRange => "bad-txns-inputvalues-outofrange",
            InBelowOut { .. } => "bad-txns-in-belowout",
            FeeOutOfRange => "bad-txns-fee-outofrange",
            AccumulatedFeeOutOfRange => "bad-txns-accumulated-fee-outofrange",
            CoinbaseAmount { .. } => "bad-cb-amount",
            Script { parallel: true, .. } => "block-validation-failed",
            Script { error, .. } => {
                return widecoin_consensus::mandatory_reject_reason(*error);
            }
        };
        s.to_string()
    }

    /// Core's `BlockValidationState::ToString`: the reject reason, then the
    /// debug message when there is one (script failures have none).
    pub fn state_string(&self) -> String {
        match self {
            BlockValidationError::Script { .. }
            | BlockValidationError::PrevBlockNotFound(_)
            | BlockValidationError::BadPrevBlock
            | BlockValidationError::InvalidChild
            | BlockValidationError::Duplicate
            | BlockValidationError::BadForkPriorToCheckpoint => self.reject_reason(),
            _ => format!("{}, {}", self.reject_reason(), self),
        }
    }

    /// Whether the failure may come from a mutated block (wrong merkle root,
    /// witness mismatch), in which case Core does not mark the hash invalid:
    /// an honest version of the same header may still arrive.
    pub fn is_mutation(&self) -> bool {
        matches!(
            self,
            BlockValidationError::BadMerkleRoot
                | BlockValidationError::BadTxnsDuplicate
                | BlockValidationError::BadWitnessNonceSize
                | BlockValidationError::BadWitnessMerkleMatch
                | BlockValidationError::UnexpectedWitness
        )
    }

    /// Header-level failures (Core's `BLOCK_INVALID_HEADER` and friends).
    pub fn is_header_error(&self) -> bool {
        use BlockValidationError::*;
        matches!(
            self,
            HighHash
                | BadDiffBits
                | TimeTooOld
                | TimeTooNew
                | BadVersion(_)
                | BadForkPriorToCheckpoint
                | PrevBlockNotFound(_)
                | BadPrevBlock
                | Duplicate
        )
    }
}

/// Everything that can go wrong in the chainstate.
#[derive(Debug, thiserror::Error)]
pub enum ChainstateError {
    /// The block or header is invalid.
    #[error("{0}")]
    Invalid(#[from] BlockValidationError),
    #[error(transparent)]
    BlockStore(#[from] BlockStoreError),
    #[error("database error: {0}")]
    Database(String),
    #[error("corrupted undo data: {0}")]
    Undo(#[from] DecodeError),
    /// The on-disk state contradicts itself; a `-reindex` is needed.
    #[error("corrupted chainstate: {0}")]
    Corrupt(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("block not found")]
    BlockNotFound,
}

impl ChainstateError {
    /// The reject reason when the error is a consensus failure.
    pub fn reject_reason(&self) -> Option<String> {
        match self {
            ChainstateError::Invalid(e) => Some(e.reject_reason()),
            _ => None,
        }
    }
}

macro_rules! db_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for ChainstateError {
            fn from(e: $t) -> Self {
                ChainstateError::Database(e.to_string())
            }
        }
    )*};
}
db_errors!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);
