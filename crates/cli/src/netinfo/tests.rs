use super::*;

fn v(text: &str) -> UniValue {
    UniValue::read(text).expect("valid JSON")
}

const NOW: i64 = 1_700_000_000;

fn reply(peers: &str) -> UniValue {
    reply_with_version(peers, 260000)
}

fn reply_with_version(peers: &str, version: u32) -> UniValue {
    v(&format!(
        r#"[{{"result":{peers},"error":null,"id":0}},
        {{"result":{{"version":{version},"protocolversion":70016,"subversion":"/WidecoinCore:6.0.0/",
          "networks":[{{"name":"ipv4","reachable":true}},{{"name":"ipv6","reachable":false}},
                      {{"name":"onion","reachable":true}}],
          "localaddresses":[]}},"error":null,"id":1}}]"#
    ))
}

#[test]
fn bad_level_and_help() {
    let mut rh = NetinfoRequestHandler::new(ChainType::Regtest, "v6.0.0", NOW);
    let err = rh.prepare_request("", &["x".to_owned()]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid -netinfo argument: x\nFor more information, run: widecoin-cli -netinfo help"
    );
    assert!(NETINFO_HELP.starts_with("-netinfo level|\"help\" \n\nReturns a network"));
    assert!(NETINFO_HELP.ends_with("> widecoin-cli -netinfo help\n"));
}

#[test]
fn counts_table() {
    let mut rh = NetinfoRequestHandler::new(ChainType::Regtest, "v6.0.0", NOW);
    rh.prepare_request("", &[]).unwrap();
    let peers = r#"[{"network":"ipv4","inbound":false,"connection_type":"outbound-full-relay"},
                    {"network":"ipv4","inbound":true,"connection_type":"inbound"},
                    {"network":"not_publicly_routable","inbound":false,"connection_type":"manual"}]"#;
    let out = rh.process_reply(reply(peers)).unwrap();
    let expected = concat!(
        "Widecoin Core client v6.0.0 regtest - server 70016/WidecoinCore:6.0.0/\n\n",
        "         ipv4   onion     npr   total   block  manual\n",
        "in          1       0       0       1\n",
        "out         1       0       1       2       0       1\n",
        "total       2       0       1       3\n\n",
        "Local addresses: n/a\n"
    );
    assert_eq!(out.get("result").get_str().unwrap(), expected);
}

#[test]
fn peer_listing() {
    let mut rh = NetinfoRequestHandler::new(ChainType::Main, "v6.0.0", NOW);
    rh.prepare_request("", &["9".to_owned()]).unwrap(); // read as 4
    let peers = format!(
        r#"[{{"id":7,"network":"ipv4","inbound":false,"connection_type":"block-relay-only",
             "relaytxes":false,"conntime":{c},"last_block":0,"lastrecv":{r},"lastsend":{r},
             "last_transaction":0,"minping":0.0123,"pingtime":0.02,"addr":"1.2.3.4:8553",
             "subver":"/WidecoinCore:6.0.0/","version":70016,"bip152_hb_from":false,
             "bip152_hb_to":true,"addr_relay_enabled":false}}]"#,
        c = NOW - 600,
        r = NOW - 3
    );
    let out = rh.process_reply(reply(&peers)).unwrap();
    let text = out.get("result").get_str().unwrap().to_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Widecoin Core client v6.0.0 - server 70016/WidecoinCore:6.0.0/"
    );
    assert_eq!(
        lines[2],
        "<->   type   net  mping   ping send recv  txn  blk  hb addrp addrl  age id address      version"
    );
    assert_eq!(
        lines[3],
        "out  block  ipv4     12     20    3    3    *       .      .         10  7 1.2.3.4:8553 70016/WidecoinCore:6.0.0/"
    );
    assert_eq!(
        lines[4],
        "                     ms     ms  sec  sec  min  min                  min"
    );
}

#[test]
fn widecoin_version_numbers_are_refused() {
    // Widecoin 6.0 reports version 60000, below Core's 209900 threshold, so
    // Widecoin Core's own -netinfo refuses it; we do the same.
    let mut rh = NetinfoRequestHandler::new(ChainType::Regtest, "v6.0.0", NOW);
    rh.prepare_request("", &[]).unwrap();
    let err = rh
        .process_reply(reply_with_version("[]", 60000))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "-netinfo requires widecoind server to be running v0.21.0 and up"
    );
}
