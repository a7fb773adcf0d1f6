//! Node control RPCs of Core's `rpc/node.cpp`: `logging` and `setmocktime`.

use std::sync::Arc;

use serde_json::{Map, Value};
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use widecoin_interfaces::echo::LocalEcho;
use widecoin_interfaces::Echo;

use crate::context::NodeContext;

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(logging(node.clone()));
    table.register(setmocktime(node.clone()));
    table.register(echoipc(node.clone()));
}

fn echoipc(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "echoipc",
        "\nEcho back the input argument, passing it through a spawned process in a multiprocess build.\nThis command is for testing.\n",
        vec![RpcArg::required("arg", ArgType::Str, "The string to echo")],
        vec![RpcResult::new(ResultType::Str, "echo", "The echoed string.")],
        help_example_cli("echo", "\"Hello world\"") + &help_example_rpc("echo", "\"Hello world\""),
    );
    RpcCommand::new("hidden", spec, move |req: &RpcRequest| {
        let text: String = req.arg(0)?;
        let echoed = match &node.echo_ipc {
            Some(through_process) => through_process(&text),
            // One process: echo locally, so the RPC answers the same.
            None => LocalEcho.echo(&text),
        };
        echoed.map(Value::String).map_err(|e| e.into_rpc_error())
    })
}

fn logging(node: Arc<NodeContext>) -> RpcCommand {
    let description = format!(
        "Gets and sets the logging configuration.\n\
         When called without an argument, returns the list of categories with status that are currently being debug logged or not.\n\
         When called with arguments, adds or removes categories from debug logging and return the lists above.\n\
         The arguments are evaluated in order \"include\", \"exclude\".\n\
         If an item is both included and excluded, it will thus end up being excluded.\n\
         The valid logging categories are: {}\n\
         In addition, the following are available as category names with special meanings:\n  \
         - \"all\",  \"1\" : represent all logging categories.\n  \
         - \"none\", \"0\" : even if other logging categories are specified, ignore all of them.\n",
        widecoin_logging::log_categories_string()
    );
    let spec = RpcMethod::new(
        "logging",
        &description,
        vec![
            RpcArg::omitted(
                "include",
                ArgType::Arr,
                "The categories to add to debug logging",
            )
            .inner(vec![RpcArg::omitted(
                "include_category",
                ArgType::Str,
                "the valid logging category",
            )]),
            RpcArg::omitted(
                "exclude",
                ArgType::Arr,
                "The categories to remove from debug logging",
            )
            .inner(vec![RpcArg::omitted(
                "exclude_category",
                ArgType::Str,
                "the valid logging category",
            )]),
        ],
        vec![RpcResult::new(
            ResultType::ObjDyn,
            "",
            "keys are the logging categories, and values indicates its status",
        )
        .inner(vec![RpcResult::new(
            ResultType::Bool,
            "category",
            "if being debug logged or not. false:inactive, true:active",
        )])],
        help_example_cli("logging", "\"[\\\"all\\\"]\" \"[\\\"http\\\"]\"")
            + &help_example_rpc("logging", "[\"all\"], [\"libevent\"]"),
    );
    RpcCommand::new("control", spec, move |req: &RpcRequest| {
        for (index, enable) in [(0, true), (1, false)] {
            if let Value::Array(cats) = req.param(index) {
                set_categories(&node, cats, enable)?;
            }
        }
        let mut result = Map::new();
        for (name, active) in node.logger.categories() {
            result.insert(name, Value::Bool(active));
        }
        Ok(Value::Object(result))
    })
}

/// Core's `EnableOrDisableLogCategories`.
fn set_categories(node: &NodeContext, cats: &[Value], enable: bool) -> Result<(), RpcError> {
    for cat in cats {
        let name = cat
            .as_str()
            .ok_or_else(|| RpcError::type_error(widecoin_rpc::type_error_message(cat, "string")))?;
        let known = if enable {
            node.logger.enable_category(name)
        } else {
            node.logger.disable_category(name)
        };
        if !known {
            return Err(RpcError::invalid_parameter(format!(
                "unknown logging category {name}"
            )));
        }
    }
    Ok(())
}

fn setmocktime(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "setmocktime",
        "\nSet the local time to given timestamp (-regtest only)\n",
        vec![RpcArg::required(
            "timestamp",
            ArgType::Num,
            "UNIX epoch time\nPass 0 to go back to using the system time.",
        )],
        vec![RpcResult::new(ResultType::None, "", "")],
        "",
    );
    RpcCommand::new("hidden", spec, move |req: &RpcRequest| {
        if !node.chain_params.is_mockable_chain {
            return Err(RpcError::misc(
                "setmocktime is for regression testing (-regtest mode) only",
            ));
        }
        let time: i64 = req.arg(0)?;
        if time < 0 {
            return Err(RpcError::invalid_parameter(format!(
                "Mocktime cannot be negative: {time}."
            )));
        }
        widecoin_common::time::set_mock_time(time);
        Ok(Value::Null)
    })
}
