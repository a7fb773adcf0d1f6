//! Block templates (Core's `node/miner.cpp`: `BlockAssembler::CreateNewBlock`,
//! `UpdateTime`, `RegenerateCommitments`, and `GenerateCoinbaseCommitment`).
//!
//! There is no mempool here: the transactions come already chosen and ordered
//! (by ancestor fee rate, parents first) from a [`TxSource`]; the assembler
//! keeps those that fit within `-blockmaxweight` and the sigop limit and are
//! final, in the order given.

use std::collections::HashSet;

use bitcoin::absolute::LockTime;
use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{
    Amount, Block, CompactTarget, OutPoint, Script, ScriptBuf, Sequence, Transaction, TxIn,
    TxMerkleNode, TxOut, Txid, Witness,
};
use widecoin_chainparams::consensus::{
    MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT, WITNESS_SCALE_FACTOR,
};
use widecoin_chainparams::get_block_subsidy;
use widecoin_chainstate::checks::{
    bip34_height_script, block_merkle_root, is_final_tx, witness_commitment_index,
    witness_commitment_script,
};
use widecoin_chainstate::index::{BlockIndex, EntryId};
use widecoin_chainstate::pow::next_work_required;
use widecoin_chainstate::ChainstateManager;
use widecoin_consensus::sigops::legacy_sigop_count;

use crate::error::MiningError;
use crate::versionbits::VersionBitsCache;

/// `DEFAULT_BLOCK_MAX_WEIGHT`: MAX_BLOCK_WEIGHT - 4000 = 31,996,000.
pub const DEFAULT_BLOCK_MAX_WEIGHT: u64 = MAX_BLOCK_WEIGHT - 4000;
/// `DEFAULT_BLOCK_MIN_TX_FEE`: 1000 sat/kvB.
pub const DEFAULT_BLOCK_MIN_TX_FEE: u64 = 1000;
/// Weight reserved for the coinbase (`resetBlock`).
pub const COINBASE_RESERVED_WEIGHT: u64 = 4000;
/// Sigop cost reserved for the coinbase (`resetBlock`).
pub const COINBASE_RESERVED_SIGOPS: u64 = 400;

/// The miner's knobs (Core's `BlockAssembler::Options` plus `-blockversion`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssemblerOptions {
    /// `-blockmaxweight`; clamped to [4000, DEFAULT_BLOCK_MAX_WEIGHT] on use.
    pub block_max_weight: u64,
    /// `-blockmintxfee` in sat/kvB: packages paying less are left out.
    pub block_min_fee_rate: u64,
    /// `-blockversion` (honoured on chains that mine on demand, i.e. regtest).
    pub block_version: Option<i32>,
    /// Run [`test_block_validity`](crate::test_block_validity) on each new
    /// template (Core's `test_block_validity`; done by [`crate::Miner`]).
    pub test_block_validity: bool,
}

impl Default for AssemblerOptions {
    fn default() -> Self {
        AssemblerOptions {
            block_max_weight: DEFAULT_BLOCK_MAX_WEIGHT,
            block_min_fee_rate: DEFAULT_BLOCK_MIN_TX_FEE,
            block_version: None,
            test_block_validity: true,
        }
    }
}

impl AssemblerOptions {
    /// Core's `ClampOptions`.
    pub fn clamped_max_weight(&self) -> u64 {
        self.block_max_weight
            .clamp(COINBASE_RESERVED_WEIGHT, DEFAULT_BLOCK_MAX_WEIGHT)
    }
}

/// A transaction offered to the assembler, with what the mempool knows of it.
/// A package (a transaction with unconfirmed ancestors) is offered as its
/// members in order, parents first, with `package_*` describing the whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockTx {
    pub tx: Transaction,
    /// Fee in satoshis (the base fee; see [`TxSource::fee_delta`]).
    pub fee: i64,
    /// Sigop cost (`GetTransactionSigOpCost`, which needs the spent coins).
    pub sigop_cost: u64,
}

/// Where block transactions come from: the mempool's package selection, or
/// nothing. Called once per template with the height and lock-time cutoff.
pub trait TxSource {
    fn block_txs(&mut self, height: u32, lock_time_cutoff: i64) -> Vec<BlockTx>;

    /// The `prioritisetransaction` delta of `txid`: counted when choosing
    /// transactions, not in the coinbase (Core's modified fee).
    fn fee_delta(&self, _txid: &Txid) -> i64 {
        0
    }
}

/// No transactions (a node without a mempool, or `generateblock`).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTxs;

impl TxSource for NoTxs {
    fn block_txs(&mut self, _height: u32, _lock_time_cutoff: i64) -> Vec<BlockTx> {
        Vec::new()
    }
}

/// A fixed list of transactions.
impl TxSource for Vec<BlockTx> {
    fn block_txs(&mut self, _height: u32, _lock_time_cutoff: i64) -> Vec<BlockTx> {
        self.clone()
    }
}

/// Core's `CBlockTemplate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockTemplate {
    pub block: Block,
    /// Fee of each transaction; the coinbase's entry is minus the total fees.
    pub tx_fees: Vec<i64>,
    /// Sigop cost of each transaction, the coinbase's included.
    pub tx_sigops_cost: Vec<i64>,
    /// The witness commitment script added to the coinbase.
    pub coinbase_commitment: Vec<u8>,
    /// Height of the block.
    pub height: u32,
    /// Weight counted while selecting, with the coinbase reserve
    /// (`m_last_block_weight`, `getmininginfo`'s "currentblockweight").
    pub selected_weight: u64,
    /// Transactions selected, without the coinbase (`m_last_block_num_txs`).
    pub selected_txs: u64,
}

/// The coinbase of a template: input script `<height> OP_0` (Core's
/// `CScript() << nHeight << OP_0`), one output paying `value` to `script_pubkey`.
pub fn coinbase_tx(height: u32, value: u64, script_pubkey: &Script) -> Transaction {
    let mut sig = bip34_height_script(height);
    sig.push(0x00);
    Transaction {
        version: TxVersion(2),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(sig),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(value),
            script_pubkey: script_pubkey.to_owned(),
        }],
    }
}

/// Core's `GenerateCoinbaseCommitment`: adds the witness commitment output to
/// the coinbase when it has none (whatever the deployment state, as Core v26
/// does), then `UpdateUncommittedBlockStructures`: the 32-zero-byte witness
/// reserved value once segwit is active for the block. Returns the
/// commitment script (empty when one was already present).
pub fn generate_coinbase_commitment(block: &mut Block, height: u32, segwit_height: i32) -> Vec<u8> {
    let mut commitment = Vec::new();
    if witness_commitment_index(block).is_none() {
        commitment = witness_commitment_script(block);
        block.txdata[0].output.push(TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(commitment.clone()),
        });
    }
    update_uncommitted_block_structures(block, height, segwit_height);
    commitment
}

/// Core's `UpdateUncommittedBlockStructures`.
pub fn update_uncommitted_block_structures(block: &mut Block, height: u32, segwit_height: i32) {
    let committed = witness_commitment_index(block).is_some();
    let cb = &mut block.txdata[0];
    if committed
        && i64::from(height) >= i64::from(segwit_height)
        && cb.input.iter().all(|i| i.witness.is_empty())
    {
        cb.input[0].witness = Witness::from_slice(&[[0u8; 32]]);
    }
}

/// Core's `RegenerateCommitments`: drops the commitment output, adds a fresh
/// one for the current transactions, and recomputes the merkle root.
pub fn regenerate_commitments(block: &mut Block, height: u32, segwit_height: i32) {
    if let Some(i) = witness_commitment_index(block) {
        block.txdata[0].output.remove(i);
    }
    generate_coinbase_commitment(block, height, segwit_height);
    block.header.merkle_root = merkle_root(block);
}

/// `BlockMerkleRoot` as a header field.
pub fn merkle_root(block: &Block) -> TxMerkleNode {
    TxMerkleNode::from_byte_array(block_merkle_root(block).0)
}

/// Core's `UpdateTime`: moves the time up to max(MTP + 1, adjusted now) and,
/// on chains with min-difficulty blocks (testnet), refreshes the bits, which
/// depend on the time. Returns the change in seconds (new - old, may be negative
/// when the time was already later).
pub fn update_time(
    header: &mut Header,
    index: &BlockIndex,
    prev: EntryId,
    params: &widecoin_chainparams::ConsensusParams,
    now: i64,
) -> i64 {
    let old = i64::from(header.time);
    let new = (index.median_time_past(prev) + 1).max(now);
    if old < new {
        header.time = new as u32;
    }
    if params.pow_allow_min_difficulty_blocks {
        header.bits = CompactTarget::from_consensus(next_work_required(
            index,
            prev,
            i64::from(header.time),
            params,
        ));
    }
    new - old
}

/// Core's `BlockAssembler` for one template on the active chain's tip.
pub struct BlockAssembler<'a> {
    chainman: &'a ChainstateManager,
    versionbits: &'a VersionBitsCache,
    options: AssemblerOptions,
}

impl<'a> BlockAssembler<'a> {
    pub fn new(
        chainman: &'a ChainstateManager,
        versionbits: &'a VersionBitsCache,
        options: AssemblerOptions,
    ) -> BlockAssembler<'a> {
        BlockAssembler {
            chainman,
            versionbits,
            options,
        }
    }

    /// Core's `CreateNewBlock`: a template paying subsidy and fees to
    /// `script_pubkey`, with the transactions of `source` that fit, at time
    /// max(MTP + 1, `now`), nonce 0. Not yet checked with
    /// `TestBlockValidity` (that needs the chainstate mutably: see
    /// [`crate::Miner::create_new_block`]).
    pub fn create_new_block(
        &self,
        script_pubkey: &Script,
        source: &mut dyn TxSource,
        now: i64,
    ) -> Result<BlockTemplate, MiningError> {
        let cm = self.chainman;
        let params = cm.params();
        let c = &params.consensus;
        let index = cm.block_index();
        let prev = cm.active_chain().tip().ok_or(MiningError::NoTip)?;
        let prev_entry = index.entry(prev);
        let height = prev_entry.height + 1;

        let mut version = self.versionbits.compute_block_version(index, Some(prev), c);
        if params.mine_blocks_on_demand() {
            if let Some(v) = self.options.block_version {
                version = v;
            }
        }
        let lock_time_cutoff = index.median_time_past(prev);

        // addPackageTxs, with the selection already made.
        let max_weight = self.options.clamped_max_weight();
        let mut weight = COINBASE_RESERVED_WEIGHT;
        let mut sigops = COINBASE_RESERVED_SIGOPS;
        let mut fees: i64 = 0;
        let mut txdata = vec![Transaction {
            version: TxVersion(2),
            lock_time: LockTime::ZERO,
            input: vec![],
            output: vec![],
        }];
        let mut tx_fees = vec![-1];
        let mut tx_sigops = vec![-1];
        // Transactions left out: their descendants are left out too.
        let mut skipped: HashSet<Txid> = HashSet::new();
        for cand in source.block_txs(height, lock_time_cutoff) {
            let w = cand.tx.weight().to_wu();
            let vsize = w.div_ceil(WITNESS_SCALE_FACTOR);
            let txid = cand.tx.compute_txid();
            let modified_fee = cand.fee.saturating_add(source.fee_delta(&txid));
            let skip = cand
                .tx
                .input
                .iter()
                .any(|i| skipped.contains(&i.previous_output.txid))
                // Below -blockmintxfee (a prioritised transaction may pay
                // less than those after it, so this is no stop).
                || modified_fee < (self.options.block_min_fee_rate * vsize).div_ceil(1000) as i64
                // TestPackage: weight and sigops strictly below the limits.
                || weight + WITNESS_SCALE_FACTOR * vsize >= max_weight
                || sigops + cand.sigop_cost >= MAX_BLOCK_SIGOPS_COST
                // TestPackageTransactions: final at this height and cutoff.
                || !is_final_tx(&cand.tx, height, lock_time_cutoff);
            if skip {
                skipped.insert(txid);
                continue;
            }
            weight += w;
            sigops += cand.sigop_cost;
            fees += cand.fee;
            tx_fees.push(cand.fee);
            tx_sigops.push(cand.sigop_cost as i64);
            txdata.push(cand.tx);
        }
        let selected_txs = txdata.len() as u64 - 1;

        txdata[0] = coinbase_tx(
            height,
            get_block_subsidy(height, c) + fees as u64,
            script_pubkey,
        );
        let mut block = Block {
            header: Header {
                version: Version::from_consensus(version),
                prev_blockhash: prev_entry.hash,
                merkle_root: TxMerkleNode::all_zeros(),
                time: now.clamp(0, i64::from(u32::MAX)) as u32,
                bits: CompactTarget::from_consensus(0),
                nonce: 0,
            },
            txdata,
        };
        let coinbase_commitment = generate_coinbase_commitment(&mut block, height, c.segwit_height);
        tx_fees[0] = -fees;
        tracing::info!(target: "mining",
            "CreateNewBlock(): block weight: {} txs: {} fees: {} sigops {}",
            block.weight().to_wu(), selected_txs, fees, sigops);

        update_time(&mut block.header, index, prev, c, now);
        block.header.bits = CompactTarget::from_consensus(next_work_required(
            index,
            prev,
            i64::from(block.header.time),
            c,
        ));
        block.header.nonce = 0;
        tx_sigops[0] =
            (WITNESS_SCALE_FACTOR * u64::from(legacy_sigop_count(&block.txdata[0]))) as i64;
        block.header.merkle_root = merkle_root(&block);

        Ok(BlockTemplate {
            block,
            tx_fees,
            tx_sigops_cost: tx_sigops,
            coinbase_commitment,
            height,
            selected_weight: weight,
            selected_txs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use widecoin_chainparams::{ChainParams, ChainType};
    use widecoin_chainstate::block_status;

    #[test]
    fn update_time_refreshes_testnet_bits() {
        let p = ChainParams::new(ChainType::Testnet);
        let c = &p.consensus;
        let hard = 0x1d0f_ffff;
        let mut index = BlockIndex::default();
        let mut prev_hash = bitcoin::BlockHash::all_zeros();
        let mut ids = Vec::new();
        for n in 0..3u32 {
            let h = Header {
                version: Version::from_consensus(4),
                prev_blockhash: prev_hash,
                merkle_root: TxMerkleNode::all_zeros(),
                time: 10_000 + 30 * n,
                bits: CompactTarget::from_consensus(hard),
                nonce: n,
            };
            prev_hash = h.block_hash();
            ids.push(index.insert(h, block_status::VALID_TREE));
        }
        let tip = ids[2];
        let mut header = Header {
            version: Version::from_consensus(0x2000_0000),
            prev_blockhash: prev_hash,
            merkle_root: TxMerkleNode::all_zeros(),
            time: 0,
            bits: CompactTarget::from_consensus(hard),
            nonce: 0,
        };
        // Within two spacings of the parent: the real difficulty.
        assert_eq!(
            update_time(&mut header, &index, tip, c, 10_060 + 60),
            10_120
        );
        assert_eq!(header.time, 10_120);
        assert_eq!(header.bits.to_consensus(), hard);
        // Later: min-difficulty bits.
        update_time(&mut header, &index, tip, c, 10_060 + 61);
        assert_eq!(header.bits.to_consensus(), 0x1e0f_ffff);
        // The clock behind the median time past: MTP + 1, never moved back.
        let mut h2 = header;
        h2.time = 0;
        update_time(&mut h2, &index, tip, c, 5);
        assert_eq!(i64::from(h2.time), index.median_time_past(tip) + 1);
    }

    #[test]
    fn coinbase_script_is_height_then_op_0() {
        let cb = coinbase_tx(500, 1, Script::new());
        assert_eq!(cb.input[0].script_sig.as_bytes(), &[0x02, 0xf4, 0x01, 0x00]);
        assert_eq!(cb.version, TxVersion(2));
        assert_eq!(cb.input[0].sequence, Sequence::MAX);
    }
}
