//! The JSON-RPC endpoint of the HTTP server (Core's `HTTPReq_JSONRPC`,
//! `src/httprpc.cpp`): method and authorization checks, body parsing,
//! whitelists, single and batch execution, and HTTP status mapping.
//! Runs on a worker thread.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use widecoin_interfaces::rpc::{RpcError, RpcErrorCode};

use crate::auth::Authenticator;
use crate::check::type_error_message;
use crate::params::{find_duplicate_params, DuplicateParams};
use crate::request::{reply_object, RpcRequest};
use crate::table::RpcTable;

/// `WWW-Authenticate` sent with 401 Unauthorized.
pub(crate) const WWW_AUTH_HEADER_DATA: &str = "Basic realm=\"jsonrpc\"";

/// A request as read by the HTTP thread.
pub(crate) struct HttpRequestData {
    pub method: hyper::Method,
    pub uri: String,
    pub authorization: Option<String>,
    pub body: Bytes,
    pub peer: SocketAddr,
}

/// A reply to be written by the HTTP thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpReply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl HttpReply {
    pub(crate) fn plain(status: u16, body: &str) -> Self {
        HttpReply {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    fn json(status: u16, body: String) -> Self {
        HttpReply {
            status,
            headers: vec![("Content-Type", "application/json".into())],
            body,
        }
    }

    fn unauthorized() -> Self {
        HttpReply {
            status: 401,
            headers: vec![("WWW-Authenticate", WWW_AUTH_HEADER_DATA.into())],
            body: String::new(),
        }
    }
}

/// The state the endpoint shares between workers.
pub(crate) struct JsonRpcEndpoint {
    pub table: Arc<RpcTable>,
    pub auth: Authenticator,
    /// `-logips`: add the peer address to the "ThreadRPCServer method=" line.
    pub log_ips: bool,
}

/// `JSONErrorReply`: 400 for an invalid request, 404 for an unknown method,
/// 500 for anything else.
pub(crate) fn error_status(code: i32) -> u16 {
    match code {
        RpcErrorCode::INVALID_REQUEST => 400,
        RpcErrorCode::METHOD_NOT_FOUND => 404,
        _ => 500,
    }
}

fn error_reply(e: RpcError, id: Value) -> HttpReply {
    HttpReply::json(
        error_status(e.code),
        format!("{}\n", reply_object(Err(e), id)),
    )
}

fn has_params_object(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.get("params").is_some_and(Value::is_object),
        Value::Array(a) => a.iter().any(has_params_object),
        _ => false,
    }
}

impl JsonRpcEndpoint {
    /// Handles one HTTP request for `/` or `/wallet/...`.
    pub(crate) fn handle(&self, req: HttpRequestData) -> HttpReply {
        if req.method != hyper::Method::POST {
            return HttpReply::plain(405, "JSONRPC server handles only POST requests");
        }
        let Some(authorization) = req.authorization else {
            return HttpReply::unauthorized();
        };
        let mut jreq = RpcRequest {
            peer_addr: req.peer.to_string(),
            ..Default::default()
        };
        let (authorized, user) = self.auth.authorize(&authorization);
        jreq.auth_user = user;
        if !authorized {
            tracing::info!(
                "ThreadRPCServer incorrect password attempt from {}",
                jreq.peer_addr
            );
            // Deter brute-forcing; an exposed RPC port is the user's problem.
            std::thread::sleep(Duration::from_millis(250));
            return HttpReply::unauthorized();
        }

        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return error_reply(
                RpcError::new(RpcErrorCode::PARSE_ERROR, "Parse error"),
                Value::Null,
            );
        };
        let duplicates = if has_params_object(&body) {
            find_duplicate_params(&req.body)
        } else {
            DuplicateParams::None
        };
        jreq.uri = req.uri;

        let whitelist = self.auth.whitelist(&jreq.auth_user);
        if whitelist.is_none() && self.auth.whitelist_default() {
            tracing::info!(
                "RPC User {} not allowed to call any methods",
                jreq.auth_user
            );
            return HttpReply::plain(403, "");
        }
        match &body {
            Value::Object(_) => {
                if let DuplicateParams::Single(d) = duplicates {
                    jreq.duplicate_param = d;
                }
                jreq.raw_params = crate::dupkeys::raw_params_single(&req.body).map(Arc::from);
                if let Err(e) = jreq.parse(&body, self.log_ips) {
                    return error_reply(e, jreq.id);
                }
                if whitelist.is_some_and(|w| !w.contains(&jreq.method)) {
                    tracing::info!(
                        "RPC User {} not allowed to call method {}",
                        jreq.auth_user,
                        jreq.method
                    );
                    return HttpReply::plain(403, "");
                }
                match self.table.execute(&jreq) {
                    Ok(result) => {
                        HttpReply::json(200, format!("{}\n", reply_object(Ok(result), jreq.id)))
                    }
                    Err(e) => error_reply(e, jreq.id),
                }
            }
            Value::Array(items) => {
                if let Some(whitelist) = whitelist {
                    for item in items {
                        let Value::Object(obj) = item else {
                            let e = RpcError::new(
                                RpcErrorCode::INVALID_REQUEST,
                                "Invalid Request object",
                            );
                            return error_reply(e, jreq.id);
                        };
                        let method = obj.get("method").unwrap_or(&Value::Null);
                        let Some(method) = method.as_str() else {
                            let msg = type_error_message(method, "string");
                            return error_reply(
                                RpcError::new(RpcErrorCode::PARSE_ERROR, msg),
                                jreq.id,
                            );
                        };
                        if !whitelist.contains(method) {
                            tracing::info!(
                                "RPC User {} not allowed to call method {method}",
                                jreq.auth_user
                            );
                            return HttpReply::plain(403, "");
                        }
                    }
                }
                let dups = match duplicates {
                    DuplicateParams::Batch(d) => d,
                    _ => Vec::new(),
                };
                let mut raws = crate::dupkeys::raw_params_batch(&req.body);
                let replies: Vec<Value> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let mut one = jreq.clone();
                        one.duplicate_param = dups.get(i).cloned().flatten();
                        one.raw_params = raws.get_mut(i).and_then(Option::take).map(Arc::from);
                        let result = one
                            .parse(item, self.log_ips)
                            .and_then(|()| self.table.execute(&one));
                        reply_object(result, one.id)
                    })
                    .collect();
                HttpReply::json(200, format!("{}\n", Value::Array(replies)))
            }
            _ => error_reply(
                RpcError::new(RpcErrorCode::PARSE_ERROR, "Top-level object parse error"),
                jreq.id,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping() {
        assert_eq!(error_status(RpcErrorCode::INVALID_REQUEST), 400);
        assert_eq!(error_status(RpcErrorCode::METHOD_NOT_FOUND), 404);
        assert_eq!(error_status(RpcErrorCode::INVALID_PARAMETER), 500);
        assert_eq!(error_status(RpcErrorCode::PARSE_ERROR), 500);
        assert_eq!(error_status(RpcErrorCode::IN_WARMUP), 500);
    }
}
