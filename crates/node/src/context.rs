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
    /// `-mempoolexpiry` in hours.
    pub expiry_hours: i64,
    /// `-persistmempool`.
    pub persist: bool,
    /// Not `-acceptnonstdtxn`.
    pub require_standard: bool,
    /// `-datacarriersize` when `-datacarrier`.
    pub max_datacarrier_bytes: Option<u32>,
    /// `-permitbaremultisig`.
    pub permit_bare_multisig: bool,
    /// `-bytespersigop`.
    pub bytes_per_sigop: u32,
    /// `-dustrelayfee` in sat/kvB.
    pub dust_relay_feerate: i64,
    /// `-limitancestorcount`, `-limitancestorsize`, `-limitdescendantcount`, `-limitdescendantsize`.
    pub limits: widecoin_mempool::Limits,
}

/// Network settings shown by `getnetworkinfo`, until the p2p crate exists.
#[derive(Debug, Clone)]
pub struct NetworkSettings {
    pub subversion: String,
    pub local_services: u64,
    pub network_active: bool,
    pub relay_txes: bool,
}

/// How many [`NodeContext`]s are alive: once a node has shut down, none of
/// its own (a process that ran one in-process can check it was freed).
static LIVE_NODE_CONTEXTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The number of node contexts not yet freed.
pub fn live_node_contexts() -> usize {
    LIVE_NODE_CONTEXTS.load(std::sync::atomic::Ordering::SeqCst)
}

impl Drop for NodeContext {
    fn drop(&mut self) {
        LIVE_NODE_CONTEXTS.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
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
    /// The running indexes (`-txindex`, `-coinstatsindex`, `-blockfilterindex`).
    pub indexes: std::sync::OnceLock<crate::indexes::NodeIndexes>,
    /// The node's `Chain` interface for other processes (and its notification
    /// queues), made once (see `crate::chain::chain_interface`).
    pub chain_interface: std::sync::OnceLock<Arc<crate::chain::ChainInterface>>,
    /// The node's live settings (Core's `gArgs`): what `updateRwSetting`
    /// changes and `settings.json` is written from, set once at start-up.
    pub args: std::sync::OnceLock<Arc<std::sync::Mutex<widecoin_common::args::ArgsManager>>>,
    /// Fee estimation (Core's `NodeContext::fee_estimator`).
    pub fee_estimation: Arc<crate::fee_estimation::FeeEstimation>,
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
        // Before the pool's listener: it looks at the pool before a block's transactions leave.
        let fee_estimation = crate::fee_estimation::FeeEstimation::attach(&pool, &mut chain.lock());
        pool.attach(&mut chain.lock());
        LIVE_NODE_CONTEXTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
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
            indexes: std::sync::OnceLock::new(),
            chain_interface: std::sync::OnceLock::new(),
            args: std::sync::OnceLock::new(),
            fee_estimation,
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
// Every option is set now; the update keeps later additions to the options defaulted.
#[allow(clippy::needless_update)]
fn pool_options(settings: &MempoolSettings) -> widecoin_mempool::MempoolOptions {
    widecoin_mempool::MempoolOptions {
        min_relay_feerate: widecoin_mempool::FeeRate::from_sat_per_kvb(settings.min_relay_feerate),
        full_rbf: settings.full_rbf,
        incremental_relay_feerate: widecoin_mempool::FeeRate::from_sat_per_kvb(
            settings.incremental_relay_feerate,
        ),
        max_size_bytes: settings.max_size_bytes.max(0) as u64,
        expiry_secs: settings.expiry_hours.max(0) * 3600,
        require_standard: settings.require_standard,
        max_datacarrier_bytes: settings.max_datacarrier_bytes,
        permit_bare_multisig: settings.permit_bare_multisig,
        bytes_per_sigop: settings.bytes_per_sigop,
        dust_relay_feerate: widecoin_mempool::FeeRate::from_sat_per_kvb(
            settings.dust_relay_feerate,
        ),
        limits: settings.limits,
        ..Default::default()
    }
}
