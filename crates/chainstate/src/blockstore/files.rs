//! Core's `FlatFileSeq`: numbered files (`blk00000.dat`, ...) addressed by
//! (file, offset), grown in pre-allocated chunks.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{io_err, BlockStoreError};

/// A position in a flat file sequence (`FlatFilePos`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlatFilePos {
    pub file: u32,
    pub pos: u32,
}

impl fmt::Display for FlatFilePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FlatFilePos(nFile={}, nPos={})", self.file, self.pos)
    }
}

/// One sequence of numbered files in a directory.
pub struct FlatFileSeq {
    dir: PathBuf,
    prefix: &'static str,
    chunk_size: u32,
}

impl FlatFileSeq {
    pub fn new(dir: &Path, prefix: &'static str, chunk_size: u32) -> Self {
        FlatFileSeq {
            dir: dir.to_path_buf(),
            prefix,
            chunk_size,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `<dir>/<prefix><nnnnn>.dat`.
    pub fn path(&self, file: u32) -> PathBuf {
        self.dir.join(format!("{}{:05}.dat", self.prefix, file))
    }

    /// Opens the file of `pos` positioned at `pos.pos`, creating it for writing.
    pub fn open(&self, pos: FlatFilePos, read_only: bool) -> Result<File, BlockStoreError> {
        let path = self.path(pos.file);
        if !read_only {
            std::fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        }
        let mut f = OpenOptions::new()
            .read(true)
            .write(!read_only)
            .create(!read_only)
            .truncate(false)
            .open(&path)
            .map_err(io_err(&path))?;
        f.seek(SeekFrom::Start(u64::from(pos.pos)))
            .map_err(io_err(&path))?;
        Ok(f)
    }

    /// Makes room for `add` bytes at `pos`, extending the file by whole
    /// chunks of zeros as Core's `FlatFileSeq::Allocate` does.
    pub fn allocate(&self, pos: FlatFilePos, add: u32) -> Result<(), BlockStoreError> {
        let chunk = u64::from(self.chunk_size);
        let start = u64::from(pos.pos);
        let old_chunks = start.div_ceil(chunk);
        let new_chunks = (start + u64::from(add)).div_ceil(chunk);
        if new_chunks > old_chunks {
            let f = self.open(
                FlatFilePos {
                    file: pos.file,
                    pos: 0,
                },
                false,
            )?;
            let path = self.path(pos.file);
            let len = f.metadata().map_err(io_err(&path))?.len();
            let want = new_chunks * chunk;
            if len < want {
                f.set_len(want).map_err(io_err(&path))?;
            }
        }
        Ok(())
    }

    /// Syncs file `file`; with `truncate_to`, first cuts it to that length
    /// (finalizing a file that will receive no more data).
    pub fn flush(&self, file: u32, truncate_to: Option<u32>) -> Result<(), BlockStoreError> {
        let path = self.path(file);
        let f = match OpenOptions::new().write(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_err(&path)(e)),
        };
        if let Some(len) = truncate_to {
            f.set_len(u64::from(len)).map_err(io_err(&path))?;
        }
        f.sync_all().map_err(io_err(&path))
    }
}
