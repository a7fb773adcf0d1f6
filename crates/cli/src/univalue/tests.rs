use super::*;

fn rt(text: &str) -> String {
    UniValue::read(text).expect("valid JSON").write_pretty(2)
}

#[test]
fn pretty_print_matches_univalue() {
    assert_eq!(rt("[]"), "[\n]");
    assert_eq!(rt("{}"), "{\n}");
    assert_eq!(rt(r#"{"a":[]}"#), "{\n  \"a\": [\n  ]\n}");
    assert_eq!(rt(r#"{"a":{}}"#), "{\n  \"a\": {\n  }\n}");
    assert_eq!(
        rt("[1,[2,[]]]"),
        "[\n  1,\n  [\n    2,\n    [\n    ]\n  ]\n]"
    );
    assert_eq!(
        rt(r#"{"x":1.00000000,"y":null,"z":true,"w":"s"}"#),
        "{\n  \"x\": 1.00000000,\n  \"y\": null,\n  \"z\": true,\n  \"w\": \"s\"\n}"
    );
    assert_eq!(rt("5"), "5");
    assert_eq!(rt("\"a\""), "\"a\"");
}

#[test]
fn compact_write() {
    let v = UniValue::read(r#" { "a" : [ 1 , 2e5 , -0.5 ] , "b" : { } } "#).unwrap();
    assert_eq!(v.write(), r#"{"a":[1,2e5,-0.5],"b":{}}"#);
}

#[test]
fn escapes_match_univalue_table() {
    let v = UniValue::str("q\"b\\s/\u{1}\u{8}\t\n\u{c}\r\u{1f}\u{7f}é€");
    assert_eq!(
        v.write(),
        "\"q\\\"b\\\\s/\\u0001\\b\\t\\n\\f\\r\\u001f\\u007fé€\""
    );
}

#[test]
fn read_accepts_and_rejects_like_core() {
    for ok in [
        "0",
        "-0",
        "1.5e+3",
        "1E-2",
        "\"\\u00e9\\ud83d\\ude00\"",
        "null",
        "[]",
        "  [1]  ",
        "-",
    ] {
        assert!(UniValue::read(ok).is_some(), "{ok}");
    }
    for bad in [
        "",
        "01",
        "-01",
        "1.",
        "1e",
        "+1",
        "[1,]",
        "{\"a\":1,}",
        "[,1]",
        "nul",
        "nullx",
        "1 2",
        "\"\\ud800\"",
        "\"\\udc00x\"",
        "\"a\u{1}\"",
        "\"\\x\"",
        "{1:2}",
        "[1}",
        "'a'",
        "-a",
        "[-]",
        "truex",
        "{\"a\" 1}",
    ] {
        assert!(UniValue::read(bad).is_none(), "{bad}");
    }
    assert_eq!(
        UniValue::read("\"\\ud83d\\ude00\\/\"").unwrap(),
        UniValue::str("😀/")
    );
}

#[test]
fn depth_limit() {
    let ok = "[".repeat(MAX_JSON_DEPTH) + &"]".repeat(MAX_JSON_DEPTH);
    assert!(UniValue::read(&ok).is_some());
    let deep = "[".repeat(MAX_JSON_DEPTH + 1) + &"]".repeat(MAX_JSON_DEPTH + 1);
    assert!(UniValue::read(&deep).is_none());
}

#[test]
fn duplicate_keys_are_kept_and_first_wins_on_lookup() {
    let v = UniValue::read(r#"{"a":1,"a":2}"#).unwrap();
    assert_eq!(v.size(), 2);
    assert_eq!(v.get("a"), &UniValue::int(1));
    let mut o = UniValue::object();
    o.push_kv("k", UniValue::int(1));
    o.push_kv("j", UniValue::int(2));
    o.push_kv("k", UniValue::int(3));
    assert_eq!(o.write(), r#"{"k":3,"j":2}"#);
    o.push_kv_end("k", UniValue::int(4));
    assert_eq!(o.write(), r#"{"k":3,"j":2,"k":4}"#);
}

#[test]
fn getters_report_core_type_errors() {
    let n = UniValue::read("1.5").unwrap();
    assert_eq!(
        n.get_str().unwrap_err().0,
        "JSON value of type number is not of expected type string"
    );
    assert_eq!(
        n.get_int::<i32>().unwrap_err().0,
        "JSON integer out of range"
    );
    assert_eq!(n.get_real().unwrap(), 1.5);
    assert_eq!(UniValue::int(-28).get_int::<i32>().unwrap(), -28);
    assert_eq!(
        UniValue::Null.get_int::<i32>().unwrap_err().0,
        "JSON value of type null is not of expected type number"
    );
    assert_eq!(UniValue::Bool(true).val_str(), "1");
    assert_eq!(UniValue::Bool(false).val_str(), "");
    assert!(UniValue::int(3).is_empty());
    assert!(UniValue::Null.get("x").is_null());
}
