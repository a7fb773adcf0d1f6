//! Key expressions of output descriptors (Core's `PubkeyProvider`s): constant
//! keys (hex or WIF), extended keys with paths and ranges, and key origins.

use std::collections::BTreeMap;

use bitcoin::bip32::{ChildNumber, Xpriv, Xpub};
use bitcoin::hashes::{hash160, Hash};
use bitcoin::secp256k1::{PublicKey, Secp256k1};
use widecoin_chainparams::ChainParams;

use crate::key::{decode_ext_key, decode_ext_pubkey, decode_secret, encode_ext_pubkey, Secret};

/// Where a script expression sits (Core's `ParseScriptContext`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Top,
    P2sh,
    P2wpkh,
    P2wsh,
    P2tr,
}

/// The private keys met while parsing, by the HASH160 of their public key
/// (Core's `FlatSigningProvider::keys`).
#[derive(Debug, Clone, Default)]
pub struct SigningProvider {
    pub keys: BTreeMap<[u8; 20], Secret>,
}

impl SigningProvider {
    fn add(&mut self, pubkey: &[u8], secret: Secret) {
        self.keys
            .insert(hash160::Hash::hash(pubkey).to_byte_array(), secret);
    }

    fn get(&self, pubkey: &[u8]) -> Option<&Secret> {
        self.keys.get(&hash160::Hash::hash(pubkey).to_byte_array())
    }
}

/// Whether a ranged key derives unhardened or hardened children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeriveType {
    No,
    Unhardened,
    Hardened,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A fixed key; `xonly` when written as 32 bytes (or WIF) inside `tr()`.
    Const { pubkey: Vec<u8>, xonly: bool },
    /// An extended key, a path below it and maybe a final `*`.
    Bip32 {
        root: Xpub,
        path: Vec<u32>,
        derive: DeriveType,
    },
}

/// One key expression: an optional `[fingerprint/path]` origin and a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyExpr {
    origin: Option<([u8; 4], Vec<u32>)>,
    source: Source,
    /// Whether hardened steps are written `'` rather than `h`.
    apostrophe: bool,
}

const HARDENED: u32 = 0x8000_0000;

/// Core's `FormatHDKeypath`.
pub fn format_path(path: &[u32], apostrophe: bool) -> String {
    let mut s = String::new();
    for &p in path {
        s.push('/');
        s.push_str(&(p & !HARDENED).to_string());
        if p & HARDENED != 0 {
            s.push(if apostrophe { '\'' } else { 'h' });
        }
    }
    s
}

fn is_hex(s: &str) -> bool {
    s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Parses one path element (`12`, `12h`, `12'`); `apostrophe` follows a hardened one.
fn parse_path_elem(elem: &str, apostrophe: &mut bool) -> Result<u32, String> {
    let (num, hardened) = match elem.strip_suffix(['\'', 'h']) {
        Some(n) => {
            *apostrophe = elem.ends_with('\'');
            (n, true)
        }
        None => (elem, false),
    };
    let p: u32 =
        parse_u32(num).ok_or_else(|| format!("Key path value '{num}' is not a valid uint32"))?;
    if p > 0x7FFF_FFFF {
        return Err(format!("Key path value {p} is out of range"));
    }
    Ok(p | if hardened { HARDENED } else { 0 })
}

/// Parses path elements (Core's `ParseKeyPath`); `apostrophe` follows the last hardened one.
fn parse_path(elems: &[&str], apostrophe: &mut bool) -> Result<Vec<u32>, String> {
    elems
        .iter()
        .map(|elem| parse_path_elem(elem, apostrophe))
        .collect()
}

/// Parses path elements that may hold one BIP389 multipath group `<a;b;...>`
/// (Bitcoin Core v27's `ParseKeyPath` with `allow_multipath`): one path per
/// value of the group, or the single path when there is none.
fn parse_multipath(elems: &[&str], apostrophe: &mut bool) -> Result<Vec<Vec<u32>>, String> {
    let mut path = Vec::with_capacity(elems.len());
    // The index of the group in the path and its values.
    let mut group: Option<(usize, Vec<u32>)> = None;
    for elem in elems {
        let inner = elem.strip_prefix('<').and_then(|e| e.strip_suffix('>'));
        let Some(inner) = inner else {
            path.push(parse_path_elem(elem, apostrophe)?);
            continue;
        };
        if group.is_some() {
            return Err("Multiple multipath key path specifiers found".into());
        }
        let nums: Vec<&str> = inner.split(';').collect();
        if nums.len() < 2 {
            return Err("Multipath key path specifiers must have at least two items".into());
        }
        let mut values: Vec<u32> = Vec::with_capacity(nums.len());
        for num in nums {
            let v = parse_path_elem(num, apostrophe)?;
            if values.contains(&v) {
                return Err(format!(
                    "Duplicated key path value {v} in multipath specifier"
                ));
            }
            values.push(v);
        }
        group = Some((path.len(), values));
        path.push(0);
    }
    Ok(match group {
        None => vec![path],
        Some((at, values)) => values
            .into_iter()
            .map(|v| {
                let mut p = path.clone();
                p[at] = v;
                p
            })
            .collect(),
    })
}

/// Core's `ParseUInt32`: decimal digits, an optional `+`, nothing else.
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn parse_inner(
    s: &str,
    ctx: Context,
    params: &ChainParams,
    out: &mut SigningProvider,
    apostrophe: &mut bool,
    multipath: bool,
) -> Result<Vec<Source>, String> {
    let permit_uncompressed = matches!(ctx, Context::Top | Context::P2sh);
    let mut split: Vec<&str> = s.split('/').collect();
    let first = split[0];
    if first.is_empty() {
        return Err("No key provided".into());
    }
    if split.len() == 1 {
        if is_hex(first) {
            let data = hex::decode(first).expect("checked hex");
            let valid_size = crate::address::pubkey_valid_size(&data);
            if valid_size && matches!(data[0], 6 | 7) {
                return Err("Hybrid public keys are not allowed".into());
            }
            if valid_size && PublicKey::from_slice(&data).is_ok() {
                if permit_uncompressed || data.len() == 33 {
                    return Ok(vec![Source::Const {
                        pubkey: data,
                        xonly: false,
                    }]);
                }
                return Err("Uncompressed keys are not allowed".into());
            } else if data.len() == 32 && ctx == Context::P2tr {
                let mut full = vec![2u8];
                full.extend_from_slice(&data);
                if PublicKey::from_slice(&full).is_ok() {
                    return Ok(vec![Source::Const {
                        pubkey: full,
                        xonly: true,
                    }]);
                }
            }
            return Err(format!("Pubkey '{first}' is invalid"));
        }
        if let Some(secret) = decode_secret(first, params) {
            if permit_uncompressed || secret.compressed {
                let pubkey = secret.pubkey_bytes();
                out.add(&pubkey, secret);
                return Ok(vec![Source::Const {
                    pubkey,
                    xonly: ctx == Context::P2tr,
                }]);
            }
            return Err("Uncompressed keys are not allowed".into());
        }
    }
    let xprv = decode_ext_key(first, params);
    let root = match (&xprv, decode_ext_pubkey(first, params)) {
        (Some(xprv), _) => Xpub::from_priv(&Secp256k1::signing_only(), xprv),
        (None, Some(xpub)) => xpub,
        (None, None) => return Err(format!("key '{first}' is not valid")),
    };
    let mut derive = DeriveType::No;
    match split.last().copied() {
        Some("*") => {
            split.pop();
            derive = DeriveType::Unhardened;
        }
        Some(last @ ("*'" | "*h")) => {
            *apostrophe = last == "*'";
            split.pop();
            derive = DeriveType::Hardened;
        }
        _ => {}
    }
    let paths = if multipath {
        parse_multipath(&split[1..], apostrophe)?
    } else {
        vec![parse_path(&split[1..], apostrophe)?]
    };
    if let Some(xprv) = xprv {
        out.add(
            &root.public_key.serialize(),
            Secret {
                key: xprv.private_key,
                compressed: true,
            },
        );
    }
    Ok(paths
        .into_iter()
        .map(|path| Source::Bip32 { root, path, derive })
        .collect())
}

impl KeyExpr {
    /// Parses a key expression with its origin (Core's `ParsePubkey`).
    pub fn parse(
        s: &str,
        ctx: Context,
        params: &ChainParams,
        out: &mut SigningProvider,
    ) -> Result<KeyExpr, String> {
        let mut keys = KeyExpr::parse_multi(s, ctx, params, out, false)?;
        Ok(keys.remove(0))
    }

    /// Parses a key expression with its origin; with `multipath`, an
    /// extended key's path may hold one BIP389 group `<a;b;...>` (Bitcoin
    /// Core v27), which gives one key per value, in order. Without it the
    /// result is always one key.
    pub fn parse_multi(
        s: &str,
        ctx: Context,
        params: &ChainParams,
        out: &mut SigningProvider,
        multipath: bool,
    ) -> Result<Vec<KeyExpr>, String> {
        let parts: Vec<&str> = s.split(']').collect();
        if parts.len() > 2 {
            return Err("Multiple ']' characters found for a single pubkey".into());
        }
        let mut apostrophe = false;
        if parts.len() == 1 {
            let sources = parse_inner(parts[0], ctx, params, out, &mut apostrophe, multipath)?;
            return Ok(sources
                .into_iter()
                .map(|source| KeyExpr {
                    origin: None,
                    source,
                    apostrophe,
                })
                .collect());
        }
        let Some(origin) = parts[0].strip_prefix('[') else {
            return Err(format!(
                "Key origin start '[ character expected but not found, got '{}' instead",
                parts[0].chars().next().unwrap_or(']')
            ));
        };
        let elems: Vec<&str> = origin.split('/').collect();
        if elems[0].len() != 8 {
            return Err(format!(
                "Fingerprint is not 4 bytes ({} characters instead of 8 characters)",
                elems[0].len()
            ));
        }
        if !is_hex(elems[0]) {
            return Err(format!("Fingerprint '{}' is not hex", elems[0]));
        }
        let fingerprint: [u8; 4] = hex::decode(elems[0])
            .expect("checked hex")
            .try_into()
            .expect("8 hex digits");
        let mut origin_path = Vec::with_capacity(elems.len() - 1);
        for elem in &elems[1..] {
            // No multipath group in the origin (Core v27's `allow_multipath` false).
            if multipath && elem.starts_with('<') && elem.ends_with('>') {
                return Err(format!(
                    "Key path value '{elem}' specifies multipath in a section where multipath is not allowed"
                ));
            }
            origin_path.push(parse_path_elem(elem, &mut apostrophe)?);
        }
        let sources = parse_inner(parts[1], ctx, params, out, &mut apostrophe, multipath)?;
        Ok(sources
            .into_iter()
            .map(|source| KeyExpr {
                origin: Some((fingerprint, origin_path.clone())),
                source,
                apostrophe,
            })
            .collect())
    }

    /// A constant key, as inferred from a script.
    pub fn constant(pubkey: Vec<u8>, xonly: bool) -> KeyExpr {
        KeyExpr {
            origin: None,
            source: Source::Const { pubkey, xonly },
            apostrophe: false,
        }
    }

    /// A constant key with a `[fingerprint/path]` origin (Core's
    /// `OriginPubkeyProvider` around a `ConstPubkeyProvider`, written with `h`).
    pub fn with_origin(pubkey: Vec<u8>, fingerprint: [u8; 4], path: Vec<u32>) -> KeyExpr {
        KeyExpr {
            origin: Some((fingerprint, path)),
            source: Source::Const {
                pubkey,
                xonly: false,
            },
            apostrophe: false,
        }
    }

    /// The origin of the key at `pos` (the `KeyOriginInfo` of Core's
    /// `GetPubKey`): an extended key's own fingerprint and path (with the
    /// position), or a constant key's own fingerprint, behind the written
    /// origin if any.
    pub fn origin_at(&self, pos: u32) -> Option<([u8; 4], Vec<u32>)> {
        let own = match &self.source {
            // Core's `ConstPubkeyProvider`: the key's own fingerprint (the
            // first bytes of its HASH160), no path.
            Source::Const { pubkey, .. } => {
                let full = if pubkey.len() == 32 {
                    [&[0x02][..], pubkey].concat()
                } else {
                    pubkey.clone()
                };
                let id = hash160::Hash::hash(&full).to_byte_array();
                Some(([id[0], id[1], id[2], id[3]], Vec::new()))
            }
            Source::Bip32 { root, path, derive } => {
                let mut p = path.clone();
                match derive {
                    DeriveType::No => {}
                    DeriveType::Unhardened => p.push(pos),
                    DeriveType::Hardened => p.push(pos | HARDENED),
                }
                Some((root.fingerprint().to_bytes(), p))
            }
        };
        match (&self.origin, own) {
            (Some((fp, path)), Some((_, p))) => {
                let mut full = path.clone();
                full.extend(p);
                Some((*fp, full))
            }
            (Some(o), None) => Some(o.clone()),
            (None, own) => own,
        }
    }

    /// The private key at `pos` when `provider` holds the key's secret (a
    /// WIF key, or an extended private key derived along the path).
    pub fn secret_at(&self, pos: u32, provider: &SigningProvider) -> Option<Secret> {
        match &self.source {
            Source::Const {
                pubkey,
                xonly: false,
            } => provider.get(pubkey).copied(),
            Source::Const { .. } => None,
            Source::Bip32 { root, path, derive } => {
                let secret = provider.get(&root.public_key.serialize())?;
                let mut full: Vec<ChildNumber> =
                    path.iter().map(|&p| ChildNumber::from(p)).collect();
                match derive {
                    DeriveType::No => {}
                    DeriveType::Unhardened => full.push(ChildNumber::from(pos)),
                    DeriveType::Hardened => full.push(ChildNumber::from(pos | HARDENED)),
                }
                let xprv = Xpriv {
                    network: root.network,
                    depth: root.depth,
                    parent_fingerprint: root.parent_fingerprint,
                    child_number: root.child_number,
                    private_key: secret.key,
                    chain_code: root.chain_code,
                };
                let derived = xprv.derive_priv(&Secp256k1::new(), &full).ok()?;
                Some(Secret {
                    key: derived.private_key,
                    compressed: true,
                })
            }
        }
    }

    /// Whether the key differs by position (ends in `*`).
    pub fn is_range(&self) -> bool {
        matches!(&self.source, Source::Bip32 { derive, .. } if *derive != DeriveType::No)
    }

    /// The size of the keys this gives (33 or 65 bytes).
    pub fn size(&self) -> usize {
        match &self.source {
            Source::Const { pubkey, .. } => pubkey.len(),
            Source::Bip32 { .. } => 33,
        }
    }

    /// The public key at `pos` (Core's `GetPubKey`); `None` when hardened
    /// derivation needs a private key that is not in `provider`.
    pub fn pubkey(&self, pos: u32, provider: &SigningProvider) -> Option<Vec<u8>> {
        let (root, path, derive) = match &self.source {
            Source::Const { pubkey, .. } => return Some(pubkey.clone()),
            Source::Bip32 { root, path, derive } => (root, path, *derive),
        };
        let mut full: Vec<ChildNumber> = path.iter().map(|&p| ChildNumber::from(p)).collect();
        match derive {
            DeriveType::No => {}
            DeriveType::Unhardened => full.push(ChildNumber::from(pos)),
            DeriveType::Hardened => full.push(ChildNumber::from(pos | HARDENED)),
        }
        let hardened = full.iter().any(|c| c.is_hardened());
        if !hardened {
            let secp = Secp256k1::verification_only();
            return Some(
                root.derive_pub(&secp, &full)
                    .ok()?
                    .public_key
                    .serialize()
                    .to_vec(),
            );
        }
        let secret = provider.get(&root.public_key.serialize())?;
        let xprv = Xpriv {
            network: root.network,
            depth: root.depth,
            parent_fingerprint: root.parent_fingerprint,
            child_number: root.child_number,
            private_key: secret.key,
            chain_code: root.chain_code,
        };
        let secp = Secp256k1::new();
        let derived = xprv.derive_priv(&secp, &full).ok()?;
        Some(
            PublicKey::from_secret_key(&secp, &derived.private_key)
                .serialize()
                .to_vec(),
        )
    }

    /// The public form (Core's `ToString`).
    pub fn to_string(&self, params: &ChainParams) -> String {
        let inner = match &self.source {
            Source::Const { pubkey, xonly } => {
                let h = hex::encode(pubkey);
                if *xonly {
                    h[2..].to_string()
                } else {
                    h
                }
            }
            Source::Bip32 { root, path, derive } => {
                let mut s = encode_ext_pubkey(root, params) + &format_path(path, self.apostrophe);
                if *derive != DeriveType::No {
                    s.push_str("/*");
                }
                if *derive == DeriveType::Hardened {
                    s.push(if self.apostrophe { '\'' } else { 'h' });
                }
                s
            }
        };
        match &self.origin {
            Some((fp, path)) => format!(
                "[{}{}]{inner}",
                hex::encode(fp),
                format_path(path, self.apostrophe)
            ),
            None => inner,
        }
    }
}
