//! A service's configuration in the data directory as rows of their own, one per resource a
//! client names (a rule, a state machine, a topic, a subscription...), under one key prefix.
//! The service says what its rows are (key and bytes, from an export of its configuration:
//! it is small) and [`Rows`] writes only the rows whose bytes changed since they were last
//! written and deletes the rows of what is gone: a change of one resource among thousands
//! writes one row. Rows go through the group-commit writer like everything else, so a change
//! is durable before its answer.
//!
//! A data directory written before rows kept the whole configuration as one record
//! (`whole_key`): [`Rows::loaded`] hands it back as it is, and the next write (which the
//! service makes at start) replaces it by rows in one commit.

use super::{Durable, Loaded, Op};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Every row of a configuration: key (under the prefix) and value.
pub type RowMap = BTreeMap<String, Vec<u8>>;

/// The rows, and the bytes last written for each. Export and submit happen under its mutex,
/// so the rows last submitted come from the last export: an older export can never be
/// committed over a newer one. Lock order: this mutex, then the service's own lock (inside
/// `export`); a service never takes this mutex while holding its lock.
pub struct Rows {
    durable: Arc<Durable>,
    prefix: &'static str,
    whole_key: &'static str,
    written: Mutex<HashMap<String, Vec<u8>>>,
}

/// What the data directory held of a configuration at start.
pub enum Kept<'a> {
    /// The whole record of an older data directory.
    Whole(&'a [u8]),
    /// Rows, in key order.
    Rows(Vec<(&'a str, &'a [u8])>),
}

impl Rows {
    pub fn new(durable: Arc<Durable>, prefix: &'static str, whole_key: &'static str) -> Self {
        Rows {
            durable,
            prefix,
            whole_key,
            written: Mutex::new(HashMap::new()),
        }
    }

    pub fn durable(&self) -> &Durable {
        &self.durable
    }

    /// Writes the rows that changed since the last write and deletes those gone. An export
    /// that fails writes nothing: writing what could be exported would delete the rows of
    /// what could not, so the rows on disk stay as they were and the next write tries again.
    pub fn write(&self, export: impl FnOnce() -> Result<RowMap, serde_json::Error>) {
        let mut written = self.written.lock();
        match export() {
            Ok(rows) => self.durable.submit(changes(&mut written, rows)),
            Err(error) => {
                tracing::error!(prefix = self.prefix, %error, "a configuration does not serialise")
            }
        }
    }

    /// After an API call: writes what the call `changed` (as [`Self::write`]), then waits
    /// until everything submitted so far is committed, so the answer follows its own writes.
    /// No service lock is held across the wait.
    pub async fn after_call(
        &self,
        changed: bool,
        export: impl FnOnce() -> Result<RowMap, serde_json::Error>,
    ) {
        if changed {
            self.write(export);
        }
        self.durable.wait_committed().await;
    }

    /// What the data directory held at start (`None`: nothing). Rows are preferred; a whole
    /// record of an older data directory is deleted by the next write, whose rows replace it.
    /// The rows read count as written: the next write rewrites only those that changed.
    pub fn loaded<'a>(&self, loaded: &'a Loaded) -> Option<Kept<'a>> {
        let mut rows = Vec::new();
        let mut whole = None;
        for (key, value) in &loaded.resources {
            if key.starts_with(self.prefix) {
                rows.push((key.as_str(), value.as_slice()));
            } else if key == self.whole_key {
                whole = Some(value.as_slice());
            }
        }
        let mut written = self.written.lock();
        if let Some(bytes) = whole {
            written.insert(self.whole_key.to_string(), Vec::new());
            if rows.is_empty() {
                return Some(Kept::Whole(bytes));
            }
        }
        if rows.is_empty() {
            return None;
        }
        rows.sort_by_key(|(key, _)| *key);
        for (key, bytes) in &rows {
            written.insert(key.to_string(), bytes.to_vec());
        }
        Some(Kept::Rows(rows))
    }
}

/// The operations that take the rows from `written` to `rows`, which `written` becomes.
pub(crate) fn changes(written: &mut HashMap<String, Vec<u8>>, rows: RowMap) -> Vec<Op> {
    let mut ops = Vec::new();
    written.retain(|key, _| {
        let keep = rows.contains_key(key);
        if !keep {
            ops.push(Op::DeleteResource(key.clone()));
        }
        keep
    });
    for (key, bytes) in rows {
        if written.get(&key) != Some(&bytes) {
            ops.push(Op::PutResource(key.clone(), bytes.clone()));
            written.insert(key, bytes);
        }
    }
    ops
}

/// Keys of `ops` as `put <key>` / `delete <key>`, for tests.
#[cfg(test)]
pub(crate) fn describe(ops: &[Op]) -> Vec<String> {
    ops.iter()
        .map(|op| match op {
            Op::PutResource(k, _) => format!("put {k}"),
            Op::DeleteResource(k) => format!("delete {k}"),
            _ => "other".into(),
        })
        .collect()
}

/// Bytes `ops` put, for tests.
#[cfg(test)]
pub(crate) fn bytes_put(ops: &[Op]) -> usize {
    ops.iter()
        .map(|op| match op {
            Op::PutResource(_, v) => v.len(),
            _ => 0,
        })
        .sum()
}
