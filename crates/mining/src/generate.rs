//! Mining on demand (Core's `rpc/mining.cpp`: `GenerateBlock`,
//! `generateBlocks`, `generateblock`). Widecoin Core 6.0, like Bitcoin Core
//! v26, has no extra nonce here: when the 32-bit nonce runs out a new
//! template is made (with a new time) and the search goes on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, Script, Transaction, Txid};
use widecoin_chainparams::ConsensusParams;
use widecoin_chainstate::pow::check_proof_of_work;
use widecoin_chainstate::{ChainstateError, ChainstateManager, Clock};

use crate::assembler::{
    merkle_root, regenerate_commitments, AssemblerOptions, BlockAssembler, BlockTemplate, NoTxs,
    TxSource,
};
use crate::error::MiningError;
use crate::info::{difficulty, network_hash_ps, MiningInfo, DEFAULT_NETWORK_HASHPS_BLOCKS};
use crate::validity::{state_string, test_block_validity};
use crate::versionbits::VersionBitsCache;

/// `DEFAULT_MAX_TRIES`: the default `maxtries` of the generate RPCs.
pub const DEFAULT_MAX_TRIES: u64 = 1_000_000;

/// How a nonce search ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Solve {
    /// The header meets its target.
    Solved,
    /// `max_tries` reached zero (or shutdown was requested).
    OutOfTries,
    /// The nonce reached `u32::MAX`: make a new template and go on.
    NonceExhausted,
}

/// The nonce loop of Core's `GenerateBlock`: increments the nonce until the
/// hash meets the target, spending one of `max_tries` per increment.
pub fn solve(
    header: &mut Header,
    max_tries: &mut u64,
    params: &ConsensusParams,
    shutdown: Option<&AtomicBool>,
) -> Solve {
    let stop = || shutdown.is_some_and(|s| s.load(Ordering::Relaxed));
    while *max_tries > 0
        && header.nonce < u32::MAX
        && !check_proof_of_work(&header.block_hash(), header.bits.to_consensus(), params)
        && !stop()
    {
        header.nonce += 1;
        *max_tries -= 1;
    }
    if *max_tries == 0 || stop() {
        return Solve::OutOfTries;
    }
    if header.nonce == u32::MAX {
        return Solve::NonceExhausted;
    }
    Solve::Solved
}

/// What `generateblock` returns: the hash, and the block itself (its hex is
/// the answer when not submitted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedBlock {
    pub hash: BlockHash,
    pub block: Block,
}

/// Selection weight and count of the last template (`getmininginfo`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct LastBlock {
    weight: u64,
    txs: u64,
}

/// The node's miner: options, the adjusted-time clock, the version-bits cache
/// and the statistics of the last template (Core keeps those in statics of
/// `BlockAssembler`). Shared by the mining RPCs.
pub struct Miner {
    pub options: AssemblerOptions,
    clock: Clock,
    versionbits: Arc<VersionBitsCache>,
    last: Mutex<Option<LastBlock>>,
    shutdown: Option<Arc<AtomicBool>>,
}

impl Miner {
    /// A miner with its own version-bits cache.
    pub fn new(options: AssemblerOptions, clock: Clock) -> Miner {
        Miner {
            options,
            clock,
            versionbits: Arc::new(VersionBitsCache::new()),
            last: Mutex::new(None),
            shutdown: None,
        }
    }

    /// Shares a version-bits cache (the one `getblockchaininfo` uses).
    pub fn with_versionbits(mut self, cache: Arc<VersionBitsCache>) -> Miner {
        self.versionbits = cache;
        self
    }

    /// Stops nonce searches when `flag` is set (Core's `ShutdownRequested`).
    pub fn with_shutdown(mut self, flag: Arc<AtomicBool>) -> Miner {
        self.shutdown = Some(flag);
        self
    }

    pub fn versionbits(&self) -> &Arc<VersionBitsCache> {
        &self.versionbits
    }

    /// Network-adjusted now.
    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    fn shutdown_requested(&self) -> bool {
        self.shutdown
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
    }

    /// `CreateNewBlock` on the tip with the transactions of `source`; records
    /// the selection for `getmininginfo`.
    pub fn create_new_block(
        &self,
        chainman: &mut ChainstateManager,
        script_pubkey: &Script,
        source: &mut dyn TxSource,
    ) -> Result<BlockTemplate, MiningError> {
        let now = self.now();
        let assembler = BlockAssembler::new(chainman, &self.versionbits, self.options.clone());
        let template = assembler.create_new_block(script_pubkey, source, now)?;
        if self.options.test_block_validity {
            test_block_validity(chainman, &template.block, now, false).map_err(|e| {
                MiningError::CreateNewBlock(format!(
                    "CreateNewBlock: TestBlockValidity failed: {}",
                    state_string(&e)
                ))
            })?;
        }
        *self.last.lock().expect("not poisoned") = Some(LastBlock {
            weight: template.selected_weight,
            txs: template.selected_txs,
        });
        Ok(template)
    }

    /// Core's `GenerateBlock`: sets the merkle root, searches a nonce, and
    /// submits the block when `submit`. `Ok(None)`: the nonce ran out, try a
    /// new template; `Err` only when `ProcessNewBlock` refused it.
    fn generate_block_pow(
        &self,
        chainman: &mut ChainstateManager,
        mut block: Block,
        max_tries: &mut u64,
        submit: bool,
    ) -> Result<Option<Option<Block>>, MiningError> {
        block.header.merkle_root = merkle_root(&block);
        let flag = self.shutdown.as_deref();
        match solve(
            &mut block.header,
            max_tries,
            &chainman.params().consensus,
            flag,
        ) {
            Solve::OutOfTries => return Ok(None),
            Solve::NonceExhausted => return Ok(Some(None)),
            Solve::Solved => {}
        }
        if submit {
            match chainman.process_new_block(&block) {
                Ok(_) => {}
                Err(e @ ChainstateError::Invalid(_)) => return Err(MiningError::NotAccepted(e)),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Some(Some(block)))
    }

    /// Core's `generateBlocks` (`generatetoaddress`, `generatetodescriptor`):
    /// mines `n` blocks paying to `script_pubkey`, with `max_tries` nonces
    /// for them all. When the tries run out, the hashes mined so far.
    pub fn generate_blocks(
        &self,
        chainman: &mut ChainstateManager,
        script_pubkey: &Script,
        n: u64,
        mut max_tries: u64,
        source: &mut dyn TxSource,
    ) -> Result<Vec<BlockHash>, MiningError> {
        let mut hashes = Vec::new();
        let mut left = n;
        while left > 0 && !self.shutdown_requested() {
            let template = self.create_new_block(chainman, script_pubkey, source)?;
            match self.generate_block_pow(chainman, template.block, &mut max_tries, true)? {
                None => break,
                Some(None) => {}
                Some(Some(block)) => {
                    left -= 1;
                    hashes.push(block.block_hash());
                }
            }
        }
        Ok(hashes)
    }

    /// Core's `generateblock`: a block on the tip with exactly `txs` after
    /// the coinbase (their fees are not claimed, as in Core), checked with
    /// `TestBlockValidity`, solved within `DEFAULT_MAX_TRIES`, and submitted
    /// when `submit`.
    pub fn generate_block(
        &self,
        chainman: &mut ChainstateManager,
        script_pubkey: &Script,
        txs: Vec<Transaction>,
        submit: bool,
    ) -> Result<GeneratedBlock, MiningError> {
        let template = self.create_new_block(chainman, script_pubkey, &mut NoTxs)?;
        let mut block = template.block;
        debug_assert_eq!(block.txdata.len(), 1);
        block.txdata.extend(txs);
        let segwit_height = chainman.params().consensus.segwit_height;
        regenerate_commitments(&mut block, template.height, segwit_height);
        test_block_validity(chainman, &block, self.now(), false)
            .map_err(|e| MiningError::TestBlockValidity(state_string(&e)))?;
        let mut max_tries = DEFAULT_MAX_TRIES;
        match self.generate_block_pow(chainman, block, &mut max_tries, submit)? {
            Some(Some(block)) => Ok(GeneratedBlock {
                hash: block.block_hash(),
                block,
            }),
            _ => Err(MiningError::FailedToMake),
        }
    }

    /// The data of `getmininginfo`; the mempool size and the warnings come
    /// from their owners.
    pub fn mining_info(
        &self,
        chainman: &ChainstateManager,
        pooled_tx: u64,
        warnings: String,
    ) -> MiningInfo {
        let last = *self.last.lock().expect("not poisoned");
        MiningInfo {
            blocks: chainman.height(),
            current_block_weight: last.map(|l| l.weight),
            current_block_tx: last.map(|l| l.txs),
            difficulty: chainman
                .tip()
                .map_or(0.0, |t| difficulty(t.header.bits.to_consensus())),
            network_hash_ps: network_hash_ps(chainman, DEFAULT_NETWORK_HASHPS_BLOCKS, -1),
            pooled_tx,
            chain: chainman.params().chain_type_string().to_string(),
            warnings,
        }
    }
}

/// One element of `generateblock`'s `transactions`: a txid (64 hex digits,
/// looked up in the mempool with `mempool_get`) or a raw transaction in hex
/// (Core's `ParseHashStr`, then `DecodeHexTx`).
pub fn decode_generateblock_tx(
    s: &str,
    mempool_get: impl FnOnce(&Txid) -> Option<Transaction>,
) -> Result<Transaction, MiningError> {
    if s.len() == 64 {
        if let Ok(mut bytes) = <[u8; 32]>::try_from(hex::decode(s).unwrap_or_default()) {
            // Shown byte-reversed, as every uint256.
            bytes.reverse();
            let txid = Txid::from_byte_array(bytes);
            return mempool_get(&txid).ok_or_else(|| MiningError::TxNotInMempool(s.to_string()));
        }
    }
    let decoded = hex::decode(s)
        .ok()
        .and_then(|raw| widecoin_consensus::decode::decode_transaction(&raw).ok())
        .filter(|tx| !tx.input.is_empty());
    decoded.ok_or_else(|| MiningError::TxDecode(s.to_string()))
}
