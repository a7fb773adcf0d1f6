//! Core's `TestBlockValidity`: every check a block must pass to become the
//! next block on the active tip (header in context, `CheckBlock`,
//! `ContextualCheckBlock`, and `ConnectBlock` with its scripts) run on a
//! throw-away layer of the UTXO set. Nothing is stored: the coins layer is
//! dropped, and a block index entry made for the check is taken out again.

use bitcoin::Block;

use crate::checks::{check_block, contextual_check_block, contextual_check_block_header};
use crate::coins::CoinsLayer;
use crate::connect::{connect_block, ConnectContext};
use crate::error::{BlockValidationError as E, ChainstateError};
use crate::manager::ChainstateManager;

impl ChainstateManager {
    /// Checks `block` as a child of the active tip at adjusted time `now`.
    /// `check_pow`: also the proof of work (the miner leaves it out). The
    /// merkle root is always checked (Core's `fCheckMerkleRoot`; the callers
    /// that skip it set the root first). Errors as `ConnectBlock` reports
    /// them; `PrevBlockNotFound` when `block` does not build on the tip.
    pub fn test_block_validity(
        &mut self,
        block: &Block,
        now: i64,
        check_pow: bool,
    ) -> Result<(), ChainstateError> {
        let prev = self.chain.tip().ok_or(ChainstateError::BlockNotFound)?;
        if block.header.prev_blockhash != self.index.entry(prev).hash {
            return Err(E::PrevBlockNotFound(block.header.prev_blockhash).into());
        }
        contextual_check_block_header(
            &block.header,
            &self.index,
            prev,
            &self.params,
            now,
            self.options.checkpoints,
        )?;
        check_block(block, &self.params.consensus, check_pow)?;
        contextual_check_block(block, &self.index, Some(prev), &self.params.consensus)?;

        // A stand-in index entry for ConnectBlock (Core's `indexDummy`); an
        // entry already known for this hash has the same parent and height.
        let before = self.index.len();
        let id = self.index.insert(block.header, 0);
        let added = self.index.len() > before;
        let threads = match self.options.par {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let result = {
            let ctx = ConnectContext {
                index: &self.index,
                id,
                params: &self.params.consensus,
                check_scripts: true,
                threads,
            };
            let mut layer = CoinsLayer::new(&mut self.coins);
            connect_block(block, &ctx, &mut layer).map(|_| ())
        };
        if added {
            self.index.remove_last(id);
        }
        result
    }
}
