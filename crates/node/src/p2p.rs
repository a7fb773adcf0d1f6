//! Starts the P2P network (`widecoin-p2p`) with the node's options: the part
//! of Core's `AppInitMain` that fills `CConnman::Options` (`-listen`, `-bind`,
//! `-port`, `-maxconnections`, `-connect`, `-addnode`, `-peertimeout`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Weak};

use widecoin_common::args::ArgsManager;
use widecoin_p2p::{parse_host_port, Connman, P2pConfig};

use crate::context::NodeContext;

/// `DEFAULT_MAX_PEER_CONNECTIONS`.
const DEFAULT_MAX_PEER_CONNECTIONS: i64 = 125;
/// `DEFAULT_PEER_CONNECT_TIMEOUT`, seconds.
const DEFAULT_PEER_CONNECT_TIMEOUT: i64 = 60;

/// Core's `GetTime<std::chrono::microseconds>()`: mock time when set.
fn clock_micros() -> i64 {
    match widecoin_common::time::mock_time() {
        0 => widecoin_common::time::system_time_micros(),
        t => t * 1_000_000,
    }
}

/// The addresses to listen on: each `-bind` (`addr[:port][=onion]`), else
/// every interface on `-port`.
fn bind_addrs(args: &ArgsManager, port: u16) -> Result<(Vec<SocketAddr>, bool), String> {
    if !args.get_bool_arg("-listen", true) {
        return Ok((Vec::new(), false));
    }
    let binds = args.get_args("-bind");
    if binds.is_empty() {
        return Ok((
            vec![
                SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
                SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
            ],
            true,
        ));
    }
    let mut out = Vec::new();
    for bind in binds {
        let value = bind.strip_suffix("=onion").unwrap_or(&bind);
        let (host, p) = parse_host_port(value, port);
        let ip: IpAddr = host
            .parse()
            .map_err(|_| format!("Cannot resolve -bind address: '{bind}'"))?;
        out.push(SocketAddr::new(ip, p));
    }
    Ok((out, false))
}

/// Builds the network's options and starts it.
pub(crate) fn start(args: &ArgsManager, node: &Arc<NodeContext>) -> Result<Arc<Connman>, String> {
    let params = &node.chain_params;
    let port = args.get_int_arg("-port", params.default_port() as i64);
    let port =
        u16::try_from(port).map_err(|_| format!("Invalid port specified in -port: '{port}'"))?;
    let (binds, bind_any) = bind_addrs(args, port)?;
    let connect: Vec<String> = args
        .get_args("-connect")
        .into_iter()
        .filter(|c| c != "0" && !c.is_empty())
        .collect();
    let weak: Weak<NodeContext> = Arc::downgrade(node);
    let config = P2pConfig {
        magic: params.message_start(),
        default_port: params.default_port(),
        binds,
        bind_any,
        max_connections: args
            .get_int_arg("-maxconnections", DEFAULT_MAX_PEER_CONNECTIONS)
            .max(0) as usize,
        local_services: node.network.local_services,
        user_agent: node.network.subversion.clone(),
        relay_txes: node.network.relay_txes,
        peer_timeout: args.get_int_arg("-peertimeout", DEFAULT_PEER_CONNECT_TIMEOUT),
        connect,
        add_nodes: args.get_args("-addnode"),
        start_height: Arc::new(move || {
            weak.upgrade()
                .map_or(0, |n| n.chain.tip_info().height as i32)
        }),
        clock_micros: Arc::new(clock_micros),
    };
    let connman = Connman::start(config).map_err(|e| e.to_string())?;
    Ok(Arc::new(connman))
}
