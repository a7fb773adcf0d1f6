//! The node's side of address management: Core's `LoadAddrman` (reading
//! `peers.dat` with its log lines and errors), the seeding options of
//! `AppInitMain` (`-dnsseed`, `-fixedseeds`, `-seednode`, `-onlynet`
//! reachability), and attaching the table to the running network.

use std::sync::Arc;
use std::time::Instant;

use widecoin_common::args::ArgsManager;
use widecoin_p2p::addr_relay::AddrOptions;
use widecoin_p2p::addr_relay::LOCAL_MANUAL;
use widecoin_p2p::addrman::{
    dump_peers_dat, load_peers_dat, AddrMan, Clock, PeersDatError, DEFAULT_CONSISTENCY_CHECKS,
};
use widecoin_p2p::netaddr::{parse_netaddr, Network, Service};
use widecoin_p2p::Connman;

use crate::context::NodeContext;

/// `DEFAULT_DNSSEED`, `DEFAULT_FIXEDSEEDS`, `DEFAULT_FORCEDNSSEED`.
const DEFAULT_DNSSEED: bool = true;
const DEFAULT_FIXEDSEEDS: bool = true;
const DEFAULT_FORCEDNSSEED: bool = false;
/// `PACKAGE_BUGREPORT`.
const PACKAGE_BUGREPORT: &str = "https://github.com/widecoin/widecoin/issues";

fn clock() -> Clock {
    Arc::new(widecoin_common::time::get_time)
}

/// Core's `g_reachable_nets` after `-onlynet`, `-proxy`/`-onion`,
/// `-i2psam` and `-cjdnsreachable`.
fn reachable_networks(args: &ArgsManager) -> Result<Vec<Network>, String> {
    let mut nets: Vec<Network> = Network::PUBLIC.to_vec();
    let onlynet = args.get_args("-onlynet");
    if !onlynet.is_empty() {
        let mut chosen = Vec::new();
        for name in &onlynet {
            match Network::parse(name) {
                Some(n) => chosen.push(n),
                None => return Err(format!("Unknown network specified in -onlynet: '{name}'")),
            }
        }
        nets.retain(|n| chosen.contains(n));
    }
    let set = |name: &str| {
        let v = args.get_arg_or(name, "");
        !v.is_empty() && v != "0"
    };
    if !set("-onion") && !set("-proxy") {
        nets.retain(|n| *n != Network::Onion);
    }
    if !set("-i2psam") {
        nets.retain(|n| *n != Network::I2p);
    }
    if !args.get_bool_arg("-cjdnsreachable", false) {
        nets.retain(|n| *n != Network::Cjdns);
    }
    Ok(nets)
}

/// Core's `LoadAddrman`: the table from `peers.dat`, a new one when the file
/// is missing or of a newer format, an error when it is corrupt.
fn load_addrman(args: &ArgsManager, node: &NodeContext) -> Result<AddrMan, String> {
    let check = args
        .get_int_arg("-checkaddrman", DEFAULT_CONSISTENCY_CHECKS as i64)
        .clamp(0, 1_000_000) as i32;
    let dir = args.get_data_dir_net()?;
    let path = dir.join("peers.dat");
    let magic = node.chain_params.message_start();
    let start = Instant::now();
    match load_peers_dat(&path, magic, check, clock()) {
        Ok(addrman) => {
            tracing::info!(
                "Loaded {} addresses from peers.dat  {}ms",
                addrman.size(None, None),
                start.elapsed().as_millis()
            );
            Ok(addrman)
        }
        Err(PeersDatError::NotFound) => {
            let addrman = AddrMan::new(false, check, clock());
            tracing::info!(
                "Creating peers.dat because the file was not found (\"{}\")",
                path.display()
            );
            if let Err(e) = dump_peers_dat(&addrman, &dir, magic) {
                tracing::error!("SerializeFileDB: Failed to write peers.dat: {e}");
            }
            Ok(addrman)
        }
        Err(PeersDatError::Version(_)) => {
            let mut bak = path.clone().into_os_string();
            bak.push(".bak");
            if std::fs::rename(&path, &bak).is_err() {
                return Err("Failed to rename invalid peers.dat file. Please move or delete it and try again.".into());
            }
            let addrman = AddrMan::new(false, check, clock());
            tracing::info!(
                "Creating new peers.dat because the file version was not compatible (\"{}\"). Original backed up to peers.dat.bak",
                path.display()
            );
            if let Err(e) = dump_peers_dat(&addrman, &dir, magic) {
                tracing::error!("SerializeFileDB: Failed to write peers.dat: {e}");
            }
            Ok(addrman)
        }
        Err(PeersDatError::Corrupt(e)) => Err(format!(
            "Invalid or corrupt peers.dat ({e}). If you believe this is a bug, please report it to {PACKAGE_BUGREPORT}. As a workaround, you can move the file (\"{}\") out of the way (rename, move, or delete) to have a new one created on the next start.",
            path.display()
        )),
    }
}

/// Reads the options, checks them as Core's init does, and loads addrman.
pub(crate) fn prepare(args: &ArgsManager, node: &NodeContext) -> Result<AddrOptions, String> {
    let reachable = reachable_networks(args)?;
    let clearnet = reachable.contains(&Network::Ipv4) || reachable.contains(&Network::Ipv6);
    if args.get_bool_arg_opt("-dnsseed") == Some(true) && !clearnet {
        return Err("Incompatible options: -dnsseed=1 was explicitly specified, but -onlynet forbids connections to IPv4/IPv6".into());
    }
    let mut dnsseed = args.get_bool_arg("-dnsseed", DEFAULT_DNSSEED);
    if !clearnet && !args.is_arg_set("-dnsseed") {
        tracing::info!("InitParameterInteraction: parameter interaction: -onlynet excludes IPv4 and IPv6 -> setting -dnsseed=0");
        dnsseed = false;
    }
    let forcednsseed = args.get_bool_arg("-forcednsseed", DEFAULT_FORCEDNSSEED);
    if forcednsseed && !dnsseed {
        return Err("Cannot set -forcednsseed to true when setting -dnsseed to false.".into());
    }
    let addrman = load_addrman(args, node)?;
    let connect_set = args.is_arg_set("-connect");
    let connect: Vec<String> = args
        .get_args("-connect")
        .into_iter()
        .filter(|c| c != "0" && !c.is_empty())
        .collect();
    let mut seednodes = args.get_args("-seednode");
    let proxy = {
        let v = args.get_arg_or("-proxy", "");
        !v.is_empty() && v != "0"
    };
    if connect_set {
        if !connect.is_empty() && !seednodes.is_empty() {
            tracing::info!("-seednode is ignored when -connect is used");
            seednodes.clear();
        }
        if args.is_arg_set("-dnsseed") && args.get_bool_arg("-dnsseed", DEFAULT_DNSSEED) && proxy {
            tracing::info!("-dnsseed is ignored when -connect is used and -proxy is specified");
        }
    }
    let params = &node.chain_params;
    let listen = args.get_bool_arg("-listen", true);
    let port = args.get_int_arg("-port", params.default_port() as i64);
    Ok(AddrOptions {
        addrman: Arc::new(addrman),
        data_dir: args.get_data_dir_net()?,
        magic: params.message_start(),
        dnsseed,
        forcednsseed,
        fixedseeds: args.get_bool_arg("-fixedseeds", DEFAULT_FIXEDSEEDS),
        use_seednodes: args.is_arg_set("-seednode"),
        seednodes,
        dns_seeds: params.dns_seeds.clone(),
        fixed_seeds: params
            .fixed_seeds
            .iter()
            .map(|s| Service::from_socket(*s))
            .collect(),
        use_addrman_outgoing: !connect_set,
        has_connect: !connect.is_empty(),
        listen,
        discover: args.get_bool_arg("-discover", true),
        local_addrs: external_ips(args, u16::try_from(port).unwrap_or(params.default_port()))?
            .into_iter()
            .filter(|s| s.addr.is_routable() && reachable.contains(&s.addr.network()))
            .map(|s| {
                tracing::info!("AddLocal({s},{LOCAL_MANUAL})");
                (s, LOCAL_MANUAL)
            })
            .collect(),
        addrmantest: args.get_bool_arg("-addrmantest", false),
        default_port: params.default_port(),
        listen_port: u16::try_from(port).unwrap_or(params.default_port()),
        reachable,
        max_connections: args.get_int_arg("-maxconnections", 125).max(0) as usize,
        name_proxy: proxy,
    })
}

/// `-externalip` addresses, with the listening port when none is given.
fn external_ips(args: &ArgsManager, listen_port: u16) -> Result<Vec<Service>, String> {
    let mut out = Vec::new();
    for value in args.get_args("-externalip") {
        let (host, port) = widecoin_p2p::parse_host_port(&value, listen_port);
        let resolved = parse_netaddr(&host).or_else(|| {
            use std::net::ToSocketAddrs;
            (host.as_str(), port)
                .to_socket_addrs()
                .ok()?
                .next()
                .map(|sa| widecoin_p2p::netaddr::NetAddr::from_ip(sa.ip()))
        });
        match resolved {
            Some(addr) if addr.is_valid() => out.push(Service::new(addr, port)),
            _ => return Err(format!("Cannot resolve -externalip address: '{value}'")),
        }
    }
    Ok(out)
}

/// Attaches the table and starts seeding and automatic connections. (The
/// network's initial state is logged by `Connman::start_with`, as Core's
/// `CConnman` constructor does.)
pub(crate) fn attach(connman: &Connman, opts: AddrOptions, _network_active: bool) {
    connman.start_addr_relay(opts);
}
