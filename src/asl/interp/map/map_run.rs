//! A distributed Map's map run: its record for the map-run API (counts, status, concurrency
//! that UpdateMapRun may change), its ARNs, and the engine its child executions run on.

use super::super::engine::Engine;
use super::super::history::Recorder;
use super::super::map_runs::{ChildHistory, Counts, ItemEnd, MapRun, MapRuns, SharedMapRun};
use super::super::{ExecutionRecord, HistoryEvent, SharedRecord};
use super::limits::Tolerance;
use crate::asl::ast::MapState;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// A resumed map run: its guard, its children's shared engine, the items it had ended and
/// the children that were running.
pub(super) type Resumed = (
    MapRunGuard,
    Arc<Engine>,
    HashMap<usize, ItemEnd>,
    HashMap<usize, ChildHistory>,
);

/// A map run in progress: one that is dropped unfinished (the execution was stopped or timed
/// out) is recorded as ABORTED.
pub(super) struct MapRunGuard(SharedMapRun, Arc<MapRuns>);

impl MapRunGuard {
    /// Registers the map run (all `total` items pending) and returns it with its ARN and the
    /// engine of its child executions: same clock and context, a history of their own.
    pub fn start(
        engine: &Engine,
        m: &MapState,
        total: usize,
        max_concurrency: Option<u64>,
        tolerance: Tolerance,
    ) -> (MapRunGuard, String, Arc<Engine>) {
        let context = engine.context_value();
        let arn = map_run_arn(context, m);
        let run = engine.map_runs.add(MapRun {
            arn: arn.clone(),
            execution_arn: context
                .pointer("/Execution/Id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            state_machine_arn: map_run_machine_arn(&arn),
            status: "RUNNING",
            start_ms: engine.rec.clock().now_millis(),
            stop_ms: None,
            max_concurrency: max_concurrency.unwrap_or(0),
            tolerated_failure_count: tolerance.count.unwrap_or(0),
            tolerated_failure_percentage: tolerance.percentage.unwrap_or(0.0),
            counts: Counts {
                pending: total as u64,
                total: total as u64,
                ..Counts::default()
            },
        });
        engine.map_runs.persist(&run.lock());
        let guard = MapRunGuard(run, engine.map_runs.clone());
        let children = children_of(engine, &arn);
        (guard, arn, children)
    }

    /// Picks up the map run `arn` read back running from the data directory, with the items
    /// it had ended (their counts as they stand; the items not ended are pending again) and
    /// the histories of its children that were running.
    pub fn resume(engine: &Engine, arn: &str) -> Option<Resumed> {
        let (run, ended, children) = engine.map_runs.take_resumed(arn)?;
        {
            let mut r = run.lock();
            let failed = ended
                .values()
                .filter(|e| matches!(e, ItemEnd::Failed { .. }))
                .count() as u64;
            let succeeded = ended.len() as u64 - failed;
            r.status = "RUNNING";
            r.stop_ms = None;
            r.counts = Counts {
                pending: r.counts.total.saturating_sub(succeeded + failed),
                succeeded,
                failed,
                total: r.counts.total,
                ..Counts::default()
            };
            engine.map_runs.persist(&r);
        }
        let guard = MapRunGuard(run, engine.map_runs.clone());
        Some((guard, children_of(engine, arn), ended, children))
    }

    /// The engine child `index` runs on. With a data directory, one of its own whose history
    /// is kept and written as it grows (`history`: restored after a restart), so that the
    /// child resumes where it was; in memory the map run's shared one (`children`), but for a
    /// child resumed from a loaded document (its own, so that the ids of the states it is
    /// inside are its own too).
    pub fn child_engine(
        &self,
        children: &Arc<Engine>,
        index: usize,
        history: Option<Vec<HistoryEvent>>,
    ) -> Arc<Engine> {
        if history.is_none() && !self.1.is_durable() {
            return children.clone();
        }
        let arn = self.0.lock().arn.clone();
        match self.1.child_record(&arn, index, history) {
            Some(record) => {
                let owner = super::super::map_runs::child_arn(&arn, index);
                Arc::new(with_record(children, record, &owner))
            }
            None => children.clone(),
        }
    }

    /// How many child executions may run at once now (UpdateMapRun may change it).
    pub fn limit(&self) -> usize {
        match self.0.lock().max_concurrency {
            0 => usize::MAX,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        }
    }

    pub fn child_started(&self) {
        let mut r = self.0.lock();
        r.counts.pending = r.counts.pending.saturating_sub(1);
        r.counts.running += 1;
    }

    /// Item `index` ended: counted, and (data directory) kept, so it does not run again
    /// after a restart.
    pub fn child_ended(&self, index: usize, end: &ItemEnd) {
        let mut r = self.0.lock();
        r.counts.running = r.counts.running.saturating_sub(1);
        if matches!(end, ItemEnd::Succeeded(_)) {
            r.counts.succeeded += 1;
        } else {
            r.counts.failed += 1;
        }
        self.1.item_ended(&r, index, end);
    }

    pub fn finish(self, now_ms: u64, status: &'static str) {
        let mut r = self.0.lock();
        r.status = status;
        r.stop_ms = Some(now_ms);
        self.1.persist(&r);
        // Children still kept (aborted past the tolerated failures) will not resume. Not on a
        // drop: one at shutdown leaves them for the restart.
        self.1.forget_children(&r.arn);
    }
}

impl Drop for MapRunGuard {
    fn drop(&mut self) {
        let mut r = self.0.lock();
        if r.status == "RUNNING" {
            r.status = "ABORTED";
            r.counts.aborted += r.counts.running + r.counts.pending;
            r.counts.running = 0;
            r.counts.pending = 0;
            self.1.persist(&r);
        }
        // Ended (`finish` drops the guard) or dropped: its progress is no longer needed.
        self.1.run_ended(&r.arn);
    }
}

/// The engine map run `run_arn`'s child executions run on: the parent's clock and context, a
/// history of their own (not kept). Their activity tokens are the map run's, not the
/// parent's: children that keep no history are not in the state document.
fn children_of(engine: &Engine, run_arn: &str) -> Arc<Engine> {
    let record = ExecutionRecord::without_history();
    Arc::new(with_record(
        engine,
        Arc::new(parking_lot::Mutex::new(record)),
        run_arn,
    ))
}

/// An engine like `engine` (clock, context, board, calls) writing to `record`, its activity
/// tokens owned by `owner`.
fn with_record(engine: &Engine, record: SharedRecord, owner: &str) -> Engine {
    Engine {
        rec: Recorder::new(record, engine.rec.clock().clone()),
        base_context: Arc::new(engine.base_context.owned_by(owner)),
        board: engine.board.clone(),
        map_runs: engine.map_runs.clone(),
        redrive_from: None,
        tasks: engine.tasks.clone(),
        restarts: Default::default(),
        task_wait: Default::default(),
        parking: None,
        context: Default::default(),
        shared_arn: Default::default(),
    }
}

/// `arn:<partition>:states:<region>:<account>:mapRun:<machine>/<label>:<uuid>`, from the
/// machine's ARN in the context object; without a Label, AWS puts a UUID in its place.
fn map_run_arn(context: &Value, m: &MapState) -> String {
    let machine = context
        .pointer("/StateMachine/Id")
        .and_then(Value::as_str)
        .unwrap_or("arn:aws:states:us-east-1:000000000000:stateMachine:unknown");
    let base = machine.replacen(":stateMachine:", ":mapRun:", 1);
    let run_id = uuid::Uuid::new_v4().to_string();
    let label = m
        .label
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    format!("{base}/{label}:{run_id}")
}

/// `...:stateMachine:<machine>/<label>` for the map run ARN `...:mapRun:<machine>/<label>:<id>`.
fn map_run_machine_arn(map_run_arn: &str) -> String {
    let base = map_run_arn
        .rsplit_once(':')
        .map_or(map_run_arn, |(base, _)| base);
    base.replacen(":mapRun:", ":stateMachine:", 1)
}
