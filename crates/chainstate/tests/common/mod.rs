//! Builds regtest chains in-process: blocks whose coinbase pays an
//! anyone-can-spend script (OP_TRUE), with the BIP34 height push and a witness
//! commitment, solved at 0x207fffff by nonce search.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use bitcoin::absolute::LockTime;
use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{
    Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxMerkleNode, TxOut, Txid, Witness,
};
use widecoin_chainparams::{ChainParams, ChainType};
use widecoin_chainstate::checks::{
    bip34_height_script, block_merkle_root, witness_commitment_script,
};
use widecoin_chainstate::pow::check_proof_of_work;
use widecoin_chainstate::undo::Coin;
use widecoin_chainstate::{ChainstateError, ChainstateManager, ChainstateOptions};

pub const COIN: u64 = 100_000_000;

pub fn op_true() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![0x51])
}

pub fn regtest() -> ChainParams {
    ChainParams::new(ChainType::Regtest)
}

pub fn options() -> ChainstateOptions {
    ChainstateOptions {
        par: 1,
        ..ChainstateOptions::default()
    }
}

/// A coinbase for `height` paying `value` to OP_TRUE; `tag` makes it unique.
pub fn coinbase(height: u32, value: u64, tag: u32) -> Transaction {
    let mut sig = bip34_height_script(height);
    sig.push(4);
    sig.extend_from_slice(&tag.to_le_bytes());
    Transaction {
        version: TxVersion(2),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(sig),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[[0u8; 32]]),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(value),
            script_pubkey: op_true(),
        }],
    }
}

/// A transaction spending `prevouts` (OP_TRUE outputs) into one OP_TRUE output of `value`.
pub fn spend(prevouts: &[OutPoint], value: u64) -> Transaction {
    spend_to(prevouts, value, op_true())
}

pub fn spend_to(prevouts: &[OutPoint], value: u64, script: ScriptBuf) -> Transaction {
    Transaction {
        version: TxVersion(2),
        lock_time: LockTime::ZERO,
        input: prevouts
            .iter()
            .map(|p| TxIn {
                previous_output: *p,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            })
            .collect(),
        output: vec![TxOut {
            value: Amount::from_sat(value),
            script_pubkey: script,
        }],
    }
}

/// Fills in the commitment and merkle root, then searches a nonce.
pub fn finish(mut block: Block) -> Block {
    block.txdata[0].output.retain(|o| {
        !o.script_pubkey
            .as_bytes()
            .starts_with(&[0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed])
    });
    let commitment = witness_commitment_script(&block);
    block.txdata[0].output.push(TxOut {
        value: Amount::ZERO,
        script_pubkey: ScriptBuf::from_bytes(commitment),
    });
    block.header.merkle_root = TxMerkleNode::from_byte_array(block_merkle_root(&block).0);
    solve(block)
}

pub fn solve(mut block: Block) -> Block {
    let params = regtest();
    while !check_proof_of_work(
        &block.block_hash(),
        block.header.bits.to_consensus(),
        &params.consensus,
    ) {
        block.header.nonce += 1;
    }
    block
}

/// A block on `prev` (at `height`, time `time`) with a coinbase of `value` and `txs`.
pub fn make_block(
    prev: BlockHash,
    height: u32,
    time: u32,
    value: u64,
    tag: u32,
    txs: Vec<Transaction>,
) -> Block {
    let mut txdata = vec![coinbase(height, value, tag)];
    txdata.extend(txs);
    finish(Block {
        header: Header {
            version: Version::from_consensus(0x2000_0000),
            prev_blockhash: prev,
            merkle_root: TxMerkleNode::all_zeros(),
            time,
            bits: CompactTarget::from_consensus(0x207f_ffff),
            nonce: 0,
        },
        txdata,
    })
}

pub fn subsidy(height: u32) -> u64 {
    widecoin_chainparams::get_block_subsidy(height, &regtest().consensus)
}

/// A node on a temporary data directory.
pub struct Node {
    pub dir: PathBuf,
    pub cm: ChainstateManager,
    /// Tag for coinbases so forks differ.
    pub tag: u32,
}

impl Node {
    pub fn open(dir: &Path, options: ChainstateOptions) -> Node {
        let cm = ChainstateManager::open(
            &dir.join("blocks"),
            &dir.join("chainstate"),
            regtest(),
            options,
        )
        .expect("open chainstate");
        Node {
            dir: dir.to_path_buf(),
            cm,
            tag: 0,
        }
    }

    pub fn reopen(self, options: ChainstateOptions) -> Node {
        let dir = self.dir.clone();
        let tag = self.tag;
        drop(self);
        let mut n = Node::open(&dir, options);
        n.tag = tag;
        n
    }

    pub fn tip_hash(&self) -> BlockHash {
        self.cm.tip().expect("tip").hash
    }

    pub fn tip_height(&self) -> u32 {
        self.cm.tip().expect("tip").height
    }

    /// A block on the tip paying the full subsidy plus `fees`.
    pub fn next_block(&self, txs: Vec<Transaction>, fees: u64) -> Block {
        self.block_on(self.tip_hash(), txs, fees)
    }

    pub fn block_on(&self, prev: BlockHash, txs: Vec<Transaction>, fees: u64) -> Block {
        let e = self.cm.lookup(&prev).expect("known parent");
        let height = e.height + 1;
        make_block(
            prev,
            height,
            e.header.time + 30,
            subsidy(height) + fees,
            self.tag,
            txs,
        )
    }

    pub fn submit(&mut self, block: &Block) -> Result<bool, ChainstateError> {
        self.cm.process_new_block(block)
    }

    /// Mines `n` empty blocks on the tip; returns their hashes.
    pub fn mine(&mut self, n: u32) -> Vec<BlockHash> {
        (0..n)
            .map(|_| {
                let b = self.next_block(vec![], 0);
                self.submit(&b).expect("valid block");
                b.block_hash()
            })
            .collect()
    }

    /// Mines `n` blocks on `prev` (a fork); returns their hashes.
    pub fn mine_on(&mut self, mut prev: BlockHash, n: u32) -> Vec<BlockHash> {
        (0..n)
            .map(|_| {
                let b = self.block_on(prev, vec![], 0);
                let _ = self.submit(&b);
                prev = b.block_hash();
                prev
            })
            .collect()
    }

    /// The coinbase outpoint of the active block at `height`.
    pub fn coinbase_outpoint(&self, height: u32) -> OutPoint {
        let hash = self.cm.block_hash_at(height).expect("active height");
        let block = self.cm.get_block(&hash).unwrap().unwrap();
        OutPoint {
            txid: block.txdata[0].compute_txid(),
            vout: 0,
        }
    }

    /// The whole UTXO set, sorted.
    pub fn utxos(&mut self) -> Vec<(OutPoint, Coin)> {
        let mut v = Vec::new();
        self.cm.for_each_coin(|op, c| v.push((op, c))).unwrap();
        v
    }
}

pub fn txid_of(tx: &Transaction) -> Txid {
    tx.compute_txid()
}
