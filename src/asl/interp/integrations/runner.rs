//! The interpreter's one way out to the services: the trait the Step Functions service
//! implements for each execution, and what passes through it.

use super::resource::Resource;
use super::status_events::Snapshot;
use crate::asl::interp::failure::Failure;
use crate::clock::Clock;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

/// What a [`TaskRunner`] call returns.
pub type TaskFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One execution's way out of the interpreter: how its Task states reach the services, Lambda,
/// the mock file and child executions, and where its status-change events go. `None` in an
/// `ExecutionSpec` runs the machine alone, as the interpreter's own tests do.
pub type TaskCalls = Arc<dyn TaskRunner>;

/// What the interpreter asks of the world outside it while an execution runs.
pub trait TaskRunner: Send + Sync {
    /// The region the execution's `TaskScheduled` events name.
    fn region(&self) -> &str;

    /// The mock test case's answer for this run of `state` of the state machine `machine`, if
    /// the execution runs a test case that mocks the state.
    fn mocked(&self, machine: &str, state: &str) -> Option<Result<Value, Failure>>;

    /// Calls what a Task's resource names (a Lambda function, an optimized or an AWS SDK
    /// integration; never an activity) with its evaluated parameters.
    fn call<'a>(&'a self, call: TaskCall<'a>) -> TaskFuture<'a, Result<Called, Failure>>;

    /// `.sync` / `.sync:2`: waits for the child execution `arn` to end; `Ok` with its
    /// description on success, AWS's failure otherwise. `output_as_json` (`.sync:2`) gives its
    /// input and output as JSON rather than text.
    fn wait_child<'a>(
        &'a self,
        clock: &'a Clock,
        arn: &'a str,
        output_as_json: bool,
    ) -> TaskFuture<'a, Result<Value, Failure>>;

    /// Stops the child execution `arn` without waiting: its parent stopped waiting for it.
    fn stop_child(&self, arn: String);

    /// Reports the execution's new status (a status-change event); the caller awaits it, so
    /// that it stays in order with the execution's other events.
    fn status_changed(&self, snapshot: Snapshot) -> TaskFuture<'_, ()>;

    /// Whether `status_changed` does anything for a status of this execution (`ended` or
    /// just started): when not, the snapshot is not made.
    fn status_wanted(&self, _ended: bool) -> bool {
        true
    }

    /// As `status_changed`, from code that cannot wait (StopExecution).
    fn status_changed_detached(&self, snapshot: Snapshot);

    /// Where the execution's spans go and the execution's own span, when tracing is on: the
    /// state loop records a `State <name>` span per state entered (Standard and Express alike,
    /// history or not), children of it.
    fn tracing(&self) -> Option<(crate::trace::Tracer, crate::request::TraceContext)> {
        None
    }
}

/// A Task's call, as the interpreter hands it to its [`TaskRunner`].
pub struct TaskCall<'a> {
    pub resource: &'a Resource,
    pub parameters: Value,
    /// The execution's context object (`events:putEvents` names the execution in its entries).
    pub context: &'a Value,
    /// The engine clock's time, for the HTTP metadata of results.
    pub now: SystemTime,
    /// The span of the Task state making the call (tracing on): the parent of the call's span.
    pub trace: Option<crate::request::TraceContext>,
}

/// A service's answer to the call a Task made.
pub struct Called {
    pub output: Value,
    /// `states:startExecution`: the child execution, for `.sync` to wait on.
    pub execution_arn: Option<String>,
}

/// A Lambda task with no endpoint to call: stepyard runs no code.
pub fn no_lambda_endpoint(function: &str) -> Failure {
    let function = if function.is_empty() {
        "a function"
    } else {
        function
    };
    Failure::runtime(format!(
        "stepyard does not run Lambda code: to call {function}, start stepyard with \
         --lambda-endpoint (or STEPYARD_LAMBDA_ENDPOINT) pointing at an endpoint that speaks the \
         Lambda Invoke API (e.g. `sam local start-lambda`), or mock this state with SFN_MOCK_CONFIG"
    ))
}
