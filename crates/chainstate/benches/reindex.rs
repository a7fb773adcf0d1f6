//! Reindex benchmark (issue 3): a harness, not a test.
//!
//! 1. Generates a regtest chain heavy with signed P2WPKH and P2TR key-path
//!    spends (every signature is checked when the blocks are connected) into
//!    real block files, through the library (`ChainstateManager`).
//! 2. Runs `-reindex` over those block files (the library's
//!    [`ChainstateManager::reindex`], what `widecoind -reindex` calls) in a
//!    child process, once per `-par` value, and reports blocks/s,
//!    transactions/s, script checks/s and the child's peak memory (VmHWM).
//!
//! ```text
//! cargo bench -p widecoin-chainstate --bench reindex -- [--blocks N] [--txs N] [--par 1,2] [--keep DIR]
//! ```
//! Defaults: 200 spend blocks of 250 two-input transactions, `-par` 1 and 2.

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::key::{Keypair, TapTweak};
use bitcoin::secp256k1::{All, Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{
    Amount, CompressedPublicKey, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness,
};
use common::*;
use widecoin_chainstate::ChainstateOptions;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Wpkh,
    Tr,
}

struct Keys {
    secp: Secp256k1<All>,
    sk: SecretKey,
    keypair: Keypair,
    wpkh: ScriptBuf,
    tr: ScriptBuf,
}

impl Keys {
    fn new() -> Keys {
        let secp = Secp256k1::new();
        let sk = SecretKey::from_slice(&[0x42; 32]).expect("valid key");
        let keypair = Keypair::from_secret_key(&secp, &sk);
        let pk = CompressedPublicKey(sk.public_key(&secp));
        let wpkh = ScriptBuf::new_p2wpkh(&pk.wpubkey_hash());
        let (xonly, _) = keypair.x_only_public_key();
        let tr = ScriptBuf::new_p2tr(&secp, xonly, None);
        Keys {
            secp,
            sk,
            keypair,
            wpkh,
            tr,
        }
    }

    fn script(&self, kind: Kind) -> ScriptBuf {
        match kind {
            Kind::Wpkh => self.wpkh.clone(),
            Kind::Tr => self.tr.clone(),
        }
    }

    /// Signs every input of `tx` (spending `spent`) with SIGHASH_ALL / DEFAULT.
    fn sign(&self, tx: &mut Transaction, spent: &[(Kind, TxOut)]) {
        let prevouts: Vec<TxOut> = spent.iter().map(|s| s.1.clone()).collect();
        let mut witnesses = Vec::with_capacity(spent.len());
        {
            let mut cache = SighashCache::new(&*tx);
            for (i, (kind, out)) in spent.iter().enumerate() {
                let w = match kind {
                    Kind::Wpkh => {
                        let h = cache
                            .p2wpkh_signature_hash(
                                i,
                                &out.script_pubkey,
                                out.value,
                                EcdsaSighashType::All,
                            )
                            .expect("p2wpkh sighash");
                        let sig = self
                            .secp
                            .sign_ecdsa(&Message::from_digest(h.to_byte_array()), &self.sk);
                        let sig = bitcoin::ecdsa::Signature {
                            signature: sig,
                            sighash_type: EcdsaSighashType::All,
                        };
                        Witness::p2wpkh(&sig, &self.sk.public_key(&self.secp))
                    }
                    Kind::Tr => {
                        let h = cache
                            .taproot_key_spend_signature_hash(
                                i,
                                &Prevouts::All(&prevouts),
                                TapSighashType::Default,
                            )
                            .expect("taproot sighash");
                        let tweaked = self.keypair.tap_tweak(&self.secp, None);
                        let sig = self.secp.sign_schnorr_no_aux_rand(
                            &Message::from_digest(h.to_byte_array()),
                            &tweaked.to_keypair(),
                        );
                        Witness::p2tr_key_spend(&bitcoin::taproot::Signature {
                            signature: sig,
                            sighash_type: TapSighashType::Default,
                        })
                    }
                };
                witnesses.push(w);
            }
        }
        for (input, w) in tx.input.iter_mut().zip(witnesses) {
            input.witness = w;
        }
    }
}

fn tx(inputs: &[OutPoint], outputs: Vec<TxOut>) -> Transaction {
    Transaction {
        version: TxVersion(2),
        lock_time: LockTime::ZERO,
        input: inputs
            .iter()
            .map(|p| TxIn {
                previous_output: *p,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            })
            .collect(),
        output: outputs,
    }
}

struct Generated {
    blocks: u32,
    txs: u64,
    inputs: u64,
    secs: f64,
}

/// Builds the chain in `dir` (blocks/, chainstate/): 60 plain blocks, a
/// fan-out of the premine into P2WPKH and P2TR outputs, then `spend_blocks`
/// blocks of `txs_per_block` transactions, each spending one P2WPKH and one
/// P2TR output into one of each.
fn generate(dir: &Path, spend_blocks: u32, txs_per_block: usize) -> Generated {
    let start = Instant::now();
    let keys = Keys::new();
    let mut node = Node::open(
        dir,
        ChainstateOptions {
            par: 0,
            ..options()
        },
    );
    node.mine(60);
    // The premine (height 1) into a pool of 8 blocks' worth of each kind.
    let pool_size = txs_per_block * 8;
    let premine = node.coinbase_outpoint(1);
    let premine_value = subsidy(1);
    let each = premine_value / (2 * pool_size as u64 + 1);
    let mut outs = Vec::new();
    for _ in 0..pool_size {
        for kind in [Kind::Wpkh, Kind::Tr] {
            outs.push(TxOut {
                value: Amount::from_sat(each),
                script_pubkey: keys.script(kind),
            });
        }
    }
    let fan = tx(&[premine], outs);
    let fee = premine_value - each * 2 * pool_size as u64;
    let fan_txid = fan.compute_txid();
    let block = node.next_block(vec![fan.clone()], fee);
    node.submit(&block).expect("fan-out block");
    let mut pool: VecDeque<(OutPoint, Kind, TxOut)> = fan
        .output
        .iter()
        .enumerate()
        .map(|(n, o)| {
            let kind = if n % 2 == 0 { Kind::Wpkh } else { Kind::Tr };
            (
                OutPoint {
                    txid: fan_txid,
                    vout: n as u32,
                },
                kind,
                o.clone(),
            )
        })
        .collect();
    let (mut wpkh, mut tr): (VecDeque<_>, VecDeque<_>) =
        pool.drain(..).partition(|(_, k, _)| *k == Kind::Wpkh);
    let mut n_txs = 0u64;
    let mut n_inputs = 0u64;
    for b in 0..spend_blocks {
        let mut txs = Vec::with_capacity(txs_per_block);
        let mut fees = 0;
        let mut new_w = Vec::new();
        let mut new_t = Vec::new();
        for _ in 0..txs_per_block {
            let a = wpkh.pop_front().expect("pool");
            let c = tr.pop_front().expect("pool");
            let total = a.2.value.to_sat() + c.2.value.to_sat();
            let fee = 1_000;
            let half = (total - fee) / 2;
            let mut t = tx(
                &[a.0, c.0],
                vec![
                    TxOut {
                        value: Amount::from_sat(half),
                        script_pubkey: keys.script(Kind::Wpkh),
                    },
                    TxOut {
                        value: Amount::from_sat(total - fee - half),
                        script_pubkey: keys.script(Kind::Tr),
                    },
                ],
            );
            keys.sign(&mut t, &[(a.1, a.2), (c.1, c.2)]);
            let txid = t.compute_txid();
            new_w.push((OutPoint { txid, vout: 0 }, Kind::Wpkh, t.output[0].clone()));
            new_t.push((OutPoint { txid, vout: 1 }, Kind::Tr, t.output[1].clone()));
            fees += fee;
            txs.push(t);
        }
        n_txs += txs.len() as u64;
        n_inputs += 2 * txs.len() as u64;
        let block = node.next_block(txs, fees);
        node.submit(&block)
            .unwrap_or_else(|e| panic!("spend block {b}: {e}"));
        wpkh.extend(new_w);
        tr.extend(new_t);
    }
    node.cm.flush().expect("flush");
    let blocks = node.tip_height();
    Generated {
        blocks,
        txs: n_txs + u64::from(blocks) + 1,
        inputs: n_inputs,
        secs: start.elapsed().as_secs_f64(),
    }
}

/// Peak resident memory of this process in KiB (`VmHWM`).
fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The child: `-reindex` of `dir` with `par` script-check threads; prints
/// `seconds blocks transactions vmhwm_kib`.
fn child_reindex(dir: &Path, par: usize) {
    let options = ChainstateOptions {
        par,
        reindex: true,
        ..options()
    };
    let start = Instant::now();
    let mut node = Node::open(dir, options);
    node.cm.reindex().expect("reindex");
    let secs = start.elapsed().as_secs_f64();
    let tip = node.cm.tip().expect("tip");
    println!(
        "RESULT {secs} {} {} {}",
        tip.height,
        tip.chain_tx,
        vm_hwm_kib()
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child-reindex") {
        child_reindex(Path::new(&args[i + 1]), args[i + 2].parse().unwrap());
        return;
    }
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .map(|i| args[i + 1].clone())
    };
    let spend_blocks: u32 = value("--blocks").map_or(200, |v| v.parse().unwrap());
    let txs_per_block: usize = value("--txs").map_or(250, |v| v.parse().unwrap());
    let pars: Vec<usize> = value("--par").map_or(vec![1, 2], |v| {
        v.split(',').map(|p| p.parse().unwrap()).collect()
    });
    let tmp = tempfile::tempdir().unwrap();
    let base: PathBuf = match value("--keep") {
        Some(d) => PathBuf::from(d),
        None => tmp.path().join("chain"),
    };
    if !base.join("blocks").exists() {
        let g = generate(&base, spend_blocks, txs_per_block);
        println!(
            "generated {} blocks, {} transactions, {} signed inputs (P2WPKH and P2TR key path) in {:.1} s",
            g.blocks, g.txs, g.inputs, g.secs
        );
    }
    let size: u64 = std::fs::read_dir(base.join("blocks"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("blk"))
        .map(|e| e.metadata().unwrap().len())
        .sum();
    println!("block files: {:.1} MiB allocated", size as f64 / 1048576.0);
    println!(
        "{:>4} {:>9} {:>7} {:>9} {:>10} {:>12} {:>10}",
        "par", "seconds", "blocks", "blocks/s", "txs", "txs/s", "peak MiB"
    );
    let exe = std::env::current_exe().unwrap();
    for par in pars {
        let work = tmp.path().join(format!("par{par}"));
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        copy_dir(&base.join("blocks"), &work.join("blocks"));
        let out = Command::new(&exe)
            .arg("--child-reindex")
            .arg(&work)
            .arg(par.to_string())
            .output()
            .expect("run the reindex child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let Some(line) = stdout.lines().find(|l| l.starts_with("RESULT ")) else {
            panic!(
                "child failed: {}\n{}",
                stdout,
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let f: Vec<f64> = line[7..]
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        let (secs, blocks, txs, hwm) = (f[0], f[1], f[2], f[3]);
        println!(
            "{:>4} {:>9.2} {:>7} {:>9.1} {:>10} {:>12.0} {:>10.1}",
            par,
            secs,
            blocks,
            blocks / secs,
            txs,
            txs / secs,
            hwm / 1024.0
        );
        let _ = std::fs::remove_dir_all(&work);
    }
}
