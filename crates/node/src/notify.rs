//! Shell commands run on node events (Core's `-blocknotify`,
//! `-startupnotify`, `-shutdownnotify` and `-alertnotify`, `runCommand`), and
//! `-stopafterblockimport`.
//!
//! Every command runs through `sh -c`; only `-shutdownnotify` is waited for
//! (shutdown starts once its commands finish, as in Core's `Interrupt`), the
//! others run on a detached thread so that validation never waits on them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};

use bitcoin::hashes::Hash as _;
use bitcoin::BlockHash;
use widecoin_chainparams::ConsensusParams;
use widecoin_chainstate::index::{BlockIndex, EntryId};
use widecoin_chainstate::{BlockIndexEntry, ValidationListener};
use widecoin_common::args::ArgsManager;
use widecoin_mining::versionbits::{
    VersionBitsCache, VERSIONBITS_NUM_BITS, VERSIONBITS_TOP_BITS, VERSIONBITS_TOP_MASK,
};

use crate::context::NodeContext;
use crate::shutdown::Shutdown;

/// Core's `runCommand`: runs `command` with the shell and waits for it; a
/// failure is logged with the value `system()` would have returned.
pub fn run_command(command: &str) {
    if command.is_empty() {
        return;
    }
    let status = match std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .status()
    {
        Ok(status) => status,
        Err(_) => {
            // `system()` returns -1 when the shell cannot be started.
            tracing::info!("runCommand error: system({command}) returned -1");
            return;
        }
    };
    if !status.success() {
        tracing::info!(
            "runCommand error: system({command}) returned {}",
            raw_status(&status)
        );
    }
}

/// The wait status as `system()` returns it.
#[cfg(unix)]
fn raw_status(status: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.into_raw()
}

#[cfg(not(unix))]
fn raw_status(status: &std::process::ExitStatus) -> i32 {
    status.code().unwrap_or(-1)
}

/// Runs `command` on a thread of its own that nobody waits for.
fn run_detached(command: String) {
    let spawned = std::thread::Builder::new()
        .name("notify".into())
        .spawn(move || run_command(&command));
    if let Err(e) = spawned {
        tracing::info!("runCommand error: could not start a thread: {e}");
    }
}

/// `-blocknotify`: runs the command, `%s` replaced by the new tip's hash, on
/// every tip change once the node is out of initial block download (Core
/// skips every synchronization state but `POST_INIT`).
struct BlockNotify {
    command: String,
}

impl ValidationListener for BlockNotify {
    fn updated_block_tip(&self, tip: &BlockIndexEntry, _fork: Option<u32>, ibd: bool) {
        if ibd {
            return;
        }
        run_detached(block_notify_command(&self.command, &tip.hash));
    }
}

/// The `-blocknotify` command for the block `hash`.
fn block_notify_command(command: &str, hash: &bitcoin::BlockHash) -> String {
    command.replace("%s", &hash.to_string())
}

/// The `-alertnotify` command, once set at start-up.
static ALERT_COMMAND: OnceLock<String> = OnceLock::new();
/// Whether a warning was already sent to `-alertnotify` (Core's `fWarned`).
static WARNED: AtomicBool = AtomicBool::new(false);
/// The latest warning (Core's `SetMiscWarning`).
static MISC_WARNING: Mutex<String> = Mutex::new(String::new());

/// Core's `DoWarning`: records `message` as the node's warning and, for the
/// first warning only, runs `-alertnotify` with it.
pub fn warning(message: &str) {
    *MISC_WARNING.lock().unwrap_or_else(|e| e.into_inner()) = message.to_string();
    if WARNED.swap(true, Ordering::SeqCst) {
        return;
    }
    if let Some(command) = ALERT_COMMAND.get() {
        if !command.is_empty() {
            run_detached(alert_notify_command(command, message));
        }
    }
}

/// The latest warning passed to [`warning`] (empty if none).
pub fn misc_warning() -> String {
    MISC_WARNING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// Core's `AlertNotify` command: `%s` replaced by the message with every
/// character outside `SAFE_CHARS_DEFAULT` removed, in single quotes.
fn alert_notify_command(command: &str, message: &str) -> String {
    command.replace("%s", &format!("'{}'", sanitize_string(message)))
}

/// Core's `SanitizeString` with `SAFE_CHARS_DEFAULT`.
pub fn sanitize_string(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || " .,;-_/:?@()".contains(*c))
        .collect()
}

/// Registers `-blocknotify` with the chainstate, remembers `-alertnotify`
/// and starts watching for unknown rules (Core's `AppInitMain`).
pub(crate) fn install(args: &ArgsManager, node: &Arc<NodeContext>) {
    if let Some(command) = args.get_arg("-alertnotify") {
        let _ = ALERT_COMMAND.set(command);
    }
    UnknownRulesWatch::start(node);
    if let Some(command) = args.get_arg("-blocknotify").filter(|c| !c.is_empty()) {
        node.chain
            .lock()
            .add_listener(Arc::new(BlockNotify { command }));
    }
}

/// Core's check in `UpdateTip` for rules that unknown version bits activated
/// (`WarningBitsConditionChecker`): after each tip change out of initial block
/// download, a thread of its own (the chainstate is locked while listeners
/// run) finds every bit whose state is ACTIVE and warns.
struct UnknownRulesWatch {
    /// A tip change not yet looked at; `None` once the node shuts down.
    pending: Mutex<Option<bool>>,
    wake: Condvar,
}

impl ValidationListener for UnknownRulesWatch {
    fn updated_block_tip(&self, _tip: &BlockIndexEntry, _fork: Option<u32>, ibd: bool) {
        if ibd {
            return;
        }
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = pending.as_mut() {
            *p = true;
            self.wake.notify_all();
        }
    }
}

impl UnknownRulesWatch {
    fn start(node: &Arc<NodeContext>) {
        let watch = Arc::new(UnknownRulesWatch {
            pending: Mutex::new(Some(false)),
            wake: Condvar::new(),
        });
        {
            let watch = watch.clone();
            node.shutdown.on_request(move || {
                *watch.pending.lock().unwrap_or_else(|e| e.into_inner()) = None;
                watch.wake.notify_all();
            });
        }
        let weak = Arc::downgrade(node);
        let worker = watch.clone();
        let spawned = std::thread::Builder::new()
            .name("warnbits".into())
            .spawn(move || worker.run(weak));
        if spawned.is_ok() {
            node.chain.lock().add_listener(watch);
        }
    }

    fn run(&self, node: Weak<NodeContext>) {
        let mut caches: Vec<WarningCache> = vec![HashMap::new(); VERSIONBITS_NUM_BITS as usize];
        loop {
            {
                let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                while *pending == Some(false) {
                    pending = self.wake.wait(pending).unwrap_or_else(|e| e.into_inner());
                }
                match pending.as_mut() {
                    Some(p) => *p = false,
                    None => return,
                }
            }
            let Some(node) = node.upgrade() else { return };
            let active: Vec<u32> = {
                let cm = node.chain.lock();
                let Some(tip) = cm.active_chain().tip() else {
                    continue;
                };
                let consensus = &cm.params().consensus;
                let versionbits = node.miner.versionbits();
                (0..VERSIONBITS_NUM_BITS)
                    .filter(|&bit| {
                        warning_state(
                            cm.block_index(),
                            tip,
                            bit,
                            consensus,
                            versionbits,
                            &mut caches[bit as usize],
                        ) == WarningState::Active
                    })
                    .collect()
            };
            drop(node);
            for bit in active {
                warning(&format!("Unknown new rules activated (versionbit {bit})"));
            }
        }
    }
}

/// The states a warning bit can reach (no start or timeout: never FAILED).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WarningState {
    Defined,
    Started,
    LockedIn,
    Active,
}

/// Per bit, the state after each period's last block (the zero hash: before
/// the genesis block).
type WarningCache = HashMap<BlockHash, WarningState>;

/// Whether the block `id` sets `bit` although the known deployments would
/// not (the checker's `Condition`).
fn signals_unknown(
    index: &BlockIndex,
    id: EntryId,
    bit: u32,
    params: &ConsensusParams,
    versionbits: &VersionBitsCache,
) -> bool {
    let e = index.entry(id);
    let v = e.header.version.to_consensus();
    i64::from(e.height) >= i64::from(params.min_bip9_warning_height)
        && (v & VERSIONBITS_TOP_MASK) == VERSIONBITS_TOP_BITS
        && (v >> bit) & 1 != 0
        && (versionbits.compute_block_version(index, e.prev, params) >> bit) & 1 == 0
}

/// `GetStateFor` of the warning checker of `bit`: the state for the block
/// after `tip`.
fn warning_state(
    index: &BlockIndex,
    tip: EntryId,
    bit: u32,
    params: &ConsensusParams,
    versionbits: &VersionBitsCache,
    cache: &mut WarningCache,
) -> WarningState {
    let period = params.miner_confirmation_window;
    let key = |id: Option<EntryId>| id.map_or(BlockHash::all_zeros(), |id| index.entry(id).hash);
    let period_end = |id: EntryId| {
        let h = index.entry(id).height;
        (h + 1 - (h + 1) % period)
            .checked_sub(1)
            .and_then(|target| index.ancestor(id, target))
    };
    let mut p = period_end(tip);
    let mut to_compute = Vec::new();
    loop {
        if cache.contains_key(&key(p)) {
            break;
        }
        let Some(id) = p else {
            cache.insert(key(None), WarningState::Defined);
            break;
        };
        to_compute.push(id);
        p = index
            .entry(id)
            .height
            .checked_sub(period)
            .and_then(|h| index.ancestor(id, h));
    }
    let mut state = cache[&key(p)];
    while let Some(id) = to_compute.pop() {
        state = match state {
            // The checker starts at time 0: every period after the first.
            WarningState::Defined => WarningState::Started,
            WarningState::Started => {
                let mut count = 0;
                let mut c = Some(id);
                for _ in 0..period {
                    let Some(cid) = c else { break };
                    if signals_unknown(index, cid, bit, params, versionbits) {
                        count += 1;
                    }
                    c = index.entry(cid).prev;
                }
                if count >= params.rule_change_activation_threshold {
                    WarningState::LockedIn
                } else {
                    WarningState::Started
                }
            }
            WarningState::LockedIn | WarningState::Active => WarningState::Active,
        };
        cache.insert(index.entry(id).hash, state);
    }
    state
}

/// `-stopafterblockimport`: `-reindex` and `-loadblock` have run, so shut down.
pub(crate) fn stop_after_block_import(args: &ArgsManager, shutdown: &Shutdown) {
    if args.get_bool_arg("-stopafterblockimport", false) {
        tracing::info!("Stopping after block import");
        shutdown.request();
    }
}

/// Core's `StartupNotify`: runs `-startupnotify` once start-up is complete.
pub(crate) fn startup_notify(args: &ArgsManager) {
    if let Some(command) = args.get_arg("-startupnotify").filter(|c| !c.is_empty()) {
        run_detached(command);
    }
}

/// Core's `ShutdownNotify`: runs every `-shutdownnotify` command at once and
/// waits for all of them before shutdown goes on.
pub(crate) fn shutdown_notify(args: &ArgsManager) {
    let threads: Vec<_> = args
        .get_args("-shutdownnotify")
        .into_iter()
        .map(|command| std::thread::spawn(move || run_command(&command)))
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn sanitize_keeps_only_safe_chars_default() {
        assert_eq!(
            sanitize_string("Warning: unknown (bit 3)! 'x' $HOME `id` a/b;c@d?e,f.g-h_i"),
            "Warning: unknown (bit 3) x HOME id a/b;c@d?e,f.g-h_i"
        );
        assert_eq!(sanitize_string("é\n\t\"<>|&"), "");
    }

    #[test]
    fn alert_message_is_sanitised_and_single_quoted() {
        assert_eq!(
            alert_notify_command("echo %s > f; echo %s", "Unknown new rules activated (versionbit 28)'; rm -rf x"),
            "echo 'Unknown new rules activated (versionbit 28); rm -rf x' > f; echo 'Unknown new rules activated (versionbit 28); rm -rf x'"
        );
    }

    #[test]
    fn block_hash_replaces_every_placeholder() {
        let hash = bitcoin::BlockHash::from_str(
            "7d5b2e9dbe250acf5b6f09509981873ec4f1b310933c4b971f9b01d77e4630f7",
        )
        .unwrap();
        assert_eq!(
            block_notify_command("echo %s >> dir/%s", &hash),
            "echo 7d5b2e9dbe250acf5b6f09509981873ec4f1b310933c4b971f9b01d77e4630f7 >> dir/7d5b2e9dbe250acf5b6f09509981873ec4f1b310933c4b971f9b01d77e4630f7"
        );
    }

    #[test]
    fn shutdown_notify_waits_for_every_command() {
        let dir = std::env::temp_dir().join(format!("notify-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut args = ArgsManager::new();
        widecoin_common::options::setup_server_args(&mut args);
        let a = dir.join("a");
        let b = dir.join("b");
        args.parse_parameters(&[
            "widecoind".to_string(),
            format!("-shutdownnotify=sleep 0.2; echo a > {}", a.display()),
            format!("-shutdownnotify=echo b > {}", b.display()),
        ])
        .unwrap();
        shutdown_notify(&args);
        let done = a.exists() && b.exists();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(done);
    }
}
