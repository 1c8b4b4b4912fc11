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
//!
//! Holds: an effect and the record of it commit together. A Step Functions Task that sends a
//! message (publishes, puts an event, starts an execution) and the history event that says so
//! (`TaskSubmitted`, `TaskSucceeded`) must reach the disk in one transaction, or a crash
//! between two commits leaves a sent message whose execution does not know it was sent, and
//! the resumed execution sends it again. While a [`Hold`] is open the writer commits only the
//! batches submitted before it opened; everything after waits for it to close (its effect's
//! writes and its event are then in one transaction). Why this cannot deadlock or lose a
//! wakeup:
//! - The holder's own task does not wait for commits while it holds ([`holding`]: a
//!   task-local makes `wait_committed` return at once); the in-process call it makes answers
//!   before its writes are on disk, which nobody outside can observe: every answer to a client
//!   waits for the commit of everything submitted before it, so for the end of the hold.
//! - The holder takes no lock across its hold other than the services' own (which nobody
//!   holds while waiting for a commit), so it always reaches its close.
//! - Closing sends a wake-up through the writer's channel; the writer re-reads the open holds
//!   under the sender mutex, where holds open and close, after draining the channel.
//! - A hold open longer than [`HOLD_MAX`] no longer holds anything back (a call that waits
//!   that long, a long poll through an AWS SDK integration, must not stall every commit): the
//!   writer sleeps at most until then.

use parking_lot::Mutex;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

mod rows;
pub mod snapshot;

#[cfg(test)]
pub(crate) use rows::{bytes_put, changes, describe};
pub use rows::{Kept, RowMap, Rows};

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
    /// Deletes the items under the parent whose id is below the given one.
    DeleteItemsBelow(String, u64),
    /// Deletes the items under the parent whose id is in `from..to`.
    DeleteItemRange(String, u64, u64),
}

/// `value`'s row: its JSON bytes, or `None` (logged, naming `what`) if it does not serialise.
/// The row is then left out rather than written empty: empty bytes do not parse, and the next
/// start would refuse the whole data directory over one row; a row left out loses only that
/// change.
pub fn row<T: serde::Serialize + ?Sized>(what: &str, value: &T) -> Option<Vec<u8>> {
    match serde_json::to_vec(value) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            tracing::error!("data directory: {what} not written (it does not serialise: {e})");
            None
        }
    }
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

/// How long a [`Hold`] may keep later batches from being committed. Real time, not the
/// emulated clock: it bounds how long the disk writer waits, which a frozen or fast-forwarded
/// emulated clock must not change.
pub const HOLD_MAX: Duration = Duration::from_secs(2);

enum Msg {
    Batch(u64, Vec<Op>),
    /// A hold closed: batches it kept back may be committable now.
    Wake,
}

struct Sender {
    next_seq: u64,
    tx: mpsc::Sender<Msg>,
    next_hold: u64,
}

/// Open holds by id: the last sequence number submitted when each opened, and when. Shared
/// by `Durable` (which opens and closes them under its sender mutex, then this one) and the
/// writer (which takes only this one, briefly).
#[derive(Default)]
struct Holds(BTreeMap<u64, (u64, Instant)>);

impl Holds {
    /// The last sequence number the writer may commit now (`None`: any), and when the holds
    /// that limit it stop counting.
    fn limit(&self, now: Instant) -> (Option<u64>, Option<Instant>) {
        let mut limit: Option<u64> = None;
        let mut until: Option<Instant> = None;
        for (seq, opened) in self.0.values() {
            let expires = *opened + HOLD_MAX;
            if expires <= now {
                continue;
            }
            limit = Some(limit.map_or(*seq, |l| l.min(*seq)));
            until = Some(until.map_or(expires, |u| u.min(expires)));
        }
        (limit, until)
    }
}

tokio::task_local! {
    /// Set around the in-process call of an open [`Hold`]: `wait_committed` does not wait
    /// there (the commit it would wait for comes after the hold closes).
    static HOLDING: ();
}

/// Runs `call` (the effect of an open hold) without its writes' waits for the commit; see
/// the module's "Holds".
pub async fn holding<F: std::future::Future>(call: F) -> F::Output {
    HOLDING.scope((), call).await
}

/// An open hold (see the module's "Holds"); closed when dropped.
pub struct Hold {
    durable: Arc<Durable>,
    id: u64,
}

impl std::fmt::Debug for Hold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hold({})", self.id)
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.durable.holds.lock().0.remove(&self.id);
        // The writer only stops when the process exits.
        let _ = self.durable.sender.lock().tx.send(Msg::Wake);
    }
}

pub struct Durable {
    sender: Mutex<Sender>,
    holds: Arc<Mutex<Holds>>,
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
        let holds = Arc::new(Mutex::new(Holds::default()));
        let writer_holds = holds.clone();
        std::thread::Builder::new()
            .name("stepyard-durable".into())
            .spawn(move || writer(db, rx, published, writer_holds))
            .map_err(|e| corrupt(format!("cannot start the writer thread: {e}")))?;
        Ok((
            Arc::new(Durable {
                sender: Mutex::new(Sender {
                    next_seq: 0,
                    tx,
                    next_hold: 0,
                }),
                holds,
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
        let _ = sender.tx.send(Msg::Batch(seq, ops));
    }

    /// Opens a hold: what is submitted from now until it is dropped is committed in one
    /// transaction (with whatever else is pending then). See the module's "Holds".
    pub fn hold(self: &Arc<Self>) -> Hold {
        let mut sender = self.sender.lock();
        sender.next_hold += 1;
        let id = sender.next_hold;
        // Under the sender mutex: no batch gets a sequence number between reading it and
        // registering the hold.
        self.holds
            .lock()
            .0
            .insert(id, (sender.next_seq, crate::clock::real_instant()));
        Hold {
            durable: self.clone(),
            id,
        }
    }

    /// The sequence number of the last batch submitted so far.
    pub fn submitted(&self) -> u64 {
        self.sender.lock().next_seq
    }

    /// Resolves once every batch submitted before this call is committed and fsynced.
    pub async fn wait_committed(&self) {
        if HOLDING.try_with(|_| ()).is_ok() {
            return;
        }
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

/// The one writer: blocks for a batch, takes every batch already waiting, commits in one
/// transaction those no open hold keeps back, publishes the last sequence number committed.
/// Ends when every sender is gone.
fn writer(
    mut db: Connection,
    rx: mpsc::Receiver<Msg>,
    published: watch::Sender<u64>,
    holds: Arc<Mutex<Holds>>,
) {
    let mut pending: std::collections::VecDeque<(u64, Vec<Op>)> = Default::default();
    // When the holds keeping `pending` back stop counting (`None`: nothing kept back).
    let mut held_until: Option<Instant> = None;
    loop {
        let first = match held_until {
            None => match rx.recv() {
                Ok(m) => Some(m),
                Err(_) => return,
            },
            Some(until) => match rx
                .recv_timeout(until.saturating_duration_since(crate::clock::real_instant()))
            {
                Ok(m) => Some(m),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            },
        };
        for msg in first
            .into_iter()
            .chain(std::iter::from_fn(|| rx.try_recv().ok()))
        {
            if let Msg::Batch(seq, ops) = msg {
                pending.push_back((seq, ops));
            }
        }
        // Read after draining: a hold opened after this read has a sequence number at least
        // that of every batch drained, so none of them is its.
        let (limit, until) = holds.lock().limit(crate::clock::real_instant());
        let mut last = None;
        let mut batches = Vec::new();
        while pending
            .front()
            .is_some_and(|(seq, _)| limit.is_none_or(|l| *seq <= l))
        {
            if let Some((seq, ops)) = pending.pop_front() {
                last = Some(seq);
                batches.push(ops);
            }
        }
        held_until = if pending.is_empty() { None } else { until };
        let Some(last) = last else {
            continue;
        };
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
            Op::DeleteItemsBelow(parent, id) => {
                txn.prepare_cached("DELETE FROM items WHERE parent = ?1 AND id < ?2")?
                    .execute(params![parent, id as i64])?;
            }
            Op::DeleteItemRange(parent, from, to) => {
                // Ids are stored as SQLite's signed integers (`as i64`, the same bits both
                // ways), so a range is in order only below 2^63; its one user, a Distributed
                // Map child's rows, keeps item indexes under 2^31 (`map_runs::child_base`).
                txn.prepare_cached("DELETE FROM items WHERE parent = ?1 AND id >= ?2 AND id < ?3")?
                    .execute(params![parent, from as i64, to as i64])?;
            }
        }
    }
    txn.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_that_does_not_serialise_gives_no_row_rather_than_empty_bytes() {
        // JSON object keys must be strings: a map keyed by pairs does not serialise.
        let unwritable: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        assert_eq!(row("a test value", &unwritable), None);
        assert_eq!(row("a test value", &[1, 2]).as_deref(), Some(&b"[1,2]"[..]));
    }

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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hold_keeps_later_writes_uncommitted_until_it_closes_and_its_holder_does_not_wait() {
        let dir = scratch("hold");
        let (durable, _) = Durable::open(&dir).expect("opens");
        durable.submit(vec![Op::PutItem("p".into(), 1, b"before".to_vec())]);
        let before = durable.submitted();
        let hold = durable.hold();
        // The holder's own writes: its waits return at once (they would wait for itself).
        holding(async {
            durable.submit(vec![Op::PutItem("p".into(), 2, b"effect".to_vec())]);
            durable.wait_committed().await;
        })
        .await;
        // Anyone else's write after the hold opened waits for it too.
        let other = {
            let durable = durable.clone();
            tokio::spawn(async move {
                durable.submit(vec![Op::PutItem("p".into(), 3, b"other".to_vec())]);
                durable.wait_committed().await;
            })
        };
        let mut committed = durable.committed.clone();
        tokio::time::timeout(Duration::from_secs(5), committed.wait_for(|c| *c >= before))
            .await
            .expect("what came before the hold is committed")
            .expect("writer runs");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            *durable.committed.borrow(),
            before,
            "nothing after the hold"
        );
        assert!(!other.is_finished());
        durable.submit(vec![Op::PutItem("p".into(), 4, b"record".to_vec())]);
        drop(hold);
        tokio::time::timeout(Duration::from_secs(5), other)
            .await
            .expect("released by the close")
            .expect("ran");
        assert_eq!(*durable.committed.borrow(), durable.submitted());
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
