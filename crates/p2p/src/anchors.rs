//! `anchors.dat` (Core's `DumpAnchors`/`ReadAnchors` in `addrdb.cpp`): the
//! block-relay-only peers of a clean shutdown, tried first at the next
//! start. The file is the magic, a vector of `CAddress` in the `V2_DISK`
//! format, and the double SHA-256 of both; it is deleted once read.

use std::io::Write;
use std::path::Path;

use bitcoin::hashes::{sha256d, Hash};

use crate::netaddr::{write_compact_size, Address, Reader};

/// `ANCHORS_DATABASE_FILENAME`.
pub const ANCHORS_FILE: &str = "anchors.dat";
/// `MAX_BLOCK_RELAY_ONLY_ANCHORS`.
pub const MAX_BLOCK_RELAY_ONLY_ANCHORS: usize = 2;
/// `CAddress::DISK_VERSION_INIT | DISK_VERSION_ADDRV2`.
const DISK_VERSION_V2: u32 = 220_000 | (1 << 29);
/// `CAddress::DISK_VERSION_IGNORE_MASK`.
const DISK_VERSION_IGNORE_MASK: u32 = 0x0007_ffff;

/// The file's bytes.
pub fn anchors_bytes(anchors: &[Address], magic: [u8; 4]) -> Vec<u8> {
    let mut out = magic.to_vec();
    write_compact_size(&mut out, anchors.len() as u64);
    for a in anchors {
        out.extend(DISK_VERSION_V2.to_le_bytes());
        a.write_v2(&mut out);
    }
    let h = sha256d::Hash::hash(&out).to_byte_array();
    out.extend_from_slice(&h);
    out
}

/// Reads the file's bytes; `None` when anything is wrong with them.
pub fn anchors_from_bytes(bytes: &[u8], magic: [u8; 4]) -> Option<Vec<Address>> {
    if bytes.get(..4)? != magic {
        return None;
    }
    let mut r = Reader(&bytes[4..]);
    let n = r.compact_size().ok()?;
    let mut out = Vec::new();
    for _ in 0..n {
        if r.u32().ok()? & !DISK_VERSION_IGNORE_MASK != DISK_VERSION_V2 & !DISK_VERSION_IGNORE_MASK
        {
            return None;
        }
        out.push(Address::read_v2(&mut r).ok()?);
    }
    let used = bytes.len() - r.0.len();
    let stored = bytes.get(used..used + 32)?;
    (sha256d::Hash::hash(&bytes[..used]).to_byte_array()[..] == *stored).then_some(out)
}

/// `DumpAnchors`, with Core's timing log lines.
pub fn dump_anchors(dir: &Path, anchors: &[Address], magic: [u8; 4]) {
    let title = format!(
        "DumpAnchors: Flush {} outbound block-relay-only peer addresses to anchors.dat",
        anchors.len()
    );
    tracing::info!("{title} started");
    let start = std::time::Instant::now();
    let bytes = anchors_bytes(anchors, magic);
    let tmp = dir.join(format!("anchors.dat.{:04x}", rand::random::<u16>()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(ANCHORS_FILE))
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        tracing::error!("SerializeFileDB: Failed to write anchors.dat: {e}");
    }
    tracing::info!("{title} completed ({:.2}s)", start.elapsed().as_secs_f64());
}

/// `ReadAnchors`: the anchors, and the file removed in any case.
pub fn read_anchors(dir: &Path, magic: [u8; 4]) -> Vec<Address> {
    let path = dir.join(ANCHORS_FILE);
    let anchors = std::fs::read(&path)
        .ok()
        .and_then(|b| anchors_from_bytes(&b, magic));
    if let Some(a) = &anchors {
        tracing::info!("Loaded {} addresses from \"{ANCHORS_FILE}\"", a.len());
    }
    let _ = std::fs::remove_file(&path);
    anchors.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netaddr::{parse_netaddr, Service};

    #[test]
    fn round_trip_and_corruption() {
        let magic = [0xfa, 0xbf, 0xb5, 0xda];
        let a = Address::new(
            Service::new(parse_netaddr("127.0.0.1").unwrap(), 0x1234),
            0,
            100_000_000,
        );
        let bytes = anchors_bytes(&[a], magic);
        // 127.0.0.1 then the port, as feature_anchors.py looks for them.
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert!(hex.contains("7f0000011234"));
        assert_eq!(anchors_from_bytes(&bytes, magic), Some(vec![a]));
        let mut bad = bytes.clone();
        bad.insert(20, b'1');
        assert_eq!(anchors_from_bytes(&bad, magic), None);
        assert_eq!(anchors_from_bytes(&bytes, [0; 4]), None);
    }
}
