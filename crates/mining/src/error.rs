//! Errors of the mining calls, each with Widecoin Core's RPC code and message.

use widecoin_chainstate::ChainstateError;

/// `RPC_MISC_ERROR`.
pub const RPC_MISC_ERROR: i32 = -1;
/// `RPC_INVALID_ADDRESS_OR_KEY`.
pub const RPC_INVALID_ADDRESS_OR_KEY: i32 = -5;
/// `RPC_DESERIALIZATION_ERROR`.
pub const RPC_DESERIALIZATION_ERROR: i32 = -22;
/// `RPC_VERIFY_ERROR`.
pub const RPC_VERIFY_ERROR: i32 = -25;
/// `RPC_INTERNAL_ERROR`.
pub const RPC_INTERNAL_ERROR: i32 = -32603;

/// Why a template could not be made, or a block not mined or accepted.
#[derive(Debug, thiserror::Error)]
pub enum MiningError {
    /// The chain has no tip yet (a reindex has not found the genesis block).
    #[error("Couldn't create new block")]
    NoTip,
    /// `CreateNewBlock` threw (its own `TestBlockValidity` failed); the
    /// message starts with "CreateNewBlock: TestBlockValidity failed: ".
    #[error("{0}")]
    CreateNewBlock(String),
    /// `ProcessNewBlock` refused a mined block.
    #[error("ProcessNewBlock, block not accepted")]
    NotAccepted(#[source] ChainstateError),
    /// `generateblock`: the block with the given transactions is invalid; the
    /// payload is Core's `BlockValidationState::ToString()`.
    #[error("TestBlockValidity failed: {0}")]
    TestBlockValidity(String),
    /// `generateblock`: no nonce found within `DEFAULT_MAX_TRIES`.
    #[error("Failed to make block.")]
    FailedToMake,
    /// `generateblock`: an argument is neither a txid nor a transaction.
    #[error("Transaction decode failed for {0}. Make sure the tx has at least one input.")]
    TxDecode(String),
    /// `generateblock`: a txid that the mempool does not hold.
    #[error("Transaction {0} not in mempool.")]
    TxNotInMempool(String),
    /// Storage failure of the chainstate.
    #[error(transparent)]
    Chainstate(#[from] ChainstateError),
}

impl MiningError {
    /// The JSON-RPC error code Core answers with.
    pub fn rpc_code(&self) -> i32 {
        match self {
            MiningError::NoTip | MiningError::NotAccepted(_) | MiningError::Chainstate(_) => {
                RPC_INTERNAL_ERROR
            }
            MiningError::CreateNewBlock(_) | MiningError::FailedToMake => RPC_MISC_ERROR,
            MiningError::TestBlockValidity(_) => RPC_VERIFY_ERROR,
            MiningError::TxDecode(_) => RPC_DESERIALIZATION_ERROR,
            MiningError::TxNotInMempool(_) => RPC_INVALID_ADDRESS_OR_KEY,
        }
    }
}
