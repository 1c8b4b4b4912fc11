//! Durable state behind `--data-dir`: an embedded SQLite database (`stepyard.db` in the
//! directory, WAL mode, `synchronous=FULL`, locked exclusively by this process) that every
//! acknowledged write reaches before its response is sent. Why SQLite rather than redb: see
//! docs/durable-state.md (measured: ~15x the commits per second on this machine's disk, flat
//! as the database grows, and 2.6x fewer bytes per record).
//!
//! Two tables, shared by every service: `resources` (a string key per resource, e.g.
//! `sqs/queue/<account>/<region>/<name>`, holding a JSON record) and `items` (a parent key and a
//! `u64`, e.g. one row per SQS message under its queue's incarnation). Records are JSON so the
//! same record types serve the `/_stepyard/state` snapshot document and the database.
//!
//! Group commit: services `submit` batches of `Op`s (never blocking: an unbounded channel), and
//! one writer thread drains everything that is pending, applies it in one write transaction,
//! commits (the WAL is fsynced at each commit), then publishes the highest sequence number
//! it committed through a `watch` channel. A request that wrote waits (`wait_committed`) until
//! that number reaches the sequence its writes got.
//!
//! Why no wakeup is lost and nothing deadlocks:
//! - Sequence numbers are taken and the batch is sent under one short mutex, so the channel
//!   holds batches in sequence order: when the writer publishes N, every batch up to N was in
//!   a committed transaction.
//! - `watch::Receiver::wait_for` checks the current value before it sleeps and every
//!   `send_replace` wakes all receivers, so a waiter that registers after the commit sees the
//!   new value at once, and one that registers before is woken by it.
//! - The writer is a plain thread that takes no lock the services hold; services submit
//!   under their own locks (to keep per-resource order) but never wait under them: waiting
//!   happens after the handler has returned and released everything.
//! - If a commit fails the writer cannot tell clients their writes are safe, so it logs the
//!   error and ends the process (exit code 70) rather than acknowledge a lost write.

use parking_lot::Mutex;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use tokio::sync::watch;

pub mod snapshot;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS resources (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
     CREATE TABLE IF NOT EXISTS items (parent TEXT NOT NULL, id INTEGER NOT NULL, value BLOB NOT NULL,
                                       PRIMARY KEY (parent, id)) WITHOUT ROWID;";
/// The layout version of the database, kept in `resources` under this key.
const FORMAT_KEY: &str = "stepyard/format";
const FORMAT: &[u8] = b"1";

/// One change to the durable state.
#[derive(Debug)]
pub enum Op {
    PutResource(String, Vec<u8>),
    DeleteResource(String),
    /// Deletes every resource whose key starts with the prefix.
    DeleteResources(String),
    PutItem(String, u64, Vec<u8>),
    DeleteItem(String, u64),
    /// Deletes every item under the parent.
    DeleteItems(String),
}

/// Why a data directory cannot be used; the message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the data directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the data directory {path} is in use by another process (is another stepyard running \
         on it?); stop that one first"
    )]
    InUse { path: PathBuf },
    #[error(
        "the data directory {path} holds a database stepyard cannot open ({detail}). It was not \
         changed. To recover, move {file} aside (keep it for inspection) and start again with an \
         empty directory, or load a snapshot with --init-state"
    )]
    Corrupt {
        path: PathBuf,
        file: PathBuf,
        detail: String,
    },
}

/// Everything the database held at start, for the services to rebuild their state from.
#[derive(Default)]
pub struct Loaded {
    pub resources: Vec<(String, Vec<u8>)>,
    pub items: Vec<(String, u64, Vec<u8>)>,
}

impl Loaded {
    /// Resources whose key starts with `prefix`, with the prefix cut off.
    pub fn resources_under<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        self.resources
            .iter()
            .filter_map(move |(k, v)| Some((k.strip_prefix(prefix)?, v.as_slice())))
    }
}

struct Sender {
    next_seq: u64,
    tx: mpsc::Sender<(u64, Vec<Op>)>,
}

pub struct Durable {
    sender: Mutex<Sender>,
    committed: watch::Receiver<u64>,
    path: PathBuf,
}

impl Durable {
    /// Opens (or creates) the database in `dir`, reads everything it holds and starts the
    /// writer thread. A database SQLite cannot open, or of another format, is an error and is
    /// left untouched.
    pub fn open(dir: &Path) -> Result<(Arc<Durable>, Loaded), OpenError> {
        std::fs::create_dir_all(dir).map_err(|source| OpenError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let file = dir.join("stepyard.db");
        let corrupt = |detail: String| OpenError::Corrupt {
            path: dir.to_path_buf(),
            file: file.clone(),
            detail,
        };
        let existed = file.exists();
        if existed && std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) == 0 {
            return Err(corrupt("the database file is empty".into()));
        }
        // SQLite replays or discards a half-written WAL frame itself on open (a commit is
        // either wholly in the WAL with a valid checksum or not at all); anything it cannot
        // read is reported, never replaced.
        let db = Connection::open(&file).map_err(|e| corrupt(e.to_string()))?;
        // Another process holding the lock is an answer, not something to wait for.
        db.busy_timeout(std::time::Duration::from_millis(200))
            .map_err(|e| corrupt(e.to_string()))?;
        let in_use = |e: rusqlite::Error| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                OpenError::InUse {
                    path: dir.to_path_buf(),
                }
            }
            _ => corrupt(e.to_string()),
        };
        // EXCLUSIVE: the first access takes the lock for the life of the connection, so a
        // second stepyard on the same directory is refused instead of interleaving writes.
        db.execute_batch(
            "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        )
        .map_err(in_use)?;
        db.execute_batch(SCHEMA).map_err(in_use)?;
        let loaded = load(&db, existed).map_err(corrupt)?;
        let (tx, rx) = mpsc::channel();
        let (published, committed) = watch::channel(0);
        std::thread::Builder::new()
            .name("stepyard-durable".into())
            .spawn(move || writer(db, rx, published))
            .map_err(|e| corrupt(format!("cannot start the writer thread: {e}")))?;
        Ok((
            Arc::new(Durable {
                sender: Mutex::new(Sender { next_seq: 0, tx }),
                committed,
                path: file,
            }),
            loaded,
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues `ops` for the next commit without blocking; callers hold the lock of what they
    /// changed so changes to one resource reach the log in the order they were made.
    pub fn submit(&self, ops: Vec<Op>) {
        if ops.is_empty() {
            return;
        }
        let mut sender = self.sender.lock();
        sender.next_seq += 1;
        let seq = sender.next_seq;
        // The writer only stops when the process exits (see `writer`), so this cannot fail
        // while anyone could observe it.
        let _ = sender.tx.send((seq, ops));
    }

    /// The sequence number of the last batch submitted so far.
    pub fn submitted(&self) -> u64 {
        self.sender.lock().next_seq
    }

    /// Resolves once every batch submitted before this call is committed and fsynced.
    pub async fn wait_committed(&self) {
        let target = self.submitted();
        if *self.committed.borrow() >= target {
            return;
        }
        let mut committed = self.committed.clone();
        let _ = committed.wait_for(|c| *c >= target).await;
    }
}

fn load(db: &Connection, existed: bool) -> Result<Loaded, String> {
    let text = |e: rusqlite::Error| e.to_string();
    let format: Option<Vec<u8>> = db
        .query_row(
            "SELECT value FROM resources WHERE key = ?1",
            [FORMAT_KEY],
            |row| row.get(0),
        )
        .optional()
        .map_err(text)?;
    match format {
        Some(f) if f == FORMAT => {}
        Some(f) => {
            return Err(format!(
                "database format {} is not the format {} this build writes",
                String::from_utf8_lossy(&f),
                String::from_utf8_lossy(FORMAT)
            ))
        }
        None => {
            let rows: i64 = db
                .query_row("SELECT count(*) FROM resources", [], |row| row.get(0))
                .map_err(text)?;
            if existed && rows > 0 {
                return Err("the database has no stepyard format marker".into());
            }
            db.execute(
                "INSERT INTO resources (key, value) VALUES (?1, ?2)",
                params![FORMAT_KEY, FORMAT],
            )
            .map_err(text)?;
        }
    }
    let mut loaded = Loaded::default();
    let mut resources = db
        .prepare("SELECT key, value FROM resources WHERE key != ?1")
        .map_err(text)?;
    let rows = resources
        .query_map([FORMAT_KEY], |row| Ok((row.get(0)?, row.get(1)?)))
        .map_err(text)?;
    for row in rows {
        loaded.resources.push(row.map_err(text)?);
    }
    let mut items = db
        .prepare("SELECT parent, id, value FROM items ORDER BY parent, id")
        .map_err(text)?;
    let rows = items
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get(2)?))
        })
        .map_err(text)?;
    for row in rows {
        let (parent, id, value) = row.map_err(text)?;
        loaded.items.push((parent, id as u64, value));
    }
    Ok(loaded)
}

/// The one writer: blocks for a batch, takes every batch already waiting, commits them in one
/// transaction, publishes the last sequence number. Ends when every sender is gone.
fn writer(mut db: Connection, rx: mpsc::Receiver<(u64, Vec<Op>)>, published: watch::Sender<u64>) {
    while let Ok(first) = rx.recv() {
        let mut last = first.0;
        let mut batches = vec![first.1];
        while let Ok((seq, ops)) = rx.try_recv() {
            last = seq;
            batches.push(ops);
        }
        if let Err(e) = apply(&mut db, batches) {
            // Clients are waiting for an acknowledgement we cannot honestly give.
            eprintln!("stepyard: cannot write to the data directory: {e}; stopping");
            std::process::exit(70);
        }
        published.send_replace(last);
    }
}

fn apply(db: &mut Connection, batches: Vec<Vec<Op>>) -> Result<(), rusqlite::Error> {
    let txn = db.transaction()?;
    for op in batches.into_iter().flatten() {
        match op {
            Op::PutResource(k, v) => {
                txn.prepare_cached(
                    "INSERT OR REPLACE INTO resources (key, value) VALUES (?1, ?2)",
                )?
                .execute(params![k, v])?;
            }
            Op::DeleteResource(k) => {
                txn.prepare_cached("DELETE FROM resources WHERE key = ?1")?
                    .execute([k])?;
            }
            Op::DeleteResources(prefix) => {
                txn.prepare_cached("DELETE FROM resources WHERE substr(key, 1, length(?1)) = ?1")?
                    .execute([prefix])?;
            }
            Op::PutItem(parent, id, v) => {
                txn.prepare_cached(
                    "INSERT OR REPLACE INTO items (parent, id, value) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![parent, id as i64, v])?;
            }
            Op::DeleteItem(parent, id) => {
                txn.prepare_cached("DELETE FROM items WHERE parent = ?1 AND id = ?2")?
                    .execute(params![parent, id as i64])?;
            }
            Op::DeleteItems(parent) => {
                txn.prepare_cached("DELETE FROM items WHERE parent = ?1")?
                    .execute([parent])?;
            }
        }
    }
    txn.commit()
}

/// A service whose durable state is small and rarely written (configuration only) kept as one
/// record, written whole after every change. Export and submit happen under one mutex, so the
/// last record submitted was exported after the last change: an older export can never be
/// committed over a newer one. Lock order: this mutex, then the service's own lock (inside
/// `export`); the service never takes this mutex while holding its lock.
pub struct WholeRecord {
    durable: Arc<Durable>,
    key: &'static str,
    order: Mutex<()>,
}

impl WholeRecord {
    pub fn new(durable: Arc<Durable>, key: &'static str) -> Self {
        WholeRecord {
            durable,
            key,
            order: Mutex::new(()),
        }
    }

    pub fn write(&self, export: impl FnOnce() -> Vec<u8>) {
        let _order = self.order.lock();
        self.durable
            .submit(vec![Op::PutResource(self.key.to_string(), export())]);
    }

    pub fn durable(&self) -> &Durable {
        &self.durable
    }

    /// After an API call: rewrites the record if the call `changed` it (as [`Self::write`]),
    /// then waits until everything submitted so far is committed, so the answer follows its
    /// own writes. No service lock is held across the wait.
    pub async fn after_call(&self, changed: bool, export: impl FnOnce() -> Vec<u8>) {
        if changed {
            self.write(export);
        }
        self.durable.wait_committed().await;
    }

    /// This record as the data directory held it at start.
    pub fn loaded<'a>(&self, loaded: &'a Loaded) -> Option<&'a [u8]> {
        loaded
            .resources
            .iter()
            .find(|(k, _)| k == self.key)
            .map(|(_, v)| v.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "stepyard-persist-{name}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writers_share_commits_and_every_acknowledged_write_is_read_back() {
        let dir = scratch("group");
        {
            let (durable, loaded) = Durable::open(&dir).expect("opens");
            assert!(loaded.resources.is_empty() && loaded.items.is_empty());
            let mut tasks = Vec::new();
            for writer in 0..16u64 {
                let durable = durable.clone();
                tasks.push(tokio::spawn(async move {
                    for i in 0..50u64 {
                        durable.submit(vec![Op::PutItem(
                            format!("w{writer}"),
                            i,
                            i.to_be_bytes().to_vec(),
                        )]);
                        durable.wait_committed().await;
                    }
                    durable.submit(vec![Op::DeleteItem(format!("w{writer}"), 0)]);
                    durable.wait_committed().await;
                }));
            }
            for task in tasks {
                task.await.expect("writer ran");
            }
            durable.submit(vec![
                Op::PutResource("a/1".into(), b"x".to_vec()),
                Op::PutResource("a/2".into(), b"y".to_vec()),
                Op::PutResource("b/1".into(), b"z".to_vec()),
                Op::DeleteResources("a/".into()),
                Op::DeleteItems("w3".into()),
            ]);
            durable.wait_committed().await;
        }
        // The writer thread still holds the database until its channel closes.
        let reopened = loop {
            match Durable::open(&dir) {
                Err(OpenError::InUse { .. }) => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await
                }
                other => break other,
            }
        };
        let (_, loaded) = reopened.expect("reopens");
        assert_eq!(loaded.items.len(), 15 * 49);
        assert!(loaded.items.iter().all(|(p, id, _)| p != "w3" && *id != 0));
        let keys: Vec<&str> = loaded.resources.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, vec!["b/1"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_reported_and_left_alone() {
        let dir = scratch("corrupt");
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("stepyard.db");
        std::fs::write(&file, b"not a database at all, not at all").expect("write");
        let error = Durable::open(&dir).err().expect("refused");
        let message = error.to_string();
        assert!(
            message.contains("cannot open") && message.contains("move"),
            "{message}"
        );
        assert_eq!(
            std::fs::read(&file).expect("read"),
            b"not a database at all, not at all"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
