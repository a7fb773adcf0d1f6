//! Script and transaction limits. Widecoin's amount and weight limits come from
//! `widecoin-chainparams`; the script limits are Bitcoin Core v26's, unchanged in Widecoin.

pub use widecoin_chainparams::consensus::{
    COIN, MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT, MAX_MONEY, WITNESS_SCALE_FACTOR,
};

/// Maximum bytes pushable to the stack (`MAX_SCRIPT_ELEMENT_SIZE`).
pub const MAX_SCRIPT_ELEMENT_SIZE: usize = 520;
/// Maximum non-push operations per legacy or witness v0 script (`MAX_OPS_PER_SCRIPT`).
pub const MAX_OPS_PER_SCRIPT: usize = 201;
/// Maximum public keys per CHECKMULTISIG (`MAX_PUBKEYS_PER_MULTISIG`).
pub const MAX_PUBKEYS_PER_MULTISIG: i64 = 20;
/// Maximum script length in bytes for legacy and witness v0 scripts (`MAX_SCRIPT_SIZE`).
pub const MAX_SCRIPT_SIZE: usize = 10_000;
/// Maximum number of elements on the stack and altstack together (`MAX_STACK_SIZE`).
pub const MAX_STACK_SIZE: usize = 1000;
/// Threshold for nLockTime: below it is a block height, otherwise a timestamp (`LOCKTIME_THRESHOLD`).
pub const LOCKTIME_THRESHOLD: u32 = 500_000_000;

/// `CTxIn::SEQUENCE_FINAL`.
pub const SEQUENCE_FINAL: u32 = 0xffff_ffff;
/// BIP68: if set, the sequence number is not a relative lock time.
pub const SEQUENCE_LOCKTIME_DISABLE_FLAG: u32 = 1 << 31;
/// BIP68: if set, the relative lock time is in units of 512 seconds.
pub const SEQUENCE_LOCKTIME_TYPE_FLAG: u32 = 1 << 22;
/// BIP68: the bits of the sequence number that hold the relative lock time.
pub const SEQUENCE_LOCKTIME_MASK: u32 = 0x0000_ffff;

/// Tapscript budget consumed by each executed signature check (BIP342).
pub const VALIDATION_WEIGHT_PER_SIGOP_PASSED: i64 = 50;
/// Tapscript budget offset added to the witness size (BIP342).
pub const VALIDATION_WEIGHT_OFFSET: i64 = 50;

/// Witness v0 P2WSH program length.
pub const WITNESS_V0_SCRIPTHASH_SIZE: usize = 32;
/// Witness v0 P2WPKH program length.
pub const WITNESS_V0_KEYHASH_SIZE: usize = 20;
/// Witness v1 taproot program length.
pub const WITNESS_V1_TAPROOT_SIZE: usize = 32;

/// Leaf version of BIP342 tapscript.
pub const TAPROOT_LEAF_TAPSCRIPT: u8 = 0xc0;
/// Mask of the leaf version bits in the control block's first byte.
pub const TAPROOT_LEAF_MASK: u8 = 0xfe;
/// Size of the control block without path.
pub const TAPROOT_CONTROL_BASE_SIZE: usize = 33;
/// Size of each merkle path node in the control block.
pub const TAPROOT_CONTROL_NODE_SIZE: usize = 32;
/// Maximum merkle path length.
pub const TAPROOT_CONTROL_MAX_NODE_COUNT: usize = 128;
/// Maximum control block size.
pub const TAPROOT_CONTROL_MAX_SIZE: usize =
    TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * TAPROOT_CONTROL_MAX_NODE_COUNT;
/// First byte of a taproot annex.
pub const ANNEX_TAG: u8 = 0x50;
