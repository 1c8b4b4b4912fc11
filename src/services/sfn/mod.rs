//! AWS Step Functions: the API over the ASL parser (`crate::asl::parse`) and interpreter
//! (`crate::asl::interp`). This file is the operation table; each concern has its file.
//! Operations not listed in `OPERATIONS` answer `NotImplemented` from the gateway.

mod activities;
mod aliases;
mod arn;
mod configuration;
mod durable;
mod errors;
mod executions;
mod history;
pub mod integrations;
mod json_text;
mod lookup;
mod machines;
mod map_runs;
mod mock_schema;
mod pagination;
mod records;
mod redrive;
pub mod retention;
mod runner;
mod store;
mod sync_execution;
mod tags;
mod task_tokens;
mod test_state;
mod validate;
mod versions;

pub use configuration::REUSE_PERIOD_OUT_OF_RANGE;
pub use errors::SfnError;

use crate::asl::interp::callbacks::TaskBoard;
use crate::asl::interp::map_runs::MapRuns;
use crate::clock::Clock;
use crate::persist::{Durable, Kept, Loaded, RowMap, Rows};
use crate::request::{RequestContext, ServiceId};
use crate::services::handlers::InvalidInput;
use integrations::TaskServices;
use serde_json::Value;
use std::sync::Arc;
use store::Store;

/// A checked `stepfunctions` section of a state document.
pub struct SfnState {
    regions: std::collections::HashMap<(String, String), store::Region>,
    executions: Vec<durable::Restored>,
    map_runs: Vec<crate::asl::interp::map_runs::DocumentMapRun>,
}

pub struct Sfn {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Clock,
    store: Store,
    /// Task tokens and activity queues shared with the running executions.
    board: Arc<TaskBoard>,
    /// `--data-dir`: machines (with their versions, aliases and tags) and activities, one row
    /// each (`records::rows_of`).
    durable: Option<Rows>,
    /// `--data-dir`: Standard executions, one record and one item per event (`durable.rs`).
    exec_durable: Option<Arc<Durable>>,
    /// Distributed Map runs of every execution.
    map_runs: Arc<MapRuns>,
    /// What executions' Task states call: the other services, Lambda, mocks.
    tasks: Arc<TaskServices>,
}

impl Sfn {
    pub fn new(
        clock: Clock,
        tasks: TaskServices,
        retention: retention::Retention,
        durable: Option<Arc<Durable>>,
    ) -> Self {
        let map_runs = MapRuns::durable(durable.clone());
        Sfn {
            inner: Arc::new(Inner {
                exec_durable: durable.clone(),
                durable: durable.map(|d| Rows::new(d, records::ROW_PREFIX, records::WHOLE_KEY)),
                tasks: Arc::new(tasks),
                board: TaskBoard::tracked(clock.tracker().clone()),
                clock,
                store: Store::new(retention, map_runs.clone()),
                map_runs,
            }),
        }
    }

    /// Calls `operation`'s handler with an input already checked against the model. With a
    /// data directory, an operation that may change machines, versions, aliases, activities
    /// or tags writes the rows it changed and the answer waits for the commit.
    pub async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<crate::protocol::Output, crate::error::ApiError> {
        let result = OPERATIONS.call(&self.inner, ctx, operation, input).await;
        if let Some(record) = &self.inner.durable {
            let writes = operation.starts_with("Create")
                || operation.starts_with("Delete")
                || operation.starts_with("Update")
                || operation == "PublishStateMachineVersion"
                || operation == "TagResource"
                || operation == "UntagResource";
            let export = || self.export_record();
            record.after_call(writes && result.is_ok(), export).await;
        }
        result
    }

    /// Machines, versions, aliases, activities and tags as the data directory's rows.
    fn export_record(&self) -> Result<RowMap, serde_json::Error> {
        records::rows_of(self.inner.store.read_all(records::export))
    }

    /// Writes the data directory's rows that changed, if there is one.
    fn write_record(&self) {
        if let Some(record) = &self.inner.durable {
            record.write(|| self.export_record());
        }
    }

    /// Wipes every state machine, activity and execution (`POST /_stepyard/reset`).
    pub fn reset(&self) {
        self.inner.store.clear();
        self.inner.board.clear();
        self.inner.map_runs.clear();
        self.write_record();
    }

    /// Machines, versions, aliases, activities, tags and Standard executions (with their
    /// history), for the state document.
    pub fn export_state(&self) -> Value {
        let regions = self.inner.store.read_all(records::export);
        let live_tokens = self.inner.board.live_tokens();
        // Indexed once for every history searched below.
        let live = crate::asl::interp::callbacks::LiveTokens::new(&live_tokens);
        let owned = self.inner.board.owned_tokens();
        let executions: Vec<Value> = self.inner.store.read_all(|all| {
            all.values()
                .flat_map(|r| r.executions.values())
                .map(|e| {
                    let own = owned.get(&e.arn).map_or(&[][..], Vec::as_slice);
                    durable::export_execution(e, &live, own)
                })
                .collect()
        });
        // Map runs hold their running children's tokens: the activity tokens the children
        // own and the callback tokens their histories name.
        let map_runs = self.inner.map_runs.export(&live, &owned);
        serde_json::json!({ "regions": regions, "executions": executions, "map_runs": map_runs })
    }

    /// Checks a state document's `stepfunctions` section (definitions are parsed again).
    pub fn parse_state(section: &Value) -> Result<SfnState, String> {
        let regions = section
            .get("regions")
            .cloned()
            .unwrap_or(Value::Array(vec![]));
        let records: Vec<records::RegionRecord> =
            serde_json::from_value(regions).map_err(|e| format!("stepfunctions.regions: {e}"))?;
        let regions = records::import(records)?;
        let executions = match section.get("executions") {
            Some(list) => durable::import_executions(list)?,
            None => Vec::new(),
        };
        let map_runs: Vec<crate::asl::interp::map_runs::DocumentMapRun> =
            match section.get("map_runs") {
                Some(list) => serde_json::from_value(list.clone())
                    .map_err(|e| format!("stepfunctions.map_runs: {e}"))?,
                None => Vec::new(),
            };
        for run in &map_runs {
            run.check()
                .map_err(|e| format!("stepfunctions.map_runs: {e}"))?;
        }
        Ok(SfnState {
            regions,
            executions,
            map_runs,
        })
    }

    /// Replaces machines, activities and executions (running executions stop, as at a
    /// reset; the document's running ones resume where their history says they were).
    pub fn import_state(&self, state: SfnState) {
        self.inner.store.clear();
        self.inner.board.clear();
        self.inner.map_runs.clear();
        self.inner.store.replace_definitions(state.regions);
        self.register_activities();
        self.write_record();
        // Before any execution resumes: a resumed distributed Map picks its map run up.
        let running: std::collections::HashSet<String> = state
            .executions
            .iter()
            .filter(|r| r.resume.is_some())
            .map(|r| r.execution.arn.clone())
            .collect();
        self.inner
            .map_runs
            .import(state.map_runs, |arn| running.contains(arn));
        for restored in state.executions {
            self.install_execution(restored, true);
        }
    }

    /// Rebuilds machines and activities from the data directory (at start). A whole record
    /// of an older data directory becomes rows here, in one commit.
    pub fn restore(&self, loaded: &Loaded) -> Result<usize, String> {
        let Some(rows) = &self.inner.durable else {
            return Ok(0);
        };
        let records = match rows.loaded(loaded) {
            None => return Ok(0),
            Some(Kept::Whole(bytes)) => serde_json::from_slice(bytes)
                .map_err(|e| format!("the Step Functions record does not parse: {e}"))?,
            Some(Kept::Rows(rows)) => records::from_rows(rows)?,
        };
        let regions = records::import(records)?;
        let count = regions.values().map(|r| r.machines().len()).sum();
        self.inner.store.replace_definitions(regions);
        self.register_activities();
        self.write_record();
        self.restore_executions(loaded)?;
        Ok(count)
    }

    /// Puts loaded activities on the task board, where Task states look them up.
    fn register_activities(&self) {
        let arns: Vec<String> = self.inner.store.read_all(|regions| {
            regions
                .values()
                .flat_map(|r| r.activities().values().map(|a| a.arn.clone()))
                .collect()
        });
        for arn in arns {
            self.inner.board.add_activity(&arn);
        }
    }

    /// Puts the data directory's executions back and resumes the running ones.
    fn restore_executions(&self, loaded: &Loaded) -> Result<(), String> {
        if self.inner.exec_durable.is_none() {
            return Ok(());
        }
        let restored = durable::load(loaded)?;
        // Before any execution resumes: a resumed distributed Map picks its map run up.
        let running: std::collections::HashSet<&str> = restored
            .iter()
            .filter(|r| r.resume.is_some())
            .map(|r| r.execution.arn.as_str())
            .collect();
        self.inner
            .map_runs
            .restore(loaded, |arn| running.contains(arn))?;
        drop(running);
        for restored in restored {
            self.install_execution(restored, false);
        }
        Ok(())
    }

    /// Puts an execution read back (data directory) or loaded (state document, `fresh`: its
    /// rows are written to the data directory, if any) into the store, and resumes it if it
    /// was running.
    fn install_execution(&self, restored: durable::Restored, fresh: bool) {
        use crate::asl::interp::RecordSink;
        let execution = restored.execution;
        if let Some(durable) = &self.inner.exec_durable {
            let sink = durable::ExecSink::new(durable.clone(), &execution);
            let mut record = execution.record.lock();
            if fresh {
                sink.changed(&record);
                for event in &record.history {
                    sink.event(event);
                }
            }
            record.sink = Some(sink);
        }
        self.inner
            .store
            .insert_execution(&restored.account, &restored.region, execution.clone());
        if let Some(resume) = restored.resume {
            let count = execution.record.lock().redrive_count;
            let mut spec = executions::spec_for_execution(&self.inner, &execution);
            if let Some(e) = spec.context.get_mut("Execution") {
                e["RedriveCount"] = count.into();
            }
            *execution.control.lock() = runner::redrive(spec, execution.record.clone(), resume);
        }
    }

    /// Every (account, region) holding a state machine, an activity or an execution.
    pub fn occupied_regions(&self) -> Vec<(String, String)> {
        self.inner.store.regions_where(|region| {
            !region.machines().is_empty()
                || !region.activities().is_empty()
                || !region.executions.is_empty()
        })
    }
}

crate::services::handlers::operations! {
    /// The operation table: each file with the operations it answers.
    static OPERATIONS: Operations<Inner, SfnError> = ServiceId::StepFunctions;
    activities: CreateActivity = create, DeleteActivity = delete, DescribeActivity = describe,
        GetActivityTask = get_activity_task.await, ListActivities = list;
    aliases: CreateStateMachineAlias = create, DeleteStateMachineAlias = delete,
        DescribeStateMachineAlias = describe, ListStateMachineAliases = list,
        UpdateStateMachineAlias = update;
    executions: DescribeExecution = describe,
        DescribeStateMachineForExecution = describe_state_machine_for_execution,
        ListExecutions = list, StartExecution = start, StopExecution = stop;
    history: GetExecutionHistory = get_execution_history;
    machines: CreateStateMachine = create, DeleteStateMachine = delete,
        DescribeStateMachine = describe, ListStateMachines = list, UpdateStateMachine = update;
    map_runs: DescribeMapRun = describe, ListMapRuns = list, UpdateMapRun = update;
    redrive: RedriveExecution = redrive;
    sync_execution: StartSyncExecution = start_sync_execution.await;
    tags: ListTagsForResource = list_tags_for_resource, TagResource = tag_resource,
        UntagResource = untag_resource;
    task_tokens: SendTaskFailure = send_task_failure, SendTaskHeartbeat = send_task_heartbeat,
        SendTaskSuccess = send_task_success;
    test_state: TestState = test_state.await;
    validate: ValidateStateMachineDefinition = validate_definition;
    versions: DeleteStateMachineVersion = delete, ListStateMachineVersions = list,
        PublishStateMachineVersion = publish;
}

impl Inner {
    fn now(&self) -> u64 {
        self.clock.now_millis()
    }

    /// Runs `f` on the caller's (account, region) under the store lock.
    fn region<R>(&self, ctx: &RequestContext, f: impl FnOnce(&mut store::Region) -> R) -> R {
        self.store
            .with(&ctx.account_id, &ctx.region, self.clock.now_millis(), f)
    }
}

/// An input the generic validator let through that does not deserialise into the handler's
/// input struct.
impl InvalidInput for SfnError {
    fn invalid_input(error: serde_json::Error) -> Self {
        SfnError::validation(format!("Invalid request: {error}"))
    }
}

/// Epoch seconds with the milliseconds as a fraction, as awsJson writes a timestamp member.
fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// The output of an operation that answers nothing.
fn empty() -> crate::protocol::Empty {
    crate::protocol::Empty {}
}
