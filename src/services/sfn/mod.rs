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
mod machines;
mod map_runs;
mod mock_schema;
mod pagination;
mod redrive;
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
use crate::error::ApiError;
use crate::request::RequestContext;
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
    pub const OPERATIONS: &'static [&'static str] = &[
        "CreateActivity",
        "CreateStateMachine",
        "CreateStateMachineAlias",
        "DeleteActivity",
        "DeleteStateMachine",
        "DeleteStateMachineAlias",
        "DeleteStateMachineVersion",
        "DescribeActivity",
        "DescribeExecution",
        "DescribeMapRun",
        "DescribeStateMachine",
        "DescribeStateMachineAlias",
        "DescribeStateMachineForExecution",
        "GetActivityTask",
        "GetExecutionHistory",
        "ListActivities",
        "ListExecutions",
        "ListMapRuns",
        "ListStateMachineAliases",
        "ListStateMachineVersions",
        "ListStateMachines",
        "ListTagsForResource",
        "PublishStateMachineVersion",
        "RedriveExecution",
        "SendTaskFailure",
        "SendTaskHeartbeat",
        "SendTaskSuccess",
        "StartExecution",
        "StartSyncExecution",
        "StopExecution",
        "TagResource",
        "TestState",
        "UntagResource",
        "UpdateMapRun",
        "UpdateStateMachine",
        "UpdateStateMachineAlias",
        "ValidateStateMachineDefinition",
    ];

    pub fn new(clock: Clock, tasks: TaskServices) -> Self {
        Sfn {
            inner: Arc::new(Inner {
                tasks: Arc::new(tasks),
                board: TaskBoard::tracked(clock.tracker().clone()),
                clock,
                store: Store::default(),
                map_runs: MapRuns::new(),
            }),
        }
    }

    pub async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<Value, ApiError> {
        let sfn = &self.inner;
        let result = match operation {
            "CreateActivity" => activities::create(sfn, ctx, input),
            "CreateStateMachine" => machines::create(sfn, ctx, input),
            "CreateStateMachineAlias" => aliases::create(sfn, ctx, input),
            "DeleteActivity" => activities::delete(sfn, ctx, input),
            "DeleteStateMachine" => machines::delete(sfn, ctx, input),
            "DeleteStateMachineAlias" => aliases::delete(sfn, ctx, input),
            "DeleteStateMachineVersion" => versions::delete(sfn, ctx, input),
            "DescribeActivity" => activities::describe(sfn, ctx, input),
            "DescribeExecution" => executions::describe(sfn, ctx, input),
            "DescribeMapRun" => map_runs::describe(sfn, ctx, input),
            "DescribeStateMachine" => machines::describe(sfn, ctx, input),
            "DescribeStateMachineAlias" => aliases::describe(sfn, ctx, input),
            "DescribeStateMachineForExecution" => {
                executions::describe_state_machine_for_execution(sfn, ctx, input)
            }
            "GetActivityTask" => activities::get_activity_task(sfn, ctx, input).await,
            "GetExecutionHistory" => history::get_execution_history(sfn, ctx, input),
            "ListActivities" => activities::list(sfn, ctx, input),
            "ListExecutions" => executions::list(sfn, ctx, input),
            "ListMapRuns" => map_runs::list(sfn, ctx, input),
            "ListStateMachineAliases" => aliases::list(sfn, ctx, input),
            "ListStateMachineVersions" => versions::list(sfn, ctx, input),
            "ListStateMachines" => machines::list(sfn, ctx, input),
            "ListTagsForResource" => tags::list_tags_for_resource(sfn, ctx, input),
            "PublishStateMachineVersion" => versions::publish(sfn, ctx, input),
            "RedriveExecution" => redrive::redrive(sfn, ctx, input),
            "SendTaskFailure" => task_tokens::send_task_failure(sfn, input),
            "SendTaskHeartbeat" => task_tokens::send_task_heartbeat(sfn, input),
            "SendTaskSuccess" => task_tokens::send_task_success(sfn, input),
            "StartExecution" => executions::start(sfn, ctx, input),
            "StartSyncExecution" => sync_execution::start_sync_execution(sfn, ctx, input).await,
            "StopExecution" => executions::stop(sfn, ctx, input),
            "TagResource" => tags::tag_resource(sfn, ctx, input),
            "TestState" => test_state::test_state(sfn, ctx, input).await,
            "UntagResource" => tags::untag_resource(sfn, ctx, input),
            "UpdateMapRun" => map_runs::update(sfn, ctx, input),
            "UpdateStateMachine" => machines::update(sfn, ctx, input),
            "UpdateStateMachineAlias" => aliases::update(sfn, ctx, input),
            "ValidateStateMachineDefinition" => validate::validate_definition(input),
            other => {
                return Err(ApiError::sender(
                    "UnknownOperationException",
                    format!("Unknown operation {other}"),
                ))
            }
        };
        result.map_err(ApiError::from)
    }

    /// Wipes every state machine, activity and execution (`POST /_stepyard/reset`).
    pub fn reset(&self) {
        self.inner.store.clear();
        self.inner.board.clear();
        self.inner.map_runs.clear();
    }
}

impl Inner {
    fn now(&self) -> u64 {
        self.clock.now_millis()
    }

    /// Runs `f` on the caller's (account, region) under the store lock.
    fn region<R>(&self, ctx: &RequestContext, f: impl FnOnce(&mut store::Region) -> R) -> R {
        self.store.with(&ctx.account_id, &ctx.region, f)
    }
}

/// Deserialises an operation's input (already checked against the model by the gateway).
fn parse<T: DeserializeOwned>(input: Value) -> Result<T, SfnError> {
    serde_json::from_value(input).map_err(|e| SfnError::validation(format!("Invalid request: {e}")))
}

/// awsJson timestamps are epoch seconds.
fn timestamp(ms: u64) -> Value {
    Value::from(ms as f64 / 1000.0)
}

/// An empty JSON result.
fn empty() -> Value {
    Value::Object(Default::default())
}
