//! All queues, per (account, region), and the few service-wide counters.
//!
//! Locking: the map of queues is a `parking_lot::RwLock` (every request reads it to find its
//! queue; only Create/DeleteQueue write). Each queue has its own `parking_lot::Mutex` around
//! its state, so traffic on different queues never contends. Rules that keep this deadlock
//! free: the map lock is never held while a queue lock is taken (callers clone the `Arc<Queue>`
//! out first), at most one queue lock is held at a time (moving a message between queues
//! takes it out under one lock, releases, then locks the other), and no lock is held across
//! an `.await`.
//!
//! Why not a sharded concurrent map (`dashmap`) for the queue map: requests only read it, to
//! clone one queue's `Arc` out, so the `RwLock` is never held long or contended by writers;
//! and a hot queue's requests all look up the same key, which a sharded map would put in one
//! shard behind one lock all the same. What orders a queue's traffic is its own `Mutex`, which
//! any map would keep. (SendMessage at 32 connections measured 0.86 of the bare hyper ceiling
//! with this design, on 2 shared cores.)

use super::move_task::MoveTasks;
use super::queue::QueueState;
use super::queue_url::QueueLocation;
use super::state_lock::{DurableQueue, StateLock};
use parking_lot::{Mutex, MutexGuard, RwLock};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

pub struct Queue {
    pub location: QueueLocation,
    pub arn: String,
    /// The queue's mutex; its guard also writes the changes made under it when the data
    /// directory is on (`durable.rs`).
    pub state: StateLock,
    /// Wakes long polls when a message may have become receivable (see `receive.rs`).
    pub notify: Notify,
}

impl Queue {
    pub fn new(
        location: QueueLocation,
        state: QueueState,
        durable: Option<&Arc<crate::persist::Durable>>,
    ) -> Self {
        let durable =
            durable.map(|d| DurableQueue::new(d, &location, super::records::new_incarnation()));
        Queue::with_state(location, StateLock::new(state, durable))
    }

    pub fn with_state(location: QueueLocation, state: StateLock) -> Self {
        Queue {
            arn: location.arn(),
            location,
            state,
            notify: Notify::new(),
        }
    }

    /// Called after a change that can make messages receivable, with the state lock released
    /// or still held (`notify_waiters` never blocks). Only waiters registered before the
    /// change are woken, which is all that's needed: a poller registers before it checks.
    pub fn wake_pollers(&self, pollers: usize) {
        if pollers > 0 {
            self.notify.notify_waiters();
        }
    }
}

type RegionQueues = BTreeMap<String, Arc<Queue>>;

#[derive(Default)]
pub struct Store {
    /// account -> region -> queue name (sorted, as ListQueues returns them) -> queue.
    queues: RwLock<HashMap<String, HashMap<String, RegionQueues>>>,
    /// Taken alone or under one queue lock (a move counts a message while the target queue
    /// is locked), never the other way round: nothing takes a queue lock under it.
    move_tasks: Mutex<MoveTasks>,
    sequence: AtomicU64,
}

impl Store {
    pub fn get(&self, location: &QueueLocation) -> Option<Arc<Queue>> {
        self.queues
            .read()
            .get(&location.account)?
            .get(&location.region)?
            .get(&location.name)
            .cloned()
    }

    /// Inserts the queue `make` builds unless one with that name exists; returns the queue
    /// that is in the store afterwards and whether it is the new one.
    pub fn insert_if_absent(
        &self,
        location: &QueueLocation,
        make: impl FnOnce() -> Queue,
    ) -> (Arc<Queue>, bool) {
        let mut map = self.queues.write();
        let region = map
            .entry(location.account.clone())
            .or_default()
            .entry(location.region.clone())
            .or_default();
        if let Some(existing) = region.get(&location.name) {
            return (existing.clone(), false);
        }
        let queue = Arc::new(make());
        region.insert(location.name.clone(), queue.clone());
        (queue, true)
    }

    pub fn remove(&self, location: &QueueLocation) -> Option<Arc<Queue>> {
        let mut map = self.queues.write();
        let regions = map.get_mut(&location.account)?;
        let queues = regions.get_mut(&location.region)?;
        let removed = queues.remove(&location.name);
        if queues.is_empty() {
            regions.remove(&location.region);
        }
        if regions.is_empty() {
            map.remove(&location.account);
        }
        removed
    }

    /// The queues of one account and region, sorted by name.
    pub fn list(&self, account: &str, region: &str) -> Vec<Arc<Queue>> {
        self.queues
            .read()
            .get(account)
            .and_then(|r| r.get(region))
            .map(|q| q.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every (account, region) that holds a queue (`remove` prunes emptied ones).
    pub fn occupied_regions(&self) -> Vec<(String, String)> {
        let map = self.queues.read();
        map.iter()
            .flat_map(|(account, regions)| {
                regions
                    .keys()
                    .map(move |region| (account.clone(), region.clone()))
            })
            .collect()
    }

    /// Every queue, in no particular order.
    pub fn all(&self) -> Vec<Arc<Queue>> {
        self.queues
            .read()
            .values()
            .flat_map(|regions| regions.values())
            .flat_map(|queues| queues.values().cloned())
            .collect()
    }

    /// Removes every queue. Each is marked deleted under its own lock (taken after the map
    /// lock is released), which ends its long polls and, with a data directory, deletes its
    /// records and stops journaling it, so a request still holding it cannot write it back.
    pub fn clear(&self) {
        let removed: Vec<Arc<Queue>> = {
            let mut map = self.queues.write();
            let all = map
                .values()
                .flat_map(|regions| regions.values())
                .flat_map(|queues| queues.values().cloned())
                .collect();
            map.clear();
            all
        };
        for queue in removed {
            let pollers = {
                let mut state = queue.state.lock();
                state.mark_deleted();
                state.pollers()
            };
            queue.wake_pollers(pollers);
        }
        *self.move_tasks.lock() = MoveTasks::default();
    }

    /// The message move tasks, locked (see the field for the lock order).
    pub fn move_tasks(&self) -> MutexGuard<'_, MoveTasks> {
        self.move_tasks.lock()
    }

    /// Keeps FIFO sequence numbers above one already handed out (restored or imported).
    pub fn sequence_at_least(&self, used: u64) {
        self.sequence.fetch_max(used + 1, Ordering::Relaxed);
    }

    /// FIFO sequence numbers: increasing, 20 digits like AWS's. Seeded from the clock so they
    /// keep increasing across restarts.
    pub fn next_sequence_number(&self, now_ms: u64) -> String {
        let seed = (now_ms / 1000) << 33;
        let _ = self
            .sequence
            .compare_exchange(0, seed, Ordering::Relaxed, Ordering::Relaxed);
        format!("{:020}", self.sequence.fetch_add(1, Ordering::Relaxed))
    }
}
