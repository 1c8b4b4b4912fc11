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
    /// Ids below this are reserved in the stored queue record.
    pub(super) id_floor: u64,
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
