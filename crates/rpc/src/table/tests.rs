use std::sync::Arc;

use serde_json::{json, Value};
use widecoin_interfaces::rpc::{RpcError, RpcErrorCode};

use crate::spec::{ArgType, ResultType, RpcArg, RpcMethod, RpcResult};
use crate::table::{pass_on_wallet_not_found, pass_to_next_handler, RpcCommand, RpcTable};
use crate::RpcRequest;

fn getblockhash() -> RpcCommand {
    let spec = RpcMethod::new(
        "getblockhash",
        "\nReturns hash of block in best-block-chain at height provided.\n",
        vec![RpcArg::required("height", ArgType::Num, "The height index")],
        vec![RpcResult::new(ResultType::StrHex, "", "The block hash")],
        "",
    );
    RpcCommand::new("blockchain", spec, |req: &RpcRequest| {
        let h: i64 = req.arg(0)?;
        if h != 0 {
            return Err(RpcError::invalid_parameter("Block height out of range"));
        }
        Ok(json!("00"))
    })
}

fn ready_table() -> RpcTable {
    let t = RpcTable::new();
    t.register(getblockhash());
    t.set_warmup_finished();
    t
}

fn call(t: &RpcTable, method: &str, params: Value) -> Result<Value, RpcError> {
    t.execute(&RpcRequest::new(method, params))
}

#[test]
fn warmup_then_dispatch() {
    let t = RpcTable::new();
    t.register(getblockhash());
    assert_eq!(
        call(&t, "getblockhash", json!([0])).unwrap_err(),
        RpcError::new(-28, "RPC server started")
    );
    t.set_warmup_status("Loading block index…");
    assert_eq!(
        call(&t, "nosuch", json!([])).unwrap_err().message,
        "Loading block index…"
    );
    t.set_warmup_finished();
    t.set_warmup_status("ignored after warm-up");
    assert_eq!(call(&t, "getblockhash", json!([0])).unwrap(), json!("00"));
    assert_eq!(
        call(&t, "getblockhash", json!({"height": 0})).unwrap(),
        json!("00")
    );
    assert_eq!(
        call(&t, "nosuch", json!([])).unwrap_err(),
        RpcError::new(-32601, "Method not found")
    );
}

#[test]
fn argument_errors() {
    let t = ready_table();
    let e = call(&t, "getblockhash", json!([])).unwrap_err();
    assert_eq!(e.code, RpcErrorCode::MISC_ERROR);
    assert!(e.message.starts_with("getblockhash height\n\nReturns hash"));
    assert_eq!(
        call(&t, "getblockhash", json!([0, 1])).unwrap_err().code,
        -1
    );
    let e = call(&t, "getblockhash", json!(["0"])).unwrap_err();
    assert_eq!(e.code, RpcErrorCode::TYPE_ERROR);
    assert_eq!(
        e.message,
        "Wrong type passed:\n{\n    \"Position 1 (height)\": \"JSON value of type string is not of expected type number\"\n}"
    );
    assert_eq!(call(&t, "getblockhash", json!([42])).unwrap_err().code, -8);
    let e = call(&t, "getblockhash", json!({"heigth": 0})).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (-8, "Unknown named parameter heigth")
    );
    let mut dup = RpcRequest::new("getblockhash", json!({"height": 0}));
    dup.duplicate_param = Some("height".into());
    assert_eq!(
        t.execute(&dup).unwrap_err().message,
        "Parameter height specified multiple times"
    );
}

#[test]
fn handler_chain_passes_on() {
    let t = ready_table();
    let spec = RpcMethod::new("getbalance", "", vec![], vec![], "");
    let first = RpcCommand::from_handler(
        "wallet",
        spec.clone(),
        pass_on_wallet_not_found(Arc::new(|req: &RpcRequest| {
            if req.wallet_name().as_deref() == Some("a") {
                Ok(json!("a"))
            } else {
                Err(RpcError::new(
                    RpcErrorCode::WALLET_NOT_FOUND,
                    "Requested wallet does not exist or is not loaded",
                ))
            }
        })),
    );
    let second = RpcCommand::from_handler(
        "wallet",
        spec,
        pass_on_wallet_not_found(Arc::new(|req: &RpcRequest| {
            if req.wallet_name().as_deref() == Some("b") {
                Ok(json!("b"))
            } else {
                Err(RpcError::new(
                    RpcErrorCode::WALLET_NOT_FOUND,
                    "Requested wallet does not exist or is not loaded",
                ))
            }
        })),
    );
    let id1 = t.register(first);
    t.register(second);
    let req = |uri: &str| RpcRequest::new("getbalance", json!([])).with_uri(uri);
    assert_eq!(t.execute(&req("/wallet/a")).unwrap(), json!("a"));
    assert_eq!(t.execute(&req("/wallet/b")).unwrap(), json!("b"));
    // The last handler's error is the answer.
    assert_eq!(
        t.execute(&req("/wallet/c")).unwrap_err().code,
        RpcErrorCode::WALLET_NOT_FOUND
    );
    assert!(t.unregister("getbalance", id1));
    assert_eq!(
        t.execute(&req("/wallet/a")).unwrap_err().code,
        RpcErrorCode::WALLET_NOT_FOUND
    );

    // A last handler that passes gives "Method not found".
    t.register(RpcCommand::new(
        "hidden",
        RpcMethod::new("ghost", "", vec![], vec![], ""),
        |_: &RpcRequest| Err(pass_to_next_handler()),
    ));
    assert_eq!(
        call(&t, "ghost", json!([])).unwrap_err().code,
        RpcErrorCode::METHOD_NOT_FOUND
    );
}

#[test]
fn help_groups_by_category() {
    let t = ready_table();
    t.register(RpcCommand::new(
        "control",
        RpcMethod::new("uptime", "\nup\n", vec![], vec![], ""),
        |_: &RpcRequest| Ok(json!(1)),
    ));
    t.register(RpcCommand::new(
        "hidden",
        RpcMethod::new("echo", "", vec![], vec![], ""),
        |_: &RpcRequest| Ok(json!(1)),
    ));
    assert_eq!(
        t.help(""),
        "== Blockchain ==\ngetblockhash height\n\n== Control ==\nuptime"
    );
    assert_eq!(t.help("echo"), "echo\n\n\n");
    assert_eq!(t.help("nope"), "help: unknown command: nope");
    assert_eq!(t.list_commands(), ["echo", "getblockhash", "uptime"]);
}

#[test]
fn panics_and_doc_check_become_internal_bugs() {
    let t = ready_table();
    t.register(RpcCommand::new(
        "hidden",
        RpcMethod::new(
            "boom",
            "",
            vec![],
            vec![RpcResult::new(ResultType::Num, "", "")],
            "",
        ),
        |req: &RpcRequest| {
            if req.params_len() == 0 {
                panic!("kaboom")
            } else {
                Ok(json!("str"))
            }
        },
    ));
    let e = call(&t, "boom", json!([])).unwrap_err();
    assert!(
        e.message.starts_with("Internal bug detected: kaboom"),
        "{}",
        e.message
    );
    t.set_doc_check(true);
    assert_eq!(call(&t, "getblockhash", json!([0])).unwrap(), json!("00"));
}

#[test]
fn active_commands_are_tracked() {
    let t = Arc::new(ready_table());
    let weak = Arc::downgrade(&t);
    t.register(RpcCommand::new(
        "control",
        RpcMethod::new("info", "", vec![], vec![], ""),
        move |_: &RpcRequest| {
            let t = weak.upgrade().unwrap();
            Ok(json!(t
                .active_commands()
                .into_iter()
                .map(|(m, _)| m)
                .collect::<Vec<_>>()))
        },
    ));
    assert_eq!(call(&t, "info", json!([])).unwrap(), json!(["info"]));
    assert!(t.active_commands().is_empty());
    assert!(t.interruption_point().is_err());
    t.start_rpc();
    assert!(t.interruption_point().is_ok());
}
