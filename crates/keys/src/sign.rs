//! Signing transactions and PSBT inputs with given keys (Core's
//! `SignTransaction` / `SignPSBTInput` for what a key store without
//! descriptors can solve: P2PK, P2PKH, P2WPKH, P2SH-P2WPKH, and P2SH / P2WSH /
//! P2SH-P2WSH scripts given with their redeem or witness script, multisig
//! included). Signatures come from the `bitcoin` crate's PSBT signer,
//! final scripts from `miniscript`'s PSBT finalizer, and each input is then
//! checked with Widecoin's script interpreter, whose error text is Core's.

use std::collections::{BTreeMap, HashMap};

use bitcoin::hashes::Hash;
use bitcoin::psbt::{Input as PsbtInput, Psbt, PsbtSighashType};
use bitcoin::secp256k1::{All, Secp256k1};
use bitcoin::{EcdsaSighashType, PrivateKey, PublicKey, ScriptBuf, Transaction, TxOut, Witness};
use miniscript::psbt::PsbtExt;
use widecoin_consensus::{
    PrecomputedTransactionData, ScriptError, ScriptFlags, TransactionSignatureChecker,
};

/// Core's placeholder amount for a previous output given without one.
pub const MISSING_AMOUNT: u64 = 35_000_000 * 100_000_000;

/// A public key, its master key's fingerprint and its derivation path.
type KnownOrigin = (Vec<u8>, [u8; 4], Vec<u32>);

/// Keys and scripts to sign with (Core's `FillableSigningProvider`).
#[derive(Clone, Debug, Default)]
pub struct KeyStore {
    keys: BTreeMap<PublicKey, PrivateKey>,
    /// Scripts by their P2SH and P2WSH output scripts.
    scripts: HashMap<ScriptBuf, ScriptBuf>,
    /// Public keys with their origins (fingerprint, path), by HASH160.
    origins: BTreeMap<[u8; 20], KnownOrigin>,
}

impl KeyStore {
    pub fn new() -> KeyStore {
        KeyStore::default()
    }

    /// Adds a key; its P2WPKH script is learned too (for P2SH-P2WPKH).
    pub fn add_key(&mut self, key: PrivateKey) {
        let secp = Secp256k1::signing_only();
        let pubkey = key.public_key(&secp);
        if let Ok(wpkh) = bitcoin::CompressedPublicKey::try_from(pubkey) {
            let p2wpkh = ScriptBuf::new_p2wpkh(&wpkh.wpubkey_hash());
            self.add_script(p2wpkh);
        }
        self.keys.insert(pubkey, key);
    }

    /// Adds a redeem or witness script (Core's `AddCScript`).
    pub fn add_script(&mut self, script: ScriptBuf) {
        self.scripts
            .insert(ScriptBuf::new_p2sh(&script.script_hash()), script.clone());
        self.scripts
            .insert(ScriptBuf::new_p2wsh(&script.wscript_hash()), script);
    }

    /// Makes a public key's origin known (Core's `GetKeyOrigin`), for the
    /// BIP32 derivation fields of PSBT inputs.
    pub fn add_origin(&mut self, pubkey: &[u8], fingerprint: [u8; 4], path: Vec<u32>) {
        let id = bitcoin::hashes::hash160::Hash::hash(pubkey).to_byte_array();
        self.origins
            .insert(id, (pubkey.to_vec(), fingerprint, path));
    }

    /// Adds the BIP32 derivations of the keys `script` uses (by key or by
    /// key hash) whose origins are known.
    fn fill_derivations(&self, input: &mut PsbtInput, script: &ScriptBuf) {
        let pushes: Vec<Vec<u8>> = script
            .instructions()
            .filter_map(|i| match i {
                Ok(bitcoin::script::Instruction::PushBytes(b)) => Some(b.as_bytes().to_vec()),
                _ => None,
            })
            .collect();
        // A P2WPKH program is a key hash too.
        let mut ids: Vec<Vec<u8>> = pushes.clone();
        if script.is_p2wpkh() {
            ids.push(script.as_bytes()[2..].to_vec());
        }
        for (id, (pk, fp, path)) in &self.origins {
            let used = ids.iter().any(|p| p.as_slice() == id.as_slice() || p == pk);
            if !used {
                continue;
            }
            if let Ok(key) = bitcoin::secp256k1::PublicKey::from_slice(pk) {
                let path: Vec<bitcoin::bip32::ChildNumber> = path
                    .iter()
                    .map(|&c| bitcoin::bip32::ChildNumber::from(c))
                    .collect();
                input
                    .bip32_derivation
                    .insert(key, (bitcoin::bip32::Fingerprint::from(*fp), path.into()));
            }
        }
    }

    /// Core's `UpdatePSBTOutput`: the redeem and witness scripts and BIP32
    /// derivations of an output paying `spk`, when known.
    pub fn fill_output(&self, output: &mut bitcoin::psbt::Output, spk: &ScriptBuf) {
        let mut input = PsbtInput {
            redeem_script: output.redeem_script.clone(),
            witness_script: output.witness_script.clone(),
            bip32_derivation: output.bip32_derivation.clone(),
            ..Default::default()
        };
        self.fill_scripts(&mut input, spk);
        output.redeem_script = input.redeem_script;
        output.witness_script = input.witness_script;
        output.bip32_derivation = input.bip32_derivation;
    }

    pub fn has_keys(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Fills the redeem and witness scripts a PSBT input needs to spend
    /// `spk` (when known).
    pub fn fill_scripts(&self, input: &mut PsbtInput, spk: &ScriptBuf) {
        let mut spk = spk.clone();
        self.fill_derivations(input, &spk);
        if spk.is_p2sh() {
            let Some(redeem) = self.scripts.get(&spk) else {
                return;
            };
            self.fill_derivations(input, redeem);
            if input.redeem_script.is_none() {
                input.redeem_script = Some(redeem.clone());
            }
            spk = redeem.clone();
        }
        if spk.is_p2wsh() {
            if let Some(ws) = self.scripts.get(&spk) {
                self.fill_derivations(input, ws);
                if input.witness_script.is_none() {
                    input.witness_script = Some(ws.clone());
                }
            }
        }
    }

    /// Signs what it can of `psbt`'s input `index` with ECDSA (its UTXO
    /// must be set; redeem and witness scripts as [`KeyStore::fill_scripts`]
    /// leaves them). Returns whether a signature was added.
    pub fn sign_input(&self, psbt: &mut Psbt, index: usize, secp: &Secp256k1<All>) -> bool {
        let Some(utxo) = spent_output(psbt, index) else {
            return false;
        };
        let input = &psbt.inputs[index];
        let sighash_u32 = match input.sighash_type.map(|t| t.to_u32()) {
            None | Some(0) => 1,
            Some(t) => t,
        };
        let Ok(ecdsa_type) = EcdsaSighashType::from_standard(sighash_u32) else {
            return false;
        };
        let spk = utxo.script_pubkey.clone();
        let inner = if spk.is_p2sh() {
            match &input.redeem_script {
                Some(r) => r.clone(),
                None => return false,
            }
        } else {
            spk.clone()
        };
        // (script code, segwit v0, the keys that may sign)
        let mut wanted: Vec<&PrivateKey> = Vec::new();
        let (script_code, segwit) = if inner.is_p2wpkh() {
            let prog = &inner.as_bytes()[2..];
            for (pk, sk) in &self.keys {
                if pk.compressed && pk.pubkey_hash().as_byte_array() == prog {
                    wanted.push(sk);
                }
            }
            (inner.clone(), true)
        } else if inner.is_p2wsh() {
            let Some(ws) = &input.witness_script else {
                return false;
            };
            wanted = self.keys_in(ws);
            (ws.clone(), true)
        } else if inner.is_p2pkh() {
            let h = &inner.as_bytes()[3..23];
            for (pk, sk) in &self.keys {
                if pk.pubkey_hash().as_byte_array() == h {
                    wanted.push(sk);
                }
            }
            (inner.clone(), false)
        } else if inner.is_witness_program() {
            return false;
        } else {
            wanted = self.keys_in(&inner);
            (inner.clone(), false)
        };
        if wanted.is_empty() {
            return false;
        }
        let mut cache = bitcoin::sighash::SighashCache::new(&psbt.unsigned_tx);
        let hash: [u8; 32] = if segwit {
            let amount = utxo.value;
            let r = if inner.is_p2wpkh() {
                cache
                    .p2wpkh_signature_hash(index, &script_code, amount, ecdsa_type)
                    .map(|h| h.to_byte_array())
                    .ok()
            } else {
                cache
                    .p2wsh_signature_hash(index, &script_code, amount, ecdsa_type)
                    .map(|h| h.to_byte_array())
                    .ok()
            };
            match r {
                Some(h) => h,
                None => return false,
            }
        } else {
            match cache.legacy_signature_hash(index, &script_code, sighash_u32) {
                Ok(h) => h.to_byte_array(),
                Err(_) => return false,
            }
        };
        let msg = bitcoin::secp256k1::Message::from_digest(hash);
        let mut added = false;
        for sk in wanted {
            let signature = secp.sign_ecdsa(&msg, &sk.inner);
            let pk = sk.public_key(secp);
            psbt.inputs[index].partial_sigs.insert(
                pk,
                bitcoin::ecdsa::Signature {
                    signature,
                    sighash_type: ecdsa_type,
                },
            );
            added = true;
        }
        added
    }

    /// The keys whose public key is pushed in `script`.
    fn keys_in(&self, script: &ScriptBuf) -> Vec<&PrivateKey> {
        let pushes: Vec<Vec<u8>> = script
            .instructions()
            .filter_map(|i| match i {
                Ok(bitcoin::script::Instruction::PushBytes(b)) => Some(b.as_bytes().to_vec()),
                _ => None,
            })
            .collect();
        self.keys
            .iter()
            .filter(|(pk, _)| {
                pushes.contains(&pk.to_bytes())
                    || pushes.contains(&pk.pubkey_hash().as_byte_array().to_vec())
            })
            .map(|(_, sk)| sk)
            .collect()
    }
}

/// The output input `index` of `psbt` spends, from its UTXO fields.
pub fn spent_output(psbt: &Psbt, index: usize) -> Option<TxOut> {
    let input = psbt.inputs.get(index)?;
    if let Some(w) = &input.witness_utxo {
        return Some(w.clone());
    }
    let prev = psbt.unsigned_tx.input.get(index)?.previous_output;
    input
        .non_witness_utxo
        .as_ref()
        .filter(|t| t.compute_txid() == prev.txid)
        .and_then(|t| t.output.get(prev.vout as usize).cloned())
}

/// The script an input's signatures commit to, whether it is segwit v0, and
/// the spent amount (from the PSBT input's UTXO and scripts).
fn signing_script(psbt: &Psbt, index: usize) -> Option<(ScriptBuf, bool, bitcoin::Amount)> {
    let utxo = spent_output(psbt, index)?;
    let input = &psbt.inputs[index];
    let inner = if utxo.script_pubkey.is_p2sh() {
        input.redeem_script.clone()?
    } else {
        utxo.script_pubkey.clone()
    };
    if inner.is_p2wsh() {
        Some((input.witness_script.clone()?, true, utxo.value))
    } else if inner.is_p2wpkh() {
        Some((inner, true, utxo.value))
    } else {
        Some((inner, false, utxo.value))
    }
}

/// The public keys of a bare multisig script (`m <keys> n CHECKMULTISIG`)
/// and its threshold.
fn multisig_keys(script: &ScriptBuf) -> Option<(usize, Vec<PublicKey>)> {
    use bitcoin::script::Instruction;
    let ins: Vec<_> = script.instructions().collect::<Result<_, _>>().ok()?;
    if ins.len() < 4 {
        return None;
    }
    let small = |i: &Instruction<'_>| match i {
        Instruction::Op(op) => {
            let v = op.to_u8();
            (0x51..=0x60).contains(&v).then(|| usize::from(v - 0x50))
        }
        _ => None,
    };
    let m = small(&ins[0])?;
    let n = small(&ins[ins.len() - 2])?;
    if ins[ins.len() - 1] != Instruction::Op(bitcoin::opcodes::all::OP_CHECKMULTISIG) {
        return None;
    }
    let keys: Vec<PublicKey> = ins[1..ins.len() - 2]
        .iter()
        .map(|i| match i {
            Instruction::PushBytes(b) => PublicKey::from_slice(b.as_bytes()).ok(),
            _ => None,
        })
        .collect::<Option<_>>()?;
    (keys.len() == n).then_some((m, keys))
}

/// The ECDSA signature hash of input `index` for `script_code`.
fn ecdsa_sighash(
    psbt: &Psbt,
    index: usize,
    script_code: &ScriptBuf,
    segwit: bool,
    amount: bitcoin::Amount,
    hash_type: u32,
) -> Option<bitcoin::secp256k1::Message> {
    let mut cache = bitcoin::sighash::SighashCache::new(&psbt.unsigned_tx);
    let hash = if segwit {
        let t = EcdsaSighashType::from_standard(hash_type).ok()?;
        if script_code.is_p2wpkh() {
            cache
                .p2wpkh_signature_hash(index, script_code, amount, t)
                .ok()?
                .to_byte_array()
        } else {
            cache
                .p2wsh_signature_hash(index, script_code, amount, t)
                .ok()?
                .to_byte_array()
        }
    } else {
        cache
            .legacy_signature_hash(index, script_code, hash_type)
            .ok()?
            .to_byte_array()
    };
    Some(bitcoin::secp256k1::Message::from_digest(hash))
}

/// Signatures already in the transaction's input (Core's
/// `DataFromTransaction`) become partial signatures of the PSBT input when
/// they verify for a key of its multisig script.
fn merge_existing_sigs(psbt: &mut Psbt, index: usize, txin: &bitcoin::TxIn, secp: &Secp256k1<All>) {
    let Some((script, segwit, amount)) = signing_script(psbt, index) else {
        return;
    };
    let Some((_, keys)) = multisig_keys(&script) else {
        return;
    };
    let mut items: Vec<Vec<u8>> = txin.witness.iter().map(<[u8]>::to_vec).collect();
    for ins in txin.script_sig.instructions().flatten() {
        if let bitcoin::script::Instruction::PushBytes(b) = ins {
            items.push(b.as_bytes().to_vec());
        }
    }
    for item in items {
        let Ok(sig) = bitcoin::ecdsa::Signature::from_slice(&item) else {
            continue;
        };
        let Some(msg) = ecdsa_sighash(
            psbt,
            index,
            &script,
            segwit,
            amount,
            sig.sighash_type.to_u32(),
        ) else {
            continue;
        };
        for pk in &keys {
            if secp.verify_ecdsa(&msg, &sig.signature, &pk.inner).is_ok() {
                psbt.inputs[index].partial_sigs.insert(*pk, sig);
            }
        }
    }
}

/// Core's incomplete multisig solution: the empty dummy, the signatures
/// present in key order, then (P2SH / P2WSH) the script.
fn partial_multisig(psbt: &Psbt, index: usize) -> Option<(ScriptBuf, Witness)> {
    let (script, segwit, _) = signing_script(psbt, index)?;
    let (_, keys) = multisig_keys(&script)?;
    let input = &psbt.inputs[index];
    let sigs: Vec<Vec<u8>> = keys
        .iter()
        .filter_map(|k| input.partial_sigs.get(k).map(|s| s.to_vec()))
        .collect();
    if sigs.is_empty() {
        return None;
    }
    let utxo = spent_output(psbt, index)?;
    let mut stack: Vec<Vec<u8>> = vec![vec![]];
    stack.extend(sigs);
    let push_all = |items: &[Vec<u8>]| {
        let mut b = bitcoin::script::Builder::new();
        for it in items {
            if it.is_empty() {
                b = b.push_opcode(bitcoin::opcodes::OP_0);
            } else {
                b = b.push_slice(<&bitcoin::script::PushBytes>::try_from(it.as_slice()).ok()?);
            }
        }
        Some(b.into_script())
    };
    if segwit {
        stack.push(script.to_bytes());
        let script_sig = match &input.redeem_script {
            Some(r) if utxo.script_pubkey.is_p2sh() => push_all(&[r.to_bytes()])?,
            _ => ScriptBuf::new(),
        };
        Some((script_sig, Witness::from_slice(&stack)))
    } else {
        if utxo.script_pubkey.is_p2sh() {
            stack.push(script.to_bytes());
        }
        Some((push_all(&stack)?, Witness::new()))
    }
}

/// Core's merge of one input's signature data from several copies of a
/// transaction (`combinerawtransaction`: `DataFromTransaction` of each,
/// `MergeSignatureData`, then `ProduceSignature` without keys). The redeem
/// and witness scripts are taken from the copies; a copy whose input already
/// verifies wins; multisig signatures are gathered from all copies.
pub fn combine_input(
    tx: &Transaction,
    index: usize,
    spent: &[TxOut],
    copies: &[&bitcoin::TxIn],
) -> (ScriptBuf, Witness) {
    let secp = Secp256k1::new();
    // A complete copy.
    for c in copies {
        let mut t = tx.clone();
        t.input[index].script_sig = c.script_sig.clone();
        t.input[index].witness = c.witness.clone();
        if verify_input(&t, index, spent).is_ok() {
            return (c.script_sig.clone(), c.witness.clone());
        }
    }
    let mut unsigned = tx.clone();
    for i in unsigned.input.iter_mut() {
        i.script_sig = ScriptBuf::new();
        i.witness = Witness::new();
    }
    let mut psbt = Psbt::from_unsigned_tx(unsigned).expect("scripts cleared");
    psbt.inputs[index].witness_utxo = Some(spent[index].clone());
    let spk = &spent[index].script_pubkey;
    for c in copies {
        let last_push = c
            .script_sig
            .instructions()
            .filter_map(|i| match i {
                Ok(bitcoin::script::Instruction::PushBytes(b)) => Some(b.as_bytes().to_vec()),
                _ => None,
            })
            .last();
        if spk.is_p2sh() && psbt.inputs[index].redeem_script.is_none() {
            if let Some(r) = last_push.map(ScriptBuf::from_bytes) {
                if ScriptBuf::new_p2sh(&r.script_hash()) == *spk {
                    psbt.inputs[index].redeem_script = Some(r);
                }
            }
        }
        let inner = psbt.inputs[index]
            .redeem_script
            .clone()
            .unwrap_or_else(|| spk.clone());
        if inner.is_p2wsh() && psbt.inputs[index].witness_script.is_none() {
            if let Some(w) = c.witness.last().map(|w| ScriptBuf::from_bytes(w.to_vec())) {
                if ScriptBuf::new_p2wsh(&w.wscript_hash()) == inner {
                    psbt.inputs[index].witness_script = Some(w);
                }
            }
        }
    }
    for c in copies {
        merge_existing_sigs(&mut psbt, index, c, &secp);
    }
    if psbt.finalize_inp_mut(&secp, index).is_ok() {
        let input = &psbt.inputs[index];
        return (
            input.final_script_sig.clone().unwrap_or_default(),
            input.final_script_witness.clone().unwrap_or_default(),
        );
    }
    if let Some(partial) = partial_multisig(&psbt, index) {
        return partial;
    }
    // Nothing to merge: the first copy's data, with the most of it.
    copies
        .iter()
        .max_by_key(|c| c.script_sig.len() + c.witness.size())
        .map(|c| (c.script_sig.clone(), c.witness.clone()))
        .unwrap_or_default()
}

/// Core's `ParseSighashString`: `None` for an unknown name.
pub fn parse_sighash(name: &str) -> Option<u32> {
    Some(match name {
        "DEFAULT" => 0,
        "ALL" => 1,
        "NONE" => 2,
        "SINGLE" => 3,
        "ALL|ANYONECANPAY" => 0x81,
        "NONE|ANYONECANPAY" => 0x82,
        "SINGLE|ANYONECANPAY" => 0x83,
        _ => return None,
    })
}

/// Checks input `index` of `tx` spending `spent` under the standard flags
/// (what `SignTransaction` reports).
pub fn verify_input(tx: &Transaction, index: usize, spent: &[TxOut]) -> Result<(), ScriptError> {
    let txdata = PrecomputedTransactionData::with_spent_outputs(spent.to_vec());
    let input = &tx.input[index];
    let checker = TransactionSignatureChecker::new(tx, index, spent[index].value.to_sat(), &txdata);
    widecoin_consensus::verify_script(
        input.script_sig.as_bytes(),
        spent[index].script_pubkey.as_bytes(),
        &input.witness,
        ScriptFlags::STANDARD,
        &checker,
    )
}

/// Core's text for a failed input after signing.
pub fn input_error_text(err: ScriptError) -> String {
    if err == ScriptError::InvalidStackOperation {
        "Unable to sign input, invalid stack size (possibly missing key)".into()
    } else {
        err.to_string()
    }
}

/// Core's `SignTransaction` with a key store: signs every input whose
/// previous output is in `coins` (`None`: "Input not found or already
/// spent"), and returns each input's error. An input it cannot finish keeps
/// its scripts. `Err(index)`: a segwit input whose amount is missing.
pub fn sign_transaction(
    tx: &mut Transaction,
    store: &KeyStore,
    coins: &[Option<TxOut>],
    sighash: u32,
) -> Result<BTreeMap<usize, String>, usize> {
    let secp = Secp256k1::new();
    let mut errors = BTreeMap::new();
    let mut unsigned = tx.clone();
    for i in unsigned.input.iter_mut() {
        i.script_sig = ScriptBuf::new();
        i.witness = Witness::new();
    }
    let mut psbt = Psbt::from_unsigned_tx(unsigned).expect("scripts cleared");
    for (i, coin) in coins.iter().enumerate() {
        if let Some(out) = coin {
            psbt.inputs[i].witness_utxo = Some(out.clone());
            if sighash != 0 && sighash != 1 {
                psbt.inputs[i].sighash_type = Some(PsbtSighashType::from_u32(sighash));
            } else if sighash == 1 {
                psbt.inputs[i].sighash_type = Some(PsbtSighashType::from(EcdsaSighashType::All));
            }
            store.fill_scripts(&mut psbt.inputs[i], &out.script_pubkey);
        }
    }
    let single = sighash & 0x1f == 3;
    for (i, coin) in coins.iter().enumerate().take(tx.input.len()) {
        let Some(out) = coin else {
            errors.insert(i, "Input not found or already spent".to_string());
            continue;
        };
        let segwit = out.script_pubkey.is_witness_program()
            || psbt.inputs[i]
                .redeem_script
                .as_ref()
                .is_some_and(|r| r.is_witness_program());
        if segwit && out.value.to_sat() == MISSING_AMOUNT {
            return Err(i);
        }
        if !single || i < tx.output.len() {
            merge_existing_sigs(&mut psbt, i, &tx.input[i], &secp);
            store.sign_input(&mut psbt, i, &secp);
            if psbt.finalize_inp_mut(&secp, i).is_ok() {
                tx.input[i].script_sig =
                    psbt.inputs[i].final_script_sig.clone().unwrap_or_default();
                tx.input[i].witness = psbt.inputs[i]
                    .final_script_witness
                    .clone()
                    .unwrap_or_default();
            } else if let Some((script_sig, witness)) = partial_multisig(&psbt, i) {
                // Core keeps the signatures it has (in key order) for a later signer.
                tx.input[i].script_sig = script_sig;
                tx.input[i].witness = witness;
            }
        }
    }
    // Verify every input that has a coin.
    if coins.iter().all(Option::is_some) {
        let spent: Vec<TxOut> = coins.iter().map(|c| c.clone().expect("all some")).collect();
        for i in 0..tx.input.len() {
            if let Err(e) = verify_input(tx, i, &spent) {
                errors.insert(i, input_error_text(e));
            }
        }
    } else {
        // Without every spent output, only pre-taproot inputs can be checked.
        let spent: Vec<TxOut> = coins
            .iter()
            .map(|c| c.clone().unwrap_or(TxOut::NULL))
            .collect();
        for (i, c) in coins.iter().enumerate() {
            if c.is_some() {
                if let Err(e) = verify_input(tx, i, &spent) {
                    errors.insert(i, input_error_text(e));
                }
            }
        }
    }
    Ok(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::{absolute, transaction, Amount, Network, OutPoint, Sequence, TxIn};

    fn key(n: u8) -> PrivateKey {
        PrivateKey::from_slice(&[n; 32], Network::Regtest).unwrap()
    }

    fn spending(spk: ScriptBuf) -> (Transaction, Vec<Option<TxOut>>) {
        let tx = Transaction {
            version: transaction::Version(2),
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::new(bitcoin::Txid::all_zeros(), 1),
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(90_000),
                script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
            }],
        };
        let coins = vec![Some(TxOut {
            value: Amount::from_sat(100_000),
            script_pubkey: spk,
        })];
        (tx, coins)
    }

    #[test]
    fn signs_p2wpkh_p2pkh_and_p2sh_p2wpkh() {
        let secp = Secp256k1::new();
        let k = key(7);
        let pk = k.public_key(&secp);
        let cpk = bitcoin::CompressedPublicKey::try_from(pk).unwrap();
        let mut store = KeyStore::new();
        store.add_key(k);
        for spk in [
            ScriptBuf::new_p2wpkh(&cpk.wpubkey_hash()),
            ScriptBuf::new_p2pkh(&pk.pubkey_hash()),
            ScriptBuf::new_p2sh(&ScriptBuf::new_p2wpkh(&cpk.wpubkey_hash()).script_hash()),
        ] {
            let (mut tx, coins) = spending(spk.clone());
            let errors = sign_transaction(&mut tx, &store, &coins, 0).unwrap();
            assert!(errors.is_empty(), "{spk:?}: {errors:?}");
        }
    }

    #[test]
    fn missing_key_and_missing_coin_in_cores_words() {
        let secp = Secp256k1::new();
        let other = key(9).public_key(&secp);
        let cpk = bitcoin::CompressedPublicKey::try_from(other).unwrap();
        let mut store = KeyStore::new();
        store.add_key(key(7));
        let (mut tx, coins) = spending(ScriptBuf::new_p2wpkh(&cpk.wpubkey_hash()));
        let errors = sign_transaction(&mut tx, &store, &coins, 0).unwrap();
        assert_eq!(errors[&0], "Witness program hash mismatch");
        let (mut tx, coins) = spending(ScriptBuf::new_p2pkh(&other.pubkey_hash()));
        let errors = sign_transaction(&mut tx, &store, &coins, 0).unwrap();
        assert_eq!(
            errors[&0],
            "Unable to sign input, invalid stack size (possibly missing key)"
        );
        let (mut tx, _) = spending(ScriptBuf::new_p2pkh(&other.pubkey_hash()));
        let errors = sign_transaction(&mut tx, &store, &[None], 0).unwrap();
        assert_eq!(errors[&0], "Input not found or already spent");
    }

    #[test]
    fn two_of_two_p2wsh() {
        let secp = Secp256k1::new();
        let (a, b) = (key(1), key(2));
        let script = bitcoin::blockdata::script::Builder::new()
            .push_int(2)
            .push_key(&a.public_key(&secp))
            .push_key(&b.public_key(&secp))
            .push_int(2)
            .push_opcode(bitcoin::opcodes::all::OP_CHECKMULTISIG)
            .into_script();
        let mut store = KeyStore::new();
        store.add_key(a);
        store.add_key(b);
        store.add_script(script.clone());
        let (mut tx, coins) = spending(ScriptBuf::new_p2wsh(&script.wscript_hash()));
        let errors = sign_transaction(&mut tx, &store, &coins, 0).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(tx.input[0].witness.len(), 4);
    }

    #[test]
    fn multisig_signed_one_key_at_a_time() {
        let secp = Secp256k1::new();
        let (a, b) = (key(1), key(2));
        let script = bitcoin::blockdata::script::Builder::new()
            .push_int(2)
            .push_key(&a.public_key(&secp))
            .push_key(&b.public_key(&secp))
            .push_int(2)
            .push_opcode(bitcoin::opcodes::all::OP_CHECKMULTISIG)
            .into_script();
        for spk in [
            ScriptBuf::new_p2wsh(&script.wscript_hash()),
            ScriptBuf::new_p2sh(&script.script_hash()),
        ] {
            let (mut tx, coins) = spending(spk.clone());
            let mut first = KeyStore::new();
            first.add_key(a);
            first.add_script(script.clone());
            let errors = sign_transaction(&mut tx, &first, &coins, 0).unwrap();
            assert_eq!(errors.len(), 1, "{spk:?}");
            let mut second = KeyStore::new();
            second.add_key(b);
            second.add_script(script.clone());
            let errors = sign_transaction(&mut tx, &second, &coins, 0).unwrap();
            assert!(errors.is_empty(), "{spk:?}: {errors:?}");
        }
    }

    #[test]
    fn combining_two_half_signed_copies() {
        let secp = Secp256k1::new();
        let (a, b) = (key(3), key(4));
        let script = bitcoin::blockdata::script::Builder::new()
            .push_int(2)
            .push_key(&a.public_key(&secp))
            .push_key(&b.public_key(&secp))
            .push_int(2)
            .push_opcode(bitcoin::opcodes::all::OP_CHECKMULTISIG)
            .into_script();
        for spk in [
            ScriptBuf::new_p2wsh(&script.wscript_hash()),
            ScriptBuf::new_p2sh(&script.script_hash()),
        ] {
            let (tx, coins) = spending(spk.clone());
            let mut copies = Vec::new();
            for k in [a, b] {
                let mut store = KeyStore::new();
                store.add_key(k);
                store.add_script(script.clone());
                let mut t = tx.clone();
                let errors = sign_transaction(&mut t, &store, &coins, 0).unwrap();
                assert_eq!(errors.len(), 1);
                copies.push(t.input[0].clone());
            }
            let spent: Vec<TxOut> = coins.iter().map(|c| c.clone().unwrap()).collect();
            let refs: Vec<&bitcoin::TxIn> = copies.iter().collect();
            let (script_sig, witness) = combine_input(&tx, 0, &spent, &refs);
            let mut t = tx.clone();
            t.input[0].script_sig = script_sig;
            t.input[0].witness = witness;
            assert!(verify_input(&t, 0, &spent).is_ok(), "{spk:?}");
        }
    }
}
