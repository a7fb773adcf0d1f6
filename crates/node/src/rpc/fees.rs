//! Fee estimation RPCs (Core's `rpc/fees.cpp`): `estimatesmartfee`,
//! `estimaterawfee`.

use std::sync::Arc;

use serde_json::{json, Value};
use widecoin_fees::{EstimatorBucket, Horizon};
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcErrorCode, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use super::util::{amount, float};
use crate::context::NodeContext;

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(estimatesmartfee(node.clone()));
    table.register(estimaterawfee(node.clone()));
    table.register(mockscheduler(node.clone()));
}

/// Core's `mockscheduler` (`rpc/node.cpp`): moves the scheduled tasks
/// forward by `delta_time` seconds: the hourly `fee_estimates.dat` flush and
/// the P2P rebroadcast of unbroadcast transactions (each task keeps its own
/// schedule; there is no single scheduler thread).
fn mockscheduler(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "mockscheduler",
        "\nBump the scheduler into the future (-regtest only)\n",
        vec![RpcArg::required(
            "delta_time",
            ArgType::Num,
            "Number of seconds to forward the scheduler into the future.",
        )],
        vec![RpcResult::new(ResultType::None, "", "")],
        "",
    );
    RpcCommand::new("hidden", spec, move |req: &RpcRequest| {
        if node.chain_params.chain_type != widecoin_chainparams::ChainType::Regtest {
            return Err(RpcError::misc(
                "mockscheduler is for regression testing (-regtest mode) only",
            ));
        }
        let delta: i64 = req.arg(0)?;
        if !(1..=3600).contains(&delta) {
            return Err(RpcError::misc(
                "delta_time must be between 1 and 3600 seconds (1 hr)",
            ));
        }
        node.fee_estimation.mock_forward(delta);
        if let Some(connman) = node.connman.get() {
            connman.mock_forward_scheduler(delta);
        }
        Ok(Value::Null)
    })
}

/// Core's `FeeModes`, joined with `delimiter`.
fn fee_modes(delimiter: &str) -> String {
    ["unset", "economical", "conservative"].join(delimiter)
}

fn disabled() -> RpcError {
    RpcError::new(RpcErrorCode::INTERNAL_ERROR, "Fee estimation disabled")
}

/// Core's `ParseConfirmTarget`.
fn parse_confirm_target(value: &Value, max_target: u32) -> Result<u32, RpcError> {
    let target = value
        .as_i64()
        .filter(|v| i32::try_from(*v).is_ok())
        .ok_or_else(|| RpcError::type_error(widecoin_rpc::type_error_message(value, "number")))?;
    if target < 1 || target as u32 > max_target {
        return Err(RpcError::invalid_parameter(format!(
            "Invalid conf_target, must be between 1 and {max_target}"
        )));
    }
    Ok(target as u32)
}

fn estimatesmartfee(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "estimatesmartfee",
        "\nEstimates the approximate fee per kilobyte needed for a transaction to begin\nconfirmation within conf_target blocks if possible and return the number of blocks\nfor which the estimate is valid. Uses virtual transaction size as defined\nin BIP 141 (witness data is discounted).\n",
        vec![
            RpcArg::required("conf_target", ArgType::Num, "Confirmation target in blocks (1 - 1008)"),
            RpcArg::with_default(
                "estimate_mode",
                ArgType::Str,
                json!("conservative"),
                &format!("The fee estimate mode.\nWhether to return a more conservative estimate which also satisfies\na longer history. A conservative estimate potentially returns a\nhigher feerate and is more likely to be sufficient for the desired\ntarget, but is not as responsive to short term drops in the\nprevailing fee market. Must be one of (case insensitive):\n\"{}\"", fee_modes("\"\n\"")),
            ),
        ],
        vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::Num, "feerate", "estimate fee rate in WCN/kvB (only present if no errors were encountered)").optional(),
            r(ResultType::Arr, "errors", "Errors encountered during processing (if there are any)").optional().inner(vec![
                r(ResultType::Str, "", "error"),
            ]),
            r(ResultType::Num, "blocks", "block number where estimate was found\nThe request target will be clamped between 2 and the highest target\nfee estimation is able to return based on how long it has been running.\nAn error is returned if not enough transactions and blocks\nhave been observed to make an estimate for any number of blocks."),
        ])],
        help_example_cli("estimatesmartfee", "6") + &help_example_rpc("estimatesmartfee", "6"),
    );
    RpcCommand::new("util", spec, move |req: &RpcRequest| {
        let est = node.fee_estimation.estimator().ok_or_else(disabled)?;
        let max_target = est.highest_target_tracked(Horizon::Long);
        let target = parse_confirm_target(req.param(0), max_target)?;
        let mut conservative = true;
        if let Some(mode) = req.param(1).as_str() {
            match mode.to_ascii_uppercase().as_str() {
                "UNSET" | "CONSERVATIVE" => {}
                "ECONOMICAL" => conservative = false,
                _ => {
                    return Err(RpcError::invalid_parameter(format!(
                        "Invalid estimate_mode parameter, must be one of: \"{}\"",
                        fee_modes("\", \"")
                    )))
                }
            }
        }
        let (feerate, calc) = est.estimate_smart_fee(target as i32, conservative);
        drop(est);
        let mut result = serde_json::Map::new();
        if feerate != 0 {
            let pool = node.pool.lock();
            let min_pool = pool.min_fee(widecoin_common::time::get_time()).fee_per_k();
            let min_relay = pool.options().min_relay_feerate.fee_per_k();
            result.insert(
                "feerate".into(),
                amount(feerate.max(min_pool).max(min_relay)),
            );
        } else {
            result.insert(
                "errors".into(),
                json!(["Insufficient data or no feerate found"]),
            );
        }
        result.insert("blocks".into(), json!(calc.returned_target));
        Ok(Value::Object(result))
    })
}

/// Core's `round(x * 100.0) / 100.0`, as a JSON number.
fn round2(v: f64) -> Value {
    float((v * 100.0).round() / 100.0)
}

fn bucket_json(b: &EstimatorBucket) -> Value {
    json!({
        "startrange": float(b.start.round()),
        "endrange": float(b.end.round()),
        "withintarget": round2(b.within_target),
        "totalconfirmed": round2(b.total_confirmed),
        "inmempool": round2(b.in_mempool),
        "leftmempool": round2(b.left_mempool),
    })
}

fn estimaterawfee(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let horizon_fields = vec![
        r(ResultType::Num, "feerate", "estimate fee rate in WCN/kvB").optional(),
        r(ResultType::Num, "decay", "exponential decay (per block) for historical moving average of confirmation data"),
        r(ResultType::Num, "scale", "The resolution of confirmation targets at this time horizon"),
        r(ResultType::Obj, "pass", "information about the lowest range of feerates to succeed in meeting the threshold").optional().inner(vec![
            r(ResultType::Num, "startrange", "start of feerate range"),
            r(ResultType::Num, "endrange", "end of feerate range"),
            r(ResultType::Num, "withintarget", "number of txs over history horizon in the feerate range that were confirmed within target"),
            r(ResultType::Num, "totalconfirmed", "number of txs over history horizon in the feerate range that were confirmed at any point"),
            r(ResultType::Num, "inmempool", "current number of txs in mempool in the feerate range unconfirmed for at least target blocks"),
            r(ResultType::Num, "leftmempool", "number of txs over history horizon in the feerate range that left mempool unconfirmed after target"),
        ]),
        r(ResultType::Obj, "fail", "information about the highest range of feerates to fail to meet the threshold").optional().inner(vec![
            r(ResultType::Elision, "", ""),
        ]),
        r(ResultType::Arr, "errors", "Errors encountered during processing (if there are any)").optional().inner(vec![
            r(ResultType::Str, "error", ""),
        ]),
    ];
    let spec = RpcMethod::new(
        "estimaterawfee",
        "\nWARNING: This interface is unstable and may disappear or change!\n\nWARNING: This is an advanced API call that is tightly coupled to the specific\nimplementation of fee estimation. The parameters it can be called with\nand the results it returns will change if the internal implementation changes.\n\nEstimates the approximate fee per kilobyte needed for a transaction to begin\nconfirmation within conf_target blocks if possible. Uses virtual transaction size as\ndefined in BIP 141 (witness data is discounted).\n",
        vec![
            RpcArg::required("conf_target", ArgType::Num, "Confirmation target in blocks (1 - 1008)"),
            RpcArg::with_default("threshold", ArgType::Num, json!(0.95), "The proportion of transactions in a given feerate range that must have been\nconfirmed within conf_target in order to consider those feerates as high enough and proceed to check\nlower buckets."),
        ],
        vec![r(ResultType::Obj, "", "Results are returned for any horizon which tracks blocks up to the confirmation target").inner(vec![
            r(ResultType::Obj, "short", "estimate for short time horizon").optional().inner(horizon_fields),
            r(ResultType::Obj, "medium", "estimate for medium time horizon").optional().inner(vec![r(ResultType::Elision, "", "")]),
            r(ResultType::Obj, "long", "estimate for long time horizon").optional().inner(vec![r(ResultType::Elision, "", "")]),
        ])],
        help_example_cli("estimaterawfee", "6 0.9"),
    );
    RpcCommand::new("hidden", spec, move |req: &RpcRequest| {
        let est = node.fee_estimation.estimator().ok_or_else(disabled)?;
        let max_target = est.highest_target_tracked(Horizon::Long);
        let target = parse_confirm_target(req.param(0), max_target)?;
        let threshold = match req.param(1) {
            Value::Null => 0.95,
            v => v.as_f64().ok_or_else(|| {
                RpcError::type_error(widecoin_rpc::type_error_message(v, "number"))
            })?,
        };
        if !(0.0..=1.0).contains(&threshold) {
            return Err(RpcError::invalid_parameter("Invalid threshold"));
        }
        let mut result = serde_json::Map::new();
        for horizon in Horizon::ALL {
            if target > est.highest_target_tracked(horizon) {
                continue;
            }
            let (feerate, b) = est.estimate_raw_fee(target, threshold, horizon);
            let mut h = serde_json::Map::new();
            if feerate != 0 {
                h.insert("feerate".into(), amount(feerate));
                h.insert("decay".into(), float(b.decay));
                h.insert("scale".into(), json!(b.scale));
                h.insert("pass".into(), bucket_json(&b.pass));
                if b.fail.start != -1.0 {
                    h.insert("fail".into(), bucket_json(&b.fail));
                }
            } else {
                h.insert("decay".into(), float(b.decay));
                h.insert("scale".into(), json!(b.scale));
                h.insert("fail".into(), bucket_json(&b.fail));
                h.insert(
                    "errors".into(),
                    json!(["Insufficient data or no feerate found which meets threshold"]),
                );
            }
            result.insert(horizon.name().into(), Value::Object(h));
        }
        Ok(Value::Object(result))
    })
}
