//! Task states: InputPath -> Parameters -> the call -> ResultSelector -> ResultPath ->
//! OutputPath, under Retry/Catch in `run.rs`. Activities run here end to end (scheduled on
//! the service's [`TaskBoard`], taken by a worker's GetActivityTask, finished by
//! SendTaskSuccess/Failure, bounded by TimeoutSeconds and HeartbeatSeconds); every other
//! resource goes to `integrations`.

use super::callbacks::{ActivityTask, Signal, TokenWaiter};
use super::dataflow::{shown, StateEnv};
use super::engine::{park_now, Engine, WaitAt};
use super::failure::Failure;
use super::history::{error_details, text};
use super::integrations::resource::Resource;
use super::integrations::{self, Timeouts};
use crate::asl::ast::{Dynamic, TaskState};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Runs the Task on `raw`. `env`'s own context object is not read: `context` builds the
/// state's, once for the request and again for the result, so that none is held while the
/// Task waits (for a worker or a callback, maybe for days: a parked execution should keep
/// little more than its history). The input waits as text for the same reason.
///
/// `park`: a top-level Task of a Standard execution, which parks its run (see `TaskWait`)
/// rather than wait on its token live; `resumed`: the wait it parked in, its run resumed.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run(
    engine: &Arc<Engine>,
    env: &StateEnv<'_>,
    context: impl Fn() -> Value,
    t: &TaskState,
    raw: Value,
    cursor: &mut u64,
    restart: Option<Box<super::Restart>>,
    park: bool,
    resumed: Option<(TokenWaiter, WaitAt)>,
) -> Result<Value, Failure> {
    let (resumed_waiter, stood) = match resumed {
        Some((waiter, at)) => (Some(waiter), Some(at)),
        None => (None, None),
    };
    // Its call succeeded before a restart: the result is kept, the call not made again.
    if let Some(result) = restart.as_ref().and_then(|r| r.succeeded.clone()) {
        let mut ctx = context();
        if let (Some(token), Value::Object(o)) =
            (restart.as_ref().and_then(|r| r.token.as_deref()), &mut ctx)
        {
            o.insert("Task".into(), json!({ "Token": token }));
        }
        let env = env.with_context(&ctx);
        env.note("result", &result);
        return env.finish_result(raw, result);
    }
    let resource = Resource::parse(&t.resource);
    let at = *cursor;
    // TestState's mocked outcome replaces the call, and its token is the one in the context
    // it was given.
    let mock = env.inspection.and_then(|i| i.mock.clone());
    // The token exists before Parameters are evaluated: `$$.Task.Token` may be used there.
    let waiter = (resource.takes_token() && mock.is_none()).then(|| {
        if let Some(waiter) = resumed_waiter {
            // Parked with its token still on the board: the same mailbox, nothing missed.
            return waiter;
        }
        match restart.as_ref().and_then(|r| r.token.clone()) {
            // Kept with the execution already: registered again, not written again.
            Some(token) => engine.board.issue_as(token),
            None => {
                let waiter = engine.board.issue();
                engine.rec.note_token(at, &waiter.token);
                waiter
            }
        }
    });
    if let (Some(w), Resource::Activity) = (&waiter, &resource) {
        engine.board.own(&w.token, engine.base_context.owner(), at);
    }
    // `$$.Task.Token` is read by the result's paths too, after the waiter is gone.
    let token: Option<Arc<str>> = waiter.as_ref().map(|w| w.token.clone());
    let with_token = |mut ctx: Value| {
        if let (Some(token), Value::Object(o)) = (&token, &mut ctx) {
            o.insert("Task".into(), json!({ "Token": &**token }));
        }
        ctx
    };
    let ctx = with_token(context());
    let (parameters, timeouts, role_arn) = {
        let env = env.with_context(&ctx);
        let effective = env.input(&raw)?;
        // Parameters (JSONPath) or Arguments (JSONata).
        let parameters = env.request(&effective, t.parameters.as_ref(), t.arguments.as_ref())?;
        let timeouts = resolve_timeouts(t, &effective, &env)?;
        // The role the Task acts as (`Credentials`), which TaskScheduled records.
        let role_arn = match &t.credentials {
            Some(c) => {
                let credentials = env.payload(c, &effective, "Arguments")?;
                credentials.get("RoleArn").cloned()
            }
            None => None,
        };
        (parameters, timeouts, role_arn)
    };
    // A Task that waits on its token holds its input as text meanwhile, and no context
    // object (built again for the result); one that only calls keeps both as they are.
    let waits = waiter.is_some();
    let kept = Kept::of(raw, waits);
    let ctx = (!waits).then_some(ctx);
    let result = match (mock, waiter) {
        (Some(mocked), _) => mocked?,
        (None, Some(waiter)) if resource == Resource::Activity => {
            let scheduled_ms = restart.as_ref().and_then(|r| r.activity_scheduled_ms);
            Box::pin(activity(
                engine,
                t,
                text(&parameters),
                timeouts,
                waiter,
                scheduled_ms,
                cursor,
                park,
                stood,
            ))
            .await?
        }
        (None, waiter) => {
            Box::pin(integrations::run(
                engine,
                env.state,
                &t.resource,
                &resource,
                parameters,
                timeouts,
                role_arn,
                waiter,
                restart.and_then(|r| r.submitted_ms),
                cursor,
                park,
                stood,
            ))
            .await?
        }
    };
    let ctx = ctx.unwrap_or_else(|| with_token(context()));
    let env = env.with_context(&ctx);
    env.note("result", &result);
    // ResultSelector/ResultPath/OutputPath (JSONPath) or Output/Assign (JSONata).
    env.finish_result(kept.take(), result)
}

/// A state's input, kept as a `Value` or, while the state waits a long time, as its JSON
/// text (a `Value` tree costs several times its text).
pub(crate) enum Kept {
    Value(Value),
    Text(Box<str>),
}

impl Kept {
    /// `raw`, as text if `as_text`.
    pub(crate) fn of(raw: Value, as_text: bool) -> Self {
        if as_text {
            Kept::Text(raw.to_string().into_boxed_str())
        } else {
            Kept::Value(raw)
        }
    }

    /// A copy of the input.
    pub(crate) fn get(&self) -> Value {
        match self {
            Kept::Value(v) => v.clone(),
            // Written by `to_string`, so it reads back as it was.
            Kept::Text(t) => serde_json::from_str(t).unwrap_or_default(),
        }
    }

    /// The input itself.
    pub(crate) fn take(self) -> Value {
        match self {
            Kept::Value(v) => v,
            Kept::Text(t) => serde_json::from_str(&t).unwrap_or_default(),
        }
    }

    /// The input as its JSON text.
    pub(crate) fn into_text(self) -> Box<str> {
        match self {
            Kept::Value(v) => v.to_string().into_boxed_str(),
            Kept::Text(t) => t,
        }
    }
}

fn resolve_timeouts(t: &TaskState, input: &Value, env: &StateEnv) -> Result<Timeouts, Failure> {
    Ok(Timeouts {
        timeout: seconds(&t.timeout_seconds, "TimeoutSecondsPath", input, env)?,
        heartbeat: seconds(&t.heartbeat_seconds, "HeartbeatSecondsPath", input, env)?,
    })
}

fn seconds(
    field: &Option<Dynamic<u64>>,
    name: &str,
    input: &Value,
    env: &StateEnv,
) -> Result<Option<u64>, Failure> {
    match field {
        None => Ok(None),
        Some(Dynamic::Literal(s)) => Ok(Some(*s)),
        Some(Dynamic::Path(p)) => {
            let value = p.value(&env.scope(input)).ok_or_else(|| {
                Failure::runtime(format!(
                    "The {name} parameter does not reference an input value: {p}"
                ))
            })?;
            match value.as_u64() {
                Some(s) if s > 0 => Ok(Some(s)),
                _ => Err(Failure::runtime(format!(
                    "The {name} parameter references an invalid value: {p} == {}",
                    shown(&value)
                ))),
            }
        }
        Some(Dynamic::Jsonata(text)) => Ok(Some(env.jsonata_uint(
            input,
            text,
            name.trim_end_matches("Path"),
        )?)),
    }
}

/// Schedules the activity task and waits for its worker: the `Activity*` history events,
/// the result from SendTaskSuccess, or the failure from SendTaskFailure or a timeout.
#[allow(clippy::too_many_arguments)]
async fn activity(
    engine: &Arc<Engine>,
    t: &TaskState,
    input: String,
    timeouts: Timeouts,
    mut waiter: TokenWaiter,
    scheduled_before: Option<u64>,
    cursor: &mut u64,
    park: bool,
    stood: Option<WaitAt>,
) -> Result<Value, Failure> {
    // Parked: it was offered then, and is still queued or taken by a worker.
    let scheduled_before = stood
        .and_then(|s| s.activity_scheduled_ms)
        .or(scheduled_before);
    let offered = stood.is_some()
        || engine.board.offer(
            &t.resource,
            ActivityTask {
                token: waiter.token.clone(),
                input: input.clone(),
            },
        );
    if !offered {
        return Err(Failure::runtime(format!(
            "The activity {} does not exist.",
            t.resource
        )));
    }
    let mut details = Map::new();
    if let Some(h) = timeouts.heartbeat {
        details.insert("heartbeatInSeconds".into(), h.into());
    }
    details.insert("input".into(), input.into());
    details.insert("inputDetails".into(), json!({"truncated": false}));
    details.insert("resource".into(), t.resource.clone().into());
    if let Some(s) = timeouts.timeout {
        details.insert("timeoutInSeconds".into(), s.into());
    }
    let clock = engine.rec.clock().clone();
    // Scheduled before a restart: offered again, not recorded again.
    let scheduled_ms = match scheduled_before {
        Some(ms) => ms,
        None => {
            *cursor = engine.rec.emit(
                *cursor,
                "ActivityScheduled",
                Some(("activityScheduledEventDetails", Value::Object(details))),
            );
            clock.now_millis()
        }
    };
    let timeout_at = timeouts
        .timeout
        .map(|s| scheduled_ms.saturating_add(s.saturating_mul(1000)));
    // The heartbeat clock starts when a worker takes the task, and restarts on each beat.
    let mut heartbeat_at: Option<u64> = stood.and_then(|s| s.heartbeat_at);
    let next_beat = || {
        timeouts
            .heartbeat
            .map(|h| clock.now_millis().saturating_add(h.saturating_mul(1000)))
    };
    loop {
        let at = WaitAt {
            activity_scheduled_ms: Some(scheduled_ms),
            started_ms: scheduled_ms,
            timeout_at,
            heartbeat_at,
        };
        waiter = park_now(engine, park, waiter, at)?;
        let deadline = at.deadline();
        let signal = tokio::select! {
            signal = waiter.next() => signal,
            _ = guard(&clock, deadline) => None,
        };
        match signal {
            Some(Signal::Started { worker_name }) => {
                let details = match worker_name {
                    Some(w) => json!({"workerName": w}),
                    None => json!({}),
                };
                *cursor = engine.rec.emit(
                    *cursor,
                    "ActivityStarted",
                    Some(("activityStartedEventDetails", details)),
                );
                heartbeat_at = next_beat();
            }
            Some(Signal::Heartbeat) => heartbeat_at = next_beat(),
            Some(Signal::Succeeded(output)) => {
                *cursor = engine.rec.emit(
                    *cursor,
                    "ActivitySucceeded",
                    Some((
                        "activitySucceededEventDetails",
                        json!({"output": text(&output), "outputDetails": {"truncated": false}}),
                    )),
                );
                return Ok(output);
            }
            Some(Signal::Failed { error, cause }) => {
                *cursor = engine.rec.emit(
                    *cursor,
                    "ActivityFailed",
                    Some((
                        "activityFailedEventDetails",
                        error_details(error.as_deref(), cause.as_deref()),
                    )),
                );
                return Err(Failure {
                    error,
                    cause,
                    from_child: false,
                });
            }
            None => {
                // AWS reports a missed heartbeat as `States.Timeout` in the history too.
                *cursor = engine.rec.emit(
                    *cursor,
                    "ActivityTimedOut",
                    Some((
                        "activityTimedOutEventDetails",
                        error_details(Some("States.Timeout"), None),
                    )),
                );
                return Err(Failure {
                    error: Some("States.Timeout".into()),
                    cause: None,
                    from_child: false,
                });
            }
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
