//! What changed under a queue's lock since its last flush to the data directory (see
//! `state_lock.rs`): kept in the `QueueState` itself, so the queue's code notes changes
//! without knowing where they go.

/// What changed under the lock since the last flush.
#[derive(Debug, Default)]
pub struct Journal {
    pub messages: Vec<u64>,
    pub config: bool,
    pub purge: bool,
    pub deleted: bool,
    pub dedup: Vec<String>,
    /// Messages a receive moved out to the dead-letter queue: their source records are not
    /// deleted by this queue's flush but in the DLQ's, with their new records (one commit).
    pub dead_lettered: Vec<u64>,
    /// Records of another queue to write with this queue's next flush (a dead-letter move's
    /// source deletions).
    pub carried: Vec<crate::persist::Op>,
    /// Ids below this are reserved in the stored queue record.
    pub(super) id_floor: u64,
}

impl Journal {
    /// The dead-lettered ids, no longer written by this queue's flush.
    pub fn take_dead_lettered(&mut self) -> Vec<u64> {
        let ids = std::mem::take(&mut self.dead_lettered);
        self.messages.retain(|id| !ids.contains(id));
        ids
    }

    /// PurgeQueue: every message and dedup id goes; the purge time is configuration.
    pub fn purged(&mut self) {
        self.purge = true;
        self.config = true;
        self.messages.clear();
        self.dedup.clear();
    }
}
