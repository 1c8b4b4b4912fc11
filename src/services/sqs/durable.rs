//! SQS with `--data-dir`: how queues come back from the database (and from the state
//! document), and what a queue's records are; how changes reach the database is
//! `state_lock.rs`, what changed under a lock `journal.rs`.
//!
//! Records: `sqs/queue/<account>/<region>/<name>` is the queue's `QueueRecord`; its messages
//! are items under `sqs/<incarnation>` keyed by their queue id; FIFO deduplication ids are
//! `sqs/dedup/<incarnation>/<key>`. Timers are stored as deadlines, so a restart applies
//! whatever came due while the server was down on the first `tick`.

use super::queue::QueueState;
use super::queue_url::QueueLocation;
use super::records::{DedupRecord, QueueRecord, SlotRecord};
use super::state_lock::{DurableQueue, StateLock};
use super::store::{Queue, Store};
use crate::persist::{Durable, Loaded, Op};
use std::collections::HashMap;
use std::sync::Arc;

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
        attributes: state.attrs().clone(),
        tags: state.tags().clone(),
        last_purge_ms: state.last_purge_ms(),
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
        .dedup()
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
    let mut state = QueueState::with_config(record.attributes, record.tags, record.last_purge_ms);
    record.messages.sort_by_key(|m| m.id);
    for message in record.messages {
        state.restore_slot(message);
    }
    state.raise_next_id(record.next_id);
    state.restore_dedup(
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
        .filter_map(|m| m.message.sequence_number()?.parse().ok());
    let dedup = record
        .dedup
        .iter()
        .filter_map(|d| d.entry.sequence_number.as_deref()?.parse().ok());
    messages.chain(dedup).max().unwrap_or(0)
}
