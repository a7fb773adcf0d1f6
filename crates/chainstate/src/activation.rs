//! Moving the active chain to the most-work valid chain (Core's
//! `ActivateBestChain`, `FindMostWorkChain`, `ConnectTip`, `DisconnectTip`,
//! `InvalidateBlock`, `ResetBlockFailureFlags`, `PreciousBlock`).

use bitcoin::{Block, BlockHash};

use crate::coins::CoinsLayer;
use crate::connect::{connect_block, disconnect_block, ConnectContext, DisconnectResult};
use crate::error::{BlockValidationError as E, ChainstateError};
use crate::index::{status, EntryId};
use crate::manager::ChainstateManager;
use crate::undo::BlockUndo;

/// Two weeks, the `-assumevalid` safety margin of equivalent work.
const ASSUMEVALID_MARGIN: f64 = 60.0 * 60.0 * 24.0 * 7.0 * 2.0;

fn work_f64(w: bitcoin::Work) -> f64 {
    w.to_be_bytes()
        .iter()
        .fold(0.0, |acc, b| acc * 256.0 + f64::from(*b))
}

impl ChainstateManager {
    /// Core's `FindMostWorkChain`: the best candidate whose blocks back to the
    /// active chain all have data and none failed.
    fn find_most_work_chain(&mut self) -> Option<EntryId> {
        loop {
            let &(_, _, std::cmp::Reverse(best)) = self.candidates.last()?;
            let mut cur = best;
            let mut failed_at = None;
            let mut missing = false;
            loop {
                if self.chain.contains(&self.index, cur) {
                    break;
                }
                let e = self.index.entry(cur);
                if e.failed() {
                    failed_at = Some(cur);
                    break;
                }
                if !e.have_data() {
                    missing = true;
                    break;
                }
                match e.prev {
                    Some(p) => cur = p,
                    None => break,
                }
            }
            if failed_at.is_none() && !missing {
                return Some(best);
            }
            self.remove_candidate(best);
            if let Some(f) = failed_at {
                // Everything from the candidate down to the failed block descends from it.
                let mut walk = best;
                while walk != f {
                    if self.index.entry(walk).status & status::FAILED_MASK == 0 {
                        self.index.entry_mut(walk).status |= status::FAILED_CHILD;
                        self.mark_dirty(walk);
                    }
                    self.remove_candidate(walk);
                    walk = self.index.entry(walk).prev.expect("f is an ancestor");
                }
            }
        }
    }

    /// Removes candidates worse than the tip (`PruneBlockIndexCandidates`).
    fn prune_candidates(&mut self) {
        let Some(tip) = self.chain.tip() else { return };
        let key = self.candidate_key(tip);
        self.candidates = self.candidates.split_off(&key);
    }

    /// Whether scripts of block `id` must be verified (`-assumevalid`).
    fn should_check_scripts(&self, id: EntryId) -> bool {
        let Some(av) = self.assumevalid else {
            return true;
        };
        let Some(av_id) = self.index.lookup(&av) else {
            return true;
        };
        if !self.index.is_ancestor(id, av_id) {
            return true;
        }
        let Some(best) = self.best_header else {
            return true;
        };
        if !self.index.is_ancestor(av_id, best) {
            return true;
        }
        let b = self.index.entry(best);
        if b.chain_work < self.params.consensus.minimum_chain_work {
            return true;
        }
        // GetBlockProofEquivalentTime(best, block, best) <= two weeks.
        let diff = work_f64(b.chain_work) - work_f64(self.index.entry(id).chain_work);
        let per_block = work_f64(crate::pow::block_proof(b.header.bits.to_consensus()));
        if per_block <= 0.0 {
            return true;
        }
        let secs = diff * self.params.consensus.pow_target_spacing as f64 / per_block;
        secs <= ASSUMEVALID_MARGIN
    }

    fn read_block_of(&self, id: EntryId) -> Result<Block, ChainstateError> {
        let pos = self
            .index
            .entry(id)
            .data_pos()
            .ok_or(ChainstateError::BlockNotFound)?;
        Ok(self.store.read_block(pos)?)
    }

    /// Core's `ConnectTip`: connects `id` (a child of the tip) to the UTXO set.
    fn connect_tip(&mut self, id: EntryId, block: Option<&Block>) -> Result<(), ChainstateError> {
        let owned;
        let block = match block {
            Some(b) => b,
            None => {
                owned = self.read_block_of(id)?;
                &owned
            }
        };
        let prev_hash = self
            .index
            .entry(id)
            .prev
            .map(|p| self.index.entry(p).hash)
            .unwrap_or_else(<BlockHash as bitcoin::hashes::Hash>::all_zeros);
        if self.coins.best_block() != prev_hash {
            return Err(ChainstateError::Corrupt(format!(
                "connecting {} on top of {}",
                self.index.entry(id).hash,
                self.coins.best_block()
            )));
        }
        let threads = match self.options.par {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let ctx = ConnectContext {
            index: &self.index,
            id,
            params: &self.params.consensus,
            check_scripts: self.should_check_scripts(id),
            threads,
        };
        let mut layer = CoinsLayer::new(&mut self.coins);
        let undo = connect_block(block, &ctx, &mut layer)?;
        let hash = self.index.entry(id).hash;
        layer.commit(hash)?;
        let e = self.index.entry(id);
        if e.prev.is_some() && !e.have_undo() {
            let file = e.file;
            let pos = self.store.write_undo(file, &undo.serialize(), &prev_hash)?;
            let e = self.index.entry_mut(id);
            e.undo_pos = pos.pos;
            e.status |= status::HAVE_UNDO;
        }
        self.index
            .entry_mut(id)
            .raise_validity(status::VALID_SCRIPTS);
        self.mark_dirty(id);
        self.chain.set_tip(&self.index, Some(id));
        let e = self.index.entry(id);
        tracing::info!(target: "validation", "UpdateTip: new best={} height={} version=0x{:08x} log2_work={:.6} tx={} date='{}' cache={:.1}MiB({}txo)",
            e.hash, e.height, e.header.version.to_consensus() as u32, e.chain_work.log2(), e.chain_tx, e.header.time,
            self.coins.cache_usage() as f64 / 1048576.0, self.coins.cache_len());
        for l in &self.listeners {
            l.block_checked(&hash, &Ok(()));
            l.block_connected(block, e);
        }
        self.flush_if_needed()
    }

    /// Core's `DisconnectTip`.
    fn disconnect_tip(&mut self) -> Result<(), ChainstateError> {
        let id = self.chain.tip().expect("a tip to disconnect");
        let e = self.index.entry(id);
        let Some(prev) = e.prev else {
            return Err(ChainstateError::Corrupt("cannot disconnect genesis".into()));
        };
        let height = e.height;
        let prev_hash = self.index.entry(prev).hash;
        let block = self.read_block_of(id)?;
        let undo_pos = e.undo_pos().ok_or_else(|| {
            ChainstateError::Corrupt(format!("no undo data for block {}", e.hash))
        })?;
        let undo = BlockUndo::deserialize(&self.store.read_undo(undo_pos, &prev_hash)?)?;
        let mut layer = CoinsLayer::new(&mut self.coins);
        if disconnect_block(&block, &undo, height, &mut layer)? != DisconnectResult::Ok {
            return Err(ChainstateError::Corrupt(format!(
                "DisconnectTip(): DisconnectBlock {} failed",
                self.index.entry(id).hash
            )));
        }
        layer.commit(prev_hash)?;
        self.chain.set_tip(&self.index, Some(prev));
        self.move_prune_locks_back(height);
        // The block may become the tip again later.
        self.add_candidate(id);
        for l in &self.listeners {
            l.block_disconnected(&block, self.index.entry(id));
        }
        self.flush_if_needed()
    }

    fn notify_tip(&self, fork: Option<u32>) {
        let Some(tip) = self.tip() else { return };
        let now = (self.options.clock)();
        let ibd = self.is_initial_block_download(now, self.options.max_tip_age);
        for l in &self.listeners {
            l.updated_block_tip(tip, fork, ibd);
        }
    }

    /// Core's `ActivateBestChain`. Returns the validation failure of
    /// `interest` (a block just received) if connecting it failed.
    pub(crate) fn activate_best_chain(
        &mut self,
        interest: Option<(EntryId, &Block)>,
    ) -> Result<Option<E>, ChainstateError> {
        let mut failure = None;
        while let Some(best) = self.find_most_work_chain() {
            let tip = self.chain.tip();
            // The candidate set orders by work, then arrival (or preciousness).
            if Some(best) == tip {
                break;
            }
            let fork = tip.and_then(|_| self.chain.find_fork(&self.index, best));
            let disconnecting = self.chain.tip() != fork;
            while self.chain.tip().is_some() && self.chain.tip() != fork {
                self.disconnect_tip()?;
            }
            let fork_height = fork.map(|f| self.index.entry(f).height);
            let mut path = Vec::new();
            let mut cur = Some(best);
            while cur != fork {
                let c = cur.expect("fork is an ancestor");
                path.push(c);
                cur = self.index.entry(c).prev;
            }
            for id in path.into_iter().rev() {
                let block = interest.filter(|(i, _)| *i == id).map(|(_, b)| b);
                match self.connect_tip(id, block) {
                    Ok(()) => {}
                    Err(ChainstateError::Invalid(err)) => {
                        let hash = self.index.entry(id).hash;
                        tracing::info!(
                            "ERROR: ConnectTip: ConnectBlock {hash} failed, {}",
                            err.state_string()
                        );
                        for l in &self.listeners {
                            l.block_checked(&hash, &Err(err.clone()));
                        }
                        self.invalid_block_found(id, &err);
                        if interest.is_some_and(|(i, _)| i == id) {
                            failure = Some(err);
                        }
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            if disconnecting {
                for l in &self.listeners {
                    l.reorg_settled(self, true);
                }
            }
            self.prune_candidates();
            self.notify_tip(fork_height);
        }
        Ok(failure)
    }

    /// Re-runs activation (after a restart, import or a change of flags) and
    /// commits the index durably.
    pub fn activate(&mut self) -> Result<(), ChainstateError> {
        self.activate_best_chain(None)?;
        self.store.flush()?;
        self.commit_index(true)
    }

    /// `invalidateblock`: marks the block invalid, disconnects it and its
    /// descendants, and activates the best remaining chain.
    pub fn invalidate_block(&mut self, hash: &BlockHash) -> Result<(), ChainstateError> {
        let id = self
            .index
            .lookup(hash)
            .ok_or(ChainstateError::BlockNotFound)?;
        if self.index.entry(id).prev.is_none() {
            return Err(ChainstateError::Corrupt(
                "cannot invalidate the genesis block".into(),
            ));
        }
        let mut disconnected = 0u32;
        while self.chain.contains(&self.index, id) {
            let tip = self.chain.tip().expect("contains id");
            self.disconnect_tip()?;
            disconnected += 1;
            for l in &self.listeners {
                l.reorg_settled(self, disconnected <= 10);
            }
            if tip != id {
                self.index.entry_mut(tip).status |= status::FAILED_CHILD;
                self.mark_dirty(tip);
            }
        }
        self.remove_candidate(id);
        self.index.entry_mut(id).status |= status::FAILED_VALID;
        self.mark_dirty(id);
        self.mark_descendants_failed(id);
        self.rebuild_candidates();
        self.recompute_best_header();
        if disconnected > 0 {
            // Core's blockTip after invalidating: the tip moved back.
            let fork = self.chain.tip().map(|t| self.index.entry(t).height);
            self.notify_tip(fork);
        }
        self.activate_best_chain(None)?;
        self.store.flush()?;
        self.commit_index(true)
    }

    /// `reconsiderblock` (`ResetBlockFailureFlags`): clears the failure flags
    /// of the block, its ancestors and its descendants, then activates.
    pub fn reconsider_block(&mut self, hash: &BlockHash) -> Result<(), ChainstateError> {
        let id = self
            .index
            .lookup(hash)
            .ok_or(ChainstateError::BlockNotFound)?;
        let height = self.index.entry(id).height;
        for other in self.index.ids() {
            let related =
                self.index.ancestor(other, height) == Some(id) || self.index.is_ancestor(other, id);
            if related && self.index.entry(other).failed() {
                self.index.entry_mut(other).status &= !status::FAILED_MASK;
                self.mark_dirty(other);
            }
        }
        self.rebuild_candidates();
        self.recompute_best_header();
        self.activate_best_chain(None)?;
        self.store.flush()?;
        self.commit_index(true)
    }

    /// `preciousblock`: among chains of equal work, prefer this one.
    pub fn precious_block(&mut self, hash: &BlockHash) -> Result<(), ChainstateError> {
        let id = self
            .index
            .lookup(hash)
            .ok_or(ChainstateError::BlockNotFound)?;
        let Some(tip) = self.chain.tip() else {
            return Ok(());
        };
        let work = self.index.entry(id).chain_work;
        let tip_work = self.index.entry(tip).chain_work;
        if work < tip_work {
            return Ok(());
        }
        if tip_work > self.last_precious_work {
            self.reverse_sequence = -1;
        }
        self.last_precious_work = tip_work;
        self.remove_candidate(id);
        self.index.entry_mut(id).sequence_id = self.reverse_sequence;
        if self.reverse_sequence > i32::MIN {
            self.reverse_sequence -= 1;
        }
        self.add_candidate(id);
        self.activate_best_chain(None)?;
        self.store.flush()?;
        self.commit_index(true)
    }
}
