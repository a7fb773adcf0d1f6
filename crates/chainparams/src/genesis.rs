//! The genesis blocks (Core's `CreateGenesisBlock`, `src/kernel/chainparams.cpp`).
//!
//! All four networks share one coinbase transaction; only the header's time,
//! nonce and bits differ. The coinbase's output is never added to the UTXO set.

use bitcoin::absolute::LockTime;
use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::opcodes::all::OP_CHECKSIG;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{
    Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxOut, Witness,
};

use crate::consensus::COIN;

/// The text committed to by the genesis coinbase's scriptSig.
pub const GENESIS_TIMESTAMP: &str = "001 - It is an Amazing Things.";

/// The uncompressed public key the genesis output pays to (P2PK).
pub const GENESIS_OUTPUT_PUBKEY: &str = "0423b8bd9783e79e64a62e18cebf06bb4c89ddaf13b3152178ff259138ab3732e615ad1c4f8ccd5bb96f5e0b49da3953f1b518322f12127ddfd73cfdf3022180e8";

/// The genesis reward, 50 WCN.
pub const GENESIS_REWARD: u64 = 50 * COIN;

fn push(builder: Builder, bytes: &[u8]) -> Builder {
    let data = PushBytesBuf::try_from(bytes.to_vec()).expect("genesis pushes are short");
    builder.push_slice(data)
}

/// The coinbase transaction of every Widecoin genesis block.
pub fn genesis_coinbase() -> Transaction {
    // 486604799 (0x1d00ffff) and CScriptNum(4), pushed as data as Core does.
    let script_sig = push(
        push(push(Builder::new(), &486_604_799u32.to_le_bytes()), &[4u8]),
        GENESIS_TIMESTAMP.as_bytes(),
    )
    .into_script();
    let pubkey = hex::decode(GENESIS_OUTPUT_PUBKEY).expect("constant hex");
    let script_pubkey: ScriptBuf = push(Builder::new(), &pubkey)
        .push_opcode(OP_CHECKSIG)
        .into_script();
    Transaction {
        version: TxVersion::ONE,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig,
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(GENESIS_REWARD),
            script_pubkey,
        }],
    }
}

/// Builds a genesis block with the shared coinbase and the given header fields.
pub fn create_genesis_block(time: u32, nonce: u32, bits: u32, version: i32) -> Block {
    let coinbase = genesis_coinbase();
    let merkle_root = coinbase.compute_txid().to_raw_hash().into();
    Block {
        header: Header {
            version: Version::from_consensus(version),
            prev_blockhash: BlockHash::all_zeros(),
            merkle_root,
            time,
            bits: CompactTarget::from_consensus(bits),
            nonce,
        },
        txdata: vec![coinbase],
    }
}
