//! The address manager (Core's `AddrMan` in `addrman.cpp`): addresses we
//! heard of in 1024 "new" buckets, addresses we connected to in 256 "tried"
//! buckets, both placed by hashes keyed with a secret random key and the
//! address's netgroup so that one source cannot fill the tables; `Good`,
//! `Attempt`, `Connected`, `Select`, `GetAddr`; and `peers.dat` in Core's
//! on-disk format (format 4, BIP155 addresses) with the network magic and a
//! double-SHA256 checksum.
//!
//! Sans-IO: the clock is given at construction and the file is read and
//! written by [`load_peers_dat`] and [`dump_peers_dat`] only.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use bitcoin::hashes::{sha256d, Hash};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::netaddr::{
    write_compact_size, AddrDecodeError, Address, NetAddr, Network, Reader, Service,
};

/// `ADDRMAN_TRIED_BUCKET_COUNT`.
pub const TRIED_BUCKET_COUNT: usize = 256;
/// `ADDRMAN_NEW_BUCKET_COUNT`.
pub const NEW_BUCKET_COUNT: usize = 1024;
/// `ADDRMAN_BUCKET_SIZE`.
pub const BUCKET_SIZE: usize = 64;
/// `ADDRMAN_TRIED_BUCKETS_PER_GROUP`.
const TRIED_BUCKETS_PER_GROUP: u64 = 8;
/// `ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP`.
const NEW_BUCKETS_PER_SOURCE_GROUP: u64 = 64;
/// `ADDRMAN_NEW_BUCKETS_PER_ADDRESS`.
const NEW_BUCKETS_PER_ADDRESS: i32 = 8;
/// `ADDRMAN_HORIZON`: 30 days.
const HORIZON: i64 = 30 * 24 * 3600;
/// `ADDRMAN_RETRIES`.
const RETRIES: i32 = 3;
/// `ADDRMAN_MAX_FAILURES`.
const MAX_FAILURES: i32 = 10;
/// `ADDRMAN_MIN_FAIL`: a week.
const MIN_FAIL: i64 = 7 * 24 * 3600;
/// `ADDRMAN_REPLACEMENT`: 4 hours.
const REPLACEMENT: i64 = 4 * 3600;
/// `ADDRMAN_SET_TRIED_COLLISION_SIZE`.
const SET_TRIED_COLLISION_SIZE: usize = 10;
/// `ADDRMAN_TEST_WINDOW`: 40 minutes.
const TEST_WINDOW: i64 = 40 * 60;
/// `DEFAULT_ADDRMAN_CONSISTENCY_CHECKS`.
pub const DEFAULT_CONSISTENCY_CHECKS: i32 = 0;

/// `AddrManImpl::Format`: what we write.
const FILE_FORMAT: u8 = 4;
/// `INCOMPATIBILITY_BASE`.
const INCOMPATIBILITY_BASE: u8 = 32;
/// `CAddress::DISK_VERSION_INIT`.
const DISK_VERSION_INIT: u32 = 220_000;
/// `CAddress::DISK_VERSION_IGNORE_MASK`.
const DISK_VERSION_IGNORE_MASK: u32 = 0x0007_ffff;
/// `CAddress::DISK_VERSION_ADDRV2`.
const DISK_VERSION_ADDRV2: u32 = 1 << 29;

/// Seconds since the epoch, mockable.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// One address with what we know of it (`AddrInfo`).
#[derive(Debug, Clone)]
pub struct AddrInfo {
    pub addr: Address,
    /// Where we first heard of it.
    pub source: NetAddr,
    pub last_success: i64,
    pub attempts: i32,
    /// Memory only.
    pub last_try: i64,
    last_count_attempt: i64,
    ref_count: i32,
    pub in_tried: bool,
    random_pos: usize,
}

impl AddrInfo {
    fn new(addr: Address, source: NetAddr) -> Self {
        AddrInfo {
            addr,
            source,
            last_success: 0,
            attempts: 0,
            last_try: 0,
            last_count_attempt: 0,
            ref_count: 0,
            in_tried: false,
            random_pos: 0,
        }
    }

    /// `IsTerrible`.
    pub fn is_terrible(&self, now: i64) -> bool {
        let time = i64::from(self.addr.time);
        if now - self.last_try <= 60 {
            return false;
        }
        if time > now + 10 * 60 {
            return true;
        }
        if now - time > HORIZON {
            return true;
        }
        if self.last_success == 0 && self.attempts >= RETRIES {
            return true;
        }
        now - self.last_success > MIN_FAIL && self.attempts >= MAX_FAILURES
    }

    /// `GetChance`.
    pub fn chance(&self, now: i64) -> f64 {
        let mut c = 1.0;
        if now - self.last_try < 10 * 60 {
            c *= 0.01;
        }
        c * 0.66f64.powi(self.attempts.min(8))
    }
}

/// Where an address sits (`AddressPosition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressPosition {
    pub tried: bool,
    pub multiplicity: i32,
    pub bucket: usize,
    pub position: usize,
}

/// Why `peers.dat` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PeersDatError {
    #[error("file not found")]
    NotFound,
    /// A file of a newer, incompatible format (Core's `InvalidAddrManVersionError`).
    #[error("{0}")]
    Version(String),
    /// Anything else; Core's exception text.
    #[error("{0}")]
    Corrupt(String),
}

fn ios_failure(msg: String) -> AddrDecodeError {
    AddrDecodeError(format!("{msg}: iostream error"))
}

/// `HashWriter{} << ... .GetCheapHash()`.
fn cheap_hash(data: &[u8]) -> u64 {
    let h = sha256d::Hash::hash(data).to_byte_array();
    u64::from_le_bytes(h[..8].try_into().expect("8 bytes"))
}

fn push_vec(out: &mut Vec<u8>, v: &[u8]) {
    write_compact_size(out, v.len() as u64);
    out.extend_from_slice(v);
}

/// Bucket arithmetic with the table's key.
struct Key([u8; 32]);

impl Key {
    /// `GetTriedBucket`.
    fn tried_bucket(&self, s: &Service) -> usize {
        let mut d = self.0.to_vec();
        push_vec(&mut d, &s.key());
        let h1 = cheap_hash(&d);
        let mut d = self.0.to_vec();
        push_vec(&mut d, &s.addr.group());
        d.extend((h1 % TRIED_BUCKETS_PER_GROUP).to_le_bytes());
        (cheap_hash(&d) % TRIED_BUCKET_COUNT as u64) as usize
    }

    /// `GetNewBucket`.
    fn new_bucket(&self, s: &Service, src: &NetAddr) -> usize {
        let src_group = src.group();
        let mut d = self.0.to_vec();
        push_vec(&mut d, &s.addr.group());
        push_vec(&mut d, &src_group);
        let h1 = cheap_hash(&d);
        let mut d = self.0.to_vec();
        push_vec(&mut d, &src_group);
        d.extend((h1 % NEW_BUCKETS_PER_SOURCE_GROUP).to_le_bytes());
        (cheap_hash(&d) % NEW_BUCKET_COUNT as u64) as usize
    }

    /// `GetBucketPosition`.
    fn position(&self, s: &Service, new: bool, bucket: usize) -> usize {
        let mut d = self.0.to_vec();
        d.push(if new { b'N' } else { b'K' });
        d.extend((bucket as i32).to_le_bytes());
        push_vec(&mut d, &s.key());
        (cheap_hash(&d) % BUCKET_SIZE as u64) as usize
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    new: usize,
    tried: usize,
}

struct Inner {
    key: Key,
    rng: StdRng,
    info: HashMap<i32, AddrInfo>,
    by_addr: HashMap<Service, i32>,
    random: Vec<i32>,
    id_count: i32,
    new_table: Vec<[i32; BUCKET_SIZE]>,
    tried_table: Vec<[i32; BUCKET_SIZE]>,
    n_new: usize,
    n_tried: usize,
    last_good: i64,
    tried_collisions: BTreeSet<i32>,
    network_counts: HashMap<Network, Counts>,
    check_ratio: i32,
}

/// The address manager; every method takes its lock.
pub struct AddrMan {
    inner: Mutex<Inner>,
    clock: Clock,
}

impl Inner {
    fn new(deterministic: bool, check_ratio: i32) -> Inner {
        let mut rng = if deterministic {
            StdRng::seed_from_u64(0)
        } else {
            StdRng::from_entropy()
        };
        let key = if deterministic {
            let mut k = [0u8; 32];
            k[0] = 1; // Core's uint256{1}
            k
        } else {
            rng.gen()
        };
        Inner {
            key: Key(key),
            rng,
            info: HashMap::new(),
            by_addr: HashMap::new(),
            random: Vec::new(),
            id_count: 0,
            new_table: vec![[-1; BUCKET_SIZE]; NEW_BUCKET_COUNT],
            tried_table: vec![[-1; BUCKET_SIZE]; TRIED_BUCKET_COUNT],
            n_new: 0,
            n_tried: 0,
            last_good: 1,
            tried_collisions: BTreeSet::new(),
            network_counts: HashMap::new(),
            check_ratio,
        }
    }

    fn counts(&mut self, net: Network) -> &mut Counts {
        self.network_counts.entry(net).or_default()
    }

    fn find(&self, s: &Service) -> Option<i32> {
        self.by_addr.get(s).copied()
    }

    fn create(&mut self, addr: Address, source: NetAddr) -> i32 {
        let id = self.id_count;
        self.id_count += 1;
        let mut info = AddrInfo::new(addr, source);
        info.random_pos = self.random.len();
        self.info.insert(id, info);
        self.by_addr.insert(addr.service, id);
        self.random.push(id);
        self.n_new += 1;
        self.counts(addr.service.addr.network()).new += 1;
        id
    }

    fn swap_random(&mut self, a: usize, b: usize) {
        if a == b {
            return;
        }
        let (id_a, id_b) = (self.random[a], self.random[b]);
        self.info.get_mut(&id_a).expect("in random").random_pos = b;
        self.info.get_mut(&id_b).expect("in random").random_pos = a;
        self.random.swap(a, b);
    }

    fn delete(&mut self, id: i32) {
        let pos = self.info[&id].random_pos;
        let last = self.random.len() - 1;
        self.swap_random(pos, last);
        self.random.pop();
        let info = self.info.remove(&id).expect("known id");
        self.by_addr.remove(&info.addr.service);
        self.counts(info.addr.service.addr.network()).new -= 1;
        self.n_new -= 1;
    }

    fn clear_new(&mut self, bucket: usize, pos: usize) {
        let id = self.new_table[bucket][pos];
        if id == -1 {
            return;
        }
        let info = self.info.get_mut(&id).expect("in table");
        info.ref_count -= 1;
        let rc = info.ref_count;
        tracing::debug!(target: "addrman", "Removed {} from new[{bucket}][{pos}]", info.addr.service);
        self.new_table[bucket][pos] = -1;
        if rc == 0 {
            self.delete(id);
        }
    }

    fn make_tried(&mut self, id: i32) {
        let (service, source) = {
            let i = &self.info[&id];
            (i.addr.service, i.source)
        };
        let start = self.key.new_bucket(&service, &source);
        for n in 0..NEW_BUCKET_COUNT {
            let bucket = (start + n) % NEW_BUCKET_COUNT;
            let pos = self.key.position(&service, true, bucket);
            if self.new_table[bucket][pos] == id {
                self.new_table[bucket][pos] = -1;
                let info = self.info.get_mut(&id).expect("known");
                info.ref_count -= 1;
                if info.ref_count == 0 {
                    break;
                }
            }
        }
        self.n_new -= 1;
        self.counts(service.addr.network()).new -= 1;
        let bucket = self.key.tried_bucket(&service);
        let pos = self.key.position(&service, false, bucket);
        let evict = self.tried_table[bucket][pos];
        if evict != -1 {
            let (old_service, old_source) = {
                let old = self.info.get_mut(&evict).expect("in tried");
                old.in_tried = false;
                (old.addr.service, old.source)
            };
            self.tried_table[bucket][pos] = -1;
            self.n_tried -= 1;
            self.counts(old_service.addr.network()).tried -= 1;
            let ub = self.key.new_bucket(&old_service, &old_source);
            let upos = self.key.position(&old_service, true, ub);
            self.clear_new(ub, upos);
            self.info.get_mut(&evict).expect("kept").ref_count = 1;
            self.new_table[ub][upos] = evict;
            self.n_new += 1;
            self.counts(old_service.addr.network()).new += 1;
            tracing::debug!(target: "addrman",
                "Moved {old_service} from tried[{bucket}][{pos}] to new[{ub}][{upos}] to make space");
        }
        self.tried_table[bucket][pos] = id;
        self.n_tried += 1;
        self.info.get_mut(&id).expect("known").in_tried = true;
        self.counts(service.addr.network()).tried += 1;
    }

    fn add_single(&mut self, addr: &Address, source: &NetAddr, penalty: i64, now: i64) -> bool {
        if !addr.service.addr.is_routable() {
            return false;
        }
        let penalty = if addr.service.addr == *source {
            0
        } else {
            penalty
        };
        let time = i64::from(addr.time);
        let id = match self.find(&addr.service) {
            Some(id) => {
                let nfactor_draw = {
                    let rc = self.info[&id].ref_count;
                    if rc > 0 && rc < NEW_BUCKETS_PER_ADDRESS {
                        self.rng.gen_range(0..(1u32 << rc))
                    } else {
                        0
                    }
                };
                let info = self.info.get_mut(&id).expect("found");
                let online = now - time < 24 * 3600;
                let interval = if online { 3600 } else { 24 * 3600 };
                if i64::from(info.addr.time) < time - interval - penalty {
                    info.addr.time = (time - penalty).max(0) as u32;
                }
                info.addr.services |= addr.services;
                if time <= i64::from(info.addr.time) {
                    return false;
                }
                if info.in_tried || info.ref_count == NEW_BUCKETS_PER_ADDRESS {
                    return false;
                }
                if nfactor_draw != 0 {
                    return false;
                }
                id
            }
            None => {
                let id = self.create(*addr, *source);
                let info = self.info.get_mut(&id).expect("created");
                info.addr.time = (time - penalty).max(0) as u32;
                id
            }
        };
        let service = addr.service;
        let bucket = self.key.new_bucket(&service, source);
        let pos = self.key.position(&service, true, bucket);
        let existing = self.new_table[bucket][pos];
        let mut insert = existing == -1;
        if existing != id {
            if !insert {
                let old = &self.info[&existing];
                if old.is_terrible(now) || (old.ref_count > 1 && self.info[&id].ref_count == 0) {
                    insert = true;
                }
            }
            if insert {
                self.clear_new(bucket, pos);
                self.info.get_mut(&id).expect("known").ref_count += 1;
                self.new_table[bucket][pos] = id;
                tracing::debug!(target: "addrman", "Added {service} mapped to AS0 to new[{bucket}][{pos}]");
            } else if self.info[&id].ref_count == 0 {
                self.delete(id);
            }
        }
        insert
    }

    fn good(&mut self, s: &Service, test_before_evict: bool, now: i64) -> bool {
        self.last_good = now;
        let Some(id) = self.find(s) else {
            return false;
        };
        let info = self.info.get_mut(&id).expect("found");
        info.last_success = now;
        info.last_try = now;
        info.attempts = 0;
        if info.in_tried || info.ref_count <= 0 {
            return false;
        }
        let bucket = self.key.tried_bucket(s);
        let pos = self.key.position(s, false, bucket);
        if test_before_evict && self.tried_table[bucket][pos] != -1 {
            if self.tried_collisions.len() < SET_TRIED_COLLISION_SIZE {
                self.tried_collisions.insert(id);
            }
            let other = self.info[&self.tried_table[bucket][pos]].addr.service;
            tracing::debug!(target: "addrman",
                "Collision with {other} while attempting to move {s} to tried table. Collisions={}",
                self.tried_collisions.len());
            false
        } else {
            self.make_tried(id);
            tracing::debug!(target: "addrman", "Moved {s} mapped to AS0 to tried[{bucket}][{pos}]");
            true
        }
    }

    fn select(
        &mut self,
        new_only: bool,
        network: Option<Network>,
        now: i64,
    ) -> Option<(Address, i64)> {
        if self.random.is_empty() {
            return None;
        }
        let (new_count, tried_count) = match network {
            Some(net) => {
                let c = self.network_counts.get(&net).copied()?;
                (c.new, c.tried)
            }
            None => (self.n_new, self.n_tried),
        };
        if (new_only && new_count == 0) || new_count + tried_count == 0 {
            return None;
        }
        let search_tried = if new_only || tried_count == 0 {
            false
        } else if new_count == 0 {
            true
        } else {
            self.rng.gen_bool(0.5)
        };
        let bucket_count = if search_tried {
            TRIED_BUCKET_COUNT
        } else {
            NEW_BUCKET_COUNT
        };
        let mut chance_factor = 1.0f64;
        loop {
            let bucket = self.rng.gen_range(0..bucket_count);
            let initial = self.rng.gen_range(0..BUCKET_SIZE);
            let table = if search_tried {
                &self.tried_table
            } else {
                &self.new_table
            };
            let found = (0..BUCKET_SIZE)
                .map(|i| table[bucket][(initial + i) % BUCKET_SIZE])
                .find(|&id| {
                    id != -1
                        && network.is_none_or(|n| self.info[&id].addr.service.addr.network() == n)
                });
            let Some(id) = found else { continue };
            let info = &self.info[&id];
            let draw = self.rng.gen_range(0..(1u64 << 30)) as f64;
            if draw < chance_factor * info.chance(now) * (1u64 << 30) as f64 {
                tracing::debug!(target: "addrman", "Selected {} from {}", info.addr.service,
                    if search_tried { "tried" } else { "new" });
                return Some((info.addr, info.last_try));
            }
            chance_factor *= 1.2;
        }
    }

    fn get_addr(
        &mut self,
        max_addresses: usize,
        max_pct: usize,
        network: Option<Network>,
        now: i64,
    ) -> Vec<Address> {
        let mut n_nodes = self.random.len();
        if max_pct != 0 {
            n_nodes = max_pct * n_nodes / 100;
        }
        if max_addresses != 0 {
            n_nodes = n_nodes.min(max_addresses);
        }
        let mut out = Vec::new();
        for n in 0..self.random.len() {
            if out.len() >= n_nodes {
                break;
            }
            let r = self.rng.gen_range(n..self.random.len());
            self.swap_random(n, r);
            let info = &self.info[&self.random[n]];
            if network.is_some_and(|net| info.addr.service.addr.net_class() != net) {
                continue;
            }
            if info.is_terrible(now) {
                continue;
            }
            out.push(info.addr);
        }
        tracing::debug!(target: "addrman", "GetAddr returned {} random addresses", out.len());
        out
    }

    fn resolve_collisions(&mut self, now: i64) {
        let ids: Vec<i32> = self.tried_collisions.iter().copied().collect();
        for id_new in ids {
            let mut erase = false;
            match self.info.get(&id_new) {
                None => erase = true,
                Some(info_new) => {
                    let s = info_new.addr.service;
                    let bucket = self.key.tried_bucket(&s);
                    let pos = self.key.position(&s, false, bucket);
                    if !s.addr.is_valid() {
                        erase = true;
                    } else if self.tried_table[bucket][pos] != -1 {
                        let old = &self.info[&self.tried_table[bucket][pos]];
                        if now - old.last_success < REPLACEMENT {
                            erase = true;
                        } else if now - old.last_try < REPLACEMENT {
                            if now - old.last_try > 60 {
                                tracing::debug!(target: "addrman", "Replacing {} with {s} in tried table", old.addr.service);
                                self.good(&s, false, now);
                                erase = true;
                            }
                        } else if now - info_new.last_success > TEST_WINDOW {
                            tracing::debug!(target: "addrman", "Unable to test; replacing {} with {s} in tried table anyway", old.addr.service);
                            self.good(&s, false, now);
                            erase = true;
                        }
                    } else {
                        self.good(&s, false, now);
                        erase = true;
                    }
                }
            }
            if erase {
                self.tried_collisions.remove(&id_new);
            }
        }
    }

    fn select_tried_collision(&mut self) -> Option<(Address, i64)> {
        if self.tried_collisions.is_empty() {
            return None;
        }
        let n = self.rng.gen_range(0..self.tried_collisions.len());
        let id_new = *self.tried_collisions.iter().nth(n).expect("in range");
        let Some(info) = self.info.get(&id_new) else {
            self.tried_collisions.remove(&id_new);
            return None;
        };
        let s = info.addr.service;
        let bucket = self.key.tried_bucket(&s);
        let pos = self.key.position(&s, false, bucket);
        let old = self.info.get(&self.tried_table[bucket][pos])?;
        Some((old.addr, old.last_try))
    }

    /// `CheckAddrman`: 0 when consistent, else Core's code.
    fn check_code(&self) -> i32 {
        if self.random.len() != self.n_new + self.n_tried {
            return -7;
        }
        let mut tried_ids = std::collections::HashSet::new();
        let mut new_refs: HashMap<i32, i32> = HashMap::new();
        let mut local: HashMap<Network, Counts> = HashMap::new();
        for (&id, info) in &self.info {
            let net = info.addr.service.addr.network();
            if info.in_tried {
                if info.last_success == 0 {
                    return -1;
                }
                if info.ref_count != 0 {
                    return -2;
                }
                tried_ids.insert(id);
                local.entry(net).or_default().tried += 1;
            } else {
                if info.ref_count < 0 || info.ref_count > NEW_BUCKETS_PER_ADDRESS {
                    return -3;
                }
                if info.ref_count == 0 {
                    return -4;
                }
                new_refs.insert(id, info.ref_count);
                local.entry(net).or_default().new += 1;
            }
            if self.by_addr.get(&info.addr.service) != Some(&id) {
                return -5;
            }
            if info.random_pos >= self.random.len() || self.random[info.random_pos] != id {
                return -14;
            }
            if info.last_try < 0 {
                return -6;
            }
            if info.last_success < 0 {
                return -8;
            }
        }
        if tried_ids.len() != self.n_tried {
            return -9;
        }
        if new_refs.len() != self.n_new {
            return -10;
        }
        for (b, bucket) in self.tried_table.iter().enumerate() {
            for (i, &id) in bucket.iter().enumerate() {
                if id == -1 {
                    continue;
                }
                if !tried_ids.contains(&id) {
                    return -11;
                }
                let s = self.info[&id].addr.service;
                if self.key.tried_bucket(&s) != b {
                    return -17;
                }
                if self.key.position(&s, false, b) != i {
                    return -18;
                }
                tried_ids.remove(&id);
            }
        }
        for (b, bucket) in self.new_table.iter().enumerate() {
            for (i, &id) in bucket.iter().enumerate() {
                if id == -1 {
                    continue;
                }
                let Some(n) = new_refs.get_mut(&id) else {
                    return -12;
                };
                if self.key.position(&self.info[&id].addr.service, true, b) != i {
                    return -19;
                }
                *n -= 1;
                if *n == 0 {
                    new_refs.remove(&id);
                }
            }
        }
        if !tried_ids.is_empty() {
            return -13;
        }
        if !new_refs.is_empty() {
            return -15;
        }
        if self.key.0 == [0; 32] {
            return -16;
        }
        if self.network_counts.len() < local.len() {
            return -20;
        }
        for (net, c) in &self.network_counts {
            if local.get(net).copied().unwrap_or_default() != *c {
                return -21;
            }
        }
        0
    }

    /// `CheckAddrman` with Core's timing log lines (`LOG_TIME_MILLIS_WITH_CATEGORY`).
    fn timed_check_code(&self) -> i32 {
        let title = format!(
            "CheckAddrman: new {}, tried {}, total {}",
            self.n_new,
            self.n_tried,
            self.random.len()
        );
        tracing::debug!(target: "addrman", "{title} started");
        let start = std::time::Instant::now();
        let code = self.check_code();
        tracing::debug!(target: "addrman", "{title} completed ({:.2}ms)", start.elapsed().as_secs_f64() * 1e3);
        code
    }

    /// `Check`: runs the consistency check one time in `check_ratio`.
    fn check(&mut self) {
        if self.check_ratio == 0 || self.rng.gen_range(0..self.check_ratio) >= 1 {
            return;
        }
        let code = self.timed_check_code();
        if code != 0 {
            tracing::error!("ADDRMAN CONSISTENCY CHECK FAILED!!! err={code}");
            panic!("addrman consistency check failed: {code}");
        }
    }

    /// `AddrManImpl::Serialize`.
    fn serialize(&self, out: &mut Vec<u8>) {
        out.push(FILE_FORMAT);
        out.push(INCOMPATIBILITY_BASE + FILE_FORMAT);
        out.extend_from_slice(&self.key.0);
        out.extend((self.n_new as i32).to_le_bytes());
        out.extend((self.n_tried as i32).to_le_bytes());
        out.extend(((NEW_BUCKET_COUNT as i32) ^ (1 << 30)).to_le_bytes());
        let mut ids: Vec<i32> = self.info.keys().copied().collect();
        ids.sort_unstable();
        let mut new_index = HashMap::new();
        for &id in &ids {
            let info = &self.info[&id];
            if info.ref_count > 0 {
                new_index.insert(id, new_index.len() as i32);
                write_info(out, info);
            }
        }
        for &id in &ids {
            let info = &self.info[&id];
            if info.in_tried {
                write_info(out, info);
            }
        }
        for bucket in &self.new_table {
            let entries: Vec<i32> = bucket.iter().copied().filter(|&id| id != -1).collect();
            out.extend((entries.len() as i32).to_le_bytes());
            for id in entries {
                out.extend(new_index[&id].to_le_bytes());
            }
        }
        // No asmap: its checksum is zero.
        out.extend([0u8; 32]);
    }

    /// `AddrManImpl::Unserialize` into an empty table.
    fn unserialize(&mut self, r: &mut Reader<'_>) -> Result<(), PeersDatError> {
        let corrupt = |e: AddrDecodeError| PeersDatError::Corrupt(e.0);
        let format = r.u8().map_err(corrupt)?;
        let v2 = format >= 3;
        let compat = r.u8().map_err(corrupt)?;
        if compat < INCOMPATIBILITY_BASE {
            return Err(corrupt(ios_failure(format!(
                "Corrupted addrman database: The compat value ({compat}) is lower than the expected minimum value {INCOMPATIBILITY_BASE}."
            ))));
        }
        let lowest = compat - INCOMPATIBILITY_BASE;
        if lowest > FILE_FORMAT {
            return Err(PeersDatError::Version(format!(
                "Unsupported format of addrman database: {format}. It is compatible with formats >={lowest}, but the maximum supported by this version of Widecoin Core is {FILE_FORMAT}."
            )));
        }
        self.key = Key(r.array().map_err(corrupt)?);
        let n_new = r.i32().map_err(corrupt)?;
        let n_tried = r.i32().map_err(corrupt)?;
        let mut n_ubuckets = r.i32().map_err(corrupt)?;
        if format >= 1 {
            n_ubuckets ^= 1 << 30;
        }
        let max_new = (NEW_BUCKET_COUNT * BUCKET_SIZE) as i32;
        let max_tried = (TRIED_BUCKET_COUNT * BUCKET_SIZE) as i32;
        if !(0..=max_new).contains(&n_new) {
            return Err(corrupt(ios_failure(format!(
                "Corrupt AddrMan serialization: nNew={n_new}, should be in [0, {max_new}]"
            ))));
        }
        if !(0..=max_tried).contains(&n_tried) {
            return Err(corrupt(ios_failure(format!(
                "Corrupt AddrMan serialization: nTried={n_tried}, should be in [0, {max_tried}]"
            ))));
        }
        for n in 0..n_new {
            let mut info = read_info(r, v2).map_err(corrupt)?;
            info.random_pos = self.random.len();
            self.by_addr.insert(info.addr.service, n);
            self.counts(info.addr.service.addr.network()).new += 1;
            self.info.insert(n, info);
            self.random.push(n);
        }
        self.id_count = n_new;
        self.n_new = n_new as usize;
        let mut lost = 0;
        for _ in 0..n_tried {
            let mut info = read_info(r, v2).map_err(corrupt)?;
            let s = info.addr.service;
            let bucket = self.key.tried_bucket(&s);
            let pos = self.key.position(&s, false, bucket);
            if s.addr.is_valid() && self.tried_table[bucket][pos] == -1 {
                let id = self.id_count;
                info.random_pos = self.random.len();
                info.in_tried = true;
                self.random.push(id);
                self.by_addr.insert(s, id);
                self.info.insert(id, info);
                self.tried_table[bucket][pos] = id;
                self.id_count += 1;
                self.n_tried += 1;
                self.counts(s.addr.network()).tried += 1;
            } else {
                lost += 1;
            }
        }
        let mut bucket_entries = Vec::new();
        for bucket in 0..n_ubuckets.max(0) {
            let num = r.i32().map_err(corrupt)?;
            for _ in 0..num.max(0) {
                let index = r.i32().map_err(corrupt)?;
                if index >= 0 && index < n_new {
                    bucket_entries.push((bucket as usize, index));
                }
            }
        }
        let mut asmap_checksum = [0u8; 32];
        if format >= 2 {
            asmap_checksum = r.array().map_err(corrupt)?;
        }
        let restore = n_ubuckets as usize == NEW_BUCKET_COUNT && asmap_checksum == [0; 32];
        if !restore {
            tracing::debug!(target: "addrman", "Bucketing method was updated, re-bucketing addrman entries from disk");
        }
        for (mut bucket, index) in bucket_entries {
            let (s, source, rc) = {
                let i = &self.info[&index];
                (i.addr.service, i.source, i.ref_count)
            };
            if !s.addr.is_valid() || rc >= NEW_BUCKETS_PER_ADDRESS {
                continue;
            }
            let mut pos = self.key.position(&s, true, bucket);
            if !(restore && self.new_table[bucket][pos] == -1) {
                bucket = self.key.new_bucket(&s, &source);
                pos = self.key.position(&s, true, bucket);
                if self.new_table[bucket][pos] != -1 {
                    continue;
                }
            }
            self.new_table[bucket][pos] = index;
            self.info.get_mut(&index).expect("read").ref_count += 1;
        }
        let orphans: Vec<i32> = self
            .info
            .iter()
            .filter(|(_, i)| !i.in_tried && i.ref_count == 0)
            .map(|(&id, _)| id)
            .collect();
        let lost_new = orphans.len();
        for id in orphans {
            self.delete(id);
        }
        if lost + lost_new > 0 {
            tracing::debug!(target: "addrman", "addrman lost {lost_new} new and {lost} tried addresses due to collisions or invalid addresses");
        }
        let code = self.timed_check_code();
        if code != 0 {
            return Err(corrupt(ios_failure(format!(
                "Corrupt data. Consistency check failed with code {code}"
            ))));
        }
        Ok(())
    }
}

/// An `AddrInfo` in the `V2_DISK` format.
fn write_info(out: &mut Vec<u8>, info: &AddrInfo) {
    out.extend((DISK_VERSION_INIT | DISK_VERSION_ADDRV2).to_le_bytes());
    info.addr.write_v2(out);
    info.source.write_v2(out);
    out.extend(info.last_success.to_le_bytes());
    out.extend(info.attempts.to_le_bytes());
}

fn read_info(r: &mut Reader<'_>, v2: bool) -> Result<AddrInfo, AddrDecodeError> {
    let version = r.u32()? & !DISK_VERSION_IGNORE_MASK;
    let use_v2 = if version == 0 {
        false
    } else if version == DISK_VERSION_ADDRV2 && v2 {
        true
    } else {
        return Err(ios_failure(
            "Unsupported CAddress disk format version".into(),
        ));
    };
    let addr = if use_v2 {
        Address::read_v2(r)?
    } else {
        Address::read_v1(r)?
    };
    let source = if v2 {
        NetAddr::read_v2(r)?
    } else {
        NetAddr::from_v1_bytes(r.array()?)
    };
    let mut info = AddrInfo::new(addr, source);
    info.last_success = r.i64()?;
    info.attempts = r.i32()?;
    Ok(info)
}

impl AddrMan {
    /// An empty table; `deterministic` fixes the key and the random numbers
    /// (tests, Core's `-test=addrman`-style determinism).
    pub fn new(deterministic: bool, check_ratio: i32, clock: Clock) -> AddrMan {
        AddrMan {
            inner: Mutex::new(Inner::new(deterministic, check_ratio)),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    /// `Size`: all addresses, or those of `net` and/or of one table.
    pub fn size(&self, net: Option<Network>, in_new: Option<bool>) -> usize {
        let inner = self.lock();
        match net {
            None => match in_new {
                Some(true) => inner.n_new,
                Some(false) => inner.n_tried,
                None => inner.random.len(),
            },
            Some(net) => {
                let c = inner.network_counts.get(&net).copied().unwrap_or_default();
                match in_new {
                    Some(true) => c.new,
                    Some(false) => c.tried,
                    None => c.new + c.tried,
                }
            }
        }
    }

    /// `Add`: whether at least one address was new to us.
    pub fn add(&self, addrs: &[Address], source: &NetAddr, time_penalty: i64) -> bool {
        let now = self.now();
        let mut inner = self.lock();
        inner.check();
        let added = addrs
            .iter()
            .filter(|a| inner.add_single(a, source, time_penalty, now))
            .count();
        if added > 0 {
            tracing::debug!(target: "addrman", "Added {added} addresses (of {}) from {source}: {} tried, {} new",
                addrs.len(), inner.n_tried, inner.n_new);
        }
        inner.check();
        added > 0
    }

    /// `Good`: we connected to it; moves it to the tried table.
    pub fn good(&self, s: &Service) -> bool {
        let now = self.now();
        let mut inner = self.lock();
        inner.check();
        let r = inner.good(s, true, now);
        inner.check();
        r
    }

    /// `Attempt`.
    pub fn attempt(&self, s: &Service, count_failure: bool) {
        let now = self.now();
        let mut inner = self.lock();
        let last_good = inner.last_good;
        if let Some(id) = inner.find(s) {
            let info = inner.info.get_mut(&id).expect("found");
            info.last_try = now;
            if count_failure && info.last_count_attempt < last_good {
                info.last_count_attempt = now;
                info.attempts += 1;
            }
        }
    }

    /// `Connected`: refreshes the last-seen time of a peer we disconnect from.
    pub fn connected(&self, s: &Service) {
        let now = self.now();
        let mut inner = self.lock();
        if let Some(id) = inner.find(s) {
            let info = inner.info.get_mut(&id).expect("found");
            if now - i64::from(info.addr.time) > 20 * 60 {
                info.addr.time = now as u32;
            }
        }
    }

    /// `SetServices`.
    pub fn set_services(&self, s: &Service, services: u64) {
        let mut inner = self.lock();
        if let Some(id) = inner.find(s) {
            inner.info.get_mut(&id).expect("found").addr.services = services;
        }
    }

    /// `Select`: an address to connect to and its last try.
    pub fn select(&self, new_only: bool, network: Option<Network>) -> Option<(Address, i64)> {
        let now = self.now();
        self.lock().select(new_only, network, now)
    }

    /// `GetAddr`: up to `max_addresses` (0: no limit) and `max_pct` percent
    /// (0: no limit) random addresses that are not terrible.
    pub fn get_addr(
        &self,
        max_addresses: usize,
        max_pct: usize,
        network: Option<Network>,
    ) -> Vec<Address> {
        let now = self.now();
        let mut inner = self.lock();
        inner.check();
        inner.get_addr(max_addresses, max_pct, network, now)
    }

    /// `ResolveCollisions`.
    pub fn resolve_collisions(&self) {
        let now = self.now();
        let mut inner = self.lock();
        inner.check();
        inner.resolve_collisions(now);
        inner.check();
    }

    /// `SelectTriedCollision`.
    pub fn select_tried_collision(&self) -> Option<(Address, i64)> {
        self.lock().select_tried_collision()
    }

    /// `FindAddressEntry`.
    pub fn find_address_entry(&self, s: &Service) -> Option<AddressPosition> {
        let inner = self.lock();
        let info = &inner.info[&inner.find(s)?];
        Some(if info.in_tried {
            let bucket = inner.key.tried_bucket(s);
            AddressPosition {
                tried: true,
                multiplicity: 1,
                bucket,
                position: inner.key.position(s, false, bucket),
            }
        } else {
            let bucket = inner.key.new_bucket(s, &info.source);
            AddressPosition {
                tried: false,
                multiplicity: info.ref_count,
                bucket,
                position: inner.key.position(s, true, bucket),
            }
        })
    }

    /// `GetEntries`: every entry of one table with its position.
    pub fn entries(&self, from_tried: bool) -> Vec<(AddrInfo, AddressPosition)> {
        let inner = self.lock();
        let table = if from_tried {
            &inner.tried_table
        } else {
            &inner.new_table
        };
        let mut out = Vec::new();
        for (bucket, b) in table.iter().enumerate() {
            for (position, &id) in b.iter().enumerate() {
                if id >= 0 {
                    let info = inner.info[&id].clone();
                    let multiplicity = if from_tried { 1 } else { info.ref_count };
                    out.push((
                        info,
                        AddressPosition {
                            tried: from_tried,
                            multiplicity,
                            bucket,
                            position,
                        },
                    ));
                }
            }
        }
        out
    }

    /// `CheckAddrman`'s code (0: consistent).
    pub fn check_code(&self) -> i32 {
        self.lock().check_code()
    }

    /// The serialised table (what follows the magic in `peers.dat`).
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.lock().serialize(&mut out);
        out
    }

    /// Reads a serialised table into a new one.
    pub fn deserialize(
        data: &[u8],
        check_ratio: i32,
        clock: Clock,
    ) -> Result<AddrMan, PeersDatError> {
        let mut inner = Inner::new(false, check_ratio);
        inner.unserialize(&mut Reader(data))?;
        Ok(AddrMan {
            inner: Mutex::new(inner),
            clock,
        })
    }
}

/// `SerializeDB`: magic, table, then the double SHA-256 of both.
pub fn peers_dat_bytes(addrman: &AddrMan, magic: [u8; 4]) -> Vec<u8> {
    let mut out = magic.to_vec();
    out.extend(addrman.serialize());
    let h = sha256d::Hash::hash(&out).to_byte_array();
    out.extend_from_slice(&h);
    out
}

/// `DeserializeDB` of `peers.dat`'s bytes: the magic, the table, the checksum.
pub fn addrman_from_bytes(
    bytes: &[u8],
    magic: [u8; 4],
    check_ratio: i32,
    clock: Clock,
) -> Result<AddrMan, PeersDatError> {
    const EOF: &str = "AutoFile::read: end of file: iostream error";
    let eof = || PeersDatError::Corrupt(EOF.into());
    if bytes.len() < 4 {
        return Err(eof());
    }
    if bytes[..4] != magic {
        return Err(PeersDatError::Corrupt(
            "Invalid network magic number".into(),
        ));
    }
    // The table's own length is only known by reading it; read it with an
    // end-of-data error mapped to the file's, then check the trailing hash.
    let mut inner = Inner::new(false, check_ratio);
    let mut r = Reader(&bytes[4..]);
    inner.unserialize(&mut r).map_err(|e| match e {
        PeersDatError::Corrupt(m) if m.starts_with("DataStream::read()") => eof(),
        e => e,
    })?;
    let used = bytes.len() - r.0.len();
    let Some(stored) = bytes.get(used..used + 32) else {
        return Err(eof());
    };
    if sha256d::Hash::hash(&bytes[..used]).to_byte_array()[..] != *stored {
        return Err(PeersDatError::Corrupt(
            "Checksum mismatch, data corrupted".into(),
        ));
    }
    Ok(AddrMan {
        inner: Mutex::new(inner),
        clock,
    })
}

/// `DumpPeerAddresses`: writes `peers.dat` through a temporary file renamed
/// into place (`SerializeFileDB`).
pub fn dump_peers_dat(addrman: &AddrMan, dir: &Path, magic: [u8; 4]) -> std::io::Result<()> {
    use std::io::Write;
    let bytes = peers_dat_bytes(addrman, magic);
    let tmp = dir.join(format!("peers.dat.{:04x}", rand::random::<u16>()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join("peers.dat"))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `LoadAddrman`'s reading: the table, or why not.
pub fn load_peers_dat(
    path: &Path,
    magic: [u8; 4],
    check_ratio: i32,
    clock: Clock,
) -> Result<AddrMan, PeersDatError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(PeersDatError::NotFound),
        Err(e) => return Err(PeersDatError::Corrupt(e.to_string())),
    };
    addrman_from_bytes(&bytes, magic, check_ratio, clock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netaddr::parse_netaddr;

    const NOW: i64 = 1_700_000_000;

    fn clock() -> Clock {
        Arc::new(|| NOW)
    }

    fn addr(s: &str, port: u16) -> Address {
        Address::new(
            Service::new(parse_netaddr(s).unwrap(), port),
            1 | 8,
            (NOW - 100) as u32,
        )
    }

    fn table() -> AddrMan {
        AddrMan::new(true, 1, clock())
    }

    #[test]
    fn add_good_select() {
        let am = table();
        let source = parse_netaddr("250.1.2.1").unwrap();
        assert!(
            !am.add(&[addr("127.0.0.1", 8333)], &source, 0),
            "not routable"
        );
        assert!(am.add(&[addr("250.1.1.1", 8333)], &source, 0));
        assert!(
            !am.add(&[addr("250.1.1.1", 8333)], &source, 0),
            "already known"
        );
        assert!(
            am.add(&[addr("250.1.1.1", 8334)], &source, 0),
            "another port"
        );
        assert_eq!(am.size(None, None), 2);
        assert_eq!(am.size(None, Some(true)), 2);
        let s = addr("250.1.1.1", 8333).service;
        assert!(am.good(&s));
        assert_eq!(
            (am.size(None, Some(true)), am.size(None, Some(false))),
            (1, 1)
        );
        assert!(am.find_address_entry(&s).unwrap().tried);
        // With only a tried entry left for new_only, nothing new of ipv6.
        assert!(am.select(false, Some(Network::Ipv6)).is_none());
        let (picked, _) = am.select(false, None).unwrap();
        assert!(picked.service.addr == s.addr);
        let (new_pick, _) = am.select(true, None).unwrap();
        assert_eq!(new_pick.service.port, 8334);
        assert_eq!(am.check_code(), 0);
    }

    #[test]
    fn bucket_placement_depends_on_group_and_source() {
        let am = table();
        // Same /16 from one source: same new bucket.
        let src = parse_netaddr("250.1.2.1").unwrap();
        am.add(&[addr("250.1.1.1", 1), addr("250.1.200.7", 1)], &src, 0);
        let a = am
            .find_address_entry(&addr("250.1.1.1", 1).service)
            .unwrap();
        let b = am
            .find_address_entry(&addr("250.1.200.7", 1).service)
            .unwrap();
        assert_eq!(a.bucket, b.bucket);
        assert!(!a.tried && a.multiplicity == 1);
        // Many sources spread one group over more than one bucket.
        let mut buckets = BTreeSet::new();
        for i in 0..50u8 {
            let src = parse_netaddr(&format!("{}.9.0.1", 1 + i)).unwrap();
            am.add(&[addr(&format!("251.4.{i}.1"), 1)], &src, 0);
            if let Some(p) = am.find_address_entry(&addr(&format!("251.4.{i}.1"), 1).service) {
                buckets.insert(p.bucket);
            }
        }
        assert!(buckets.len() > 8, "{}", buckets.len());
        // The deterministic key fixes positions (Core's uint256{1} key).
        let k = Key({
            let mut k = [0u8; 32];
            k[0] = 1;
            k
        });
        let s = addr("250.1.1.1", 1).service;
        assert_eq!(a.bucket, k.new_bucket(&s, &src));
        assert_eq!(a.position, k.position(&s, true, a.bucket));
        assert_eq!(am.check_code(), 0);
    }

    #[test]
    fn get_addr_limits() {
        let am = table();
        for i in 0..200u32 {
            let src = parse_netaddr(&format!("{}.1.1.1", 1 + i % 200)).unwrap();
            am.add(
                &[addr(&format!("{}.{}.3.4", 1 + i % 220, i / 220 + 7), 8333)],
                &src,
                0,
            );
        }
        let total = am.size(None, None);
        assert!(total > 150);
        assert_eq!(am.get_addr(0, 23, None).len(), 23 * total / 100);
        assert_eq!(am.get_addr(10, 23, None).len(), 10);
        assert_eq!(am.get_addr(0, 0, Some(Network::Ipv6)).len(), 0);
    }

    #[test]
    fn peers_dat_round_trip() {
        let am = table();
        let src = parse_netaddr("250.1.2.1").unwrap();
        am.add(
            &[
                addr("250.1.1.1", 8333),
                addr("250.2.1.1", 8333),
                addr("2a00:1::5", 18444),
                Address::new(Service::new(NetAddr::I2p([3; 32]), 0), 1, (NOW - 5) as u32),
            ],
            &src,
            0,
        );
        am.good(&addr("250.2.1.1", 8333).service);
        let magic = [0xfa, 0xbf, 0xb5, 0xda];
        let bytes = peers_dat_bytes(&am, magic);
        // Format 4, lowest compatible 4 after the magic.
        assert_eq!(&bytes[4..6], &[4, 36]);
        let back = addrman_from_bytes(&bytes, magic, 1, clock()).unwrap();
        assert_eq!(back.size(None, None), 4);
        assert_eq!(back.size(None, Some(false)), 1);
        assert_eq!(back.size(Some(Network::I2p), None), 1);
        for tried in [false, true] {
            let mut a: Vec<_> = am
                .entries(tried)
                .into_iter()
                .map(|(i, p)| (i.addr.service, p))
                .collect();
            let mut b: Vec<_> = back
                .entries(tried)
                .into_iter()
                .map(|(i, p)| (i.addr.service, p))
                .collect();
            a.sort_by_key(|x| x.0);
            b.sort_by_key(|x| x.0);
            assert_eq!(a, b);
        }
        assert_eq!(peers_dat_bytes(&back, magic), bytes);

        // Errors as Core words them.
        let err = |b: &[u8]| {
            addrman_from_bytes(b, magic, 1, clock())
                .err()
                .unwrap()
                .to_string()
        };
        assert_eq!(
            err(&bytes[..bytes.len() - 1]),
            "AutoFile::read: end of file: iostream error"
        );
        assert_eq!(
            err(&bytes[..100]),
            "AutoFile::read: end of file: iostream error"
        );
        let mut other = bytes.clone();
        other[0] = 0;
        assert_eq!(err(&other), "Invalid network magic number");
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(err(&flipped), "Checksum mismatch, data corrupted");
        let mut future = bytes.clone();
        future[5] = 32 + 111;
        assert!(matches!(
            addrman_from_bytes(&future, magic, 1, clock()),
            Err(PeersDatError::Version(_))
        ));
        let mut low = bytes.clone();
        low[5] = 0;
        assert_eq!(
            err(&low),
            "Corrupted addrman database: The compat value (0) is lower than the expected minimum value 32.: iostream error"
        );
    }

    #[test]
    fn attempts_make_terrible() {
        use std::sync::atomic::{AtomicI64, Ordering};
        let now = Arc::new(AtomicI64::new(NOW));
        let t = now.clone();
        let am = AddrMan::new(true, 1, Arc::new(move || t.load(Ordering::SeqCst)));
        let src = parse_netaddr("250.1.2.1").unwrap();
        let a = addr("250.1.1.1", 8333);
        am.add(&[a], &src, 0);
        for _ in 0..3 {
            now.fetch_add(1, Ordering::SeqCst);
            am.good(&addr("250.9.9.9", 1).service); // unknown, but moves last_good on
            now.fetch_add(1, Ordering::SeqCst);
            am.attempt(&a.service, true);
        }
        // Tried within the last minute: still offered.
        assert_eq!(am.get_addr(0, 0, None).len(), 1);
        now.fetch_add(3600, Ordering::SeqCst);
        assert_eq!(am.get_addr(0, 0, None).len(), 0);
    }
}
