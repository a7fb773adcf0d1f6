//! Sandboxing a spawned process (`widecoin-wallet -ipcfd`), Linux only;
//! elsewhere every function here is a no-op that says so.
//!
//! What is restricted, in two steps:
//!
//! 1. **Before exec** (in the parent's `pre_exec`, so it holds from the
//!    child's first instruction, for every thread it will ever have):
//!    `PR_SET_NO_NEW_PRIVS`; no core files (`RLIMIT_CORE` 0); every inherited
//!    descriptor except stdin/stdout/stderr and the IPC socket is marked
//!    close-on-exec; and, where the kernel has Landlock, a Landlock domain:
//!    - the file system: only reading (and executing) the executable, the
//!      system's shared libraries (`/lib`, `/lib64`, `/usr/lib`,
//!      `/etc/ld.so.cache`), the policy's read-only paths, and reading and
//!      writing beneath the policy's read-write directories; nothing else can
//!      be opened, created, removed or executed;
//!    - TCP (Landlock ABI 4 and later): no `bind` and no `connect`;
//!    - (ABI 6 and later) no signals to processes outside the domain and no
//!      connecting to abstract unix sockets outside it.
//!
//!    The ruleset is built in the parent before `fork`; the child only makes
//!    the two async-signal-safe system calls that apply it.
//! 2. **In the child** ([`restrict_spawned_self`], first thing in `main`): not
//!    dumpable (no ptrace attach by the same user, no core dump), and a
//!    seccomp-bpf *denylist* applied to all threads: `execve`, `execveat`,
//!    `ptrace`, `process_vm_readv`/`writev`, `mount`, `umount2`, `pivot_root`,
//!    `bpf`, `keyctl`, `add_key`, `request_key`, and `socket` for `AF_INET`,
//!    `AF_INET6`, `AF_PACKET` and `AF_NETLINK` fail with `EPERM`. A denylist
//!    (not Core's removed allowlist) does not break when libc changes.
//!
//! Where the kernel lacks a feature the process runs with what there is and
//! says so in the log (`Sandbox: ...`).

use std::path::{Path, PathBuf};

/// What a spawned process may touch beyond its executable and the system's
/// shared libraries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SandboxPolicy {
    /// Directories it may read and write beneath (e.g. the wallet directory).
    pub read_write: Vec<PathBuf>,
    /// Files or directories it may only read (e.g. the config file).
    pub read_only: Vec<PathBuf>,
}

#[cfg(target_os = "linux")]
pub(crate) use linux::prepare;

/// The child's own part (step 2): not dumpable, and the seccomp denylist for
/// all its threads. Returns the log line describing what holds; an `Err`
/// line when something could not be applied (the process carries on).
#[cfg(target_os = "linux")]
pub fn restrict_spawned_self() -> Result<String, String> {
    linux::restrict_self()
}

/// Not available on this platform.
#[cfg(not(target_os = "linux"))]
pub fn restrict_spawned_self() -> Result<String, String> {
    Err("Sandbox: not available on this platform; the process is not restricted".into())
}

/// The paths a policy allows to be read, for a log line.
pub(crate) fn describe(exe: &Path, policy: &SandboxPolicy) -> String {
    let list = |v: &[PathBuf]| {
        v.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "read-write [{}], read-only [{}{}{}]",
        list(&policy.read_write),
        exe.display(),
        if policy.read_only.is_empty() {
            ""
        } else {
            ", "
        },
        list(&policy.read_only)
    )
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod linux {
    use std::collections::BTreeMap;
    use std::os::fd::{AsRawFd, OwnedFd, RawFd};
    use std::path::Path;

    use landlock::{
        Access, AccessFs, AccessNet, CompatLevel, Compatible, PathBeneath, PathFd, Ruleset,
        RulesetAttr, RulesetCreatedAttr, Scope, ABI,
    };
    use seccompiler::{
        BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
        SeccompRule,
    };

    use super::SandboxPolicy;

    /// The Landlock ABI this code knows; a newer kernel is used at this level.
    const ABI_USED: ABI = ABI::V6;

    /// A Landlock ruleset made in the parent, to be applied in the child.
    pub(crate) struct Prepared {
        ruleset: Option<OwnedFd>,
        /// The log line saying what the child will be restricted to.
        pub(crate) note: String,
    }

    impl Prepared {
        pub(crate) fn raw_fd(&self) -> Option<RawFd> {
            self.ruleset.as_ref().map(AsRawFd::as_raw_fd)
        }
    }

    fn build(exe: &Path, policy: &SandboxPolicy) -> Result<Option<OwnedFd>, String> {
        let abi = ABI_USED;
        let read = AccessFs::from_read(abi);
        let all = AccessFs::from_all(abi);
        let ruleset = Ruleset::default()
            .set_compatibility(CompatLevel::BestEffort)
            .handle_access(all)
            .map_err(|e| e.to_string())?
            .handle_access(AccessNet::from_all(abi))
            .map_err(|e| e.to_string())?
            .scope(Scope::from_all(abi))
            .map_err(|e| e.to_string())?
            .create()
            .map_err(|e| e.to_string())?;
        let mut rules = Vec::new();
        let mut add = |path: &Path, access: landlock::BitFlags<AccessFs>| {
            // A path that does not exist cannot be opened later either.
            if let Ok(fd) = PathFd::new(path) {
                let access = if path.is_dir() {
                    access
                } else {
                    access & AccessFs::from_file(abi)
                };
                rules.push(PathBeneath::new(fd, access));
            }
        };
        add(exe, read);
        for lib in [
            "/lib",
            "/lib64",
            "/usr/lib",
            "/usr/lib64",
            "/etc/ld.so.cache",
        ] {
            add(Path::new(lib), read);
        }
        for p in &policy.read_only {
            add(p, read);
        }
        for p in &policy.read_write {
            add(p, all);
        }
        let ruleset = ruleset
            .add_rules(rules.into_iter().map(Ok::<_, landlock::RulesetError>))
            .map_err(|e| e.to_string())?;
        Ok(ruleset.into())
    }

    /// Builds the Landlock ruleset for `exe` under `policy` (in the parent).
    pub(crate) fn prepare(exe: &Path, policy: &SandboxPolicy) -> Prepared {
        let what = super::describe(exe, policy);
        match build(exe, policy) {
            Ok(Some(fd)) => Prepared {
                ruleset: Some(fd),
                note: format!("Sandbox: Landlock restricts the file system to {what}, and denies TCP"),
            },
            Ok(None) => Prepared {
                ruleset: None,
                note: "Sandbox: this kernel has no Landlock; file system and TCP access are not restricted".into(),
            },
            Err(e) => Prepared {
                ruleset: None,
                note: format!("Sandbox: Landlock ruleset failed ({e}); file system and TCP access are not restricted"),
            },
        }
    }

    /// Step 1, between `fork` and `exec`. Only async-signal-safe system
    /// calls on values prepared before the fork.
    ///
    /// # Safety
    /// Must only be called in a freshly forked child, before `exec`.
    pub(crate) unsafe fn apply_before_exec(ruleset: Option<RawFd>) -> std::io::Result<()> {
        let err = std::io::Error::last_os_error;
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(err());
        }
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::setrlimit(libc::RLIMIT_CORE, &no_core) != 0 {
            return Err(err());
        }
        if let Some(fd) = ruleset {
            if libc::syscall(libc::SYS_landlock_restrict_self, fd, 0) != 0 {
                return Err(err());
            }
        }
        // Everything inherited beyond stdio closes at exec (the caller then
        // clears the flag on the IPC socket). Older kernels lack
        // close_range: the descriptors Rust opens are close-on-exec anyway.
        let _ = libc::syscall(
            libc::SYS_close_range,
            3u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );
        Ok(())
    }

    fn denylist() -> Result<BpfProgram, String> {
        let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
        for nr in [
            libc::SYS_execve,
            libc::SYS_execveat,
            libc::SYS_ptrace,
            libc::SYS_process_vm_readv,
            libc::SYS_process_vm_writev,
            libc::SYS_mount,
            libc::SYS_umount2,
            libc::SYS_pivot_root,
            libc::SYS_bpf,
            libc::SYS_keyctl,
            libc::SYS_add_key,
            libc::SYS_request_key,
        ] {
            rules.insert(nr, Vec::new());
        }
        let mut socket_rules = Vec::new();
        for family in [
            libc::AF_INET,
            libc::AF_INET6,
            libc::AF_PACKET,
            libc::AF_NETLINK,
        ] {
            socket_rules.push(
                SeccompRule::new(vec![SeccompCondition::new(
                    0,
                    SeccompCmpArgLen::Dword,
                    SeccompCmpOp::Eq,
                    family as u64,
                )
                .map_err(|e| e.to_string())?])
                .map_err(|e| e.to_string())?,
            );
        }
        rules.insert(libc::SYS_socket, socket_rules);
        let arch: seccompiler::TargetArch = std::env::consts::ARCH
            .try_into()
            .map_err(|e: seccompiler::BackendError| e.to_string())?;
        SeccompFilter::new(
            rules,
            SeccompAction::Allow,
            SeccompAction::Errno(libc::EPERM as u32),
            arch,
        )
        .map_err(|e| e.to_string())?
        .try_into()
        .map_err(|e: seccompiler::BackendError| e.to_string())
    }

    pub(crate) fn restrict_self() -> Result<String, String> {
        // SAFETY: prctl(PR_SET_DUMPABLE) has no memory-safety preconditions.
        let dumpable = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } == 0;
        // seccomp needs no_new_privs (already set before exec; idempotent).
        // SAFETY: as above.
        unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
        let seccomp = denylist()
            .and_then(|p| seccompiler::apply_filter_all_threads(&p).map_err(|e| e.to_string()));
        match (dumpable, seccomp) {
            (true, Ok(())) => Ok("Sandbox: not dumpable; seccomp denies execve, ptrace, mount, bpf, keyctl and inet/packet/netlink sockets (EPERM)".into()),
            (d, s) => Err(format!(
                "Sandbox: partly applied: not dumpable: {d}; seccomp: {}",
                s.err().unwrap_or_else(|| "applied".into())
            )),
        }
    }
}

#[cfg(target_os = "linux")]
pub(crate) use linux::apply_before_exec;
