//! `getnetworkinfo` (Core's `rpc/net.cpp`): the node's settings and the
//! connection counts of the p2p connection manager.

use std::sync::Arc;

use serde_json::{json, Value};
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ResultType, RpcCommand, RpcMethod, RpcRequest, RpcResult,
    RpcTable,
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

pub fn services_names(services: u64) -> Vec<&'static str> {
    SERVICE_NAMES
        .iter()
        .filter(|(bit, _)| services & bit != 0)
        .map(|(_, name)| *name)
        .collect()
}

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(getnetworkinfo(node.clone()));
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
        let counts = node
            .connman
            .get()
            .map(|c| c.connection_counts())
            .unwrap_or_default();
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
            "networkactive": net.network_active,
            "connections": counts.inbound + counts.outbound,
            "connections_in": counts.inbound,
            "connections_out": counts.outbound,
            "networks": networks,
            "relayfee": amount(node.mempool.min_relay_feerate),
            "incrementalfee": amount(node.mempool.incremental_relay_feerate),
            "localaddresses": [],
            "warnings": "",
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
    }
}
