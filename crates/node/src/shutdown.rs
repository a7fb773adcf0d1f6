//! One shutdown signal for the whole node (Core's `StartShutdown` /
//! `ShutdownRequested` / `WaitForShutdown`), set by `stop`, SIGINT, SIGTERM or a
//! fatal error, and the signal-handling thread that feeds it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// A latch: once requested, shutdown stays requested.
#[derive(Default)]
pub struct Shutdown {
    requested: AtomicBool,
    lock: Mutex<()>,
    cond: Condvar,
    listeners: Mutex<Vec<Box<dyn Fn() + Send + Sync>>>,
}

impl Shutdown {
    pub fn new() -> Arc<Self> {
        Arc::new(Shutdown::default())
    }

    /// Requests shutdown; wakes `wait` and calls every listener once.
    pub fn request(&self) {
        if self.requested.swap(true, Ordering::SeqCst) {
            return;
        }
        {
            let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.cond.notify_all();
        }
        for l in self
            .listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            l();
        }
    }

    pub fn is_requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Blocks until shutdown is requested.
    pub fn wait(&self) {
        let mut g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        while !self.is_requested() {
            g = self.cond.wait(g).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Runs `f` when shutdown is requested (e.g. to wake threads blocked in a
    /// wait RPC). Runs it at once if shutdown was already requested.
    pub fn on_request(&self, f: impl Fn() + Send + Sync + 'static) {
        if self.is_requested() {
            f();
            return;
        }
        self.listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::new(f));
    }
}

/// Handles SIGINT and SIGTERM (request shutdown) and SIGHUP (calls `on_hup`,
/// which reopens the debug log) on a thread of its own.
pub fn install_signal_handlers(
    shutdown: Arc<Shutdown>,
    on_hup: impl Fn() + Send + 'static,
) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("sighandler".into())
        .spawn(move || {
            for sig in signals.forever() {
                match sig {
                    SIGHUP => on_hup(),
                    _ => shutdown.request(),
                }
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn request_wakes_waiter_and_listeners_once() {
        let s = Shutdown::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        s.on_request(move || {
            c.fetch_add(1, Ordering::SeqCst);
        });
        let s2 = s.clone();
        let waiter = std::thread::spawn(move || s2.wait());
        s.request();
        s.request();
        waiter.join().unwrap();
        assert!(s.is_requested());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
