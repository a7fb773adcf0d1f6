//! `-debug=ipc` lines: one per request and per response, naming the process,
//! thread, request number, interface and method; contents only at trace
//! level, escaped and cut (libmultiprocess's `IPC client send ...` lines).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// How many characters of a message's contents a trace line shows.
pub(crate) const MAX_CONTENT_CHARS: usize = 200;

static CLIENT_SEQ: AtomicU64 = AtomicU64::new(1);
static SERVER_SEQ: AtomicU64 = AtomicU64::new(1);

/// This process's name for the log: the file name of its executable.
pub(crate) fn process_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        std::env::args_os()
            .next()
            .and_then(|a| {
                std::path::Path::new(&a)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "widecoin".to_string())
    })
}

/// `{<process>-<pid>/b-<thread>}`: the thread as the operating system knows
/// it in Core, which prefixes the names of its threads with `b-` (so the
/// loop thread is `b-capnp-loop`, as in libmultiprocess's lines).
pub(crate) fn tag() -> String {
    let thread = std::thread::current();
    format!(
        "{{{}-{}/b-{}}}",
        process_name(),
        std::process::id(),
        thread.name().unwrap_or("unnamed")
    )
}

/// `text` escaped (non-printable and non-ASCII as Rust escapes) and cut to
/// [`MAX_CONTENT_CHARS`] characters of the original, quoted.
pub(crate) fn escape_contents(text: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = text.chars();
    for c in chars.by_ref().take(MAX_CONTENT_CHARS) {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    out.push('"');
    if chars.next().is_some() {
        let _ = write!(out, "... ({} bytes)", text.len());
    }
    out
}

/// Whether `ipc` trace lines are wanted. Asked as an event (not the
/// default "hint" kind), which is what Widecoin's log layer answers for.
fn trace_enabled() -> bool {
    tracing::enabled!(kind: tracing::metadata::Kind::EVENT, target: "ipc", tracing::Level::TRACE)
}

/// Which side and direction a line describes.
#[derive(Clone, Copy)]
pub(crate) enum Event {
    ClientSendRequest,
    ClientRecvResponse,
    ServerRecvRequest,
    ServerSendResponse,
}

impl Event {
    fn as_str(self) -> &'static str {
        match self {
            Event::ClientSendRequest => "IPC client send request",
            Event::ClientRecvResponse => "IPC client recv response",
            Event::ServerRecvRequest => "IPC server recv request",
            Event::ServerSendResponse => "IPC server send response",
        }
    }
}

/// A new request number for a call this process makes.
pub(crate) fn next_client_seq() -> u64 {
    CLIENT_SEQ.fetch_add(1, Ordering::Relaxed)
}

/// A new request number for a call this process serves.
pub(crate) fn next_server_seq() -> u64 {
    SERVER_SEQ.fetch_add(1, Ordering::Relaxed)
}

/// Logs one line: at debug level without contents, or at trace level with
/// `contents()` (only evaluated then).
pub(crate) fn log(event: Event, seq: u64, method: &str, contents: impl FnOnce() -> String) {
    if trace_enabled() {
        let contents = contents();
        let sep = if contents.is_empty() { "" } else { " " };
        tracing::trace!(target: "ipc", "{} {} #{} {}{}{}", tag(), event.as_str(), seq, method, sep, contents);
    } else {
        tracing::debug!(target: "ipc", "{} {} #{} {}", tag(), event.as_str(), seq, method);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_are_escaped_and_cut() {
        assert_eq!(escape_contents(""), "\"\"");
        assert_eq!(
            escape_contents("a\"b\\\n\0é"),
            "\"a\\\"b\\\\\\n\\u{0}\\u{e9}\""
        );
        let long = "x".repeat(1000);
        let e = escape_contents(&long);
        assert_eq!(
            e,
            format!("\"{}\"... (1000 bytes)", "x".repeat(MAX_CONTENT_CHARS))
        );
        // Exactly the limit is not cut.
        assert!(!escape_contents(&"y".repeat(MAX_CONTENT_CHARS)).contains("..."));
    }
}
