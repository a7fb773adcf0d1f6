//! The optional indexes and pruning at start-up and shutdown (Core's
//! `AppInitParameterInteraction` checks of `-blockfilterindex`, `-prune`,
//! `-txindex`, and `AppInitMain` step 8, "start indexers").

use std::path::Path;
use std::sync::{Arc, Weak};

use widecoin_chainstate::prune::prune_target_from_arg;
use widecoin_chainstate::ChainstateManager;
use widecoin_common::args::ArgsManager;
use widecoin_index::{
    BlockFilterIndex, ChainSource, CoinStatsIndex, Index, IndexSummary, Notifier, TxIndex,
};

use crate::context::NodeContext;

/// The indexes that run in this node.
pub struct NodeIndexes {
    notifier: Arc<Notifier>,
    pub txindex: Option<Arc<Index<TxIndex>>>,
    pub coinstats: Option<Arc<Index<CoinStatsIndex>>>,
    pub blockfilter: Option<Arc<Index<BlockFilterIndex>>>,
}

impl NodeIndexes {
    /// Summaries in Core's `getindexinfo` order.
    pub fn summaries(&self) -> Vec<IndexSummary> {
        let mut out = Vec::new();
        if let Some(i) = &self.txindex {
            out.push(i.summary());
        }
        if let Some(i) = &self.coinstats {
            out.push(i.summary());
        }
        if let Some(i) = &self.blockfilter {
            out.push(i.summary());
        }
        out
    }

    fn stop(&self) {
        self.notifier.interrupt();
        if let Some(i) = &self.txindex {
            i.stop();
        }
        if let Some(i) = &self.coinstats {
            i.stop();
        }
        if let Some(i) = &self.blockfilter {
            i.stop();
        }
    }
}

/// The node's chainstate as the indexes reach it.
struct NodeChainSource(Weak<NodeContext>);

impl ChainSource for NodeChainSource {
    fn with_chainstate(&self, f: &mut dyn FnMut(&mut ChainstateManager)) {
        if let Some(node) = self.0.upgrade() {
            f(&mut node.chain.lock());
        }
    }
}

/// Which block filter types `-blockfilterindex` enables (Core accepts only
/// `basic`; an empty value or `1` means all types).
fn basic_filters_enabled(args: &ArgsManager) -> Result<bool, String> {
    let value = args
        .get_arg("-blockfilterindex")
        .unwrap_or_else(|| "0".into());
    if value.is_empty() || value == "1" {
        return Ok(true);
    }
    if value == "0" {
        return Ok(false);
    }
    for name in args.get_args("-blockfilterindex") {
        if name != widecoin_index::blockfilter::FILTER_TYPE_BASIC {
            return Err(format!("Unknown -blockfilterindex value {name}."));
        }
    }
    Ok(true)
}

/// The checks of `AppInitParameterInteraction` for the indexes and `-prune`,
/// in Core's words. Returns the prune target in bytes.
pub(crate) fn check_args(args: &ArgsManager) -> Result<u64, String> {
    let filters = basic_filters_enabled(args)?;
    if args.get_bool_arg("-peerblockfilters", false) && !filters {
        return Err("Cannot set -peerblockfilters without -blockfilterindex.".into());
    }
    if args.get_int_arg("-prune", 0) != 0 {
        if args.get_bool_arg("-txindex", false) {
            return Err("Prune mode is incompatible with -txindex.".into());
        }
        if args.get_bool_arg("-reindex-chainstate", false) {
            return Err(
                "Prune mode is incompatible with -reindex-chainstate. Use full -reindex instead."
                    .into(),
            );
        }
    }
    prune_target_from_arg(args.get_int_arg("-prune", 0))
}

/// Turns on pruning after the chainstate is loaded and does the initial
/// prune (Core's `PruneAndFlush` of step 10).
pub(crate) fn start_pruning(args: &ArgsManager, cm: &mut ChainstateManager) -> Result<(), String> {
    let target = check_args(args)?;
    if target == 0 {
        // The service bit itself is set with the other local services.
        tracing::info!("Setting NODE_NETWORK on non-prune mode");
        return Ok(());
    }
    cm.set_prune_target(target);
    if !args.get_bool_arg("-reindex", false) {
        tracing::info!("init message: Pruning blockstore…");
        cm.prune_and_flush()
            .map_err(|e| format!("Failed to prune the block store: {e}"))?;
    }
    Ok(())
}

/// Starts the indexes `-txindex`, `-coinstatsindex` and `-blockfilterindex`
/// ask for; each syncs in its own thread. `-reindex` wipes them first.
pub(crate) fn start(
    args: &ArgsManager,
    node: &Arc<NodeContext>,
    net_dir: &Path,
) -> Result<(), String> {
    let txindex = args.get_bool_arg("-txindex", false);
    let coinstats = args.get_bool_arg("-coinstatsindex", false);
    let filters = basic_filters_enabled(args)?;
    if !txindex && !coinstats && !filters {
        return Ok(());
    }
    let dir = net_dir.join("indexes");
    let wipe = args.get_bool_arg("-reindex", false);
    let notifier = Notifier::new();
    {
        // Core's `AbortNode`: the failure is logged, reported, and the node stops.
        let shutdown = node.shutdown.clone();
        notifier.set_fatal_handler(Box::new(move |message| {
            tracing::error!("*** {message}");
            crate::init::init_error("A fatal internal error occurred, see debug.log for details");
            shutdown.request();
        }));
    }
    let blocks_dir = {
        let mut cm = node.chain.lock();
        cm.add_listener(notifier.clone());
        cm.block_store().blocks_dir().to_path_buf()
    };
    let source: Arc<dyn ChainSource> = Arc::new(NodeChainSource(Arc::downgrade(node)));
    let tx_dir = dir.join("txindex");
    let stats_dir = dir.join("coinstats");
    let filter_dir = dir.join("blockfilter").join("basic");
    if wipe {
        for (on, sub) in [
            (txindex, &tx_dir),
            (coinstats, &stats_dir),
            (filters, &filter_dir),
        ] {
            if on {
                let _ = std::fs::remove_dir_all(sub);
            }
        }
    }
    let err = |e: widecoin_index::IndexError| e.to_string();
    let mut running = NodeIndexes {
        notifier: notifier.clone(),
        txindex: None,
        coinstats: None,
        blockfilter: None,
    };
    let result = (|| {
        // Core's order of `node.indexes`: txindex, block filters, coinstats.
        let enabled = [
            (txindex, &tx_dir, "txindex"),
            (filters, &filter_dir, "basic block filter index"),
            (coinstats, &stats_dir, "coinstatsindex"),
        ];
        check_data_available(node, &enabled)?;
        if txindex {
            let backend = TxIndex::open(&tx_dir, &blocks_dir, node.chain_params.message_start)
                .map_err(err)?;
            running.txindex =
                Some(Index::start(backend, source.clone(), notifier.clone()).map_err(err)?);
        }
        if coinstats {
            let backend = CoinStatsIndex::open(&stats_dir, node.chain_params.consensus.clone())
                .map_err(err)?;
            running.coinstats =
                Some(Index::start(backend, source.clone(), notifier.clone()).map_err(err)?);
        }
        if filters {
            let backend = BlockFilterIndex::open(&filter_dir).map_err(err)?;
            running.blockfilter =
                Some(Index::start(backend, source.clone(), notifier.clone()).map_err(err)?);
        }
        Ok::<(), String>(())
    })();
    if let Err(e) = result {
        running.stop();
        return Err(e);
    }
    let _ = node.indexes.set(running);
    Ok(())
}

/// Core's check before the indexes start syncing: the blocks from the
/// oldest unsynced index's best block (or its fork point) up to the tip must
/// all still be stored.
fn check_data_available(
    node: &NodeContext,
    enabled: &[(bool, &std::path::PathBuf, &'static str)],
) -> Result<(), String> {
    let mut bests = Vec::new();
    for &(on, dir, name) in enabled {
        if on {
            let best = widecoin_index::stored_best_block(dir).map_err(|e| e.to_string())?;
            bests.push((name, best));
        }
    }
    let cm = node.chain.lock();
    let chain = cm.active_chain();
    let index = cm.block_index();
    let Some(tip) = chain.tip() else {
        return Ok(());
    };
    let tip_hash = index.entry(tip).hash;
    let mut start: Option<Option<widecoin_chainstate::EntryId>> = None;
    let mut oldest = "";
    for (name, best) in bests {
        if best.map(|b| b.0) == Some(tip_hash) {
            continue;
        }
        let at = best
            .and_then(|(hash, _)| cm.lookup_id(&hash))
            .and_then(|id| {
                if chain.contains(index, id) {
                    Some(id)
                } else {
                    chain.find_fork(index, id)
                }
            });
        let height = |id: Option<widecoin_chainstate::EntryId>| id.map(|i| index.entry(i).height);
        if start.is_none() || at.is_none() || height(at) < height(start.flatten()) {
            start = Some(at);
            oldest = name;
            if at.is_none() {
                break;
            }
        }
    }
    let Some(start) = start else {
        return Ok(());
    };
    let Some(lower) = start.or_else(|| chain.at(0)) else {
        return Ok(());
    };
    // `CheckBlockDataAvailability(tip, lower)` with `GetFirstStoredBlock`.
    let mut cur = tip;
    let available = index.entry(tip).have_data()
        && loop {
            if cur == lower {
                break true;
            }
            match index.entry(cur).prev {
                Some(p) if index.entry(p).have_data() => cur = p,
                _ => break false,
            }
        };
    if available {
        return Ok(());
    }
    crate::init::init_error(&format!("{oldest} best block of the index goes beyond pruned data. Please disable the index or reindex (which will download the whole blockchain again)"));
    Err("Failed to start indexes, shutting down..".into())
}

/// Stops every index thread (Core's `Interrupt` + `Stop` of the indexes).
pub(crate) fn stop(node: &NodeContext) {
    if let Some(indexes) = node.indexes.get() {
        indexes.stop();
    }
}
