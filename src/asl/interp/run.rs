//! The state loop: one (nested) state machine run from `StartAt` to an end, one state at a
//! time. Transitions are a loop, not recursion; only Parallel branches and Map iterations
//! start nested runs, each as its own tokio task (see `parallel.rs` and `map.rs`).

use super::callbacks::TaskBoard;
use super::choice;
use super::dataflow::{self, check_size, input_path, output_path, path_field, shown};
use super::failure::{error_matches, Failure};
use super::history::Recorder;
use super::integrations::TaskCalls;
use super::map_runs::MapRuns;
use super::Resume;
use super::{map, parallel, task};
use crate::asl::ast::{
    Dynamic, FailState, QueryLanguage, Retrier, State, StateKind, StateMachine, Transition,
    WaitFor, WaitState,
};
use crate::asl::jsonpath::{JsonPath, Scope};
use crate::asl::timestamp::{format_millis, parse_rfc3339_nanos};
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// AWS's cap on an execution's history; a machine that loops forever fails when it gets there
/// instead of growing its history without bound.
const MAX_HISTORY_EVENTS: usize = 25_000;

/// Longest Wait AWS accepts: the delay must fit a signed 32-bit number of seconds.
const MAX_WAIT_SECONDS: i128 = i32::MAX as i128;

/// What every run of one execution shares: the history writer and the context object's
/// static part. Immutable after start, so branches read it without locking.
pub(crate) struct Engine {
    pub rec: Recorder,
    pub base_context: Value,
    /// Where waiting tasks (activities, task tokens) meet the API.
    pub board: Arc<TaskBoard>,
    /// Distributed Map runs, for the map-run API.
    pub map_runs: Arc<MapRuns>,
    /// The machine whose failed state a redrive resumes at (a Standard execution's top level);
    /// `None` where nothing can be redriven.
    pub redrive_from: Option<Arc<StateMachine>>,
    /// How Task states reach the services; `None` where nothing can be called (tests of the
    /// interpreter alone).
    pub tasks: Option<TaskCalls>,
}

impl Engine {
    /// The context object as a state sees it: the static part plus `State` (`RetryCount`
    /// only where AWS has it: the states that can retry).
    pub fn context_for(&self, state: &State, entered_ms: u64, retry_count: u64) -> Value {
        let mut ctx = self.base_context.clone();
        if let Value::Object(o) = &mut ctx {
            let mut s = json!({
                "Name": state.name,
                "EnteredTime": format_millis(entered_ms),
            });
            let retries = matches!(
                state.kind,
                StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)
            );
            if let (true, Value::Object(so)) = (retries, &mut s) {
                so.insert("RetryCount".into(), Value::from(retry_count));
            }
            o.insert("State".into(), s);
        }
        ctx
    }
}

/// How a nested run ended, and the id its last history event had (for `previousEventId`).
pub(crate) type RunEnd = (Result<Value, Failure>, u64);

/// A boxed run, so that Parallel/Map can start nested runs: `async fn` recursion through
/// `tokio::spawn` needs a named, `Send` future type.
pub(crate) type BoxedRun = Pin<Box<dyn Future<Output = RunEnd> + Send>>;

/// Runs `machine` on `input`; its first event chains to `cursor`.
pub(crate) fn run_machine(
    engine: Arc<Engine>,
    machine: Arc<StateMachine>,
    input: Value,
    cursor: u64,
) -> BoxedRun {
    let start = machine.start_at.clone();
    run_machine_from(engine, machine, start, input, cursor)
}

/// Runs `machine` from the state `start` (RedriveExecution resumes at the state that failed).
pub(crate) fn run_machine_from(
    engine: Arc<Engine>,
    machine: Arc<StateMachine>,
    start: String,
    input: Value,
    cursor: u64,
) -> BoxedRun {
    Box::pin(async move {
        let mut cursor = cursor;
        let mut input = input;
        let mut name = start;
        // Only the execution's own top level can be redriven from a state.
        let top_level = engine
            .redrive_from
            .as_ref()
            .is_some_and(|m| Arc::ptr_eq(m, &machine));
        loop {
            // Let other tasks run between states: a loop of Pass/Choice states has no await
            // of its own and would otherwise hold a worker thread, and could not be stopped
            // (StopExecution drops this future, which only takes effect at an await).
            tokio::task::yield_now().await;
            if engine.rec.len() >= MAX_HISTORY_EVENTS {
                let f = Failure::runtime(format!(
                    "The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS})."
                ));
                return (Err(f), cursor);
            }
            let Some(state) = machine.state(&name) else {
                let f = Failure::runtime(format!("The state '{name}' does not exist"));
                return (Err(f), cursor);
            };
            let type_name = state.kind.type_name();
            let entered = engine
                .rec
                .state_entered(cursor, type_name, &state.name, &input);
            let entered_ms = engine.rec.clock().now_millis();
            cursor = entered;
            // Where a redrive resumes if the execution fails, times out or is stopped here.
            if top_level {
                engine.rec.set_resume(Resume {
                    state: state.name.clone(),
                    input: input.clone(),
                });
            }
            match run_state(&engine, state, input, &mut cursor, entered, entered_ms).await {
                Ok((output, next)) => match next {
                    Some(next) => {
                        name = next;
                        input = output;
                    }
                    None => return (Ok(output), cursor),
                },
                Err(f) => return (Err(f.located(&state.name, entered)), cursor),
            }
        }
    })
}

/// Runs one state that has been entered. `Ok((output, Some(next)))` moves on, `Ok((output,
/// None))` ends the run; the `...StateExited` event is recorded here.
async fn run_state(
    engine: &Arc<Engine>,
    state: &State,
    raw: Value,
    cursor: &mut u64,
    entered: u64,
    entered_ms: u64,
) -> Result<(Value, Option<String>), Failure> {
    if state.query_language == QueryLanguage::Jsonata {
        return Err(Failure::runtime(
            "JSONata states are not supported yet by this interpreter",
        ));
    }
    if state.assign.is_some() {
        return Err(Failure::runtime(
            "Assign (variables) is not supported yet by this interpreter",
        ));
    }
    let ctx = engine.context_for(state, entered_ms, 0);
    let (output, caught_next) = match &state.kind {
        StateKind::Pass(p) => {
            let effective = input_path(state, &raw, &ctx)?;
            let result = match (&p.parameters, &p.result) {
                (Some(t), _) => dataflow::template(t, &effective, &ctx)?,
                (None, Some(r)) => r.clone(),
                (None, None) => effective,
            };
            let out = dataflow::result_path(&p.result_path, raw, result)?;
            (output_path(state, out, &ctx)?, None)
        }
        StateKind::Choice(c) => {
            let effective = input_path(state, &raw, &ctx)?;
            let scope = Scope::new(&effective, &ctx);
            let mut chosen = None;
            for rule in &c.choices {
                if rule.assign.is_some() || rule.output.is_some() {
                    return Err(Failure::runtime(
                        "Assign/Output in Choice rules is not supported yet",
                    ));
                }
                if choice::holds(&rule.condition, &scope)? {
                    chosen = Some(rule.next.clone());
                    break;
                }
            }
            let Some(next) = chosen.or_else(|| c.default.clone()) else {
                return Err(Failure {
                    error: Some("States.NoChoiceMatched".into()),
                    cause: Some(format!(
                        "No Matches! at state '{}' for input {}",
                        state.name,
                        super::history::text(&effective)
                    )),
                    from_child: false,
                });
            };
            let out = output_path(state, effective, &ctx)?;
            check_size(&state.name, &out)?;
            *cursor = engine
                .rec
                .state_exited(*cursor, "Choice", &state.name, &out);
            return Ok((out, Some(next)));
        }
        StateKind::Wait(w) => {
            let effective = input_path(state, &raw, &ctx)?;
            let deadline = wait_deadline(w, &effective, &ctx, entered_ms)?;
            engine.rec.clock().sleep_until_millis(deadline).await;
            (output_path(state, effective, &ctx)?, None)
        }
        StateKind::Succeed => {
            let effective = input_path(state, &raw, &ctx)?;
            let out = output_path(state, effective, &ctx)?;
            check_size(&state.name, &out)?;
            *cursor = engine
                .rec
                .state_exited(*cursor, "Succeed", &state.name, &out);
            return Ok((out, None));
        }
        StateKind::Fail(f) => return Err(fail_state(f, &raw, &ctx)?),
        StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => {
            with_recovery(engine, state, raw, cursor, entered, entered_ms).await?
        }
    };
    check_size(&state.name, &output)?;
    *cursor = engine
        .rec
        .state_exited(*cursor, state.kind.type_name(), &state.name, &output);
    let next = match caught_next {
        Some(n) => Some(n),
        None => match &state.transition {
            Some(Transition::Next(n)) => Some(n.clone()),
            _ => None,
        },
    };
    Ok((output, next))
}

/// Task, Parallel and Map: the work, retried by `Retry`, then handed to `Catch`. Returns the
/// output and, when a catcher took over, the catcher's `Next`.
async fn with_recovery(
    engine: &Arc<Engine>,
    state: &State,
    raw: Value,
    cursor: &mut u64,
    entered: u64,
    entered_ms: u64,
) -> Result<(Value, Option<String>), Failure> {
    let from_task = matches!(state.kind, StateKind::Task(_));
    let retriers = state.retriers();
    // Attempts so far per retrier: AWS counts each retrier separately.
    let mut attempts = vec![0u64; retriers.len()];
    let mut retry_count = 0u64;
    loop {
        let ctx = engine.context_for(state, entered_ms, retry_count);
        // Whether this attempt got as far as `...StateStarted` (and so has a `...StateFailed`).
        let mut started = false;
        let result = match &state.kind {
            StateKind::Parallel(p) => {
                parallel::run(engine, state, p, raw.clone(), &ctx, cursor, &mut started).await
            }
            StateKind::Map(m) => {
                map::run(engine, state, m, raw.clone(), &ctx, cursor, &mut started).await
            }
            StateKind::Task(t) => task::run(engine, state, t, raw.clone(), &ctx, cursor).await,
            _ => Err(Failure::runtime(
                "internal: not a Task, Parallel or Map state",
            )),
        };
        let failure = match result {
            Ok(out) => return Ok((out, None)),
            Err(f) => f.located(&state.name, entered),
        };
        if let Some(i) = retriers
            .iter()
            .position(|r| error_matches(&r.error_equals, &failure, from_task))
        {
            if attempts[i] < retriers[i].max_attempts {
                let delay = retry_delay(&retriers[i], attempts[i]);
                attempts[i] += 1;
                retry_count += 1;
                engine.rec.clock().sleep(delay).await;
                continue;
            }
        }
        // Not retried: only now does AWS record the Parallel/Map as failed (a retried attempt
        // goes straight to the next `...StateStarted`).
        if started {
            let event = format!("{}StateFailed", state.kind.type_name());
            *cursor = engine.rec.emit(*cursor, &event, None);
        }
        let catcher = state
            .catchers()
            .iter()
            .find(|c| error_matches(&c.error_equals, &failure, from_task));
        let Some(catcher) = catcher else {
            return Err(failure);
        };
        if catcher.assign.is_some() || catcher.output.is_some() {
            return Err(Failure::runtime(
                "Assign/Output in Catch is not supported yet",
            ));
        }
        let out = dataflow::result_path(&catcher.result_path, raw, failure.to_object())?;
        return Ok((out, Some(catcher.next.clone())));
    }
}

/// `IntervalSeconds * BackoffRate^attempt`, capped by `MaxDelaySeconds`; `FULL` jitter picks
/// uniformly below that.
fn retry_delay(r: &Retrier, attempt: u64) -> Duration {
    let mut secs = backoff_seconds(r, attempt);
    if r.jitter_strategy == crate::asl::ast::JitterStrategy::Full {
        secs *= random_unit();
    }
    Duration::from_millis((secs * 1000.0) as u64)
}

/// `IntervalSeconds * BackoffRate^attempt`, capped by `MaxDelaySeconds`, before jitter (TestState
/// reports this).
pub(crate) fn backoff_seconds(r: &Retrier, attempt: u64) -> f64 {
    let exp = i32::try_from(attempt).unwrap_or(i32::MAX);
    let mut secs = r.interval_seconds as f64 * r.backoff_rate.powi(exp);
    if let Some(max) = r.max_delay_seconds {
        secs = secs.min(max as f64);
    }
    // A year is far beyond any sane backoff and keeps the conversion finite.
    secs.clamp(0.0, 31_536_000.0)
}

/// A uniform number in [0, 1) from the v4 UUID generator (the crate's only randomness).
fn random_unit() -> f64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let mut n = [0u8; 8];
    n.copy_from_slice(&bytes[..8]);
    (u64::from_le_bytes(n) >> 11) as f64 / (1u64 << 53) as f64
}

pub(crate) fn fail_state(f: &FailState, raw: &Value, ctx: &Value) -> Result<Failure, Failure> {
    let scope = Scope::new(raw, ctx);
    let field = |d: &Option<Dynamic<String>>, name: &str| -> Result<Option<String>, Failure> {
        match d {
            None => Ok(None),
            Some(Dynamic::Literal(s)) => Ok(Some(s.clone())),
            Some(Dynamic::Path(p)) => match path_field(p, &scope, name)? {
                Value::String(s) => Ok(Some(s)),
                other => Err(Failure::runtime(format!(
                    "The {name} field refers to value {} which is not a valid string: {p}",
                    shown(&other)
                ))),
            },
            Some(Dynamic::Jsonata(_)) => Err(Failure::runtime("JSONata is not supported yet")),
        }
    };
    Ok(Failure {
        error: field(&f.error, "ErrorPath")?,
        cause: field(&f.cause, "CausePath")?,
        from_child: false,
    })
}

/// When a Wait state ends, in epoch milliseconds.
fn wait_deadline(
    w: &WaitState,
    effective: &Value,
    ctx: &Value,
    entered_ms: u64,
) -> Result<u64, Failure> {
    let scope = Scope::new(effective, ctx);
    let lookup = |p: &str| -> Result<Option<Value>, Failure> {
        let path = JsonPath::parse(p)
            .map_err(|e| Failure::runtime(format!("Invalid path '{p}': {}", e.0)))?;
        Ok(path.eval(&scope).ok())
    };
    let delay_ms: i128 = match &w.wait {
        WaitFor::Seconds(Dynamic::Literal(s)) => *s as i128 * 1000,
        WaitFor::Seconds(Dynamic::Path(p)) => {
            let Some(v) = lookup(p)? else {
                return Err(Failure::runtime(format!(
                    "The SecondsPath parameter does not reference an input value: {p}"
                )));
            };
            let secs = match &v {
                Value::Number(n) => n.as_i64(),
                _ => None,
            };
            let Some(secs) = secs else {
                return Err(Failure::runtime(format!(
                    "The SecondsPath parameter cannot be parsed as a long value: {p} == {}",
                    shown(&v)
                )));
            };
            if secs < 0 {
                return Err(Failure::runtime(format!(
                    "The SecondsPath parameter references a negative value: {p} == {secs}"
                )));
            }
            secs as i128 * 1000
        }
        WaitFor::Timestamp(Dynamic::Literal(t)) => timestamp_delay(t, entered_ms)
            .ok_or_else(|| Failure::runtime(format!("Invalid Timestamp '{t}'")))?,
        WaitFor::Timestamp(Dynamic::Path(p)) => {
            let Some(v) = lookup(p)? else {
                return Err(Failure::runtime(format!(
                    "The TimestampPath parameter does not reference an input value: {p}"
                )));
            };
            v.as_str()
                .and_then(|t| timestamp_delay(t, entered_ms))
                .ok_or_else(|| {
                    Failure::runtime(format!(
                        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {p} == {}",
                        shown(&v)
                    ))
                })?
        }
        WaitFor::Seconds(Dynamic::Jsonata(_)) | WaitFor::Timestamp(Dynamic::Jsonata(_)) => {
            return Err(Failure::runtime("JSONata is not supported yet"))
        }
    };
    if delay_ms / 1000 > MAX_WAIT_SECONDS {
        return Err(Failure::runtime("Wait state delay is too long."));
    }
    let delay = u64::try_from(delay_ms.max(0)).unwrap_or(u64::MAX);
    Ok(entered_ms.saturating_add(delay))
}

/// Milliseconds from `entered_ms` until the timestamp `t` (negative when already past).
fn timestamp_delay(t: &str, entered_ms: u64) -> Option<i128> {
    let nanos = parse_rfc3339_nanos(t)?;
    Some(nanos / 1_000_000 - entered_ms as i128)
}
