//! Turning command-line words into JSON-RPC parameters (Core's
//! `RPCConvertValues` and `RPCConvertNamedValues`, `src/rpc/client.cpp`).
//!
//! A word is parsed as JSON only when the convert table lists its parameter;
//! every other word is sent as a JSON string, unchanged.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::convert_table::RPC_CONVERT_PARAMS;
use crate::univalue::UniValue;

/// A word that must be JSON but is not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Error parsing JSON: {0}")]
pub struct ParseJsonError(pub String);

struct ConvertTable {
    by_index: HashSet<(&'static str, usize)>,
    by_name: HashSet<(&'static str, &'static str)>,
}

static TABLE: LazyLock<ConvertTable> = LazyLock::new(|| ConvertTable {
    by_index: RPC_CONVERT_PARAMS.iter().map(|&(m, i, _)| (m, i)).collect(),
    by_name: RPC_CONVERT_PARAMS.iter().map(|&(m, _, n)| (m, n)).collect(),
});

/// Whether positional parameter `index` of `method` is parsed as JSON.
pub fn converts_index(method: &str, index: usize) -> bool {
    TABLE.by_index.contains(&(method, index))
}

/// Whether named parameter `name` of `method` is parsed as JSON.
pub fn converts_name(method: &str, name: &str) -> bool {
    TABLE.by_name.contains(&(method, name))
}

/// Parses `raw` as any JSON value (Core's `Parse` in `rpc/client.cpp`).
fn parse(raw: &str) -> Result<UniValue, ParseJsonError> {
    UniValue::read(raw).ok_or_else(|| ParseJsonError(raw.to_owned()))
}

fn arg_to_value(raw: &str, convert: bool) -> Result<UniValue, ParseJsonError> {
    if convert {
        parse(raw)
    } else {
        Ok(UniValue::str(raw))
    }
}

/// Positional parameters: a JSON array with one member per word.
pub fn rpc_convert_values(method: &str, args: &[String]) -> Result<UniValue, ParseJsonError> {
    let mut params = UniValue::array();
    for (idx, arg) in args.iter().enumerate() {
        params.push(arg_to_value(arg, converts_index(method, idx))?);
    }
    Ok(params)
}

/// Named parameters (`-named`): a JSON object of `name=value` words.
///
/// A later value for a name replaces an earlier one in place. Words without `=`
/// are positional: they are converted by their position among themselves and
/// appended as a trailing `"args"` array, even if an explicit `args=` was given
/// (Core then sends the key twice and leaves the decision to the server).
pub fn rpc_convert_named_values(method: &str, args: &[String]) -> Result<UniValue, ParseJsonError> {
    let mut params = UniValue::object();
    let mut positional = Vec::new();
    for arg in args {
        match arg.split_once('=') {
            None => {
                let convert = converts_index(method, positional.len());
                positional.push(arg_to_value(arg, convert)?);
            }
            Some((name, value)) => {
                let val = arg_to_value(value, converts_name(method, name))?;
                params.push_kv(name, val);
            }
        }
    }
    if !positional.is_empty() {
        params.push_kv_end("args", UniValue::Array(positional));
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn table_is_complete_and_unique() {
        assert_eq!(RPC_CONVERT_PARAMS.len(), 272);
        // Several names share a position: the members of an options object.
        assert_eq!(TABLE.by_index.len(), 194);
        // send and sendall list conf_target and fee_rate twice (positional and in options).
        assert_eq!(TABLE.by_name.len(), 268);
        assert!(converts_name("fundrawtransaction", "conf_target"));
        assert!(converts_index("getblockhash", 0));
        assert!(converts_name("getblock", "verbosity"));
        assert!(converts_index("addnode", 2));
        assert!(!converts_index("getblock", 0));
        assert!(!converts_index("sendtoaddress", 0));
        assert!(!converts_name("createwallet", "wallet_name"));
    }

    #[test]
    fn positional_conversion() {
        let p = rpc_convert_values("sendtoaddress", &words(&["addr", "0.1", "c", "d", "true"]))
            .unwrap();
        assert_eq!(p.write(), r#"["addr",0.1,"c","d",true]"#);
        // Not in the table: stays a string even if it looks like JSON.
        let p = rpc_convert_values("echo", &words(&["1", "[2]"])).unwrap();
        assert_eq!(p.write(), r#"["1","[2]"]"#);
        assert_eq!(
            rpc_convert_values("getblockcount", &[]).unwrap().write(),
            "[]"
        );
    }

    #[test]
    fn parse_error_names_the_value() {
        let e = rpc_convert_values("getblockhash", &words(&["abc"])).unwrap_err();
        assert_eq!(e.to_string(), "Error parsing JSON: abc");
        let e = rpc_convert_named_values("getblockhash", &words(&["height=1x"])).unwrap_err();
        assert_eq!(e.to_string(), "Error parsing JSON: 1x");
    }

    #[test]
    fn named_conversion() {
        let p = rpc_convert_named_values(
            "getblock",
            &words(&["blockhash=00ff", "verbosity=2", "verbosity=1"]),
        )
        .unwrap();
        assert_eq!(p.write(), r#"{"blockhash":"00ff","verbosity":1}"#);
        // The first '=' splits; the rest belongs to the value.
        let p = rpc_convert_named_values("echo", &words(&["arg0=a=b"])).unwrap();
        assert_eq!(p.write(), r#"{"arg0":"a=b"}"#);
    }

    #[test]
    fn named_with_positional_args() {
        // Positional words are converted by their own position.
        let p = rpc_convert_named_values("sendtoaddress", &words(&["addr", "fee_rate=1", "0.5"]))
            .unwrap();
        assert_eq!(p.write(), r#"{"fee_rate":1,"args":["addr",0.5]}"#);
        // An explicit args= is kept, and the implicit one is appended after it.
        let p = rpc_convert_named_values("echo", &words(&["args=x", "y"])).unwrap();
        assert_eq!(p.write(), r#"{"args":"x","args":["y"]}"#);
    }
}
