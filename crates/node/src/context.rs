//! The node's state that RPC methods and start-up share (Core's `NodeContext`).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use widecoin_chainparams::ChainParams;
use widecoin_logging::LoggerHandle;

use crate::chain::NodeChain;
use crate::shutdown::Shutdown;

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
    pub chain: NodeChain,
    pub shutdown: Arc<Shutdown>,
    pub logger: LoggerHandle,
    pub mempool: MempoolSettings,
    pub network: NetworkSettings,
    /// `-maxtipage` in seconds.
    /// `echoipc` through another process, when this is `widecoin-node`.
    pub echo_ipc: Option<crate::init::EchoIpc>,
    /// The block assembler of the mining RPCs (options from `-blockmaxweight`,
    /// `-blockmintxfee`, `-blockversion`).
    pub miner: widecoin_mining::Miner,
    /// The transaction memory pool (Core's `NodeContext::mempool`).
    pub pool: crate::txpool::TxPool,
    /// The P2P network, once started (Core's `NodeContext::connman`).
    pub connman: std::sync::OnceLock<Arc<widecoin_p2p::Connman>>,
}

impl NodeContext {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        chain_params: ChainParams,
        chain: NodeChain,
        shutdown: Arc<Shutdown>,
        logger: LoggerHandle,
        mempool: MempoolSettings,
        network: NetworkSettings,
        echo_ipc: Option<crate::init::EchoIpc>,
    ) -> Self {
        let shutdown_flag = Arc::new(AtomicBool::new(false));
        {
            let flag = shutdown_flag.clone();
            shutdown.on_request(move || flag.store(true, std::sync::atomic::Ordering::SeqCst));
        }
        let pool = crate::txpool::TxPool::new(pool_options(&mempool));
        pool.attach(&mut chain.lock());
        NodeContext {
            chain_params,
            chain,
            shutdown,
            logger,
            mempool,
            network,
            echo_ipc,
            miner: new_miner(&shutdown_flag),
            pool,
            connman: std::sync::OnceLock::new(),
        }
    }

    /// Core's `ChainstateManager::IsInitialBlockDownload` at the mockable now.
    pub fn is_initial_block_download(&self) -> bool {
        let cm = self.chain.lock();
        cm.is_initial_block_download(widecoin_common::time::get_time(), cm.max_tip_age())
    }
}

/// The miner on the mockable clock, stopping its nonce search at shutdown.
fn new_miner(shutdown: &Arc<AtomicBool>) -> widecoin_mining::Miner {
    widecoin_mining::Miner::new(
        widecoin_mining::AssemblerOptions::default(),
        Arc::new(widecoin_common::time::get_time),
    )
    .with_shutdown(shutdown.clone())
}

/// The pool's policy from the node's mempool settings.
fn pool_options(settings: &MempoolSettings) -> widecoin_mempool::MempoolOptions {
    widecoin_mempool::MempoolOptions {
        min_relay_feerate: widecoin_mempool::FeeRate::from_sat_per_kvb(settings.min_relay_feerate),
        full_rbf: settings.full_rbf,
        ..Default::default()
    }
}
