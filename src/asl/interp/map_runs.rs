//! Map runs: the record a Distributed Map keeps of its child executions, for ListMapRuns,
//! DescribeMapRun and UpdateMapRun. The Map state writes it as items start and end; the API
//! reads it, and UpdateMapRun changes the limits the running Map reads before each start.

use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub pending: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub aborted: u64,
    pub total: u64,
}

impl Counts {
    fn to_json(&self) -> Value {
        json!({
            "pending": self.pending,
            "running": self.running,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "timedOut": 0,
            "aborted": self.aborted,
            "total": self.total,
            "resultsWritten": 0,
            "failuresNotRedrivable": 0,
            "pendingRedrive": 0,
        })
    }
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
}

impl MapRuns {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
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
        self.runs.lock().clear();
    }

    /// Forgets the map runs of the executions `gone` names (evicted by retention). Takes each
    /// run's lock inside the runs lock, as `of_execution` does.
    pub fn forget_executions(&self, gone: impl Fn(&str) -> bool) {
        self.runs
            .lock()
            .retain(|_, run| !gone(&run.lock().execution_arn));
    }
}

impl MapRun {
    /// DescribeMapRun's answer (timestamps in epoch seconds, as awsJson sends them).
    pub fn describe(&self) -> Value {
        let mut out = json!({
            "mapRunArn": self.arn,
            "executionArn": self.execution_arn,
            "status": self.status,
            "startDate": self.start_ms as f64 / 1000.0,
            "maxConcurrency": self.max_concurrency,
            "toleratedFailurePercentage": self.tolerated_failure_percentage,
            "toleratedFailureCount": self.tolerated_failure_count,
            "itemCounts": self.counts.to_json(),
            "executionCounts": self.counts.to_json(),
            "redriveCount": 0,
        });
        if let Some(stop) = self.stop_ms {
            out["stopDate"] = Value::from(stop as f64 / 1000.0);
        }
        out
    }

    /// ListMapRuns' entry.
    pub fn list_item(&self) -> Value {
        let mut out = json!({
            "executionArn": self.execution_arn,
            "mapRunArn": self.arn,
            "stateMachineArn": self.state_machine_arn,
            "startDate": self.start_ms as f64 / 1000.0,
        });
        if let Some(stop) = self.stop_ms {
            out["stopDate"] = Value::from(stop as f64 / 1000.0);
        }
        out
    }
}
