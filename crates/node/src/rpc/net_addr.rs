//! The address manager's RPCs of Core's `rpc/net.cpp`: `getnodeaddresses`,
//! `getaddrmaninfo`, `getaddednodeinfo`, and the hidden test helpers
//! `addpeeraddress` and `addconnection`.

use std::sync::Arc;

use serde_json::{json, Map, Value};
use widecoin_chainparams::ChainType;
use widecoin_p2p::addr_relay::ConnType;
use widecoin_p2p::addrman::AddrMan;
use widecoin_p2p::netaddr::{parse_netaddr, Address, NetAddr, Network, Service};
use widecoin_p2p::Connman;
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcErrorCode, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use crate::context::NodeContext;

/// `NODE_NETWORK | NODE_WITNESS`.
const NODE_NETWORK_WITNESS: u64 = 1 | (1 << 3);

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(getnodeaddresses(node.clone()));
    table.register(getaddrmaninfo(node.clone()));
    table.register(getaddednodeinfo(node.clone()));
    table.register(addpeeraddress(node.clone()));
    table.register(addconnection(node.clone()));
    table.register(getrawaddrman(node.clone()));
}

/// Core's `EnsureConnman`.
fn connman(node: &NodeContext) -> Result<&Arc<Connman>, RpcError> {
    node.connman.get().ok_or_else(|| {
        RpcError::new(
            RpcErrorCode::CLIENT_P2P_DISABLED,
            "Error: Peer-to-peer functionality missing or disabled",
        )
    })
}

/// Core's `EnsureAnyAddrman`.
fn addrman(node: &NodeContext) -> Result<Arc<AddrMan>, RpcError> {
    node.connman.get().and_then(|c| c.addrman()).ok_or_else(|| {
        RpcError::new(
            RpcErrorCode::CLIENT_P2P_DISABLED,
            "Error: Address manager functionality missing or disabled",
        )
    })
}

/// `GetNetworkNames()` joined as Core's help shows them.
fn network_names() -> String {
    Network::PUBLIC
        .iter()
        .map(|n| n.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn getnodeaddresses(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let names = network_names();
    let spec = RpcMethod::new(
        "getnodeaddresses",
        "Return known addresses, after filtering for quality and recency.\n\
         These can potentially be used to find new peers in the network.\n\
         The total number of addresses known to the node may be higher.",
        vec![
            RpcArg::with_default("count", ArgType::Num, json!(1), "The maximum number of addresses to return. Specify 0 to return all known addresses."),
            RpcArg::with_hint("network", ArgType::Str, "all networks", &format!("Return only addresses of the specified network. Can be one of: {names}.")),
        ],
        vec![r(ResultType::Arr, "", "").inner(vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::NumTime, "time", "The UNIX epoch time when the node was last seen"),
            r(ResultType::Num, "services", "The services offered by the node"),
            r(ResultType::Str, "address", "The address of the node"),
            r(ResultType::Num, "port", "The port number of the node"),
            r(ResultType::Str, "network", &format!("The network ({names}) the node connected through")),
        ])])],
        help_example_cli("getnodeaddresses", "8")
            + &help_example_cli("getnodeaddresses", "4 \"i2p\"")
            + &help_example_cli("-named getnodeaddresses", "network=onion count=12")
            + &help_example_rpc("getnodeaddresses", "8")
            + &help_example_rpc("getnodeaddresses", "4, \"i2p\""),
    );
    RpcCommand::new("network", spec, move |req: &RpcRequest| {
        connman(&node)?;
        let count: i64 = req.maybe_arg(0)?.unwrap_or(1);
        if count < 0 {
            return Err(RpcError::invalid_parameter("Address count out of range"));
        }
        let network = match req.maybe_arg::<String>(1)? {
            None => None,
            Some(name) => Some(Network::parse(&name).ok_or_else(|| {
                RpcError::invalid_parameter(format!("Network not recognized: {name}"))
            })?),
        };
        let addrs = addrman(&node)?.get_addr(count as usize, 0, network);
        Ok(Value::Array(addrs.iter().map(address_json).collect()))
    })
}

fn address_json(a: &Address) -> Value {
    json!({
        "time": a.time,
        "services": a.services,
        "address": a.service.addr.to_string(),
        "port": a.service.port,
        "network": a.service.addr.net_class().name(),
    })
}

fn getaddrmaninfo(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "getaddrmaninfo",
        "\nProvides information about the node's address manager by returning the number of \
         addresses in the `new` and `tried` tables and their sum for all networks.\n",
        vec![],
        vec![r(ResultType::ObjDyn, "", "json object with network type as keys").inner(vec![
            r(ResultType::Obj, "network", &format!("the network ({}, all_networks)", network_names())).inner(vec![
                r(ResultType::Num, "new", "number of addresses in the new table, which represent potential peers the node has discovered but hasn't yet successfully connected to."),
                r(ResultType::Num, "tried", "number of addresses in the tried table, which represent peers the node has successfully connected to in the past."),
                r(ResultType::Num, "total", "total number of addresses in both new/tried tables"),
            ]),
        ])],
        help_example_cli("getaddrmaninfo", "") + &help_example_rpc("getaddrmaninfo", ""),
    );
    RpcCommand::new("network", spec, move |_req: &RpcRequest| {
        let am = addrman(&node)?;
        let counts = |net: Option<Network>| {
            json!({
                "new": am.size(net, Some(true)),
                "tried": am.size(net, Some(false)),
                "total": am.size(net, None),
            })
        };
        let mut out = Map::new();
        for net in Network::PUBLIC {
            out.insert(net.name().into(), counts(Some(net)));
        }
        out.insert("all_networks".into(), counts(None));
        Ok(Value::Object(out))
    })
}

fn getaddednodeinfo(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "getaddednodeinfo",
        "\nReturns information about the given added node, or all added nodes\n\
         (note that onetry addnodes are not listed here)\n",
        vec![RpcArg::with_hint("node", ArgType::Str, "all nodes", "If provided, return information about this specific node, otherwise all nodes are returned.")],
        vec![r(ResultType::Arr, "", "").inner(vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::Str, "addednode", "The node IP address or name (as provided to addnode)"),
            r(ResultType::Bool, "connected", "If connected"),
            r(ResultType::Arr, "addresses", "Only when connected = true").inner(vec![r(ResultType::Obj, "", "").inner(vec![
                r(ResultType::Str, "address", "The widecoin server IP and port we're connected to"),
                r(ResultType::Str, "connected", "connection, inbound or outbound"),
            ])]),
        ])])],
        help_example_cli("getaddednodeinfo", "\"192.168.0.201\"")
            + &help_example_rpc("getaddednodeinfo", "\"192.168.0.201\""),
    );
    RpcCommand::new("network", spec, move |req: &RpcRequest| {
        let mut infos = connman(&node)?.added_node_info();
        if let Some(wanted) = req.maybe_arg::<String>(0)? {
            infos.retain(|(name, _)| *name == wanted);
            if infos.is_empty() {
                return Err(RpcError::new(
                    RpcErrorCode::CLIENT_NODE_NOT_ADDED,
                    "Error: Node has not been added.",
                ));
            }
            infos.truncate(1);
        }
        Ok(Value::Array(
            infos
                .into_iter()
                .map(|(name, conn)| {
                    let addresses: Vec<Value> = conn
                        .iter()
                        .map(|(addr, inbound)| {
                            json!({
                                "address": Service::from_socket(*addr).to_string(),
                                "connected": if *inbound { "inbound" } else { "outbound" },
                            })
                        })
                        .collect();
                    json!({
                        "addednode": name,
                        "connected": conn.is_some(),
                        "addresses": addresses,
                    })
                })
                .collect(),
        ))
    })
}

fn addpeeraddress(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "addpeeraddress",
        "\nAdd the address of a potential peer to the address manager. This RPC is for testing only.\n",
        vec![
            RpcArg::required("address", ArgType::Str, "The IP address of the peer"),
            RpcArg::required("port", ArgType::Num, "The port of the peer"),
            RpcArg::with_default("tried", ArgType::Bool, json!(false), "If true, attempt to add the peer to the tried addresses table"),
        ],
        vec![RpcResult::new(ResultType::Obj, "", "").inner(vec![RpcResult::new(
            ResultType::Bool,
            "success",
            "whether the peer address was successfully added to the address manager",
        )])],
        help_example_cli("addpeeraddress", "\"1.2.3.4\" 8333 true")
            + &help_example_rpc("addpeeraddress", "\"1.2.3.4\", 8333, true"),
    );
    RpcCommand::new("hidden", spec, move |req: &RpcRequest| {
        let am = addrman(&node)?;
        let text: String = req.arg(0)?;
        let port: i64 = req.arg(1)?;
        let port = u16::try_from(port).map_err(|_| RpcError::misc("JSON integer out of range"))?;
        let tried: bool = req.maybe_arg(2)?.unwrap_or(false);
        let mut success = false;
        if let Some(addr) = parse_netaddr(&text) {
            // Core's MaybeFlipIPv6toCJDNS: fc00::/8 is CJDNS when reachable.
            let addr = match addr {
                NetAddr::Ipv6(b) if b[0] == 0xfc && node_cjdns_reachable() => NetAddr::Cjdns(b),
                a => a,
            };
            let now = widecoin_common::time::get_time();
            let a = Address::new(Service::new(addr, port), NODE_NETWORK_WITNESS, now as u32);
            if am.add(&[a], &addr, 0) {
                success = true;
                if tried {
                    am.good(&a.service);
                }
            }
        }
        Ok(json!({ "success": success }))
    })
}

/// Whether `-cjdnsreachable` made CJDNS reachable; without it fc00::/8
/// stays IPv6 (unroutable).
fn node_cjdns_reachable() -> bool {
    false
}

fn addconnection(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "addconnection",
        "\nOpen an outbound connection to a specified node. This RPC is for testing only.\n",
        vec![
            RpcArg::required("address", ArgType::Str, "The IP address and port to attempt connecting to."),
            RpcArg::required("connection_type", ArgType::Str, "Type of connection to open (\"outbound-full-relay\", \"block-relay-only\", \"addr-fetch\" or \"feeler\")."),
        ],
        vec![RpcResult::new(ResultType::Obj, "", "").inner(vec![
            RpcResult::new(ResultType::Str, "address", "Address of newly added connection."),
            RpcResult::new(ResultType::Str, "connection_type", "Type of connection opened."),
        ])],
        help_example_cli("addconnection", "\"192.168.0.6:8333\" \"outbound-full-relay\"")
            + &help_example_rpc("addconnection", "\"192.168.0.6:8333\" \"outbound-full-relay\""),
    );
    RpcCommand::new("hidden", spec, move |req: &RpcRequest| {
        if node.chain_params.chain_type != ChainType::Regtest {
            return Err(RpcError::misc(
                "addconnection is for regression testing (-regtest mode) only.",
            ));
        }
        let address: String = req.arg(0)?;
        let type_in: String = req.arg(1)?;
        let type_in = type_in.trim().to_string();
        let Some(conn_type) = ConnType::parse(&type_in) else {
            let help = req.spec().map(|s| s.help_text()).unwrap_or_default();
            return Err(RpcError::invalid_parameter(help));
        };
        if !connman(&node)?.add_connection(&address, conn_type) {
            return Err(RpcError::new(
                RpcErrorCode::CLIENT_NODE_CAPACITY_REACHED,
                "Error: Already at capacity for specified connection type.",
            ));
        }
        Ok(json!({ "address": address, "connection_type": type_in }))
    })
}

fn getrawaddrman(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let names = network_names();
    let spec = RpcMethod::new(
        "getrawaddrman",
        "EXPERIMENTAL warning: this call may be changed in future releases.\n\
         \nReturns information on all address manager entries for the new and tried tables.\n",
        vec![],
        vec![r(ResultType::ObjDyn, "", "").inner(vec![r(
            ResultType::ObjDyn,
            "table",
            "buckets with addresses in the address manager table ( new, tried )",
        )
        .inner(vec![r(
            ResultType::Obj,
            "bucket/position",
            "the location in the address manager table (<bucket>/<position>)",
        )
        .inner(vec![
            r(ResultType::Str, "address", "The address of the node"),
            r(ResultType::Num, "port", "The port number of the node"),
            r(
                ResultType::Str,
                "network",
                &format!("The network ({names}) of the address"),
            ),
            r(
                ResultType::Num,
                "services",
                "The services offered by the node",
            ),
            r(
                ResultType::NumTime,
                "time",
                "The UNIX epoch time when the node was last seen",
            ),
            r(
                ResultType::Str,
                "source",
                "The address that relayed the address to us",
            ),
            r(
                ResultType::Str,
                "source_network",
                &format!("The network ({names}) of the source address"),
            ),
        ])])])],
        help_example_cli("getrawaddrman", "") + &help_example_rpc("getrawaddrman", ""),
    );
    RpcCommand::new("hidden", spec, move |_req: &RpcRequest| {
        let am = addrman(&node)?;
        let table = |tried: bool| {
            let mut out = Map::new();
            for (info, pos) in am.entries(tried) {
                let a = info.addr;
                out.insert(
                    format!("{}/{}", pos.bucket, pos.position),
                    json!({
                        "address": a.service.addr.to_string(),
                        "port": a.service.port,
                        "services": a.services,
                        "time": a.time,
                        "network": a.service.addr.net_class().name(),
                        "source": info.source.to_string(),
                        "source_network": info.source.net_class().name(),
                    }),
                );
            }
            Value::Object(out)
        };
        Ok(json!({ "new": table(false), "tried": table(true) }))
    })
}
