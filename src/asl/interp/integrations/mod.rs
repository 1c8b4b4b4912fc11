//! Task states that call something: stepyard's own services (optimized and AWS SDK
//! integrations, through the in-process invoker of DESIGN.md section 5), Lambda functions
//! (over HTTP, at the configured endpoint), and mocked responses (Step Functions Local's mock
//! file). Records AWS's `Task*` / `LambdaFunction*` history events and applies the
//! integration pattern: request-response, `.sync` / `.sync:2`, `.waitForTaskToken`.

mod child;
mod errors;
mod http_metadata;
mod lambda;
pub mod mock;
pub mod resource;
mod services;
pub(crate) use services::upper_first;
pub mod status_events;

use super::callbacks::{Signal, TokenWaiter};
use super::failure::Failure;
use super::history::text;
use super::run::Engine;
use crate::asl::ast::State;
use crate::invoke::{Caller, Invoker};
use mock::{MockConfig, Mocked};
use parking_lot::Mutex;
use resource::{Pattern, Resource};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// What the server offers every execution's Task states.
pub struct TaskServices {
    pub invoker: Invoker,
    /// The Lambda Invoke API endpoint (`--lambda-endpoint`), if any.
    pub lambda_endpoint: Option<String>,
    /// Step Functions Local's mock file (`--mock-config`), if any.
    pub mocks: Option<Arc<MockConfig>>,
}

/// One execution's access to the services: as whom it calls, and which mock test case it runs.
#[derive(Clone)]
pub struct TaskCalls {
    pub services: Arc<TaskServices>,
    pub caller: Caller,
    /// The `#TestCase` the execution was started with.
    pub mock_case: Option<String>,
    /// A Standard execution (Express ones send no status-change events).
    pub standard: bool,
    /// Invocations of each mocked state so far, for the per-invocation responses.
    pub mock_counts: Arc<Mutex<HashMap<String, u64>>>,
    /// The version and alias the execution was started through, which its status-change
    /// events name (`null` when unused).
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
}

impl TaskCalls {
    pub fn new(services: Arc<TaskServices>, caller: Caller) -> Self {
        TaskCalls {
            services,
            caller,
            mock_case: None,
            standard: true,
            mock_counts: Arc::default(),
            version_arn: None,
            alias_arn: None,
        }
    }

    /// The response the mock test case gives for this run of `state`, if it mocks the state.
    fn mocked(&self, machine: &str, state: &str) -> Option<Mocked> {
        let case = self.mock_case.as_deref()?;
        let list = self
            .services
            .mocks
            .as_ref()?
            .responses(machine, case, state)?;
        let invocation = {
            let mut counts = self.mock_counts.lock();
            let n = counts.entry(state.to_string()).or_insert(0);
            let this = *n;
            *n += 1;
            this
        };
        mock::pick(list, invocation)
    }
}

/// A Task's TimeoutSeconds and HeartbeatSeconds for this attempt.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Timeouts {
    pub timeout: Option<u64>,
    pub heartbeat: Option<u64>,
}

impl Resource {
    /// Whether its Task gets a task token (`$$.Task.Token`) before its parameters: activities
    /// and callbacks wait on it, and AWS hands one to `.sync` jobs too.
    pub(crate) fn takes_token(&self) -> bool {
        *self == Resource::Activity || self.pattern() != Pattern::RequestResponse
    }
}

/// The names a Task's history events carry, and whether they are `LambdaFunction*` events.
struct Names {
    resource_type: String,
    resource: String,
    lambda_events: bool,
}

impl Names {
    fn with(&self, mut details: Map<String, Value>) -> Value {
        if !self.lambda_events {
            details.insert("resourceType".into(), self.resource_type.clone().into());
            details.insert("resource".into(), self.resource.clone().into());
        }
        Value::Object(details)
    }

    fn event(&self, task: &'static str, lambda: &'static str) -> &'static str {
        if self.lambda_events {
            lambda
        } else {
            task
        }
    }
}

fn emit(engine: &Engine, cursor: &mut u64, event: &str, details: Value) {
    let key = details_key(event);
    *cursor = engine.rec.emit(*cursor, event, Some((&key, details)));
}

/// `TaskSucceeded` -> `taskSucceededEventDetails`.
fn details_key(event: &str) -> String {
    let mut c = event.chars();
    let first = c
        .next()
        .map(|f| f.to_ascii_lowercase().to_string())
        .unwrap_or_default();
    format!("{first}{}EventDetails", c.as_str())
}

/// Runs a non-activity Task with its evaluated `parameters`; `role_arn` is its evaluated
/// `Credentials.RoleArn`; `waiter` is the task token issued for a `.waitForTaskToken` resource.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run(
    engine: &Arc<Engine>,
    state: &State,
    resource_text: &str,
    resource: &Resource,
    parameters: Value,
    timeouts: Timeouts,
    role_arn: Option<Value>,
    waiter: Option<TokenWaiter>,
    cursor: &mut u64,
) -> Result<Value, Failure> {
    let (resource_type, resource_name) = resource.history_names(resource_text);
    let names = Names {
        resource_type,
        resource: resource_name,
        lambda_events: matches!(resource, Resource::LambdaFunction { .. }),
    };
    let calls = engine.tasks.clone();
    let region = calls
        .as_ref()
        .map(|c| c.caller.region.clone())
        .unwrap_or_default();

    let mut scheduled = Map::new();
    if names.lambda_events {
        scheduled.insert("resource".into(), resource_text.into());
        scheduled.insert("input".into(), text(&parameters).into());
        scheduled.insert("inputDetails".into(), json!({"truncated": false}));
    } else {
        scheduled.insert("parameters".into(), text(&parameters).into());
        scheduled.insert("region".into(), region.into());
    }
    if let Some(s) = timeouts.timeout {
        scheduled.insert("timeoutInSeconds".into(), s.into());
    }
    if let Some(h) = timeouts.heartbeat {
        scheduled.insert("heartbeatInSeconds".into(), h.into());
    }
    if let Some(role_arn) = role_arn {
        scheduled.insert("taskCredentials".into(), json!({ "roleArn": role_arn }));
    }
    emit(
        engine,
        cursor,
        names.event("TaskScheduled", "LambdaFunctionScheduled"),
        names.with(scheduled),
    );
    if names.lambda_events {
        *cursor = engine.rec.emit(*cursor, "LambdaFunctionStarted", None);
    } else {
        emit(engine, cursor, "TaskStarted", names.with(Map::new()));
    }

    let clock = engine.rec.clock().clone();
    let timeout_at = timeouts
        .timeout
        .map(|s| clock.now_millis().saturating_add(s.saturating_mul(1000)));
    let outcome = {
        let work = attempt(
            engine,
            state,
            resource,
            &names,
            calls.as_ref(),
            parameters,
            timeouts,
            waiter,
            cursor,
        );
        tokio::select! {
            r = work => r,
            _ = guard(&clock, timeout_at) => Err(Outcome::TimedOut),
        }
    };
    match outcome {
        Ok(output) => {
            let mut d = Map::new();
            d.insert("output".into(), text(&output).into());
            d.insert("outputDetails".into(), json!({"truncated": false}));
            emit(
                engine,
                cursor,
                names.event("TaskSucceeded", "LambdaFunctionSucceeded"),
                names.with(d),
            );
            Ok(output)
        }
        Err(Outcome::Failed(f)) => {
            let mut d = Map::new();
            if let Some(e) = &f.error {
                d.insert("error".into(), e.clone().into());
            }
            if let Some(c) = &f.cause {
                d.insert("cause".into(), c.clone().into());
            }
            emit(
                engine,
                cursor,
                names.event("TaskFailed", "LambdaFunctionFailed"),
                names.with(d),
            );
            Err(f)
        }
        Err(Outcome::TimedOut) => {
            let mut d = Map::new();
            d.insert("error".into(), "States.Timeout".into());
            emit(
                engine,
                cursor,
                names.event("TaskTimedOut", "LambdaFunctionTimedOut"),
                names.with(d),
            );
            Err(Failure {
                error: Some("States.Timeout".into()),
                cause: None,
                from_child: false,
            })
        }
    }
}

enum Outcome {
    Failed(Failure),
    TimedOut,
}

impl From<Failure> for Outcome {
    fn from(f: Failure) -> Self {
        Outcome::Failed(f)
    }
}

#[allow(clippy::too_many_arguments)]
async fn attempt(
    engine: &Arc<Engine>,
    state: &State,
    resource: &Resource,
    names: &Names,
    calls: Option<&TaskCalls>,
    parameters: Value,
    timeouts: Timeouts,
    waiter: Option<TokenWaiter>,
    cursor: &mut u64,
) -> Result<Value, Outcome> {
    let machine = engine.base_context["StateMachine"]["Name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let pattern = resource.pattern();
    if let Some(mocked) = calls.and_then(|c| c.mocked(&machine, &state.name)) {
        if matches!(pattern, Pattern::Callback | Pattern::Sync | Pattern::Sync2) {
            submitted(engine, cursor, names, &json!({}));
        }
        return match mocked {
            Mocked::Return(v) => Ok(match resource {
                // A function ARN's result is the payload alone.
                Resource::LambdaFunction { .. } => match v.get("Payload") {
                    Some(p) => p.clone(),
                    None => v,
                },
                _ => v,
            }),
            Mocked::Throw { error, cause } => Err(Outcome::Failed(Failure {
                error,
                cause,
                from_child: false,
            })),
        };
    }
    let now = engine.rec.clock().now();
    match resource {
        Resource::LambdaFunction { arn } => {
            let endpoint = calls.and_then(|c| c.services.lambda_endpoint.as_deref());
            let invocation = lambda::invoke(endpoint, arn, None, &parameters).await?;
            if invocation.function_error.is_some() {
                return Err(lambda::function_failure(&invocation).into());
            }
            Ok(invocation.payload)
        }
        Resource::Optimized {
            service, action, ..
        } if service == "lambda" && action == "invoke" => {
            let endpoint = calls.and_then(|c| c.services.lambda_endpoint.as_deref());
            let function = parameters["FunctionName"].as_str().unwrap_or_default();
            let payload = parameters.get("Payload").cloned().unwrap_or(Value::Null);
            let qualifier = parameters["Qualifier"].as_str();
            let invocation = lambda::invoke(endpoint, function, qualifier, &payload).await?;
            if invocation.function_error.is_some() {
                return Err(lambda::function_failure(&invocation).into());
            }
            let result = lambda::invoke_result(&invocation, now);
            finish_pattern(
                engine, cursor, names, pattern, result, waiter, timeouts, None, calls,
            )
            .await
        }
        Resource::Optimized {
            service, action, ..
        } => {
            let calls = calls.ok_or_else(no_services)?;
            let mut parameters = parameters;
            if service == "events" && action == "putEvents" {
                services::add_execution_resources(&mut parameters, &engine.base_context);
            }
            let called = services::optimized(calls, now, service, action, parameters).await?;
            finish_pattern(
                engine,
                cursor,
                names,
                pattern,
                called.output,
                waiter,
                timeouts,
                called.execution_arn,
                Some(calls),
            )
            .await
        }
        Resource::Sdk {
            service, action, ..
        } => {
            let calls = calls.ok_or_else(no_services)?;
            let output = services::sdk(calls, service, action, parameters).await?;
            finish_pattern(
                engine,
                cursor,
                names,
                pattern,
                output,
                waiter,
                timeouts,
                None,
                Some(calls),
            )
            .await
        }
        Resource::Activity | Resource::Unknown => Err(Failure::runtime(format!(
            "stepyard cannot run the resource '{}': mock this state with SFN_MOCK_CONFIG",
            names.resource
        ))
        .into()),
    }
}

fn no_services() -> Outcome {
    Outcome::Failed(Failure::runtime(
        "This Task calls a service, and nothing here can reach one",
    ))
}

fn submitted(engine: &Engine, cursor: &mut u64, names: &Names, output: &Value) {
    let mut d = Map::new();
    d.insert("output".into(), text(output).into());
    d.insert("outputDetails".into(), json!({"truncated": false}));
    emit(engine, cursor, "TaskSubmitted", names.with(d));
}

/// After the call: the result itself (request-response), or `TaskSubmitted` and then the
/// callback or the child execution's end.
#[allow(clippy::too_many_arguments)]
async fn finish_pattern(
    engine: &Arc<Engine>,
    cursor: &mut u64,
    names: &Names,
    pattern: Pattern,
    output: Value,
    waiter: Option<TokenWaiter>,
    timeouts: Timeouts,
    child: Option<String>,
    calls: Option<&TaskCalls>,
) -> Result<Value, Outcome> {
    match pattern {
        Pattern::RequestResponse => Ok(output),
        Pattern::Callback => {
            submitted(engine, cursor, names, &output);
            match waiter {
                Some(w) => callback(engine, w, timeouts).await,
                None => Err(Failure::runtime("The task token was not issued").into()),
            }
        }
        Pattern::Sync | Pattern::Sync2 => {
            submitted(engine, cursor, names, &output);
            let (Some(arn), Some(calls)) = (child, calls) else {
                return Err(Failure::runtime(format!(
                    "stepyard does not run '{}.sync' jobs: mock this state with SFN_MOCK_CONFIG",
                    names.resource_type
                ))
                .into());
            };
            let mut guard = child::StopChild::new(calls, &arn);
            let job = child::wait(calls, engine.rec.clock(), &arn, pattern == Pattern::Sync2);
            let outcome = match waiter {
                // A `.sync` job handed its task token on: SendTaskSuccess/Failure on it ends
                // the task before the job does, as on AWS, and the child runs on.
                Some(w) => tokio::select! {
                    done = job => done.map_err(Outcome::from),
                    answered = callback(engine, w, Timeouts::default()) => answered,
                },
                None => job.await.map_err(Outcome::from),
            };
            guard.disarm();
            outcome
        }
    }
}

/// Waits for SendTaskSuccess / SendTaskFailure on the token; SendTaskHeartbeat restarts the
/// heartbeat clock, which starts when the task is submitted.
async fn callback(
    engine: &Arc<Engine>,
    mut waiter: TokenWaiter,
    timeouts: Timeouts,
) -> Result<Value, Outcome> {
    let clock = engine.rec.clock().clone();
    let next_beat = || {
        timeouts
            .heartbeat
            .map(|h| clock.now_millis().saturating_add(h.saturating_mul(1000)))
    };
    let mut heartbeat_at = next_beat();
    loop {
        let signal = tokio::select! {
            s = waiter.next() => s,
            _ = guard(&clock, heartbeat_at) => return Err(Outcome::TimedOut),
        };
        match signal {
            Some(Signal::Succeeded(output)) => return Ok(output),
            Some(Signal::Failed { error, cause }) => {
                return Err(Outcome::Failed(Failure {
                    error,
                    cause,
                    from_child: false,
                }))
            }
            Some(Signal::Heartbeat) => heartbeat_at = next_beat(),
            Some(Signal::Started { .. }) => {}
            None => return Err(Outcome::TimedOut),
        }
    }
}

/// A timeout (`None`: never) guarding a wait; it does not park the execution (`Clock::timeout_at_millis`).
async fn guard(clock: &crate::clock::Clock, deadline: Option<u64>) {
    match deadline {
        Some(d) => clock.timeout_at_millis(d).await,
        None => std::future::pending().await,
    }
}
