//! The control RPCs of `src/rpc/server.cpp` (`help`, `stop`, `uptime`,
//! `getrpcinfo`) and the hidden test helpers `echo`/`echojson` of
//! `src/rpc/node.cpp`.

use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::{json, Value};
use widecoin_interfaces::rpc::RpcError;

use crate::help::{help_example_cli, help_example_rpc};
use crate::request::{internal_bug_at, RpcRequest};
use crate::spec::{ArgType, ResultType, RpcArg, RpcMethod, RpcResult};
use crate::table::{RpcCommand, RpcTable};

/// What the control RPCs need from the node.
#[derive(Clone)]
pub struct ControlContext {
    /// When the process started (`GetStartupTime`), in seconds of the
    /// mockable clock; `uptime` subtracts it from `get_time()`.
    pub startup_time: i64,
    /// The debug log path `getrpcinfo` reports as `logpath`.
    pub log_path: String,
    /// Starts the node's shutdown (`StartShutdown`); must return at once.
    pub shutdown: Arc<dyn Fn() + Send + Sync>,
}

/// The result of `stop`.
pub const STOP_RESULT: &str = "Widecoin Core stopping";

/// Registers `getrpcinfo`, `help`, `stop`, `uptime` ("control") and `echo`,
/// `echojson` ("hidden").
pub fn register_control_rpcs(table: &Arc<RpcTable>, ctx: ControlContext) {
    let weak = Arc::downgrade(table);
    table.register(getrpcinfo(weak.clone(), ctx.log_path.clone()));
    table.register(help(weak.clone()));
    table.register(stop(weak, ctx.shutdown.clone()));
    table.register(uptime(ctx.startup_time));
    table.register(echo("echo"));
    table.register(echo("echojson"));
}

fn table_gone() -> RpcError {
    RpcError::misc("RPC table is gone")
}

fn help(table: Weak<RpcTable>) -> RpcCommand {
    let spec = RpcMethod::new(
        "help",
        "\nList all commands, or get help for a specified command.\n",
        vec![RpcArg::with_hint(
            "command",
            ArgType::Str,
            "all commands",
            "The command to get help on",
        )],
        vec![
            RpcResult::new(ResultType::Str, "", "The help text"),
            RpcResult::new(ResultType::Any, "", ""),
        ],
        "",
    );
    RpcCommand::new("control", spec, move |req: &RpcRequest| {
        let table = table.upgrade().ok_or_else(table_gone)?;
        let command: String = req.maybe_arg(0)?.unwrap_or_default();
        if command == "dump_all_command_conversions" {
            // Used for testing only, undocumented.
            return Ok(table.dump_arg_map());
        }
        Ok(Value::String(table.help(&command)))
    })
}

fn stop(table: Weak<RpcTable>, shutdown: Arc<dyn Fn() + Send + Sync>) -> RpcCommand {
    let spec = RpcMethod::new(
        "stop",
        "\nRequest a graceful shutdown of Widecoin Core.",
        // The hidden 'wait' (milliseconds) makes the call wait before
        // returning to the client (for tests).
        vec![RpcArg::omitted("wait", ArgType::Num, "how long to wait in ms").hidden()],
        vec![RpcResult::new(
            ResultType::Str,
            "",
            &format!("A string with the content '{STOP_RESULT}'"),
        )],
        "",
    );
    RpcCommand::new("control", spec, move |req: &RpcRequest| {
        if let Some(table) = table.upgrade() {
            table.request_shutdown();
        }
        shutdown();
        if req.param(0).is_number() {
            let ms: i32 = req.arg(0)?;
            std::thread::sleep(Duration::from_millis(ms.max(0) as u64));
        }
        Ok(Value::String(STOP_RESULT.into()))
    })
}

fn uptime(startup_time: i64) -> RpcCommand {
    let spec = RpcMethod::new(
        "uptime",
        "\nReturns the total uptime of the server.\n",
        vec![],
        vec![RpcResult::new(
            ResultType::Num,
            "",
            "The number of seconds that the server has been running",
        )],
        help_example_cli("uptime", "") + &help_example_rpc("uptime", ""),
    );
    RpcCommand::new("control", spec, move |_req: &RpcRequest| {
        Ok(json!(widecoin_common::time::get_time() - startup_time))
    })
}

fn getrpcinfo(table: Weak<RpcTable>, log_path: String) -> RpcCommand {
    let spec = RpcMethod::new(
        "getrpcinfo",
        "\nReturns details of the RPC server.\n",
        vec![],
        vec![RpcResult::new(ResultType::Obj, "", "").inner(vec![
            RpcResult::new(ResultType::Arr, "active_commands", "All active commands").inner(vec![
                RpcResult::new(ResultType::Obj, "", "Information about an active command").inner(
                    vec![
                        RpcResult::new(ResultType::Str, "method", "The name of the RPC command"),
                        RpcResult::new(
                            ResultType::Num,
                            "duration",
                            "The running time in microseconds",
                        ),
                    ],
                ),
            ]),
            RpcResult::new(
                ResultType::Str,
                "logpath",
                "The complete file path to the debug log",
            ),
        ])],
        help_example_cli("getrpcinfo", "") + &help_example_rpc("getrpcinfo", ""),
    );
    RpcCommand::new("control", spec, move |_req: &RpcRequest| {
        let table = table.upgrade().ok_or_else(table_gone)?;
        let active: Vec<Value> = table
            .active_commands()
            .into_iter()
            .map(|(method, duration)| json!({"method": method, "duration": duration}))
            .collect();
        Ok(json!({"active_commands": active, "logpath": log_path}))
    })
}

fn echo(name: &str) -> RpcCommand {
    let args = (0..10)
        .map(|i| RpcArg::omitted(&format!("arg{i}"), ArgType::Str, "").skip_type_check())
        .collect();
    let spec = RpcMethod::new(
        name,
        "\nSimply echo back the input arguments. This command is for testing.\n\
         \nIt will return an internal bug report when arg9='trigger_internal_bug' is passed.\n\
         \nThe difference between echo and echojson is that echojson has argument conversion enabled in the client-side table in \
         widecoin-cli and the GUI. There is no server-side difference.",
        args,
        vec![RpcResult::new(ResultType::Any, "", "Returns whatever was passed in")],
        "",
    );
    RpcCommand::new("hidden", spec, |req: &RpcRequest| {
        if req.param(9).as_str() == Some("trigger_internal_bug") {
            return Err(internal_bug_at(
                "request.params[9].get_str() != \"trigger_internal_bug\"",
                "rpc/node.cpp:289 (operator())",
            ));
        }
        Ok(req.params.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    fn table() -> (Arc<RpcTable>, Arc<AtomicBool>) {
        let table = Arc::new(RpcTable::new());
        let stopped = Arc::new(AtomicBool::new(false));
        let s = stopped.clone();
        register_control_rpcs(
            &table,
            ControlContext {
                startup_time: 1_000,
                log_path: "/tmp/debug.log".into(),
                shutdown: Arc::new(move || s.store(true, Ordering::SeqCst)),
            },
        );
        table.set_warmup_finished();
        (table, stopped)
    }

    fn call(t: &RpcTable, method: &str, params: Value) -> Result<Value, RpcError> {
        t.execute(&RpcRequest::new(method, params))
    }

    #[test]
    fn help_listing_and_errors() {
        let (t, _) = table();
        assert_eq!(
            call(&t, "help", json!([])).unwrap(),
            json!("== Control ==\ngetrpcinfo\nhelp ( \"command\" )\nstop\nuptime")
        );
        assert_eq!(
            call(&t, "help", json!(["foo"])).unwrap(),
            json!("help: unknown command: foo")
        );
        let e = call(&t, "help", json!(["foo", "bar"])).unwrap_err();
        assert_eq!(e.code, -1);
        assert!(e
            .message
            .starts_with("help ( \"command\" )\n\nList all commands"));
        let e = call(&t, "help", json!([0])).unwrap_err();
        assert_eq!(e.code, -3);
        assert!(e
            .message
            .contains("JSON value of type number is not of expected type string"));
        let echo_help = call(&t, "help", json!(["echo"])).unwrap();
        assert!(echo_help
            .as_str()
            .unwrap()
            .starts_with("echo ( \"arg0\" \"arg1\""));
        let uptime_help = call(&t, "help", json!(["uptime"])).unwrap();
        assert_eq!(
            uptime_help.as_str().unwrap(),
            "uptime\n\nReturns the total uptime of the server.\n\nResult:\nn    (numeric) The number of seconds that the server has been running\n\nExamples:\n> widecoin-cli uptime \n> curl --user myusername --data-binary '{\"jsonrpc\": \"1.0\", \"id\": \"curltest\", \"method\": \"uptime\", \"params\": []}' -H 'content-type: text/plain;' http://127.0.0.1:8332/\n"
        );
        let map = call(&t, "help", json!(["dump_all_command_conversions"])).unwrap();
        assert!(map
            .as_array()
            .unwrap()
            .contains(&json!(["echojson", 9, "arg9", true])));
    }

    #[test]
    fn stop_echo_getrpcinfo() {
        let (t, stopped) = table();
        assert_eq!(call(&t, "stop", json!([])).unwrap(), json!(STOP_RESULT));
        assert!(stopped.load(Ordering::SeqCst) && t.is_shutdown_requested());
        assert_eq!(
            call(&t, "echo", json!([1, {"a": [2]}])).unwrap(),
            json!([1, {"a": [2]}])
        );
        assert_eq!(
            call(&t, "echojson", json!({"arg2": "x"})).unwrap(),
            json!([null, null, "x"])
        );
        let e = call(&t, "echo", json!({"arg9": "trigger_internal_bug"})).unwrap_err();
        assert_eq!(e.code, -1);
        assert!(e.message.starts_with(
            "Internal bug detected: request.params[9].get_str() != \"trigger_internal_bug\""
        ));
        let info = call(&t, "getrpcinfo", json!([])).unwrap();
        assert_eq!(info["active_commands"].as_array().unwrap().len(), 1);
        assert_eq!(info["active_commands"][0]["method"], "getrpcinfo");
        assert_eq!(info["logpath"], "/tmp/debug.log");
    }

    #[test]
    fn uptime_uses_the_mockable_clock() {
        let (t, _) = table();
        let up = call(&t, "uptime", json!([])).unwrap();
        assert!(up.as_i64().unwrap() > 0);
    }
}
