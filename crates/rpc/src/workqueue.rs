//! The bounded queue of HTTP work items and its worker threads (Core's
//! `WorkQueue` and `HTTPWorkQueueRun`, `src/httpserver.cpp`).
//!
//! Requests are executed here, never on the I/O runtime, so a long call
//! (`waitfornewblock`) occupies a worker and a full queue is refused with
//! 503 "Work queue depth exceeded".

use std::collections::VecDeque;
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};

/// A unit of work.
pub(crate) type WorkItem = Box<dyn FnOnce() + Send>;

struct State {
    queue: VecDeque<WorkItem>,
    running: bool,
}

/// A FIFO of at most `max_depth` waiting items.
pub(crate) struct WorkQueue {
    state: Mutex<State>,
    cond: Condvar,
    max_depth: usize,
}

impl WorkQueue {
    pub(crate) fn new(max_depth: usize) -> Arc<Self> {
        Arc::new(WorkQueue {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                running: true,
            }),
            cond: Condvar::new(),
            max_depth: max_depth.max(1),
        })
    }

    /// Queues `item`; gives it back when the queue is full or interrupted.
    pub(crate) fn enqueue(&self, item: WorkItem) -> Result<(), WorkItem> {
        let mut state = self.state.lock();
        if !state.running || state.queue.len() >= self.max_depth {
            return Err(item);
        }
        state.queue.push_back(item);
        self.cond.notify_one();
        Ok(())
    }

    /// The worker loop: runs items until interrupted and drained.
    fn run(&self) {
        loop {
            let item = {
                let mut state = self.state.lock();
                while state.running && state.queue.is_empty() {
                    self.cond.wait(&mut state);
                }
                match state.queue.pop_front() {
                    Some(item) => item,
                    None => break,
                }
            };
            // A panicking item must not take the worker with it; its reply
            // channel is dropped and the client gets "Unhandled request".
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(item));
        }
    }

    /// Stops accepting items; workers exit once the queue is empty.
    pub(crate) fn interrupt(&self) {
        self.state.lock().running = false;
        self.cond.notify_all();
    }

    /// Starts `threads` workers named `httpworker.N`.
    pub(crate) fn spawn_workers(
        self: &Arc<Self>,
        threads: usize,
    ) -> std::io::Result<Vec<JoinHandle<()>>> {
        (0..threads.max(1))
            .map(|i| {
                let queue = self.clone();
                std::thread::Builder::new()
                    .name(format!("httpworker.{i}"))
                    .spawn(move || queue.run())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn bounded_and_drained_on_interrupt() {
        let q = WorkQueue::new(1);
        let (tx, rx) = mpsc::channel();
        let (gate_tx, gate_rx) = mpsc::channel::<()>();
        let gate_rx = Arc::new(std::sync::Mutex::new(gate_rx));
        // No workers yet: the first item fills the queue, the second is refused.
        let g = gate_rx.clone();
        let t1 = tx.clone();
        assert!(q
            .enqueue(Box::new(move || {
                g.lock().unwrap().recv().unwrap();
                t1.send(1).unwrap();
            }))
            .is_ok());
        let t2 = tx.clone();
        assert!(q.enqueue(Box::new(move || t2.send(2).unwrap())).is_err());
        let workers = q.spawn_workers(1).unwrap();
        gate_tx.send(()).unwrap();
        assert_eq!(rx.recv().unwrap(), 1);
        q.interrupt();
        assert!(q.enqueue(Box::new(|| {})).is_err());
        for w in workers {
            w.join().unwrap();
        }
    }
}
