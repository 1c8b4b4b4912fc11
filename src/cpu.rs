//! CPU-heavy work, kept off the async worker threads. The server runs on a few tokio workers
//! (one per core); a request that computes for seconds on one of them (a JSONata expression over
//! ten million numbers, in forty Map iterations at once) would stall every connection that
//! worker serves, health checks and SQS long polls included.
//!
//! [`run`] hands the calling worker's other tasks to a fresh worker
//! (`tokio::task::block_in_place`) for the duration of the work, and lets at most
//! [`slots`] such computations run at once, so that heavy work takes at most all cores but one
//! and the I/O threads always have a core. Callers use it only for work that has shown it is
//! heavy (see `jsonata::Expression::run_off_workers`): handing off costs microseconds,
//! which cheap work should not pay.

use parking_lot::{Condvar, Mutex};
use std::sync::OnceLock;

/// Runs `work` where it cannot stall the async workers, waiting for a free slot first.
/// On a current-thread runtime (tests) or outside tokio there is no other worker to hand
/// off to, so it runs in place.
pub fn run<T>(work: impl FnOnce() -> T) -> T {
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if !multi_thread {
        return work();
    }
    tokio::task::block_in_place(|| {
        let _slot = Slot::take();
        work()
    })
}

/// How many heavy computations may run at once: every core but one, at least one.
pub fn slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1)
}

/// A counting semaphore for blocking threads. Waiting here blocks a thread that
/// `block_in_place` has already taken out of the async pool, so it stalls no async task;
/// the count is released in `Drop`, so a panicking computation cannot leak its slot, and
/// `notify_one` after every release means no waiter sleeps while a slot is free.
struct Slot;

struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

fn pool() -> &'static Slots {
    static POOL: OnceLock<Slots> = OnceLock::new();
    POOL.get_or_init(|| Slots {
        free: Mutex::new(slots()),
        freed: Condvar::new(),
    })
}

impl Slot {
    fn take() -> Slot {
        let pool = pool();
        let mut free = pool.free.lock();
        while *free == 0 {
            pool.freed.wait(&mut free);
        }
        *free -= 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let pool = pool();
        *pool.free.lock() += 1;
        pool.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_in_place_outside_a_multi_thread_runtime() {
        assert_eq!(run(|| 2 + 2), 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_the_slot_count_run_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(async move {
                    run(|| {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
        assert!(most.load(Ordering::SeqCst) <= slots());
    }
}
