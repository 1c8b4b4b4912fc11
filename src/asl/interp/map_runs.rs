//! Map runs: the record a Distributed Map keeps of its child executions, for ListMapRuns,
//! DescribeMapRun and UpdateMapRun. The Map state writes it as items start and end; the API
//! reads it, and UpdateMapRun changes the limits the running Map reads before each start.
//!
//! With a data directory each map run is a resource (`sfn/maprun/<arn>`, its record, written
//! when it starts, as each item ends and when it ends) and each item that ended an item
//! (`sfn/mapitem/<arn>`, id = the item's index: its output or its error), the two written in
//! one batch so the record's counts and the items agree. A map run that was running at a
//! restart is picked up by its resumed Map state, which runs only the items not ended.
//!
//! Each child execution that runs with a data directory keeps its history (it is dropped
//! when the child ends) and writes it as it grows: one item per event under
//! `sfn/mapchild/<arn>` and one per task token under `sfn/mapchildtoken/<arn>`, the id being
//! the item's index in the high 32 bits and the event id in the low ones. A child that was
//! running at a restart resumes from its history as a top-level execution does
//! (`super::resume`): a Wait keeps its deadline, a callback whose request went out is not
//! sent again and its token still works. The rows of a child go in the batch that records its
//! item's end. Map runs written before children kept histories have none: their running
//! items start again from their first state.

use super::StoredEvent;
use super::{ExecutionRecord, HistoryEvent, RecordSink};
use crate::persist::{Durable, Loaded, Op};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

const RUN_PREFIX: &str = "sfn/maprun/";
const ITEM_PREFIX: &str = "sfn/mapitem/";

const CHILD_PREFIX: &str = "sfn/mapchild/";
const CHILD_TOKEN_PREFIX: &str = "sfn/mapchildtoken/";

/// The ARN that child `index` of map run `run_arn` owns its activity tokens under (each child
/// is an execution of its own, as on AWS): `...:execution:<machine>/<label>:<run id>-<index>`.
pub fn child_arn(run_arn: &str, index: usize) -> String {
    format!("{}-{index}", run_arn.replacen(":mapRun:", ":execution:", 1))
}

fn item_key(arn: &str) -> String {
    format!("{ITEM_PREFIX}{arn}")
}

fn child_key(arn: &str) -> String {
    format!("{CHILD_PREFIX}{arn}")
}

fn child_token_key(arn: &str) -> String {
    format!("{CHILD_TOKEN_PREFIX}{arn}")
}

/// The low bits of a child's row id: the event id (or, for a token, the event its Task was at).
const EVENT_BITS: u64 = 0xffff_ffff;

/// The first row id of child `index` (its rows are `base..base + 2^32`); `None` for an index
/// that does not fit: SQLite ids are signed 64-bit, and the end of the range
/// (`item_ended`'s delete) must fit too, so the last index is `2^31 - 2`. Such a child keeps
/// no history.
fn child_base(index: usize) -> Option<u64> {
    let index = u64::try_from(index).ok().filter(|i| *i < (1 << 31) - 1)?;
    Some(index << 32)
}

/// What a child execution running at a restart had kept: its history and the task tokens
/// its Tasks were issued, as `(event id, token)`.
#[derive(Debug, Default)]
pub struct ChildHistory {
    pub events: Vec<HistoryEvent>,
    pub tokens: Vec<(u64, String)>,
}

/// Where a child execution's history and tokens are written (`--data-dir`). Only queues
/// (`Durable::submit`), as `RecordSink` asks: it is called under the child's record lock.
struct ChildSink {
    durable: Arc<Durable>,
    events: String,
    tokens: String,
    base: u64,
}

impl std::fmt::Debug for ChildSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChildSink({}, {})", self.events, self.base >> 32)
    }
}

impl RecordSink for ChildSink {
    fn event(&self, e: &HistoryEvent) {
        // An event id past 2^32 cannot be: a history stops at 25,000 events.
        let id = self.base | (e.id & EVENT_BITS);
        if let Some(bytes) = crate::persist::row("a map run child's event", &StoredEvent::of(e)) {
            self.durable
                .submit(vec![Op::PutItem(self.events.clone(), id, bytes)]);
        }
    }

    fn token(&self, at_event: u64, token: &str) {
        let id = self.base | (at_event & EVENT_BITS);
        self.durable.submit(vec![Op::PutItem(
            self.tokens.clone(),
            id,
            token.as_bytes().to_vec(),
        )]);
    }

    // A child has no record of its own in the data directory: its end is its item's row.
    fn changed(&self, _record: &ExecutionRecord) {}

    fn forgotten(&self) {}

    fn hold(&self) -> Option<crate::persist::Hold> {
        Some(self.durable.hold())
    }
}

/// A map run in the state document (`stepfunctions.map_runs`): its record, the items that
/// ended (`[index, end]`) and, for a running one whose children keep histories (data
/// directory), each running child's history and task tokens. The items and children are
/// those of a run still running; a finished run has none.
#[derive(Serialize, Deserialize)]
pub struct DocumentMapRun {
    #[serde(flatten)]
    run: RunRecord,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    items: Vec<(usize, ItemEnd)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    children: Vec<DocumentChild>,
}

impl DocumentMapRun {
    /// Rejects ids the data directory could not keep apart: an item index past SQLite's
    /// signed ids, a child index past `child_base`'s, an event id past the low 32 bits its
    /// rows give it (it would overwrite another child's rows).
    pub fn check(&self) -> Result<(), String> {
        let arn = &self.run.arn;
        if let Some((index, _)) = self.items.iter().find(|(i, _)| i64::try_from(*i).is_err()) {
            return Err(format!("map run {arn}: item index {index} is too large"));
        }
        for child in &self.children {
            let index = child.index;
            if child_base(index).is_none() {
                return Err(format!("map run {arn}: child index {index} is too large"));
            }
            let ids = child.history.iter().map(StoredEvent::id);
            let tokens = child.tokens.iter().map(|(at, _)| *at);
            if let Some(id) = ids.chain(tokens).find(|id| *id > EVENT_BITS) {
                return Err(format!(
                    "map run {arn}: child {index}: event id {id} is too large"
                ));
            }
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct DocumentChild {
    index: usize,
    history: Vec<StoredEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tokens: Vec<(u64, String)>,
}

/// A running map run's progress, for the state document: the items that ended, and (data
/// directory) its running children's records. Dropped when the run ends.
#[derive(Default)]
struct Progress {
    ended: HashMap<usize, ItemEnd>,
    children: HashMap<usize, super::SharedRecord>,
}

/// How one item of a map run ended, as the data directory keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemEnd {
    Succeeded(Value),
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
}

/// A map run as the data directory keeps it (and the state document, with its items).
#[derive(Serialize, Deserialize)]
struct RunRecord {
    arn: String,
    execution_arn: String,
    state_machine_arn: String,
    status: String,
    start_ms: u64,
    stop_ms: Option<u64>,
    max_concurrency: u64,
    tolerated_failure_count: u64,
    tolerated_failure_percentage: f64,
    pending: u64,
    running: u64,
    succeeded: u64,
    failed: u64,
    aborted: u64,
    total: u64,
}

impl RunRecord {
    fn of(r: &MapRun) -> Self {
        RunRecord {
            arn: r.arn.clone(),
            execution_arn: r.execution_arn.clone(),
            state_machine_arn: r.state_machine_arn.clone(),
            status: r.status.to_string(),
            start_ms: r.start_ms,
            stop_ms: r.stop_ms,
            max_concurrency: r.max_concurrency,
            tolerated_failure_count: r.tolerated_failure_count,
            tolerated_failure_percentage: r.tolerated_failure_percentage,
            pending: r.counts.pending,
            running: r.counts.running,
            succeeded: r.counts.succeeded,
            failed: r.counts.failed,
            aborted: r.counts.aborted,
            total: r.counts.total,
        }
    }

    fn into_run(self) -> MapRun {
        let status = match self.status.as_str() {
            "RUNNING" => "RUNNING",
            "SUCCEEDED" => "SUCCEEDED",
            "FAILED" => "FAILED",
            _ => "ABORTED",
        };
        MapRun {
            arn: self.arn,
            execution_arn: self.execution_arn,
            state_machine_arn: self.state_machine_arn,
            status,
            start_ms: self.start_ms,
            stop_ms: self.stop_ms,
            max_concurrency: self.max_concurrency,
            tolerated_failure_count: self.tolerated_failure_count,
            tolerated_failure_percentage: self.tolerated_failure_percentage,
            counts: Counts {
                pending: self.pending,
                running: self.running,
                succeeded: self.succeeded,
                failed: self.failed,
                aborted: self.aborted,
                total: self.total,
            },
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub pending: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub aborted: u64,
    pub total: u64,
}

#[derive(Debug, Clone)]
pub struct MapRun {
    pub arn: String,
    pub execution_arn: String,
    /// `...:stateMachine:<machine>/<label>`: the map run's own state machine.
    pub state_machine_arn: String,
    pub status: &'static str,
    pub start_ms: u64,
    pub stop_ms: Option<u64>,
    /// 0 means no limit, as AWS reports it.
    pub max_concurrency: u64,
    pub tolerated_failure_count: u64,
    pub tolerated_failure_percentage: f64,
    pub counts: Counts,
}

pub type SharedMapRun = Arc<Mutex<MapRun>>;

#[derive(Default)]
pub struct MapRuns {
    runs: Mutex<HashMap<String, SharedMapRun>>,
    /// `--data-dir`: where map runs and their ended items are written.
    durable: Option<Arc<Durable>>,
    /// Map runs read back running from the data directory: the items each had ended, until
    /// its resumed Map state takes them.
    ended: Mutex<HashMap<String, HashMap<usize, ItemEnd>>>,
    /// The same map runs' child executions that were running, with their histories. Like
    /// `ended`, taken alone or last (`clear` takes it inside `runs`), never across a wait.
    children: Mutex<HashMap<String, HashMap<usize, ChildHistory>>>,
    /// Running map runs' progress, for the state document. Lock order: `runs` or a run's
    /// lock, then this one (`clear`, `item_ended`); nothing takes another lock while holding
    /// it (`export` copies a child's record out before locking the record), so no cycle.
    progress: Mutex<HashMap<String, Progress>>,
}

/// A resumed map run's record, the items it had ended and its children that were running.
pub type Resumed = (
    SharedMapRun,
    HashMap<usize, ItemEnd>,
    HashMap<usize, ChildHistory>,
);

impl MapRuns {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Map runs written to the data directory of `durable`.
    pub fn durable(durable: Option<Arc<Durable>>) -> Arc<Self> {
        Arc::new(MapRuns {
            durable,
            ..Self::default()
        })
    }

    /// Whether map runs are written to a data directory.
    pub fn is_durable(&self) -> bool {
        self.durable.is_some()
    }

    /// Writes the run's record (called under its lock, so records reach the log in order).
    pub fn persist(&self, run: &MapRun) {
        if let Some(durable) = &self.durable {
            if let Some(op) = record_op(run) {
                durable.submit(vec![op]);
            }
        }
    }

    /// Writes how item `index` ended, with the run's record in the same batch (called under
    /// the run's lock).
    pub fn item_ended(&self, run: &MapRun, index: usize, end: &ItemEnd) {
        if let Some(p) = self.progress.lock().get_mut(&run.arn) {
            p.children.remove(&index);
            p.ended.insert(index, end.clone());
        }
        if let Some(durable) = &self.durable {
            let item = crate::persist::row("a map run item's end", end)
                .map(|item| Op::PutItem(item_key(&run.arn), index as u64, item));
            let kept = item.is_some();
            let mut ops: Vec<Op> = item.into_iter().chain(record_op(run)).collect();
            // The child's history is not needed once its end is kept: gone in the same commit
            // (and kept if its end could not be written, so a restart runs it on).
            if let Some(base) = child_base(index).filter(|_| kept) {
                let end = base + (1 << 32);
                ops.push(Op::DeleteItemRange(child_key(&run.arn), base, end));
                ops.push(Op::DeleteItemRange(child_token_key(&run.arn), base, end));
            }
            durable.submit(ops);
        }
    }

    /// The record child `index` of map run `arn` writes through, its history restored
    /// (`history`, after a restart or a loaded document) or new. In memory a new child gets
    /// `None` (children then share one record that counts events without keeping them), and
    /// so does an index past 2^31; a restored one gets a record of its own, not written.
    pub fn child_record(
        &self,
        arn: &str,
        index: usize,
        history: Option<Vec<HistoryEvent>>,
    ) -> Option<super::SharedRecord> {
        let base = child_base(index)?;
        if self.durable.is_none() && history.is_none() {
            return None;
        }
        let mut record = match history {
            Some(h) => ExecutionRecord::restored(h),
            None => ExecutionRecord::default(),
        };
        if let Some(durable) = &self.durable {
            record.sink = Some(Arc::new(ChildSink {
                durable: durable.clone(),
                events: child_key(arn),
                tokens: child_token_key(arn),
                base,
            }));
        }
        let record = Arc::new(Mutex::new(record));
        if let Some(p) = self.progress.lock().get_mut(arn) {
            p.children.insert(index, record.clone());
        }
        Some(record)
    }

    /// Deletes the histories kept of the map run's children (it ended: none resumes).
    pub fn forget_children(&self, arn: &str) {
        if let Some(durable) = &self.durable {
            durable.submit(vec![
                Op::DeleteItems(child_key(arn)),
                Op::DeleteItems(child_token_key(arn)),
            ]);
        }
    }

    /// The map run `arn` ended (or was dropped): its progress is no longer kept.
    pub fn run_ended(&self, arn: &str) {
        self.progress.lock().remove(arn);
    }

    /// Every map run for the state document, oldest first. `live` are the task tokens tasks
    /// wait on now: a running child's are the ones its history names (a callback passes
    /// `$$.Task.Token` in its parameters), kept at the event its Task's run was at; `owned`
    /// the activity tokens by owner (a child's under its `child_arn`).
    pub fn export(
        &self,
        live: &super::callbacks::LiveTokens,
        owned: &HashMap<String, Vec<(u64, String)>>,
    ) -> Vec<DocumentMapRun> {
        let mut runs: Vec<MapRun> = self
            .runs
            .lock()
            .values()
            .map(|r| r.lock().clone())
            .collect();
        runs.sort_by(|a, b| a.start_ms.cmp(&b.start_ms).then(a.arn.cmp(&b.arn)));
        runs.into_iter()
            .map(|run| {
                let (mut items, children) = match self.progress.lock().get(&run.arn) {
                    Some(p) if run.status == "RUNNING" => (
                        p.ended.iter().map(|(i, e)| (*i, e.clone())).collect(),
                        p.children
                            .iter()
                            .map(|(i, r)| (*i, r.clone()))
                            .collect::<Vec<_>>(),
                    ),
                    _ => (Vec::new(), Vec::new()),
                };
                items.sort_by_key(|(i, _)| *i);
                let mut children: Vec<DocumentChild> = children
                    .into_iter()
                    .map(|(index, record)| {
                        let record = record.lock();
                        let own = owned
                            .get(&child_arn(&run.arn, index))
                            .map_or(&[][..], Vec::as_slice);
                        let mut tokens = own.to_vec();
                        tokens.extend(live.named_in(&record.history, |token| {
                            own.iter().any(|(_, o)| o == token)
                        }));
                        DocumentChild {
                            index,
                            history: record.history.iter().map(StoredEvent::of).collect(),
                            tokens,
                        }
                    })
                    .collect();
                children.sort_by_key(|c| c.index);
                DocumentMapRun {
                    run: RunRecord::of(&run),
                    items,
                    children,
                }
            })
            .collect()
    }

    /// Replaces the map runs with a state document's (after `clear`, before executions
    /// resume); `running` as for `restore`. With a data directory they are written to it.
    pub fn import(&self, docs: Vec<DocumentMapRun>, running: impl Fn(&str) -> bool) {
        for doc in docs {
            let arn = doc.run.arn.clone();
            if let Some(durable) = &self.durable {
                let mut ops: Vec<Op> = crate::persist::row("a map run", &doc.run)
                    .map(|run| Op::PutResource(format!("{RUN_PREFIX}{arn}"), run))
                    .into_iter()
                    .collect();
                // Indexes and ids were checked by `DocumentMapRun::check`.
                for (index, end) in &doc.items {
                    let Ok(index) = u64::try_from(*index) else {
                        continue;
                    };
                    if let Some(item) = crate::persist::row("a map run item's end", end) {
                        ops.push(Op::PutItem(item_key(&arn), index, item));
                    }
                }
                // A run whose execution does not resume resumes no child: its children's rows
                // would only wait on disk for the next start to delete them.
                let resumes = running(&doc.run.execution_arn);
                for child in doc.children.iter().filter(|_| resumes) {
                    let Some(base) = child_base(child.index) else {
                        continue;
                    };
                    for e in &child.history {
                        if let Some(bytes) = crate::persist::row("a map run child's event", e) {
                            ops.push(Op::PutItem(child_key(&arn), base | e.id(), bytes));
                        }
                    }
                    for (at, token) in &child.tokens {
                        let bytes = token.as_bytes().to_vec();
                        ops.push(Op::PutItem(child_token_key(&arn), base | at, bytes));
                    }
                }
                durable.submit(ops);
            }
            let items = doc.items.into_iter().collect();
            let children = doc
                .children
                .into_iter()
                .map(|c| {
                    let mut events: Vec<HistoryEvent> =
                        c.history.into_iter().map(StoredEvent::into_event).collect();
                    events.sort_by_key(|e| e.id);
                    let history = ChildHistory {
                        events,
                        tokens: c.tokens,
                    };
                    (c.index, history)
                })
                .collect();
            self.install(doc.run.into_run(), items, children, &running);
        }
    }

    /// Puts a map run read back (data directory, state document) in place: one whose
    /// execution resumes waits for its Map state with what it had ended and its running
    /// children; one left RUNNING by an execution that does not comes back ABORTED.
    fn install(
        &self,
        mut run: MapRun,
        items: HashMap<usize, ItemEnd>,
        children: HashMap<usize, ChildHistory>,
        running: impl Fn(&str) -> bool,
    ) -> bool {
        let mut resumes = false;
        // ABORTED too: a run dropped as the server shut down was recorded so.
        if run.status == "RUNNING" || run.status == "ABORTED" {
            if running(&run.execution_arn) {
                self.ended.lock().insert(run.arn.clone(), items);
                self.children.lock().insert(run.arn.clone(), children);
                resumes = true;
            } else if run.status == "RUNNING" {
                run.status = "ABORTED";
                run.counts.aborted += run.counts.running + run.counts.pending;
                run.counts.running = 0;
                run.counts.pending = 0;
            }
        }
        self.runs
            .lock()
            .insert(run.arn.clone(), Arc::new(Mutex::new(run)));
        resumes
    }

    /// Reads the data directory's map runs back (at start, before executions resume).
    /// `running` tells whether an execution was still running: a map run left RUNNING by an
    /// execution that is not comes back ABORTED; the others wait for their Map to resume.
    pub fn restore(&self, loaded: &Loaded, running: impl Fn(&str) -> bool) -> Result<(), String> {
        let mut items: HashMap<&str, HashMap<usize, ItemEnd>> = HashMap::new();
        let mut children: HashMap<&str, HashMap<usize, ChildHistory>> = HashMap::new();
        let child_of = |id: u64| (usize::try_from(id >> 32).ok(), id & EVENT_BITS);
        for (parent, id, value) in &loaded.items {
            if let Some(arn) = parent.strip_prefix(ITEM_PREFIX) {
                let end: ItemEnd = serde_json::from_slice(value)
                    .map_err(|e| format!("map run {arn}: item {id}: {e}"))?;
                let index = usize::try_from(*id).map_err(|e| format!("map run {arn}: {e}"))?;
                items.entry(arn).or_default().insert(index, end);
            } else if let Some(arn) = parent.strip_prefix(CHILD_PREFIX) {
                let e: StoredEvent = serde_json::from_slice(value)
                    .map_err(|e| format!("map run {arn}: child event {id}: {e}"))?;
                let (Some(index), _) = child_of(*id) else {
                    continue;
                };
                let event = e.into_event();
                let child = children.entry(arn).or_default().entry(index).or_default();
                child.events.push(event);
            } else if let Some(arn) = parent.strip_prefix(CHILD_TOKEN_PREFIX) {
                let (Some(index), at) = child_of(*id) else {
                    continue;
                };
                let token = String::from_utf8_lossy(value).into_owned();
                let child = children.entry(arn).or_default().entry(index).or_default();
                child.tokens.push((at, token));
            }
        }
        for runs in children.values_mut() {
            for child in runs.values_mut() {
                child.events.sort_by_key(|e| e.id);
            }
        }
        for (arn, bytes) in loaded.resources_under(RUN_PREFIX) {
            let record: RunRecord =
                serde_json::from_slice(bytes).map_err(|e| format!("map run {arn}: {e}"))?;
            let ended = items.remove(arn).unwrap_or_default();
            let running_children = children.remove(arn).unwrap_or_default();
            let taken = running_children.len();
            if !self.install(record.into_run(), ended, running_children, &running) && taken > 0 {
                // Not resumed: its children's rows go below.
                children.insert(arn, HashMap::new());
            }
        }
        // Children of map runs that will not resume: their rows are of no use.
        if let Some(durable) = &self.durable {
            let stale: Vec<Op> = children
                .keys()
                .flat_map(|arn| {
                    [
                        Op::DeleteItems(child_key(arn)),
                        Op::DeleteItems(child_token_key(arn)),
                    ]
                })
                .collect();
            durable.submit(stale);
        }
        Ok(())
    }

    /// A map run read back running, with the items it had ended and its children that were
    /// running, for its resumed Map state.
    /// `None`, with nothing taken or added, when it is not such a run.
    pub fn take_resumed(&self, arn: &str) -> Option<Resumed> {
        // The run first: a progress entry added for a run that is not there would never be
        // looked at or removed (nothing ends that run), kept for as long as the process lives.
        let run = self.get(arn)?;
        let ended = self.ended.lock().remove(arn)?;
        let children = self.children.lock().remove(arn).unwrap_or_default();
        let progress = Progress {
            ended: ended.clone(),
            children: HashMap::new(),
        };
        self.progress.lock().insert(arn.to_string(), progress);
        Some((run, ended, children))
    }

    fn forget_rows(&self, arns: &[String]) {
        if let Some(durable) = &self.durable {
            let ops = arns
                .iter()
                .flat_map(|arn| {
                    [
                        Op::DeleteResource(format!("{RUN_PREFIX}{arn}")),
                        Op::DeleteItems(item_key(arn)),
                        Op::DeleteItems(child_key(arn)),
                        Op::DeleteItems(child_token_key(arn)),
                    ]
                })
                .collect();
            durable.submit(ops);
        }
    }

    pub fn add(&self, run: MapRun) -> SharedMapRun {
        let arn = run.arn.clone();
        self.progress
            .lock()
            .insert(arn.clone(), Progress::default());
        let shared = Arc::new(Mutex::new(run));
        self.runs.lock().insert(arn, shared.clone());
        shared
    }

    pub fn get(&self, arn: &str) -> Option<SharedMapRun> {
        self.runs.lock().get(arn).cloned()
    }

    /// The execution's map runs, oldest first.
    pub fn of_execution(&self, execution_arn: &str) -> Vec<MapRun> {
        let mut runs: Vec<MapRun> = self
            .runs
            .lock()
            .values()
            .map(|r| r.lock().clone())
            .filter(|r| r.execution_arn == execution_arn)
            .collect();
        runs.sort_by(|a, b| a.start_ms.cmp(&b.start_ms).then(a.arn.cmp(&b.arn)));
        runs
    }

    pub fn clear(&self) {
        let mut runs = self.runs.lock();
        let arns: Vec<String> = runs.keys().cloned().collect();
        runs.clear();
        self.ended.lock().clear();
        self.children.lock().clear();
        self.progress.lock().clear();
        self.forget_rows(&arns);
    }

    /// Forgets the map runs of the executions `gone` names (evicted by retention). Takes each
    /// run's lock inside the runs lock, as `of_execution` does.
    pub fn forget_executions(&self, gone: impl Fn(&str) -> bool) {
        let mut forgotten = Vec::new();
        self.runs.lock().retain(|arn, run| {
            let keep = !gone(&run.lock().execution_arn);
            if !keep {
                forgotten.push(arn.clone());
            }
            keep
        });
        {
            let mut progress = self.progress.lock();
            for arn in &forgotten {
                progress.remove(arn);
            }
        }
        self.forget_rows(&forgotten);
    }
}

/// The run's record row (`None`, logged, if it does not serialise).
fn record_op(run: &MapRun) -> Option<Op> {
    let bytes = crate::persist::row("a map run", &RunRecord::of(run))?;
    Some(Op::PutResource(format!("{RUN_PREFIX}{}", run.arn), bytes))
}

#[cfg(test)]
mod tests {
    use super::DocumentMapRun;
    use serde_json::json;

    #[test]
    fn taking_a_resumed_run_that_is_not_there_adds_no_progress_and_keeps_its_ended_items() {
        let runs = super::MapRuns::new();
        let arn = "arn:aws:states:us-east-1:000000000000:mapRun:m/map:gone";
        runs.ended
            .lock()
            .insert(arn.to_string(), Default::default());
        assert!(runs.take_resumed(arn).is_none());
        assert!(runs.progress.lock().is_empty());
        assert!(runs.ended.lock().contains_key(arn));
    }

    fn document(child_index: u64, event_id: u64, token_at: u64) -> DocumentMapRun {
        serde_json::from_value(json!({
            "arn": "arn:aws:states:us-east-1:000000000000:mapRun:m/map:1",
            "execution_arn": "arn:aws:states:us-east-1:000000000000:execution:m:e",
            "state_machine_arn": "arn:aws:states:us-east-1:000000000000:stateMachine:m/map",
            "status": "RUNNING", "start_ms": 1, "stop_ms": null, "max_concurrency": 0,
            "tolerated_failure_count": 0, "tolerated_failure_percentage": 0.0,
            "pending": 1, "running": 1, "succeeded": 0, "failed": 0, "aborted": 0, "total": 2,
            "items": [[0, {"succeeded": 1}]],
            "children": [{
                "index": child_index,
                "history": [{"id": event_id, "prev": 0, "ms": 1, "type": "ExecutionStarted",
                             "details": null}],
                "tokens": [[token_at, "t"]],
            }],
        }))
        .expect("the test document parses")
    }

    #[test]
    fn a_document_child_whose_ids_fit_its_rows_is_accepted() {
        assert!(document(1, 0xffff_ffff, 3).check().is_ok());
    }

    #[test]
    fn a_document_child_event_id_past_32_bits_is_rejected_rather_than_overwriting_another_child() {
        let err = document(1, 1 << 32, 3).check().unwrap_err();
        assert!(err.contains("event id 4294967296 is too large"), "{err}");
        let err = document(1, 2, (1 << 32) + 5).check().unwrap_err();
        assert!(err.contains("event id 4294967301 is too large"), "{err}");
    }

    #[test]
    fn a_document_child_index_past_the_data_directory_s_ids_is_rejected() {
        let err = document((1 << 31) - 1, 2, 3).check().unwrap_err();
        assert!(err.contains("child index 2147483647 is too large"), "{err}");
    }
}
