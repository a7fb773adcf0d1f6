//! The peer RPCs of Core's `rpc/net.cpp`: `getconnectioncount`, `ping`,
//! `getpeerinfo`, `addnode`, `disconnectnode`, `getnettotals`.

use std::sync::Arc;

use serde_json::{json, Map, Value};
use widecoin_p2p::Connman;
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcErrorCode, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use super::net::services_names;
use super::util::{amount, float};
use crate::context::NodeContext;

pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    table.register(getconnectioncount(node.clone()));
    table.register(ping(node.clone()));
    table.register(getpeerinfo(node.clone()));
    table.register(addnode(node.clone()));
    table.register(disconnectnode(node.clone()));
    table.register(getnettotals(node.clone()));
    table.register(setban(node.clone()));
    table.register(listbanned(node.clone()));
    table.register(clearbanned(node.clone()));
    table.register(sendmsgtopeer(node.clone()));
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

fn examples(method: &str) -> String {
    help_example_cli(method, "") + &help_example_rpc(method, "")
}

fn getconnectioncount(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "getconnectioncount",
        "\nReturns the number of connections to other nodes.\n",
        vec![],
        vec![RpcResult::new(ResultType::Num, "", "The connection count")],
        examples("getconnectioncount"),
    );
    RpcCommand::new("network", spec, move |_req: &RpcRequest| {
        let c = connman(&node)?.connection_counts();
        Ok(json!(c.inbound + c.outbound))
    })
}

fn ping(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "ping",
        "\nRequests that a ping be sent to all other nodes, to measure ping time.\n\
         Results provided in getpeerinfo, pingtime and pingwait fields are decimal seconds.\n\
         Ping command is handled in queue with all other commands, so it measures processing backlog, not just network ping.\n",
        vec![],
        vec![RpcResult::new(ResultType::None, "", "")],
        examples("ping"),
    );
    RpcCommand::new("network", spec, move |_req: &RpcRequest| {
        connman(&node)?.send_pings();
        Ok(Value::Null)
    })
}

const CONNECTION_TYPE_DOC: [&str; 6] = [
    "outbound-full-relay (default automatic connections)",
    "block-relay-only (does not relay transactions or addresses)",
    "inbound (initiated by the peer)",
    "manual (added via addnode RPC or -addnode/-connect configuration options)",
    "addr-fetch (short-lived automatic connection for soliciting addresses)",
    "feeler (short-lived automatic connection for testing addresses)",
];

const TRANSPORT_TYPE_DOC: [&str; 3] = [
    "detecting (peer could be v1 or v2)",
    "v1 (plaintext transport protocol)",
    "v2 (BIP324 encrypted transport protocol)",
];

const NET_PERMISSIONS_DOC: [&str; 7] = [
    "bloomfilter (allow requesting BIP37 filtered blocks and transactions)",
    "noban (do not ban for misbehavior; implies download)",
    "forcerelay (relay transactions that are already in the mempool; implies relay)",
    "relay (relay even in -blocksonly mode, and unlimited transaction announcements)",
    "mempool (allow requesting BIP35 mempool contents)",
    "download (allow getheaders during IBD, no disconnect after maxuploadtarget limit)",
    "addr (responses to GETADDR avoid hitting the cache and contain random records with the most up-to-date info)",
];

fn peer_info_results() -> Vec<RpcResult> {
    let r = RpcResult::new;
    let time = |key: &str, what: &str| {
        r(
            ResultType::NumTime,
            key,
            &format!("The UNIX epoch time {what}"),
        )
    };
    vec![
        r(ResultType::Num, "id", "Peer index"),
        r(ResultType::Str, "addr", "(host:port) The IP address and port of the peer"),
        r(ResultType::Str, "addrbind", "(ip:port) Bind address of the connection to the peer").optional(),
        r(ResultType::Str, "addrlocal", "(ip:port) Local address as reported by the peer").optional(),
        r(ResultType::Str, "network", "Network (ipv4, ipv6, onion, i2p, cjdns, not_publicly_routable)"),
        r(ResultType::Num, "mapped_as", "The AS in the BGP route to the peer used for diversifying\npeer selection (only available if the asmap config flag is set)").optional(),
        r(ResultType::StrHex, "services", "The services offered"),
        r(ResultType::Arr, "servicesnames", "the services offered, in human-readable form")
            .inner(vec![r(ResultType::Str, "SERVICE_NAME", "the service name if it is recognised")]),
        r(ResultType::Bool, "relaytxes", "Whether we relay transactions to this peer"),
        time("lastsend", "of the last send"),
        time("lastrecv", "of the last receive"),
        time("last_transaction", "of the last valid transaction received from this peer"),
        time("last_block", "of the last block received from this peer"),
        r(ResultType::Num, "bytessent", "The total bytes sent"),
        r(ResultType::Num, "bytesrecv", "The total bytes received"),
        time("conntime", "of the connection"),
        r(ResultType::Num, "timeoffset", "The time offset in seconds"),
        r(ResultType::Num, "pingtime", "The last ping time in milliseconds (ms), if any").optional(),
        r(ResultType::Num, "minping", "The minimum observed ping time in milliseconds (ms), if any").optional(),
        r(ResultType::Num, "pingwait", "The duration in milliseconds (ms) of an outstanding ping (if non-zero)").optional(),
        r(ResultType::Num, "version", "The peer version, such as 70001"),
        r(ResultType::Str, "subver", "The string version"),
        r(ResultType::Bool, "inbound", "Inbound (true) or Outbound (false)"),
        r(ResultType::Bool, "bip152_hb_to", "Whether we selected peer as (compact blocks) high-bandwidth peer"),
        r(ResultType::Bool, "bip152_hb_from", "Whether peer selected us as (compact blocks) high-bandwidth peer"),
        r(ResultType::Num, "startingheight", "The starting height (block) of the peer"),
        r(ResultType::Num, "presynced_headers", "The current height of header pre-synchronization with this peer, or -1 if no low-work sync is in progress"),
        r(ResultType::Num, "synced_headers", "The last header we have in common with this peer"),
        r(ResultType::Num, "synced_blocks", "The last block we have in common with this peer"),
        r(ResultType::Arr, "inflight", "")
            .inner(vec![r(ResultType::Num, "n", "The heights of blocks we're currently asking from this peer")]),
        r(ResultType::Bool, "addr_relay_enabled", "Whether we participate in address relay with this peer"),
        r(ResultType::Num, "addr_processed", "The total number of addresses processed, excluding those dropped due to rate limiting"),
        r(ResultType::Num, "addr_rate_limited", "The total number of addresses dropped due to rate limiting"),
        r(ResultType::Arr, "permissions", "Any special permissions that have been granted to this peer")
            .inner(vec![r(ResultType::Str, "permission_type", &(NET_PERMISSIONS_DOC.join(",\n") + ".\n"))]),
        r(ResultType::Num, "minfeefilter", "The minimum fee rate for transactions this peer accepts"),
        r(ResultType::ObjDyn, "bytessent_per_msg", "").inner(vec![r(
            ResultType::Num,
            "msg",
            "The total bytes sent aggregated by message type\nWhen a message type is not listed in this json object, the bytes sent are 0.\nOnly known message types can appear as keys in the object.",
        )]),
        r(ResultType::ObjDyn, "bytesrecv_per_msg", "").inner(vec![r(
            ResultType::Num,
            "msg",
            "The total bytes received aggregated by message type\nWhen a message type is not listed in this json object, the bytes received are 0.\nOnly known message types can appear as keys in the object and all bytes received\nof unknown message types are listed under '*other*'.",
        )]),
        r(
            ResultType::Str,
            "connection_type",
            &format!(
                "Type of connection: \n{}.\nPlease note this output is unlikely to be stable in upcoming releases as we iterate to\nbest capture connection behaviors.",
                CONNECTION_TYPE_DOC.join(",\n")
            ),
        ),
        r(
            ResultType::Str,
            "transport_protocol_type",
            &format!("Type of transport protocol: \n{}.\n", TRANSPORT_TYPE_DOC.join(",\n")),
        ),
        r(ResultType::Str, "session_id", "The session ID for this connection, or \"\" if there is none (\"v2\" transport protocol only).\n"),
    ]
}

fn per_msg(map: &std::collections::BTreeMap<&'static str, u64>) -> Value {
    let mut out = Map::new();
    for (k, v) in map.iter().filter(|(_, v)| **v > 0) {
        out.insert((*k).to_string(), json!(v));
    }
    Value::Object(out)
}

fn getpeerinfo(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "getpeerinfo",
        "Returns data about each connected network peer as a json array of objects.",
        vec![],
        vec![
            RpcResult::new(ResultType::Arr, "", "").inner(vec![RpcResult::new(
                ResultType::Obj,
                "",
                "",
            )
            .inner(peer_info_results())]),
        ],
        examples("getpeerinfo"),
    );
    RpcCommand::new("network", spec, move |_req: &RpcRequest| {
        let peers = connman(&node)?.peer_infos();
        let out: Vec<Value> = peers
            .iter()
            .map(|p| {
                let s = &p.stats;
                let mut o = Map::new();
                o.insert("id".into(), json!(p.id));
                o.insert("addr".into(), json!(p.addr_name));
                o.insert("addrbind".into(), json!(p.addr_bind.to_string()));
                if let Some(local) = s.addr_local {
                    o.insert("addrlocal".into(), json!(local.to_string()));
                }
                o.insert(
                    "network".into(),
                    json!(widecoin_p2p::network_name(p.addr.ip())),
                );
                o.insert("services".into(), json!(format!("{:016x}", s.services)));
                o.insert("servicesnames".into(), json!(services_names(s.services)));
                o.insert("relaytxes".into(), json!(p.relay_txs));
                o.insert("lastsend".into(), json!(s.last_send));
                o.insert("lastrecv".into(), json!(s.last_recv));
                o.insert("last_transaction".into(), json!(s.last_transaction));
                o.insert("last_block".into(), json!(s.last_block));
                o.insert("bytessent".into(), json!(s.bytes_sent));
                o.insert("bytesrecv".into(), json!(s.bytes_recv));
                o.insert("conntime".into(), json!(p.conn_time));
                o.insert("timeoffset".into(), json!(0));
                if s.last_ping_us > 0 {
                    o.insert("pingtime".into(), float(s.last_ping_us as f64 / 1e6));
                }
                if let Some(min) = s.min_ping_us {
                    o.insert("minping".into(), float(min as f64 / 1e6));
                }
                if p.ping_wait_us > 0 {
                    o.insert("pingwait".into(), float(p.ping_wait_us as f64 / 1e6));
                }
                o.insert("version".into(), json!(s.version));
                o.insert("subver".into(), json!(s.subver));
                o.insert("inbound".into(), json!(p.inbound));
                o.insert("bip152_hb_to".into(), json!(s.cmpct.hb_to));
                o.insert("bip152_hb_from".into(), json!(s.cmpct.hb_from));
                // Core's `m_starting_height` is -1 until the version arrives.
                let starting_height = if s.version == 0 {
                    -1
                } else {
                    s.starting_height
                };
                o.insert("startingheight".into(), json!(starting_height));
                o.insert("presynced_headers".into(), json!(s.presynced_headers));
                o.insert("synced_headers".into(), json!(s.synced_headers));
                o.insert("synced_blocks".into(), json!(s.synced_blocks));
                o.insert("inflight".into(), json!(s.inflight));
                o.insert("addr_relay_enabled".into(), json!(false));
                o.insert("addr_processed".into(), json!(0));
                o.insert("addr_rate_limited".into(), json!(0));
                let (addr_relay_enabled, addr_processed, addr_rate_limited) = p.addr_relay;
                o.insert("addr_relay_enabled".into(), json!(addr_relay_enabled));
                o.insert("addr_processed".into(), json!(addr_processed));
                o.insert("addr_rate_limited".into(), json!(addr_rate_limited));
                o.insert(
                    "permissions".into(),
                    json!(widecoin_p2p::permissions::permission_names(p.permissions)),
                );
                o.insert("minfeefilter".into(), amount(p.min_fee_filter));
                o.insert("bytessent_per_msg".into(), per_msg(&s.sent_per_msg));
                o.insert("bytesrecv_per_msg".into(), per_msg(&s.recv_per_msg));
                o.insert("connection_type".into(), json!(p.connection_type));
                o.insert(
                    "transport_protocol_type".into(),
                    json!(p.transport.protocol_type()),
                );
                o.insert("session_id".into(), json!(p.transport.session_id_hex()));
                Value::Object(o)
            })
            .collect();
        Ok(Value::Array(out))
    })
}

fn addnode(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "addnode",
        &format!(
            "\nAttempts to add or remove a node from the addnode list.\n\
             Or try a connection to a node once.\n\
             Nodes added using addnode (or -connect) are protected from DoS disconnection and are not required to be\n\
             full nodes/support SegWit as other outbound peers are (though such peers will not be synced from).\n\
             Addnode connections are limited to {} at a time and are counted separately from the -maxconnections limit.\n",
            widecoin_p2p::MAX_ADDNODE_CONNECTIONS
        ),
        vec![
            RpcArg::required("node", ArgType::Str, "The address of the peer to connect to"),
            RpcArg::required("command", ArgType::Str, "'add' to add a node to the list, 'remove' to remove a node from the list, 'onetry' to try a connection to the node once"),
            RpcArg::with_default("v2transport", ArgType::Bool, json!(false), "Attempt to connect using BIP324 v2 transport protocol (ignored for 'remove' command)"),
        ],
        vec![RpcResult::new(ResultType::None, "", "")],
        help_example_cli("addnode", "\"192.168.0.6:8333\" \"onetry\" true")
            + &help_example_rpc("addnode", "\"192.168.0.6:8333\", \"onetry\" true"),
    );
    RpcCommand::new("network", spec, move |req: &RpcRequest| {
        let command: String = req.arg(1)?;
        if !["onetry", "add", "remove"].contains(&command.as_str()) {
            let help = req.spec().map(|s| s.help_text()).unwrap_or_default();
            return Err(RpcError::misc(help));
        }
        let connman = connman(&node)?;
        let dest: String = req.arg(0)?;
        let v2 = req.maybe_arg::<bool>(2)?.unwrap_or(false);
        if v2 && node.network.local_services & (1 << 11) == 0 {
            return Err(RpcError::invalid_parameter(
                "Error: v2transport requested but not enabled (see -v2transport)",
            ));
        }
        match command.as_str() {
            "onetry" => connman.open_connection_with(&dest, v2),
            "add" => {
                if !connman.add_node_with(&dest, v2) {
                    return Err(RpcError::new(
                        RpcErrorCode::CLIENT_NODE_ALREADY_ADDED,
                        "Error: Node already added",
                    ));
                }
            }
            _ => {
                if !connman.remove_added_node(&dest) {
                    return Err(RpcError::new(
                        RpcErrorCode::CLIENT_NODE_NOT_ADDED,
                        "Error: Node could not be removed. It has not been added previously.",
                    ));
                }
            }
        }
        Ok(Value::Null)
    })
}

fn disconnectnode(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "disconnectnode",
        "\nImmediately disconnects from the specified peer node.\n\
         \nStrictly one out of 'address' and 'nodeid' can be provided to identify the node.\n\
         \nTo disconnect by nodeid, either set 'address' to the empty string, or call using the named 'nodeid' argument only.\n",
        vec![
            RpcArg::with_hint("address", ArgType::Str, "fallback to nodeid", "The IP address/port of the node"),
            RpcArg::with_hint("nodeid", ArgType::Num, "fallback to address", "The node ID (see getpeerinfo for node IDs)"),
        ],
        vec![RpcResult::new(ResultType::None, "", "")],
        help_example_cli("disconnectnode", "\"192.168.0.6:8333\"")
            + &help_example_cli("disconnectnode", "\"\" 1")
            + &help_example_rpc("disconnectnode", "\"192.168.0.6:8333\"")
            + &help_example_rpc("disconnectnode", "\"\", 1"),
    );
    RpcCommand::new("network", spec, move |req: &RpcRequest| {
        let connman = connman(&node)?;
        let address = req.param(0);
        let id = req.param(1);
        let success = if !address.is_null() && id.is_null() {
            let address: String = req.arg(0)?;
            connman.disconnect_by_address(&address)
        } else if !id.is_null() && (address.is_null() || address.as_str() == Some("")) {
            let id: i64 = req.arg(1)?;
            connman.disconnect_by_id(id)
        } else {
            return Err(RpcError::new(
                RpcErrorCode::INVALID_PARAMS,
                "Only one of address and nodeid should be provided.",
            ));
        };
        if !success {
            return Err(RpcError::new(
                RpcErrorCode::CLIENT_NODE_NOT_CONNECTED,
                "Node not found in connected nodes",
            ));
        }
        Ok(Value::Null)
    })
}

fn getnettotals(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "getnettotals",
        "Returns information about network traffic, including bytes in, bytes out,\n\
         and current system time.",
        vec![],
        vec![r(ResultType::Obj, "", "").inner(vec![
            r(ResultType::Num, "totalbytesrecv", "Total bytes received"),
            r(ResultType::Num, "totalbytessent", "Total bytes sent"),
            r(
                ResultType::NumTime,
                "timemillis",
                "Current system UNIX epoch time in milliseconds",
            ),
            r(ResultType::Obj, "uploadtarget", "").inner(vec![
                r(
                    ResultType::Num,
                    "timeframe",
                    "Length of the measuring timeframe in seconds",
                ),
                r(ResultType::Num, "target", "Target in bytes"),
                r(
                    ResultType::Bool,
                    "target_reached",
                    "True if target is reached",
                ),
                r(
                    ResultType::Bool,
                    "serve_historical_blocks",
                    "True if serving historical blocks",
                ),
                r(
                    ResultType::Num,
                    "bytes_left_in_cycle",
                    "Bytes left in current time cycle",
                ),
                r(
                    ResultType::Num,
                    "time_left_in_cycle",
                    "Seconds left in current time cycle",
                ),
            ]),
        ])],
        examples("getnettotals"),
    );
    RpcCommand::new("network", spec, move |_req: &RpcRequest| {
        let totals = connman(&node)?.totals();
        let upload = connman(&node)?.upload_target();
        Ok(json!({
            "totalbytesrecv": totals.bytes_recv,
            "totalbytessent": totals.bytes_sent,
            "timemillis": widecoin_common::time::system_time_micros() / 1000,
            "uploadtarget": {
                "timeframe": upload.timeframe,
                "target": upload.target,
                "target_reached": upload.target_reached,
                "serve_historical_blocks": upload.serve_historical_blocks,
                "bytes_left_in_cycle": upload.bytes_left_in_cycle,
                "time_left_in_cycle": upload.time_left_in_cycle,
            },
        }))
    })
}

/// Core's `EnsureBanman`.
fn banman(node: &NodeContext) -> Result<Arc<widecoin_p2p::banman::BanMan>, RpcError> {
    node.connman
        .get()
        .and_then(|c| c.banman().cloned())
        .ok_or_else(|| {
            RpcError::new(
                RpcErrorCode::DATABASE_ERROR,
                "Error: Ban database not loaded",
            )
        })
}

fn setban(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "setban",
        "\nAttempts to add or remove an IP/Subnet from the banned list.\n",
        vec![
            RpcArg::required("subnet", ArgType::Str, "The IP/Subnet (see getpeerinfo for nodes IP) with an optional netmask (default is /32 = single IP)"),
            RpcArg::required("command", ArgType::Str, "'add' to add an IP/Subnet to the list, 'remove' to remove an IP/Subnet from the list"),
            RpcArg::with_default("bantime", ArgType::Num, json!(0), "time in seconds how long (or until when if [absolute] is set) the IP is banned (0 or empty means using the default time of 24h which can also be overwritten by the -bantime startup argument)"),
            RpcArg::with_default("absolute", ArgType::Bool, json!(false), "If set, the bantime must be an absolute timestamp expressed in UNIX epoch time"),
        ],
        vec![RpcResult::new(ResultType::None, "", "")],
        help_example_cli("setban", "\"192.168.0.6\" \"add\" 86400")
            + &help_example_cli("setban", "\"192.168.0.0/24\" \"add\"")
            + &help_example_rpc("setban", "\"192.168.0.6\", \"add\", 86400"),
    );
    RpcCommand::new("network", spec, move |req: &RpcRequest| {
        let command: String = req.maybe_arg(1)?.unwrap_or_default();
        if command != "add" && command != "remove" {
            let help = req.spec().map(|s| s.help_text()).unwrap_or_default();
            return Err(RpcError::misc(help));
        }
        let banman = banman(&node)?;
        let text: String = req.arg(0)?;
        let subnet = widecoin_p2p::banman::Subnet::parse(&text).ok_or_else(|| {
            RpcError::new(
                RpcErrorCode::CLIENT_INVALID_IP_OR_SUBNET,
                "Error: Invalid IP/Subnet",
            )
        })?;
        if command == "add" {
            let already = match &subnet {
                widecoin_p2p::banman::Subnet::Ip(ip, _) if !text.contains('/') => {
                    banman.is_banned(*ip)
                }
                _ => banman.is_subnet_banned(&subnet),
            };
            if already {
                return Err(RpcError::new(
                    RpcErrorCode::CLIENT_NODE_ALREADY_ADDED,
                    "Error: IP/Subnet already banned",
                ));
            }
            let ban_time: i64 = req.maybe_arg(2)?.unwrap_or(0);
            let absolute: bool = req.maybe_arg(3)?.unwrap_or(false);
            if absolute && ban_time < widecoin_common::time::get_time() {
                return Err(RpcError::invalid_parameter(
                    "Error: Absolute timestamp is in the past",
                ));
            }
            banman.ban(&subnet, ban_time, absolute);
            if let Some(c) = node.connman.get() {
                c.disconnect_subnet(&subnet);
            }
        } else if !banman.unban(&subnet) {
            return Err(RpcError::new(
                RpcErrorCode::CLIENT_INVALID_IP_OR_SUBNET,
                "Error: Unban failed. Requested address/subnet was not previously manually banned.",
            ));
        }
        Ok(Value::Null)
    })
}

fn listbanned(node: Arc<NodeContext>) -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "listbanned",
        "\nList all manually banned IPs/Subnets.\n",
        vec![],
        vec![
            r(ResultType::Arr, "", "").inner(vec![r(ResultType::Obj, "", "").inner(vec![
                r(
                    ResultType::Str,
                    "address",
                    "The IP/Subnet of the banned node",
                ),
                r(
                    ResultType::NumTime,
                    "ban_created",
                    "The UNIX epoch time the ban was created",
                ),
                r(
                    ResultType::NumTime,
                    "banned_until",
                    "The UNIX epoch time the ban expires",
                ),
                r(
                    ResultType::NumTime,
                    "ban_duration",
                    "The ban duration, in seconds",
                ),
                r(
                    ResultType::NumTime,
                    "time_remaining",
                    "The time remaining until the ban expires, in seconds",
                ),
            ])]),
        ],
        examples("listbanned"),
    );
    RpcCommand::new("network", spec, move |_req: &RpcRequest| {
        let banman = banman(&node)?;
        let now = widecoin_common::time::get_time();
        let out: Vec<Value> = banman
            .banned()
            .into_iter()
            .map(|(subnet, e)| {
                json!({
                    "address": subnet.to_string(),
                    "ban_created": e.create_time,
                    "banned_until": e.ban_until,
                    "ban_duration": e.ban_until - e.create_time,
                    "time_remaining": e.ban_until - now,
                })
            })
            .collect();
        Ok(Value::Array(out))
    })
}

fn clearbanned(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "clearbanned",
        "\nClear all banned IPs.\n",
        vec![],
        vec![RpcResult::new(ResultType::None, "", "")],
        examples("clearbanned"),
    );
    RpcCommand::new("network", spec, move |_req: &RpcRequest| {
        banman(&node)?.clear_banned();
        Ok(Value::Null)
    })
}

/// `CMessageHeader::COMMAND_SIZE`.
const COMMAND_SIZE: usize = 12;

fn sendmsgtopeer(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "sendmsgtopeer",
        "Send a p2p message to a peer specified by id.\nThe message type and body must be provided, the message header will be generated.\nThis RPC is for testing only.",
        vec![
            RpcArg::required("peer_id", ArgType::Num, "The peer to send the message to."),
            RpcArg::required("msg_type", ArgType::Str, &format!("The message type (maximum length {COMMAND_SIZE})")),
            RpcArg::required("msg", ArgType::StrHex, "The serialized message body to send, in hex, without a message header"),
        ],
        vec![RpcResult::new(ResultType::Obj, "", "")],
        help_example_cli("sendmsgtopeer", "0 \"addr\" \"ffffff\"")
            + &help_example_rpc("sendmsgtopeer", "0 \"addr\" \"ffffff\""),
    );
    RpcCommand::new("hidden", spec, move |req: &RpcRequest| {
        let id: i64 = req.arg(0)?;
        let msg_type: String = req.arg(1)?;
        if msg_type.len() > COMMAND_SIZE {
            return Err(RpcError::invalid_parameter(format!(
                "Error: msg_type too long, max length is {COMMAND_SIZE}"
            )));
        }
        let msg: String = req.arg(2)?;
        let payload = hex::decode(&msg)
            .map_err(|_| RpcError::invalid_parameter("Error parsing input for msg"))?;
        if !connman(&node)?.send_raw(id, &msg_type, &payload) {
            return Err(RpcError::misc("Error: Could not send message to peer"));
        }
        Ok(json!({}))
    })
}
