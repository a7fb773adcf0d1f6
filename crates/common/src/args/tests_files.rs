//! Config files, includes, data directories and settings.json on disk.

use super::*;
use crate::init::{init_config, ConfigStatus};
use crate::options::setup_server_args;
use std::fs;
use std::path::Path;

fn server(args: &[String]) -> ArgsManager {
    let mut m = ArgsManager::new();
    setup_server_args(&mut m);
    let mut argv = vec!["widecoind".to_string()];
    argv.extend(args.iter().cloned());
    m.parse_parameters(&argv).unwrap();
    m
}

fn datadir_arg(dir: &Path) -> String {
    format!("-datadir={}", dir.display())
}

#[test]
fn test_framework_config_and_arguments_parse() {
    let dir = tempfile::tempdir().unwrap();
    let conf =
        "regtest=1\n[regtest]\nport=11000\nrpcport=12000\nrpcservertimeout=99000\nrpcdoccheck=1\n\
fallbackfee=0.0002\nserver=1\nkeypool=1\ndiscover=0\ndnsseed=0\nfixedseeds=0\nlistenonion=0\n\
peertimeout=999999999\nprinttoconsole=0\nupnp=0\nnatpmp=0\nshrinkdebugfile=0\n\
deprecatedrpc=create_bdb\nunsafesqlitesync=1\nconnect=0\n";
    fs::write(dir.path().join("widecoin.conf"), conf).unwrap();
    let mut args = server(&[
        datadir_arg(dir.path()),
        "-logtimemicros".into(),
        "-debug".into(),
        "-debugexclude=libevent".into(),
        "-debugexclude=leveldb".into(),
        "-debugexclude=rand".into(),
        "-uacomment=testnode0".into(),
        "-disablewallet".into(),
        "-logthreadnames".into(),
        "-logsourcelocations".into(),
        "-loglevel=trace".into(),
    ]);
    // Core's strict mode must accept every line too.
    args.read_config_files_with(false).unwrap();
    assert!(args.take_log_messages().is_empty());
    assert_eq!(args.get_chain_type(), Ok(ChainType::Regtest));
    args.select_config_network("regtest");
    assert_eq!(args.get_int_arg("-rpcport", 0), 12000);
    assert_eq!(args.get_int_arg("-port", 0), 11000);
    assert!(args.is_arg_negated("-connect") || args.get_args("-connect") == ["0"]);
    assert_eq!(
        args.get_args("-debugexclude"),
        ["libevent", "leveldb", "rand"]
    );
    assert!(args.get_unsuitable_section_only_args().is_empty());
    assert_eq!(
        args.get_data_dir_net().unwrap(),
        std::path::absolute(dir.path()).unwrap().join("regtest")
    );
}

#[test]
fn read_config_files_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none_existent_widecoin.conf");
    let mut args = server(&[
        datadir_arg(dir.path()),
        format!("-conf={}", missing.display()),
    ]);
    assert_eq!(
        args.read_config_files(),
        Err(format!(
            "specified config file \"{}\" could not be opened.",
            missing.display()
        ))
    );
    // No config file at all is fine.
    let mut args = server(&[datadir_arg(dir.path())]);
    args.read_config_files().unwrap();
    assert_eq!(
        args.get_config_file_path(),
        dir.path().join("widecoin.conf")
    );

    // A datadir= in the config file must exist.
    let new_dir = dir.path().join("newdatadir");
    let conf = dir.path().join("c.conf");
    fs::write(&conf, format!("datadir={}\n", new_dir.display())).unwrap();
    let mut args = server(&[format!("-conf={}", conf.display())]);
    assert_eq!(
        args.read_config_files(),
        Err(format!(
            "specified data directory \"{}\" does not exist.",
            new_dir.display()
        ))
    );
    fs::create_dir(&new_dir).unwrap();
    args.read_config_files().unwrap();
    assert_eq!(args.get_data_dir_base().unwrap(), new_dir);

    // -datadir on the command line overrides the config file.
    let mut args = server(&[datadir_arg(dir.path()), format!("-conf={}", conf.display())]);
    args.read_config_files().unwrap();
    assert_eq!(args.get_data_dir_base().unwrap(), dir.path());

    let args = server(&[datadir_arg(&dir.path().join("nope"))]);
    assert_eq!(
        args.get_data_dir_base(),
        Err(format!(
            "Specified data directory \"{}\" does not exist.",
            dir.path().join("nope").display()
        ))
    );
    assert!(!args.check_data_dir_option());
}

#[test]
fn relative_conf_is_resolved_against_datadir() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("other.conf"), "[regtest]\nrpcport=1234\n").unwrap();
    let mut args = server(&[
        datadir_arg(dir.path()),
        "-conf=other.conf".into(),
        "-regtest".into(),
    ]);
    args.read_config_files().unwrap();
    args.select_config_network("regtest");
    assert_eq!(args.get_arg("-rpcport").as_deref(), Some("1234"));
    assert_eq!(args.get_config_file_path(), dir.path().join("other.conf"));
}

#[test]
fn includeconf_reads_once_and_warns_on_nesting() {
    let dir = tempfile::tempdir().unwrap();
    let inc = dir.path().join("include.conf");
    fs::write(
        dir.path().join("widecoin.conf"),
        format!(
            "regtest=1\nincludeconf={}\n[regtest]\nincludeconf=relative.conf\n",
            inc.display()
        ),
    )
    .unwrap();
    fs::write(&inc, "uacomment=fromincluded\nincludeconf=nested.conf\n").unwrap();
    fs::write(
        dir.path().join("relative.conf"),
        "[regtest]\nrpcport=4444\n",
    )
    .unwrap();
    let mut args = server(&[datadir_arg(dir.path())]);
    args.read_config_files().unwrap();
    args.select_config_network("regtest");
    assert_eq!(args.get_arg("-uacomment").as_deref(), Some("fromincluded"));
    assert_eq!(args.get_arg("-rpcport").as_deref(), Some("4444"));
    let log = args.take_log_messages();
    assert!(log.contains(&"Included configuration file relative.conf".to_string()));
    assert!(log.contains(&format!("Included configuration file {}", inc.display())));

    // -noincludeconf skips them.
    let mut args = server(&[datadir_arg(dir.path()), "-noincludeconf".into()]);
    args.read_config_files().unwrap();
    assert_eq!(args.get_arg("-uacomment"), None);

    // An include that cannot be opened.
    fs::remove_file(&inc).unwrap();
    let mut args = server(&[datadir_arg(dir.path())]);
    assert_eq!(
        args.read_config_files(),
        Err(format!(
            "Failed to include configuration file {}",
            inc.display()
        ))
    );

    // conf= inside an included file.
    fs::write(&inc, "conf=some.conf\n").unwrap();
    assert_eq!(
        args.read_config_files(),
        Err("conf cannot be set in the configuration file; use includeconf= if you want to include additional config files".to_string())
    );
}

#[test]
fn non_ascii_datadir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("データ ディレクトリ €");
    fs::create_dir(&data).unwrap();
    fs::write(data.join("widecoin.conf"), "signet=1\n").unwrap();
    let mut args = server(&[datadir_arg(&data)]);
    init_config(&mut args).unwrap();
    assert_eq!(args.network(), "signet");
    assert_eq!(args.get_data_dir_net().unwrap(), data.join("signet"));
    assert!(data.join("signet").join("wallets").is_dir());
    assert!(data.join("signet").join("settings.json").is_file());
    assert_eq!(
        args.get_blocks_dir_path().unwrap(),
        data.join("signet").join("blocks")
    );
}

#[test]
fn settings_json_round_trip_and_precedence() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("widecoin.conf"),
        "regtest=1\n[regtest]\nwallet=fromconf\n",
    )
    .unwrap();
    let mut args = server(&[datadir_arg(dir.path())]);
    init_config(&mut args).unwrap();
    let path = dir.path().join("regtest").join("settings.json");
    assert_eq!(fs::read_to_string(&path).unwrap(), "{\n}\n");

    args.settings_mut()
        .rw_settings
        .insert("wallet".into(), serde_json::json!(["w1", "w2"]));
    args.write_settings_file().unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "{\n    \"wallet\": [\n        \"w1\",\n        \"w2\"\n    ]\n}\n"
    );
    let mut args = server(&[datadir_arg(dir.path())]);
    init_config(&mut args).unwrap();
    assert_eq!(args.get_args("-wallet"), ["w1", "w2", "fromconf"]);

    // -nosettings disables the file.
    let mut args = server(&[datadir_arg(dir.path()), "-nosettings".into()]);
    init_config(&mut args).unwrap();
    assert!(args.get_settings_path(false, false).is_none());
    assert_eq!(args.get_args("-wallet"), ["fromconf"]);
    assert!(args.write_settings_file().is_err());

    // A relative -settings is in the chain's directory.
    let args = server(&[
        datadir_arg(dir.path()),
        "-regtest".into(),
        "-settings=s.json".into(),
    ]);
    assert_eq!(
        args.get_settings_path(true, false).unwrap(),
        dir.path().join("regtest").join("s.json.tmp")
    );

    // A broken file.
    fs::write(&path, "{").unwrap();
    let mut args = server(&[datadir_arg(dir.path())]);
    let err = init_config(&mut args).unwrap_err();
    assert_eq!(err.status, ConfigStatus::Failed);
    assert_eq!(err.message, "Settings file could not be read");
    assert_eq!(
        err.details,
        [format!("Unable to parse settings file {}", path.display())]
    );
    assert_eq!(
        err.full_message(),
        format!(
            "Settings file could not be read:\n- Unable to parse settings file {}",
            path.display()
        )
    );
}

#[test]
fn init_config_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("newdatadir");
    let mut args = server(&[datadir_arg(&missing)]);
    assert_eq!(
        init_config(&mut args).unwrap_err().message,
        format!(
            "Specified data directory \"{}\" does not exist.",
            missing.display()
        )
    );

    fs::write(dir.path().join("widecoin.conf"), "regtest=1\n-dash=1\n").unwrap();
    let mut args = server(&[datadir_arg(dir.path())]);
    assert_eq!(
        init_config(&mut args).unwrap_err().message,
        "Error reading configuration file: parse error on line 2: -dash=1, options in configuration file must be specified without leading -"
    );

    fs::write(dir.path().join("widecoin.conf"), "regtest=1\n").unwrap();
    let mut args = server(&[datadir_arg(dir.path()), "-testnet".into()]);
    assert_eq!(
        init_config(&mut args).unwrap_err().message,
        "Invalid combination of -regtest, -signet, -testnet and -chain. Can use at most one."
    );

    // A widecoin.conf in the datadir ignored because of -conf.
    let other = dir.path().join("other.conf");
    fs::write(
        &other,
        format!("datadir={}\nregtest=1\n", dir.path().display()),
    )
    .unwrap();
    let mut args = server(&[format!("-conf={}", other.display())]);
    let err = init_config(&mut args).unwrap_err().message;
    assert!(err.starts_with(&format!(
        "Data directory \"{0}\" contains a \"widecoin.conf\" file which is ignored, because a different configuration file \"{1}\" from command line argument \"-conf={1}\" is being used instead.",
        dir.path().display(),
        other.display()
    )), "{err}");
    let mut args = server(&[
        format!("-conf={}", other.display()),
        "-allowignoredconf".into(),
    ]);
    init_config(&mut args).unwrap();
    // The same file named twice is not "ignored".
    let mut args = server(&[
        datadir_arg(dir.path()),
        format!("-conf={}/widecoin.conf", dir.path().display()),
    ]);
    init_config(&mut args).unwrap();
}
