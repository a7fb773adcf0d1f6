//! Key and address utilities of the `util` category: Core's `rpc/signmessage.cpp`
//! here, `rpc/output_script.cpp` and `decodescript` in [`super::output_script`].

use std::sync::Arc;

use serde_json::{json, Value};
use widecoin_keys::{decode_secret, sign_message, verify_message, MessageVerificationResult};
use widecoin_rpc::{
    help_example_cli, help_example_rpc, ArgType, ResultType, RpcArg, RpcCommand, RpcError,
    RpcErrorCode, RpcMethod, RpcRequest, RpcResult, RpcTable,
};

use crate::context::NodeContext;

/// Registers the key, address, descriptor and message utilities.
pub fn register(table: &RpcTable, node: &Arc<NodeContext>) {
    super::output_script::register(table, node);
    table.register(verifymessage(node.clone()));
    table.register(signmessagewithprivkey(node.clone()));
    table.register(getmemoryinfo());
}

/// Core's `LockedPool` bookkeeping (`support/lockedpool.cpp`): one arena of
/// `ARENA_SIZE` bytes handed out in 16-byte aligned chunks, first fit, with
/// neighbouring free chunks merged. The pages are not `mlock`ed (the
/// workspace forbids `unsafe`), so `locked` reports 0, which Core documents
/// as "locking pages failed". No secret uses it yet: one 32-byte chunk is
/// reserved at first use, in place of the secure allocations Core holds from
/// start-up (its RNG and key contexts), so the figures have Core's shape.
struct LockedArena {
    /// Free chunks: offset → size.
    free: std::collections::BTreeMap<usize, usize>,
    /// Used chunks: offset → size.
    used: std::collections::BTreeMap<usize, usize>,
}

/// `LockedPool::ARENA_SIZE`.
const ARENA_SIZE: usize = 256 * 1024;
/// `LockedPool::ARENA_ALIGN`.
const ARENA_ALIGN: usize = 16;

impl LockedArena {
    fn new() -> Self {
        LockedArena {
            free: std::iter::once((0, ARENA_SIZE)).collect(),
            used: Default::default(),
        }
    }

    /// `Arena::alloc`: the offset of a new chunk of `size` bytes.
    fn alloc(&mut self, size: usize) -> Option<usize> {
        let size = size.div_ceil(ARENA_ALIGN) * ARENA_ALIGN;
        let (&at, &len) = self.free.iter().find(|(_, &len)| len >= size)?;
        self.free.remove(&at);
        if len > size {
            self.free.insert(at + size, len - size);
        }
        self.used.insert(at, size);
        Some(at)
    }

    /// Core's `LockedPool::Stats` as getmemoryinfo shows them.
    fn stats(&self) -> Value {
        let used: usize = self.used.values().sum();
        let free: usize = self.free.values().sum();
        json!({
            "used": used,
            "free": free,
            "total": used + free,
            "locked": 0,
            "chunks_used": self.used.len(),
            "chunks_free": self.free.len(),
        })
    }
}

/// The process's locked pool, with its first chunk reserved on first use.
fn locked_pool() -> &'static std::sync::Mutex<LockedArena> {
    static POOL: std::sync::OnceLock<std::sync::Mutex<LockedArena>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let mut arena = LockedArena::new();
        arena.alloc(32);
        std::sync::Mutex::new(arena)
    })
}

fn getmemoryinfo() -> RpcCommand {
    let r = RpcResult::new;
    let spec = RpcMethod::new(
        "getmemoryinfo",
        "Returns an object containing information about memory usage.\n",
        vec![RpcArg::with_default(
            "mode",
            ArgType::Str,
            json!("stats"),
            "determines what kind of information is returned.\n  - \"stats\" returns general statistics about memory usage in the daemon.\n  - \"mallocinfo\" returns an XML string describing low-level heap state (only available if compiled with glibc).",
        )],
        vec![
            r(ResultType::Obj, "", "").cond("mode \"stats\"").inner(vec![r(
                ResultType::Obj,
                "locked",
                "Information about locked memory manager",
            )
            .inner(vec![
                r(ResultType::Num, "used", "Number of bytes used"),
                r(ResultType::Num, "free", "Number of bytes available in current arenas"),
                r(ResultType::Num, "total", "Total number of bytes managed"),
                r(ResultType::Num, "locked", "Amount of bytes that succeeded locking. If this number is smaller than total, locking pages failed at some point and key data could be swapped to disk."),
                r(ResultType::Num, "chunks_used", "Number allocated chunks"),
                r(ResultType::Num, "chunks_free", "Number unused chunks"),
            ])]),
            r(ResultType::Str, "", "\"<malloc version=\"1\">...\"").cond("mode \"mallocinfo\""),
        ],
        help_example_cli("getmemoryinfo", "") + &help_example_rpc("getmemoryinfo", ""),
    );
    RpcCommand::new("control", spec, move |req: &RpcRequest| {
        let mode: String = req.arg(0)?;
        match mode.as_str() {
            "stats" => {
                let pool = locked_pool().lock().unwrap_or_else(|e| e.into_inner());
                Ok(json!({ "locked": pool.stats() }))
            }
            // glibc's malloc_info needs FFI, which this build does not use.
            "mallocinfo" => Err(RpcError::invalid_parameter("mallocinfo mode not available")),
            other => Err(RpcError::invalid_parameter(format!("unknown mode {other}"))),
        }
    })
}

fn verifymessage(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "verifymessage",
        "Verify a signed message.",
        vec![
            RpcArg::required(
                "address",
                ArgType::Str,
                "The widecoin address to use for the signature.",
            ),
            RpcArg::required(
                "signature",
                ArgType::Str,
                "The signature provided by the signer in base 64 encoding (see signmessage).",
            ),
            RpcArg::required("message", ArgType::Str, "The message that was signed."),
        ],
        vec![RpcResult::new(
            ResultType::Bool,
            "",
            "If the signature is verified or not.",
        )],
        "\nUnlock the wallet for 30 seconds\n".to_string()
            + &help_example_cli("walletpassphrase", "\"mypassphrase\" 30")
            + "\nCreate the signature\n"
            + &help_example_cli(
                "signmessage",
                "\"1D1ZrZNe3JUo7ZycKEYQQiQAWd9y54F4XX\" \"my message\"",
            )
            + "\nVerify the signature\n"
            + &help_example_cli(
                "verifymessage",
                "\"1D1ZrZNe3JUo7ZycKEYQQiQAWd9y54F4XX\" \"signature\" \"my message\"",
            )
            + "\nAs a JSON-RPC call\n"
            + &help_example_rpc(
                "verifymessage",
                "\"1D1ZrZNe3JUo7ZycKEYQQiQAWd9y54F4XX\", \"signature\", \"my message\"",
            ),
    );
    RpcCommand::new("util", spec, move |req: &RpcRequest| {
        let address: String = req.arg(0)?;
        let signature: String = req.arg(1)?;
        let message: String = req.arg(2)?;
        use MessageVerificationResult as R;
        match verify_message(&address, &signature, &message, &node.chain_params) {
            R::ErrInvalidAddress => Err(RpcError::new(
                RpcErrorCode::INVALID_ADDRESS_OR_KEY,
                "Invalid address",
            )),
            R::ErrAddressNoKey => Err(RpcError::type_error("Address does not refer to key")),
            R::ErrMalformedSignature => Err(RpcError::type_error("Malformed base64 encoding")),
            R::ErrPubkeyNotRecovered | R::ErrNotSigned => Ok(json!(false)),
            R::Ok => Ok(json!(true)),
        }
    })
}

fn signmessagewithprivkey(node: Arc<NodeContext>) -> RpcCommand {
    let spec = RpcMethod::new(
        "signmessagewithprivkey",
        "\nSign a message with the private key of an address\n",
        vec![
            RpcArg::required(
                "privkey",
                ArgType::Str,
                "The private key to sign the message with.",
            ),
            RpcArg::required(
                "message",
                ArgType::Str,
                "The message to create a signature of.",
            ),
        ],
        vec![RpcResult::new(
            ResultType::Str,
            "signature",
            "The signature of the message encoded in base 64",
        )],
        "\nCreate the signature\n".to_string()
            + &help_example_cli("signmessagewithprivkey", "\"privkey\" \"my message\"")
            + "\nVerify the signature\n"
            + &help_example_cli(
                "verifymessage",
                "\"1D1ZrZNe3JUo7ZycKEYQQiQAWd9y54F4XX\" \"signature\" \"my message\"",
            )
            + "\nAs a JSON-RPC call\n"
            + &help_example_rpc("signmessagewithprivkey", "\"privkey\", \"my message\""),
    );
    RpcCommand::new("util", spec, move |req: &RpcRequest| {
        let privkey: String = req.arg(0)?;
        let message: String = req.arg(1)?;
        let key = decode_secret(&privkey, &node.chain_params).ok_or_else(|| {
            RpcError::new(RpcErrorCode::INVALID_ADDRESS_OR_KEY, "Invalid private key")
        })?;
        Ok(Value::String(sign_message(&key, &message)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_arena_counts_like_core() {
        let mut arena = LockedArena::new();
        assert_eq!(
            arena.stats(),
            json!({"used": 0, "free": ARENA_SIZE, "total": ARENA_SIZE, "locked": 0, "chunks_used": 0, "chunks_free": 1})
        );
        // Sizes round up to 16 bytes.
        assert_eq!(arena.alloc(20), Some(0));
        assert_eq!(arena.alloc(16), Some(32));
        let s = arena.stats();
        assert_eq!(s["used"], json!(48));
        assert_eq!(s["free"], json!(ARENA_SIZE - 48));
        assert_eq!(s["chunks_used"], json!(2));
        assert_eq!(s["chunks_free"], json!(1));
        assert_eq!(arena.alloc(ARENA_SIZE), None);
    }
}
