//! Behaviour pinned from Widecoin Core's argsman/getarg unit tests and its
//! functional tests (feature_config_args.py).

use super::*;
use serde_json::json;
use std::path::Path;

fn argv(args: &str) -> Vec<String> {
    std::iter::once("ignored")
        .chain(args.split_whitespace())
        .map(str::to_string)
        .collect()
}

fn manager(names: &[(&str, ArgFlags)]) -> ArgsManager {
    let mut args = ArgsManager::new();
    for (name, flags) in names {
        args.add_arg(name, "", *flags, OptionsCategory::Options);
    }
    args
}

fn any(names: &[&'static str]) -> ArgsManager {
    manager(
        &names
            .iter()
            .map(|n| (*n, ArgFlags::ALLOW_ANY))
            .collect::<Vec<_>>(),
    )
}

#[test]
fn parse_parameters_stops_at_first_non_dash() {
    let mut args = any(&["-a", "-b", "-ccc", "-d"]);
    args.parse_parameters(&argv("-a -b -ccc=argument -ccc=multiple f -d=e"))
        .unwrap();
    assert!(args.is_arg_set("-a") && args.is_arg_set("-b") && args.is_arg_set("-ccc"));
    assert!(!args.is_arg_set("-d") && !args.is_arg_set("f"));
    assert_eq!(args.get_arg("-a").as_deref(), Some(""));
    assert_eq!(args.get_args("-ccc"), ["argument", "multiple"]);
    assert_eq!(args.get_arg("-ccc").as_deref(), Some("multiple"));
    assert_eq!(args.command_args(), ["f", "-d=e"]);
    let cmd = args.get_command().unwrap();
    assert_eq!(cmd.command, "");
    assert_eq!(cmd.args, ["f", "-d=e"]);
    // The program name alone is nothing.
    args.parse_parameters(&argv("")).unwrap();
    assert!(args.settings.command_line_options.is_empty());
    assert!(args.get_command().is_none());
}

#[test]
fn invalid_parameters_are_cores_words() {
    let mut args = any(&["-registered"]);
    assert_eq!(args.parse_parameters(&argv("-registered")), Ok(()));
    assert_eq!(
        args.parse_parameters(&argv("-unregistered")),
        Err("Invalid parameter -unregistered".to_string())
    );
    // Network-qualified names are not accepted on the command line.
    assert_eq!(
        args.parse_parameters(&argv("-test.registered")),
        Err("Invalid parameter -test.registered".to_string())
    );
    assert_eq!(
        args.parse_parameters(&argv("-dash_cli=1")),
        Err("Invalid parameter -dash_cli=1".to_string())
    );
}

#[test]
fn double_dash_and_negation() {
    let mut args = any(&["-foo", "-bar"]);
    args.parse_parameters(&argv("--foo")).unwrap();
    assert!(args.get_bool_arg("-foo", false));
    args.parse_parameters(&argv("--foo=verbose --bar=1"))
        .unwrap();
    assert_eq!(args.get_arg_or("-foo", ""), "verbose");
    assert_eq!(args.get_int_arg("-bar", 0), 1);

    for (line, expected) in [
        ("-nofoo", false),
        ("-nofoo=1", false),
        ("-nofoo=0", true),
        ("-foo --nofoo", false),
        ("-nofoo -foo", true),
    ] {
        args.parse_parameters(&argv(line)).unwrap();
        assert_eq!(args.get_bool_arg("-foo", true), expected, "{line}");
        assert_eq!(args.get_bool_arg("-foo", false), expected, "{line}");
    }
    args.take_log_messages();
    args.parse_parameters(&argv("-nofoo")).unwrap();
    assert!(args.is_arg_negated("-foo"));
    assert!(args.is_arg_set("-foo"));
    assert_eq!(args.get_arg("-foo").as_deref(), Some("0"));
    assert!(args.get_args("-foo").is_empty());

    args.parse_parameters(&argv("-nofoo=0")).unwrap();
    assert_eq!(
        args.take_log_messages(),
        ["Warning: parsed potentially confusing double-negative -foo=0"]
    );
}

#[test]
fn negation_and_elision_flags() {
    let mut args = manager(&[
        ("-proxy", ArgFlags::ALLOW_ANY | ArgFlags::DISALLOW_ELISION),
        (
            "-loglevel",
            ArgFlags::DISALLOW_NEGATION | ArgFlags::DISALLOW_ELISION,
        ),
    ]);
    assert_eq!(
        args.parse_parameters(&argv("-proxy")),
        Err(
            "Can not set -proxy with no value. Please specify value with -proxy=value.".to_string()
        )
    );
    assert!(args.parse_parameters(&argv("-noproxy")).is_ok());
    assert_eq!(
        args.parse_parameters(&argv("-nologlevel")),
        Err("Negating of -loglevel is meaningless and therefore forbidden".to_string())
    );
    assert!(args.parse_parameters(&argv("-loglevel=trace")).is_ok());
}

#[test]
fn includeconf_only_negated_on_command_line() {
    let mut args = any(&["-includeconf"]);
    assert_eq!(
        args.parse_parameters(&argv("-includeconf=x.conf")),
        Err("-includeconf cannot be used from commandline; -includeconf=\"x.conf\"".to_string())
    );
    assert!(args.parse_parameters(&argv("-noincludeconf")).is_ok());
}

#[test]
fn bool_and_int_parsing_like_core() {
    for (text, b, i) in [
        ("", true, 0),
        (" ", false, 0),
        ("0", false, 0),
        ("0 ", false, 0),
        (" 0", false, 0),
        ("+0", false, 0),
        ("-0", false, 0),
        ("5", true, 5),
        ("5 ", true, 5),
        (" 5", true, 5),
        ("+5", true, 5),
        ("-5", true, -5),
        ("0 5", false, 0),
        ("5 0", true, 5),
        ("050", true, 50),
        ("0.", false, 0),
        ("5.", true, 5),
        ("0.5", false, 0),
        ("5.5", true, 5),
        ("x", false, 0),
        ("x5", false, 0),
        ("0x5", false, 0),
        ("5x", true, 5),
        ("false", false, 0),
        ("true", false, 0),
        ("yes", false, 0),
        ("+-5", false, 0),
        ("99999999999999999999", true, i64::MAX),
        ("-99999999999999999999", true, i64::MIN),
    ] {
        let mut args = any(&["-value"]);
        args.parse_parameters(&[String::new(), format!("-value={text}")])
            .unwrap();
        assert_eq!(args.get_bool_arg("-value", false), b, "{text:?}");
        assert_eq!(args.get_bool_arg("-value", true), b, "{text:?}");
        assert_eq!(args.get_int_arg("-value", 99998), i, "{text:?}");
    }
}

const CONFIG: &str = "a=\n\
b=1\n\
ccc=argument\n\
ccc=multiple\n\
d=e\n\
nofff=1\n\
noggg=0\n\
h=1\n\
noh=1\n\
noi=1\n\
i=1\n\
sec1.ccc=extend1\n\
\n\
[sec1]\n\
ccc=extend2\n\
d=eee\n\
h=1\n\
[sec2]\n\
ccc=extend3\n\
iii=2\n";

#[test]
fn read_config_stream_sections_and_precedence() {
    let mut args = any(&[
        "-a", "-b", "-ccc", "-d", "-e", "-fff", "-ggg", "-h", "-i", "-iii",
    ]);
    args.read_config_stream(CONFIG, "widecoin.conf", false)
        .unwrap();
    assert_eq!(args.settings.ro_config.len(), 3);
    assert_eq!(args.settings.ro_config[""].len(), 8);
    assert_eq!(args.settings.ro_config["sec1"].len(), 3);
    assert_eq!(args.settings.ro_config["sec2"].len(), 2);
    assert!(!args.is_arg_set("-iii"));
    for (name, value) in [
        ("-a", ""),
        ("-b", "1"),
        ("-ccc", "argument"),
        ("-d", "e"),
        ("-fff", "0"),
        ("-ggg", "1"),
        ("-h", "0"),
        ("-i", "1"),
        ("-zzz", "xxx"),
    ] {
        assert_eq!(args.get_arg_or(name, "xxx"), value, "{name}");
    }
    assert!(args.get_args("-fff").is_empty());
    assert_eq!(args.get_args("-ggg"), ["1"]);
    assert!(args.is_arg_negated("-h"));
    assert!(!args.is_arg_negated("-i"));

    args.select_config_network("sec1");
    assert_eq!(args.get_arg_or("-d", "xxx"), "eee");
    assert_eq!(args.get_arg_or("-h", "xxx"), "1");
    assert_eq!(args.get_arg_or("-ccc", "xxx"), "extend1");
    assert_eq!(
        args.get_args("-ccc"),
        ["extend1", "extend2", "argument", "multiple"]
    );

    args.select_config_network("sec2");
    assert_eq!(args.get_arg_or("-h", "xxx"), "0");
    assert_eq!(args.get_arg_or("-iii", "xxx"), "2");
    assert_eq!(args.get_args("-ccc"), ["extend3", "argument", "multiple"]);

    // Network-only options ignore the default section off main.
    for name in ["-d", "-ccc", "-h"] {
        args.network_only_args.insert(name.to_string());
    }
    args.select_config_network("main");
    assert_eq!(args.get_arg_or("-d", "xxx"), "e");
    assert_eq!(args.get_args("-ccc").len(), 2);
    assert_eq!(args.get_arg_or("-h", "xxx"), "0");
    args.select_config_network("sec1");
    assert_eq!(args.get_arg_or("-d", "xxx"), "eee");
    assert_eq!(args.get_args("-d").len(), 1);
    assert_eq!(args.get_args("-ccc").len(), 2);
    assert_eq!(args.get_arg_or("-h", "xxx"), "1");
    args.select_config_network("sec2");
    assert_eq!(args.get_arg_or("-d", "xxx"), "xxx");
    assert!(args.get_args("-d").is_empty());
    assert_eq!(args.get_args("-ccc").len(), 1);
    // A negation in the default section still applies.
    assert_eq!(args.get_arg_or("-h", "xxx"), "0");
}

#[test]
fn precedence_across_sources() {
    let mut args = any(&["-p1", "-p2", "-p3", "-p4", "-p5"]);
    args.settings
        .command_line_options
        .insert("p1".into(), vec![json!("a"), json!("b")]);
    args.settings
        .ro_config
        .entry(String::new())
        .or_default()
        .insert("p2".into(), vec![json!("a"), json!("b")]);
    args.settings
        .command_line_options
        .insert("p3".into(), vec![json!("a")]);
    args.settings
        .ro_config
        .get_mut("")
        .unwrap()
        .insert("p3".into(), vec![json!("b")]);
    args.settings
        .command_line_options
        .insert("p4".into(), vec![json!("a"), json!("b")]);
    args.settings
        .ro_config
        .get_mut("")
        .unwrap()
        .insert("p4".into(), vec![json!("c"), json!("d")]);
    args.settings.rw_settings.insert("p5".into(), json!("rw"));
    args.settings
        .ro_config
        .get_mut("")
        .unwrap()
        .insert("p5".into(), vec![json!("conf")]);
    assert_eq!(args.get_arg_or("-p1", "default"), "b");
    assert_eq!(args.get_arg_or("-p2", "default"), "a");
    assert_eq!(args.get_arg_or("-p3", "default"), "a");
    assert_eq!(args.get_arg_or("-p4", "default"), "b");
    assert_eq!(args.get_arg_or("-p5", "default"), "rw");
    assert_eq!(args.get_persistent_setting("p5"), json!("rw"));
    args.force_set_arg("-p5", "forced");
    assert_eq!(args.get_arg_or("-p5", "default"), "forced");
    assert_eq!(args.get_persistent_setting("p5"), json!("rw"));
    assert_eq!(args.get_args("-p4"), ["a", "b", "c", "d"]);
    // Soft set only when unset.
    assert!(!args.soft_set_arg("-p1", "x"));
    assert!(args.soft_set_bool_arg("-new", false));
    assert_eq!(args.get_arg("-new").as_deref(), Some("0"));
    // JSON numbers and arrays from settings.json.
    args.settings.rw_settings.insert("n".into(), json!(42));
    args.settings
        .rw_settings
        .insert("l".into(), json!(["x", "y"]));
    assert_eq!(args.get_int_arg("-n", 0), 42);
    assert_eq!(args.get_arg("-n").as_deref(), Some("42"));
    assert_eq!(args.get_args("-l"), ["x", "y"]);
}

#[test]
fn chain_type_from_arguments_and_config() {
    let mut args = any(&["-testnet", "-regtest", "-signet", "-chain"]);
    let conf = "testnet=1\nregtest=0\n[test]\nregtest=1";
    let err = Err(
        "Invalid combination of -regtest, -signet, -testnet and -chain. Can use at most one."
            .to_string(),
    );
    args.parse_parameters(&argv("")).unwrap();
    assert_eq!(args.get_chain_type(), Ok(ChainType::Main));
    for (line, with_conf, expected) in [
        ("-testnet", false, Ok("test")),
        ("-regtest", false, Ok("regtest")),
        ("-testnet -noregtest", false, Ok("test")),
        ("", true, Ok("test")),
        ("-testnet", true, Ok("test")),
        ("-testnet -noregtest", true, Ok("test")),
        ("-chain=signet", false, Ok("signet")),
        ("-chain=foo", false, Ok("foo")),
    ] {
        args.parse_parameters(&argv(line)).unwrap();
        args.settings.ro_config.clear();
        if with_conf {
            args.read_config_stream(conf, "c", false).unwrap();
        }
        assert_eq!(
            args.get_chain_type_string(),
            expected.map(str::to_string),
            "{line} {with_conf}"
        );
    }
    for (line, with_conf) in [
        ("-testnet -regtest", false),
        ("-regtest", true),
        ("-chain=main -testnet", false),
    ] {
        args.parse_parameters(&argv(line)).unwrap();
        args.settings.ro_config.clear();
        if with_conf {
            args.read_config_stream(conf, "c", false).unwrap();
        }
        assert_eq!(args.get_chain_type_string(), err, "{line}");
    }
    args.settings.ro_config.clear();
    args.parse_parameters(&argv("-chain=foo")).unwrap();
    assert_eq!(args.get_chain_type(), Err("Unknown chain foo.".to_string()));
    args.parse_parameters(&argv("")).unwrap();
    args.read_config_stream("chain=regtest\n", "c", false)
        .unwrap();
    assert_eq!(args.get_chain_type(), Ok(ChainType::Regtest));
}

#[test]
fn config_parse_errors_are_cores_words() {
    let mut args = any(&["-rpcpassword", "-server", "-rpcuser", "-dash"]);
    let mut read = |text: &str| {
        args.settings.ro_config.clear();
        args.read_config_stream(text, "f", false)
    };
    assert_eq!(read("-dash=1\n"), Err("parse error on line 1: -dash=1, options in configuration file must be specified without leading -".into()));
    assert_eq!(read("nono\n"), Err("parse error on line 1: nono, if you intended to specify a negated option, use nono=1 instead".into()));
    assert_eq!(read("junk\n"), Err("parse error on line 1: junk".into()));
    assert_eq!(
        read("server=1\nrpcuser=someuser\nrpcpassword=some#pass"),
        Err(
            "parse error on line 3, using # in rpcpassword can be ambiguous and should be avoided"
                .into()
        )
    );
    assert_eq!(
        read("server=1\nrpcuser=someuser\nmain.rpcpassword=some#pass"),
        Err(
            "parse error on line 3, using # in rpcpassword can be ambiguous and should be avoided"
                .into()
        )
    );
    assert_eq!(
        read("server=1\nrpcuser=someuser\n[main]\nrpcpassword=some#pass"),
        Err(
            "parse error on line 4, using # in rpcpassword can be ambiguous and should be avoided"
                .into()
        )
    );
    assert_eq!(read("conf=some.conf\n"), Err("conf cannot be set in the configuration file; use includeconf= if you want to include additional config files".into()));
    assert_eq!(
        read("unknown=1\n"),
        Err("Invalid configuration value unknown".into())
    );
    assert_eq!(
        read("  server = 1 # comment\r\n\t# only a comment\n"),
        Ok(())
    );
    assert_eq!(args.get_arg("-server").as_deref(), Some("1"));
    // Unknown values are ignored (and logged) when asked.
    args.read_config_stream("dash_conf=1\nreindex=1\n", "f", true)
        .unwrap();
    let log = args.take_log_messages();
    assert_eq!(log[0], "Ignoring unknown configuration value dash_conf");
    assert!(log[1].starts_with("Warning: reindex=1 is set in the configuration file"));
}

#[test]
fn sections_unrecognized_and_unsuitable() {
    let mut args = manager(&[
        ("-datadir", ArgFlags::ALLOW_ANY),
        ("-wallet", ArgFlags::ALLOW_ANY | ArgFlags::NETWORK_ONLY),
        ("-rpcport", ArgFlags::ALLOW_ANY | ArgFlags::NETWORK_ONLY),
    ]);
    args.read_config_stream(
        "testnot.datadir=1\n[testnet]\n[regtest]\nrpcport=1\nwallet=foo\n",
        "/x/inc.conf",
        true,
    )
    .unwrap();
    args.read_config_stream("[main]\nwallet=w\n", "inc2.conf", true)
        .unwrap();
    assert_eq!(
        args.unrecognized_section_warnings(),
        [
            "/x/inc.conf:1 Section [testnot] is not recognized.",
            "/x/inc.conf:2 Section [testnet] is not recognized."
        ]
    );
    let mut args2 = manager(&[("-wallet", ArgFlags::ALLOW_ANY | ArgFlags::NETWORK_ONLY)]);
    args2.read_config_stream("wallet=foo\n", "c", true).unwrap();
    assert!(args2.get_unsuitable_section_only_args().is_empty());
    args2.select_config_network("main");
    assert!(args2.get_unsuitable_section_only_args().is_empty());
    args2.select_config_network("regtest");
    assert_eq!(args2.get_arg("-wallet"), None);
    assert_eq!(
        args2.unsuitable_section_only_args_error().as_deref(),
        Some("Config setting for -wallet only applied on regtest network when in [regtest] section.\n")
    );
    args2.parse_parameters(&argv("-wallet=cli")).unwrap();
    assert!(args2.get_unsuitable_section_only_args().is_empty());
}

#[test]
fn log_args_hides_sensitive_values() {
    let mut args = manager(&[
        ("-okaylog-bool", ArgFlags::ALLOW_ANY),
        ("-okaylog-negbool", ArgFlags::ALLOW_ANY),
        ("-okaylog", ArgFlags::ALLOW_ANY),
        ("-dontlog", ArgFlags::ALLOW_ANY | ArgFlags::SENSITIVE),
    ]);
    args.parse_parameters(&argv(
        "-okaylog-bool -nookaylog-negbool -okaylog=public -dontlog=private42",
    ))
    .unwrap();
    args.read_config_stream("[regtest]\nokaylog=conf\n", "c", false)
        .unwrap();
    args.settings
        .rw_settings
        .insert("okaylog".into(), json!(["x"]));
    let lines = args.log_args();
    assert!(lines.contains(&"Config file arg: [regtest] okaylog=\"conf\"".to_string()));
    assert!(lines.contains(&"Setting file arg: okaylog = [\"x\"]".to_string()));
    assert!(lines.contains(&"Command-line arg: okaylog-bool=\"\"".to_string()));
    assert!(lines.contains(&"Command-line arg: okaylog-negbool=false".to_string()));
    assert!(lines.contains(&"Command-line arg: okaylog=\"public\"".to_string()));
    assert!(lines.contains(&"Command-line arg: dontlog=****".to_string()));
    assert!(!lines.iter().any(|l| l.contains("private42")));
}

#[test]
fn path_arg_normalization() {
    let mut args = any(&["-dir"]);
    let mut check = |value: &str, expected: &str| {
        args.parse_parameters(&[String::new(), format!("-dir={value}")])
            .unwrap();
        assert_eq!(
            args.get_path_arg("-dir", Path::new("")),
            PathBuf::from(expected),
            "{value}"
        );
    };
    for v in ["/", "/.", "/./", "/.//"] {
        check(v, "/");
    }
    for v in [
        "/home/user/.widecoin",
        "/root/../home/user/.widecoin",
        "/home/./user/.widecoin",
        "/home/user/.widecoin/",
        "/home/user/.widecoin//",
        "/home/user/.widecoin/.",
        "/home/user/.widecoin/./",
        "/home/user/.widecoin/.//",
    ] {
        check(v, "/home/user/.widecoin");
    }
    for v in [
        "user/.widecoin",
        "somewhere/../user/.widecoin",
        "user/./.widecoin",
        "user/.widecoin/",
        "user/.widecoin/.//",
    ] {
        check(v, "user/.widecoin");
    }
    args.parse_parameters(&argv("")).unwrap();
    assert_eq!(
        args.get_path_arg("-dir", Path::new("default")),
        PathBuf::from("default")
    );
    args.parse_parameters(&argv("-dir=")).unwrap();
    assert_eq!(
        args.get_path_arg("-dir", Path::new("default")),
        PathBuf::from("default")
    );
    args.parse_parameters(&argv("-dir")).unwrap();
    assert_eq!(
        args.get_path_arg("-dir", Path::new("default")),
        PathBuf::from("default")
    );
    args.parse_parameters(&argv("-nodir")).unwrap();
    assert_eq!(
        args.get_path_arg("-dir", Path::new("default")),
        PathBuf::new()
    );
}

#[test]
fn registered_commands() {
    let mut args = any(&["-opt"]);
    args.add_command("info", "Get wallet info");
    assert_eq!(
        args.parse_parameters(&argv("-opt bogus")),
        Err("Invalid command 'bogus'".to_string())
    );
    args.parse_parameters(&argv("-opt info a b")).unwrap();
    let cmd = args.get_command().unwrap();
    assert_eq!(cmd.command, "info");
    assert_eq!(cmd.args, ["a", "b"]);
}
