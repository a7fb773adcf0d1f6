//! Descriptor checksums (BIP380; Core's `DescriptorChecksum`).

const INPUT_CHARSET: &str =
    "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
const CHECKSUM_CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn poly_mod(c: u64, val: u64) -> u64 {
    const GEN: [u64; 5] = [
        0xf5_dee5_1989,
        0xa9_fdca_3312,
        0x1b_ab10_e32d,
        0x37_06b1_677a,
        0x64_4d62_6ffd,
    ];
    let top = c >> 35;
    let mut c = ((c & 0x7_ffff_ffff) << 5) ^ val;
    for (i, g) in GEN.iter().enumerate() {
        if (top >> i) & 1 == 1 {
            c ^= g;
        }
    }
    c
}

/// The 8-character checksum of a descriptor (without `#`), or `None` when it
/// has a character outside the descriptor character set.
pub fn descriptor_checksum(desc: &str) -> Option<String> {
    let mut c: u64 = 1;
    let mut cls: u64 = 0;
    let mut count = 0;
    for ch in desc.chars() {
        let pos = INPUT_CHARSET.find(ch)? as u64;
        c = poly_mod(c, pos & 31);
        cls = cls * 3 + (pos >> 5);
        count += 1;
        if count == 3 {
            c = poly_mod(c, cls);
            cls = 0;
            count = 0;
        }
    }
    if count > 0 {
        c = poly_mod(c, cls);
    }
    for _ in 0..8 {
        c = poly_mod(c, 0);
    }
    c ^= 1;
    Some(
        (0..8)
            .map(|j| CHECKSUM_CHARSET[((c >> (5 * (7 - j))) & 31) as usize] as char)
            .collect(),
    )
}

/// Core's `CheckChecksum`: splits off and checks a `#checksum`, returning the
/// payload and its computed checksum.
pub fn check_checksum(s: &str, require: bool) -> Result<(&str, String), String> {
    let parts: Vec<&str> = s.split('#').collect();
    if parts.len() > 2 {
        return Err("Multiple '#' symbols".into());
    }
    if parts.len() == 1 && require {
        return Err("Missing checksum".into());
    }
    if parts.len() == 2 && parts[1].len() != 8 {
        return Err(format!(
            "Expected 8 character checksum, not {} characters",
            parts[1].len()
        ));
    }
    let Some(sum) = descriptor_checksum(parts[0]) else {
        return Err("Invalid characters in payload".into());
    };
    if parts.len() == 2 && parts[1] != sum {
        return Err(format!(
            "Provided checksum '{}' does not match computed checksum '{sum}'",
            parts[1]
        ));
    }
    Ok((parts[0], sum))
}

/// The descriptor with its checksum appended.
pub fn add_checksum(desc: &str) -> String {
    match descriptor_checksum(desc) {
        Some(sum) => format!("{desc}#{sum}"),
        None => desc.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_from_the_functional_tests() {
        assert_eq!(
            descriptor_checksum("wpkh(tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK/1/1/0)").as_deref(),
            Some("t6wfjs64")
        );
        assert_eq!(
            descriptor_checksum("wpkh(tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B/1/1/0)").as_deref(),
            Some("s9ga3alw")
        );
        assert_eq!(descriptor_checksum("raw(\u{e9})"), None);
    }

    #[test]
    fn checksum_errors_are_cores() {
        assert_eq!(check_checksum("a", true).unwrap_err(), "Missing checksum");
        assert_eq!(
            check_checksum("a#b#c", false).unwrap_err(),
            "Multiple '#' symbols"
        );
        assert_eq!(
            check_checksum("a#abc", false).unwrap_err(),
            "Expected 8 character checksum, not 3 characters"
        );
    }
}
