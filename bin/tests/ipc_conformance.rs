//! The conformance suite of the interfaces a wallet uses (`Echo`, `Chain`
//! with its notifications, `handleRpc` through a `WalletLoader`), written
//! once over a [`Fixture`] and run against every way of reaching a node:
//!
//! - (a) the in-process implementation: a node (`run_node`) inside this
//!   test process, its `Chain` called directly;
//! - (b) a child process over a socketpair: this test binary re-run as a
//!   child (`conformance_child_process`) that runs a node and serves its
//!   `Init` on `-ipcfd`;
//! - (c) a `widecoin-node` listening on a unix socket (`-ipcbind=unix`);
//! - (d) a `widecoin-node` listening on TCP (`-ipcbind=tcp:...`),
//!   authenticated and encrypted; a client without the right key is refused.
//!
//! The failure modes of ../shared/IPC.md "Known trouble" are part of it: a
//! callback during a call (notification handlers and RPC handlers that call
//! the node back while it waits on them), many threads sharing one proxy (a
//! blocking proxy cannot have two calls in flight on one thread: each call
//! holds its thread, and a nested call from a callback runs on another),
//! the node stopping with a client attached while the client loops on a wait
//! call, and the node process killed mid-call (a transport error, not a hang
//! or a panic).

mod common;
use common::wait_until;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use bitcoin::consensus::{deserialize, serialize};
use bitcoin::hashes::Hash as _;
use bitcoin::{absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn};
use bitcoin::{TxOut, Txid, Witness};
use serde_json::{json, Value};
use widecoin_interfaces::{
    BlockInfo, Chain, ChainNotifications, Echo, FoundBlockRequest, Handler, Hash256, Init,
    IpcError, LocalEcho, OutPointRef, RbfState, RemovalReason, RpcArgDoc, RpcArgFallback, RpcCall,
    RpcCommandSpec, RpcError, RpcHandlerRemote, RpcMethodDoc, RpcResultDoc, WalletLoader,
};
use widecoin_ipc::{IpcAddress, IpcKey, ProcessHandle, SpawnOptions};
use widecoin_node::{IpcChainSlot, ProcessKind};
use widecoin_test_utils::{free_port, NodeOptions, TestNode};

const WIDECOIN_NODE: &str = env!("CARGO_BIN_EXE_widecoin-node");
const DEADLINE: Duration = Duration::from_secs(60);
/// P2WSH of `OP_TRUE`: anyone can spend it with the witness `[51]`.
const OP_TRUE_P2WSH: &str = "00204ae81572f06e1b88fd5ced7a1a000945432e83e1551e6f721ee9c00b8cc33260";

/// Runs `f` on a thread; panics if it does not finish within the deadline.
fn promptly<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(DEADLINE)
        .unwrap_or_else(|_| panic!("{what} did not finish (a hang)"))
}

// ----- fixtures -----

/// How the node is reached, and what runs it.
enum Runner {
    /// (a) `run_node` on a thread of this process.
    InProcess(Option<JoinHandle<i32>>),
    /// (b) this binary re-run as a child; the node runs inside it.
    Child(Option<ProcessHandle>),
    /// (c), (d) a `widecoin-node` process, connected over a socket.
    Remote(#[allow(dead_code)] widecoin_ipc::Connection),
}

/// A running node and the interfaces of it under test.
struct Fixture {
    name: &'static str,
    chain: Arc<dyn Chain>,
    echo: Box<dyn Echo>,
    /// The node's datadir, RPC port and (for (c), (d)) its process.
    node: TestNode,
    runner: Runner,
}

fn node_options() -> NodeOptions {
    NodeOptions::new(WIDECOIN_NODE)
        .conf_line("debug=ipc")
        .conf_line("debug=rpc")
        // One hour, so that `setmocktime` can expire transactions.
        .conf_line("mempoolexpiry=1")
        // The smallest pool, which a test can fill.
        .conf_line("maxmempool=5")
        .arg("-disablewallet")
}

/// The node's `Init` as the test child serves it (what `widecoin-node`
/// serves on `-ipcbind`).
struct ChildInit(IpcChainSlot);

impl Init for ChildInit {
    fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError> {
        Ok(Box::new(LocalEcho))
    }
    fn make_chain(&self) -> Result<Arc<dyn Chain>, IpcError> {
        self.0
            .get()
            .cloned()
            .ok_or_else(|| RpcError::misc("not started").into())
    }
}

/// Starts `run_node` on a thread for `datadir`; returns the thread and the
/// node's `Chain` once it is up.
fn run_node_here(datadir: &Path) -> (JoinHandle<i32>, Arc<dyn Chain>) {
    let slot: IpcChainSlot = Arc::new(OnceLock::new());
    let kind = ProcessKind {
        ipc_chain: Some(slot.clone()),
        ..ProcessKind::default()
    };
    let argv = vec![
        "widecoin-node".to_string(),
        format!("-datadir={}", datadir.display()),
        "-disablewallet".to_string(),
    ];
    let thread = std::thread::Builder::new()
        .name("node".into())
        .spawn(move || widecoin_node::run_node(&argv, kind))
        .unwrap();
    wait_until("the in-process node's Chain", || {
        slot.get().is_some() || thread.is_finished()
    });
    let chain = slot.get().cloned().expect("the node started");
    (thread, chain)
}

fn wait_for_rpc(node: &TestNode) {
    wait_until("RPC", || {
        node.auth().is_some() && node.rpc("getblockcount", json!([])).is_ok()
    });
}

impl Fixture {
    /// (a) Only one per test process (the logger and signal handlers are
    /// process-wide).
    fn in_process() -> Fixture {
        let node = TestNode::prepare(node_options()).unwrap();
        let (thread, chain) = run_node_here(&node.datadir);
        wait_for_rpc(&node);
        Fixture {
            name: "in-process",
            chain,
            echo: Box::new(LocalEcho),
            node,
            runner: Runner::InProcess(Some(thread)),
        }
    }

    /// (b)
    fn child() -> Fixture {
        let node = TestNode::prepare(node_options()).unwrap();
        let exe = std::env::current_exe().unwrap();
        let options = SpawnOptions {
            args: vec![
                "--exact".into(),
                "--nocapture".into(),
                "--ignored".into(),
                "conformance_child_process".into(),
                "--".into(),
                format!("-datadir={}", node.datadir.display()),
            ],
            sandbox: None,
        };
        let (init, process) = widecoin_ipc::spawn_init_with(&exe, &options).unwrap();
        let chain = init.make_chain().expect("the child's Chain");
        let echo = init.make_echo().unwrap();
        wait_for_rpc(&node);
        Fixture {
            name: "child over a socketpair",
            chain,
            echo,
            node,
            runner: Runner::Child(Some(process)),
        }
    }

    /// (c) and (d): `address` is `unix` or `tcp`.
    fn remote(transport: &str) -> Fixture {
        let port = free_port();
        let bind = match transport {
            "unix" => "unix".to_string(),
            _ => format!("tcp:127.0.0.1:{port}"),
        };
        let node = common::start(node_options().arg(format!("-ipcbind={bind}")));
        let address = IpcAddress::parse(&bind, &node.net_dir()).unwrap();
        let key = (transport == "tcp")
            .then(|| IpcKey::load(&node.net_dir().join("ipc.cookie")).expect("the node's key"));
        let (init, conn) = widecoin_ipc::connect(&address, key.as_ref()).unwrap();
        let chain = init.make_chain().unwrap();
        let echo = init.make_echo().unwrap();
        Fixture {
            name: if transport == "unix" {
                "unix socket"
            } else {
                "TCP"
            },
            chain,
            echo,
            node,
            runner: Runner::Remote(conn),
        }
    }

    fn rpc(&self, method: &str, params: Value) -> Value {
        self.node
            .rpc(method, params)
            .unwrap_or_else(|e| panic!("[{}] {method}: {e:?}", self.name))
    }

    fn is_ipc(&self) -> bool {
        !matches!(self.runner, Runner::InProcess(_))
    }

    /// Mines `n` blocks paying `OP_TRUE_P2WSH`; their hashes.
    fn mine(&self, n: u32) -> Vec<Hash256> {
        let hashes = self.rpc(
            "generatetodescriptor",
            json!([n, format!("raw({OP_TRUE_P2WSH})")]),
        );
        hashes
            .as_array()
            .unwrap()
            .iter()
            .map(|h| hash_from_hex(h.as_str().unwrap()))
            .collect()
    }

    fn tip(&self) -> Hash256 {
        hash_from_hex(self.rpc("getbestblockhash", json!([])).as_str().unwrap())
    }

    fn debug_log(&self) -> String {
        std::fs::read_to_string(self.node.net_dir().join("debug.log")).unwrap_or_default()
    }

    /// Asks the node to stop and waits until it has exited: 0 for a clean exit.
    fn stop_node(&mut self) -> i32 {
        let reply = self.rpc("stop", json!([]));
        assert_eq!(reply, json!("Widecoin Core stopping"));
        match &mut self.runner {
            Runner::InProcess(thread) => {
                let thread = thread.take().unwrap();
                promptly("the in-process node's shutdown", move || {
                    thread.join().unwrap()
                })
            }
            Runner::Child(process) => {
                let process = process.take().unwrap();
                let conn = process.connection().clone();
                promptly("the child's exit", move || conn.wait_closed());
                process.close().unwrap()
            }
            Runner::Remote(_) => {
                let mut status = None;
                wait_until("widecoin-node's exit", || {
                    status = self.node.try_wait().unwrap();
                    status.is_some()
                });
                status.unwrap().code().unwrap_or(-1)
            }
        }
    }

    /// Kills the node's process (not for the in-process node).
    fn kill_node(&mut self) {
        let pid = match &self.runner {
            Runner::Child(Some(p)) => p.pid(),
            Runner::Remote(_) => self.node.pid().unwrap(),
            _ => panic!("nothing to kill"),
        };
        let status = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

fn hash_from_hex(s: &str) -> Hash256 {
    let mut h: Hash256 = hex::decode(s).unwrap().try_into().unwrap();
    h.reverse();
    h
}

fn hex_of(h: &Hash256) -> String {
    let mut r = *h;
    r.reverse();
    hex::encode(r)
}

/// A transaction spending `prev` (an `OP_TRUE_P2WSH` output of `value`
/// satoshis) back to `OP_TRUE_P2WSH`, paying 1000 satoshis fee.
fn spend(prev: OutPoint, value: i64, sequence: u32) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: prev,
            script_sig: ScriptBuf::new(),
            sequence: Sequence(sequence),
            witness: Witness::from_slice(&[vec![0x51u8]]),
        }],
        output: vec![TxOut {
            value: Amount::from_sat((value - 1000) as u64),
            script_pubkey: ScriptBuf::from_bytes(hex::decode(OP_TRUE_P2WSH).unwrap()),
        }],
    }
}

/// `spend` with another fee, sequence and lock time, and `outputs` equal
/// outputs.
fn spend_with(
    prev: OutPoint,
    value: i64,
    fee: i64,
    sequence: u32,
    lock_time: u32,
    outputs: usize,
) -> Transaction {
    let mut tx = spend(prev, value, sequence);
    tx.lock_time = absolute::LockTime::from_consensus(lock_time);
    let each = (value - fee) / outputs as i64;
    tx.output = vec![
        TxOut {
            value: Amount::from_sat(each as u64),
            script_pubkey: ScriptBuf::from_bytes(hex::decode(OP_TRUE_P2WSH).unwrap()),
        };
        outputs
    ];
    tx
}

fn txid_bytes(tx: &Transaction) -> Hash256 {
    tx.compute_txid().to_byte_array()
}

// ----- the notifications a client records -----

#[derive(Debug, Clone, PartialEq)]
enum Note {
    Added(Txid),
    Removed(Txid, RemovalReason),
    Connected(u32, Hash256),
    Disconnected(u32, Hash256),
    Tip,
    Flushed,
}

/// Records notifications; calls the node back from inside each block
/// notification (a callback during a call).
struct Recorder {
    notes: Mutex<Vec<Note>>,
    chain: Arc<dyn Chain>,
    /// Set: block notifications wait for this before returning.
    gate: Mutex<Option<mpsc::Receiver<()>>>,
    callback_errors: Mutex<Vec<String>>,
}

impl Recorder {
    fn new(chain: Arc<dyn Chain>) -> Arc<Recorder> {
        Arc::new(Recorder {
            notes: Mutex::new(Vec::new()),
            chain,
            gate: Mutex::new(None),
            callback_errors: Mutex::new(Vec::new()),
        })
    }
    fn notes(&self) -> Vec<Note> {
        self.notes.lock().unwrap().clone()
    }
    fn push(&self, n: Note) -> Result<(), IpcError> {
        self.notes.lock().unwrap().push(n);
        Ok(())
    }
    fn check_block(&self, b: &BlockInfo) {
        let block: bitcoin::Block = deserialize(&b.data).expect("the block's bytes");
        if block.block_hash().to_byte_array() != b.hash {
            self.callback_errors.lock().unwrap().push(format!(
                "block data of {} does not hash to it",
                hex_of(&b.hash)
            ));
        }
        // A call back into the node while it waits for this notification.
        if let Err(e) = self
            .chain
            .find_block(&b.hash, &FoundBlockRequest::default())
        {
            self.callback_errors
                .lock()
                .unwrap()
                .push(format!("callback failed: {e}"));
        }
        if let Some(gate) = self.gate.lock().unwrap().as_ref() {
            let _ = gate.recv();
        }
    }
}

impl ChainNotifications for Recorder {
    fn transaction_added_to_mempool(&self, tx: &[u8], _seq: u64) -> Result<(), IpcError> {
        let tx: Transaction = deserialize(tx).unwrap();
        self.push(Note::Added(tx.compute_txid()))
    }
    fn transaction_removed_from_mempool(
        &self,
        tx: &[u8],
        reason: RemovalReason,
        _seq: u64,
    ) -> Result<(), IpcError> {
        let tx: Transaction = deserialize(tx).unwrap();
        self.push(Note::Removed(tx.compute_txid(), reason))
    }
    fn block_connected(&self, b: &BlockInfo) -> Result<(), IpcError> {
        self.check_block(b);
        self.push(Note::Connected(b.height, b.hash))
    }
    fn block_disconnected(&self, b: &BlockInfo) -> Result<(), IpcError> {
        self.check_block(b);
        self.push(Note::Disconnected(b.height, b.hash))
    }
    fn updated_block_tip(&self) -> Result<(), IpcError> {
        self.push(Note::Tip)
    }
    fn chain_state_flushed(&self, locator: &[Hash256]) -> Result<(), IpcError> {
        if locator.is_empty() {
            self.callback_errors
                .lock()
                .unwrap()
                .push("an empty locator".into());
        }
        self.push(Note::Flushed)
    }
}

// ----- the suite: Echo -----

fn echo_conforms(f: &Fixture) {
    widecoin_interfaces::echo::conformance::run_all(f.echo.as_ref());
}

// ----- the suite: Chain -----

fn chain_lookups(f: &Fixture) {
    let c = &f.chain;
    let hashes = f.mine(3);
    let tip = *hashes.last().unwrap();
    let height = c.get_height().unwrap().unwrap();
    assert_eq!(
        i64::from(height),
        f.rpc("getblockcount", json!([])).as_i64().unwrap()
    );
    assert_eq!(c.get_block_hash(height).unwrap(), Some(tip));
    assert_eq!(c.get_block_hash(height + 1).unwrap(), None);
    assert!(c.have_block_on_disk(height).unwrap());
    assert!(!c.have_block_on_disk(height + 1).unwrap());

    // Every field, as the node's RPC reports it.
    let found = c
        .find_block(&tip, &FoundBlockRequest::all())
        .unwrap()
        .expect("the tip is found");
    let header = f.rpc("getblockheader", json!([hex_of(&tip)]));
    assert_eq!(found.hash, Some(tip));
    assert_eq!(found.height, Some(height));
    assert_eq!(found.time, header["time"].as_i64());
    assert_eq!(found.mtp_time, header["mediantime"].as_i64());
    assert!(found.max_time.unwrap() >= found.time.unwrap());
    assert_eq!(found.in_active_chain, Some(true));
    assert_eq!(found.next_block, None, "the tip has no next block");
    let raw = f.rpc("getblock", json!([hex_of(&tip), 0]));
    assert_eq!(
        found.data,
        Some(hex::decode(raw.as_str().unwrap()).unwrap())
    );
    // Only the fields asked for.
    let only_height = FoundBlockRequest {
        height: true,
        ..FoundBlockRequest::default()
    };
    let found = c.find_block(&hashes[0], &only_height).unwrap().unwrap();
    assert_eq!(found.height, Some(height - 2));
    assert_eq!(
        (
            found.hash,
            found.time,
            found.data.is_none(),
            found.next_block
        ),
        (None, None, true, None)
    );
    let next = FoundBlockRequest {
        next_block: true,
        ..FoundBlockRequest::default()
    };
    assert_eq!(
        c.find_block(&hashes[0], &next).unwrap().unwrap().next_block,
        Some(hashes[1])
    );
    assert_eq!(c.find_block(&[7; 32], &only_height).unwrap(), None);
    // Ancestors and the first block by time and height.
    let want_hash = FoundBlockRequest {
        hash: true,
        ..FoundBlockRequest::default()
    };
    let ancestor = c
        .find_ancestor_by_height(&tip, 1, &want_hash)
        .unwrap()
        .unwrap();
    assert_eq!(
        ancestor.hash.map(|h| hex_of(&h)),
        f.rpc("getblockhash", json!([1])).as_str().map(String::from)
    );
    assert_eq!(
        c.find_ancestor_by_height(&tip, height + 1, &want_hash)
            .unwrap(),
        None
    );
    let first = c
        .find_first_block_with_time_and_height(0, height - 1, &only_height)
        .unwrap()
        .unwrap();
    assert_eq!(first.height, Some(height - 1));
    assert_eq!(
        c.find_first_block_with_time_and_height(i64::MAX, 0, &only_height)
            .unwrap(),
        None
    );
    assert!(!c.shutdown_requested().unwrap());
    c.is_initial_block_download().unwrap();
}

/// Mempool queries, coins and broadcast; `recorder` (registered before)
/// must hear of every change, in order.
fn chain_mempool_and_notifications(f: &Fixture, recorder: &Recorder) {
    let c = &f.chain;
    let start_tip = f.tip();
    let start_height = c.get_height().unwrap().unwrap();
    // Mature coinbases to spend.
    let mined = f.mine(101);
    c.wait_for_notifications_if_tip_changed(&start_tip).unwrap();
    // Every block, in order, each followed by its tip update.
    let connected: Vec<Note> = recorder
        .notes()
        .into_iter()
        .filter(|n| matches!(n, Note::Connected(..)))
        .collect();
    let expected: Vec<Note> = mined
        .iter()
        .enumerate()
        .map(|(i, h)| Note::Connected(start_height + 1 + i as u32, *h))
        .collect();
    assert_eq!(
        connected[connected.len() - 101..],
        expected[..],
        "[{}]",
        f.name
    );
    assert_eq!(recorder.notes().last(), Some(&Note::Tip));
    assert!(recorder.callback_errors.lock().unwrap().is_empty());

    // Two coinbases of the mined blocks.
    let cb = |h: &Hash256| {
        let block = f.rpc("getblock", json!([hex_of(h), 2]));
        Txid::from_byte_array(hash_from_hex(block["tx"][0]["txid"].as_str().unwrap()))
    };
    let (cb1, cb2) = (cb(&mined[0]), cb(&mined[1]));
    let coins = c
        .find_coins(&[
            OutPointRef {
                txid: cb1.to_byte_array(),
                vout: 0,
            },
            OutPointRef {
                txid: [9; 32],
                vout: 0,
            },
        ])
        .unwrap();
    let coin = coins[0].clone().expect("the coinbase output is unspent");
    assert!(coin.coinbase);
    assert_eq!(coin.height, start_height + 1);
    assert_eq!(hex::encode(&coin.script_pubkey), OP_TRUE_P2WSH);
    assert_eq!(coins[1], None);
    let value = coin.value;

    // tx1 signals BIP125 and is broadcast through the Chain; tx2 spends it,
    // sent by RPC (the node's other door).
    let tx1 = spend(OutPoint::new(cb1, 0), value, 0xffff_fffd);
    let tx2 = spend(
        OutPoint::new(tx1.compute_txid(), 0),
        value - 1000,
        0xffff_ffff,
    );
    assert_eq!(
        c.is_rbf_opt_in(&serialize(&tx1)).unwrap(),
        RbfState::ReplaceableBip125
    );
    assert_eq!(
        c.is_rbf_opt_in(&serialize(&tx2)).unwrap(),
        RbfState::Unknown
    );
    assert_eq!(
        c.broadcast_transaction(&serialize(&tx1), 0, true).unwrap(),
        Ok(())
    );
    // Again: already there, fine.
    assert_eq!(
        c.broadcast_transaction(&serialize(&tx1), 0, true).unwrap(),
        Ok(())
    );
    c.check_chain_limits(&serialize(&tx2)).unwrap();
    f.rpc("sendrawtransaction", json!([hex::encode(serialize(&tx2))]));
    assert!(c.is_in_mempool(&txid_bytes(&tx1)).unwrap());
    assert!(c.is_in_mempool(&txid_bytes(&tx2)).unwrap());
    assert!(!c.is_in_mempool(&[3; 32]).unwrap());
    assert!(c.has_descendants_in_mempool(&txid_bytes(&tx1)).unwrap());
    assert!(!c.has_descendants_in_mempool(&txid_bytes(&tx2)).unwrap());
    let ancestry = c.get_transaction_ancestry(&txid_bytes(&tx2)).unwrap();
    let entry = f.rpc("getmempoolentry", json!([tx2.compute_txid().to_string()]));
    assert_eq!(ancestry.ancestors, 2);
    assert_eq!(ancestry.descendants, 1);
    assert_eq!(ancestry.ancestor_fees, 2000);
    assert_eq!(Some(ancestry.ancestor_size), entry["ancestorsize"].as_u64());
    assert_eq!(c.get_transaction_ancestry(&[3; 32]).unwrap().ancestors, 0);
    // tx2 does not signal, but its in-mempool parent does.
    assert_eq!(
        c.is_rbf_opt_in(&serialize(&tx2)).unwrap(),
        RbfState::ReplaceableBip125
    );
    // An output of a mempool transaction is a coin at the mempool height.
    let coins = c
        .find_coins(&[OutPointRef {
            txid: txid_bytes(&tx2),
            vout: 0,
        }])
        .unwrap();
    assert_eq!(coins[0].as_ref().map(|c| c.height), Some(0x7fff_ffff));
    // Refusals are answers, not transport errors.
    let tx3 = spend(OutPoint::new(cb2, 0), value, 0xffff_ffff);
    assert_eq!(
        c.broadcast_transaction(&serialize(&tx3), 1, true).unwrap(),
        Err("Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)".into())
    );
    let orphan = spend(OutPoint::new(Txid::from_byte_array([5; 32]), 0), value, 0);
    assert!(c
        .broadcast_transaction(&serialize(&orphan), 0, true)
        .unwrap()
        .is_err());
    let garbage = c.is_rbf_opt_in(b"not a transaction").unwrap_err();
    assert!(!garbage.is_transport(), "{garbage:?}");
    assert_eq!(
        c.broadcast_transaction(&serialize(&tx3), 0, false).unwrap(),
        Ok(())
    );
    assert_eq!(c.is_rbf_opt_in(&serialize(&tx3)).unwrap(), RbfState::Final);

    // The mempool changes arrive in order, whichever door they came through.
    wait_until("mempool notifications", || {
        recorder
            .notes()
            .iter()
            .filter(|n| matches!(n, Note::Added(_)))
            .count()
            >= 3
    });
    let added: Vec<Note> = recorder
        .notes()
        .into_iter()
        .filter(|n| matches!(n, Note::Added(_)))
        .collect();
    assert_eq!(
        added,
        vec![
            Note::Added(tx1.compute_txid()),
            Note::Added(tx2.compute_txid()),
            Note::Added(tx3.compute_txid())
        ]
    );

    // Mining them: blockConnected carries them; no removal notification for
    // mined transactions (Core tells the wallet by the block).
    let before = f.tip();
    let block = f.mine(1)[0];
    c.wait_for_notifications_if_tip_changed(&before).unwrap();
    let notes = recorder.notes();
    assert!(notes.contains(&Note::Connected(start_height + 102, block)));
    assert!(
        !notes.iter().any(|n| matches!(n, Note::Removed(..))),
        "{notes:?}"
    );
    assert!(!c.is_in_mempool(&txid_bytes(&tx1)).unwrap());

    // A disconnected block is told too.
    let before = f.tip();
    f.rpc("invalidateblock", json!([hex_of(&block)]));
    c.wait_for_notifications_if_tip_changed(&before).unwrap();
    let notes = recorder.notes();
    assert!(
        notes.contains(&Note::Disconnected(start_height + 102, block)),
        "[{}] {:?} {:?}",
        f.name,
        &notes[notes.len().saturating_sub(6)..],
        recorder.callback_errors.lock().unwrap()
    );
    let invalidated = f.tip();
    f.rpc("reconsiderblock", json!([hex_of(&block)]));
    c.wait_for_notifications_if_tip_changed(&invalidated)
        .unwrap();
    assert_eq!(f.tip(), block);
    assert_eq!(
        recorder.notes().last(),
        Some(&Note::Tip),
        "[{}] reconnected and told",
        f.name
    );
    assert!(recorder.callback_errors.lock().unwrap().is_empty());
}

/// The notifications after the first `mark`, once `done` holds for them.
fn notes_after(
    recorder: &Recorder,
    mark: usize,
    what: &str,
    done: impl Fn(&[Note]) -> bool,
) -> Vec<Note> {
    let mut notes = Vec::new();
    wait_until(what, || {
        notes = recorder.notes().split_off(mark);
        done(&notes)
    });
    notes
}

fn position(notes: &[Note], note: &Note) -> usize {
    notes
        .iter()
        .position(|n| n == note)
        .unwrap_or_else(|| panic!("no {note:?} in {notes:?}"))
}

/// A mature coinbase output of block `height`, and its value.
fn coinbase_coin(f: &Fixture, height: u32) -> (OutPoint, i64) {
    let hash = f.rpc("getblockhash", json!([height]));
    let block = f.rpc("getblock", json!([hash, 2]));
    let txid = Txid::from_byte_array(hash_from_hex(block["tx"][0]["txid"].as_str().unwrap()));
    let value = (block["tx"][0]["vout"][0]["value"].as_f64().unwrap() * 1e8).round() as i64;
    (OutPoint::new(txid, 0), value)
}

fn send(f: &Fixture, tx: &Transaction) {
    f.rpc("sendrawtransaction", json!([hex::encode(serialize(tx))]));
}

/// Every reason a transaction leaves the mempool that a test can bring
/// about, each told with Core's reason and in Core's order: replacement,
/// conflict with a block, reorg, expiry and eviction (a removal for a block
/// is not told: the block is).
fn chain_mempool_removal_reasons(f: &Fixture, recorder: &Recorder) {
    use RemovalReason::{Conflict, Expiry, Reorg, Replaced, SizeLimit};
    let c = &f.chain;
    let before = f.tip();
    f.mine(45);
    c.wait_for_notifications_if_tip_changed(&before).unwrap();
    let height = c.get_height().unwrap().unwrap();
    // Mature coinbases nobody spent yet (the suite spent those of blocks 4
    // and 5).
    let mut coins = (6..=height - 99).map(|h| coinbase_coin(f, h));

    // Replacement: the replaced transaction's removal, then the addition.
    let (coin, value) = coins.next().unwrap();
    let original = spend_with(coin, value, 1000, 0xffff_fffd, 0, 1);
    let replacement = spend_with(coin, value, 5000, 0xffff_fffd, 0, 1);
    let mark = recorder.notes().len();
    send(f, &original);
    send(f, &replacement);
    let notes = notes_after(recorder, mark, "the replacement", |n| n.len() >= 3);
    assert_eq!(
        notes,
        vec![
            Note::Added(original.compute_txid()),
            Note::Removed(original.compute_txid(), Replaced),
            Note::Added(replacement.compute_txid()),
        ],
        "[{}]",
        f.name
    );

    // A block spending the same coin: the conflict's removal comes before
    // blockConnected.
    let (coin, value) = coins.next().unwrap();
    let waiting = spend_with(coin, value, 1000, 0xffff_ffff, 0, 1);
    let rival = spend_with(coin, value, 2000, 0xffff_ffff, 0, 2);
    let mark = recorder.notes().len();
    send(f, &waiting);
    let before = f.tip();
    let generated = f.rpc(
        "generateblock",
        json!([
            format!("raw({OP_TRUE_P2WSH})"),
            [hex::encode(serialize(&rival))]
        ]),
    );
    let block = hash_from_hex(generated["hash"].as_str().unwrap());
    c.wait_for_notifications_if_tip_changed(&before).unwrap();
    let notes = notes_after(recorder, mark, "the conflicting block", |n| {
        n.contains(&Note::Tip)
    });
    let removed = position(&notes, &Note::Removed(waiting.compute_txid(), Conflict));
    let connected = position(&notes, &Note::Connected(height + 1, block));
    assert!(removed < connected, "[{}] {notes:?}", f.name);
    assert_eq!(notes[0], Note::Added(waiting.compute_txid()));

    // A reorg: a transaction final only on top of that block leaves with
    // `reorg` when it is invalidated; the block's transaction comes back.
    let (coin, value) = coins.next().unwrap();
    let locked = spend_with(coin, value, 1000, 0xffff_fffe, height + 1, 1);
    let mark = recorder.notes().len();
    send(f, &locked);
    let before = f.tip();
    let log_mark = f.debug_log().matches("method=waitfornewblock").count();
    let new_tip = std::thread::scope(|s| {
        // The node's own tip follows invalidateblock: a waiter wakes with it.
        // (With a timeout: should it start only after the change, it
        // returns the same answer later.)
        let waiter = s.spawn(|| f.rpc("waitfornewblock", json!([30_000])));
        wait_until("waitfornewblock to wait", || {
            f.debug_log().matches("method=waitfornewblock").count() > log_mark
        });
        f.rpc("invalidateblock", json!([hex_of(&block)]));
        waiter.join().unwrap()
    });
    let fork_tip = f.rpc("getbestblockhash", json!([]));
    assert_eq!(new_tip["hash"], fork_tip, "[{}]", f.name);
    assert_eq!(new_tip["height"], json!(height), "[{}]", f.name);
    let found = f.rpc("waitforblock", json!([fork_tip, 1]));
    assert_eq!(found["hash"], fork_tip, "[{}]", f.name);
    c.wait_for_notifications_if_tip_changed(&before).unwrap();
    let notes = notes_after(recorder, mark, "the reorg", |n| n.contains(&Note::Tip));
    assert_eq!(
        notes,
        vec![
            Note::Added(locked.compute_txid()),
            Note::Disconnected(height + 1, block),
            Note::Added(rival.compute_txid()),
            Note::Removed(locked.compute_txid(), Reorg),
            Note::Tip,
        ],
        "[{}]",
        f.name
    );
    let before = f.tip();
    f.rpc("reconsiderblock", json!([hex_of(&block)]));
    c.wait_for_notifications_if_tip_changed(&before).unwrap();
    assert_eq!(f.tip(), block);

    // Expiry (-mempoolexpiry=1): a transaction arriving an hour later
    // expires the older ones first, then is announced.
    let (coin, value) = coins.next().unwrap();
    let old = spend_with(coin, value, 1000, 0xffff_ffff, 0, 1);
    let mark = recorder.notes().len();
    send(f, &old);
    let in_pool: Vec<Txid> = f
        .rpc("getrawmempool", json!([]))
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().parse().unwrap())
        .collect();
    assert!(in_pool.contains(&old.compute_txid()));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    f.rpc("setmocktime", json!([now + 3600 + 600]));
    let (coin, value) = coins.next().unwrap();
    let young = spend_with(coin, value, 1000, 0xffff_ffff, 0, 1);
    send(f, &young);
    f.rpc("setmocktime", json!([0]));
    let notes = notes_after(recorder, mark, "the expiry", |n| {
        n.contains(&Note::Added(young.compute_txid()))
    });
    assert_eq!(notes[0], Note::Added(old.compute_txid()));
    let mut expired: Vec<Txid> = notes[1..notes.len() - 1]
        .iter()
        .map(|n| match n {
            Note::Removed(t, Expiry) => *t,
            other => panic!("[{}] {other:?} in {notes:?}", f.name),
        })
        .collect();
    let mut want = in_pool.clone();
    expired.sort();
    want.sort();
    assert_eq!(
        expired, want,
        "[{}] every older transaction expired",
        f.name
    );
    assert_eq!(notes.last(), Some(&Note::Added(young.compute_txid())));

    // Eviction (-maxmempool=5): big transactions until the cheapest one is
    // evicted, told before the arrival that evicted it.
    let (coin, value) = coins.next().unwrap();
    let cheap = spend_with(coin, value, 100_000, 0xffff_ffff, 0, 2000);
    let mark = recorder.notes().len();
    send(f, &cheap);
    let mut last = None;
    for (coin, value) in coins.by_ref() {
        let dear = spend_with(coin, value, 400_000, 0xffff_ffff, 0, 2000);
        send(f, &dear);
        last = Some(dear.compute_txid());
        if !c.is_in_mempool(&txid_bytes(&cheap)).unwrap() {
            break;
        }
    }
    assert!(
        !c.is_in_mempool(&txid_bytes(&cheap)).unwrap(),
        "[{}] not full",
        f.name
    );
    let last = last.unwrap();
    let notes = notes_after(recorder, mark, "the eviction", |n| {
        n.contains(&Note::Added(last))
    });
    let evicted = position(&notes, &Note::Removed(cheap.compute_txid(), SizeLimit));
    assert_eq!(evicted, notes.len() - 2, "[{}] {notes:?}", f.name);
    assert!(recorder.callback_errors.lock().unwrap().is_empty());
}

fn chain_settings_and_fees(f: &Fixture) {
    let c = &f.chain;
    assert_eq!(c.get_setting("-regtest").unwrap().as_deref(), Some("1"));
    assert_eq!(c.get_setting("-nosuchsetting").unwrap(), None);
    assert!(c
        .get_settings_list("-debug")
        .unwrap()
        .contains(&"\"ipc\"".to_string()));
    assert!(c
        .update_rw_setting("conformance", Some("{\"a\":[1,\"☃\"]}"))
        .unwrap());
    assert_eq!(
        c.get_rw_setting("conformance").unwrap().as_deref(),
        Some("{\"a\":[1,\"☃\"]}")
    );
    let file = std::fs::read_to_string(f.node.net_dir().join("settings.json")).unwrap();
    assert!(file.contains("conformance"), "{file}");
    assert!(c.update_rw_setting("conformance", None).unwrap());
    assert_eq!(c.get_rw_setting("conformance").unwrap(), None);
    // The node's own settings change (Core's gArgs): its merged view has
    // the value, and settings.json keeps every setting written so far.
    assert!(c
        .update_rw_setting("conformancename", Some("\"live\""))
        .unwrap());
    assert!(c.update_rw_setting("conformanceother", Some("7")).unwrap());
    assert_eq!(
        c.get_setting("-conformancename").unwrap().as_deref(),
        Some("live")
    );
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(f.node.net_dir().join("settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (&file["conformancename"], &file["conformanceother"]),
        (&json!("live"), &json!(7)),
        "[{}] {file}",
        f.name
    );
    assert!(c.update_rw_setting("conformancename", None).unwrap());
    assert!(c.update_rw_setting("conformanceother", None).unwrap());
    assert_eq!(c.get_setting("-conformancename").unwrap(), None);
    let rates = c.policy_fee_rates().unwrap();
    assert_eq!(
        (
            rates.relay_min_fee,
            rates.relay_incremental_fee,
            rates.relay_dust_fee
        ),
        (1000, 1000, 3000)
    );
    assert!(rates.mempool_min_fee >= 0);
    if let Some(estimate) = c.estimate_smart_fee(6, false).unwrap() {
        assert!(estimate.fee_rate > 0 && estimate.returned_target >= 1);
    }
}

/// Many threads share one proxy, each call holding its own thread.
fn chain_concurrent_callers(f: &Fixture) {
    let tip = f.tip();
    std::thread::scope(|s| {
        for t in 0..8u32 {
            let c = f.chain.clone();
            s.spawn(move || {
                for i in 0..40u32 {
                    match (t + i) % 3 {
                        0 => assert!(c.get_height().unwrap().is_some()),
                        1 => assert!(c
                            .find_block(&tip, &FoundBlockRequest::all())
                            .unwrap()
                            .is_some()),
                        _ => assert!(!c.is_in_mempool(&[t as u8; 32]).unwrap()),
                    }
                }
            });
        }
    });
}

// ----- the suite: WalletLoader / handleRpc -----

/// A wallet module registering one method whose handler calls the node
/// back while the node waits for it.
struct TestLoader {
    chain: Arc<dyn Chain>,
    handlers: Mutex<Vec<Box<dyn Handler>>>,
}

struct EchoHandler(Arc<dyn Chain>);

impl RpcHandlerRemote for EchoHandler {
    fn call(&self, call: &RpcCall) -> Result<String, IpcError> {
        if call.params_json == "[\"fail\"]" {
            return Err(RpcError::new(-4, "wallet error ☃").into());
        }
        let height = self.0.get_height()?.map_or(-1, i64::from);
        Ok(json!({"params": serde_json::from_str::<Value>(&call.params_json).unwrap(), "height": height, "method": call.method}).to_string())
    }
}

fn conformance_doc() -> RpcMethodDoc {
    RpcMethodDoc {
        name: "conformanceecho".into(),
        description: "\nEchoes its argument from the registering process.\n".into(),
        args: vec![RpcArgDoc {
            names: "text".into(),
            arg_type: "STR".into(),
            fallback: RpcArgFallback::Required,
            description: "Anything".into(),
            inner: vec![],
            skip_type_check: false,
            oneline_description: String::new(),
            type_str: vec![],
            hidden: false,
            also_positional: false,
        }],
        results: vec![RpcResultDoc {
            cond: String::new(),
            result_type: "ANY".into(),
            key_name: String::new(),
            optional: false,
            skip_type_check: true,
            description: "The echo".into(),
            inner: vec![],
        }],
        examples: "> widecoin-cli conformanceecho x\n".into(),
    }
}

impl WalletLoader for TestLoader {
    fn register_rpcs(&self) -> Result<(), IpcError> {
        let h = self.chain.handle_rpc(
            RpcCommandSpec {
                category: "hidden".into(),
                doc: conformance_doc(),
            },
            Arc::new(EchoHandler(self.chain.clone())),
        )?;
        self.handlers.lock().unwrap().push(h);
        Ok(())
    }
    fn start(&self) -> Result<(), IpcError> {
        Ok(())
    }
    fn stop(&self) -> Result<(), IpcError> {
        // Unregistered by the time this returns (dropping alone unregisters
        // too, but asynchronously over IPC).
        for h in self.handlers.lock().unwrap().drain(..) {
            h.disconnect()?;
        }
        Ok(())
    }
}

fn wallet_loader_registers_rpcs(f: &Fixture) {
    let loader = TestLoader {
        chain: f.chain.clone(),
        handlers: Mutex::new(Vec::new()),
    };
    loader.register_rpcs().unwrap();
    loader.start().unwrap();
    let height = f.rpc("getblockcount", json!([]));
    // Named arguments arrive positional; the handler's callback is answered.
    let r = f.rpc("conformanceecho", json!({"text": "héllo"}));
    assert_eq!(
        r,
        json!({"params": ["héllo"], "height": height, "method": "conformanceecho"})
    );
    // The node's argument checks run before the handler.
    let e = f.node.rpc("conformanceecho", json!([5])).unwrap_err();
    assert_eq!(e.code, Some(-3));
    // An error object comes back intact.
    let e = f.node.rpc("conformanceecho", json!(["fail"])).unwrap_err();
    assert_eq!((e.code, e.message.as_str()), (Some(-4), "wallet error ☃"));
    assert!(f
        .rpc("help", json!(["conformanceecho"]))
        .as_str()
        .unwrap()
        .contains("Echoes its argument"));
    loader.stop().unwrap();
    let e = f.node.rpc("conformanceecho", json!(["x"])).unwrap_err();
    assert_eq!(e.code, Some(-32601), "unregistered at stop");
}

// ----- the suite: failure modes -----

/// The whole suite, then the node stops with a client attached while a
/// client thread loops on a wait call.
fn conforms_then_stops(mut f: Fixture) {
    echo_conforms(&f);
    let recorder = Recorder::new(f.chain.clone());
    let registration = f.chain.handle_notifications(recorder.clone()).unwrap();
    chain_lookups(&f);
    chain_mempool_and_notifications(&f, &recorder);
    chain_mempool_removal_reasons(&f, &recorder);
    chain_settings_and_fees(&f);
    chain_concurrent_callers(&f);
    wallet_loader_registers_rpcs(&f);

    // A client whose notification handler is stuck (so waits really wait),
    // and a thread looping on waitForNotificationsIfTipChanged.
    let (gate_tx, gate_rx) = mpsc::channel();
    let stuck = Recorder::new(f.chain.clone());
    *stuck.gate.lock().unwrap() = Some(gate_rx);
    let stuck_registration = f.chain.handle_notifications(stuck.clone()).unwrap();
    let old_tip = f.tip();
    f.mine(1);
    let chain = f.chain.clone();
    let looping = std::thread::spawn(move || loop {
        if let Err(e) = chain.wait_for_notifications_if_tip_changed(&old_tip) {
            return e;
        }
    });
    let code = f.stop_node();
    assert_eq!(code, 0, "[{}] the node's exit", f.name);
    // Clients still attached heard the final flush (with the tip's locator).
    assert!(
        recorder.notes().contains(&Note::Flushed),
        "[{}] no chainStateFlushed",
        f.name
    );
    // The loop ends: the node answers "shutting down" from shutdown on, or
    // the connection is gone.
    let e = promptly("the looping client", move || looping.join().unwrap());
    assert!(
        e.is_transport() || e == IpcError::from(RpcError::misc("The node is shutting down")),
        "[{}] {e:?}",
        f.name
    );
    // Every call now fails at once, and cleanly.
    let e = f.chain.get_height().unwrap_err();
    assert_eq!(e.is_transport(), f.is_ipc(), "[{}] {e:?}", f.name);
    drop(gate_tx);
    drop(stuck_registration);
    drop(registration);
}

/// The node's process is killed while a call waits in it.
fn killed_mid_call(mut f: Fixture) {
    let (_gate_tx, gate_rx) = mpsc::channel::<()>();
    let stuck = Recorder::new(f.chain.clone());
    *stuck.gate.lock().unwrap() = Some(gate_rx);
    let _registration = f.chain.handle_notifications(stuck.clone()).unwrap();
    let old_tip = f.tip();
    f.mine(1);
    let chain = f.chain.clone();
    let waiting = std::thread::spawn(move || chain.wait_for_notifications_if_tip_changed(&old_tip));
    wait_until("the wait call to reach the node", || {
        f.debug_log().contains("IPC server recv request")
            && f.debug_log()
                .contains("Chain.waitForNotificationsIfTipChanged")
    });
    f.kill_node();
    let r = promptly("the call in flight", move || waiting.join().unwrap());
    match r {
        Err(e) if e.is_transport() => {}
        other => panic!("[{}] expected a transport error, got {other:?}", f.name),
    }
    assert!(f.chain.get_height().unwrap_err().is_transport());
    assert!(f.echo.echo("after").unwrap_err().is_transport());
}

// ----- the transports -----

#[test]
fn in_process_conforms() {
    conforms_then_stops(Fixture::in_process());
    // Nothing keeps the stopped node alive (no cycle through its shutdown
    // callbacks, its Chain or its notification queues).
    wait_until("the node's context to be freed", || {
        widecoin_node::context::live_node_contexts() == 0
    });
}

#[test]
fn child_over_socketpair_conforms() {
    conforms_then_stops(Fixture::child());
}

#[test]
fn child_killed_mid_call() {
    killed_mid_call(Fixture::child());
}

#[test]
fn unix_socket_conforms() {
    conforms_then_stops(Fixture::remote("unix"));
}

#[test]
fn unix_node_killed_mid_call() {
    killed_mid_call(Fixture::remote("unix"));
}

#[test]
fn tcp_conforms() {
    conforms_then_stops(Fixture::remote("tcp"));
}

#[test]
fn tcp_node_killed_mid_call_and_wrong_key_refused() {
    let f = Fixture::remote("tcp");
    let Runner::Remote(_) = &f.runner else {
        unreachable!()
    };
    let port = f
        .debug_log()
        .lines()
        .find_map(|l| {
            l.split("Listening for IPC requests on address tcp:")
                .nth(1)
                .map(str::to_string)
        })
        .expect("the listening line");
    let address = IpcAddress::parse(&format!("tcp:{}", port.trim()), &f.node.net_dir()).unwrap();
    let wrong = IpcKey::generate();
    let refused = widecoin_ipc::connect(&address, Some(&wrong))
        .and_then(|(init, _conn)| init.make_chain().map(|_| ()));
    assert!(refused.unwrap_err().is_transport());
    wait_until("the refusal in the log", || {
        f.debug_log().contains("refused: wrong IPC key")
    });
    killed_mid_call(f);
}

/// The child of `Fixture::child`: runs a node on the datadir it is given
/// and serves its `Init` on `-ipcfd` until the parent closes the socket or
/// the node stops. Ignored: only run when this binary re-runs itself.
#[test]
#[ignore]
fn conformance_child_process() {
    let args: Vec<String> = std::env::args().collect();
    let Some(fd) = args
        .iter()
        .position(|a| a == "-ipcfd")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse::<i32>().ok())
    else {
        return;
    };
    let datadir: PathBuf = args
        .iter()
        .find_map(|a| a.strip_prefix("-datadir="))
        .expect("-datadir")
        .into();
    let slot: IpcChainSlot = Arc::new(OnceLock::new());
    let kind = ProcessKind {
        ipc_chain: Some(slot.clone()),
        ..ProcessKind::default()
    };
    let argv = vec![
        "widecoin-node".to_string(),
        format!("-datadir={}", datadir.display()),
        "-disablewallet".to_string(),
    ];
    let node = std::thread::spawn(move || widecoin_node::run_node(&argv, kind));
    // The node ending (stop) ends this process, closing the socket.
    std::thread::spawn(move || {
        let code = node.join().unwrap_or(1);
        std::process::exit(code);
    });
    wait_until("the node's Chain", || slot.get().is_some());
    let code = widecoin_ipc::serve_ipcfd(fd, Arc::new(ChildInit(slot)));
    std::process::exit(code);
}
