//! The checksum of Tor v3 `.onion` names (Core's `torv3::Checksum` in
//! `netaddress.cpp`), with SHA3-256 from RustCrypto's `sha3`.

use sha3::{Digest, Sha3_256};

/// The two checksum bytes of a Tor v3 name: `SHA3-256(".onion checksum" ||
/// pubkey || version)[..2]`.
pub fn onion_checksum(pubkey: &[u8; 32]) -> [u8; 2] {
    let mut hasher = Sha3_256::new();
    hasher.update(b".onion checksum");
    hasher.update(pubkey);
    hasher.update([3u8]);
    let h = hasher.finalize();
    [h[0], h[1]]
}

#[cfg(test)]
mod tests {
    #[test]
    fn onion_checksum_of_a_known_name() {
        // A Tor v3 name is base32(pubkey || checksum || 0x03); this one is
        // Tor Project's own service (any valid v3 name checks the same way).
        let name = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid";
        let mut bits: u64 = 0;
        let mut n = 0;
        let mut raw = Vec::new();
        for c in name.bytes() {
            let v = match c {
                b'a'..=b'z' => c - b'a',
                b'2'..=b'7' => c - b'2' + 26,
                _ => panic!("not base32"),
            };
            bits = (bits << 5) | u64::from(v);
            n += 5;
            if n >= 8 {
                n -= 8;
                raw.push((bits >> n) as u8);
            }
        }
        assert_eq!(raw.len(), 35);
        let key: [u8; 32] = raw[..32].try_into().unwrap();
        assert_eq!(super::onion_checksum(&key), [raw[32], raw[33]]);
        assert_eq!(raw[34], 3);
        let mut other = key;
        other[0] ^= 1;
        assert_ne!(super::onion_checksum(&other), [raw[32], raw[33]]);
    }
}
