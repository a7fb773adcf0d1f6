//! BIP340/341 tagged hashes, tapleaf and branch hashes, and the taproot output commitment.

use std::sync::LazyLock;

use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::secp256k1::{Parity, Scalar, XOnlyPublicKey};

use crate::constants::{TAPROOT_CONTROL_BASE_SIZE, TAPROOT_CONTROL_NODE_SIZE};
use crate::ecdsa::SECP;

fn tag_engine(tag: &str) -> sha256::HashEngine {
    let tag_hash = sha256::Hash::hash(tag.as_bytes()).to_byte_array();
    let mut engine = sha256::Hash::engine();
    engine.input(&tag_hash);
    engine.input(&tag_hash);
    engine
}

static TAP_SIGHASH: LazyLock<sha256::HashEngine> = LazyLock::new(|| tag_engine("TapSighash"));
static TAP_LEAF: LazyLock<sha256::HashEngine> = LazyLock::new(|| tag_engine("TapLeaf"));
static TAP_BRANCH: LazyLock<sha256::HashEngine> = LazyLock::new(|| tag_engine("TapBranch"));
static TAP_TWEAK: LazyLock<sha256::HashEngine> = LazyLock::new(|| tag_engine("TapTweak"));

/// A SHA256 engine primed with the BIP340 tag prefix, for the tags taproot uses.
pub(crate) fn tapsighash_engine() -> sha256::HashEngine {
    TAP_SIGHASH.clone()
}

/// Appends Core's CompactSize encoding of `n`.
pub(crate) fn write_compact_size(engine: &mut impl HashEngine, n: usize) {
    if n < 0xfd {
        engine.input(&[n as u8]);
    } else if n <= 0xffff {
        engine.input(&[0xfd]);
        engine.input(&(n as u16).to_le_bytes());
    } else if n <= 0xffff_ffff {
        engine.input(&[0xfe]);
        engine.input(&(n as u32).to_le_bytes());
    } else {
        engine.input(&[0xff]);
        engine.input(&(n as u64).to_le_bytes());
    }
}

/// BIP341 tapleaf hash of a script with its leaf version (Core's `ComputeTapleafHash`).
pub fn tapleaf_hash(leaf_version: u8, script: &[u8]) -> [u8; 32] {
    let mut engine = TAP_LEAF.clone();
    engine.input(&[leaf_version]);
    write_compact_size(&mut engine, script.len());
    engine.input(script);
    sha256::Hash::from_engine(engine).to_byte_array()
}

/// BIP341 branch hash of two child hashes, smaller first (Core's `ComputeTapbranchHash`).
pub fn tapbranch_hash(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut engine = TAP_BRANCH.clone();
    let (first, second) = if a < b { (a, b) } else { (b, a) };
    engine.input(first);
    engine.input(second);
    sha256::Hash::from_engine(engine).to_byte_array()
}

/// The merkle root a control block proves for a leaf (Core's `ComputeTaprootMerkleRoot`).
pub fn taproot_merkle_root(control: &[u8], leaf_hash: &[u8; 32]) -> [u8; 32] {
    control[TAPROOT_CONTROL_BASE_SIZE..]
        .chunks_exact(TAPROOT_CONTROL_NODE_SIZE)
        .fold(*leaf_hash, |k, node| {
            tapbranch_hash(&k, node.try_into().expect("32-byte chunk"))
        })
}

/// BIP341 tweak `t = hash_TapTweak(p || merkle_root)`; no merkle root for key-only outputs.
pub fn taptweak_hash(internal_key: &[u8; 32], merkle_root: Option<&[u8; 32]>) -> [u8; 32] {
    let mut engine = TAP_TWEAK.clone();
    engine.input(internal_key);
    if let Some(root) = merkle_root {
        engine.input(root);
    }
    sha256::Hash::from_engine(engine).to_byte_array()
}

/// Whether `output_key` commits to the control block's internal key and the merkle root
/// proven for `leaf_hash` (Core's `VerifyTaprootCommitment`).
pub fn verify_taproot_commitment(control: &[u8], output_key: &[u8], leaf_hash: &[u8; 32]) -> bool {
    let internal: [u8; 32] = control[1..33]
        .try_into()
        .expect("control block holds the internal key");
    let root = taproot_merkle_root(control, leaf_hash);
    let (Ok(p), Ok(q)) = (
        XOnlyPublicKey::from_slice(&internal),
        XOnlyPublicKey::from_slice(output_key),
    ) else {
        return false;
    };
    let Ok(tweak) = Scalar::from_be_bytes(taptweak_hash(&internal, Some(&root))) else {
        return false;
    };
    let parity = if control[0] & 1 == 1 {
        Parity::Odd
    } else {
        Parity::Even
    };
    p.tweak_add_check(&SECP, &q, parity, tweak)
}

/// The taproot output key for an internal key and optional merkle root, with its parity.
pub fn tweak_internal_key(
    internal_key: &[u8; 32],
    merkle_root: Option<&[u8; 32]>,
) -> Option<([u8; 32], bool)> {
    let p = XOnlyPublicKey::from_slice(internal_key).ok()?;
    let tweak = Scalar::from_be_bytes(taptweak_hash(internal_key, merkle_root)).ok()?;
    let (q, parity) = p.add_tweak(&SECP, &tweak).ok()?;
    Some((q.serialize(), parity == Parity::Odd))
}
