//! Output script descriptors (BIP380-386; Core's `script/descriptor.cpp`):
//! parsing with Core's error messages, the canonical public string, scripts at
//! a position, and inference of a descriptor from a script. [`parse_multipath`]
//! also takes BIP389 multipath keys (`xpub.../<0;1>/*`) as Bitcoin Core v27
//! does, an extension of Widecoin Core 6.0 (docs/differences.md).
//!
//! Parsed here rather than with the `miniscript` crate because `addr()`,
//! `raw()` and `combo()` and every key must use Widecoin's prefixes and HRPs,
//! and Core's error messages are part of the RPC interface. Miniscript
//! fragments other than the descriptor functions are not supported yet.

pub mod checksum;
pub mod key;
mod ms;

use std::collections::BTreeMap;

use bitcoin::hashes::{hash160, Hash};
use bitcoin::key::XOnlyPublicKey;
use bitcoin::secp256k1::Secp256k1;
use bitcoin::taproot::{LeafVersion, TaprootBuilder};
use bitcoin::ScriptBuf;
use widecoin_chainparams::ChainParams;

use crate::key::Secret;
use widecoin_consensus::asm::push_int;
use widecoin_consensus::opcodes::{OP_CHECKMULTISIG, OP_CHECKSIG, OP_CHECKSIGADD, OP_NUMEQUAL};
use widecoin_consensus::script::push_data;

use crate::address::{
    decode_destination, encode_destination, extract_destination, script_for_destination, solver,
    Destination, TxoutType,
};
pub use checksum::{add_checksum, check_checksum, descriptor_checksum};
pub use key::{Context, KeyExpr, SigningProvider};
pub use ms::MsDesc;

/// Core's `MAX_PUBKEYS_PER_MULTISIG`.
const MAX_PUBKEYS_PER_MULTISIG: usize = 20;
/// Core's `MAX_PUBKEYS_PER_MULTI_A`.
const MAX_PUBKEYS_PER_MULTI_A: usize = 999;
/// Core's `MAX_SCRIPT_ELEMENT_SIZE`.
const MAX_SCRIPT_ELEMENT_SIZE: usize = 520;
/// Core's `TAPROOT_CONTROL_MAX_NODE_COUNT`.
const TAPROOT_CONTROL_MAX_NODE_COUNT: usize = 128;

/// The address kinds of Core's `OutputType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputType {
    Legacy,
    P2shSegwit,
    Bech32,
    Bech32m,
}

impl OutputType {
    /// Core's `ParseOutputType`.
    pub fn parse(s: &str) -> Option<OutputType> {
        match s {
            "legacy" => Some(OutputType::Legacy),
            "p2sh-segwit" => Some(OutputType::P2shSegwit),
            "bech32" => Some(OutputType::Bech32),
            "bech32m" => Some(OutputType::Bech32m),
            _ => None,
        }
    }

    /// Core's `OutputTypeFromDestination`.
    pub fn of_destination(dest: &Destination) -> Option<OutputType> {
        match dest {
            Destination::PubKeyHash(_) | Destination::ScriptHash(_) => Some(OutputType::Legacy),
            Destination::WitnessV0KeyHash(_) | Destination::WitnessV0ScriptHash(_) => {
                Some(OutputType::Bech32)
            }
            Destination::WitnessV1Taproot(_) | Destination::WitnessUnknown { .. } => {
                Some(OutputType::Bech32m)
            }
            Destination::NoDestination | Destination::PubKey(_) => None,
        }
    }
}

/// One script expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Desc {
    /// `pk(KEY)`; `xonly` inside `tr()`.
    Pk {
        key: KeyExpr,
        xonly: bool,
    },
    Pkh(KeyExpr),
    Wpkh(KeyExpr),
    Combo(KeyExpr),
    /// `multi`/`sortedmulti`.
    Multi {
        threshold: u32,
        keys: Vec<KeyExpr>,
        sorted: bool,
    },
    /// `multi_a`/`sortedmulti_a` (tapscript).
    MultiA {
        threshold: u32,
        keys: Vec<KeyExpr>,
        sorted: bool,
    },
    Sh(Box<Desc>),
    Wsh(Box<Desc>),
    Addr(Destination),
    Raw(Vec<u8>),
    /// `tr(KEY,TREE)`: the leaves in depth-first order with their depths.
    Tr {
        internal: KeyExpr,
        leaves: Vec<(u8, Desc)>,
    },
    RawTr(KeyExpr),
    /// A miniscript inside `wsh()` or `tr()`.
    Miniscript(MsDesc),
}

/// `Expr`: the text up to the first `,`, `)` or `}` outside brackets.
fn expr<'a>(sp: &mut &'a str) -> &'a str {
    let mut level = 0;
    let mut end = sp.len();
    for (i, c) in sp.char_indices() {
        match c {
            '(' | '{' => level += 1,
            ')' | '}' if level > 0 => level -= 1,
            ')' | '}' | ',' if level == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let (ret, rest) = sp.split_at(end);
    *sp = rest;
    ret
}

/// `Func`: `name(...)` gives the inside.
fn func<'a>(name: &str, sp: &'a str) -> Option<&'a str> {
    sp.strip_prefix(name)?.strip_prefix('(')?.strip_suffix(')')
}

/// `Const`: consumes `c` at the front.
fn konst(c: &str, sp: &mut &str) -> bool {
    match sp.strip_prefix(c) {
        Some(rest) => {
            *sp = rest;
            true
        }
        None => false,
    }
}

fn first_char(s: &str) -> char {
    s.chars().next().unwrap_or('\0')
}

struct Parser<'p> {
    params: &'p ChainParams,
    out: SigningProvider,
    /// Whether keys may hold BIP389 multipath groups (Bitcoin Core v27).
    multipath: bool,
}

/// Lines up lists of multipath expansions (Bitcoin Core v27): every list
/// has one entry, repeated here, or the same number as the longest; gives
/// one row per expansion with an entry of each list, or `None` when the
/// lengths differ.
fn line_up<T: Clone>(lists: Vec<Vec<T>>) -> Option<Vec<Vec<T>>> {
    let n = lists.iter().map(Vec::len).max().unwrap_or(1);
    if lists.iter().any(|l| l.len() != 1 && l.len() != n) {
        return None;
    }
    Some(
        (0..n)
            .map(|i| {
                lists
                    .iter()
                    .map(|l| l[if l.len() == 1 { 0 } else { i }].clone())
                    .collect()
            })
            .collect(),
    )
}

impl Parser<'_> {
    /// A key expression: one key, or one per path of a multipath group.
    fn key(&mut self, s: &str, ctx: Context) -> Result<Vec<KeyExpr>, String> {
        KeyExpr::parse_multi(s, ctx, self.params, &mut self.out, self.multipath)
    }

    /// Core's `ParseScript`; an empty error means a failure without a
    /// message. Gives one descriptor, or one per multipath expansion.
    fn script(&mut self, sp: &mut &str, ctx: Context) -> Result<Vec<Desc>, String> {
        use Context::*;
        let e = expr(sp);
        if let Some(inner) = func("pk", e) {
            let keys = self.key(inner, ctx).map_err(|e| format!("pk(): {e}"))?;
            return Ok(keys
                .into_iter()
                .map(|key| Desc::Pk {
                    key,
                    xonly: ctx == P2tr,
                })
                .collect());
        }
        if let Some(inner) = func("pkh", e) {
            if matches!(ctx, Top | P2sh | P2wsh) {
                let keys = self.key(inner, ctx).map_err(|e| format!("pkh(): {e}"))?;
                return Ok(keys.into_iter().map(Desc::Pkh).collect());
            }
            if ctx != P2tr {
                return Err("Can only have pkh at top level, in sh(), wsh(), or in tr()".into());
            }
        }
        if let Some(inner) = func("combo", e) {
            if ctx != Top {
                return Err("Can only have combo() at top level".into());
            }
            let keys = self.key(inner, ctx).map_err(|e| format!("combo(): {e}"))?;
            return Ok(keys.into_iter().map(Desc::Combo).collect());
        }
        let multi = [
            ("multi", false, false),
            ("sortedmulti", true, false),
            ("multi_a", false, true),
            ("sortedmulti_a", true, true),
        ]
        .into_iter()
        .find_map(|(name, sorted, tap)| func(name, e).map(|inner| (inner, sorted, tap)));
        if let Some((mut inner, sorted, tap)) = multi {
            let allowed = if tap {
                ctx == P2tr
            } else {
                matches!(ctx, Top | P2sh | P2wsh)
            };
            if !allowed {
                return Err(if tap {
                    "Can only have multi_a/sortedmulti_a inside tr()".into()
                } else {
                    "Can only have multi/sortedmulti at top level, in sh(), or in wsh()".into()
                });
            }
            let threshold = expr(&mut inner);
            let thres = key::parse_u32(threshold)
                .ok_or_else(|| format!("Multi threshold '{threshold}' is not valid"))?;
            let mut keys = Vec::new();
            let mut script_size = 0;
            while !inner.is_empty() {
                if !konst(",", &mut inner) {
                    return Err(format!("Multi: expected ',', got '{}'", first_char(inner)));
                }
                let arg = expr(&mut inner);
                let k = self.key(arg, ctx).map_err(|e| format!("Multi: {e}"))?;
                script_size += k[0].size() + 1;
                keys.push(k);
            }
            if !tap && (keys.is_empty() || keys.len() > MAX_PUBKEYS_PER_MULTISIG) {
                return Err(format!("Cannot have {} keys in multisig; must have between 1 and {MAX_PUBKEYS_PER_MULTISIG} keys, inclusive", keys.len()));
            }
            if tap && (keys.is_empty() || keys.len() > MAX_PUBKEYS_PER_MULTI_A) {
                return Err(format!("Cannot have {} keys in multi_a; must have between 1 and {MAX_PUBKEYS_PER_MULTI_A} keys, inclusive", keys.len()));
            }
            if thres < 1 {
                return Err(format!(
                    "Multisig threshold cannot be {thres}, must be at least 1"
                ));
            }
            if thres as usize > keys.len() {
                return Err(format!("Multisig threshold cannot be larger than the number of keys; threshold is {thres} but only {} keys specified", keys.len()));
            }
            if ctx == Top && keys.len() > 3 {
                return Err(format!(
                    "Cannot have {} pubkeys in bare multisig; only at most 3 pubkeys",
                    keys.len()
                ));
            }
            if ctx == P2sh && script_size + 3 > MAX_SCRIPT_ELEMENT_SIZE {
                return Err(format!(
                    "P2SH script is too large, {} bytes is larger than {MAX_SCRIPT_ELEMENT_SIZE} bytes",
                    script_size + 3
                ));
            }
            let rows = line_up(keys).ok_or_else(|| {
                "multi(): Multipath derivation paths have mismatched lengths".to_string()
            })?;
            return Ok(rows
                .into_iter()
                .map(|keys| {
                    if tap {
                        Desc::MultiA {
                            threshold: thres,
                            keys,
                            sorted,
                        }
                    } else {
                        Desc::Multi {
                            threshold: thres,
                            keys,
                            sorted,
                        }
                    }
                })
                .collect());
        }
        if let Some(inner) = func("wpkh", e) {
            if !matches!(ctx, Top | P2sh) {
                return Err("Can only have wpkh() at top level or inside sh()".into());
            }
            let keys = self
                .key(inner, P2wpkh)
                .map_err(|e| format!("wpkh(): {e}"))?;
            return Ok(keys.into_iter().map(Desc::Wpkh).collect());
        }
        if let Some(mut inner) = func("sh", e) {
            if ctx != Top {
                return Err("Can only have sh() at top level".into());
            }
            let sub = self.script(&mut inner, P2sh)?;
            if !inner.is_empty() {
                return Err(String::new());
            }
            return Ok(sub.into_iter().map(|d| Desc::Sh(Box::new(d))).collect());
        }
        if let Some(mut inner) = func("wsh", e) {
            if !matches!(ctx, Top | P2sh) {
                return Err("Can only have wsh() at top level or inside sh()".into());
            }
            let sub = self.script(&mut inner, P2wsh)?;
            if !inner.is_empty() {
                return Err(String::new());
            }
            return Ok(sub.into_iter().map(|d| Desc::Wsh(Box::new(d))).collect());
        }
        if let Some(inner) = func("addr", e) {
            if ctx != Top {
                return Err("Can only have addr() at top level".into());
            }
            let dest =
                decode_destination(inner, self.params).map_err(|_| "Address is not valid")?;
            return Ok(vec![Desc::Addr(dest)]);
        }
        if let Some(mut inner) = func("tr", e) {
            if ctx != Top {
                return Err("Can only have tr at top level".into());
            }
            let arg = expr(&mut inner);
            let internal = self.key(arg, P2tr).map_err(|e| format!("tr(): {e}"))?;
            let mut leaves: Vec<(u8, Vec<Desc>)> = Vec::new();
            if !inner.is_empty() {
                if !konst(",", &mut inner) {
                    return Err(format!("tr: expected ',', got '{}'", first_char(inner)));
                }
                // The path from the root: false on a left branch, true on a right one.
                let mut branches: Vec<bool> = Vec::new();
                loop {
                    while konst("{", &mut inner) {
                        branches.push(false);
                        if branches.len() > TAPROOT_CONTROL_MAX_NODE_COUNT {
                            return Err(format!(
                                "tr() supports at most {TAPROOT_CONTROL_MAX_NODE_COUNT} nesting levels"
                            ));
                        }
                    }
                    let mut sarg = expr(&mut inner);
                    let leaf = self.script(&mut sarg, P2tr)?;
                    leaves.push((branches.len() as u8, leaf));
                    while branches.last() == Some(&true) {
                        if !konst("}", &mut inner) {
                            return Err("tr(): expected '}' after script expression".into());
                        }
                        branches.pop();
                    }
                    if let Some(last) = branches.last_mut() {
                        if !konst(",", &mut inner) {
                            return Err("tr(): expected ',' after script expression".into());
                        }
                        *last = true;
                    }
                    if branches.is_empty() {
                        break;
                    }
                }
                if !inner.is_empty() {
                    return Err("tr(): expected ')' after script expression".into());
                }
            }
            let depths: Vec<u8> = leaves.iter().map(|(d, _)| *d).collect();
            let n = leaves
                .iter()
                .map(|(_, l)| l.len())
                .max()
                .unwrap_or(1)
                .max(internal.len());
            let mut lists: Vec<Vec<Desc>> = leaves.into_iter().map(|(_, l)| l).collect();
            if lists.iter().any(|l| l.len() != 1 && l.len() != n) {
                return Err("tr(): Multipath subscripts have mismatched lengths".into());
            }
            if internal.len() > 1 && internal.len() != n {
                return Err(
                    "tr(): Multipath internal key mismatches multipath subscripts lengths".into(),
                );
            }
            // The internal key goes last in each row.
            lists.push(internal.into_iter().map(Desc::RawTr).collect());
            let rows = line_up(lists).expect("lengths checked");
            return Ok(rows
                .into_iter()
                .map(|mut row| {
                    let Some(Desc::RawTr(internal)) = row.pop() else {
                        unreachable!("the internal key is last")
                    };
                    Desc::Tr {
                        internal,
                        leaves: depths.iter().copied().zip(row).collect(),
                    }
                })
                .collect());
        }
        if let Some(mut inner) = func("rawtr", e) {
            if ctx != Top {
                return Err("Can only have rawtr at top level".into());
            }
            let arg = expr(&mut inner);
            if !inner.is_empty() {
                return Err("rawtr(): only one key expected.".into());
            }
            return Ok(self.key(arg, P2tr)?.into_iter().map(Desc::RawTr).collect());
        }
        if let Some(inner) = func("raw", e) {
            if ctx != Top {
                return Err("Can only have raw() at top level".into());
            }
            if inner.len() % 2 != 0 || !inner.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err("Raw script is not hex".into());
            }
            return Ok(vec![Desc::Raw(hex::decode(inner).expect("checked hex"))]);
        }
        if let Some(ms) = MsDesc::parse(e, ctx, self.params, &mut self.out, self.multipath) {
            return ms.map(|all| all.into_iter().map(Desc::Miniscript).collect());
        }
        match ctx {
            P2sh => Err("A function is needed within P2SH".into()),
            P2wsh => Err("A function is needed within P2WSH".into()),
            _ => Err(format!("'{e}' is not a valid descriptor function")),
        }
    }
}

/// A key's origin: the master key's fingerprint and the derivation path.
pub type KeyOrigin = ([u8; 4], Vec<u32>);

/// A parsed descriptor and the private keys it contained.
#[derive(Debug, Clone)]
pub struct Descriptor {
    pub desc: Desc,
    pub provider: SigningProvider,
}

/// Core's `Parse`: checks an optional (or required) checksum and parses.
/// Multipath groups are not accepted here (Widecoin Core 6.0's parser); see
/// [`parse_multipath`].
pub fn parse(s: &str, params: &ChainParams, require_checksum: bool) -> Result<Descriptor, String> {
    let mut all = parse_with(s, params, require_checksum, false)?;
    Ok(all.remove(0))
}

/// Bitcoin Core v27's `Parse` (BIP389): as [`parse`], but an extended key
/// may hold one multipath group `<a;b;...>`, and the result is one
/// descriptor per path, in the group's order (all groups of a descriptor
/// have the same length). Without a group the result is one descriptor,
/// the same as [`parse`] gives.
pub fn parse_multipath(
    s: &str,
    params: &ChainParams,
    require_checksum: bool,
) -> Result<Vec<Descriptor>, String> {
    parse_with(s, params, require_checksum, true)
}

fn parse_with(
    s: &str,
    params: &ChainParams,
    require_checksum: bool,
    multipath: bool,
) -> Result<Vec<Descriptor>, String> {
    let (mut sp, _) = check_checksum(s, require_checksum)?;
    let mut parser = Parser {
        params,
        out: SigningProvider::default(),
        multipath,
    };
    let descs = parser.script(&mut sp, Context::Top)?;
    if !sp.is_empty() || descs.is_empty() {
        return Err(String::new());
    }
    Ok(descs
        .into_iter()
        .map(|desc| Descriptor {
            desc,
            provider: parser.out.clone(),
        })
        .collect())
}

/// Core's `GetDescriptorChecksum`: the checksum of a descriptor (checking a
/// given one), or an empty string.
pub fn get_descriptor_checksum(s: &str) -> String {
    check_checksum(s, false).map(|(_, c)| c).unwrap_or_default()
}

fn p2pk(pk: &[u8]) -> Vec<u8> {
    let mut s = Vec::with_capacity(pk.len() + 2);
    push_data(&mut s, pk);
    s.push(OP_CHECKSIG);
    s
}

/// Core's `GetScriptForMultisig`.
pub fn multisig_script(threshold: u32, keys: &[Vec<u8>]) -> Vec<u8> {
    let mut s = Vec::new();
    push_int(&mut s, i64::from(threshold));
    for k in keys {
        push_data(&mut s, k);
    }
    push_int(&mut s, keys.len() as i64);
    s.push(OP_CHECKMULTISIG);
    s
}

fn multi_a_script(threshold: u32, keys: &[Vec<u8>]) -> Vec<u8> {
    let mut s = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        push_data(&mut s, k);
        s.push(if i == 0 { OP_CHECKSIG } else { OP_CHECKSIGADD });
    }
    push_int(&mut s, i64::from(threshold));
    s.push(OP_NUMEQUAL);
    s
}

fn xonly(pk: &[u8]) -> Vec<u8> {
    pk[1..33].to_vec()
}

impl Desc {
    /// Whether any key is ranged.
    pub fn is_range(&self) -> bool {
        match self {
            Desc::Pk { key, .. }
            | Desc::Pkh(key)
            | Desc::Wpkh(key)
            | Desc::Combo(key)
            | Desc::RawTr(key) => key.is_range(),
            Desc::Multi { keys, .. } | Desc::MultiA { keys, .. } => {
                keys.iter().any(KeyExpr::is_range)
            }
            Desc::Sh(sub) | Desc::Wsh(sub) => sub.is_range(),
            Desc::Addr(_) | Desc::Raw(_) => false,
            Desc::Miniscript(ms) => ms.is_range(),
            Desc::Tr { internal, leaves } => {
                internal.is_range() || leaves.iter().any(|(_, l)| l.is_range())
            }
        }
    }

    /// Whether the descriptor has the information needed to sign (false for `addr()` and `raw()`).
    pub fn is_solvable(&self) -> bool {
        match self {
            Desc::Addr(_) | Desc::Raw(_) => false,
            Desc::Sh(sub) | Desc::Wsh(sub) => sub.is_solvable(),
            Desc::Tr { leaves, .. } => leaves.iter().all(|(_, l)| l.is_solvable()),
            _ => true,
        }
    }

    /// Core's `GetOutputType`.
    pub fn output_type(&self) -> Option<OutputType> {
        match self {
            Desc::Pkh(_) => Some(OutputType::Legacy),
            Desc::Wpkh(_) | Desc::Wsh(_) => Some(OutputType::Bech32),
            Desc::Sh(sub) => Some(match **sub {
                Desc::Wpkh(_) | Desc::Wsh(_) => OutputType::P2shSegwit,
                _ => OutputType::Legacy,
            }),
            Desc::Tr { .. } | Desc::RawTr(_) => Some(OutputType::Bech32m),
            Desc::Addr(dest) => OutputType::of_destination(dest),
            Desc::Raw(script) => OutputType::of_destination(&extract_destination(script)),
            Desc::Pk { .. }
            | Desc::Combo(_)
            | Desc::Multi { .. }
            | Desc::MultiA { .. }
            | Desc::Miniscript(_) => None,
        }
    }

    /// The public string without checksum (Core's `ToString`).
    pub fn to_string(&self, params: &ChainParams) -> String {
        let keys = |keys: &[KeyExpr]| -> String {
            keys.iter()
                .map(|k| format!(",{}", k.to_string(params)))
                .collect()
        };
        match self {
            Desc::Pk { key, .. } => format!("pk({})", key.to_string(params)),
            Desc::Pkh(key) => format!("pkh({})", key.to_string(params)),
            Desc::Wpkh(key) => format!("wpkh({})", key.to_string(params)),
            Desc::Combo(key) => format!("combo({})", key.to_string(params)),
            Desc::RawTr(key) => format!("rawtr({})", key.to_string(params)),
            Desc::Multi {
                threshold,
                keys: k,
                sorted,
            } => format!(
                "{}multi({threshold}{})",
                if *sorted { "sorted" } else { "" },
                keys(k)
            ),
            Desc::MultiA {
                threshold,
                keys: k,
                sorted,
            } => format!(
                "{}multi_a({threshold}{})",
                if *sorted { "sorted" } else { "" },
                keys(k)
            ),
            Desc::Sh(sub) => format!("sh({})", sub.to_string(params)),
            Desc::Wsh(sub) => format!("wsh({})", sub.to_string(params)),
            Desc::Addr(dest) => format!(
                "addr({})",
                encode_destination(dest, params).unwrap_or_default()
            ),
            Desc::Raw(script) => format!("raw({})", hex::encode(script)),
            Desc::Miniscript(ms) => ms.to_string(params),
            Desc::Tr { internal, leaves } => {
                let mut s = format!("tr({}", internal.to_string(params));
                if !leaves.is_empty() {
                    s.push(',');
                    // Rebuild the braces from the depths: a stack of "in the right branch".
                    let mut path: Vec<bool> = Vec::new();
                    for (i, (depth, leaf)) in leaves.iter().enumerate() {
                        if i > 0 {
                            s.push(',');
                        }
                        while path.len() <= usize::from(*depth) {
                            if !path.is_empty() {
                                s.push('{');
                            }
                            path.push(false);
                        }
                        s.push_str(&leaf.to_string(params));
                        while path.last() == Some(&true) {
                            if path.len() > 1 {
                                s.push('}');
                            }
                            path.pop();
                        }
                        if let Some(last) = path.last_mut() {
                            *last = true;
                        }
                    }
                }
                s.push(')');
                s
            }
        }
    }

    /// The scripts at position `pos` (Core's `Expand`); `None` when a
    /// hardened step needs a private key that `provider` lacks.
    pub fn expand(&self, pos: u32, provider: &SigningProvider) -> Option<Vec<ScriptBuf>> {
        let one = |s: Vec<u8>| Some(vec![ScriptBuf::from_bytes(s)]);
        match self {
            Desc::Pk { key, xonly: x } => {
                let pk = key.pubkey(pos, provider)?;
                one(p2pk(&if *x { xonly(&pk) } else { pk }))
            }
            Desc::Pkh(key) => {
                let pk = key.pubkey(pos, provider)?;
                one(script_for_destination(&Destination::pubkey_hash(&pk)).into_bytes())
            }
            Desc::Wpkh(key) => {
                let pk = key.pubkey(pos, provider)?;
                one(script_for_destination(&Destination::witness_pubkey_hash(&pk)).into_bytes())
            }
            Desc::Combo(key) => {
                let pk = key.pubkey(pos, provider)?;
                let mut out = vec![
                    ScriptBuf::from_bytes(p2pk(&pk)),
                    script_for_destination(&Destination::pubkey_hash(&pk)),
                ];
                if pk.len() == 33 {
                    let wpkh = script_for_destination(&Destination::witness_pubkey_hash(&pk));
                    out.push(wpkh.clone());
                    out.push(script_for_destination(&Destination::script_hash(
                        wpkh.as_bytes(),
                    )));
                }
                Some(out)
            }
            Desc::Multi {
                threshold,
                keys,
                sorted,
            } => {
                let mut pks = keys
                    .iter()
                    .map(|k| k.pubkey(pos, provider))
                    .collect::<Option<Vec<_>>>()?;
                if *sorted {
                    pks.sort();
                }
                one(multisig_script(*threshold, &pks))
            }
            Desc::MultiA {
                threshold,
                keys,
                sorted,
            } => {
                let mut pks = keys
                    .iter()
                    .map(|k| k.pubkey(pos, provider).map(|p| xonly(&p)))
                    .collect::<Option<Vec<_>>>()?;
                if *sorted {
                    pks.sort();
                }
                one(multi_a_script(*threshold, &pks))
            }
            Desc::Sh(sub) => {
                let inner = sub.expand(pos, provider)?;
                one(
                    script_for_destination(&Destination::script_hash(inner[0].as_bytes()))
                        .into_bytes(),
                )
            }
            Desc::Wsh(sub) => {
                let inner = sub.expand(pos, provider)?;
                one(
                    script_for_destination(&Destination::witness_script_hash(inner[0].as_bytes()))
                        .into_bytes(),
                )
            }
            Desc::Addr(dest) => Some(vec![script_for_destination(dest)]),
            Desc::Raw(script) => one(script.clone()),
            Desc::Miniscript(ms) => one(ms.script(pos, provider)?),
            Desc::RawTr(key) => {
                let pk = key.pubkey(pos, provider)?;
                let k: [u8; 32] = xonly(&pk).try_into().expect("32 bytes");
                Some(vec![script_for_destination(
                    &Destination::WitnessV1Taproot(k),
                )])
            }
            Desc::Tr { internal, leaves } => {
                let pk = internal.pubkey(pos, provider)?;
                let internal_key = XOnlyPublicKey::from_slice(&xonly(&pk)).ok()?;
                let mut builder = TaprootBuilder::new();
                for (depth, leaf) in leaves {
                    let script = leaf.expand(pos, provider)?.remove(0);
                    builder = builder
                        .add_leaf_with_ver(*depth, script, LeafVersion::TapScript)
                        .ok()?;
                }
                let info = builder
                    .finalize(&Secp256k1::verification_only(), internal_key)
                    .ok()?;
                let out = info.output_key().to_x_only_public_key().serialize();
                Some(vec![script_for_destination(
                    &Destination::WitnessV1Taproot(out),
                )])
            }
        }
    }
}

impl Descriptor {
    /// Whether the descriptor is ranged.
    pub fn is_range(&self) -> bool {
        self.desc.is_range()
    }

    /// Whether the descriptor is solvable.
    pub fn is_solvable(&self) -> bool {
        self.desc.is_solvable()
    }

    /// The canonical public string with its checksum.
    pub fn to_string(&self, params: &ChainParams) -> String {
        add_checksum(&self.desc.to_string(params))
    }

    /// The scripts at `pos`.
    pub fn expand(&self, pos: u32) -> Option<Vec<ScriptBuf>> {
        self.desc.expand(pos, &self.provider)
    }

    /// Every key at `pos` whose private key is known, with its public key
    /// (as the script uses it) and origin (Core's `FlatSigningProvider`
    /// keys and origins after `ExpandPrivate`). Keys of `tr()` and
    /// miniscript are left out.
    pub fn private_keys(&self, pos: u32) -> Vec<(Vec<u8>, Secret, Option<KeyOrigin>)> {
        let mut out = Vec::new();
        let mut keys: Vec<&KeyExpr> = Vec::new();
        fn walk<'a>(d: &'a Desc, keys: &mut Vec<&'a KeyExpr>) {
            match d {
                Desc::Pk { key, xonly: false }
                | Desc::Pkh(key)
                | Desc::Wpkh(key)
                | Desc::Combo(key) => keys.push(key),
                Desc::Multi { keys: ks, .. } => keys.extend(ks.iter()),
                Desc::Sh(sub) | Desc::Wsh(sub) => walk(sub, keys),
                _ => {}
            }
        }
        walk(&self.desc, &mut keys);
        for key in keys {
            if let (Some(pk), Some(secret)) = (
                key.pubkey(pos, &self.provider),
                key.secret_at(pos, &self.provider),
            ) {
                out.push((pk, secret, key.origin_at(pos)));
            }
        }
        out
    }

    /// What Core's `Expand` writes to its output `FlatSigningProvider` at
    /// `pos`, for inferring descriptors of matching scripts: the public keys
    /// with their origins, and the scripts inside `sh()` / `wsh()` (and the
    /// P2WPKH script of `combo()`).
    pub fn collect_known(&self, pos: u32, out: &mut InferProvider) {
        collect_known(&self.desc, pos, &self.provider, out);
    }
}

fn collect_known(desc: &Desc, pos: u32, keys: &SigningProvider, out: &mut InferProvider) {
    let add_key = |key: &KeyExpr, out: &mut InferProvider| -> Option<Vec<u8>> {
        let pk = key.pubkey(pos, keys)?;
        let id = hash160::Hash::hash(&pk).to_byte_array();
        out.pubkeys.insert(id, pk.clone());
        if let Some(origin) = key.origin_at(pos) {
            out.origins.insert(id, origin);
        }
        Some(pk)
    };
    match desc {
        Desc::Pk { key, xonly: false } | Desc::Pkh(key) | Desc::Wpkh(key) => {
            add_key(key, out);
        }
        Desc::Combo(key) => {
            if let Some(pk) = add_key(key, out) {
                if pk.len() == 33 {
                    let wpkh = script_for_destination(&Destination::witness_pubkey_hash(&pk));
                    out.add_script(wpkh.as_bytes());
                }
            }
        }
        Desc::Multi { keys: ks, .. } => {
            for key in ks {
                add_key(key, out);
            }
        }
        Desc::Sh(sub) | Desc::Wsh(sub) => {
            collect_known(sub, pos, keys, out);
            if let Some(scripts) = sub.expand(pos, keys) {
                if let Some(s) = scripts.first() {
                    out.add_script(s.as_bytes());
                }
            }
        }
        _ => {}
    }
}

/// Scripts and keys known when inferring a descriptor (Core's `SigningProvider`
/// as `InferDescriptor` queries it), by HASH160.
#[derive(Debug, Clone, Default)]
pub struct InferProvider {
    pub scripts: BTreeMap<[u8; 20], Vec<u8>>,
    pub pubkeys: BTreeMap<[u8; 20], Vec<u8>>,
    /// Key origins (fingerprint, path) by the HASH160 of the key (Core's
    /// `GetKeyOrigin`): inferred keys are written `[fingerprint/path]key`.
    pub origins: BTreeMap<[u8; 20], ([u8; 4], Vec<u32>)>,
}

impl InferProvider {
    /// Makes `script` known (`AddCScript`).
    pub fn add_script(&mut self, script: &[u8]) {
        self.scripts
            .insert(hash160::Hash::hash(script).to_byte_array(), script.to_vec());
    }
}

/// Core's `InferPubkey`: with its origin when the provider knows one.
fn infer_pubkey_with(pk: &[u8], ctx: Context, provider: &InferProvider) -> Option<KeyExpr> {
    let key = infer_pubkey(pk, ctx)?;
    match provider
        .origins
        .get(&hash160::Hash::hash(pk).to_byte_array())
    {
        Some((fp, path)) => Some(KeyExpr::with_origin(pk.to_vec(), *fp, path.clone())),
        None => Some(key),
    }
}

fn infer_pubkey(pk: &[u8], ctx: Context) -> Option<KeyExpr> {
    if matches!(pk.first(), Some(6 | 7)) || !crate::address::pubkey_valid_size(pk) {
        return None;
    }
    if !matches!(ctx, Context::Top | Context::P2sh) && pk.len() != 33 {
        return None;
    }
    Some(KeyExpr::constant(pk.to_vec(), false))
}

fn infer_script(script: &[u8], ctx: Context, provider: &InferProvider) -> Option<Desc> {
    use Context::*;
    if ctx == P2tr && script.len() == 34 && script[0] == 32 && script[33] == OP_CHECKSIG {
        let mut full = vec![2u8];
        full.extend_from_slice(&script[1..33]);
        return Some(Desc::Pk {
            key: KeyExpr::constant(full, true),
            xonly: true,
        });
    }
    let (kind, data) = solver(script);
    let legacy_ctx = matches!(ctx, Top | P2sh | P2wsh);
    match kind {
        TxoutType::PubKey if legacy_ctx => {
            if let Some(key) = infer_pubkey_with(&data[0], ctx, provider) {
                return Some(Desc::Pk { key, xonly: false });
            }
        }
        TxoutType::PubKeyHash if legacy_ctx => {
            let h: [u8; 20] = data[0][..].try_into().ok()?;
            if let Some(key) = provider
                .pubkeys
                .get(&h)
                .and_then(|pk| infer_pubkey_with(pk, ctx, provider))
            {
                return Some(Desc::Pkh(key));
            }
        }
        TxoutType::WitnessV0KeyHash if matches!(ctx, Top | P2sh) => {
            let h: [u8; 20] = data[0][..].try_into().ok()?;
            if let Some(key) = provider
                .pubkeys
                .get(&h)
                .and_then(|pk| infer_pubkey_with(pk, P2wpkh, provider))
            {
                return Some(Desc::Wpkh(key));
            }
        }
        TxoutType::Multisig if legacy_ctx => {
            let keys = data[1..data.len() - 1]
                .iter()
                .map(|pk| infer_pubkey_with(pk, ctx, provider))
                .collect::<Option<Vec<_>>>();
            if let Some(keys) = keys {
                return Some(Desc::Multi {
                    threshold: u32::from(data[0][0]),
                    keys,
                    sorted: false,
                });
            }
        }
        TxoutType::ScriptHash if ctx == Top => {
            let h: [u8; 20] = data[0][..].try_into().ok()?;
            if let Some(sub) = provider
                .scripts
                .get(&h)
                .and_then(|s| infer_script(s, P2sh, provider))
            {
                return Some(Desc::Sh(Box::new(sub)));
            }
        }
        TxoutType::WitnessV0ScriptHash if matches!(ctx, Top | P2sh) => {
            let h = bitcoin::hashes::ripemd160::Hash::hash(&data[0]).to_byte_array();
            if let Some(sub) = provider
                .scripts
                .get(&h)
                .and_then(|s| infer_script(s, P2wsh, provider))
            {
                return Some(Desc::Wsh(Box::new(sub)));
            }
        }
        TxoutType::WitnessV1Taproot if ctx == Top => {
            let mut full = vec![2u8];
            full.extend_from_slice(&data[0]);
            if bitcoin::secp256k1::PublicKey::from_slice(&full).is_ok() {
                return Some(Desc::RawTr(KeyExpr::constant(full, true)));
            }
        }
        _ => {}
    }
    if ctx == P2wsh {
        if let Some(ms) = MsDesc::infer_wsh(script) {
            return Some(Desc::Miniscript(ms));
        }
    }
    if ctx != Top {
        return None;
    }
    let dest = extract_destination(script);
    if dest.is_valid() && script_for_destination(&dest).as_bytes() == script {
        return Some(Desc::Addr(dest));
    }
    Some(Desc::Raw(script.to_vec()))
}

/// Core's `InferDescriptor`: the most specific descriptor for a script.
pub fn infer_descriptor(script: &[u8], provider: &InferProvider) -> Desc {
    infer_script(script, Context::Top, provider).expect("the top level always infers")
}

#[cfg(test)]
mod tests;
