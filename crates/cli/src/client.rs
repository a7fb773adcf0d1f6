//! Sending one request to the node and classifying the answer (Core's
//! `CallRPC` and `ConnectAndCallRPC`, `src/widecoin-cli.cpp`).

use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::error::CliError;
use crate::handlers::RequestHandler;
use crate::http::{self, HttpRequest, NoReply};
use crate::univalue::UniValue;

/// `RPC_IN_WARMUP`: retried under `-rpcwait`.
pub const RPC_IN_WARMUP: i32 = -28;

/// Reads the first line of the cookie file (`user:password`), as
/// `GetAuthCookie` does; `None` when the file cannot be opened.
pub fn read_cookie(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut line = Vec::new();
    std::io::BufReader::new(file)
        .read_until(b'\n', &mut line)
        .ok()?;
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}

/// Talks to the node with the settings of one run.
pub struct RpcClient<'a> {
    pub config: &'a Config,
}

impl<'a> RpcClient<'a> {
    pub fn new(config: &'a Config) -> Self {
        RpcClient { config }
    }

    /// One request and its processed reply (`CallRPC`).
    pub fn call(
        &self,
        rh: &mut dyn RequestHandler,
        method: &str,
        args: &[String],
        rpcwallet: Option<&str>,
    ) -> Result<UniValue, CliError> {
        let c = self.config;
        let mut failed_cookie = false;
        let user_colon_pass = if c.rpcpassword.is_empty() {
            // Without a password, fall back to the cookie file.
            read_cookie(&c.cookie_file).unwrap_or_else(|| {
                failed_cookie = true;
                String::new()
            })
        } else {
            format!("{}:{}", c.rpcuser, c.rpcpassword)
        };
        let body = rh.prepare_request(method, args)?.write() + "\n";
        let path = match rpcwallet {
            Some(name) => format!("/wallet/{}", http::uri_encode(name)),
            None => "/".to_owned(),
        };
        let timeout = u64::try_from(c.rpcclienttimeout)
            .ok()
            .filter(|&t| t > 0)
            .map(Duration::from_secs);
        let request = HttpRequest {
            host: &c.host,
            port: c.port,
            path: &path,
            user_colon_pass: &user_colon_pass,
            body: &body,
            timeout,
        };
        let reply = http::post(&request).map_err(|NoReply(err)| {
            let detail = err
                .map(|e| format!(" (error code {} - \"{}\")", e.code(), e.describe()))
                .unwrap_or_default();
            CliError::ConnectionFailed(format!(
                "Could not connect to the server {}:{}{}\n\nMake sure the widecoind server is running and that you are connecting to the correct RPC port.",
                c.host, c.port, detail
            ))
        })?;
        match reply.status {
            401 if failed_cookie => {
                return Err(CliError::runtime(format!(
                    "Could not locate RPC credentials. No authentication cookie could be found, and RPC password is not set.  See -rpcpassword and -stdinrpcpass.  Configuration file: ({})",
                    c.config_file.display()
                )))
            }
            401 => {
                return Err(CliError::runtime(
                    "Authorization failed: Incorrect rpcuser or rpcpassword",
                ))
            }
            503 => return Err(CliError::runtime(format!("Server response: {}", reply.body))),
            s if s > 400 && s != 404 && s != 500 => {
                return Err(CliError::runtime(format!("server returned HTTP error {s}")))
            }
            _ if reply.body.is_empty() => {
                return Err(CliError::runtime("no response from server"));
            }
            _ => {}
        }
        let value = UniValue::read(&reply.body)
            .ok_or_else(|| CliError::runtime("couldn't parse reply from server"))?;
        let processed = rh.process_reply(value)?;
        if processed.is_empty() {
            return Err(CliError::runtime(
                "expected reply to have result, error and id properties",
            ));
        }
        Ok(processed)
    }

    /// [`RpcClient::call`], retried under `-rpcwait` while the server cannot be
    /// reached or is warming up (`ConnectAndCallRPC`).
    pub fn connect_and_call(
        &self,
        rh: &mut dyn RequestHandler,
        method: &str,
        args: &[String],
        rpcwallet: Option<&str>,
    ) -> Result<UniValue, CliError> {
        let wait = self.config.rpcwait;
        let timeout = self.config.rpcwaittimeout;
        let deadline = Instant::now()
            .checked_add(Duration::from_secs(timeout.max(0) as u64))
            .unwrap_or_else(Instant::now);
        loop {
            let attempt = self.call(rh, method, args, rpcwallet).and_then(|reply| {
                if wait {
                    let error = reply.get("error");
                    if !error.is_null() && error.get("code").get_int::<i32>()? == RPC_IN_WARMUP {
                        return Err(CliError::ConnectionFailed("server in warmup".into()));
                    }
                }
                Ok(reply)
            });
            match attempt {
                Err(CliError::ConnectionFailed(msg)) => {
                    if wait && (timeout <= 0 || Instant::now() < deadline) {
                        std::thread::sleep(self.config.retry_delay);
                    } else {
                        return Err(CliError::ConnectionFailed(format!(
                            "timeout on transient error: {msg}"
                        )));
                    }
                }
                other => return other,
            }
        }
    }
}
