//! Inbound peer eviction (Core's `node/eviction.cpp`): when every inbound
//! slot is taken, a new inbound connection may replace an existing inbound
//! peer that is not protected by any of the "useful peer" criteria.
//!
//! [`select_node_to_evict`] is a pure function over [`EvictionCandidate`]s;
//! the connection manager collects them from its peers and disconnects the
//! one chosen.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::netaddr::Network;

/// What eviction looks at of one peer (Core's `NodeEvictionCandidate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvictionCandidate {
    pub id: i64,
    /// When the connection was made, seconds.
    pub connected: i64,
    /// The lowest ping round trip seen, microseconds (`i64::MAX` when none).
    pub min_ping_us: i64,
    /// When the peer last sent us a new block, seconds (0 when never).
    pub last_block_time: i64,
    /// When the peer last sent us a transaction we accepted, seconds.
    pub last_tx_time: i64,
    /// The peer offers every service we want (`fRelevantServices`).
    pub relevant_services: bool,
    /// The peer wants transactions relayed to it.
    pub relay_txs: bool,
    /// The peer loaded a BIP37 bloom filter.
    pub bloom_filter: bool,
    /// The peer's netgroup under a secret key ([`keyed_netgroup`]).
    pub keyed_netgroup: u64,
    /// Discouraged peers go first (`prefer_evict`).
    pub prefer_evict: bool,
    /// Connected from a local address (`IsLocal`).
    pub is_local: bool,
    /// The network the peer connected through.
    pub network: Network,
    /// The peer has the `noban` permission.
    pub noban: bool,
    /// Inbound connection; outbound ones are never evicted.
    pub inbound: bool,
}

/// Core's `RANDOMIZER_ID_NETGROUP`.
const RANDOMIZER_ID_NETGROUP: u64 = 0x6c0e_dd80_36ef_4036;

/// The netgroup `group` (`NetAddr::group`) hashed under a random key of this
/// process, so that an attacker cannot tell which netgroups are protected.
pub fn keyed_netgroup(group: &[u8]) -> u64 {
    static KEYS: OnceLock<(u64, u64)> = OnceLock::new();
    let (k0, k1) = *KEYS.get_or_init(|| (rand::random(), rand::random()));
    let mut data = RANDOMIZER_ID_NETGROUP.to_le_bytes().to_vec();
    data.extend_from_slice(group);
    bitcoin::hashes::siphash24::Hash::hash_to_u64_with_keys(k0, k1, &data)
}

/// Turns a strict "a before b" predicate into an ordering for a stable sort.
fn by(
    less: impl Fn(&EvictionCandidate, &EvictionCandidate) -> bool,
) -> impl Fn(&EvictionCandidate, &EvictionCandidate) -> Ordering {
    move |a, b| {
        if less(a, b) {
            Ordering::Less
        } else if less(b, a) {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }
}

fn slowest_ping_first(a: &EvictionCandidate, b: &EvictionCandidate) -> bool {
    a.min_ping_us > b.min_ping_us
}

fn youngest_first(a: &EvictionCandidate, b: &EvictionCandidate) -> bool {
    a.connected > b.connected
}

fn by_netgroup(a: &EvictionCandidate, b: &EvictionCandidate) -> bool {
    a.keyed_netgroup < b.keyed_netgroup
}

fn by_block_time(a: &EvictionCandidate, b: &EvictionCandidate) -> bool {
    if a.last_block_time != b.last_block_time {
        return a.last_block_time < b.last_block_time;
    }
    if a.relevant_services != b.relevant_services {
        return b.relevant_services;
    }
    a.connected > b.connected
}

fn by_tx_time(a: &EvictionCandidate, b: &EvictionCandidate) -> bool {
    if a.last_tx_time != b.last_tx_time {
        return a.last_tx_time < b.last_tx_time;
    }
    if a.relay_txs != b.relay_txs {
        return b.relay_txs;
    }
    if a.bloom_filter != b.bloom_filter {
        return a.bloom_filter;
    }
    a.connected > b.connected
}

/// Peers not relaying transactions sort last, then by block time.
fn by_block_relay_only_time(a: &EvictionCandidate, b: &EvictionCandidate) -> bool {
    if a.relay_txs != b.relay_txs {
        return a.relay_txs;
    }
    by_block_time(a, b)
}

/// Sorts `c` by `less` and removes those of the last `k` for which `keep`
/// (the predicate of protection) holds.
fn protect_last_k(
    c: &mut Vec<EvictionCandidate>,
    less: impl Fn(&EvictionCandidate, &EvictionCandidate) -> bool,
    k: usize,
    protect: impl Fn(&EvictionCandidate) -> bool,
) {
    c.sort_by(by(less));
    let start = c.len() - k.min(c.len());
    let mut i = 0;
    c.retain(|e| {
        let keep = i < start || !protect(e);
        i += 1;
        keep
    });
}

/// One network favoured by the ratio protection.
struct Favoured {
    is_local: bool,
    network: Network,
    count: usize,
}

impl Favoured {
    fn matches(&self, c: &EvictionCandidate) -> bool {
        if self.is_local {
            c.is_local
        } else {
            c.network == self.network
        }
    }
}

/// Core's `ProtectEvictionCandidatesByRatio`: protects half of the
/// candidates by uptime, up to half of those reserved for peers from
/// localhost, onion, I2P and CJDNS.
pub fn protect_by_ratio(c: &mut Vec<EvictionCandidate>) {
    let initial = c.len();
    let total_protect = initial / 2;
    // In Core's order: on equal counts, earlier entries reclaim unused slots first.
    let mut nets = [
        (false, Network::Cjdns),
        (false, Network::I2p),
        (true, Network::Internal),
        (false, Network::Onion),
    ]
    .map(|(is_local, network)| Favoured {
        is_local,
        network,
        count: 0,
    });
    for n in nets.iter_mut() {
        n.count = c.iter().filter(|e| n.matches(e)).count();
    }
    nets.sort_by_key(|n| n.count); // stable
    let max_by_network = total_protect / 2;
    let mut protected = 0usize;
    'rounds: while protected < max_by_network {
        let with_peers = nets.iter().filter(|n| n.count > 0).count();
        if with_peers == 0 {
            break;
        }
        let per_network = ((max_by_network - protected) / with_peers).max(1);
        let mut any = false;
        for n in nets.iter_mut() {
            if n.count == 0 {
                continue;
            }
            let before = c.len();
            let (is_local, network) = (n.is_local, n.network);
            protect_last_k(
                c,
                |a, b| {
                    if is_local && a.is_local != b.is_local {
                        return b.is_local;
                    }
                    if (a.network == network) != (b.network == network) {
                        return b.network == network;
                    }
                    a.connected > b.connected
                },
                per_network,
                |e| n.matches(e),
            );
            let removed = before - c.len();
            if removed > 0 {
                any = true;
                protected += removed;
                if protected >= max_by_network {
                    break 'rounds;
                }
                n.count -= removed;
            }
        }
        if !any {
            break;
        }
    }
    let rest = total_protect - protected;
    protect_last_k(c, youngest_first, rest, |_| true);
}

/// Core's `SelectNodeToEvict`: the id of the peer to disconnect to make room
/// for a new inbound connection, or `None` when every candidate is protected.
pub fn select_node_to_evict(mut c: Vec<EvictionCandidate>) -> Option<i64> {
    c.retain(|e| !e.noban && e.inbound);
    // 4 by keyed netgroup: an attacker cannot tell which.
    protect_last_k(&mut c, by_netgroup, 4, |_| true);
    // 8 with the lowest minimum ping.
    protect_last_k(&mut c, slowest_ping_first, 8, |_| true);
    // 4 that most recently sent us transactions for our mempool.
    protect_last_k(&mut c, by_tx_time, 4, |_| true);
    // Up to 8 block-relay-only peers that sent us blocks.
    protect_last_k(&mut c, by_block_relay_only_time, 8, |e| {
        !e.relay_txs && e.relevant_services
    });
    // 4 that most recently sent us blocks.
    protect_last_k(&mut c, by_block_time, 4, |_| true);
    protect_by_ratio(&mut c);
    if c.is_empty() {
        return None;
    }
    if c.iter().any(|e| e.prefer_evict) {
        c.retain(|e| e.prefer_evict);
    }
    // `c` is sorted youngest first now: the netgroup with the most peers
    // (on a tie, the one with the youngest peer) loses its youngest.
    let mut groups: BTreeMap<u64, Vec<&EvictionCandidate>> = BTreeMap::new();
    let mut best: Option<(usize, i64, u64)> = None;
    for e in &c {
        let group = groups.entry(e.keyed_netgroup).or_default();
        group.push(e);
        let (size, time) = (group.len(), group[0].connected);
        if best.is_none_or(|(s, t, _)| size > s || (size == s && time > t)) {
            best = Some((size, time, e.keyed_netgroup));
        }
    }
    let (_, _, group) = best?;
    groups.get(&group).map(|g| g[0].id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: i64) -> EvictionCandidate {
        EvictionCandidate {
            id,
            connected: 1000 + id,
            min_ping_us: 100_000,
            last_block_time: 0,
            last_tx_time: 0,
            relevant_services: false,
            relay_txs: true,
            bloom_filter: false,
            keyed_netgroup: 7,
            prefer_evict: false,
            is_local: false,
            network: Network::Ipv4,
            noban: false,
            inbound: true,
        }
    }

    fn peers(n: i64, f: impl Fn(&mut EvictionCandidate)) -> Vec<EvictionCandidate> {
        (0..n)
            .map(|i| {
                let mut c = candidate(i);
                f(&mut c);
                c
            })
            .collect()
    }

    /// Runs the ratio protection on shuffled peers; the ids left.
    fn left_by_ratio(n: i64, f: impl Fn(&mut EvictionCandidate)) -> Vec<i64> {
        use rand::seq::SliceRandom;
        let mut c = peers(n, f);
        c.shuffle(&mut rand::thread_rng());
        protect_by_ratio(&mut c);
        assert_eq!(c.len() as i64, n - n / 2);
        let mut ids: Vec<i64> = c.iter().map(|e| e.id).collect();
        ids.sort();
        ids
    }

    #[test]
    fn ratio_protects_longest_uptime() {
        let left = left_by_ratio(12, |c| c.connected = c.id);
        assert_eq!(left, vec![6, 7, 8, 9, 10, 11]);
        let left = left_by_ratio(12, |c| c.connected = 12 - c.id);
        assert_eq!(left, vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn ratio_protects_onion_then_uptime() {
        // 3 of 12 onion: a quarter (3) goes to onion, then 3 by uptime.
        let left = left_by_ratio(12, |c| {
            c.connected = c.id;
            if [3, 8, 9].contains(&c.id) {
                c.network = Network::Onion;
            }
        });
        assert_eq!(left, vec![4, 5, 6, 7, 10, 11]);
        // 5 onion peers (3, 8..11): the 3 oldest onion ones, then 0, 1, 2.
        let left = left_by_ratio(12, |c| {
            c.connected = c.id;
            if c.id == 3 || c.id > 7 {
                c.network = Network::Onion;
            }
        });
        assert_eq!(left, vec![4, 5, 6, 7, 10, 11]);
    }

    #[test]
    fn ratio_shares_slots_between_networks() {
        // 1 local, 1 I2P, 2 CJDNS, 2 onion among 16: 4 slots by network,
        // one each first (fewest count first), then CJDNS/onion share
        // what is left; 4 more by uptime.
        let left = left_by_ratio(16, |c| {
            c.connected = c.id;
            match c.id {
                15 => c.is_local = true,
                14 => c.network = Network::I2p,
                12 | 13 => c.network = Network::Cjdns,
                10 | 11 => c.network = Network::Onion,
                _ => {}
            }
        });
        // Protected by network: 15 (local), 14 (I2P), 12 (oldest CJDNS),
        // 10 (oldest onion); by uptime: 0..3.
        assert_eq!(left, vec![4, 5, 6, 7, 8, 9, 11, 13]);
    }

    #[test]
    fn no_candidates_when_all_protected() {
        // 20 peers: 4 netgroup + 8 ping + 4 tx + 4 block protect them all.
        assert_eq!(select_node_to_evict(peers(20, |_| {})), None);
        assert!(select_node_to_evict(peers(21, |_| {})).is_some());
    }

    #[test]
    fn noban_and_outbound_are_never_evicted() {
        let c = peers(30, |c| {
            c.noban = c.id % 2 == 0;
            c.inbound = c.id % 3 != 0;
        });
        // 10 inbound non-noban peers: all protected.
        assert_eq!(select_node_to_evict(c), None);
        let mut c = peers(30, |c| c.noban = c.id != 29);
        c.push(candidate(30));
        assert_eq!(select_node_to_evict(c), None);
    }

    /// 32 peers of one netgroup and random ages, with one class set up by
    /// `f`: over many shuffles, the evicted peer is never one of `protected`.
    fn never_evicted(protected: &[i64], f: impl Fn(&mut EvictionCandidate)) {
        for round in 0..30 {
            let mut c = peers(32, |c| {
                c.keyed_netgroup = 0; // one netgroup: 4 arbitrary ones protected
                                      // Random ages, so uptime alone does not protect the class.
                c.connected = rand::random::<u16>() as i64;
                f(c);
            });
            use rand::seq::SliceRandom;
            c.shuffle(&mut rand::thread_rng());
            let evicted = select_node_to_evict(c).expect("someone");
            assert!(
                !protected.contains(&evicted),
                "round {round}: evicted {evicted}"
            );
        }
    }

    #[test]
    fn fastest_pings_protected() {
        never_evicted(&[0, 1, 2, 3, 4, 5, 6, 7], |c| {
            if c.id < 8 {
                c.min_ping_us = 1000 + c.id;
            }
        });
    }

    #[test]
    fn recent_tx_senders_protected() {
        never_evicted(&[20, 21, 22, 23], |c| {
            if (20..24).contains(&c.id) {
                c.last_tx_time = 5000 + c.id;
            }
        });
    }

    #[test]
    fn recent_block_senders_protected() {
        never_evicted(&[0, 1, 2, 3], |c| {
            if c.id < 4 {
                c.last_block_time = 5000 + c.id;
            }
        });
    }

    #[test]
    fn block_relay_only_peers_protected() {
        // 8 block-relay-only peers with blocks, plus 4 ordinary recent
        // block senders: all 12 are safe.
        let protected: Vec<i64> = (0..12).collect();
        never_evicted(&protected, |c| {
            if c.id < 8 {
                c.relay_txs = false;
                c.relevant_services = true;
                c.last_block_time = 5000 + c.id;
            } else if c.id < 12 {
                c.last_block_time = 4000 + c.id;
            }
        });
    }

    #[test]
    fn netgroup_protection() {
        // The four youngest peers, with the worst pings, have the largest
        // keyed netgroups: only that keeps them from eviction.
        let c = peers(21, |c| {
            c.keyed_netgroup = c.id as u64;
            c.connected = c.id;
            if c.id >= 17 {
                c.min_ping_us = 900_000;
            }
        });
        assert_eq!(select_node_to_evict(c), Some(8));
    }

    /// 28 peers where protection leaves exactly 16..19: 0..7 ping fast,
    /// 20..23 have the largest netgroups, 8..11 sent transactions, 12..15
    /// blocks, and 24..27 are the oldest (uptime protection).
    fn four_left(f: impl Fn(&mut EvictionCandidate)) -> Vec<EvictionCandidate> {
        peers(28, |c| {
            c.keyed_netgroup = match c.id {
                20..=23 => 1_000_000 + c.id as u64,
                _ => 10 + c.id as u64,
            };
            c.min_ping_us = if c.id < 8 { 1 + c.id } else { 100_000 };
            c.connected = if c.id >= 24 { c.id - 24 } else { 100 + c.id };
            if (8..12).contains(&c.id) {
                c.last_tx_time = 50;
            }
            if (12..16).contains(&c.id) {
                c.last_block_time = 50;
            }
            f(c);
        })
    }

    #[test]
    fn evicts_youngest_of_largest_netgroup() {
        // 16, 17, 18 share a netgroup; 19 (youngest of all) is alone.
        let c = four_left(|c| {
            if (16..19).contains(&c.id) {
                c.keyed_netgroup = 5;
            }
        });
        assert_eq!(select_node_to_evict(c), Some(18));
        // Each alone: the youngest.
        assert_eq!(select_node_to_evict(four_left(|_| {})), Some(19));
        // The oldest four (24..27) share a netgroup but uptime protects them.
        let c = four_left(|c| {
            if c.id >= 24 {
                c.keyed_netgroup = 9;
            }
        });
        assert_eq!(select_node_to_evict(c), Some(19));
    }

    #[test]
    fn netgroup_tie_goes_to_youngest_member() {
        // Two groups of two: the group whose youngest peer is younger.
        let c = four_left(|c| match c.id {
            16 | 19 => c.keyed_netgroup = 5,
            17 | 18 => c.keyed_netgroup = 6,
            _ => {}
        });
        assert_eq!(select_node_to_evict(c), Some(19));
        let c = four_left(|c| match c.id {
            16 | 17 => c.keyed_netgroup = 5,
            18 | 19 => c.keyed_netgroup = 6,
            _ => {}
        });
        assert_eq!(select_node_to_evict(c), Some(19));
        let c = four_left(|c| match c.id {
            16 | 17 => c.keyed_netgroup = 6,
            18 => c.keyed_netgroup = 5,
            19 => c.keyed_netgroup = 7,
            _ => {}
        });
        // Group 6 has two members.
        assert_eq!(select_node_to_evict(c), Some(17));
    }

    #[test]
    fn prefer_evict_goes_first() {
        let c = peers(30, |c| {
            c.keyed_netgroup = c.id as u64;
            c.prefer_evict = c.id == 13;
            c.connected = c.id;
        });
        // Peer 13 is the oldest unprotected one: never evicted unless preferred.
        let c2 = c.clone();
        assert_eq!(select_node_to_evict(c), Some(13));
        let c2: Vec<_> = c2
            .into_iter()
            .map(|mut e| {
                e.prefer_evict = false;
                e
            })
            .collect();
        assert_ne!(select_node_to_evict(c2), Some(13));
    }
}
