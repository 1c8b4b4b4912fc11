//! What a queue looks like on disk and in the `/_stepyard/state` document: one `QueueRecord`
//! per queue (configuration), one `SlotRecord` per message (with its delivery state, so a
//! delayed message stays delayed and an in-flight one stays hidden with its receipt
//! generation), one `DedupRecord` per remembered FIFO deduplication id.

use super::attributes::QueueAttributes;
use super::fifo::DedupEntry;
use super::message::Message;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueRecord {
    pub account: String,
    pub region: String,
    pub name: String,
    /// Names this queue's messages on disk; a queue deleted and created again by the same
    /// name gets a new one, so nothing of the old queue can reappear in the new.
    #[serde(default = "new_incarnation")]
    pub incarnation: String,
    pub attributes: QueueAttributes,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub last_purge_ms: Option<u64>,
    /// Every message id below this was used already (receipt handles name ids).
    #[serde(default)]
    pub next_id: u64,
    /// In the state document only; on disk each message is its own record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<SlotRecord>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dedup: Vec<DedupRecord>,
}

pub fn new_incarnation() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SlotStateRecord {
    Visible,
    Delayed { until: u64 },
    InFlight { until: u64, received_ms: u64 },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotRecord {
    pub id: u64,
    pub enqueued_ms: u64,
    /// The receive generation the current receipt handle names (0: never received).
    pub receipt_seq: u32,
    pub state: SlotStateRecord,
    pub message: Message,
}

/// `SlotRecord` borrowing its message, so writing one never copies a body.
#[derive(Debug, Serialize)]
pub struct SlotRecordRef<'a> {
    pub id: u64,
    pub enqueued_ms: u64,
    pub receipt_seq: u32,
    pub state: SlotStateRecord,
    pub message: &'a Message,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DedupRecord {
    pub key: String,
    pub expires_ms: u64,
    pub entry: DedupEntry,
}
