//! The node's state that RPC methods and start-up share (Core's `NodeContext`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use widecoin_chainparams::ChainParams;
use widecoin_logging::LoggerHandle;

use crate::chain::ActiveChain;
use crate::shutdown::Shutdown;

/// `DEFAULT_MAX_TIP_AGE`: 24 hours.
pub const DEFAULT_MAX_TIP_AGE: i64 = 24 * 60 * 60;

/// Mempool settings, until the mempool crate exists (values of
/// `kernel/mempool_options.h` and `policy/policy.h`).
#[derive(Debug)]
pub struct MempoolSettings {
    pub max_size_bytes: i64,
    /// `-minrelaytxfee` in sat/kvB.
    pub min_relay_feerate: i64,
    /// `-incrementalrelayfee` in sat/kvB.
    pub incremental_relay_feerate: i64,
    pub full_rbf: bool,
    /// Whether the initial load of `mempool.dat` was tried.
    pub loaded: AtomicBool,
}

/// Network settings shown by `getnetworkinfo`, until the p2p crate exists.
#[derive(Debug, Clone)]
pub struct NetworkSettings {
    pub subversion: String,
    pub local_services: u64,
    pub network_active: bool,
    pub relay_txes: bool,
}

/// Everything the node's RPC methods reach.
pub struct NodeContext {
    pub chain_params: ChainParams,
    pub chain: ActiveChain,
    pub shutdown: Arc<Shutdown>,
    pub logger: LoggerHandle,
    pub mempool: MempoolSettings,
    pub network: NetworkSettings,
    /// `-maxtipage` in seconds.
    pub max_tip_age: i64,
    /// Bytes of block and undo data on disk (`CalculateCurrentUsage`).
    pub size_on_disk: u64,
    /// Latched once the node leaves initial block download.
    ibd_done: AtomicBool,
    /// `echoipc` through another process, when this is `widecoin-node`.
    pub echo_ipc: Option<crate::init::EchoIpc>,
}

impl NodeContext {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        chain_params: ChainParams,
        shutdown: Arc<Shutdown>,
        logger: LoggerHandle,
        mempool: MempoolSettings,
        network: NetworkSettings,
        max_tip_age: i64,
        echo_ipc: Option<crate::init::EchoIpc>,
    ) -> Self {
        let chain = ActiveChain::new(chain_params.genesis_block());
        let size_on_disk = genesis_record_size(&chain_params);
        NodeContext {
            chain_params,
            chain,
            shutdown,
            logger,
            mempool,
            network,
            max_tip_age,
            size_on_disk,
            ibd_done: AtomicBool::new(false),
            echo_ipc,
        }
    }

    /// Core's `ChainstateManager::IsInitialBlockDownload`: true while the tip
    /// has less work than the minimum or is older than `-maxtipage`; once
    /// false it stays false.
    pub fn is_initial_block_download(&self) -> bool {
        if self.ibd_done.load(Ordering::Relaxed) {
            return false;
        }
        let tip = self.chain.tip();
        if tip.chain_work < self.chain_params.consensus.minimum_chain_work {
            return true;
        }
        if i64::from(tip.header.time) < widecoin_common::time::get_time() - self.max_tip_age {
            return true;
        }
        self.ibd_done.store(true, Ordering::Relaxed);
        false
    }
}

/// The genesis block's record in `blk00000.dat`: magic, size, block.
fn genesis_record_size(params: &ChainParams) -> u64 {
    8 + bitcoin::consensus::serialize(params.genesis_block()).len() as u64
}
