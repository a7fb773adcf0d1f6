//! `Chain`: what a wallet needs from the node (Core's `interfaces::Chain`,
//! `src/interfaces/chain.h`), and the [`Handler`] a registration returns.
//!
//! Hashes, transactions and blocks travel as their consensus serialization
//! (hashes in internal byte order, as `BlockHash::to_byte_array`), settings
//! as JSON text, fee rates in satoshis per 1000 virtual bytes. Optional
//! answers are `Option`s; an answer the node refuses is `IpcError::Remote`.

use std::sync::Arc;

use crate::error::IpcError;
use crate::rpc_doc::RpcMethodDoc;

/// A 32-byte hash (block hash or txid) in internal byte order.
pub type Hash256 = [u8; 32];

/// The application error of a method an implementation does not have.
pub fn unsupported(method: &str) -> IpcError {
    crate::RpcError::misc(format!("Chain.{method} is not supported by this node")).into()
}

/// Which fields of a [`FoundBlock`] to fill (Core's `FoundBlock` setters):
/// what is not asked for is neither looked up nor sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FoundBlockRequest {
    pub hash: bool,
    pub height: bool,
    pub time: bool,
    pub max_time: bool,
    pub mtp_time: bool,
    pub in_active_chain: bool,
    /// The hash of the next block of the active chain.
    pub next_block: bool,
    /// The whole block, consensus-serialized (read from disk).
    pub data: bool,
}

impl FoundBlockRequest {
    /// Every field.
    pub fn all() -> Self {
        FoundBlockRequest {
            hash: true,
            height: true,
            time: true,
            max_time: true,
            mtp_time: true,
            in_active_chain: true,
            next_block: true,
            data: true,
        }
    }
}

/// A block found by a `find_*` method: `Some` exactly for the fields asked
/// for (`next_block` also `None` when the block is the tip or not in the
/// active chain; `data` also `None` when the block is not on disk).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundBlock {
    pub hash: Option<Hash256>,
    pub height: Option<u32>,
    pub time: Option<i64>,
    pub max_time: Option<i64>,
    pub mtp_time: Option<i64>,
    pub in_active_chain: Option<bool>,
    pub next_block: Option<Hash256>,
    pub data: Option<Vec<u8>>,
}

/// An outpoint: txid (internal byte order) and output index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutPointRef {
    pub txid: Hash256,
    pub vout: u32,
}

/// An unspent output (Core's `Coin`); `height` is the mempool height
/// (`0x7fffffff`) for an output of a mempool transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoinInfo {
    pub value: i64,
    pub script_pubkey: Vec<u8>,
    pub height: u32,
    pub coinbase: bool,
}

/// Core's `getTransactionAncestry` outputs (counts include the transaction).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TxAncestry {
    pub ancestors: u64,
    pub descendants: u64,
    /// Virtual size of the transaction and its ancestors.
    pub ancestor_size: u64,
    /// Fees of the transaction and its ancestors, in satoshis.
    pub ancestor_fees: i64,
}

/// Core's `RBFTransactionState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RbfState {
    /// Unconfirmed and not in the mempool: unknown.
    Unknown,
    /// Signals replaceability, or an unconfirmed ancestor does.
    ReplaceableBip125,
    Final,
}

/// A fee estimate (Core's `estimateSmartFee` result and its
/// `FeeCalculation::returnedTarget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeEstimate {
    /// Satoshis per 1000 virtual bytes.
    pub fee_rate: i64,
    /// The target the estimate is for (may exceed the one asked for).
    pub returned_target: u32,
}

/// The node's policy fee rates in satoshis per 1000 virtual bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PolicyFeeRates {
    pub mempool_min_fee: i64,
    pub relay_min_fee: i64,
    pub relay_incremental_fee: i64,
    pub relay_dust_fee: i64,
}

/// Why a transaction left the mempool (Core's `MemPoolRemovalReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalReason {
    Expiry,
    SizeLimit,
    Reorg,
    Block,
    Conflict,
    Replaced,
}

impl RemovalReason {
    /// Core's `RemovalReasonToString`.
    pub fn as_str(self) -> &'static str {
        match self {
            RemovalReason::Expiry => "expiry",
            RemovalReason::SizeLimit => "sizelimit",
            RemovalReason::Reorg => "reorg",
            RemovalReason::Block => "block",
            RemovalReason::Conflict => "conflict",
            RemovalReason::Replaced => "replaced",
        }
    }

    /// The inverse of [`RemovalReason::as_str`].
    pub fn from_name(s: &str) -> Option<Self> {
        [
            RemovalReason::Expiry,
            RemovalReason::SizeLimit,
            RemovalReason::Reorg,
            RemovalReason::Block,
            RemovalReason::Conflict,
            RemovalReason::Replaced,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// A block connected to or disconnected from the active chain (Core's
/// `interfaces::BlockInfo`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockInfo {
    pub hash: Hash256,
    pub prev_hash: Hash256,
    pub height: u32,
    /// The block, consensus-serialized.
    pub data: Vec<u8>,
    /// Maximum block time of the chain up to this block.
    pub chain_time_max: i64,
}

/// What a client learns of the node's chain and mempool (Core's
/// `Chain::Notifications`), in the order it happened. Over IPC each is a
/// call on a capability the client serves; an error is the client's
/// problem, never the node's.
pub trait ChainNotifications: Send + Sync {
    /// `tx` (consensus bytes) entered the mempool; `mempool_sequence` is the
    /// pool's sequence number this change took (each addition and removal
    /// takes the next one; Core's `GetAndIncrementSequence`).
    fn transaction_added_to_mempool(
        &self,
        tx: &[u8],
        mempool_sequence: u64,
    ) -> Result<(), IpcError>;
    /// `tx` left the mempool for another reason than being mined (Core does
    /// not notify `block` removals: `block_connected` covers them). Removals
    /// a block causes (`conflict`) come before its `block_connected`; those of
    /// a replacement before the replacement's addition.
    fn transaction_removed_from_mempool(
        &self,
        tx: &[u8],
        reason: RemovalReason,
        mempool_sequence: u64,
    ) -> Result<(), IpcError>;
    fn block_connected(&self, block: &BlockInfo) -> Result<(), IpcError>;
    fn block_disconnected(&self, block: &BlockInfo) -> Result<(), IpcError>;
    /// The tip changed (after the blocks' notifications).
    fn updated_block_tip(&self) -> Result<(), IpcError>;
    /// The chainstate was written to disk; `locator` is the tip's block
    /// locator (hashes, tip first).
    fn chain_state_flushed(&self, locator: &[Hash256]) -> Result<(), IpcError>;
}

/// A registration that ends when dropped (Core's `interfaces::Handler`):
/// dropping it (or calling [`Handler::disconnect`]) unregisters what it
/// stands for, e.g. an RPC method registered with [`Chain::handle_rpc`].
pub trait Handler: Send + Sync {
    /// Unregisters now, before the handler is dropped. Idempotent.
    fn disconnect(&self) -> Result<(), IpcError>;
}

/// One JSON-RPC call, as the node hands it to a handler registered by another
/// process. Everything is owned text, so it crosses a process boundary as is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpcCall {
    /// The method name. A handler may be registered for several names, so it
    /// is passed with every call (Core's handlers are name-independent).
    pub method: String,
    /// The parameters as JSON text: an array, already positional and
    /// type-checked against the method's documentation by the node.
    pub params_json: String,
    /// The request id as JSON text.
    pub id_json: String,
    /// The HTTP request URI (`/` or `/wallet/<name>`).
    pub uri: String,
    /// The user name the client authenticated with.
    pub auth_user: String,
    /// The client's `address:port`.
    pub peer_addr: String,
    /// Whether this is the last handler registered for the method; one that
    /// is not may answer `RPC_WALLET_NOT_FOUND` to pass the call on.
    pub last_handler: bool,
}

/// The implementation of an RPC method living in another process (the
/// `actor` of Core's `CRPCCommand`): the node calls it for each request.
pub trait RpcHandlerRemote: Send + Sync {
    /// The result as JSON text, or the JSON-RPC error to answer with
    /// (`IpcError::Remote`, which keeps code and message intact).
    fn call(&self, call: &RpcCall) -> Result<String, IpcError>;
}

/// An RPC method another process registers with the node (Core's
/// `CRPCCommand` without its actor).
#[derive(Debug, Clone, PartialEq)]
pub struct RpcCommandSpec {
    /// The help category ("wallet", "hidden", ...).
    pub category: String,
    /// The documentation, from which the node builds the help text, the
    /// named-argument map and the argument type checks. Its `name` is the
    /// method's name.
    pub doc: RpcMethodDoc,
}

/// What a wallet needs from the node (Core's `interfaces::Chain`).
pub trait Chain: Send + Sync {
    /// The height of the active tip; `None` when there is no block at all
    /// (Core's `getHeight`).
    fn get_height(&self) -> Result<Option<u32>, IpcError>;

    /// The hash of the active-chain block at `height`, in consensus byte
    /// order (Core's `getBlockHash`); `None` when the chain is shorter
    /// (Core asserts instead: a remote caller must not crash the node).
    fn get_block_hash(&self, height: u32) -> Result<Option<[u8; 32]>, IpcError>;

    /// The effective value of a node setting as its text (`-name`; Core's
    /// `getSetting`), `None` when unset. A spawned process takes no
    /// arguments: it reads its settings through this.
    fn get_setting(&self, name: &str) -> Result<Option<String>, IpcError>;

    /// Whether the block at `height` of the active chain has its data on
    /// disk (Core's `haveBlockOnDisk`); false above the tip.
    fn have_block_on_disk(&self, height: u32) -> Result<bool, IpcError> {
        let _ = height;
        Err(unsupported("haveBlockOnDisk"))
    }

    /// The block `hash`, with only the fields `want` asks for (Core's
    /// `findBlock` with a `FoundBlock`); `None` when the node does not know
    /// the block.
    fn find_block(
        &self,
        hash: &Hash256,
        want: &FoundBlockRequest,
    ) -> Result<Option<FoundBlock>, IpcError> {
        let _ = (hash, want);
        Err(unsupported("findBlock"))
    }

    /// The first block of the active chain with a time-max of at least
    /// `min_time` and a height of at least `min_height` (Core's
    /// `findFirstBlockWithTimeAndHeight`, used to start a rescan).
    fn find_first_block_with_time_and_height(
        &self,
        min_time: i64,
        min_height: u32,
        want: &FoundBlockRequest,
    ) -> Result<Option<FoundBlock>, IpcError> {
        let _ = (min_time, min_height, want);
        Err(unsupported("findFirstBlockWithTimeAndHeight"))
    }

    /// The ancestor at `ancestor_height` of block `hash` (Core's
    /// `findAncestorByHeight`); `None` when either is unknown.
    fn find_ancestor_by_height(
        &self,
        hash: &Hash256,
        ancestor_height: u32,
        want: &FoundBlockRequest,
    ) -> Result<Option<FoundBlock>, IpcError> {
        let _ = (hash, ancestor_height, want);
        Err(unsupported("findAncestorByHeight"))
    }

    /// The unspent outputs at `outpoints`, in the same order, in the tip's
    /// UTXO set and then the mempool (Core's `findCoins`); `None` for a spent
    /// or unknown one.
    fn find_coins(&self, outpoints: &[OutPointRef]) -> Result<Vec<Option<CoinInfo>>, IpcError> {
        let _ = outpoints;
        Err(unsupported("findCoins"))
    }

    /// Is `txid` in the mempool (Core's `isInMempool`)?
    fn is_in_mempool(&self, txid: &Hash256) -> Result<bool, IpcError> {
        let _ = txid;
        Err(unsupported("isInMempool"))
    }

    /// Does `txid` have descendants in the mempool (Core's
    /// `hasDescendantsInMempool`)?
    fn has_descendants_in_mempool(&self, txid: &Hash256) -> Result<bool, IpcError> {
        let _ = txid;
        Err(unsupported("hasDescendantsInMempool"))
    }

    /// Ancestor and descendant counts, size and fees of `txid` (Core's
    /// `getTransactionAncestry`); all zero when it is not in the mempool.
    fn get_transaction_ancestry(&self, txid: &Hash256) -> Result<TxAncestry, IpcError> {
        let _ = txid;
        Err(unsupported("getTransactionAncestry"))
    }

    /// BIP125 replaceability of the transaction `tx` (consensus bytes)
    /// (Core's `isRBFOptIn`).
    fn is_rbf_opt_in(&self, tx: &[u8]) -> Result<RbfState, IpcError> {
        let _ = tx;
        Err(unsupported("isRBFOptIn"))
    }

    /// Would `tx` (consensus bytes) stay within the mempool's ancestor and
    /// descendant limits (Core's `checkChainLimits`)? `Err(Remote)` with the
    /// reason when not.
    fn check_chain_limits(&self, tx: &[u8]) -> Result<(), IpcError> {
        let _ = tx;
        Err(unsupported("checkChainLimits"))
    }

    /// Adds `tx` (consensus bytes) to the mempool and relays it if `relay`
    /// (Core's `broadcastTransaction`); refuses a fee above `max_tx_fee`
    /// satoshis (0: no limit). `Ok(Err(reason))` is Core's `false` with its
    /// error string.
    fn broadcast_transaction(
        &self,
        tx: &[u8],
        max_tx_fee: i64,
        relay: bool,
    ) -> Result<Result<(), String>, IpcError> {
        let _ = (tx, max_tx_fee, relay);
        Err(unsupported("broadcastTransaction"))
    }

    /// A fee rate estimate for confirmation within `target` blocks (Core's
    /// `estimateSmartFee`); `None` without enough data.
    fn estimate_smart_fee(
        &self,
        target: u32,
        conservative: bool,
    ) -> Result<Option<FeeEstimate>, IpcError> {
        let _ = (target, conservative);
        Err(unsupported("estimateSmartFee"))
    }

    /// The node's policy fee rates (Core's `mempoolMinFee`, `relayMinFee`,
    /// `relayIncrementalFee`, `relayDustFee`).
    fn policy_fee_rates(&self) -> Result<PolicyFeeRates, IpcError> {
        Err(unsupported("policyFeeRates"))
    }

    /// Is the node in initial block download (Core's
    /// `isInitialBlockDownload`)?
    fn is_initial_block_download(&self) -> Result<bool, IpcError> {
        Err(unsupported("isInitialBlockDownload"))
    }

    /// Has shutdown been requested (Core's `shutdownRequested`)?
    fn shutdown_requested(&self) -> Result<bool, IpcError> {
        Err(unsupported("shutdownRequested"))
    }

    /// Every value of a setting, as JSON text (Core's `getSettingsList`).
    fn get_settings_list(&self, name: &str) -> Result<Vec<String>, IpcError> {
        let _ = name;
        Err(unsupported("getSettingsList"))
    }

    /// The `settings.json` value of `name` as JSON text, `None` when unset
    /// (Core's `getRwSetting`).
    fn get_rw_setting(&self, name: &str) -> Result<Option<String>, IpcError> {
        let _ = name;
        Err(unsupported("getRwSetting"))
    }

    /// Sets (JSON text) or, with `None`, removes a `settings.json` value and
    /// writes the file (Core's `updateRwSetting`); false when the file could
    /// not be written.
    fn update_rw_setting(&self, name: &str, value_json: Option<&str>) -> Result<bool, IpcError> {
        let _ = (name, value_json);
        Err(unsupported("updateRwSetting"))
    }

    /// Delivers the node's chain and mempool events to `notifications`, in
    /// order, from a queue: the node never waits for a slow client (Core's
    /// `handleNotifications`). Dropping the returned [`Handler`] stops them.
    fn handle_notifications(
        &self,
        notifications: Arc<dyn ChainNotifications>,
    ) -> Result<Box<dyn Handler>, IpcError> {
        let _ = notifications;
        Err(unsupported("handleNotifications"))
    }

    /// If the tip is no longer `old_tip`, waits until every notification
    /// queued so far has been delivered (Core's
    /// `waitForNotificationsIfTipChanged`). Returns promptly at shutdown.
    fn wait_for_notifications_if_tip_changed(&self, old_tip: &Hash256) -> Result<(), IpcError> {
        let _ = old_tip;
        Err(unsupported("waitForNotificationsIfTipChanged"))
    }

    /// Registers an RPC method on the node's server (Core's `handleRpc`):
    /// every call of `command.doc.name` on the node's RPC port, after the
    /// node's argument checks, goes to `handler`. Dropping the returned
    /// [`Handler`] unregisters the method.
    fn handle_rpc(
        &self,
        command: RpcCommandSpec,
        handler: Arc<dyn RpcHandlerRemote>,
    ) -> Result<Box<dyn Handler>, IpcError>;

    /// See [`crate::Echo::runs_inline`]. The default is no.
    fn runs_inline(&self, method: &str) -> bool {
        let _ = method;
        false
    }
}
