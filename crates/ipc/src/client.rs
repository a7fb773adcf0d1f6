//! Proxies: `Send + Sync` implementations of the `widecoin-interfaces` traits
//! that forward each call over a [`Connection`].

use widecoin_interfaces::{Echo, Init, IpcError};

use crate::common_capnp::remote_error;
use crate::connection::{capnp_error, Connection, LocalFuture};
use crate::echo_capnp::echo;
use crate::log::{escape_contents, log, next_client_seq, Event};

fn remote_error(e: remote_error::Reader<'_>) -> IpcError {
    IpcError::Remote {
        code: e.get_code(),
        message: e
            .get_message()
            .ok()
            .and_then(|m| m.to_string().ok())
            .unwrap_or_default(),
    }
}

fn utf8(e: std::str::Utf8Error) -> IpcError {
    IpcError::Transport(format!("invalid UTF-8 in IPC text: {e}"))
}

/// The peer's [`Init`], as a proxy.
#[derive(Debug, Clone)]
pub struct InitClient {
    conn: Connection,
}

impl InitClient {
    /// The `Init` served by the other end of `conn`.
    pub fn new(conn: Connection) -> InitClient {
        InitClient { conn }
    }

    /// The connection this proxy calls through.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

impl Init for InitClient {
    fn make_echo(&self) -> Result<Box<dyn Echo>, IpcError> {
        let seq = next_client_seq();
        log(Event::ClientSendRequest, seq, "Init.makeEcho", String::new);
        let id = self.conn.call(|ctx| -> LocalFuture<Result<u64, IpcError>> {
            let request = ctx.remote_init.make_echo_request();
            let ctx_caps = ctx.cap_registry();
            Box::pin(async move {
                let response = request.send().promise.await.map_err(capnp_error)?;
                let results = response.get().map_err(capnp_error)?;
                if results.has_error() {
                    return Err(remote_error(results.get_error().map_err(capnp_error)?));
                }
                let echo: echo::Client = results.get_result().map_err(capnp_error)?;
                Ok(ctx_caps.add(echo.client))
            })
        });
        log(
            Event::ClientRecvResponse,
            seq,
            "Init.makeEcho",
            || match &id {
                Ok(_) => String::new(),
                Err(e) => e.to_string(),
            },
        );
        Ok(Box::new(EchoClient {
            conn: self.conn.clone(),
            id: id?,
        }))
    }
}

/// A remote [`Echo`], as a proxy.
#[derive(Debug)]
pub struct EchoClient {
    conn: Connection,
    id: u64,
}

impl Echo for EchoClient {
    fn echo(&self, text: &str) -> Result<String, IpcError> {
        let seq = next_client_seq();
        log(Event::ClientSendRequest, seq, "Echo.echo", || {
            escape_contents(text)
        });
        let id = self.id;
        let text = text.to_owned();
        let answer = self
            .conn
            .call(move |ctx| -> LocalFuture<Result<String, IpcError>> {
                let client: Option<echo::Client> = ctx.cap(id);
                Box::pin(async move {
                    let client = client.ok_or(IpcError::Disconnected)?;
                    let mut request = client.echo_request();
                    request.get().set_text(&text[..]);
                    let response = request.send().promise.await.map_err(capnp_error)?;
                    let results = response.get().map_err(capnp_error)?;
                    if results.has_error() {
                        return Err(remote_error(results.get_error().map_err(capnp_error)?));
                    }
                    results
                        .get_result()
                        .map_err(capnp_error)?
                        .to_string()
                        .map_err(utf8)
                })
            });
        log(
            Event::ClientRecvResponse,
            seq,
            "Echo.echo",
            || match &answer {
                Ok(back) => escape_contents(back),
                Err(e) => e.to_string(),
            },
        );
        answer
    }
}

impl Drop for EchoClient {
    fn drop(&mut self) {
        let id = self.id;
        // Releases the remote object; nothing to do if the connection is gone.
        let _ = self.conn.post(Box::new(move |ctx| ctx.release_cap(id)));
    }
}
