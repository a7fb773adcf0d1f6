//! `getnetworkinfo` (Core's `rpc/net.cpp`): the node's settings and the
//! connection counts of the p2p connection manager.

use std::sync::Arc;

use serde_json::{json, Value};
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcErrorCode, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use super::util::amount;
use crate::context::NodeContext;

/// `PROTOCOL_VERSION`.
pub const PROTOCOL_VERSION: u32 = 70016;

/// Service bits and their names (Core's `SERVICE_FLAGS`, `GetServicesNames`).
const SERVICE_NAMES: [(u64, &str); 6] = [
    (1, "NETWORK"),
    (1 << 2, "BLOOM"),
    (1 << 3, "WITNESS"),
    (1 << 6, "COMPACT_FILTERS"),
    (1 << 10, "NETWORK_LIMITED"),
    (1 << 11, "P2P_V2"),
];

/// The networks `getnetworkinfo` lists, with whether they are reachable by
/// default (onion needs a proxy, i2p an SAM bridge, cjdns `-cjdnsreachable`).
const NETWORKS: [(&str, bool); 5] = [
    ("ipv4", true),
    ("ipv6", true),
    ("onion", false),
    ("i2p", false),
    ("cjdns", false),
];

/// Core's `GetServicesNames`: every set bit, lowest first; bits without a
/// name show as `UNKNOWN[2^n]`.
pub fn services_names(services: u64) -> Vec<String> {
    (0..64)
        .map(|i| 1u64 << i)
        .filter(|bit| services & bit != 0)
        .map(|bit| {
            SERVICE_NAMES
                .iter()
                .find(|(b, _)| *b == bit)
                .map(|(_, name)| name.to_string())
                .unwrap_or_else(|| format!("UNKNOWN[2^{}]", bit.trailing_zeros()))
        })
        .collect()
}

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(getnetworkinfo(node.clone()));
    table.register(setnetworkactive(node.clone()));
}

fn setnetworkactive(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "setnetworkactive",
        "\nDisable/enable all p2p network activity.\n",
        vec![RpcArg::required(
            "state",
            ArgType::Bool,
            "true to enable networking, false to disable",
        )],
        vec![RpcResult::new(
            ResultType::Bool,
            "",
            "The value that was passed in",
        )],
        String::new(),
    );
    RpcCommand::new("network", spec, move |req: &RpcRequest| {
        let state: bool = req.arg(0)?;
        let connman = node.connman.get().ok_or_else(|| {
            RpcError::new(
                RpcErrorCode::CLIENT_P2P_DISABLED,
                "Error: Peer-to-peer functionality missing or disabled",
            )
        })?;
        connman.set_network_active(state);
        Ok(json!(connman.network_active()))
    })
}

fn getnetworkinfo(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "getnetworkinfo",
        "Returns an object containing various state info regarding P2P networking.\n",
        vec![],
        vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::Num, "version", "the server version"),
            r(
                ResultType::Str,
                "subversion",
                "the server subversion string",
            ),
            r(ResultType::Num, "protocolversion", "the protocol version"),
            r(
                ResultType::StrHex,
                "localservices",
                "the services we offer to the network",
            ),
            r(
                ResultType::Arr,
                "localservicesnames",
                "the services we offer to the network, in human-readable form",
            )
            .inner(vec![r(ResultType::Str, "SERVICE_NAME", "the service name")]),
            r(
                ResultType::Bool,
                "localrelay",
                "true if transaction relay is requested from peers",
            ),
            r(ResultType::Num, "timeoffset", "the time offset"),
            r(
                ResultType::Num,
                "connections",
                "the total number of connections",
            ),
            r(
                ResultType::Num,
                "connections_in",
                "the number of inbound connections",
            ),
            r(
                ResultType::Num,
                "connections_out",
                "the number of outbound connections",
            ),
            r(
                ResultType::Bool,
                "networkactive",
                "whether p2p networking is enabled",
            ),
            r(ResultType::Arr, "networks", "information per network").inner(vec![r(
                ResultType::Obj,
                "",
                "",
            )
            .inner(vec![
                r(
                    ResultType::Str,
                    "name",
                    "network (ipv4, ipv6, onion, i2p, cjdns)",
                ),
                r(
                    ResultType::Bool,
                    "limited",
                    "is the network limited using -onlynet?",
                ),
                r(ResultType::Bool, "reachable", "is the network reachable?"),
                r(
                    ResultType::Str,
                    "proxy",
                    "(\"host:port\") the proxy that is used for this network, or empty if none",
                ),
                r(
                    ResultType::Bool,
                    "proxy_randomize_credentials",
                    "Whether randomized credentials are used",
                ),
            ])]),
            r(
                ResultType::Num,
                "relayfee",
                "minimum relay fee rate for transactions in WCN/kvB",
            ),
            r(
                ResultType::Num,
                "incrementalfee",
                "minimum fee rate increment for mempool limiting or replacement in WCN/kvB",
            ),
            r(ResultType::Arr, "localaddresses", "list of local addresses").inner(vec![r(
                ResultType::Obj,
                "",
                "",
            )
            .inner(vec![
                r(ResultType::Str, "address", "network address"),
                r(ResultType::Num, "port", "network port"),
                r(ResultType::Num, "score", "relative score"),
            ])]),
            r(
                ResultType::Str,
                "warnings",
                "any network and blockchain warnings",
            ),
        ])],
        help_example_cli("getnetworkinfo", "") + &help_example_rpc("getnetworkinfo", ""),
    );
    RpcCommand::new("network", spec, move |_req: &RpcRequest| {
        let net = &node.network;
        let connman = node.connman.get();
        let counts = connman.map(|c| c.connection_counts()).unwrap_or_default();
        let network_active = connman.map_or(net.network_active, |c| c.network_active());
        let local_addresses: Vec<Value> = connman
            .map(|c| c.local_addresses())
            .unwrap_or_default()
            .into_iter()
            .map(|(service, score)| {
                json!({
                    "address": service.addr.to_string(),
                    "port": service.port,
                    "score": score,
                })
            })
            .collect();
        let networks: Vec<Value> = NETWORKS
            .iter()
            .map(|(name, reachable)| {
                json!({
                    "name": name,
                    "limited": !reachable,
                    "reachable": reachable,
                    "proxy": "",
                    "proxy_randomize_credentials": false,
                })
            })
            .collect();
        Ok(json!({
            "version": widecoin_common::version::CLIENT_VERSION,
            "subversion": net.subversion,
            "protocolversion": PROTOCOL_VERSION,
            "localservices": format!("{:016x}", net.local_services),
            "localservicesnames": services_names(net.local_services),
            "localrelay": net.relay_txes,
            "timeoffset": 0,
            "networkactive": network_active,
            "connections": counts.inbound + counts.outbound,
            "connections_in": counts.inbound,
            "connections_out": counts.outbound,
            "networks": networks,
            "relayfee": amount(node.mempool.min_relay_feerate),
            "incrementalfee": amount(node.mempool.incremental_relay_feerate),
            "localaddresses": local_addresses,
            "warnings": crate::notify::misc_warning(),
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_services() {
        assert_eq!(
            services_names(0x409),
            ["NETWORK", "WITNESS", "NETWORK_LIMITED"]
        );
        assert_eq!(
            services_names((1 << 4) | (1 << 63) | (1 << 11)),
            ["UNKNOWN[2^4]", "P2P_V2", "UNKNOWN[2^63]"]
        );
    }
}
