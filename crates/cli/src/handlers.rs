//! Request handlers: how a command line becomes a JSON-RPC request and how the
//! reply becomes the value to print (Core's `BaseRequestHandler` family in
//! `src/widecoin-cli.cpp`).

use crate::convert::{rpc_convert_named_values, rpc_convert_values};
use crate::error::CliError;
use crate::univalue::UniValue;

/// Networks as `getnetworkinfo`/`getpeerinfo` name them (`GetNetworkName`).
pub const NETWORKS: [&str; 7] = [
    "not_publicly_routable",
    "ipv4",
    "ipv6",
    "onion",
    "i2p",
    "cjdns",
    "internal",
];

/// The index of a network name in [`NETWORKS`].
pub fn network_id(name: &str) -> Option<usize> {
    NETWORKS.iter().position(|n| *n == name)
}

/// Turns a command line into a request and a reply into a printable reply.
pub trait RequestHandler {
    fn prepare_request(&mut self, method: &str, args: &[String]) -> Result<UniValue, CliError>;
    fn process_reply(&mut self, reply: UniValue) -> Result<UniValue, CliError>;
}

/// `{"method":..,"params":..,"id":..}` (`JSONRPCRequestObj`).
pub fn request_obj(method: &str, params: UniValue, id: i64) -> UniValue {
    let mut req = UniValue::object();
    req.push_kv("method", UniValue::str(method));
    req.push_kv("params", params);
    req.push_kv("id", UniValue::int(id));
    req
}

/// `{"result":..,"error":..,"id":..}` (`JSONRPCReplyObj`).
pub fn reply_obj(result: UniValue, error: UniValue, id: i64) -> UniValue {
    let mut reply = UniValue::object();
    let result = if error.is_null() {
        result
    } else {
        UniValue::Null
    };
    reply.push_kv("result", result);
    reply.push_kv("error", error);
    reply.push_kv("id", UniValue::int(id));
    reply
}

/// Orders the members of a batch reply by their ids (`JSONRPCProcessBatchReply`).
pub fn process_batch_reply(batch_in: &UniValue) -> Result<Vec<UniValue>, CliError> {
    let UniValue::Array(members) = batch_in else {
        return Err(CliError::runtime("Batch must be an array"));
    };
    let mut batch = vec![UniValue::Null; members.len()];
    for rec in members {
        if !rec.is_object() {
            return Err(CliError::runtime("Batch member must be an object"));
        }
        let id = rec.get("id").get_int::<i32>()?;
        let slot = usize::try_from(id)
            .ok()
            .and_then(|id| batch.get_mut(id))
            .ok_or_else(|| CliError::runtime("Batch member id is larger than batch size"))?;
        *slot = rec.clone();
    }
    Ok(batch)
}

/// The member `id` of a processed batch, or null when the batch is short.
pub fn batch_at(batch: &[UniValue], id: usize) -> &UniValue {
    static NULL: UniValue = UniValue::Null;
    batch.get(id).unwrap_or(&NULL)
}

/// A plain `<command> [params]` call.
pub struct DefaultRequestHandler {
    pub named: bool,
}

impl RequestHandler for DefaultRequestHandler {
    fn prepare_request(&mut self, method: &str, args: &[String]) -> Result<UniValue, CliError> {
        let params = if self.named {
            rpc_convert_named_values(method, args)?
        } else {
            rpc_convert_values(method, args)?
        };
        Ok(request_obj(method, params, 1))
    }

    fn process_reply(&mut self, reply: UniValue) -> Result<UniValue, CliError> {
        reply.get_obj()?;
        Ok(reply)
    }
}

/// `-generate`: `generatetoaddress` with an address from `getnewaddress`.
#[derive(Default)]
pub struct GenerateToAddressRequestHandler {
    address: String,
}

impl RequestHandler for GenerateToAddressRequestHandler {
    fn prepare_request(&mut self, _method: &str, args: &[String]) -> Result<UniValue, CliError> {
        self.address = args.get(1).cloned().unwrap_or_default();
        let params = rpc_convert_values("generatetoaddress", args)?;
        Ok(request_obj("generatetoaddress", params, 1))
    }

    fn process_reply(&mut self, reply: UniValue) -> Result<UniValue, CliError> {
        let mut result = UniValue::object();
        result.push_kv("address", UniValue::str(self.address.clone()));
        result.push_kv("blocks", reply.get_obj()?.get("result").clone());
        Ok(reply_obj(result, UniValue::Null, 1))
    }
}

/// The default number of blocks of `-generate` (`DEFAULT_NBLOCKS`).
pub const DEFAULT_NBLOCKS: &str = "1";

/// Checks `-generate`'s words and inserts the address: `nblocks address [maxtries]`
/// (`SetGenerateToAddressArgs`).
pub fn set_generate_to_address_args(address: &str, args: &mut Vec<String>) -> Result<(), CliError> {
    if args.len() > 2 {
        return Err(CliError::runtime(
            "too many arguments (maximum 2 for nblocks and maxtries)",
        ));
    }
    if args.is_empty() {
        args.push(DEFAULT_NBLOCKS.to_owned());
    } else if args[0] == "0" {
        return Err(CliError::runtime(format!(
            "the first argument (number of blocks to generate, default: {DEFAULT_NBLOCKS}) must be an integer value greater than zero"
        )));
    }
    args.insert(1, address.to_owned());
    Ok(())
}

/// `-addrinfo`: known addresses per network, from `getnodeaddresses 0`.
pub struct AddrinfoRequestHandler;

impl RequestHandler for AddrinfoRequestHandler {
    fn prepare_request(&mut self, _method: &str, args: &[String]) -> Result<UniValue, CliError> {
        if !args.is_empty() {
            return Err(CliError::runtime("-addrinfo takes no arguments"));
        }
        let params = rpc_convert_values("getnodeaddresses", &["0".to_owned()])?;
        Ok(request_obj("getnodeaddresses", params, 1))
    }

    fn process_reply(&mut self, reply: UniValue) -> Result<UniValue, CliError> {
        if !reply.get("error").is_null() {
            return Ok(reply);
        }
        let nodes = reply.get("result").values()?;
        if nodes.first().is_some_and(|n| n.get("network").is_null()) {
            return Err(CliError::runtime(
                "-addrinfo requires widecoind server to be running v22.0 and up",
            ));
        }
        let mut counts = [0u64; NETWORKS.len()];
        for node in nodes {
            if let Some(id) = network_id(node.get("network").get_str()?) {
                counts[id] += 1;
            }
        }
        let mut addresses = UniValue::object();
        let mut total = 0u64;
        // Skip "not_publicly_routable" and "internal".
        for i in 1..NETWORKS.len() - 1 {
            addresses.push_kv(NETWORKS[i], UniValue::Num(counts[i].to_string()));
            total += counts[i];
        }
        addresses.push_kv("total", UniValue::Num(total.to_string()));
        let mut result = UniValue::object();
        result.push_kv("addresses_known", addresses);
        Ok(reply_obj(result, UniValue::Null, 1))
    }
}

/// `-getinfo`: a batch of four calls merged into one object
/// (`GetinfoRequestHandler`).
pub struct GetinfoRequestHandler;

impl GetinfoRequestHandler {
    pub const ID_NETWORKINFO: usize = 0;
    pub const ID_BLOCKCHAININFO: usize = 1;
    pub const ID_WALLETINFO: usize = 2;
    pub const ID_BALANCES: usize = 3;
}

impl RequestHandler for GetinfoRequestHandler {
    fn prepare_request(&mut self, _method: &str, args: &[String]) -> Result<UniValue, CliError> {
        if !args.is_empty() {
            return Err(CliError::runtime("-getinfo takes no arguments"));
        }
        let mut batch = UniValue::array();
        batch.push(request_obj("getnetworkinfo", UniValue::Null, 0));
        batch.push(request_obj("getblockchaininfo", UniValue::Null, 1));
        batch.push(request_obj("getwalletinfo", UniValue::Null, 2));
        batch.push(request_obj("getbalances", UniValue::Null, 3));
        Ok(batch)
    }

    fn process_reply(&mut self, batch_in: UniValue) -> Result<UniValue, CliError> {
        let batch = process_batch_reply(&batch_in)?;
        let network = batch_at(&batch, Self::ID_NETWORKINFO);
        let chain = batch_at(&batch, Self::ID_BLOCKCHAININFO);
        // Errors of getnetworkinfo and getblockchaininfo are fatal; the wallet
        // calls may fail when no wallet is loaded.
        if !network.get("error").is_null() {
            return Ok(network.clone());
        }
        if !chain.get("error").is_null() {
            return Ok(chain.clone());
        }
        let (net, bc) = (network.get("result"), chain.get("result"));
        let wallet = batch_at(&batch, Self::ID_WALLETINFO).get("result");
        let balances = batch_at(&batch, Self::ID_BALANCES).get("result");
        let mut r = UniValue::object();
        r.push_kv("version", net.get("version").clone());
        r.push_kv("blocks", bc.get("blocks").clone());
        r.push_kv("headers", bc.get("headers").clone());
        r.push_kv(
            "verificationprogress",
            bc.get("verificationprogress").clone(),
        );
        r.push_kv("timeoffset", net.get("timeoffset").clone());
        let mut connections = UniValue::object();
        connections.push_kv("in", net.get("connections_in").clone());
        connections.push_kv("out", net.get("connections_out").clone());
        connections.push_kv("total", net.get("connections").clone());
        r.push_kv("connections", connections);
        r.push_kv("networks", net.get("networks").clone());
        r.push_kv("difficulty", bc.get("difficulty").clone());
        r.push_kv("chain", bc.get("chain").clone());
        if !wallet.is_null() {
            r.push_kv("has_wallet", UniValue::Bool(true));
            r.push_kv("keypoolsize", wallet.get("keypoolsize").clone());
            r.push_kv("walletname", wallet.get("walletname").clone());
            if !wallet.get("unlocked_until").is_null() {
                r.push_kv("unlocked_until", wallet.get("unlocked_until").clone());
            }
            r.push_kv("paytxfee", wallet.get("paytxfee").clone());
        }
        if !balances.is_null() {
            r.push_kv("balance", balances.get("mine").get("trusted").clone());
        }
        r.push_kv("relayfee", net.get("relayfee").clone());
        r.push_kv("warnings", net.get("warnings").clone());
        Ok(reply_obj(r, UniValue::Null, 1))
    }
}

#[cfg(test)]
mod tests;
