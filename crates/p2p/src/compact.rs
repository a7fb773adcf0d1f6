//! BIP152 compact blocks (Core's `blockencodings.cpp`): the `sendcmpct`,
//! `cmpctblock`, `getblocktxn` and `blocktxn` payloads, short transaction
//! IDs, and block reconstruction ([`PartiallyDownloadedBlock`]).
//!
//! The wire types are rust-bitcoin's ([`HeaderAndShortIds`],
//! [`BlockTransactionsRequest`], [`BlockTransactions`], [`SendCmpct`]); the
//! decoders here add Core's limits (16-bit indexes) and error strings.
//! Message processing uses them in `compact/relay.rs`.
//!
//! # Wiring it into message processing
//!
//! ```text
//! // after verack, to peers with version >= SHORT_IDS_BLOCKS_VERSION:
//! send("sendcmpct", encode_sendcmpct(&SendCmpct { send_compact: false, version: 2 }));
//! // "sendcmpct" received: decode_sendcmpct(payload); only version 2 counts
//! // announcing a new block to a high-bandwidth peer:
//! send("cmpctblock", encode_cmpctblock(&compact_block_for(&block)));
//! // "cmpctblock" received (its header is accepted first, as Core does):
//! let cmpct = decode_cmpctblock(payload)?;      // Err: log, ignore message
//! let mut partial = PartiallyDownloadedBlock::new();
//! match partial.init_data(&cmpct, &mempool, &extra_txn) {
//!     ReadStatus::Invalid => Misbehaving(100, "invalid compact block"),
//!     ReadStatus::Failed => getdata the full block (short-ID collision),
//!     ReadStatus::Ok if partial.missing_indexes().is_empty() => fill_block(&[], check) as below,
//!     ReadStatus::Ok => send("getblocktxn", encode_getblocktxn(&partial.request().unwrap())),
//!     ReadStatus::CheckBlockFailed => unreachable (only fill_block gives it),
//! }
//! // "getblocktxn" received: decode_getblocktxn(payload); for a block at most
//! //   MAX_BLOCKTXN_DEPTH (10) deep answer with blocktxn_for(&block, &req)
//! //   (None: Misbehaving(100, "getblocktxn with out-of-bounds tx indices")),
//! //   deeper ones with the full block.
//! // "blocktxn" received: decode_blocktxn(payload), then
//! //   partial.fill_block(&resp.transactions, |b| check_block(b)) returns
//! //   (Invalid, None) -> Misbehaving(100, "invalid compact block/non-matching block transactions");
//! //   (Failed, None) -> getdata the full block;
//! //   (Ok | CheckBlockFailed, Some(block)) -> process the block (validation
//! //   rejects the second kind; BIP152 does not punish the peer for it).
//! ```
//!
//! `mempool` is anything implementing [`CompactMempool`] (the pool's
//! `(wtxid, tx)` pairs); `extra_txn` are Core's extra transactions kept for
//! reconstruction (recently replaced or orphaned ones).

use std::collections::HashMap;
use std::sync::Arc;

use bitcoin::bip152::ShortId;
use bitcoin::block::Header;
use bitcoin::consensus::encode::{self, Decodable, VarInt};
use bitcoin::hashes::{Hash, HashEngine};
use bitcoin::{Block, BlockHash, Transaction, Wtxid};

pub use bitcoin::bip152::{
    BlockTransactions, BlockTransactionsRequest, HeaderAndShortIds, PrefilledTransaction,
};
pub use bitcoin::p2p::message_compact_blocks::SendCmpct;

/// `CBlockHeaderAndShortTxIDs::SHORTTXIDS_LENGTH`.
pub const SHORTTXIDS_LENGTH: usize = 6;
/// Widecoin's `MAX_BLOCK_WEIGHT` (32,000,000; Bitcoin's is 4,000,000).
pub const MAX_BLOCK_WEIGHT: usize = 32_000_000;
/// `MIN_SERIALIZABLE_TRANSACTION_WEIGHT`.
pub const MIN_SERIALIZABLE_TRANSACTION_WEIGHT: usize = 40;
/// `MAX_SIZE` of serialize.h: the largest CompactSize Core reads.
const MAX_SIZE: u64 = 0x0200_0000;

/// Why a compact-block payload did not decode. The texts are Core's
/// exception messages (logged by message processing, no disconnect).
#[derive(Debug, thiserror::Error)]
pub enum CompactDecodeError {
    /// More than 65535 transactions in a `cmpctblock`.
    #[error("indexes overflowed 16 bits")]
    IndexesOverflowed,
    /// A `getblocktxn` index past 65535.
    #[error("differential value overflow")]
    DifferentialOverflow,
    /// A CompactSize above `MAX_SIZE`.
    #[error("ReadCompactSize(): size too large")]
    SizeTooLarge,
    /// Anything rust-bitcoin's decoder rejects (short data, bad transaction).
    #[error(transparent)]
    Encoding(#[from] encode::Error),
}

fn partial<T: Decodable>(payload: &[u8]) -> Result<T, CompactDecodeError> {
    Ok(bitcoin::consensus::deserialize_partial::<T>(payload)?.0)
}

/// Decodes a `sendcmpct` payload (announce flag, version). Trailing bytes
/// are ignored, as Core does for every message.
pub fn decode_sendcmpct(payload: &[u8]) -> Result<SendCmpct, CompactDecodeError> {
    partial(payload)
}

/// Encodes a `sendcmpct` payload.
pub fn encode_sendcmpct(msg: &SendCmpct) -> Vec<u8> {
    bitcoin::consensus::serialize(msg)
}

/// Decodes a `cmpctblock` payload: header, nonce, 6-byte short IDs,
/// prefilled transactions with differential indexes (kept differential, as
/// rust-bitcoin and Core both store them).
pub fn decode_cmpctblock(payload: &[u8]) -> Result<HeaderAndShortIds, CompactDecodeError> {
    let cmpct: HeaderAndShortIds = partial(payload)?;
    if cmpct.short_ids.len() + cmpct.prefilled_txs.len() > usize::from(u16::MAX) {
        return Err(CompactDecodeError::IndexesOverflowed);
    }
    Ok(cmpct)
}

/// Encodes a `cmpctblock` payload.
pub fn encode_cmpctblock(cmpct: &HeaderAndShortIds) -> Vec<u8> {
    bitcoin::consensus::serialize(cmpct)
}

fn read_compact_size(r: &mut &[u8]) -> Result<u64, CompactDecodeError> {
    let n = VarInt::consensus_decode(r)?.0;
    if n > MAX_SIZE {
        return Err(CompactDecodeError::SizeTooLarge);
    }
    Ok(n)
}

/// Decodes a `getblocktxn` payload: block hash and differentially encoded
/// indexes, each of which must fit 16 bits (Core's `DifferenceFormatter`
/// over `uint16_t`).
pub fn decode_getblocktxn(payload: &[u8]) -> Result<BlockTransactionsRequest, CompactDecodeError> {
    let mut r = payload;
    let block_hash = BlockHash::consensus_decode(&mut r)?;
    let count = read_compact_size(&mut r)?;
    let mut indexes = Vec::with_capacity(count.min(1 << 16) as usize);
    let mut shift: u64 = 0;
    for _ in 0..count {
        let n = read_compact_size(&mut r)?;
        shift += n;
        if shift > u64::from(u16::MAX) {
            return Err(CompactDecodeError::DifferentialOverflow);
        }
        indexes.push(shift);
        shift += 1;
    }
    Ok(BlockTransactionsRequest {
        block_hash,
        indexes,
    })
}

/// Encodes a `getblocktxn` payload. Indexes must be strictly increasing.
pub fn encode_getblocktxn(req: &BlockTransactionsRequest) -> Vec<u8> {
    bitcoin::consensus::serialize(req)
}

/// Decodes a `blocktxn` payload: block hash and transactions with witness.
pub fn decode_blocktxn(payload: &[u8]) -> Result<BlockTransactions, CompactDecodeError> {
    partial(payload)
}

/// Encodes a `blocktxn` payload.
pub fn encode_blocktxn(resp: &BlockTransactions) -> Vec<u8> {
    bitcoin::consensus::serialize(resp)
}

/// SipHash keys of a compact block: the first two little-endian 64-bit words
/// of SHA256(header ‖ nonce) (`FillShortTxIDSelector`).
pub fn short_id_keys(header: &Header, nonce: u64) -> (u64, u64) {
    ShortId::calculate_siphash_keys(header, nonce)
}

/// A transaction's short ID as Core's 48-bit integer (`GetShortID`):
/// SipHash-2-4 of the wtxid under `keys`, low 6 bytes.
pub fn short_id(keys: (u64, u64), wtxid: &Wtxid) -> u64 {
    short_id_to_u64(&ShortId::with_siphash_keys(&wtxid.to_byte_array(), keys))
}

/// The 48-bit integer of a wire short ID (6 bytes, little endian).
pub fn short_id_to_u64(id: &ShortId) -> u64 {
    let mut b = [0u8; 8];
    b[..SHORTTXIDS_LENGTH].copy_from_slice(id.as_ref());
    u64::from_le_bytes(b)
}

/// The wire short ID of a 48-bit integer.
pub fn short_id_from_u64(id: u64) -> ShortId {
    let b = id.to_le_bytes();
    ShortId::from(<[u8; SHORTTXIDS_LENGTH]>::try_from(&b[..SHORTTXIDS_LENGTH]).expect("6 bytes"))
}

/// Core's `CBlockHeaderAndShortTxIDs(block)` with a given nonce: the
/// coinbase prefilled, every other transaction as the short ID of its wtxid.
pub fn compact_block_with_nonce(block: &Block, nonce: u64) -> HeaderAndShortIds {
    let keys = short_id_keys(&block.header, nonce);
    HeaderAndShortIds {
        header: block.header,
        nonce,
        short_ids: block
            .txdata
            .iter()
            .skip(1)
            .map(|tx| short_id_from_u64(short_id(keys, &tx.compute_wtxid())))
            .collect(),
        prefilled_txs: block
            .txdata
            .first()
            .map(|cb| PrefilledTransaction {
                idx: 0,
                tx: cb.clone(),
            })
            .into_iter()
            .collect(),
    }
}

/// [`compact_block_with_nonce`] with a random nonce, as Core sends.
pub fn compact_block_for(block: &Block) -> HeaderAndShortIds {
    compact_block_with_nonce(block, rand::random())
}

/// The `blocktxn` answer to `req` from the full block, or `None` if an
/// index is out of range (Core then treats the peer as misbehaving:
/// "getblocktxn with out-of-bounds tx indices").
pub fn blocktxn_for(block: &Block, req: &BlockTransactionsRequest) -> Option<BlockTransactions> {
    let transactions = req
        .indexes
        .iter()
        .map(|&i| {
            usize::try_from(i)
                .ok()
                .and_then(|i| block.txdata.get(i))
                .cloned()
        })
        .collect::<Option<Vec<_>>>()?;
    Some(BlockTransactions {
        block_hash: req.block_hash,
        transactions,
    })
}

/// Core's `ReadStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadStatus {
    /// `READ_STATUS_OK`.
    Ok,
    /// `READ_STATUS_INVALID`: the peer sent a malformed object.
    Invalid,
    /// `READ_STATUS_FAILED`: could not reconstruct (short-ID collision);
    /// fall back to the full block.
    Failed,
    /// `READ_STATUS_CHECKBLOCK_FAILED`: the reconstructed block fails
    /// `CheckBlock` for another reason than mutation.
    CheckBlockFailed,
}

/// How `CheckBlock` judged a reconstructed block, for
/// [`PartiallyDownloadedBlock::fill_block`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockCheckError {
    /// `BlockValidationResult::BLOCK_MUTATED` (merkle root mismatch,
    /// duplicate transactions, bad witness commitment): likely a short-ID
    /// collision, so [`ReadStatus::Failed`].
    Mutated,
    /// Any other `CheckBlock` failure.
    Invalid,
}

/// Where reconstruction looks for transactions: the mempool's
/// `(wtxid, tx)` pairs (Core walks `vTxHashes`).
pub trait CompactMempool {
    /// Calls `f` for each pool transaction until it returns `false`.
    fn for_each_tx(&self, f: &mut dyn FnMut(&Wtxid, &Arc<Transaction>) -> bool);
}

impl CompactMempool for [(Wtxid, Arc<Transaction>)] {
    fn for_each_tx(&self, f: &mut dyn FnMut(&Wtxid, &Arc<Transaction>) -> bool) {
        for (wtxid, tx) in self {
            if !f(wtxid, tx) {
                return;
            }
        }
    }
}

impl CompactMempool for Vec<(Wtxid, Arc<Transaction>)> {
    fn for_each_tx(&self, f: &mut dyn FnMut(&Wtxid, &Arc<Transaction>) -> bool) {
        self.as_slice().for_each_tx(f)
    }
}

/// A block being rebuilt from a `cmpctblock` (Core's
/// `PartiallyDownloadedBlock`).
#[derive(Debug, Clone, Default)]
pub struct PartiallyDownloadedBlock {
    header: Option<Header>,
    txn_available: Vec<Option<Arc<Transaction>>>,
    prefilled_count: usize,
    mempool_count: usize,
    extra_count: usize,
}

/// Core's `CTransaction::IsNull`.
fn tx_is_null(tx: &Transaction) -> bool {
    tx.input.is_empty() && tx.output.is_empty()
}

impl PartiallyDownloadedBlock {
    /// An empty one.
    pub fn new() -> Self {
        Self::default()
    }

    /// The header, once initialised (until [`Self::fill_block`] consumed it).
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// Places the prefilled transactions and those found in `mempool` and
    /// `extra_txn` (`InitData`). Two pool transactions with the same short ID
    /// leave the slot empty (it will be requested); two short IDs in the
    /// block colliding give [`ReadStatus::Failed`].
    pub fn init_data(
        &mut self,
        cmpct: &HeaderAndShortIds,
        mempool: &(impl CompactMempool + ?Sized),
        extra_txn: &[(Wtxid, Arc<Transaction>)],
    ) -> ReadStatus {
        let null_header = cmpct.header.bits.to_consensus() == 0;
        if null_header || (cmpct.short_ids.is_empty() && cmpct.prefilled_txs.is_empty()) {
            return ReadStatus::Invalid;
        }
        let tx_count = cmpct.short_ids.len() + cmpct.prefilled_txs.len();
        if tx_count > MAX_BLOCK_WEIGHT / MIN_SERIALIZABLE_TRANSACTION_WEIGHT
            || tx_count > usize::from(u16::MAX)
        {
            return ReadStatus::Invalid;
        }
        if self.header.is_some() || !self.txn_available.is_empty() {
            return ReadStatus::Invalid;
        }
        self.header = Some(cmpct.header);
        self.txn_available = vec![None; tx_count];

        let mut last_prefilled: i64 = -1;
        for (i, prefilled) in cmpct.prefilled_txs.iter().enumerate() {
            if tx_is_null(&prefilled.tx) {
                return ReadStatus::Invalid;
            }
            last_prefilled += i64::from(prefilled.idx) + 1;
            if last_prefilled > i64::from(u16::MAX) {
                return ReadStatus::Invalid;
            }
            // The prefilled index must leave room for the short IDs before it.
            if last_prefilled as usize > cmpct.short_ids.len() + i {
                return ReadStatus::Invalid;
            }
            self.txn_available[last_prefilled as usize] = Some(Arc::new(prefilled.tx.clone()));
        }
        self.prefilled_count = cmpct.prefilled_txs.len();

        let keys = short_id_keys(&cmpct.header, cmpct.nonce);
        let mut slots: HashMap<u64, usize> = HashMap::with_capacity(cmpct.short_ids.len());
        let mut offset = 0;
        for (i, id) in cmpct.short_ids.iter().enumerate() {
            while self.txn_available[i + offset].is_some() {
                offset += 1;
            }
            slots.insert(short_id_to_u64(id), i + offset);
        }
        if slots.len() != cmpct.short_ids.len() {
            return ReadStatus::Failed; // short-ID collision within the block
        }

        let mut have_txn = vec![false; tx_count];
        let wanted = slots.len();
        let txn_available = &mut self.txn_available;
        let mempool_count = &mut self.mempool_count;
        mempool.for_each_tx(&mut |wtxid, tx| {
            if let Some(&slot) = slots.get(&short_id(keys, wtxid)) {
                if !have_txn[slot] {
                    txn_available[slot] = Some(Arc::clone(tx));
                    have_txn[slot] = true;
                    *mempool_count += 1;
                } else if txn_available[slot].take().is_some() {
                    // Two pool transactions match: request it instead.
                    *mempool_count -= 1;
                }
            }
            *mempool_count != wanted
        });
        for (wtxid, tx) in extra_txn {
            if let Some(&slot) = slots.get(&short_id(keys, wtxid)) {
                if !have_txn[slot] {
                    self.txn_available[slot] = Some(Arc::clone(tx));
                    have_txn[slot] = true;
                    self.mempool_count += 1;
                    self.extra_count += 1;
                } else if self.txn_available[slot]
                    .as_ref()
                    .is_some_and(|have| have.compute_wtxid() != tx.compute_wtxid())
                {
                    self.txn_available[slot] = None;
                    self.mempool_count -= 1;
                    // Core decrements even when the slot came from the pool
                    // (the count only feeds a log line); do not wrap.
                    self.extra_count = self.extra_count.saturating_sub(1);
                }
            }
            if self.mempool_count == wanted {
                break;
            }
        }
        tracing::debug!(
            target: "cmpctblock",
            "Initialized PartiallyDownloadedBlock for block {} using a cmpctblock of size {}",
            cmpct.header.block_hash(),
            bitcoin::consensus::serialize(cmpct).len()
        );
        ReadStatus::Ok
    }

    /// Whether transaction `index` is known (`IsTxAvailable`).
    pub fn is_tx_available(&self, index: usize) -> bool {
        self.header.is_some() && self.txn_available.get(index).is_some_and(Option::is_some)
    }

    /// Number of transactions in the block.
    pub fn tx_count(&self) -> usize {
        self.txn_available.len()
    }

    /// Indexes still missing, in order: what `getblocktxn` asks for.
    pub fn missing_indexes(&self) -> Vec<u64> {
        (0..self.txn_available.len())
            .filter(|&i| !self.is_tx_available(i))
            .map(|i| i as u64)
            .collect()
    }

    /// The `getblocktxn` request for the missing transactions.
    pub fn request(&self) -> Option<BlockTransactionsRequest> {
        let header = self.header.as_ref()?;
        Some(BlockTransactionsRequest {
            block_hash: header.block_hash(),
            indexes: self.missing_indexes(),
        })
    }

    /// Builds the block from what is known plus `vtx_missing` (the
    /// `blocktxn` answer, in index order) and runs `check_block` on it
    /// (`FillBlock`). Too few transactions leave the state as it was
    /// ([`ReadStatus::Invalid`]); otherwise the state is consumed. Too many:
    /// [`ReadStatus::Invalid`]; a mutated block: [`ReadStatus::Failed`]. The
    /// block comes back with [`ReadStatus::Ok`] and also with
    /// [`ReadStatus::CheckBlockFailed`], which Core processes like any
    /// received block so that validation records it as invalid.
    pub fn fill_block(
        &mut self,
        vtx_missing: &[Transaction],
        check_block: impl FnOnce(&Block) -> Result<(), BlockCheckError>,
    ) -> (ReadStatus, Option<Block>) {
        let Some(header) = self.header else {
            return (ReadStatus::Invalid, None);
        };
        let missing = self.txn_available.iter().filter(|t| t.is_none()).count();
        if vtx_missing.len() < missing {
            return (ReadStatus::Invalid, None);
        }
        let mut requested = vtx_missing.iter();
        let txdata: Vec<Transaction> = std::mem::take(&mut self.txn_available)
            .into_iter()
            .map(|slot| match slot {
                Some(tx) => Arc::unwrap_or_clone(tx),
                None => requested.next().expect("counted above").clone(),
            })
            .collect();
        self.header = None;
        if vtx_missing.len() != missing {
            return (ReadStatus::Invalid, None);
        }
        let block = Block { header, txdata };
        match check_block(&block) {
            Ok(()) => {}
            Err(BlockCheckError::Mutated) => return (ReadStatus::Failed, None),
            Err(BlockCheckError::Invalid) => return (ReadStatus::CheckBlockFailed, Some(block)),
        }
        let hash = block.block_hash();
        tracing::debug!(
            target: "cmpctblock",
            "Successfully reconstructed block {hash} with {} txn prefilled, {} txn from mempool (incl at least {} from extra pool) and {} txn requested",
            self.prefilled_count,
            self.mempool_count,
            self.extra_count,
            vtx_missing.len()
        );
        if vtx_missing.len() < 5 {
            for tx in vtx_missing {
                tracing::debug!(
                    target: "cmpctblock",
                    "Reconstructed block {hash} required tx {}",
                    tx.compute_txid()
                );
            }
        }
        (ReadStatus::Ok, Some(block))
    }
}

/// A `CheckBlock` stand-in for callers without the consensus crate: flags a
/// merkle-root mismatch or mutation (duplicate trailing hashes) as
/// [`BlockCheckError::Mutated`]. The node should pass its full `CheckBlock`.
pub fn check_merkle_root(block: &Block) -> Result<(), BlockCheckError> {
    let hashes: Vec<_> = block
        .txdata
        .iter()
        .map(|tx| tx.compute_txid().to_raw_hash())
        .collect();
    if has_mutation(&hashes) {
        return Err(BlockCheckError::Mutated);
    }
    match block.compute_merkle_root() {
        Some(root) if root == block.header.merkle_root => Ok(()),
        _ => Err(BlockCheckError::Mutated),
    }
}

/// Core's `ComputeMerkleRoot` mutation flag: two equal hashes paired at any
/// level.
fn has_mutation(hashes: &[bitcoin::hashes::sha256d::Hash]) -> bool {
    let mut level = hashes.to_vec();
    while level.len() > 1 {
        if level.chunks(2).any(|p| p.len() == 2 && p[0] == p[1]) {
            return true;
        }
        if !level.len().is_multiple_of(2) {
            level.push(*level.last().expect("non-empty"));
        }
        level = level
            .chunks(2)
            .map(|p| {
                let mut engine = bitcoin::hashes::sha256d::Hash::engine();
                engine.input(p[0].as_ref());
                engine.input(p[1].as_ref());
                bitcoin::hashes::sha256d::Hash::from_engine(engine)
            })
            .collect();
    }
    false
}

mod relay;
pub use relay::{
    default_check_block, PeerCmpct, DEFAULT_BLOCK_RECONSTRUCTION_EXTRA_TXN, MAX_BLOCKTXN_DEPTH,
    MAX_CMPCTBLOCK_DEPTH,
};
pub(crate) use relay::{header_of, CompactShared};

#[cfg(test)]
mod tests;
