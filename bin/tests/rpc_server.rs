//! The JSON-RPC HTTP server as a client sees it: authentication (cookie,
//! `-rpcuser`, `-rpcauth`, `-rpcwhitelist`), Widecoin Core's HTTP status codes
//! and reply shapes (httprpc.cpp, httpserver.cpp), `-rpcallowip` and the
//! work queue.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::*;
use serde_json::{json, Value};
use widecoin_test_utils::{
    basic_auth, local_non_loopback_ipv4, poll_until, rpcauth_value, HttpClient, HttpResponse,
    RpcCallError, TestNode, DEADLINE,
};

fn body(method: &str, params: Value, id: Value) -> Vec<u8> {
    json!({"jsonrpc": "1.0", "id": id, "method": method, "params": params})
        .to_string()
        .into_bytes()
}

fn post(node: &TestNode, path: &str, body: &[u8]) -> HttpResponse {
    node.http()
        .post(path, &node.cookie().expect("cookie"), body)
        .expect("HTTP request")
}

fn unauthorized(status: u16) -> RpcCallError {
    RpcCallError {
        http_status: status,
        code: None,
        message: String::new(),
    }
}

/// Asserts Core's reply to a failed single request: `JSONErrorReply`.
fn assert_error_reply(r: &HttpResponse, status: u16, code: i64, message: &str, id: Value) {
    assert_eq!(r.status, status, "{}", r.body_str());
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(
        r.json(),
        json!({"result": null, "error": {"code": code, "message": message}, "id": id})
    );
}

#[test]
fn cookie_is_0600_created_at_start_and_deleted_at_stop() {
    let mut node = start(options());
    let path = node.net_dir().join(".cookie");
    let cookie = fs::read_to_string(&path).expect("cookie file");
    let secret = cookie
        .strip_prefix("__cookie__:")
        .unwrap_or_else(|| panic!("cookie {cookie:?} lacks the __cookie__ user"));
    assert_eq!(secret.len(), 64, "cookie {cookie:?}");
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "cookie secret is not lower-case hex: {secret:?}"
    );
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "cookie mode {mode:o}");
    assert_eq!(
        node.rpc_as(&cookie, "getblockcount", json!([])),
        Ok(json!(0))
    );
    assert_eq!(
        node.rpc_as("__cookie__:00", "getblockcount", json!([])),
        Err(unauthorized(401))
    );
    stop_clean(&mut node);
    assert!(!path.exists(), "cookie left behind after stop");
}

#[test]
fn rpcuser_and_rpcpassword_replace_the_cookie() {
    let mut node = start(
        options()
            .arg("-rpcuser=alice")
            .arg("-rpcpassword=s3cret")
            .rpc_auth("alice:s3cret"),
    );
    assert_eq!(node.rpc("getblockcount", json!([])), Ok(json!(0)));
    assert!(!node.net_dir().join(".cookie").exists());
    assert_eq!(
        node.rpc_as("alice:wrong", "getblockcount", json!([])),
        Err(unauthorized(401))
    );
    assert_eq!(
        node.rpc_as("bob:s3cret", "getblockcount", json!([])),
        Err(unauthorized(401))
    );
    stop_clean(&mut node);
}

#[test]
fn rpcauth_accepts_its_password_only() {
    let line = rpcauth_value("bob", "a1b2c3d4e5f60718293a4b5c6d7e8f90", "horse battery");
    let mut node = start(options().arg(format!("-rpcauth={line}")));
    assert_eq!(
        node.rpc_as("bob:horse battery", "getblockcount", json!([])),
        Ok(json!(0))
    );
    assert_eq!(
        node.rpc_as("bob:horse", "getblockcount", json!([])),
        Err(unauthorized(401))
    );
    assert_eq!(
        node.rpc_as("alice:horse battery", "getblockcount", json!([])),
        Err(unauthorized(401))
    );
    // -rpcauth does not turn off the cookie (only -rpcpassword does).
    assert!(node.cookie().is_some());
    stop_clean(&mut node);
}

#[test]
fn unauthorized_replies_carry_the_basic_realm() {
    let node = start(options());
    let request = body("getblockcount", json!([]), json!(1));
    let mut http = node.http();
    let wrong = http
        .post("/", "__cookie__:wrong", &request)
        .expect("HTTP request");
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.header("WWW-Authenticate"),
        Some("Basic realm=\"jsonrpc\"")
    );
    assert_eq!(wrong.body_str(), "");

    let missing = node
        .http()
        .request(
            "POST",
            "/",
            &[("Content-Type", "application/json")],
            &request,
        )
        .expect("HTTP request");
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.header("WWW-Authenticate"),
        Some("Basic realm=\"jsonrpc\"")
    );
    assert_eq!(missing.body_str(), "");
}

#[test]
fn rpcwhitelist_limits_methods_and_denies_users_without_a_list() {
    let line = rpcauth_value("bob", "00ff", "pw");
    let mut node = start(
        options()
            .arg(format!("-rpcauth={line}"))
            .arg("-rpcwhitelist=bob:getblockcount")
            .rpc_auth("bob:pw"),
    );
    assert_eq!(node.rpc("getblockcount", json!([])), Ok(json!(0)));
    let forbidden = Err(unauthorized(403));
    assert_eq!(node.rpc("getblockhash", json!([0])), forbidden);
    // A batch with one method outside the list is refused as a whole.
    let batch = json!([
        {"method": "getblockcount", "params": [], "id": 1},
        {"method": "getbestblockhash", "params": [], "id": 2},
    ]);
    let r = node
        .http()
        .post("/", "bob:pw", batch.to_string().as_bytes())
        .unwrap();
    assert_eq!((r.status, r.body_str()), (403, String::new()));
    // -rpcwhitelistdefault defaults to 1 once any whitelist is set: the cookie
    // user, who has no list, may call nothing.
    let cookie = node.cookie().expect("cookie");
    assert_eq!(node.rpc_as(&cookie, "getblockcount", json!([])), forbidden);
    node.signal(15).unwrap();
    assert_eq!(node.wait_exit().unwrap().code(), Some(0));
}

#[test]
fn rpcwhitelistdefault_0_leaves_other_users_unrestricted() {
    let line = rpcauth_value("bob", "00ff", "pw");
    let mut node = start(
        options()
            .arg(format!("-rpcauth={line}"))
            .arg("-rpcwhitelist=bob:getblockcount,getblockhash")
            .arg("-rpcwhitelistdefault=0"),
    );
    assert_eq!(
        node.rpc_as("bob:pw", "getblockhash", json!([0])),
        Ok(json!(REGTEST_GENESIS))
    );
    assert_eq!(
        node.rpc_as("bob:pw", "getbestblockhash", json!([])),
        Err(unauthorized(403))
    );
    assert_eq!(
        node.rpc("getbestblockhash", json!([])),
        Ok(json!(REGTEST_GENESIS))
    );
    stop_clean(&mut node);
}

#[test]
fn keep_alive_connection_serves_several_requests() {
    let node = start(options());
    let auth = node.cookie().unwrap();
    let mut http = node.http();
    for id in [json!(1), json!("two"), json!(null), json!([3])] {
        let r = http
            .post("/", &auth, &body("getblockcount", json!([]), id.clone()))
            .expect("request on the kept-alive connection");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        // JSONRPCReply: result, error, id in this order, then a newline.
        assert_eq!(
            r.body_str(),
            format!("{{\"result\":0,\"error\":null,\"id\":{id}}}\n")
        );
    }
}

#[test]
fn batch_answers_each_item() {
    let node = start(options());
    let batch = json!([
        {"method": "getblockcount", "params": [], "id": 1},
        {"method": "nosuchmethod", "params": [], "id": 2},
        {"method": "getblockhash", "params": [0], "id": 3},
    ]);
    let r = post(&node, "/", batch.to_string().as_bytes());
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(
        r.json(),
        json!([
            {"result": 0, "error": null, "id": 1},
            {"result": null, "error": {"code": -32601, "message": "Method not found"}, "id": 2},
            {"result": REGTEST_GENESIS, "error": null, "id": 3},
        ])
    );
}

#[test]
fn named_arguments() {
    let node = start(options());
    let r = post(
        &node,
        "/",
        &body("getblockhash", json!({"height": 0}), json!(7)),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"result": REGTEST_GENESIS, "error": null, "id": 7})
    );
    let r = post(
        &node,
        "/",
        &body("getblockhash", json!({"hight": 0}), json!(8)),
    );
    assert_error_reply(&r, 500, -8, "Unknown named parameter hight", json!(8));
}

#[test]
fn error_replies_use_cores_codes_and_statuses() {
    let node = start(options());
    let r = post(&node, "/", &body("nosuchmethod", json!([]), json!(1)));
    assert_error_reply(&r, 404, -32601, "Method not found", json!(1));

    let r = post(&node, "/", &body("getblockhash", json!([42]), json!(2)));
    assert_error_reply(&r, 500, -8, "Block height out of range", json!(2));

    // RPCHelpMan::HandleRequest checks every argument's type first
    // (rpc/util.cpp) and lists the mismatches, indented by 4.
    let r = post(&node, "/", &body("getblockhash", json!(["x"]), json!(3)));
    assert_error_reply(
        &r,
        500,
        -3,
        "Wrong type passed:\n{\n    \"Position 1 (height)\": \
         \"JSON value of type string is not of expected type number\"\n}",
        json!(3),
    );

    // A parse error is RPC_PARSE_ERROR, which JSONErrorReply maps to 500.
    let r = post(&node, "/", b"{\"method\": \"getblockcount\"");
    assert_error_reply(&r, 500, -32700, "Parse error", json!(null));

    // Neither an object nor an array.
    let r = post(&node, "/", b"42");
    assert_error_reply(&r, 500, -32700, "Top-level object parse error", json!(null));

    // A request object without a method is RPC_INVALID_REQUEST: 400.
    let r = post(&node, "/", b"{\"id\": 5}");
    assert_error_reply(&r, 400, -32600, "Missing method", json!(5));
}

#[test]
fn get_is_405_and_unknown_path_is_404() {
    let node = start(options());
    let basic = basic_auth(&node.cookie().unwrap());
    let r = node
        .http()
        .request("GET", "/", &[("Authorization", &basic)], b"")
        .unwrap();
    assert_eq!(r.status, 405);
    assert_eq!(r.body_str(), "JSONRPC server handles only POST requests");

    let r = post(
        &node,
        "/nosuchpath",
        &body("getblockcount", json!([]), json!(1)),
    );
    assert_eq!((r.status, r.body_str()), (404, String::new()));
}

#[test]
fn wallet_endpoint_serves_node_methods() {
    let node = start(options());
    let r = post(
        &node,
        "/wallet/foo",
        &body("getblockcount", json!([]), json!(1)),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"result": 0, "error": null, "id": 1}));
}

/// `-rpcallowip`: loopback is always allowed (InitHTTPAllowList), so a refusal
/// needs a client on a non-loopback address of this machine.
#[test]
fn rpcallowip_refuses_other_sources_with_403() {
    let Some(ip) = local_non_loopback_ipv4() else {
        println!(
            "note: SKIPPED rpcallowip_refuses_other_sources_with_403: no non-loopback IPv4 address"
        );
        return;
    };
    let node = TestNode::start(
        options()
            .arg(format!("-rpcbind={ip}"))
            .arg("-rpcallowip=127.0.0.1")
            .rpc_host(ip.into())
            .no_wait(),
    )
    .unwrap();
    let mut reply = None;
    let answered = poll_until(DEADLINE, || {
        let Some(auth) = node.cookie() else {
            return false;
        };
        reply = HttpClient::connect(node.rpc_addr())
            .and_then(|mut c| c.post("/", &auth, &body("getblockcount", json!([]), json!(1))))
            .ok();
        reply.is_some()
    });
    assert!(answered, "no HTTP answer on {ip}; stderr {}", node.stderr());
    let reply = reply.unwrap();
    assert_eq!((reply.status, reply.body_str()), (403, String::new()));

    // The same client address is let in once it is allowed; and -rpcbind
    // means nothing listens on loopback.
    let mut allowed = start(
        options()
            .arg(format!("-rpcbind={ip}"))
            .arg(format!("-rpcallowip={ip}/32"))
            .rpc_host(ip.into()),
    );
    assert_eq!(allowed.rpc("getblockcount", json!([])), Ok(json!(0)));
    assert!(
        HttpClient::connect(([127, 0, 0, 1], allowed.rpc_port).into()).is_err(),
        "RPC also listens on 127.0.0.1 despite -rpcbind={ip}"
    );
    stop_clean(&mut allowed);
}

#[test]
fn full_work_queue_answers_503() {
    let node = start(options().arg("-rpcworkqueue=1").arg("-rpcthreads=1"));
    let auth = node.cookie().unwrap();
    let addr = node.rpc_addr();
    let replies: Vec<HttpResponse> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let auth = auth.clone();
                s.spawn(move || {
                    HttpClient::connect(addr)
                        .and_then(|mut c| {
                            c.post(
                                "/",
                                &auth,
                                &body("waitfornewblock", json!([2000]), json!(i)),
                            )
                        })
                        .expect("HTTP request")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut served = 0;
    let mut rejected = 0;
    for r in &replies {
        match r.status {
            200 => {
                assert_eq!(
                    r.json()["result"],
                    json!({"hash": REGTEST_GENESIS, "height": 0})
                );
                served += 1;
            }
            503 => {
                assert_eq!(r.body_str(), "Work queue depth exceeded");
                rejected += 1;
            }
            other => panic!("unexpected status {other}: {}", r.body_str()),
        }
    }
    assert!(
        served >= 1 && rejected >= 1,
        "{served} served, {rejected} rejected"
    );
    assert!(node
        .debug_log()
        .contains("WARNING: request rejected because http work queue depth exceeded, it can be increased with the -rpcworkqueue= setting"));
}

#[test]
fn batch_edge_cases() {
    let node = start(options());
    // A non-object item gets its own error with a null id; an empty batch is [].
    let r = post(
        &node,
        "/",
        br#"[1, {"method": "getblockcount", "id": "a"}]"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body_str(),
        "[{\"result\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid Request object\"},\
         \"id\":null},{\"result\":0,\"error\":null,\"id\":\"a\"}]\n"
    );
    let r = post(&node, "/", b"[]");
    assert_eq!((r.status, r.body_str()), (200, "[]\n".to_string()));
}

#[test]
fn request_shape_errors() {
    let node = start(options());
    let r = post(
        &node,
        "/",
        br#"{"method": "getblockcount", "params": "x", "id": 1}"#,
    );
    assert_error_reply(
        &r,
        400,
        -32600,
        "Params must be an array or object",
        json!(1),
    );
    let r = post(&node, "/", br#"{"method": 7, "id": 2}"#);
    assert_error_reply(&r, 400, -32600, "Method must be a string", json!(2));
    // No params at all: treated as [], so getblockhash lacks its argument and
    // answers with its help text as the message (RPC_MISC_ERROR).
    let r = post(&node, "/", br#"{"method": "getblockhash", "id": 3}"#);
    assert_eq!(r.status, 500);
    let reply = r.json();
    assert_eq!(reply["error"]["code"], json!(-1));
    let message = reply["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("getblockhash height\n\nReturns hash of block in best-block-chain at height provided.\n"),
        "{message}"
    );
}

#[test]
fn invalid_rpcallowip_is_an_init_error() {
    let mut node = TestNode::start(options().arg("-rpcallowip=foo").no_wait()).unwrap();
    let status = node.wait_exit().unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        node.stderr(),
        "Error: Invalid -rpcallowip subnet specification: foo. Valid are a single IP (e.g. \
         1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0) or a network/CIDR (e.g. \
         1.2.3.4/24).\nError: Unable to start HTTP server. See debug log for details.\n"
    );
    assert!(node.cookie().is_none());
    assert!(!node.net_dir().join("widecoind.pid").exists());
}

#[test]
fn rpcbind_without_rpcallowip_is_ignored() {
    let mut node = start(options().arg("-rpcbind=192.0.2.77"));
    // Still on loopback (the harness connected there), with Core's warning.
    assert!(node.debug_log().contains(
        "WARNING: option -rpcbind was ignored because -rpcallowip was not specified, \
         refusing to allow everyone to connect\n"
    ));
    stop_clean(&mut node);
}

#[test]
fn rpccookiefile_is_relative_to_the_network_dir() {
    let mut node = TestNode::start(options().arg("-rpccookiefile=sub.cookie").no_wait()).unwrap();
    let path = node.net_dir().join("sub.cookie");
    assert!(
        poll_until(DEADLINE, || path.exists()),
        "no cookie at {}; stderr {}",
        path.display(),
        node.stderr()
    );
    assert!(!node.net_dir().join(".cookie").exists());
    let cookie = fs::read_to_string(&path).unwrap();
    let mut answer = None;
    poll_until(DEADLINE, || {
        answer = Some(node.rpc_as(&cookie, "getblockcount", json!([])));
        !matches!(&answer, Some(Err(e)) if e.code == Some(-28))
    });
    assert_eq!(answer, Some(Ok(json!(0))));
    let (code, stdout, stderr) = node.cli(
        std::path::Path::new(WIDECOIN_CLI),
        &["-rpccookiefile=sub.cookie", "getblockcount"],
    );
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, "0\n", ""));
    assert_eq!(
        node.rpc_as(&cookie, "stop", json!([])),
        Ok(json!("Widecoin Core stopping"))
    );
    assert_eq!(node.wait_exit().unwrap().code(), Some(0));
    assert!(!path.exists(), "cookie left behind after stop");
}

#[test]
fn stop_does_not_wait_for_a_pending_long_poll() {
    let mut node = start(options().arg("-debug=rpc"));
    let auth = node.cookie().unwrap();
    let addr = node.rpc_addr();
    let waiter = std::thread::spawn(move || {
        // Ten minutes: far beyond the harness's deadline for the exit.
        HttpClient::connect(addr)
            .and_then(|mut c| {
                c.post(
                    "/",
                    &auth,
                    &body("waitfornewblock", json!([600_000]), json!(1)),
                )
            })
            .map(|r| (r.status, r.body_str()))
    });
    // The long poll is being executed once the log shows its method line.
    assert!(poll_until(DEADLINE, || node.debug_log().contains(
        "ThreadRPCServer method=waitfornewblock user=__cookie__\n"
    )));
    stop_clean(&mut node);
    let reply = waiter.join().unwrap();
    // Core's waitfornewblock wakes up on shutdown and answers the current tip.
    assert_eq!(
        reply
            .map(|(status, body)| (status, serde_json::from_str::<Value>(&body).ok()))
            .map_err(|e| e.to_string()),
        Ok((
            200,
            Some(json!({"result": {"hash": REGTEST_GENESIS, "height": 0}, "error": null, "id": 1}))
        ))
    );
}

/// Sends raw bytes on a new connection and reads until the server closes it.
fn raw_exchange(node: &TestNode, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(node.rpc_addr()).unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out)
        .expect("server closes the connection");
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn http_methods_versions_and_framing() {
    let node = start(options());
    let basic = basic_auth(&node.cookie().unwrap());
    let request = body("getblockcount", json!([]), json!(1));
    let reply_body = "{\"result\":0,\"error\":null,\"id\":1}\n";

    // A method libevent does not know is refused before any handler (405,
    // empty); PUT is known and reaches the JSON-RPC handler.
    let r = node
        .http()
        .request("FOO", "/", &[("Authorization", &basic)], b"");
    let r = r.unwrap();
    assert_eq!((r.status, r.body_str()), (405, String::new()));
    let r = node
        .http()
        .request("PUT", "/", &[("Authorization", &basic)], &request)
        .unwrap();
    assert_eq!(
        (r.status, r.body_str()),
        (405, "JSONRPC server handles only POST requests".to_string())
    );

    // Connection: close and HTTP/1.0 end the connection after the reply.
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: {basic}\r\n\
         Content-Length: {}\r\n\r\n",
        request.len()
    );
    let reply = raw_exchange(&node, &[head.as_bytes(), &request].concat());
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(reply.ends_with(&format!("\r\n\r\n{reply_body}")), "{reply}");
    let head = format!(
        "POST / HTTP/1.0\r\nAuthorization: {basic}\r\nContent-Length: {}\r\n\r\n",
        request.len()
    );
    let reply = raw_exchange(&node, &[head.as_bytes(), &request].concat());
    assert!(reply.starts_with("HTTP/1.0 200 OK\r\n"), "{reply}");
    assert!(reply.ends_with(&format!("\r\n\r\n{reply_body}")), "{reply}");

    // A chunked request body.
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: {basic}\r\n\
         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n",
        request.len()
    );
    let reply = raw_exchange(
        &node,
        &[head.as_bytes(), &request, b"\r\n0\r\n\r\n"].concat(),
    );
    assert!(reply.ends_with(&format!("\r\n\r\n{reply_body}")), "{reply}");

    // Non-Basic credentials are as good as none.
    let r = node
        .http()
        .request("POST", "/", &[("Authorization", "Bearer abc")], &request)
        .unwrap();
    assert_eq!(r.status, 401);
    // The query string is part of the URI Core matches exactly against "/".
    let r = post(&node, "/?x=1", &request);
    assert_eq!((r.status, r.body_str()), (404, String::new()));
}

#[test]
fn oversized_request_head_gets_400_like_libevent() {
    let mut node = common::start(common::options());
    let long = format!("/{}", "x".repeat(1000));
    // No handler for that path: 404 whatever the method (interface_http.py).
    for method in ["GET", "POST"] {
        let r = node.http().request(method, &long, &[], b"").unwrap();
        assert_eq!(r.status, 404);
    }
    let too_long = format!("/{}", "x".repeat(10_000));
    let r = node.http().request("POST", &too_long, &[], b"").unwrap();
    assert_eq!(r.status, 400);
    common::stop_clean(&mut node);
}
