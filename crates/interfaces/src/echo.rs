//! `Echo`: the smallest interface, used by the `echoipc` RPC and by tests to
//! prove a round trip across a process boundary.

/// Returns its argument unchanged.
pub trait Echo: Send + Sync {
    fn echo(&self, text: &str) -> String;
}

/// The in-process implementation.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalEcho;

impl Echo for LocalEcho {
    fn echo(&self, text: &str) -> String {
        text.to_string()
    }
}
