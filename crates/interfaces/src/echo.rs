//! `Echo`: the smallest interface, used by the `echoipc` RPC and by tests to
//! prove a round trip across a process boundary.

use crate::error::IpcError;

/// Returns its argument unchanged.
pub trait Echo: Send + Sync {
    /// `text` back, or why the call failed (over IPC: a dead peer).
    fn echo(&self, text: &str) -> Result<String, IpcError>;

    /// Is `method` (its name in the schema, e.g. `"echo"`) cheap in this
    /// implementation: it returns promptly, never blocks, never calls through
    /// IPC and takes no lock that a caller could hold while waiting for an
    /// IPC answer? An IPC server then runs it on its event-loop thread
    /// instead of a worker thread, saving two thread hand-offs per call.
    /// The default is no; a proxy must never say yes.
    fn runs_inline(&self, method: &str) -> bool {
        let _ = method;
        false
    }
}

/// The in-process implementation.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalEcho;

impl Echo for LocalEcho {
    fn echo(&self, text: &str) -> Result<String, IpcError> {
        Ok(text.to_string())
    }

    /// Copying a string is cheap.
    fn runs_inline(&self, method: &str) -> bool {
        method == "echo"
    }
}

/// The behaviour every [`Echo`] must have, in-process or over IPC: one suite,
/// run against each implementation (see the `ipc` crate's tests and
/// `bin/tests/ipc_echo.rs`). Each function panics on a failure.
pub mod conformance {
    use super::Echo;

    /// Runs every check below.
    pub fn run_all(echo: &dyn Echo) {
        round_trips(echo);
        concurrent_callers(echo, 8);
    }

    /// The empty string, ASCII, non-ASCII (multi-byte UTF-8, a NUL) and 1 MiB
    /// come back unchanged.
    pub fn round_trips(echo: &dyn Echo) {
        for text in [
            "",
            "x",
            "hello world",
            "héllo wörld ☃ 𝄞 日本語",
            "nul\0inside\n\"quoted\"",
        ] {
            assert_eq!(echo.echo(text).expect("echo"), text, "echo of {text:?}");
        }
        let big: String = (0..1 << 20)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        assert_eq!(big.len(), 1 << 20);
        let back = echo.echo(&big).expect("echo of 1 MiB");
        assert!(
            back == big,
            "1 MiB echo came back different ({} bytes)",
            back.len()
        );
    }

    /// `threads` threads calling at once each get their own answers.
    pub fn concurrent_callers(echo: &dyn Echo, threads: usize) {
        std::thread::scope(|s| {
            for t in 0..threads {
                s.spawn(move || {
                    for i in 0..50 {
                        let text = format!("thread {t} call {i}");
                        assert_eq!(echo.echo(&text).expect("echo"), text);
                    }
                });
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_echo_conforms() {
        conformance::run_all(&LocalEcho);
    }
}
