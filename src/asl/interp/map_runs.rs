//! Map runs: the record a Distributed Map keeps of its child executions, for ListMapRuns,
//! DescribeMapRun and UpdateMapRun. The Map state writes it as items start and end; the API
//! reads it, and UpdateMapRun changes the limits the running Map reads before each start.
//!
//! With a data directory each map run is a resource (`sfn/maprun/<arn>`, its record, written
//! when it starts, as each item ends and when it ends) and each item that ended an item
//! (`sfn/mapitem/<arn>`, id = the item's index: its output or its error), the two written in
//! one batch so the record's counts and the items agree. A map run that was running at a
//! restart is picked up by its resumed Map state, which runs only the items not ended.

use crate::persist::{Durable, Loaded, Op};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

const RUN_PREFIX: &str = "sfn/maprun/";
const ITEM_PREFIX: &str = "sfn/mapitem/";

fn item_key(arn: &str) -> String {
    format!("{ITEM_PREFIX}{arn}")
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

/// A map run as the data directory keeps it.
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
}

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

    /// Writes the run's record (called under its lock, so records reach the log in order).
    pub fn persist(&self, run: &MapRun) {
        if let Some(durable) = &self.durable {
            durable.submit(vec![record_op(run)]);
        }
    }

    /// Writes how item `index` ended, with the run's record in the same batch (called under
    /// the run's lock).
    pub fn item_ended(&self, run: &MapRun, index: usize, end: &ItemEnd) {
        if let Some(durable) = &self.durable {
            let item = serde_json::to_vec(end).unwrap_or_default();
            durable.submit(vec![
                Op::PutItem(item_key(&run.arn), index as u64, item),
                record_op(run),
            ]);
        }
    }

    /// Reads the data directory's map runs back (at start, before executions resume).
    /// `running` tells whether an execution was still running: a map run left RUNNING by an
    /// execution that is not comes back ABORTED; the others wait for their Map to resume.
    pub fn restore(&self, loaded: &Loaded, running: impl Fn(&str) -> bool) -> Result<(), String> {
        let mut items: HashMap<&str, HashMap<usize, ItemEnd>> = HashMap::new();
        for (parent, id, value) in &loaded.items {
            if let Some(arn) = parent.strip_prefix(ITEM_PREFIX) {
                let end: ItemEnd = serde_json::from_slice(value)
                    .map_err(|e| format!("map run {arn}: item {id}: {e}"))?;
                let index = usize::try_from(*id).map_err(|e| format!("map run {arn}: {e}"))?;
                items.entry(arn).or_default().insert(index, end);
            }
        }
        for (arn, bytes) in loaded.resources_under(RUN_PREFIX) {
            let record: RunRecord =
                serde_json::from_slice(bytes).map_err(|e| format!("map run {arn}: {e}"))?;
            let mut run = record.into_run();
            // ABORTED too: a run dropped as the server shut down was recorded so.
            if run.status == "RUNNING" || run.status == "ABORTED" {
                if running(&run.execution_arn) {
                    let ended = items.remove(arn).unwrap_or_default();
                    self.ended.lock().insert(run.arn.clone(), ended);
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
        }
        Ok(())
    }

    /// A map run read back running, with the items it had ended, for its resumed Map state.
    pub fn take_resumed(&self, arn: &str) -> Option<(SharedMapRun, HashMap<usize, ItemEnd>)> {
        let ended = self.ended.lock().remove(arn)?;
        Some((self.get(arn)?, ended))
    }

    fn forget_rows(&self, arns: &[String]) {
        if let Some(durable) = &self.durable {
            let ops = arns
                .iter()
                .flat_map(|arn| {
                    [
                        Op::DeleteResource(format!("{RUN_PREFIX}{arn}")),
                        Op::DeleteItems(item_key(arn)),
                    ]
                })
                .collect();
            durable.submit(ops);
        }
    }

    pub fn add(&self, run: MapRun) -> SharedMapRun {
        let arn = run.arn.clone();
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
        self.forget_rows(&forgotten);
    }
}

fn record_op(run: &MapRun) -> Op {
    Op::PutResource(
        format!("{RUN_PREFIX}{}", run.arn),
        serde_json::to_vec(&RunRecord::of(run)).unwrap_or_default(),
    )
}
