//! Block and header rules that need no UTXO set (Core's `CheckBlockHeader`,
//! `CheckBlock`, `ContextualCheckBlockHeader`, `ContextualCheckBlock`,
//! `IsFinalTx`, `BlockMerkleRoot`, `BlockWitnessMerkleRoot`).

use bitcoin::block::Header;
use bitcoin::hashes::{sha256d, Hash, HashEngine};
use bitcoin::{Block, Transaction};
use widecoin_chainparams::consensus::{MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT};
use widecoin_chainparams::{ChainParams, ConsensusParams};
use widecoin_consensus::sigops::legacy_sigop_count;

use crate::error::BlockValidationError as E;
use crate::index::{BlockIndex, EntryId};
use crate::pow::{check_proof_of_work, next_work_required};

/// `MAX_FUTURE_BLOCK_TIME`: two hours.
pub const MAX_FUTURE_BLOCK_TIME: i64 = 2 * 60 * 60;
/// `LOCKTIME_THRESHOLD`.
const LOCKTIME_THRESHOLD: u32 = 500_000_000;
/// BIP141 commitment header: OP_RETURN, push 36, `aa21a9ed`.
const WITNESS_COMMITMENT_HEADER: [u8; 6] = [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];
/// Core's `BIP34_IMPLIES_BIP30_LIMIT`.
pub const BIP34_IMPLIES_BIP30_LIMIT: u32 = 1_983_702;

/// `CheckBlockHeader`: proof of work.
pub fn check_block_header(header: &Header, params: &ConsensusParams) -> Result<(), E> {
    if !check_proof_of_work(&header.block_hash(), header.bits.to_consensus(), params) {
        return Err(E::HighHash);
    }
    Ok(())
}

/// Core's `ComputeMerkleRoot` with the CVE-2012-2459 mutation flag.
pub fn merkle_root(mut hashes: Vec<[u8; 32]>) -> ([u8; 32], bool) {
    let mut mutated = false;
    if hashes.is_empty() {
        return ([0; 32], false);
    }
    while hashes.len() > 1 {
        for pair in hashes.chunks(2) {
            if pair.len() == 2 && pair[0] == pair[1] {
                mutated = true;
            }
        }
        if hashes.len() % 2 == 1 {
            hashes.push(*hashes.last().expect("non-empty"));
        }
        hashes = hashes
            .chunks(2)
            .map(|p| {
                let mut e = sha256d::Hash::engine();
                e.input(&p[0]);
                e.input(&p[1]);
                sha256d::Hash::from_engine(e).to_byte_array()
            })
            .collect();
    }
    (hashes[0], mutated)
}

/// `BlockMerkleRoot`.
pub fn block_merkle_root(block: &Block) -> ([u8; 32], bool) {
    merkle_root(
        block
            .txdata
            .iter()
            .map(|t| t.compute_txid().to_byte_array())
            .collect(),
    )
}

/// `BlockWitnessMerkleRoot`: the coinbase's wtxid counts as zero.
pub fn block_witness_merkle_root(block: &Block) -> [u8; 32] {
    let mut leaves: Vec<[u8; 32]> = block
        .txdata
        .iter()
        .map(|t| t.compute_wtxid().to_byte_array())
        .collect();
    if let Some(first) = leaves.first_mut() {
        *first = [0; 32];
    }
    merkle_root(leaves).0
}

/// Core's `GetWitnessCommitmentIndex`: the last coinbase output carrying a commitment.
pub fn witness_commitment_index(block: &Block) -> Option<usize> {
    let cb = block.txdata.first()?;
    cb.output.iter().rposition(|o| {
        let s = o.script_pubkey.as_bytes();
        s.len() >= 38 && s[..6] == WITNESS_COMMITMENT_HEADER
    })
}

/// `CheckBlock`: everything that depends on the block alone.
pub fn check_block(block: &Block, params: &ConsensusParams, check_pow: bool) -> Result<(), E> {
    if check_pow {
        check_block_header(&block.header, params)?;
    }
    let (root, mutated) = block_merkle_root(block);
    if root != block.header.merkle_root.to_byte_array() {
        return Err(E::BadMerkleRoot);
    }
    if mutated {
        return Err(E::BadTxnsDuplicate);
    }
    let stripped: usize = 80
        + bitcoin::VarInt(block.txdata.len() as u64).size()
        + block
            .txdata
            .iter()
            .map(Transaction::base_size)
            .sum::<usize>();
    if block.txdata.is_empty()
        || block.txdata.len() as u64 * 4 > MAX_BLOCK_WEIGHT
        || stripped as u64 * 4 > MAX_BLOCK_WEIGHT
    {
        return Err(E::BadBlockLength);
    }
    if !block.txdata[0].is_coinbase() {
        return Err(E::CoinbaseMissing);
    }
    if block.txdata[1..].iter().any(Transaction::is_coinbase) {
        return Err(E::CoinbaseMultiple);
    }
    for (index, tx) in block.txdata.iter().enumerate() {
        widecoin_consensus::check_transaction(tx)
            .map_err(|error| E::Transaction { index, error })?;
    }
    let sigops: u64 = block
        .txdata
        .iter()
        .map(|t| u64::from(legacy_sigop_count(t)))
        .sum();
    if sigops * 4 > MAX_BLOCK_SIGOPS_COST {
        return Err(E::BlockSigops);
    }
    Ok(())
}

/// `ContextualCheckBlockHeader`: difficulty, time and version against the parent.
pub fn contextual_check_block_header(
    header: &Header,
    index: &BlockIndex,
    prev: EntryId,
    params: &ChainParams,
    adjusted_time: i64,
    checkpoints_enabled: bool,
) -> Result<(), E> {
    let c = &params.consensus;
    let height = index.entry(prev).height + 1;
    if header.bits.to_consensus() != next_work_required(index, prev, i64::from(header.time), c) {
        return Err(E::BadDiffBits);
    }
    if checkpoints_enabled {
        // The highest checkpoint the index knows (`GetLastCheckpoint`).
        let last = params
            .checkpoints
            .iter()
            .rev()
            .find_map(|(h, hash)| index.lookup(hash).map(|_| *h));
        if let Some(h) = last {
            if (height as i32) < h {
                return Err(E::BadForkPriorToCheckpoint);
            }
        }
    }
    if i64::from(header.time) <= index.median_time_past(prev) {
        return Err(E::TimeTooOld);
    }
    if i64::from(header.time) > adjusted_time + MAX_FUTURE_BLOCK_TIME {
        return Err(E::TimeTooNew);
    }
    let v = header.version.to_consensus();
    let h = height as i32;
    if (v < 2 && h >= c.bip34_height)
        || (v < 3 && h >= c.bip66_height)
        || (v < 4 && h >= c.bip65_height)
    {
        return Err(E::BadVersion(v));
    }
    Ok(())
}

/// Core's `IsFinalTx`.
pub fn is_final_tx(tx: &Transaction, height: u32, block_time: i64) -> bool {
    let lock = tx.lock_time.to_consensus_u32();
    if lock == 0 {
        return true;
    }
    let limit = if lock < LOCKTIME_THRESHOLD {
        i64::from(height)
    } else {
        block_time
    };
    if i64::from(lock) < limit {
        return true;
    }
    tx.input.iter().all(|i| i.sequence.0 == 0xffff_ffff)
}

/// The script `CScript() << height` that BIP34 requires the coinbase to start with.
pub fn bip34_height_script(height: u32) -> Vec<u8> {
    match height {
        0 => vec![0x00],
        1..=16 => vec![0x50 + height as u8],
        _ => {
            let mut n = height;
            let mut bytes = Vec::new();
            while n > 0 {
                bytes.push((n & 0xff) as u8);
                n >>= 8;
            }
            if bytes.last().is_some_and(|b| b & 0x80 != 0) {
                bytes.push(0);
            }
            let mut s = vec![bytes.len() as u8];
            s.extend(bytes);
            s
        }
    }
}

/// `ContextualCheckBlock`: finality, BIP34 height, witness commitment and weight.
pub fn contextual_check_block(
    block: &Block,
    index: &BlockIndex,
    prev: Option<EntryId>,
    params: &ConsensusParams,
) -> Result<(), E> {
    let height = prev.map_or(0, |p| index.entry(p).height + 1);
    let h = height as i32;
    // BIP113 is enforced together with CSV.
    let cutoff = match prev {
        Some(p) if h >= params.csv_height => index.median_time_past(p),
        _ => i64::from(block.header.time),
    };
    if !block.txdata.iter().all(|t| is_final_tx(t, height, cutoff)) {
        return Err(E::NonFinal);
    }
    if h >= params.bip34_height {
        let expect = bip34_height_script(height);
        let sig = block.txdata[0].input[0].script_sig.as_bytes();
        if sig.len() < expect.len() || sig[..expect.len()] != expect[..] {
            return Err(E::BadCoinbaseHeight);
        }
    }
    let mut have_witness_commitment = false;
    if h >= params.segwit_height {
        if let Some(ci) = witness_commitment_index(block) {
            have_witness_commitment = true;
            let witness = &block.txdata[0].input[0].witness;
            if witness.len() != 1 || witness.iter().next().map(<[u8]>::len) != Some(32) {
                return Err(E::BadWitnessNonceSize);
            }
            let root = block_witness_merkle_root(block);
            let mut e = sha256d::Hash::engine();
            e.input(&root);
            e.input(witness.iter().next().expect("one item"));
            let commitment = sha256d::Hash::from_engine(e).to_byte_array();
            let spk = block.txdata[0].output[ci].script_pubkey.as_bytes();
            if spk[6..38] != commitment {
                return Err(E::BadWitnessMerkleMatch);
            }
        }
    }
    if !have_witness_commitment
        && block
            .txdata
            .iter()
            .any(|t| t.input.iter().any(|i| !i.witness.is_empty()))
    {
        return Err(E::UnexpectedWitness);
    }
    if block.weight().to_wu() > MAX_BLOCK_WEIGHT {
        return Err(E::BadBlockWeight);
    }
    Ok(())
}

/// The commitment output a miner adds for `block` (witness nonce of zeros):
/// `GenerateCoinbaseCommitment`'s script.
pub fn witness_commitment_script(block: &Block) -> Vec<u8> {
    let root = block_witness_merkle_root(block);
    let mut e = sha256d::Hash::engine();
    e.input(&root);
    e.input(&[0u8; 32]);
    let mut s = WITNESS_COMMITMENT_HEADER.to_vec();
    s.extend_from_slice(sha256d::Hash::from_engine(e).as_byte_array());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn height_scripts_match_cscript() {
        assert_eq!(bip34_height_script(1), vec![0x51]);
        assert_eq!(bip34_height_script(16), vec![0x60]);
        assert_eq!(bip34_height_script(17), vec![1, 17]);
        assert_eq!(bip34_height_script(128), vec![2, 0x80, 0]);
        assert_eq!(bip34_height_script(10000), vec![2, 0x10, 0x27]);
    }

    #[test]
    fn mutation_is_flagged() {
        let a = [1u8; 32];
        let b = [2u8; 32];
        let c = [3u8; 32];
        let (r1, m1) = merkle_root(vec![a, b, c]);
        let (r2, m2) = merkle_root(vec![a, b, c, c]);
        assert_eq!(r1, r2);
        assert!(!m1 && m2);
    }

    #[test]
    fn genesis_checks() {
        let p = ChainParams::new(widecoin_chainparams::ChainType::Main);
        check_block(p.genesis_block(), &p.consensus, true).unwrap();
    }
}
