//! SQS with `--data-dir`: how a queue's changes reach the database, and how queues come back
//! from it (and from the state document).
//!
//! A queue's state lock is a `StateLock`: its guard derefs to the `QueueState` as before, and
//! when it drops with the data directory on, it turns the journal of what changed under the
//! lock (message ids, configuration, dedup ids) into records and submits them. Submitting
//! under the lock keeps every message's records in the order its changes happened; the
//! request waits for the commit only after the handler returned (`Sqs::call`), never under a
//! lock. Without a data directory `journal` is `None`, the guard's drop is one branch, and
//! nothing else is done.
//!
//! Records: `sqs/queue/<account>/<region>/<name>` is the queue's `QueueRecord`; its messages
//! are items under `sqs/<incarnation>` keyed by their queue id; FIFO deduplication ids are
//! `sqs/dedup/<incarnation>/<key>`. Timers are stored as deadlines, so a restart applies
//! whatever came due while the server was down on the first `tick`.

use super::queue::QueueState;
use super::queue_url::QueueLocation;
use super::records::{DedupRecord, QueueRecord, SlotRecord};
use super::store::{Queue, Store};
use crate::persist::{Durable, Loaded, Op};
use parking_lot::{Mutex, MutexGuard};
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// Ids are reserved in blocks this large in the queue record, so it is rewritten once per
/// block rather than on every send.
const ID_LEASE: u64 = 4096;

/// What changed under the lock since the last flush.
#[derive(Debug, Default)]
pub struct Journal {
    pub messages: Vec<u64>,
    pub config: bool,
    pub purge: bool,
    pub deleted: bool,
    pub dedup: Vec<String>,
    /// Ids below this are reserved in the stored queue record.
    id_floor: u64,
}

impl Journal {
    /// PurgeQueue: every message and dedup id goes; the purge time is configuration.
    pub fn purged(&mut self) {
        self.purge = true;
        self.config = true;
        self.messages.clear();
        self.dedup.clear();
    }
}

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
            journal.dedup = state.dedup.entries().map(|(k, _, _)| k.clone()).collect();
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
        if let Some((expires_ms, entry)) = state.dedup.entry(&key) {
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
        attributes: state.attrs.clone(),
        tags: state.tags.clone(),
        last_purge_ms: state.last_purge_ms,
        next_id,
        messages: Vec::new(),
        dedup: Vec::new(),
    }
}

fn parse_key(key: &str) -> QueueLocation {
    let mut parts = key.splitn(5, '/').skip(2);
    QueueLocation {
        account: parts.next().unwrap_or_default().to_string(),
        region: parts.next().unwrap_or_default().to_string(),
        name: parts.next().unwrap_or_default().to_string(),
    }
}

/// The full record of one queue, messages and dedup ids included (the state document).
pub fn export_queue(queue: &Queue) -> serde_json::Value {
    let state = queue.state.lock();
    let record = QueueRecord {
        account: queue.location.account.clone(),
        region: queue.location.region.clone(),
        name: queue.location.name.clone(),
        incarnation: queue
            .state
            .incarnation()
            .map(str::to_string)
            .unwrap_or_else(super::records::new_incarnation),
        attributes: state.attrs.clone(),
        tags: state.tags.clone(),
        last_purge_ms: state.last_purge_ms,
        next_id: state.next_id(),
        messages: Vec::new(),
        dedup: Vec::new(),
    };
    let mut value = serde_json::to_value(&record).unwrap_or_default();
    let messages: Vec<serde_json::Value> = state
        .slot_records()
        .filter_map(|r| serde_json::to_value(&r).ok())
        .collect();
    let dedup: Vec<DedupRecord> = state
        .dedup
        .entries()
        .map(|(key, expires_ms, entry)| DedupRecord {
            key: key.clone(),
            expires_ms,
            entry: entry.clone(),
        })
        .collect();
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("messages".into(), serde_json::Value::Array(messages));
        map.insert(
            "dedup".into(),
            serde_json::to_value(&dedup).unwrap_or_default(),
        );
    }
    value
}

/// Builds a queue from its record (messages in id order). The caller inserts it.
pub fn build_queue(mut record: QueueRecord, durable: Option<&Arc<Durable>>) -> Queue {
    let location = QueueLocation {
        account: record.account,
        region: record.region,
        name: record.name,
    };
    let mut state = QueueState::new(record.attributes);
    state.tags = record.tags;
    state.last_purge_ms = record.last_purge_ms;
    record.messages.sort_by_key(|m| m.id);
    for message in record.messages {
        state.restore_slot(message);
    }
    state.raise_next_id(record.next_id);
    state.dedup.restore(
        record
            .dedup
            .into_iter()
            .map(|d| (d.key, d.expires_ms, d.entry))
            .collect(),
    );
    let durable = durable.map(|d| DurableQueue::new(d, &location, record.incarnation));
    Queue::with_state(location, StateLock::new(state, durable))
}

/// Rebuilds every queue the data directory holds. Records of queues deleted while a request
/// still held them (orphans) are removed. A record that does not parse stops the start.
pub fn restore(store: &Store, loaded: &Loaded, durable: &Arc<Durable>) -> Result<usize, String> {
    let mut queues: HashMap<String, QueueRecord> = HashMap::new();
    for (key, bytes) in loaded.resources_under("sqs/queue/") {
        let record: QueueRecord = serde_json::from_slice(bytes)
            .map_err(|e| format!("the SQS queue record {key} does not parse: {e}"))?;
        queues.insert(record.incarnation.clone(), record);
    }
    let mut orphans = Vec::new();
    for (parent, id, bytes) in &loaded.items {
        let Some(incarnation) = parent.strip_prefix("sqs/") else {
            continue;
        };
        let Some(queue) = queues.get_mut(incarnation) else {
            orphans.push(Op::DeleteItems(parent.clone()));
            continue;
        };
        let record: SlotRecord = serde_json::from_slice(bytes)
            .map_err(|e| format!("the SQS message record {parent}/{id} does not parse: {e}"))?;
        queue.messages.push(record);
    }
    for (key, bytes) in loaded.resources_under("sqs/dedup/") {
        let Some((incarnation, _)) = key.split_once('/') else {
            continue;
        };
        let Some(queue) = queues.get_mut(incarnation) else {
            orphans.push(Op::DeleteResources(format!("sqs/dedup/{incarnation}/")));
            continue;
        };
        let record: DedupRecord = serde_json::from_slice(bytes)
            .map_err(|e| format!("the SQS dedup record {key} does not parse: {e}"))?;
        queue.dedup.push(record);
    }
    orphans.dedup_by(|a, b| format!("{a:?}") == format!("{b:?}"));
    durable.submit(orphans);
    let count = queues.len();
    for record in queues.into_values() {
        let max_sequence = max_sequence(&record);
        let queue = build_queue_restored(record, durable);
        store.sequence_at_least(max_sequence);
        let location = queue.location.clone();
        store.insert_if_absent(&location, || queue);
    }
    Ok(count)
}

/// A restored queue's records are already on disk: journal nothing but the id lease.
fn build_queue_restored(record: QueueRecord, durable: &Arc<Durable>) -> Queue {
    let queue = build_queue(record, Some(durable));
    {
        let mut state = queue.state.lock_raw();
        let floor = state.next_id();
        if let Some(journal) = state.journal.as_mut() {
            journal.messages.clear();
            journal.dedup.clear();
            journal.config = false;
            journal.id_floor = floor;
        }
    }
    queue
}

/// The highest FIFO sequence number a queue's record holds, so new ones stay above it.
pub fn max_sequence(record: &QueueRecord) -> u64 {
    let messages = record
        .messages
        .iter()
        .filter_map(|m| m.message.sequence_number.as_deref()?.parse().ok());
    let dedup = record
        .dedup
        .iter()
        .filter_map(|d| d.entry.sequence_number.as_deref()?.parse().ok());
    messages.chain(dedup).max().unwrap_or(0)
}

impl StateLock {
    /// The lock without a flush on release (restore only).
    fn lock_raw(&self) -> MutexGuard<'_, QueueState> {
        self.mutex.lock()
    }
}
