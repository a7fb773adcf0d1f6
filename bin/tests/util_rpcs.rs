//! The key, address, descriptor and message utilities (`util` category) as a
//! client sees them, on regtest and on main.

mod common;

use common::*;
use serde_json::json;
use widecoin_test_utils::RpcCallError;

const G: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
const TPRV: &str = "tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK";

fn error(code: i64, message: &str) -> RpcCallError {
    RpcCallError {
        http_status: 500,
        code: Some(code),
        message: message.to_string(),
    }
}

#[test]
fn addresses_and_descriptors_on_regtest() {
    let node = start(options());
    assert_eq!(
        node.rpc(
            "validateaddress",
            json!(["wcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7k0tparu"])
        ),
        Ok(json!({
            "isvalid": true,
            "address": "wcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7k0tparu",
            "scriptPubKey": "0014751e76e8199196d454941c45d1b3a323f1433bd6",
            "isscript": false,
            "iswitness": true,
            "witness_version": 0,
            "witness_program": "751e76e8199196d454941c45d1b3a323f1433bd6",
        }))
    );
    assert_eq!(
        node.rpc(
            "validateaddress",
            json!(["wcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7k0tparv"])
        ),
        Ok(json!({"isvalid": false, "error_locations": [43], "error": "Invalid Bech32 checksum"}))
    );
    let input = format!("wpkh({TPRV}/1h/*)");
    let info = node.rpc("getdescriptorinfo", json!([input])).unwrap();
    assert_eq!(info["isrange"], json!(true));
    assert_eq!(info["hasprivatekeys"], json!(true));
    assert!(info["descriptor"]
        .as_str()
        .unwrap()
        .starts_with("wpkh(tpub"));
    // The canonical form has no private key for the hardened step; the input has.
    let public = info["descriptor"].as_str().unwrap();
    assert_eq!(
        node.rpc("deriveaddresses", json!([public, [0, 1]])),
        Err(error(-5, "Cannot derive script without private keys"))
    );
    let with_checksum = format!("{input}#{}", info["checksum"].as_str().unwrap());
    let addrs = node
        .rpc("deriveaddresses", json!([with_checksum, [0, 1]]))
        .unwrap();
    assert_eq!(addrs.as_array().unwrap().len(), 2);
    assert!(addrs[0].as_str().unwrap().starts_with("wcrt1q"));
    assert_eq!(
        node.rpc("deriveaddresses", json!(["wpkh(x)"])),
        Err(error(-5, "Missing checksum"))
    );
    let ms = node
        .rpc("createmultisig", json!([1, [G], "p2sh-segwit"]))
        .unwrap();
    assert_eq!(ms["redeemScript"], json!(format!("5121{G}51ae")));
    assert!(ms["descriptor"]
        .as_str()
        .unwrap()
        .starts_with(&format!("sh(wsh(multi(1,{G})))#")));
    let decoded = node
        .rpc("decodescript", json!([format!("21{G}ac")]))
        .unwrap();
    assert_eq!(decoded["type"], json!("pubkey"));
    assert_eq!(decoded["asm"], json!(format!("{G} OP_CHECKSIG")));
    assert_eq!(
        decoded["segwit"]["address"],
        json!("wcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7k0tparu")
    );
}

#[test]
fn messages_sign_and_verify_with_the_widecoin_magic() {
    let node = start(options());
    let wif = "cUeKHd5orzT3mz8P9pxyREHfsWtVfgsfDjiZZBcjUBAaGk1BTj7N";
    let msg = "This is just a test message";
    let sig = node
        .rpc("signmessagewithprivkey", json!([wif, msg]))
        .unwrap();
    assert_eq!(
        sig,
        json!("H7osQE2TgPmr3GE0lWbGcP5S6i3CUeRTS/IQvGt32CzAUMJcsjlk8CRMJUY7T493jiBaZwaQcneE7sHUjn8guJU=")
    );
    let addr = "mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB";
    assert_eq!(
        node.rpc("verifymessage", json!([addr, sig, msg])),
        Ok(json!(true))
    );
    assert_eq!(
        node.rpc("verifymessage", json!([addr, sig, "x"])),
        Ok(json!(false))
    );
    assert_eq!(
        node.rpc("verifymessage", json!([addr, "invalid_sig", msg])),
        Err(error(-3, "Malformed base64 encoding"))
    );
    assert_eq!(
        node.rpc("signmessagewithprivkey", json!(["invalid_key", msg])),
        Err(error(-5, "Invalid private key"))
    );
}

#[test]
fn main_uses_widecoin_prefixes() {
    let node = start(options().chain("main"));
    let r = node
        .rpc(
            "validateaddress",
            json!(["WZMJS5eeCEgiqxNK1QRbE1HR4wFQwmCjJV"]),
        )
        .unwrap();
    assert_eq!(r["isvalid"], json!(true));
    assert_eq!(r["isscript"], json!(false));
    let r = node
        .rpc(
            "validateaddress",
            json!(["wc1qw508d6qejxtdg4y5r3zarvary0c5xw7khj32t6"]),
        )
        .unwrap();
    assert_eq!(r["isvalid"], json!(true));
    let r = node
        .rpc(
            "validateaddress",
            json!(["bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"]),
        )
        .unwrap();
    assert_eq!(
        r,
        json!({"isvalid": false, "error_locations": [], "error": "Invalid or unsupported Segwit (Bech32) or Base58 encoding."})
    );
}

/// BIP389 multipath descriptors as Bitcoin Core v27 takes them (an
/// extension of Widecoin Core 6.0): each RPC answers as for the single
/// descriptors the multipath one stands for.
#[test]
fn multipath_descriptors_expand_into_their_single_descriptors() {
    const TPUB: &str = "tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B";
    let node = start(options());
    let multi = format!("wpkh({TPUB}/<0;1>/*)");
    let singles = [format!("wpkh({TPUB}/0/*)"), format!("wpkh({TPUB}/1/*)")];
    let info = rpc(&node, "getdescriptorinfo", json!([multi]));
    let single_info: Vec<_> = singles
        .iter()
        .map(|d| rpc(&node, "getdescriptorinfo", json!([d])))
        .collect();
    assert_eq!(info["descriptor"], single_info[0]["descriptor"]);
    assert_eq!(
        info["multipath_expansion"],
        json!([single_info[0]["descriptor"], single_info[1]["descriptor"]])
    );
    assert_eq!(info["isrange"], json!(true));
    assert_eq!(info["issolvable"], json!(true));
    assert_eq!(info["hasprivatekeys"], json!(false));
    // The checksum is of the input, the multipath form.
    assert_ne!(info["checksum"], single_info[0]["checksum"]);
    assert!(single_info[0].get("multipath_expansion").is_none());

    let with_checksum = format!("{multi}#{}", info["checksum"].as_str().unwrap());
    let derived = rpc(&node, "deriveaddresses", json!([with_checksum, [0, 2]]));
    let single_derived: Vec<_> = single_info
        .iter()
        .map(|i| rpc(&node, "deriveaddresses", json!([i["descriptor"], [0, 2]])))
        .collect();
    assert_eq!(derived, json!(single_derived));
    assert_eq!(derived[1].as_array().unwrap().len(), 3);
    assert_ne!(derived[0], derived[1]);

    // scantxoutset scans every expansion: a coin paid to the second path is found.
    let change = derived[1][2].as_str().unwrap();
    rpc(&node, "generatetoaddress", json!([1, change]));
    let scan = rpc(
        &node,
        "scantxoutset",
        json!(["start", [{"desc": multi, "range": [0, 2]}]]),
    );
    assert_eq!(scan["success"], json!(true));
    let unspents = scan["unspents"].as_array().unwrap();
    assert_eq!(unspents.len(), 1);
    let found = rpc(&node, "deriveaddresses", json!([unspents[0]["desc"]]));
    assert_eq!(found, json!([change]));

    // Errors in Bitcoin Core v27's words.
    assert_eq!(
        rpc_err(
            &node,
            "getdescriptorinfo",
            json!([format!("wpkh({TPUB}/<0;1>/<2;3>/*)")])
        ),
        (
            -5,
            "wpkh(): Multiple multipath key path specifiers found".to_string()
        )
    );
    assert_eq!(
        rpc_err(
            &node,
            "getdescriptorinfo",
            json!([format!("wsh(multi(1,{TPUB}/<0;1>/*,{TPUB}/2/<0;1;2>/*))")])
        ),
        (
            -5,
            "multi(): Multipath derivation paths have mismatched lengths".to_string()
        )
    );
    assert_eq!(
        rpc_err(&node, "deriveaddresses", json!([multi])),
        (-5, "Missing checksum".to_string())
    );
    assert_eq!(
        rpc_err(&node, "deriveaddresses", json!([with_checksum])),
        (
            -8,
            "Range must be specified for a ranged descriptor".to_string()
        )
    );
}
