//! A queue's state lock with `--data-dir`: its guard derefs to the `QueueState`, and when it
//! drops with the data directory on, it turns the journal of what changed under the lock
//! (message ids, configuration, dedup ids) into records and submits them. Submitting under the
//! lock keeps every message's records in the order its changes happened; the request waits
//! for the commit only after the handler returned (`Sqs::call`), never under a lock. Without
//! a data directory `durable` is `None`, the guard's drop is one branch, and nothing else is
//! done. (Restoring queues from the records is `durable.rs`.)

use super::journal::Journal;
use super::queue::QueueState;
use super::queue_url::QueueLocation;
use super::records::{DedupRecord, QueueRecord};
use crate::persist::{Durable, Op};
use parking_lot::{Mutex, MutexGuard};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// Ids are reserved in blocks this large in the queue record, so it is rewritten once per
/// block rather than on every send.
const ID_LEASE: u64 = 4096;

/// Where one queue's records live.
pub struct DurableQueue {
    durable: Arc<Durable>,
    incarnation: String,
    queue_key: String,
    parent: String,
    dedup_prefix: String,
}

impl DurableQueue {
    pub fn new(durable: &Arc<Durable>, location: &QueueLocation, incarnation: String) -> Self {
        DurableQueue {
            durable: durable.clone(),
            queue_key: queue_key(location),
            parent: format!("sqs/{incarnation}"),
            dedup_prefix: format!("sqs/dedup/{incarnation}/"),
            incarnation,
        }
    }
}

fn queue_key(location: &QueueLocation) -> String {
    format!(
        "sqs/queue/{}/{}/{}",
        location.account, location.region, location.name
    )
}

/// The location a queue record's key names (`queue_key`'s inverse).
fn parse_key(key: &str) -> QueueLocation {
    let mut parts = key.splitn(5, '/').skip(2);
    QueueLocation {
        account: parts.next().unwrap_or_default().to_string(),
        region: parts.next().unwrap_or_default().to_string(),
        name: parts.next().unwrap_or_default().to_string(),
    }
}

/// A queue's state behind its mutex, and where its changes are written (if anywhere).
pub struct StateLock {
    mutex: Mutex<QueueState>,
    durable: Option<DurableQueue>,
}

impl StateLock {
    /// With a data directory, everything the state holds is journaled for the first flush
    /// (a new queue writes its record; a restored or imported one rewrites its records).
    pub fn new(mut state: QueueState, durable: Option<DurableQueue>) -> Self {
        if durable.is_some() {
            let mut journal = Journal {
                config: true,
                ..Journal::default()
            };
            journal.messages = state.slot_records().map(|r| r.id).collect();
            journal.dedup = state.dedup().entries().map(|(k, _, _)| k.clone()).collect();
            state.journal = Some(Box::new(journal));
        }
        StateLock {
            mutex: Mutex::new(state),
            durable,
        }
    }

    pub fn lock(&self) -> StateGuard<'_> {
        StateGuard {
            guard: self.mutex.lock(),
            durable: self.durable.as_ref(),
        }
    }

    pub fn incarnation(&self) -> Option<&str> {
        self.durable.as_ref().map(|d| d.incarnation.as_str())
    }
}

pub struct StateGuard<'a> {
    guard: MutexGuard<'a, QueueState>,
    durable: Option<&'a DurableQueue>,
}

impl Deref for StateGuard<'_> {
    type Target = QueueState;
    fn deref(&self) -> &QueueState {
        &self.guard
    }
}

impl DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut QueueState {
        &mut self.guard
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        if let Some(durable) = self.durable {
            flush(&mut self.guard, durable);
        }
    }
}

/// Turns the journal into records and submits them (still under the queue's lock).
fn flush(state: &mut QueueState, dq: &DurableQueue) {
    let Some(mut journal) = state.journal.take() else {
        return;
    };
    let next_id = state.next_id();
    let lease_due = next_id > journal.id_floor;
    if journal.messages.is_empty()
        && journal.carried.is_empty()
        && journal.dedup.is_empty()
        && !journal.config
        && !journal.deleted
        && !lease_due
    {
        state.journal = Some(journal);
        return;
    }
    let mut ops = Vec::new();
    if journal.deleted {
        // The queue is gone: its records go, and nothing is journaled for it any more.
        ops.push(Op::DeleteResource(dq.queue_key.clone()));
        ops.push(Op::DeleteItems(dq.parent.clone()));
        ops.push(Op::DeleteResources(dq.dedup_prefix.clone()));
        dq.durable.submit(ops);
        return;
    }
    if journal.purge {
        ops.push(Op::DeleteItems(dq.parent.clone()));
        ops.push(Op::DeleteResources(dq.dedup_prefix.clone()));
    }
    if lease_due {
        journal.id_floor = next_id + ID_LEASE;
        journal.config = true;
    }
    if journal.config {
        let record = queue_record(state, dq, journal.id_floor);
        ops.push(Op::PutResource(dq.queue_key.clone(), to_bytes(&record)));
    }
    let mut ids = std::mem::take(&mut journal.messages);
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        match state.slot_record(id) {
            Some(record) => ops.push(Op::PutItem(dq.parent.clone(), id, to_bytes(&record))),
            None => ops.push(Op::DeleteItem(dq.parent.clone(), id)),
        }
    }
    for key in std::mem::take(&mut journal.dedup) {
        if let Some((expires_ms, entry)) = state.dedup().entry(&key) {
            let record = DedupRecord {
                key: key.clone(),
                expires_ms,
                entry: entry.clone(),
            };
            ops.push(Op::PutResource(
                format!("{}{key}", dq.dedup_prefix),
                to_bytes(&record),
            ));
        }
    }
    // After this queue's own records: a dead-letter move's source deletions commit with the
    // DLQ's new records, in one batch.
    ops.append(&mut journal.carried);
    journal.config = false;
    journal.purge = false;
    state.journal = Some(journal);
    dq.durable.submit(ops);
}

fn to_bytes<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // Records are plain data (strings, numbers, maps with string keys): serialising cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

fn queue_record(state: &QueueState, dq: &DurableQueue, next_id: u64) -> QueueRecord {
    let location = parse_key(&dq.queue_key);
    QueueRecord {
        account: location.account,
        region: location.region,
        name: location.name,
        incarnation: dq.incarnation.clone(),
        attributes: state.attrs().clone(),
        tags: state.tags().clone(),
        last_purge_ms: state.last_purge_ms(),
        next_id,
        messages: Vec::new(),
        dedup: Vec::new(),
    }
}

impl StateGuard<'_> {
    /// With a data directory: the deletions of the messages this receive moved out to the
    /// dead-letter queue, for the DLQ's flush to carry (so the move is one commit: a crash
    /// leaves the message in one of the two queues, never in neither). Empty without one.
    pub fn carry_dead_lettered(&mut self) -> Vec<Op> {
        let (Some(dq), Some(journal)) = (self.durable, self.guard.journal.as_mut()) else {
            return Vec::new();
        };
        journal
            .take_dead_lettered()
            .into_iter()
            .map(|id| Op::DeleteItem(dq.parent.clone(), id))
            .collect()
    }

    /// Records of another queue to write with this queue's flush (see `carry_dead_lettered`).
    pub fn carry(&mut self, mut ops: Vec<Op>) {
        if let Some(journal) = self.guard.journal.as_mut() {
            journal.carried.append(&mut ops);
        }
    }
}

impl StateLock {
    /// The lock without a flush on release (restore only).
    pub(super) fn lock_raw(&self) -> MutexGuard<'_, QueueState> {
        self.mutex.lock()
    }
}
