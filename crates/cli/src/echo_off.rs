//! Core's `NO_STDIN_ECHO`: while a password is read from a terminal, the
//! terminal does not echo it. Does nothing when stdin is not a terminal.

use std::io::IsTerminal;

use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg, Termios};

/// Restores the terminal's echo when dropped.
pub struct NoStdinEcho {
    saved: Option<Termios>,
}

impl NoStdinEcho {
    pub fn new() -> Self {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return NoStdinEcho { saved: None };
        }
        let Ok(saved) = tcgetattr(&stdin) else {
            return NoStdinEcho { saved: None };
        };
        let mut quiet = saved.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        if tcsetattr(&stdin, SetArg::TCSANOW, &quiet).is_err() {
            return NoStdinEcho { saved: None };
        }
        NoStdinEcho { saved: Some(saved) }
    }
}

impl Default for NoStdinEcho {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for NoStdinEcho {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = tcsetattr(std::io::stdin(), SetArg::TCSANOW, saved);
        }
    }
}
