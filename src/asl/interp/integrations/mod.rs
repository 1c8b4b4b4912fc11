//! Task states that call something: stepyard's own services (optimized and AWS SDK
//! integrations), Lambda functions, and mocked responses (Step Functions Local's mock file).
//! Records AWS's `Task*` / `LambdaFunction*` history events and applies the integration
//! pattern: request-response, `.sync` / `.sync:2`, `.waitForTaskToken`. What the calls reach
//! lies outside the interpreter, behind [`TaskRunner`]: the Step Functions service implements
//! it (`services::sfn::integrations`), so the engine imports no service.

pub mod resource;
pub mod runner;
pub mod status_events;

use super::callbacks::{Signal, TokenWaiter};
use super::engine::Engine;
use super::engine::{park_now, WaitAt};
use super::failure::Failure;
use super::history::text;
use crate::asl::ast::State;
use crate::clock::Clock;
use resource::{Pattern, Resource};
pub use runner::{no_lambda_endpoint, Called, TaskCall, TaskCalls, TaskFuture, TaskRunner};
use serde_json::{json, Map, Value};
use std::sync::Arc;

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
    mut waiter: Option<TokenWaiter>,
    submitted_ms: Option<u64>,
    cursor: &mut u64,
    park: bool,
    stood: Option<WaitAt>,
) -> Result<Value, Failure> {
    let (resource_type, resource_name) = resource.history_names(resource_text);
    let names = Names {
        resource_type,
        resource: resource_name,
        lambda_events: matches!(resource, Resource::LambdaFunction { .. }),
    };
    // A callback whose request went out before a restart: the message (or event, or
    // notification) must not be sent twice, so only the wait for its token goes on, with its
    // timeout counted from the original start.
    let resumed = match (submitted_ms, resource.pattern()) {
        (Some(ms), Pattern::Callback) => waiter.take().map(|w| (ms, w)),
        _ => None,
    };
    if let Some((started_ms, waiter)) = resumed {
        // Parked: its deadlines as they stood; restarted: its timeout counted from its start.
        let wait = match stood {
            Some(at) => Waiting {
                park,
                started_ms,
                timeout_at: at.timeout_at,
                heartbeat_at: Some(at.heartbeat_at),
            },
            None => Waiting {
                park,
                started_ms,
                timeout_at: timeouts
                    .timeout
                    .map(|s| started_ms.saturating_add(s.saturating_mul(1000))),
                heartbeat_at: None,
            },
        };
        let outcome = callback(engine, waiter, timeouts, wait).await;
        return ended(engine, cursor, &names, outcome);
    }
    let calls = engine.tasks.clone();
    let region = calls
        .as_ref()
        .map(|c| c.region().to_string())
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
    let started_ms = clock.now_millis();
    let timeout_at = timeouts
        .timeout
        .map(|s| started_ms.saturating_add(s.saturating_mul(1000)));
    let wait = Waiting {
        park,
        started_ms,
        timeout_at,
        heartbeat_at: None,
    };
    // With a data directory, what the call writes (the message sent, the event put, the
    // execution started) and the event recording it (`TaskSubmitted`, or the outcome) are
    // committed together, so a crash cannot leave the one without the other and the resumed
    // execution never makes the call twice. A Lambda call leaves the process: nothing of it
    // is written here, and it may be long.
    let mut hold = if resource.leaves_process() {
        None
    } else {
        engine.rec.hold()
    };
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
            wait,
            cursor,
            &mut hold,
        );
        tokio::select! {
            r = work => r,
            _ = guard(&clock, timeout_at) => Err(Outcome::TimedOut),
        }
    };
    let ended = ended(engine, cursor, &names, outcome);
    drop(hold);
    ended
}

/// Records how the Task ended: `TaskSucceeded`, `TaskFailed` or `TaskTimedOut`.
fn ended(
    engine: &Arc<Engine>,
    cursor: &mut u64,
    names: &Names,
    outcome: Result<Value, Outcome>,
) -> Result<Value, Failure> {
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
        // Not an outcome: the Task parked its run (see `engine::TaskWait`).
        Err(Outcome::Parked(f)) => Err(f),
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
    Parked(Failure),
}

/// How a callback's wait goes: whether it may park its run, when its Task started, its
/// deadline from TimeoutSeconds, and (a parked wait resumed) its heartbeat deadline as it stood.
#[derive(Clone, Copy)]
struct Waiting {
    park: bool,
    started_ms: u64,
    timeout_at: Option<u64>,
    heartbeat_at: Option<Option<u64>>,
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
    wait: Waiting,
    cursor: &mut u64,
    hold: &mut Option<crate::persist::Hold>,
) -> Result<Value, Outcome> {
    let machine = engine.base_context.machine_name();
    let pattern = resource.pattern();
    if let Some(mocked) = calls.and_then(|c| c.mocked(machine, &state.name)) {
        if matches!(pattern, Pattern::Callback | Pattern::Sync | Pattern::Sync2) {
            submitted(engine, cursor, names, &json!({}));
        }
        return match mocked {
            Ok(v) => Ok(match resource {
                // A function ARN's result is the payload alone.
                Resource::LambdaFunction { .. } => match v.get("Payload") {
                    Some(p) => p.clone(),
                    None => v,
                },
                _ => v,
            }),
            Err(failure) => Err(Outcome::Failed(failure)),
        };
    }
    if matches!(resource, Resource::Activity | Resource::Unknown) {
        return Err(Failure::runtime(format!(
            "stepyard cannot run the resource '{}': mock this state with SFN_MOCK_CONFIG",
            names.resource
        ))
        .into());
    }
    let Some(calls) = calls else {
        return Err(Outcome::Failed(match resource {
            Resource::LambdaFunction { arn } => no_lambda_endpoint(arn),
            Resource::Optimized {
                service, action, ..
            } if service == "lambda" && action == "invoke" => {
                no_lambda_endpoint(parameters["FunctionName"].as_str().unwrap_or_default())
            }
            _ => no_services(),
        }));
    };
    // The run's parsed context (`Engine::context`), which a top-level Task parked as data
    // does not keep: the run that held it has ended.
    let called = {
        let call = calls.call(TaskCall {
            resource,
            parameters,
            context: engine.context_value(),
            now: engine.rec.clock().now(),
            trace: crate::asl::interp::engine::state_span(),
        });
        match hold {
            Some(_) => crate::persist::holding(call).await?,
            None => call.await?,
        }
    };
    if let Resource::LambdaFunction { .. } = resource {
        return Ok(called.output);
    }
    finish_pattern(
        engine,
        cursor,
        names,
        pattern,
        called.output,
        waiter,
        timeouts,
        wait,
        called.execution_arn,
        Some(calls),
        hold,
    )
    .await
}

fn no_services() -> Failure {
    Failure::runtime("This Task calls a service, and nothing here can reach one")
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
    wait: Waiting,
    child: Option<String>,
    calls: Option<&TaskCalls>,
    hold: &mut Option<crate::persist::Hold>,
) -> Result<Value, Outcome> {
    match pattern {
        Pattern::RequestResponse => Ok(output),
        Pattern::Callback => {
            submitted(engine, cursor, names, &output);
            // The request and its `TaskSubmitted` are in; the wait for the callback holds
            // nothing back, and needs none of the call's answer.
            drop(hold.take());
            drop(output);
            match waiter {
                Some(w) => callback(engine, w, timeouts, wait).await,
                None => Err(Failure::runtime("The task token was not issued").into()),
            }
        }
        Pattern::Sync | Pattern::Sync2 => {
            submitted(engine, cursor, names, &output);
            drop(hold.take());
            let (Some(arn), Some(calls)) = (child, calls) else {
                return Err(Failure::runtime(format!(
                    "stepyard does not run '{}.sync' jobs: mock this state with SFN_MOCK_CONFIG",
                    names.resource_type
                ))
                .into());
            };
            let mut guard = StopChild {
                calls,
                arn: Some(arn.clone()),
            };
            let job = calls.wait_child(engine.rec.clock(), &arn, pattern == Pattern::Sync2);
            let outcome = match waiter {
                // A `.sync` job handed its task token on: SendTaskSuccess/Failure on it ends
                // the task before the job does, as on AWS, and the child runs on.
                Some(w) => tokio::select! {
                    done = job => done.map_err(Outcome::from),
                    answered = callback(engine, w, Timeouts::default(), Waiting {
                        park: false,
                        started_ms: wait.started_ms,
                        timeout_at: None,
                        heartbeat_at: None,
                    }) => answered,
                },
                None => job.await.map_err(Outcome::from),
            };
            guard.disarm();
            outcome
        }
    }
}

/// Stops the child when dropped armed: the parent's task future is dropped when the parent is
/// stopped, times out, or its branch is cancelled.
struct StopChild<'a> {
    calls: &'a TaskCalls,
    arn: Option<String>,
}

impl StopChild<'_> {
    /// The child is left to run on (or has ended): dropping the guard does nothing.
    fn disarm(&mut self) {
        self.arn = None;
    }
}

impl Drop for StopChild<'_> {
    fn drop(&mut self) {
        if let Some(arn) = self.arn.take() {
            self.calls.stop_child(arn);
        }
    }
}

/// Waits for SendTaskSuccess / SendTaskFailure on the token; SendTaskHeartbeat restarts the
/// heartbeat clock, which starts when the task is submitted. A wait that may park parks its
/// run whenever nothing is there to read (see `engine::TaskWait`).
async fn callback(
    engine: &Arc<Engine>,
    mut waiter: TokenWaiter,
    timeouts: Timeouts,
    wait: Waiting,
) -> Result<Value, Outcome> {
    let clock = engine.rec.clock().clone();
    let next_beat = || {
        timeouts
            .heartbeat
            .map(|h| clock.now_millis().saturating_add(h.saturating_mul(1000)))
    };
    let mut heartbeat_at = wait.heartbeat_at.unwrap_or_else(next_beat);
    loop {
        let at = WaitAt {
            activity_scheduled_ms: None,
            started_ms: wait.started_ms,
            timeout_at: wait.timeout_at,
            heartbeat_at,
        };
        waiter = park_now(engine, wait.park, waiter, at).map_err(Outcome::Parked)?;
        let signal = tokio::select! {
            s = waiter.next() => s,
            _ = guard(&clock, at.deadline()) => return Err(Outcome::TimedOut),
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
async fn guard(clock: &Clock, deadline: Option<u64>) {
    match deadline {
        Some(d) => clock.timeout_at_millis(d).await,
        None => std::future::pending().await,
    }
}
