//! Miniscript expressions inside `wsh()` and `tr()` (Core's `MiniscriptDescriptor`),
//! parsed and analysed by the `miniscript` crate with keys kept as text, so
//! that our own key expressions (Widecoin prefixes, origins, ranges) apply.

use std::collections::BTreeMap;
use std::str::FromStr;

use bitcoin::hashes::{hash160, ripemd160, sha256, sha256d};
use bitcoin::key::XOnlyPublicKey;
use miniscript::miniscript::analyzable::AnalysisError;
use miniscript::{
    hash256, ExtParams, Miniscript, MiniscriptKey, ScriptContext, Segwitv0, Tap, TranslatePk,
    Translator,
};
use widecoin_chainparams::ChainParams;

use super::key::{Context, KeyExpr, SigningProvider};

/// A miniscript in its context, with its key expressions by their text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsDesc {
    node: Node,
    keys: BTreeMap<String, KeyExpr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Wsh(Miniscript<String, Segwitv0>),
    Tap(Miniscript<String, Tap>),
}

/// Maps text keys to the text of other keys (hashes unchanged).
struct Rename<'a>(&'a dyn Fn(&str) -> String);

impl Translator<String, String, ()> for Rename<'_> {
    fn pk(&mut self, pk: &String) -> Result<String, ()> {
        Ok((self.0)(pk))
    }
    fn sha256(&mut self, h: &String) -> Result<String, ()> {
        Ok(h.clone())
    }
    fn hash256(&mut self, h: &String) -> Result<String, ()> {
        Ok(h.clone())
    }
    fn ripemd160(&mut self, h: &String) -> Result<String, ()> {
        Ok(h.clone())
    }
    fn hash160(&mut self, h: &String) -> Result<String, ()> {
        Ok(h.clone())
    }
}

/// Turns public keys and hashes into their text.
struct ToText;

impl Translator<bitcoin::PublicKey, String, ()> for ToText {
    fn pk(&mut self, pk: &bitcoin::PublicKey) -> Result<String, ()> {
        Ok(pk.to_string())
    }
    fn sha256(&mut self, h: &sha256::Hash) -> Result<String, ()> {
        Ok(h.to_string())
    }
    fn hash256(&mut self, h: &hash256::Hash) -> Result<String, ()> {
        Ok(h.to_string())
    }
    fn ripemd160(&mut self, h: &ripemd160::Hash) -> Result<String, ()> {
        Ok(h.to_string())
    }
    fn hash160(&mut self, h: &hash160::Hash) -> Result<String, ()> {
        Ok(h.to_string())
    }
}

/// Maps text keys to public keys of a context, parsing the hashes.
struct Concrete<'a, K>(&'a dyn Fn(&str) -> Option<K>);

fn hash<T: FromStr>(s: &str) -> Result<T, ()> {
    s.parse().map_err(|_| ())
}

impl<
        K: MiniscriptKey<
            Sha256 = sha256::Hash,
            Hash256 = hash256::Hash,
            Ripemd160 = ripemd160::Hash,
            Hash160 = hash160::Hash,
        >,
    > Translator<String, K, ()> for Concrete<'_, K>
{
    fn pk(&mut self, pk: &String) -> Result<K, ()> {
        (self.0)(pk).ok_or(())
    }
    fn sha256(&mut self, h: &String) -> Result<sha256::Hash, ()> {
        hash(h)
    }
    fn hash256(&mut self, h: &String) -> Result<hash256::Hash, ()> {
        hash::<sha256d::Hash>(h).map(hash256::Hash::from_raw_hash)
    }
    fn ripemd160(&mut self, h: &String) -> Result<ripemd160::Hash, ()> {
        hash(h)
    }
    fn hash160(&mut self, h: &String) -> Result<hash160::Hash, ()> {
        hash(h)
    }
}

/// Core's suffix for the first failing sanity rule.
fn insane<Ctx: ScriptContext>(ms: &Miniscript<String, Ctx>) -> Option<String> {
    let why = match ms.sanity_check().err()? {
        AnalysisError::Malleable => "malleable witnesses exist",
        AnalysisError::SiglessBranch => "witnesses without signature exist",
        AnalysisError::HeightTimelockCombination => {
            "contains mixes of timelocks expressed in blocks and seconds"
        }
        AnalysisError::RepeatedPubkeys => "contains duplicate public keys",
        AnalysisError::BranchExceedResouceLimits => {
            "needs witnesses that may exceed resource limits"
        }
        AnalysisError::ContainsRawPkh => "is invalid",
    };
    Some(format!("{ms} is not sane: {why}"))
}

fn keys_of<Ctx: ScriptContext>(ms: &Miniscript<String, Ctx>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in ms.iter_pk() {
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// A fixed valid key, to check a parsed expression's hashes and context.
const CHECK_KEY: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

impl MsDesc {
    /// Parses `s` as a miniscript; `None` when it is not one (the caller then
    /// reports that the function is unknown). With `multipath`, keys may hold
    /// BIP389 groups and the result is one miniscript per expansion.
    pub fn parse(
        s: &str,
        ctx: Context,
        params: &ChainParams,
        out: &mut SigningProvider,
        multipath: bool,
    ) -> Option<Result<Vec<MsDesc>, String>> {
        let node = if ctx == Context::P2tr {
            Node::Tap(Miniscript::from_str_ext(s, &ExtParams::allow_all()).ok()?)
        } else {
            Node::Wsh(Miniscript::from_str_ext(s, &ExtParams::allow_all()).ok()?)
        };
        if !matches!(ctx, Context::P2wsh | Context::P2tr) {
            return Some(Err(
                "Miniscript expressions can only be used in wsh or tr.".into()
            ));
        }
        let names = match &node {
            Node::Wsh(ms) => keys_of(ms),
            Node::Tap(ms) => keys_of(ms),
        };
        let mut all_keys: BTreeMap<String, Vec<KeyExpr>> = BTreeMap::new();
        for name in names {
            match KeyExpr::parse_multi(&name, ctx, params, out, multipath) {
                Ok(k) => all_keys.insert(name, k),
                Err(e) => return Some(Err(e)),
            };
        }
        // Checks on the first expansion; the others differ only in paths.
        let keys: BTreeMap<String, KeyExpr> = all_keys
            .iter()
            .map(|(name, k)| (name.clone(), k[0].clone()))
            .collect();
        let problem = match &node {
            Node::Wsh(ms) => insane(ms),
            Node::Tap(ms) => insane(ms),
        };
        if let Some(problem) = problem {
            return Some(Err(problem));
        }
        let desc = MsDesc { node, keys };
        if desc
            .script_with(&|_| Some(hex::decode(CHECK_KEY).expect("hex")))
            .is_none()
        {
            return Some(Err(format!("{} is invalid", desc.raw_string())));
        }
        let n = all_keys.values().map(Vec::len).max().unwrap_or(1);
        if all_keys.values().any(|k| k.len() != 1 && k.len() != n) {
            return Some(Err(
                "Miniscript: Multipath derivation paths have mismatched lengths".into(),
            ));
        }
        Some(Ok((0..n)
            .map(|i| MsDesc {
                node: desc.node.clone(),
                keys: all_keys
                    .iter()
                    .map(|(name, k)| (name.clone(), k[if k.len() == 1 { 0 } else { i }].clone()))
                    .collect(),
            })
            .collect()))
    }

    /// Infers a sane miniscript from a P2WSH script (keys become constants).
    pub fn infer_wsh(script: &[u8]) -> Option<MsDesc> {
        let ms =
            Miniscript::<bitcoin::PublicKey, Segwitv0>::parse(bitcoin::Script::from_bytes(script))
                .ok()?;
        let ms: Miniscript<String, Segwitv0> = ms.translate_pk(&mut ToText).ok()?;
        let keys = keys_of(&ms)
            .into_iter()
            .map(|k| {
                let bytes = hex::decode(&k).ok()?;
                Some((k, KeyExpr::constant(bytes, false)))
            })
            .collect::<Option<BTreeMap<_, _>>>()?;
        Some(MsDesc {
            node: Node::Wsh(ms),
            keys,
        })
    }

    fn raw_string(&self) -> String {
        match &self.node {
            Node::Wsh(ms) => ms.to_string(),
            Node::Tap(ms) => ms.to_string(),
        }
    }

    /// Whether any key is ranged.
    pub fn is_range(&self) -> bool {
        self.keys.values().any(KeyExpr::is_range)
    }

    /// The public string.
    pub fn to_string(&self, params: &ChainParams) -> String {
        let rename = |k: &str| {
            self.keys
                .get(k)
                .map(|e| e.to_string(params))
                .unwrap_or_else(|| k.to_string())
        };
        let mut t = Rename(&rename);
        match &self.node {
            Node::Wsh(ms) => ms.translate_pk(&mut t).map(|m| m.to_string()),
            Node::Tap(ms) => ms.translate_pk(&mut t).map(|m| m.to_string()),
        }
        .unwrap_or_default()
    }

    /// The script with each key replaced by `key(text)` (serialized public key).
    fn script_with(&self, key: &dyn Fn(&str) -> Option<Vec<u8>>) -> Option<Vec<u8>> {
        match &self.node {
            Node::Wsh(ms) => {
                let f = |k: &str| bitcoin::PublicKey::from_slice(&key(k)?).ok();
                let concrete: Miniscript<bitcoin::PublicKey, Segwitv0> =
                    ms.translate_pk(&mut Concrete(&f)).ok()?;
                Some(concrete.encode().into_bytes())
            }
            Node::Tap(ms) => {
                let f = |k: &str| {
                    let pk = key(k)?;
                    XOnlyPublicKey::from_slice(&pk[1..33]).ok()
                };
                let concrete: Miniscript<XOnlyPublicKey, Tap> =
                    ms.translate_pk(&mut Concrete(&f)).ok()?;
                Some(concrete.encode().into_bytes())
            }
        }
    }

    /// The script at `pos`.
    pub fn script(&self, pos: u32, provider: &SigningProvider) -> Option<Vec<u8>> {
        let mut derived = BTreeMap::new();
        for (name, k) in &self.keys {
            derived.insert(name.clone(), k.pubkey(pos, provider)?);
        }
        self.script_with(&|k| derived.get(k).cloned())
    }
}
