use super::*;
use widecoin_chainparams::{ChainParams, ChainType};

const REGTEST_MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

fn genesis() -> Block {
    ChainParams::new(ChainType::Regtest).genesis_block().clone()
}

#[test]
fn genesis_record_has_core_layout() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = BlockStore::new(dir.path(), REGTEST_MAGIC, false, vec![]);
    let raw = bitcoin::consensus::serialize(&genesis());
    let pos = store.write_block(&raw, 0, 1296688602).unwrap();
    assert_eq!(pos, FlatFilePos { file: 0, pos: 8 });
    store.flush().unwrap();
    let file = std::fs::read(dir.path().join("blk00000.dat")).unwrap();
    // Pre-allocated to one 16 MiB chunk, record at the start.
    assert_eq!(file.len(), BLOCKFILE_CHUNK_SIZE as usize);
    assert_eq!(&file[..4], &REGTEST_MAGIC);
    assert_eq!(
        u32::from_le_bytes(file[4..8].try_into().unwrap()) as usize,
        raw.len()
    );
    assert_eq!(&file[8..8 + raw.len()], &raw[..]);
    assert_eq!(store.read_block(pos).unwrap(), genesis());
    assert_eq!(store.current_usage(), raw.len() as u64 + 8);
    let info = store.file_info(0).unwrap();
    assert_eq!(
        (info.blocks, info.height_first, info.height_last),
        (1, 0, 0)
    );
}

#[test]
fn moves_to_next_file_and_truncates_the_finished_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = BlockStore::new(dir.path(), REGTEST_MAGIC, true, vec![]);
    let raw = bitcoin::consensus::serialize(&genesis());
    let per_file = (FAST_PRUNE_BLOCKFILE_SIZE as usize - 1) / (raw.len() + 8);
    let mut positions = Vec::new();
    for h in 0..=per_file as u32 {
        positions.push(store.write_block(&raw, h, 0).unwrap());
    }
    assert_eq!(positions[per_file - 1].file, 0);
    assert_eq!(positions[per_file], FlatFilePos { file: 1, pos: 8 });
    let len0 = std::fs::metadata(dir.path().join("blk00000.dat"))
        .unwrap()
        .len();
    assert_eq!(len0, (per_file * (raw.len() + 8)) as u64);
    for p in positions {
        assert_eq!(
            store.read_block(p).unwrap().block_hash(),
            genesis().block_hash()
        );
    }
    let dirty = store.take_dirty();
    assert_eq!(dirty.iter().map(|d| d.0).collect::<Vec<_>>(), vec![0, 1]);
}

#[test]
fn undo_checksum_is_verified() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = BlockStore::new(dir.path(), REGTEST_MAGIC, false, vec![]);
    let prev = genesis().block_hash();
    let pos = store.write_undo(0, b"\x00", &prev).unwrap();
    assert_eq!(store.read_undo(pos, &prev).unwrap(), b"\x00");
    let other = BlockHash::all_zeros();
    assert!(matches!(
        store.read_undo(pos, &other),
        Err(BlockStoreError::UndoChecksum(_))
    ));
}

#[test]
fn scanner_finds_blocks_between_garbage() {
    let raw = bitcoin::consensus::serialize(&genesis());
    let mut file = vec![0u8; 13];
    for _ in 0..2 {
        file.extend_from_slice(&REGTEST_MAGIC);
        file.extend_from_slice(&(raw.len() as u32).to_le_bytes());
        file.extend_from_slice(&raw);
        // a torn record: magic, size, then too few bytes... followed by zeros
        file.extend_from_slice(&REGTEST_MAGIC);
        file.extend_from_slice(&7u32.to_le_bytes());
        file.extend_from_slice(&[0u8; 40]);
    }
    let blocks: Vec<_> = ExternalBlockReader::new(&file[..], REGTEST_MAGIC).collect();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].offset, 13 + 8);
    assert_eq!(blocks[1].block.block_hash(), genesis().block_hash());
}
