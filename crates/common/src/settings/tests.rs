//! Core's settings_tests, restated.

use super::*;
use serde_json::json;

fn settings_with(f: impl FnOnce(&mut Settings)) -> Settings {
    let mut s = Settings::default();
    f(&mut s);
    s
}

#[test]
fn read_write_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    assert_eq!(read_settings(&path), Ok(BTreeMap::new()));

    fs::write(
        &path,
        r#"{"string": "string", "num": 5, "bool": true, "null": null}"#,
    )
    .unwrap();
    let values = read_settings(&path).unwrap();
    assert_eq!(values["string"], json!("string"));
    assert_eq!(values["num"], json!(5));
    assert_eq!(values["bool"], json!(true));
    assert_eq!(values["null"], SettingsValue::Null);

    fs::write(&path, r#"{"dupe": "string", "dupe": "dupe"}"#).unwrap();
    assert_eq!(
        read_settings(&path),
        Err(vec![format!(
            "Found duplicate key dupe in settings file {}",
            path.display()
        )])
    );
    fs::write(&path, r#"[1, "a"]"#).unwrap();
    assert_eq!(
        read_settings(&path),
        Err(vec![format!(
            "Found non-object value [1,\"a\"] in settings file {}",
            path.display()
        )])
    );
    fs::write(&path, "{").unwrap();
    assert_eq!(
        read_settings(&path),
        Err(vec![format!(
            "Unable to parse settings file {}",
            path.display()
        )])
    );

    let mut values = BTreeMap::new();
    values.insert("string".to_string(), json!("string"));
    values.insert("num".to_string(), json!(5));
    values.insert("empty".to_string(), json!([]));
    write_settings(&path, &values).unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "{\n    \"empty\": [\n    ],\n    \"num\": 5,\n    \"string\": \"string\"\n}\n"
    );
    assert_eq!(read_settings(&path).unwrap(), values);
    assert_eq!(
        write_settings(&dir.path().join("no/such/settings.json"), &values),
        Err(vec![format!(
            "Error: Unable to open settings file {} for writing",
            dir.path().join("no/such/settings.json").display()
        )])
    );
}

#[test]
fn json_writer_escapes_like_univalue() {
    assert_eq!(
        write_json(&json!("a\"b\\c\n\u{1}\u{7f}é"), 0, 0),
        "\"a\\\"b\\\\c\\n\\u0001\\u007fé\""
    );
    assert_eq!(
        write_json(&json!({"a": [1, false]}), 0, 0),
        "{\"a\":[1,false]}"
    );
}

#[test]
fn null_override_and_simple_precedence() {
    let mut s = settings_with(|s| {
        s.command_line_options
            .insert("name".into(), vec![json!("value")]);
        s.rw_settings.insert("name".into(), json!("rw"));
    });
    assert_eq!(
        get_setting(&s, "section", "name", false, false, false),
        json!("value")
    );
    // A forced null hides every other source.
    s.forced_settings.insert("name".into(), SettingsValue::Null);
    assert_eq!(
        get_setting(&s, "section", "name", false, false, false),
        SettingsValue::Null
    );
    // Persistent lookups skip forced and command-line values.
    assert_eq!(
        get_setting(&s, "section", "name", false, true, false),
        json!("rw")
    );
}

#[test]
fn negations_and_zombies() {
    // -nofoo on the command line, then a config value: the negation wins for
    // get_setting, and for lists the config values stay dead.
    let s = settings_with(|s| {
        s.command_line_options
            .insert("foo".into(), vec![json!(false)]);
        s.ro_config
            .entry(String::new())
            .or_default()
            .insert("foo".into(), vec![json!("conf")]);
    });
    assert_eq!(
        get_setting(&s, "", "foo", false, false, false),
        json!(false)
    );
    assert!(get_settings_list(&s, "", "foo", false).is_empty());

    // -nofoo -foo=x on the command line: config values come back.
    let s = settings_with(|s| {
        s.command_line_options
            .insert("foo".into(), vec![json!(false), json!("x")]);
        s.ro_config
            .entry(String::new())
            .or_default()
            .insert("foo".into(), vec![json!("conf")]);
    });
    assert_eq!(
        get_settings_list(&s, "", "foo", false),
        [json!("x"), json!("conf")]
    );

    // A negation in the default section applies to network-only options.
    let s = settings_with(|s| {
        s.ro_config
            .entry(String::new())
            .or_default()
            .insert("foo".into(), vec![json!(false)]);
    });
    assert_eq!(
        get_setting(&s, "regtest", "foo", true, false, false),
        json!(false)
    );
    assert!(!only_has_default_section_setting(&s, "regtest", "foo"));

    // Chain options: last config value wins, negated command line is skipped.
    let s = settings_with(|s| {
        s.command_line_options
            .insert("regtest".into(), vec![json!(false)]);
        s.ro_config
            .entry(String::new())
            .or_default()
            .insert("regtest".into(), vec![json!("0"), json!("1")]);
    });
    assert_eq!(
        get_setting(&s, "", "regtest", false, false, true),
        json!("1")
    );
    assert_eq!(
        get_setting(&s, "", "regtest", false, false, false),
        json!(false)
    );
}
