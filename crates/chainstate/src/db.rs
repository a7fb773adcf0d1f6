//! The two redb databases: the block index (`blocks/index/index.redb`, Core's
//! `blocks/index` LevelDB: entries, block file infos, flags, last file) and the
//! UTXO set (`chainstate/coins.redb`, Core's `chainstate`: coins and the
//! best-block marker). Values use Core's VARINT and compressed-txout codes.

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, OutPoint, Txid};
use redb::TableDefinition;

use crate::blockstore::BlockFileInfo;
use crate::undo::{write_varint, Coin, DecodeError, Reader};

/// Block hash → encoded [`DiskBlockIndex`].
pub const BLOCK_INDEX: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("block_index");
/// File number → encoded [`BlockFileInfo`].
pub const BLOCK_FILES: TableDefinition<'_, u32, &[u8]> = TableDefinition::new("block_files");
/// Flags and markers of the index (`last_file`, `reindexing`, named flags).
pub const INDEX_META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
/// Outpoint (txid, big-endian vout) → encoded coin.
pub const COINS: TableDefinition<'_, [u8; 36], &[u8]> = TableDefinition::new("coins");
/// `best_block` → 32 bytes (Core's `DB_BEST_BLOCK`).
pub const COINS_META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");

pub const KEY_BEST_BLOCK: &str = "best_block";
pub const KEY_LAST_FILE: &str = "last_file";
pub const KEY_REINDEXING: &str = "reindexing";

/// What the index stores per block (Core's `CDiskBlockIndex`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskBlockIndex {
    pub header: Header,
    pub height: u32,
    pub status: u32,
    pub n_tx: u32,
    pub file: u32,
    pub data_pos: u32,
    pub undo_pos: u32,
}

impl DiskBlockIndex {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(100);
        write_varint(&mut out, u64::from(self.height));
        write_varint(&mut out, u64::from(self.status));
        write_varint(&mut out, u64::from(self.n_tx));
        write_varint(&mut out, u64::from(self.file));
        write_varint(&mut out, u64::from(self.data_pos));
        write_varint(&mut out, u64::from(self.undo_pos));
        out.extend_from_slice(&bitcoin::consensus::serialize(&self.header));
        out
    }

    pub fn decode(data: &[u8]) -> Result<DiskBlockIndex, DecodeError> {
        let mut r = Reader::new(data);
        let u32v = |r: &mut Reader<'_>| -> Result<u32, DecodeError> {
            u32::try_from(r.varint()?).map_err(|_| DecodeError::VarIntTooLarge)
        };
        let height = u32v(&mut r)?;
        let status = u32v(&mut r)?;
        let n_tx = u32v(&mut r)?;
        let file = u32v(&mut r)?;
        let data_pos = u32v(&mut r)?;
        let undo_pos = u32v(&mut r)?;
        let header: Header =
            bitcoin::consensus::deserialize(r.bytes(80)?).map_err(|_| DecodeError::Eof)?;
        if r.remaining() != 0 {
            return Err(DecodeError::Trailing(r.remaining()));
        }
        Ok(DiskBlockIndex {
            header,
            height,
            status,
            n_tx,
            file,
            data_pos,
            undo_pos,
        })
    }
}

pub fn encode_file_info(i: &BlockFileInfo) -> Vec<u8> {
    let mut out = Vec::with_capacity(32);
    for v in [
        u64::from(i.blocks),
        u64::from(i.size),
        u64::from(i.undo_size),
        u64::from(i.height_first),
        u64::from(i.height_last),
        i.time_first,
        i.time_last,
    ] {
        write_varint(&mut out, v);
    }
    out
}

pub fn decode_file_info(data: &[u8]) -> Result<BlockFileInfo, DecodeError> {
    let mut r = Reader::new(data);
    let mut v = [0u64; 7];
    for x in v.iter_mut() {
        *x = r.varint()?;
    }
    let u = |x: u64| u32::try_from(x).map_err(|_| DecodeError::VarIntTooLarge);
    Ok(BlockFileInfo {
        blocks: u(v[0])?,
        size: u(v[1])?,
        undo_size: u(v[2])?,
        height_first: u(v[3])?,
        height_last: u(v[4])?,
        time_first: v[5],
        time_last: v[6],
    })
}

pub fn outpoint_key(op: &OutPoint) -> [u8; 36] {
    let mut k = [0u8; 36];
    k[..32].copy_from_slice(op.txid.as_byte_array());
    k[32..].copy_from_slice(&op.vout.to_be_bytes());
    k
}

pub fn outpoint_from_key(k: &[u8; 36]) -> OutPoint {
    OutPoint {
        txid: Txid::from_byte_array(k[..32].try_into().expect("32 bytes")),
        vout: u32::from_be_bytes(k[32..].try_into().expect("4 bytes")),
    }
}

/// A coin as stored: `VARINT(height*2 + coinbase)`, compressed amount and script
/// (Core's `Coin` serialization).
pub fn encode_coin(c: &Coin) -> Vec<u8> {
    let mut out = Vec::with_capacity(40);
    write_varint(&mut out, u64::from(c.height) * 2 + u64::from(c.coinbase));
    write_varint(
        &mut out,
        crate::undo::compress_amount(c.output.value.to_sat()),
    );
    crate::undo::write_compressed_script(&mut out, c.output.script_pubkey.as_bytes());
    out
}

pub fn decode_coin(data: &[u8]) -> Result<Coin, DecodeError> {
    let mut r = Reader::new(data);
    let code = r.varint()?;
    let value = crate::undo::decompress_amount(r.varint()?);
    let script_pubkey = crate::undo::read_compressed_script(&mut r)?;
    Ok(Coin {
        output: bitcoin::TxOut {
            value: bitcoin::Amount::from_sat(value),
            script_pubkey,
        },
        height: (code / 2) as u32,
        coinbase: code & 1 == 1,
    })
}

pub fn hash_from_bytes(b: &[u8]) -> Option<BlockHash> {
    Some(BlockHash::from_byte_array(b.try_into().ok()?))
}
