//! Widecoin's peer-to-peer network (Core's `net.cpp`, `net_processing.cpp`,
//! `protocol.cpp`): the v1 transport's framing, inbound and outbound
//! connections on threads, the version handshake and `ping`/`pong`.
//!
//! Payloads are serialised with rust-bitcoin's `bitcoin::p2p` types; the
//! framing (magic, size limit, checksum) is ours, because Core drops a message
//! with a bad checksum without disconnecting and limits messages to
//! [`MAX_PROTOCOL_MESSAGE_LENGTH`], which rust-bitcoin's decoder does not.
//! Headers-first block sync, block announcements and the download stalling
//! logic go through [`ChainAccess`]; transaction relay (wtxid `inv`s,
//! trickling, orphans, `feefilter`) through [`MempoolAccess`]. Peer
//! permissions (`-whitelist`, `-whitebind`), misbehaviour, discouragement
//! and bans (`banlist.json`) are in [`permissions`] and [`banman`].

mod addr;
pub mod addr_relay;
pub mod addrman;
mod anchors;
pub mod banman;
pub mod cfilters;
pub mod compact;
mod connman;
pub mod eviction;
pub mod framing;
mod keccak;
pub mod netaddr;
mod outbound;
mod peer;
pub mod permissions;
mod punish;
mod sender;
mod stalling;
mod sync;
pub mod txrelay;
pub mod uploadtarget;
pub mod v2transport;

pub use addr::{network_name, parse_host_port};
pub use connman::{
    ConnectionCounts, Connman, ConnmanError, NetTotals, P2pConfig, PeerInfo,
    MAX_ADDNODE_CONNECTIONS,
};
pub use framing::MAX_PROTOCOL_MESSAGE_LENGTH;
pub use sync::{BlockRejected, ChainAccess, HeaderState, RejectKind, MAX_HEADERS_RESULTS};
pub use txrelay::{GenTxid, MempoolAccess, TxAccepted, TxInfo, TxRejected, TxResult};

/// `PROTOCOL_VERSION`.
pub const PROTOCOL_VERSION: i32 = 70016;
/// `MIN_PEER_PROTO_VERSION`: older peers are disconnected.
pub const MIN_PEER_PROTO_VERSION: i32 = 31800;
/// `WTXID_RELAY_VERSION` (BIP339); also where `sendaddrv2` (BIP155) starts.
pub const WTXID_RELAY_VERSION: i32 = 70016;
/// `SHORT_IDS_BLOCKS_VERSION` (BIP152): `sendcmpct` after `verack`.
pub const SHORT_IDS_BLOCKS_VERSION: i32 = 70014;
/// `BIP0031_VERSION`: pings carry a nonce after it.
pub const BIP0031_VERSION: i32 = 60000;
/// `CMPCTBLOCKS_VERSION`.
pub const CMPCTBLOCKS_VERSION: u64 = 2;
/// `PING_INTERVAL`: 2 minutes, in microseconds.
pub const PING_INTERVAL_US: i64 = 2 * 60 * 1_000_000;
/// `TIMEOUT_INTERVAL`: 20 minutes, in seconds.
pub const TIMEOUT_INTERVAL: i64 = 20 * 60;
/// `MAX_SUBVERSION_LENGTH`.
pub const MAX_SUBVERSION_LENGTH: usize = 256;
/// `DEFAULT_CONNECT_TIMEOUT`, in milliseconds.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 5000;
