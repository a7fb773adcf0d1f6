//! `-netinfo`: the peer connections dashboard (Core's `NetinfoRequestHandler`).

mod help;

pub use help::NETINFO_HELP;

use widecoin_chainparams::ChainType;

use crate::error::CliError;
use crate::handlers::{
    batch_at, network_id, process_batch_reply, reply_obj, request_obj, RequestHandler, NETWORKS,
};
use crate::univalue::UniValue;

/// The highest `-netinfo` level; larger numbers are read as this.
pub const MAX_DETAIL_LEVEL: u8 = 4;
const NETWORK_SHORT_NAMES: [&str; 7] = ["npr", "ipv4", "ipv6", "onion", "i2p", "cjdns", "int"];
/// "not_publicly_routable" and "internal": shown only when they have peers.
const UNREACHABLE_NETWORK_IDS: [usize; 2] = [0, 6];
const ID_PEERINFO: usize = 0;
const ID_NETWORKINFO: usize = 1;

struct Peer {
    addr: String,
    sub_version: String,
    conn_type: String,
    network: &'static str,
    age: String,
    min_ping: f64,
    ping: f64,
    addr_processed: i64,
    addr_rate_limited: i64,
    last_blck: i64,
    last_recv: i64,
    last_send: i64,
    last_trxn: i64,
    id: i64,
    mapped_as: i64,
    version: i64,
    is_addr_relay_enabled: bool,
    is_bip152_hb_from: bool,
    is_bip152_hb_to: bool,
    is_outbound: bool,
    is_tx_relay: bool,
}

/// Builds the dashboard from `getpeerinfo` and `getnetworkinfo`.
pub struct NetinfoRequestHandler {
    details_level: u8,
    chain: ChainType,
    client_version: String,
    time_now: i64,
}

impl NetinfoRequestHandler {
    /// `client_version` is `FormatFullVersion()` ("v6.0.0"); `time_now` the
    /// current Unix time in seconds.
    pub fn new(chain: ChainType, client_version: &str, time_now: i64) -> Self {
        NetinfoRequestHandler {
            details_level: 0,
            chain,
            client_version: client_version.to_owned(),
            time_now,
        }
    }

    fn details_requested(&self) -> bool {
        self.details_level > 0 && self.details_level < 5
    }

    fn is_address_selected(&self) -> bool {
        matches!(self.details_level, 2 | 4)
    }

    fn is_version_selected(&self) -> bool {
        matches!(self.details_level, 3 | 4)
    }

    fn chain_suffix(&self) -> &'static str {
        match self.chain {
            ChainType::Testnet => " testnet",
            ChainType::Signet => " signet",
            ChainType::Regtest => " regtest",
            ChainType::Main => "",
        }
    }
}

fn ping_time(seconds: f64) -> String {
    if seconds < 0.0 {
        return String::new();
    }
    let ms = (1000.0 * seconds).round();
    if ms > 999_999.0 {
        "-".to_owned()
    } else {
        format!("{}", ms as i64)
    }
}

fn connection_type(conn_type: &str) -> &'static str {
    match conn_type {
        "outbound-full-relay" => "full",
        "block-relay-only" => "block",
        "manual" => "manual",
        "feeler" => "feeler",
        "addr-fetch" => "addr",
        _ => "",
    }
}

fn opt_i64(v: &UniValue) -> Result<i64, CliError> {
    Ok(if v.is_null() { 0 } else { v.get_int::<i64>()? })
}

/// Core's `ParseUInt8`: an optional '+' and decimal digits, in range.
fn parse_u8(text: &str) -> Option<u8> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl RequestHandler for NetinfoRequestHandler {
    fn prepare_request(&mut self, _method: &str, args: &[String]) -> Result<UniValue, CliError> {
        if let Some(first) = args.first() {
            match parse_u8(first) {
                Some(n) => self.details_level = n.min(MAX_DETAIL_LEVEL),
                None => {
                    return Err(CliError::runtime(format!(
                        "invalid -netinfo argument: {first}\nFor more information, run: widecoin-cli -netinfo help"
                    )))
                }
            }
        }
        let mut batch = UniValue::array();
        batch.push(request_obj(
            "getpeerinfo",
            UniValue::Null,
            ID_PEERINFO as i64,
        ));
        batch.push(request_obj(
            "getnetworkinfo",
            UniValue::Null,
            ID_NETWORKINFO as i64,
        ));
        Ok(batch)
    }

    fn process_reply(&mut self, batch_in: UniValue) -> Result<UniValue, CliError> {
        let batch = process_batch_reply(&batch_in)?;
        let peerinfo = batch_at(&batch, ID_PEERINFO);
        let netinfo = batch_at(&batch, ID_NETWORKINFO);
        if !peerinfo.get("error").is_null() {
            return Ok(peerinfo.clone());
        }
        if !netinfo.get("error").is_null() {
            return Ok(netinfo.clone());
        }
        let networkinfo = netinfo.get("result");
        if networkinfo.get("version").get_int::<i32>()? < 209900 {
            return Err(CliError::runtime(
                "-netinfo requires widecoind server to be running v0.21.0 and up",
            ));
        }
        let now = self.time_now;
        // counts[in/out/total][network or total]
        let mut counts = [[0u32; NETWORKS.len() + 1]; 3];
        let (mut block_relay, mut manual) = (0u32, 0u32);
        let mut peers = Vec::new();
        let (mut max_addr, mut max_addrp, mut max_addrl, mut max_age, mut max_id) =
            (0usize, 5usize, 6usize, 5usize, 2usize);
        let mut asmap_on = false;
        for peer in peerinfo.get("result").values()? {
            let Some(net_id) = network_id(peer.get("network").get_str()?) else {
                continue;
            };
            let is_outbound = !peer.get("inbound").get_bool()?;
            let relay = peer.get("relaytxes");
            let is_tx_relay = relay.is_null() || relay.get_bool()?;
            let conn_type = peer.get("connection_type").get_str()?.to_owned();
            for row in [usize::from(is_outbound), 2] {
                counts[row][net_id] += 1;
                counts[row][NETWORKS.len()] += 1;
            }
            block_relay += u32::from(conn_type == "block-relay-only");
            manual += u32::from(conn_type == "manual");
            if !self.details_requested() {
                continue;
            }
            let conn_time = peer.get("conntime").get_int::<i64>()?;
            let age = if conn_time == 0 {
                String::new()
            } else {
                ((now - conn_time) / 60).to_string()
            };
            let ping = |key: &str| -> Result<f64, CliError> {
                let v = peer.get(key);
                Ok(if v.is_null() { -1.0 } else { v.get_real()? })
            };
            let addr_relay = peer.get("addr_relay_enabled");
            let p = Peer {
                addr: peer.get("addr").get_str()?.to_owned(),
                sub_version: peer.get("subver").get_str()?.to_owned(),
                network: NETWORK_SHORT_NAMES[net_id],
                age,
                min_ping: ping("minping")?,
                ping: ping("pingtime")?,
                addr_processed: opt_i64(peer.get("addr_processed"))?,
                addr_rate_limited: opt_i64(peer.get("addr_rate_limited"))?,
                last_blck: peer.get("last_block").get_int()?,
                last_recv: peer.get("lastrecv").get_int()?,
                last_send: peer.get("lastsend").get_int()?,
                last_trxn: peer.get("last_transaction").get_int()?,
                id: peer.get("id").get_int::<i32>()?.into(),
                mapped_as: opt_i64(peer.get("mapped_as"))?,
                version: peer.get("version").get_int::<i32>()?.into(),
                is_addr_relay_enabled: !addr_relay.is_null() && addr_relay.get_bool()?,
                is_bip152_hb_from: peer.get("bip152_hb_from").get_bool()?,
                is_bip152_hb_to: peer.get("bip152_hb_to").get_bool()?,
                is_outbound,
                is_tx_relay,
                conn_type,
            };
            max_addr = max_addr.max(p.addr.len() + 1);
            max_addrp = max_addrp.max(p.addr_processed.to_string().len());
            max_addrl = max_addrl.max(p.addr_rate_limited.to_string().len());
            max_age = max_age.max(p.age.len());
            max_id = max_id.max(p.id.to_string().len());
            asmap_on |= p.mapped_as != 0;
            peers.push(p);
        }

        let mut out = format!(
            "Widecoin Core client {}{} - server {}{}\n\n",
            self.client_version,
            self.chain_suffix(),
            networkinfo.get("protocolversion").get_int::<i32>()?,
            networkinfo.get("subversion").get_str()?
        );

        if self.details_requested() && !peers.is_empty() {
            // By direction (inbound first), then minimum ping.
            peers.sort_by(|a, b| {
                (a.is_outbound, a.min_ping)
                    .partial_cmp(&(b.is_outbound, b.min_ping))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            let addr_w = if self.is_address_selected() {
                max_addr
            } else {
                0
            };
            out += &format!(
                "<->   type   net  mping   ping send recv  txn  blk  hb {:>max_addrp$}{:>max_addrl$}{:>max_age$} ",
                "addrp", "addrl", "age"
            );
            if asmap_on {
                out += " asmap ";
            }
            out += &format!(
                "{:>max_id$} {:<addr_w$}{}\n",
                "id",
                if self.is_address_selected() {
                    "address"
                } else {
                    ""
                },
                if self.is_version_selected() {
                    "version"
                } else {
                    ""
                }
            );
            for p in &peers {
                let since = |t: i64, div: i64| {
                    if t != 0 {
                        ((now - t) / div).to_string()
                    } else {
                        String::new()
                    }
                };
                let txn = if p.last_trxn != 0 {
                    since(p.last_trxn, 60)
                } else if p.is_tx_relay {
                    String::new()
                } else {
                    "*".to_owned()
                };
                let addrp = if p.addr_processed != 0 {
                    p.addr_processed.to_string()
                } else if p.is_addr_relay_enabled {
                    String::new()
                } else {
                    ".".to_owned()
                };
                let addrl = if p.addr_rate_limited != 0 {
                    p.addr_rate_limited.to_string()
                } else {
                    String::new()
                };
                let asmap_w = if asmap_on { 7 } else { 0 };
                let asmap = if asmap_on && p.mapped_as != 0 {
                    p.mapped_as.to_string()
                } else {
                    String::new()
                };
                let version = format!("{}{}", p.version, p.sub_version);
                let hb = format!(
                    "{}{}",
                    if p.is_bip152_hb_to { "." } else { " " },
                    if p.is_bip152_hb_from { "*" } else { " " }
                );
                out += &format!(
                    "{:>3} {:>6} {:>5}{:>7}{:>7}{:>5}{:>5}{:>5}{:>5}  {:>2} {:>max_addrp$}{:>max_addrl$}{:>max_age$}{:>asmap_w$} {:>max_id$} {:<addr_w$}{}\n",
                    if p.is_outbound { "out" } else { "in" },
                    connection_type(&p.conn_type),
                    p.network,
                    ping_time(p.min_ping),
                    ping_time(p.ping),
                    since(p.last_send, 1),
                    since(p.last_recv, 1),
                    txn,
                    since(p.last_blck, 60),
                    hb,
                    addrp,
                    addrl,
                    p.age,
                    asmap,
                    p.id,
                    if self.is_address_selected() { p.addr.as_str() } else { "" },
                    if self.is_version_selected() && version != "0" { version.as_str() } else { "" },
                );
            }
            out += &format!(
                "                     ms     ms  sec  sec  min  min                {:>max_age$}\n\n",
                "min"
            );
        }

        // Peer counts per reachable network.
        out += "     ";
        let mut shown = Vec::new();
        for network in networkinfo.get("networks").values()? {
            if network.get("reachable").get_bool()? {
                let name = network.get("name").get_str()?;
                if let Some(id) = network_id(name) {
                    out += &format!("{name:>8}");
                    shown.push(id);
                }
            }
        }
        for id in UNREACHABLE_NETWORK_IDS {
            if counts[2][id] != 0 {
                out += &format!("{:>8}", NETWORK_SHORT_NAMES[id]);
                shown.push(id);
            }
        }
        out += "   total   block";
        if manual != 0 {
            out += "  manual";
        }
        for (i, row) in ["in", "out", "total"].iter().enumerate() {
            out += &format!("\n{row:<5}");
            for &id in &shown {
                out += &format!("{:>8}", counts[i][id]);
            }
            out += &format!("   {:>5}", counts[i][NETWORKS.len()]);
            if i == 1 {
                out += &format!("   {block_relay:>5}");
                if manual != 0 {
                    out += &format!("   {manual:>5}");
                }
            }
        }

        out += "\n\nLocal addresses";
        let local = networkinfo.get("localaddresses").values()?;
        if local.is_empty() {
            out += ": n/a\n";
        } else {
            let mut width = 0;
            for a in &local {
                width = width.max(a.get("address").get_str()?.len() + 1);
            }
            for a in &local {
                out += &format!(
                    "\n{:<width$}    port {:>6}    score {:>6}",
                    a.get("address").get_str()?,
                    a.get("port").get_int::<i32>()?,
                    a.get("score").get_int::<i32>()?
                );
            }
        }
        Ok(reply_obj(UniValue::Str(out), UniValue::Null, 1))
    }
}

#[cfg(test)]
mod tests;
