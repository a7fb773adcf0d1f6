//! BIP157 serving (`-peerblockfilters`): Core's `ProcessGetCFilters`,
//! `ProcessGetCFHeaders` and `ProcessGetCFCheckPt` with the checks of
//! `PrepareBlockFilterRequest`. The BIP158 basic filters come from
//! `-blockfilterindex` through [`ChainAccess::block_filters`].

use bitcoin::bip158::{FilterHash, FilterHeader};
use bitcoin::consensus::encode::deserialize_partial;
use bitcoin::hashes::Hash;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_filter::{
    CFCheckpt, CFHeaders, CFilter, GetCFCheckpt, GetCFHeaders, GetCFilters,
};
use bitcoin::BlockHash;

use crate::peer::Conn;
use crate::sync::ChainAccess;

/// `NODE_COMPACT_FILTERS`.
pub const NODE_COMPACT_FILTERS: u64 = 1 << 6;
/// `BlockFilterType::BASIC`.
pub const FILTER_TYPE_BASIC: u8 = 0;
/// `MAX_GETCFILTERS_SIZE`: filters in one `getcfilters` answer.
pub const MAX_GETCFILTERS_SIZE: u32 = 1000;
/// `MAX_GETCFHEADERS_SIZE`: filter hashes in one `cfheaders`.
pub const MAX_GETCFHEADERS_SIZE: u32 = 2000;
/// `CFCHECKPT_INTERVAL`: a `cfcheckpt` header every this many blocks.
pub const CFCHECKPT_INTERVAL: u32 = 1000;

/// What `ChainAccess::block_filters` returns for one block: the encoded
/// filter and its filter header.
pub type FilterEntry = (Vec<u8>, [u8; 32]);

fn parse<T: bitcoin::consensus::Decodable>(payload: &[u8]) -> Result<T, String> {
    deserialize_partial::<T>(payload)
        .map(|(v, _)| v)
        .map_err(|_| "CDataStream::read(): end of data: iostream error".to_string())
}

impl Conn {
    /// Dispatches `getcfilters`, `getcfheaders` and `getcfcheckpt`.
    pub(crate) fn process_cfilter_message(&mut self, command: &str, payload: &[u8]) {
        let result = match command {
            "getcfilters" => parse(payload).map(|m| self.process_getcfilters(m)),
            "getcfheaders" => parse(payload).map(|m| self.process_getcfheaders(m)),
            "getcfcheckpt" => parse(payload).map(|m| self.process_getcfcheckpt(m)),
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.log_exception(command, payload.len(), &e);
        }
    }

    /// Core's `PrepareBlockFilterRequest`: the chain access and the stop
    /// block's height, or `None` (after disconnecting the peer when the
    /// request is invalid).
    fn prepare_filter_request(
        &mut self,
        filter_type: u8,
        start_height: u32,
        stop_hash: &BlockHash,
        max_height_diff: u32,
    ) -> Option<(std::sync::Arc<dyn ChainAccess>, u32)> {
        let id = self.id();
        let supported = filter_type == FILTER_TYPE_BASIC
            && self.net.config.local_services & NODE_COMPACT_FILTERS != 0;
        if !supported {
            tracing::debug!(target: "net", "peer {id} requested unsupported block filter type: {filter_type}");
            self.disconnect();
            return None;
        }
        let chain = self.net.config.chain.clone()?;
        let stop = chain
            .header_state(stop_hash)
            .filter(|_| chain.block_request_allowed(stop_hash));
        let Some(stop) = stop else {
            tracing::debug!(target: "net", "peer {id} requested invalid block hash: {stop_hash}");
            self.disconnect();
            return None;
        };
        let stop_height = stop.height;
        if start_height > stop_height {
            tracing::debug!(target: "net", "peer {id} sent invalid getcfilters/getcfheaders with start height {start_height} and stop height {stop_height}");
            self.disconnect();
            return None;
        }
        if stop_height - start_height >= max_height_diff {
            tracing::debug!(target: "net", "peer {id} requested too many cfilters/cfheaders: {} / {max_height_diff}",
                u64::from(stop_height - start_height) + 1);
            self.disconnect();
            return None;
        }
        Some((chain, stop_height))
    }

    /// The filters of `stop_hash`'s ancestors at `heights`, or `None` when
    /// the chain or the index lacks one.
    fn filters_at(
        chain: &dyn ChainAccess,
        stop_hash: &BlockHash,
        heights: &[u32],
    ) -> Option<(Vec<BlockHash>, Vec<FilterEntry>)> {
        let hashes = chain.ancestor_hashes(stop_hash, heights)?;
        let filters = chain.block_filters(&hashes)?;
        (filters.len() == hashes.len()).then_some((hashes, filters))
    }

    fn process_getcfilters(&mut self, m: GetCFilters) {
        let Some((chain, stop_height)) = self.prepare_filter_request(
            m.filter_type,
            m.start_height,
            &m.stop_hash,
            MAX_GETCFILTERS_SIZE,
        ) else {
            return;
        };
        let heights: Vec<u32> = (m.start_height..=stop_height).collect();
        let Some((hashes, filters)) = Self::filters_at(chain.as_ref(), &m.stop_hash, &heights)
        else {
            tracing::debug!(target: "net", "Failed to find block filter in index: filter_type=basic, start_height={}, stop_hash={}", m.start_height, m.stop_hash);
            return;
        };
        for (block_hash, (filter, _)) in hashes.into_iter().zip(filters) {
            self.push(NetworkMessage::CFilter(CFilter {
                filter_type: m.filter_type,
                block_hash,
                filter,
            }));
        }
    }

    fn process_getcfheaders(&mut self, m: GetCFHeaders) {
        let Some((chain, stop_height)) = self.prepare_filter_request(
            m.filter_type,
            m.start_height,
            &m.stop_hash,
            MAX_GETCFHEADERS_SIZE,
        ) else {
            return;
        };
        let chain = chain.as_ref();
        let mut previous_filter_header = FilterHeader::all_zeros();
        if m.start_height > 0 {
            match Self::filters_at(chain, &m.stop_hash, &[m.start_height - 1]) {
                Some((_, f)) => previous_filter_header = FilterHeader::from_byte_array(f[0].1),
                None => {
                    let hash = chain
                        .ancestor_hashes(&m.stop_hash, &[m.start_height - 1])
                        .and_then(|h| h.first().copied())
                        .unwrap_or_else(BlockHash::all_zeros);
                    tracing::debug!(target: "net", "Failed to find block filter header in index: filter_type=basic, block_hash={hash}");
                    return;
                }
            }
        }
        let heights: Vec<u32> = (m.start_height..=stop_height).collect();
        let Some((_, filters)) = Self::filters_at(chain, &m.stop_hash, &heights) else {
            tracing::debug!(target: "net", "Failed to find block filter hashes in index: filter_type=basic, start_height={}, stop_hash={}", m.start_height, m.stop_hash);
            return;
        };
        let filter_hashes = filters
            .iter()
            .map(|(filter, _)| FilterHash::hash(filter))
            .collect();
        self.push(NetworkMessage::CFHeaders(CFHeaders {
            filter_type: m.filter_type,
            stop_hash: m.stop_hash,
            previous_filter_header,
            filter_hashes,
        }));
    }

    fn process_getcfcheckpt(&mut self, m: GetCFCheckpt) {
        let Some((chain, stop_height)) =
            self.prepare_filter_request(m.filter_type, 0, &m.stop_hash, u32::MAX)
        else {
            return;
        };
        let heights: Vec<u32> = (1..=stop_height / CFCHECKPT_INTERVAL)
            .map(|i| i * CFCHECKPT_INTERVAL)
            .collect();
        let Some((hashes, filters)) = Self::filters_at(chain.as_ref(), &m.stop_hash, &heights)
        else {
            let hash = chain
                .ancestor_hashes(&m.stop_hash, &heights)
                .and_then(|h| h.last().copied())
                .unwrap_or(m.stop_hash);
            tracing::debug!(target: "net", "Failed to find block filter header in index: filter_type=basic, block_hash={hash}");
            return;
        };
        debug_assert_eq!(hashes.len(), filters.len());
        self.push(NetworkMessage::CFCheckpt(CFCheckpt {
            filter_type: m.filter_type,
            stop_hash: m.stop_hash,
            filter_headers: filters
                .into_iter()
                .map(|(_, header)| FilterHeader::from_byte_array(header))
                .collect(),
        }));
    }
}
