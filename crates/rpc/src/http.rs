//! The HTTP side of the server (Core's `http_request_cb` and the libevent
//! loop, `src/httpserver.cpp`): accepting connections, HTTP/1.1 keep-alive,
//! the allow list, URI routing, body limits, the idle timeout, and handing
//! each request to the work queue.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

use crate::jsonrpc::{HttpReply, HttpRequestData, JsonRpcEndpoint};
use crate::netaddr::SubNet;
use crate::request::WALLET_ENDPOINT_BASE;
use crate::workqueue::WorkQueue;

/// Maximum size of the request line and headers (`MAX_HEADERS_SIZE`).
pub(crate) const MAX_HEADERS_SIZE: usize = 8192;
/// What hyper may buffer while reading a request head; heads above
/// `MAX_HEADERS_SIZE` are refused with 400 by `handle_request`.
const HYPER_READ_LIMIT: usize = 64 * 1024;

/// Bytes of the request line and header block, as libevent counts them
/// against `MAX_HEADERS_SIZE`.
fn head_size<B>(req: &Request<B>) -> usize {
    let line = req.method().as_str().len() + req.uri().to_string().len() + 12;
    req.headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum::<usize>()
        + line
}
/// Maximum body size (`MAX_SIZE`, 32 MiB).
pub(crate) const MAX_BODY_SIZE: usize = 0x0200_0000;

/// libevent's default content type for replies that set none.
const DEFAULT_CONTENT_TYPE: &str = "text/html; charset=ISO-8859-1";

/// What connections share.
pub(crate) struct HttpShared {
    pub endpoint: Arc<JsonRpcEndpoint>,
    pub queue: Arc<WorkQueue>,
    pub allow: Vec<SubNet>,
    pub wallet_endpoint: bool,
    pub timeout: Duration,
    /// Set by `interrupt()`: new requests get 503.
    pub interrupted: AtomicBool,
    /// Open connections, and a wake-up when one closes.
    connections: AtomicUsize,
    closed: Notify,
}

impl HttpShared {
    pub(crate) fn new(
        endpoint: Arc<JsonRpcEndpoint>,
        queue: Arc<WorkQueue>,
        allow: Vec<SubNet>,
        wallet_endpoint: bool,
        timeout: Duration,
    ) -> Self {
        HttpShared {
            endpoint,
            queue,
            allow,
            wallet_endpoint,
            timeout,
            interrupted: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            closed: Notify::new(),
        }
    }

    fn client_allowed(&self, peer: &SocketAddr) -> bool {
        self.allow.iter().any(|s| s.matches(peer.ip()))
    }
}

/// The accept loops; returns once `shutdown` fires and every connection
/// has finished its in-flight requests.
pub(crate) async fn serve(
    listeners: Vec<TcpListener>,
    shared: Arc<HttpShared>,
    shutdown: watch::Receiver<bool>,
) {
    tracing::debug!(target: "http", "Entering http event loop");
    let mut accepts = Vec::new();
    for listener in listeners {
        let (shared, mut shutdown) = (shared.clone(), shutdown.clone());
        let for_connections = shutdown.clone();
        accepts.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, peer)) => {
                            shared.connections.fetch_add(1, Ordering::SeqCst);
                            let (shared, shutdown) = (shared.clone(), for_connections.clone());
                            tokio::spawn(async move {
                                serve_connection(stream, peer, shared.clone(), shutdown).await;
                                shared.connections.fetch_sub(1, Ordering::SeqCst);
                                shared.closed.notify_waiters();
                            });
                        }
                        Err(e) => {
                            tracing::debug!(target: "http", "accept failed: {e}");
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    },
                    _ = async { shutdown.wait_for(|stop| *stop).await.map(|_| ()) } => break,
                }
            }
        }));
    }
    for a in accepts {
        let _ = a.await;
    }
    loop {
        let notified = shared.closed.notified();
        let n = shared.connections.load(Ordering::SeqCst);
        if n == 0 {
            break;
        }
        tracing::debug!(target: "http", "Waiting for {n} connections to stop HTTP server");
        notified.await;
    }
    tracing::debug!(target: "http", "Exited http event loop");
}

/// Last I/O time and requests being handled, for the idle timeout.
struct Activity {
    last: Mutex<Instant>,
    in_flight: AtomicUsize,
}

impl Activity {
    fn touch(&self) {
        *self.last.lock() = Instant::now();
    }
}

struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(a: &Arc<Activity>) -> Self {
        a.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(a.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A socket that records when bytes last moved.
struct ActivityIo {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for ActivityIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl AsyncWrite for ActivityIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<HttpShared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity {
        last: Mutex::new(Instant::now()),
        in_flight: AtomicUsize::new(0),
    });
    let io = TokioIo::new(ActivityIo {
        inner: stream,
        activity: activity.clone(),
    });
    let svc_shared = shared.clone();
    let svc_activity = activity.clone();
    let service = hyper::service::service_fn(move |req| {
        let (shared, activity) = (svc_shared.clone(), svc_activity.clone());
        async move { Ok::<_, Infallible>(handle_request(req, peer, shared, activity).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .title_case_headers(true)
        // Leave hyper room to read an oversized request line or header
        // block, so it is answered 400 as libevent does, not 431.
        .max_buf_size(HYPER_READ_LIMIT)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        if !closing && *shutdown.borrow() {
            closing = true;
            conn.as_mut().graceful_shutdown();
        }
        let idle_deadline = *activity.last.lock() + shared.timeout;
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!(target: "http", "connection from {peer} closed: {e}");
                }
                return;
            }
            _ = shutdown.changed(), if !closing => {}
            _ = tokio::time::sleep_until(idle_deadline.into()) => {
                let idle = activity.last.lock().elapsed() >= shared.timeout;
                if idle && activity.in_flight.load(Ordering::SeqCst) == 0 {
                    tracing::debug!(target: "http", "closing idle connection from {peer}");
                    return;
                }
                if idle {
                    // A request is running: wait a whole timeout again.
                    activity.touch();
                }
            }
        }
    }
}

/// `SanitizeString` with `SAFE_CHARS_URI`.
fn sanitize_uri(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || "!*'();:@&=+$,/?#[]-_.~%".contains(*c))
        .take(100)
        .collect()
}

/// libevent's `evhttp_send_error` page.
fn error_page(status: u16) -> String {
    let reason = hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    format!("<HTML><HEAD>\n<TITLE>{status} {reason}</TITLE>\n</HEAD><BODY>\n<H1>{reason}</H1>\n</BODY></HTML>\n")
}

fn to_response(reply: HttpReply, close: bool) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(reply.status);
    let mut has_content_type = false;
    for (name, value) in &reply.headers {
        has_content_type |= name.eq_ignore_ascii_case("content-type");
        builder = builder.header(*name, value.as_str());
    }
    if !has_content_type {
        builder = builder.header("Content-Type", DEFAULT_CONTENT_TYPE);
    }
    if close {
        builder = builder.header("Connection", "close");
    }
    builder
        .body(Full::new(Bytes::from(reply.body)))
        .expect("status and headers are valid")
}

async fn handle_request(
    req: Request<Incoming>,
    peer: SocketAddr,
    shared: Arc<HttpShared>,
    activity: Arc<Activity>,
) -> Response<Full<Bytes>> {
    let _busy = InFlight::new(&activity);
    if head_size(&req) > MAX_HEADERS_SIZE {
        tracing::debug!(target: "http", "HTTP request from {peer} rejected: request line and headers over {MAX_HEADERS_SIZE} bytes");
        let mut reply = HttpReply::plain(400, &error_page(400));
        reply.headers.push(("Content-Type", "text/html".into()));
        return to_response(reply, true);
    }
    let close = shared.endpoint.table.is_shutdown_requested();
    if shared.interrupted.load(Ordering::SeqCst) {
        tracing::debug!(target: "http", "Rejecting request while shutting down");
        let mut reply = HttpReply::plain(503, &error_page(503));
        reply.headers.push(("Content-Type", "text/html".into()));
        return to_response(reply, true);
    }
    if !shared.client_allowed(&peer) {
        tracing::debug!(target: "http", "HTTP request from {peer} rejected: Client network is not allowed RPC access");
        return to_response(HttpReply::plain(403, ""), close);
    }
    let method = req.method().clone();
    if ![Method::GET, Method::POST, Method::HEAD, Method::PUT].contains(&method) {
        tracing::debug!(target: "http", "HTTP request from {peer} rejected: Unknown HTTP request method");
        return to_response(HttpReply::plain(405, ""), close);
    }
    let uri = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().to_string(), |p| p.as_str().to_string());
    let method_name = if method == Method::PUT {
        "PUT"
    } else {
        method.as_str()
    };
    tracing::debug!(target: "http", "Received a {method_name} request for {} from {peer}", sanitize_uri(&uri));

    let routed = uri == "/" || (shared.wallet_endpoint && uri.starts_with(WALLET_ENDPOINT_BASE));
    if !routed {
        return to_response(HttpReply::plain(404, ""), close);
    }
    let authorization = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let body = match Limited::new(req.into_body(), MAX_BODY_SIZE).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            let mut reply = HttpReply::plain(413, &error_page(413));
            reply.headers.push(("Content-Type", "text/html".into()));
            return to_response(reply, true);
        }
        Err(_) => return to_response(HttpReply::plain(400, &error_page(400)), true),
    };

    let data = HttpRequestData {
        method,
        uri,
        authorization,
        body,
        peer,
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let endpoint = shared.endpoint.clone();
    let job = Box::new(move || {
        let _ = tx.send(endpoint.handle(data));
    });
    if shared.queue.enqueue(job).is_err() {
        tracing::info!("WARNING: request rejected because http work queue depth exceeded, it can be increased with the -rpcworkqueue= setting");
        return to_response(HttpReply::plain(503, "Work queue depth exceeded"), close);
    }
    let reply = rx
        .await
        .unwrap_or_else(|_| HttpReply::plain(500, "Unhandled request"));
    let close = shared.endpoint.table.is_shutdown_requested();
    to_response(reply, close)
}
