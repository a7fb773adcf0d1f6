//! A small blocking HTTP/1.1 client: one POST per connection, as
//! `widecoin-cli` sends with libevent (`CallRPC` in `src/widecoin-cli.cpp`).
//!
//! Failures are reported with libevent's request error codes because Core puts
//! them in its "Could not connect to the server" message.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    pub body: String,
}

/// libevent's `evhttp_request_error`, for failures after the connection was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestError {
    Timeout = 0,
    Eof = 1,
    InvalidHeader = 2,
    BufferError = 3,
}

impl RequestError {
    /// libevent's code, as Core prints it.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// Core's `http_errorstring`.
    pub fn describe(self) -> &'static str {
        match self {
            RequestError::Timeout => "timeout reached",
            RequestError::Eof => "EOF reached",
            RequestError::InvalidHeader => "error while reading header, or invalid header",
            RequestError::BufferError => "error encountered while reading or writing",
        }
    }

    fn from_io(e: &std::io::Error) -> RequestError {
        match e.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => RequestError::Timeout,
            _ => RequestError::Eof,
        }
    }
}

/// No reply: either no connection at all (`None`, as libevent reports a refused
/// connection) or a failure while talking to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoReply(pub Option<RequestError>);

/// One request to send.
pub struct HttpRequest<'a> {
    pub host: &'a str,
    pub port: u16,
    pub path: &'a str,
    /// `user:password`, sent as HTTP Basic authorization.
    pub user_colon_pass: &'a str,
    pub body: &'a str,
    /// Per-operation timeout; `None` waits forever.
    pub timeout: Option<Duration>,
}

/// Sends `req` as a POST and reads the whole reply.
pub fn post(req: &HttpRequest<'_>) -> Result<HttpReply, NoReply> {
    let mut stream = connect(req.host, req.port, req.timeout)?;
    let io_err = |e: std::io::Error| NoReply(Some(RequestError::from_io(&e)));
    stream.set_read_timeout(req.timeout).map_err(io_err)?;
    stream.set_write_timeout(req.timeout).map_err(io_err)?;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Authorization: Basic {}\r\nContent-Length: {}\r\n\r\n",
        req.path,
        req.host,
        base64_encode(req.user_colon_pass.as_bytes()),
        req.body.len()
    );
    stream.write_all(head.as_bytes()).map_err(io_err)?;
    stream.write_all(req.body.as_bytes()).map_err(io_err)?;
    stream.flush().map_err(io_err)?;
    read_reply(BufReader::new(stream)).map_err(|e| NoReply(Some(e)))
}

fn connect(host: &str, port: u16, timeout: Option<Duration>) -> Result<TcpStream, NoReply> {
    let addrs = (host, port).to_socket_addrs().map_err(|_| NoReply(None))?;
    for addr in addrs {
        let attempt = match timeout {
            Some(t) => TcpStream::connect_timeout(&addr, t),
            None => TcpStream::connect(addr),
        };
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                return Err(NoReply(Some(RequestError::Timeout)))
            }
            Err(_) => continue,
        }
    }
    Err(NoReply(None))
}

fn base64_encode(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn read_line<R: BufRead>(r: &mut R) -> Result<String, RequestError> {
    let mut line = Vec::new();
    let n = r
        .read_until(b'\n', &mut line)
        .map_err(|e| RequestError::from_io(&e))?;
    if n == 0 || line.last() != Some(&b'\n') {
        return Err(RequestError::Eof);
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| RequestError::InvalidHeader)
}

/// Reads a status line, headers and a body framed by `Content-Length`,
/// chunked encoding, or the end of the connection.
fn read_reply<R: BufRead>(mut r: R) -> Result<HttpReply, RequestError> {
    let status_line = read_line(&mut r)?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/") {
        return Err(RequestError::InvalidHeader);
    }
    let status: u16 = parts
        .next()
        .and_then(|code| code.parse().ok())
        .ok_or(RequestError::InvalidHeader)?;
    let mut content_length = None;
    let mut chunked = false;
    loop {
        let line = read_line(&mut r)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or(RequestError::InvalidHeader)?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| RequestError::InvalidHeader)?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let size_line = read_line(&mut r)?;
            let size_text = size_line.split(';').next().unwrap_or_default().trim();
            let size =
                usize::from_str_radix(size_text, 16).map_err(|_| RequestError::InvalidHeader)?;
            if size == 0 {
                // Trailers until the blank line; a missing one is tolerated.
                while let Ok(line) = read_line(&mut r) {
                    if line.is_empty() {
                        break;
                    }
                }
                break;
            }
            read_exact(&mut r, size, &mut body)?;
            read_line(&mut r)?;
        }
    } else if let Some(len) = content_length {
        read_exact(&mut r, len, &mut body)?;
    } else {
        r.read_to_end(&mut body)
            .map_err(|e| RequestError::from_io(&e))?;
    }
    Ok(HttpReply {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn read_exact<R: Read>(r: &mut R, len: usize, out: &mut Vec<u8>) -> Result<(), RequestError> {
    let start = out.len();
    out.resize(start + len, 0);
    r.read_exact(&mut out[start..])
        .map_err(|e| RequestError::from_io(&e))
}

/// Percent-encodes a wallet name for the `/wallet/<name>` endpoint like
/// libevent's `evhttp_uriencode(.., false)`: only `A-Z a-z 0-9 - . _ ~` are
/// kept, every other byte becomes `%XX` in upper-case hex.
pub fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encoding_like_libevent() {
        assert_eq!(uri_encode("w1"), "w1");
        assert_eq!(uri_encode(""), "");
        assert_eq!(uri_encode("my wallet/x"), "my%20wallet%2Fx");
        assert_eq!(uri_encode("a-b.c_d~e+f"), "a-b.c_d~e%2Bf");
        assert_eq!(uri_encode("é"), "%C3%A9");
        assert_eq!(uri_encode("%"), "%25");
    }

    #[test]
    fn reads_content_length_chunked_and_eof_bodies() {
        let r = read_reply(&b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef"[..]).unwrap();
        assert_eq!((r.status, r.body.as_str()), (200, "abc"));
        let r = read_reply(
            &b"HTTP/1.1 500 Internal\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n1;x=y\r\nc\r\n0\r\n\r\n"
                [..],
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_str()), (500, "abc"));
        let r = read_reply(&b"HTTP/1.0 503 Busy\r\n\r\nWork queue depth exceeded"[..]).unwrap();
        assert_eq!(
            (r.status, r.body.as_str()),
            (503, "Work queue depth exceeded")
        );
    }

    #[test]
    fn malformed_or_truncated_replies() {
        assert_eq!(read_reply(&b""[..]), Err(RequestError::Eof));
        assert_eq!(
            read_reply(&b"garbage\r\n\r\n"[..]),
            Err(RequestError::InvalidHeader)
        );
        assert_eq!(
            read_reply(&b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"[..]),
            Err(RequestError::Eof)
        );
        assert_eq!(RequestError::Eof.describe(), "EOF reached");
    }
}
