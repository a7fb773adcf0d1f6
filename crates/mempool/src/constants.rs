//! Policy constants of Widecoin Core 6.0 (`policy/policy.h`, `policy/rbf.h`,
//! `policy/packages.h`, `kernel/mempool_options.h`). All equal Bitcoin Core v26's except
//! [`DEFAULT_BLOCK_MAX_WEIGHT`], derived from Widecoin's 32,000,000 maximum block weight.

use widecoin_chainparams::consensus::{MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT};

use crate::feerate::FeeRate;

/// Default for `-blockmaxweight` (MAX_BLOCK_WEIGHT − 4000 = 31,996,000).
pub const DEFAULT_BLOCK_MAX_WEIGHT: u64 = MAX_BLOCK_WEIGHT - 4000;
/// Default for `-blockmintxfee`, sat/kvB.
pub const DEFAULT_BLOCK_MIN_TX_FEE: i64 = 1000;
/// The largest transaction weight relayed or mined.
pub const MAX_STANDARD_TX_WEIGHT: u64 = 400_000;
/// The smallest relayed serialized size without witness (CVE-2017-12842): one more than 64.
pub const MIN_STANDARD_TX_NONWITNESS_SIZE: usize = 65;
/// Most sigops a standard P2SH redeem script may have.
pub const MAX_P2SH_SIGOPS: u32 = 15;
/// Most sigop cost a standard transaction may have (MAX_BLOCK_SIGOPS_COST / 5 = 16,000).
pub const MAX_STANDARD_TX_SIGOPS_COST: u64 = MAX_BLOCK_SIGOPS_COST / 5;
/// Default for `-incrementalrelayfee`, sat/kvB.
pub const DEFAULT_INCREMENTAL_RELAY_FEE: i64 = 1000;
/// Default for `-bytespersigop`.
pub const DEFAULT_BYTES_PER_SIGOP: u32 = 20;
/// Default for `-permitbaremultisig`.
pub const DEFAULT_PERMIT_BAREMULTISIG: bool = true;
/// Most witness stack items (besides the script) of a standard P2WSH spend.
pub const MAX_STANDARD_P2WSH_STACK_ITEMS: usize = 100;
/// Largest witness stack item of a standard P2WSH spend.
pub const MAX_STANDARD_P2WSH_STACK_ITEM_SIZE: usize = 80;
/// Largest witness stack item of a standard tapscript (leaf 0xc0) spend.
pub const MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE: usize = 80;
/// Largest standard P2WSH witness script.
pub const MAX_STANDARD_P2WSH_SCRIPT_SIZE: usize = 3600;
/// Largest standard scriptSig.
pub const MAX_STANDARD_SCRIPTSIG_SIZE: usize = 1650;
/// Fee rate (sat/kvB) that defines dust.
pub const DUST_RELAY_TX_FEE: i64 = 3000;
/// Default for `-minrelaytxfee`, sat/kvB.
pub const DEFAULT_MIN_RELAY_TX_FEE: i64 = 1000;
/// Default for `-limitancestorcount`.
pub const DEFAULT_ANCESTOR_LIMIT: u32 = 25;
/// Default for `-limitancestorsize`, kvB.
pub const DEFAULT_ANCESTOR_SIZE_LIMIT_KVB: u32 = 101;
/// Default for `-limitdescendantcount`.
pub const DEFAULT_DESCENDANT_LIMIT: u32 = 25;
/// Default for `-limitdescendantsize`, kvB.
pub const DEFAULT_DESCENDANT_SIZE_LIMIT_KVB: u32 = 101;
/// Default for `-datacarrier`.
pub const DEFAULT_ACCEPT_DATACARRIER: bool = true;
/// Default for `-datacarriersize`: 80 bytes of data, one OP_RETURN and two push bytes.
pub const MAX_OP_RETURN_RELAY: u32 = 83;
/// Size allowance of the CPFP carve-out transaction.
pub const EXTRA_DESCENDANT_TX_SIZE_LIMIT: u32 = 10_000;
/// Highest standard transaction version.
pub const TX_MAX_STANDARD_VERSION: i32 = 2;
/// Most transactions a replacement may evict (BIP125 rule 5), conflicts and descendants.
pub const MAX_REPLACEMENT_CANDIDATES: u64 = 100;
/// Highest nSequence that signals BIP125 replaceability (0xfffffffd).
pub const MAX_BIP125_RBF_SEQUENCE: u32 = 0xffff_fffd;
/// Most transactions in a package.
pub const MAX_PACKAGE_COUNT: usize = 25;
/// Most total weight of a package.
pub const MAX_PACKAGE_WEIGHT: u64 = 404_000;
/// Default for `-maxmempool`, MB.
pub const DEFAULT_MAX_MEMPOOL_SIZE_MB: u32 = 300;
/// Default for `-maxmempool` with `-blocksonly`, MB.
pub const DEFAULT_BLOCKSONLY_MAX_MEMPOOL_SIZE_MB: u32 = 5;
/// Default for `-mempoolexpiry`, hours.
pub const DEFAULT_MEMPOOL_EXPIRY_HOURS: u32 = 336;
/// Default for `-mempoolfullrbf`.
pub const DEFAULT_MEMPOOL_FULL_RBF: bool = false;
/// Default for `-maxfeerate` of sendrawtransaction / testmempoolaccept: COIN / 10 per kvB.
pub const DEFAULT_MAX_RAW_TX_FEE_RATE: FeeRate =
    FeeRate::from_sat_per_kvb(widecoin_chainparams::consensus::COIN as i64 / 10);
/// The height of a coin created by a mempool transaction (Core's `MEMPOOL_HEIGHT`).
pub const MEMPOOL_HEIGHT: u32 = 0x7fff_ffff;

const _: () = assert!(MAX_PACKAGE_WEIGHT >= MAX_STANDARD_TX_WEIGHT);
const _: () = assert!(DEFAULT_ANCESTOR_LIMIT as usize >= MAX_PACKAGE_COUNT);
const _: () = assert!(DEFAULT_DESCENDANT_LIMIT as usize >= MAX_PACKAGE_COUNT);
const _: () = assert!(MAX_PACKAGE_WEIGHT >= DEFAULT_ANCESTOR_SIZE_LIMIT_KVB as u64 * 4 * 1000);
