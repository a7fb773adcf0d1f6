//! Start-up and shutdown of `widecoind` (init.cpp, widecoind.cpp,
//! common/init.cpp): exit codes, init errors on stderr, the files a node
//! creates and removes, config files, `-daemon`.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::*;
use serde_json::json;
use widecoin_test_utils::{
    kill_pid, pid_alive, poll_until, run_to_exit, RunOutput, TestNode, DEADLINE,
};

fn widecoind(args: &[&str]) -> RunOutput {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    run_to_exit(Path::new(WIDECOIND), &args, None)
}

fn subdirs(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn stop_rpc_exits_0_and_removes_cookie_and_pid_file() {
    let mut node = start(options());
    let pid_file = node.net_dir().join("widecoind.pid");
    let pid = node.pid().unwrap();
    assert_eq!(
        fs::read_to_string(&pid_file).expect("pid file while running"),
        format!("{pid}\n")
    );
    assert!(node.net_dir().join(".cookie").exists());
    stop_clean(&mut node);
    assert!(
        !node.net_dir().join(".cookie").exists(),
        "cookie not removed"
    );
    assert!(!pid_file.exists(), "pid file not removed");
}

fn signal_stops_cleanly(signal: i32) {
    let mut node = start(options());
    node.signal(signal).unwrap();
    let status = node.wait_exit().unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {}", node.stderr());
    assert_eq!(node.stderr(), "");
    assert!(
        !node.net_dir().join(".cookie").exists(),
        "cookie not removed"
    );
    assert!(!node.net_dir().join("widecoind.pid").exists());
    assert!(node.debug_log().contains("Shutdown: done"));
}

#[test]
fn sigterm_exits_0() {
    signal_stops_cleanly(15);
}

#[test]
fn sigint_exits_0() {
    signal_stops_cleanly(2);
}

#[test]
fn unknown_option_is_an_init_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = widecoind(&[&format!("-datadir={}", dir.path().display()), "-foo"]);
    assert_eq!(
        out,
        RunOutput {
            code: 1,
            stdout: String::new(),
            stderr: "Error: Error parsing command line arguments: Invalid parameter -foo\n"
                .to_string(),
        }
    );
}

#[test]
fn loose_token_on_the_command_line_is_an_init_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = widecoind(&[
        &format!("-datadir={}", dir.path().display()),
        "-regtest",
        "foo",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        "Error: Command line contains unexpected token 'foo', see widecoind -h for a list of options.\n"
    );
}

#[test]
fn conf_in_datadir_ignored_because_of_conf_is_an_init_error() {
    let node = TestNode::prepare(options().file("custom.conf", "regtest=1\n")).unwrap();
    let d = node.datadir.display();
    let out = widecoind(&[&format!("-datadir={d}"), "-conf=custom.conf"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "Error: Data directory \"{d}\" contains a \"widecoin.conf\" file which is ignored, \
             because a different configuration file \"{d}/custom.conf\" from command line \
             argument \"-conf=custom.conf\" is being used instead. Possible ways to address this \
             would be to:\n\
             - Delete or rename the \"widecoin.conf\" file in data directory \"{d}\".\n\
             - Change datadir= or conf= options to specify one configuration file, not two, and \
             use includeconf= to include any other configuration files.\n\
             - Set allowignoredconf=1 option to treat this condition as a warning, not an error.\n"
        )
    );
}

#[test]
fn second_node_on_a_locked_datadir_fails_and_leaves_the_first_alone() {
    let mut node = start(options());
    let cookie = node.cookie().unwrap();
    let out = widecoind(&[&format!("-datadir={}", node.datadir.display()), "-noserver"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "Error: Cannot obtain a lock on data directory {}. Widecoin Core is probably already running.\n",
            node.net_dir().display()
        )
    );
    assert_eq!(node.cookie(), Some(cookie));
    assert!(node.net_dir().join("widecoind.pid").exists());
    assert_eq!(node.rpc("getblockcount", json!([])), Ok(json!(0)));
    stop_clean(&mut node);
}

#[test]
fn missing_datadir_is_an_init_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let out = widecoind(&[&format!("-datadir={}", missing.display()), "-regtest"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "Error: Specified data directory \"{}\" does not exist.\n",
            missing.display()
        )
    );
    assert!(!missing.exists());
}

#[test]
fn missing_conf_file_is_an_init_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = widecoind(&[
        &format!("-datadir={}", dir.path().display()),
        "-regtest",
        "-conf=absent.conf",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "Error: Error reading configuration file: specified config file \"{}\" could not be opened.\n",
            dir.path().join("absent.conf").display()
        )
    );
}

#[test]
fn non_ascii_datadir() {
    let mut node = start(options().datadir_name("данные_₿"));
    assert!(node.datadir.ends_with("данные_₿"));
    assert!(node.net_dir().join(".cookie").exists());
    assert_eq!(
        node.rpc("getblockhash", json!([0])),
        Ok(json!(REGTEST_GENESIS))
    );
    stop_clean(&mut node);
}

#[test]
fn version_and_help_go_to_stdout() {
    let out = widecoind(&["-version"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert!(
        out.stdout.starts_with(
            "Widecoin Core version v6.0.0\n\
             Copyright (C) 2020-2024 The Widecoin Core developers\n\
             Copyright (C) 2009-2024 The Bitcoin Core developers\n\n\
             Please contribute if you find Widecoin Core useful."
        ),
        "{}",
        out.stdout
    );
    assert!(out
        .stdout
        .ends_with("<https://opensource.org/licenses/MIT>\n"));

    for flag in ["-h", "-?", "-help"] {
        let out = widecoind(&[flag]);
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{flag}");
        assert!(
            out.stdout.starts_with(
                "Widecoin Core version v6.0.0\n\n\
                 Usage:  widecoind [options]                     Start Widecoin Core\n\n\
                 Options:\n\n  -?\n       Print this help message and exit\n"
            ),
            "{flag}: {}",
            out.stdout
        );
        assert!(out
            .stdout
            .contains("\n  -datadir=<dir>\n       Specify data directory\n"));
        // Debug options only with -help-debug.
        assert!(!out.stdout.contains("-rpcworkqueue"));
    }
}

#[test]
fn datadir_holds_only_cores_subfolders_and_empty_wallets() {
    let mut node = start(options().arg("-disablewallet"));
    let dirs = subdirs(&node.net_dir());
    let mut expected: BTreeSet<String> = ["blocks", "chainstate", "wallets"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if dirs.contains("indexes") {
        expected.insert("indexes".to_string());
    }
    assert_eq!(dirs, expected);
    assert_eq!(
        fs::read_dir(node.net_dir().join("wallets"))
            .unwrap()
            .count(),
        0
    );
    assert_eq!(
        fs::read_to_string(node.net_dir().join("settings.json")).unwrap(),
        "{\n}\n"
    );
    stop_clean(&mut node);
}

#[test]
fn existing_network_dir_gets_no_wallets_folder() {
    // common/init.cpp creates wallets/ only together with a new network dir.
    let mut node = TestNode::prepare(options()).unwrap();
    fs::create_dir(node.net_dir()).unwrap();
    node.spawn().unwrap();
    assert_eq!(
        subdirs(&node.net_dir()),
        BTreeSet::from(["blocks".to_string(), "chainstate".to_string()])
    );
    stop_clean(&mut node);
}

#[test]
fn regtest_section_and_dotted_options_apply() {
    // [regtest] section: the harness's own widecoin.conf puts rpcport there.
    let mut node = start(options());
    assert_eq!(node.rpc("getblockcount", json!([])), Ok(json!(0)));
    stop_clean(&mut node);

    // regtest.rpcport= at top level, and a top-level rpcport that regtest
    // ignores (it is a network-only option).
    let mut node = start(options().raw_conf(
        "regtest=1\nrpcport=1\nregtest.rpcport={rpcport}\nregtest.port={port}\n\
         regtest.listen=0\nregtest.connect=0\n",
    ));
    assert_eq!(node.rpc("getblockcount", json!([])), Ok(json!(0)));
    stop_clean(&mut node);
}

#[test]
fn includeconf_is_read() {
    let mut node = start(
        options()
            .conf_line("includeconf=extra.conf")
            .file("extra.conf", "rpcuser=inc\nrpcpassword=incpw\n")
            .rpc_auth("inc:incpw"),
    );
    assert_eq!(node.rpc("getblockcount", json!([])), Ok(json!(0)));
    assert!(
        node.cookie().is_none(),
        "rpcpassword from extra.conf ignored"
    );
    stop_clean(&mut node);
}

#[test]
fn relative_conf_path_is_relative_to_the_datadir() {
    let mut node = start(options().conf_name("custom.conf").arg("-conf=custom.conf"));
    assert!(!node.datadir.join("widecoin.conf").exists());
    assert_eq!(node.rpc("getblockcount", json!([])), Ok(json!(0)));
    stop_clean(&mut node);
}

#[test]
fn printtoconsole_logs_to_stdout_only() {
    let mut node = start(options().arg("-printtoconsole"));
    stop_clean(&mut node);
    let stdout = node.stdout();
    assert!(
        stdout.contains(" Widecoin Core version v6.0.0\n"),
        "stdout: {stdout}"
    );
    assert!(stdout.contains(" Shutdown: done\n"), "stdout: {stdout}");
    // Same lines as debug.log (which is still written).
    assert!(node.debug_log().contains(" Shutdown: done\n"));
}

#[test]
fn without_printtoconsole_stdout_is_empty() {
    let mut node = start(options());
    stop_clean(&mut node);
    assert_eq!(node.stdout(), "");
    assert!(node.debug_log().contains(" Widecoin Core version v6.0.0\n"));
}

/// Kills the daemonised node if the test fails before stopping it.
struct DaemonGuard(Option<u32>);

impl Drop for DaemonGuard {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            if pid_alive(pid) {
                let _ = kill_pid(pid, 9);
            }
        }
    }
}

#[test]
fn daemon_forks_and_parent_exits_0() {
    let mut node = TestNode::start(options().arg("-daemon").no_wait()).unwrap();
    let parent = node.pid().unwrap();
    let mut guard = DaemonGuard(None);
    let pid_file = node.net_dir().join("widecoind.pid");
    let mut daemon_pid = None;
    assert!(
        poll_until(DEADLINE, || {
            daemon_pid = fs::read_to_string(&pid_file)
                .ok()
                .and_then(|s| s.trim().parse::<u32>().ok());
            daemon_pid.is_some()
        }),
        "no pid file; stderr {}",
        node.stderr()
    );
    let daemon_pid = daemon_pid.unwrap();
    guard.0 = Some(daemon_pid);
    assert_ne!(daemon_pid, parent);

    let status = node.wait_exit().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(node.stdout(), "Widecoin Core starting\n");
    assert_eq!(node.stderr(), "");

    node.wait_for_rpc().unwrap();
    assert_eq!(node.rpc("getblockcount", json!([])), Ok(json!(0)));
    assert_eq!(
        node.rpc("stop", json!([])),
        Ok(json!("Widecoin Core stopping"))
    );
    assert!(
        poll_until(DEADLINE, || !pid_alive(daemon_pid)),
        "daemon did not exit"
    );
    guard.0 = None;
    assert!(!pid_file.exists());
    assert!(node.cookie().is_none());
}

/// Starts a node whose `widecoin.conf` is `conf` and returns its init error.
fn conf_error(conf: &str) -> RunOutput {
    let node = TestNode::prepare(options().raw_conf(conf)).unwrap();
    widecoind(&[&format!("-datadir={}", node.datadir.display())])
}

#[test]
fn config_file_errors() {
    assert_eq!(
        conf_error("regtest=1\nrpcpassword=a#b\n"),
        RunOutput {
            code: 1,
            stdout: String::new(),
            stderr: "Error: Error reading configuration file: parse error on line 2, using # in \
                     rpcpassword can be ambiguous and should be avoided\n"
                .to_string(),
        }
    );
    assert_eq!(
        conf_error("regtest=1\n-server=1\n").stderr,
        "Error: Error reading configuration file: parse error on line 2: -server=1, options in \
         configuration file must be specified without leading -\n"
    );
    assert_eq!(
        conf_error("regtest=1\nnoserver\n").stderr,
        "Error: Error reading configuration file: parse error on line 2: noserver, if you \
         intended to specify a negated option, use noserver=1 instead\n"
    );
    assert_eq!(
        conf_error("regtest=1\nconf=other.conf\n").stderr,
        "Error: Error reading configuration file: conf cannot be set in the configuration file; \
         use includeconf= if you want to include additional config files\n"
    );
}

#[test]
fn unknown_config_value_is_ignored_with_a_log_line() {
    // In a section the name keeps its section prefix (ReadConfigStream logs
    // the raw option name).
    let mut node = start(options().conf_line("nosuchoption=1"));
    assert!(node
        .debug_log()
        .contains("Ignoring unknown configuration value regtest.nosuchoption\n"));
    stop_clean(&mut node);
}

#[test]
fn unparsable_settings_json_is_an_init_error() {
    let node = TestNode::prepare(options()).unwrap();
    fs::create_dir(node.net_dir()).unwrap();
    let settings = node.net_dir().join("settings.json");
    fs::write(&settings, "{").unwrap();
    let out = widecoind(&[&format!("-datadir={}", node.datadir.display())]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "Error: Settings file could not be read:\n- Unable to parse settings file {}\n",
            settings.display()
        )
    );
}

#[test]
fn settings_pid_and_debuglog_options() {
    let mut node = start(
        options()
            .arg("-nosettings")
            .arg("-pid=custom.pid")
            .arg("-debuglogfile=my.log"),
    );
    let net = node.net_dir();
    assert!(!net.join("settings.json").exists());
    assert!(!net.join("widecoind.pid").exists());
    assert_eq!(
        fs::read_to_string(net.join("custom.pid")).unwrap(),
        format!("{}\n", node.pid().unwrap())
    );
    assert!(!net.join("debug.log").exists());
    assert!(fs::read_to_string(net.join("my.log"))
        .unwrap()
        .contains(" Widecoin Core version v6.0.0\n"));
    stop_clean(&mut node);
    assert!(!net.join("custom.pid").exists());
}

#[test]
fn settings_json_values_are_kept() {
    let node = TestNode::prepare(options()).unwrap();
    fs::create_dir(node.net_dir()).unwrap();
    let settings = node.net_dir().join("settings.json");
    fs::write(&settings, "{\"key\": \"value\", \"num\": 5}").unwrap();
    let mut node = node;
    node.spawn().unwrap();
    assert!(node
        .debug_log()
        .contains("Setting file arg: key = \"value\"\n"));
    stop_clean(&mut node);
    // Rewritten as Core writes it: 4-space indent, trailing newline.
    assert_eq!(
        fs::read_to_string(&settings).unwrap(),
        "{\n    \"key\": \"value\",\n    \"num\": 5\n}\n"
    );
}
