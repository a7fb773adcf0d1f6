use super::*;

fn v(text: &str) -> UniValue {
    UniValue::read(text).expect("valid JSON")
}

fn words(ws: &[&str]) -> Vec<String> {
    ws.iter().map(|s| s.to_string()).collect()
}

#[test]
fn default_request_positional_and_named() {
    let mut rh = DefaultRequestHandler { named: false };
    let req = rh.prepare_request("getblockhash", &words(&["5"])).unwrap();
    assert_eq!(
        req.write(),
        r#"{"method":"getblockhash","params":[5],"id":1}"#
    );
    let mut rh = DefaultRequestHandler { named: true };
    let req = rh
        .prepare_request("getblockhash", &words(&["height=5"]))
        .unwrap();
    assert_eq!(
        req.write(),
        r#"{"method":"getblockhash","params":{"height":5},"id":1}"#
    );
    let err = rh.process_reply(v("[1]")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "JSON value of type array is not of expected type object"
    );
}

#[test]
fn batch_reply_checks() {
    assert_eq!(
        process_batch_reply(&v("{}")).unwrap_err().to_string(),
        "Batch must be an array"
    );
    assert_eq!(
        process_batch_reply(&v("[1]")).unwrap_err().to_string(),
        "Batch member must be an object"
    );
    assert_eq!(
        process_batch_reply(&v(r#"[{"id":1}]"#))
            .unwrap_err()
            .to_string(),
        "Batch member id is larger than batch size"
    );
    let batch = process_batch_reply(&v(r#"[{"id":1,"r":"b"},{"id":0,"r":"a"}]"#)).unwrap();
    assert_eq!(batch[0].get("r").val_str(), "a");
    assert_eq!(batch[1].get("r").val_str(), "b");
}

#[test]
fn getinfo_request_and_merge() {
    let mut rh = GetinfoRequestHandler;
    assert_eq!(
        rh.prepare_request("", &words(&["x"]))
            .unwrap_err()
            .to_string(),
        "-getinfo takes no arguments"
    );
    let req = rh.prepare_request("", &[]).unwrap();
    assert_eq!(
        req.write(),
        r#"[{"method":"getnetworkinfo","params":null,"id":0},{"method":"getblockchaininfo","params":null,"id":1},{"method":"getwalletinfo","params":null,"id":2},{"method":"getbalances","params":null,"id":3}]"#
    );
    let reply = v(r#"[
        {"result":{"version":60000,"timeoffset":0,"connections_in":0,"connections_out":0,
                   "connections":0,"networks":[],"relayfee":0.00001000,"warnings":""},"error":null,"id":0},
        {"result":{"blocks":1,"headers":1,"verificationprogress":1,"difficulty":1,"chain":"regtest"},"error":null,"id":1},
        {"result":null,"error":{"code":-18,"message":"no wallet"},"id":2},
        {"result":null,"error":{"code":-18,"message":"no wallet"},"id":3}]"#);
    let merged = rh.process_reply(reply).unwrap();
    assert_eq!(
        merged.get("result").write(),
        r#"{"version":60000,"blocks":1,"headers":1,"verificationprogress":1,"timeoffset":0,"connections":{"in":0,"out":0,"total":0},"networks":[],"difficulty":1,"chain":"regtest","relayfee":0.00001000,"warnings":""}"#
    );
    // A failing getblockchaininfo is passed on as is.
    let reply = v(r#"[{"result":{},"error":null,"id":0},
        {"result":null,"error":{"code":-28,"message":"Loading"},"id":1}]"#);
    let out = rh.process_reply(reply).unwrap();
    assert_eq!(out.get("error").get("code").val_str(), "-28");
}

#[test]
fn generate_arguments() {
    let mut args = words(&[]);
    set_generate_to_address_args("addr", &mut args).unwrap();
    assert_eq!(args, words(&["1", "addr"]));
    let mut args = words(&["3", "100"]);
    set_generate_to_address_args("addr", &mut args).unwrap();
    assert_eq!(args, words(&["3", "addr", "100"]));
    let mut args = words(&["0"]);
    assert_eq!(
        set_generate_to_address_args("a", &mut args).unwrap_err().to_string(),
        "the first argument (number of blocks to generate, default: 1) must be an integer value greater than zero"
    );
    let mut args = words(&["1", "2", "3"]);
    assert_eq!(
        set_generate_to_address_args("a", &mut args)
            .unwrap_err()
            .to_string(),
        "too many arguments (maximum 2 for nblocks and maxtries)"
    );
    let mut rh = GenerateToAddressRequestHandler::default();
    let req = rh.prepare_request("", &words(&["2", "addr"])).unwrap();
    assert_eq!(
        req.write(),
        r#"{"method":"generatetoaddress","params":[2,"addr"],"id":1}"#
    );
    let out = rh
        .process_reply(v(r#"{"result":["h1","h2"],"error":null,"id":1}"#))
        .unwrap();
    assert_eq!(
        out.write(),
        r#"{"result":{"address":"addr","blocks":["h1","h2"]},"error":null,"id":1}"#
    );
    let mut rh = GenerateToAddressRequestHandler::default();
    let err = rh
        .prepare_request("", &words(&["foo", "addr"]))
        .unwrap_err();
    assert_eq!(err.to_string(), "Error parsing JSON: foo");
}

#[test]
fn addrinfo_counts() {
    let mut rh = AddrinfoRequestHandler;
    let req = rh.prepare_request("", &[]).unwrap();
    assert_eq!(
        req.write(),
        r#"{"method":"getnodeaddresses","params":[0],"id":1}"#
    );
    let reply = v(
        r#"{"result":[{"network":"ipv4"},{"network":"ipv4"},{"network":"onion"},
        {"network":"internal"},{"network":"bogus"}],"error":null,"id":1}"#,
    );
    let out = rh.process_reply(reply).unwrap();
    assert_eq!(
        out.get("result").write(),
        r#"{"addresses_known":{"ipv4":2,"ipv6":0,"onion":1,"i2p":0,"cjdns":0,"total":3}}"#
    );
    let old = v(r#"{"result":[{"address":"x"}],"error":null,"id":1}"#);
    assert_eq!(
        rh.process_reply(old).unwrap_err().to_string(),
        "-addrinfo requires widecoind server to be running v22.0 and up"
    );
}
