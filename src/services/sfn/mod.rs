//! AWS Step Functions: the API over the ASL parser (`crate::asl::parse`) and interpreter
//! (`crate::asl::interp`). This file is the operation table; each concern has its file.
//! Operations not listed in `OPERATIONS` answer `NotImplemented` from the gateway.

mod activities;
mod aliases;
mod arn;
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

pub use errors::SfnError;
pub use machines::REUSE_PERIOD_OUT_OF_RANGE;

use crate::asl::interp::callbacks::TaskBoard;
use crate::asl::interp::map_runs::MapRuns;
use crate::clock::Clock;
use crate::request::{RequestContext, ServiceId};
use crate::services::handlers::{
    self, op, op_async, typed, HandlerFuture, InvalidInput, Operations,
};
use integrations::TaskServices;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use store::Store;

pub struct Sfn {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Clock,
    store: Store,
    /// Task tokens and activity queues shared with the running executions.
    board: Arc<TaskBoard>,
    /// Distributed Map runs of every execution.
    map_runs: Arc<MapRuns>,
    /// What executions' Task states call: the other services, Lambda, mocks.
    tasks: Arc<TaskServices>,
}

impl Sfn {
    pub fn new(clock: Clock, tasks: TaskServices, retention: retention::Retention) -> Self {
        Sfn {
            inner: Arc::new(Inner {
                tasks: Arc::new(tasks),
                board: TaskBoard::tracked(clock.tracker().clone()),
                clock,
                store: Store::new(retention),
                map_runs: MapRuns::new(),
            }),
        }
    }

    crate::services::handlers::table_entry_points!(OPERATIONS);

    /// Wipes every state machine, activity and execution (`POST /_stepyard/reset`).
    pub fn reset(&self) {
        self.inner.store.clear();
        self.inner.board.clear();
        self.inner.map_runs.clear();
    }

    /// Every (account, region) holding a state machine, an activity or an execution.
    pub fn occupied_regions(&self) -> Vec<(String, String)> {
        self.inner.store.regions_where(|region| {
            !region.machines.is_empty()
                || !region.activities.is_empty()
                || !region.executions.is_empty()
        })
    }
}

/// The operation table, sorted by name.
static OPERATIONS: Operations<Inner, SfnError> = Operations {
    service: ServiceId::StepFunctions,
    operations: &[
        op("CreateActivity", typed!(activities::create)),
        op("CreateStateMachine", typed!(machines::create)),
        op("CreateStateMachineAlias", typed!(aliases::create)),
        op("DeleteActivity", typed!(activities::delete)),
        op("DeleteStateMachine", typed!(machines::delete)),
        op("DeleteStateMachineAlias", typed!(aliases::delete)),
        op("DeleteStateMachineVersion", typed!(versions::delete)),
        op("DescribeActivity", typed!(activities::describe)),
        op("DescribeExecution", typed!(executions::describe)),
        op("DescribeMapRun", typed!(map_runs::describe)),
        op("DescribeStateMachine", typed!(machines::describe)),
        op("DescribeStateMachineAlias", typed!(aliases::describe)),
        op(
            "DescribeStateMachineForExecution",
            typed!(executions::describe_state_machine_for_execution),
        ),
        op_async("GetActivityTask", get_activity_task),
        op(
            "GetExecutionHistory",
            typed!(history::get_execution_history),
        ),
        op("ListActivities", typed!(activities::list)),
        op("ListExecutions", typed!(executions::list)),
        op("ListMapRuns", typed!(map_runs::list)),
        op("ListStateMachineAliases", typed!(aliases::list)),
        op("ListStateMachineVersions", typed!(versions::list)),
        op("ListStateMachines", typed!(machines::list)),
        op("ListTagsForResource", typed!(tags::list_tags_for_resource)),
        op("PublishStateMachineVersion", typed!(versions::publish)),
        op("RedriveExecution", typed!(redrive::redrive)),
        op("SendTaskFailure", |sfn, _, input| {
            task_tokens::send_task_failure(sfn, input)
        }),
        op("SendTaskHeartbeat", |sfn, _, input| {
            task_tokens::send_task_heartbeat(sfn, input)
        }),
        op("SendTaskSuccess", |sfn, _, input| {
            task_tokens::send_task_success(sfn, input)
        }),
        op("StartExecution", typed!(executions::start)),
        op_async("StartSyncExecution", start_sync_execution),
        op("StopExecution", typed!(executions::stop)),
        op("TagResource", typed!(tags::tag_resource)),
        op_async("TestState", run_test_state),
        op("UntagResource", typed!(tags::untag_resource)),
        op("UpdateMapRun", typed!(map_runs::update)),
        op("UpdateStateMachine", typed!(machines::update)),
        op("UpdateStateMachineAlias", typed!(aliases::update)),
        op("ValidateStateMachineDefinition", |_, _, input| {
            validate::validate_definition(input)
        }),
    ],
};

fn get_activity_task<'a>(
    sfn: &'a Inner,
    ctx: &'a RequestContext,
    input: Value,
) -> HandlerFuture<'a, SfnError> {
    Box::pin(activities::get_activity_task(sfn, ctx, input))
}

fn start_sync_execution<'a>(
    sfn: &'a Inner,
    ctx: &'a RequestContext,
    input: Value,
) -> HandlerFuture<'a, SfnError> {
    Box::pin(sync_execution::start_sync_execution(sfn, ctx, input))
}

fn run_test_state<'a>(
    sfn: &'a Inner,
    ctx: &'a RequestContext,
    input: Value,
) -> HandlerFuture<'a, SfnError> {
    Box::pin(test_state::test_state(sfn, ctx, input))
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

/// Deserialises a part of an operation's input (already checked against the model).
fn parse<T: DeserializeOwned>(input: Value) -> Result<T, SfnError> {
    handlers::parse(input)
}

/// An input the generic validator let through that does not deserialise into the handler's
/// input struct.
impl InvalidInput for SfnError {
    fn invalid_input(error: serde_json::Error) -> Self {
        SfnError::validation(format!("Invalid request: {error}"))
    }
}

/// awsJson timestamps are epoch seconds.
fn timestamp(ms: u64) -> Value {
    Value::from(ms as f64 / 1000.0)
}

/// An empty JSON result.
fn empty() -> Value {
    Value::Object(Default::default())
}
