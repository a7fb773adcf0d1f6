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
